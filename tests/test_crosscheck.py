"""rnn_core.crosscheck against real Keras; the GPU branch and a missing TensorFlow simulated."""
from __future__ import annotations

import builtins
import importlib
import sys

import numpy as np
import pytest

from rnn_core import crosscheck, layers
from rnn_core.crosscheck import compare, cudnn, keras_twin

pytestmark = pytest.mark.keras  # compares with real TensorFlow/Keras


@pytest.fixture
def x(rng):
    return rng.normal(size=(2, 6, 3)).astype(np.float32)  # (batch, timesteps, input_dim)


CONFIGS = [
    lambda: layers.SimpleRNN(4, return_sequences=True, return_state=True),
    lambda: layers.LSTM(5, return_state=True, go_backwards=True),
    lambda: layers.GRU(3, reset_after=False, return_sequences=True),
    lambda: layers.GRU(3, activation="sigmoid", recurrent_activation="hard_sigmoid"),
    lambda: layers.Bidirectional(layers.LSTM(4, return_sequences=True, return_state=True), merge_mode=None),
    lambda: layers.Bidirectional(layers.GRU(2), merge_mode="ave",
                                 backward_layer=layers.GRU(2, go_backwards=True, activation="relu")),
    lambda: layers.LSTM(3, dtype="float64", return_sequences=True),
]


@pytest.mark.parametrize("make", CONFIGS)
def test_run_passes_on_cpu(keras, tf, make, x):
    layer = make()
    result = crosscheck.run(layer, x)
    assert result.passed, result
    assert result.max_abs_diff <= 1e-5
    outputs = result.outputs
    assert [d.name for d in outputs] == layer.output_names()
    ours = layer(x)
    ours = ours if isinstance(ours, list) else [ours]
    assert [d.shape for d in outputs] == [o.shape for o in ours]
    steps = result.steps  # h_t (and c_t) per direction
    assert steps and all(d.shape[:2] == x.shape[:2] for d in steps)
    lstm = "LSTM" in (type(layer).__name__, type(getattr(layer, "forward_layer", None)).__name__)
    assert {d.name.split()[-1] for d in steps} == ({"h_t", "c_t"} if lstm else {"h_t"})
    assert result.device == "CPU" and result.device_type == "CPU"
    assert result.cudnn_eligible is None  # no GPU here
    device = [r for r in result.cudnn.rules if r.argument == "device"]
    assert device and device[0].ok is False and device[0].actual == "no GPU visible"
    assert result.tf_version == tf.__version__ and result.keras_version == keras.__version__
    assert result.numpy_ms > 0 and result.keras_ms > 0


def test_run_with_initial_state_and_mask(keras, x, rng):
    layer = layers.LSTM(4, return_sequences=True, return_state=True)
    h0, c0 = rng.normal(size=(2, 2, 4)).astype(np.float32)  # 2 × (batch, units)
    mask = np.array([[True, True, False, True, True, False], [False, True, True, True, True, True]])
    result = crosscheck.run(layer, x, initial_state=[h0, c0], mask=mask)
    assert result.passed, result
    mask_rule, = [r for r in result.cudnn.rules if r.argument == "mask"]
    assert mask_rule.ok is False and mask_rule.actual == "not strictly right-padded"
    assert result.cudnn.on_a_gpu is False


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(3, dtype="float64", return_state=True),
    lambda: layers.Bidirectional(layers.GRU(4, dtype="float64", return_sequences=True), merge_mode="sum"),
    lambda: layers.TimeDistributed(layers.Dense(3, dtype="float64")),
])
def test_run_float64_is_float64_on_both_sides(keras, make, x):
    """float64 agrees to ~1e-16 only if no wrapper (Bidirectional casts to its own dtype) is float32."""
    result = crosscheck.run(make(), x.astype(np.float64), tolerance=1e-12)
    assert result.passed, result


def test_run_zero_output_for_mask(keras, x):
    """zero_output_for_mask is not in get_config but changes masked outputs: the twin must get it."""
    mask = np.array([[True, False, True, True, False, False], [True] * 6])
    layer = layers.GRU(3, return_sequences=True, zero_output_for_mask=True)
    result = crosscheck.run(layer, x, mask=mask)
    assert result.passed, result
    assert np.all(layer(x, mask=mask)[0, 1] == 0)


def test_to_keras_builds_an_unbuilt_layer(keras, x):
    layer = layers.SimpleRNN(2)
    klayer = crosscheck.to_keras(layer, (None, 6, 3))
    assert layer.built
    np.testing.assert_allclose(layer(x), np.asarray(klayer(x)), atol=1e-6)


def test_run_stateful_consecutive_calls(keras, x):
    layer = layers.GRU(3, stateful=True, return_state=True)
    for _ in range(3):
        assert crosscheck.run(layer, x).passed
    layer.reset_state()
    assert crosscheck.run(layer, x).passed
    bi = layers.Bidirectional(layers.LSTM(3, stateful=True, return_state=True))  # Keras __call__ bug path
    for _ in range(2):
        assert crosscheck.run(bi, x).passed


def test_run_reports_a_real_difference(keras, x):
    """A wrong weight must show up as a failure, per output."""
    layer = layers.SimpleRNN(3, return_state=True)
    layer.build((None, 6, 3))
    klayer = crosscheck.to_keras(layer)
    np.testing.assert_allclose(layer(x)[0], np.asarray(klayer(x)[0]), atol=1e-5)

    class Broken(layers.SimpleRNN):  # same config, but its output is off by 1e-3
        def call(self, x, initial_state=None, mask=None):
            return [o + 1e-3 for o in super().call(x, initial_state, mask)]

    Broken.__name__ = "SimpleRNN"
    broken = Broken(3, return_state=True)
    broken.build((None, 6, 3))
    broken.set_weights(layer.get_weights())
    result = crosscheck.run(broken, x)
    assert not result.passed
    assert all(abs(d.max_abs_diff - 1e-3) < 1e-5 for d in result.outputs)
    assert all(d.max_abs_diff < 1e-5 for d in result.steps)  # its trace (not its call) is right


def test_to_keras_copies_weights_and_config(keras):
    layer = layers.Bidirectional(layers.GRU(4, reset_after=False, return_sequences=True), merge_mode="mul")
    layer.build((None, 5, 2))
    klayer = crosscheck.to_keras(layer)
    assert type(klayer).__name__ == "Bidirectional" and klayer.merge_mode == "mul"
    assert klayer.forward_layer.cell.reset_after is False and klayer.backward_layer.go_backwards
    for a, b in zip(layer.get_weights(), klayer.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("make,eligible", [
    (lambda: layers.LSTM(4), True),
    (lambda: layers.GRU(4), True),
    (lambda: layers.GRU(4, reset_after=False), False),
    (lambda: layers.LSTM(4, use_bias=False), False),
    (lambda: layers.LSTM(4, activation="relu"), False),
    (lambda: layers.GRU(4, recurrent_activation="hard_sigmoid"), False),
    (lambda: layers.SimpleRNN(4), False),
    (lambda: layers.Bidirectional(layers.LSTM(4)), True),
])
def test_cudnn_rules_from_installed_keras(keras, make, eligible, x):
    """Without a GPU eligible is None, but the records say what a GPU would do."""
    result = crosscheck.run(make(), x)
    assert result.cudnn_eligible is None
    assert result.cudnn.on_a_gpu is eligible, result.cudnn.rules
    # the argument rules came from the installed Keras (probed), not from our written list
    argument_rules = [r for r in result.cudnn.rules if r.argument not in ("recurrent_dropout", "mask")]
    assert {(r.how, r.keras_version) for r in argument_rules} == {("probed", keras.__version__)}


def test_cudnn_rules_fall_back_when_the_probe_stops_working(keras, monkeypatch):
    """A Keras that no longer signals cuDNN at construction (simulated: its cudnn_ok always says
    no): the rules written from Keras 3.15's source give the verdicts, and say so."""
    backend = importlib.import_module("keras.src.backend")
    monkeypatch.setattr(backend, "cudnn_ok", lambda *a, **k: False)
    cudnn._uses_cudnn.cache_clear()
    try:
        layer = layers.GRU(3, reset_after=False)
        layer.build((None, 4, 2))
        report = crosscheck.cudnn_rules(crosscheck.to_keras(layer), gpu="NVIDIA T4 (simulated)")
    finally:
        cudnn._uses_cudnn.cache_clear()  # the next test probes the real Keras again
    assert report.eligible is False and report.on_a_gpu is False
    reset_after, = [r for r in report.rules if r.argument == "reset_after"]
    assert (reset_after.ok, reset_after.needed) == (False, "True")
    assert {(r.how, r.keras_version) for r in report.rules if r.argument != "device"} == {
        ("source", cudnn.SOURCE_VERSION)}


def _keras_value(spelled: str, keras):
    """A rule's ``needed`` or ``actual`` as the value Keras's helper takes."""
    booleans = {"True": True, "False": False}
    return booleans[spelled] if spelled in booleans else keras.activations.get(spelled)


@pytest.mark.parametrize("make", [
    lambda: layers.LSTM(4),
    lambda: layers.LSTM(4, activation="relu", use_bias=False),
    lambda: layers.LSTM(4, recurrent_activation="hard_sigmoid", unroll=True),
    lambda: layers.GRU(4, reset_after=False, activation="sigmoid"),
    lambda: layers.GRU(4, recurrent_dropout=0.2),
    lambda: layers.Bidirectional(layers.GRU(2), backward_layer=layers.GRU(2, go_backwards=True,
                                                                            activation="relu")),
])
def test_cudnn_argument_rules_agree_with_keras(keras, make):
    """Each probed record against Keras's own decision (its ``_do_*_arguments_support_cudnn``,
    run here as the oracle): ``ok`` is Keras's verdict on that argument alone, and ``needed``
    is a value Keras accepts; all records together give Keras's verdict on the layer."""
    helpers = importlib.import_module("keras.src.backend.tensorflow.rnn")
    layer = make()
    layer.build((None, 5, 3))
    klayer = crosscheck.to_keras(layer)
    report = crosscheck.cudnn_rules(klayer)
    subs = [klayer] if type(klayer).__name__ != "Bidirectional" else [klayer.forward_layer,
                                                                       klayer.backward_layer]
    verdicts = []
    for sub in subs:
        name = type(sub).__name__
        decide = getattr(helpers, f"_do_{name.lower()}_arguments_support_cudnn")
        good = dict(activation=keras.activations.tanh, recurrent_activation=keras.activations.sigmoid,
                    unroll=False, use_bias=True, **({"reset_after": True} if name == "GRU" else {}))
        actual = {k: getattr(sub, k) for k in good}
        scope = {"forward": sub is klayer.forward_layer if len(subs) > 1 else False,
                 "backward": sub is klayer.backward_layer if len(subs) > 1 else False}
        for argument in good:
            rule, = [r for r in report.rules if r.argument == argument
                     and (r.scope in ("", "both directions") or scope[r.scope])]
            assert rule.how == "probed" and rule.keras_version == keras.__version__
            assert rule.ok == bool(decide(**dict(good, **{argument: actual[argument]}))), rule
            assert decide(**dict(good, **{argument: _keras_value(rule.needed, keras)})), rule
        verdicts.append(bool(decide(**actual)) and sub.cell.recurrent_dropout == 0)
    assert report.on_a_gpu == all(verdicts)


@pytest.mark.parametrize("mask", [
    None,
    [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]],   # right-padded
    [[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]],   # left-padded
    [[1, 0, 1, 0, 0], [1, 1, 1, 1, 0]],   # a hole in the middle
    [[1, 1, 0, 0, 0], [0, 0, 0, 0, 0]],   # right-padded, but one sequence fully masked
])
def test_cudnn_mask_rule_agrees_with_keras(keras, tf, mask):
    """The mask rule against the test Keras runs before its cuDNN kernel (its
    ``_is_sequence_right_padded`` and ``_has_fully_masked_sequence``, run here as the oracle)."""
    helpers = importlib.import_module("keras.src.backend.tensorflow.rnn")
    rule = cudnn.mask_rule(None if mask is None else np.array(mask, bool))
    assert rule.keras_version == cudnn.SOURCE_VERSION and keras.__version__.startswith(
        cudnn.SOURCE_VERSION + "."), "Keras changed: re-read the written rules from its source"
    if mask is None:
        assert rule.ok
        return
    m = tf.constant(np.array(mask, bool))
    assert rule.ok == (bool(helpers._is_sequence_right_padded(m))
                       and not bool(helpers._has_fully_masked_sequence(m))), rule


class _FakeGPU:
    name = "/physical_device:GPU:0"
    device_type = "GPU"


@pytest.mark.parametrize("mask_kind,eligible", [(None, True), ("right", True), ("left", False)])
def test_gpu_branch_simulated(keras, tf, monkeypatch, x, mask_kind, eligible):
    """No GPU here: pretend TensorFlow lists one; Keras still runs (soft placement falls back)."""
    real_list = tf.config.list_physical_devices
    monkeypatch.setattr(tf.config, "list_physical_devices",
                        lambda kind=None: [_FakeGPU()] if kind == "GPU" else real_list(kind))
    monkeypatch.setattr(tf.config.experimental, "get_device_details",
                        lambda device: {"device_name": "NVIDIA T4 (simulated)", "compute_capability": (7, 5)})
    used = []
    real_device = tf.device
    monkeypatch.setattr(tf, "device", lambda name: used.append(name) or real_device(name))
    mask = {None: None,
            "right": np.array([[True] * 6, [True] * 4 + [False] * 2]),
            "left": np.array([[False] * 2 + [True] * 4, [True] * 6])}[mask_kind]
    result = crosscheck.run(layers.LSTM(4, return_sequences=True), x, mask=mask)
    assert result.passed
    assert result.device == "NVIDIA T4 (simulated)" and result.device_type == "GPU"
    assert used == ["/GPU:0"]
    assert result.cudnn_eligible is eligible
    device, = [r for r in result.cudnn.rules if r.argument == "device"]
    assert device.ok and device.actual == "NVIDIA T4 (simulated)"


def test_is_available_true_here(keras):
    assert crosscheck.is_available() is True


def test_tensorflow_missing(monkeypatch, x):
    """Simulate an environment without TensorFlow: the import fails, a typed error says what to do."""
    keras_twin.import_tf.cache_clear()
    real_import = builtins.__import__

    def no_tf(name, *args, **kwargs):
        if name.split(".")[0] in ("tensorflow", "keras"):
            raise ModuleNotFoundError(f"No module named '{name}'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tf)
    monkeypatch.setattr(importlib, "import_module", lambda name, *a: no_tf(name))
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    assert crosscheck.is_available() is False
    layer = layers.LSTM(3)
    with pytest.raises(crosscheck.TensorFlowUnavailable, match="pip install tensorflow"):
        crosscheck.run(layer, x)
    layer.build((None, 6, 3))
    with pytest.raises(crosscheck.TensorFlowUnavailable, match="pip install tensorflow"):
        crosscheck.to_keras(layer)
    assert issubclass(crosscheck.TensorFlowUnavailable, RuntimeError)


def test_rnn_core_does_not_import_tensorflow():
    """Importing rnn_core (crosscheck included) must not import TensorFlow (run in a fresh interpreter)."""
    import subprocess

    code = ("import sys; import rnn_core, rnn_core.crosscheck as c; c.is_available(); "
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]), check=True)
    assert out.stdout.split() == ["False", "False"]


def test_bad_arguments(keras, x):
    with pytest.raises(ValueError, match="x"):
        crosscheck.run(layers.LSTM(2), x[0])
    with pytest.raises(ValueError, match="tolerance"):
        crosscheck.run(layers.LSTM(2), x, tolerance=-1)


def test_every_step_is_compared_and_a_wrong_step_fails(keras, monkeypatch):
    """Per-step h_t and c_t come from Keras (a return_sequences twin, LSTMCell stepped); a trace
    that is wrong at one inner step fails the check although the final output is right."""
    from rnn_core.layers.recurrent import RNNLayer

    x = np.random.default_rng(3).standard_normal((2, 6, 3)).astype(np.float32)
    mask = np.ones((2, 6), bool)
    mask[0, 4:] = False                                     # right-padded sample 0
    result = crosscheck.run(layers.LSTM(4, seed=2), x, mask=mask)
    assert [d.name for d in result.outputs] == ["last_output"]
    assert [d.name for d in result.steps] == ["h_t", "c_t"] and result.passed
    real_trace = RNNLayer.trace

    def wrong_at_step_2(self, *args, **kwargs):
        trace = real_trace(self, *args, **kwargs)
        trace.h[:, 2] += 1e-3                               # (batch, units) at one inner step
        return trace
    monkeypatch.setattr(RNNLayer, "trace", wrong_at_step_2)
    broken = crosscheck.run(layers.LSTM(4, seed=2), x, mask=mask)
    assert broken.outputs[0].max_abs_diff < 1e-5 and not broken.passed
    assert broken.steps[0].name == "h_t" and broken.steps[0].max_abs_diff > 9e-4


class _Clock:
    """A stand-in for ``time`` in rnn_core.crosscheck.compare: only the Keras calls below move it."""

    def __init__(self):
        self.now = 0.0

    def perf_counter(self):
        return self.now


def test_timing_reports_warm_calls_and_keeps_the_first_apart(keras, monkeypatch, x):
    """Keras's first eager call (tracing) is not the reported time: each side reports the median
    of warm calls after a first call. A fake clock, no wall-clock comparison: the first Keras
    call 'takes' 1 s, every later one 2 ms."""
    clock, calls = _Clock(), []
    real_call = compare.keras_call

    def keras_call(klayer, kx, **kwargs):
        clock.now += 1.0 if not calls else 0.002
        calls.append(kx)
        return real_call(klayer, kx, **kwargs)

    monkeypatch.setattr(compare, "time", clock)
    monkeypatch.setattr(compare, "keras_call", keras_call)
    result = crosscheck.run(layers.GRU(3, return_sequences=True), x, every_step=False)
    assert result.passed
    assert result.keras_first_ms == pytest.approx(1000.0)
    assert result.keras_ms == pytest.approx(2.0)
    assert len(calls) == 1 + crosscheck.TIMING_REPEATS
    assert result.numpy_ms == 0.0  # the NumPy side is timed on the same (fake) clock


def test_timing_repeats_do_not_advance_a_stateful_layer(keras, x):
    """The warm calls must not move a stateful layer's carried state: after run() it holds what
    one call gives, as after one Keras call."""
    layer = layers.LSTM(3, stateful=True, return_state=True).build((2, 6, 3))
    klayer = keras.layers.LSTM(3, stateful=True, return_state=True)
    klayer.build((2, 6, 3))
    klayer.set_weights(layer.get_weights())
    crosscheck.run(layer, x, every_step=False)
    _, h, c = klayer(x)
    np.testing.assert_allclose(layer.states[0], np.asarray(h), atol=1e-5)
    np.testing.assert_allclose(layer.states[1], np.asarray(c), atol=1e-5)


def test_worker_merges_the_parts_of_a_stack_keeping_outputs_and_steps_apart(keras, x):
    """ui.runtime.crosscheck_worker.check (what the app runs): each part's outputs and steps, labelled."""
    from ui.runtime import crosscheck_worker

    lower = layers.LSTM(4, return_sequences=True, seed=1)
    below = lower(x)                                                  # (batch, timesteps, 4)
    result = crosscheck_worker.check([("layer 1", lower, x, None),
                                      ("layer 2", layers.GRU(2, seed=2), below, None)])
    assert [d.name for d in result.outputs] == ["layer 1 · whole_sequence_output",
                                                "layer 2 · last_output"]
    assert [d.name for d in result.steps] == ["layer 1 · h_t", "layer 1 · c_t", "layer 2 · h_t"]
    assert result.passed and result.max_abs_diff <= 1e-5
    assert [d.name for d in result.compared()][-1] == "layer 2 · h_t, every step"
