"""Bounded resources (issue 13.3): every request is sized before any work, and a request over
budget gets a message naming the limit and the size asked for, never a traceback."""
from __future__ import annotations

import tomllib
import tracemalloc

import pytest
from hypothesis import given, settings, strategies as st

from app_helpers import ROOT, open_page
from rnn_core import optimizers, training
from ui import budget, builder, inputs
from ui.settings import CELLS, LIMITS, Config


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


@settings(max_examples=60)
@given(cell=st.sampled_from(CELLS), units=st.integers(*LIMITS["units"]),
       timesteps=st.integers(*LIMITS["timesteps"]), input_dim=st.integers(*LIMITS["input_dim"]),
       batch_size=st.integers(*LIMITS["batch_size"]), bidirectional=st.booleans())
def test_config_check_passes_exactly_when_the_estimate_fits(cell, units, timesteps, input_dim,
                                                            batch_size, bidirectional):
    cfg = Config(cell=cell, units=units, timesteps=timesteps, input_dim=input_dim,
                 batch_size=batch_size, bidirectional=bidirectional)
    d = 2 if bidirectional else 1
    need = d * (budget.recurrent_params(cell, units, input_dim) * 4
                + budget.trace_bytes(cell, batch_size, timesteps, input_dim, units))
    if need <= budget.MEMORY_PER_REQUEST:
        budget.check_config(cfg)
    else:
        with pytest.raises(budget.BudgetError) as err:
            budget.check_config(cfg)
        message = str(err.value)
        for named in (f"{cell}({units})", f"batch_size {batch_size}", f"timesteps {timesteps}",
                      "64 MB per request"):
            assert named in message


def test_trace_estimate_covers_a_real_trace():
    cfg = Config(cell="LSTM", units=16, timesteps=12, input_dim=5, batch_size=3)
    from ui.lab import build_layer
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


def test_training_estimate_is_not_below_the_real_time():
    """How the constants were calibrated: run a flop-heavy and a step-heavy model, compare."""
    import time
    for cell, units, text, epochs in (("LSTM", 128, "abcdefghij" * 10, 3), ("GRU", 8, "hihello", 200)):
        data = training.char_dataset(text, seq_len=40 if len(text) > 41 else None)
        model = training.CharModel(data.vocab_size, cell, units=units)
        start = time.perf_counter()
        training.train(model, data, optimizers.get("Adam", learning_rate=0.01), epochs, every=epochs)
        real = time.perf_counter() - start
        estimate = budget.training_seconds(cell, units, 1, data.vocab_size, *data.x_ids.shape, epochs)
        assert estimate >= 0.5 * real, (cell, units, estimate, real)


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
    assert "_train_result" not in at.session_state


def test_gradient_flow_over_budget_is_refused():
    at = open_page("training", train_epochs="10", gf_timesteps="100", gf_units="64")
    assert any("gradient-flow view" in e and "10 s per view" in e for e in _errors(at)), _errors(at)


@pytest.mark.parametrize("error, shown", [(MemoryError(), "ran out of memory"),
                                          (RuntimeError("boom"), "(RuntimeError)")])
def test_an_unexpected_exception_is_a_message_not_a_traceback(monkeypatch, error, shown):
    import ui.lab

    def fail(*args, **kwargs):
        raise error
    monkeypatch.setattr(ui.lab, "build_model", fail)
    at = open_page("shapes")
    assert not at.exception
    assert any(shown in e for e in _errors(at)), _errors(at)
