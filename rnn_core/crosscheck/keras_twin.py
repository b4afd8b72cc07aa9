"""The Keras twin of an rnn_core layer: the same Keras class, configuration, weights and states.

TensorFlow is optional: ``import_tf`` imports it lazily (once) and every other function here
gets it from there; without it they raise :class:`TensorFlowUnavailable`. ``is_available()``
never imports it.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import os

import numpy as np

INSTALL_HINT = "pip install tensorflow"

# Keyword arguments of Keras recurrent layers that we forward from get_config();
# initializers are left out on purpose: the weights are copied.
_RNN_KWARGS = (
    "units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
    "reset_after", "return_sequences", "return_state", "go_backwards", "stateful", "dtype",
    "dropout", "recurrent_dropout", "unroll",
)
RECURRENT = ("SimpleRNN", "LSTM", "GRU")
_KERAS_CLASSES = RECURRENT + ("Bidirectional", "Embedding", "Dense", "TimeDistributed")
_CACHE_SIZE = 64  # built Keras layers kept, one per (configuration, input shape)


class TensorFlowUnavailable(RuntimeError):
    """TensorFlow/Keras cannot be imported; the message says how to install it."""


def is_available() -> bool:
    """True when TensorFlow looks importable (does not import it)."""
    try:  # None also when the import is blocked (sys.modules holds None for it)
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError, AttributeError):
        return False


@functools.cache  # a failed import is not cached: it raises, and the next call tries again
def import_tf():
    """(tensorflow, keras), imported once."""
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
    return tf, keras


# --- what the twin is built from ---------------------------------------------------------------
def kind(layer) -> str:
    """The Keras class name of an rnn_core layer (ValueError for one Keras has no twin of)."""
    name = type(layer).__name__
    if name not in _KERAS_CLASSES:
        raise ValueError(f"layer: got {name}, expected one of {', '.join(_KERAS_CLASSES)}")
    return name


def directions(layer) -> list:
    """The recurrent layers inside ``layer``: [layer] or a Bidirectional's [forward, backward]."""
    if kind(layer) != "Bidirectional":
        return [layer]
    forward = getattr(layer, "forward_layer", None) or layer.layer
    backward = getattr(layer, "backward_layer", None)
    return [forward] if backward is None else [forward, backward]


def _kwargs(layer, allowed) -> tuple:
    config = layer.get_config()
    kwargs = {k: config[k] for k in allowed if k in config}
    if "dtype" in kwargs:
        kwargs["dtype"] = str(np.dtype(kwargs["dtype"]))
    return tuple(sorted(kwargs.items()))


def spec(layer) -> tuple:
    """(Keras class name, sorted keyword arguments, specs of the wrapped layers): everything the
    twin is built from, hashable, so equal specs give interchangeable twins."""
    name = kind(layer)
    if name in RECURRENT:
        drop = {"LSTM": ("reset_after",), "GRU": ("unit_forget_bias",)}.get(
            name, ("reset_after", "unit_forget_bias"))
        kwargs = dict(_kwargs(layer, tuple(k for k in _RNN_KWARGS if k not in drop)))
        if getattr(layer, "zero_output_for_mask", False):  # not in get_config, but changes masked outputs
            kwargs["zero_output_for_mask"] = True
        return name, tuple(sorted(kwargs.items())), ()
    if name == "Bidirectional":
        merge_mode = layer.get_config().get("merge_mode", getattr(layer, "merge_mode", "concat"))
        # the wrapper casts its outputs to its own dtype
        kwargs = _kwargs(layer, ("dtype",)) + (("merge_mode", merge_mode),)
        return name, kwargs, tuple(spec(d) for d in directions(layer))
    if name == "Embedding":
        return name, _kwargs(layer, ("input_dim", "output_dim", "mask_zero", "dtype")), ()
    if name == "Dense":
        return name, _kwargs(layer, ("units", "activation", "use_bias", "dtype")), ()
    return name, _kwargs(layer, ("dtype",)), (spec(layer.layer),)


def _keras_layer(layer_spec, keras):
    """An unbuilt Keras layer from a ``spec``."""
    name, kwargs, wrapped = layer_spec
    kwargs = dict(kwargs)
    if name == "Bidirectional":
        backward = None if len(wrapped) == 1 else _keras_layer(wrapped[1], keras)
        return keras.layers.Bidirectional(_keras_layer(wrapped[0], keras), backward_layer=backward,
                                          **kwargs)
    if name == "TimeDistributed":
        return keras.layers.TimeDistributed(_keras_layer(wrapped[0], keras), **kwargs)
    return getattr(keras.layers, name)(**kwargs)


def _built(layer_spec, shape):
    klayer = _keras_layer(layer_spec, import_tf()[1])
    klayer.build(shape)
    return klayer


_built_cached = functools.lru_cache(maxsize=_CACHE_SIZE)(_built)


# --- weights and states ------------------------------------------------------------------------
def stateful(layer) -> bool:
    return kind(layer) in RECURRENT + ("Bidirectional",) and \
        bool(directions(layer)[0].get_config().get("stateful", False))


def our_states(layer):
    """Current states of a stateful rnn_core layer, in Keras's flat order (or None)."""
    if kind(layer) == "Bidirectional":
        subs = directions(layer)
        if len(subs) == 1:
            return None
        per_direction = [our_states(d) for d in subs]
        return None if None in per_direction else [s for states in per_direction for s in states]
    states = getattr(layer, "states", None)
    return None if states is None else [np.asarray(s) for s in states]


def _build_shape(layer, input_shape):
    if input_shape is not None:
        return tuple(input_shape)
    shape = getattr(layer, "input_shape", None)
    if shape is None and kind(layer) == "Bidirectional":
        shape = getattr(directions(layer)[0], "input_shape", None)
    if shape is None:
        raise ValueError(f"layer: got an unbuilt {type(layer).__name__}, expected a built layer or input_shape")
    return tuple(shape)


def to_keras(layer, input_shape=None, *, cache: bool = False):
    """The equivalent Keras layer, built for ``input_shape`` (default: the layer's build shape)
    with our weights copied in (and, for stateful layers, our current states). ``cache`` reuses
    a twin built before for the same spec and shape (the weights and states are copied anew)."""
    import_tf()
    shape = _build_shape(layer, input_shape)
    if stateful(layer) and shape[0] is None:
        states = our_states(layer)
        if states is None:
            raise ValueError(f"input_shape: got {shape} for a stateful layer, expected a fixed batch size")
        shape = (states[0].shape[0],) + shape[1:]
    if not layer.built:
        layer.build(shape)
    klayer = (_built_cached if cache else _built)(spec(layer), shape)
    klayer.set_weights(layer.get_weights())
    if stateful(layer) and klayer.states is not None:
        ours = our_states(layer) or [None] * len(klayer.states)
        for var, value in zip(klayer.states, ours):
            var.assign(np.zeros(var.shape, var.dtype) if value is None else value)
    return klayer


def keras_call(klayer, x, **kwargs):
    """``klayer(x, ...)``, except for Keras 3.15's stateful+return_state Bidirectional whose
    ``__call__`` crashes in compute_mask (a Keras bug); its own ``call`` computes the same thing."""
    if type(klayer).__name__ == "Bidirectional" and klayer.stateful and klayer.return_state:
        return klayer.call(x, **kwargs)
    return klayer(x, **kwargs)


def as_list(out) -> list:
    return list(out) if isinstance(out, (list, tuple)) else [out]


# --- Keras at every step -----------------------------------------------------------------------
def keras_steps(sub, x, start, mask, timestep, dtype):
    """Keras's h_t and (LSTM) c_t at every step of one recurrent direction ``sub``, from the
    states ``start``: (h (batch, timesteps, units), c (batch, timesteps, units) or None), both
    in processing order. h_t comes from a return_sequences twin; c_t from Keras's own LSTMCell
    stepped by hand over ``timestep`` (the processing order's time indices)."""
    tf, _ = import_tf()
    twin = to_keras(sub.clone(return_sequences=True, return_state=False, stateful=False),
                    (None,) + tuple(x.shape[1:]))
    twin.set_weights(sub.get_weights())  # a clone has weights of its own
    kwargs = {"initial_state": [tf.constant(s, dtype=dtype) for s in start]}
    if mask is not None:
        kwargs["mask"] = tf.constant(np.asarray(mask, bool))
    h_seq = np.asarray(as_list(keras_call(twin, tf.constant(x, dtype=dtype), **kwargs))[0])
    if kind(sub) != "LSTM":
        return h_seq, None
    h, c = (tf.constant(s, dtype=dtype) for s in start)
    c_seq = []
    for t in timestep:                                     # t: the time index read at this step
        _, (h_new, c_new) = twin.cell(tf.constant(x[:, int(t)], dtype=dtype), [h, c])
        if mask is not None:  # a masked step carries the state, as Keras's loop does
            keep = tf.constant(np.asarray(mask, bool)[:, int(t):int(t) + 1])  # (batch, 1)
            h_new, c_new = tf.where(keep, h_new, h), tf.where(keep, c_new, c)
        h, c = h_new, c_new
        c_seq.append(np.asarray(c))                        # (batch, units)
    return h_seq, np.stack(c_seq, axis=1)                  # (batch, timesteps, units)
