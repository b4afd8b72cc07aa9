"""Pure settings: dataclasses with their limits, parsing and URL round trip (no Streamlit here).

Every setting the app keeps is a field of a frozen dataclass deriving from ``Settings``; its
limits live in the field's metadata (``setting(...)``). The same code parses URL values,
serialises non-default values back and (in ``ui.controls.sidebar``) shows the widget, for every class:
``Config`` (the layer, in the sidebar of every page), ``TrainingSettings`` (/training) and
``ViewSettings`` (the step-through's step and sample, page toggles, presenter view, lock).

The URL contract (query parameter == field name == widget key == Keras argument where one
exists): URL booleans accept true/false/1/0/yes/no/on/off; only values that differ from the
defaults are written; an invalid value falls back to the default with a warning that starts
"Ignored URL parameter" and names the parameter.

Presets train_X (1, 4, 5), word (1, len(word), distinct letters) and csv (1, rows, columns)
fix batch_size/timesteps/input_dim; the sidebar then shows those values disabled.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from rnn_core.layers import CELLS  # the cells, from the cell classes (SimpleRNN, LSTM, GRU)
from ui.classroom.sources import cite

MERGE_MODES = ("concat", "sum", "mul", "ave", "None")
PRESETS = ("random", "train_X", "sine", "word", "csv")
# Option labels (the values never change: URLs and widget state hold those). A sidebar selectbox
# shows one line of about 30 characters and cuts the rest, so a source is named in a caption
# under the widget (PRESET_NOTES, INIT_NOTES), not in the option label.
PRESET_LABELS = {
    "random": "Seeded random",
    "train_X": "Notebook train_X",
    "sine": "Sine waves",
    "word": "One-hot characters of a word",
    "csv": "Uploaded CSV",
}
PRESET_NOTES = {
    "train_X": f"train_X of shape (1, 4, 5): one sentence of 4 words as 5-dimensional vectors, "
               f"from {cite('004')}.",
    "csv": "One sample: the file's rows are the timesteps, its columns the features.",
}
ACTIVATIONS = ("tanh", "sigmoid", "hard_sigmoid", "relu", "linear")  # Keras names rnn_core runs
INITS = ("keras", "constant")
INIT_LABELS = {"keras": "Keras defaults (seeded)", "constant": "Constant 0.1"}
INIT_NOTES = {"constant": f"Every kernel and recurrent weight 0.1, bias 0, as in {cite('004')}."}
MAX_WORD = 40
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def setting(default, *, lo=None, hi=None, choices=None, min_len=None, max_len=None, check=None,
            expect=None, default_text=None, help="", run=False):
    """A dataclass field with its limits: [lo, hi] for numbers, ``choices``, text length; a text
    field may add ``check`` (text -> canonical text, ValueError if invalid). ``expect`` and
    ``default_text`` say in a student's words what a valid value and the default are (messages);
    ``run``: an argument of the training run (a trained model is stale when one changes)."""
    return field(default=default, metadata=dict(lo=lo, hi=hi, choices=choices, min_len=min_len,
                                                max_len=max_len, check=check, expect=expect,
                                                default_text=default_text, help=help, run=run))


class Settings:
    """Parsing and URL round trip shared by every settings dataclass."""

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))

    @classmethod
    def spec(cls, name: str) -> dict:
        """The field's limits plus its type and default."""
        f = next(f for f in dataclasses.fields(cls) if f.name == name)
        return dict(f.metadata, kind=type(f.default), default=f.default)

    @classmethod
    def expected(cls, name: str) -> str:
        """What a valid value of ``name`` looks like, for messages."""
        s = cls.spec(name)
        if s["expect"]:
            return s["expect"]
        if s["kind"] is bool:
            return "true or false"
        if s["choices"] is not None:
            return "one of " + ", ".join(map(str, s["choices"]))
        if s["kind"] in (int, float):
            kind = "an integer" if s["kind"] is int else "a number"
            return f"{kind} in [{s['lo']}, {s['hi']}]"
        return f"{s['min_len'] or 0} to {s['max_len']} characters"

    @classmethod
    def parse(cls, name: str, raw: str):
        """One URL value as the field's type; ValueError naming the parameter, value and limits."""
        s = cls.spec(name)
        text = raw.strip()
        fail = ValueError(f"{name}: got {raw!r}, expected {cls.expected(name)}")
        if s["kind"] is bool:
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise fail
        if s["choices"] is not None:  # case-insensitive, returns the canonical value
            for choice in s["choices"]:
                if text.lower() == str(choice).lower():
                    return choice
            if s["kind"] in (int, float):  # 0.010 or 1e-2 for the choice 0.01
                try:
                    number = float(text)
                except ValueError:
                    raise fail from None
                for choice in s["choices"]:
                    if number == choice:
                        return choice
            raise fail
        if s["kind"] in (int, float):
            try:
                value = s["kind"](text)
            except ValueError:
                raise fail from None
            if not s["lo"] <= value <= s["hi"]:
                raise fail
            return value
        if not (s["min_len"] or 0) <= len(text) <= s["max_len"]:
            raise fail
        if s["check"] is not None:
            try:
                return s["check"](text)
            except ValueError:
                raise fail from None
        return text

    @classmethod
    def from_query(cls, params: Mapping[str, str]):
        """(settings, warnings) from URL parameters; unknown keys are not this class's business."""
        values, warnings = {}, []
        for name in cls.names():
            if name not in params:
                continue
            try:
                values[name] = cls.parse(name, params[name])
            except ValueError as err:
                spec = cls.spec(name)
                default = spec["default_text"] or to_url_value(spec["default"]) or "(empty)"
                warnings.append(f"Ignored URL parameter — {err}; using the default {default}.")
        return cls(**values), warnings

    def to_query(self) -> dict[str, str]:
        """The values that differ from the defaults, as URL strings (links stay short)."""
        defaults = type(self)()
        return {name: to_url_value(getattr(self, name)) for name in self.names()
                if getattr(self, name) != getattr(defaults, name)}


def to_url_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


MAX_LAYERS = 3
LENGTHS_EXPECTED = ("comma-separated valid lengths, one per sample, e.g. 4,7 (each 1..timesteps); "
                    "empty for no padding")


def lengths_tuple(text: str) -> tuple[int, ...]:
    """"4, 7" -> (4, 7); "" -> (); ValueError (naming lengths) for anything else."""
    text = text.strip()
    if not text:
        return ()
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise ValueError(f"lengths: got {text!r}, expected {LENGTHS_EXPECTED}") from None
    if any(v < 1 for v in values):
        raise ValueError(f"lengths: got {text!r}, expected lengths of at least 1")
    return values


def canonical_lengths(text: str) -> str:
    """The lengths written as the URL writes them: "4, 7 " -> "4,7"."""
    return ",".join(map(str, lengths_tuple(text)))


@dataclass(frozen=True)
class Config(Settings):
    """Everything the pages need to rebuild the same layer and input."""
    cell: str = setting("LSTM", choices=CELLS,                   # which recurrent layer
                        help="Which Keras recurrent layer: layers.SimpleRNN, layers.LSTM or layers.GRU.")
    units: int = setting(8, lo=1, hi=256,                        # size of h_t (and c_t)
                         help="Size of the hidden state h_t (and of c_t for LSTM).")
    timesteps: int = setting(10, lo=1, hi=200, help="Sequence length T.")
    input_dim: int = setting(4, lo=1, hi=128, help="Features per timestep.")
    batch_size: int = setting(2, lo=1, hi=64, help="Sequences per batch.")
    layers: int = setting(1, lo=1, hi=MAX_LAYERS,               # stacked recurrent layers
                          help="Stack this many layers of the cell: layer k+1 reads layer k's "
                               "h_t sequence.")
    lower_return_sequences: bool = setting(                      # what Keras needs in a stack
        True, help="Layers below the top return their whole h_t sequence (Keras needs it: the "
                   "next layer wants (batch, timesteps, features)). Turn off to see Keras's error.")
    return_sequences: bool = setting(                            # Keras default: only the last h_t
        False, help="Return h_t for every timestep instead of only the last one (the top layer's "
                    "flag when layers are stacked).")
    return_state: bool = setting(False, help="Also return the final state(s): h (and c for LSTM).")
    bidirectional: bool = setting(
        False, help="Wrap in layers.Bidirectional: a forward and a backward copy.")
    merge_mode: str = setting("concat", choices=MERGE_MODES,     # "None" = keep both directions
                              help="How Bidirectional combines the two directions.")
    go_backwards: bool = setting(False, help="Read the sequence from the last timestep to the first.")
    stateful: bool = setting(False, help="Keep the final state as the next batch's initial state.")
    seed: int = setting(0, lo=0, hi=2**31 - 1, help="Seeds the initializers and the random input.")
    preset: str = setting("random", choices=PRESETS,
                          help="What x is: (batch_size, timesteps, input_dim) values.")
    word: str = setting("hihello", min_len=1, max_len=MAX_WORD,  # for preset="word" (seed 002)
                        help="Each character becomes a one-hot row ('hihello' is from "
                             f"{cite('002')}).")
    lengths: str = setting("", max_len=400, check=canonical_lengths, expect=LENGTHS_EXPECTED,
                           help="One valid length per sample, e.g. 4,7: each sample is padded "
                                "with zeros after its length and Masking(mask_value=0.0) masks "
                                "the padding. Empty: no padding.")
    init: str = setting("keras", choices=INITS,
                        help="Keras's default initializers (glorot_uniform, orthogonal, zeros), "
                             "seeded, or every kernel/recurrent weight 0.1 and bias 0 like "
                             f"{cite('004')} (LSTM: forget bias 1 when unit_forget_bias).")
    unit_forget_bias: bool = setting(True, help="LSTM: add 1 to the forget gate's bias at initialization.")
    reset_after: bool = setting(True, help="GRU: apply the reset gate after the recurrent matmul "
                                           "(Keras default, cuDNN-compatible, two bias rows).")
    activation: str = setting("tanh", choices=ACTIVATIONS,      # h_t / the candidate
                              help="Activation of h_t (SimpleRNN), of the candidate and of c_t "
                                   "before the output gate (LSTM), of the candidate (GRU).")
    recurrent_activation: str = setting("sigmoid", choices=ACTIVATIONS,  # the gates
                                        help="LSTM/GRU: activation of the gates.")
    use_bias: bool = setting(True, help="Add a bias vector b (False: no bias weights at all).")
    unroll: bool = setting(False, help="Unroll the time loop into a static graph: faster for "
                                       "short sequences in Keras, more memory; same numbers.")
    dropout: float = setting(0.0, lo=0.0, hi=0.9,                # training only
                             help="Fraction of x_t's units dropped during training. At inference "
                                  "(what this app shows) Keras drops nothing.")
    recurrent_dropout: float = setting(0.0, lo=0.0, hi=0.9,      # training only
                                       help="Fraction of h_(t−1)'s units dropped during training; "
                                            "at inference Keras drops nothing. Non-zero rules out "
                                            "cuDNN.")

    @property
    def merge(self) -> str | None:
        """merge_mode as Keras wants it (None instead of "None")."""
        return None if self.merge_mode == "None" else self.merge_mode

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.batch_size, self.timesteps, self.input_dim)

    def valid_lengths(self) -> tuple[int, ...]:
        """The lengths as numbers, () for no padding; ValueError saying what is wrong (a count
        other than batch_size, a length above timesteps)."""
        lengths = lengths_tuple(self.lengths)
        if lengths and len(lengths) != self.batch_size:
            raise ValueError(f"lengths: got {len(lengths)} lengths ({self.lengths}), expected "
                             f"one per sample: batch_size = {self.batch_size}")
        if any(n > self.timesteps for n in lengths):
            raise ValueError(f"lengths: got {self.lengths}, expected each length at most "
                             f"timesteps = {self.timesteps}")
        return lengths


DEFAULTS = Config()
LIMITS = {name: (Config.spec(name)["lo"], Config.spec(name)["hi"])  # inclusive integer ranges
          for name in ("units", "timesteps", "input_dim", "batch_size", "seed")}

OPTIMIZERS = ("Adam", "RMSprop", "SGD")
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
CLIPS = (0.0, 0.1, 0.5, 1.0, 5.0)  # 0 = off
GATE_BIASES = ("Keras init", "0", "1", "2", "3", "5")
MAX_TEXT = 200


@dataclass(frozen=True)
class TrainingSettings(Settings):
    """The /training page: the character model's training run and the gradient-flow lab."""
    train_text: str = setting("hihello", min_len=2, max_len=MAX_TEXT, run=True)
    train_depth: int = setting(1, lo=1, hi=3, run=True)
    train_optimizer: str = setting("Adam", choices=OPTIMIZERS, run=True)
    train_lr: float = setting(0.01, choices=LEARNING_RATES, run=True)
    train_clip: float = setting(0.0, choices=CLIPS, run=True)
    train_decay: bool = setting(False, run=True)
    train_epochs: int = setting(1000, lo=1, hi=5000, run=True)
    train_truncate: int = setting(0, lo=0, hi=50, run=True)
    train_every: int = setting(50, lo=1, hi=1000)
    gf_timesteps: int = setting(30, lo=5, hi=100)
    gf_units: int = setting(16, lo=2, hi=64)
    gf_scale: float = setting(1.0, lo=0.25, hi=3.0)
    gf_gate: str = setting("Keras init", choices=GATE_BIASES)
    gf_clip: float = setting(1.0, choices=CLIPS)
    train_window: int = setting(0, lo=0, hi=MAX_TEXT)
    train_temperature: float = setting(1.0, lo=0.05, hi=3.0)
    train_prefix: str = setting("h", min_len=1, max_len=40)
    train_length: int = setting(30, lo=1, hi=200)


@dataclass(frozen=True)
class ViewSettings(Settings):
    """What a page shows of the layer: its own state, so a link reopens the same view."""
    step: int = setting(-1, lo=-1, hi=Config.spec("timesteps")["hi"] - 1,
                        expect=f"a step from 0 (the first) to {Config.spec('timesteps')['hi'] - 1} "
                               "(the last one of the longest sequence), or -1 for the last step",
                        default_text="-1 (the last step)",
                        help="The step-through's current step (-1 = the last one).")
    sample: int = setting(0, lo=0, hi=Config.spec("batch_size")["hi"] - 1,
                          help="Which sequence of the batch the step-through shows.")
    layer_index: int = setting(0, lo=0, hi=MAX_LAYERS - 1,
                               help="Stacked layers: which layer the step-through shows "
                                    "(0 = the bottom one, which reads x).")
    show_stateful: bool = setting(False, help="Hidden states: compare stateful=True with resets.")
    show_effect: bool = setting(False, help="Gates: plot the effect of the Keras toggle over time.")
    show_weights: bool = setting(False, help="Shapes: the weight values as heatmaps.")
    decoder_timesteps: int = setting(6, lo=1, hi=50,
                                     help="Encoder -> decoder: the decoder input's length.")
    presenter: bool = setting(False, help="Projector view: no sidebar, large type.")
    lock: bool = setting(False, help="The configuration is shown read-only.")


@dataclass(frozen=True)
class QuizSettings(Settings):
    """The /quiz page: a seed and a level fix the ten questions (a teacher's link)."""
    quiz_seed: int = setting(-1, lo=-1, hi=2**31 - 1,
                             help="Fixes the ten questions: the same seed and level give everyone "
                                  "the same set. -1 draws a new set for this session.")
    quiz_level: int = setting(1, choices=(1, 2, 3),
                              help="1: one layer; 2: Bidirectional and merge modes; 3: stacks of "
                                   "1–3 layers.")


DEFAULT_MODEL = "Embedding(1000, 64)\nLSTM(128)\nDense(10, activation='softmax')"  # seed 000


@dataclass(frozen=True)
class BuilderSettings(Settings):
    """/parameters' model builder: the text a student typed travels in the link too."""
    model_preset: str = setting("seed000_lstm", choices=(  # == ui.classroom.builder.PRESETS (tested)
        "seed000_lstm", "seed000_gru", "seed000_bidirectional", "seed001_simple_rnn",
        "seed002_hihello"))
    model_spec: str = setting(DEFAULT_MODEL, min_len=1, max_len=2000)
    model_input_shape: str = setting("(None, None)", min_len=1, max_len=100)


SETTINGS_CLASSES = (Config, TrainingSettings, ViewSettings, QuizSettings, BuilderSettings)
