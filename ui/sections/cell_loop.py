"""Shapes page, "A layer is a loop over a cell" (issue 14): ``LSTM(n)`` is ``RNN(LSTMCell(n))``.

Pure helpers build the code text and run the cell version live with rnn_core; ``show`` draws.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from rnn_core import layers
from ui.classroom import keras_code
from ui.controls.settings import Config
from ui.drawing.diagrams import shape_text
from ui.runtime.lab import Lab


def cell_spelling(cfg: Config) -> str:
    return f"layers.{cfg.cell}Cell({', '.join(keras_code.cell_args(cfg))})"


def spellings(cfg: Config) -> tuple[str, str]:
    """The current layer written twice in Keras: as the layer, and as RNN around its cell."""
    cell = cell_spelling(cfg)
    layer = f"layers.{cfg.cell}({keras_code.layer_args(cfg)})"
    rnn = f"layers.RNN({', '.join([cell, *keras_code.sequence_args(cfg)])})"
    return keras_code.bidirectional(cfg, layer), keras_code.bidirectional(cfg, rnn)


def stacked_spelling(cfg: Config) -> str:
    """The extra example: two cells of the current kind stacked in one RNN."""
    cell = f"layers.{cfg.cell}Cell({cfg.units})"
    flags = ", return_sequences=True" if cfg.return_sequences else ""
    return f"layers.RNN([{cell}, {cell}]{flags})"


def stacked_output_shape(cfg: Config, input_shape) -> tuple:
    """Output shape of ``stacked_spelling(cfg)`` (rnn_core, no forward pass)."""
    cell = getattr(layers, f"{cfg.cell}Cell")
    rnn = layers.RNN([cell(cfg.units), cell(cfg.units)], return_sequences=cfg.return_sequences)
    return rnn.compute_output_shape(input_shape)


def loop_of(cfg: Config, layer) -> layers.RNN:
    """``RNN(XCell(units))`` with the flags and the weights of ``layer`` (unwrapped)."""
    cell_kwargs = {"reset_after": cfg.reset_after} if cfg.cell == "GRU" else {}
    rnn = layers.RNN(getattr(layers, f"{cfg.cell}Cell")(cfg.units, **cell_kwargs),
                     return_sequences=layer.return_sequences, return_state=layer.return_state,
                     go_backwards=layer.go_backwards, stateful=layer.stateful)
    rnn.build(layer.input_shape)
    rnn.set_weights(layer.get_weights())
    return rnn


def compare(current: Lab) -> tuple[float, np.ndarray]:
    """Run the layer and ``RNN(cell)`` on the page's x (each direction of a Bidirectional):
    the max |difference| over every output, and RNN's output for the forward direction."""
    layer = current.fresh_layer() if current.cfg.stateful else current.layer  # no carried state
    directions = [layer.forward_layer, layer.backward_layer] if current.cfg.bidirectional else [layer]
    diff, first = 0.0, None
    for direction in directions:
        ours, loop = direction(current.x), loop_of(current.cfg, direction)(current.x)
        ours, loop = (ours, loop) if direction.return_state else ([ours], [loop])  # [output, *states]
        first = loop[0] if first is None else first  # (batch, [timesteps,] units)
        diff = max(diff, *(float(np.max(np.abs(a - b))) for a, b in zip(ours, loop)))
    return diff, first


def step_code(cfg: Config, batch: int, features: int, timesteps: int) -> tuple[str, str]:
    """The cell's one-step call and the loop RNN runs around it, with this config's shapes."""
    units = cfg.units
    names = list(layers.CELL_CLASS[cfg.cell].state_names)
    state = shape_text((batch, units))
    one_step = "\n".join([
        f"cell = {cell_spelling(cfg)}",
        "h_t, states = cell(x_t, states)",
        f"# x_t     {shape_text((batch, features))}  (batch, features): x[:, t]",
        f"# states  [{', '.join(f'{n} {state}' for n in names)}]  (batch, units) each",
        f"# h_t     {state}  (batch, units); states comes back with the same shapes",
    ])
    steps = f"reversed(range({timesteps}))" if cfg.go_backwards else f"range({timesteps})"
    zeros = ", ".join(f"np.zeros({state})" for _ in names)
    out_shape = (batch, timesteps, units) if cfg.return_sequences else (batch, units)
    loop = [
        f"states = [{zeros}]  # {', '.join(n + '_0' for n in names)}",
        "outputs = []",
        f"for t in {steps}:{'  # go_backwards=True' if cfg.go_backwards else ''}",
        "    h_t, states = cell(x[:, t], states)",
        "    outputs.append(h_t)",
        ("output = np.stack(outputs, axis=1)" if cfg.return_sequences else "output = outputs[-1]")
        + f"  # {shape_text(out_shape)}",
    ]
    if cfg.return_state:
        loop.append("return [output, *states]  # return_state=True")
    return one_step, "\n".join(loop)


def show(cfg: Config, current: Lab) -> None:
    """The section: one step of the cell, the loop, both spellings and their live difference."""
    batch, timesteps, features = current.x.shape
    layer_code, rnn_code = spellings(cfg)
    with st.container(key="cell_loop"):
        st.subheader("A layer is a loop over a cell")
        st.markdown(f"A **cell** computes one timestep; `layers.RNN` is the `for` loop around it. "
                    f"So `{cfg.cell}({cfg.units})` and `RNN({cfg.cell}Cell({cfg.units}))` are the same "
                    "layer: same arguments, same weights, same outputs.")
        one_step, loop = step_code(cfg, batch, features, timesteps)
        st.markdown("**One step of the cell**")
        st.code(one_step, language="python")
        st.markdown("**The loop that `RNN` runs**"
                    + (" (Bidirectional runs it twice: forwards, and backwards with "
                       "`go_backwards=True`)" if cfg.bidirectional else ""))
        st.code(loop, language="python")
        st.markdown("**Both spellings of this configuration**")
        st.code(f"layer = {layer_code}\nlayer = {rnn_code}", language="python")
        try:
            diff, output = compare(current)
        except ValueError as err:
            st.error(f"Could not run RNN(cell): {err}")
            return
        st.markdown(f"**What the number below checks: our RNN loop over our cell gives our "
                    f"layer's numbers.** It is an identity inside rnn_core (NumPy on both sides), "
                    f"not a comparison with Keras: it shows that `{cfg.cell}` really is the loop "
                    f"over `{cfg.cell}Cell`.")
        col, values = st.columns([1, 2])
        col.metric(f"max |our {cfg.cell} − our RNN({cfg.cell}Cell)| (NumPy)", f"{diff:.1e}",
                   help="rnn_core against rnn_core, computed live on this page's x and weights, "
                        "over every output" + (" of both directions" if cfg.bidirectional else ""))
        last = output[0] if output.ndim == 2 else output[0, -1]  # (units,)
        values.code(f"{'forward ' if cfg.bidirectional else ''}RNN({cfg.cell}Cell)(x)"
                    f"{'[0]' if output.ndim == 2 else '[0, -1]'} "
                    f"{shape_text(last.shape)}:\n"
                    + np.array2string(last, precision=6, max_line_width=80, threshold=64),
                    language="text")
        st.caption(f"Both run the step function `rnn_core.cells.{layers.CELL_CLASS[cfg.cell].step_function.__name__}`"
                   "; the layer first projects every timestep with one matmul, the cell "
                   "projects x_t at each step, so the two may differ by float32 rounding.")
        st.page_link("pages/cross_check.py", icon=":material/compare_arrows:",
                     label="Against Keras: Cross-check runs this layer in TensorFlow with the same "
                           "weights and compares every output and every step"
                           + (" (each step's c_t with Keras's own LSTMCell)" if cfg.cell == "LSTM"
                              else ""))
        st.markdown("**Stacking cells**: a list of cells is one cell per level; at every step the "
                    "second cell reads the first cell's h_t.")
        st.code(f"layer = {stacked_spelling(cfg)}  # output "
                f"{shape_text(stacked_output_shape(cfg, current.x.shape))}", language="python")
