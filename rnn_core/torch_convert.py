"""Weights, states and outputs between rnn_core/Keras and ``torch.nn.RNN/LSTM/GRU``.

The two frameworks compute the same cells with different conventions:

====================  ===============================  =====================================
                      Keras (and rnn_core)             PyTorch
====================  ===============================  =====================================
input weights         ``kernel`` (input_dim, G·units)  ``weight_ih_l0`` (G·units, input_dim)
recurrent weights     ``recurrent_kernel`` (units, ·)  ``weight_hh_l0`` (G·units, units)
biases                one ``bias`` (G·units,); GRU     two: ``bias_ih_l0`` and ``bias_hh_l0``
                      reset_after: (2, 3·units)        (G·units,) each
LSTM gates            i, f, c, o                       i, f, g, o (the same order; c̃ is "g")
GRU gates             z, r, h                          r, z, n
GRU reset gate        reset_after=True (default)       always after the recurrent matmul
                      reset_after=False                (no equivalent)
layout                batch-major                      time-major unless ``batch_first=True``
Bidirectional         wrapper, two layers              ``bidirectional=True``, ``*_reverse``
states                list: [h, c] (per direction)     h_n, c_n: (layers·directions, batch, units)
====================  ===============================  =====================================

Pure NumPy: torch is imported only by ``torch_module``/``run_torch``. ``keras_to_torch`` and
``torch_outputs_as_keras`` use nothing but NumPy, so the PyTorch code export embeds their source.
"""
from __future__ import annotations

import importlib

import numpy as np

from . import _checks
from .layers import CELLS, Bidirectional
TORCH_GATES = {"SimpleRNN": ("h",), "LSTM": ("i", "f", "g", "o"), "GRU": ("r", "z", "n")}
KERAS_GATES = {"SimpleRNN": ("h",), "LSTM": ("i", "f", "c", "o"), "GRU": ("z", "r", "h")}
TORCH_CLASSES = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}
INSTALL_HINT = "pip install torch==2.13.0"


# --- one direction, both ways (keras_to_torch is embedded in the PyTorch code export) -----------
def keras_to_torch(cell, weights, reset_after=True, suffix="_l0"):
    """Keras weights [kernel, recurrent_kernel(, bias)] of one direction -> PyTorch's parameters.

    Returns {"weight_ih" + suffix: (G·units, input_dim), "weight_hh" + suffix: (G·units, units),
    and with a bias "bias_ih" + suffix, "bias_hh" + suffix: (G·units,)}, gates in PyTorch's order.
    """
    if cell not in ("SimpleRNN", "LSTM", "GRU"):
        raise ValueError(f"cell: got {cell!r}, expected 'SimpleRNN', 'LSTM' or 'GRU'")
    if cell == "GRU" and not reset_after:
        raise ValueError("reset_after: got False, expected True: PyTorch's GRU always applies the "
                         "reset gate after the recurrent matmul (Keras reset_after=True); "
                         "reset_after=False has no PyTorch equivalent")
    kernel, recurrent_kernel, *bias = [np.asarray(w, dtype=np.float32) for w in weights]
    units = recurrent_kernel.shape[0]
    n_gates = kernel.shape[1] // units
    # Keras's GRU columns are z, r, h; PyTorch's rows are r, z, n. LSTM i, f, c, o == i, f, g, o.
    order = [1, 0, 2] if cell == "GRU" else list(range(n_gates))

    def torch_rows(w):  # (..., G·units) Keras gate columns -> (..., G·units) PyTorch gate order
        blocks = np.split(w, n_gates, axis=-1)
        return np.ascontiguousarray(np.concatenate([blocks[g] for g in order], axis=-1))

    params = {"weight_ih" + suffix: torch_rows(kernel).T.copy(),            # (G·units, input_dim)
              "weight_hh" + suffix: torch_rows(recurrent_kernel).T.copy()}  # (G·units, units)
    if bias:
        (b,) = bias
        if cell == "GRU":  # reset_after=True: row 0 is the input bias, row 1 the recurrent bias
            b_ih, b_hh = b[0], b[1]
        else:  # Keras has one bias; PyTorch adds two, so one of them carries it all
            b_ih, b_hh = b, np.zeros_like(b)
        params["bias_ih" + suffix] = torch_rows(b_ih)  # (G·units,)
        params["bias_hh" + suffix] = torch_rows(b_hh)
    return params


def torch_to_keras(cell, params, suffix="_l0"):
    """PyTorch's parameters of one direction -> Keras weights [kernel, recurrent_kernel(, bias)].

    LSTM and SimpleRNN get bias = bias_ih + bias_hh (Keras keeps one vector: the sum is what the
    cell adds); GRU gets the (2, 3·units) bias of reset_after=True. Tensors or arrays accepted.
    """
    _checks.one_of("cell", cell, CELLS)
    arrays = {name: _numpy(value) for name, value in params.items()}
    for name in ("weight_ih", "weight_hh"):
        if name + suffix not in arrays:
            _checks.fail("params", sorted(arrays), f"the PyTorch parameter {name + suffix!r}")
    w_ih, w_hh = arrays["weight_ih" + suffix], arrays["weight_hh" + suffix]  # (G·units, ·)
    units, n_gates = w_hh.shape[1], len(TORCH_GATES[cell])
    if w_hh.shape != (n_gates * units, units):
        _checks.fail(f"params['weight_hh{suffix}']", w_hh, f"shape (G·units, units) with G={n_gates} "
                                                           f"for {cell}")
    order = [1, 0, 2] if cell == "GRU" else list(range(n_gates))  # its own inverse

    def keras_columns(w):  # (..., G·units) PyTorch gate order -> Keras gate order
        blocks = np.split(w, n_gates, axis=-1)
        return np.ascontiguousarray(np.concatenate([blocks[g] for g in order], axis=-1))

    weights = [keras_columns(w_ih.T), keras_columns(w_hh.T)]  # (input_dim, G·units), (units, G·units)
    if "bias_ih" + suffix in arrays:
        b_ih, b_hh = keras_columns(arrays["bias_ih" + suffix]), keras_columns(arrays["bias_hh" + suffix])
        weights.append(np.stack([b_ih, b_hh]) if cell == "GRU" else b_ih + b_hh)
    return weights


def _numpy(value) -> np.ndarray:
    if hasattr(value, "detach"):  # a torch tensor or Parameter
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float32)


# --- whole layers --------------------------------------------------------------------------------
def _directions(layer):
    """[(rnn_core layer, PyTorch suffix)] for a layer or a Bidirectional."""
    if isinstance(layer, Bidirectional):
        return [(layer.forward_layer, "_l0"), (layer.backward_layer, "_l0_reverse")]
    return [(layer, "_l0")]


def torch_kwargs(layer) -> dict:
    """The ``torch.nn.RNN/LSTM/GRU`` constructor arguments for an rnn_core layer (built)."""
    first = _directions(layer)[0][0]
    cell = getattr(first, "cell_name", None)
    if cell not in CELLS or not first.built:
        _checks.fail("layer", layer, "a built SimpleRNN, LSTM, GRU or Bidirectional of one of them")
    kwargs = dict(input_size=first.input_dim, hidden_size=first.units, num_layers=1,
                  bias=first.use_bias, batch_first=True, bidirectional=isinstance(layer, Bidirectional))
    if cell == "SimpleRNN":
        if first.activation not in ("tanh", "relu"):
            _checks.fail("layer.activation", first.activation,
                         "'tanh' or 'relu' (torch.nn.RNN's only nonlinearities)")
        kwargs["nonlinearity"] = first.activation
    else:
        for name, fixed in (("activation", "tanh"), ("recurrent_activation", "sigmoid")):
            if getattr(first, name) != fixed:
                _checks.fail(f"layer.{name}", getattr(first, name),
                             f"{fixed!r}: torch.nn.{cell} has no other {name.replace('_', ' ')}")
    if cell == "GRU" and not first.reset_after:
        _checks.fail("layer.reset_after", False, "True: PyTorch's GRU always applies the reset gate "
                                                 "after the recurrent matmul; reset_after=False has "
                                                 "no PyTorch equivalent")
    return kwargs


def layer_to_torch(layer) -> dict[str, np.ndarray]:
    """The rnn_core layer's weights as PyTorch's ``state_dict`` (NumPy arrays, float32)."""
    torch_kwargs(layer)  # validates: an equivalent PyTorch module exists
    params = {}
    for direction, suffix in _directions(layer):
        params.update(keras_to_torch(direction.cell_name, direction.get_weights(),
                                     getattr(direction, "reset_after", True), suffix))
    return params


def layer_from_torch(layer, state_dict) -> None:
    """Set the rnn_core layer's weights from a PyTorch ``state_dict`` (or ``named_parameters``)."""
    state_dict = dict(state_dict)
    weights = []
    for direction, suffix in _directions(layer):
        weights += torch_to_keras(direction.cell_name, state_dict, suffix)
    layer.set_weights(weights)


def torch_param_count(cell: str, units: int, input_dim: int, bias: bool = True,
                      bidirectional: bool = False) -> int:
    """sum(p.numel() for p in torch.nn.<cell>(...).parameters()), from the formula."""
    _checks.one_of("cell", cell, CELLS)
    g = len(TORCH_GATES[cell])
    per_direction = g * units * (input_dim + units) + (2 * g * units if bias else 0)
    return per_direction * (2 if bidirectional else 1)


# --- states and outputs --------------------------------------------------------------------------
def states_to_torch(cell, states, bidirectional=False):
    """Keras's flat list of states -> PyTorch's h_0 (LSTM: (h_0, c_0)), each
    (num_layers·directions, batch, units): [h] / [h, c], Bidirectional forward's then backward's."""
    _checks.one_of("cell", cell, CELLS)
    per_direction = 2 if cell == "LSTM" else 1
    directions = 2 if bidirectional else 1
    if not isinstance(states, (list, tuple)) or len(states) != per_direction * directions:
        _checks.fail("states", type(states).__name__ if not isinstance(states, (list, tuple))
                     else f"{len(states)} arrays", f"a list of {per_direction * directions} arrays "
                                                   "(Keras's order)")
    stacked = [np.stack([np.asarray(states[d * per_direction + k], np.float32)
                         for d in range(directions)])  # (directions, batch, units)
               for k in range(per_direction)]
    return tuple(stacked) if cell == "LSTM" else stacked[0]


def states_from_torch(cell, torch_states):
    """PyTorch's h_n (LSTM: (h_n, c_n)) -> Keras's flat list of states, forward direction first."""
    _checks.one_of("cell", cell, CELLS)
    parts = [_numpy(s) for s in (torch_states if cell == "LSTM" else (torch_states,))]
    return [part[d] for d in range(parts[0].shape[0]) for part in parts]  # h (, c) per direction


def torch_outputs_as_keras(output, h_n, c_n=None, return_sequences=False, return_state=False,
                           merge_mode="concat", bidirectional=False):
    """What PyTorch returns (batch_first) -> the list Keras returns: [output(s), *states].

    output: (batch, timesteps, directions·units), PyTorch's processing order for one direction;
    h_n, c_n: (directions, batch, units). Keras's last output of each direction is its final h
    (PyTorch's output[:, -1] holds the backward direction's *first* step).
    """
    units = h_n.shape[-1]
    if bidirectional:
        fw, bw = (output[..., :units], output[..., units:]) if return_sequences else (h_n[0], h_n[1])
        merged = {"concat": lambda: [np.concatenate([fw, bw], axis=-1)], "sum": lambda: [fw + bw],
                  "ave": lambda: [(fw + bw) / 2], "mul": lambda: [fw * bw], None: lambda: [fw, bw]}
        if merge_mode not in merged:
            raise ValueError(f"merge_mode: got {merge_mode!r}, expected 'concat', 'sum', 'ave', "
                             "'mul' or None")
        outputs = merged[merge_mode]()
    else:
        outputs = [output if return_sequences else h_n[0]]
    if return_state:
        for d in range(h_n.shape[0]):  # Keras: forward h (, c), then backward h (, c)
            outputs += [h_n[d]] if c_n is None else [h_n[d], c_n[d]]
    return outputs


# --- running PyTorch (lazy import) ---------------------------------------------------------------
def _import_torch():
    try:
        return importlib.import_module("torch")
    except ImportError as exc:
        raise ImportError(f"PyTorch is not installed ({exc}); install it with `{INSTALL_HINT}`") from exc


def torch_module(layer):
    """A ``torch.nn.RNN/LSTM/GRU`` (float32, eval mode) holding the rnn_core layer's weights."""
    torch = _import_torch()
    kwargs = torch_kwargs(layer)
    cell = _directions(layer)[0][0].cell_name
    module = getattr(torch.nn, TORCH_CLASSES[cell])(**kwargs)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in layer_to_torch(layer).items()})
    return module.eval()


def run_torch(layer, x, initial_state=None, module=None):
    """Run the layer's PyTorch twin on x; returns what the rnn_core/Keras layer returns, as a list.

    A unidirectional ``go_backwards`` layer is PyTorch on the time-reversed x (its outputs are
    then in processing order, as Keras returns them). Stateful layers run one call from
    ``initial_state`` (default zeros): PyTorch modules keep no state between calls.
    """
    torch = _import_torch()
    module = torch_module(layer) if module is None else module
    cell = _directions(layer)[0][0].cell_name
    bidirectional = isinstance(layer, Bidirectional)
    x = np.array(x, np.float32)  # (batch, timesteps, features), a writable copy
    if not bidirectional and layer.go_backwards:
        x = x[:, ::-1].copy()  # a fresh array: torch refuses negative strides
    hx = None
    if initial_state is not None:
        hx = states_to_torch(cell, initial_state, bidirectional)
        hx = tuple(torch.from_numpy(s) for s in hx) if cell == "LSTM" else torch.from_numpy(hx)
    with torch.no_grad():
        output, h_n = module(torch.from_numpy(x), hx)
    h_n, c_n = (h_n if cell == "LSTM" else (h_n, None))
    return torch_outputs_as_keras(
        output.numpy(), h_n.numpy(), None if c_n is None else c_n.numpy(),
        return_sequences=layer.return_sequences, return_state=layer.return_state,
        merge_mode=getattr(layer, "merge_mode", "concat"), bidirectional=bidirectional)


# --- embedded, source and all, in the PyTorch code export (torch is imported inside) --------------
def torch_steps(cell, x_in, states, mask=None, backwards=False, zero_output_for_mask=False):
    """One direction of a Keras layer run step by step with PyTorch's cell (``nn.LSTMCell``,
    ``nn.GRUCell`` or ``nn.RNNCell``), as Keras's loop runs it: step k reads x at T−1−k when
    ``backwards``; at a padded step (mask False) every state keeps its value and the output
    repeats the previous output (zeros with ``zero_output_for_mask``, as in a Bidirectional).

    x_in: (batch, timesteps, features) tensor; states: [h] or [h, c], (batch, units) each;
    mask: (batch, timesteps) bool tensor or None. Returns (outputs (batch, timesteps, units) in
    processing order, the final states, the states before every step)."""
    import torch

    batch, timesteps, _ = x_in.shape
    output = torch.zeros(batch, cell.hidden_size)  # Keras's output before step 0
    outputs, before = [], []
    for k in range(timesteps):
        t = timesteps - 1 - k if backwards else k
        before.append(states)
        new = cell(x_in[:, t], tuple(states) if len(states) == 2 else states[0])
        new = list(new) if isinstance(new, tuple) else [new]  # [h_t] or [h_t, c_t]
        keep = torch.ones(batch, 1, dtype=torch.bool) if mask is None else mask[:, t, None]
        states = [torch.where(keep, n, s) for n, s in zip(new, states)]
        output = torch.where(keep, new[0], torch.zeros_like(output) if zero_output_for_mask else output)
        outputs.append(output)
    return torch.stack(outputs, dim=1), states, before


def keras_layer_by_steps(cells, x_in, mask=None, go_backwards=False, return_sequences=False,
                         return_state=False, merge_mode="concat", initial_states=None):
    """What a Keras layer returns (a list of NumPy arrays), computed with PyTorch cells:
    ``cells`` = [cell] for a plain layer, [forward, backward] for a Bidirectional (whose backward
    copy reads the other way round, and whose outputs are zero at padded steps when it returns
    sequences, as Keras sets zero_output_for_mask)."""
    import torch

    bidirectional = len(cells) == 2
    runs = []
    for d, cell in enumerate(cells):
        n_states = 2 if isinstance(cell, torch.nn.LSTMCell) else 1
        states = ([torch.zeros(x_in.shape[0], cell.hidden_size) for _ in range(n_states)]
                  if initial_states is None else initial_states[d * n_states:(d + 1) * n_states])
        seq, final, _ = torch_steps(cell, x_in, states, mask, backwards=go_backwards != (d == 1),
                                    zero_output_for_mask=bidirectional and return_sequences)
        runs.append((seq if return_sequences else seq[:, -1], final))  # (batch, [T,] units)
    if bidirectional:
        fw, bw = runs[0][0], runs[1][0]
        if return_sequences:  # Keras flips the backward sequence back to time order
            bw = torch.flip(bw, dims=[1])
        outputs = {"concat": lambda: [torch.cat([fw, bw], dim=-1)], "sum": lambda: [fw + bw],
                   "ave": lambda: [(fw + bw) / 2], "mul": lambda: [fw * bw],
                   None: lambda: [fw, bw]}[merge_mode]()
    else:
        outputs = [runs[0][0]]
    if return_state:  # forward h (, c), then backward h (, c)
        outputs += [s for _, final in runs for s in final]
    return [o.detach().numpy() for o in outputs]


def torch_gates(cell_name, cell, x_t, h_prev):
    """The gates at one step from PyTorch's cell parameters, under Keras's names (PyTorch's
    i, f, g, o are Keras's i, f, c, o; its r, z, n are Keras's r, z and the candidate h̃)."""
    import torch

    gi = x_t @ cell.weight_ih.T + (cell.bias_ih if cell.bias else 0.0)     # (batch, G·units)
    gh = h_prev @ cell.weight_hh.T + (cell.bias_hh if cell.bias else 0.0)  # (batch, G·units)
    if cell_name == "LSTM":
        i, f, g, o = (gi + gh).chunk(4, dim=1)
        return {"input": torch.sigmoid(i), "forget": torch.sigmoid(f), "candidate": torch.tanh(g),
                "output": torch.sigmoid(o)}
    if cell_name == "GRU":
        i_r, i_z, i_n = gi.chunk(3, dim=1)
        h_r, h_z, h_n = gh.chunk(3, dim=1)
        r = torch.sigmoid(i_r + h_r)
        return {"update": torch.sigmoid(i_z + h_z), "reset": r, "candidate": torch.tanh(i_n + r * h_n)}
    return {}
