"""The current model and input for the config: the one place pages get their numbers from."""
from __future__ import annotations

import copy
import dataclasses
import functools
import hashlib
import inspect
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import streamlit as st

from rnn_core import Sequential, SequentialTrace, initializers, layers
from ui.controls import inputs, keys, sidebar
from ui.controls.settings import Config, ViewSettings
from ui.drawing import equations
from ui.runtime import budget, guard
from ui.runtime.chart import chart

# seed 004's notebook: every kernel and recurrent weight 0.1, bias 0
CONSTANT_KERNEL = 0.1
CONSTANT_BIAS = 0.0


def recurrent_layer(cfg: Config, index: int = 0, **overrides):
    """The unwrapped SimpleRNN/LSTM/GRU number ``index`` (0 = bottom) of the config's stack.

    The config's return_sequences/return_state are the top layer's; a lower layer returns its
    whole sequence (``lower_return_sequences``) and no states, because the layer above reads one
    tensor of shape (batch, timesteps, features). ``overrides`` replace config values."""
    top = index == cfg.layers - 1
    kwargs = dict(return_sequences=cfg.return_sequences if top else cfg.lower_return_sequences,
                  return_state=cfg.return_state and top, go_backwards=cfg.go_backwards,
                  stateful=cfg.stateful,
                  seed=cfg.seed + 2 * index,  # + 1 is a Bidirectional's backward copy
                  name=layers.keras_name(getattr(layers, cfg.cell).keras_name, index),
                  activation=cfg.activation, use_bias=cfg.use_bias, unroll=cfg.unroll,
                  dropout=cfg.dropout, recurrent_dropout=cfg.recurrent_dropout)
    if cfg.cell != "SimpleRNN":  # SimpleRNN has no gates, and Keras no such argument for it
        kwargs["recurrent_activation"] = cfg.recurrent_activation
    if cfg.init == "constant":
        kwargs.update(kernel_initializer=initializers.Constant(CONSTANT_KERNEL),
                      recurrent_initializer=initializers.Constant(CONSTANT_KERNEL),
                      bias_initializer=initializers.Constant(CONSTANT_BIAS))
    if cfg.cell == "LSTM":
        kwargs["unit_forget_bias"] = cfg.unit_forget_bias
    if cfg.cell == "GRU":
        kwargs["reset_after"] = cfg.reset_after
    kwargs.update(overrides)
    return getattr(layers, cfg.cell)(cfg.units, **kwargs)


def build_model(cfg: Config, **overrides) -> Sequential:
    """THE model for a config: [Masking(0.0) when lengths are set] + ``cfg.layers`` recurrent
    layers (Bidirectional-wrapped when asked), built for the config's input shape.

    Raises ValueError: bad lengths, merge_mode=None under a stacked layer, or Keras's own
    error when a lower layer does not return sequences (``lower_return_sequences=False``)."""
    masking = [layers.Masking(0.0, name="masking")] if cfg.valid_lengths() else []
    if cfg.layers > 1 and cfg.bidirectional and cfg.merge is None:
        raise ValueError("merge_mode: got None, expected concat, sum, mul or ave with stacked "
                         "layers: merge_mode=None returns two tensors, the layer above reads one")
    stack = []
    for i in range(cfg.layers):
        layer = recurrent_layer(cfg, i, **overrides)
        if cfg.bidirectional:
            layer = layers.Bidirectional(layer, merge_mode=cfg.merge,
                                         name=layers.keras_name("bidirectional", i))
        stack.append(layer)
    # stateful layers need a fixed batch size, as in Keras
    shape = (cfg.batch_size if cfg.stateful else None, cfg.timesteps, cfg.input_dim)
    return Sequential(masking + stack, name="lab").build(shape)


def build_layer(cfg: Config, **overrides):
    """The one built layer of a single-layer, unpadded config (through ``build_model``)."""
    return build_model(dataclasses.replace(cfg, layers=1, lengths=""), **overrides).layers[-1]


def encoder_decoder(cfg: Config):
    """Seed 000's pair for the config's cell: an encoder with return_state=True (its final states
    are the decoder's initial_state) and a decoder with the config's return_sequences."""
    common = dict(go_backwards=False, stateful=False)
    encoder = recurrent_layer(cfg, 0, return_sequences=False, return_state=True, name="encoder",
                              **common)
    decoder = recurrent_layer(cfg, 1, return_sequences=cfg.return_sequences, return_state=False,
                              name="decoder", **common)
    return encoder, decoder


def pad(x: np.ndarray, lengths: tuple[int, ...]) -> np.ndarray:
    """x with zeros after each sample's length: the padding Masking(0.0) recognises."""
    if not lengths:
        return x
    x = x.copy()  # (batch, timesteps, features)
    x[np.arange(x.shape[1])[None, :] >= np.array(lengths)[:, None]] = 0.0
    return x


@dataclass
class Lab:
    cfg: Config
    model: Sequential   # built: [Masking] + the stack of recurrent layers; states untouched
    x: np.ndarray       # (batch, timesteps, features), zero-padded after each length
    _stateful_trace: SequentialTrace | None = field(default=None, init=False, repr=False,
                                                    compare=False)

    @property
    def stack(self) -> list:
        """The recurrent layers, bottom first."""
        return [layer for layer in self.model.layers if layer.directions]

    @property
    def layer(self):
        """The bottom recurrent layer: the one that reads x (the only one when layers=1)."""
        return self.stack[0]

    @property
    def mask(self) -> np.ndarray | None:
        """(batch, timesteps) what Masking(0.0) computes from x (True = a real step), or None."""
        first = self.model.layers[0]
        return first.compute_mask(self.x) if isinstance(first, layers.Masking) else None

    def layer_shapes(self) -> list[tuple[object, tuple, tuple | list]]:
        """(layer, input shape, output shape(s)) for every layer, with the actual batch size."""
        rows, shape = [], self.x.shape
        for layer in self.model.layers:
            out = layer.compute_output_shape(shape)
            rows.append((layer, shape, out))
            shape = out[0] if isinstance(out, list) else out  # the next layer reads the output
        return rows

    def model_trace(self) -> SequentialTrace:
        """Every layer on x, masks included (a stateful model advances, as a Keras call does).

        A stateless model's trace depends only on the config and x: it is computed once and
        shared, read-only, by every session (a class on one link costs one computation)."""
        if self.cfg.stateful:  # its carried state is this session's own
            # One Lab is one call: a fragment's rerun reuses the Lab of the page's last full run
            # and must show that run's numbers, not advance the state a second time.
            if self._stateful_trace is None:
                self._stateful_trace = self.model.trace(self.x)
            return self._stateful_trace
        digest = hashlib.sha1(self.x.tobytes()).hexdigest()
        return _shared_trace(self.cfg, digest, self.x)

    def trace(self, layer_index: int = 0):
        """Every step of recurrent layer ``layer_index`` (0 = bottom) on what it receives."""
        return self.model_trace().recurrent[layer_index].trace

    def fresh_model(self) -> Sequential:
        """Same weights, no carried state: a copy that nothing else touches."""
        model = build_model(self.cfg)
        for new, old in zip(model.layers, self.model.layers):
            new.set_weights(old.get_weights())
        return model

    def fresh_layer(self):
        """The bottom layer's fresh copy (see ``fresh_model``)."""
        return [layer for layer in self.fresh_model().layers if layer.directions][0]

    def check_parts(self) -> list[tuple[str, object, np.ndarray, np.ndarray | None]]:
        """What the TensorFlow cross-check runs: (label, fresh layer, its input, its mask) for
        every recurrent layer. A layer above the first receives the output of ours below it;
        each layer is checked on its own, so together they check the whole stack."""
        model = self.fresh_model()
        fresh = [copy.deepcopy(layer) for layer in model.layers if layer.directions]  # unrun
        entries = model.trace(self.x).recurrent
        return [(f"layer {i + 1}" if len(entries) > 1 else "", layer, e.x, e.mask)
                for i, (layer, e) in enumerate(zip(fresh, entries))]


@st.cache_resource(max_entries=64, show_spinner=False)
def _shared_trace(cfg: Config, x_digest: str, _x: np.ndarray) -> SequentialTrace:
    """The trace of a fresh model for (config, x), its arrays made read-only: shared by sessions."""
    return _read_only(build_model(cfg).trace(_x))


def _read_only(obj, seen=None):
    """Mark every NumPy array reachable through dataclasses, dicts, lists and tuples read-only."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return obj
    seen.add(id(obj))
    if isinstance(obj, np.ndarray):
        obj.flags.writeable = False
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            _read_only(getattr(obj, f.name), seen)
    elif isinstance(obj, dict):
        for value in obj.values():
            _read_only(value, seen)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            _read_only(value, seen)
    return obj


def explain_build_error(cfg: Config, err: ValueError) -> None:
    """The error Keras itself raises, then why (for the commonest stacking mistake)."""
    if cfg.layers > 1 and not cfg.lower_return_sequences:
        st.error(f"Keras: `ValueError: {err}`", icon=":material/error:")
        st.markdown(
            f"**Why:** with `return_sequences=False` layer 1 returns only its last h, of shape "
            f"`(batch, units)` = `(None, {cfg.units * (2 if cfg.bidirectional and cfg.merge == 'concat' else 1)})`: "
            "one vector per sample, the time axis is gone. A recurrent layer reads a *sequence*, "
            "`(batch, timesteps, features)` (ndim=3), so layer 2 has nothing to loop over. "
            "**Fix:** give every layer below the top `return_sequences=True` (tick *lower layers "
            "return sequences* in the sidebar); only the top layer decides whether the model "
            "returns one h or all of them.")
    else:
        st.error(f"This configuration is not valid: {err}")


def current(cfg: Config) -> Lab:
    """Model and input for ``cfg``; on a bad config shows st.error and stops the page."""
    try:
        budget.check_config(cfg)  # before anything is allocated
        model = build_model(cfg)
        x = pad(inputs.make_input(cfg, st.session_state.get(keys.CSV_X)), cfg.valid_lengths())
    except ValueError as err:
        explain_build_error(cfg, err)
        st.stop()
    return Lab(cfg, model, x)


def show_source(cell_name: str) -> None:
    """An expander with the whole layer in two short functions: rnn_core's one time loop
    (``RNN._loop``) and the cell's step function that produced the numbers."""
    cell = layers.CELL_CLASS[cell_name]
    step = cell.step_function
    with st.expander(f"Show the source: rnn_core.cells.{step.__name__}"):
        st.caption(f"A {cell_name} layer is `RNN({cell.keras_class})`: it computes x_t·kernel + "
                   "bias for all timesteps with one matmul, then `RNN._loop` calls the cell's step "
                   f"once per timestep, and `{cell.keras_class}.step` calls "
                   f"`rnn_core.cells.{step.__name__}` with the cell's weights.")
        st.code(inspect.getsource(layers.RNN._loop), language="python")
        st.code(inspect.getsource(step), language="python")


def sample_picker(batch: int) -> int:
    """The batch index the step-through shows (URL ``sample``), clamped to the batch."""
    state = st.session_state
    state["sample"] = min(state.get("sample", 0), batch - 1)
    return int(sidebar.widget(ViewSettings, "sample", "sample (batch index)", hi=max(batch - 1, 0),
                              disabled=batch == 1))


def current_step(timesteps: int) -> int:
    """The one current step of the page (URL ``step``; -1 = the last step). A step past a
    shortened sequence becomes its last step, in the URL too, so URL and player agree."""
    state = st.session_state
    step = int(state.get("step", -1))
    if step >= timesteps:
        state["step"] = step = timesteps - 1
    return timesteps - 1 if step < 0 else step


KEYBOARD = ("Keyboard: ← / → step back and forward, Space plays and pauses, Home / End jump to the "
            "first and last step (no need to click first; not while typing in a box).")
STEP_REPORT = "step_report"  # the element that reports the browser's step (ui/js/step_report.js)
SETTLE_MS = 800              # ▶ Play: report once the frames (600 ms apart) have stopped

_step_report = st.components.v2.component(
    "rnnlab_step_report",
    js=(Path(__file__).resolve().parents[1] / "js" / "step_report.js").read_text(encoding="utf-8"))


def step_through(key: str, fig: dict, panel, step: int) -> None:
    """The page's step-through: chart and equations panel on one step, in the browser.

    The browser owns the step between runs: each step a student moves to is reported back by a
    fragment of its own (no full rerun), so the next run of the page, whatever triggers it,
    draws the player on that step and the URL says the same."""
    chart(fig, key=key, panel=panel, start=step, url_step=True)
    _step_reporter(key, len(panel.values) if panel is not None else step + 1)
    st.caption(KEYBOARD)


def _take_reported_step() -> None:
    # A widget callback: runs before the script, in the run that carries the report (the
    # fragment's own, or the full run of a click that came first).
    st.session_state["step"] = int(st.session_state[STEP_REPORT]["step"])


@st.fragment
@guard.guarded
def _step_reporter(player: str, timesteps: int) -> None:
    _step_report(key=STEP_REPORT, data={"step": current_step(timesteps), "player": player,
                                        "settle_ms": SETTLE_MS},
                 on_step_change=_take_reported_step, height=0)
    sidebar.write_query(sidebar.settings(ViewSettings))  # a fragment run skips the sidebar's


def view_fragment(draw):
    """``draw(current)`` as the page's view fragment: the step-through and everything below it.

    Its own widgets (layer and sample pickers, a page's show_* toggles, the exports button) rerun
    only this fragment, not the sidebar, title, tour and status above it. ``draw`` receives the
    ``Lab`` of the page's last full run: every config change is a sidebar widget, which reruns
    the whole page. ``draw`` returns early instead of calling st.stop(), which in a fragment
    would end the rest of the page's full run too."""
    @st.fragment
    @guard.guarded
    @functools.wraps(draw)
    def part(current: Lab) -> None:
        # A fragment run skips the sidebar's write. The step report nested below writes it too,
        # but only where a step-through is drawn; first, so the exports' link reads this view.
        sidebar.write_query(sidebar.settings(ViewSettings))
        draw(current)
    return part


def layer_picker(n_layers: int) -> int:
    """Which stacked layer the step-through shows (URL ``layer_index``, 0 = bottom), clamped."""
    state = st.session_state
    state["layer_index"] = min(int(state.get("layer_index", 0)), n_layers - 1)
    if n_layers == 1:
        return 0
    names = {0: " (bottom: reads x)", n_layers - 1: " (top)"}
    return int(st.selectbox("layer", range(n_layers), key="layer_index",
                            format_func=lambda i: f"layer {i + 1}{names.get(i, '')}",
                            help=ViewSettings.spec("layer_index")["help"]))


def step_pickers(current: Lab) -> tuple[int, int, int, object]:
    """The layer and sample pickers under the step-through (which the caller draws later in a
    container placed above them), the step, and the picked layer's trace:
    (layer_index, sample, step, trace)."""
    cfg = current.cfg
    batch, timesteps, _ = current.x.shape
    with st.container(horizontal=True):
        layer_index = layer_picker(cfg.layers)
        sample = sample_picker(batch)
    if cfg.layers > 1:
        st.caption(f"Layer {layer_index + 1} of {cfg.layers}: " + (
            "it reads x." if layer_index == 0 else
            f"its x_t is layer {layer_index}'s h_t (the lower layers return sequences)."))
    return layer_index, sample, current_step(timesteps), current.trace(layer_index)


def padded_note(trace, sample: int) -> str:
    """What the step-through says about the padded steps of ``sample`` ('' when none)."""
    mask = trace.directions[0].mask  # (batch, timesteps) processing order, or None
    if mask is None or mask[sample].all():
        return ""
    padded = np.flatnonzero(~mask[sample])  # processing order
    return (f"Steps {padded[0]}–{padded[-1]} of sample {sample} are padding (greyed): the mask "
            "skips them, so every state is carried through unchanged (the cell's gates are still "
            "computed there, then discarded)." if len(padded) > 1 else
            f"Step {padded[0]} of sample {sample} is padding (greyed): its state is carried "
            "through unchanged.")


def step_panel(current: Lab, trace, sample: int, note: str = "", layer_index: int = 0):
    """The equations of every step of ``trace`` (forward direction when Bidirectional), with the
    weights of stacked layer ``layer_index``."""
    cfg = current.cfg
    weights = current.stack[layer_index].get_weights()
    where = []  # the panel names its layer and direction (the sample it names itself)
    if cfg.layers > 1:
        where.append(f"layer {layer_index + 1} of {cfg.layers}")
    if cfg.bidirectional:
        weights = weights[:len(weights) // 2]
        where.append("forward direction")
    return equations.step_panel(trace, weights, sample, reset_after=cfg.reset_after,
                                note=note, activation=cfg.activation,
                                recurrent_activation=cfg.recurrent_activation,
                                where=" · ".join(where))
