"""No silent changes (issue 17) and one full run per change (issue 19), in a real Chromium.

A widget keeps its value when its label changes; the step survives every rerun with the URL and
the player on the same step; no click is dropped while the TensorFlow check runs; a change of
`units` costs exactly one full script run, the status update included; a page-local control
(sample, a show_* toggle) reruns only its fragment, none of the sidebar.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

from playwright.sync_api import expect
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from streamlit_browser import messages, record_frames, set_widget, wait_until_idle, wait_until_quiet
from test_pages_browser import assert_no_exception, full_runs, open_app, wait_for_crosscheck

PLAYER = """(key) => {
    const holder = document.querySelector('.st-key-' + key);
    const head = holder && holder.querySelector('.rnnlab-step-panel .step-head');
    return {panel: head ? Number(head.textContent.match(/step k = (\\d+)/)[1]) : null,
            url: new URL(location.href).searchParams.get('step')};
}"""


def player(page, key="step_through"):
    return page.evaluate(PLAYER, key)


def layer_outputs(page) -> str:
    expect(page.locator(".st-key-layer_outputs")).to_contain_text("output")
    return " ".join(page.locator(".st-key-layer_outputs").inner_text().split())


def wait_for_outputs(page, expected: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while layer_outputs(page) != expected:
        assert time.monotonic() < deadline, f"the page shows {layer_outputs(page)}, not {expected}"
        page.wait_for_timeout(200)


def click_checkbox(page, key: str) -> None:
    page.locator(f".st-key-{key} label").click()


def test_toggling_unit_forget_bias_keeps_constant_init(page):
    base = "/hidden_states?cell=LSTM&units=3&timesteps=4&return_sequences=true&init=constant"
    open_app(page, base + "&unit_forget_bias=false")
    expected_off = layer_outputs(page)
    open_app(page, base)
    expected_on = layer_outputs(page)
    assert expected_on != expected_off                  # the forget bias shows in the numbers
    for toggle in range(3):                             # on -> off -> on -> off
        click_checkbox(page, "unit_forget_bias")
        want_on = toggle % 2 == 1
        page.wait_for_url(re.compile("unit_forget_bias=false") if not want_on
                          else re.compile(r"^(?!.*unit_forget_bias).*$"))
        wait_until_idle(page)
        wait_for_outputs(page, expected_on if want_on else expected_off)
        radio = page.locator(".st-key-init")
        expect(radio.get_by_role("radio", name=re.compile("Constant 0.1"))).to_be_checked()
        assert "init=constant" in page.url
    assert_no_exception(page)


def test_the_step_survives_a_units_change_with_url_and_player_agreeing(page):
    open_app(page, "/hidden_states?units=3&timesteps=6")
    expect(page.locator(".st-key-step_through .rnnlab-step-panel")).to_contain_text("step k = 5")
    for keys, step in ((["Home", "ArrowRight", "ArrowRight"], 2), (["End"], 5),
                       (["Home", "ArrowRight"], 1)):
        page.locator("h1").first.click()                # the keys go to the page, not a box
        for key in keys:
            page.keyboard.press(key)
        page.wait_for_function(f"() => ({PLAYER})('step_through').panel === {step}")
        wait_until_quiet(page, quiet_ms=800)
        units = 4 if step != 5 else 5
        set_widget(page, "units", units)
        page.wait_for_url(re.compile(f"units={units}"))
        wait_until_idle(page)
        page.wait_for_timeout(500)                      # the chart redraws after the run
        now = player(page)
        assert now["panel"] == step, now
        assert now["url"] in (str(step), None if step == 5 else str(step)), now  # absent = last


def _finished(frames) -> list[int]:
    """The ScriptFinishedStatus of every run the server finished (0 = a full run, 3 = a fragment)."""
    return [m.script_finished for m in messages(frames, ForwardMsg)
            if m.WhichOneof("type") == "script_finished"]


def test_a_units_change_costs_one_full_run_status_included(page):
    received = record_frames(page, "framereceived")
    open_app(page, "/shapes?units=5&seed=31")
    wait_for_crosscheck(page)
    received.clear()
    set_widget(page, "units", 6)                        # a config TensorFlow has not checked yet
    page.wait_for_url(re.compile("units=6"))
    expect(page.locator(".st-key-crosscheck_status")).to_contain_text("TensorFlow agrees",
                                                                      timeout=120_000)
    wait_until_quiet(page, quiet_ms=2500)               # longer than the status's poll
    finished = _finished(received)
    full = [s for s in finished if s in (ForwardMsg.FINISHED_SUCCESSFULLY,
                                         ForwardMsg.FINISHED_EARLY_FOR_RERUN)]
    assert full == [ForwardMsg.FINISHED_SUCCESSFULLY], finished
    assert_no_exception(page)


def test_sidebar_clicks_during_a_crosscheck_all_take_effect(page, app_server):
    open_app(page, f"/gates?cell=GRU&units=3&seed={int(time.time()) % 100_000}")  # unchecked yet
    status = page.locator(".st-key-crosscheck_status")
    flags = ("return_sequences", "return_state", "go_backwards", "stateful", "bidirectional")
    for _ in range(2):                                  # on, then off again: every click counts
        for flag in flags:
            click_checkbox(page, flag)
            page.wait_for_timeout(150)
    expect(status).to_contain_text("TensorFlow", timeout=120_000)
    wait_until_quiet(page, quiet_ms=2500)
    for flag in flags:                                  # an even number of clicks each
        expect(page.locator(f".st-key-{flag} input")).not_to_be_checked()
        assert f"{flag}=" not in page.url
    assert "does not exist anymore" not in Path(app_server._log.name).read_text(errors="replace")


HOVER = """(key) => {
    const gd = document.querySelector('.st-key-' + key + ' .js-plotly-plot');
    return gd && gd.data ? gd.data.map((t) => t.hovertemplate || '').join('\\n') : '';
}"""


def _only_fragment_runs(page, sent, received) -> None:
    """The change reran a fragment and never the whole app (sidebar, title, status)."""
    wait_until_quiet(page)
    finished = _finished(received)
    assert full_runs(sent) == 0, "a page-local control asked for a full rerun"
    assert ForwardMsg.FINISHED_SUCCESSFULLY not in finished, finished
    assert ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY in finished, finished


def _pick_sample_1(page, chart_key: str, sent, received) -> None:
    sent.clear()
    received.clear()
    set_widget(page, "sample", 1)
    page.wait_for_url(re.compile(r"[?&]sample=1(&|$)"))
    # the step-through itself now shows sample 1 (every hover label names the sample)
    page.wait_for_function(f"() => ({HOVER})('{chart_key}').includes('sample 1 ')")
    assert "sample 0 " not in page.evaluate(HOVER, chart_key)
    _only_fragment_runs(page, sent, received)


def test_page_local_controls_rerun_only_their_fragment(page):
    sent, received = record_frames(page, "framesent"), record_frames(page, "framereceived")
    open_app(page, "/hidden_states?units=3&timesteps=5&batch_size=2")
    wait_for_crosscheck(page)
    _pick_sample_1(page, "step_through", sent, received)

    sent.clear()
    received.clear()
    click_checkbox(page, "show_stateful")
    page.wait_for_url(re.compile("show_stateful=true"))
    expect(page.locator(".st-key-stateful_chart .js-plotly-plot")).to_be_visible()
    _only_fragment_runs(page, sent, received)
    assert "sample=1" in page.url                       # the fragment's URL keeps the whole view
    assert "sample 1 " in page.evaluate(HOVER, "stateful_chart")

    open_app(page, "/gates?cell=GRU&units=3&timesteps=5&batch_size=2")
    wait_for_crosscheck(page)
    _pick_sample_1(page, "gates_step_through", sent, received)
    expect(page.locator(".st-key-gates_step_through")).to_contain_text("sample 1")
    assert_no_exception(page)


def test_a_fragment_rerun_keeps_a_stateful_layers_numbers(page):
    # A fragment rerun reuses the page's model: tracing it again would advance its state
    open_app(page, "/hidden_states?units=3&timesteps=4&batch_size=2&stateful=true")
    before = layer_outputs(page)
    set_widget(page, "sample", 1)
    page.wait_for_url(re.compile(r"[?&]sample=1(&|$)"))
    page.wait_for_function(f"() => ({HOVER})('step_through').includes('sample 1 ')")
    wait_until_quiet(page)
    assert layer_outputs(page) == before
    assert_no_exception(page)
