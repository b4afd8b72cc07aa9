"""Shapes: every tensor the layer returns, in Keras's order, its weights, and the Keras code."""
import streamlit as st

from ui import cell_loop, colors, diagrams, exports, figures, keras_code, lab, sidebar, sources, stack_view, status, tour
from ui.chart import chart
from ui.settings import ViewSettings

cfg = sidebar.current()
current = lab.current(cfg)
layer = current.layer                    # the bottom layer: it reads x
input_shape = current.x.shape
batch, timesteps, features = input_shape
units = cfg.units
per_layer = [row for row in current.layer_shapes() if hasattr(row[0], "trace")]
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
returned = ([d for d in result.outputs if not d.name.endswith("every step")]  # not per-step rows
            if state == "done" else [])
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
if cfg.return_state:
    n_states = 2 if cfg.cell == "LSTM" else 1
    why.append(f"`return_state=True` appends the final state{'s' if n_states > 1 else ''} "
               f"({'h then c' if n_states > 1 else 'h'})" +
               (", forward first, then backward." if cfg.bidirectional else "."))
st.markdown(" ".join(why))

stack_view.show(cfg, current, per_layer)

st.subheader("Data flow inside layer 1, shapes on the edges" if stacked
             else "Data flow, shapes on the edges")
# the diagram draws the bottom layer, which reads x
names, shapes = layer.output_names(), per_layer[0][2]
shapes = shapes if isinstance(shapes, list) else [shapes]
return_sequences = layer.return_sequences
G = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[cfg.cell]
step_name = lab.STEP_FUNCTIONS[cfg.cell].__name__
x_label = diagrams.shape_text(input_shape)
nodes, edges = {}, []
out_x = 6.0
spread = [1.6 * ((len(names) - 1) / 2 - i) for i in range(len(names))]  # first output on top
if not cfg.bidirectional:
    nodes = {
        "x": ("<b>x</b>", 0, 0, colors.X),
        "kernel": ("kernel", 2, 1.4, colors.KERNEL),
        "bias": ("bias", 2, -1.4, colors.BIAS),
        "proj": ("x·kernel + bias<br>(one matmul)", 2, 0, colors.KERNEL),
        "rk": ("recurrent_kernel", 4, 1.4, colors.RECURRENT),
        "h0": ("initial state<br>" + ("h₀, c₀ = 0" if cfg.cell == "LSTM" else "h₀ = 0"), 4, -1.4,
               colors.H),
        "loop": (f"{step_name}<br>× {timesteps} steps", 4, 0, colors.H),
    }
    bias_shape = (2, G * units) if (cfg.cell == "GRU" and cfg.reset_after) else (G * units,)
    edges = [("x", "proj", x_label), ("kernel", "proj", diagrams.shape_text((features, G * units))),
             ("bias", "proj", diagrams.shape_text(bias_shape)),
             ("proj", "loop", diagrams.shape_text((batch, timesteps, G * units))),
             ("rk", "loop", diagrams.shape_text((units, G * units))),
             ("h0", "loop", diagrams.shape_text((batch, units)))]
    for name, shape, y in zip(names, shapes, spread):
        nodes[name] = (name, out_x, y, colors.C if name.endswith("carry_state") else colors.H)
        edges.append(("loop", name, diagrams.shape_text(shape)))
else:
    fw_shape = (batch, timesteps, units) if return_sequences else (batch, units)
    nodes = {
        "x": ("<b>x</b>", 0, 0, colors.X),
        "fw": (f"forward {cfg.cell}<br>{step_name}", 2.2, 1.3, colors.FORWARD),
        "bw": (f"backward {cfg.cell}<br>go_backwards=True", 2.2, -1.3, colors.BACKWARD),
    }
    edges = [("x", "fw", x_label), ("x", "bw", x_label)]
    if cfg.merge is not None:
        nodes["merge"] = (f"merge<br>{cfg.merge}", 4.1, 0, colors.MERGED)
        edges += [("fw", "merge", diagrams.shape_text(fw_shape)),
                  ("bw", "merge", diagrams.shape_text(fw_shape))]
    # merged output level with the merge node; each direction's own outputs on its side
    side = {"forward": 0, "backward": 0}
    base = 1.0 if "output" in names else 0.5
    for name, shape in zip(names, shapes):
        direction = name.split("_")[0] if name != "output" else None
        if direction is None:
            colour, y, src = colors.MERGED, 0.0, "merge"
        else:
            sign = 1 if direction == "forward" else -1
            colour = colors.FORWARD if sign > 0 else colors.BACKWARD
            y, src = sign * (base + side[direction]), "fw" if sign > 0 else "bw"
            side[direction] += 1
        nodes[name] = (name, out_x, y, colour)
        edges.append((src, name, diagrams.shape_text(shape)))
figs = {"data_flow": diagrams.flow(nodes, edges, height=max(330, 110 * len(names) + 120))}
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
gates = {"SimpleRNN": "", "LSTM": " (columns in gate order i, f, c, o)",
         "GRU": " (columns in gate order z, r, h)"}[cfg.cell]
st.info(f"**Two conventions, same numbers.** {sources.cite('001', capital=True)} writes `Wx` as (hidden, input) = "
        f"({units}, {features}) and computes `Wx·x_t`; Keras stores `kernel` as (input_dim, "
        f"{G}·units) = ({features}, {G * units}){gates} and computes `x_t·kernel`, because x "
        f"is batch-major `(batch, input_dim)`. So `kernel` = `Wxᵀ`{' (per gate)' if G > 1 else ''}, "
        f"`recurrent_kernel` = `Whᵀ`, and the row vector `x_t·kernel` equals `(Wx·x_t)ᵀ`.",
        icon=":material/swap_horiz:")
if sidebar.widget(ViewSettings, "show_weights", "Show the weight values", kind="toggle"):
    first = weight_names[:3] if not cfg.bidirectional else weight_names[:len(weight_names) // 2]
    arrays = {n.removeprefix("forward_"): w for n, w in zip(weight_names, weights) if n in first}
    gate_names = layer.forward_layer.gate_names if cfg.bidirectional else layer.gate_names
    figs["weights"] = figures.weights(arrays, gate_names, units)
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
