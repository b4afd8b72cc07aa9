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
    h: np.ndarray  # (batch, timesteps, units) total dL/dh_k per processing step (what flows back in time)
    c: np.ndarray | None = None  # (batch, timesteps, units) total dL/dc_k (LSTM)


@dataclass
class DenseGrads:
    weights: list  # [d_kernel (in, out), d_bias (out,)] (no bias when use_bias=False)
    x: np.ndarray  # same shape as the Dense input


def _config(layer) -> dict:
    # attributes, not get_config(): this runs once per layer per training step
    return {
        "cell_name": layer.cell_name,
        "activation": getattr(layer, "activation", "tanh"),
        "recurrent_activation": getattr(layer, "recurrent_activation", "sigmoid"),
        "use_bias": getattr(layer, "use_bias", True),
        "reset_after": getattr(layer, "reset_after", True),
    }


def recurrent_backward(layer, trace, d_h=None, d_states=None, truncate=None, weights=None) -> RecurrentGrads:
    """BPTT through one SimpleRNN / LSTM / GRU layer from its ``trace``.

    d_h: (batch, timesteps, units) gradient on ``trace.h`` (processing order) or None.
    d_states: gradients on the final states ``[h_T (, c_T)]`` (entries may be None).
    truncate: None for full BPTT, or k: the gradient through the state is cut every k steps.
    weights: the layer's weights if already at hand (saves a copy in training loops).
    """
    cfg = _config(layer)
    if weights is None:
        weights = layer.get_weights()
    batch, _, units = trace.h.shape
    # as the forward loop: step matmuls this size make OpenBLAS threads spin-wait (rnn_core._blas)
    one_thread = _blas.single_thread() if batch * units >= 1024 else contextlib.nullcontext()
    with one_thread:
        return _backward(cfg, weights, trace, d_h, d_states, truncate)


def _time_major(a):
    """(batch, T, n) -> contiguous (T, batch, n): each step's slice is one cheap view."""
    return np.ascontiguousarray(a.transpose(1, 0, 2))


def _backward(cfg, weights, trace, d_h, d_states, truncate) -> RecurrentGrads:
    """The time loop carries only dL/dh (and dL/dc); everything else is one vectorised op.

    Within a step every gradient is linear in the incoming dh (and dc), so the per-step factors
    (gate derivatives, mask) are computed for all steps up front, and the gate gradients for
    all steps after the loop from the recorded dh/dc.
    """
    if truncate is not None:
        truncate = _checks.positive_int("truncate", truncate)
    cell = cfg["cell_name"]
    h_seq = trace.h  # (batch, T, units)
    batch, steps, units = h_seq.shape
    dtype = h_seq.dtype
    if d_h is None:
        d_h = np.zeros_like(h_seq)
    elif d_h.shape != h_seq.shape:
        _checks.fail("d_h", d_h, f"shape {h_seq.shape} like trace.h")
    d_states = list(d_states or [])
    n_states = 2 if cell == "LSTM" else 1
    d_states += [None] * (n_states - len(d_states))

    if cfg["use_bias"]:
        kernel, recurrent_kernel, bias = weights
    else:
        (kernel, recurrent_kernel), bias = weights, None
    act, rec_act = cfg["activation"], cfg["recurrent_activation"]
    d_h_tm = _time_major(d_h.astype(dtype, copy=False))  # (T, batch, units)
    h_prev = np.concatenate([trace.initial_states[0][:, None], h_seq[:, :-1]], axis=1)  # (batch, T, units)
    # m: 1 where the step ran, 0 where a mask carried the state through it
    m = None if trace.mask is None else _time_major(trace.mask.astype(dtype)[:, :, None])  # (T, batch, 1)
    keep = None if m is None else 1.0 - m
    cut = np.zeros(steps, dtype=bool)  # cut[k]: no gradient from step k into the state before it
    if truncate is not None:
        cut[truncate::truncate] = True
    zeros = np.zeros((batch, units), dtype)
    d_h_next = zeros.copy() if d_states[0] is None else np.array(d_states[0], dtype=dtype)
    d_hs = np.empty((steps, batch, units), dtype)  # total dL/dh_k (before the mask split)
    u_t = recurrent_kernel.T  # (G*units, units)

    if cell == "SimpleRNN":
        d_pre_dh = activation_grad(act, trace.pre_activations["h"], h_seq)  # (batch, T, units)
        a = _time_major(d_pre_dh if trace.mask is None else d_pre_dh * trace.mask[:, :, None])  # (T, batch, units)
        for k in range(steps - 1, -1, -1):
            dh = d_h_tm[k] + d_h_next  # (batch, units)
            d_hs[k] = dh
            d_h_next = (dh * a[k]) @ u_t  # (batch, units)
            if keep is not None:
                d_h_next += dh * keep[k]
            if cut[k]:
                d_h_next = zeros.copy()
        d_x_proj = d_rec = d_hs * a  # (T, batch, units)
        d_init = [d_h_next]
        d_cs = None

    elif cell == "LSTM":
        gates, pre = trace.gates, trace.pre_activations
        i, f, g, o = gates["input"], gates["forget"], gates["candidate"], gates["output"]  # (batch, T, units)
        c_seq = trace.c  # (batch, T, units)
        c_prev = np.concatenate([trace.initial_states[1][:, None], c_seq[:, :-1]], axis=1)  # (batch, T, units)
        act_c = ACTIVATIONS[act or "linear"](c_seq)  # (batch, T, units)
        # dc_k += dh_k * o * act'(c_k); the c-path gates take dc, the output gate takes dh
        dh_to_dc = _time_major(o * activation_grad(act, c_seq, act_c))  # (T, batch, units)
        dc_gates = np.concatenate([g * activation_grad(rec_act, pre["input"], i),
                                   c_prev * activation_grad(rec_act, pre["forget"], f),
                                   i * activation_grad(act, pre["candidate"], g)], axis=-1)  # (batch, T, 3u)
        dh_gate = act_c * activation_grad(rec_act, pre["output"], o)  # (batch, T, units)
        f_tm = _time_major(f)  # (T, batch, units)
        dc_gates_tm = _time_major(dc_gates).reshape(steps, batch, 3, units)  # (T, batch, gate, units)
        dh_gate_tm = _time_major(dh_gate)
        d_c_next = zeros.copy() if d_states[1] is None else np.array(d_states[1], dtype=dtype)
        d_cs = np.empty_like(d_hs)  # total dL/dc_k, the step's own gradient included
        dh_e = np.empty_like(d_hs)  # dh that reached the step's gates (after the mask)
        d_z = np.empty((steps, batch, 4 * units), dtype)  # (T, batch, 4u) gate pre-activations i,f,c,o
        d_z_gates = d_z.reshape(steps, batch, 4, units)  # the same memory, one gate per row
        for k in range(steps - 1, -1, -1):
            dh = d_h_tm[k] + d_h_next  # (batch, units)
            d_hs[k] = dh
            dc = d_c_next
            if m is not None:
                carry_h, carry_c = dh * keep[k], dc * keep[k]
                dh, dc = dh * m[k], dc * m[k]
            dc = dc + dh * dh_to_dc[k]
            d_cs[k] = dc
            dh_e[k] = dh
            np.multiply(dc[:, None], dc_gates_tm[k], out=d_z_gates[k, :, :3])
            np.multiply(dh, dh_gate_tm[k], out=d_z_gates[k, :, 3])
            d_h_next = d_z[k] @ u_t  # (batch, units)
            d_c_next = dc * f_tm[k]
            if m is not None:
                d_h_next += carry_h
                d_c_next += carry_c
            if cut[k]:
                d_h_next, d_c_next = zeros.copy(), zeros.copy()
        d_x_proj = d_rec = d_z
        d_init = [d_h_next, d_c_next]

    elif cell == "GRU":
        gates, pre = trace.gates, trace.pre_activations
        z, r, hh = gates["update"], gates["reset"], gates["candidate"]  # (batch, T, units)
        dz = activation_grad(rec_act, pre["update"], z)
        dr = activation_grad(rec_act, pre["reset"], r)
        a_h = (1.0 - z) * activation_grad(act, pre["candidate"], hh)  # d a_h / d h_k (batch, T, units)
        a_z = (h_prev - hh) * dz  # d a_z / d h_k
        if trace.mask is not None:
            mk = trace.mask[:, :, None].astype(dtype)  # (batch, T, 1)
            a_h, a_z, z_eff = a_h * mk, a_z * mk, z * mk
        else:
            z_eff = z
        z_tm = _time_major(z_eff)  # (T, batch, units) the direct path h_{k-1} -> h_k
        reset_after = cfg["reset_after"]
        u_h = recurrent_kernel[:, 2 * units:]  # (units, units)
        if reset_after:
            rec_h = h_prev @ u_h  # (batch, T, units) the candidate's recurrent term, all steps
            if bias is not None:
                rec_h += bias[1, 2 * units:]
            a_r = a_h * rec_h * dr
            # d (z, r, h̃ recurrent) / d h_k: one matmul per step through the whole recurrent kernel
            rec_factor = _time_major(np.concatenate([a_z, a_r, a_h * r], axis=-1))  # (T, batch, 3u)
            rec_factor_gates = rec_factor.reshape(steps, batch, 3, units)
            for k in range(steps - 1, -1, -1):
                dh = d_h_tm[k] + d_h_next  # (batch, units)
                d_hs[k] = dh
                d_h_next = (dh[:, None] * rec_factor_gates[k]).reshape(batch, 3 * units) @ u_t
                d_h_next += dh * z_tm[k]
                if keep is not None:
                    d_h_next += dh * keep[k]
                if cut[k]:
                    d_h_next = zeros.copy()
            tiled = np.concatenate([d_hs] * 3, axis=-1)  # (T, batch, 3u)
            d_rec = tiled * rec_factor  # (T, batch, 3u)
            d_x_proj = tiled * _time_major(np.concatenate([a_z, a_r, a_h], axis=-1))
        else:
            u_zr_t = recurrent_kernel[:, :2 * units].T  # (2u, units)
            u_h_t = u_h.T
            a_h_tm, a_z_tm = _time_major(a_h), _time_major(a_z)
            r_tm, hr_tm = _time_major(r), _time_major(h_prev * dr)  # d a_r / d (r*h_prev) factor
            d_x_proj = np.empty((steps, batch, 3 * units), dtype)  # (T, batch, 3u)
            for k in range(steps - 1, -1, -1):
                dh = d_h_tm[k] + d_h_next  # (batch, units)
                d_hs[k] = dh
                da_h = dh * a_h_tm[k]
                d_rh = da_h @ u_h_t  # (batch, units) gradient on r*h_prev
                d_x_proj[k, :, :units] = dh * a_z_tm[k]
                d_x_proj[k, :, units:2 * units] = d_rh * hr_tm[k]
                d_x_proj[k, :, 2 * units:] = da_h
                d_h_next = d_x_proj[k, :, :2 * units] @ u_zr_t + d_rh * r_tm[k] + dh * z_tm[k]
                if keep is not None:
                    d_h_next += dh * keep[k]
                if cut[k]:
                    d_h_next = zeros.copy()
            d_rec = None
        d_init = [d_h_next]
        d_cs = None
    else:
        _checks.fail("cell_name", cell, "'SimpleRNN', 'LSTM' or 'GRU'")

    # weight gradients: one contraction over (time, batch) each, outside the loop
    flat = steps * batch
    x_proc = _time_major(trace.x[:, trace.timestep]).reshape(flat, -1)  # (T*batch, features)
    h_prev_flat = _time_major(h_prev).reshape(flat, units)  # (T*batch, units)
    d_x_proj_flat = d_x_proj.reshape(flat, -1)  # (T*batch, G*units)
    d_kernel = x_proc.T @ d_x_proj_flat  # (features, G*units)
    if d_rec is None:  # GRU reset_after=False: U_h multiplies r*h_prev, not h_prev
        d_recurrent = np.empty_like(recurrent_kernel)  # (units, 3u)
        d_recurrent[:, :2 * units] = h_prev_flat.T @ d_x_proj_flat[:, :2 * units]
        rh = _time_major(r * h_prev).reshape(flat, units)
        d_recurrent[:, 2 * units:] = rh.T @ d_x_proj_flat[:, 2 * units:]
    else:
        d_rec_flat = d_rec.reshape(flat, -1)
        d_recurrent = h_prev_flat.T @ d_rec_flat  # (units, G*units)
    grads = [d_kernel, d_recurrent]
    if bias is not None:
        d_bias_in = d_x_proj_flat.sum(axis=0)  # (G*units,)
        if cell == "GRU" and reset_after:
            grads.append(np.stack([d_bias_in, d_rec_flat.sum(axis=0)]))  # (2, 3*units)
        else:
            grads.append(d_bias_in)
    d_x_proc = (d_x_proj_flat @ kernel.T).reshape(steps, batch, -1).transpose(1, 0, 2)  # (batch, T, features)
    d_x = np.empty_like(d_x_proc)
    d_x[:, trace.timestep] = d_x_proc  # back to input order
    return RecurrentGrads(weights=grads, x=d_x, initial_states=d_init, h=d_hs.transpose(1, 0, 2),
                          c=None if d_cs is None else d_cs.transpose(1, 0, 2))


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
    n_fw_states = 2 if fw.cell_name == "LSTM" else 1
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
    fw_layer, bw_layer = _directions(layer)
    g_fw = recurrent_backward(fw_layer, fw, _d_h_from_output(fw_layer, fw, d_fw), fw_states, truncate=truncate)
    g_bw = recurrent_backward(bw_layer, bw, _d_h_from_output(bw_layer, bw, d_bw), bw_states, truncate=truncate)
    return g_fw, g_bw, g_fw.x + g_bw.x


def _directions(layer):
    for fw_name, bw_name in (("forward_layer", "backward_layer"), ("forward", "backward")):
        if hasattr(layer, fw_name) and hasattr(layer, bw_name):
            return getattr(layer, fw_name), getattr(layer, bw_name)
    _checks.fail("layer", type(layer).__name__, "a Bidirectional layer with forward_layer/backward_layer")


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
