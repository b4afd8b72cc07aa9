"""RNN Lab in a real headless Chromium against `streamlit run app.py`.

Every assertion waits for the *content* (the old DOM lingers for a while after an action).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit_browser import (
    ROOT,
    messages,
    record_frames,
    set_widget,
    wait_until_idle,
    wait_until_quiet,
)

# url path -> Plotly charts the page draws for the default config (at least this many).
PAGES = {"": 1, "shapes": 1, "parameters": 1, "hidden_states": 1, "gates": 1, "cross_check": 1}
if (ROOT / "pages" / "training.py").exists():
    PAGES["training"] = 1

SHARED_SHAPES = ("/shapes?cell=LSTM&units=7&timesteps=5&input_dim=3&batch_size=2"
                 "&return_sequences=true&return_state=true")


def open_app(page, path: str) -> None:
    page.goto(path)
    wait_until_idle(page)
    expect(page.locator('[data-testid="stApp"]')).to_be_visible()


def wait_for_crosscheck(page) -> None:
    """The cross-check status polls the server until TensorFlow has answered: wait for that."""
    expect(page.locator(".st-key-crosscheck_status")).to_contain_text("TensorFlow agrees",
                                                                      timeout=120_000)
    wait_until_quiet(page)


def full_runs(sent: list[bytes]) -> int:
    """Full script runs the browser asked for (a fragment's own rerun, like the step report
    ui/js/step_report.js, is not one)."""
    return sum(m.WhichOneof("type") == "rerun_script" and not m.rerun_script.fragment_id
               for m in messages(sent, BackMsg))


def assert_no_exception(page) -> None:
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


@pytest.mark.parametrize("path", list(PAGES), ids=[p or "home" for p in PAGES])
def test_page_loads_and_draws_charts(page, path):
    open_app(page, f"/{path}")
    charts = page.locator(".js-plotly-plot")
    if PAGES[path]:
        expect(charts.first).to_be_visible()
        assert charts.count() >= PAGES[path]
    assert_no_exception(page)


def test_shared_url_reproduces_shapes(page):
    open_app(page, SHARED_SHAPES)
    shapes = page.locator(".st-key-output_shapes")
    expect(shapes).to_contain_text("(2, 5, 7)")
    expect(shapes).to_contain_text("(2, 7)")
    expect(page.locator(".st-key-units input, .st-key-units [role=slider]").first).to_be_visible()
    assert_no_exception(page)


def test_changing_units_updates_shapes(page):
    open_app(page, SHARED_SHAPES)
    shapes = page.locator(".st-key-output_shapes")
    expect(shapes).to_contain_text("(2, 5, 7)")
    set_widget(page, "units", 9)
    expect(shapes).to_contain_text("(2, 5, 9)")
    expect(shapes).to_contain_text("(2, 9)")
    expect(shapes).not_to_contain_text("(2, 5, 7)")
    # The view stays shareable: the URL follows the widget.
    page.wait_for_url(re.compile(r"[?&]units=9(&|$)"))
    assert_no_exception(page)


# Samples, on every animation frame, the step-through chart's cursor step (trace 1, after the
# first heatmap) and how many cells of the first heatmap are filled in.
SAMPLE_PLAYER = """() => {
    window.__seen = [];
    const filled = (z) => {
        let n = 0;
        const walk = (a) => { for (const v of a) {
            if (v !== null && typeof v === 'object') walk(v); else if (v !== null && !Number.isNaN(v)) n++;
        } };
        walk(z);
        return n;
    };
    const sample = () => {
        const gd = document.querySelector(".st-key-step_through .js-plotly-plot");
        const full = gd && gd._fullData;  // decoded arrays (gd.data keeps Plotly 7's base64 form)
        if (full && full.length > 1) window.__seen.push([Number(full[1].x[0]), filled(full[0].z)]);
        requestAnimationFrame(sample);
    };
    sample();
}"""
DISTINCT = "(i) => new Set(window.__seen.map((s) => s[i])).size"


def test_hidden_states_play_animates_in_the_browser(page):
    sent = record_frames(page, "framesent")
    open_app(page, "/hidden_states?cell=GRU&units=3&timesteps=6")
    chart = page.locator(".st-key-step_through .js-plotly-plot")
    expect(chart).to_be_visible()
    wait_for_crosscheck(page)
    page.evaluate(SAMPLE_PLAYER)
    sent.clear()
    chart.locator(".updatemenu-button").filter(has_text="Play").click()
    # Frames move the cursor and fill the heatmap in, step after step (600 ms a frame) ...
    page.wait_for_function(f"() => ({DISTINCT})(0) >= 4 && ({DISTINCT})(1) >= 4", timeout=20_000)
    # ... without a full rerun (the step report, a fragment, tells the server the step)
    assert full_runs(sent) == 0, "the animation asked the server for a full rerun"
    assert page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state") == "notRunning"
    assert_no_exception(page)


# Tags each chart's plot div (a JS property survives only on the same DOM object) and records a
# fingerprint of its data, keyed by the Streamlit element key (st-key-<key> class).
TAG_CHARTS = """() => {
    const out = {};
    document.querySelectorAll('[class*="st-key-"] .rnnlab-chart.js-plotly-plot').forEach((div) => {
        const holder = div.closest('[class*="st-key-"]');
        const key = [...holder.classList].find((c) => c.startsWith('st-key-'));
        div.__rnnlabTag = key;
        out[key] = JSON.stringify([div.data, div.layout.annotations || null]);
    });
    return out;
}"""
READ_CHARTS = """() => {
    const out = {};
    document.querySelectorAll('.rnnlab-chart.js-plotly-plot').forEach((div) => {
        if (div.__rnnlabTag) out[div.__rnnlabTag] = JSON.stringify([div.data, div.layout.annotations || null]);
    });
    return out;
}"""


@pytest.mark.parametrize("path", ["shapes", "hidden_states", "gates"])
def test_changing_units_updates_every_chart_in_place(page, path):
    chunks = []
    page.on("request", lambda request: chunks.append(request.url))
    open_app(page, f"/{path}?units=3&timesteps=5")
    expect(page.locator(".rnnlab-chart.js-plotly-plot").first).to_be_visible()
    wait_until_quiet(page)
    before = page.evaluate(TAG_CHARTS)
    assert before, "no chart found"
    set_widget(page, "units", 4)
    # Every tagged plot div is still in the page (the same DOM object) and shows new data.
    page.wait_for_function(
        """(before) => {
            const now = (%s)();
            return Object.keys(before).every((k) => k in now && now[k] !== before[k]);
        }""" % READ_CHARTS, arg=before, timeout=30_000)
    after = page.evaluate(READ_CHARTS)
    assert set(before) <= set(after), f"remounted: {set(before) - set(after)}"
    # plotly.js came once, from the app's own static route; Streamlit's Plotly chunk never.
    assert not [u for u in chunks if "PlotlyChart" in u], [u for u in chunks if "PlotlyChart" in u]
    assert sum("/app/static/plotly/plotly-cartesian.min.js" in u for u in chunks) <= 1
    assert_no_exception(page)


@pytest.mark.parametrize("path", [
    "/shapes?layers=2&lengths=4,7&timesteps=8",
    "/parameters?layers=3&cell=GRU",
    "/hidden_states?layers=2&lengths=3,5&timesteps=6&layer_index=1",
    "/gates?cell=LSTM&layers=2&lengths=2,6&timesteps=6",
    "/encoder_decoder?cell=GRU&units=4",
], ids=["shapes", "parameters", "hidden_states", "gates", "encoder_decoder"])
def test_stacked_padded_and_encoder_decoder_views_load_and_draw(page, path):
    open_app(page, path)
    expect(page.locator(".rnnlab-chart.js-plotly-plot .main-svg").first).to_be_visible()
    assert not page.locator('[data-testid="stAlertContentError"]').count()
    assert_no_exception(page)


# The downloaded chart's cursor (trace 1) and the first heatmap's filled cells, as drawn.
EXPORTED_STATE = """() => {
    const gd = document.querySelector('.js-plotly-plot');
    const full = gd._fullData;
    let filled = 0;
    for (const row of full[0].z) for (const v of row) if (v !== null && !Number.isNaN(v)) filled++;
    return {cursor: Number(full[1].x[0]), filled, slider: gd._fullLayout.sliders[0].active};
}"""


def test_a_downloaded_step_through_plays_on_its_own(browser, tmp_path):
    """ui/exports.chart_html of a step-through (no frames, only their description) builds its
    frames in the file itself: it opens on the app's step, and ▶ Play moves cursor and fill."""
    import numpy as np

    from ui.classroom import exports
    from ui.drawing import figures

    units, timesteps = 3, 6
    h = np.random.default_rng(0).uniform(-1, 1, (timesteps, units))   # (timesteps, units)
    path = tmp_path / "chart.html"
    path.write_text(exports.chart_html(figures.step_through({"h": h}, lines="h", start=2)),
                    encoding="utf-8")
    page = browser.new_page()
    try:
        page.goto(path.as_uri())
        page.wait_for_function("() => { const gd = document.querySelector('.js-plotly-plot');"
                               " return gd && gd._transitionData && gd._transitionData._frames"
                               " && gd._transitionData._frames.length > 0; }")
        page.wait_for_function(f"() => ({EXPORTED_STATE})().cursor === 2")
        assert page.evaluate(EXPORTED_STATE) == {"cursor": 2, "filled": 3 * units, "slider": 2}
        page.locator(".updatemenu-button").filter(has_text="Play").click()
        page.wait_for_function(f"() => ({EXPORTED_STATE})().cursor === {timesteps - 1}",
                               timeout=20_000)
        assert page.evaluate(EXPORTED_STATE) == {"cursor": timesteps - 1,
                                                 "filled": timesteps * units,
                                                 "slider": timesteps - 1}
    finally:
        page.close()
