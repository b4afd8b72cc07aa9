"""Shapes: every tensor the layer returns, in Keras's order, its weights, and the Keras code.

Over 120 lines for its teaching prose: what each returned tensor means and the two weight
conventions; the diagram's layout comes from ``ui.runtime.experiments.data_flow``."""
import streamlit as st

from ui.classroom import exports, keras_code, sources, tour
from ui.controls import sidebar
from ui.controls.settings import ViewSettings
from ui.drawing import diagrams, figures
from ui.runtime import experiments, lab, status
from ui.runtime.chart import chart
from ui.sections import cell_loop, stack_view

cfg = sidebar.current()
current = lab.current(cfg)
layer = current.layer                    # the bottom layer: it reads x
input_shape = current.x.shape
batch, timesteps, features = input_shape
units = cfg.units
per_layer = [row for row in current.layer_shapes() if row[0].directions]
top, top_input, top_out = per_layer[-1]  # what the model returns is what the top layer returns
names = top.output_names()
shapes = top_out if isinstance(top_out, list) else [top_out]

st.title("Shapes")
tour.button("shapes")
key = status.live_status(current)

MEANING = {
    "whole_sequence_output": "h_t for every timestep (`return_sequences=True`)",
    "last_output": "h at the last step only (`return_sequences=False`)",
    "final_memory_state": "final hidden state h_T (LSTM's first state)",
    "final_carry_state": "final cell/carry state c_T (LSTM's second state)",
    "final_state": "final hidden state h_T",
    "output": "both directions merged with `merge_mode`",
    "forward_output": "forward direction only (`merge_mode=None`)",
    "backward_output": "backward direction only, in time order (`merge_mode=None`)",
    "forward_h": "forward direction's final h",
    "forward_c": "forward direction's final c",
    "backward_h": "backward direction's final h (after reading x₀ last)",
    "backward_c": "backward direction's final c",
}

stacked = cfg.layers > 1
st.subheader("What the top layer returns" if stacked else "What `layer(x)` returns")
st.markdown(f"Input `x`: **`{diagrams.shape_text(input_shape)}`** = (batch_size, timesteps, "
            "input_dim)" + (f"; the top layer (layer {cfg.layers}) reads "
                            f"`{diagrams.shape_text(top_input)}` from the layer below it"
                            if stacked else "")
            + f". {'It' if stacked else 'The layer'} returns {len(names)} "
            f"tensor{'s' if len(names) > 1 else ''}, in this order:")
with st.container(key="output_shapes"):
    for i, (name, shape) in enumerate(zip(names, shapes)):
        st.markdown(f"{i + 1}. `{name}` — **{diagrams.shape_text(shape)}** — "
                    f"{MEANING.get(name, '')}")

state, result = status.result(key) if key else ("missing", None)
returned = result.outputs if state == "done" else []
checked = returned[-len(shapes):]  # the top layer's outputs
if state == "done" and all(d.max_abs_diff != float("inf") for d in checked) \
        and [tuple(d.shape) for d in checked] == [tuple(s) for s in shapes]:
    st.badge(f"TensorFlow {result.tf_version} returns the same {len(shapes)} shape"
             f"{'s' if len(shapes) > 1 else ''}", icon=":material/verified:", color="green")
elif state == "done":
    st.badge("TensorFlow returned different shapes — see the Cross-check page",
             icon=":material/error:", color="red")
elif state == "pending":
    st.badge("TensorFlow is confirming the shapes…", icon=":material/hourglass_top:",
             color="gray")

why = []
if not cfg.return_sequences:
    why.append("`return_sequences=False` drops the timesteps axis: only the last h is returned.")
else:
    why.append("`return_sequences=True` keeps the timesteps axis: one h_t per step.")
if cfg.bidirectional and cfg.merge == "concat":
    why.append(f"Bidirectional with `merge_mode='concat'` doubles the last axis: 2 × {units} = "
               f"{2 * units}.")
elif cfg.bidirectional and cfg.merge is None:
    why.append("`merge_mode=None` returns the two directions separately.")
elif cfg.bidirectional:
    why.append(f"`merge_mode={cfg.merge!r}` combines the directions element-wise: the size stays "
               f"{units}.")
cell = layer.directions[0].cell  # one direction's cell: its facts
if cfg.return_state:
    n_states = len(cell.state_names)
    why.append(f"`return_state=True` appends the final state{'s' if n_states > 1 else ''} "
               f"({'h then c' if n_states > 1 else 'h'})" +
               (", forward first, then backward." if cfg.bidirectional else "."))
st.markdown(" ".join(why))

stack_view.show(cfg, current, per_layer)

st.subheader("Data flow inside layer 1, shapes on the edges" if stacked
             else "Data flow, shapes on the edges")
nodes, edges = experiments.data_flow(cfg, layer, input_shape, per_layer[0][2])  # bottom layer
figs = {"data_flow": diagrams.flow(nodes, edges)}
chart(figs["data_flow"], key="data_flow")

st.subheader("Weights" + (" of layer 1" if stacked else ""))
weights = layer.get_weights()
weight_names = layer.weight_names()
rows = ["| weight | shape | what it is |", "|---|---|---|"]
terms = {t.name: t for t in layer.param_terms()}
for name, w in zip(weight_names, weights):
    shape = diagrams.shape_text(w.shape).replace(" ", "\u00a0")  # no-break: the column never wraps
    rows.append(f"| `{name}` | `{shape}` | {terms[name].explanation} |")
st.markdown("\n".join(rows))
G = cell.n_gates
gates = f" (columns in gate order {', '.join(cell.gate_symbols)})" if G > 1 else ""
st.info(f"**Two conventions, same numbers.** {sources.cite('001', capital=True)} writes `Wx` as (hidden, input) = "
        f"({units}, {features}) and computes `Wx·x_t`; Keras stores `kernel` as (input_dim, "
        f"{G}·units) = ({features}, {G * units}){gates} and computes `x_t·kernel`, because x "
        f"is batch-major `(batch, input_dim)`. So `kernel` = `Wxᵀ`{' (per gate)' if G > 1 else ''}, "
        f"`recurrent_kernel` = `Whᵀ`, and the row vector `x_t·kernel` equals `(Wx·x_t)ᵀ`.",
        icon=":material/swap_horiz:")
if sidebar.widget(ViewSettings, "show_weights", "Show the weight values", kind="toggle"):
    first = weight_names[:3] if not cfg.bidirectional else weight_names[:len(weight_names) // 2]
    arrays = {n.removeprefix("forward_"): w for n, w in zip(weight_names, weights) if n in first}
    figs["weights"] = figures.weights(arrays, cell.gate_names, units)
    chart(figs["weights"], key="weights")
    st.caption("Each weight as stored: one row per input (or h) feature, one column per output "
               "column" + (", grouped by gate. " if G > 1 else ". ")
               + ("Forward direction shown; the backward direction has its own weights."
                  if cfg.bidirectional else ""))

st.subheader("The Keras code")
single = cfg.layers == 1 and not cfg.lengths
with st.container(key="shapes_keras_code"):
    if single:  # the same input and weights: it prints this page's shapes and numbers
        # The container scrolls, not the code block: its copy button is then a focusable element
        # inside the scrolling region, so the keyboard can reach and scroll it.
        with st.container(height=420):
            st.code(exports.keras_script(cfg, current), language="python", wrap_lines=True)
    else:
        st.code(keras_code.keras_code(cfg, input_shape, top.output_names(),
                                      top_out if isinstance(top_out, list) else [top_out],
                                      lower_shapes=[out for _, _, out in per_layer[:-1]]),
                language="python", wrap_lines=True)
st.caption("Copy it (icon at the top right of the box) and run it with TensorFlow installed: it "
           + ("rebuilds this layer with the page's input and weights and prints its outputs "
              "(the shapes above, the numbers of /hidden_states)." if single else
              "prints the shapes listed above. The notebook under *Take this view home* rebuilds "
              "the numbers too."))
cell_loop.show(cfg, current)
exports.panel(cfg, current, figs)
