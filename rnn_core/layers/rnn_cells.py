"""The cells, as Keras's SimpleRNNCell, LSTMCell and GRUCell: ONE timestep of a recurrent layer.

A cell owns its weights in Keras's layout (``kernel`` (input_dim, G·units), ``recurrent_kernel``
(units, G·units), ``bias``), its facts as class attributes (gate names, state names, number of
gate blocks G, Keras class) and its step: the pure function from ``rnn_core.cells``.
``RNN`` (``rnn_core.layers.rnn``) is the time loop around a cell; ``LSTM(n)`` is
``RNN(LSTMCell(n))``.
"""
from __future__ import annotations

import numpy as np

from .. import _checks, activations, backprop, cells, initializers
from .base import Layer

# Layer arguments about the sequence: they belong to RNN(cell, ...), not to a cell.
SEQUENCE_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful",
                 "zero_output_for_mask", "unroll")


def step_input_shape(input_shape):
    """A cell's input shape: (batch, features) with the features known."""
    shape = _checks.input_shape("input_shape", input_shape)
    if len(shape) != 2 or shape[1] is None:
        _checks.fail("input_shape", shape, "(batch, features) with known features, e.g. (None, 10)")
    return shape


class Cell(Layer):
    """One timestep: ``cell(x_t, states) -> (h_t, new_states)``; subclasses set the facts."""

    # --- facts: what Keras's cell of this kind is (tests compare them with Keras) ---------------
    keras_class: str                # the Keras class this cell mirrors, e.g. "LSTMCell"
    cell_name: str                  # the layer that is RNN(this cell): "LSTM" in traces and pages
    n_gates: int                    # column blocks in kernel: 1, 4 (i, f, c, o) or 3 (z, r, h)
    gate_names: tuple[str, ...] = ()
    gate_symbols: tuple[str, ...] = ()  # the gates' letters in Keras's docs: i, f, c, o / z, r, h
    state_names: tuple[str, ...] = ("h",)
    step_function = None            # the maths: this cell's pure step in rnn_core.cells
    step_backward_function = None   # its backward step for BPTT, in rnn_core.backprop

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", dropout=0.0, recurrent_dropout=0.0, seed=None,
                 name=None, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        self.units = _checks.positive_int("units", units)
        self.activation, self._activation = activations.get("activation", activation)
        self.recurrent_activation, self._recurrent_activation = activations.get(
            "recurrent_activation", recurrent_activation)
        self.use_bias = _checks.boolean("use_bias", use_bias)
        # Training-time arguments, kept for the config and the Keras twin: at inference Keras
        # applies no dropout.
        self.dropout = _checks.fraction("dropout", dropout)
        self.recurrent_dropout = _checks.fraction("recurrent_dropout", recurrent_dropout)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            _checks.fail("seed", seed, "an integer or None")
        self.seed = seed
        # Each weight gets its own stream so kernel and recurrent_kernel differ under one seed.
        sub_seed = (lambda k: None) if seed is None else (lambda k: int(seed) * 7 + k)
        self.kernel_initializer = initializers.get(kernel_initializer, sub_seed(0), "kernel_initializer")
        self.recurrent_initializer = initializers.get(
            recurrent_initializer, sub_seed(1), "recurrent_initializer")
        self.bias_initializer = initializers.get(bias_initializer, sub_seed(2), "bias_initializer")
        self.input_dim: int | None = None
        self._config = dict(units=units, activation=activation, use_bias=use_bias,
                            kernel_initializer=kernel_initializer,
                            recurrent_initializer=recurrent_initializer,
                            bias_initializer=bias_initializer, dropout=dropout,
                            recurrent_dropout=recurrent_dropout, seed=seed, dtype=dtype)

    @classmethod
    def refuse(cls, unknown: dict):
        """A cell takes no sequence argument and nothing another cell takes: name the argument."""
        for arg, value in unknown.items():
            if arg in SEQUENCE_ARGS:
                _checks.fail(arg, value, f"no such argument on {cls.__name__}: pass it to "
                                         f"RNN(cell, {arg}=...)")
            _checks.fail(arg, value, f"one of {cls.__name__}'s arguments")

    # --- facts that depend on units ------------------------------------------------------------
    @property
    def state_size(self):
        """As Keras: units for one state, [units, units] for LSTM's h and c."""
        return self.units if len(self.state_names) == 1 else [self.units] * len(self.state_names)

    @property
    def output_size(self):
        return self.units

    @property
    def bias_shape(self) -> tuple:
        return (self.n_gates * self.units,)

    # --- weights -------------------------------------------------------------------------------
    def _check_input_shape(self, input_shape):
        return step_input_shape(input_shape)

    def build(self, input_shape):
        """Create kernel, recurrent_kernel and bias for inputs of shape (batch, features)."""
        super().build(input_shape)
        self.input_dim = self.input_shape[1]
        return self

    def _bias_initializer(self):
        return self.bias_initializer

    def _weight_specs(self, input_shape):
        g_units = self.n_gates * self.units
        specs = [
            ("kernel", (input_shape[-1], g_units), self.kernel_initializer),
            ("recurrent_kernel", (self.units, g_units), self.recurrent_initializer),
        ]
        if self.use_bias:
            specs.append(("bias", self.bias_shape, self._bias_initializer()))
        return specs

    def _weights_changed(self):
        """Split Keras's side-by-side gate columns into one contiguous matrix per gate."""
        g, u = self.n_gates, self.units

        def per_gate(w):  # (rows, G·units) -> (G, rows, units)
            return np.ascontiguousarray(w.reshape(w.shape[0], g, u).transpose(1, 0, 2))

        kernel_g = per_gate(self._weights["kernel"])  # (G, input_dim, units)
        if self.use_bias:
            # The bias trick: b as one more row of W_x, met by a column of ones in x, so the
            # projection's matmul adds it instead of another pass over its large result.
            kernel_g = np.concatenate([kernel_g, self._input_bias().reshape(g, 1, u)], axis=1)
        self._projection_g = kernel_g  # (G, input_dim [+ 1], units)
        self._recurrent_kernel_g = per_gate(self._weights["recurrent_kernel"])  # (G, units, units)

    def _input_bias(self):
        return self._weights["bias"]  # (G·units,)

    # --- parameter count explained ------------------------------------------------------------
    def _explain(self, weight_name):
        gates = f" for the {self.n_gates} gates ({', '.join(self.gate_names)})" if self.n_gates > 1 else ""
        return {
            "kernel": f"W_x: input_dim × {self.n_gates}·units, maps each x_t into the layer{gates}",
            "recurrent_kernel": f"W_h: units × {self.n_gates}·units, maps h_(t−1) back in{gates}",
            "bias": f"b: one bias per unit{gates}",
        }[weight_name]

    def _per_gate_bias(self, symbolic):
        return "units" if symbolic else str(self.units)

    def _formula(self, symbolic):
        units, inp = ("units", "input_dim") if symbolic else (self.units, self.input_dim)
        inner = f"{units} × ({inp} + {units})"
        if self.use_bias:
            inner += f" + {self._per_gate_bias(symbolic)}"
        return inner if self.n_gates == 1 else f"{self.n_gates} × ({inner})"

    def get_config(self):
        return {**self._config, "name": self.name}

    # --- one step ------------------------------------------------------------------------------
    def check_states(self, argument, states, batch):
        """The states as a list of (batch, units) arrays of the cell's dtype, or a ValueError."""
        if isinstance(states, np.ndarray) and len(self.state_names) == 1:
            states = [states]
        if not isinstance(states, (list, tuple)) or len(states) != len(self.state_names):
            _checks.fail(argument, type(states).__name__ if not isinstance(states, (list, tuple))
                         else f"{len(states)} arrays",
                         f"a list of {len(self.state_names)} arrays ({', '.join(self.state_names)}) "
                         f"of shape (batch, units)")
        checked = []
        for name, s in zip(self.state_names, states):
            s = _checks.array(f"{argument} ({name})", s, rank=2).astype(self.dtype, copy=False)
            if s.shape != (batch, self.units):
                _checks.fail(f"{argument} ({name})", s, f"shape {(batch, self.units)} (batch, units)")
            checked.append(s)
        return checked

    def project_inputs(self, x_steps):
        """x_t·kernel + bias for every timestep at once: one (batched) matmul outside the loop.

        x_steps: (batch, timesteps, features) in processing order -> (G, timesteps, batch, units).
        """
        batch, timesteps, features = x_steps.shape
        rows = self._projection_g.shape[1]  # features, + 1 for the bias
        x_tm = np.empty((timesteps, batch, rows), self.dtype)  # time-major copy of x
        x_tm[:, :, :features] = x_steps.transpose(1, 0, 2)
        x_tm[:, :, features:] = 1.0  # the bias trick's column of ones, if any
        x_proj = np.matmul(x_tm.reshape(-1, rows), self._projection_g)  # (G, timesteps·batch, units)
        return x_proj.reshape(self.n_gates, timesteps, batch, self.units)  # (G, timesteps, batch, units)

    def step(self, x_proj_t, states, pre_t, act_t):
        """This cell's step function with its weights: (h_t, new_states).

        x_proj_t: (G, batch, units); pre_t, act_t: (G, batch, units) buffers the step writes its
        gate pre-activations and activations into (what a trace keeps)."""
        raise NotImplementedError

    def call(self, inputs, states):
        """One step. inputs x_t: (batch, features); states: [h_(t−1)] or [h_(t−1), c_(t−1)],
        (batch, units) each. Returns (h_t, new_states), new_states shaped like states."""
        x_t = _checks.array("inputs", inputs, rank=2).astype(self.dtype, copy=False)  # (batch, features)
        if not self.built:
            self.build((None, x_t.shape[1]))
        if x_t.shape[1] != self.input_dim:
            _checks.fail("inputs", x_t, f"last dimension {self.input_dim}: the cell was built for it")
        as_list = isinstance(states, (list, tuple))
        states = self.check_states("states", states, x_t.shape[0])  # [(batch, units)]
        x_proj_t = self.project_inputs(x_t[:, None, :])[:, 0]  # (G, batch, units)
        pre_t = np.empty_like(x_proj_t)  # (G, batch, units) gate pre-activations
        act_t = np.empty_like(x_proj_t)  # (G, batch, units) gate activations
        h_t, new_states = self.step(x_proj_t, states, pre_t, act_t)  # (batch, units), [(batch, units)]
        new_states = [s.copy() for s in new_states]  # a state may alias a scratch buffer
        return h_t.copy(), (new_states if as_list else new_states[0])


class SimpleRNNCell(Cell):
    """One step of SimpleRNN: h_t = activation(x_t·W_x + h_(t−1)·W_h + b)."""

    keras_name = "simple_rnn_cell"
    keras_class = "SimpleRNNCell"
    cell_name = "SimpleRNN"
    n_gates = 1
    step_function = staticmethod(cells.simple_rnn_step)
    step_backward_function = staticmethod(backprop.simple_rnn_step_backward)

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", dropout=0.0,
                 recurrent_dropout=0.0, seed=None, name=None, dtype="float32", **unknown):
        self.refuse(unknown)
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                         dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, name=name,
                         dtype=dtype)

    def step(self, x_proj_t, states, pre_t, act_t):
        h_t, new_states, _ = cells.simple_rnn_step(x_proj_t[0], states, self._recurrent_kernel_g[0],
                                                   self._activation, pre_t=pre_t[0], act_t=act_t[0])
        return h_t, new_states


class LSTMCell(Cell):
    """One step of LSTM (``cells.lstm_step``), Keras gate order i, f, c, o; states [h, c]."""

    keras_name = "lstm_cell"
    keras_class = "LSTMCell"
    cell_name = "LSTM"
    n_gates = 4
    gate_names = ("input", "forget", "candidate", "output")
    gate_symbols = ("i", "f", "c", "o")
    state_names = ("h", "c")
    step_function = staticmethod(cells.lstm_step)
    step_backward_function = staticmethod(backprop.lstm_step_backward)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, name=None, dtype="float32", **unknown):
        self.refuse(unknown)
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, dropout, recurrent_dropout, seed,
                         name, dtype)
        self.unit_forget_bias = _checks.boolean("unit_forget_bias", unit_forget_bias)
        self._config.update(recurrent_activation=recurrent_activation,
                            unit_forget_bias=unit_forget_bias)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, init = self.units, self.bias_initializer

        def forget_one(shape, dtype):
            # As Keras: the forget gate's bias starts at 1 whatever bias_initializer says.
            return np.concatenate([init((units,), dtype), np.ones((units,), dtype),
                                   init((2 * units,), dtype)])
        return forget_one

    def _explain(self, weight_name):
        text = super()._explain(weight_name)
        if weight_name == "bias" and self.unit_forget_bias:
            text += "; unit_forget_bias starts the forget block at 1"
        return text

    def step(self, x_proj_t, states, pre_t, act_t):
        h_t, new_states, _ = cells.lstm_step(x_proj_t, states, self._recurrent_kernel_g, self._activation,
                                             self._recurrent_activation, pre_t=pre_t, act_t=act_t)
        return h_t, new_states


class GRUCell(Cell):
    """One step of GRU (``cells.gru_step``), Keras gate order z, r, h; state [h]."""

    keras_name = "gru_cell"
    keras_class = "GRUCell"
    cell_name = "GRU"
    n_gates = 3
    gate_names = ("update", "reset", "candidate")
    gate_symbols = ("z", "r", "h")
    step_function = staticmethod(cells.gru_step)
    step_backward_function = staticmethod(backprop.gru_step_backward)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", dropout=0.0, recurrent_dropout=0.0, reset_after=True,
                 seed=None, name=None, dtype="float32", **unknown):
        self.refuse(unknown)
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, dropout, recurrent_dropout, seed,
                         name, dtype)
        self.reset_after = _checks.boolean("reset_after", reset_after)
        self._config.update(recurrent_activation=recurrent_activation, reset_after=reset_after)

    @property
    def bias_shape(self):
        # reset_after keeps a second bias for the recurrent side (cuDNN's layout).
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        bias = self._weights["bias"]  # (2, 3·units) or (3·units,)
        if not self.reset_after:
            return bias
        # z's and r's recurrent biases only ever add to their input side: fold them in there.
        folded = bias[0].copy()  # (3·units,)
        folded[:2 * self.units] += bias[1, :2 * self.units]
        return folded

    def _weights_changed(self):
        super()._weights_changed()
        with_recurrent_bias = self.use_bias and self.reset_after
        self._candidate_recurrent_bias = (self._weights["bias"][1, 2 * self.units:].reshape(1, self.units)
                                          if with_recurrent_bias else None)  # b_rec_h (1, units)

    def _per_gate_bias(self, symbolic):
        if self.reset_after:
            return "2 × units" if symbolic else f"2 × {self.units}"
        return super()._per_gate_bias(symbolic)

    def _explain(self, weight_name):
        if weight_name == "bias" and self.reset_after:
            return ("b: (2, 3·units) — reset_after=True keeps an input bias and a separate "
                    "recurrent bias, applied before the reset gate multiplies")
        return super()._explain(weight_name)

    def step(self, x_proj_t, states, pre_t, act_t):
        h_t, new_states, _ = cells.gru_step(x_proj_t, states, self._recurrent_kernel_g,
                                            self._candidate_recurrent_bias, self._activation,
                                            self._recurrent_activation, self.reset_after,
                                            pre_t=pre_t, act_t=act_t)
        return h_t, new_states


CELL_CLASSES = (SimpleRNNCell, LSTMCell, GRUCell)
CELLS = tuple(c.cell_name for c in CELL_CLASSES)  # ("SimpleRNN", "LSTM", "GRU"): the app's choices
CELL_CLASS = {c.cell_name: c for c in CELL_CLASSES}  # "LSTM" -> LSTMCell: a cell's facts by name
