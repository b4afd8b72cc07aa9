"""Keras's RNN: THE time loop of rnn_core. A recurrent layer is this loop over a cell.

``RNN(LSTMCell(n))`` computes what ``LSTM(n)`` computes, because ``LSTM(n)`` *is*
``RNN(LSTMCell(n))`` (``rnn_core.layers.recurrent``). ``RNN._loop`` calls the cell's step once
per timestep; the cell projects every timestep's input with one matmul before the loop.
``RNN([cell_1, cell_2])`` stacks cells as Keras's ``StackedRNNCells``: at every timestep cell 2
reads cell 1's h_t.
"""
from __future__ import annotations

import contextlib
from dataclasses import replace

import numpy as np

from .. import _blas, _checks
from ..trace import StackedTrace, Trace
from .base import Layer, name_uniquely
from .rnn_cells import Cell, step_input_shape


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


class _Composite(Layer):
    """Weights that live in parts (cells), in Keras's order."""

    def _parts(self) -> list:
        raise NotImplementedError

    def _prefix(self, part) -> str:
        return ""

    def _require_built(self, what):
        if not self.built:
            _checks.fail(what, "an unbuilt layer", "build(input_shape) or a call first")

    def weight_names(self):
        return [self._prefix(p) + n for p in self._parts() for n in p.weight_names()]

    def get_weights(self):
        return [w for p in self._parts() for w in p.get_weights()]

    def set_weights(self, weights):
        self._require_built("set_weights")
        names = self.weight_names()
        if not isinstance(weights, (list, tuple)) or len(weights) != len(names):
            _checks.fail("weights", f"{len(weights)} arrays" if isinstance(weights, (list, tuple))
                         else type(weights).__name__, f"a list of {len(names)} arrays: {', '.join(names)}")
        start = 0
        for part in self._parts():
            n = len(part.weight_names())
            part.set_weights(list(weights[start:start + n]))
            start += n

    def count_params(self):
        self._require_built("count_params")
        return sum(p.count_params() for p in self._parts())

    def param_terms(self):
        self._require_built("param_terms")
        return [replace(t, name=self._prefix(p) + t.name) for p in self._parts() for t in p.param_terms()]

    def _formula(self, symbolic):
        formulas = [p._formula(symbolic) for p in self._parts()]
        return formulas[0] if len(formulas) == 1 else " + ".join(f"({f})" for f in formulas)


class StackedRNNCells(_Composite):
    """Several cells acting as one (Keras's StackedRNNCells): cell k reads cell k−1's h_t."""

    keras_name = "stacked_rnn_cells"

    def __init__(self, cells, name=None):
        if not isinstance(cells, (list, tuple)) or not cells:
            _checks.fail("cells", cells, "a non-empty list of cells (SimpleRNNCell, LSTMCell, GRUCell)")
        for i, cell in enumerate(cells):
            if not isinstance(cell, Cell):
                _checks.fail(f"cells[{i}]", cell, "a cell: SimpleRNNCell, LSTMCell or GRUCell")
        if len({id(c) for c in cells}) != len(cells):
            _checks.fail("cells", [c.name for c in cells], "distinct cell objects (a cell cannot be "
                                                           "two levels of one stack)")
        if len({c.dtype for c in cells}) > 1:
            _checks.fail("cells", [c.dtype.name for c in cells], "cells of one dtype")
        super().__init__(name=name, dtype=cells[0].dtype.name)
        self.cells = list(cells)
        name_uniquely(self.cells)  # lstm_cell, lstm_cell_1: Keras's weight paths

    @property
    def input_dim(self):
        return self.cells[0].input_dim

    def _parts(self):
        return self.cells

    @property
    def state_size(self):
        return [c.state_size for c in self.cells]

    @property
    def output_size(self):
        return self.cells[-1].output_size

    def _prefix(self, part):
        return f"{part.name}/"

    def build(self, input_shape):
        """Build each unbuilt cell for the output size of the cell below it."""
        shape = step_input_shape(input_shape)  # (batch, features)
        for cell in self.cells:
            if not cell.built:
                cell.build(shape)
            elif cell.input_dim != shape[1]:
                _checks.fail(f"input_shape (for {cell.name})", shape,
                             f"{cell.input_dim} features: {cell.name} is already built for them")
            shape = (shape[0], cell.output_size)  # (batch, units of this cell)
        self.input_shape, self.built = step_input_shape(input_shape), True
        return self

    def call(self, inputs, states):
        """One step through every cell; ``states`` holds one list of states per cell."""
        if not isinstance(states, (list, tuple)) or len(states) != len(self.cells):
            _checks.fail("states", type(states).__name__, f"a list of {len(self.cells)} entries, one "
                                                          "per cell")
        if not self.built:
            self.build((None, np.shape(inputs)[-1]))
        new_states = []
        for cell, cell_states in zip(self.cells, states):
            inputs, cell_states = cell(inputs, cell_states)  # (batch, cell.units)
            new_states.append(cell_states)
        return inputs, (new_states[0] if len(new_states) == 1 else new_states)  # as Keras


class _StepBuffers:
    """Where the loop puts each step of one cell: the gate buffers the step writes into, the
    output sequence (when kept) and, for a trace, every step's states and gates. Without a trace
    one pair of gate buffers serves every step."""

    def __init__(self, cell, batch, timesteps, dtype, keep_outputs, trace):
        kept = timesteps if trace else 1
        shape = (kept, cell.n_gates, batch, cell.units)
        self.pre = np.empty(shape, dtype)  # (timesteps or 1, G, batch, units) gate pre-activations
        self.act = np.empty(shape, dtype)  # (timesteps or 1, G, batch, units) gate activations
        # Written batch-major as it goes, so no transposed copy at the end.
        self.outputs = np.empty((batch, timesteps, cell.units), dtype) if keep_outputs else None
        self.states = ([np.empty((timesteps, batch, cell.units), dtype) for _ in cell.state_names]
                       if trace else None)  # per state (timesteps, batch, units)

    def gates(self, t):
        """Step t's (pre_t, act_t) buffers, (G, batch, units) each."""
        kept = t if self.states is not None else 0
        return self.pre[kept], self.act[kept]

    def keep(self, t, out_t, states):
        if self.outputs is not None:
            self.outputs[:, t] = out_t
        if self.states is not None:
            for buf, s in zip(self.states, states):
                buf[t] = s


class RNN(_Composite):
    """Keras's RNN: the time loop around a cell (``RNN(LSTMCell(n))`` is ``LSTM(n)``), or around
    a stack of cells (``RNN([cell, cell])``: then each state in ``states``, ``initial_state`` and
    the returned states is one list per cell, as in Keras)."""

    keras_name = "rnn"

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, zero_output_for_mask=False, unroll=False, name=None):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not isinstance(cell, (Cell, StackedRNNCells)):
            _checks.fail("cell", cell, "a cell (SimpleRNNCell, LSTMCell, GRUCell), a list of cells "
                                       "or StackedRNNCells")
        super().__init__(name=name, dtype=cell.dtype.name)
        self.cell = cell
        self.stacked = isinstance(cell, StackedRNNCells)
        self.cells = cell.cells if self.stacked else [cell]
        self.return_sequences = _checks.boolean("return_sequences", return_sequences)
        self.return_state = _checks.boolean("return_state", return_state)
        self.go_backwards = _checks.boolean("go_backwards", go_backwards)
        self.stateful = _checks.boolean("stateful", stateful)
        self.zero_output_for_mask = _checks.boolean("zero_output_for_mask", zero_output_for_mask)
        # Unrolling the loop computes the same numbers: kept for the config and the Keras twin.
        self.unroll = _checks.boolean("unroll", unroll)
        self._states: list[list[np.ndarray]] | None = None  # stateful: one list per cell

    # --- shapes and weights --------------------------------------------------------------------
    @property
    def units(self):
        return self.cell.output_size

    @property
    def input_dim(self):
        return self.cells[0].input_dim

    @property
    def state_size(self):
        size = self.cell.state_size
        return [size] if isinstance(size, int) else list(size)  # as Keras

    @property
    def directions(self):
        """One run over the sequence: this layer itself (Bidirectional has two)."""
        return [self]

    def _parts(self):
        return self.cells

    def _prefix(self, part):
        return f"{part.name}/" if self.stacked else ""

    def _check_input_shape(self, input_shape):
        shape = _checks.input_shape("input_shape", input_shape, rank=3)
        if shape[2] is None:
            _checks.fail("input_shape", shape, "a known feature size in the last position")
        return shape

    def _weight_specs(self, input_shape):
        """The weights ``build(input_shape)`` would create, without creating them."""
        specs, features = [], input_shape[2]
        for cell in self.cells:
            specs += [(self._prefix(cell) + name, shape, init)
                      for name, shape, init in cell._weight_specs((input_shape[0], features))]
            features = cell.output_size
        return specs

    def build(self, input_shape):
        """Build the cell(s) for (batch, timesteps, features); stateful needs a known batch."""
        shape = self._check_input_shape(input_shape)
        if self.stateful and shape[0] is None:
            _checks.fail("input_shape", shape, "a known batch size: a stateful layer keeps one state "
                                               "per sample, e.g. (2, 5, 10)")
        if not self.cell.built:
            self.cell.build((shape[0], shape[2]))
        elif self.input_dim != shape[2]:
            _checks.fail("input_shape", shape, f"{self.input_dim} features: the cell is already "
                                               "built for them")
        self.input_shape, self.built, self._states = shape, True, None
        return self

    def _ensure_built(self, x_shape):
        if not self.built:  # a stateful layer's batch size is part of its state, as in Keras
            self.build(((x_shape[0] if self.stateful else None),) + tuple(x_shape[1:]))

    def compute_output_shape(self, input_shape):
        """As Keras: the output shape, then (with return_state) one shape per state size."""
        batch, timesteps, _ = _checks.input_shape("input_shape", input_shape, rank=3)
        output = (batch, timesteps, self.units) if self.return_sequences else (batch, self.units)
        if not self.return_state:
            return output
        return [output] + [(batch, s) if isinstance(s, int) else [(batch, d) for d in s]
                           for s in self.state_size]

    def output_names(self):
        names = ["whole_sequence_output" if self.return_sequences else "last_output"]
        if self.return_state and self.stacked:
            names += [f"{c.name}_states" for c in self.cells]
        elif self.return_state:
            names += (["final_memory_state", "final_carry_state"] if len(self.state_size) == 2
                      else ["final_state"])
        return names

    def get_config(self):
        config = super().get_config()
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful,
                      zero_output_for_mask=self.zero_output_for_mask,
                      cell=[c.get_config() for c in self.cells] if self.stacked else self.cell.get_config())
        return config

    # --- states --------------------------------------------------------------------------------
    def _per_cell(self, argument, states, batch):
        """States as the caller writes them -> one checked list of (batch, units) per cell."""
        if not self.stacked:
            return [self.cell.check_states(argument, states, batch)]
        if not isinstance(states, (list, tuple)) or len(states) != len(self.cells):
            _checks.fail(argument, type(states).__name__ if not isinstance(states, (list, tuple))
                         else f"{len(states)} entries",
                         f"a list of {len(self.cells)} entries, one list of states per cell")
        return [cell.check_states(f"{argument}[{i}]", s, batch)
                for i, (cell, s) in enumerate(zip(self.cells, states))]

    def _as_written(self, per_cell):
        """One list per cell -> Keras's layout: flat for one cell, nested for a stack."""
        return [list(s) for s in per_cell] if self.stacked else list(per_cell[0])

    @property
    def states(self):
        """The carried states of a stateful layer (None before its first call)."""
        return None if self._states is None else self._as_written(self._states)

    def reset_state(self, states=None):
        """Zero the carried states (Keras ``reset_state``), or set them to ``states``."""
        if states is not None:
            first = states
            while isinstance(first, (list, tuple)) and first:
                first = first[0]
            batch = np.shape(first)[0] if np.ndim(first) else None
            self._states = [[s.copy() for s in cs] for cs in self._per_cell("states", states, batch)]
        elif self._states is not None:
            self._states = [[np.zeros_like(s) for s in cs] for cs in self._states]

    # --- running -------------------------------------------------------------------------------
    def _prepare(self, x, initial_state, mask):
        """Validate the call's arguments; return x, one list of states per cell, and the mask."""
        x = check_sequence(x, self.dtype)  # (batch, timesteps, features)
        batch, timesteps, features = x.shape
        self._ensure_built(x.shape)
        if features != self.input_dim:
            _checks.fail("x", x, f"last dimension {self.input_dim}: the layer was built for "
                                 f"input_dim={self.input_dim}")
        if initial_state is not None:
            states = self._per_cell("initial_state", initial_state, batch)
        elif self.stateful and self._states is not None:
            if self._states[0][0].shape[0] != batch:
                _checks.fail("x", x, f"batch size {self._states[0][0].shape[0]}: a stateful layer "
                                     "keeps its states' batch size (call reset_state(states) to "
                                     "change it)")
            states = self._states
        else:
            states = [[np.zeros((batch, c.units), self.dtype) for _ in c.state_names] for c in self.cells]
        return x, states, check_mask(mask, batch, timesteps)

    def _loop(self, cell, x_proj, states, mask, buffers):
        """The time loop: the cell's step once per timestep t, in processing order.

        x_proj: (G, timesteps, batch, units), x_t·kernel + bias for every t; states: [h_0 (, c_0)],
        (batch, units) each; mask: (timesteps, batch, 1) bool or None. Returns the last output
        and the final states; ``buffers`` keep the outputs (and, for a trace, gates and states).
        """
        out_t = np.zeros_like(states[0])  # (batch, units) Keras's output before step 0
        for t in range(x_proj.shape[1]):
            h_t, new_states = cell.step(x_proj[:, t], states, *buffers.gates(t))  # (batch, units)
            if mask is None:
                out_t = h_t
            else:  # a masked step carries the states; its output repeats (or zeroes) the last one
                m_t = mask[t]  # (batch, 1)
                new_states = [np.where(m_t, new, old) for new, old in zip(new_states, states)]
                out_t = np.where(m_t, h_t, 0.0 if self.zero_output_for_mask else out_t)
            states = new_states
            buffers.keep(t, out_t, states)
        return out_t, states

    def _run(self, x, initial_state, mask, record):
        """Each cell's loop in turn (a stack's cell k reads the outputs of cell k−1: only its
        unmasked steps count, and those are the same whichever way they are computed).
        Shared by call and trace."""
        x, states, mask = self._prepare(x, initial_state, mask)  # states: one list per cell
        batch, timesteps, _ = x.shape
        x_steps = x[:, ::-1] if self.go_backwards else x  # (batch, timesteps, features), step order
        mask_steps = None
        if mask is not None:
            mask_pm = mask[:, ::-1] if self.go_backwards else mask  # (batch, timesteps) step order
            mask_steps = np.ascontiguousarray(mask_pm.T)[:, :, None]  # (timesteps, batch, 1)
        results, traces = [], []
        for i, cell in enumerate(self.cells):
            top = i == len(self.cells) - 1
            buffers = _StepBuffers(cell, batch, timesteps, self.dtype,
                                   keep_outputs=self.return_sequences or not top, trace=record)
            # Small steps never reach OpenBLAS's threading threshold, so only big ones pay for
            # pinning one thread.
            one_thread = _blas.single_thread() if batch * cell.units >= 1024 else contextlib.nullcontext()
            with one_thread:
                out_t, final = self._loop(cell, cell.project_inputs(x_steps), states[i], mask_steps, buffers)
            final = [s.copy() for s in final]  # a state may alias a scratch buffer
            # what RNN(cell) alone returns: (batch, timesteps, units) or (batch, units), then states
            output = buffers.outputs if self.return_sequences else np.array(out_t, copy=True)
            results.append((output, final))
            if record:
                x_i = x_steps[:, ::-1] if self.go_backwards else x_steps  # input order
                traces.append(self._make_trace(cell, x_i, states[i], mask_steps,
                                               [output, *final] if self.return_state else [output], buffers))
            x_steps = buffers.outputs  # (batch, timesteps, units) what the cell above reads
        finals = [final for _, final in results]
        if self.stateful:
            self._states = [[s.copy() for s in cs] for cs in finals]
        outputs = [results[-1][0], *self._as_written(finals)] if self.return_state else [results[-1][0]]
        if not record:
            return outputs
        return StackedTrace(cells=traces, outputs=outputs) if self.stacked else traces[0]

    def _make_trace(self, cell, x, initial_states, mask_steps, outputs, buffers):
        """A Trace of one cell's loop from what ``buffers`` kept."""
        def batch_major(a):  # (timesteps, batch, units) -> (batch, timesteps, units)
            return a.transpose(1, 0, 2)  # a view: copying would cost more than the loop

        blocks = cell.gate_names or ("h",)  # SimpleRNN's one block is h itself
        timesteps = x.shape[1]
        return Trace(
            cell_name=cell.cell_name, units=cell.units, x=x,
            timestep=np.arange(timesteps)[::-1].copy() if self.go_backwards else np.arange(timesteps),
            h=batch_major(buffers.states[0]),
            c=batch_major(buffers.states[1]) if len(buffers.states) == 2 else None,
            gates={g: batch_major(buffers.act[:, k]) for k, g in enumerate(cell.gate_names)},
            pre_activations={g: batch_major(buffers.pre[:, k]) for k, g in enumerate(blocks)},
            initial_states=[s.copy() for s in initial_states],
            mask=None if mask_steps is None else np.ascontiguousarray(mask_steps[:, :, 0].T),
            outputs=outputs,
        )

    def call(self, x, initial_state=None, mask=None):
        """Returns what Keras returns: the output, or ``[output, *states]`` with return_state."""
        outputs = self._run(x, initial_state, mask, record=False)
        return outputs if self.return_state else outputs[0]

    def _run_outputs(self, x, initial_state=None, mask=None):
        """Like a call, but always a list: ``[output]`` or ``[output, *states]``."""
        return self._run(x, initial_state, mask, record=False)

    def trace(self, x, initial_state=None, mask=None):
        """Run exactly like a call and record every step: a Trace for one cell, a StackedTrace
        (one Trace per cell) for a stack."""
        return self._run(x, initial_state, mask, record=True)
