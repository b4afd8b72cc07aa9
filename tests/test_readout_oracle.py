"""Tables and readouts as a student reads them (AppTest elements), against Keras run here:
/parameters' formulas and counts (the formula TEXT must evaluate to Keras's count_params),
/hidden_states' "What the layer returns" arrays. The expected values come from Keras models
built by the test with the page's weights on the page's input (tests/oracle_panels.py)."""
from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

from app_helpers import by_key, chart_figure, open_page, texts
from formula_check import arithmetic
from oracle_panels import keras_count, keras_stack, printed_arrays
from oracle_panels import page_config as _config


# --- /parameters ------------------------------------------------------------------------------
PARAMETERS = [dict(cell="LSTM"), dict(cell="GRU", bidirectional="true", units="5"),
              dict(cell="GRU", reset_after="false", input_dim="3"),
              dict(cell="SimpleRNN", use_bias="false", units="6"),
              dict(cell="LSTM", layers="3", bidirectional="true", merge_mode="concat", units="3"),
              dict(cell="GRU", layers="2", bidirectional="true", merge_mode="sum", units="4")]


def _code(text: str, label: str) -> str:
    match = re.search(re.escape(label) + r"\s*`([^`]*)`", text)
    assert match, f"{label} not in {text!r}"
    return match.group(1)


@pytest.mark.parametrize("query", PARAMETERS, ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()))
def test_parameter_formulas_evaluate_to_keras_count(keras, query):
    cfg = _config(query)
    at = open_page("parameters", **query)
    first = keras_count(keras, cfg, cfg.input_dim)
    shown = " ".join(texts(by_key(at, "param_formula")))
    symbolic = _code(shown, "**Formula:**")
    assert arithmetic(symbolic, units=cfg.units, input_dim=cfg.input_dim) == first, symbolic
    numbers, count = _code(shown, "**Filled in:**").rsplit(" = ", 1)
    assert arithmetic(numbers) == first, numbers                 # the text's own arithmetic
    assert int(count.replace(",", "")) == first                  # and the number printed after it
    headline = [m.value for m in at.subheader if "parameters" in m.value]
    assert any(f"{first:,} parameters" in h for h in headline), headline
    if cfg.layers == 1:
        return
    table = " ".join(texts(by_key(at, "stack_params")))
    rows = re.findall(r"\| layer (\d+) \(`[^`]*`\) \| (\d+) \| `([^`]*)` \| `([^`]*)` \| ([\d,]+) \|",
                      table)
    assert [int(r[0]) for r in rows] == list(range(1, cfg.layers + 1)), table
    width = cfg.units * (2 if cfg.bidirectional and cfg.merge == "concat" else 1)
    counts = []
    for number, reads, formula, filled, count in rows:
        expected = keras_count(keras, cfg, cfg.input_dim if number == "1" else width)
        assert int(reads) == (cfg.input_dim if number == "1" else width)
        assert arithmetic(formula, units=cfg.units, input_dim=int(reads)) == expected, formula
        left, right = filled.rsplit(" = ", 1)
        assert arithmetic(left) == expected and int(right.replace(",", "")) == expected, filled
        assert int(count.replace(",", "")) == expected
        counts.append(expected)
    assert f"**{sum(counts):,}**" in table


# --- /hidden_states: "What the layer returns" ----------------------------------------------------
OUTPUTS = [
    dict(cell="LSTM", units="3", return_sequences="true", return_state="true"),
    dict(cell="GRU", units="3", bidirectional="true", merge_mode="None", return_state="true"),
    dict(cell="SimpleRNN", units="3", go_backwards="true", lengths="3,6", return_sequences="true"),
    dict(cell="GRU", units="2", layers="2", bidirectional="true", merge_mode="ave",
         layer_index="1", return_sequences="true", lengths="4,7"),
    dict(cell="LSTM", units="3", layers="3", layer_index="1", return_state="true"),
    dict(cell="LSTM", units="3", stateful="true", return_state="true", preset="sine"),
    dict(cell="GRU", units="3", preset="word", bidirectional="true", merge_mode="mul",
         return_state="true"),
]


@pytest.mark.parametrize("query", OUTPUTS, ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()))
def test_what_the_layer_returns_is_keras(keras, query):
    cfg = _config(query)
    at = open_page("hidden_states", **query)
    code = "\n".join(texts(by_key(at, "layer_outputs")))
    shown = printed_arrays(code)
    expected = keras_stack(keras, cfg)[int(query.get("layer_index", 0))]
    assert len(shown) == len(expected), ([n for n, _ in shown], [e.shape for e in expected])
    for (name, ours), theirs in zip(shown, expected):
        assert ours.shape == theirs.shape, name
        np.testing.assert_allclose(ours, theirs, atol=2e-6, err_msg=name)


# --- /shapes: the list of returned tensors ---------------------------------------------------------
@pytest.mark.parametrize("query", OUTPUTS[:4] + OUTPUTS[5:],
                         ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()))
def test_the_shapes_listed_are_what_keras_returns(keras, query):
    cfg = _config(query)
    at = open_page("shapes", **query)
    listed = re.findall(r"^\d+\. `(\w+)` — \*\*(\([^)]*\))\*\*", "\n".join(
        texts(by_key(at, "output_shapes"))), flags=re.M)
    expected = keras_stack(keras, cfg)[-1]                       # the model returns the top's
    assert [shape for _, shape in listed] == [str(e.shape) for e in expected], listed


# --- /gates: "Two Keras toggles and their effect" ------------------------------------------------
TOGGLES = [dict(cell="LSTM", units="4"), dict(cell="LSTM", units="3", init="constant"),
           dict(cell="GRU", units="3"), dict(cell="GRU", units="5", reset_after="false", preset="sine")]


def _keras_run(keras, cfg, flag: str, value: bool):
    """The page's forward layer with ``flag`` = value, in Keras: its weights (an input) on the
    page's x, stepped by hand (states and textbook gates), and Keras's own count."""
    from oracle.keras_ref import _rnn, step_by_hand
    from ui.controls import inputs
    from ui.runtime import lab

    variant = dataclasses.replace(cfg, bidirectional=False, layers=1, **{flag: value})
    x = lab.pad(inputs.make_input(cfg), cfg.valid_lengths()).astype("float32")  # (batch, T, input_dim)
    rnn = _rnn(keras, variant, return_sequences=True, **{flag: value})
    rnn(x)
    rnn.set_weights(lab.build_layer(variant).get_weights())
    return step_by_hand(rnn, variant, x, None), rnn.count_params()


@pytest.mark.parametrize("query", TOGGLES, ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()))
def test_toggle_effect_numbers_are_keras(keras, query):
    cfg = _config(query)
    at = open_page("gates", **query)
    metrics = {m.label: m.value for m in at.metric}
    if cfg.cell == "LSTM":
        for value in (True, False):
            states, _ = _keras_run(keras, cfg, "unit_forget_bias", value)
            shown = float(metrics[f"mean forget gate, unit_forget_bias={value}"])
            assert abs(shown - states["forget"].mean()) <= 5e-4 + 1e-6, (value, shown)
    else:
        (on, count_on), (off, count_off) = (_keras_run(keras, cfg, "reset_after", v) for v in (True, False))
        assert metrics["parameters, reset_after=True"] == f"{count_on:,}"
        assert metrics["parameters, reset_after=False"] == f"{count_off:,}"
        shown = float(metrics["max |Δh| between the two"])
        assert abs(shown - np.abs(on["h"] - off["h"]).max()) <= 5e-5 + 1e-6, shown


# --- /parameters: "Parameters vs units, for the three cells" ---------------------------------------
@pytest.mark.parametrize("query", [dict(cell="LSTM", units="12"), dict(cell="GRU", bidirectional="true",
                                                                      input_dim="3", reset_after="false")],
                         ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()))
def test_params_vs_units_points_are_keras_counts(keras, query):
    from oracle.labels import _points, fill

    cfg = _config(query)
    fig = chart_figure(open_page("parameters", **query), "params_vs_units")
    read = [fill(t["hovertemplate"], p) for t in fig["data"] if t.get("hovertemplate")
            for p in _points(t)]
    cells = set()
    for text in read:
        cell, units, count = re.fullmatch(r"(\w+)\nunits (\d+)\n([\d,]+) parameters", text).groups()
        cells.add(cell)
        expected = keras_count(keras, dataclasses.replace(cfg, cell=cell, units=int(units)), cfg.input_dim)
        assert int(count.replace(",", "")) == expected, text
    assert cells == {"SimpleRNN", "LSTM", "GRU"} and f"units {cfg.units}\n" in "".join(read)
