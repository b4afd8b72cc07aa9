"""The step panel as the browser receives it, every number at every step, against Keras.

The oracle (tests/oracle_panels.py) decodes each number's quantity, unit, step, sample, layer
and direction from the panel's own text. h_t and c_t come from Keras cells stepped by hand with
the page's weights (checked against the Keras layer's return_sequences twin); the gates are the
textbook equations computed here with NumPy from Keras's weights and Keras's previous state.
The matrix covers each axis once (cells, Bidirectional and every merge mode, go_backwards,
stateful, layers 2 and 3, lengths, presets), not their product.
"""
from __future__ import annotations

import re

import pytest

from app_helpers import open_page
from oracle_panels import check_step, fill, keras_layer, read, shipped
from oracle_panels import page_config as _config

KEYS = {"hidden_states": "step_through", "gates": "gates_step_through"}

MATRIX = [  # (page, URL query)
    ("hidden_states", dict(cell="SimpleRNN", units="3", timesteps="5", step="2")),
    ("gates", dict(cell="LSTM")),                                      # 8 units: cut at 6
    ("gates", dict(cell="GRU", units="4", lengths="4,7")),             # padded steps
    ("hidden_states", dict(cell="LSTM", units="3", lengths="3,6", go_backwards="true",
                           sample="1")),
    ("gates", dict(cell="GRU", reset_after="false", units="3", preset="sine")),
    ("hidden_states", dict(cell="LSTM", bidirectional="true", merge_mode="None", units="3")),
    ("gates", dict(cell="GRU", layers="2", bidirectional="true", merge_mode="sum",
                   layer_index="1", units="3")),
    ("hidden_states", dict(cell="LSTM", layers="2", bidirectional="true", merge_mode="mul",
                           layer_index="1", units="3", preset="train_X")),
    ("gates", dict(cell="SimpleRNN", layers="2", bidirectional="true", merge_mode="ave",
                   layer_index="1", units="3")),
    ("hidden_states", dict(cell="SimpleRNN", layers="2", go_backwards="true", layer_index="1",
                           units="3", lengths="3,5")),
    ("hidden_states", dict(cell="GRU", layers="2", bidirectional="true", merge_mode="concat",
                           layer_index="1", units="2", preset="word")),
    ("gates", dict(cell="LSTM", layers="3", layer_index="2", lengths="2,5", units="3")),
    ("hidden_states", dict(cell="GRU", stateful="true", units="3", sample="1")),
    ("gates", dict(cell="LSTM", init="constant", units="3", preset="train_X",
                   activation="relu")),
]


def panels(page: str, query: dict) -> tuple[dict, list[str]]:
    """The element's data and the panel the browser shows at every step."""
    data = shipped(open_page(page, **query), KEYS[page])
    panel = data["panel"]
    return data, [fill(panel["template"], row) for row in panel["values"]]


def check_panel(keras, cfg, shown: list[str]) -> list:
    """Check every step's panel; the layer Keras runs is the one the panel's head names.
    Returns the readings."""
    oracles, readings = {}, []
    for k, html in enumerate(shown):
        reading = read(html)
        assert reading.layers == cfg.layers and reading.direction == "forward", reading
        index = reading.layer - 1
        if index not in oracles:
            oracles[index] = keras_layer(keras, cfg, index)
        assert len(shown) == oracles[index].x.shape[1], "one panel per step"
        check_step(reading, oracles[index])
        readings.append(reading)
    return readings


@pytest.mark.parametrize("page, query", MATRIX, ids=[
    f"{page}-" + "-".join(f"{k}={v}" for k, v in q.items()) for page, q in MATRIX])
def test_every_number_of_the_step_panel_is_keras(keras, page, query):
    data, shown = panels(page, query)
    assert data["start"] == int(query.get("step", len(shown) - 1))
    readings = check_panel(keras, _config(query), shown)
    # the frame k is labelled step k, and the panel is the picked sample's and layer's
    assert [r.step for r in readings] == list(range(len(shown)))
    assert {(r.sample, r.layer) for r in readings} == {
        (int(query.get("sample", 0)), int(query.get("layer_index", 0)) + 1)}


# --- the padded step (issue 17): the rows add up, and say that the state is carried -------------
PADDED = ("hidden_states", dict(cell="GRU", units="3", layers="2", layer_index="1",
                                lengths="4,7"))


@pytest.fixture(scope="module")
def padded_panels():
    return panels(*PADDED)[1]


def test_a_padded_step_says_the_state_is_carried(keras, padded_panels):
    """Sample 0 has length 4: steps 4..9 are padding. Their h_t rows must not run from the
    candidate's arithmetic straight to the carried h; they say the update is discarded and
    h_t = h_{t−1} (carried), and every number agrees with Keras."""
    readings = check_panel(keras, _config(PADDED[1]), padded_panels)
    for reading in readings:
        carried = [eq for eq in reading.equations if eq.padded_step]
        if reading.step < 4:
            assert not carried
            continue
        assert [eq.lhs for eq in carried] == ["h_t"]
        assert carried[0].members[0] == ["h_{t−1}"]
        h_rows = [eq for eq in reading.equations if eq.lhs == "h_t" and not eq.padded_step]
        assert h_rows[0].discarded[-1], "the update's row says it is discarded"


# --- the oracle can fail: tampered panels ------------------------------------------------------
def _swap_units(html: str) -> str:
    """Units 0 and 1 of the h_t row exchanged."""
    start = html.index('<mrow data-q="h_t">')
    end = html.index("</mrow>", start)
    row = html[start:end]
    a, b = re.findall(r"<mn>[^<]*</mn>", row)[:2]
    assert a != b
    return html[:start] + row.replace(a, "\0").replace(b, a, 1).replace("\0", b, 1) + html[end:]


TAMPERS = {
    "a unit's number swapped": (3, _swap_units),
    "the step labelled one later": (2, lambda h: h.replace("step k = 2<", "step k = 3<", 1)),
    "the step labelled one earlier": (3, lambda h: h.replace("step k = 3<", "step k = 2<", 1)),
    "step and input index both one later": (
        2, lambda h: h.replace("step k = 2<", "step k = 3<", 1).replace("<sub>2</sub>", "<sub>3</sub>", 1)),
    "the wrong sample": (2, lambda h: h.replace("· sample 0", "· sample 1", 1)),
    "the wrong layer": (2, lambda h: h.replace("layer 2 of 2", "layer 1 of 2", 1)),
    "the wrong input index": (2, lambda h: h.replace("<sub>2</sub>", "<sub>3</sub>", 1)),
    "a padded step's carried row dropped": (
        6, lambda h: h[:h.index('<div class="eq"><math displaystyle="true"><mtable><mtr><mtd>'
                                '<mtext>padded step')] + "</div>"),
    "a padded step's 'discarded' dropped": (
        6, lambda h: re.sub(r"<mtext>[^<]*discarded[^<]*</mtext>", "", h)),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_the_oracle_catches_a_tampered_panel(keras, padded_panels, name):
    k, tamper = TAMPERS[name]
    html = padded_panels[k]
    bad = tamper(html)
    assert bad != html, "the tamper changed the panel"
    shown = list(padded_panels)
    shown[k] = bad
    with pytest.raises(AssertionError):
        check_panel(keras, _config(PADDED[1]), shown)
