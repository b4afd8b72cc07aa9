"""Take a view home: Keras and PyTorch code, a notebook, the trace as data, charts, the link.

Pure builders ``(cfg, layer, x) -> str | bytes`` first; ``panel`` at the end is the Streamlit
glue (download buttons whose files are built only when clicked). Every code export embeds the
page's exact input and weights, so running it prints the numbers the page shows.
"""
from __future__ import annotations

import base64
import inspect
import io
import json
import sys
from urllib.parse import urlencode

import nbformat
import numpy as np
import plotly.io
import streamlit as st

from rnn_core import torch_convert
from ui import chart as chart_module
from ui import inputs, keras_code, view

INLINE_MAX = 2000  # arrays up to this many numbers are written out; bigger ones as base64
PRINT_OPTIONS = dict(precision=7, suppress_small=True)  # as /hidden_states prints the outputs


def file_stem(cfg, x) -> str:
    """A meaningful file name stem: rnnlab_lstm_u8_t10, rnnlab_bigru_u4_t7."""
    return f"rnnlab_{'bi' if cfg.bidirectional else ''}{cfg.cell.lower()}_u{cfg.units}_t{x.shape[1]}"


# --- code pieces -----------------------------------------------------------------------------------
def array_code(a) -> str:
    """A float32 array as Python source that rebuilds it bit for bit."""
    a = np.asarray(a, np.float32)
    if a.size <= INLINE_MAX:
        # floatmode="unique": the shortest decimal that reads back as the same float32
        text = np.array2string(a, separator=", ", threshold=sys.maxsize, floatmode="unique",
                               max_line_width=100)
        return f"np.array({text}, dtype=np.float32)"
    data = base64.b64encode(np.ascontiguousarray(a, "<f4").tobytes()).decode("ascii")
    return f'np.frombuffer(base64.b64decode("{data}"), dtype="<f4").reshape({a.shape})'


def _source_call(functions, call: str) -> str:
    """The functions' own source (the app's exact code), then ``x = call``."""
    return "\n\n".join(inspect.getsource(f) for f in functions) + f"\n\nx = {call}"


def input_code(cfg, x) -> str:
    """Source that rebuilds ``x`` exactly: the preset's own NumPy code, or the values."""
    b, t, d = x.shape
    candidates = {  # preset -> (functions whose source is shown, the call shown, the same call)
        "random": ([inputs.seeded_random], f"seeded_random({b}, {t}, {d}, seed={cfg.seed})",
                   lambda: inputs.seeded_random(b, t, d, cfg.seed)),
        "sine": ([inputs.sine_waves], f"sine_waves({b}, {t}, {d})",
                 lambda: inputs.sine_waves(b, t, d)),
        "word": ([inputs.vocabulary, inputs.one_hot], f"one_hot({cfg.word!r})",
                 lambda: inputs.one_hot(cfg.word)),
    }
    if cfg.preset in candidates:
        functions, call, rebuild = candidates[cfg.preset]
        again = rebuild()  # a fallback preset (no CSV yet) must not claim the preset's code
        if again.shape == x.shape and np.array_equal(again, x):
            return _source_call(functions, call) + "  # (batch, timesteps, features)"
    what = {"train_X": "seed 004's train_X", "csv": "the uploaded CSV"}.get(cfg.preset, "the input")
    return f"# {what}, (batch, timesteps, features)\nx = {array_code(x)}"


def _gate_note(cell: str) -> str:
    return {"LSTM": ", gates i, f, c, o", "GRU": ", gates z, r, h"}.get(cell, "")


def weights_code(layer, cell: str) -> tuple[str, list[str]]:
    """(source defining one variable per weight in Keras layout, the variable names in order)."""
    names, lines = layer.weight_names(), []
    for name, w in zip(names, layer.get_weights()):
        lines.append(f"{name} = {array_code(w)}  # {tuple(w.shape)}{_gate_note(cell)}")
    return "\n".join(lines), names


def keras_layer_code(cfg) -> str:
    """``layers.LSTM(...)`` for the config (Bidirectional-wrapped), as on /shapes."""
    return keras_code.bidirectional(cfg, f"layers.{cfg.cell}({keras_code.layer_args(cfg)})")


def print_code(names: list[str]) -> str:
    """Print each output as /hidden_states does; ``outputs`` holds them as NumPy arrays."""
    return (f"names = {names!r}\n"
            f"np.set_printoptions(precision={PRINT_OPTIONS['precision']}, suppress=True)\n"
            "for name, out in zip(names, outputs):\n"
            "    print(f\"{name} {tuple(out.shape)}:\")\n"
            "    print(out)")


def imports_code(code: str, imports: list[str]) -> str:
    """The import lines ``code`` needs (base64 only when big arrays are encoded)."""
    return "\n".join((["import base64"] if "base64." in code else []) + imports)


# --- Keras: one list of (markdown, code) sections, for the .py file and the notebook -----------------
def keras_sections(cfg, layer, x, link: str | None = None) -> list[tuple[str, str]]:
    """The Keras reproduction as (explanation, code) sections: input, weights, layer, outputs,
    h at every step."""
    weights, names = weights_code(layer, cfg.cell)
    x_code = input_code(cfg, x)
    out_names = layer.output_names()
    directions = ([("h_forward", names[:len(names) // 2], False),
                   ("h_backward", names[len(names) // 2:], True)] if cfg.bidirectional
                  else [("h", names, cfg.go_backwards)])
    step_cell = f"layers.{cfg.cell}({', '.join(keras_code.cell_args(cfg))}, return_sequences=True"
    steps = [
        "def every_step(weights, go_backwards):",
        f"    step_layer = {step_cell}, go_backwards=go_backwards)",
        "    step_layer.build(x.shape)",
        "    step_layer.set_weights(weights)",
        "    return keras.ops.convert_to_numpy(step_layer(x))  # (batch, timesteps, units), processing order",
        "",
    ]
    for var, ws, backwards in directions:
        steps += [f"{var} = every_step([{', '.join(ws)}], go_backwards={backwards})",
                  f"print({var!r} + ' (batch, timesteps, units):')", f"print({var})"]
    sections = [
        (f"# RNN Lab: {'Bidirectional ' if cfg.bidirectional else ''}{cfg.cell}({cfg.units}) in Keras\n"
         "Rebuilds the layer of the page with the same input and the same weights, then prints "
         "what the page shows. Needs `pip install tensorflow numpy`.",
         "import os\nos.environ.setdefault(\"KERAS_BACKEND\", \"tensorflow\")\n"
         + imports_code(weights + x_code, ["import numpy as np", "import keras",
                                           "from keras import layers"])
         + ("" if link is None else f"\n\nSHARE_LINK = {link!r}  # this view in RNN Lab")),
        ("## The input x\nThe page's preset, rebuilt with the app's own NumPy code (or its values).",
         x_code),
        ("## The weights, in Keras's layout\n`kernel` (input_dim, G·units), `recurrent_kernel` "
         "(units, G·units), `bias`; gate blocks side by side.", weights),
        ("## The layer, with these weights\nInitializers do not matter: `set_weights` replaces "
         "every value.",
         f"layer = {keras_layer_code(cfg)}\nlayer.build(x.shape)\nlayer.set_weights([{', '.join(names)}])"),
        ("## What `layer(x)` returns\nThe same numbers as the page (Keras and rnn_core agree within 1e-5).",
         "outputs = layer(x)\noutputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]\n"
         "outputs = [keras.ops.convert_to_numpy(o) for o in outputs]\n" + print_code(out_names)),
        ("## h at every step\nWhat the heatmaps on /hidden_states show: each direction's h_t in "
         "its own processing order (`return_sequences=True`, the same weights).", "\n".join(steps)),
    ]
    return sections


def keras_script(cfg, layer, x, link: str | None = None) -> str:
    """The Keras reproduction as one runnable .py file."""
    parts = []
    for text, code in keras_sections(cfg, layer, x, link):
        comment = "\n".join("# " + line.lstrip("# ") if line else "#" for line in text.splitlines())
        parts.append(f"{comment}\n{code}")
    return "\n\n\n".join(parts) + "\n"


def notebook(cfg, layer, x, link: str | None = None) -> str:
    """The Keras reproduction as a Jupyter notebook (nbformat 4 JSON)."""
    cells = []
    for text, code in keras_sections(cfg, layer, x, link):
        cells += [nbformat.v4.new_markdown_cell(text), nbformat.v4.new_code_cell(code)]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.validate(nb)
    return nbformat.writes(nb)


# --- PyTorch ---------------------------------------------------------------------------------------
def torch_script(cfg, layer, x, link: str | None = None) -> str:
    """The same layer as ``torch.nn.LSTM/GRU/RNN``, weights converted in the open; prints the
    outputs in Keras's order. Raises ValueError when PyTorch has no equivalent."""
    kwargs = torch_convert.torch_kwargs(layer)  # ValueError: e.g. GRU reset_after=False
    weights, names = weights_code(layer, cfg.cell)
    x_code = input_code(cfg, x)
    half = len(names) // 2
    per_direction = ([(names[:half], "_l0"), (names[half:], "_l0_reverse")] if cfg.bidirectional
                     else [(names, "_l0")])
    convert = ["params = {}"] + [
        f"params.update(keras_to_torch({cfg.cell!r}, [{', '.join(ws)}], suffix={suffix!r}))"
        for ws, suffix in per_direction]
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    backwards = cfg.go_backwards and not cfg.bidirectional
    body = [
        "# PyTorch's version of the page's layer; the weights come from Keras's layout.",
        "# Needs `pip install torch numpy` (CPU is enough).",
        imports_code(weights + x_code, ["import numpy as np", "import torch"]),
        "" if link is None else f"SHARE_LINK = {link!r}  # this view in RNN Lab",
        "", x_code, "",
        "# Keras's weights: kernel (input_dim, G·units), recurrent_kernel (units, G·units), bias",
        weights, "",
        "# The conversion, written out (rnn_core.torch_convert.keras_to_torch):",
        inspect.getsource(torch_convert.keras_to_torch),
        "# PyTorch's (output, h_n[, c_n]) -> the list Keras returns:",
        inspect.getsource(torch_convert.torch_outputs_as_keras),
        f"rnn = torch.nn.{torch_convert.TORCH_CLASSES[cfg.cell]}({args})",
        *convert,
        "rnn.load_state_dict({name: torch.from_numpy(w) for name, w in params.items()})",
        "",
        ("# go_backwards: PyTorch has no such flag; feed the reversed sequence\n"
         "x_in = x[:, ::-1].copy()  # (batch, timesteps, features)" if backwards else "x_in = x"),
        "with torch.no_grad():",
        "    output, h_n = rnn(torch.from_numpy(x_in))  # batch_first: (batch, timesteps, directions·units)",
        ("h_n, c_n = h_n  # each (num_layers·directions, batch, units)" if cfg.cell == "LSTM"
         else "c_n = None  # h_n: (num_layers·directions, batch, units)"),
        "outputs = torch_outputs_as_keras(",
        "    output.numpy(), h_n.numpy(), None if c_n is None else c_n.numpy(),",
        f"    return_sequences={cfg.return_sequences}, return_state={cfg.return_state},",
        f"    merge_mode={cfg.merge!r}, bidirectional={cfg.bidirectional})",
        print_code(layer.output_names()),
    ]
    return "\n".join(body) + "\n"


# --- the trace as data -----------------------------------------------------------------------------
def _one_trace(trace, prefix: str) -> tuple[dict, dict]:
    arrays, schema = {}, {}

    def put(name, array, meaning):
        arrays[prefix + name] = np.asarray(array)
        schema[prefix + name] = f"{tuple(np.shape(array))} {meaning}"

    put("timestep", trace.timestep, "(timesteps,) input index read at step k")
    put("h", trace.h, "(batch, timesteps, units) hidden state after step k")
    if trace.c is not None:
        put("c", trace.c, "(batch, timesteps, units) LSTM cell state after step k")
    for gate, values in trace.gates.items():
        put(f"gate_{gate}", values, f"(batch, timesteps, units) {gate} gate activation at step k")
    for gate, values in trace.pre_activations.items():
        put(f"pre_{gate}", values, f"(batch, timesteps, units) {gate} pre-activation at step k")
    for name, state in zip(("h0", "c0"), trace.initial_states):
        put(name, state, f"(batch, units) initial state {name[0]}_0")
    return arrays, schema


def trace_arrays(trace) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """(name -> array, name -> "shape meaning"): x, then every step's states, gates and
    pre-activations (``forward_``/``backward_`` for Bidirectional), steps in processing order."""
    arrays = {"x": np.asarray(trace.forward.x if hasattr(trace, "forward") else trace.x)}
    schema = {"x": f"{arrays['x'].shape} (batch, timesteps, features) the input, time order"}
    if hasattr(trace, "forward"):
        for prefix, one in (("forward_", trace.forward), ("backward_", trace.backward)):
            a, s = _one_trace(one, prefix)
            arrays.update(a)
            schema.update(s)
        if trace.merged is not None:
            arrays["merged"] = np.asarray(trace.merged)
            schema["merged"] = f"{trace.merged.shape} (batch, timesteps, merged units) time order"
    else:
        arrays_one, schema_one = _one_trace(trace, "")
        arrays.update(arrays_one)
        schema.update(schema_one)
    for k, out in enumerate(trace.outputs):
        arrays[f"output_{k}"] = np.asarray(out)
        schema[f"output_{k}"] = f"{np.shape(out)} the layer call's output {k}, Keras's order"
    return arrays, schema


def trace_npz(trace) -> bytes:
    """np.savez_compressed of the arrays, plus ``schema``: a JSON string naming each array."""
    arrays, schema = trace_arrays(trace)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays, schema=np.array(json.dumps(schema, indent=1)))
    return buffer.getvalue()


def trace_json(trace, cfg=None) -> str:
    """{"schema": name -> "shape meaning", "config": the URL parameters, "arrays": name -> lists}."""
    arrays, schema = trace_arrays(trace)
    return json.dumps({"schema": schema, "config": None if cfg is None else cfg.to_query(),
                       "arrays": {name: a.tolist() for name, a in arrays.items()}})


CSV_SCHEMA = """# RNN Lab trace: one row per (direction, sample, step); steps k in processing order.
# direction: forward (or backward for Bidirectional's backward copy); timestep: input index read at k
# x_j: input feature j at that timestep; h_u (, c_u): state of unit u after step k
# gate_<name>_u / pre_<name>_u: gate activation / pre-activation of unit u at step k
# Read it with pandas.read_csv(path, comment="#")
"""


def trace_csv(trace) -> str:
    """The trace as a wide CSV table with the schema in ``#`` comment lines on top."""
    directions = ([("forward", trace.forward), ("backward", trace.backward)]
                  if hasattr(trace, "forward") else [("forward", trace)])
    first = directions[0][1]
    quantities = ["h"] + (["c"] if first.c is not None else []) + \
        [f"gate_{g}" for g in first.gates] + [f"pre_{g}" for g in first.pre_activations]
    features = first.x.shape[2]
    header = ["direction", "sample", "step", "timestep"] + [f"x_{j}" for j in range(features)] + \
        [f"{q}_{u}" for q in quantities for u in range(first.units)]
    lines = [CSV_SCHEMA.rstrip("\n"), ",".join(header)]
    for direction, t in directions:
        values = {"h": t.h, "c": t.c, **{f"gate_{g}": v for g, v in t.gates.items()},
                  **{f"pre_{g}": v for g, v in t.pre_activations.items()}}
        x_steps = t.x[:, t.timestep]  # (batch, timesteps, features), processing order
        block = np.concatenate([x_steps] + [values[q] for q in quantities], axis=2)  # (batch, T, cols)
        for b in range(block.shape[0]):
            for k in range(block.shape[1]):
                cells = [direction, str(b), str(k), str(int(t.timestep[k]))]
                lines.append(",".join(cells + [repr(float(v)) for v in block[b, k]]))
    return "\n".join(lines) + "\n"


# --- charts ----------------------------------------------------------------------------------------
def themed(layout: dict) -> dict:
    """The app's theme under the figure's own layout (what the chart component does in JS)."""
    out = dict(layout)
    for name, value in chart_module.THEME.items():
        if isinstance(value, dict):
            out[name] = {**value, **out.get(name, {})}
        else:
            out.setdefault(name, value)
    for name in out:
        if name[1:5] == "axis" and name[:1] in "xy" and name[5:].isdigit():
            out[name] = {**chart_module.THEME[name[:5]], **out[name]}
    return out


def chart_html(fig: dict) -> str:
    """One chart as a standalone HTML page: plotly.js inlined from the plotly package, the figure
    exactly as the app sends it to the browser (``ui.chart.encode``: typed arrays kept)."""
    encoded = json.loads(chart_module.encode(fig))
    encoded["layout"] = themed(encoded.get("layout", {}))
    return plotly.io.to_html(encoded, include_plotlyjs=True, full_html=True, validate=False,
                             auto_play=False, config=chart_module.CONFIG)


def share_url(base: str | None, params: dict[str, str]) -> str:
    """The page's URL with its query string (the view's whole state)."""
    query = urlencode(params)
    return (base or "") + (f"?{query}" if query else "")


# --- Streamlit glue --------------------------------------------------------------------------------
CODE_KEYS = ("export_keras", "export_notebook", "export_torch")
TRACE_KEYS = ("export_csv", "export_npz", "export_json")


def files(cfg, current, charts: dict | None = None, link: str | None = None) -> list[tuple]:
    """[(key, file name, make bytes/str, mime, help)] for the panel (makers run on click)."""
    stem = file_stem(cfg, current.x)

    def with_fresh(build):  # a fresh layer: a stateful one must not carry the page's state
        return lambda: build(current.fresh_layer())

    def trace_of(layer):
        return layer.trace(current.x)

    out = [("export_keras", f"{stem}_keras.py",
            with_fresh(lambda layer: keras_script(cfg, layer, current.x, link)), "text/x-python",
            "Keras code: the same input and weights (set_weights); prints the page's numbers."),
           ("export_notebook", f"{stem}.ipynb",
            with_fresh(lambda layer: notebook(cfg, layer, current.x, link)), "application/x-ipynb+json",
            "A Jupyter notebook that rebuilds this layer in Keras and prints the same numbers.")]
    try:
        torch_convert.torch_kwargs(current.layer)
        out.append(("export_torch", f"{stem}_pytorch.py",
                    with_fresh(lambda layer: torch_script(cfg, layer, current.x, link)),
                    "text/x-python", "torch.nn code with the weight conversion written out."))
    except ValueError as err:
        out.append(("export_torch", None, str(err), None, None))
    out += [("export_csv", f"{stem}_trace.csv", with_fresh(lambda l: trace_csv(trace_of(l))),
             "text/csv", "Every step's x, h, c, gates and pre-activations; schema in # lines."),
            ("export_npz", f"{stem}_trace.npz", with_fresh(lambda l: trace_npz(trace_of(l))),
             "application/octet-stream", "NumPy arrays (np.load); the `schema` entry names them."),
            ("export_json", f"{stem}_trace.json",
             with_fresh(lambda l: trace_json(trace_of(l), cfg)), "application/json",
             "{schema, config, arrays}: the same arrays as nested lists.")]
    for key, fig in (charts or {}).items():
        out.append((f"export_chart_{key}", f"{stem}_{key}.html",
                    (lambda f=fig: chart_html(f)), "text/html",
                    "This chart as a standalone HTML file (plotly.js inside, works offline)."))
    return out


def panel(cfg, current, charts: dict | None = None) -> None:
    """Download buttons for everything this view can be taken home as, and the share link."""
    link = share_url(st.context.url, st.query_params.to_dict())
    with st.expander("Take this view home: code, notebook, data, charts, link",
                     icon=":material/download:"), st.container(key="exports"):
        columns = st.columns(3)  # code and notebook | the trace as data | charts
        for key, name, make, mime, help_text in files(cfg, current, charts, link):
            where = columns[0 if key in CODE_KEYS else 1 if key in TRACE_KEYS else 2]
            if name is None:  # no such file for this config: say why
                where.caption(f":material/block: PyTorch code: {make}")
                continue
            where.download_button(name, data=make, file_name=name, mime=mime, key=key,
                                  help=help_text, on_click="ignore", icon=":material/download:")
        st.caption("Share links: this exact view (configuration, step and page state)"
                   + (". An uploaded CSV does not travel in links." if cfg.preset == "csv" else "."))
        view.teacher_links(key="export_links")
