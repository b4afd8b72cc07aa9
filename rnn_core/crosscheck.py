"""Run an rnn_core layer and the equivalent Keras layer on the same input and compare.

TensorFlow is optional: it is imported lazily, inside the functions below, and only once.
Without it every function raises :class:`TensorFlowUnavailable` (``is_available()`` never imports).

cuDNN eligibility is read from the *installed* Keras (``keras/src/backend/tensorflow/rnn.py``):
its ``_do_lstm_arguments_support_cudnn`` / ``_do_gru_arguments_support_cudnn`` decide activation,
recurrent_activation, unroll, use_bias (and GRU reset_after); its ``_is_sequence_right_padded`` /
``_has_fully_masked_sequence`` decide the mask. When those helpers are missing or their signature
changed, the same rules are applied from an explicit list (Keras 3.15's).
"""
from __future__ import annotations

import copy
import importlib
import importlib.util
import inspect
import os
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

INSTALL_HINT = "pip install tensorflow"

# Keyword arguments of Keras recurrent layers that we forward from get_config();
# initializers are left out on purpose: the weights are copied.
_RNN_KWARGS = (
    "units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
    "reset_after", "return_sequences", "return_state", "go_backwards", "stateful", "dtype",
    "dropout", "recurrent_dropout", "unroll",
)
_KERAS_CLASSES = ("SimpleRNN", "LSTM", "GRU", "Bidirectional", "Embedding", "Dense", "TimeDistributed")


class TensorFlowUnavailable(RuntimeError):
    """TensorFlow/Keras cannot be imported; the message says how to install it."""


@dataclass
class OutputDiff:
    name: str
    shape: tuple
    max_abs_diff: float


@dataclass
class CrossCheckResult:
    outputs: list  # list[OutputDiff], in Keras's output order
    max_abs_diff: float
    tolerance: float
    passed: bool
    device: str  # "CPU" or the GPU's name
    device_type: str  # "CPU" | "GPU"
    cudnn_eligible: bool | None  # None when no GPU is visible
    cudnn_reasons: list = field(default_factory=list)  # list[str], also filled without a GPU
    tf_version: str = ""
    keras_version: str = ""
    numpy_ms: float = 0.0  # median of TIMING_REPEATS warm calls (after a first call)
    keras_ms: float = 0.0  # the same for Keras (eager), so tracing is not counted
    keras_first_ms: float = 0.0  # Keras's first call here, tracing included (0: not measured)


# --- lazy TensorFlow ---------------------------------------------------------------------------
_TF_CACHE: dict = {}


def is_available() -> bool:
    """True when TensorFlow looks importable (does not import it)."""
    if "tensorflow" in sys.modules and sys.modules["tensorflow"] is None:
        return False
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError, AttributeError):
        return False


def _import_tf():
    """(tensorflow, keras), imported once."""
    if "tf" not in _TF_CACHE:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            tf = importlib.import_module("tensorflow")
            keras = importlib.import_module("keras")
        except ImportError as exc:
            raise TensorFlowUnavailable(
                f"TensorFlow is not installed ({exc}); the cross-check needs it. "
                f"Install it with `{INSTALL_HINT}` and restart the app."
            ) from exc
        _TF_CACHE["tf"], _TF_CACHE["keras"] = tf, keras
    return _TF_CACHE["tf"], _TF_CACHE["keras"]


# --- building the Keras twin -------------------------------------------------------------------
def _kind(layer) -> str:
    name = type(layer).__name__
    if name not in _KERAS_CLASSES:
        raise ValueError(f"layer: got {name}, expected one of {', '.join(_KERAS_CLASSES)}")
    return name


def _sub_layers(layer):
    """(forward, backward) rnn_core layers of a Bidirectional."""
    forward = getattr(layer, "forward_layer", None) or getattr(layer, "layer")
    backward = getattr(layer, "backward_layer", None)
    return forward, backward


def _keras_kwargs(layer, allowed) -> dict:
    config = layer.get_config()
    kwargs = {k: config[k] for k in allowed if k in config}
    if "dtype" in kwargs:
        kwargs["dtype"] = str(np.dtype(kwargs["dtype"]))
    return kwargs


def _make_keras_layer(layer, keras):
    """An unbuilt Keras layer with the same configuration as ``layer``."""
    kind = _kind(layer)
    if kind in ("SimpleRNN", "LSTM", "GRU"):
        kwargs = _keras_kwargs(layer, _RNN_KWARGS)
        if kind != "LSTM":
            kwargs.pop("unit_forget_bias", None)
        if kind != "GRU":
            kwargs.pop("reset_after", None)
        if getattr(layer, "zero_output_for_mask", False):  # not in get_config, but changes masked outputs
            kwargs["zero_output_for_mask"] = True
        return getattr(keras.layers, kind)(**kwargs)
    if kind == "Bidirectional":
        forward, backward = _sub_layers(layer)
        config = layer.get_config()
        return keras.layers.Bidirectional(
            _make_keras_layer(forward, keras),
            merge_mode=config.get("merge_mode", getattr(layer, "merge_mode", "concat")),
            backward_layer=None if backward is None else _make_keras_layer(backward, keras),
            **_keras_kwargs(layer, ("dtype",)),  # the wrapper casts its outputs to its own dtype
        )
    if kind == "Embedding":
        return keras.layers.Embedding(**_keras_kwargs(layer, ("input_dim", "output_dim", "mask_zero", "dtype")))
    if kind == "Dense":
        return keras.layers.Dense(**_keras_kwargs(layer, ("units", "activation", "use_bias", "dtype")))
    return keras.layers.TimeDistributed(_make_keras_layer(layer.layer, keras), **_keras_kwargs(layer, ("dtype",)))


def _build_shape(layer, input_shape):
    if input_shape is not None:
        return tuple(input_shape)
    shape = getattr(layer, "input_shape", None)
    if shape is None and _kind(layer) == "Bidirectional":
        shape = getattr(_sub_layers(layer)[0], "input_shape", None)
    if shape is None:
        raise ValueError(f"layer: got an unbuilt {type(layer).__name__}, expected a built layer or input_shape")
    return tuple(shape)


def _stateful(layer) -> bool:
    return bool(layer.get_config().get("stateful", False)) if _kind(layer) in ("SimpleRNN", "LSTM", "GRU") \
        else _kind(layer) == "Bidirectional" and _stateful(_sub_layers(layer)[0])


def _our_states(layer):
    """Current states of a stateful rnn_core layer, in Keras's flat order (or None)."""
    if _kind(layer) == "Bidirectional":
        forward, backward = _sub_layers(layer)
        if backward is None:
            return None
        fs, bs = _our_states(forward), _our_states(backward)
        return None if fs is None or bs is None else list(fs) + list(bs)
    states = getattr(layer, "states", None)
    return None if states is None else [np.asarray(s) for s in states]


def _keras_state_vars(klayer):
    states = klayer.states
    return None if states is None else list(states)


_KERAS_LAYER_CACHE: "OrderedDict[tuple, object]" = OrderedDict()
_CACHE_SIZE = 64


def _config_key(layer, shape):
    kind = _kind(layer)
    if kind == "Bidirectional":
        forward, backward = _sub_layers(layer)
        sub = (_config_key(forward, shape), None if backward is None else _config_key(backward, shape))
        return (kind, layer.get_config().get("merge_mode", getattr(layer, "merge_mode", None)), sub)
    if kind == "TimeDistributed":
        return (kind, _config_key(layer.layer, shape[:1] + shape[2:]), shape)
    config = layer.get_config()
    items = tuple(sorted((k, repr(v)) for k, v in config.items() if k != "name" and not k.endswith("initializer")))
    return (kind, items, getattr(layer, "zero_output_for_mask", None), shape)


def to_keras(layer, input_shape=None, *, cache: bool = False):
    """The equivalent Keras layer, built for ``input_shape`` (default: the layer's build shape)
    with our weights copied in (and, for stateful layers, our current states)."""
    tf, keras = _import_tf()
    shape = _build_shape(layer, input_shape)
    if _stateful(layer) and shape[0] is None:
        states = _our_states(layer)
        if states is None:
            raise ValueError(f"input_shape: got {shape} for a stateful layer, expected a fixed batch size")
        shape = (states[0].shape[0],) + shape[1:]
    if not layer.built:
        layer.build(shape)
    key = _config_key(layer, shape)
    klayer = _KERAS_LAYER_CACHE.get(key) if cache else None
    if klayer is None:
        klayer = _make_keras_layer(layer, keras)
        klayer.build(shape)
        if cache:
            _KERAS_LAYER_CACHE[key] = klayer
            while len(_KERAS_LAYER_CACHE) > _CACHE_SIZE:
                _KERAS_LAYER_CACHE.popitem(last=False)
    else:
        _KERAS_LAYER_CACHE.move_to_end(key)
    klayer.set_weights(layer.get_weights())
    if _stateful(layer):
        kvars, ours = _keras_state_vars(klayer), _our_states(layer)
        if kvars is not None:
            for var, value in zip(kvars, ours or [None] * len(kvars)):
                var.assign(np.zeros(var.shape, var.dtype) if value is None else value)
    return klayer


# --- devices and cuDNN -------------------------------------------------------------------------
def _gpu():
    """(device string, GPU name) of the first visible GPU, or None."""
    tf, _ = _import_tf()
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return None
    try:
        details = tf.config.experimental.get_device_details(gpus[0]) or {}
    except Exception:  # details are optional; some drivers refuse them
        details = {}
    name = details.get("device_name") or gpus[0].name
    return "/GPU:0", name


def _keras_rnn_helpers():
    try:
        return importlib.import_module("keras.src.backend.tensorflow.rnn")
    except ImportError:
        return None


def _args_ok(helpers, fn_name, expected_params, good, actual):
    """Verdict per argument from the installed Keras helper: each argument is tried alone,
    the others set to values known to pass. Returns {arg: bool} or None if unusable."""
    fn = getattr(helpers, fn_name, None) if helpers is not None else None
    if fn is None:
        return None
    try:
        params = tuple(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return None
    if params != expected_params:
        return None
    verdicts = {}
    for arg in expected_params:
        trial = dict(good, **{arg: actual[arg]})
        verdicts[arg] = bool(fn(**trial))
    return verdicts


def _fallback_args_ok(actual, keras):
    """The same rules as Keras 3.15's helpers, used when the installed helpers changed."""
    verdicts = {
        "activation": actual["activation"] is keras.activations.tanh,
        "recurrent_activation": actual["recurrent_activation"] is keras.activations.sigmoid,
        "unroll": not actual["unroll"],
        "use_bias": bool(actual["use_bias"]),
    }
    if "reset_after" in actual:
        verdicts["reset_after"] = bool(actual["reset_after"])
    return verdicts


def _act_name(fn):
    return getattr(fn, "__name__", str(fn))


def _rnn_cudnn(klayer, keras, helpers):
    """(ok, reasons) for one Keras SimpleRNN/LSTM/GRU layer, ignoring the mask and the device."""
    kind = type(klayer).__name__
    if kind not in ("LSTM", "GRU"):
        return False, [f"✗ {kind} has no cuDNN kernel in Keras (only LSTM and GRU have one)"]
    cell = klayer.cell
    actual = {
        "activation": cell.activation,
        "recurrent_activation": cell.recurrent_activation,
        "unroll": klayer.unroll,
        "use_bias": cell.use_bias,
    }
    good = {
        "activation": keras.activations.tanh,
        "recurrent_activation": keras.activations.sigmoid,
        "unroll": False,
        "use_bias": True,
    }
    if kind == "GRU":
        actual["reset_after"], good["reset_after"] = cell.reset_after, True
        fn_name, expected = "_do_gru_arguments_support_cudnn", (
            "activation", "recurrent_activation", "unroll", "use_bias", "reset_after")
    else:
        fn_name, expected = "_do_lstm_arguments_support_cudnn", (
            "activation", "recurrent_activation", "unroll", "use_bias")
    verdicts = _args_ok(helpers, fn_name, expected, good, actual)
    source = f"keras {fn_name}"
    if verdicts is None:
        verdicts, source = _fallback_args_ok(actual, keras), "rules of Keras 3.15 (helper not found)"
    text = {
        "activation": (f"activation is {_act_name(actual['activation'])}", "cuDNN needs tanh"),
        "recurrent_activation": (f"recurrent_activation is {_act_name(actual['recurrent_activation'])}",
                                 "cuDNN needs sigmoid"),
        "unroll": (f"unroll is {actual['unroll']}", "cuDNN needs unroll=False"),
        "use_bias": (f"use_bias is {bool(actual['use_bias'])}", "cuDNN needs use_bias=True"),
        "reset_after": (f"reset_after is {actual.get('reset_after')}", "cuDNN's GRU needs reset_after=True"),
    }
    reasons = []
    for arg, ok in verdicts.items():
        what, need = text[arg]
        reasons.append(f"✓ {what}" if ok else f"✗ {what}; {need}")
    extra = [("recurrent_dropout", getattr(cell, "recurrent_dropout", 0.0), "cuDNN needs recurrent_dropout=0"),
             ("use_cudnn", getattr(klayer, "use_cudnn", "auto"), "cuDNN needs use_cudnn='auto' or True")]
    ok = all(verdicts.values())
    for name, value, need in extra:
        good_value = (value == 0) if name == "recurrent_dropout" else value in ("auto", True)
        ok = ok and good_value
        reasons.append(f"✓ {name} is {value!r}" if good_value else f"✗ {name} is {value!r}; {need}")
    reasons.append(f"(rules read from {source})")
    return ok, reasons


def _mask_cudnn(mask, helpers, tf):
    if mask is None:
        return True, ["✓ no mask"]
    right_padded = getattr(helpers, "_is_sequence_right_padded", None)
    fully_masked = getattr(helpers, "_has_fully_masked_sequence", None)
    m = np.asarray(mask, bool)  # (batch, timesteps)
    if right_padded is not None and fully_masked is not None:
        is_right = bool(right_padded(tf.constant(m)))
        has_empty = bool(fully_masked(tf.constant(m)))
    else:
        counts = m.sum(axis=1)  # (batch,)
        is_right = bool((m == (np.arange(m.shape[1]) < counts[:, None])).all())
        has_empty = bool((counts == 0).any())
    reasons = []
    reasons.append("✓ mask is strictly right-padded" if is_right else
                   "✗ mask is not strictly right-padded; Keras falls back to the generic loop")
    if has_empty:
        reasons.append("✗ a sequence is fully masked; Keras falls back to the generic loop")
    return is_right and not has_empty, reasons


def cudnn_report(klayer, mask=None, gpu_visible: bool = False):
    """(eligible, reasons) for a built Keras layer on a GPU. eligible is None without a GPU;
    the reasons are always computed, so the app can say what would happen on a GPU."""
    tf, keras = _import_tf()
    helpers = _keras_rnn_helpers()
    if type(klayer).__name__ == "Bidirectional":
        ok_f, rf = _rnn_cudnn(klayer.forward_layer, keras, helpers)
        ok_b, rb = _rnn_cudnn(klayer.backward_layer, keras, helpers)
        ok = ok_f and ok_b
        reasons = [f"forward: {r}" for r in rf] + [f"backward: {r}" for r in rb] if rf != rb else \
            [f"both directions: {r}" for r in rf]
    elif type(klayer).__name__ in ("SimpleRNN", "LSTM", "GRU"):
        ok, reasons = _rnn_cudnn(klayer, keras, helpers)
    else:
        return (None if not gpu_visible else False), [f"✗ {type(klayer).__name__} is not a recurrent layer"]
    mask_ok, mask_reasons = _mask_cudnn(mask, helpers, tf)
    ok = ok and mask_ok
    reasons = reasons + mask_reasons
    if gpu_visible:
        reasons.append("✓ a GPU is visible")
    else:
        reasons.append("✗ no GPU visible: " + ("on a GPU this configuration would use cuDNN" if ok else
                                               "even on a GPU this configuration would not use cuDNN"))
    return (bool(ok) if gpu_visible else None), reasons


# --- running both ------------------------------------------------------------------------------
def _keras_call(klayer, x, **kwargs):
    """``klayer(x, ...)``, except for Keras 3.15's stateful+return_state Bidirectional whose
    ``__call__`` crashes in compute_mask (a Keras bug); its own ``call`` computes the same thing."""
    if type(klayer).__name__ == "Bidirectional" and klayer.stateful and klayer.return_state:
        return klayer.call(x, **kwargs)
    return klayer(x, **kwargs)


def _as_list(out):
    if isinstance(out, (list, tuple)):
        return list(out)
    return [out]


def _output_names(layer, n):
    names = layer.output_names() if hasattr(layer, "output_names") else []
    names = list(names)
    return names[:n] + [f"output_{i}" for i in range(len(names), n)]


def _step_twins(layer, x, initial_state, mask, dtype):
    """Every step of ``layer``'s recurrent directions in Keras, from the states ``layer`` has now:
    [(label, our (batch, timesteps, units), Keras's (batch, timesteps, units))] for h_t (a
    return_sequences twin) and, for LSTM, c_t (Keras's own LSTMCell stepped by hand)."""
    import copy

    tf, keras = _import_tf()
    ours = copy.deepcopy(layer).trace(x, initial_state=initial_state, mask=mask)
    if _kind(layer) == "Bidirectional":
        forward, backward = _sub_layers(layer)
        directions = [("forward ", forward, ours.forward), ("backward ", backward, ours.backward)]
    else:
        directions = [("", layer, ours)]
    states = _as_list(initial_state) if initial_state is not None else _our_states(layer)
    out = []
    for d, (label, sub, trace) in enumerate(directions):
        n = len(sub.state_names)
        start = None if states is None else [np.asarray(s) for s in states[d * n:(d + 1) * n]]
        if start is None:
            start = [np.zeros((x.shape[0], sub.units), np.float32)] * n
        twin = to_keras(sub.clone(return_sequences=True, return_state=False, stateful=False),
                        (None,) + tuple(x.shape[1:]))
        twin.set_weights(sub.get_weights())
        kwargs = {"initial_state": [tf.constant(s, dtype=dtype) for s in start]}
        if mask is not None:
            kwargs["mask"] = tf.constant(np.asarray(mask, bool))
        h_seq = np.asarray(_as_list(_keras_call(twin, tf.constant(x, dtype=dtype), **kwargs))[0])
        h_ours = trace.h                                            # (batch, timesteps, units)
        if mask is not None:
            # At a masked step Keras outputs the previous *output*: zeros before the first real
            # step (the state is still the initial state there), or zeros throughout with
            # zero_output_for_mask. Those steps are compared through c_t / the next real step.
            real = np.asarray(mask, bool)[:, trace.timestep]        # (batch, timesteps), processing order
            shown = real if getattr(sub, "zero_output_for_mask", False) else np.cumsum(real, 1) > 0
            h_ours = np.where(shown[..., None], h_ours, h_seq)
        out.append((f"{label}h_t, every step", h_ours, h_seq))     # both in processing order
        if _kind(sub) == "LSTM":
            h, c = (tf.constant(s, dtype=dtype) for s in start)
            c_seq = []
            for k in range(x.shape[1]):
                t = int(trace.timestep[k])
                _, (h_new, c_new) = twin.cell(tf.constant(x[:, t], dtype=dtype), [h, c])
                if mask is not None:  # a masked step carries the state, as Keras's loop does
                    keep = tf.constant(np.asarray(mask, bool)[:, t:t + 1])
                    h_new, c_new = tf.where(keep, h_new, h), tf.where(keep, c_new, c)
                h, c = h_new, c_new
                c_seq.append(np.asarray(c))
            out.append((f"{label}c_t, every step", trace.c, np.stack(c_seq, axis=1)))
    return out


# --- timing ------------------------------------------------------------------------------------
TIMING_REPEATS = 3  # warm calls timed after the first; each costs one more forward pass


def timed_ms(call):
    """(what ``call()`` returns, its wall time in ms)."""
    start = time.perf_counter()
    out = call()
    return out, (time.perf_counter() - start) * 1e3


def warm_ms(call, repeats: int = TIMING_REPEATS) -> float:
    """The median ms of ``repeats`` calls of ``call``, made after a call that has already run
    (Keras's first eager call traces its functions; the first NumPy call warms caches)."""
    return float(np.median([timed_ms(call)[1] for _ in range(repeats)]))


def run(layer, x, initial_state=None, mask=None, tolerance=1e-5,
        every_step: bool = True) -> CrossCheckResult:
    """Call ``layer`` and its Keras twin on ``x`` (same initial_state, mask) and compare every output,
    and (``every_step``, recurrent layers) every step's h_t and, for LSTM, c_t.

    A stateful ``layer`` advances exactly as in a normal call; its Keras twin starts from the
    same states, so consecutive ``run`` calls check a stateful sequence step by step."""
    tf, keras = _import_tf()
    x = np.asarray(x)
    if x.ndim != 3 and _kind(layer) in ("SimpleRNN", "LSTM", "GRU", "Bidirectional"):
        raise ValueError(f"x: got shape {x.shape}, expected (batch, timesteps, features)")
    if not (isinstance(tolerance, (int, float)) and tolerance >= 0):
        raise ValueError(f"tolerance: got {tolerance!r}, expected a non-negative number")
    kwargs = {}
    if initial_state is not None:
        kwargs["initial_state"] = [np.asarray(s) for s in _as_list(initial_state)]
    if mask is not None:
        kwargs["mask"] = np.asarray(mask, bool)

    # a stateful layer's batch size is part of its state (Keras needs it at build time)
    shape = ((x.shape[0] if _stateful(layer) else None),) + tuple(x.shape[1:])
    if not getattr(layer, "built", False):
        layer.build(shape)
    klayer = to_keras(layer, shape, cache=True)  # copies weights and current states before our call
    steps = (_step_twins(layer, x, kwargs.get("initial_state"), kwargs.get("mask"),
                         klayer.compute_dtype)
             if every_step and _kind(layer) in ("SimpleRNN", "LSTM", "GRU", "Bidirectional") else [])

    # The compared call is each side's first (warm-up) call; the timings are the median of warm
    # calls after it. Our layer's copy times the repeats, so a stateful layer advances only once.
    timing_copy = copy.deepcopy(layer)
    ours, _ = timed_ms(lambda: _as_list(layer(x, **kwargs)))
    timing_copy(x, **kwargs)
    numpy_ms = warm_ms(lambda: timing_copy(x, **kwargs))

    gpu = _gpu()
    dtype = klayer.compute_dtype
    kx = tf.constant(x) if x.dtype.kind in "iu" else tf.constant(x, dtype=dtype)  # Embedding takes ids
    kkwargs = {}
    if "initial_state" in kwargs:
        kkwargs["initial_state"] = [tf.constant(s, dtype=dtype) for s in kwargs["initial_state"]]
    if "mask" in kwargs:
        kkwargs["mask"] = tf.constant(kwargs["mask"])
    with tf.device(gpu[0] if gpu else "/CPU:0"):
        theirs, keras_first_ms = timed_ms(
            lambda: [np.asarray(t) for t in _as_list(_keras_call(klayer, kx, **kkwargs))])
        # a stateful twin advances here too; the next run() copies our states into it again
        keras_ms = warm_ms(lambda: _keras_call(klayer, kx, **kkwargs))

    names = _output_names(layer, max(len(ours), len(theirs)))
    diffs = []
    for i, name in enumerate(names):
        a = np.asarray(ours[i]) if i < len(ours) else None
        b = theirs[i] if i < len(theirs) else None
        if a is None or b is None or a.shape != b.shape:
            shape_i = tuple((a if a is not None else b).shape)
            diffs.append(OutputDiff(name, shape_i, float("inf")))
        else:
            diff = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0
            diffs.append(OutputDiff(name, tuple(a.shape), diff))
    for name, a, b in steps:
        diff = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0
        diffs.append(OutputDiff(name, tuple(a.shape), diff if a.shape == b.shape else float("inf")))
    worst = max((d.max_abs_diff for d in diffs), default=0.0)
    eligible, reasons = cudnn_report(klayer, kwargs.get("mask"), gpu_visible=gpu is not None)
    return CrossCheckResult(
        outputs=diffs,
        max_abs_diff=worst,
        tolerance=float(tolerance),
        passed=bool(worst <= tolerance),
        device=gpu[1] if gpu else "CPU",
        device_type="GPU" if gpu else "CPU",
        cudnn_eligible=eligible,
        cudnn_reasons=reasons,
        tf_version=tf.__version__,
        keras_version=keras.__version__,
        numpy_ms=numpy_ms,
        keras_ms=keras_ms,
        keras_first_ms=keras_first_ms,
    )
