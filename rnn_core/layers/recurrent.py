"""SimpleRNN, LSTM and GRU layers with Keras 3's arguments, weight layout and outputs.

The layer projects every timestep's input with one matmul, then loops over time calling the
pure step function from ``rnn_core.cells``; ``trace`` runs the same loop and keeps every step.
"""
from __future__ import annotations

import contextlib

import numpy as np

from .. import _blas, _checks, activations, cells, initializers
from ..trace import Trace
from .base import Layer


def check_sequence(x, dtype) -> np.ndarray:
    """x as a (batch, timesteps, features) array of ``dtype``, at least 1 × 1 × 1."""
    x = _checks.array("x", x, rank=3)
    if x.dtype.kind not in "fiub":
        _checks.fail("x", x.dtype.name, "a numeric array")
    x = x.astype(dtype, copy=False)  # (batch, timesteps, features)
    if min(x.shape) < 1:
        _checks.fail("x", x, "at least one sample, one timestep and one feature")
    return x


def check_mask(mask, batch, timesteps):
    """None, or the mask as a (batch, timesteps) bool array."""
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.shape != (batch, timesteps) or mask.dtype.kind not in "biu":
        _checks.fail("mask", mask, f"a boolean array of shape {(batch, timesteps)} (batch, timesteps)")
    return mask.astype(bool)  # (batch, timesteps)


class RNNLayer(Layer):
    """Shared machinery of the three recurrent layers (Keras's ``RNN`` + its cell)."""

    cell_name = "RNN"
    n_gates = 1                     # column blocks in kernel: 1, 4 (i, f, c, o) or 3 (z, r, h)
    gate_names: tuple[str, ...] = ()
    state_names: tuple[str, ...] = ("h",)

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, seed=None, name=None, dtype="float32",
                 zero_output_for_mask=False, dropout=0.0, recurrent_dropout=0.0, unroll=False):
        super().__init__(name=name, dtype=dtype)
        self._init_kwargs = dict(
            units=units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, seed=seed, dtype=dtype,
            dropout=dropout, recurrent_dropout=recurrent_dropout, unroll=unroll,
        )
        self.units = _checks.positive_int("units", units)
        self.activation, self._activation = activations.get("activation", activation)
        self.recurrent_activation, self._recurrent_activation = activations.get(
            "recurrent_activation", recurrent_activation)
        self.use_bias = _checks.boolean("use_bias", use_bias)
        self.return_sequences = _checks.boolean("return_sequences", return_sequences)
        self.return_state = _checks.boolean("return_state", return_state)
        self.go_backwards = _checks.boolean("go_backwards", go_backwards)
        self.stateful = _checks.boolean("stateful", stateful)
        self.zero_output_for_mask = _checks.boolean("zero_output_for_mask", zero_output_for_mask)
        # Training-time arguments, kept for the config and the Keras twin: at inference Keras
        # applies no dropout, and unrolling the loop computes the same numbers.
        self.dropout = _checks.fraction("dropout", dropout)
        self.recurrent_dropout = _checks.fraction("recurrent_dropout", recurrent_dropout)
        self.unroll = _checks.boolean("unroll", unroll)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            _checks.fail("seed", seed, "an integer or None")
        self.seed = seed
        # Each weight gets its own stream so kernel and recurrent_kernel differ under one seed.
        sub_seed = (lambda k: None) if seed is None else (lambda k: int(seed) * 7 + k)
        self.kernel_initializer = initializers.get(kernel_initializer, sub_seed(0), "kernel_initializer")
        self.recurrent_initializer = initializers.get(
            recurrent_initializer, sub_seed(1), "recurrent_initializer")
        self.bias_initializer = initializers.get(bias_initializer, sub_seed(2), "bias_initializer")
        self.states: list[np.ndarray] | None = None
        self.input_dim: int | None = None

    # --- shapes and weights --------------------------------------------------------------------
    def _check_input_shape(self, input_shape):
        shape = _checks.input_shape("input_shape", input_shape, rank=3)
        if shape[2] is None:
            _checks.fail("input_shape", shape, "a known feature size in the last position")
        return shape

    def _ensure_built(self, x_shape):
        if not self.built:  # a stateful layer's batch size is part of its state, as in Keras
            self.build(((x_shape[0] if self.stateful else None),) + tuple(x_shape[1:]))

    def build(self, input_shape):
        shape = self._check_input_shape(input_shape)
        if self.stateful and shape[0] is None:
            _checks.fail("input_shape", shape, "a known batch size: a stateful layer keeps one "
                                               "state per sample, e.g. (2, 5, 10)")
        super().build(shape)
        self.input_dim = self.input_shape[2]
        self.states = None
        return self

    def _bias_shape(self):
        return (self.n_gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def _weight_specs(self, input_shape):
        g_units = self.n_gates * self.units
        specs = [
            ("kernel", (input_shape[2], g_units), self.kernel_initializer),
            ("recurrent_kernel", (self.units, g_units), self.recurrent_initializer),
        ]
        if self.use_bias:
            specs.append(("bias", self._bias_shape(), self._bias_initializer()))
        return specs

    def compute_output_shape(self, input_shape):
        batch, timesteps, _ = self._check_input_shape(input_shape)
        output = (batch, timesteps, self.units) if self.return_sequences else (batch, self.units)
        if not self.return_state:
            return output
        return [output] + [(batch, self.units) for _ in self.state_names]

    def output_names(self) -> list[str]:
        names = ["whole_sequence_output" if self.return_sequences else "last_output"]
        if self.return_state:
            names += (["final_memory_state", "final_carry_state"] if len(self.state_names) == 2
                      else ["final_state"])
        return names

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            units=self.units, activation=self.activation, use_bias=self.use_bias,
            return_sequences=self.return_sequences, return_state=self.return_state,
            go_backwards=self.go_backwards, stateful=self.stateful, dropout=self.dropout,
            recurrent_dropout=self.recurrent_dropout, unroll=self.unroll,
        )
        return config

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

    # --- state -------------------------------------------------------------------------------
    def reset_state(self, states=None):
        """Zero the carried states (Keras ``reset_state``), or set them to ``states``."""
        if states is not None:
            batch = np.shape(states[0])[0] if isinstance(states, (list, tuple)) and states else None
            self.states = [s.copy() for s in self._check_states("states", states, batch)]
        elif self.states is not None:
            self.states = [np.zeros_like(s) for s in self.states]

    def _check_states(self, argument, states, batch):
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

    # --- running -----------------------------------------------------------------------------
    def _prepare(self, x, initial_state, mask):
        """Validate the call's arguments; return x, initial states and mask as arrays."""
        x = check_sequence(x, self.dtype)  # (batch, timesteps, features)
        batch, timesteps, features = x.shape
        self._ensure_built(x.shape)
        if features != self.input_dim:
            _checks.fail("x", x, f"last dimension {self.input_dim}: the layer was built for "
                                 f"input_dim={self.input_dim}")
        if initial_state is not None:
            states = self._check_states("initial_state", initial_state, batch)
        elif self.stateful and self.states is not None:
            if self.states[0].shape[0] != batch:
                _checks.fail("x", x, f"batch size {self.states[0].shape[0]}: a stateful layer keeps "
                                     f"its states' batch size (call reset_state(states) to change it)")
            states = self.states
        else:
            states = [np.zeros((batch, self.units), self.dtype) for _ in self.state_names]
        return x, states, check_mask(mask, batch, timesteps)

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

    def _project_inputs(self, x):
        """x·W_x + b for every timestep at once: one (batched) matmul outside the time loop.

        x: (batch, timesteps, features) -> (G, timesteps, batch, units), in processing order.
        """
        batch, timesteps, features = x.shape
        xs = x[:, ::-1] if self.go_backwards else x
        rows = self._projection_g.shape[1]  # features, + 1 for the bias
        x_tm = np.empty((timesteps, batch, rows), self.dtype)  # time-major copy of x
        x_tm[:, :, :features] = xs.transpose(1, 0, 2)
        x_tm[:, :, features:] = 1.0  # the bias trick's column of ones, if any
        x_proj = np.matmul(x_tm.reshape(-1, rows), self._projection_g)  # (G, timesteps·batch, units)
        return x_proj.reshape(self.n_gates, timesteps, batch, self.units)  # (G, timesteps, batch, units)

    def _input_bias(self):
        return self._weights["bias"]

    def _step(self, x_proj_t, states, z_t, a_t):
        raise NotImplementedError

    def _run(self, x, initial_state, mask, record):
        """The time loop shared by ``__call__`` and ``trace``."""
        x, states, mask = self._prepare(x, initial_state, mask)
        initial_states = [s.copy() for s in states]
        x_proj = self._project_inputs(x)  # (G, timesteps, batch, units)
        gates, timesteps, batch, _ = x_proj.shape
        mask_tm = None
        if mask is not None:
            mask_pm = mask[:, ::-1] if self.go_backwards else mask  # (batch, timesteps) step order
            mask_tm = np.ascontiguousarray(mask_pm.T)[:, :, None]  # (timesteps, batch, 1)
        # Written batch-major as it goes, so no transposed copy at the end.
        seq = np.empty((batch, timesteps, self.units), self.dtype) if self.return_sequences else None
        step_shape = (gates, batch, self.units)
        if record:
            z_all = np.empty((timesteps,) + step_shape, self.dtype)  # (timesteps, G, batch, units)
            a_all = np.empty((timesteps,) + step_shape, self.dtype)  # gate activations, same shape
            state_all = [np.empty((timesteps, batch, self.units), self.dtype) for _ in states]
        z_buf = np.empty(step_shape, self.dtype)  # (G, batch, units)
        a_buf = np.empty(step_shape, self.dtype)
        out_t = np.zeros((batch, self.units), self.dtype)  # Keras's output before step 0
        # Small steps never reach OpenBLAS's threading threshold, so only big ones pay for
        # pinning one thread.
        one_thread = _blas.single_thread() if batch * self.units >= 1024 else contextlib.nullcontext()
        with one_thread:
            for t in range(timesteps):
                z_t, a_t = (z_all[t], a_all[t]) if record else (z_buf, a_buf)
                h_t, new_states, _ = self._step(x_proj[:, t], states, z_t, a_t)
                if mask_tm is not None:
                    # Masked steps carry the state; the output repeats (or zeroes) the last output.
                    m_t = mask_tm[t]  # (batch, 1)
                    new_states = [np.where(m_t, new, old) for new, old in zip(new_states, states)]
                    out_t = np.where(m_t, h_t, 0.0 if self.zero_output_for_mask else out_t)
                else:
                    out_t = h_t
                states = new_states
                if seq is not None:
                    seq[:, t] = out_t
                if record:
                    for buf, s in zip(state_all, states):
                        buf[t] = s
        states = [s.copy() for s in states]  # SimpleRNN's h may alias a scratch buffer
        # (batch, timesteps, units) or (batch, units)
        output = seq if self.return_sequences else np.array(out_t, copy=True)
        if self.stateful:
            self.states = [s.copy() for s in states]
        outputs = [output, *states] if self.return_state else [output]
        if not record:
            return outputs
        return self._make_trace(x, initial_states, mask_tm, outputs, z_all, a_all, state_all)

    def _make_trace(self, x, initial_states, mask_tm, outputs, z_all, a_all, state_all,
                    go_backwards=None):
        """A Trace from the loop's records (``go_backwards`` defaults to the layer's own flag)."""
        go_backwards = self.go_backwards if go_backwards is None else go_backwards

        def batch_major(a):  # (timesteps, batch, units) -> (batch, timesteps, units)
            return a.transpose(1, 0, 2)  # a view: copying would cost more than the loop

        blocks = self.gate_names or ("h",)
        pre = {g: batch_major(z_all[:, k]) for k, g in enumerate(blocks)}
        gates = {g: batch_major(a_all[:, k]) for k, g in enumerate(self.gate_names)}
        timesteps = x.shape[1]
        return Trace(
            cell_name=self.cell_name, units=self.units, x=x,
            timestep=np.arange(timesteps)[::-1].copy() if go_backwards else np.arange(timesteps),
            h=batch_major(state_all[0]),
            c=batch_major(state_all[1]) if len(state_all) == 2 else None,
            gates=gates, pre_activations=pre, initial_states=initial_states,
            mask=None if mask_tm is None else np.ascontiguousarray(mask_tm[:, :, 0].T),
            outputs=outputs,
        )

    def call(self, x, initial_state=None, mask=None):
        """Run the layer; returns what Keras returns: an array, or ``[output, *states]``."""
        outputs = self._run(x, initial_state, mask, record=False)
        return outputs if self.return_state else outputs[0]

    def _run_outputs(self, x, initial_state=None, mask=None):
        """Like a call, but always a list: ``[output]`` or ``[output, *states]``."""
        return self._run(x, initial_state, mask, record=False)

    def trace(self, x, initial_state=None, mask=None) -> Trace:
        """Run exactly like a call and record every step's states and gates."""
        return self._run(x, initial_state, mask, record=True)

    def clone(self, **overrides):
        """A fresh, unbuilt layer with the same constructor arguments (what Bidirectional uses)."""
        kwargs = dict(self._init_kwargs)
        kwargs.update(overrides)
        return type(self)(**kwargs)


class SimpleRNN(RNNLayer):
    """Fully connected RNN: h_t = activation(x_t·W_x + h_(t−1)·W_h + b)."""

    keras_name = "simple_rnn"
    cell_name = "SimpleRNN"

    def __init__(self, units, activation="tanh", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, seed=None, name=None, dtype="float32",
                 zero_output_for_mask=False, dropout=0.0, recurrent_dropout=0.0, unroll=False):
        super().__init__(units, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer,
                         recurrent_initializer=recurrent_initializer,
                         bias_initializer=bias_initializer, return_sequences=return_sequences,
                         return_state=return_state, go_backwards=go_backwards, stateful=stateful,
                         seed=seed, name=name, dtype=dtype,
                         zero_output_for_mask=zero_output_for_mask, dropout=dropout,
                         recurrent_dropout=recurrent_dropout, unroll=unroll)
        del self._init_kwargs["recurrent_activation"]

    def _step(self, x_proj_t, states, z_t, a_t):
        return cells.simple_rnn_step(x_proj_t[0], states, self._recurrent_kernel_g[0],
                                     self._activation, z_t=z_t[0], a_t=a_t[0])


class LSTM(RNNLayer):
    """Long short-term memory (Hochreiter & Schmidhuber, 1997), Keras gate order i, f, c, o."""

    keras_name = "lstm"
    cell_name = "LSTM"
    n_gates = 4
    gate_names = ("input", "forget", "candidate", "output")
    state_names = ("h", "c")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, return_sequences=False,
                 return_state=False, go_backwards=False, stateful=False, seed=None, name=None,
                 dtype="float32", zero_output_for_mask=False, dropout=0.0, recurrent_dropout=0.0,
                 unroll=False):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, return_sequences, return_state,
                         go_backwards, stateful, seed, name, dtype, zero_output_for_mask,
                         dropout, recurrent_dropout, unroll)
        self.unit_forget_bias = _checks.boolean("unit_forget_bias", unit_forget_bias)
        self._init_kwargs["unit_forget_bias"] = unit_forget_bias

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

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=self.recurrent_activation,
                      unit_forget_bias=self.unit_forget_bias)
        return config

    def _step(self, x_proj_t, states, z_t, a_t):
        return cells.lstm_step(x_proj_t, states, self._recurrent_kernel_g,
                               self._activation, self._recurrent_activation, z_t=z_t, a_t=a_t)


class GRU(RNNLayer):
    """Gated recurrent unit (Cho et al., 2014), Keras gate order z, r, h."""

    keras_name = "gru"
    cell_name = "GRU"
    n_gates = 3
    gate_names = ("update", "reset", "candidate")

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, reset_after=True, seed=None, name=None,
                 dtype="float32", zero_output_for_mask=False, dropout=0.0, recurrent_dropout=0.0,
                 unroll=False):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, return_sequences, return_state,
                         go_backwards, stateful, seed, name, dtype, zero_output_for_mask,
                         dropout, recurrent_dropout, unroll)
        self.reset_after = _checks.boolean("reset_after", reset_after)
        self._init_kwargs["reset_after"] = reset_after

    def _bias_shape(self):
        # reset_after keeps a second bias for the recurrent side (cuDNN's layout).
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        bias = self._weights["bias"]
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

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=self.recurrent_activation, reset_after=self.reset_after)
        return config

    def _step(self, x_proj_t, states, z_t, a_t):
        return cells.gru_step(x_proj_t, states, self._recurrent_kernel_g, self._candidate_recurrent_bias,
                              self._activation, self._recurrent_activation, self.reset_after,
                              z_t=z_t, a_t=a_t)
