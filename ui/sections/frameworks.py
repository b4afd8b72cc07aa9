"""Keras vs PyTorch conventions for the current layer or stack: per-gate parameters, gate order,
biases, batch_first, ``num_layers`` and the state shapes. ``rows``/``torch_stack``/``notes`` are
pure and never import torch (the app server stays torch-free; tests/test_torch_parity.py checks
them against real torch modules); ``section`` draws them."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from rnn_core import layers, torch_convert
from ui.drawing.diagrams import shape_text

GATE_MEANING = {"i": "input", "f": "forget", "c": "candidate", "g": "candidate", "o": "output",
                "z": "update", "r": "reset", "h": "candidate", "n": "candidate"}


def _one_direction(layer):
    return layer.directions[0]


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


@dataclass(frozen=True)
class TorchStack:
    """The PyTorch module that matches a Keras stack: one ``torch.nn.<class_name>(**kwargs)``
    with ``num_layers``, its parameters per layer (both directions) and its state shapes."""

    class_name: str      # "RNN", "LSTM" or "GRU"
    kwargs: dict         # input_size, hidden_size, num_layers, bias, batch_first, bidirectional, ...
    per_layer: tuple     # parameters of each of torch's layers, bottom first
    state_shape: tuple   # h_n (and c_n): (num_layers·num_directions, batch, hidden_size)
    state_names: str     # "h_n" or "h_n, c_n"

    @property
    def total(self) -> int:
        return sum(self.per_layer)

    def code(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items())
        return f"torch.nn.{self.class_name}({args})"


def torch_stack(stack: list, batch: int) -> TorchStack:
    """PyTorch's conventions for the Keras stack ``stack`` (bottom first), from formulas alone
    (no torch import): torch's layer l > 0 reads num_directions·units features, because
    ``num_layers`` always concatenates the two directions between layers. Raises ValueError
    (from ``torch_convert.torch_kwargs``) when the layer has no PyTorch twin."""
    kwargs = torch_convert.torch_kwargs(stack[0])
    kwargs["num_layers"] = len(stack)
    cell, units = _one_direction(stack[0]).cell_name, kwargs["hidden_size"]
    directions = 2 if kwargs["bidirectional"] else 1
    reads = [kwargs["input_size"]] + [directions * units] * (len(stack) - 1)  # features per layer
    per_layer = tuple(torch_convert.torch_param_count(cell, units, n, kwargs["bias"],
                                                      kwargs["bidirectional"]) for n in reads)
    return TorchStack(torch_convert.TORCH_CLASSES[cell], kwargs, per_layer,
                      (len(stack) * directions, batch, units),
                      ", ".join(f"{s}_n" for s in layers.CELL_CLASS[cell].state_names))


def notes(layer, batch: int, num_layers: int = 1, merge_mode: str | None = "concat") -> list[str]:
    """What differs besides the counts: gate order, biases, reset_after, layout, states."""
    one = _one_direction(layer)
    cell, units = one.cell_name, one.units
    directions = len(layer.directions)
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
                      f"{len(torch_convert.TORCH_GATES[cell]) * units} more per layer and direction "
                      "(converting to Keras adds the two)." if cell != "GRU" else
                      "Keras's GRU with reset_after=True keeps two as well."))
    out.append(f"Layout: Keras is batch-major, x = (batch, timesteps, features); `torch.nn.{torch_class}` "
               "is time-major unless `batch_first=True`. Weights are transposed: `kernel` (input_dim, "
               "G·units) vs `weight_ih_l0` (G·units, input_dim).")
    states = layers.CELL_CLASS[cell].state_names  # ("h",) or ("h", "c")
    state_names = ", ".join(f"{s}_n" for s in states)
    keras_states = f"[{', '.join(states)}]"
    if directions == 2:
        keras_states = "[" + ", ".join(f"{d}_{s}" for d in ("forward", "backward") for s in states) + "]"
    stacked = (f" Stacked, each Keras layer returns its own states (`return_state` on each), while "
               f"PyTorch's {state_names} hold every layer's final state, layer 1 first."
               if num_layers > 1 else "")
    out.append(f"States: Keras returns a list {keras_states} of {shape_text((batch, units))} arrays "
               f"(return_state); PyTorch returns {state_names} of shape (num_layers·num_directions, "
               f"batch, units) = {shape_text((num_layers * directions, batch, units))}, always, "
               f"besides the output.{stacked}")
    if directions == 2:
        out.append("Bidirectional: Keras wraps a layer (`layers.Bidirectional`), PyTorch sets "
                   "`bidirectional=True`; the backward weights are `*_l0_reverse`, and PyTorch's "
                   "output always concatenates the two directions (Keras: `merge_mode`).")
    if directions == 2 and num_layers > 1 and merge_mode != "concat":
        out.append(f"**Your stack merges the directions with `merge_mode={merge_mode!r}`**, so each "
                   f"Keras layer above the first reads {units} features; `num_layers` in PyTorch "
                   f"always concatenates ({2 * units} features), which is another model with other "
                   "counts. Its twin is one PyTorch module per layer, merging in between.")
    return out


def section(cfg, stack: list) -> None:
    """The Keras vs PyTorch comparison for the current stack (one layer when ``layers=1``)."""
    layer = stack[0]
    st.subheader("Keras vs PyTorch")
    directions = 2 if cfg.bidirectional else 1
    times = f" (× {directions} directions)" if directions == 2 else ""
    lines = ["| gate | Keras block | Keras params | PyTorch block | PyTorch params |",
             "|---|---|---:|---|---:|"]
    for row in rows(layer):
        torch_params = "—" if row["torch_params"] is None else f"{row['torch_params']:,}"
        lines.append(f"| {row['meaning']} | `{row['keras']}` | {row['keras_params']:,} | "
                     f"`{row['torch']}` | {torch_params} |")
    try:
        torch = torch_stack(stack, cfg.batch_size)
    except ValueError:
        torch = None
    keras_counts = [each.count_params() for each in stack]
    lines.append(f"| **{'layer 1 ' if len(stack) > 1 else ''}total**{times} | | "
                 f"**{keras_counts[0]:,}** | | "
                 f"**{'—' if torch is None else f'{torch.per_layer[0]:,}'}** |")
    with st.container(key="frameworks"):
        if len(stack) > 1:
            st.markdown(f"Per gate, for layer 1 (`{layer.name}`):")
        st.markdown("\n".join(lines))
        if len(stack) > 1:
            table = ["| layer | Keras params | PyTorch params |", "|---|---:|---:|"]
            for i, keras_count in enumerate(keras_counts):
                torch_count = "—" if torch is None else f"{torch.per_layer[i]:,}"
                table.append(f"| layer {i + 1} | {keras_count:,} | {torch_count} |")
            table.append(f"| **whole stack** | **{sum(keras_counts):,}** | "
                         f"**{'—' if torch is None else f'{torch.total:,}'}** |")
            st.markdown(f"The whole stack of {len(stack)} layers; in PyTorch one module with "
                        f"`num_layers={len(stack)}`:")
            st.markdown("\n".join(table))
        if torch is not None:
            st.code(f"{torch.code()}\n# {torch.state_names}: "
                    f"{shape_text(torch.state_shape)}  (num_layers·num_directions, batch, units)",
                    language="python")
            st.markdown(f"PyTorch − Keras = **{torch.total - sum(keras_counts):+,}** parameters"
                        + (" for the whole stack." if len(stack) > 1 else "."))
            st.caption(f"PyTorch's count, **{torch.total:,}**, comes from its conventions (two "
                       "bias vectors, `num_layers` concatenating the directions), computed here "
                       "without importing torch; the test suite checks it against "
                       "`sum(p.numel() for p in module.parameters())` of the real module.")
        for note in notes(layer, cfg.batch_size, len(stack), cfg.merge):
            st.markdown(f"- {note}")
