"""/shapes, section "A layer is a loop over a cell" (issue 14), checked against real Keras.

The Keras code the section shows is executed with real Keras; the numbers it shows are compared
with Keras's layer on the page's weights and input (rebuilt from the config, never read back
from the page's output).
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from app_helpers import open_page, shapes_in, texts

from ui.controls import inputs, settings
from ui.runtime import lab

pytestmark = pytest.mark.keras


def section(at):
    return texts(at.get_by_key("cell_loop"))


def shown_difference(at) -> float:
    (metric,) = [m for m in at.metric if m.label.startswith("max |")]
    return float(metric.value)


def shown_output(at) -> np.ndarray:
    """The values printed under 'RNN(XCell)(x)[0] (units,):'."""
    text = next(t for t in section(at) if re.search(r"Cell\)\(x\)\[", t))
    match = re.search(r"\((\d+),\):\n\[(.*?)\]", text, flags=re.S)
    values = np.array([float(v) for v in match.group(2).split()])
    assert values.shape == (int(match.group(1)),)
    return values


def shown_spellings(at) -> list[str]:
    """The two `layer = ...` lines of 'Both spellings'."""
    code = next(t for t in section(at) if t.startswith("layer = ") and "\nlayer = " in t)
    return [line.removeprefix("layer = ") for line in code.splitlines()]


def run_keras(keras, spelling: str, x):
    layer = eval(spelling, {"layers": keras.layers, "keras": keras})  # noqa: S307 (the page's code)
    out = layer(x)
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


def query(**cfg) -> dict:
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in cfg.items()}


def test_seed_004_constant_weights_both_spellings_give_the_shown_numbers(keras):
    """init=constant (every weight 0.1) on the notebook's train_X: both spellings the page shows,
    run in Keras, return the numbers the page shows, and the difference shown is ~0."""
    cfg = dict(cell="LSTM", units=3, preset="train_X", init="constant", return_sequences=True)
    at = open_page("shapes", **query(**cfg))
    assert not at.error
    assert shown_difference(at) < 1e-6
    layer_code, rnn_code = shown_spellings(at)
    assert layer_code.startswith("layers.LSTM(3") and rnn_code.startswith("layers.RNN(layers.LSTMCell(3")
    x = inputs.make_input(settings.Config(**cfg))  # (1, 4, 5)
    want = run_keras(keras, layer_code, x)
    got = run_keras(keras, rnn_code, x)
    np.testing.assert_allclose(got[0], want[0], atol=1e-6)
    np.testing.assert_allclose(shown_output(at), want[0][0, -1], atol=1e-5)


@pytest.mark.parametrize("cfg", [
    dict(cell="LSTM", units=5, timesteps=6, input_dim=3, batch_size=2, return_state=True),
    dict(cell="GRU", units=4, timesteps=5, input_dim=2, batch_size=3, reset_after=False,
         go_backwards=True, return_sequences=True, stateful=True),
    dict(cell="SimpleRNN", units=3, timesteps=4, input_dim=2, batch_size=2, seed=7),
    dict(cell="LSTM", units=4, timesteps=5, input_dim=3, batch_size=2, bidirectional=True,
         merge_mode="sum", return_sequences=True),
], ids=lambda c: "-".join(str(c[k]) for k in ("cell", "units")) + ("-bidi" if c.get("bidirectional") else ""))
def test_shown_rnn_output_matches_keras_on_the_page_weights(keras, cfg):
    at = open_page("shapes", **query(**cfg))
    assert not at.error, [e.value for e in at.error]
    assert shown_difference(at) < 1e-6
    layer_code, rnn_code = shown_spellings(at)
    if cfg.get("bidirectional"):
        assert layer_code.startswith("layers.Bidirectional(layers.LSTM(")
        assert rnn_code.startswith("layers.Bidirectional(layers.RNN(layers.LSTMCell(")
        assert "merge_mode='sum'" in rnn_code
    # Keras's own layer (the first spelling), with the page's (forward) weights and input
    c = settings.Config(**cfg)
    ours = lab.build_layer(c)
    x = inputs.make_input(c)  # (batch, timesteps, features)
    theirs = eval(layer_code, {"layers": keras.layers, "keras": keras})  # noqa: S307
    if cfg.get("bidirectional"):
        theirs = theirs.forward_layer
        ours = ours.forward_layer
    theirs.build(ours.input_shape)
    theirs.set_weights(ours.get_weights())
    out = theirs(x)
    out = np.asarray(out[0] if isinstance(out, (list, tuple)) else out)
    want = out[0] if out.ndim == 2 else out[0, -1]  # (units,)
    np.testing.assert_allclose(shown_output(at), want, atol=1e-5)
    # and the cell spelling runs in Keras, returning the same outputs' shapes
    assert [o.shape for o in run_keras(keras, rnn_code, x)] == [o.shape for o in run_keras(keras, layer_code, x)]


def test_cell_step_and_stacked_shapes_match_keras(keras):
    cfg = dict(cell="LSTM", units=6, timesteps=7, input_dim=3, batch_size=2, return_sequences=True)
    at = open_page("shapes", **query(**cfg))
    shown = section(at)
    step = next(t for t in shown if "h_t, states = cell(x_t, states)" in t)
    x_t = np.zeros((2, 3), np.float32)  # (batch, features)
    cell = keras.layers.LSTMCell(6)
    h_t, states = cell(x_t, [np.zeros((2, 6), np.float32)] * 2)
    # x_t, then h and c, then h_t, in the order the code comments list them
    comments = "\n".join(line for line in step.splitlines() if line.startswith("#"))
    assert shapes_in(comments) == [x_t.shape] + [tuple(s.shape) for s in states] + [tuple(h_t.shape)]
    stacked = next(t for t in shown if "layers.RNN([" in t)
    spelling, comment = stacked.removeprefix("layer = ").split("  # output ")
    out = run_keras(keras, spelling, np.zeros((2, 7, 3), np.float32))
    assert shapes_in(comment) == [tuple(out[0].shape)]


def test_the_live_difference_says_it_compares_rnn_core_with_itself():
    """The metric is rnn_core's layer against rnn_core's RNN(cell): the section says so, names
    both sides as ours, and sends the reader to the Keras comparison on /cross_check."""
    at = open_page("shapes", **query(cell="GRU", units=4))
    (metric,) = [m for m in at.metric if m.label.startswith("max |")]
    assert metric.label == "max |our GRU − our RNN(GRUCell)| (NumPy)"
    assert any(t.startswith("**What the number below checks: our RNN loop over our cell gives our "
                            "layer's numbers.**") and "not a comparison with Keras" in t
               for t in section(at))
    links = at.get_by_key("cell_loop").get("page_link")
    assert [link.proto.page for link in links] == ["cross_check"]
    assert links[0].proto.label.startswith("Against Keras: Cross-check")
