"""What every rnn_core layer shares: naming, build, weights in Keras order, parameter terms."""
from __future__ import annotations

import ast
import operator
from dataclasses import dataclass

import numpy as np

from .. import _checks


def keras_name(base: str, index: int) -> str:
    """The name Keras gives the index-th layer of a kind in a fresh session: lstm, lstm_1, ..."""
    return base if index == 0 else f"{base}_{index}"


def name_uniquely(layers) -> None:
    """Give each layer that was not named by its caller Keras's name within ``layers`` (a model
    or a stack of cells): lstm, lstm_1, ... Counted per container, never globally, so no name
    depends on what another session built before."""
    seen: dict[str, int] = {}
    for layer in layers:
        base = layer.keras_name
        if layer.auto_named:
            layer.name = keras_name(base, seen.get(base, 0))
        seen[base] = seen.get(base, 0) + 1


@dataclass(frozen=True)
class ParamTerm:
    """One weight tensor's share of the parameter count."""

    name: str
    shape: tuple
    count: int
    explanation: str


_FORMULA_OPS = {ast.Add: operator.add, ast.Mult: operator.mul}


def formula_value(formula: str) -> int:
    """The value of a filled-in formula such as '4 × (8 × (4 + 8) + 8)': integers, +, × and
    parentheses only (parsed, never eval'd)."""
    def value(node):
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _FORMULA_OPS:
            return _FORMULA_OPS[type(node.op)](value(node.left), value(node.right))
        raise ValueError(f"formula: got {formula!r}, expected integers joined by + and ×")
    return value(ast.parse(formula.replace("×", "*"), mode="eval").body)


class Layer:
    """Base class. Subclasses define ``_weight_specs(input_shape)`` and ``call``."""

    keras_name = "layer"  # the name Keras gives the first layer of this type

    def __init__(self, name=None, dtype="float32"):
        if name is not None and not isinstance(name, str):
            _checks.fail("name", name, "a string or None")
        # Keras's name for a layer of this kind; a model renames it lstm_1, ... (name_uniquely)
        self.auto_named = name is None
        self.name = name or self.keras_name
        self.dtype = _checks.dtype("dtype", dtype)
        self.built = False
        self.input_shape = None
        self._weights: dict[str, np.ndarray] = {}

    # --- build -------------------------------------------------------------------------------
    def build(self, input_shape):
        """Create the weights for ``input_shape`` (batch and timesteps may be None)."""
        input_shape = self._check_input_shape(input_shape)
        self._weights = {
            name: init(shape, self.dtype) for name, shape, init in self._weight_specs(input_shape)
        }
        self.input_shape = input_shape
        self.built = True
        self._weights_changed()
        return self

    def _check_input_shape(self, input_shape):
        return _checks.input_shape("input_shape", input_shape)

    def _weight_specs(self, input_shape):
        """[(name, shape, initializer)] in Keras's order."""
        return []

    def _ensure_built(self, x_shape):
        if not self.built:
            self.build((None,) + tuple(x_shape[1:]))

    @property
    def directions(self) -> list:
        """The recurrent runs this layer makes over time: [] for a layer without a time loop,
        [self] for a recurrent layer, [forward_layer, backward_layer] for Bidirectional."""
        return []

    def planned_params(self, input_shape) -> int:
        """The parameter count ``build(input_shape)`` would create, without creating anything."""
        input_shape = self._check_input_shape(tuple(input_shape))
        shapes = [shape for _, shape, _ in self._weight_specs(input_shape)]
        if any(d is None for shape in shapes for d in shape):
            _checks.fail("input_shape", input_shape, "a known feature size in the last position")
        return int(sum(np.prod(shape, dtype=np.int64) for shape in shapes))

    # --- weights -----------------------------------------------------------------------------
    def weight_names(self) -> list[str]:
        return list(self._weights)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights, in Keras's order and layout."""
        return [w.copy() for w in self._weights.values()]

    def set_weights(self, weights):
        """Set weights from arrays in Keras's order and layout (e.g. ``keras_layer.get_weights()``)."""
        if not self.built:
            _checks.fail("set_weights", "an unbuilt layer", "build(input_shape) or a call first")
        if not isinstance(weights, (list, tuple)) or len(weights) != len(self._weights):
            _checks.fail("weights", f"{len(weights) if isinstance(weights, (list, tuple)) else weights!r} arrays",
                         f"a list of {len(self._weights)} arrays: {', '.join(self._weights)}")
        new = {}
        for i, (name, old) in enumerate(self._weights.items()):
            w = np.asarray(weights[i])
            if w.shape != old.shape:
                _checks.fail(f"weights[{i}] ({name})", w, f"shape {old.shape}")
            new[name] = w.astype(self.dtype, copy=True)
        self._weights = new
        self._weights_changed()

    def _weights_changed(self):
        """Hook for layers that keep derived copies of their weights."""

    def count_params(self) -> int:
        if not self.built:
            _checks.fail("count_params", "an unbuilt layer", "build(input_shape) first")
        return int(sum(w.size for w in self._weights.values()))

    # --- parameters explained ----------------------------------------------------------------
    def param_terms(self) -> list[ParamTerm]:
        if not self.built:
            _checks.fail("param_terms", "an unbuilt layer", "build(input_shape) first")
        return [
            ParamTerm(name, w.shape, int(w.size), self._explain(name))
            for name, w in self._weights.items()
        ]

    def _explain(self, weight_name: str) -> str:
        return weight_name

    def param_formula(self, symbolic: bool = False) -> str:
        """The count as a formula; with numbers filled in unless ``symbolic``, then followed by
        "= total", the formula's own value (so a wrong formula shows a wrong total)."""
        if not self.built:
            _checks.fail("param_formula", "an unbuilt layer", "build(input_shape) first")
        formula = self._formula(symbolic)
        return formula if symbolic else f"{formula} = {formula_value(formula):,}"

    def _formula(self, symbolic: bool) -> str:
        return " + ".join(str(w.size) for w in self._weights.values()) or "0"

    # --- config ------------------------------------------------------------------------------
    def get_config(self) -> dict:
        return {"name": self.name, "dtype": self.dtype.name}

    def output_names(self) -> list[str]:
        return ["output"]

    def __call__(self, x, *args, **kwargs):
        return self.call(x, *args, **kwargs)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"
