"""Parameters: where every number in model.summary()'s Param # column comes from.

Over 120 lines for its teaching prose (each term of the formula explained) and the model
builder; the counts come from the layers, the counts vs units from ``ui.runtime.experiments``."""
import streamlit as st

from ui.classroom import builder, exports, sources, tour
from ui.controls import sidebar
from ui.controls.settings import BuilderSettings
from ui.drawing import diagrams, figures
from ui.runtime import experiments, lab, status
from ui.runtime.chart import chart
from ui.sections import frameworks

cfg = sidebar.current()
current = lab.current(cfg)
layer = current.layer

st.title("Parameters")
tour.button("parameters")
status.live_status(current)

total = layer.count_params()
if cfg.layers > 1:
    per_layer = [row for row in current.layer_shapes() if row[0].directions]
    model_total = sum(row[0].count_params() for row in per_layer)
    st.subheader(f"Your model: {cfg.layers} stacked layers, {model_total:,} parameters")
    with st.container(key="stack_params"):
        rows = ["| layer | reads features | formula | filled in | parameters |",
                "|---|---:|---|---|---:|"]
        for i, (each, received, _) in enumerate(per_layer):
            rows.append(f"| layer {i + 1} (`{each.name}`) | {received[-1]} | "
                        f"`{each.param_formula(symbolic=True)}` | `{each.param_formula()}` | "
                        f"{each.count_params():,} |")
        rows.append(f"| **total** | | | `{' + '.join(f'{r[0].count_params():,}' for r in per_layer)}` "
                    f"| **{model_total:,}** |")
        st.markdown("\n".join(rows))
    st.markdown(f"Same formula for every layer; only `input_dim` changes: layer 1 reads the "
                f"{cfg.input_dim} input features, every layer above reads the h_t of the layer "
                f"below ({per_layer[1][1][-1]} features"
                + (", both directions concatenated" if cfg.bidirectional and cfg.merge == "concat"
                   else "") + "), so for it `input_dim` = "
                f"{per_layer[1][1][-1]}. Masking has no parameters." )
    st.subheader(f"Layer 1 in detail: {total:,} parameters")
else:
    st.subheader(f"Your layer: {total:,} parameters")
with st.container(key="param_formula"):
    st.markdown(f"**Formula:** `{layer.param_formula(symbolic=True)}`")
    st.markdown(f"**Filled in:** `{layer.param_formula()}`")

cell = layer.directions[0].cell  # one direction's cell: its facts size the weights
G = cell.n_gates
rows = ["| term | shape | count | why |", "|---|---|---:|---|"]
for term in layer.param_terms():
    rows.append(f"| `{term.name}` | `{diagrams.shape_text(term.shape)}` | {term.count:,} | "
                f"{term.explanation} |")
rows.append(f"| **total** | | **{total:,}** | |")
st.markdown("\n".join(rows))

notes = []
if G > 1:
    gate_list = ", ".join(cell.gate_names)
    notes.append(f"**×{G}**: {cfg.cell} has {G} blocks ({gate_list}); each is a full SimpleRNN-"
                 f"sized set of weights, stacked side by side in one `kernel`.")
notes.append(f"**units × (input_dim + units)**: every unit sees the {cfg.input_dim} input features "
             f"and the previous {cfg.units} hidden values.")
if cfg.cell == "GRU" and cfg.reset_after:
    notes.append(f"**2 × units bias**: `reset_after=True` (the Keras default) keeps a second bias "
                 f"row for the recurrent side, applied before the reset gate multiplies: "
                 f"{3 * cfg.units} extra parameters compared with `reset_after=False`.")
elif cfg.cell == "GRU":
    notes.append("`reset_after=False` (the original GRU of Cho et al.) keeps a single bias row.")
if cfg.bidirectional:
    notes.append(f"**×2 for Bidirectional**: the backward direction has its own weights, the same "
                 f"shapes: 2 × {total // 2:,} = {total:,}.")
notes.append("The number of timesteps and the batch size do **not** appear: the same weights are "
             "reused at every step, for every sequence.")
for note in notes:
    st.markdown(f"- {note}")


grid = sorted({1, 2, 4, 8, 16, 32, 64, 128, 256, cfg.units})
counts = experiments.counts_vs_units(cfg.input_dim, cfg.bidirectional, cfg.reset_after, cfg.unit_forget_bias,
                         tuple(grid))
st.subheader("Parameters vs units, for the three cells")
figs = {"params_vs_units": figures.params_vs_units(grid, counts, cfg.units, cfg.cell, total,
                                                    cfg.input_dim)}
chart(figs["params_vs_units"], key="params_vs_units")
st.caption("Growth is quadratic in units (the recurrent kernel is units × G·units). At equal "
           "units an LSTM has 4×, a GRU about 3× the parameters of a SimpleRNN.")
frameworks.section(cfg, current.stack)

st.subheader("Model builder")
st.markdown("One layer per line, in Keras syntax (`Embedding`, `SimpleRNN`, `LSTM`, `GRU`, "
            "`Dense`, `TimeDistributed`, `Bidirectional`). The presets rebuild the models of the "
            f"tutorials this app follows: {', '.join(sources.cite(s) for s in ('000', '001', '002'))}.")


def _load_preset():
    preset = builder.PRESETS[st.session_state["model_preset"]]
    st.session_state["model_spec"] = preset.spec
    st.session_state["model_input_shape"] = preset.input_shape


B = BuilderSettings
sidebar.widget(B, "model_preset", "Preset", format_func=lambda k: builder.PRESETS[k].label,
               on_change=_load_preset)
col1, col2 = st.columns([3, 1])
col1.text_area("Layers", key="model_spec", height=130, max_chars=B.spec("model_spec")["max_len"],
               disabled=sidebar.locked())
sidebar.widget(B, "model_input_shape", "input_shape", where=col2,
               help="Batch first, e.g. (None, 5, 10); or as in Keras, without the batch axis: "
                    "Input(shape=(5, 10)). (None, None) = token ids of any length (for "
                    "Embedding). A first layer line Input(shape=...) replaces this box.")
sidebar.write_query(sidebar.settings(B))  # the builder's text travels in the link too
try:
    model = builder.build(st.session_state["model_spec"], st.session_state["model_input_shape"])
except ValueError as err:
    st.error(str(err))
else:
    with st.container(key="model_summary"):
        st.code(model.summary(print_fn=None), language="text")
        preset = builder.PRESETS[st.session_state["model_preset"]]
        same_spec = st.session_state["model_spec"] == preset.spec and \
            st.session_state["model_input_shape"] == preset.input_shape
        if same_spec and preset.seed_total is not None:
            source = sources.cite_preset(st.session_state["model_preset"])
            if model.count_params() == preset.seed_total:
                st.success(f"Matches the Keras summary in {source}: {preset.seed_total:,} "
                           "parameters.", icon=":material/check:")
            else:
                st.error(f"The Keras summary in {source} says {preset.seed_total:,}; "
                         f"we count {model.count_params():,}.")
    rows = ["| layer | formula |", "|---|---|"]
    rows += [f"| `{r['name']}` ({r['type']}) | `{r['formula']}` |" for r in model.summary_rows()]
    st.markdown("\n".join(rows))

exports.panel(cfg, current, figs)
