"""Bad inputs raise ValueError naming the argument and the value received (issue 2).

Where Keras refuses the same thing we check that too, so the rule we enforce is Keras's rule;
where we are stricter than Keras (silent broadcasting) the test says so."""
from __future__ import annotations

import re

import numpy as np
import pytest

from rnn_core import initializers, layers

pytestmark = pytest.mark.keras  # compares with real TensorFlow/Keras

CELLS = layers.CELLS  # one per cell class in rnn_core


def raises_naming(argument, value):
    """pytest.raises(ValueError) whose message names ``argument`` and shows ``value``."""
    return pytest.raises(ValueError, match=rf"{re.escape(argument)}[\s\S]*{re.escape(str(value))}")


def keras_refuses(fn, error, match):
    """Keras refuses too, with this exception type and a message matching ``match``: the same
    rule, not just any failure (a typo in the Keras call would raise something else)."""
    with pytest.raises(error, match=match):
        fn()


def matmul_error():
    """What TensorFlow raises when x's features do not fit the kernel (Keras checks nothing first)."""
    import tensorflow as tf
    return tf.errors.InvalidArgumentError


# --- constructor arguments ------------------------------------------------------------------------
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("units", [0, -3])
def test_units_below_one(keras, cell, units):
    with raises_naming("units", units):
        getattr(layers, cell)(units)
    keras_refuses(lambda: getattr(keras.layers, cell)(units), ValueError,
                  rf"argument `units`, expected a positive integer, got {units}")


@pytest.mark.parametrize("units", [2.5, "8", None, True])
def test_units_not_an_integer(units):
    with raises_naming("units", repr(units)[:3].strip("'")):
        layers.LSTM(units)


@pytest.mark.parametrize("argument", ["kernel_initializer", "recurrent_initializer", "bias_initializer"])
def test_unknown_initializer(keras, argument):
    with raises_naming(argument, "glorot_banana"):
        layers.GRU(4, **{argument: "glorot_banana"})
    keras_refuses(lambda: keras.layers.GRU(4, **{argument: "glorot_banana"}), ValueError,
                  "Could not interpret initializer identifier: glorot_banana")


def test_unknown_initializer_by_get():
    with raises_naming("initializer", "glorot_banana"):
        initializers.get("glorot_banana")


@pytest.mark.parametrize("argument,value", [("activation", "swishy"), ("recurrent_activation", "tanhh")])
def test_unknown_activation(argument, value):
    with raises_naming(argument, value):
        layers.LSTM(4, **{argument: value})


@pytest.mark.parametrize("flag", ["return_sequences", "return_state", "go_backwards", "stateful"])
def test_flags_must_be_bool(flag):
    with raises_naming(flag, "yes"):
        layers.SimpleRNN(2, **{flag: "yes"})


# --- Bidirectional -----------------------------------------------------------------------------------
@pytest.mark.parametrize("merge_mode", ["max", "CONCAT", "", 1])
def test_unknown_merge_mode(keras, merge_mode):
    with raises_naming("merge_mode", merge_mode):
        layers.Bidirectional(layers.LSTM(3), merge_mode=merge_mode)
    keras_refuses(lambda: keras.layers.Bidirectional(keras.layers.LSTM(3), merge_mode=merge_mode),
                  ValueError, rf"Invalid merge mode. Received: {re.escape(str(merge_mode))}\.")


def test_bidirectional_forward_go_backwards(keras):
    """Keras: 'Forward layer and backward layer should have different `go_backwards` value'."""
    with raises_naming("go_backwards", "True"):
        layers.Bidirectional(layers.LSTM(3, go_backwards=True))
    keras_refuses(lambda: keras.layers.Bidirectional(keras.layers.LSTM(3, go_backwards=True)), ValueError,
                  "should have different `go_backwards` value")


def test_bidirectional_backward_layer_same_direction(keras):
    with raises_naming("go_backwards", "False"):
        layers.Bidirectional(layers.LSTM(3), backward_layer=layers.LSTM(3))
    keras_refuses(lambda: keras.layers.Bidirectional(keras.layers.LSTM(3), backward_layer=keras.layers.LSTM(3)),
                  ValueError, "should have different `go_backwards` value")


@pytest.mark.parametrize("attribute", ["return_sequences", "return_state", "stateful"])
def test_bidirectional_backward_layer_flag_mismatch(keras, attribute):
    def make(L):
        return L.Bidirectional(L.GRU(3), backward_layer=L.GRU(3, go_backwards=True, **{attribute: True}))

    with raises_naming(attribute, "True"):
        make(layers)
    keras_refuses(lambda: make(keras.layers), ValueError,
                  f'the same value for attribute "{attribute}", got "False" for forward layer')


def test_bidirectional_needs_a_recurrent_layer():
    with pytest.raises(ValueError, match="layer"):
        layers.Bidirectional("LSTM")
    with pytest.raises(ValueError, match="backward_layer"):
        layers.Bidirectional(layers.LSTM(3), backward_layer="LSTM")


# --- inputs ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3), (4,), (1, 2, 3, 4)])
@pytest.mark.parametrize("cell", CELLS)
def test_wrong_input_rank(keras, cell, shape):
    x = np.ones(shape, np.float32)
    with raises_naming("x", shape):
        getattr(layers, cell)(2)(x)
    keras_refuses(lambda: getattr(keras.layers, cell)(2)(x), ValueError,
                  f"expected ndim=3, found ndim={len(shape)}")


@pytest.mark.parametrize("cell", CELLS)
def test_feature_size_mismatch_with_built_layer(keras, cell):
    layer = getattr(layers, cell)(2)
    layer.build((None, 4, 3))
    with raises_naming("x", (1, 4, 5)):
        layer(np.ones((1, 4, 5), np.float32))
    klayer = getattr(keras.layers, cell)(2)
    klayer.build((None, 4, 3))
    keras_refuses(lambda: klayer(np.ones((1, 4, 5), np.float32)), matmul_error(),
                  r"Matrix size-incompatible: In\[0\]: \[1,5\], In\[1\]: \[3,")


def test_feature_size_mismatch_in_bidirectional():
    layer = layers.Bidirectional(layers.LSTM(2))
    layer.build((None, 4, 3))
    with raises_naming("x", (1, 4, 5)):
        layer(np.ones((1, 4, 5), np.float32))


@pytest.mark.parametrize("cell,states,bad,keras_error", [
    ("LSTM", [(2, 3)], "1 array", (IndexError, "list index out of range")),  # LSTM needs h and c
    ("LSTM", [(2, 4), (2, 3)], "(2, 4)", ("matmul", "Matrix size-incompatible")),  # wrong units
    ("GRU", [(2, 3), (2, 3)], "2 array", None),    # GRU has one state; Keras silently uses the first
    ("SimpleRNN", [(2, 3, 1)], "(2, 3, 1)", ("matmul", "Matrix size-incompatible")),  # wrong rank
])
def test_bad_initial_state(keras, cell, states, bad, keras_error):
    x = np.ones((2, 5, 4), np.float32)
    init = [np.zeros(s, np.float32) for s in states]
    with raises_naming("initial_state", bad):
        getattr(layers, cell)(3)(x, initial_state=init)
    if keras_error:  # Keras fails only deep inside its call
        error, match = keras_error
        keras_refuses(lambda: getattr(keras.layers, cell)(3)(x, initial_state=init),
                      matmul_error() if error == "matmul" else error, match)
    else:  # stricter than Keras on purpose: nothing is dropped silently
        getattr(keras.layers, cell)(3)(x, initial_state=init)


def test_initial_state_batch_mismatch_is_refused_not_broadcast(keras):
    """Keras broadcasts a batch-1 state over batch 2 silently; issue 2 forbids silent broadcasting."""
    x = np.ones((2, 5, 4), np.float32)
    init = [np.zeros((1, 3), np.float32)] * 2
    with raises_naming("initial_state", "(1, 3)"):
        layers.LSTM(3)(x, initial_state=init)
    keras.layers.LSTM(3)(x, initial_state=init)  # Keras: no error


def test_bidirectional_initial_state_count():
    x = np.ones((2, 5, 4), np.float32)
    with raises_naming("initial_state", "2 array"):
        layers.Bidirectional(layers.LSTM(3))(x, initial_state=[np.zeros((2, 3), np.float32)] * 2)


@pytest.mark.parametrize("mask_shape", [(2, 4), (1, 5), (2, 5, 1)])
def test_bad_mask_shape(mask_shape):
    x = np.ones((2, 5, 4), np.float32)
    with raises_naming("mask", mask_shape):
        layers.GRU(3)(x, mask=np.ones(mask_shape, bool))


def test_stateful_needs_fixed_batch(keras):
    with raises_naming("input_shape", "None"):
        layers.LSTM(3, stateful=True).build((None, 5, 4))
    keras_refuses(lambda: keras.layers.LSTM(3, stateful=True).build((None, 5, 4)), ValueError,
                  "the batch size must be static")


def test_stateful_batch_change(keras):
    layer = layers.LSTM(3, stateful=True)
    layer(np.ones((2, 5, 4), np.float32))
    with raises_naming("x", "(3, 5, 4)"):
        layer(np.ones((3, 5, 4), np.float32))


def test_set_weights_wrong_shape(keras):
    layer = layers.LSTM(3)
    layer.build((None, 5, 4))
    good = layer.get_weights()
    with pytest.raises(ValueError, match="weights"):
        layer.set_weights(good[:2])
    with pytest.raises(ValueError, match=r"kernel[\s\S]*\(4, 12\)"):
        layer.set_weights([np.zeros((5, 12), np.float32)] + good[1:])
    klayer = keras.layers.LSTM(3)
    klayer.build((None, 5, 4))
    keras_refuses(lambda: klayer.set_weights(good[:2]), ValueError,
                  "a weight list of length 2, but the layer was expecting 3 weights")


def test_nan_input_refused():
    x = np.ones((1, 3, 2), np.float32)
    x[0, 1, 1] = np.nan
    with pytest.raises(ValueError, match="x"):
        layers.SimpleRNN(2)(x)
