"""The current layer and input for the config: the one place pages get their numbers from."""
from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np
import streamlit as st

from rnn_core import cells, initializers, layers
from ui import budget, equations, inputs, sidebar
from ui.chart import chart
from ui.settings import Config, ViewSettings

# seed 004's notebook: every kernel and recurrent weight 0.1, bias 0
CONSTANT_KERNEL = 0.1
CONSTANT_BIAS = 0.0


def recurrent_layer(cfg: Config, **overrides):
    """The unwrapped SimpleRNN/LSTM/GRU for the config (``overrides`` replace config values)."""
    kwargs = dict(return_sequences=cfg.return_sequences, return_state=cfg.return_state,
                  go_backwards=cfg.go_backwards, stateful=cfg.stateful, seed=cfg.seed)
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


def build_layer(cfg: Config, **overrides):
    """The built layer for the config (Bidirectional-wrapped when asked); raises ValueError."""
    layer = recurrent_layer(cfg, **overrides)
    if cfg.bidirectional:
        layer = layers.Bidirectional(layer, merge_mode=cfg.merge)
    # stateful layers need a fixed batch size, as in Keras
    layer.build((cfg.batch_size if cfg.stateful else None, cfg.timesteps, cfg.input_dim))
    return layer


@dataclass
class Lab:
    cfg: Config
    layer: object       # built rnn_core layer, states untouched
    x: np.ndarray       # (batch, timesteps, features)

    def trace(self):
        """Every step of the layer on x (a stateful layer advances, as in a Keras call)."""
        return self.layer.trace(self.x)

    def fresh_layer(self):
        """Same weights, no carried state: a copy that nothing else touches."""
        layer = build_layer(self.cfg)
        layer.set_weights(self.layer.get_weights())
        return layer


def current(cfg: Config) -> Lab:
    """Layer and input for ``cfg``; on a bad config shows st.error and stops the page."""
    try:
        budget.check_config(cfg)  # before anything is allocated
        layer = build_layer(cfg)
        x = inputs.make_input(cfg, st.session_state.get("_csv_x"))
    except ValueError as err:
        st.error(f"This configuration is not valid: {err}")
        st.stop()
    return Lab(cfg, layer, x)


STEP_FUNCTIONS = {"SimpleRNN": cells.simple_rnn_step, "LSTM": cells.lstm_step, "GRU": cells.gru_step}


def show_source(cell_name: str) -> None:
    """An expander with the exact rnn_core step function that produced the numbers."""
    step = STEP_FUNCTIONS[cell_name]
    with st.expander(f"Show the source: rnn_core.cells.{step.__name__}"):
        st.caption("The layer computes x_t·kernel + bias for all timesteps with one matmul, "
                   "then calls this function once per timestep.")
        st.code(inspect.getsource(step), language="python")


def sample_picker(batch: int) -> int:
    """The batch index the step-through shows (URL ``sample``), clamped to the batch."""
    state = st.session_state
    state["sample"] = min(state.get("sample", 0), batch - 1)
    return int(sidebar.widget(ViewSettings, "sample", "sample (batch index)", hi=max(batch - 1, 0),
                              disabled=batch == 1))


def current_step(timesteps: int) -> int:
    """The one current step of the page (URL ``step``; -1 or too large = the last step)."""
    step = int(st.session_state.get("step", -1))
    return timesteps - 1 if step < 0 or step >= timesteps else step


KEYBOARD = ("Keyboard: ← / → step back and forward, Space plays and pauses, Home / End jump to the "
            "first and last step (no need to click first; not while typing in a box).")


def step_through(key: str, fig: dict, panel, step: int) -> None:
    """The page's step-through: chart and equations panel on one step, in the browser."""
    chart(fig, key=key, steps=panel, start=step, url_step=True)
    st.caption(KEYBOARD)


def step_panel(current: Lab, trace, sample: int, note: str = ""):
    """The equations of every step of ``trace`` (forward direction when Bidirectional)."""
    weights = current.layer.get_weights()
    if current.cfg.bidirectional:
        weights = weights[:len(weights) // 2]
        note = (note + " · " if note else "") + "forward direction shown"
    return equations.step_panel(trace, weights, sample, reset_after=current.cfg.reset_after,
                                note=note)
