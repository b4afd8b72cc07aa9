"""The /training page in headless Chromium: live training, the seed's prediction line, temperature
sampling and the gradient-flow sliders. Assertions wait for the content to change."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from streamlit_browser import set_widget, wait_until_idle


def _open(page, path):
    """Open a /training URL and wait until its first training run is on the page."""
    page.goto(path)
    wait_until_idle(page, 60_000)
    expect(page.locator('[data-testid="stApp"]')).to_be_visible()
    # st.code's highlighter loads lazily: on a busy machine its text can lag the rerun by seconds
    expect(page.locator(".st-key-train_prediction")).to_contain_text("model", timeout=90_000)


def _no_exception(page):
    boxes = page.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()


def test_trains_live_and_prints_the_seeds_line(page):
    page.goto("/training?cell=SimpleRNN")
    # live: the progress bar shows while the epochs run, then the final block replaces it
    progress = page.locator('[data-testid="stProgress"]')
    prediction = page.locator(".st-key-train_prediction")
    expect(progress.or_(prediction).first).to_be_visible(timeout=60_000)
    expect(prediction).to_contain_text("model", timeout=90_000)
    expect(prediction).to_contain_text(re.compile(r"epoch\s+1000\s+loss"))
    expect(prediction).to_contain_text(re.compile(r"model\s+\[1 2 0 4 4 3\] ihello"))
    expect(prediction).to_contain_text(re.compile(r"input\s+\[2 1 2 0 4 4\] hihell"))
    wait_until_idle(page, 60_000)
    expect(page.locator(".js-plotly-plot").nth(5)).to_be_attached()  # loss, softmax, sampling, 2 flows, …
    _no_exception(page)


def test_train_button_retrains_with_new_epochs(page):
    _open(page, "/training?train_epochs=40")
    prediction = page.locator(".st-key-train_prediction")
    expect(prediction).to_contain_text(re.compile(r"epoch\s+40\s+loss"))
    set_widget(page, "train_epochs", 60)
    expect(page.get_by_text("The settings changed")).to_be_visible()
    wait_until_idle(page, 60_000)
    page.get_by_role("button", name="Train", exact=True).last.click()
    expect(prediction).to_contain_text(re.compile(r"epoch\s+60\s+loss"))
    expect(page.get_by_text("The settings changed")).to_have_count(0)
    _no_exception(page)


def test_temperature_slider_resamples(page):
    _open(page, "/training?train_epochs=300")
    sample = page.locator(".st-key-train_sample")
    expect(sample).to_be_visible()
    before = sample.inner_text()
    slider = page.locator(".st-key-train_temperature").get_by_role("slider")
    slider.focus()
    slider.press("Home")  # 0.05: (almost) always the most likely character
    expect(sample).not_to_have_text(before)
    _no_exception(page)


def test_recurrent_scale_makes_simple_rnn_explode(page):
    _open(page, "/training?train_epochs=20&gf_timesteps=20")
    summary = page.locator(".st-key-gf_summary")
    expect(summary).to_contain_text("SimpleRNN")
    before = summary.inner_text()
    slider = page.locator(".st-key-gf_scale").get_by_role("slider")
    slider.focus()
    slider.press("End")  # scale 3.0
    expect(summary).not_to_have_text(before)
    expect(summary).to_contain_text(re.compile(r"SimpleRNN: ‖∂L/∂h_0‖ / ‖∂L/∂h_T‖ = \d\.\de\+"))
    page.wait_for_url(re.compile(r"[?&]gf_scale=3(\.0)?(&|$)"))
    _no_exception(page)
