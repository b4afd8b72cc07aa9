"""A Keras-like Sequential model: a stack of layers, its shapes, its parameters and its summary."""
from __future__ import annotations

from . import _checks
from .layers.base import Layer, unique_name


class Sequential:
    """``Sequential([Embedding(1000, 64), LSTM(128), Dense(10)])`` as in Keras."""

    def __init__(self, layers=None, name=None):
        self.name = name or unique_name("sequential")
        self.layers: list[Layer] = []
        self.input_shape = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if not isinstance(layer, Layer):
            _checks.fail("layer", layer, "an rnn_core layer")
        self.layers.append(layer)
        self.input_shape = None  # shapes must be worked out again

    @property
    def built(self):
        return self.input_shape is not None

    def build(self, input_shape):
        """Build every layer in turn, e.g. ``build((None, None))`` for token ids."""
        if not self.layers:
            _checks.fail("layers", [], "at least one layer before build")
        shape = _checks.input_shape("input_shape", input_shape, min_rank=1)
        for layer in self.layers:
            if not layer.built:
                layer.build(shape)
            shape = _first(layer.compute_output_shape(shape))
        self.input_shape = tuple(input_shape)
        return self

    def __call__(self, x):
        mask = None
        for layer in self.layers:
            if hasattr(layer, "compute_mask"):
                mask = layer.compute_mask(x)
                x = layer(x)
            elif hasattr(layer, "trace"):  # recurrent: the mask flows in and on with sequences
                x = _first(layer(x, mask=mask))
                mask = mask if layer.return_sequences else None
            else:
                x = layer(x)
        return x

    def count_params(self) -> int:
        if not self.built:
            _checks.fail("count_params", "an unbuilt model", "build(input_shape) first")
        return sum(layer.count_params() for layer in self.layers)

    def summary_rows(self) -> list[dict]:
        """One dict per layer: name, type, output_shape, params, formula (numbers filled in)."""
        if not self.built:
            _checks.fail("summary", "an unbuilt model", "build(input_shape) first")
        rows, shape = [], self.input_shape
        for layer in self.layers:
            out = layer.compute_output_shape(shape)
            rows.append({"name": layer.name, "type": type(layer).__name__, "output_shape": out,
                         "params": layer.count_params(), "formula": layer.param_formula()})
            shape = _first(out)
        return rows

    def summary(self, print_fn=print) -> str:
        """A Keras-style table (layer, output shape, params, totals); printed and returned."""
        rows = self.summary_rows()
        width = (33, 26, 12)
        rule = "_" * sum(width)
        lines = [f'Model: "{self.name}"', rule,
                 "Layer (type)".ljust(width[0]) + "Output Shape".ljust(width[1]) + "Param #",
                 "=" * sum(width)]
        for i, row in enumerate(rows):
            lines.append(f"{row['name']} ({row['type']})".ljust(width[0])
                         + _shape_text(row["output_shape"]).ljust(width[1]) + f"{row['params']:,}")
            lines.append(rule if i < len(rows) - 1 else "=" * sum(width))
        total = self.count_params()
        lines += [f"Total params: {total:,}", f"Trainable params: {total:,}",
                  "Non-trainable params: 0", rule]
        text = "\n".join(lines)
        if print_fn is not None:
            print_fn(text)
        return text


def _first(shape_or_shapes):
    """The main output of a layer's output shape(s) (the states follow it)."""
    return shape_or_shapes[0] if isinstance(shape_or_shapes, list) else shape_or_shapes


def _shape_text(shape):
    if isinstance(shape, list):
        return "[" + ", ".join(_shape_text(s) for s in shape) + "]"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"
