"""The current layer and input for the config: the one place pages get their numbers from."""
from __future__ import annotations

import inspect
from dataclasses import dataclass

import numpy as np
import streamlit as st

from rnn_core import cells, initializers, layers
from ui import equations, inputs
from ui.settings import Config

# seed 004's notebook: every kernel and recurrent weight 0.1, bias 0
CONSTANT_KERNEL = 0.1
CONSTANT_BIAS = 0.0


def recurrent_layer(cfg: Config, **overrides):
    """The unwrapped SimpleRNN/LSTM/GRU for the config (``overrides`` replace config values)."""
    kwargs = dict(return_sequences=cfg.return_sequences, return_state=cfg.return_state,
                  go_backwards=cfg.go_backwards, stateful=cfg.stateful, seed=cfg.seed,
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


def step_controls(prefix: str, batch: int, timesteps: int) -> tuple[int, int]:
    """Sample and step pickers shared by the step-through pages; returns (sample, step k).

    The step defaults to the last one (the whole sequence drawn); values left over from a
    longer sequence or a bigger batch are clamped before the widgets are drawn.
    """
    state = st.session_state
    step_key, sample_key = f"{prefix}_step", f"{prefix}_sample"
    state[step_key] = min(state.get(step_key, timesteps - 1), timesteps - 1)
    state[sample_key] = min(state.get(sample_key, 0), batch - 1)
    col1, col2 = st.columns([1, 3])
    sample = col1.number_input("sample (batch index)", 0, batch - 1, key=sample_key,
                               disabled=batch == 1)
    step = col2.slider("step k (for the equations; ▶ Play in the chart animates every step)", 0,
                       max(timesteps - 1, 1), key=step_key, disabled=timesteps == 1)
    return int(sample), int(min(step, timesteps - 1))


SMALL_UNITS = 4  # "small config": the equations with numbers are shown without asking


def show_step_equations(prefix: str, current: Lab, trace, sample: int, step: int) -> None:
    """The cell's equations at step k with the actual numbers (forward direction when
    Bidirectional): always for small layers, on request otherwise (a dozen KaTeX blocks of
    long vectors slow every rerun down)."""
    units = current.cfg.units
    cut = f"; vectors cut to their first {equations.MAX_UNITS} units" if units > equations.MAX_UNITS else ""
    if units > SMALL_UNITS and not st.toggle(f"Show the equations with this step's numbers{cut}",
                                             key=f"{prefix}_show_equations"):
        return
    weights = current.layer.get_weights()
    if current.cfg.bidirectional:
        weights = weights[:len(weights) // 2]
        st.caption("Forward direction shown.")
    for line in equations.step_equations(trace, weights, sample, step,
                                         reset_after=current.cfg.reset_after,
                                         activation=current.cfg.activation,
                                         recurrent_activation=current.cfg.recurrent_activation):
        st.latex(line)
