"""The one shared configuration of the app: sidebar widgets <-> session state <-> URL.

Stable contract for the browser tests and bench/bench_app.py (do not rename):

URL paths (st.Page url_path):
    /                home (pages/home.py)
    /shapes          pages/shapes.py
    /parameters      pages/parameters.py
    /hidden_states   pages/hidden_states.py
    /gates           pages/gates.py
    /cross_check     pages/cross_check.py
    /training        pages/training.py (issue 4, owned by another helper)

Sidebar widget keys == URL query parameters == Keras argument names where one exists
(all live in the sidebar, rendered by `sidebar()` on every page):
    cell              "SimpleRNN" | "LSTM" | "GRU"           (radio)        default LSTM
    units             int 1..256                              (number_input) default 8
    timesteps         int 1..200                              (number_input) default 10
    input_dim         int 1..128                              (number_input) default 4
    batch_size        int 1..64                               (number_input) default 2
    return_sequences  bool                                    (checkbox)     default false
    return_state      bool                                    (checkbox)     default false
    bidirectional     bool                                    (checkbox)     default false
    merge_mode        "concat" | "sum" | "mul" | "ave" | "None" (selectbox)  default concat
    go_backwards      bool                                    (checkbox)     default false
    stateful          bool                                    (checkbox)     default false
    seed              int 0..2**31-1                          (number_input) default 0
    preset            "random" | "train_X" | "sine" | "word" | "csv" (selectbox) default random
    word              str, the word for preset=word           (text_input)   default hihello
    init              "keras" | "constant"                    (radio)        default keras
    unit_forget_bias  bool (LSTM only)                        (checkbox)     default true
    reset_after       bool (GRU only)                         (checkbox)     default true
URL booleans accept true/false/1/0/yes/no. Only values that differ from the defaults are
written to the URL. An invalid value falls back to the default and shows an st.warning
whose text starts with "Ignored URL parameter".

Presets train_X (1, 4, 5), word (1, len(word), distinct letters) and csv (1, rows, columns)
fix batch_size/timesteps/input_dim; the sidebar then shows those values disabled.

The shapes page writes each output shape as text like "(2, 5, 8)" inside
st.container(key="output_shapes"); every page draws at least one st.plotly_chart.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import streamlit as st

CELLS = ("SimpleRNN", "LSTM", "GRU")
MERGE_MODES = ("concat", "sum", "mul", "ave", "None")
PRESETS = ("random", "train_X", "sine", "word", "csv")
PRESET_LABELS = {
    "random": "Seeded random",
    "train_X": "Notebook train_X (seed 004)",
    "sine": "Sine waves",
    "word": "One-hot characters of a word",
    "csv": "Uploaded CSV (timesteps × features)",
}
INITS = ("keras", "constant")
INIT_LABELS = {"keras": "Keras defaults (seeded)", "constant": "Constant 0.1 (seed 004)"}

LIMITS = {  # inclusive ranges for the integer parameters
    "units": (1, 256),
    "timesteps": (1, 200),
    "input_dim": (1, 128),
    "batch_size": (1, 64),
    "seed": (0, 2**31 - 1),
}
MAX_WORD = 40


@dataclass(frozen=True)
class Config:
    """Everything the pages need to rebuild the same layer and input."""
    cell: str = "LSTM"                # which recurrent layer
    units: int = 8                    # size of h_t (and c_t)
    timesteps: int = 10               # sequence length T
    input_dim: int = 4                # features per timestep
    batch_size: int = 2               # sequences per batch
    return_sequences: bool = False    # Keras default: only the last h_t
    return_state: bool = False        # append the final states to the outputs
    bidirectional: bool = False       # wrap in layers.Bidirectional
    merge_mode: str = "concat"        # Bidirectional merge ("None" = keep both)
    go_backwards: bool = False        # process the sequence from the end
    stateful: bool = False            # keep the final state for the next batch
    seed: int = 0                     # initializer and random-input seed
    preset: str = "random"            # input preset (see PRESETS)
    word: str = "hihello"             # word for preset="word" (seed 002)
    init: str = "keras"               # weight initializers (see INITS)
    unit_forget_bias: bool = True     # LSTM: forget-gate bias starts at 1
    reset_after: bool = True          # GRU: reset gate after the recurrent matmul

    @property
    def merge(self) -> str | None:
        """merge_mode as Keras wants it (None instead of "None")."""
        return None if self.merge_mode == "None" else self.merge_mode

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.batch_size, self.timesteps, self.input_dim)


DEFAULTS = Config()
KEYS = tuple(f.name for f in dataclasses.fields(Config))
_TYPES = {f.name: type(getattr(DEFAULTS, f.name)) for f in dataclasses.fields(Config)}
_CHOICES = {"cell": CELLS, "merge_mode": MERGE_MODES, "preset": PRESETS, "init": INITS}
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def parse_value(key: str, raw: str):
    """Parse one URL value; raise ValueError naming the key, value and expectation."""
    kind = _TYPES[key]
    text = raw.strip()
    if kind is bool:
        if text.lower() in _TRUE:
            return True
        if text.lower() in _FALSE:
            return False
        raise ValueError(f"{key}: got {raw!r}, expected true or false")
    if kind is int:
        lo, hi = LIMITS[key]
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"{key}: got {raw!r}, expected an integer in [{lo}, {hi}]") from None
        if not lo <= value <= hi:
            raise ValueError(f"{key}: got {raw!r}, expected an integer in [{lo}, {hi}]")
        return value
    if key in _CHOICES:
        for choice in _CHOICES[key]:  # case-insensitive, returns the canonical spelling
            if text.lower() == choice.lower():
                return choice
        raise ValueError(f"{key}: got {raw!r}, expected one of {', '.join(_CHOICES[key])}")
    if key == "word":
        if not text or len(text) > MAX_WORD:
            raise ValueError(f"word: got {raw!r}, expected 1 to {MAX_WORD} characters")
        return text
    raise ValueError(f"{key}: unknown parameter")


def to_url_value(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def apply_query_params() -> list[str]:
    """Copy URL values into session state (before the widgets exist); return warnings.

    Runs on every script run; acts only when the URL differs from what this session last
    wrote, i.e. on the first load of a shared link (a page switch clears the URL, which
    changes nothing because absent keys keep their current values).
    """
    state = st.session_state
    url = st.query_params.to_dict()
    warnings = []
    if url != state.get("_url_written"):
        for key in KEYS:
            if key not in url:
                continue
            try:
                state[key] = parse_value(key, url[key])
            except ValueError as err:
                state[key] = getattr(DEFAULTS, key)
                warnings.append(f"Ignored URL parameter — {err}; using the default "
                                f"{to_url_value(getattr(DEFAULTS, key))}.")
    for key in KEYS:
        state.setdefault(key, getattr(DEFAULTS, key))
    if warnings:
        state["_url_warnings"] = warnings
        state.pop("_url_warned_config", None)
    return warnings


def url_warnings(cfg: Config) -> list[str]:
    """Warnings about ignored URL values, kept visible (across page switches) until the
    learner changes the configuration."""
    state = st.session_state
    if not state.get("_url_warnings"):
        return []
    state.setdefault("_url_warned_config", cfg)
    if state["_url_warned_config"] != cfg:
        state.pop("_url_warnings")
        return []
    return state["_url_warnings"]


def write_query_params(cfg: Config) -> None:
    """Mirror the config into the URL (only non-default values, so links stay short)."""
    url = {key: to_url_value(getattr(cfg, key)) for key in KEYS
           if getattr(cfg, key) != getattr(DEFAULTS, key)}
    st.session_state["_url_written"] = url
    current = {k: v for k, v in st.query_params.to_dict().items() if k not in KEYS}
    if st.query_params.to_dict() != {**current, **url}:
        st.query_params.from_dict({**current, **url})


def ensure_app_navigation() -> None:
    """Run pages through app.py even when a page URL is the server's very first request.

    With a pages/ directory Streamlit starts in its legacy mode and runs pages/<name>.py
    directly (no shared sidebar) until some session runs app.py's st.navigation. A page that
    finds itself in that mode switches it off and reruns, which executes app.py for the same
    URL path.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def current() -> Config:
    """The config as held in session state (the sidebar has already run this rerun)."""
    ensure_app_navigation()
    state = st.session_state
    return Config(**{key: state.get(key, getattr(DEFAULTS, key)) for key in KEYS})


def _reseed() -> None:
    # A callback runs before the widgets, so it may change the seed widget's value.
    st.session_state["seed"] = int(st.session_state.get("seed", 0) * 7919 + 1) % 2**31


def sidebar() -> Config:
    """Render the shared config widgets in the sidebar and return the config."""
    from ui import inputs  # small module; kept out of import time of ui.config

    state = st.session_state
    sb = st.sidebar
    sb.header("Layer")
    sb.radio("cell", CELLS, key="cell", horizontal=True,
             help="Which Keras recurrent layer: layers.SimpleRNN, layers.LSTM or layers.GRU.")
    sb.number_input("units", *LIMITS["units"], key="units",
                    help="Size of the hidden state h_t (and of c_t for LSTM).")
    sb.checkbox("return_sequences", key="return_sequences",
                help="Return h_t for every timestep instead of only the last one.")
    sb.checkbox("return_state", key="return_state",
                help="Also return the final state(s): h (and c for LSTM).")
    sb.checkbox("go_backwards", key="go_backwards",
                help="Read the sequence from the last timestep to the first.")
    sb.checkbox("stateful", key="stateful",
                help="Keep the final state as the next batch's initial state.")
    sb.checkbox("bidirectional", key="bidirectional",
                help="Wrap in layers.Bidirectional: a forward and a backward copy.")
    sb.selectbox("merge_mode", MERGE_MODES, key="merge_mode", disabled=not state["bidirectional"],
                 help="How Bidirectional combines the two directions.")

    sb.header("Input")
    sb.selectbox("preset", PRESETS, key="preset", format_func=PRESET_LABELS.get,
                 help="What x is: (batch_size, timesteps, input_dim) values.")
    fixed = inputs.sidebar_preset_inputs(sb, state)   # word box / CSV upload; fixed shape
    if fixed is not None:
        state["batch_size"], state["timesteps"], state["input_dim"] = fixed
    for key in ("batch_size", "timesteps", "input_dim"):
        sb.number_input(key, *LIMITS[key], key=key, disabled=fixed is not None)

    sb.header("Weights")
    sb.radio("init", INITS, key="init", format_func=INIT_LABELS.get, horizontal=True,
             help="Keras's default initializers (glorot_uniform, orthogonal, zeros), seeded, "
                  "or every kernel/recurrent weight 0.1 and bias 0 like seed 004's notebook.")
    col1, col2 = sb.columns([3, 2], vertical_alignment="bottom")
    col1.number_input("seed", *LIMITS["seed"], key="seed",
                      help="Seeds the initializers and the random input.")
    col2.button("Re-seed", on_click=_reseed, key="reseed")
    sb.checkbox("unit_forget_bias", key="unit_forget_bias", disabled=state["cell"] != "LSTM",
                help="LSTM: add 1 to the forget gate's bias at initialization.")
    sb.checkbox("reset_after", key="reset_after", disabled=state["cell"] != "GRU",
                help="GRU: apply the reset gate after the recurrent matmul "
                     "(Keras default, cuDNN-compatible, two bias rows).")
    sb.caption(":material/link: The page's URL holds this configuration: copy it to share "
               "exactly this view.")
    cfg = current()
    write_query_params(cfg)
    return cfg
