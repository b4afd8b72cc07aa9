"""The small model builder: Keras-style layer lines -> an rnn_core Sequential, safely.

Only layer constructors and literal arguments are accepted (parsed with ``ast``, never eval'd).
"""
from __future__ import annotations

import ast
from collections import Counter
from dataclasses import dataclass

from rnn_core import Sequential, layers
from ui import budget

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
        "Seed 000 · Embedding → LSTM(128) → Dense(10)", "(None, None)",
        "Embedding(1000, 64)\nLSTM(128)\nDense(10, activation='softmax')", 164_106),
    "seed000_gru": Preset(
        "Seed 000 · Embedding → GRU(256) → SimpleRNN(128) → Dense(10)", "(None, None)",
        "Embedding(1000, 64)\nGRU(256, return_sequences=True)\nSimpleRNN(128)\n"
        "Dense(10, activation='softmax')", 361_866),
    "seed000_bidirectional": Preset(
        "Seed 000 · Bidirectional LSTM(64) → Bidirectional LSTM(32) → Dense(10)", "(None, 5, 10)",
        "Bidirectional(LSTM(64, return_sequences=True))\nBidirectional(LSTM(32))\n"
        "Dense(10, activation='softmax')", 80_266),
    "seed001_simple_rnn": Preset(
        "Seed 001 · SimpleRNN(3) on input_shape=(2, 10)", "(None, 2, 10)", "SimpleRNN(3)", 42),
    "seed002_hihello": Preset(
        "Seed 002 · hihello: SimpleRNN(5) → TimeDistributed(Dense(5))", "(None, 5, 5)",
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


def parse_shape(text: str) -> tuple:
    """'(None, 5, 10)' -> (None, 5, 10); raises ValueError naming what is wrong."""
    try:
        shape = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError):
        shape = None
    if not isinstance(shape, tuple) or not shape or not all(
            d is None or (isinstance(d, int) and not isinstance(d, bool) and d > 0) for d in shape):
        raise ValueError(f"input_shape: got {text!r}, expected a tuple like (None, 5, 10) "
                         "(batch first; None for unknown sizes)")
    return shape


def build(spec: str, input_shape: str) -> Sequential:
    """One layer per line, Keras syntax; returns the built model with Keras-style names."""
    budget.check_model_text(spec, input_shape)
    model = Sequential(name="sequential")
    counts: Counter = Counter()
    for number, text in enumerate(spec.splitlines(), start=1):
        text = text.strip()
        if not text or text.startswith("#"):
            continue
        text = text.removeprefix("model.add(").removesuffix(")") if text.startswith("model.add(") \
            else text
        text = text.removeprefix("layers.")
        try:
            tree = ast.parse(text.replace("layers.", ""), mode="eval")
        except SyntaxError:
            raise ValueError(f"line {number}: got {text!r}, expected Python like LSTM(128)") from None
        layer = _layer(tree.body, number)
        base = layer.keras_name
        layer.name = base if counts[base] == 0 else f"{base}_{counts[base]}"  # Keras's naming
        counts[base] += 1
        model.add(layer)
    if not model.layers:
        raise ValueError("layers: got none, expected at least one layer line such as LSTM(128)")
    shape = parse_shape(input_shape)
    budget.check_model(model.layers, shape)  # LSTM(100000) stops here, before any allocation
    model.build(shape)
    return model
