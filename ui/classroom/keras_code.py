"""The exact Keras code that reproduces the current configuration (shown, copyable)."""
from __future__ import annotations

import dataclasses

import numpy as np

from ui.controls.settings import Config
from ui.drawing.diagrams import shape_text
from ui.runtime import lab


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


# --- functions embedded, source and all, in the Keras code export and the notebook ----------------
# Self-contained: they use only NumPy (``np``) and Keras, imported inside, so a student's script
# runs them as written here.
def as_arrays(outputs):
    """A layer call's result as a list of NumPy arrays (Keras returns a bare tensor when the layer
    has one output, a list when it has several)."""
    import keras

    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [np.asarray(keras.ops.convert_to_numpy(o)) for o in outputs]


def keras_steps(cell, x_in, initial_states, mask, backwards, until):
    """Keras's own cell called once per step, steps 0..until in processing order (backwards:
    step k reads x at T−1−k), as the layer's loop calls it; at a padded step (mask False) every
    state keeps its previous value. Returns (x_t read at step ``until``, the states before that
    step, the states after it), each state (batch, units)."""
    import keras

    timesteps = x_in.shape[1]
    states = [np.asarray(s, np.float32) for s in initial_states]
    for k in range(until + 1):
        t = timesteps - 1 - k if backwards else k
        before = states
        _, new = cell(x_in[:, t], states)
        new = [np.asarray(keras.ops.convert_to_numpy(s)) for s in new]  # [h_t] or [h_t, c_t]
        keep = np.ones((x_in.shape[0], 1), bool) if mask is None else mask[:, t, None]  # (batch, 1)
        states = [np.where(keep, n, b) for n, b in zip(new, before)]
    return x_in[:, t], before, states


def keras_gates(cell_name, weights, x_t, h_prev, activation="tanh",
                recurrent_activation="sigmoid", reset_after=True):
    """The page's gate equations at one step, from the layer's weights in Keras's layout
    [kernel, recurrent_kernel(, bias)]: {gate: (batch, units)} (SimpleRNN: no gates)."""
    import keras

    def act(name, z):  # Keras's own activation function
        return np.asarray(keras.ops.convert_to_numpy(keras.activations.get(name)(z)))

    kernel, recurrent_kernel, *bias = weights
    xw = x_t @ kernel  # (batch, G·units)
    if cell_name == "SimpleRNN":
        return {}
    if cell_name == "LSTM":  # columns i, f, c, o
        z = xw + h_prev @ recurrent_kernel + (bias[0] if bias else 0.0)  # (batch, 4·units)
        i, f, c, o = np.split(z, 4, axis=-1)
        return {"input": act(recurrent_activation, i), "forget": act(recurrent_activation, f),
                "candidate": act(activation, c), "output": act(recurrent_activation, o)}
    if reset_after:  # GRU, columns z, r, h; bias rows: input, recurrent
        b_x, b_h = (bias[0][0], bias[0][1]) if bias else (0.0, 0.0)
        x_z, x_r, x_h = np.split(xw + b_x, 3, axis=-1)
        h_z, h_r, h_h = np.split(h_prev @ recurrent_kernel + b_h, 3, axis=-1)
        z, r = act(recurrent_activation, x_z + h_z), act(recurrent_activation, x_r + h_r)
        candidate = act(activation, x_h + r * h_h)  # r acts after the recurrent matmul
    else:
        x_z, x_r, x_h = np.split(xw + (bias[0] if bias else 0.0), 3, axis=-1)
        u_z, u_r, u_h = np.split(recurrent_kernel, 3, axis=-1)
        z, r = act(recurrent_activation, x_z + h_prev @ u_z), act(recurrent_activation, x_r + h_prev @ u_r)
        candidate = act(activation, x_h + (r * h_prev) @ u_h)  # r acts before it
    return {"update": z, "reset": r, "candidate": candidate}


def training_code(cfg: Config, run, vocab_size: int) -> str:
    """The /training model and its training in Keras: ``run`` is the page's TrainingSettings."""
    rnn_lines = "".join(f"    keras.layers.{cfg.cell}({cfg.units}, return_sequences=True),\n"
                        for _ in range(run.train_depth))
    clip_arg = f", global_clipnorm={run.train_clip:g}" if run.train_clip > 0 else ""
    lr_arg = (f"keras.optimizers.schedules.ExponentialDecay({run.train_lr:g}, decay_steps=100, "
              "decay_rate=0.9)" if run.train_decay else f"{run.train_lr:g}")
    return (
        f"model = keras.Sequential([\n    keras.Input((None, {vocab_size})),  # one-hot characters\n"
        f"{rnn_lines}    keras.layers.TimeDistributed(keras.layers.Dense({vocab_size})),  # logits\n])\n"
        f"model.compile(optimizer=keras.optimizers.{run.train_optimizer}(learning_rate={lr_arg}{clip_arg}),\n"
        "              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
        "              metrics=[\"accuracy\"])\n"
        f"model.fit(x_hot, y_ids, epochs={run.train_epochs})  # one full batch per epoch")
