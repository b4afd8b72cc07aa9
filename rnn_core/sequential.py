"""A Keras-like Sequential model: a stack of layers, its shapes, its parameters and its summary."""
from __future__ import annotations

import numpy as np

from . import _checks
from .layers.base import Layer, name_uniquely
from .trace import LayerTrace, SequentialTrace


class Sequential:
    """``Sequential([Embedding(1000, 64), LSTM(128), Dense(10)])`` as in Keras."""

    def __init__(self, layers=None, name=None):
        self.name = name or "sequential"
        self.layers: list[Layer] = []
        self.input_shape = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if not isinstance(layer, Layer):
            _checks.fail("layer", layer, "an rnn_core layer")
        self.layers.append(layer)
        name_uniquely(self.layers)
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
            _check_rank(layer, shape)
            if not layer.built:
                layer.build(shape)
            shape = _first(layer.compute_output_shape(shape))
        self.input_shape = tuple(input_shape)
        return self

    def _run(self, x, mask, record):
        """The layers in turn, with Keras's mask propagation: a layer with ``compute_mask``
        (Masking, Embedding) makes the mask, a recurrent layer uses it and passes it on only
        with return_sequences=True, any other layer (Dense, TimeDistributed) passes it on."""
        traces = []
        for layer in self.layers:
            received = mask
            trace = None
            if hasattr(layer, "compute_mask"):
                mask = layer.compute_mask(x, mask)  # from this layer's input, as in Keras
                outputs = [layer(x)]
            elif _is_recurrent(layer):
                _check_rank(layer, np.shape(x))
                if record:
                    trace = layer.trace(x, mask=mask)
                    outputs = list(trace.outputs)
                else:
                    outputs = _as_list(layer(x, mask=mask))
                mask = mask if layer.return_sequences else None
            else:
                outputs = [layer(x)]
            if record:
                traces.append(LayerTrace(layer.name, layer, x, received, outputs, mask, trace))
            x = outputs[0]  # a layer's states stay behind: the next layer reads its output
        return SequentialTrace(traces, x) if record else x

    def __call__(self, x, mask=None):
        """What Keras's ``model(x)`` returns; ``mask`` (batch, timesteps) is an optional input mask."""
        return self._run(x, mask, record=False)

    def trace(self, x, mask=None) -> SequentialTrace:
        """Run exactly like a call and keep every layer's input, mask, outputs and steps."""
        return self._run(x, mask, record=True)

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
                         + shape_text(row["output_shape"]).ljust(width[1]) + f"{row['params']:,}")
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


def shape_text(shape) -> str:
    """(2, 5, 8) as Keras and Python print it, None for unknown sizes, (5,) for one axis; a list
    of shapes (a layer's output and states) as [(None, 8), (None, 8)]."""
    if isinstance(shape, list):
        return "[" + ", ".join(shape_text(s) for s in shape) + "]"
    inner = ", ".join("None" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def _is_recurrent(layer) -> bool:
    """SimpleRNN/LSTM/GRU, RNN(cell) and Bidirectional: the layers that loop over time."""
    return bool(layer.directions)


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, list) else [outputs]


def keras_ndim_error(layer_name: str, shape) -> ValueError:
    """The error Keras 3 raises when a recurrent layer receives anything but (batch, timesteps,
    features), word for word (keras/src/layers/input_spec.py), e.g. when the layer below was
    left with return_sequences=False and hands up (batch, units)."""
    shape = tuple(shape)
    return ValueError(f"Input 0 with name 'None' of layer '{layer_name}' is incompatible with the "
                      f"layer: expected ndim=3, found ndim={len(shape)}. Full shape received: {shape}")


def _check_rank(layer, shape):
    if _is_recurrent(layer) and len(shape) != 3:
        raise keras_ndim_error(layer.name, shape)
