"""Cells and the RNN wrapper, as in Keras 3: a recurrent layer is a loop over a cell.

``LSTMCell(n)`` computes ONE timestep, ``cell(x_t, states) -> (h_t, new_states)``; ``RNN(cell)``
is the ``for`` loop around it, so ``RNN(LSTMCell(n))`` computes what ``LSTM(n)`` computes (the
layer is faster: it projects every timestep with one matmul before its loop).
``RNN([cell_1, cell_2])`` stacks cells as Keras's ``StackedRNNCells``: at every timestep cell 2
reads cell 1's h_t.

A cell keeps its weights in a private layer of its kind (``LSTMCell`` in an ``LSTM``): the same
arguments, the same weights in Keras's layout, and the same step function from ``rnn_core.cells``.
"""
from __future__ import annotations

import inspect
from dataclasses import replace

import numpy as np

from .. import _checks
from ..trace import StackedTrace
from .base import Layer
from .recurrent import GRU, LSTM, SimpleRNN, check_mask, check_sequence

# Layer arguments about the sequence: they belong to RNN(cell, ...), not to a cell.
SEQUENCE_ARGS = ("return_sequences", "return_state", "go_backwards", "stateful",
                 "zero_output_for_mask")
# Cell attributes read from its private layer (Keras's cells have them too).
_DELEGATED = ("activation", "recurrent_activation", "use_bias", "unit_forget_bias", "reset_after",
              "seed", "n_gates", "gate_names", "state_names", "cell_name")


def _step_input_shape(input_shape):
    """A cell's input shape: (batch, features) with the features known."""
    shape = _checks.input_shape("input_shape", input_shape)
    if len(shape) != 2 or shape[1] is None:
        _checks.fail("input_shape", shape, "(batch, features) with known features, e.g. (None, 10)")
    return shape


class _Composite(Layer):
    """Weights that live in parts (cells, or a cell's private layer), in Keras's order."""

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


# --- cells ---------------------------------------------------------------------------------------
class _Cell(_Composite):
    """One timestep of a recurrent layer: ``cell(x_t, states) -> (h_t, new_states)``."""

    layer_class = SimpleRNN  # the layer whose arguments, weights and step the cell shares

    def __init__(self, units, **kwargs):
        allowed = [a for a in inspect.signature(self.layer_class).parameters
                   if a not in ("units", *SEQUENCE_ARGS)]
        for arg, value in kwargs.items():
            if arg in SEQUENCE_ARGS:
                _checks.fail(arg, value, f"no such argument on {type(self).__name__}: pass it to "
                                         f"RNN(cell, {arg}=...)")
            if arg not in allowed:
                _checks.fail(arg, value, f"one of {type(self).__name__}'s arguments: {', '.join(allowed)}")
        super().__init__(name=kwargs.pop("name", None), dtype=kwargs.get("dtype", "float32"))
        self._layer = self.layer_class(units, name=self.name, **kwargs)
        self.units = self._layer.units
        n_states = len(self._layer.state_names)
        self.state_size = self.units if n_states == 1 else [self.units] * n_states  # as Keras
        self.output_size = self.units
        self.input_dim: int | None = None

    def __getattr__(self, name):
        if name in _DELEGATED and "_layer" in self.__dict__:
            return getattr(self._layer, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _parts(self):
        return [self._layer]

    def build(self, input_shape):
        """Create kernel, recurrent_kernel and bias for inputs of shape (batch, features)."""
        shape = _step_input_shape(input_shape)
        self._layer.build((None, None, shape[1]))
        self.input_shape, self.input_dim, self.built = shape, shape[1], True
        return self

    def get_config(self):
        config = {k: v for k, v in self._layer._init_kwargs.items() if k not in SEQUENCE_ARGS}
        return {**config, "name": self.name}

    def call(self, inputs, states):
        """One step. inputs x_t: (batch, features); states: [h_(t−1)] or [h_(t−1), c_(t−1)],
        (batch, units) each. Returns (h_t, new_states), new_states shaped like states."""
        x_t = _checks.array("inputs", inputs, rank=2).astype(self.dtype, copy=False)  # (batch, features)
        if not self.built:
            self.build((None, x_t.shape[1]))
        if x_t.shape[1] != self.input_dim:
            _checks.fail("inputs", x_t, f"last dimension {self.input_dim}: the cell was built for it")
        as_list = isinstance(states, (list, tuple))
        states = self._layer._check_states("states", states, x_t.shape[0])  # [(batch, units)]
        h_t, new_states, _ = self._step(x_t, states)  # (batch, units), [(batch, units)]
        return h_t, (new_states if as_list else new_states[0])

    def _step(self, x_t, states, z_t=None, a_t=None):
        """x_t·W_x + b, then this cell's step function from ``rnn_core.cells`` (the layer's
        ``_step`` passes the weights). Returns (h_t, new_states, (z_t, a_t)) for traces."""
        x_proj_t = self._layer._project_inputs(x_t[:, None, :])[:, 0]  # (G, batch, units)
        if z_t is None:
            z_t = np.empty_like(x_proj_t)  # (G, batch, units) gate pre-activations
            a_t = np.empty_like(x_proj_t)  # (G, batch, units) gate activations
        return self._layer._step(x_proj_t, states, z_t, a_t)


class SimpleRNNCell(_Cell):
    """One step of SimpleRNN: h_t = activation(x_t·W_x + h_(t−1)·W_h + b); SimpleRNN's arguments."""

    keras_name = "simple_rnn_cell"
    layer_class = SimpleRNN


class LSTMCell(_Cell):
    """One step of LSTM (``cells.lstm_step``), states [h, c]; LSTM's arguments."""

    keras_name = "lstm_cell"
    layer_class = LSTM


class GRUCell(_Cell):
    """One step of GRU (``cells.gru_step``), state [h]; GRU's arguments (``reset_after`` too)."""

    keras_name = "gru_cell"
    layer_class = GRU


class _OfCells(_Composite):
    """A stack of cells or the loop around them: ``self.cells`` hold the weights, bottom first."""

    cells: list

    @property
    def input_dim(self):
        return self.cells[0].input_dim

    def _parts(self):
        return self.cells


class StackedRNNCells(_OfCells):
    """Several cells acting as one (Keras's StackedRNNCells): cell k reads cell k−1's h_t."""

    keras_name = "stacked_rnn_cells"

    def __init__(self, cells, name=None):
        if not isinstance(cells, (list, tuple)) or not cells:
            _checks.fail("cells", cells, "a non-empty list of cells (SimpleRNNCell, LSTMCell, GRUCell)")
        for i, cell in enumerate(cells):
            if not isinstance(cell, _Cell):
                _checks.fail(f"cells[{i}]", cell, "a cell: SimpleRNNCell, LSTMCell or GRUCell")
        if len({id(c) for c in cells}) != len(cells):
            _checks.fail("cells", [c.name for c in cells], "distinct cell objects (a cell cannot be "
                                                           "two levels of one stack)")
        if len({c.dtype for c in cells}) > 1:
            _checks.fail("cells", [c.dtype.name for c in cells], "cells of one dtype")
        super().__init__(name=name, dtype=cells[0].dtype.name)
        self.cells = list(cells)

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
        shape = _step_input_shape(input_shape)  # (batch, features)
        for cell in self.cells:
            if not cell.built:
                cell.build(shape)
            elif cell.input_dim != shape[1]:
                _checks.fail(f"input_shape (for {cell.name})", shape,
                             f"{cell.input_dim} features: {cell.name} is already built for them")
            shape = (shape[0], cell.output_size)  # (batch, units of this cell)
        self.input_shape, self.built = _step_input_shape(input_shape), True
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


# --- the loop --------------------------------------------------------------------------------------
class RNN(_OfCells):
    """Keras's RNN: the time loop around a cell (``RNN(LSTMCell(n))`` is ``LSTM(n)``), or around
    a stack of cells (``RNN([cell, cell])``: then each state in ``states``, ``initial_state`` and
    the returned states is one list per cell, as in Keras)."""

    keras_name = "rnn"

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, zero_output_for_mask=False, name=None):
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not isinstance(cell, (_Cell, StackedRNNCells)):
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
        size = cell.state_size
        self.state_size = [size] if isinstance(size, int) else list(size)  # as Keras
        self._states: list[list[np.ndarray]] | None = None  # stateful: one list per cell

    # --- shapes and weights --------------------------------------------------------------------
    @property
    def units(self):
        return self.cell.output_size

    def _prefix(self, part):
        return f"{part.name}/" if self.stacked else ""

    def build(self, input_shape):
        """Build the cell(s) for (batch, timesteps, features); stateful needs a known batch."""
        shape = _checks.input_shape("input_shape", input_shape, rank=3)
        if shape[2] is None:
            _checks.fail("input_shape", shape, "a known feature size in the last position")
        if self.stateful and shape[0] is None:
            _checks.fail("input_shape", shape, "a known batch size: a stateful RNN keeps one state "
                                               "per sample, e.g. (2, 5, 10)")
        if not self.cell.built:
            self.cell.build((shape[0], shape[2]))
        elif self.input_dim != shape[2]:
            _checks.fail("input_shape", shape, f"{self.input_dim} features: the cell is already "
                                               "built for them")
        self.input_shape, self.built, self._states = shape, True, None
        return self

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
            return [self.cell._layer._check_states(argument, states, batch)]
        if not isinstance(states, (list, tuple)) or len(states) != len(self.cells):
            _checks.fail(argument, type(states).__name__ if not isinstance(states, (list, tuple))
                         else f"{len(states)} entries",
                         f"a list of {len(self.cells)} entries, one list of states per cell")
        return [cell._layer._check_states(f"{argument}[{i}]", s, batch)
                for i, (cell, s) in enumerate(zip(self.cells, states))]

    def _as_written(self, per_cell):
        """One list per cell -> Keras's layout: flat for one cell, nested for a stack."""
        return [list(s) for s in per_cell] if self.stacked else list(per_cell[0])

    @property
    def states(self):
        """The carried states of a stateful RNN (None before its first call)."""
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
        x = check_sequence(x, self.dtype)  # (batch, timesteps, features)
        batch, timesteps, features = x.shape
        if not self.built:
            self.build(((batch if self.stateful else None), timesteps, features))
        if features != self.input_dim:
            _checks.fail("x", x, f"last dimension {self.input_dim}: the RNN was built for it")
        if initial_state is not None:
            states = self._per_cell("initial_state", initial_state, batch)
        elif self.stateful and self._states is not None:
            if self._states[0][0].shape[0] != batch:
                _checks.fail("x", x, f"batch size {self._states[0][0].shape[0]}: a stateful RNN "
                                     "keeps its states' batch size")
            states = self._states
        else:
            states = [[np.zeros((batch, c.units), self.dtype) for _ in c.state_names] for c in self.cells]
        return x, states, check_mask(mask, batch, timesteps)

    def _run(self, x, initial_state, mask, record):
        """The loop: at every timestep, call the cell(s) once. Shared by call and trace."""
        x, states, mask = self._prepare(x, initial_state, mask)  # states: one list per cell
        initial_states = [[s.copy() for s in cs] for cs in states]
        batch, timesteps, _ = x.shape
        x_steps = x[:, ::-1] if self.go_backwards else x  # (batch, timesteps, features), step order
        if mask is not None and self.go_backwards:
            mask = mask[:, ::-1]  # (batch, timesteps), step order
        n = len(self.cells)
        outs = [np.zeros((batch, c.units), self.dtype) for c in self.cells]  # outputs before step 0
        kept = range(n) if record else [n - 1]  # cells whose output sequence is written
        seqs = {i: np.empty((batch, timesteps, self.cells[i].units), self.dtype)  # (batch, T, units)
                for i in kept} if self.return_sequences else {}
        if record:
            buffers = [(timesteps, c.n_gates, batch, c.units) for c in self.cells]
            z_all = [np.empty(b, self.dtype) for b in buffers]  # per cell (timesteps, G, batch, units)
            a_all = [np.empty(b, self.dtype) for b in buffers]  # gate activations, same shapes
            state_all = [[np.empty((timesteps, batch, c.units), self.dtype) for _ in c.state_names]
                         for c in self.cells]
            inputs_all = [None] + [  # cells above the first: (timesteps, batch, h of the cell below)
                np.empty((timesteps, batch, c.units), self.dtype) for c in self.cells[:-1]]
        for t in range(timesteps):
            inputs = x_steps[:, t]  # (batch, features)
            hs, new_states = [], []
            for i, cell in enumerate(self.cells):  # StackedRNNCells.call, written out
                if record and i:
                    inputs_all[i][t] = inputs
                scratch = (z_all[i][t], a_all[i][t]) if record else (None, None)
                inputs, cell_states, _ = cell._step(inputs, states[i], *scratch)  # (batch, units)
                hs.append(inputs)
                new_states.append(cell_states)
            if mask is not None:
                # Masked steps carry every state; the output repeats (or zeroes) the last output.
                m_t = mask[:, t, None]  # (batch, 1)
                new_states = [[np.where(m_t, new, old) for new, old in zip(ns, olds)]
                              for ns, olds in zip(new_states, states)]
                hs = [np.where(m_t, h, 0.0 if self.zero_output_for_mask else o)
                      for h, o in zip(hs, outs)]
            states, outs = new_states, hs
            for i, seq in seqs.items():
                seq[:, t] = outs[i]
            if record:
                for bufs, cell_states in zip(state_all, states):
                    for buf, s in zip(bufs, cell_states):
                        buf[t] = s
        states = [[s.copy() for s in cs] for cs in states]  # a state may alias a scratch buffer

        def result(i, cell_states):  # what RNN returns, ending at cell i
            output = seqs[i] if self.return_sequences else outs[i].copy()  # (batch, [T,] units)
            return [output, *cell_states] if self.return_state else [output]

        outputs = result(n - 1, self._as_written(states))
        if self.stateful:
            self._states = [[s.copy() for s in cs] for cs in states]
        if not record:
            return outputs
        mask_tm = None if mask is None else np.ascontiguousarray(mask.T)[:, :, None]  # (T, batch, 1)
        traces = []
        for i, cell in enumerate(self.cells):
            x_i = x if i == 0 else inputs_all[i].transpose(1, 0, 2)  # (batch, timesteps, inputs)
            if i and self.go_backwards:
                x_i = x_i[:, ::-1]  # from step order to input order
            outputs_i = result(i, states[i]) if self.stacked else outputs
            traces.append(cell._layer._make_trace(x_i, initial_states[i], mask_tm,
                                                  outputs_i, z_all[i], a_all[i], state_all[i],
                                                  go_backwards=self.go_backwards))
        return StackedTrace(cells=traces, outputs=outputs) if self.stacked else traces[0]

    def call(self, x, initial_state=None, mask=None):
        """Returns what Keras returns: the output, or ``[output, *states]`` with return_state."""
        outputs = self._run(x, initial_state, mask, record=False)
        return outputs if self.return_state else outputs[0]

    def trace(self, x, initial_state=None, mask=None):
        """Every step recorded: a Trace like the layer's for one cell, a StackedTrace (one Trace
        per cell) for a stack."""
        return self._run(x, initial_state, mask, record=True)
