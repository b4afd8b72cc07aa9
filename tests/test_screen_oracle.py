"""The screen oracle over a matrix of configurations: every chart of the layer's numbers, as the
browser receives it, has a hover label on every value that names (quantity, sample, layer,
direction, step, unit), and that value is the one real Keras computes for what the label names.

Labels are decoded from their text only (tests/oracle/labels.py); the expected numbers come from
Keras layers built here from the page's settings (the URL the page writes) with our layers'
weights (tests/oracle/keras_ref.py: states from Keras's cells, gates from the textbook
equations in NumPy on Keras's weights and Keras's previous states: an oracle independent of
rnn_core). The matrix covers each axis (cells, Bidirectional with every merge_mode,
go_backwards, stateful, stacks of 2 and 3, lengths, the presets, the pages) without the full
product; the flip tests show that a wrong label fails it.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import re

import numpy as np
import pytest
from app_helpers import chart_elements, open_page
from oracle import keras_ref
from oracle.labels import (LabelError, _points, fill, hoverable, parse, readings, step_frames,
                           traces_and_frames)

from ui.runtime import chart

pytestmark = pytest.mark.keras  # compares with real TensorFlow/Keras

# Charts that show the layer's numbers per (sample, layer, direction, step, unit): the oracle
# reads every value of these. The others are named with why they are out of its scope.
LABELLED = {"step_through", "gates_step_through", "sequence_vs_final", "bidirectional_chart",
            "stateful_chart", "masked_states", "ed_states"}
NOT_PER_UNIT = {
    "saturation": "histogram counts over all samples, steps and units: its own oracle below",
    "toggle_effect": "means over units and samples of two other layers (flag on vs off); its "
                     "numbers: tests/test_readout_oracle.py",
    "data_flow": "a diagram of shapes", "stack_flow": "a diagram of shapes",
    "handover": "a diagram of shapes", "weights": "the weights: inputs, not results",
}

MATRIX = [  # (page, query): each axis at least once
    ("hidden_states", dict(cell="LSTM", units="3", timesteps="5")),
    ("gates", dict(cell="LSTM", units="3", timesteps="5", sample="1")),
    ("gates", dict(cell="GRU", units="4", timesteps="6", go_backwards="true", lengths="6,3",
                   reset_after="false")),
    ("hidden_states", dict(cell="GRU", units="3", timesteps="6", go_backwards="true",
                           lengths="6,3", sample="1", show_stateful="true")),
    ("hidden_states", dict(cell="SimpleRNN", units="3", timesteps="5", layers="3",
                           layer_index="2", preset="sine", sample="1")),
    ("gates", dict(cell="LSTM", units="2", timesteps="6", layers="2", layer_index="1",
                   lengths="4,6", preset="sine")),
    ("hidden_states", dict(cell="LSTM", units="2", bidirectional="true", merge_mode="concat",
                           timesteps="5", lengths="3,5", return_sequences="true")),
    ("hidden_states", dict(cell="GRU", units="3", bidirectional="true", merge_mode="sum",
                           layers="2", layer_index="1", timesteps="4")),
    ("hidden_states", dict(cell="SimpleRNN", units="3", bidirectional="true", merge_mode="mul",
                           preset="word", word="hello")),
    ("hidden_states", dict(cell="LSTM", units="2", bidirectional="true", merge_mode="ave",
                           timesteps="4", lengths="4,2", sample="1")),
    ("gates", dict(cell="GRU", units="2", bidirectional="true", merge_mode="None",
                   return_sequences="true", timesteps="4")),
    ("hidden_states", dict(cell="LSTM", units="3", stateful="true", preset="train_X")),
    ("shapes", dict(cell="LSTM", units="3", layers="2", lengths="3,6", timesteps="6")),
    ("shapes", dict(cell="GRU", units="2", layers="3", bidirectional="true", lengths="2,4",
                    timesteps="4")),
    ("encoder_decoder", dict(cell="LSTM", units="3", timesteps="5")),
    ("encoder_decoder", dict(cell="GRU", units="3", lengths="4,6", timesteps="6")),
]
_REFERENCES: dict = {}  # one Keras twin per (page kind, settings): shared by the tests


def _query(at) -> dict:
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in dict(at.query_params).items()}


def page_settings(at):
    """The page's settings as it wrote them into its URL (Config, ViewSettings)."""
    from ui.controls.settings import Config, ViewSettings
    query = _query(at)
    cfg, _ = Config.from_query(query)
    view, _ = ViewSettings.from_query(query)
    return cfg, view


def reference(keras, page: str, at) -> keras_ref.Reference:
    """Keras's numbers for the page's settings (cached per configuration)."""
    from ui.controls import inputs
    from ui.runtime import lab
    cfg, view = page_settings(at)
    key = (page == "encoder_decoder", cfg, view.decoder_timesteps if page == "encoder_decoder" else 0)
    if key not in _REFERENCES:
        x = lab.pad(inputs.make_input(cfg), cfg.valid_lengths())     # (batch, T, input_dim): an input
        if page == "encoder_decoder":
            encoder, decoder = lab.encoder_decoder(cfg)
            y = inputs.decoder_input(cfg, view.decoder_timesteps)
            encoder.build(x.shape)
            decoder.build(y.shape)
            ref = keras_ref.encoder_decoder_reference(keras, cfg, x, y, encoder, decoder)
        else:
            ref = keras_ref.stack_reference(keras, cfg, x, lab.build_model(cfg))
            ref.notes.update(_stateful_runs(keras, cfg, x))
        _REFERENCES[key] = ref
    return _REFERENCES[key]


def _stateful_runs(keras, cfg, x) -> dict:
    """/hidden_states' stateful section: the same three chunks the page feeds (inputs), Keras's h."""
    from ui.controls import inputs
    from ui.runtime import lab
    n, timesteps = 3, cfg.timesteps
    if cfg.preset in ("random", "sine"):
        chunks = np.split(inputs.make_input(dataclasses.replace(cfg, timesteps=n * timesteps)), n, axis=1)
    else:
        chunks = [x] * n
    weights = lab.build_layer(dataclasses.replace(cfg, bidirectional=False, stateful=True)).get_weights()
    single = dataclasses.replace(cfg, bidirectional=False, layers=1, lengths="")
    return keras_ref.stateful_runs(keras, single, chunks, weights)


def oracle(keras, page: str, at) -> tuple[list[str], int]:
    """(every problem the oracle finds on the page's charts, how many values it read)."""
    ref = reference(keras, page, at)
    problems, count = [], 0
    for data in chart_elements(at):
        key = data["key"]
        if key in NOT_PER_UNIT:
            continue
        if key not in LABELLED:
            problems.append(f"{key}: a chart the oracle does not know (label it, or say why not)")
            continue
        found, bad = readings(json.loads(data["figure"]))
        problems += [f"{key}: {b}" for b in bad]
        problems += [f"{key}: {w}" for w in keras_ref.check(found, ref)]
        count += len(found)
    return problems, count


@pytest.mark.parametrize("page, query", MATRIX, ids=[f"{p}-{'-'.join(f'{k}={v}' for k, v in q.items())}"
                                                      for p, q in MATRIX])
def test_every_charted_value_is_what_keras_computes(keras, page, query):
    at = open_page(page, **query)
    problems, count = oracle(keras, page, at)
    assert not problems, "\n".join(problems[:20]) + f"\n({len(problems)} problems)"
    assert count > 0
    cfg, view = page_settings(at)
    shown = {d["key"] for d in chart_elements(at)}
    if page in ("hidden_states", "gates"):
        assert {"step_through", "gates_step_through"} & shown
    if cfg.stateful or view.show_stateful:
        assert page != "hidden_states" or "stateful_chart" in shown


# --- the oracle can fail ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gates_page(keras):
    at = open_page("gates", cell="LSTM", units="3", timesteps="5", sample="1")
    return at, reference(keras, "gates", at)


def _figure(at, key):
    return next(json.loads(d["figure"]) for d in chart_elements(at) if d["key"] == key)


def _swap_units(fig):
    """Swap the unit labels 0 and 1 of a block below the first (its customdata rows)."""
    trace = next(t for t in fig["data"] if t.get("customdata") is not None)
    from oracle.labels import array
    custom = array(trace["customdata"]).copy()
    custom[[0, 1]] = custom[[1, 0]]
    trace["customdata"] = custom.tolist()


def _upside_down(fig):
    """The original /hidden_states bug: rows reversed, labels still 'unit %{y}'."""
    from oracle.labels import array
    for trace in fig["data"]:
        if trace["type"] == "heatmap":
            trace["z"] = array(trace["z"])[::-1].tolist()  # the frames are built from it


def _retemplate(old, new):
    def mutate(fig):
        for trace in fig["data"]:
            if old in (trace.get("hovertemplate") or ""):
                trace["hovertemplate"] = trace["hovertemplate"].replace(old, new)
                return
        raise AssertionError(f"{old!r} not in any label")
    return mutate


def _shift_steps(fig):
    trace = next(t for t in fig["data"] if t["type"] == "heatmap")
    trace["x0"] = 1


@pytest.mark.parametrize("mutate", [_swap_units, _upside_down, _retemplate("sample 1", "sample 0"),
                                    _retemplate("layer 1", "layer 2"),
                                    _retemplate("forget · ", "input · "), _shift_steps],
                         ids=["units swapped", "rows upside down", "wrong sample", "wrong layer",
                              "wrong gate", "steps shifted"])
def test_a_wrong_label_fails_the_oracle(gates_page, mutate):
    at, ref = gates_page
    fig = _figure(at, "gates_step_through")
    found, bad = readings(fig)
    assert not bad and not keras_ref.check(found, ref)              # the page itself is right
    broken = copy.deepcopy(fig)
    mutate(broken)
    found, bad = readings(broken)
    assert bad or keras_ref.check(found, ref), "the oracle missed a wrong label"


def _frame_cells(fig) -> dict[int, set]:
    """Step shown -> the (quantity, unit, step) of every labelled value its frame shows."""
    out = {}
    for where, trace in traces_and_frames(fig):
        if where.startswith("frame ") and hoverable(trace):
            k = int(where.split()[1])
            found, bad = readings({"data": [trace]})
            assert not bad, bad
            out.setdefault(k, set()).update((r.quantity, r.unit, r.index) for r in found)
    return out


@pytest.mark.parametrize("lines", [None, "h"])
def test_frame_k_shows_steps_0_to_k_and_nothing_later(lines):
    """The animation description as the oracle applies it (chart.js the same): the student at
    step k sees every unit of every quantity at steps 0..k, no later step; the lines too."""
    from ui.drawing import figures
    rng = np.random.default_rng(0)
    series = {name: rng.uniform(-1, 1, (6, 3)) for name in ("input", "forget", "c", "h")}
    fig = json.loads(chart.encode(figures.step_through(series, panels=[["input", "forget"],
                                                                       ["c", "h"]], cols=2,
                                                       lines=lines, start=2)))
    assert "frames" not in fig  # the browser builds them
    cells = _frame_cells(fig)
    assert sorted(cells) == list(range(6))
    for k, seen in cells.items():
        quantities = [figures.quantity(n) for n in series] + (["h_t"] if lines else [])
        assert seen == {(q, u, t) for q in quantities for u in range(3) for t in range(k + 1)}, k
    cursors = [part["x"] for frame in step_frames(fig) for i, part in
               zip(frame["traces"], frame["data"]) if i in fig["animation"]["cursor"]]
    assert cursors == [[k, k] for k in range(6) for _ in fig["animation"]["cursor"]]


def test_above_the_frame_budget_only_the_cursor_moves():
    from ui.drawing import figures
    timesteps = 400  # 400² × (16 rows + 8 lines) numbers in filled copies: over the budget
    fig = json.loads(chart.encode(figures.step_through({"h": np.zeros((timesteps, 16))},
                                                       lines="h")))
    assert fig["animation"]["fill"] == fig["animation"]["grow"] == []
    cells = _frame_cells(fig)
    assert cells == {}  # the frames move the unlabelled cursor only; the whole arrays show
    found, bad = readings(fig)
    assert not bad and len(found) == timesteps * (16 + 8)  # the lines: 8 of the 16 units


def test_labels_that_break_the_grammar_are_reported():
    with pytest.raises(LabelError):
        parse("h_t · sample 0 · layer 1 · step 3 · unit 0 = 0.1")  # no direction
    with pytest.raises(LabelError):
        parse("step 3<br>unit 0<br>0.100")                          # the old unnamed label
    r = parse("c_t · sample 1 · layer 2 · backward · time 3 · unit 4 · final state = −0.0310")
    assert (r.quantity, r.sample, r.layer, r.direction, r.order, r.index, r.unit, r.note,
            r.value) == ("c_t", 1, 2, "backward", "time", 3, 4, "final state", -0.031)


def test_the_layer_returns_heatmap_ticks_only_real_units():
    """A tick 4 for units 0–3 was drawn: the axis range leaves room above the last unit."""
    from ui.drawing import figures
    fig = figures.sequence_vs_final(np.zeros((5, 4)), True, "step 4")
    axis = fig["layout"]["yaxis"]
    if "tickvals" in axis:
        ticks = axis["tickvals"]
    else:  # what plotly.js draws from tick0/dtick over the range
        lo, hi = axis["range"]
        ticks = [t for t in np.arange(axis.get("tick0", 0), hi + 1e-9, axis["dtick"]) if t >= lo]
    assert max(ticks) <= 3 and min(ticks) >= 0


# --- /gates' saturation histograms: counts of Keras's activations --------------------------------
SATURATION_CASES = [dict(cell="LSTM", units="3", timesteps="5"),
                    dict(cell="GRU", units="4", timesteps="6", go_backwards="true", lengths="6,3",
                         reset_after="false"),
                    dict(cell="LSTM", units="2", timesteps="6", layers="2", layer_index="1",
                         preset="sine", bidirectional="true"),
                    dict(cell="SimpleRNN", units="3", timesteps="5", preset="train_X")]


def saturation_problems(fig: dict, ref, layer: int) -> list[str]:
    """Each panel's bin counts and its "P% saturated" title, from the labels and titles alone,
    against Keras's activations of the layer's forward direction (all samples, steps, units).
    A value within 1e-6 of a bin edge (float32 vs float64) may fall on either side."""
    from ui.drawing.figures import SATURATION
    problems = []
    keras_values = ref.states[(layer, "forward")]                   # name -> (batch, T, units)
    bins: dict[str, list] = {}
    for trace in fig["data"]:
        for text in (fill(trace["hovertemplate"], p) for p in _points(trace)):
            name, lo, hi, count = re.fullmatch(r"(\w+)\n(\S+) to (\S+): (\d+) values", text).groups()
            bins.setdefault(name, []).append((float(lo), float(hi), int(count)))
    titles = dict(re.findall(r"(\w+): (\d+)% saturated", " ".join(
        a.get("text", "") for a in fig["layout"].get("annotations", []))))
    if set(bins) != set(titles) or not bins:
        problems.append(f"panels {sorted(bins)} vs titles {sorted(titles)}")
    for name, rows in bins.items():
        values = keras_values[{"h_t": "h"}.get(name, name)].ravel()  # (batch·T·units,)
        low = min(a for a, _, _ in rows)                                # 0 (σ) or -1 (tanh)
        for a, b, count in rows:
            last = b >= 1.0 - 1e-9                                      # numpy's last bin is closed
            inside = lambda lo, hi: int(np.sum((values >= lo) & ((values <= hi) if last else (values < hi))))
            if not inside(a + 1e-6, b - 1e-6) <= count <= inside(a - 1e-6, b + 1e-6):
                problems.append(f"{name} [{a:.3f}, {b:.3f}): {count} values, Keras {inside(a, b)}")
        if sum(c for _, _, c in rows) != values.size:
            problems.append(f"{name}: {sum(c for _, _, c in rows)} values for {values.size}")
        share = 100 * np.mean((values < low + SATURATION) | (values > 1 - SATURATION))
        if name in titles and abs(int(titles[name]) - share) > 0.5 + 1e-6:
            problems.append(f"{name}: {titles[name]}% saturated, Keras {share:.2f}%")
    return problems


@pytest.mark.parametrize("query", SATURATION_CASES, ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()))
def test_saturation_counts_are_keras_activations(keras, query):
    at = open_page("gates", **query)
    ref = reference(keras, "gates", at)
    layer = int(query.get("layer_index", 0)) + 1
    assert saturation_problems(_figure(at, "saturation"), ref, layer) == []


def test_a_wrong_histogram_fails_the_oracle(keras):
    at = open_page("gates", **SATURATION_CASES[0])
    ref = reference(keras, "gates", at)
    fig = _figure(at, "saturation")
    assert saturation_problems(fig, ref, 1) == []
    swapped = copy.deepcopy(fig)                    # the forget panel labelled input, and back
    for trace in swapped["data"]:
        trace["hovertemplate"] = (trace["hovertemplate"].replace("input<", "TMP<")
                                  .replace("forget<", "input<").replace("TMP<", "forget<"))
    from oracle.labels import array
    shifted = copy.deepcopy(fig)                    # counts one bin to the right
    shifted["data"][0]["y"] = np.roll(array(shifted["data"][0]["y"]), 1).tolist()
    retitled = copy.deepcopy(fig)
    for a in retitled["layout"]["annotations"]:
        a["text"] = re.sub(r"(\d+)% saturated", lambda m: f"{int(m[1]) + 7}% saturated", a.get("text", ""))
    for broken in (swapped, shifted, retitled):
        assert saturation_problems(broken, ref, 1), "the oracle missed a wrong histogram"
