"""The trace files, the chart files, the panel and its buttons. The code exports are run, for
every configuration of a matrix, by tests/test_exports_run.py."""
from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from app_helpers import open_page

from rnn_core import BidirectionalTrace
from ui.classroom import exports
from ui.controls import inputs
from ui.controls.settings import Config
from ui.runtime import lab

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


def test_pytorch_code_refuses_what_pytorch_cannot_do():
    current = lab_for(Config(cell="GRU", reset_after=False))
    with pytest.raises(ValueError, match="reset_after"):
        exports.torch_script(current.cfg, current)


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
    from ui.drawing import figures
    from ui.runtime import chart

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


def open_exports(at):
    """Click "Take this view home": the page reruns and the dialog builds its buttons."""
    at.button(key="exports_open").click()
    return at.run(timeout=120)


def test_the_step_in_view_reaches_the_files():
    at = open_exports(open_page("gates", cell="GRU", units="3", timesteps="6", step="2",
                                sample="1"))
    assert any("step 2 of sample 1" in c.value for c in at.caption)


@pytest.mark.parametrize("page, charts", [
    ("shapes", ["data_flow"]), ("parameters", ["params_vs_units"]),
    ("hidden_states", ["step_through", "sequence_vs_final"]),
    ("gates", ["gates_step_through", "saturation"]), ("cross_check", ["timings"])])
def test_download_buttons_on_every_page(page, charts):
    at = open_page(page, cell="GRU", units="5", timesteps="6")
    assert not at.get("download_button")  # nothing is built before the student asks
    at = open_exports(at)
    labels = {b.proto.label for b in at.get("download_button")}
    stem = "rnnlab_gru_u5_t6"
    expected = {f"{stem}_keras.py", f"{stem}_pytorch.py", f"{stem}.ipynb", f"{stem}_trace.csv",
                f"{stem}_trace.npz", f"{stem}_trace.json"} | {f"{stem}_{c}.html" for c in charts}
    assert expected <= labels, expected - labels
    # the share links are built in the browser from the live URL (step included): the element is there
    assert any(e.proto.component_name == "rnnlab_links" for e in at.get("bidi_component"))


def test_no_pytorch_button_without_an_equivalent():
    at = open_exports(open_page("parameters", cell="GRU", reset_after="false"))
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


def test_encoder_decoder_page_offers_its_code(torch):
    at = open_exports(open_page("encoder_decoder", cell="GRU", units="3", lengths="3,5"))
    labels = {b.proto.label for b in at.get("download_button")}
    stem = "rnnlab_gru_u3_t10_encdec"
    assert {f"{stem}_keras.py", f"{stem}.ipynb", f"{stem}_pytorch.py"} <= labels, labels
