"""Gates: what each LSTM/GRU gate does at every step, when it saturates, and two Keras toggles.

Over 120 lines for its teaching prose (each gate's role, the two toggles' equations); the toggles'
runs come from ``ui.runtime.experiments.flag_effect``."""
import streamlit as st

from ui.classroom import exports, tour
from ui.controls import sidebar
from ui.controls.settings import ViewSettings
from ui.drawing import colors, figures, stack_figures
from ui.runtime import experiments, lab, status
from ui.runtime.chart import chart

cfg = sidebar.current()
current = lab.current(cfg)

st.title("Gates")
tour.button("gates")
status.live_status(current)

ROLE = {
    "input": "how much of the candidate to write into c (σ, 0 = write nothing)",
    "forget": "how much of c_{t−1} to keep (σ, 1 = keep everything, 0 = erase)",
    "candidate": "the new content proposed from x_t and h_{t−1} (tanh, in [−1, 1])",
    "output": "how much of tanh(c_t) to expose as h_t (σ)",
    "update": "z: how much of h_{t−1} to keep (σ; 1 = keep the old state, 0 = take the candidate)",
    "reset": "r: how much of h_{t−1} the candidate may look at (σ; 0 = ignore the past)",
}


@lab.view_fragment
def step_through_and_below(current: lab.Lab) -> None:
    """Its pickers and the show_effect toggle rerun only this part (``lab.view_fragment``)."""
    cfg = current.cfg
    player = st.container()  # the step-through comes first; its pickers sit under it
    layer_index, sample, step, trace = lab.step_pickers(current)
    one = trace.directions[0]  # the forward direction's gates when Bidirectional
    if cfg.bidirectional:
        st.caption("Bidirectional: the forward direction's gates are shown (the backward copy has "
                   "its own weights and gates).")
    padded_mask = one.mask[sample] if one.mask is not None else None
    panel = lab.step_panel(current, one, sample, layer_index=layer_index)

    if cfg.cell == "SimpleRNN":
        st.info("SimpleRNN has no gates: h_t = tanh(x_t·W_x + h_{t−1}·W_h + b) overwrites the whole "
                "state at every step. Pick **LSTM** or **GRU** in the sidebar to see gates. Below: "
                "SimpleRNN's h_t, which saturates the same way a gate does when |h| → 1.",
                icon=":material/info:")
        series = {"h": one.h[sample]}
        where = figures.Where(sample, layer_index + 1)
        figs = {"gates_step_through": figures.step_through(series, start=step, lines="h",
                                                           where=where),
                "saturation": figures.histograms({"h": one.h})}
        with player:
            lab.step_through("gates_step_through", stack_figures.mark_padded(
                figs["gates_step_through"], padded_mask), panel, step)
        chart(figs["saturation"], key="saturation")
        lab.show_source(cfg.cell)
        exports.panel(cfg, current, figs)
        return

    series = {name: one.gates[name][sample] for name in one.gates}  # gate -> (timesteps, units)
    if one.c is not None:
        series["c"] = one.c[sample]
    series["h"] = one.h[sample]
    sigmoid = [name for name in series if colors.is_gate01(name)]
    tanh_like = [name for name in series if not colors.is_gate01(name)]
    figs = {"gates_step_through": figures.step_through(series, panels=[sigmoid, tanh_like],
                                                       start=step, cols=2,
                                                       where=figures.Where(sample, layer_index + 1))}
    with player:
        st.subheader(f"{cfg.cell} gates over time (sample {sample})")
        lab.step_through("gates_step_through", stack_figures.mark_padded(
            figs["gates_step_through"],
            padded_mask, "padded: gates discarded, " + ("c and h" if cfg.cell == "LSTM" else "h")
            + " carried"), panel, step)
    if lab.padded_note(trace, sample):
        st.info(lab.padded_note(trace, sample), icon=":material/check_box_outline_blank:")
    st.markdown(" ".join(f"<span style='color:{colors.colour(g)}'>■</span> **{g}**: {ROLE[g]}."
                         for g in one.gates), unsafe_allow_html=True)
    st.caption("Left: the sigmoid gates on the sequential scale [0, 1]. Right: candidate, c_t and h_t "
               "on the diverging scale (c_t can leave [−1, 1]). ▶ Play, the slider and the keys move "
               "the chart and the equations together, in the browser.")
    lab.show_source(cfg.cell)

    st.subheader("Saturation")
    gates_all = {name: one.gates[name] for name in one.gates}  # all samples
    figs["saturation"] = figures.histograms(gates_all)
    chart(figs["saturation"], key="saturation")
    st.caption(f"A sigmoid within {figures.SATURATION} of 0 or 1 (tanh: of ±1) is saturated: its "
               "derivative is nearly 0, so gradients through it vanish. Large inputs (try the "
               "train_X preset, or constant weights) push gates into saturation.")

    st.subheader("Two Keras toggles and their effect")
    effect = experiments.flag_effect(cfg, current.x, sample)
    numbers = effect.numbers
    if cfg.cell == "LSTM":
        forget_on, forget_off = numbers["forget_on"], numbers["forget_off"]
        st.markdown("`unit_forget_bias=True` (the Keras default) adds 1 to the forget gate's bias at "
                    "initialization, so an untrained LSTM starts out **remembering** (f ≈ σ(1) ≈ 0.73) "
                    "instead of halving its memory at every step (f ≈ σ(0) = 0.5).")
        m1, m2 = st.columns(2)
        m1.metric("mean forget gate, unit_forget_bias=True", f"{forget_on:.3f}")
        m2.metric("mean forget gate, unit_forget_bias=False", f"{forget_off:.3f}",
                  delta=f"{forget_off - forget_on:+.3f}")
        st.caption(f"Your layer: unit_forget_bias={cfg.unit_forget_bias} (sidebar). Same seed, same "
                   "kernels: only the forget bias differs.")
    else:
        st.markdown("`reset_after` decides where the reset gate r acts in the candidate:")
        st.latex(r"\text{reset\_after=True (Keras default, cuDNN):}\quad \tilde h_t = \tanh(x_t W_h + "
                 r"b_h + r_t \odot (h_{t-1} U_h + b'_h))")
        st.latex(r"\text{reset\_after=False (Cho et al. 2014):}\quad \tilde h_t = \tanh(x_t W_h + "
                 r"(r_t \odot h_{t-1}) U_h + b_h)")
        m1, m2, m3 = st.columns(3)
        m1.metric("parameters, reset_after=True", f"{numbers['params_on']:,}")
        m2.metric("parameters, reset_after=False", f"{numbers['params_off']:,}",
                  delta=f"{numbers['params_off'] - numbers['params_on']:,}")
        m3.metric("max |Δh| between the two", f"{numbers['max_dh']:.4f}")
        st.caption(f"Your layer: reset_after={cfg.reset_after} (sidebar). Same seed and kernels; "
                   "reset_after=True adds a second bias row (2, 3·units). With zero biases the two "
                   "differ only through where r multiplies.")

    if sidebar.widget(ViewSettings, "show_effect", "Plot the effect over time", kind="toggle"):
        curves, colours, dashes = {}, {}, {}
        for (label, quantity), (with_flag, without_flag) in effect.curves.items():
            for value, series_values in ((True, with_flag), (False, without_flag)):
                name = f"{label}, {effect.flag}={value}"
                curves[name], colours[name] = series_values, colors.colour(quantity)
                if not value:
                    dashes[name] = "dot"
        figs["toggle_effect"] = figures.compare_lines(curves, colours, effect.title, "value", dashes)
        chart(figs["toggle_effect"], key="toggle_effect")
    exports.panel(cfg, current, figs)


step_through_and_below(current)
