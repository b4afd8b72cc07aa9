"""The "Take this view home" downloads in a real Chromium: file names and contents.

Expected numbers come from rnn_core run here on the same configuration, and the chart's HTML
file is opened in the browser to see plotly.js draw it offline.
"""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
from playwright.sync_api import expect
from test_pages_browser import assert_no_exception, open_app
from test_player_browser import wait_for_crosscheck

from ui.controls import inputs
from ui.controls.settings import Config
from ui.runtime import lab

QUERY = "cell=GRU&units=5&timesteps=6"
CFG = Config(cell="GRU", units=5, timesteps=6)
STEM = "rnnlab_gru_u5_t6"


def download(page, file_name: str, tmp_path) -> bytes:
    """Click the button labelled with ``file_name``; return the file the browser saved."""
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name=file_name).click()
    assert info.value.suggested_filename == file_name
    target = tmp_path / file_name
    info.value.save_as(target)
    return target.read_bytes()


def open_panel(page, path: str, query: str = QUERY) -> None:
    open_app(page, f"{path}?{query}")
    click_open(page)


def click_open(page) -> None:
    """The button builds the downloads (nothing is built before it is clicked)."""
    page.get_by_role("button", name="Take this view home").click()
    expect(page.locator(".st-key-exports")).to_be_visible(timeout=60_000)


def test_trace_and_code_downloads(page, tmp_path):
    open_panel(page, "/hidden_states")
    trace = lab.build_layer(CFG).trace(inputs.make_input(CFG))

    table = pd.read_csv(io.BytesIO(download(page, f"{STEM}_trace.csv", tmp_path)), comment="#")
    h = table[[f"h_{u}" for u in range(5)]].to_numpy().reshape(trace.h.shape)  # (batch, T, units)
    np.testing.assert_allclose(h, trace.h, atol=1e-6)

    loaded = json.loads(download(page, f"{STEM}_trace.json", tmp_path))
    np.testing.assert_allclose(loaded["arrays"]["gate_update"], trace.gates["update"], atol=1e-6)
    assert loaded["config"]["cell"] == "GRU" and "gate_update" in loaded["schema"]

    with np.load(io.BytesIO(download(page, f"{STEM}_trace.npz", tmp_path))) as npz:
        np.testing.assert_allclose(npz["pre_candidate"], trace.pre_activations["candidate"], atol=1e-6)

    keras_code = download(page, f"{STEM}_keras.py", tmp_path).decode()
    assert "layers.GRU(5)" in keras_code and "set_weights" in keras_code
    torch_code = download(page, f"{STEM}_pytorch.py", tmp_path).decode()
    assert "torch.nn.GRU(" in torch_code and "def keras_to_torch(" in torch_code
    notebook = json.loads(download(page, f"{STEM}.ipynb", tmp_path))
    assert notebook["nbformat"] == 4 and any(c["cell_type"] == "code" for c in notebook["cells"])
    link = page.locator(".st-key-exports .rnnlab-link code").first.inner_text()  # "This view"
    assert "/hidden_states?" in link and "cell=GRU" in link and "units=5" in link
    assert_no_exception(page)


def test_chart_html_download_draws_offline(page, tmp_path):
    open_panel(page, "/gates")
    html = download(page, f"{STEM}_saturation.html", tmp_path)
    assert b"<script src=" not in html
    page.context.route("http*://**", lambda route: route.abort())  # offline: plotly.js is inside
    page.goto((tmp_path / f"{STEM}_saturation.html").as_uri())
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
    assert page.evaluate("() => document.querySelector('.js-plotly-plot').data.length") > 0


def test_the_code_prints_the_step_the_player_is_on(page, tmp_path):
    """Step in the browser (no rerun), then open the downloads: the click reruns with the
    browser's URL, so the code prints that step, not the one the page was loaded with."""
    open_app(page, f"/gates?{QUERY}&step=1")
    wait_for_crosscheck(page)  # its one rerun is over: the keys reach the player
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => new URL(location.href).searchParams.get('step') === '3'")
    click_open(page)
    code = download(page, f"{STEM}_keras.py", tmp_path).decode()
    assert "SAMPLE, STEP = 0, 3" in code
    assert "SAMPLE, STEP = 0, 3" in download(page, f"{STEM}_pytorch.py", tmp_path).decode()
    assert_no_exception(page)
