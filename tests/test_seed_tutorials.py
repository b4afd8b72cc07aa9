"""The seed tutorials reproduced: their numbers came from real Keras; we check rnn_core against
both the printed numbers and live Keras."""
from __future__ import annotations

import numpy as np
import pytest

from formula_check import arithmetic, formula_total
from rnn_core import Sequential, initializers, layers

pytestmark = pytest.mark.keras  # compares with real TensorFlow/Keras


def _seed_000_models(L):
    """The three model.summary() tables of seed 000, built with the layer module L
    (rnn_core.layers or keras.layers); returns [(layers, input_shape, total, per-layer params)]."""
    return [
        ([L.Embedding(input_dim=1000, output_dim=64), L.LSTM(128), L.Dense(10, activation="softmax")],
         (None, None), 164_106, [64_000, 98_816, 1_290]),
        ([L.Embedding(input_dim=1000, output_dim=64), L.GRU(256, return_sequences=True),
          L.SimpleRNN(128, return_sequences=False), L.Dense(10, activation="softmax")],
         (None, None), 361_866, [64_000, 247_296, 49_280, 1_290]),
        ([L.Bidirectional(L.LSTM(64, return_sequences=True)), L.Bidirectional(L.LSTM(32)),
          L.Dense(10, activation="softmax")],
         (None, 5, 10), 80_266, [38_400, 41_216, 650]),
    ]


SEED_000_SHAPES = [
    [(None, None, 64), (None, 128), (None, 10)],
    [(None, None, 64), (None, None, 256), (None, 128), (None, 10)],
    [(None, 5, 128), (None, 64), (None, 10)],
]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_seed_000_summary_tables(keras, index):
    ours_layers, input_shape, total, per_layer = _seed_000_models(layers)[index]
    keras_layers = _seed_000_models(keras.layers)[index][0]

    model = Sequential(ours_layers)
    model.build(input_shape)
    kmodel = keras.Sequential([keras.Input(shape=input_shape[1:])] + keras_layers)

    assert model.count_params() == total == kmodel.count_params()
    rows = model.summary_rows()
    assert [r["params"] for r in rows] == per_layer == [layer.count_params() for layer in kmodel.layers]
    assert [tuple(r["output_shape"]) for r in rows] == SEED_000_SHAPES[index] == \
        [tuple(layer.output.shape) for layer in kmodel.layers]
    text = model.summary(print_fn=lambda *_: None)
    assert f"{total:,}" in text
    # every layer explains its count, and the explanation's arithmetic gives Keras's count
    assert [formula_total(r["formula"]) for r in rows] == [(n, n) for n in per_layer]


def test_seed_001_simple_rnn_42_params(keras):
    ours = layers.SimpleRNN(3)
    ours.build((None, 2, 10))
    theirs = keras.layers.SimpleRNN(3)
    theirs.build((None, 2, 10))
    assert ours.count_params() == theirs.count_params() == 42  # 3 × (10 + 3) + 3
    assert formula_total(ours.param_formula()) == (42, 42)
    assert arithmetic(ours.param_formula(symbolic=True), units=3, input_dim=10) == 42
    # with a batch size in the shape (seed 001's batch_input_shape=(8, 2, 10)) nothing changes
    ours8 = layers.SimpleRNN(3, return_sequences=True)
    ours8.build((8, 2, 10))
    assert ours8.count_params() == 42
    assert ours8.compute_output_shape((8, 2, 10)) == (8, 2, 3)


# seed 004: train_X (1, 4, 5) and a Bidirectional LSTM(3) with kernel = recurrent = 0.1, bias 0
TRAIN_X = np.array([[[0.1, 4.2, 1.5, 1.1, 2.8], [1.0, 3.1, 2.5, 0.7, 1.1],
                     [0.3, 2.1, 1.5, 2.1, 0.1], [2.2, 1.4, 0.5, 0.9, 1.1]]], dtype=np.float32)
SEED_004_LAST = {  # return_sequences=False, return_state=True (In [11])
    "output": [0.6303139, 0.6303139, 0.6303139, 0.70387346, 0.70387346, 0.70387346],
    "forward_h": [0.6303139] * 3,
    "backward_h": [0.70387346] * 3,
}
SEED_004_SEQUENCE = [  # return_sequences=True (In [12]/[14])
    [0.35906476, 0.35906476, 0.35906476, 0.70387346, 0.70387346, 0.70387346],
    [0.5511133, 0.5511133, 0.5511133, 0.5886358, 0.5886358, 0.5886358],
    [0.5911575, 0.5911575, 0.5911575, 0.39516988, 0.39516988, 0.39516988],
    [0.6303139, 0.6303139, 0.6303139, 0.2194224, 0.2194224, 0.2194224],
]


def _seed_004_bilstm(L, inits, return_sequences):
    return L.Bidirectional(L.LSTM(3, return_sequences=return_sequences, return_state=True,
                                  kernel_initializer=inits.Constant(0.1), bias_initializer=inits.Constant(0.0),
                                  recurrent_initializer=inits.Constant(0.1)))


@pytest.mark.parametrize("return_sequences", [False, True])
def test_seed_004_bidirectional_lstm_constant_weights(keras, return_sequences):
    ours = _seed_004_bilstm(layers, initializers, return_sequences)(TRAIN_X)
    theirs = [np.asarray(t) for t in _seed_004_bilstm(keras.layers, keras.initializers, return_sequences)(TRAIN_X)]
    output, forward_h, forward_c, backward_h, backward_c = ours
    # against the numbers printed in the seed (7 significant digits)
    expected = SEED_004_SEQUENCE if return_sequences else SEED_004_LAST["output"]
    np.testing.assert_allclose(output[0], expected, atol=1e-6)
    np.testing.assert_allclose(forward_h[0], SEED_004_LAST["forward_h"], atol=1e-6)
    np.testing.assert_allclose(backward_h[0], SEED_004_LAST["backward_h"], atol=1e-6)
    # against live Keras, every output including the carries the seed does not print
    assert len(ours) == len(theirs) == 5
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_seed_004_shapes_for_every_return_flag(keras):
    """In [4]-[9]: the shapes of SimpleRNN/LSTM outputs for each return flag on (1, 4, 5)."""
    cases = [("SimpleRNN", False, False, [(1, 3)]), ("SimpleRNN", True, False, [(1, 4, 3)]),
             ("SimpleRNN", True, True, [(1, 4, 3), (1, 3)]), ("SimpleRNN", False, True, [(1, 3), (1, 3)]),
             ("LSTM", False, True, [(1, 3)] * 3), ("LSTM", True, True, [(1, 4, 3), (1, 3), (1, 3)])]
    for cell, rs, rst, shapes in cases:
        ours = getattr(layers, cell)(3, return_sequences=rs, return_state=rst)
        out = ours(TRAIN_X)
        got = [o.shape for o in out] if isinstance(out, list) else [out.shape]
        theirs = getattr(keras.layers, cell)(3, return_sequences=rs, return_state=rst)(TRAIN_X)
        want = [tuple(t.shape) for t in theirs] if isinstance(theirs, (list, tuple)) else [tuple(theirs.shape)]
        assert got == shapes == want, (cell, rs, rst)
        if rst and not rs:  # the output IS the last hidden state
            np.testing.assert_array_equal(out[0], out[1])
