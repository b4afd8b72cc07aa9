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
    from ui.settings import DEFAULTS
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
