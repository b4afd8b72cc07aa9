"""Every page through AppTest: it renders, and the shapes and numbers it shows are right.

Expected values come from real Keras, from first principles, or from the seed tutorials'
printed Keras output — never from the app itself.
"""
from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from app_helpers import (
    PAGES,
    array_after,
    open_page,
    panel_vector,
    plotly_figures,
    shapes_in,
    step_panel,
    texts,
)
from formula_check import arithmetic, formula_total


@pytest.mark.parametrize("page, cell", [(page, "LSTM") for page in PAGES] + [
    (page, cell) for page in ("hidden_states", "gates") for cell in ("SimpleRNN", "GRU")])
def test_every_page_renders_with_a_chart(page, cell):
    at = open_page(page, cell=cell)
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    assert plotly_figures(at), f"{page} drew no Plotly chart"


@pytest.mark.parametrize("page", ["hidden_states", "gates", "shapes"])
def test_bidirectional_stateful_and_backwards_pages_render(page):
    at = open_page(page, cell="GRU", bidirectional="true", merge_mode="None", return_state="true",
                   return_sequences="true", stateful="true", reset_after="false")
    assert not at.error
    at = open_page(page, cell="LSTM", go_backwards="true", return_sequences="true")
    assert not at.error


KERAS_CONFIGS = [
    dict(cell="LSTM", units=7, timesteps=5, input_dim=3, batch_size=2, return_sequences=True,
         return_state=True),
    dict(cell="GRU", units=4, timesteps=6, input_dim=2, batch_size=3, return_state=True),
    dict(cell="SimpleRNN", units=3, timesteps=4, input_dim=5, batch_size=1),
    dict(cell="LSTM", units=5, timesteps=3, input_dim=2, batch_size=2, bidirectional=True,
         return_state=True, return_sequences=True, merge_mode="concat"),
    dict(cell="GRU", units=5, timesteps=3, input_dim=2, batch_size=2, bidirectional=True,
         merge_mode="None"),
]


def _keras_layer(keras, cfg):
    flags = {k: cfg.get(k, False) for k in ("return_sequences", "return_state")}
    layer = getattr(keras.layers, cfg["cell"])(cfg["units"], **flags)
    if cfg.get("bidirectional"):
        merge = None if cfg.get("merge_mode") == "None" else cfg.get("merge_mode", "concat")
        layer = keras.layers.Bidirectional(layer, merge_mode=merge)
    return layer


@pytest.mark.parametrize("cfg", KERAS_CONFIGS, ids=lambda c: "-".join(
    f"{k}={v}" for k, v in c.items() if k in ("cell", "bidirectional", "merge_mode")))
def test_shapes_page_lists_keras_outputs_in_order(keras, cfg):
    at = open_page("shapes", **{k: str(v).lower() if isinstance(v, bool) else str(v)
                                for k, v in cfg.items()})
    shown = shapes_in(" ".join(texts(at.get_by_key("output_shapes"))))
    x = np.zeros((cfg["batch_size"], cfg["timesteps"], cfg["input_dim"]), np.float32)
    outputs = _keras_layer(keras, cfg)(x)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    assert shown == [tuple(o.shape) for o in outputs]


def test_shapes_page_keras_code_runs_and_prints_the_shapes(keras):
    cfg = KERAS_CONFIGS[0]
    at = open_page("shapes", **{k: str(v).lower() if isinstance(v, bool) else str(v)
                                for k, v in cfg.items()})
    code = next(c.value for c in at.code if "from keras import layers" in c.value)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "<keras code from the shapes page>", "exec"), {})  # noqa: S102
    shown = shapes_in(" ".join(texts(at.get_by_key("output_shapes"))))
    assert shapes_in(printed.getvalue()) == shown


PARAM_CONFIGS = [
    dict(cell="SimpleRNN", units=3, input_dim=10), dict(cell="LSTM", units=128, input_dim=64),
    dict(cell="GRU", units=8, input_dim=4), dict(cell="GRU", units=5, input_dim=3, reset_after=False),
    dict(cell="LSTM", units=6, input_dim=2, bidirectional=True)]


def _keras_count(keras, cfg, input_dim) -> int:
    layer = getattr(keras.layers, cfg["cell"])(
        cfg["units"], **({"reset_after": cfg["reset_after"]} if "reset_after" in cfg else {}))
    if cfg.get("bidirectional"):
        layer = keras.layers.Bidirectional(layer)
    layer.build((None, 5, input_dim))
    return layer.count_params()


@pytest.mark.parametrize("cfg", PARAM_CONFIGS, ids=lambda c: "-".join(map(str, c.values())))
def test_parameters_page_formula_adds_up_to_keras_count(keras, cfg):
    """The formula's own arithmetic (symbolic, and filled in) gives Keras's count; the total
    after '=' alone would not catch a wrong formula."""
    at = open_page("parameters", **{k: str(v).lower() if isinstance(v, bool) else str(v)
                                    for k, v in cfg.items()})
    expected = _keras_count(keras, cfg, cfg["input_dim"])
    assert at.subheader[0].value == f"Your layer: {expected:,} parameters"
    shown = texts(at.get_by_key("param_formula"))
    symbolic = next(t for t in shown if t.startswith("**Formula:**")).split("`")[1]
    filled = next(t for t in shown if t.startswith("**Filled in:**")).split("`")[1]
    assert formula_total(filled) == (expected, expected)
    assert arithmetic(symbolic, units=cfg["units"], input_dim=cfg["input_dim"]) == expected


def test_parameters_page_stack_formulas_add_up_to_keras_counts(keras):
    cfg = dict(cell="GRU", units=5, input_dim=3, layers=3)
    at = open_page("parameters", **{k: str(v) for k, v in cfg.items()})
    model = keras.Sequential([keras.Input((4, 3))] + [
        keras.layers.GRU(5, return_sequences=True) for _ in range(3)])
    counts = [layer.count_params() for layer in model.layers]
    table = next(t for t in texts(at.get_by_key("stack_params")) if t.startswith("| layer"))
    rows = [row.split(" | ") for row in table.splitlines()[2:-1]]  # one per layer, then total
    assert [formula_total(row[3].strip("`")) for row in rows] == [(n, n) for n in counts]
    assert [arithmetic(row[2].strip("`"), units=5, input_dim=int(row[1]))
            for row in rows] == counts
    assert f"**{sum(counts):,}**" in table.splitlines()[-1]


def test_parameters_page_counts_bidirectional_twice():
    at = open_page("parameters", cell="LSTM", units="64", input_dim="10", bidirectional="true")
    assert at.subheader[0].value == "Your layer: 38,400 parameters"   # seed 000's summary


@pytest.mark.parametrize("preset, seed_total", [
    ("seed000_lstm", "164,106"), ("seed000_gru", "361,866"),
    ("seed000_bidirectional", "80,266"), ("seed001_simple_rnn", "42")])
def test_model_builder_presets_reproduce_the_seed_summaries(preset, seed_total):
    at = open_page("parameters")
    at.selectbox(key="model_preset").select(preset).run()
    summary = at.get_by_key("model_summary").code[0].value
    assert f"Total params: {seed_total}" in summary      # as printed by Keras in the seeds
    assert not at.error


def test_model_builder_reports_bad_lines():
    at = open_page("parameters")
    at.text_area(key="model_spec").input("LSTM(128)\nConv2D(3)").run()
    assert not at.exception
    assert "line 2" in at.error[0].value and "Conv2D" in at.error[0].value


def _builder(spec: str, input_shape: str):
    at = open_page("parameters")
    at.text_area(key="model_spec").input(spec)
    at.text_input(key="model_input_shape").input(input_shape).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_model_builder_names_the_line_and_return_sequences(keras):
    """LSTM(8) on LSTM(8): Keras refuses the model (a ValueError about ndim); the page names the
    line that reads a sequence, the line that dropped the time axis and the flag."""
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        keras.Sequential([keras.Input((5, 4)), keras.layers.LSTM(8), keras.layers.LSTM(8)])
    at = _builder("LSTM(8)\nLSTM(8)", "(None, 5, 4)")
    assert [e.value for e in at.error] == [
        "line 2: LSTM(8) reads a 3-D sequence (batch, timesteps, features), but line 1's LSTM "
        "returns only its last state (None, 8): add return_sequences=True to line 1"]
    # the advice works: Keras accepts the model with the flag, and the page agrees on its count
    kmodel = keras.Sequential([keras.Input((5, 4)), keras.layers.LSTM(8, return_sequences=True),
                               keras.layers.LSTM(8)])
    at = _builder("LSTM(8, return_sequences=True)\nLSTM(8)", "(None, 5, 4)")
    assert not at.error
    assert f"Total params: {kmodel.count_params():,}" in at.get_by_key("model_summary").code[0].value


@pytest.mark.parametrize("spec, input_shape", [
    ("LSTM(8)\nDense(3)", "Input(shape=(5, 4))"),                 # Keras's form, no batch axis
    ("Input(shape=(5, 4))\nLSTM(8)\nDense(3)", "(None, None)"),   # as the first line, as in Keras
    ("keras.Input(shape=(5, 4))\nlayers.LSTM(8)\nlayers.Dense(3)", "(None, None)"),
    ("LSTM(8)\nDense(3)", "(None, 5, 4)"),                         # the batch-first form still works
])
def test_model_builder_accepts_keras_input_shape(keras, spec, input_shape):
    kmodel = keras.Sequential([keras.Input(shape=(5, 4)), keras.layers.LSTM(8), keras.layers.Dense(3)])
    at = _builder(spec, input_shape)
    assert not at.error, [e.value for e in at.error]
    summary = at.get_by_key("model_summary").code[0].value
    assert f"Total params: {kmodel.count_params():,}" in summary
    assert shapes_in(summary) == [tuple(layer.output.shape) for layer in kmodel.layers]


def test_hidden_states_reproduce_seed004_bidirectional_lstm():
    """Seed 004's notebook: Bidirectional(LSTM(3, ...)) with constant 0.1 weights on train_X."""
    at = open_page("hidden_states", preset="train_X", init="constant", cell="LSTM", units="3",
                   bidirectional="true", return_sequences="true", return_state="true")
    block = at.get_by_key("layer_outputs").code[0].value
    printed_by_keras = np.array([  # the notebook's output, In [14]
        [0.35906476, 0.35906476, 0.35906476, 0.70387346, 0.70387346, 0.70387346],
        [0.5511133, 0.5511133, 0.5511133, 0.5886358, 0.5886358, 0.5886358],
        [0.5911575, 0.5911575, 0.5911575, 0.39516988, 0.39516988, 0.39516988],
        [0.6303139, 0.6303139, 0.6303139, 0.2194224, 0.2194224, 0.2194224]])
    np.testing.assert_allclose(array_after(block, "output")[0], printed_by_keras, atol=1e-6)
    np.testing.assert_allclose(array_after(block, "forward_h"), [[0.6303139] * 3], atol=1e-6)
    np.testing.assert_allclose(array_after(block, "backward_h"), [[0.70387346] * 3], atol=1e-6)


def _first_principles_simple_rnn(x, kernel, recurrent_kernel, bias):
    h = np.zeros(kernel.shape[1])
    out = []
    for x_t in x:
        h = np.tanh(x_t @ kernel + h @ recurrent_kernel + bias)
        out.append(h)
    return np.array(out)  # (timesteps, units)


def test_hidden_states_equation_shows_the_numbers_of_step_k(keras):
    from ui.controls import inputs, settings
    from ui.runtime import lab

    query = dict(cell="SimpleRNN", units="3", input_dim="2", timesteps="4", batch_size="1",
                 seed="5", step="2")
    at = open_page("hidden_states", **query)
    cfg = settings.Config(cell="SimpleRNN", units=3, input_dim=2, timesteps=4, batch_size=1, seed=5)
    weights = lab.build_layer(cfg).get_weights()        # weights are an input; outputs by Keras
    x = inputs.make_input(cfg)
    klayer = keras.layers.SimpleRNN(3, return_sequences=True)
    klayer.build((None, 4, 2))
    klayer.set_weights(weights)
    h_keras = np.asarray(klayer(x))[0]                  # (timesteps, units)
    np.testing.assert_allclose(h_keras, _first_principles_simple_rnn(x[0], *weights), atol=1e-5)
    panel = step_panel(at, "step_through")              # the URL's step=2 is where the page starts
    assert "step k = 2" in panel
    np.testing.assert_allclose(panel_vector(panel, "h_t"), h_keras[2], atol=0.006)  # 2 decimals
    np.testing.assert_allclose(panel_vector(panel, "x_t"), x[0, 2], atol=0.006)
    np.testing.assert_allclose(panel_vector(panel, "h_prev"), h_keras[1], atol=0.006)
    # every other frame's equations travel with the chart: step 3 reads h_2 as h_{t-1}
    np.testing.assert_allclose(panel_vector(step_panel(at, "step_through", 3), "h_prev"),
                               h_keras[2], atol=0.006)


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_gates_page_first_step_gates_match_first_principles(cell):
    from ui.controls import inputs, settings
    from ui.runtime import lab

    at = open_page("gates", cell=cell, units="3", input_dim="2", timesteps="4", batch_size="1",
                   step="0")
    cfg = settings.Config(cell=cell, units=3, input_dim=2, timesteps=4, batch_size=1)
    kernel, _, bias = lab.build_layer(cfg).get_weights()
    x0 = inputs.make_input(cfg)[0, 0]
    b = bias.sum(axis=0) if cell == "GRU" else bias      # GRU reset_after: both bias rows add
    z = x0 @ kernel + b                                   # h_{-1} = 0: only the input part
    first = _sigmoid(z[:3])                               # LSTM input gate / GRU update gate
    panel = step_panel(at, "gates_step_through")
    np.testing.assert_allclose(panel_vector(panel, "input" if cell == "LSTM" else "update"),
                               first, atol=0.006)
    if cell == "LSTM":  # the forget gate prints b_f with its value: 1 (unit_forget_bias)
        np.testing.assert_allclose(panel_vector(panel, "b_f"), bias[3:6], atol=0.006)
        assert np.all(panel_vector(panel, "b_f") == 1.0)
    assert plotly_figures(at)


def test_gates_page_shows_unit_forget_bias_effect():
    at = open_page("gates", cell="LSTM", init="constant", units="2", input_dim="1",
                   timesteps="3", batch_size="1", preset="sine")
    # sine input at t=0 is sin(0)=0 and h_{-1}=0: every pre-activation is the bias alone,
    # so the forget gate starts at σ(1) with unit_forget_bias and at σ(0) without.
    metrics = {m.label: float(m.value) for m in at.metric}
    on = metrics["mean forget gate, unit_forget_bias=True"]
    off = metrics["mean forget gate, unit_forget_bias=False"]
    assert on > off
    at.toggle(key="show_effect").set_value(True).run()
    charts = plotly_figures(at)
    effect = next(f for f in charts if any("unit_forget_bias" in (t.get("name") or "")
                                           for t in f["data"]))
    assert len(effect["data"]) == 4


def test_gates_page_reset_after_changes_the_parameter_count():
    at = open_page("gates", cell="GRU", units="4", input_dim="3")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["parameters, reset_after=True"] == f"{3 * (4 * (3 + 4) + 2 * 4):,}"
    assert metrics["parameters, reset_after=False"] == f"{3 * (4 * (3 + 4) + 4):,}"


def test_cross_check_timing_says_it_compares_warm_calls():
    from rnn_core import crosscheck

    at = open_page("cross_check")
    caption = next(c.value for c in at.caption if "median of" in c.value)
    assert caption.startswith(f"Warm calls on both sides: each bar is the median of "
                              f"{crosscheck.TIMING_REPEATS} forward calls")
    assert "first call that is not counted" in caption


def test_cross_check_page_reports_tensorflow_agreement(keras):
    from app_helpers import by_key, wait_for

    at = open_page("cross_check", cell="GRU", units="5", return_sequences="true",
                   return_state="true")
    wait_for(at, lambda a: by_key(a, "crosscheck_table") is not None)
    table = at.get_by_key("crosscheck_table").markdown[0].value
    rows = [r for r in table.splitlines() if r.startswith("| `")]
    assert [r.split("`")[1] for r in rows] == ["whole_sequence_output", "final_state",
                                               "h_t, every step"]
    diffs = [float(r.split("|")[3]) for r in rows]
    assert all(d <= 1e-5 for d in diffs)
    assert "pass" in table and "fail" not in table
    assert any(m.label == "TensorFlow ran on" and m.value == "CPU" for m in at.metric)
    versions = next(m.value for m in at.markdown if m.value.startswith("**Versions:**"))
    assert keras.__version__ in versions
    status = " ".join(texts(at.get_by_key("crosscheck_status")))
    assert "TensorFlow agrees" in status and "on CPU" in status


def test_pages_work_without_tensorflow(monkeypatch):
    from rnn_core import crosscheck

    monkeypatch.setattr(crosscheck, "is_available", lambda: False)
    at = open_page("cross_check")
    assert any("pip install tensorflow" in c.value for c in at.code)
    assert plotly_figures(at)
    for page in ("home", "shapes", "hidden_states"):
        at = open_page(page)
        status = " ".join(texts(at.get_by_key("crosscheck_status")))
        assert "not installed" in status


def test_shapes_keras_code_reproduces_the_page_with_its_input_and_weights(keras):
    """The code on /shapes runs in Keras and prints the numbers the page's layer returns."""
    import contextlib
    import io

    from ui.controls import inputs, settings
    from ui.runtime import lab
    at = open_page("shapes", cell="GRU", units="3", timesteps="4", input_dim="2", batch_size="1",
                   preset="sine")
    code = at.get_by_key("shapes_keras_code").code[0].value
    assert "set_weights" in code and "sine_waves(1, 4, 2)" in code
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, "shapes_keras_code", "exec"), {"__name__": "rnnlab_shapes"})  # noqa: S102
    cfg = settings.Config(cell="GRU", units=3, timesteps=4, input_dim=2, batch_size=1, preset="sine")
    ours = lab.build_layer(cfg)(inputs.make_input(cfg))             # (1, 3), the page's layer
    shown = array_after(printed.getvalue(), "last_output")
    np.testing.assert_allclose(shown, np.asarray(ours), atol=1e-5)
