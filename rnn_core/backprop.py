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

from dataclasses import dataclass

import numpy as np

from . import _checks
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
    cfg = layer.get_config()
    return {
        "cell_name": layer.cell_name,
        "activation": cfg.get("activation", "tanh"),
        "recurrent_activation": cfg.get("recurrent_activation", "sigmoid"),
        "use_bias": cfg.get("use_bias", True),
        "reset_after": cfg.get("reset_after", True),
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
    return _backward(cfg, weights, trace, d_h, d_states, truncate)


def _backward(cfg, weights, trace, d_h, d_states, truncate) -> RecurrentGrads:
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
    x_proc = trace.x[:, trace.timestep]  # (batch, T, features) in processing order
    h_prev = np.concatenate([trace.initial_states[0][:, None], h_seq[:, :-1]], axis=1)  # (batch, T, units)
    mask = None if trace.mask is None else trace.mask.astype(dtype)[:, :, None]  # (batch, T, 1)
    cut = np.zeros(steps, dtype=bool)  # cut[k]: no gradient from step k into the state before it
    if truncate is not None:
        cut[truncate::truncate] = True

    d_hs = np.zeros_like(h_seq)  # (batch, T, units) total gradient per step, for gradient-flow views
    d_cs = None
    d_h_next = np.zeros((batch, units), dtype) if d_states[0] is None else np.array(d_states[0], dtype=dtype)
    act, rec_act = cfg["activation"], cfg["recurrent_activation"]
    recurrent_kernel_t = recurrent_kernel.T  # (G*units, units)

    if cell == "SimpleRNN":
        # d h_k / d pre_k for all steps at once, outside the time loop
        dact = activation_grad(act, trace.pre_activations["h"], h_seq)  # (batch, T, units)
        d_pre = np.empty_like(h_seq)  # (batch, T, units)
        for k in range(steps - 1, -1, -1):
            dh = d_h[:, k] + d_h_next  # (batch, units)
            d_hs[:, k] = dh
            carry = None
            if mask is not None:
                carry = dh * (1.0 - mask[:, k])
                dh = dh * mask[:, k]
            d_pre[:, k] = dh * dact[:, k]
            d_h_next = d_pre[:, k] @ recurrent_kernel_t  # (batch, units)
            if carry is not None:
                d_h_next += carry
            if cut[k]:
                d_h_next[:] = 0.0
        d_x_proj = d_rec = d_pre
        d_init = [d_h_next]

    elif cell == "LSTM":
        gates = trace.gates
        i, f, g, o = gates["input"], gates["forget"], gates["candidate"], gates["output"]  # (batch, T, units)
        pre = trace.pre_activations
        c_seq = trace.c  # (batch, T, units)
        c_prev = np.concatenate([trace.initial_states[1][:, None], c_seq[:, :-1]], axis=1)  # (batch, T, units)
        tanh_c = ACTIVATIONS[act or "linear"](c_seq)  # (batch, T, units) act(c_k)
        dtanh_c = activation_grad(act, c_seq, tanh_c)
        di_pre = activation_grad(rec_act, pre["input"], i)
        df_pre = activation_grad(rec_act, pre["forget"], f)
        dg_pre = activation_grad(act, pre["candidate"], g)
        do_pre = activation_grad(rec_act, pre["output"], o)
        d_z = np.empty((batch, steps, 4 * units), dtype)  # (batch, T, 4*units) gate pre-activations i,f,c,o
        d_cs = np.zeros_like(h_seq)
        d_c_next = np.zeros((batch, units), dtype) if d_states[1] is None else np.array(d_states[1], dtype=dtype)
        for k in range(steps - 1, -1, -1):
            dh = d_h[:, k] + d_h_next  # (batch, units)
            dc = d_c_next  # (batch, units)
            d_hs[:, k] = dh
            carry_h = carry_c = None
            if mask is not None:
                m = mask[:, k]
                carry_h, carry_c = dh * (1.0 - m), dc * (1.0 - m)
                dh, dc = dh * m, dc * m
            dc = dc + dh * o[:, k] * dtanh_c[:, k]
            d_cs[:, k] = dc
            d_z[:, k, :units] = dc * g[:, k] * di_pre[:, k]
            d_z[:, k, units:2 * units] = dc * c_prev[:, k] * df_pre[:, k]
            d_z[:, k, 2 * units:3 * units] = dc * i[:, k] * dg_pre[:, k]
            d_z[:, k, 3 * units:] = dh * tanh_c[:, k] * do_pre[:, k]
            d_h_next = d_z[:, k] @ recurrent_kernel_t  # (batch, units)
            d_c_next = dc * f[:, k]
            if carry_h is not None:
                d_h_next += carry_h
                d_c_next += carry_c
            if cut[k]:
                d_h_next[:] = 0.0
                d_c_next[:] = 0.0
        d_x_proj = d_rec = d_z
        d_init = [d_h_next, d_c_next]

    elif cell == "GRU":
        gates = trace.gates
        pre = trace.pre_activations
        z, r, hh = gates["update"], gates["reset"], gates["candidate"]  # (batch, T, units)
        dz_pre = activation_grad(rec_act, pre["update"], z)
        dr_pre = activation_grad(rec_act, pre["reset"], r)
        dhh_pre = activation_grad(act, pre["candidate"], hh)
        reset_after = cfg["reset_after"]
        u_zr_t = recurrent_kernel[:, :2 * units].T  # (2*units, units)
        u_h = recurrent_kernel[:, 2 * units:]  # (units, units)
        if reset_after:
            # the candidate's recurrent term, recomputed for all steps by one matmul
            rec_h = h_prev @ u_h  # (batch, T, units)
            if bias is not None:
                rec_h += bias[1, 2 * units:]
        d_x_proj = np.empty((batch, steps, 3 * units), dtype)  # (batch, T, 3*units) z, r, h
        d_rec = np.empty_like(d_x_proj) if reset_after else None
        d_rh = None if reset_after else np.empty_like(h_seq)  # (batch, T, units) grad of r*h_prev
        for k in range(steps - 1, -1, -1):
            dh = d_h[:, k] + d_h_next  # (batch, units)
            d_hs[:, k] = dh
            carry = None
            if mask is not None:
                carry = dh * (1.0 - mask[:, k])
                dh = dh * mask[:, k]
            hp = h_prev[:, k]
            da_z = dh * (hp - hh[:, k]) * dz_pre[:, k]
            da_h = dh * (1.0 - z[:, k]) * dhh_pre[:, k]
            d_x_proj[:, k, :units] = da_z
            d_x_proj[:, k, 2 * units:] = da_h
            if reset_after:
                da_r = da_h * rec_h[:, k] * dr_pre[:, k]
                d_x_proj[:, k, units:2 * units] = da_r
                d_rec[:, k, :2 * units] = d_x_proj[:, k, :2 * units]
                d_rec[:, k, 2 * units:] = da_h * r[:, k]
                d_h_next = d_rec[:, k] @ recurrent_kernel_t
            else:
                d_rh_k = da_h @ u_h.T  # (batch, units)
                d_rh[:, k] = da_h
                da_r = d_rh_k * hp * dr_pre[:, k]
                d_x_proj[:, k, units:2 * units] = da_r
                d_h_next = d_x_proj[:, k, :2 * units] @ u_zr_t + d_rh_k * r[:, k]
            d_h_next += dh * z[:, k]
            if carry is not None:
                d_h_next += carry
            if cut[k]:
                d_h_next[:] = 0.0
        d_init = [d_h_next]
    else:
        _checks.fail("cell_name", cell, "'SimpleRNN', 'LSTM' or 'GRU'")

    # weight gradients: one contraction over (batch, time) each, outside the loop
    features = x_proc.shape[-1]
    flat = batch * steps
    d_kernel = x_proc.reshape(flat, features).T @ d_x_proj.reshape(flat, -1)  # (features, G*units)
    if cell == "GRU" and not reset_after:
        d_recurrent = np.empty_like(recurrent_kernel)  # (units, 3*units)
        d_recurrent[:, :2 * units] = h_prev.reshape(flat, units).T @ d_x_proj[..., :2 * units].reshape(flat, -1)
        rh = (r * h_prev).reshape(flat, units)  # (batch*T, units)
        d_recurrent[:, 2 * units:] = rh.T @ d_rh.reshape(flat, units)
    else:
        d_recurrent = h_prev.reshape(flat, units).T @ d_rec.reshape(flat, -1)  # (units, G*units)
    grads = [d_kernel, d_recurrent]
    if bias is not None:
        d_bias_in = d_x_proj.sum(axis=(0, 1))  # (G*units,)
        if cell == "GRU" and reset_after:
            grads.append(np.stack([d_bias_in, d_rec.sum(axis=(0, 1))]))  # (2, 3*units)
        else:
            grads.append(d_bias_in)
    d_x_proc = d_x_proj @ kernel.T  # (batch, T, features)
    d_x = np.empty_like(d_x_proc)
    d_x[:, trace.timestep] = d_x_proc  # back to input order
    return RecurrentGrads(weights=grads, x=d_x, initial_states=d_init, h=d_hs, c=d_cs)


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
