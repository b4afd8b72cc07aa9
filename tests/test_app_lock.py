"""lock=true on /training (issue 18): the layer and the training setup are read-only, the
exploration controls (sampling, gradient flow) stay free, and using them keeps the lock."""
from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SETUP = ("train_text", "train_depth", "train_optimizer", "train_lr", "train_epochs", "train_every",
         "train_clip", "train_truncate", "train_decay")
EXPLORE = ("train_temperature", "train_prefix", "train_length", "gf_timesteps", "gf_units",
           "gf_scale", "gf_gate", "gf_clip")


def widget(at, key):
    return at.get_by_key(key)


def test_a_locked_link_fixes_the_setup_and_leaves_the_exploration_free():
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update({"lock": "true", "train_epochs": "10"})
    at.run()
    at.switch_page("pages/training.py")
    at.run()
    assert not at.exception, at.exception
    assert widget(at, "units").disabled and widget(at, "cell").disabled   # the layer
    assert [k for k in SETUP if not widget(at, k).disabled] == []
    assert [k for k in EXPLORE if widget(at, k).disabled] == []
    summary = at.container(key="gf_summary").markdown[0].value
    at.slider(key="gf_scale").set_value(3.0).run()
    assert not at.exception, at.exception
    assert at.container(key="gf_summary").markdown[0].value != summary
    assert at.session_state["lock"] is True and widget(at, "train_lr").disabled  # still locked
