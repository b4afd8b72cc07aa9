"""The exact Keras code that reproduces the current configuration (shown, copyable)."""
from __future__ import annotations

import dataclasses

from ui import lab
from ui.settings import Config
from ui.diagrams import shape_text


def cell_args(cfg: Config) -> list[str]:
    """The units and the arguments a cell shares with its layer, where they differ from Keras's
    defaults, in Keras's spelling."""
    args = [str(cfg.units)]
    defaults = Config()
    for flag in ("activation", "recurrent_activation", "use_bias", "dropout", "recurrent_dropout"):
        if getattr(cfg, flag) != getattr(defaults, flag) and not (
                flag == "recurrent_activation" and cfg.cell == "SimpleRNN"):
            args.append(f"{flag}={getattr(cfg, flag)!r}")
    if cfg.cell == "LSTM" and not cfg.unit_forget_bias:
        args.append("unit_forget_bias=False")
    if cfg.cell == "GRU" and not cfg.reset_after:
        args.append("reset_after=False")
    if cfg.init == "constant":
        args += [f"kernel_initializer=keras.initializers.Constant({lab.CONSTANT_KERNEL})",
                 f"recurrent_initializer=keras.initializers.Constant({lab.CONSTANT_KERNEL})",
                 f"bias_initializer=keras.initializers.Constant({lab.CONSTANT_BIAS:g})"]
    return args


def sequence_args(cfg: Config) -> list[str]:
    """The flags about the whole sequence (RNN's own arguments) that are set."""
    return [f"{flag}=True" for flag in ("return_sequences", "return_state", "go_backwards", "stateful",
                                        "unroll")
            if getattr(cfg, flag)]


def layer_args(cfg: Config) -> str:
    """Constructor arguments that differ from Keras's defaults, in Keras's spelling."""
    units, *rest = cell_args(cfg)
    return ", ".join([units, *sequence_args(cfg), *rest])


def bidirectional(cfg: Config, layer: str) -> str:
    """``layer`` wrapped in Bidirectional when the config asks for it."""
    if not cfg.bidirectional:
        return layer
    merge = "None" if cfg.merge is None else repr(cfg.merge)
    return f"layers.Bidirectional({layer}" + (f", merge_mode={merge})" if cfg.merge != "concat" else ")")


def keras_code(cfg: Config, input_shape: tuple, names: list[str], shapes: list[tuple],
               lower_shapes: tuple = ()) -> str:
    """A runnable snippet: pad x (lengths), mask it, call the lower layers of a stack, then the
    layer itself on x of ``input_shape`` and print each shape (``lower_shapes``: the lower
    layers' output shapes, for the comments)."""
    layer = bidirectional(cfg, f"layers.{cfg.cell}({layer_args(cfg)})")
    lines = [
        "import numpy as np",
        "import keras",
        "from keras import layers",
        "",
        f"x = np.random.random({shape_text(input_shape)}).astype(\"float32\")"
        "  # (batch_size, timesteps, input_dim)",
    ]
    for b, n in enumerate(cfg.valid_lengths()):
        if n < input_shape[1]:
            lines.append(f"x[{b}, {n}:] = 0.0  # sample {b}: length {n}, then zero padding")
    if cfg.lengths:
        lines.append("x = layers.Masking(mask_value=0.0)(x)  # Keras attaches the mask to x")
    lower = dataclasses.replace(cfg, return_sequences=cfg.lower_return_sequences, return_state=False)
    lower_layer = bidirectional(cfg, f"layers.{cfg.cell}({layer_args(lower)})")
    for shape in lower_shapes:
        lines.append(f"x = {lower_layer}(x)  # {shape_text(shape)}: the next layer's input")
    lines.append(f"layer = {layer}")
    if len(names) == 1:
        lines.append(f"{names[0]} = layer(x)")
    else:
        lines.append(f"{', '.join(names)} = layer(x)")
    width = max(len(n) for n in names)
    for name, shape in zip(names, shapes):
        lines.append(f"print({name}.shape){' ' * (width - len(name))}  # {shape_text(shape)}")
    return "\n".join(lines)
