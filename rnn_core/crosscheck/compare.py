"""Run an rnn_core layer and its Keras twin on the same input; compare every output and every
step; time both sides warm.

What ``layer(x)`` returns is compared in ``outputs``; h_t (and, for LSTM, c_t) at every step of
each recurrent direction in ``steps``. The cuDNN rules come with the result (``cudnn``).
"""
from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass

import numpy as np

from . import cudnn
from .keras_twin import (RECURRENT, as_list, directions, import_tf, keras_call, keras_steps, kind,
                         our_states, stateful, to_keras)

TIMING_REPEATS = 3  # warm calls timed after the first; each costs one more forward pass


@dataclass(frozen=True)
class Diff:
    """One compared array: its name, shape and largest |ours − Keras's| (inf: shapes differ)."""
    name: str
    shape: tuple
    max_abs_diff: float


@dataclass
class CrossCheckResult:
    outputs: list  # list[Diff]: what layer(x) returns, in Keras's output order
    steps: list  # list[Diff]: h_t (and c_t) at every step, per direction, (batch, timesteps, units)
    max_abs_diff: float
    tolerance: float
    passed: bool
    device: str  # "CPU" or the GPU's name
    device_type: str  # "CPU" | "GPU"
    cudnn: cudnn.Report  # the cuDNN rules, also filled without a GPU
    tf_version: str = ""
    keras_version: str = ""
    numpy_ms: float = 0.0  # median of TIMING_REPEATS warm calls (after a first call)
    keras_ms: float = 0.0  # the same for Keras (eager), so tracing is not counted
    keras_first_ms: float = 0.0  # Keras's first call here, tracing included (0: not measured)

    @property
    def cudnn_eligible(self) -> bool | None:
        """Does Keras use cuDNN here? None without a GPU."""
        return self.cudnn.eligible

    def compared(self) -> list[Diff]:
        """Every comparison in one list, for a table: the outputs, then the steps, each named
        "<name>, every step"."""
        return self.outputs + [dataclasses.replace(d, name=f"{d.name}, every step") for d in self.steps]


def _diff(name: str, ours, theirs) -> Diff:
    if ours is None or theirs is None or ours.shape != theirs.shape:
        return Diff(name, tuple((ours if ours is not None else theirs).shape), float("inf"))
    diff = np.abs(ours.astype(np.float64) - theirs.astype(np.float64))   # same shape as ours
    return Diff(name, tuple(ours.shape), float(diff.max()) if diff.size else 0.0)


def _output_names(layer, n):
    names = list(layer.output_names()) if hasattr(layer, "output_names") else []
    return names[:n] + [f"output_{i}" for i in range(len(names), n)]


def _step_diffs(layer, x, initial_state, mask, dtype) -> list[Diff]:
    """h_t (and c_t) at every step of each direction of ``layer``, from the states it has now,
    ours (a trace of a copy) against Keras's."""
    ours = copy.deepcopy(layer).trace(x, initial_state=initial_state, mask=mask)
    bidirectional = kind(layer) == "Bidirectional"
    traces = [ours.forward, ours.backward] if bidirectional else [ours]
    labels = ["forward ", "backward "] if bidirectional else [""]
    states = as_list(initial_state) if initial_state is not None else our_states(layer)
    out = []
    for d, (label, sub, trace) in enumerate(zip(labels, directions(layer), traces)):
        n = len(sub.state_names)
        if states is None:
            start = [np.zeros((x.shape[0], sub.units), np.float32)] * n   # n × (batch, units)
        else:
            start = [np.asarray(s) for s in states[d * n:(d + 1) * n]]
        h_keras, c_keras = keras_steps(sub, x, start, mask, trace.timestep, dtype)
        h_ours = trace.h                                            # (batch, timesteps, units)
        if mask is not None:
            # At a masked step Keras outputs the previous *output*: zeros before the first real
            # step (the state is still the initial state there), or zeros throughout with
            # zero_output_for_mask. Those steps are compared through c_t / the next real step.
            real = np.asarray(mask, bool)[:, trace.timestep]        # (batch, timesteps), processing order
            shown = real if getattr(sub, "zero_output_for_mask", False) else np.cumsum(real, 1) > 0
            h_ours = np.where(shown[..., None], h_ours, h_keras)
        out.append(_diff(f"{label}h_t", h_ours, h_keras))           # both in processing order
        if c_keras is not None:
            out.append(_diff(f"{label}c_t", trace.c, c_keras))
    return out


# --- timing ------------------------------------------------------------------------------------
def timed_ms(call):
    """(what ``call()`` returns, its wall time in ms)."""
    start = time.perf_counter()
    out = call()
    return out, (time.perf_counter() - start) * 1e3


def warm_ms(call, repeats: int = TIMING_REPEATS) -> float:
    """The median ms of ``repeats`` calls of ``call``, made after a call that has already run
    (Keras's first eager call traces its functions; the first NumPy call warms caches)."""
    return float(np.median([timed_ms(call)[1] for _ in range(repeats)]))


def _gpu():
    """(device string, GPU name) of the first visible GPU, or None."""
    tf, _ = import_tf()
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    try:
        details = tf.config.experimental.get_device_details(gpus[0]) or {}
    except Exception:  # details are optional; some drivers refuse them
        details = {}
    return "/GPU:0", details.get("device_name") or gpus[0].name


# --- running both ------------------------------------------------------------------------------
def run(layer, x, initial_state=None, mask=None, tolerance=1e-5,
        every_step: bool = True) -> CrossCheckResult:
    """Call ``layer`` and its Keras twin on ``x`` (same initial_state, mask) and compare every output,
    and (``every_step``, recurrent layers) every step's h_t and, for LSTM, c_t.

    A stateful ``layer`` advances exactly as in a normal call; its Keras twin starts from the
    same states, so consecutive ``run`` calls check a stateful sequence step by step."""
    tf, keras = import_tf()
    x = np.asarray(x)
    recurrent = kind(layer) in RECURRENT + ("Bidirectional",)
    if x.ndim != 3 and recurrent:
        raise ValueError(f"x: got shape {x.shape}, expected (batch, timesteps, features)")
    if not (isinstance(tolerance, (int, float)) and tolerance >= 0):
        raise ValueError(f"tolerance: got {tolerance!r}, expected a non-negative number")
    kwargs = {}
    if initial_state is not None:
        kwargs["initial_state"] = [np.asarray(s) for s in as_list(initial_state)]
    if mask is not None:
        kwargs["mask"] = np.asarray(mask, bool)

    # a stateful layer's batch size is part of its state (Keras needs it at build time)
    shape = ((x.shape[0] if stateful(layer) else None),) + tuple(x.shape[1:])
    if not getattr(layer, "built", False):
        layer.build(shape)
    klayer = to_keras(layer, shape, cache=True)  # copies weights and current states before our call
    dtype = klayer.compute_dtype
    steps = (_step_diffs(layer, x, kwargs.get("initial_state"), kwargs.get("mask"), dtype)
             if every_step and recurrent else [])

    # The compared call is each side's first (warm-up) call; the timings are the median of warm
    # calls after it. Our layer's copy times the repeats, so a stateful layer advances only once.
    timing_copy = copy.deepcopy(layer)
    ours, _ = timed_ms(lambda: as_list(layer(x, **kwargs)))
    timing_copy(x, **kwargs)
    numpy_ms = warm_ms(lambda: timing_copy(x, **kwargs))

    gpu = _gpu()
    kx = tf.constant(x) if x.dtype.kind in "iu" else tf.constant(x, dtype=dtype)  # Embedding takes ids
    kkwargs = {}
    if "initial_state" in kwargs:
        kkwargs["initial_state"] = [tf.constant(s, dtype=dtype) for s in kwargs["initial_state"]]
    if "mask" in kwargs:
        kkwargs["mask"] = tf.constant(kwargs["mask"])
    with tf.device(gpu[0] if gpu else "/CPU:0"):
        theirs, keras_first_ms = timed_ms(
            lambda: [np.asarray(t) for t in as_list(keras_call(klayer, kx, **kkwargs))])
        # a stateful twin advances here too; the next run() copies our states into it again
        keras_ms = warm_ms(lambda: keras_call(klayer, kx, **kkwargs))

    names = _output_names(layer, max(len(ours), len(theirs)))
    outputs = [_diff(name, np.asarray(ours[i]) if i < len(ours) else None,
                     theirs[i] if i < len(theirs) else None) for i, name in enumerate(names)]
    worst = max((d.max_abs_diff for d in outputs + steps), default=0.0)
    return CrossCheckResult(
        outputs=outputs,
        steps=steps,
        max_abs_diff=worst,
        tolerance=float(tolerance),
        passed=bool(worst <= tolerance),
        device=gpu[1] if gpu else "CPU",
        device_type="GPU" if gpu else "CPU",
        cudnn=cudnn.rules(klayer, kwargs.get("mask"), gpu=gpu[1] if gpu else None),
        tf_version=tf.__version__,
        keras_version=keras.__version__,
        numpy_ms=numpy_ms,
        keras_ms=keras_ms,
        keras_first_ms=keras_first_ms,
    )
