"""/cross_check's table as a student reads it (AppTest), against Keras run by the test.

The table lists what was compared: every output the model returns, then every step's h_t (and
c_t) per layer and direction. Each row names its tensor and shape, its max |NumPy - Keras| and a
verdict. The oracle checks, from the table's text alone:

- the output rows, in order, have the shapes of what Keras returns for the config (the model's
  layers with the page's weights: ``oracle_panels.keras_stack``), layer by layer for a stack;
- one "every step" row per layer, direction and state (h_t; c_t for LSTM), each with the shape of
  Keras's ``return_sequences=True`` twin of that layer;
- each verdict says what its number says against the stated tolerance, and the headline agrees.

The differences themselves are NumPy against Keras by definition; that they catch a wrong layer
is tests/test_crosscheck.py's job (a tampered weight makes them fail).
"""
from __future__ import annotations

import re

import pytest

from app_helpers import by_key, open_page, wait_for
from oracle_panels import keras_stack
from oracle_panels import page_config as _config

CASES = [dict(cell="LSTM", return_state="true"),
         dict(cell="GRU", bidirectional="true", merge_mode="None", return_state="true",
              return_sequences="true"),
         dict(cell="SimpleRNN", go_backwards="true", lengths="3,5"),
         dict(cell="LSTM", layers="2", return_state="true", lengths="3,5"),
         dict(cell="GRU", layers="3", bidirectional="true", merge_mode="concat", units="3")]

ROW = re.compile(r"^\| `(?P<name>[^`]+)` \| `(?P<shape>\([^`]*\))` \| (?P<diff>[-+.e\d]+) \| (?P<verdict>.+) \|$")


def rows(table: str) -> list[dict]:
    found = [ROW.match(line) for line in table.splitlines() if line.startswith("| `")]
    assert all(found), table
    return [m.groupdict() for m in found]


def expected_rows(keras, cfg) -> tuple[list[str], list[tuple[str, str]]]:
    """(the output shapes in order, the (name, shape) of every every-step row), from Keras."""
    per_layer = keras_stack(keras, cfg)
    outputs = [str(tuple(v.shape)) for layer_outs in per_layer for v in layer_outs]
    states = ["h_t", "c_t"] if cfg.cell == "LSTM" else ["h_t"]
    directions = ["forward ", "backward "] if cfg.bidirectional else [""]
    steps, features = [], cfg.input_dim
    for index in range(cfg.layers):
        twin = getattr(keras.layers, cfg.cell)(cfg.units, return_sequences=True)
        shape = str(tuple(twin.compute_output_shape((cfg.batch_size, cfg.timesteps, features))))
        prefix = f"layer {index + 1} · " if cfg.layers > 1 else ""
        steps += [(f"{prefix}{d}{s}, every step", shape) for d in directions for s in states]
        features = int(per_layer[index][0].shape[-1])   # what the next layer reads
    return outputs, steps


def table_errors(table: str, headline: str, keras, cfg) -> list[str]:
    shown = rows(table)
    outputs, steps = expected_rows(keras, cfg)
    out_rows = [r for r in shown if not r["name"].endswith("every step")]
    step_rows = [r for r in shown if r["name"].endswith("every step")]
    errors = []
    if [r["shape"] for r in out_rows] != outputs:
        errors.append(f"output shapes {[r['shape'] for r in out_rows]} != Keras {outputs}")
    if [(r["name"], r["shape"]) for r in step_rows] != steps:
        errors.append(f"every-step rows {[(r['name'], r['shape']) for r in step_rows]} != {steps}")
    tolerance = float(re.search(r"within (\S+) \|", table).group(1))
    for r in shown:
        ok = float(r["diff"]) <= tolerance
        if ("pass" in r["verdict"]) != ok or ("fail" in r["verdict"]) == ok:
            errors.append(f"{r['name']}: {r['diff']} marked {r['verdict']}")
    worst = max(float(r["diff"]) for r in shown)
    if headline.startswith("PASS") != (worst <= tolerance):
        errors.append(f"headline {headline[:40]!r} with max diff {worst}")
    return errors


def shown_table(query: dict) -> tuple[str, str]:
    at = open_page("cross_check", **query)
    wait_for(at, lambda a: by_key(a, "crosscheck_table") is not None)
    table = at.get_by_key("crosscheck_table").markdown[0].value
    outcome = by_key(at, "crosscheck_outcome")
    headline = next(e.value for e in [*outcome.success, *outcome.error] if e.value.startswith(("PASS", "FAIL")))
    return table, headline


@pytest.mark.parametrize("query", CASES, ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()))
def test_cross_check_table_is_what_keras_returns(keras, query):
    table, headline = shown_table(query)
    assert table_errors(table, headline, keras, _config(query)) == []


def test_a_wrong_table_fails_the_oracle(keras):
    """Plant what a broken table could say: each must fail the check above."""
    query = CASES[3]
    cfg = _config(query)
    table, headline = shown_table(query)
    lines = table.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("| `"))
    swapped_layer = table.replace("layer 1 · h_t, every step", "layer 2 · h_t, every step", 1)
    wrong_shape = "\n".join(lines[:first] + [lines[first].replace("(2, 10, 8)", "(2, 8)")]
                            + lines[first + 1:])
    no_c_t = "\n".join(line for line in lines if "layer 2 · c_t" not in line)
    wrong_verdict = table.replace(":green[:material/check: pass]", ":red[:material/close: fail]", 1)
    for planted in (swapped_layer, wrong_shape, no_c_t, wrong_verdict):
        assert planted != table
        assert table_errors(planted, headline, keras, cfg), planted
    assert table_errors(table, "FAIL: " + headline, keras, cfg)
