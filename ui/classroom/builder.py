"""The small model builder: Keras-style layer lines -> an rnn_core Sequential, safely.

Only layer constructors and literal arguments are accepted (parsed with ``ast``, never eval'd).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

from rnn_core import Sequential, layers
from ui.classroom.sources import cite
from ui.runtime import budget

ALLOWED = ("Embedding", "SimpleRNN", "LSTM", "GRU", "Dense", "TimeDistributed", "Bidirectional")
# Counting parameters needs shapes, not random draws: cheap initializers for every weight.
_CHEAP = {"SimpleRNN": ("kernel_initializer", "recurrent_initializer"),
          "LSTM": ("kernel_initializer", "recurrent_initializer"),
          "GRU": ("kernel_initializer", "recurrent_initializer"),
          "Dense": ("kernel_initializer",), "Embedding": ("embeddings_initializer",)}


@dataclass(frozen=True)
class Preset:
    label: str
    input_shape: str
    spec: str
    seed_total: int | None  # what the seed tutorial's Keras summary printed, if it printed one


PRESETS = {
    "seed000_lstm": Preset(
        f"Embedding → LSTM(128) → Dense(10) · {cite('000')}", "(None, None)",
        "Embedding(1000, 64)\nLSTM(128)\nDense(10, activation='softmax')", 164_106),
    "seed000_gru": Preset(
        f"Embedding → GRU(256) → SimpleRNN(128) → Dense(10) · {cite('000')}", "(None, None)",
        "Embedding(1000, 64)\nGRU(256, return_sequences=True)\nSimpleRNN(128)\n"
        "Dense(10, activation='softmax')", 361_866),
    "seed000_bidirectional": Preset(
        f"Bidirectional LSTM(64) → Bidirectional LSTM(32) → Dense(10) · {cite('000')}",
        "(None, 5, 10)",
        "Bidirectional(LSTM(64, return_sequences=True))\nBidirectional(LSTM(32))\n"
        "Dense(10, activation='softmax')", 80_266),
    "seed001_simple_rnn": Preset(
        f"SimpleRNN(3) on input_shape=(2, 10) · {cite('001')}", "(None, 2, 10)", "SimpleRNN(3)",
        42),
    "seed002_hihello": Preset(
        f"hihello: SimpleRNN(5) → TimeDistributed(Dense(5)) · {cite('002')}", "(None, 5, 5)",
        "SimpleRNN(5, return_sequences=True)\nTimeDistributed(Dense(5, activation='softmax'))",
        None),
}


def _literal(node, line):
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise ValueError(f"line {line}: got {ast.unparse(node)!r}, expected a number, string, "
                         "True/False/None or a layer") from None


def _layer(node, line):
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
        raise ValueError(f"line {line}: got {ast.unparse(node)!r}, expected a layer call such as "
                         "LSTM(128)")
    kind = node.func.id
    if kind not in ALLOWED:
        raise ValueError(f"line {line}: got layer {kind!r}, expected one of {', '.join(ALLOWED)}")
    args = [_layer(a, line) if isinstance(a, ast.Call) else _literal(a, line) for a in node.args]
    kwargs = {k.arg: (_layer(k.value, line) if isinstance(k.value, ast.Call)
                      else _literal(k.value, line)) for k in node.keywords}
    for name in _CHEAP.get(kind, ()):
        kwargs.setdefault(name, "zeros")
    try:
        return getattr(layers, kind)(*args, **kwargs)
    except TypeError as err:
        raise ValueError(f"line {line}: {kind}: {err}") from None
    except ValueError as err:
        raise ValueError(f"line {line}: {err}") from None


def _shape(value) -> bool:
    return isinstance(value, tuple) and bool(value) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in value)


def _input_call(node, line) -> tuple | None:
    """``Input(shape=(5, 10))`` -> (None, 5, 10), as Keras adds the batch axis; None when the
    node is not an Input call."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Input"):
        return None
    where = f"line {line}: " if line else "input_shape: "
    kwargs = {k.arg: k.value for k in node.keywords}
    if set(kwargs) - {"shape"} or len(node.args) + len(kwargs) != 1:
        raise ValueError(f"{where}got {ast.unparse(node)!r}, expected Input(shape=(timesteps, "
                         "features)), the shape of one sample without the batch axis")
    value = (node.args or [kwargs.get("shape")])[0]
    try:
        shape = ast.literal_eval(value)
    except ValueError:
        shape = None
    shape = (shape,) if isinstance(shape, int) else shape  # Input(shape=10) is (10,)
    if not _shape(shape):
        raise ValueError(f"{where}got shape {ast.unparse(value)}, expected a tuple such as "
                         "(5, 10) or (None,) of positive sizes or None, without the batch axis")
    return (None,) + shape


def parse_shape(text: str) -> tuple:
    """'(None, 5, 10)' (batch first) or Keras's 'Input(shape=(5, 10))' (no batch axis)
    -> (None, 5, 10); raises ValueError naming what is wrong."""
    text = text.strip().removeprefix("keras.").removeprefix("layers.")
    try:
        tree = ast.parse(text, mode="eval").body
        shape = _input_call(tree, 0) or ast.literal_eval(tree)
    except (ValueError, SyntaxError) as err:
        if str(err).startswith("input_shape:"):
            raise
        shape = None
    if not _shape(shape):
        raise ValueError(f"input_shape: got {text!r}, expected a tuple like (None, 5, 10) "
                         "(batch first; None for unknown sizes) or Input(shape=(5, 10)) as in Keras")
    return shape


def _last_state_only(below, shape) -> str:
    """'line 1's LSTM returns only its last state (None, 8): add return_sequences=True to line 1'
    when the layer below drops the time axis, else ''."""
    if below is None or getattr(below[1], "return_sequences", None) is not False:
        return ""
    n, prev = below
    inner = getattr(prev, "forward_layer", None)
    where = f"the {type(inner).__name__} inside line {n}'s Bidirectional" if inner else f"line {n}"
    return (f"line {n}'s {type(prev).__name__} returns only its last state {shape}: "
            f"add return_sequences=True to {where}")


def _check_ranks(lines: list, shape: tuple) -> None:
    """Each layer gets the rank it reads, else a message naming the line, the layer below and
    the flag to change; Keras refuses the same models ('expected ndim=3, found ndim=2')."""
    below = None
    for number, layer in lines:
        what = f"line {number}: {budget.describe(layer)}"
        if layer.directions and len(shape) != 3:  # a recurrent layer
            what += " reads a 3-D sequence (batch, timesteps, features), but "
            if below is None:
                raise ValueError(what + f"the input shape {shape} has {len(shape)} axes: give it "
                                 "as (None, timesteps, features), or Input(shape=(timesteps, features))")
            raise ValueError(what + (_last_state_only(below, shape) or
                                     f"line {below[0]}'s {budget.describe(below[1])} returns {shape}"))
        try:
            out = layer.compute_output_shape(shape)
        except ValueError as err:
            hint = _last_state_only(below, shape)
            raise ValueError(f"{what}: {err}" + (f"; {hint}" if hint else "")) from None
        shape = tuple(out[0] if isinstance(out, list) else out)
        below = (number, layer)


def build(spec: str, input_shape: str) -> Sequential:
    """One layer per line, Keras syntax; returns the built model with Keras-style names.
    A first line ``Input(shape=(5, 10))`` gives the input shape as in Keras (then
    ``input_shape`` is not read)."""
    budget.check_model_text(spec, input_shape)
    model = Sequential(name="sequential")
    lines, shape = [], None
    for number, text in enumerate(spec.splitlines(), start=1):
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        text = text.removeprefix("model.add(").removesuffix(")") if text.startswith("model.add(") \
            else text
        text = text.removeprefix("keras.").removeprefix("layers.")
        try:
            tree = ast.parse(text.replace("layers.", ""), mode="eval")
        except SyntaxError:
            raise ValueError(f"line {number}: got {text!r}, expected Python like LSTM(128)") from None
        given = _input_call(tree.body, number)
        if given is not None:
            if lines or shape is not None:
                raise ValueError(f"line {number}: Input(...) must come first, before every layer")
            shape = given
            continue
        layer = _layer(tree.body, number)
        model.add(layer)  # names it as Keras does: lstm, lstm_1, ...
        lines.append((number, layer))
    if not model.layers:
        raise ValueError("layers: got none, expected at least one layer line such as LSTM(128)")
    shape = shape or parse_shape(input_shape)
    _check_ranks(lines, shape)
    budget.check_model(model.layers, shape)  # LSTM(100000) stops here, before any allocation
    model.build(shape)
    return model
