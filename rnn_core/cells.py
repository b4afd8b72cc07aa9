"""One time step of each cell, as pure functions.

Every step has the form ``(x_proj_t, states, recurrent weights) -> (h_t, new_states, (z_t, a_t))``:
``x_proj_t = x_t @ kernel + bias`` arrives precomputed for all timesteps by one matmul outside the
time loop (what fused kernels do), so a step only adds the recurrent part. ``z_t`` holds the gate
pre-activations and ``a_t`` the gate activations, side by side in Keras's column order.
``z_t``/``a_t`` may be passed in so the loop can write straight into its trace arrays.
"""
from __future__ import annotations

import numpy as np

from .activations import sigmoid, tanh


def simple_rnn_step(x_proj_t, states, recurrent_kernel, activation=tanh, z_t=None, a_t=None):
    """h_t = activation(x_t·W_x + b + h_{t-1}·W_h).

    x_proj_t: (batch, units); states: [h_{t-1} (batch, units)]; recurrent_kernel: (units, units).
    """
    (h_prev,) = states
    z_t = np.matmul(h_prev, recurrent_kernel, out=z_t)  # (batch, units)
    z_t += x_proj_t
    h_t = activation(z_t, out=a_t)  # (batch, units)
    return h_t, [h_t], (z_t, h_t)


def lstm_step(x_proj_t, states, recurrent_kernel, activation=tanh,
              recurrent_activation=sigmoid, z_t=None, a_t=None):
    """LSTM step, Keras gate order i, f, c (candidate), o.

    i = σ(z_i), f = σ(z_f), c̃ = tanh(z_c), o = σ(z_o), where z = x_t·W_x + b + h_{t-1}·W_h;
    c_t = f ⊙ c_{t-1} + i ⊙ c̃;  h_t = o ⊙ tanh(c_t).
    x_proj_t: (batch, 4·units); states: [h_{t-1}, c_{t-1}] (batch, units) each;
    recurrent_kernel: (units, 4·units).
    """
    h_prev, c_prev = states
    units = h_prev.shape[-1]
    z_t = np.matmul(h_prev, recurrent_kernel, out=z_t)  # (batch, 4·units)
    z_t += x_proj_t
    if a_t is None:
        a_t = np.empty_like(z_t)  # (batch, 4·units)
    recurrent_activation(z_t[:, : 2 * units], out=a_t[:, : 2 * units])  # i, f
    activation(z_t[:, 2 * units : 3 * units], out=a_t[:, 2 * units : 3 * units])  # c̃
    recurrent_activation(z_t[:, 3 * units :], out=a_t[:, 3 * units :])  # o
    i_t = a_t[:, :units]
    f_t = a_t[:, units : 2 * units]
    c_tilde = a_t[:, 2 * units : 3 * units]
    o_t = a_t[:, 3 * units :]
    c_t = f_t * c_prev  # (batch, units)
    c_t += i_t * c_tilde
    h_t = activation(c_t)  # (batch, units)
    h_t *= o_t
    return h_t, [h_t, c_t], (z_t, a_t)


def gru_step(x_proj_t, states, recurrent_kernel, recurrent_bias=None, activation=tanh,
             recurrent_activation=sigmoid, reset_after=True, z_t=None, a_t=None):
    """GRU step, Keras gate order z (update), r (reset), h̃ (candidate).

    z = σ(x·W_z + h_{t-1}·U_z), r = σ(x·W_r + h_{t-1}·U_r),
    reset_after=True:  h̃ = tanh(x·W_h + r ⊙ (h_{t-1}·U_h + b_rec_h))   (Keras/cuDNN default)
    reset_after=False: h̃ = tanh(x·W_h + (r ⊙ h_{t-1})·U_h);
    h_t = z ⊙ h_{t-1} + (1 − z) ⊙ h̃.
    x_proj_t: (batch, 3·units) with the input bias added; recurrent_kernel: (units, 3·units);
    recurrent_bias: (3·units,) or None (only with reset_after).
    """
    (h_prev,) = states
    units = h_prev.shape[-1]
    if z_t is None:
        z_t = np.empty_like(x_proj_t)  # (batch, 3·units)
    if a_t is None:
        a_t = np.empty_like(x_proj_t)  # (batch, 3·units)
    if reset_after:
        rec = h_prev @ recurrent_kernel  # (batch, 3·units)
        if recurrent_bias is not None:
            rec += recurrent_bias
        np.add(x_proj_t[:, : 2 * units], rec[:, : 2 * units], out=z_t[:, : 2 * units])
        recurrent_activation(z_t[:, : 2 * units], out=a_t[:, : 2 * units])  # z, r
        r_t = a_t[:, units : 2 * units]
        np.multiply(r_t, rec[:, 2 * units :], out=z_t[:, 2 * units :])
    else:
        rec_zr = h_prev @ recurrent_kernel[:, : 2 * units]  # (batch, 2·units)
        np.add(x_proj_t[:, : 2 * units], rec_zr, out=z_t[:, : 2 * units])
        recurrent_activation(z_t[:, : 2 * units], out=a_t[:, : 2 * units])  # z, r
        r_t = a_t[:, units : 2 * units]
        np.matmul(r_t * h_prev, recurrent_kernel[:, 2 * units :], out=z_t[:, 2 * units :])
    z_t[:, 2 * units :] += x_proj_t[:, 2 * units :]
    activation(z_t[:, 2 * units :], out=a_t[:, 2 * units :])  # h̃
    update = a_t[:, :units]
    h_tilde = a_t[:, 2 * units :]
    # h_t = h̃ + z ⊙ (h_{t-1} − h̃): one multiply fewer than the textbook form.
    h_t = h_prev - h_tilde  # (batch, units)
    h_t *= update
    h_t += h_tilde
    return h_t, [h_t], (z_t, a_t)
