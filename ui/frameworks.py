"""Keras vs PyTorch conventions for the current layer: per-gate parameters, gate order, biases,
batch_first and the state shapes. ``rows``/``notes`` are pure; ``section`` draws them."""
from __future__ import annotations

import importlib.util

import streamlit as st

from rnn_core import torch_convert
from ui.diagrams import shape_text

GATE_MEANING = {"i": "input", "f": "forget", "c": "candidate", "g": "candidate", "o": "output",
                "z": "update", "r": "reset", "h": "candidate", "n": "candidate"}


def _one_direction(layer):
    return layer.forward_layer if hasattr(layer, "forward_layer") else layer


def rows(layer) -> list[dict]:
    """One row per gate (one direction): its Keras block and PyTorch block and each framework's
    parameters for it; PyTorch's count is None when it has no equivalent layer."""
    one = _one_direction(layer)
    cell, units, inputs = one.cell_name, one.units, one.input_dim
    keras_gates, torch_gates = torch_convert.KERAS_GATES[cell], torch_convert.TORCH_GATES[cell]
    keras_bias = (2 if cell == "GRU" and one.reset_after else 1) * units if one.use_bias else 0
    torch_bias = 2 * units if one.use_bias else 0  # b_ih and b_hh
    twin = not (cell == "GRU" and not one.reset_after)
    out = []
    for k, gate in enumerate(keras_gates):
        meaning = GATE_MEANING[gate]
        t = next(j for j, g in enumerate(torch_gates) if GATE_MEANING[g] == meaning)
        out.append(dict(meaning=meaning, keras=f"{gate} (columns {k * units}–{(k + 1) * units - 1})",
                        torch=f"{torch_gates[t]} (rows {t * units}–{(t + 1) * units - 1})",
                        keras_params=units * (inputs + units) + keras_bias,
                        torch_params=units * (inputs + units) + torch_bias if twin else None))
    return out


def notes(layer, batch: int) -> list[str]:
    """What differs besides the counts: gate order, biases, reset_after, layout, states."""
    one = _one_direction(layer)
    cell, units = one.cell_name, one.units
    directions = 2 if hasattr(layer, "forward_layer") else 1
    torch_class = torch_convert.TORCH_CLASSES[cell]
    out = []
    if cell == "LSTM":
        out.append("Gate order: Keras **i, f, c, o** and PyTorch **i, f, g, o** are the same order; "
                   "PyTorch calls the candidate c̃ `g`.")
    if cell == "GRU":
        out.append("Gate order: Keras **z, r, h** vs PyTorch **r, z, n**: the first two blocks swap.")
        out.append("PyTorch's GRU applies the reset gate after its recurrent matmul, "
                   "n = tanh(W_in·x + b_in + r ⊙ (W_hn·h + b_hn)): that is Keras `reset_after=True`, "
                   "whose bias (2, 3·units) holds exactly PyTorch's b_ih and b_hh. "
                   + ("" if one.reset_after else "**Your layer has `reset_after=False` (r before "
                                                 "the matmul): PyTorch has no equivalent.**"))
    if one.use_bias:
        out.append(f"Biases: PyTorch keeps two vectors per layer, `bias_ih` and `bias_hh` "
                   f"({len(torch_convert.TORCH_GATES[cell])}·units each), and adds both; "
                   + ("Keras's LSTM/SimpleRNN keep one, so PyTorch has "
                      f"{len(torch_convert.TORCH_GATES[cell])}·units = "
                      f"{len(torch_convert.TORCH_GATES[cell]) * units} more per direction "
                      "(converting to Keras adds the two)." if cell != "GRU" else
                      "Keras's GRU with reset_after=True keeps two as well."))
    out.append(f"Layout: Keras is batch-major, x = (batch, timesteps, features); `torch.nn.{torch_class}` "
               "is time-major unless `batch_first=True`. Weights are transposed: `kernel` (input_dim, "
               "G·units) vs `weight_ih_l0` (G·units, input_dim).")
    state_names = "h_n, c_n" if cell == "LSTM" else "h_n"
    keras_states = ("[h, c]" if cell == "LSTM" else "[h]")
    if directions == 2:
        keras_states = ("[forward_h, forward_c, backward_h, backward_c]" if cell == "LSTM"
                        else "[forward_h, backward_h]")
    out.append(f"States: Keras returns a list {keras_states} of {shape_text((batch, units))} arrays "
               f"(return_state); PyTorch returns {state_names} of shape (num_layers·directions, batch, "
               f"units) = {shape_text((directions, batch, units))}, always, besides the output.")
    if directions == 2:
        out.append("Bidirectional: Keras wraps a layer (`layers.Bidirectional`), PyTorch sets "
                   "`bidirectional=True`; the backward weights are `*_l0_reverse`, and PyTorch's "
                   "output always concatenates the two directions (Keras: `merge_mode`).")
    return out


@st.cache_resource(show_spinner=False, max_entries=32)
def _torch_count(class_name: str, kwargs: tuple) -> int:
    """sum(p.numel()) of the real torch module (PyTorch is imported only here)."""
    import torch

    module = getattr(torch.nn, class_name)(**dict(kwargs))
    return int(sum(p.numel() for p in module.parameters()))


def section(cfg, layer) -> None:
    """The Keras vs PyTorch comparison for the current layer."""
    st.subheader("Keras vs PyTorch")
    table = rows(layer)
    directions = 2 if cfg.bidirectional else 1
    lines = ["| gate | Keras block | Keras params | PyTorch block | PyTorch params |",
             "|---|---|---:|---|---:|"]
    for row in table:
        torch_params = "—" if row["torch_params"] is None else f"{row['torch_params']:,}"
        lines.append(f"| {row['meaning']} | `{row['keras']}` | {row['keras_params']:,} | "
                     f"`{row['torch']}` | {torch_params} |")
    keras_total = layer.count_params()
    try:
        kwargs = torch_convert.torch_kwargs(layer)
    except ValueError:
        kwargs = None
    torch_total = None if kwargs is None else torch_convert.torch_param_count(
        cfg.cell, cfg.units, kwargs["input_size"], kwargs["bias"], cfg.bidirectional)
    times = f" (× {directions} directions)" if directions == 2 else ""
    lines.append(f"| **total**{times} | | **{keras_total:,}** | | "
                 f"**{'—' if torch_total is None else f'{torch_total:,}'}** |")
    with st.container(key="frameworks"):
        st.markdown("\n".join(lines))
        if torch_total is not None:
            st.markdown(f"PyTorch − Keras = **{torch_total - keras_total:+,}** parameters.")
            if importlib.util.find_spec("torch") is not None:
                torch_class = torch_convert.TORCH_CLASSES[cfg.cell]
                real = _torch_count(torch_class, tuple(sorted(kwargs.items())))
                st.caption(f"Measured: `sum(p.numel() for p in torch.nn.{torch_class}(...).parameters())`"
                           f" = **{real:,}** (formula: {torch_total:,}).")
            else:
                st.caption("Install PyTorch (`pip install torch`) to see the count measured on a real "
                           "`torch.nn` module; the formula above needs nothing.")
        for note in notes(layer, cfg.batch_size):
            st.markdown(f"- {note}")
