"""Hidden states: h_t step by step, its update equation with numbers, Bidirectional, stateful.

Over 120 lines for its teaching prose: the input presets, return_sequences and the two
Bidirectional and stateful explanations; its experiments run in ``ui.runtime.experiments``."""
import numpy as np
import streamlit as st

from ui.classroom import exports, sources, tour
from ui.controls import inputs, keys, settings, sidebar
from ui.controls.settings import ViewSettings
from ui.drawing import colors, diagrams, figures, stack_figures
from ui.runtime import experiments, lab, status
from ui.runtime.chart import chart

cfg = sidebar.current()
current = lab.current(cfg)
x = current.x
timesteps = x.shape[1]

st.title("Hidden states")
tour.button("hidden_states")
status.live_status(current)

PRESET_TEXT = {
    "random": f"seeded random N(0, 1) values (seed {cfg.seed})",
    "train_X": f"{sources.cite('004')}'s `train_X`: one sentence of 4 words, each a 5-dimensional vector",
    "sine": f"sine waves: feature d has d+1 half-periods over the {timesteps} steps; each "
            "sample is phase-shifted",
    "word": f"one-hot characters of {cfg.word!r}: vocabulary "
            f"{', '.join(f'{c!r}→{i}' for i, c in enumerate(inputs.vocabulary(cfg.word)))}",
    "csv": "your uploaded CSV (rows = timesteps, columns = features)",
}
preset_text = PRESET_TEXT[cfg.preset]
if cfg.preset == "csv" and st.session_state.get(keys.CSV_X) is None:
    preset_text = "seeded random values (no valid CSV uploaded yet — use the sidebar)"
st.caption(f"Input x {diagrams.shape_text(x.shape)}: {preset_text}. Weights: "
           f"{settings.INIT_LABELS[cfg.init]}.")


@lab.view_fragment
def step_through_and_below(current: lab.Lab) -> None:
    """Its pickers and the show_stateful toggle rerun only this part (``lab.view_fragment``)."""
    cfg, x = current.cfg, current.x
    timesteps = x.shape[1]
    player = st.container()  # the step-through comes first; its pickers sit under it
    layer_index, sample, step, trace = lab.step_pickers(current)
    layer = current.stack[layer_index]
    one = trace.directions[0]  # the forward direction when Bidirectional
    padded = lab.padded_note(trace, sample)

    if not cfg.bidirectional:
        series = {"h": trace.h[sample]}                  # (timesteps, units); c is on /gates
        labels = [f"{k} (x{trace.timestep[k]}" + (", padded)" if trace.mask is not None
                                                 and not trace.mask[sample, k] else ")")
                  for k in range(timesteps)]
        title = "h_t over time, and the update at the current step"
        fig = figures.step_through(series, start=step, lines="h", step_labels=labels,
                                   where=figures.Where(sample, layer_index + 1))
    else:
        fw, bw = trace.forward, trace.backward
        series = {"h forward": fw.h[sample], "h backward": bw.h[sample]}  # processing order each
        title = "h_t over time, both directions (each in its own processing order)"
        fig = figures.step_through(series, panels=[list(series)], start=step, lines="h forward",
                                   where={name: figures.Where(sample, layer_index + 1, name.split()[1])
                                          for name in series})
    fig = stack_figures.mark_padded(fig, one.mask[sample] if one.mask is not None else None,
                                   "padded: h carried")
    figs = {"step_through": fig}
    with player:
        st.subheader(title + (f" — layer {layer_index + 1}" if cfg.layers > 1 else ""))
        lab.step_through("step_through", fig,
                         lab.step_panel(current, one, sample, layer_index=layer_index), step)
    if padded:
        st.info(padded, icon=":material/check_box_outline_blank:")
    st.caption("▶ Play, the slider and the keys move the chart, its cursor and the equations together, "
               "in your browser. Columns are steps in processing order" +
               (" (go_backwards: step k reads x at T−1−k)." if cfg.go_backwards else "."))
    st.caption("Keras convention: x_t is a row vector and multiplies from the left (x_t·kernel, "
               f"kernel of shape (input_dim, units)). {sources.cite('001', capital=True)} writes "
               "Wx (units, input_dim) and Wx·x_t: the same numbers, transposed.")
    lab.show_source(cfg.cell)

    st.subheader("What the layer returns: the whole sequence or only the final state")
    final_label = f"step {timesteps - 1}"
    figs["sequence_vs_final"] = figures.sequence_vs_final(one.h[sample], layer.return_sequences,
                                                          final_label,
                                                          figures.Where(sample, layer_index + 1))
    chart(figs["sequence_vs_final"], key="sequence_vs_final")
    outputs = trace.outputs
    names = layer.output_names()
    if padded and layer.return_sequences:
        st.markdown("At a padded step Keras returns " + (
            "**zeros** (Bidirectional sets `zero_output_for_mask=True`)." if cfg.bidirectional else
            "the **previous output again** (`zero_output_for_mask=False`), i.e. the carried h."))
    if layer.return_sequences:
        st.markdown(f"`return_sequences=True`: the layer returns **every column** above — shape "
                    f"{diagrams.shape_text(outputs[0].shape)}.")
    else:
        st.markdown(f"`return_sequences=False`: the layer returns **only the boxed last column**, "
                    f"the final state — shape {diagrams.shape_text(outputs[0].shape)}.")
    if int(np.prod(outputs[0].shape)) <= 400:
        with st.container(key="layer_outputs"):
            st.code("\n".join(f"{name} {diagrams.shape_text(out.shape)}:\n"
                              f"{np.array2string(out, precision=7, suppress_small=True)}"
                              for name, out in zip(names, outputs)), language="text")

    if cfg.bidirectional:
        st.subheader("Bidirectional: two layers, one merge")
        merged = trace.merged[sample] if trace.merged is not None else None
        figs["bidirectional_chart"] = figures.bidirectional(
            trace.forward.h[sample], trace.backward.h[sample][::-1], merged, cfg.merge,
            figures.Where(sample, layer_index + 1),
            trace.forward.mask[sample] if trace.forward.mask is not None else None)
        chart(figs["bidirectional_chart"], key="bidirectional_chart")
        st.markdown(
            f"The backward copy reads x from the end (`go_backwards=True`); Keras flips its sequence "
            f"back to time order before merging, so column t of both rows describes x_t. "
            f"`merge_mode={cfg.merge_mode!r}` " + {
                "concat": f"stacks them: {cfg.units} + {cfg.units} = {2 * cfg.units} values per step.",
                "sum": "adds them element-wise.", "mul": "multiplies them element-wise.",
                "ave": "averages them element-wise.",
                "None": "returns them as two separate outputs."}[cfg.merge_mode] +
            " The final states are each direction's last step: forward after x_T, backward after x₀.")

    st.subheader("stateful: carried vs reset across consecutive batches")
    if not (cfg.stateful or sidebar.widget(ViewSettings, "show_stateful", "Show what stateful=True changes",
                                          kind="toggle")):
        st.caption("With `stateful=True` a layer keeps its final state as the next call's initial "
                   "state. Turn on `stateful` in the sidebar (or the toggle) to compare.")
        exports.panel(cfg, current, figs)
        return
    fresh_input = cfg.preset in ("random", "sine") or (cfg.preset == "csv"
                                                      and st.session_state.get(keys.CSV_X) is None)
    runs = experiments.stateful_vs_reset(cfg, x, fresh_input, sample)
    n_batches = experiments.CONSECUTIVE_BATCHES
    carried_h, reset_h = runs.carried, runs.reset  # (3·timesteps, units) each
    shown = min(cfg.units, 3)
    curves, colours_, dashes, hover = {}, {}, {}, {}
    palette = figures.unit_palette(shown, colors.H)
    for u in range(shown):
        curves[f"unit {u}, state carried (stateful=True)"] = carried_h[:, u]
        curves[f"unit {u}, state reset each batch"] = reset_h[:, u]
        colours_[f"unit {u}, state carried (stateful=True)"] = palette[u]
        colours_[f"unit {u}, state reset each batch"] = palette[u]
        dashes[f"unit {u}, state reset each batch"] = "dot"
        for run in ("state carried (stateful=True)", "state reset each batch"):
            hover[f"unit {u}, {run}"] = ("h_t", figures.Where(sample, 1, note=run), u)
    figs["stateful_chart"] = figures.compare_lines(
        curves, colours_, f"h over {n_batches} batches ({runs.chunks})", "h", dashes,
        boundaries=[k * timesteps - 0.5 for k in range(1, n_batches)], hover=hover)
    chart(figs["stateful_chart"], key="stateful_chart")
    first_gap = float(np.abs(carried_h[timesteps] - reset_h[timesteps]).max()) if n_batches > 1 else 0.0
    st.markdown(
        f"Dashed lines: each batch starts again from h = 0. Solid lines: with `stateful=True` the "
        f"final state of one batch is the initial state of the next (until `layer.reset_state()`), "
        f"so at the first step of batch 2 the two differ by up to **{first_gap:.3f}**. "
        + ("Your layer is stateful." if cfg.stateful else "Your layer is not stateful: Keras resets "
                                                            "it on every call (the dashed lines)."))
    exports.panel(cfg, current, figs)


step_through_and_below(current)
