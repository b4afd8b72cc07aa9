"""The shared config: URL query parameters <-> sidebar widgets <-> session state."""
from __future__ import annotations

import pytest
from app_helpers import open_page, shapes_in, texts

SHARED = dict(cell="GRU", units="6", timesteps="7", input_dim="3", batch_size="4",
              return_sequences="true", return_state="true", go_backwards="true", seed="11",
              preset="sine")


def test_url_sets_every_sidebar_widget():
    at = open_page("shapes", **SHARED, bidirectional="false", merge_mode="sum", stateful="true")
    assert at.radio(key="cell").value == "GRU"
    for key in ("units", "timesteps", "input_dim", "batch_size", "seed"):
        assert at.number_input(key=key).value == int(SHARED[key])
    for key in ("return_sequences", "return_state", "go_backwards", "stateful"):
        assert at.checkbox(key=key).value is True
    assert at.checkbox(key="bidirectional").value is False
    assert at.selectbox(key="merge_mode").value == "sum"
    assert at.selectbox(key="preset").value == "sine"
    shown = shapes_in(" ".join(texts(at.get_by_key("output_shapes"))))
    assert shown == [(4, 7, 6), (4, 6)]             # GRU: whole sequence, then final h


@pytest.mark.parametrize("key, bad", [
    ("units", "abc"), ("units", "0"), ("units", "100000"), ("cell", "Transformer"),
    ("return_sequences", "maybe"), ("merge_mode", "max"), ("preset", "imagenet"),
    ("timesteps", "-3"), ("seed", "1.5"), ("batch_size", "")])
def test_invalid_url_values_fall_back_with_a_warning(key, bad):
    at = open_page("home", **{key: bad})
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("Ignored URL parameter") and f"{key}:" in w for w in warnings), warnings
    from ui.controls.settings import DEFAULTS
    assert at.session_state[key] == getattr(DEFAULTS, key)
    assert key not in at.query_params                  # the URL now shows the fallback


def test_several_invalid_values_warn_once_each_and_valid_ones_apply():
    at = open_page("shapes", units="x", cell="RNN", timesteps="5", return_sequences="true")
    assert len([w for w in at.warning if w.value.startswith("Ignored URL parameter")]) == 2
    assert at.number_input(key="timesteps").value == 5
    assert shapes_in(" ".join(texts(at.get_by_key("output_shapes")))) == [(2, 5, 8)]


def test_widget_changes_are_mirrored_into_the_url():
    at = open_page("shapes")
    assert at.query_params == {}                        # defaults keep the URL clean
    at.number_input(key="units").set_value(12).run()
    at.checkbox(key="return_sequences").check().run()
    at.radio(key="cell").set_value("SimpleRNN").run()
    assert at.query_params == {"units": "12", "return_sequences": "true", "cell": "SimpleRNN"}
    assert shapes_in(" ".join(texts(at.get_by_key("output_shapes")))) == [(2, 10, 12)]


def test_config_survives_page_switches():
    at = open_page("shapes", units="5")
    for page in ("gates", "parameters", "hidden_states", "shapes"):
        at.switch_page(f"pages/{page}.py").run()
        assert not at.exception
        assert at.number_input(key="units").value == 5
        assert at.query_params.get("units") == "5"


def test_reseed_button_changes_the_seed_and_the_url():
    at = open_page("hidden_states")
    at.button(key="reseed").click().run()
    assert at.number_input(key="seed").value != 0
    assert at.query_params["seed"] == str(at.number_input(key="seed").value)


def test_bidirectional_with_go_backwards_is_an_error_not_a_traceback():
    at = open_page("shapes", bidirectional="true", go_backwards="true")
    assert not at.exception
    assert "go_backwards" in at.error[0].value


# --- each page's own settings, presenter view and lock (issue 10) ---------------------------------
def test_step_sample_and_toggle_round_trip_on_hidden_states():
    from app_helpers import chart_elements
    at = open_page("hidden_states", timesteps="6", batch_size="3", step="4", sample="2",
                   show_stateful="true")
    player = next(d for d in chart_elements(at) if d["key"] == "step_through")
    assert player["start"] == 4
    assert at.number_input(key="sample").value == 2
    assert at.toggle(key="show_stateful").value is True
    assert {k: at.query_params[k] for k in ("step", "sample", "show_stateful")} == \
        {"step": "4", "sample": "2", "show_stateful": "true"}
    at.number_input(key="units").set_value(5).run()      # a config change keeps the page's state
    player = next(d for d in chart_elements(at) if d["key"] == "step_through")
    assert player["start"] == 4 and at.query_params["sample"] == "2"
    assert at.query_params["units"] == "5"


def test_out_of_range_step_and_sample_are_clamped_not_errors():
    from app_helpers import chart_elements
    at = open_page("gates", timesteps="3", batch_size="1", step="150", sample="40")
    assert not at.exception and not at.error
    player = next(d for d in chart_elements(at) if d["key"] == "gates_step_through")
    assert player["start"] == 2 and at.number_input(key="sample").value == 0


def test_gates_toggle_round_trips():
    at = open_page("gates", show_effect="true")
    assert at.toggle(key="show_effect").value is True
    at.toggle(key="show_effect").set_value(False).run()
    assert "show_effect" not in at.query_params


def test_training_settings_round_trip_through_the_url():
    query = dict(train_optimizer="SGD", train_lr="0.03", train_epochs="20", train_clip="1",
                 train_decay="yes", gf_units="8", train_temperature="0.5", train_length="12")
    at = open_page("training", **query)
    assert at.selectbox(key="train_optimizer").value == "SGD"
    assert at.select_slider(key="train_lr").value == 0.03
    assert at.number_input(key="train_epochs").value == 20
    assert at.select_slider(key="train_clip").value == 1.0
    assert at.checkbox(key="train_decay").value is True
    assert at.slider(key="gf_units").value == 8
    assert at.slider(key="train_temperature").value == 0.5
    assert at.number_input(key="train_length").value == 12
    expected = dict(query, train_clip="1", train_decay="true")
    assert {k: at.query_params[k] for k in expected} == expected
    at.number_input(key="train_epochs").set_value(30).run()
    assert at.query_params["train_epochs"] == "30"


@pytest.mark.parametrize("key, bad", [("step", "x"), ("sample", "-1"), ("train_lr", "7"),
                                      ("presenter", "maybe"), ("train_text", "a")])
def test_invalid_page_settings_fall_back_with_a_warning(key, bad):
    page = "training" if key.startswith("train") else "hidden_states"
    at = open_page(page, **{key: bad})
    warnings = [w.value for w in at.warning]
    assert any(w.startswith("Ignored URL parameter") and f"{key}:" in w for w in warnings), warnings
    assert key not in at.query_params


def test_lock_makes_the_configuration_read_only_but_not_the_page():
    at = open_page("hidden_states", lock="true", units="5")
    for key in ("units", "timesteps", "seed"):
        assert at.number_input(key=key).disabled
    assert at.radio(key="cell").disabled and at.checkbox(key="return_sequences").disabled
    assert at.button(key="reseed").disabled
    assert not at.number_input(key="sample").disabled     # students still step through
    assert at.query_params["lock"] == "true"


def test_presenter_view_has_an_exit_and_survives_page_switches():
    at = open_page("gates", presenter="true")
    assert at.button(key="exit_presenter")
    at.switch_page("pages/shapes.py").run()
    assert at.query_params.get("presenter") == "true" and at.button(key="exit_presenter")
    at.button(key="exit_presenter").click().run()
    assert "presenter" not in at.query_params
    assert at.sidebar.button(key="enter_presenter")


def test_model_builder_text_round_trips_through_the_url():
    spec = "GRU(16, return_sequences=True)\nSimpleRNN(8)"
    at = open_page("parameters", model_spec=spec, model_input_shape="(None, 5, 10)")
    assert at.text_area(key="model_spec").value == spec
    summary = " ".join(texts(at.get_by_key("model_summary")))
    assert "gru" in summary.lower() and "simple_rnn" in summary.lower()
    at.text_area(key="model_spec").set_value("LSTM(4)").run()
    assert at.query_params["model_spec"] == "LSTM(4)"
    at.selectbox(key="model_preset").set_value("seed000_gru").run()
    from ui.classroom import builder
    assert at.query_params["model_preset"] == "seed000_gru"
    assert at.query_params["model_spec"] == builder.PRESETS["seed000_gru"].spec  # the preset loaded


# --- no silent changes (issue 17): a widget keeps its value when another setting changes ---------
def _choice_labels(at) -> dict[str, list[str]]:
    return {w.key: list(w.options) for w in [*at.sidebar.radio, *at.sidebar.selectbox]}


@pytest.mark.parametrize("cell", ["LSTM", "GRU", "SimpleRNN"])
def test_no_choice_label_depends_on_another_setting(cell):
    """The browser sends a radio's/selectbox's value back as its label: a label that changes with
    another setting (Constant 0.1's with unit_forget_bias, once) silently resets that widget."""
    from ui.controls.settings import Config
    at = open_page("home", cell=cell, init="constant")
    labels = _choice_labels(at)
    flags = [name for name in Config.names() if isinstance(getattr(Config(), name), bool)]
    for name in flags:
        box = at.checkbox(key=name)
        if box.disabled:
            continue
        box.set_value(not box.value).run()
        assert _choice_labels(at) == labels, f"a choice's labels changed with {name}"
        at.checkbox(key=name).set_value(not at.checkbox(key=name).value).run()
    assert at.radio(key="init").value == "constant"
