"""One time step of each cell, as pure functions.

Every step has the form ``(x_proj_t, states, recurrent weights) -> (h_t, new_states, (pre_t, act_t))``.
Arrays are gate-major: Keras stores the gates side by side in columns, ``kernel`` (input_dim,
G·units) and ``recurrent_kernel`` (units, G·units); the layer splits them once into one matrix
per gate, ``(G, units, units)`` — the textbook W_hi, W_hf, W_hc, W_ho — so each gate's block
``pre_t[g]`` is a contiguous ``(batch, units)`` array.
``x_proj_t = x_t·W_x + b`` arrives precomputed for all timesteps by one matmul outside the time
loop (what fused kernels do), so a step only adds the recurrent part. ``pre_t`` holds the gate
pre-activations and ``act_t`` the activations; the loop may pass them in so a trace is written
in place. (``z`` is kept for the GRU's update gate, as in the textbook.)
"""
from __future__ import annotations

import numpy as np

from .activations import sigmoid, tanh


def simple_rnn_step(x_proj_t, states, recurrent_kernel, activation=tanh, pre_t=None, act_t=None):
    """h_t = activation(x_t·W_x + b + h_(t−1)·W_h).

    x_proj_t: (batch, units); states: [h_(t−1) (batch, units)]; recurrent_kernel W_h: (units, units).
    """
    (h_prev,) = states
    pre_t = np.matmul(h_prev, recurrent_kernel, out=pre_t)  # (batch, units)
    pre_t += x_proj_t
    h_t = activation(pre_t, out=act_t)  # (batch, units)
    return h_t, [h_t], (pre_t, h_t)


def lstm_step(x_proj_t, states, recurrent_kernel, activation=tanh,
              recurrent_activation=sigmoid, pre_t=None, act_t=None):
    """LSTM step, Keras gate order i, f, c (candidate), o.

    pre = x_t·W_x + b + h_(t−1)·W_h;  i = σ(pre_i), f = σ(pre_f), c̃ = tanh(pre_c), o = σ(pre_o);
    c_t = f ⊙ c_(t−1) + i ⊙ c̃;  h_t = o ⊙ tanh(c_t).
    x_proj_t: (4, batch, units); states: [h_(t−1), c_(t−1)], (batch, units) each;
    recurrent_kernel: (4, units, units), one W_h per gate.
    """
    h_prev, c_prev = states
    pre_t = np.matmul(h_prev, recurrent_kernel, out=pre_t)  # (4, batch, units)
    pre_t += x_proj_t
    if act_t is None:
        act_t = np.empty_like(pre_t)  # (4, batch, units)
    recurrent_activation(pre_t[:2], out=act_t[:2])  # i, f
    activation(pre_t[2], out=act_t[2])  # c̃
    recurrent_activation(pre_t[3], out=act_t[3])  # o
    i_t, f_t, c_tilde, o_t = act_t  # (batch, units) each
    c_t = f_t * c_prev  # (batch, units)
    c_t += i_t * c_tilde
    h_t = activation(c_t)  # (batch, units)
    h_t *= o_t
    return h_t, [h_t, c_t], (pre_t, act_t)


def gru_step(x_proj_t, states, recurrent_kernel, candidate_recurrent_bias=None, activation=tanh,
             recurrent_activation=sigmoid, reset_after=True, pre_t=None, act_t=None):
    """GRU step, Keras gate order z (update), r (reset), h̃ (candidate).

    z = σ(x·W_z + h_(t−1)·U_z), r = σ(x·W_r + h_(t−1)·U_r),
    reset_after=True:  h̃ = tanh(x·W_h + r ⊙ (h_(t−1)·U_h + b_rec_h))   (Keras/cuDNN default)
    reset_after=False: h̃ = tanh(x·W_h + (r ⊙ h_(t−1))·U_h);
    h_t = z ⊙ h_(t−1) + (1 − z) ⊙ h̃.
    x_proj_t: (3, batch, units) with the biases added (with reset_after, z's and r's recurrent
    biases too: they only ever add to the input side); recurrent_kernel: (3, units, units);
    candidate_recurrent_bias: b_rec_h (1, units), or None (only with reset_after).
    """
    (h_prev,) = states
    if pre_t is None:
        pre_t = np.empty_like(x_proj_t)  # (3, batch, units)
    if act_t is None:
        act_t = np.empty_like(x_proj_t)  # (3, batch, units)
    if reset_after:
        rec = np.matmul(h_prev, recurrent_kernel)  # (3, batch, units)
        np.add(x_proj_t[:2], rec[:2], out=pre_t[:2])
        recurrent_activation(pre_t[:2], out=act_t[:2])  # z, r
        rec_h = rec[2]  # (batch, units)
        if candidate_recurrent_bias is not None:
            rec_h += candidate_recurrent_bias
        np.multiply(act_t[1], rec_h, out=pre_t[2])  # r ⊙ (h_(t−1)·U_h + b_rec_h)
    else:
        np.matmul(h_prev, recurrent_kernel[:2], out=pre_t[:2])  # (2, batch, units)
        pre_t[:2] += x_proj_t[:2]
        recurrent_activation(pre_t[:2], out=act_t[:2])  # z, r
        np.matmul(act_t[1] * h_prev, recurrent_kernel[2], out=pre_t[2])  # (r ⊙ h_(t−1))·U_h
    pre_t[2] += x_proj_t[2]
    activation(pre_t[2], out=act_t[2])  # h̃
    update, _, h_tilde = act_t
    # h_t = h̃ + z ⊙ (h_(t−1) − h̃): one multiply fewer than the textbook form.
    h_t = h_prev - h_tilde  # (batch, units)
    h_t *= update
    h_t += h_tilde
    return h_t, [h_t], (pre_t, act_t)
