"""Would Keras run this layer with its fused cuDNN kernel on a GPU? The rules, as records.

Read from Keras's public behaviour where it shows them: a Keras ``LSTM``/``GRU`` built with
``use_cudnn`` while TensorFlow reports a GPU sets its public ``supports_jit`` to False exactly
when its arguments allow the cuDNN kernel (Keras 3 does this in the layer's ``__init__``, because
cuDNN ops cannot be XLA-compiled). Each argument is tried alone, the others at the Keras
defaults (read from the constructor's signature), so every record says which argument decides.
A Keras class whose constructor takes no ``use_cudnn`` (SimpleRNN) has no cuDNN kernel.

Two rules show only inside a call on a real GPU (no GPU here): ``recurrent_dropout`` must be 0,
and a mask must be strictly right-padded with no fully masked sequence. They are written from
Keras 3.15's source (keras/src/layers/rnn/lstm.py, gru.py ``inner_loop``;
keras/src/backend/tensorflow/rnn.py ``_assert_valid_mask``) and say so in their record. So do the
argument rules if the probe stops working (the Keras defaults no longer pass it).
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
from dataclasses import dataclass

import numpy as np

from .keras_twin import import_tf

SOURCE_VERSION = "3.15"  # the Keras whose source the written rules below were copied from
PROBED = ("activation", "recurrent_activation", "unroll", "use_bias", "reset_after", "use_cudnn")


@dataclass(frozen=True)
class Rule:
    """One condition of Keras's cuDNN path, judged for this layer."""
    argument: str       # the Keras argument it is about; "layer" (the class), "mask" or "device"
    ok: bool            # does this layer meet it?
    actual: str         # the value here, as Keras spells it ("relu", "False", "0.2", ...)
    needed: str         # what the fused kernel needs
    keras_version: str  # the Keras the rule was read from: the installed one, or SOURCE_VERSION
    how: str            # "probed" (Keras's public behaviour, installed) or "source" (written)
    scope: str = ""     # a Bidirectional's "forward", "backward" or "both directions"; else ""


@dataclass(frozen=True)
class Report:
    """Every rule for one layer (with its mask) and what they add up to."""
    rules: tuple            # tuple[Rule, ...]: per direction's arguments, then mask, then device
    gpu_visible: bool
    on_a_gpu: bool          # every rule but the device holds: a GPU would use cuDNN

    @property
    def eligible(self) -> bool | None:
        """Does Keras use cuDNN here? None when no GPU is visible (see ``on_a_gpu``)."""
        return self.on_a_gpu if self.gpu_visible else None


def _spelled(value) -> str:
    return getattr(value, "__name__", None) or str(value)  # a function by its name


@contextlib.contextmanager
def _gpu_reported(tf):
    """TensorFlow lists a logical GPU meanwhile (Keras asks ``tf.config.list_logical_devices``);
    without a GPU this is how the rules a GPU would apply become visible here. Only a layer's
    construction runs meanwhile, in the worker's one thread; the real function is put back."""
    real = tf.config.list_logical_devices
    if real("GPU"):
        yield
        return
    tf.config.list_logical_devices = lambda kind=None: (["/GPU:0 (reported)"] if kind == "GPU"
                                                        else real(kind))
    try:
        yield
    finally:
        tf.config.list_logical_devices = real


@functools.lru_cache(maxsize=256)
def _uses_cudnn(class_name: str, kwargs: tuple) -> bool:
    """Keras's own verdict: does ``keras.layers.<class_name>(1, **kwargs)`` take its cuDNN path
    on a GPU? (It turns ``supports_jit`` off exactly then.)"""
    tf, keras = import_tf()
    with _gpu_reported(tf):
        return not getattr(keras.layers, class_name)(1, **dict(kwargs)).supports_jit


@functools.cache
def _defaults(class_name: str) -> dict:
    """The Keras constructor's defaults of the probed arguments (its public signature)."""
    _, keras = import_tf()
    params = inspect.signature(getattr(keras.layers, class_name)).parameters
    return {k: params[k].default for k in PROBED if k in params}


def _written_rules(actual: dict) -> dict:
    """{argument: (ok, needed)} from Keras 3.15's source, for when the probe is unusable."""
    needed = {"activation": "tanh", "recurrent_activation": "sigmoid", "unroll": "False",
              "use_bias": "True", "reset_after": "True", "use_cudnn": "auto or True"}
    ok = {"activation": _spelled(actual.get("activation")) == "tanh",
          "recurrent_activation": _spelled(actual.get("recurrent_activation")) == "sigmoid",
          "unroll": not actual.get("unroll"), "use_bias": bool(actual.get("use_bias")),
          "reset_after": bool(actual.get("reset_after")),
          "use_cudnn": actual.get("use_cudnn") in ("auto", True)}
    return {k: (ok[k], needed[k]) for k in actual}


def _direction_rules(klayer, keras_version: str) -> list[Rule]:
    """The rules one Keras layer (not a Bidirectional) meets or breaks, not the mask or device."""
    class_name = type(klayer).__name__
    defaults = _defaults(class_name)
    if "use_cudnn" not in defaults:
        return [Rule("layer", False, class_name, "LSTM or GRU", keras_version, "probed")]
    actual = {k: getattr(klayer, k) for k in defaults}  # Keras's layer exposes its cell's too
    rules = []

    def passes(**change) -> bool:  # Keras's verdict with these arguments changed from its defaults
        return _uses_cudnn(class_name, tuple(dict(defaults, **change).items()))

    if passes():   # the probe works: the defaults pass it
        for argument, value in actual.items():
            candidates = ("auto", True) if argument == "use_cudnn" else (defaults[argument],)
            needed = " or ".join(_spelled(v) for v in candidates if passes(**{argument: v}))
            rules.append(Rule(argument, passes(**{argument: value}), _spelled(value), needed,
                              keras_version, "probed"))
    else:
        for argument, (ok, needed) in _written_rules(actual).items():
            rules.append(Rule(argument, ok, _spelled(actual[argument]), needed, SOURCE_VERSION,
                              "source"))
    dropout = float(klayer.cell.recurrent_dropout)
    rules.append(Rule("recurrent_dropout", dropout == 0, _spelled(dropout), "0", SOURCE_VERSION,
                      "source"))
    return rules


def mask_rule(mask) -> Rule:
    """cuDNN reads a mask as sequence lengths: only strictly right-padded masks (True then False
    in every row) with no fully masked sequence fit; other masks fall back to the generic loop."""
    if mask is None:
        return Rule("mask", True, "absent", "absent, or strictly right-padded", SOURCE_VERSION,
                    "source")
    m = np.asarray(mask, bool)                                            # (batch, timesteps)
    lengths = m.sum(axis=1)                                               # (batch,)
    right_padded = bool((m == (np.arange(m.shape[1]) < lengths[:, None])).all())
    actual = ("not strictly right-padded" if not right_padded else
              "right-padded, with a fully masked sequence" if (lengths == 0).any() else
              "strictly right-padded")
    return Rule("mask", actual == "strictly right-padded", actual,
                "absent, or strictly right-padded with no fully masked sequence", SOURCE_VERSION,
                "source")


def rules(klayer, mask=None, gpu: str | None = None) -> Report:
    """The cuDNN rules for a built Keras layer run with ``mask`` on the GPU named ``gpu`` (None:
    no GPU visible; the rules still say what a GPU would do)."""
    _, keras = import_tf()
    class_name = type(klayer).__name__
    if class_name == "Bidirectional":
        forward = _direction_rules(klayer.forward_layer, keras.__version__)
        backward = _direction_rules(klayer.backward_layer, keras.__version__)
        if forward == backward:
            found = [_scoped(r, "both directions") for r in forward]
        else:
            found = [_scoped(r, "forward") for r in forward] + [_scoped(r, "backward") for r in backward]
    else:
        found = _direction_rules(klayer, keras.__version__)
    found.append(mask_rule(mask))
    on_a_gpu = all(r.ok for r in found)
    # TensorFlow's device list, as Keras reads it
    found.append(Rule("device", gpu is not None, gpu or "no GPU visible", "a visible GPU",
                      keras.__version__, "probed"))
    return Report(tuple(found), gpu_visible=gpu is not None, on_a_gpu=on_a_gpu)


def _scoped(rule: Rule, scope: str) -> Rule:
    return dataclasses.replace(rule, scope=scope)
