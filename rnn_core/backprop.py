"""Backpropagation through time (BPTT) for the layers in ``rnn_core``.

Every backward function runs from what the forward pass recorded: a recurrent layer's
``Trace`` (every state and gate per step), a Dense layer's input and output. Gradients come
back in Keras weight order, so ``zip(layer.get_weights(), grads.weights)`` pairs them.

Conventions: ``d_*`` is dL/d(that array), same shape as the array. Time loops run backwards
over the *processing* order (``trace.timestep[k]`` is the input index read at step k).
Truncated BPTT with ``truncate=k`` stops the gradient through the state every k steps, exactly
like feeding ``stop_gradient(state)`` into the next chunk of k steps.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import _blas, _checks
from .activations import ACTIVATIONS

__all__ = [
    "RecurrentGrads",
    "DenseGrads",
    "activation_grad",
    "recurrent_backward",
    "recurrent_output_backward",
    "bidirectional_backward",
    "dense_backward",
    "softmax_cross_entropy",
]


def activation_grad(name: str | None, pre: np.ndarray, out: np.ndarray) -> np.ndarray:
    """d act(pre) / d pre, elementwise, from the pre-activation and the activation itself."""
    name = "linear" if name is None else name
    if name == "tanh":
        return 1.0 - out * out
    if name == "sigmoid":
        return out * (1.0 - out)
    if name == "hard_sigmoid":  # Keras 3: relu6(x + 3) / 6
        return ((pre > -3.0) & (pre < 3.0)).astype(out.dtype) / 6.0
    if name == "relu":
        return (pre > 0).astype(out.dtype)
    if name == "linear":
        return np.ones_like(out)
    _checks.fail("activation", name, "one of " + ", ".join(repr(a) for a in ACTIVATIONS if a != "softmax"))


@dataclass
class RecurrentGrads:
    """Gradients of one recurrent layer's loss with respect to everything it read."""

    weights: list  # [d_kernel (input_dim, G*units), d_recurrent_kernel (units, G*units), d_bias]
    x: np.ndarray  # (batch, timesteps, features) in input (time) order
    initial_states: list  # [(batch, units)] d_h0 (, d_c0)
    h: np.ndarray  # (batch, timesteps, units) dL/dh_t reaching step t's state (output + later steps)
    c: np.ndarray | None = None  # (batch, timesteps, units) dL/dc_t reaching step t's state (LSTM)


@dataclass
class DenseGrads:
    weights: list  # [d_kernel (in, out), d_bias (out,)] (no bias when use_bias=False)
    x: np.ndarray  # same shape as the Dense input


class StepRecord(NamedTuple):
    """What the forward step t recorded (a trace keeps it); with a leading T axis, every step's."""

    h_prev: np.ndarray            # (batch, units) h_(t−1)
    c_prev: np.ndarray | None     # (batch, units) c_(t−1) (LSTM)
    c_t: np.ndarray | None        # (batch, units) c_t (LSTM)
    pre_t: np.ndarray             # (G, batch, units) gate pre-activations
    act_t: np.ndarray             # (G, batch, units) gate activations (SimpleRNN: h_t)


# --- one backward step per cell, each mirroring its forward step in rnn_core.cells -----------------
# Each reads the forward lines bottom-up and returns (d_x_proj_t, d_rec_t, d_prev_states):
# d_x_proj_t (G, batch, units) is dL/d(x_t·W_x + b), d_rec_t (G, batch, units) is dL/d(the
# recurrent matmul's result), d_prev_states the gradients on h_(t−1) (, c_(t−1)).
def simple_rnn_step_backward(cell, d_states, step, recurrent_kernel_t, candidate_recurrent_bias):
    """Backward of ``cells.simple_rnn_step``; recurrent_kernel_t: (1, units, units) W_hᵀ."""
    (d_h_t,) = d_states  # (batch, units)
    # h_t = activation(pre_t)
    d_pre_t = d_h_t * activation_grad(cell.activation, step.pre_t[0], step.act_t[0])  # (batch, units)
    # pre_t = h_(t−1)·W_h + x_proj_t
    d_h_prev = d_pre_t @ recurrent_kernel_t[0]  # (batch, units)
    d_pre_t = d_pre_t[None]  # (1, batch, units)
    return d_pre_t, d_pre_t, [d_h_prev]


def lstm_step_backward(cell, d_states, step, recurrent_kernel_t, candidate_recurrent_bias):
    """Backward of ``cells.lstm_step``; recurrent_kernel_t: (4, units, units), one W_hᵀ per gate."""
    d_h_t, d_c_t = d_states  # (batch, units) each
    i_t, f_t, c_tilde, o_t = step.act_t  # (batch, units) each
    act, rec_act = cell.activation, cell.recurrent_activation
    # h_t = o ⊙ activation(c_t)
    act_c = ACTIVATIONS[act or "linear"](step.c_t)  # (batch, units)
    d_o = d_h_t * act_c
    d_c = d_c_t + d_h_t * o_t * activation_grad(act, step.c_t, act_c)  # (batch, units)
    # c_t = f ⊙ c_(t−1) + i ⊙ c̃
    d_c_prev = d_c * f_t
    d_pre_t = np.empty_like(step.pre_t)  # (4, batch, units)
    # i = σ(pre_i), f = σ(pre_f), c̃ = tanh(pre_c), o = σ(pre_o)
    d_pre_t[0] = d_c * c_tilde * activation_grad(rec_act, step.pre_t[0], i_t)
    d_pre_t[1] = d_c * step.c_prev * activation_grad(rec_act, step.pre_t[1], f_t)
    d_pre_t[2] = d_c * i_t * activation_grad(act, step.pre_t[2], c_tilde)
    d_pre_t[3] = d_o * activation_grad(rec_act, step.pre_t[3], o_t)
    # pre = x_proj_t + h_(t−1)·W_h, one W_h per gate
    d_h_prev = np.matmul(d_pre_t, recurrent_kernel_t).sum(axis=0)  # (batch, units)
    return d_pre_t, d_pre_t, [d_h_prev, d_c_prev]


def gru_step_backward(cell, d_states, step, recurrent_kernel_t, candidate_recurrent_bias):
    """Backward of ``cells.gru_step``; recurrent_kernel_t: (3, units, units), U_zᵀ, U_rᵀ, U_hᵀ;
    candidate_recurrent_bias: b_rec_h (1, units) or None. With reset_after=False, d_rec_t[2] is
    dL/d((r ⊙ h_(t−1))·U_h): U_h multiplies r ⊙ h_(t−1) there."""
    (d_h_t,) = d_states  # (batch, units)
    h_prev = step.h_prev  # (batch, units)
    update, reset, h_tilde = step.act_t  # (batch, units) each
    act, rec_act = cell.activation, cell.recurrent_activation
    d_pre_t = np.empty_like(step.pre_t)  # (3, batch, units)
    d_rec_t = np.empty_like(step.pre_t)  # (3, batch, units)
    # h_t = h̃ + z ⊙ (h_(t−1) − h̃)
    d_update = d_h_t * (h_prev - h_tilde)
    d_h_prev = d_h_t * update  # (batch, units)
    # h̃ = activation(pre_h)
    d_pre_t[2] = d_h_t * (1.0 - update) * activation_grad(act, step.pre_t[2], h_tilde)
    if cell.reset_after:
        # pre_h = x_proj_h + r ⊙ (h_(t−1)·U_h + b_rec_h)
        rec_h = h_prev @ recurrent_kernel_t[2].T  # (batch, units) recomputed, not recorded
        if candidate_recurrent_bias is not None:
            rec_h += candidate_recurrent_bias
        d_reset = d_pre_t[2] * rec_h
        d_rec_t[2] = d_pre_t[2] * reset
    else:
        # pre_h = x_proj_h + (r ⊙ h_(t−1))·U_h
        d_reset_h = d_pre_t[2] @ recurrent_kernel_t[2]  # (batch, units) dL/d(r ⊙ h_(t−1))
        d_reset = d_reset_h * h_prev
        d_h_prev += d_reset_h * reset
        d_rec_t[2] = d_pre_t[2]
    # z, r = σ(pre_z, pre_r)
    d_pre_t[0] = d_update * activation_grad(rec_act, step.pre_t[0], update)
    d_pre_t[1] = d_reset * activation_grad(rec_act, step.pre_t[1], reset)
    d_rec_t[:2] = d_pre_t[:2]
    # pre_z, pre_r (and pre_h with reset_after) = x_proj + h_(t−1)·U
    through_h = 3 if cell.reset_after else 2  # the blocks whose recurrent matmul reads h_(t−1)
    d_h_prev += np.matmul(d_rec_t[:through_h], recurrent_kernel_t[:through_h]).sum(axis=0)
    return d_pre_t, d_rec_t, [d_h_prev]


def recurrent_backward(layer, trace, d_h=None, d_states=None, truncate=None, weights=None) -> RecurrentGrads:
    """BPTT through one SimpleRNN / LSTM / GRU layer (or RNN over one cell) from its ``trace``.

    d_h: (batch, timesteps, units) gradient on ``trace.h`` (processing order) or None.
    d_states: gradients on the final states ``[h_T (, c_T)]`` (entries may be None).
    truncate: None for full BPTT, or k: the gradient through the state is cut every k steps.
    weights: the layer's weights if already at hand (saves a copy in training loops).
    """
    from .layers.rnn_cells import Cell  # here: the cells name their backward steps from this module

    cell = getattr(layer, "cell", None)
    if not isinstance(cell, Cell):
        _checks.fail("layer", type(layer).__name__, "SimpleRNN, LSTM, GRU or RNN over one cell")
    if truncate is not None:
        truncate = _checks.positive_int("truncate", truncate)
    if weights is None:
        weights = layer.get_weights()
    if d_h is None:
        d_h = np.zeros_like(trace.h)
    elif d_h.shape != trace.h.shape:
        _checks.fail("d_h", d_h, f"shape {trace.h.shape} like trace.h")
    batch, _, units = trace.h.shape
    # as the forward loop: step matmuls this size make OpenBLAS threads spin-wait (rnn_core._blas)
    one_thread = _blas.single_thread() if batch * units >= 1024 else contextlib.nullcontext()
    with one_thread:
        return _backward(cell, weights, trace, d_h, list(d_states or []), truncate)


def _time_major(a):
    """(batch, T, n) -> contiguous (T, batch, n): each step's slice is one cheap view."""
    return np.ascontiguousarray(a.transpose(1, 0, 2))


def _records(cell, trace) -> StepRecord:
    """What every step recorded, as one StepRecord of time-major sequences (T, ...)."""
    h = _time_major(trace.h)  # (T, batch, units)
    h_prev = np.concatenate([trace.initial_states[0][None], h[:-1]])  # (T, batch, units)
    blocks = cell.gate_names or ("h",)  # SimpleRNN's one block is h itself
    pre = np.empty((len(h), len(blocks)) + h.shape[1:], h.dtype)  # (T, G, batch, units)
    act = np.empty_like(pre)  # (T, G, batch, units)
    for k, g in enumerate(blocks):
        pre[:, k] = trace.pre_activations[g].transpose(1, 0, 2)
        act[:, k] = trace.gates[g].transpose(1, 0, 2) if cell.gate_names else h
    if trace.c is None:
        return StepRecord(h_prev, None, None, pre, act)
    c = _time_major(trace.c)  # (T, batch, units)
    c_prev = np.concatenate([trace.initial_states[1][None], c[:-1]])  # (T, batch, units)
    return StepRecord(h_prev, c_prev, c, pre, act)


def _backward(cell, weights, trace, d_h, d_states, truncate) -> RecurrentGrads:
    """The time loop backwards: the cell's backward step once per step, last step first; then
    the weight gradients, one contraction over (time, batch) each."""
    batch, steps, units = trace.h.shape
    dtype, n_gates = trace.h.dtype, cell.n_gates
    kernel, recurrent_kernel = weights[0], weights[1]  # (features, G·units), (units, G·units)
    bias = weights[2] if cell.use_bias else None
    # one W_hᵀ per gate, contiguous so that the step's batched matmul runs in BLAS
    recurrent_kernel_t = np.ascontiguousarray(
        recurrent_kernel.reshape(units, n_gates, units).transpose(1, 2, 0))  # (G, units, units)
    b_rec = None
    if bias is not None and getattr(cell, "reset_after", False):
        b_rec = bias[1, 2 * units:].reshape(1, units)  # (1, units) the candidate's recurrent bias
    step_backward = cell.step_backward_function
    recorded = _records(cell, trace)
    d_h_tm = _time_major(d_h.astype(dtype, copy=False))  # (T, batch, units)
    # m_t: 1 where the step ran, 0 where a mask carried the states through it
    mask = None if trace.mask is None else _time_major(trace.mask.astype(dtype)[:, :, None])  # (T, batch, 1)
    d_states = [np.zeros((batch, units), dtype) if d is None else np.array(d, dtype=dtype)
                for d in d_states + [None] * (len(cell.state_names) - len(d_states))]
    # Keras's column layout (T, batch, G, units), so the weight gradients need no transposed copy
    d_x_proj = np.empty((steps, batch, n_gates, units), dtype)
    d_rec = None  # the same as d_x_proj unless the cell says otherwise (GRU)
    d_state_seqs = [np.empty((steps, batch, units), dtype) for _ in d_states]  # per state (T, batch, units)
    for t in range(steps - 1, -1, -1):
        d_states[0] = d_states[0] + d_h_tm[t]  # the output at step t reads h_t too
        for seq, d in zip(d_state_seqs, d_states):
            seq[t] = d
        if mask is not None:  # a masked step passed its states on unchanged
            carried = [d * (1.0 - mask[t]) for d in d_states]  # (batch, units) each
            d_states = [d * mask[t] for d in d_states]
        step_t = StepRecord(*(None if a is None else a[t] for a in recorded))
        d_x_proj_t, d_rec_t, d_states = step_backward(cell, d_states, step_t, recurrent_kernel_t, b_rec)
        d_x_proj[t] = d_x_proj_t.transpose(1, 0, 2)  # (batch, G, units)
        if d_rec_t is not d_x_proj_t:
            if d_rec is None:
                d_rec = np.empty_like(d_x_proj)  # (T, batch, G, units)
            d_rec[t] = d_rec_t.transpose(1, 0, 2)
        if mask is not None:
            d_states = [d + c for d, c in zip(d_states, carried)]
        if truncate is not None and t % truncate == 0 and t:  # stop_gradient on the state at t−1
            d_states = [np.zeros_like(d) for d in d_states]
    grads, d_x = _weight_grads(cell, trace, recorded, kernel, bias, d_x_proj,
                               d_x_proj if d_rec is None else d_rec)
    return RecurrentGrads(weights=grads, x=d_x, initial_states=d_states,
                          h=d_state_seqs[0].transpose(1, 0, 2),
                          c=d_state_seqs[1].transpose(1, 0, 2) if len(d_state_seqs) == 2 else None)


def _weight_grads(cell, trace, recorded, kernel, bias, d_x_proj, d_rec):
    """dL/dkernel, dL/drecurrent_kernel, dL/dbias (Keras layout) and dL/dx (input order).

    d_x_proj, d_rec: (T, batch, G, units), dL/d(x_t·W_x + b) and dL/d(the recurrent matmul)."""
    steps, batch, n_gates, units = d_x_proj.shape
    flat = steps * batch
    d_x_proj_flat = d_x_proj.reshape(flat, n_gates * units)  # (T·batch, G·units)
    d_rec_flat = d_rec.reshape(flat, n_gates * units)  # (T·batch, G·units)
    x_steps = _time_major(trace.x[:, trace.timestep]).reshape(flat, -1)  # (T·batch, features)
    h_prev = recorded.h_prev.reshape(flat, units)  # (T·batch, units)
    d_kernel = x_steps.T @ d_x_proj_flat  # (features, G·units)
    d_recurrent = h_prev.T @ d_rec_flat  # (units, G·units)
    if getattr(cell, "reset_after", True) is False:
        # GRU reset_after=False: U_h multiplies r ⊙ h_(t−1), not h_(t−1)
        reset_h = (recorded.act_t[:, 1] * recorded.h_prev).reshape(flat, units)  # (T·batch, units)
        d_recurrent[:, 2 * units:] = reset_h.T @ d_rec_flat[:, 2 * units:]
    grads = [d_kernel, d_recurrent]
    if bias is not None:
        d_bias = d_x_proj_flat.sum(axis=0)  # (G·units,)
        if bias.ndim == 2:  # GRU reset_after: the recurrent bias row follows the input one
            d_bias = np.stack([d_bias, d_rec_flat.sum(axis=0)])  # (2, 3·units)
        grads.append(d_bias)
    d_x_steps = (d_x_proj_flat @ kernel.T).reshape(steps, batch, -1).transpose(1, 0, 2)  # (batch, T, features)
    d_x = np.empty_like(d_x_steps)
    d_x[:, trace.timestep] = d_x_steps  # back to input order
    return grads, d_x


def _d_h_from_output(layer, trace, d_out) -> np.ndarray:
    """Gradient on ``trace.h`` from a gradient on the layer's first output (Keras's masking rules).

    With a mask a step's output is the last unmasked step's h (zeros before the first one), or
    zeros when ``zero_output_for_mask`` (what Bidirectional forces with return_sequences).
    """
    d_h = np.zeros_like(trace.h)  # (batch, T, units) processing order
    if d_out is None:
        return d_h
    seen = None
    if trace.mask is not None:
        seen = (np.cumsum(trace.mask, axis=1) > 0)[:, :, None]  # (batch, T, 1) an unmasked step so far
    if trace.outputs[0].ndim == 3:  # return_sequences: output == trace.h where it is not masked
        d_h += d_out
        if seen is not None:
            d_h *= trace.mask[:, :, None] if getattr(layer, "zero_output_for_mask", False) else seen
    else:
        d_h[:, -1] += d_out if seen is None else d_out * seen[:, -1]
    return d_h


def recurrent_output_backward(layer, trace, d_outputs, truncate=None, weights=None) -> RecurrentGrads:
    """BPTT from gradients on what ``layer(x)`` returned (a list like ``trace.outputs``).

    d_outputs: entries may be None (no gradient on that output).
    """
    d_outputs = list(d_outputs)
    if len(d_outputs) != len(trace.outputs):
        _checks.fail("d_outputs", f"{len(d_outputs)} arrays", f"{len(trace.outputs)} like trace.outputs")
    d_h = _d_h_from_output(layer, trace, d_outputs[0])
    return recurrent_backward(layer, trace, d_h, d_outputs[1:], truncate=truncate, weights=weights)


def bidirectional_backward(layer, btrace, d_outputs, truncate=None):
    """BPTT through a Bidirectional layer from gradients on its outputs (a list like ``btrace.outputs``).

    Returns ``(forward_grads, backward_grads, d_x)``; the weight gradients in
    ``layer.get_weights()`` order are ``forward_grads.weights + backward_grads.weights``.
    """
    fw, bw = btrace.forward, btrace.backward
    merge_mode = btrace.merge_mode
    d_outputs = list(d_outputs)
    if len(d_outputs) != len(btrace.outputs):
        _checks.fail("d_outputs", f"{len(d_outputs)} arrays", f"{len(btrace.outputs)} like btrace.outputs")
    n_fw_states = 1 if fw.c is None else 2
    n_out = 2 if merge_mode is None else 1
    outs, states = d_outputs[:n_out], d_outputs[n_out:]
    fw_states, bw_states = states[:n_fw_states], states[n_fw_states:]
    sequences = btrace.outputs[0].ndim == 3
    fw_out = fw.outputs[0]  # (batch, [T,] units) time order
    bw_out = bw.outputs[0][:, ::-1] if sequences else bw.outputs[0]  # re-reversed to time order
    if merge_mode is None:
        d_fw, d_bw = outs
    elif outs[0] is None:
        d_fw = d_bw = None
    else:
        d_m = outs[0]
        if merge_mode == "concat":
            d_fw, d_bw = d_m[..., :fw.units], d_m[..., fw.units:]
        elif merge_mode == "sum":
            d_fw = d_bw = d_m
        elif merge_mode == "ave":
            d_fw = d_bw = d_m * 0.5
        elif merge_mode == "mul":
            d_fw, d_bw = d_m * bw_out, d_m * fw_out
        else:
            _checks.fail("merge_mode", merge_mode, "'concat', 'sum', 'ave', 'mul' or None")
    if sequences and d_bw is not None:
        d_bw = d_bw[:, ::-1]  # the backward layer's own processing order
    if len(getattr(layer, "directions", ())) != 2:
        _checks.fail("layer", type(layer).__name__, "a Bidirectional layer")
    fw_layer, bw_layer = layer.directions
    g_fw = recurrent_backward(fw_layer, fw, _d_h_from_output(fw_layer, fw, d_fw), fw_states, truncate=truncate)
    g_bw = recurrent_backward(bw_layer, bw, _d_h_from_output(bw_layer, bw, d_bw), bw_states, truncate=truncate)
    return g_fw, g_bw, g_fw.x + g_bw.x


def dense_backward(kernel, bias, x, y, d_y, activation=None) -> DenseGrads:
    """Backward through ``y = act(x @ kernel + bias)`` on the last axis (also TimeDistributed).

    x: (..., in); y: (..., out) the Dense output; d_y: (..., out).
    """
    if activation not in (None, "linear"):
        # activation_grad only needs the pre-activation for relu/hard_sigmoid
        pre = x @ kernel + (0 if bias is None else bias)  # (..., out)
        d_y = d_y * activation_grad(activation, pre, y)
    d_flat = d_y.reshape(-1, d_y.shape[-1])  # (N, out)
    x_flat = x.reshape(-1, x.shape[-1])  # (N, in)
    grads = [x_flat.T @ d_flat]  # (in, out)
    if bias is not None:
        grads.append(d_flat.sum(axis=0))  # (out,)
    return DenseGrads(weights=grads, x=d_y @ kernel.T)


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray, sample_weight=None):
    """Mean categorical cross-entropy of softmax(logits), like Keras's loss with its default reduction.

    logits: (..., classes); targets: integer class ids (...) or one-hot (..., classes).
    Returns ``(loss, d_logits, probs)``; the mean runs over every position (batch and time).
    """
    logits = np.asarray(logits)
    targets = np.asarray(targets)
    shifted = logits - logits.max(axis=-1, keepdims=True)  # (..., classes)
    exp = np.exp(shifted)
    total = exp.sum(axis=-1, keepdims=True)
    probs = exp / total  # (..., classes)
    log_probs = shifted - np.log(total)
    if targets.shape == logits.shape:
        one_hot = targets.astype(logits.dtype)
    elif targets.shape == logits.shape[:-1] and targets.dtype.kind in "iu":
        one_hot = np.zeros_like(logits)
        np.put_along_axis(one_hot, targets[..., None], 1.0, axis=-1)
    else:
        _checks.fail("targets", targets, f"class ids of shape {logits.shape[:-1]} or one-hot {logits.shape}")
    per_position = -(one_hot * log_probs).sum(axis=-1)  # (...)
    weight = np.ones_like(per_position) if sample_weight is None else np.asarray(sample_weight, logits.dtype)
    count = per_position.size
    loss = float((per_position * weight).sum() / count)
    d_logits = (probs - one_hot) * (weight / count)[..., None]  # (..., classes)
    return loss, d_logits.astype(logits.dtype, copy=False), probs
