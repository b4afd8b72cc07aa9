"""Bounded resources (issue 13.3): every request is sized before any work, and a request over
budget gets a message naming the limit and the size asked for, never a traceback."""
from __future__ import annotations

import re
import tomllib
import tracemalloc

import pytest
from app_helpers import ROOT, open_page
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_core import optimizers, training
from ui.classroom import builder
from ui.controls import inputs, keys
from ui.controls.settings import CELLS, Config
from ui.runtime import budget


def _errors(at) -> list[str]:
    return [e.value for e in at.error]


# --- pure checks ------------------------------------------------------------------------------
def test_lstm_100000_is_refused_before_anything_is_allocated():
    tracemalloc.start()
    with pytest.raises(budget.BudgetError) as err:
        builder.build("LSTM(100000)", "(None, 5, 64)")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 5 * budget.MB
    message = str(err.value)
    assert "LSTM(100000) on 64 features" in message and "GB for its weights" in message
    assert "this server allows 64 MB per request" in message


@pytest.mark.parametrize("spec, shape, named", [
    ("Embedding(1000000000, 64)", "(None, None)", "Embedding(1000000000, 64)"),
    ("TimeDistributed(Dense(100000))", "(None, 5, 1000)", "TimeDistributed(Dense(100000))"),
    ("Bidirectional(GRU(3000))", "(None, 5, 10)", "Bidirectional(GRU(3000))"),
    ("LSTM(8)", "(None, 5, 100000000)", "on 100000000 features"),
])
def test_every_builder_layer_kind_is_sized(spec, shape, named):
    with pytest.raises(budget.BudgetError, match="this server allows 64 MB") as err:
        builder.build(spec, shape)
    assert named in str(err.value)


def test_builder_text_is_bounded():
    with pytest.raises(ValueError, match="layers: got 2,001 characters, expected at most 2,000"):
        builder.build("#" * 2001, "(None, 5, 10)")
    with pytest.raises(ValueError, match="layers: got 31 lines"):
        builder.build("LSTM(1)\n" * 31, "(None, 5, 10)")
    with pytest.raises(ValueError, match="input_shape: got 101 characters"):
        builder.build("LSTM(1)", "(" + " " * 99 + ")")


LAYER = st.one_of(
    st.builds(lambda c, u, rs: f"{c}({u}, return_sequences={rs})", st.sampled_from(CELLS),
              st.integers(1, 40), st.just(True)),
    st.builds(lambda c, u: f"Bidirectional({c}({u}, return_sequences=True))", st.sampled_from(CELLS),
              st.integers(1, 20)),
    st.builds(lambda u: f"TimeDistributed(Dense({u}))", st.integers(1, 30)),
    st.builds(lambda u, b: f"Dense({u}, use_bias={b})", st.integers(1, 30), st.booleans()),
)


@settings(max_examples=40)
@given(layers=st.lists(LAYER, min_size=1, max_size=4), features=st.integers(1, 50))
def test_planned_params_equal_the_built_models_count(layers, features):
    """The estimate is exact: what check_model counts is what build allocates."""
    shape = (None, 7, features)
    model = builder.build("\n".join(layers), str(shape))
    assert budget.check_model(model.layers, shape) == model.count_params()


def _real_bytes(cfg: Config) -> tuple[int, int]:
    """(weights, weights + trace) bytes of the model the pages build for ``cfg``, measured on the
    arrays themselves: every weight, and each direction's x, h, c, gates and pre-activations."""
    from ui.runtime.lab import build_model
    model = build_model(cfg)
    weights = sum(w.nbytes for layer in model.layers for w in layer.get_weights())
    trace = 0
    for entry in model.trace(inputs.make_input(cfg)).recurrent:
        for one in entry.trace.directions:
            arrays = [one.x, one.h, *([one.c] if one.c is not None else []),
                      *one.gates.values(), *one.pre_activations.values()]
            trace += sum(a.nbytes for a in arrays)
    return weights, weights + trace


@settings(max_examples=40)
@given(cell=st.sampled_from(CELLS), units=st.integers(1, 12), timesteps=st.integers(1, 8),
       input_dim=st.integers(1, 6), batch_size=st.integers(1, 4), bidirectional=st.booleans(),
       merge_mode=st.sampled_from(["concat", "sum"]), n_layers=st.integers(1, 3),
       factor=st.sampled_from([0.5, 0.999, 1.0, 2.0]), of_weights=st.booleans())
def test_config_check_passes_exactly_when_the_real_memory_fits(
        cell, units, timesteps, input_dim, batch_size, bidirectional, merge_mode, n_layers, factor,
        of_weights):
    """The decision, against what the model really allocates (its arrays' nbytes), with the
    limit set around that size: at or under it passes, one byte over is refused, and the
    message names the size asked for, the limit and what to lower."""
    from unittest import mock
    cfg = Config(cell=cell, units=units, timesteps=timesteps, input_dim=input_dim,
                 batch_size=batch_size, bidirectional=bidirectional, merge_mode=merge_mode,
                 layers=n_layers)
    weights, total = _real_bytes(cfg)
    limit = int((weights if of_weights else total) * factor)
    with mock.patch.object(budget, "MEMORY_PER_REQUEST", limit):
        if total <= limit:
            budget.check_config(cfg)
            return
        with pytest.raises(budget.BudgetError) as err:
            budget.check_config(cfg)
    message = str(err.value)
    assert f"{cell}({units})" in message and f"allows {budget.size_text(limit)} per request" in message
    if weights > limit:
        assert f"needs {budget.size_text(weights)} for its weights" in message
        assert "lower units or input_dim" in message
    else:
        assert f"needs {budget.size_text(total)} for its weights and trace" in message
        assert f"batch_size {batch_size} × timesteps {timesteps}" in message


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("features, reset_after", [(3, True), (7, False)])
def test_recurrent_params_is_keras_count(keras, cell, features, reset_after):
    layer = getattr(keras.layers, cell)(5, **({"reset_after": reset_after} if cell == "GRU" else {}))
    layer.build((None, 4, features))
    assert budget.recurrent_params(cell, 5, features, reset_after=reset_after) == layer.count_params()


def test_trace_estimate_covers_a_real_trace():
    cfg = Config(cell="LSTM", units=16, timesteps=12, input_dim=5, batch_size=3)
    from ui.runtime.lab import build_layer
    trace = build_layer(cfg).trace(inputs.make_input(cfg))
    arrays = [trace.x, trace.h, trace.c, *trace.gates.values(), *trace.pre_activations.values()]
    real = sum(a.nbytes for a in arrays)
    estimate = budget.trace_bytes("LSTM", 3, 12, 5, 16)
    assert real == estimate  # x, h, c and every gate's pre-activation and activation


def test_defaults_and_seed_models_are_within_budget():
    budget.check_config(Config())
    for preset in builder.PRESETS.values():
        builder.build(preset.spec, preset.input_shape)
    data = training.char_dataset("hihello")
    budget.check_training("LSTM", 8, 1, data.vocab_size, *data.x_ids.shape, 5000)
    budget.check_gradient_flow(30, 16)


def test_training_over_budget_names_the_size_and_a_way_out():
    with pytest.raises(budget.BudgetError) as err:
        budget.check_training("LSTM", 256, 3, 58, 10, 40, 5000)
    message = str(err.value)
    assert "LSTM(256) × 3 layers" in message and "5,000 epochs" in message
    assert "this server allows 10 s per training run" in message
    with pytest.raises(budget.BudgetError, match=r"T = 100 and units = 64 .* allows 10 s per view"):
        budget.check_gradient_flow(100, 64)


@pytest.mark.parametrize("cell, units, depth, vocab, batch, timesteps", [
    ("LSTM", 256, 3, 58, 10, 40), ("GRU", 64, 1, 30, 4, 20), ("SimpleRNN", 512, 2, 80, 8, 60)])
def test_training_advice_is_the_largest_run_that_fits(cell, units, depth, vocab, batch, timesteps):
    """The budget decision, no clock: the refusal advises 'at most N epochs', and N epochs are
    accepted while N + 1 are refused (the real time is calibrated in bench/calibrate_budget.py)."""
    with pytest.raises(budget.BudgetError) as err:
        budget.check_training(cell, units, depth, vocab, batch, timesteps, 100_000)
    advised = int(re.search(r"at most ([\d,]+) epochs", str(err.value)).group(1).replace(",", ""))
    assert advised >= 1
    budget.check_training(cell, units, depth, vocab, batch, timesteps, advised)
    with pytest.raises(budget.BudgetError, match=f"{advised + 1:,} epochs needs about"):
        budget.check_training(cell, units, depth, vocab, batch, timesteps, advised + 1)


def test_train_stops_at_max_seconds():
    data = training.char_dataset("hihello")
    model = training.CharModel(data.vocab_size, "SimpleRNN", units=4)
    history = training.train(model, data, optimizers.get("SGD", learning_rate=0.1), 1000,
                             max_seconds=0.0)
    assert history.stopped and len(history.loss) == 1


def test_upload_limit_matches_the_server_setting():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * budget.MB == budget.UPLOAD_BYTES
    with pytest.raises(ValueError, match="csv: the file has 1.1 MB; this server accepts at most 1 MB"):
        inputs.parse_csv(b"1\n" * 600_000)


# --- on the pages -----------------------------------------------------------------------------
def test_an_oversized_config_from_the_url_is_an_error_naming_its_size():
    at = open_page("hidden_states", units="256", timesteps="200", batch_size="64", input_dim="128")
    assert any("needs 132.8 MB" in e and "64 MB per request" in e and "batch_size" in e
               for e in _errors(at)), _errors(at)


def test_the_model_builder_shows_the_budget_message():
    at = open_page("parameters")
    at.text_area(key="model_spec").input("Embedding(1000, 64)\nLSTM(100000)").run()
    assert not at.exception
    assert any("LSTM(100000) on 64 features" in e and "64 MB" in e for e in _errors(at)), _errors(at)


def test_training_over_budget_is_refused_before_the_first_epoch():
    at = open_page("training", units="256", train_depth="3", train_epochs="5000",
                   train_text="the quick brown fox jumps over the lazy dog " * 4)
    assert any("s per training run" in e and "5,000 epochs" in e for e in _errors(at)), _errors(at)
    assert keys.TRAIN_RESULT not in at.session_state


def test_gradient_flow_over_budget_is_refused():
    at = open_page("training", train_epochs="10", gf_timesteps="100", gf_units="64")
    assert any("gradient-flow view" in e and "10 s per view" in e for e in _errors(at)), _errors(at)


@pytest.mark.parametrize("error, shown", [(MemoryError(), "ran out of memory"),
                                          (RuntimeError("boom"), "(RuntimeError)")])
def test_an_unexpected_exception_is_a_message_not_a_traceback(monkeypatch, error, shown):
    import ui.runtime.lab

    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr(ui.runtime.lab, "build_model", fail)
    at = open_page("shapes")
    assert not at.exception
    assert any(shown in e for e in _errors(at)), _errors(at)


def test_an_exception_in_a_fragment_is_a_message_not_a_traceback(monkeypatch):
    """A fragment's reruns run outside the page's guard: each fragment carries its own."""
    import ui.runtime.status

    def fail(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(ui.runtime.status, "_status_line", fail)
    at = open_page("shapes")
    assert not at.exception
    assert any("(RuntimeError)" in e for e in _errors(at)), _errors(at)
