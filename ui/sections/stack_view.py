"""/shapes sections for stacked layers and padding: what each layer receives and returns, and
what happens to the state at a padded step (the numbers come from ``Lab.model_trace``)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from ui.controls.settings import Config
from ui.drawing import colors, diagrams, stack_figures
from ui.drawing.diagrams import shape_text
from ui.runtime.chart import chart
from ui.runtime.lab import Lab

SHOWN_UNITS = 4  # units printed in the number table


def _title(layer, i: int) -> str:
    kind = f"Bidirectional({layer.cell_name})" if len(layer.directions) == 2 else layer.cell_name
    return f"layer {i + 1}: {kind}"


def _first(shape):
    return shape[0] if isinstance(shape, list) else shape


def show(cfg: Config, current: Lab, per_layer: list) -> None:
    """Layer by layer (for a stack or padded input), then padding and masking (with lengths)."""
    if cfg.layers == 1 and not cfg.lengths:
        st.caption("Set **layers** to 2 or 3 to stack layers, or **lengths** (e.g. `4,7`) to pad "
                   "and mask the sequences: this page then shows what flows between the layers.")
        return
    with st.container(key="stack_shapes"):
        _layer_by_layer(cfg, current, per_layer)
    if cfg.lengths:
        with st.container(key="padding"):
            _padding(cfg, current)


def _layer_by_layer(cfg: Config, current: Lab, per_layer: list) -> None:
    st.subheader("Layer by layer")
    mask = current.mask
    mask_text = f"<br>+ mask {shape_text(mask.shape)}" if mask is not None else ""
    stages = [("<b>x</b>", colors.X)]
    labels = []
    if mask is not None:
        stages.append(("Masking<br>mask_value=0.0", colors.MUTED))
        labels.append(shape_text(current.x.shape))
    shape, passes_mask = current.x.shape, mask is not None
    rows = ["| layer | receives | returns | mask passed on |", "|---|---|---|---|"]
    for i, (layer, received, out) in enumerate(per_layer):
        stages.append((f"{_title(layer, i)}<br>"
                       + ("returns every h_t" if layer.return_sequences else "returns the last h"),
                       colors.H))
        labels.append(shape_text(received) + (mask_text if passes_mask else ""))
        passes_mask = passes_mask and layer.return_sequences
        outs = out if isinstance(out, list) else [out]
        rows.append(f"| {_title(layer, i)} | `{shape_text(received)}` | "
                    f"{', '.join(f'`{shape_text(o)}`' for o in outs)} | "
                    f"{'yes' if passes_mask else ('no' if mask is not None else '—')} |")
        shape = _first(out)
    top = per_layer[-1][0]
    outputs = list(zip(top.output_names(), [shape_text(o) for o in
                                            (per_layer[-1][2] if isinstance(per_layer[-1][2], list)
                                             else [per_layer[-1][2]])]))
    chart(diagrams.stack_flow(stages, labels, outputs), key="stack_flow")
    st.markdown("\n".join(rows))
    if cfg.layers > 1:
        units_in = shape_text(per_layer[1][1])
        st.markdown(
            f"**What layer 2 receives:** layer 1's h_t at *every* step, `{units_in}` = "
            "(batch, timesteps, layer 1's units" + (" × 2 directions" if cfg.bidirectional
                                                    and cfg.merge == "concat" else "")
            + "). So the lower layers **return sequences** (`return_sequences=True`): a recurrent "
            "layer loops over time and needs (batch, timesteps, features), which is what Keras "
            "requires. Only the top layer's `return_sequences` (the sidebar flag) decides "
            f"whether the model returns one h or all of them. Final shape: `{shape_text(shape)}`.")
    if mask is not None:
        st.caption("Keras hands the mask up the stack with the sequence: a layer with "
                   "`return_sequences=False` returns one vector per sample, and no mask.")


def _padding(cfg: Config, current: Lab) -> None:
    st.subheader("Padding and masking")
    lengths = cfg.valid_lengths()
    batch, timesteps, _ = current.x.shape
    st.markdown(
        f"`lengths={cfg.lengths}`: sample b keeps its first `lengths[b]` steps and the rest of x "
        "is set to **0.0** (padding). `Masking(mask_value=0.0)` marks a step as padding when "
        "*every* feature equals 0.0; the mask, shape "
        f"`{shape_text((batch, timesteps))}` (True = real step), goes to the recurrent layers.")
    expected = np.arange(timesteps)[None, :] < np.array(lengths)[:, None]  # (batch, timesteps)
    mask = current.mask
    if not np.array_equal(mask, expected):
        b, t = np.argwhere(mask != expected)[0]
        st.warning(f"Sample {b}, step {t} is all zeros inside its length, so Masking masks it "
                   "too: Masking looks at the values, not at the lengths.", icon=":material/warning:")
    shortest = int(np.argmin(lengths))
    sample = st.columns([1, 3])[0].number_input(
        "sample", 0, batch - 1, value=shortest, key="mask_sample", disabled=batch == 1,
        help="Which sequence of the batch to draw (the shortest by default).")
    trace = current.model_trace()
    panels, notes, wheres = [], [], []
    for i, entry in enumerate(trace.recurrent):
        one = entry.trace.directions[0]  # the forward direction of a Bidirectional
        h = one.h[sample]  # (timesteps, units), processing order
        direction = " (forward direction)" if len(entry.trace.directions) == 2 else ""
        panels.append((f"{_title(entry.layer, i)}{direction}: h_t of sample {sample} "
                       f"(length {lengths[sample]})", h))
        notes.append(_carried(one, sample))
        wheres.append(stack_figures.Where(sample, i + 1))
    step_mask = trace.recurrent[0].trace.directions[0].mask[sample]  # (timesteps,)
    chart(stack_figures.masked_states(panels, step_mask, wheres=wheres), key="masked_states")
    st.caption("Hatched grey columns: padded steps. Their colours repeat the last real step: "
               "a masked step leaves every state unchanged." +
               (" With go_backwards the padding is read first, so h stays at h₀ = 0 there."
                if cfg.go_backwards else ""))
    worst = max(notes)
    st.markdown("**The state at a padded step:** `h_t = h_(t−1)`"
                + (" and `c_t = c_(t−1)`" if cfg.cell == "LSTM" else "")
                + f" exactly: max |state_t − state_(t−1)| over the padded steps of sample {sample}"
                  f", every layer: **{worst:g}**.")
    _returned(cfg, trace, sample, lengths[sample])


def _carried(trace, sample: int) -> float:
    """Largest change of any state across a masked step of ``sample`` (0.0: carried exactly)."""
    mask = trace.mask[sample]  # (timesteps,) processing order
    worst = 0.0
    for k, state in enumerate([trace.h] + ([trace.c] if trace.c is not None else [])):
        before = np.concatenate([trace.initial_states[k][sample][None], state[sample][:-1]])
        if (~mask).any():
            worst = max(worst, float(np.abs(state[sample] - before)[~mask].max()))
    return worst


def _returned(cfg: Config, trace, sample: int, length: int) -> None:
    """What Keras returns at masked steps, for each layer that returns sequences."""
    for i, entry in enumerate(trace.recurrent):
        layer = entry.layer
        if not layer.return_sequences or length >= entry.x.shape[1]:
            continue
        out = entry.outputs[0][sample]  # (timesteps, units) time order
        bidirectional = len(layer.directions) == 2
        shown = range(max(length - 1, 0), min(length + 2, out.shape[0]))
        rows = "\n".join(f"output[{sample}, {t}] = "
                         + np.array2string(out[t, :SHOWN_UNITS], precision=5, suppress_small=True)
                         + ("  ← last real step" if t == length - 1 else "  (padded)")
                         for t in shown)
        if bidirectional:
            why = ("Bidirectional sets `zero_output_for_mask=True` on both directions, so its "
                   "sequence is **0** at masked steps.")
        else:
            why = ("Keras returns the **previous output again** at a masked step "
                   "(`zero_output_for_mask=False`, the default), so the padded rows repeat the "
                   "last real one; `zero_output_for_mask=True` would return zeros instead.")
        st.markdown(f"**What {_title(layer, i)} returns at the padded steps** "
                    f"(`return_sequences=True`): {why}")
        st.code(rows + (f"\n(first {SHOWN_UNITS} of {out.shape[1]} units)"
                        if out.shape[1] > SHOWN_UNITS else ""), language="text")
