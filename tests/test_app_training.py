"""The /training page through Streamlit's AppTest: it trains, shows the seed's line, samples and
draws the gradient-flow view; bad input gives st.error, never a traceback."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_helpers import plotly_figures
from rnn_core import training

TIMEOUT = 60
APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def page():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    at.switch_page("pages/training.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _code_in(at, key) -> str:
    return "\n".join(c.value for c in at.get("code") if c.value) if key is None else \
        "\n".join(c.value for c in at.container(key=key).get("code"))


def test_trains_hihello_and_prints_the_seeds_line(page):
    at = page
    at.sidebar.radio(key="cell").set_value("SimpleRNN").run()
    assert any("settings changed" in i.value for i in at.info)  # waits for the button
    at.button(key="train_run").click().run()
    assert not at.exception, at.exception
    assert not any("settings changed" in i.value for i in at.info)
    lines = {line.split()[0] + line.split()[1]: line for line in _code_in(at, "train_prediction").splitlines()}
    # the seed's vocabulary {'e': 0, 'i': 1, 'h': 2, 'o': 3, 'l': 4}: "ihello" = [1 2 0 4 4 3]
    assert lines["input[2"].endswith("[2 1 2 0 4 4] hihell")
    assert lines["target[1"].endswith("[1 2 0 4 4 3] ihello")
    assert lines["model[1"].endswith("[1 2 0 4 4 3] ihello")
    assert lines["epoch1000"].endswith("[1 2 0 4 4 3] ihello")
    assert len(plotly_figures(at)) >= 6


def test_settings_retrain_and_page_survives_every_optimizer(page):
    at = page
    for name in ("SGD", "RMSprop", "Adam"):
        at.selectbox(key="train_optimizer").set_value(name)
        at.number_input(key="train_epochs").set_value(50)
        at.button(key="train_run").click().run()
        assert not at.exception, at.exception
        assert "epoch    50" in _code_in(at, "train_prediction")
    at.number_input(key="train_depth").set_value(2)
    at.select_slider(key="train_clip").set_value(1.0)
    at.number_input(key="train_truncate").set_value(2)
    at.checkbox(key="train_decay").check()
    at.button(key="train_run").click().run()
    assert not at.exception, at.exception


def test_own_text_and_bad_text(page):
    at = page
    at.number_input(key="train_epochs").set_value(20)
    at.text_input(key="train_text").set_value("to be or not to be")
    at.button(key="train_run").click().run()
    assert not at.exception, at.exception
    assert "target" in _code_in(at, "train_prediction")
    at.text_input(key="train_text").set_value("x").run()
    assert not at.exception
    assert any("Cannot train" in e.value for e in at.error)


def test_temperature_changes_the_sample(page):
    at = page
    at.slider(key="train_temperature").set_value(0.05).run()
    assert not at.exception, at.exception
    cold = _code_in(at, "train_sample")
    at.slider(key="train_temperature").set_value(3.0).run()
    hot = _code_in(at, "train_sample")
    assert cold != hot
    at.button(key="train_draw").click().run()
    assert _code_in(at, "train_sample") != hot  # a new draw at the same temperature
    at.text_input(key="train_prefix").set_value("z").run()
    assert any("Cannot sample" in e.value for e in at.error)


def test_gradient_flow_view_reacts_to_scale_and_clipping(page):
    at = page
    at.number_input(key="train_epochs").set_value(10).run()
    summary = at.container(key="gf_summary").markdown[0].value
    at.slider(key="gf_scale").set_value(3.0).run()
    assert not at.exception, at.exception
    assert at.container(key="gf_summary").markdown[0].value != summary
    flow = training.gradient_flow("SimpleRNN", timesteps=30, units=16, recurrent_scale=3.0, clipnorm=1.0)
    assert f"{flow.dL_dh[0] / flow.dL_dh[-1]:.1e}" in at.container(key="gf_summary").markdown[0].value


def test_shared_link_sets_the_page_and_bad_values_warn():
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params.update({"train_epochs": "30", "train_optimizer": "SGD", "gf_scale": "2.0",
                            "gf_gate": "3", "train_lr": "0.5", "train_text": "banana"})
    at.run()
    at.switch_page("pages/training.py")
    at.run()
    assert not at.exception, at.exception
    assert at.number_input(key="train_epochs").value == 30
    assert at.selectbox(key="train_optimizer").value == "SGD"
    assert at.slider(key="gf_scale").value == 2.0
    assert at.select_slider(key="gf_gate").value == "3"
    assert at.text_input(key="train_text").value == "banana"
    assert at.select_slider(key="train_lr").value == 0.01  # 0.5 is not offered
    assert any("Ignored URL parameter — train_lr" in w.value for w in at.warning)
