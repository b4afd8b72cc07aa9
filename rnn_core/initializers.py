"""Keras 3 initializers, seeded and reproducible (same distributions, not the same draws)."""
from __future__ import annotations

import numpy as np

from . import _checks


class Initializer:
    """``init(shape, dtype) -> ndarray``; a seeded one draws the same array every call."""

    name = "initializer"

    def __call__(self, shape, dtype="float32") -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class _Seeded(Initializer):
    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            _checks.fail("seed", seed, "an integer or None")
        self.seed = seed

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


class Zeros(Initializer):
    name = "zeros"

    def __call__(self, shape, dtype="float32"):
        return np.zeros(shape, dtype=dtype)


class Ones(Initializer):
    name = "ones"

    def __call__(self, shape, dtype="float32"):
        return np.ones(shape, dtype=dtype)


class Constant(Initializer):
    name = "constant"

    def __init__(self, value=0.0):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            _checks.fail("value", value, "a number")
        self.value = float(value)

    def __call__(self, shape, dtype="float32"):
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


class RandomUniform(_Seeded):
    name = "random_uniform"

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype="float32"):
        return self._rng().uniform(self.minval, self.maxval, size=shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class GlorotUniform(_Seeded):
    """U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)), fans as Keras computes them."""

    name = "glorot_uniform"

    def __call__(self, shape, dtype="float32"):
        fan_in, fan_out = _fans(shape)
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return self._rng().uniform(-limit, limit, size=shape).astype(dtype)


class Orthogonal(_Seeded):
    """QR of a normal matrix, sign-corrected, as Keras's Orthogonal."""

    name = "orthogonal"

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = float(gain)

    def __call__(self, shape, dtype="float32"):
        if len(shape) < 2:
            _checks.fail("shape", tuple(shape), "at least 2 dimensions for an orthogonal matrix")
        num_rows = int(np.prod(shape[:-1]))
        num_cols = shape[-1]
        flat = self._rng().standard_normal((max(num_cols, num_rows), min(num_cols, num_rows)))
        q, r = np.linalg.qr(flat)  # (max, min), (min, min)
        q *= np.sign(np.diag(r))
        if num_rows < num_cols:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


def _fans(shape):
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


_BY_NAME = {
    cls.name: cls
    for cls in (Zeros, Ones, Constant, RandomUniform, GlorotUniform, Orthogonal)
}
_BY_NAME["uniform"] = RandomUniform  # Keras's alias, used by Embedding


def get(identifier, seed=None, argument="initializer") -> Initializer:
    """An Initializer from a Keras name or an instance; ``seed`` seeds a named random one."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        cls = _BY_NAME[identifier]
        return cls(seed=seed) if issubclass(cls, _Seeded) else cls()
    _checks.fail(argument, identifier, "an Initializer or one of " + ", ".join(map(repr, _BY_NAME)))


# Keras exposes both spellings.
glorot_uniform, orthogonal, zeros, ones = GlorotUniform, Orthogonal, Zeros, Ones
