"""Our optimizers against Keras 3's, fed the same gradients for several steps."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from rnn_core import optimizers


def _run_both(keras, name, kwargs, dtype, steps, seed, schedule=None):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (4,), (2, 2, 3)]
    init = [rng.normal(size=s).astype(dtype) for s in shapes]
    grads = [[rng.normal(size=s).astype(dtype) * rng.choice([0.1, 1.0, 10.0]) for s in shapes] for _ in range(steps)]
    ours_lr = kwargs.pop("learning_rate")
    keras_lr = ours_lr
    if schedule is not None:
        ours_lr = optimizers.ExponentialDecay(ours_lr, **schedule)
        keras_lr = keras.optimizers.schedules.ExponentialDecay(keras_lr, **schedule)
    ours = optimizers.get(name, learning_rate=ours_lr, **kwargs)
    theirs = {"sgd": keras.optimizers.SGD, "rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam}[name](
        learning_rate=keras_lr, **kwargs)
    our_vars = [v.copy() for v in init]
    k_vars = [keras.Variable(v, dtype=dtype) for v in init]
    for g in grads:
        ours.apply(g, our_vars)
        theirs.apply([keras.ops.convert_to_tensor(x) for x in g], k_vars)
    return our_vars, [np.asarray(v.numpy()) for v in k_vars], ours, theirs


optimizer_configs = st.one_of(
    st.fixed_dictionaries({"name": st.just("sgd"), "learning_rate": st.sampled_from([0.01, 0.1, 0.5]),
                           "momentum": st.sampled_from([0.0, 0.5, 0.9]), "nesterov": st.booleans()}),
    st.fixed_dictionaries({"name": st.just("rmsprop"), "learning_rate": st.sampled_from([0.001, 0.01, 0.1]),
                           "rho": st.sampled_from([0.9, 0.5]), "momentum": st.sampled_from([0.0, 0.9]),
                           "centered": st.booleans()}),
    st.fixed_dictionaries({"name": st.just("adam"), "learning_rate": st.sampled_from([0.001, 0.01, 0.1]),
                           "beta_1": st.sampled_from([0.9, 0.5]), "beta_2": st.sampled_from([0.999, 0.9]),
                           "amsgrad": st.booleans()}),
)
clip_configs = st.sampled_from([{}, {"global_clipnorm": 1.0}, {"clipnorm": 0.5}, {"clipvalue": 0.3}])


@pytest.mark.keras
@settings(max_examples=12, deadline=None)
@given(cfg=optimizer_configs, clip=clip_configs, decay=st.booleans(), seed=st.integers(0, 10_000))
def test_matches_keras_float64(cfg, clip, decay, seed, keras):
    cfg = dict(cfg)
    name = cfg.pop("name")
    schedule = {"decay_steps": 2, "decay_rate": 0.5, "staircase": True} if decay else None
    ours, theirs, _, _ = _run_both(keras, name, {**cfg, **clip}, "float64", steps=3, seed=seed, schedule=schedule)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.keras
@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam"])
def test_matches_keras_float32(name, keras):
    ours, theirs, opt, _ = _run_both(keras, name, {"learning_rate": 0.01, "global_clipnorm": 2.0}, "float32", steps=10, seed=1)
    for a, b in zip(ours, theirs):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert opt.iterations == 10


def test_exponential_decay_matches_keras(keras):
    for staircase in (False, True):
        ours = optimizers.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.7, staircase=staircase)
        theirs = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=3, decay_rate=0.7, staircase=staircase)
        for step in range(10):
            assert ours(step) == pytest.approx(float(theirs(step)), rel=1e-6)


def test_clip_by_global_norm_matches_tf(tf):
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 4)) * 5, rng.normal(size=(4,))]
    ours, norm = optimizers.clip_by_global_norm(grads, 1.5)
    theirs, tf_norm = tf.clip_by_global_norm([tf.constant(g) for g in grads], 1.5)
    assert norm == pytest.approx(float(tf_norm), rel=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-12)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="learning_rate"):
        optimizers.Adam(learning_rate=-1)
    with pytest.raises(ValueError, match="optimizer"):
        optimizers.get("adagrad")
    with pytest.raises(ValueError, match="clipnorm"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)
