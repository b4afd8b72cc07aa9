"""Argument checks shared by every public function: one message format everywhere.

Each raises ``ValueError("<argument>: got <value>, expected <what>")`` so a page can show
the message as it is.
"""
from __future__ import annotations

import numpy as np


def fail(argument: str, value, expected: str):
    """Raise the project's one kind of argument error."""
    shown = value if not isinstance(value, np.ndarray) else f"an array of shape {value.shape}"
    raise ValueError(f"{argument}: got {shown!r}, expected {expected}")


def positive_int(argument: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        fail(argument, value, "a positive integer")
    return int(value)


def boolean(argument: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        fail(argument, value, "True or False")
    return bool(value)


def fraction(argument: str, value) -> float:
    """A rate such as dropout: a number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not 0.0 <= float(value) <= 1.0:
        fail(argument, value, "a number in [0, 1]")
    return float(value)


def one_of(argument: str, value, choices):
    if value not in choices:
        fail(argument, value, "one of " + ", ".join(repr(c) for c in choices))
    return value


def dtype(argument: str, value) -> np.dtype:
    if str(value) not in ("float32", "float64"):
        fail(argument, value, "'float32' or 'float64'")
    return np.dtype(str(value))


def input_shape(argument: str, shape, rank: int | None = None, min_rank: int | None = None):
    """A Keras-style shape: tuple of positive ints or None."""
    if not isinstance(shape, (tuple, list)) or not all(
        d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 1)
        for d in shape
    ):
        fail(argument, shape, "a tuple of positive integers or None, e.g. (None, 5, 10)")
    shape = tuple(None if d is None else int(d) for d in shape)
    if rank is not None and len(shape) != rank:
        fail(argument, shape, f"rank {rank}, e.g. (batch, timesteps, features)")
    if min_rank is not None and len(shape) < min_rank:
        fail(argument, shape, f"rank at least {min_rank}")
    return shape


def array(argument: str, x, rank: int | None = None, dtype_=None) -> np.ndarray:
    """Convert to an ndarray of a float dtype and check its rank; nothing broadcasts."""
    try:
        arr = np.asarray(x, dtype=dtype_)
    except (TypeError, ValueError):
        fail(argument, type(x).__name__, "an array of numbers")
    if rank is not None and arr.ndim != rank:
        expected = {3: "a 3-D array (batch, timesteps, features)", 2: "a 2-D array (batch, units)"}
        fail(argument, arr, expected.get(rank, f"a {rank}-D array"))
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        fail(argument, "an array with NaN or inf", "finite numbers")
    return arr
