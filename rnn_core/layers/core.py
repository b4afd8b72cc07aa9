"""The non-recurrent layers the seed models use: Embedding, Dense, TimeDistributed and Masking."""
from __future__ import annotations

import numpy as np

from .. import _checks, activations, initializers
from .base import Layer


class Dense(Layer):
    """output = activation(x·kernel + bias) on the last axis; kernel is (input_dim, units)."""

    keras_name = "dense"

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", seed=None, name=None, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        self.units = _checks.positive_int("units", units)
        self.activation, self._activation = activations.get("activation", activation)
        self.use_bias = _checks.boolean("use_bias", use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer, seed, "kernel_initializer")
        self.bias_initializer = initializers.get(bias_initializer, None, "bias_initializer")
        self.input_dim = None

    def _check_input_shape(self, input_shape):
        shape = _checks.input_shape("input_shape", input_shape, min_rank=2)
        if shape[-1] is None:
            _checks.fail("input_shape", shape, "a known size in the last position")
        return shape

    def _weight_specs(self, input_shape):
        self.input_dim = input_shape[-1]
        specs = [("kernel", (input_shape[-1], self.units), self.kernel_initializer)]
        if self.use_bias:
            specs.append(("bias", (self.units,), self.bias_initializer))
        return specs

    def _explain(self, weight_name):
        return {"kernel": "input_dim × units: one weight per input feature per unit",
                "bias": "one bias per unit"}[weight_name]

    def _formula(self, symbolic):
        inp, units = ("input_dim", "units") if symbolic else (self.input_dim, self.units)
        return f"{inp} × {units}" + (f" + {units}" if self.use_bias else "")

    def compute_output_shape(self, input_shape):
        return self._check_input_shape(input_shape)[:-1] + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, activation=self.activation, use_bias=self.use_bias)
        return config

    def call(self, x, mask=None):
        x = _checks.array("x", x)
        if x.ndim < 2:
            _checks.fail("x", x, "an array of rank 2 or more (..., features)")
        x = x.astype(self.dtype, copy=False)
        if not self.built:
            self.build((None,) + x.shape[1:])
        if x.shape[-1] != self.input_dim:
            _checks.fail("x", x, f"last dimension {self.input_dim}: the layer was built for it")
        z = x @ self._weights["kernel"]  # (..., units)
        if self.use_bias:
            z += self._weights["bias"]
        return self._activation(z, out=z)


class Embedding(Layer):
    """Looks up a learned vector per integer token: (batch, timesteps) -> (batch, timesteps, output_dim)."""

    keras_name = "embedding"

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform", mask_zero=False,
                 seed=None, name=None, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        self.input_dim = _checks.positive_int("input_dim", input_dim)
        self.output_dim = _checks.positive_int("output_dim", output_dim)
        self.mask_zero = _checks.boolean("mask_zero", mask_zero)
        self.embeddings_initializer = initializers.get(
            embeddings_initializer, seed, "embeddings_initializer")

    def _check_input_shape(self, input_shape):
        return _checks.input_shape("input_shape", input_shape, min_rank=1)

    def _weight_specs(self, input_shape):
        return [("embeddings", (self.input_dim, self.output_dim), self.embeddings_initializer)]

    def _explain(self, weight_name):
        return "input_dim × output_dim: one output_dim-vector per token of the vocabulary"

    def _formula(self, symbolic):
        if symbolic:
            return "input_dim × output_dim"
        return f"{self.input_dim} × {self.output_dim}"

    def compute_output_shape(self, input_shape):
        return self._check_input_shape(input_shape) + (self.output_dim,)

    def compute_mask(self, x, mask=None):
        """(batch, timesteps) True where the token is not 0, when mask_zero (else None)."""
        return None if not self.mask_zero else np.asarray(x) != 0

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim,
                      mask_zero=self.mask_zero)
        return config

    def call(self, x, mask=None):
        x = np.asarray(x)
        if x.dtype.kind not in "iu" and not (x.dtype.kind == "f" and np.all(x == np.round(x))):
            _checks.fail("x", x.dtype.name, "integer token ids")
        x = x.astype(np.int64)
        if x.size and (x.min() < 0 or x.max() >= self.input_dim):
            _checks.fail("x", f"token ids from {x.min()} to {x.max()}",
                         f"ids in [0, {self.input_dim - 1}] (input_dim={self.input_dim})")
        if not self.built:
            self.build((None,) + x.shape[1:])
        return self._weights["embeddings"][x]  # (batch, timesteps, output_dim)


class TimeDistributed(Layer):
    """Applies ``layer`` to every timestep independently: (batch, timesteps, ...) in and out."""

    keras_name = "time_distributed"

    def __init__(self, layer, name=None):
        if not isinstance(layer, Layer):
            _checks.fail("layer", layer, "an rnn_core layer, e.g. Dense(10)")
        super().__init__(name=name, dtype=layer.dtype.name)
        self.layer = layer

    def build(self, input_shape):
        input_shape = _checks.input_shape("input_shape", input_shape, min_rank=3)
        self.layer.build((input_shape[0],) + input_shape[2:])
        self.input_shape = input_shape
        self.built = True
        return self

    def planned_params(self, input_shape):
        input_shape = _checks.input_shape("input_shape", input_shape, min_rank=3)
        return self.layer.planned_params((input_shape[0],) + tuple(input_shape[2:]))  # one timestep

    def weight_names(self):
        return self.layer.weight_names()

    def get_weights(self):
        return self.layer.get_weights()

    def set_weights(self, weights):
        self.layer.set_weights(weights)

    def count_params(self):
        return self.layer.count_params()

    def param_terms(self):
        return self.layer.param_terms()

    def _formula(self, symbolic):
        return self.layer._formula(symbolic)

    def compute_output_shape(self, input_shape):
        input_shape = _checks.input_shape("input_shape", input_shape, min_rank=3)
        inner = self.layer.compute_output_shape((input_shape[0],) + input_shape[2:])
        return (input_shape[0], input_shape[1]) + tuple(inner[1:])

    def get_config(self):
        config = super().get_config()
        config.update(layer=self.layer.get_config(), layer_class=type(self.layer).__name__)
        return config

    def call(self, x, mask=None):
        x = _checks.array("x", x)
        if x.ndim < 3:
            _checks.fail("x", x, "an array of rank 3 or more (batch, timesteps, ...)")
        if not self.built:
            self.build((None,) + x.shape[1:])
        batch, timesteps = x.shape[:2]
        y = self.layer(x.reshape((batch * timesteps,) + x.shape[2:]))  # (batch·timesteps, ...)
        return y.reshape((batch, timesteps) + y.shape[1:])


class Masking(Layer):
    """Marks a timestep as padding when *every* feature equals ``mask_value`` (Keras's Masking).

    The output is x with the masked steps set to 0; ``compute_mask`` gives the (batch, timesteps)
    mask that a Sequential hands to the layers above (True = a real step). A real step whose
    features all happen to equal ``mask_value`` is masked too, exactly as in Keras."""

    keras_name = "masking"

    def __init__(self, mask_value=0.0, name=None, dtype="float32"):
        super().__init__(name=name, dtype=dtype)
        if isinstance(mask_value, bool) or not isinstance(mask_value, (int, float, np.number)):
            _checks.fail("mask_value", mask_value, "a number")
        self.mask_value = float(mask_value)

    def _check_input_shape(self, input_shape):
        return _checks.input_shape("input_shape", input_shape, min_rank=3)

    def compute_output_shape(self, input_shape):
        return self._check_input_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(mask_value=self.mask_value)
        return config

    def _check_x(self, x):
        x = _checks.array("x", x)
        if x.ndim < 3:
            _checks.fail("x", x, "an array of rank 3 or more (batch, timesteps, features)")
        return x.astype(self.dtype, copy=False)

    def compute_mask(self, x, mask=None):
        """(batch, timesteps) True where some feature differs from mask_value."""
        return np.any(self._check_x(x) != self.mask_value, axis=-1)  # (batch, timesteps)

    def call(self, x, mask=None):
        x = self._check_x(x)
        if not self.built:
            self.build((None,) + x.shape[1:])
        keep = np.any(x != self.mask_value, axis=-1, keepdims=True)  # (batch, timesteps, 1)
        return np.where(keep, x, 0).astype(self.dtype)  # (batch, timesteps, features)
