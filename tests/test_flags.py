"""The remaining Keras flags (activation, recurrent_activation, use_bias, unroll, dropout,
recurrent_dropout): rnn_core against real Keras, the cuDNN checklist, and every page following
them (AppTest)."""
from __future__ import annotations

import numpy as np
import pytest
from app_helpers import by_key, chart_figure, open_page, step_panel, texts, wait_for

from rnn_core import crosscheck, layers
from ui.controls.settings import Config
from ui.runtime import lab
from ui.sections import cudnn

pytestmark = pytest.mark.keras  # compares with real TensorFlow/Keras

FLAG_SETS = [
    dict(activation="relu"),
    dict(activation="linear", recurrent_activation="hard_sigmoid"),
    dict(recurrent_activation="tanh", use_bias=False),
    dict(unroll=True),
    dict(dropout=0.5, recurrent_dropout=0.3),
    dict(activation="sigmoid", use_bias=False, unroll=True, dropout=0.2),
]


@pytest.mark.parametrize("cell", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("flags", FLAG_SETS, ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()))
@pytest.mark.parametrize("bidirectional", [False, True])
def test_flags_match_keras(keras, cell, flags, bidirectional):
    """The app's layer for these flags and its Keras twin (built with the same flags) agree,
    and at inference dropout changes nothing."""
    if cell == "SimpleRNN":
        flags = {k: v for k, v in flags.items() if k != "recurrent_activation"}
    cfg = Config(cell=cell, units=3, timesteps=4, input_dim=2, batch_size=2, return_sequences=True,
                 return_state=True, bidirectional=bidirectional, **flags)
    layer = lab.build_layer(cfg)
    x = np.random.default_rng(1).normal(size=cfg.input_shape).astype("float32")  # (2, 4, 2)
    result = crosscheck.run(layer, x)
    assert result.passed, result.outputs
    klayer = crosscheck.to_keras(layer, (None, 4, 2))
    kforward = klayer.forward_layer if bidirectional else klayer
    kconfig = kforward.get_config()
    for name, value in flags.items():
        assert kconfig[name] == value, name
    if flags.get("dropout"):  # no dropout at inference, in Keras as here
        plain = lab.build_layer(Config(**{**cfg.__dict__, "dropout": 0.0, "recurrent_dropout": 0.0}))
        plain.set_weights(layer.get_weights())
        np.testing.assert_array_equal(plain(x)[0], layer(x)[0])


def test_new_arguments_round_trip_and_validate():
    layer = layers.LSTM(3, unroll=True, dropout=0.25, recurrent_dropout=0.5, use_bias=False,
                        activation="relu", recurrent_activation="hard_sigmoid")
    config = layer.get_config()
    assert {k: config[k] for k in ("unroll", "dropout", "recurrent_dropout", "use_bias", "activation",
                                   "recurrent_activation")} == dict(
        unroll=True, dropout=0.25, recurrent_dropout=0.5, use_bias=False, activation="relu",
        recurrent_activation="hard_sigmoid")
    twin = layers.Bidirectional(layer)  # rebuilt from the constructor arguments, as in Keras
    for direction in (twin.forward_layer, twin.backward_layer):
        assert (direction.unroll, direction.dropout, direction.recurrent_dropout) == (True, 0.25, 0.5)
    for argument, bad in (("dropout", 1.5), ("recurrent_dropout", -0.1), ("dropout", "half"),
                          ("unroll", "yes")):
        with pytest.raises(ValueError, match=f"^{argument}: got"):
            layers.GRU(3, **{argument: bad})


def test_keras_counts_the_same_parameters_without_bias(keras):
    for cell in ("SimpleRNN", "LSTM", "GRU"):
        layer = lab.build_layer(Config(cell=cell, use_bias=False))
        klayer = getattr(keras.layers, cell)(8, use_bias=False)
        klayer.build((None, 10, 4))
        assert layer.count_params() == klayer.count_params()


@pytest.mark.parametrize("flags, broken", [
    (dict(activation="relu"), {"activation"}),
    (dict(recurrent_activation="hard_sigmoid"), {"recurrent_activation"}),
    (dict(unroll=True, use_bias=False), {"unroll", "use_bias"}),
    (dict(recurrent_dropout=0.2), {"recurrent_dropout"}),
    (dict(dropout=0.2), set()),  # input dropout does not rule cuDNN out
    (dict(cell="GRU", reset_after=False), {"reset_after"}),
    (dict(cell="SimpleRNN"), {"cell"}),
])
def test_cudnn_checklist_turns_red_and_names_the_control(keras, flags, broken):
    cfg = Config(**flags)
    layer = lab.build_layer(cfg)
    x = np.zeros(cfg.input_shape, "float32")
    items = cudnn.items(crosscheck.run(layer, x).cudnn)
    red = {item.control for item in items if item.ok is False and item.control}
    assert red == broken
    for item in items:
        if item.control:
            line = cudnn.markdown(item)
            assert f"(#ctl-{item.control})" in line and item.where in line
            assert line.startswith(":red[" if item.ok is False else ":green[")


# --- every page follows the flags ---------------------------------------------------------------
def test_sidebar_shows_the_flags_and_the_url_sets_them():
    at = open_page("home", activation="relu", use_bias="false", unroll="true", dropout="0.5")
    assert at.selectbox(key="activation").value == "relu"
    assert at.checkbox(key="use_bias").value is False
    assert at.checkbox(key="unroll").value is True
    assert at.slider(key="dropout").value == 0.5
    assert any("no dropout" in t for t in texts(at.sidebar))


def test_pages_follow_use_bias_and_activation():
    at = open_page("parameters", cell="LSTM", units="8", input_dim="4", use_bias="false")
    assert any("4 × (8 × (4 + 8)) = 384" in t for t in texts(at.main)), texts(at.main)[:5]
    at = open_page("shapes", use_bias="false", activation="relu")
    code = at.get_by_key("shapes_keras_code").code[0].value
    assert "use_bias=False" in code and "activation='relu'" in code
    tables = [t for t in texts(at.main) if t.startswith("| weight | shape |")]
    assert tables and "| `bias` |" not in tables[0]  # no bias row in the weights table
    at = open_page("hidden_states", cell="SimpleRNN", units="3", activation="relu")
    assert "<mi>relu</mi><mo>(</mo>" in step_panel(at, "step_through")  # the equations say relu
    step_through = chart_figure(at, "step_through")
    assert step_through["data"], "the chart is drawn"


def test_hidden_states_change_with_activation():
    """The numbers follow the flag: relu's h is never negative, tanh's usually is somewhere."""
    relu = lab.build_layer(Config(cell="SimpleRNN", activation="relu"))
    tanh = lab.build_layer(Config(cell="SimpleRNN"))
    x = np.random.default_rng(0).normal(size=(2, 10, 4)).astype("float32")  # (batch, T, features)
    assert relu.trace(x).h.min() >= 0 > tanh.trace(x).h.min()


def test_cross_check_page_links_a_broken_rule_to_its_control():
    at = open_page("cross_check", activation="relu", unroll="true")
    wait_for(at, lambda a: by_key(a, "cudnn_checklist") is not None)  # TensorFlow has answered
    checklist = " ".join(texts(at.get_by_key("cudnn_checklist")))
    assert ":red[✗ activation is relu" in checklist and "(#ctl-activation)" in checklist
    assert ":red[✗ unroll is True" in checklist and "(#ctl-unroll)" in checklist
    assert ":green[✓ use_bias is True" in checklist
