"""BPTT gradients against TensorFlow's GradientTape on the equivalent Keras layer.

Each example draws a layer config, random weights, inputs, (mask, initial state) and a random
linear loss ``L = Σ w_i · output_i`` over everything the layer returns; TensorFlow differentiates
the real Keras layer, we run ``rnn_core.backprop`` from our own trace. float64 for a tight 1e-9
check of the maths, plus float32 checks at 1e-5 (the issue's tolerance).
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_core import backprop, layers

CELLS = layers.CELLS  # one per cell class in rnn_core


@st.composite
def configs(draw):
    cell = draw(st.sampled_from(CELLS))
    bidirectional = draw(st.booleans())
    return dict(
        cell=cell,
        units=draw(st.integers(1, 6)),
        timesteps=draw(st.integers(1, 7)),
        input_dim=draw(st.integers(1, 5)),
        batch=draw(st.integers(1, 3)),
        return_sequences=draw(st.booleans()),
        return_state=draw(st.booleans()),
        go_backwards=False if bidirectional else draw(st.booleans()),
        use_bias=draw(st.booleans()),
        activation=draw(st.sampled_from(("tanh", "tanh", "sigmoid", "relu"))),
        recurrent_activation=draw(st.sampled_from(("sigmoid", "sigmoid", "hard_sigmoid"))),
        reset_after=draw(st.booleans()),
        bidirectional=bidirectional,
        merge_mode=draw(st.sampled_from(("concat", "sum", "mul", "ave", None))),
        mask=draw(st.sampled_from((None, "random", "right_padded"))),
        initial_state=draw(st.booleans()),
        seed=draw(st.integers(0, 2**31 - 1)),
    )


def _kwargs(cfg, dtype):
    kw = dict(units=cfg["units"], activation=cfg["activation"], use_bias=cfg["use_bias"],
              return_sequences=cfg["return_sequences"], return_state=cfg["return_state"],
              go_backwards=cfg["go_backwards"], dtype=dtype)
    if cfg["cell"] != "SimpleRNN":
        kw["recurrent_activation"] = cfg["recurrent_activation"]
    if cfg["cell"] == "GRU":
        kw["reset_after"] = cfg["reset_after"]
    return kw


def _pair(cfg, keras, dtype):
    """Our layer and Keras's, built for the same shape, holding the same random weights."""
    ours = getattr(layers, cfg["cell"])(**_kwargs(cfg, dtype))
    theirs = getattr(keras.layers, cfg["cell"])(**_kwargs(cfg, dtype))
    if cfg["bidirectional"]:
        ours = layers.Bidirectional(ours, merge_mode=cfg["merge_mode"])
        theirs = keras.layers.Bidirectional(theirs, merge_mode=cfg["merge_mode"], dtype=dtype)
    shape = (cfg["batch"], cfg["timesteps"], cfg["input_dim"])
    ours.build(shape)
    theirs.build(shape)
    rng = np.random.default_rng(cfg["seed"])
    weights = [rng.uniform(-0.8, 0.8, size=w.shape).astype(dtype) for w in ours.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs, rng


def _inputs(cfg, rng, dtype):
    b, t = cfg["batch"], cfg["timesteps"]
    x = rng.normal(size=(b, t, cfg["input_dim"])).astype(dtype)
    mask = None
    if cfg["mask"] == "random":
        mask = rng.random((b, t)) < 0.7
    elif cfg["mask"] == "right_padded":
        lengths = rng.integers(1, t + 1, size=b)
        mask = np.arange(t)[None, :] < lengths[:, None]
    n_states = 2 if cfg["cell"] == "LSTM" else 1
    n_dirs = 2 if cfg["bidirectional"] else 1
    init = None
    if cfg["initial_state"]:
        init = [rng.normal(size=(b, cfg["units"])).astype(dtype) for _ in range(n_states * n_dirs)]
    return x, mask, init


def _tape(keras, tf, klayer, x, mask, init, seeds):
    """GradientTape gradients of Σ seed·output for weights, x and the initial states."""
    kx = tf.constant(x)
    kinit = None if init is None else [tf.constant(s) for s in init]
    with tf.GradientTape() as tape:
        tape.watch(kx)
        if kinit is not None:
            tape.watch(kinit)
        kwargs = {}
        if kinit is not None:
            kwargs["initial_state"] = kinit
        if mask is not None:
            kwargs["mask"] = tf.constant(mask)
        outs = klayer(kx, **kwargs)
        outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
        loss = tf.add_n([tf.reduce_sum(o * s) for o, s in zip(outs, seeds)])
    targets = list(klayer.trainable_weights) + [kx] + (kinit or [])
    grads = tape.gradient(loss, targets)
    return [np.zeros(t.shape) if g is None else np.asarray(g) for g, t in zip(grads, targets)]


def _ours(layer, cfg, x, mask, init, rng):
    trace = layer.trace(x, initial_state=init, mask=mask)
    seeds = [rng.normal(size=o.shape).astype(x.dtype) for o in trace.outputs]
    if cfg["bidirectional"]:
        g_fw, g_bw, d_x = backprop.bidirectional_backward(layer, trace, seeds)
        grads = g_fw.weights + g_bw.weights + [d_x] + (g_fw.initial_states + g_bw.initial_states if init else [])
    else:
        g = backprop.recurrent_output_backward(layer, trace, seeds)
        grads = g.weights + [g.x] + (g.initial_states if init else [])
    return grads, seeds


def _check(cfg, keras, tf, dtype, atol):
    ours_layer, klayer, rng = _pair(cfg, keras, dtype)
    x, mask, init = _inputs(cfg, rng, dtype)
    ours, seeds = _ours(ours_layer, cfg, x, mask, init, rng)
    theirs = _tape(keras, tf, klayer, x, mask, init, seeds)
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a.shape == b.shape, (k, a.shape, b.shape)
        np.testing.assert_allclose(a, b, atol=atol, rtol=0, err_msg=f"gradient #{k} for {cfg}")


@pytest.mark.keras
@settings(deadline=None)  # examples from the hypothesis profile (conftest: ci=60)
@given(cfg=configs())
def test_bptt_matches_gradient_tape_float64(cfg, keras, tf):
    _check(cfg, keras, tf, "float64", atol=1e-9)


@pytest.mark.keras
@settings(deadline=None)  # examples from the hypothesis profile
@given(cfg=configs())
def test_bptt_matches_gradient_tape_float32(cfg, keras, tf):
    _check(cfg, keras, tf, "float32", atol=1e-5)


@pytest.mark.keras
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("truncate", [1, 2, 3])
def test_truncated_bptt_matches_stop_gradient_chunks(cell, truncate, keras, tf):
    """truncate=k == running Keras chunk by chunk with stop_gradient on the carried state."""
    cfg = dict(cell=cell, units=3, timesteps=7, input_dim=2, batch=2, return_sequences=True,
               return_state=True, go_backwards=False, use_bias=True, activation="tanh",
               recurrent_activation="sigmoid", reset_after=True, bidirectional=False,
               merge_mode=None, mask=None, initial_state=False, seed=truncate)
    ours_layer, klayer, rng = _pair(cfg, keras, "float64")
    x, _, _ = _inputs(cfg, rng, "float64")
    d_seq = rng.normal(size=(2, 7, 3))
    trace = ours_layer.trace(x)
    g = backprop.recurrent_backward(ours_layer, trace, d_h=d_seq, truncate=truncate)

    kx = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(kx)
        states, chunks = None, []
        for start in range(0, 7, truncate):
            kwargs = {} if states is None else {"initial_state": [tf.stop_gradient(s) for s in states]}
            seq, *states = klayer(kx[:, start:start + truncate], **kwargs)
            chunks.append(seq)
        loss = tf.reduce_sum(tf.concat(chunks, axis=1) * d_seq)
    theirs = tape.gradient(loss, list(klayer.trainable_weights) + [kx])
    for a, b in zip(g.weights + [g.x], theirs):
        np.testing.assert_allclose(a, np.asarray(b), atol=1e-10, rtol=0)
    assert not np.allclose(g.weights[1], backprop.recurrent_backward(ours_layer, trace, d_h=d_seq).weights[1])


@pytest.mark.keras
@pytest.mark.parametrize("dtype,atol", [("float64", 1e-10), ("float32", 1e-5)])
@pytest.mark.parametrize("cell", CELLS)
def test_char_model_loss_gradient_matches_keras(cell, dtype, atol, keras, tf):
    """recurrent -> TimeDistributed(Dense) -> softmax cross-entropy, as in the hihello seed."""
    rng = np.random.default_rng(3)
    batch, steps, vocab, units = 2, 6, 5, 4
    x = np.eye(vocab, dtype=dtype)[rng.integers(0, vocab, size=(batch, steps))]  # (batch, T, vocab)
    y = rng.integers(0, vocab, size=(batch, steps))
    ours_rnn = getattr(layers, cell)(units, return_sequences=True, dtype=dtype)
    ours_dense = layers.TimeDistributed(layers.Dense(vocab, dtype=dtype))
    k_rnn = getattr(keras.layers, cell)(units, return_sequences=True, dtype=dtype)
    k_dense = keras.layers.TimeDistributed(keras.layers.Dense(vocab, dtype=dtype), dtype=dtype)
    for ours, theirs, shape in ((ours_rnn, k_rnn, x.shape), (ours_dense, k_dense, (batch, steps, units))):
        ours.build(shape)
        theirs.build(shape)
        weights = [rng.uniform(-0.5, 0.5, size=w.shape).astype(dtype) for w in ours.get_weights()]
        ours.set_weights(weights)
        theirs.set_weights(weights)

    trace = ours_rnn.trace(x)
    kernel, bias = ours_dense.get_weights()
    logits = trace.h @ kernel + bias  # (batch, T, vocab)
    loss, d_logits, probs = backprop.softmax_cross_entropy(logits, y)
    dense = backprop.dense_backward(kernel, bias, trace.h, logits, d_logits)
    rec = backprop.recurrent_backward(ours_rnn, trace, d_h=dense.x)

    kx = tf.constant(x)
    with tf.GradientTape() as tape:
        k_logits = k_dense(k_rnn(kx))
        k_loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype=dtype)(y, k_logits)
    theirs = tape.gradient(k_loss, k_rnn.trainable_weights + k_dense.trainable_weights)
    assert loss == pytest.approx(float(k_loss), abs=atol)
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=atol)
    for a, b in zip(rec.weights + dense.weights, theirs):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_allclose(a, np.asarray(b), atol=atol, rtol=0)


def test_softmax_cross_entropy_accepts_one_hot_and_ids():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(2, 3, 4))
    ids = rng.integers(0, 4, size=(2, 3))
    a = backprop.softmax_cross_entropy(logits, ids)
    b = backprop.softmax_cross_entropy(logits, np.eye(4)[ids])
    assert a[0] == pytest.approx(b[0])
    np.testing.assert_allclose(a[1], b[1])
    with pytest.raises(ValueError, match="targets"):
        backprop.softmax_cross_entropy(logits, ids[:, :2])


def test_bad_truncate_is_a_value_error():
    layer = layers.SimpleRNN(2, return_sequences=True)
    trace = layer.trace(np.ones((1, 3, 2), "float32"))
    with pytest.raises(ValueError, match="truncate"):
        backprop.recurrent_backward(layer, trace, d_h=np.ones_like(trace.h), truncate=0)
