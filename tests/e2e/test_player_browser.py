"""The step-through player in a real Chromium: one step for chart and equations, the keyboard,
presenter view and teacher links (issue 10)."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from streamlit_browser import record_frames
from test_pages_browser import assert_no_exception, full_runs, open_app, wait_for_crosscheck

STATE = """(key) => {
    const holder = document.querySelector('.st-key-' + key);
    const gd = holder.querySelector('.js-plotly-plot');
    const panel = holder.querySelector('.rnnlab-step-panel');
    const head = panel.querySelector('.step-head').textContent;
    const line = gd.data.find((t) => t.name === 'unit 0');   // /hidden_states' first h line
    return {cursor: Number(gd._fullData.find((t) => t.mode === 'lines' && t.x && t.x.length === 2).x[0]),
            slider: gd._fullLayout.sliders[0].active,
            panel: Number(head.match(/step k = (\\d+)/)[1]),
            url: new URL(location.href).searchParams.get('step'),
            // the steps the first heatmap and the first line show (built in the browser)
            filled: gd.data[0].z[0].filter((v) => v !== null && !Number.isNaN(v)).length,
            points: line ? line.y.length : null};
}"""


def state(page, key="step_through"):
    return page.evaluate(STATE, key)


def test_play_then_pause_leaves_chart_and_equations_on_one_step(page):
    sent = record_frames(page, "framesent")
    open_app(page, "/hidden_states?cell=GRU&units=3&timesteps=20")
    wait_for_crosscheck(page)
    sent.clear()
    chart = page.locator(".st-key-step_through .js-plotly-plot")
    chart.locator(".updatemenu-button").filter(has_text="Play").click()
    # while playing, every frame moves the equations with the chart
    page.wait_for_function(f"() => ({STATE})('step_through').panel >= 4")
    playing = state(page)
    assert abs(playing["panel"] - playing["cursor"]) <= 1
    chart.locator(".updatemenu-button").filter(has_text="Pause").click()
    page.wait_for_timeout(1500)                     # a paused player stays put
    paused = state(page)
    assert paused["cursor"] == paused["panel"] == paused["slider"] == int(paused["url"])
    assert paused["filled"] == paused["points"] == paused["panel"] + 1
    assert 4 <= paused["panel"] < 19
    assert full_runs(sent) == 0, "the player asked for a full rerun"
    assert_no_exception(page)


def test_keyboard_moves_the_step_without_the_server(page):
    sent = record_frames(page, "framesent")
    open_app(page, "/gates?cell=LSTM&units=3&timesteps=8&step=2")
    wait_for_crosscheck(page)
    key = "gates_step_through"
    assert state(page, key)["panel"] == 2
    expect(page.get_by_text("Keyboard: ← / → step back and forward").first).to_be_visible()
    sent.clear()
    page.keyboard.press("ArrowRight")               # no click into any widget first
    page.wait_for_function(f"() => ({STATE})('{key}').panel === 3")
    assert state(page, key) == {"cursor": 3, "slider": 3, "panel": 3, "url": "3", "filled": 4,
                                "points": None}
    page.keyboard.press("End")
    page.wait_for_function(f"() => ({STATE})('{key}').panel === 7")
    page.keyboard.press("Home")
    page.wait_for_function(f"() => ({STATE})('{key}').panel === 0")
    page.keyboard.press("ArrowLeft")                # already at the first step: stays
    page.wait_for_timeout(300)
    assert state(page, key)["panel"] == 0
    assert full_runs(sent) == 0, "the keys asked for a full rerun"


def test_a_teacher_link_reopens_the_same_step_in_presenter_view_locked(page):
    open_app(page, "/gates?cell=LSTM&units=4&timesteps=9&batch_size=3"
                   "&step=5&sample=2&presenter=true&lock=true")
    key = "gates_step_through"
    expect(page.locator(f".st-key-{key} .rnnlab-step-panel")).to_contain_text("step k = 5")
    assert state(page, key)["cursor"] == 5 and state(page, key)["filled"] == 6
    expect(page.locator('[data-testid="stSidebar"]')).to_be_hidden()
    expect(page.locator(".st-key-exit_presenter button")).to_be_visible()
    expect(page.locator(".st-key-sample input")).to_have_value("2")
    # the configuration is read-only: the (hidden) sidebar's widgets are disabled
    assert page.locator(".st-key-units input").is_disabled()
    page.locator(".st-key-exit_presenter button").click()
    expect(page.locator('[data-testid="stSidebar"]')).to_be_visible()
    page.wait_for_url(re.compile(r"^(?!.*presenter=true).*$"))
    assert page.locator(".st-key-units input").is_disabled()    # still locked
    assert_no_exception(page)


def test_presenter_view_shows_the_whole_step_through_at_1280x720(browser, app_server):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, base_url=app_server.url)
    page = context.new_page()
    try:
        open_app(page, "/gates?cell=LSTM&units=8&presenter=true")
        plot = page.locator(".st-key-gates_step_through .js-plotly-plot")
        expect(plot).to_be_visible()
        page.wait_for_timeout(500)
        box = plot.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 720, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1280, box
    finally:
        context.close()


def test_teacher_links_copy_the_live_view(page):
    open_app(page, "/hidden_states?units=3&timesteps=6")
    expect(page.locator(".st-key-step_through .rnnlab-step-panel")).to_contain_text("step k = 5")
    page.locator('[data-testid="stSidebar"]').get_by_text("Teacher links").click()
    page.keyboard.press("Home")                     # the step moves in the browser only
    links = page.locator(".rnnlab-link code")
    expect(links.nth(3)).to_contain_text("presenter=true")
    page.wait_for_function("() => document.querySelector('.rnnlab-link code').textContent.includes('step=0')")
    texts = links.all_text_contents()
    assert "presenter" not in texts[0] and "lock" not in texts[0]
    assert "presenter=true" in texts[1] and "lock" not in texts[1]
    assert "lock=true" in texts[2] and "presenter" not in texts[2]
    assert all("units=3" in t and "step=0" in t for t in texts)
