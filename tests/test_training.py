"""The character model trainer (seed 002's 'hihello'), sampling, the memory task and gradient flow.

Training is compared with Keras itself: the same model, weights and optimizer stepped with
``train_on_batch`` must end at the same weights.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from rnn_core import optimizers, training


@pytest.mark.keras
def test_hihello_dataset_is_the_seeds(keras):
    data = training.char_dataset("hihello", vocab=training.SEED_VOCAB)
    assert data.decode(data.x_ids[0]) == "hihell" and data.decode(data.y_ids[0]) == "ihello"
    # the seed's char_dic {'e': 0, 'i': 1, 'h': 2, 'o': 3, 'l': 4}: "hello" is [2 0 4 4 3]
    assert data.encode("hello").tolist() == [2, 0, 4, 4, 3]
    np.testing.assert_array_equal(data.one_hot(data.x_ids),
                                  keras.utils.to_categorical(data.x_ids, num_classes=5))


def test_long_text_is_cut_into_overlapping_windows():
    data = training.char_dataset("abcdefghij" * 3, seq_len=8)
    assert data.x_ids.shape[1] == 8 and data.x_ids.shape == data.y_ids.shape
    np.testing.assert_array_equal(data.x_ids[:, 1:], data.y_ids[:, :-1])
    assert data.decode(data.y_ids[-1])[-1] == "j"  # the last window reaches the end


@pytest.mark.parametrize("cell", ["SimpleRNN", "LSTM", "GRU"])
def test_hihello_learns_the_word(cell):
    data = training.char_dataset("hihello", vocab=training.SEED_VOCAB)
    model = training.CharModel(data.vocab_size, cell, units=8, seed=1)
    history = training.train(model, data, optimizers.Adam(0.05), epochs=300)
    assert history.loss[-1] < 0.05 < history.loss[0]
    assert data.decode(history.predictions[-1][0]) == "ihello"
    assert history.accuracy[-1] == 1.0


def test_thousand_hihello_epochs_take_at_most_3_seconds():
    """The issue's budget for the seed's model (SimpleRNN + TimeDistributed(Dense)), best of 2."""
    data = training.char_dataset("hihello", vocab=training.SEED_VOCAB)
    best = np.inf
    for _ in range(2):
        model = training.CharModel(data.vocab_size, "SimpleRNN", units=8, seed=0)
        start = time.perf_counter()
        training.train(model, data, optimizers.RMSprop(0.01), epochs=1000, callback=lambda *a: None, every=50)
        best = min(best, time.perf_counter() - start)
    assert best <= 3.0


def test_callback_runs_every_n_epochs_and_can_stop():
    data = training.char_dataset("hihello")
    model = training.CharModel(data.vocab_size, "GRU", units=4)
    seen = []

    def callback(epoch, history):
        seen.append((epoch, len(history.loss)))
        return epoch < 30

    history = training.train(model, data, optimizers.SGD(0.1), epochs=100, callback=callback, every=10)
    assert seen == [(10, 10), (20, 20), (30, 30)] and history.stopped


@pytest.mark.keras
@pytest.mark.parametrize("cell,depth,opt", [("SimpleRNN", 1, "rmsprop"), ("LSTM", 2, "adam"),
                                            ("GRU", 1, "sgd")])
def test_training_steps_match_keras_train_on_batch(cell, depth, opt, keras):
    """Same model, same weights, same optimizer: after 15 epochs every weight agrees with Keras."""
    data = training.char_dataset("hihello", vocab=training.SEED_VOCAB)
    model = training.CharModel(data.vocab_size, cell, units=4, depth=depth, seed=3, dtype="float64")
    kwargs = {"learning_rate": 0.05, "global_clipnorm": 1.0}
    if opt == "sgd":
        kwargs["momentum"] = 0.9
    ours = optimizers.get(opt, **kwargs)
    theirs = {"rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam,
              "sgd": keras.optimizers.SGD}[opt](**kwargs)
    kmodel = keras.Sequential(
        [keras.Input((None, data.vocab_size), dtype="float64")]
        + [getattr(keras.layers, cell)(4, return_sequences=True, dtype="float64") for _ in range(depth)]
        + [keras.layers.TimeDistributed(keras.layers.Dense(data.vocab_size, dtype="float64"), dtype="float64")])
    kmodel.set_weights([w.copy() for w in model.weights])
    kmodel.compile(optimizer=theirs, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True,
                                                                                     dtype="float64"))
    x = data.one_hot(data.x_ids, dtype="float64")
    history = training.train(model, data, ours, epochs=15)
    k_losses = [float(kmodel.train_on_batch(x, data.y_ids)) for _ in range(15)]
    np.testing.assert_allclose(history.loss, k_losses, rtol=1e-6)
    for a, b in zip(model.weights, kmodel.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-7, rtol=0)


def test_sampling_temperature():
    data = training.char_dataset("hihello", vocab=training.SEED_VOCAB)
    model = training.CharModel(data.vocab_size, "LSTM", units=8, seed=0)
    training.train(model, data, optimizers.Adam(0.05), epochs=200)
    cold, probs = training.sample(model, data, "h", 5, temperature=0.01, seed=0)
    assert cold == "ihell" and probs.shape == (5, data.vocab_size)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    hot = {training.sample(model, data, "h", 5, temperature=5.0, seed=s)[0] for s in range(10)}
    assert len(hot) > 1  # a flat distribution gives different strings
    _, hot_probs = training.sample(model, data, "h", 1, temperature=5.0, seed=0)
    assert hot_probs.max() < probs[0].max()
    with pytest.raises(ValueError, match="temperature"):
        training.sample(model, data, "h", 3, temperature=0)
    with pytest.raises(ValueError, match="text"):
        training.sample(model, data, "z", 3)


def test_memory_task():
    x, y = training.memory_task(7, n_symbols=3, batch=5, seed=1)
    assert x.shape == (5, 7, 4) and y.shape == (5,)
    np.testing.assert_array_equal(x[:, 0].argmax(-1), y)
    assert (x[:, 1:].argmax(-1) == 3).all()  # blanks after the first step


def _ratio(flow):
    """How much of the last step's gradient reaches the first step."""
    return flow.dL_dh[0] / flow.dL_dh[-1]


def test_simple_rnn_gradient_is_geometric_in_the_recurrent_scale():
    small, large = (training.gradient_flow("SimpleRNN", timesteps=30, recurrent_scale=s) for s in (0.5, 2.0))
    assert _ratio(small) < 1e-6  # vanishing: ~0.5^30
    assert _ratio(large) > 1  # exploding: earlier steps get *more* gradient than the last
    assert large.grad_norm > 10 * small.grad_norm
    assert small.dhT_dx.shape == (30,) and small.dhT_dx[0] < 1e-6 * small.dhT_dx[-1]


def test_gates_bound_the_gradient_and_their_bias_carries_it():
    for cell in ("LSTM", "GRU"):
        base, big = (training.gradient_flow(cell, timesteps=30, recurrent_scale=s) for s in (1.0, 3.0))
        assert big.grad_norm < 10 * base.grad_norm  # no explosion: sigmoid/tanh gates saturate
        ratios = [_ratio(training.gradient_flow(cell, timesteps=30, gate_bias=b)) for b in (0.0, 2.0, 5.0)]
        assert ratios[0] < ratios[1] < ratios[2]  # a gate held open carries the gradient back
    keras_lstm = training.gradient_flow("LSTM", timesteps=30)
    assert _ratio(keras_lstm) == pytest.approx(_ratio(training.gradient_flow("LSTM", timesteps=30, gate_bias=1.0)))


def test_clipping_caps_the_update_and_keeps_its_direction():
    flow = training.gradient_flow("SimpleRNN", timesteps=20, recurrent_scale=3.0, clipnorm=1.0,
                                  learning_rate=0.1)
    assert flow.grad_norm > 1.0
    assert flow.clipped_norm == pytest.approx(1.0)
    assert flow.update_norm == pytest.approx(0.1)
    assert flow.unclipped_update_norm == pytest.approx(0.1 * flow.grad_norm)


@pytest.mark.keras
def test_gradient_flow_matches_tensorflow(keras, tf):
    """‖∂L/∂h_t‖ and ‖∂h_T/∂x_t‖ from our BPTT vs GradientTape on the same Keras layer."""
    from oracle import keras_ref
    from rnn_core import layers

    timesteps, units, batch = 6, 3, 4
    flow = training.gradient_flow("GRU", timesteps=timesteps, units=units, batch=batch, n_symbols=2,
                                  recurrent_scale=1.5, seed=2)
    x, y = training.memory_task(timesteps, 2, batch, seed=2, dtype="float64")
    ours = layers.GRU(units, dtype="float64", seed=2)
    ours.build(x.shape)
    w = ours.get_weights()
    w[1] = w[1] * 1.5
    dense = layers.Dense(2, dtype="float64", seed=3)
    dense.build((None, units))
    dL_dh, dhT_dx = keras_ref.gradient_flow(keras, tf, w, dense.get_weights(), x, y, "GRU")
    np.testing.assert_allclose(flow.dL_dh, dL_dh, rtol=1e-9)
    np.testing.assert_allclose(flow.dhT_dx, dhT_dx, rtol=1e-9)
