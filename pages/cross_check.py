"""Cross-check: the same layer, the same weights, the same x in NumPy and in TensorFlow/Keras."""
import platform

import numpy as np
import streamlit as st

from rnn_core import crosscheck
from ui.classroom import exports, tour
from ui.controls import sidebar
from ui.drawing import diagrams, figures
from ui.runtime import lab, status
from ui.runtime.chart import chart
from ui.sections import cudnn

cfg = sidebar.current()
current = lab.current(cfg)

st.title("Cross-check: NumPy vs TensorFlow")
st.caption("Compared: every output Keras returns; every step's h_t (a `return_sequences=True` "
           "twin) and, for LSTM, every step's c_t (Keras's own `LSTMCell`, stepped); for a stack, "
           "each layer on what the layer below hands it; the same mask and initial states.")
tour.button("cross_check")
st.markdown("rnn_core builds the equivalent Keras layer (`rnn_core.crosscheck.to_keras`), copies "
            "our weights into it with `set_weights`, runs both on the same x and compares every "
            "output. Float32 arithmetic in a different order (oneDNN, fused kernels) differs by "
            "~1e-7; the test passes at **1e-5**.")
if cfg.layers > 1 or cfg.lengths:
    st.markdown("**What is compared here:** every output of "
                + (f"each of the {cfg.layers} stacked layers, each run in Keras on the input it "
                   "receives in the stack" if cfg.layers > 1 else "the layer")
                + (" with the mask `Masking(mask_value=0.0)` computes from the padded x"
                   if cfg.lengths else "") + ".")

figs = {}


def outcome(state: str, res) -> None:
    """What the check found, drawn inside the status fragment: it arrives without a full rerun."""
    if state != "missing":
        st.button("Run the cross-check again", key="crosscheck_rerun", icon=":material/refresh:",
                  on_click=status.start, args=(current,), kwargs={"rerun": True})
    # One container for whichever outcome is shown: a result that comes and goes must not shift
    # the elements below it (a moved chart is redrawn from scratch in the browser).
    with st.container(key="crosscheck_outcome"):
        if state == "done":
            if res.passed:
                st.success(f"PASS: all {len(res.compared())} comparisons (outputs and every step) "
                           f"agree within {res.tolerance:.0e} "
                           f"(max |Δ| = {res.max_abs_diff:.2e}).", icon=":material/check_circle:")
            else:
                st.error(f"FAIL: max |Δ| = {res.max_abs_diff:.2e} exceeds {res.tolerance:.0e}.",
                         icon=":material/error:")
            with st.container(key="crosscheck_table"):
                rows = ["| output | shape | max abs diff | within 1e-5 |", "|---|---|---:|---|"]
                for d in res.compared():
                    verdict = (":green[:material/check: pass]" if d.max_abs_diff <= res.tolerance
                               else ":red[:material/close: fail]")
                    rows.append(f"| `{d.name}` | `{diagrams.shape_text(d.shape)}` | "
                                f"{d.max_abs_diff:.3e} | {verdict} |")
                st.markdown("\n".join(rows))
            figs["crosscheck_bars"] = figures.crosscheck_bars(
                [d.name for d in res.compared()], [d.max_abs_diff for d in res.compared()], res.tolerance)
            chart(figs["crosscheck_bars"], key="crosscheck_bars")
            col1, col2, col3 = st.columns(3)
            col1.metric("TensorFlow ran on", res.device, help=f"device type {res.device_type}")
            warm = f"median of {crosscheck.TIMING_REPEATS} calls after a first, uncounted call"
            col2.metric("NumPy call (warm)", f"{res.numpy_ms:.2f} ms", help=warm)
            col3.metric("Keras call (eager, warm)", f"{res.keras_ms:.2f} ms", help=warm)
            st.markdown(f"**Versions:** TensorFlow {res.tf_version} · Keras {res.keras_version} · "
                        f"NumPy {np.__version__} · Python {platform.python_version()}")
            verdict = {True: "yes", False: "no", None: "no GPU visible"}[res.cudnn_eligible]
            checklist = cudnn.items(res.cudnn)
            broken = any(item.ok is False and item.control for item in checklist)
            with st.expander(f"Would Keras use the fused cuDNN kernel? {verdict}", expanded=broken,
                             key="cudnn_checklist"):
                st.markdown("\n".join(f"- {cudnn.markdown(item)}" for item in checklist))
                st.caption("The rules are read from the installed Keras where it can be asked (the note below says which). A red item is a setting "
                           "that rules the fused kernel out; its link moves to that control. "
                           "dropout and recurrent_dropout only act in training: at inference (what "
                           "is compared here) Keras applies no dropout, so the numbers still agree.")
        elif state == "error":
            st.error(f"The cross-check could not run: {res}")
        elif state == "pending":
            st.info("TensorFlow runs in a background process; the result appears here by itself.",
                    icon=":material/hourglass_top:")

    st.subheader("Timing of the NumPy layer here")
    fresh = current.fresh_model()
    fresh(current.x)  # the first call is not counted, as on the worker's two sides
    timings = {"NumPy (this page)": crosscheck.warm_ms(lambda: fresh(current.x))}
    if state == "done":
        timings["NumPy (worker)"] = res.numpy_ms
        timings["Keras eager (worker)"] = res.keras_ms
    figs["timings"] = figures.timings(timings)
    chart(figs["timings"], key="timings")
    first = (f" (here {res.keras_first_ms:.1f} ms)" if state == "done" and res.keras_first_ms
             else "")
    st.caption(f"Warm calls on both sides: each bar is the median of {crosscheck.TIMING_REPEATS} "
               f"forward calls on x {diagrams.shape_text(current.x.shape)}, after a first call "
               f"that is not counted. Keras's first eager call also traces its functions{first}; "
               "small layers are dominated by per-op overhead.")


if not crosscheck.is_available():
    st.warning("TensorFlow is not installed, so nothing can be cross-checked here. Every other "
               "page works without it.", icon=":material/warning:")
    st.markdown("Install it into the same environment and restart the app:")
    st.code("pip install tensorflow        # or: pip install tensorflow-cpu  (smaller, no GPU)\n"
            "streamlit run app.py", language="bash")
    outcome("missing", None)
else:
    status.live_status(current, details_link=False, details=outcome)  # this is that page

with st.expander("Do it yourself"):
    st.code("from rnn_core import crosscheck, layers\n"
            f"layer = layers.{cfg.cell}({cfg.units}, return_sequences={cfg.return_sequences}, "
            f"return_state={cfg.return_state})\n"
            "result = crosscheck.run(layer, x)   # x: (batch, timesteps, features) float32\n"
            "print(result.passed, result.max_abs_diff, result.device)", language="python")

exports.panel(cfg, current, figs)
