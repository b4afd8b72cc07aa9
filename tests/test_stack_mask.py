"""Stacked layers, padding + masking and encoder -> decoder, checked against real Keras 3.

Each Keras twin is built here from the test's own description (never from our get_config) and
receives our weights with set_weights; the expected values are what Keras computes.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_core import Sequential, layers
from rnn_core.sequential import keras_ndim_error

pytestmark = pytest.mark.keras  # compares with real TensorFlow/Keras

ATOL = 1e-5  # float32 (issue 2)
CELLS = layers.CELLS  # one per cell class in rnn_core


# --- descriptions -> both models ----------------------------------------------------------------
@st.composite
def stacks(draw):
    """1-3 recurrent layers of mixed cells (some Bidirectional), lower ones returning sequences,
    an input padded after random lengths (right padding) or with zero rows anywhere."""
    n = draw(st.integers(1, 3))
    specs = []
    for i in range(n):
        bidirectional = draw(st.booleans())
        specs.append(dict(
            cell=draw(st.sampled_from(CELLS)), units=draw(st.integers(1, 6)),
            return_sequences=True if i < n - 1 else draw(st.booleans()),
            go_backwards=False if bidirectional else draw(st.booleans()),
            bidirectional=bidirectional,
            merge_mode=draw(st.sampled_from(("concat", "sum", "mul", "ave"))),
        ))
    batch, timesteps = draw(st.integers(1, 4)), draw(st.integers(1, 8))
    padding = draw(st.sampled_from(("none", "right", "anywhere")))
    if padding == "right":
        lengths = draw(st.lists(st.integers(1, timesteps), min_size=batch, max_size=batch))
        keep = np.arange(timesteps)[None, :] < np.array(lengths)[:, None]  # (batch, timesteps)
    elif padding == "anywhere":  # not right-padded: holes inside, also fully masked samples
        keep = np.array(draw(st.lists(st.lists(st.booleans(), min_size=timesteps,
                                               max_size=timesteps),
                                      min_size=batch, max_size=batch)))
    else:
        keep = None
    return dict(specs=specs, batch=batch, timesteps=timesteps, input_dim=draw(st.integers(1, 5)),
                keep=keep, dense=draw(st.booleans()), seed=draw(st.integers(0, 2**31 - 1)))


def _kwargs(spec):
    kw = dict(return_sequences=spec["return_sequences"], go_backwards=spec["go_backwards"])
    return kw


def ours_layer(spec):
    layer = getattr(layers, spec["cell"])(spec["units"], **_kwargs(spec))
    return layers.Bidirectional(layer, merge_mode=spec["merge_mode"]) if spec["bidirectional"] else layer


def keras_layer(keras, spec):
    layer = getattr(keras.layers, spec["cell"])(spec["units"], **_kwargs(spec))
    if spec["bidirectional"]:
        return keras.layers.Bidirectional(layer, merge_mode=spec["merge_mode"])
    return layer


def padded_input(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["batch"], case["timesteps"], case["input_dim"])).astype(np.float32)
    if case["keep"] is not None:
        x[~case["keep"]] = 0.0  # padding: every feature 0, what Masking(0.0) looks for
    return x  # (batch, timesteps, input_dim)


def both_models(keras, case):
    """Our Sequential and a Keras functional model returning every layer's output."""
    ours = [layers.Masking(0.0)] if case["keep"] is not None else []
    ours += [ours_layer(s) for s in case["specs"]]
    if case["dense"]:
        ours.append(layers.Dense(3))
    model = Sequential(ours).build((None, case["timesteps"], case["input_dim"]))
    inputs = keras.Input((case["timesteps"], case["input_dim"]))
    h, outs = inputs, []
    for layer in ours:
        if isinstance(layer, layers.Masking):
            klayer = keras.layers.Masking(0.0)
        elif isinstance(layer, layers.Dense):
            klayer = keras.layers.Dense(3)
        else:
            klayer = keras_layer(keras, case["specs"][len(outs) - (case["keep"] is not None)])
        h = klayer(h)
        outs.append(h)
        klayer.set_weights(layer.get_weights())
    return model, keras.Model(inputs, outs)


# --- the tests ------------------------------------------------------------------------------------
@given(stacks())
@settings(max_examples=30)
def test_stack_with_masking_matches_keras_layer_by_layer(keras, case):
    model, kmodel = both_models(keras, case)
    x = padded_input(case)
    expected = kmodel(x)
    expected = [np.asarray(t) for t in (expected if isinstance(expected, (list, tuple)) else [expected])]
    trace = model.trace(x)
    assert len(trace.layers) == len(expected)
    for entry, theirs in zip(trace.layers, expected):
        assert entry.outputs[0].shape == theirs.shape, entry.name
        np.testing.assert_allclose(entry.outputs[0], theirs, atol=ATOL, err_msg=entry.name)
    np.testing.assert_allclose(model(x), expected[-1], atol=ATOL)
    np.testing.assert_allclose(trace.output, expected[-1], atol=ATOL)


@given(stacks())
@settings(max_examples=20)
def test_masks_propagate_like_keras(keras, case):
    """Every layer's output mask is the one Keras attaches to that layer's output."""
    model, kmodel = both_models(keras, case)
    x = padded_input(case)
    trace = model.trace(x)
    from keras.src.backend import get_keras_mask  # the mask Keras attaches to an eager output

    kx = keras.ops.convert_to_tensor(x)
    for entry, klayer in zip(trace.layers, kmodel.layers[1:]):  # without the InputLayer
        kx = klayer(kx)  # Keras reads the mask attached to its input by itself
        kx = kx[0] if isinstance(kx, (list, tuple)) else kx
        theirs = get_keras_mask(kx)
        if theirs is None:
            assert entry.output_mask is None, entry.name
        else:
            np.testing.assert_array_equal(entry.output_mask, np.asarray(theirs), err_msg=entry.name)


@given(stacks())
@settings(max_examples=20)
def test_recurrent_traces_agree_with_keras_return_sequences_twins(keras, case):
    """Every recurrent layer's per-step h (the trace) against a Keras twin with
    return_sequences=True on the same input and mask: at a masked step Keras's twin repeats the
    previous output, which is the carried h."""
    model, _ = both_models(keras, case)
    x = padded_input(case)
    for entry, spec in zip(model.trace(x).recurrent, case["specs"]):
        if spec["bidirectional"]:
            continue  # Bidirectional's twin zeroes masked outputs (zero_output_for_mask)
        twin = keras_layer(keras, dict(spec, return_sequences=True))
        mask = None if entry.mask is None else keras.ops.convert_to_tensor(entry.mask)
        twin.build(entry.x.shape)
        twin.set_weights(entry.layer.get_weights())
        theirs = np.asarray(twin(entry.x, mask=mask))  # (batch, timesteps, units), step order
        np.testing.assert_allclose(entry.trace.h, theirs, atol=ATOL, err_msg=entry.name)


@given(st.integers(1, 4), st.integers(1, 8), st.integers(1, 5), st.integers(0, 2**31 - 1),
       st.sampled_from((0.0, 1.0, -2.5)))
@settings(max_examples=20)
def test_masking_layer_matches_keras(keras, batch, timesteps, features, seed, mask_value):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, timesteps, features)).astype(np.float32)
    holes = rng.random((batch, timesteps)) < 0.4
    x[holes] = mask_value
    x[0, 0, 0] = mask_value  # one feature equal to mask_value is not enough to mask the step
    ours, theirs = layers.Masking(mask_value), keras.layers.Masking(mask_value)
    np.testing.assert_array_equal(ours.compute_mask(x), np.asarray(theirs.compute_mask(x)))
    np.testing.assert_allclose(ours(x), np.asarray(theirs(x)), atol=0)


def test_keras_masks_return_the_previous_output_at_masked_steps(keras):
    """What the app tells learners: with return_sequences=True Keras repeats the previous output
    at a masked step (and the state is carried), unless zero_output_for_mask=True."""
    x = np.random.default_rng(1).standard_normal((1, 5, 2)).astype(np.float32)
    x[0, 3:] = 0.0  # length 3
    masked = keras.layers.Masking(0.0)
    for zero in (False, True):
        theirs = keras.layers.LSTM(3, return_sequences=True, zero_output_for_mask=zero)
        out = np.asarray(theirs(masked(x)))  # (1, 5, 3)
        expected = np.zeros_like(out[0, 2]) if zero else out[0, 2]
        np.testing.assert_allclose(out[0, 3], expected, atol=0)
        np.testing.assert_allclose(out[0, 4], expected, atol=0)
        ours = layers.LSTM(3, return_sequences=True, zero_output_for_mask=zero)
        ours.build((None, 5, 2))
        ours.set_weights(theirs.get_weights())
        trace = Sequential([layers.Masking(0.0), ours]).trace(x)
        np.testing.assert_allclose(trace.output, out, atol=ATOL)
        h = trace.recurrent[0].trace.h  # (1, 5, 3): the state after each step
        np.testing.assert_array_equal(h[0, 3], h[0, 2])  # carried through the padding
        np.testing.assert_array_equal(h[0, 4], h[0, 2])


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lower_layer_without_sequences_gives_keras_error_word_for_word(keras, cell, bidirectional):
    def make(module, name):
        layer = getattr(module.layers, cell)(4)
        return module.layers.Bidirectional(layer, name=name) if bidirectional else \
            getattr(module.layers, cell)(4, name=name)

    with pytest.raises(ValueError) as theirs:
        keras.Sequential([keras.Input((6, 3)), make(keras, "lower"), make(keras, "upper")])
    import rnn_core
    with pytest.raises(ValueError) as ours:
        Sequential([make(rnn_core, "lower"), make(rnn_core, "upper")]).build((None, 6, 3))
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(ValueError) as called:  # the same error from a call on an unbuilt model
        Sequential([make(rnn_core, "lower"), make(rnn_core, "upper")])(np.ones((2, 6, 3), np.float32))
    assert str(called.value) == str(theirs.value).replace("(None,", "(2,")
    assert str(keras_ndim_error("upper", (None, 8 if bidirectional else 4))) == str(theirs.value)


# --- encoder -> decoder -------------------------------------------------------------------------
@given(cell=st.sampled_from(CELLS), units=st.integers(1, 6), batch=st.integers(1, 3),
       t_enc=st.integers(1, 7), t_dec=st.integers(1, 7), d_enc=st.integers(1, 4),
       d_dec=st.integers(1, 4), seed=st.integers(0, 2**31 - 1), pad=st.booleans())
@settings(max_examples=25)
def test_encoder_states_as_decoder_initial_state_match_keras(keras, cell, units, batch, t_enc, t_dec,
                                                            d_enc, d_dec, seed, pad):
    """Seed 000's encoder-decoder: the encoder's final states are the decoder's initial_state."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, t_enc, d_enc)).astype(np.float32)  # (batch, T_enc, d_enc)
    y = rng.standard_normal((batch, t_dec, d_dec)).astype(np.float32)  # (batch, T_dec, d_dec)
    mask = None
    if pad:  # a padded source sentence: the encoder's final state is the one at its length
        lengths = rng.integers(1, t_enc + 1, size=batch)
        mask = np.arange(t_enc)[None, :] < lengths[:, None]  # (batch, T_enc)
        x[~mask] = 0.0
    make = getattr(layers, cell)
    encoder = make(units, return_state=True)
    decoder = make(units, return_sequences=True, return_state=True)
    _, *states = encoder(x, mask=mask)
    out, *final = decoder(y, initial_state=states)
    trace = decoder.trace(y, initial_state=states)

    kenc_in, kdec_in = keras.Input((t_enc, d_enc)), keras.Input((t_dec, d_dec))
    kencoder = getattr(keras.layers, cell)(units, return_state=True)
    kdecoder = getattr(keras.layers, cell)(units, return_sequences=True, return_state=True)
    masked = keras.layers.Masking(0.0)(kenc_in) if pad else kenc_in
    _, *kstates = kencoder(masked)
    kout = kdecoder(kdec_in, initial_state=kstates)
    kencoder.set_weights(encoder.get_weights())
    kdecoder.set_weights(decoder.get_weights())
    theirs = [np.asarray(t) for t in keras.Model([kenc_in, kdec_in], [*kstates, *kout])([x, y])]
    n = len(states)
    for ours_s, theirs_s in zip(states, theirs[:n]):
        np.testing.assert_allclose(ours_s, theirs_s, atol=ATOL)
    for ours_o, theirs_o in zip([out, *final], theirs[n:]):
        np.testing.assert_allclose(ours_o, theirs_o, atol=ATOL)
    for ours_s, start in zip(trace.initial_states, states):  # the handover, as the trace records it
        np.testing.assert_array_equal(ours_s, start)


def test_bidirectional_encoder_states_feed_a_bidirectional_decoder(keras):
    """Bidirectional takes initial_state too: forward states, then backward states."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    y = rng.standard_normal((2, 4, 2)).astype(np.float32)
    encoder = layers.Bidirectional(layers.LSTM(3, return_state=True))
    decoder = layers.Bidirectional(layers.LSTM(3, return_sequences=True))
    _, *states = encoder(x)
    out = decoder(y, initial_state=states)
    kencoder = keras.layers.Bidirectional(keras.layers.LSTM(3, return_state=True))
    kdecoder = keras.layers.Bidirectional(keras.layers.LSTM(3, return_sequences=True))
    _, *kstates = kencoder(x)
    kdecoder(y, initial_state=kstates)  # builds
    kencoder.set_weights(encoder.get_weights())
    kdecoder.set_weights(decoder.get_weights())
    _, *kstates = kencoder(x)
    np.testing.assert_allclose(out, np.asarray(kdecoder(y, initial_state=kstates)), atol=ATOL)
