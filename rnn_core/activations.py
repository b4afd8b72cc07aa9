"""Activations by Keras name. Each takes ``out=`` so the time loop can work in place."""
from __future__ import annotations

import numpy as np

from . import _checks


def tanh(x, out=None):
    return np.tanh(x, out=out)


# Beyond ±SATURATE, σ is 0 or 1 to float32 precision (σ(−80) ≈ 1.8e−35): clipping there keeps
# exp() finite (float32's exp overflows above 88.7) and every result a normal float32 number.
SATURATE = 80.0


def sigmoid(x, out=None):
    # 1 / (1 + exp(-x)) as Keras computes it, on x clipped to ±SATURATE so nothing overflows for
    # any input (the clip costs ~4 %; the branch-free form keeps it one pass per operation).
    out = np.clip(x, -SATURATE, SATURATE, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def hard_sigmoid(x, out=None):
    # Keras 3: relu6(x + 3) / 6
    out = np.add(x, 3.0, out=out)
    np.clip(out, 0.0, 6.0, out=out)
    out /= 6.0
    return out


def relu(x, out=None):
    return np.maximum(x, 0.0, out=out)


def linear(x, out=None):
    if out is None:
        return np.array(x, copy=True)
    out[...] = x
    return out


def softmax(x, out=None):
    # Shifted by the row's max, so the largest exp() is exp(0) = 1: no overflow for any input;
    # the clip keeps the smallest terms normal numbers instead of underflowing to 0.
    out = np.subtract(x, np.max(x, axis=-1, keepdims=True), out=out)
    np.maximum(out, -SATURATE, out=out)
    np.exp(out, out=out)
    out /= np.sum(out, axis=-1, keepdims=True)
    return out


ACTIVATIONS = {
    "tanh": tanh,
    "sigmoid": sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "relu": relu,
    "linear": linear,
    "softmax": softmax,
}


def get(argument: str, name):
    """Return ``(keras_name, function)``; None means linear as in Keras."""
    name = "linear" if name is None else name
    _checks.one_of(argument, name, tuple(ACTIVATIONS))
    return name, ACTIVATIONS[name]
