"""Property-based parity with real Keras: same config, same weights, same inputs -> same outputs.

The Keras twin is built here from the test's own config (not from rnn_core's get_config), so a
flag the core silently ignores cannot hide. Keras layers are slow to create, so they are cached by
configuration and only their weights/states are reset per example.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnn_core import layers

pytestmark = pytest.mark.keras  # compares with real TensorFlow/Keras

ATOL = 1e-5  # float32 (issue 2)
CELLS = layers.CELLS  # one per cell class in rnn_core
MERGE_MODES = ("concat", "sum", "mul", "ave", None)


# --- configurations ------------------------------------------------------------------------------
@st.composite
def rnn_configs(draw, max_units=64, max_timesteps=50, max_input_dim=32, max_batch=8):
    cell = draw(st.sampled_from(CELLS))
    bidirectional = draw(st.booleans())
    cfg = dict(
        cell=cell,
        units=draw(st.integers(1, max_units)),
        timesteps=draw(st.integers(1, max_timesteps)),
        input_dim=draw(st.integers(1, max_input_dim)),
        batch=draw(st.integers(1, max_batch)),
        return_sequences=draw(st.booleans()),
        return_state=draw(st.booleans()),
        # Keras refuses go_backwards=True on Bidirectional's forward layer (tested in test_errors).
        go_backwards=False if bidirectional else draw(st.booleans()),
        stateful=draw(st.booleans()),
        use_bias=draw(st.booleans()),
        activation=draw(st.sampled_from(("tanh", "tanh", "sigmoid"))),
        recurrent_activation=draw(st.sampled_from(("sigmoid", "sigmoid", "hard_sigmoid"))),
        reset_after=draw(st.booleans()) if cell == "GRU" else None,
        bidirectional=bidirectional,
        merge_mode=draw(st.sampled_from(MERGE_MODES)) if bidirectional else "concat",
        # Bidirectional(..., backward_layer=...) with its own activation / use_bias
        backward=draw(st.sampled_from((None, "custom"))) if bidirectional else None,
        mask=draw(st.sampled_from((None, "random", "right_padded"))),
        initial_state=draw(st.booleans()),
        n_calls=1,
        weights=draw(st.sampled_from(("random", "keras_to_core", "core_to_keras"))),
        seed=draw(st.integers(0, 2**31 - 1)),
    )
    if cfg["stateful"]:  # several consecutive calls, optionally reset_state() before one of them
        cfg["n_calls"] = draw(st.integers(2, 3))
        cfg["reset_before_call"] = draw(st.sampled_from((None, 1, 2)))
    else:
        cfg["reset_before_call"] = None
    if cfg["cell"] == "SimpleRNN":
        cfg["recurrent_activation"] = None
    return cfg


def _layer_kwargs(cfg, backward=False):
    kw = dict(
        units=cfg["units"], activation=cfg["activation"], use_bias=cfg["use_bias"],
        return_sequences=cfg["return_sequences"], return_state=cfg["return_state"],
        go_backwards=cfg["go_backwards"], stateful=cfg["stateful"],
    )
    if backward:  # a hand-made backward layer: reversed, other activation, other use_bias
        kw.update(go_backwards=True, use_bias=not cfg["use_bias"],
                  activation="sigmoid" if cfg["activation"] == "tanh" else "tanh")
    if cfg["cell"] != "SimpleRNN":
        kw["recurrent_activation"] = cfg["recurrent_activation"]
    if cfg["cell"] == "GRU":
        kw["reset_after"] = cfg["reset_after"]
    return kw


def make_core(cfg, seed=None):
    kw = _layer_kwargs(cfg)
    layer = getattr(layers, cfg["cell"])(seed=seed, **kw)
    if cfg["bidirectional"]:
        backward = None
        if cfg.get("backward"):
            backward = getattr(layers, cfg["cell"])(**_layer_kwargs(cfg, backward=True))
        layer = layers.Bidirectional(layer, merge_mode=cfg["merge_mode"], backward_layer=backward)
    return layer


def make_keras(keras, cfg):
    layer = getattr(keras.layers, cfg["cell"])(**_layer_kwargs(cfg))
    if cfg["bidirectional"]:
        backward = None
        if cfg.get("backward"):
            backward = getattr(keras.layers, cfg["cell"])(**_layer_kwargs(cfg, backward=True))
        layer = keras.layers.Bidirectional(layer, merge_mode=cfg["merge_mode"], backward_layer=backward)
    return layer


_KERAS_CACHE: dict = {}


def keras_layer(keras, cfg):
    """A built Keras layer for cfg, reused across examples with the same configuration."""
    shape = (cfg["batch"] if cfg["stateful"] else None, cfg["timesteps"], cfg["input_dim"])
    key = (tuple(sorted(_layer_kwargs(cfg).items())), cfg["cell"], cfg["bidirectional"],
           cfg["merge_mode"], cfg.get("backward"), shape)
    layer = _KERAS_CACHE.get(key)
    if layer is None:
        layer = make_keras(keras, cfg)
        layer.build(shape)
        if len(_KERAS_CACHE) > 200:
            _KERAS_CACHE.clear()
        _KERAS_CACHE[key] = layer
    if cfg["stateful"]:
        layer.reset_state()
    return layer


def random_weights(shapes, rng, names=None):
    """Random weights of the given shapes, far from Keras's defaults but not chaotic.

    Uniform(-a, a) with a ~ 1.2/sqrt(fan_in) keeps the recurrent spectral radius below ~0.7: in a
    chaotic regime (radius > 1) any two float32 implementations drift apart by more than 1e-5,
    which would test rounding, not semantics. Biases are O(0.5) so gates are not all ~0.5."""
    weights = []
    for i, shape in enumerate(shapes):
        name = names[i] if names else ""
        if len(shape) == 2 and "bias" not in name:
            scale = min(0.8, 1.2 / np.sqrt(shape[0]))
        else:
            scale = 0.5
        weights.append(rng.uniform(-scale, scale, size=shape).astype(np.float32))
    return weights


def keras_call(layer, x, **kwargs):
    """``layer(x, ...)``, except for Keras 3.15's stateful+return_state Bidirectional whose
    __call__ crashes in compute_mask (a Keras bug); its own ``call`` computes the same thing."""
    if type(layer).__name__ == "Bidirectional" and layer.stateful and layer.return_state:
        return layer.call(x, **kwargs)
    return layer(x, **kwargs)


def random_mask(kind, batch, timesteps, rng):
    if kind is None:
        return None
    if kind == "random":
        return rng.random((batch, timesteps)) < 0.7  # (batch, timesteps); may mask a whole row
    lengths = rng.integers(0, timesteps + 1, size=batch)  # right-padded, lengths 0..T
    return np.arange(timesteps)[None, :] < lengths[:, None]  # (batch, timesteps)


def n_states(cfg):
    per_direction = 2 if cfg["cell"] == "LSTM" else 1
    return per_direction * (2 if cfg["bidirectional"] else 1)


def as_list(out):
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


def assert_outputs_close(ours, theirs, atol=ATOL, context=""):
    ours, theirs = as_list(ours), as_list(theirs)
    assert len(ours) == len(theirs), f"{context}: {len(ours)} outputs vs Keras {len(theirs)}"
    for i, (a, b) in enumerate(zip(ours, theirs)):
        assert a.shape == b.shape, f"{context}: output {i} shape {a.shape} vs Keras {b.shape}"
        diff = float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0
        assert diff <= atol, f"{context}: output {i} max abs diff {diff:.3g} > {atol}"


def copy_weights(cfg, ours, theirs, rng):
    if cfg["weights"] == "random":
        ws = random_weights([w.shape for w in theirs.get_weights()], rng, ours.weight_names())
        theirs.set_weights(ws)
        ours.set_weights(ws)
    elif cfg["weights"] == "keras_to_core":
        ours.set_weights(theirs.get_weights())
    else:
        theirs.set_weights(ours.get_weights())


# --- the property ---------------------------------------------------------------------------------
@given(cfg=rnn_configs())
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_matches_keras(keras, tf, cfg):
    rng = np.random.default_rng(cfg["seed"])
    batch, timesteps, input_dim = cfg["batch"], cfg["timesteps"], cfg["input_dim"]
    ours = make_core(cfg, seed=cfg["seed"] % 1000)
    ours.build((batch if cfg["stateful"] else None, timesteps, input_dim))
    theirs = keras_layer(keras, cfg)
    if cfg["weights"] == "keras_to_core":
        # fresh Keras initial values (glorot/orthogonal, forget bias 1), not left over from a cached twin
        fresh = make_keras(keras, cfg)
        fresh.build((batch, timesteps, input_dim))
        theirs.set_weights(fresh.get_weights())
    copy_weights(cfg, ours, theirs, rng)

    for call in range(cfg["n_calls"]):
        if cfg["reset_before_call"] == call:
            ours.reset_state()
            theirs.reset_state()
        x = rng.normal(size=(batch, timesteps, input_dim)).astype(np.float32)  # (batch, T, input_dim)
        kwargs, kkwargs = {}, {}
        mask = random_mask(cfg["mask"], batch, timesteps, rng)
        if mask is not None:
            kwargs["mask"] = mask
            kkwargs["mask"] = tf.constant(mask)
        if cfg["initial_state"] and call == 0:
            states = [rng.normal(size=(batch, cfg["units"])).astype(np.float32) for _ in range(n_states(cfg))]
            kwargs["initial_state"] = states
            kkwargs["initial_state"] = [tf.constant(s) for s in states]
        if not cfg["stateful"]:  # trace runs exactly like a call (stateful: it would advance the state)
            trace = ours.trace(x, **kwargs)
        got = ours(x, **kwargs)
        want = [np.asarray(t) for t in as_list(keras_call(theirs, tf.constant(x), **kkwargs))]
        assert_outputs_close(got, want, context=f"call {call} of {cfg}")
        if not cfg["stateful"]:
            assert_outputs_close(trace.outputs, want, context=f"trace outputs of {cfg}")
        if cfg["stateful"]:
            assert_outputs_close(list(ours.states), [np.asarray(v) for v in theirs.states],
                                 context=f"stored states after call {call}")


# --- weight copying both ways, with Keras's own initial values -----------------------------------
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_weights_copy_both_ways(keras, cell, bidirectional, rng):
    cfg = dict(cell=cell, units=5, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
               return_sequences=True, return_state=True, go_backwards=False, stateful=False,
               reset_after=True if cell == "GRU" else None, bidirectional=bidirectional,
               merge_mode="concat")
    if cell == "SimpleRNN":
        cfg["recurrent_activation"] = None
    x = rng.normal(size=(3, 7, 4)).astype(np.float32)  # (batch, timesteps, input_dim)

    # Keras -> rnn_core
    theirs = getattr(keras.layers, cell)(**_layer_kwargs(cfg))
    if bidirectional:
        theirs = keras.layers.Bidirectional(theirs)
    theirs.build((None, 7, 4))
    ours = make_core(cfg)
    ours.build((None, 7, 4))
    assert [w.shape for w in ours.get_weights()] == [tuple(w.shape) for w in theirs.get_weights()]
    ours.set_weights(theirs.get_weights())
    assert_outputs_close(ours(x), theirs(x), context="keras->core")

    # rnn_core -> Keras (our initializers' values, including LSTM's unit_forget_bias)
    ours2 = make_core(cfg, seed=3)
    ours2.build((None, 7, 4))
    theirs.set_weights(ours2.get_weights())
    assert_outputs_close(ours2(x), theirs(x), context="core->keras")
    for a, b in zip(ours2.get_weights(), theirs.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_lstm_forget_bias_is_one_like_keras(keras):
    """unit_forget_bias=True sets the forget slice of the bias to 1 even with a zeros/constant init."""
    ours = layers.LSTM(4, bias_initializer="zeros")
    ours.build((None, 3, 2))
    theirs = keras.layers.LSTM(4, bias_initializer="zeros")
    theirs.build((None, 3, 2))
    np.testing.assert_array_equal(ours.get_weights()[2], theirs.get_weights()[2])


@pytest.mark.parametrize("cell", CELLS)
def test_float64_matches_keras_closely(keras, tf, cell, rng):
    kw = dict(units=6, return_sequences=True, return_state=True)
    ours = getattr(layers, cell)(dtype="float64", **kw)
    theirs = getattr(keras.layers, cell)(dtype="float64", **kw)
    ours.build((None, 9, 5))
    theirs.build((None, 9, 5))
    theirs.set_weights([w.astype(np.float64) for w in random_weights([w.shape for w in theirs.get_weights()], rng)])
    ours.set_weights(theirs.get_weights())
    x = rng.normal(size=(2, 9, 5))  # (batch, timesteps, input_dim) float64
    assert_outputs_close(ours(x), theirs(tf.constant(x)), atol=1e-12, context=f"{cell} float64")


def test_stateful_sub_sequences_like_seed_000(keras, rng):
    """Seed 000: one long sequence fed in consecutive sub-sequences to a stateful LSTM equals one call."""
    x = rng.normal(size=(4, 30, 6)).astype(np.float32)  # (batch, timesteps, input_dim)
    ours = layers.LSTM(8, stateful=True, return_sequences=True)
    ours.build((4, 10, 6))
    whole = layers.LSTM(8, return_sequences=True)
    whole.build((None, 30, 6))
    whole.set_weights(ours.get_weights())
    theirs = keras.layers.LSTM(8, stateful=True, return_sequences=True)
    theirs.build((4, 10, 6))
    theirs.set_weights(ours.get_weights())
    parts = [ours(x[:, i:i + 10]) for i in (0, 10, 20)]  # 3 × (batch, 10, units)
    kparts = [np.asarray(theirs(x[:, i:i + 10])) for i in (0, 10, 20)]
    assert_outputs_close(np.concatenate(parts, axis=1), whole(x), context="stateful parts vs whole")
    assert_outputs_close(parts, kparts, context="stateful vs Keras")
    ours.reset_state()
    theirs.reset_state()
    assert_outputs_close(ours(x[:, :10]), theirs(x[:, :10]), context="after reset_state")
