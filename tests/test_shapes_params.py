"""Shapes, parameter counts and weight shapes against Keras's own compute_output_shape / count_params.

No forward pass here, so the search is wide and cheap (Keras layers are only built)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_core import layers

pytestmark = pytest.mark.keras  # compares with real TensorFlow/Keras

CELLS = layers.CELLS  # one per cell class in rnn_core
MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def normalize(shape):
    """Keras returns a tuple of tuples for several outputs; rnn_core a list of tuples."""
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple)):
        return [tuple(s) for s in shape]
    return tuple(shape)


@st.composite
def shape_configs(draw):
    cell = draw(st.sampled_from(CELLS))
    stateful = draw(st.booleans())
    bidirectional = draw(st.booleans())
    kw = dict(
        units=draw(st.integers(1, 64)),
        use_bias=draw(st.booleans()),
        return_sequences=draw(st.booleans()),
        return_state=draw(st.booleans()),
        go_backwards=False if bidirectional else draw(st.booleans()),
        stateful=stateful,
    )
    if cell == "GRU":
        kw["reset_after"] = draw(st.booleans())
    batch = draw(st.integers(1, 8)) if stateful else draw(st.one_of(st.none(), st.integers(1, 8)))
    timesteps = draw(st.one_of(st.none(), st.integers(1, 50)))
    input_dim = draw(st.integers(1, 32))
    merge_mode = draw(st.sampled_from(MERGE_MODES)) if bidirectional else None
    return cell, kw, bidirectional, merge_mode, (batch, timesteps, input_dim)


def build_pair(keras, cell, kw, bidirectional, merge_mode):
    ours = getattr(layers, cell)(**kw)
    theirs = getattr(keras.layers, cell)(**kw)
    if bidirectional:
        ours = layers.Bidirectional(ours, merge_mode=merge_mode)
        theirs = keras.layers.Bidirectional(theirs, merge_mode=merge_mode)
    return ours, theirs


@given(shape_configs())
@settings(max_examples=150)
def test_recurrent_shapes_and_params_match_keras(keras, config):
    cell, kw, bidirectional, merge_mode, input_shape = config
    ours, theirs = build_pair(keras, cell, kw, bidirectional, merge_mode)
    assert normalize(ours.compute_output_shape(input_shape)) == normalize(theirs.compute_output_shape(input_shape))
    ours.build(input_shape)
    theirs.build(input_shape)
    assert ours.count_params() == theirs.count_params()
    assert [tuple(w.shape) for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    # the same names Keras gives its variables (kernel, recurrent_kernel, bias), in the same order
    keras_names = [v.path.split("/")[-1] for v in theirs.weights]
    assert [n.split("_", 1)[-1] if bidirectional else n for n in ours.weight_names()] == keras_names
    n_outputs = len(normalize(theirs.compute_output_shape(input_shape))) if (
        kw["return_state"] or (bidirectional and merge_mode is None)) else 1
    assert len(ours.output_names()) == n_outputs


def test_output_names_follow_keras_order():
    lstm = layers.LSTM(3, return_sequences=True, return_state=True)
    assert lstm.output_names() == ["whole_sequence_output", "final_memory_state", "final_carry_state"]
    bi = layers.Bidirectional(layers.LSTM(3, return_state=True))
    assert bi.output_names() == ["output", "forward_h", "forward_c", "backward_h", "backward_c"]


@pytest.mark.parametrize("input_dim,output_dim,mask_zero", [(1000, 64, False), (7, 3, True), (1, 1, False)])
@pytest.mark.parametrize("input_shape", [(None, None), (4, None), (None, 12), (2, 5)])
def test_embedding_matches_keras(keras, input_dim, output_dim, mask_zero, input_shape):
    ours = layers.Embedding(input_dim, output_dim, mask_zero=mask_zero)
    theirs = keras.layers.Embedding(input_dim, output_dim, mask_zero=mask_zero)
    assert normalize(ours.compute_output_shape(input_shape)) == normalize(theirs.compute_output_shape(input_shape))
    ours.build(input_shape)
    theirs.build(input_shape)
    assert ours.count_params() == theirs.count_params() == input_dim * output_dim
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]


@given(units=st.integers(1, 64), use_bias=st.booleans(),
       input_shape=st.tuples(st.one_of(st.none(), st.integers(1, 8)), st.one_of(st.none(), st.integers(1, 50)),
                             st.integers(1, 32)),
       time_distributed=st.booleans(), rank2=st.booleans())
@settings(max_examples=60)
def test_dense_and_time_distributed_match_keras(keras, units, use_bias, input_shape, time_distributed, rank2):
    if rank2 and not time_distributed:
        input_shape = (input_shape[0], input_shape[2])  # Dense on (batch, features)
    ours = layers.Dense(units, use_bias=use_bias)
    theirs = keras.layers.Dense(units, use_bias=use_bias)
    if time_distributed:
        ours, theirs = layers.TimeDistributed(ours), keras.layers.TimeDistributed(theirs)
    assert normalize(ours.compute_output_shape(input_shape)) == normalize(theirs.compute_output_shape(input_shape))
    ours.build(input_shape)
    theirs.build(input_shape)
    assert ours.count_params() == theirs.count_params()
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]


def test_dense_and_time_distributed_values_match_keras(keras, rng):
    x = rng.normal(size=(2, 5, 3)).astype(np.float32)  # (batch, timesteps, features)
    for make in (lambda L: L.Dense(4, activation="softmax"), lambda L: L.TimeDistributed(L.Dense(4, activation="tanh"))):
        ours, theirs = make(layers), make(keras.layers)
        theirs.build((None, 5, 3))
        ours.build((None, 5, 3))
        ours.set_weights(theirs.get_weights())
        np.testing.assert_allclose(ours(x), np.asarray(theirs(x)), atol=1e-6)


def test_embedding_values_match_keras(keras, rng):
    ids = rng.integers(0, 10, size=(3, 6))  # (batch, timesteps) token ids
    ours, theirs = layers.Embedding(10, 4), keras.layers.Embedding(10, 4)
    theirs.build((None, 6))
    ours.build((None, 6))
    ours.set_weights(theirs.get_weights())
    np.testing.assert_array_equal(ours(ids), np.asarray(theirs(ids)))


@pytest.mark.parametrize("merge_mode", MERGE_MODES)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_mixed_backward_layer_shapes_follow_keras_outputs(keras, merge_mode, return_sequences):
    """LSTM(3) forward + GRU(4 or 3) backward: Keras's own compute_output_shape assumes both directions
    alike (it doubles the forward shape), so we compare with the shapes its call actually returns."""
    bw_units = 3 if merge_mode in ("sum", "mul", "ave") else 4  # elementwise merges need equal units
    kw = dict(return_sequences=return_sequences, return_state=True)

    def make(L):
        return L.Bidirectional(L.LSTM(3, **kw), backward_layer=L.GRU(bw_units, go_backwards=True, **kw),
                               merge_mode=merge_mode)

    x = np.ones((2, 5, 3), np.float32)  # (batch, timesteps, features)
    want = [tuple(o.shape) for o in make(keras.layers)(x)]
    ours = make(layers)
    assert [o.shape for o in ours(x)] == want
    assert normalize(ours.compute_output_shape((2, 5, 3))) == want
    assert len(ours.output_names()) == len(want)


SPEC = "LSTM(4, return_sequences=True)\nLSTM(4, return_sequences=True)\nGRU(3)\nDense(2)\nDense(2)"


def test_model_names_are_keras_names_and_depend_on_no_other_model(keras):
    """The model builder names layers as a fresh Keras session does (lstm, lstm_1, ...), and a
    second build (another session's, say) gets the same names: no counter is shared."""
    from ui.classroom import builder

    keras.backend.clear_session()  # Keras counts names per session: start one afresh
    theirs = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4, return_sequences=True),
                               keras.layers.LSTM(4, return_sequences=True), keras.layers.GRU(3),
                               keras.layers.Dense(2), keras.layers.Dense(2)])
    expected = [layer.name for layer in theirs.layers]
    first = [layer.name for layer in builder.build(SPEC, "(None, 5, 3)").layers]
    again = [layer.name for layer in builder.build(SPEC, "(None, 5, 3)").layers]
    assert first == again == expected


def test_stacked_cells_weight_paths_are_keras_paths(keras):
    keras.backend.clear_session()
    theirs = keras.layers.RNN([keras.layers.LSTMCell(2), keras.layers.LSTMCell(3)])
    theirs.build((None, 4, 3))
    ours = layers.RNN([layers.LSTMCell(2), layers.LSTMCell(3)]).build((None, 4, 3))
    assert ours.weight_names() == ["/".join(w.path.split("/")[-2:]) for w in theirs.weights]
