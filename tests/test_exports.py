"""The exports reproduce the page's numbers: the Keras code and the notebook run in real Keras,
the PyTorch code in real PyTorch, and what they compute is compared with rnn_core (1e-5).

The notebook's code cells are executed in order in one namespace (what a kernel does with
them), not through nbclient/ipykernel: a kernel process per test is too heavy on the shared
2-core CI machine, and it would run the very same cells.
"""
from __future__ import annotations

import contextlib
import io
import json
import re

import nbformat
import numpy as np
import pandas as pd
import pytest

from app_helpers import open_page
from rnn_core import BidirectionalTrace, torch_convert
from ui import exports, inputs, lab
from ui.settings import Config

TOL = 1e-5
CONFIGS = [
    Config(),
    Config(cell="GRU", units=5, batch_size=1, timesteps=7, input_dim=5, preset="word",
           bidirectional=True, merge_mode="None", return_state=True, return_sequences=True),
    Config(cell="SimpleRNN", units=3, preset="sine", go_backwards=True, return_sequences=True,
           return_state=True),
    Config(cell="LSTM", units=4, preset="train_X", batch_size=1, timesteps=4, input_dim=5,
           init="constant", bidirectional=True, merge_mode="ave", return_state=True),
    Config(cell="LSTM", units=40, input_dim=60, timesteps=3, seed=5),  # weights as base64
]
IDS = ["lstm", "bigru-word", "simplernn-sine-backwards", "bilstm-train_X-constant", "lstm-base64"]


def lab_for(cfg: Config) -> lab.Lab:
    return lab.Lab(cfg, lab.build_model(cfg), inputs.make_input(cfg))


def run(code: str, name: str) -> tuple[dict, str]:
    """Execute exported code; returns its namespace and what it printed."""
    namespace, printed = {"__name__": "__main__"}, io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, name, "exec"), namespace)  # noqa: S102  (our own export)
    return namespace, printed.getvalue()


def assert_matches_trace(namespace: dict, printed: str, current: lab.Lab):
    """``outputs`` equal the layer call, each printed with its name; h at every step too."""
    trace = current.trace()
    assert len(namespace["outputs"]) == len(trace.outputs)
    for name, ours, theirs in zip(current.layer.output_names(), trace.outputs, namespace["outputs"]):
        np.testing.assert_allclose(theirs, ours, atol=TOL, rtol=0, err_msg=name)
        assert f"{name} {tuple(ours.shape)}:" in printed
    if isinstance(trace, BidirectionalTrace):
        expected = {"h_forward": trace.forward.h, "h_backward": trace.backward.h}
    else:
        expected = {"h": trace.h}
    for var, h in expected.items():
        np.testing.assert_allclose(namespace[var], h, atol=TOL, rtol=0, err_msg=var)


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_keras_code_reproduces_the_page(keras, cfg):
    current = lab_for(cfg)
    code = exports.keras_script(cfg, current.layer, current.x, link="http://localhost/shapes?a=1")
    namespace, printed = run(code, "<keras export>")
    assert_matches_trace(namespace, printed, current)
    np.testing.assert_array_equal(namespace["x"], current.x)  # the same input, bit for bit


@pytest.mark.parametrize("cfg", CONFIGS[:3], ids=IDS[:3])
def test_notebook_cells_reproduce_the_page(keras, cfg):
    current = lab_for(cfg)
    nb = nbformat.reads(exports.notebook(cfg, current.layer, current.x), as_version=4)
    nbformat.validate(nb)
    code = "\n\n".join(cell.source for cell in nb.cells if cell.cell_type == "code")
    namespace, printed = run(code, "<notebook cells>")
    assert_matches_trace(namespace, printed, current)
    assert all("hihello" not in cell.source for cell in nb.cells if cell.cell_type == "markdown")


@pytest.mark.parametrize("cfg", [c for c in CONFIGS if c.cell != "GRU" or c.reset_after],
                         ids=[i for c, i in zip(CONFIGS, IDS) if c.cell != "GRU" or c.reset_after])
def test_pytorch_code_reproduces_the_page(torch, cfg):
    current = lab_for(cfg)
    code = exports.torch_script(cfg, current.layer, current.x)
    assert "def keras_to_torch(" in code
    assert f"torch.nn.{torch_convert.TORCH_CLASSES[cfg.cell]}(" in code
    namespace, printed = run(code, "<pytorch export>")
    trace = current.trace()
    for name, ours, theirs in zip(current.layer.output_names(), trace.outputs, namespace["outputs"]):
        np.testing.assert_allclose(theirs, ours, atol=TOL, rtol=0, err_msg=name)
        assert f"{name} {tuple(ours.shape)}:" in printed


def test_pytorch_code_refuses_what_pytorch_cannot_do():
    current = lab_for(Config(cell="GRU", reset_after=False))
    with pytest.raises(ValueError, match="reset_after"):
        exports.torch_script(current.cfg, current.layer, current.x)


@pytest.mark.parametrize("cfg", CONFIGS[:4], ids=IDS[:4])
def test_trace_files_load_back_as_the_trace(cfg):
    current = lab_for(cfg)
    trace = current.trace()
    arrays, schema = exports.trace_arrays(trace)
    assert set(arrays) == set(schema)
    directions = ([("forward_", trace.forward), ("backward_", trace.backward)]
                  if isinstance(trace, BidirectionalTrace) else [("", trace)])
    # NPZ
    with np.load(io.BytesIO(exports.trace_npz(trace)), allow_pickle=False) as npz:
        assert json.loads(str(npz["schema"])) == schema
        for name, array in arrays.items():
            np.testing.assert_array_equal(npz[name], array, err_msg=name)
    # JSON
    loaded = json.loads(exports.trace_json(trace, cfg))
    assert loaded["schema"] == schema and loaded["config"] == cfg.to_query()
    for name, array in arrays.items():
        np.testing.assert_array_equal(np.asarray(loaded["arrays"][name], array.dtype), array)
    for prefix, one in directions:
        np.testing.assert_array_equal(arrays[prefix + "h"], one.h)
        for gate in one.gates:
            np.testing.assert_array_equal(arrays[f"{prefix}gate_{gate}"], one.gates[gate])
            np.testing.assert_array_equal(arrays[f"{prefix}pre_{gate}"], one.pre_activations[gate])
    # CSV: schema comments, one row per (direction, sample, step)
    text = exports.trace_csv(trace)
    assert text.startswith("# RNN Lab trace")
    table = pd.read_csv(io.StringIO(text), comment="#")  # as the schema lines say
    batch, timesteps, _ = current.x.shape
    assert len(table) == len(directions) * batch * timesteps
    for direction, (prefix, one) in zip(("forward", "backward"), directions):
        rows = table[table["direction"] == direction]
        for q in ["h"] + (["c"] if one.c is not None else []) + [f"gate_{g}" for g in one.gates]:
            values = rows[[f"{q}_{u}" for u in range(one.units)]].to_numpy()  # (B·T, units)
            expected = {"h": one.h, "c": one.c}.get(q, one.gates.get(q.removeprefix("gate_")))
            np.testing.assert_array_equal(values.reshape(batch, timesteps, one.units).astype(np.float32),
                                          expected, err_msg=q)
        x_seen = rows[[f"x_{j}" for j in range(current.x.shape[2])]].to_numpy()
        np.testing.assert_array_equal(x_seen.reshape(current.x.shape).astype(np.float32),
                                      current.x[:, one.timestep])


def test_chart_html_is_standalone_and_keeps_the_typed_arrays():
    from ui import chart, figures

    trace = lab_for(Config(units=3, timesteps=4)).trace()
    fig = figures.step_through({"h": trace.h[0]}, lines="h")
    html = exports.chart_html(fig)
    assert html.lstrip().lower().startswith("<!doctype html>") and "<script src=" not in html
    assert "Plotly.newPlot" in html and len(html) > 3_000_000  # plotly.js is inside
    sent = chart.encode(fig)  # what the browser receives from the app
    embedded = html.replace("\\u002f", "/")  # Plotly escapes "/" in the JSON it writes into <script>
    for bdata in re.findall(r'"bdata":"([^"]+)"', sent):
        assert bdata in embedded


def test_file_names_and_share_url():
    assert exports.file_stem(Config(cell="GRU", units=4, bidirectional=True),
                             np.zeros((2, 7, 3))) == "rnnlab_bigru_u4_t7"
    assert exports.share_url("http://host/gates", {"cell": "GRU", "word": "a b"}) == \
        "http://host/gates?cell=GRU&word=a+b"
    assert exports.share_url(None, {}) == ""


@pytest.mark.parametrize("page, charts", [
    ("shapes", ["data_flow"]), ("parameters", ["params_vs_units"]),
    ("hidden_states", ["step_through", "sequence_vs_final"]),
    ("gates", ["gates_step_through", "saturation"]), ("cross_check", ["timings"])])
def test_download_buttons_on_every_page(page, charts):
    at = open_page(page, cell="GRU", units="5", timesteps="6")
    labels = {b.proto.label for b in at.get("download_button")}
    stem = "rnnlab_gru_u5_t6"
    expected = {f"{stem}_keras.py", f"{stem}_pytorch.py", f"{stem}.ipynb", f"{stem}_trace.csv",
                f"{stem}_trace.npz", f"{stem}_trace.json"} | {f"{stem}_{c}.html" for c in charts}
    assert expected <= labels, expected - labels
    # the share links are built in the browser from the live URL (step included): the element is there
    assert any(e.proto.component_name == "rnnlab_links" for e in at.get("bidi_component"))


def test_no_pytorch_button_without_an_equivalent():
    at = open_page("parameters", cell="GRU", reset_after="false")
    labels = [b.proto.label for b in at.get("download_button")]
    assert not any(label.endswith("_pytorch.py") for label in labels)
    assert any("no PyTorch equivalent" in c.value for c in at.caption)


def test_parameters_page_compares_with_pytorch(torch):
    at = open_page("parameters", cell="LSTM", units="6", input_dim="3")
    shown = " ".join(m.value for m in at.get_by_key("frameworks").markdown)
    keras_total, torch_total = 4 * (6 * (3 + 6) + 6), 4 * (6 * (3 + 6) + 2 * 6)
    assert f"**{keras_total:,}**" in shown and f"**{torch_total:,}**" in shown
    assert f"{torch_total - keras_total:+,}" in shown  # 4·units more
    real = torch.nn.LSTM(3, 6, batch_first=True)
    assert any(f"**{sum(p.numel() for p in real.parameters()):,}**" in c.value
               for c in at.get_by_key("frameworks").caption)
