"""Optimizers with Keras 3's exact update rules (keras/src/optimizers/{sgd,rmsprop,adam}.py).

``opt.apply(grads, variables)`` updates the NumPy arrays in place, like Keras's
``optimizer.apply(grads, trainable_variables)``: clip (``clipnorm`` / ``clipvalue`` /
``global_clipnorm``), read the learning rate at the current ``iterations`` (a schedule is
called with it), update every variable, then ``iterations += 1``.
"""
from __future__ import annotations

import math

import numpy as np

from . import _checks

__all__ = [
    "ExponentialDecay",
    "SGD",
    "RMSprop",
    "Adam",
    "get",
    "global_norm",
    "clip_by_global_norm",
]


def _positive_float(argument, value, allow_zero=False):
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        _checks.fail(argument, value, "a non-negative number" if allow_zero else "a positive number")
    return float(value)


def _as_keras_cast(value: float) -> float:
    """A Python float after Keras's ``ops.cast(value, dtype)``: it passes through float32 first."""
    return float(np.float32(value))


class ExponentialDecay:
    """``lr = initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored when staircase)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False):
        self.initial_learning_rate = _positive_float("initial_learning_rate", initial_learning_rate)
        self.decay_steps = _positive_float("decay_steps", decay_steps)
        self.decay_rate = _positive_float("decay_rate", decay_rate)
        self.staircase = _checks.boolean("staircase", staircase)

    def __call__(self, step):
        # float32 like Keras, whose schedule converts the initial rate to a float32 tensor
        p = np.float32(step) / np.float32(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return float(np.float32(self.initial_learning_rate) * np.power(np.float32(self.decay_rate), p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase}


def global_norm(grads) -> float:
    """sqrt of the sum of every gradient entry squared (all variables together)."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads if g is not None))


def clip_by_global_norm(grads, clip_norm):
    """Keras/TF ``clip_by_global_norm``: scale every gradient by ``clip_norm / max(norm, clip_norm)``.

    Returns ``(clipped_grads, norm_before)``.
    """
    norm = global_norm(grads)
    scale = clip_norm * min(1.0 / norm, 1.0 / clip_norm) if norm > 0 else 1.0
    return [None if g is None else g * np.asarray(scale, dtype=g.dtype) for g in grads], norm


class Optimizer:
    """Shared Keras behaviour: learning rate (or schedule), clipping, iteration counter."""

    name = "optimizer"

    def __init__(self, learning_rate, clipnorm=None, clipvalue=None, global_clipnorm=None):
        if callable(learning_rate):
            self.learning_rate = learning_rate
        else:
            self.learning_rate = _positive_float("learning_rate", learning_rate)
        given = [a for a in (clipnorm, clipvalue, global_clipnorm) if a is not None]
        if len(given) > 1:
            _checks.fail("clipnorm/clipvalue/global_clipnorm", given, "at most one of them set (as in Keras)")
        self.clipnorm = None if clipnorm is None else _positive_float("clipnorm", clipnorm)
        self.clipvalue = None if clipvalue is None else _positive_float("clipvalue", clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else _positive_float("global_clipnorm", global_clipnorm)
        self.iterations = 0
        self._slots = None
        self.last_grad_norm = None  # global norm before clipping, for teaching views
        self.last_clipped_norm = None

    def current_learning_rate(self) -> float:
        lr = self.learning_rate
        lr = lr(self.iterations) if callable(lr) else lr
        # Keras keeps the learning rate in a float32 variable, also for float64 weights
        return float(np.float32(lr))

    def clip(self, grads):
        if self.clipnorm:
            out = []
            for g in grads:
                n = math.sqrt(float(np.vdot(g, g)))
                out.append(g * np.asarray(self.clipnorm / max(n, self.clipnorm), dtype=g.dtype) if n > 0 else g)
            return out
        if self.global_clipnorm:
            return clip_by_global_norm(grads, self.global_clipnorm)[0]
        if self.clipvalue:
            return [np.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return list(grads)

    def apply(self, grads, variables):
        """Update ``variables`` (list of ndarrays) in place from ``grads``; returns the clipped grads."""
        grads = list(grads)
        if len(grads) != len(variables):
            _checks.fail("grads", f"{len(grads)} arrays", f"one per variable ({len(variables)})")
        self.last_grad_norm = global_norm(grads)
        grads = self.clip(grads)
        self.last_clipped_norm = global_norm(grads)
        if self._slots is None:
            self._slots = [self._new_slots(v) for v in variables]
        lr = self.current_learning_rate()
        for g, v, s in zip(grads, variables, self._slots):
            self._update(g.astype(v.dtype, copy=False), v, s, v.dtype.type(lr))
        self.iterations += 1
        return grads

    def _new_slots(self, variable):
        return {}

    def _update(self, g, v, slots, lr):
        raise NotImplementedError

    def get_config(self):
        lr = self.learning_rate
        cfg = {"learning_rate": lr.get_config() if hasattr(lr, "get_config") else lr}
        for k in ("clipnorm", "clipvalue", "global_clipnorm"):
            cfg[k] = getattr(self, k)
        return cfg


class SGD(Optimizer):
    name = "SGD"

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = _positive_float("momentum", momentum, allow_zero=True)
        if self.momentum >= 1:
            _checks.fail("momentum", momentum, "a number in [0, 1)")
        self.nesterov = _checks.boolean("nesterov", nesterov)

    def _new_slots(self, v):
        return {"m": np.zeros_like(v)} if self.momentum else {}

    def _update(self, g, v, s, lr):
        if self.momentum:
            m = s["m"]
            momentum = _as_keras_cast(self.momentum)
            m *= momentum
            m -= g * lr
            if self.nesterov:
                v += m * momentum - g * lr
            else:
                v += m
        else:
            v -= g * lr


class RMSprop(Optimizer):
    name = "RMSprop"

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = _positive_float("rho", rho, allow_zero=True)
        self.momentum = _positive_float("momentum", momentum, allow_zero=True)
        self.epsilon = _positive_float("epsilon", epsilon)
        self.centered = _checks.boolean("centered", centered)

    def _new_slots(self, v):
        s = {"velocity": np.zeros_like(v)}
        if self.momentum > 0:
            s["momentum"] = np.zeros_like(v)
        if self.centered:
            s["average_grad"] = np.zeros_like(v)
        return s

    def _update(self, g, v, s, lr):
        vel = s["velocity"]
        vel *= self.rho
        vel += (1 - self.rho) * (g * g)
        if self.centered:
            ag = s["average_grad"]
            ag *= self.rho
            ag += (1 - self.rho) * g
            denominator = vel - ag * ag + self.epsilon
        else:
            denominator = vel + self.epsilon
        increment = lr * g / np.sqrt(denominator)
        if self.momentum > 0:
            m = s["momentum"]
            m *= self.momentum
            m += increment
            v -= m
        else:
            v -= increment


class Adam(Optimizer):
    name = "Adam"

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = _positive_float("beta_1", beta_1, allow_zero=True)
        self.beta_2 = _positive_float("beta_2", beta_2, allow_zero=True)
        self.epsilon = _positive_float("epsilon", epsilon)
        self.amsgrad = _checks.boolean("amsgrad", amsgrad)

    def _new_slots(self, v):
        s = {"m": np.zeros_like(v), "v": np.zeros_like(v)}
        if self.amsgrad:
            s["v_hat"] = np.zeros_like(v)
        return s

    def _update(self, g, v, s, lr):
        dt = v.dtype.type
        step = dt(self.iterations + 1)
        beta_1_power = dt(_as_keras_cast(self.beta_1)) ** step
        beta_2_power = dt(_as_keras_cast(self.beta_2)) ** step
        alpha = lr * np.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m, vel = s["m"], s["v"]
        m += (g - m) * dt(1 - self.beta_1)
        vel += (g * g - vel) * dt(1 - self.beta_2)
        if self.amsgrad:
            np.maximum(s["v_hat"], vel, out=s["v_hat"])
            vel = s["v_hat"]
        v -= (m * alpha) / (np.sqrt(vel) + dt(self.epsilon))


_BY_NAME = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam}


def get(name: str, **kwargs) -> Optimizer:
    """Optimizer by Keras's string name ('sgd', 'rmsprop', 'adam'), case-insensitive."""
    key = str(name).lower()
    _checks.one_of("optimizer", key, tuple(_BY_NAME))
    return _BY_NAME[key](**kwargs)
