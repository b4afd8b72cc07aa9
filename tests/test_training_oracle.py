"""/training as a student reads it (AppTest), against the same model trained by Keras here.

The page trains its character model on the first visit. The test trains the model of the seed
tutorial in Keras (``SimpleRNN``/``LSTM``/``GRU`` layers returning sequences, then
``TimeDistributed(Dense)``, sparse categorical cross-entropy on the logits), from the page's
initial weights (``CharModel`` with the sidebar's seed: the weights are an input, not an expected
value), with the page's optimizer, learning rate (and its decay) and ``global_clipnorm``, one
``apply_gradients`` per epoch. Then, reading only the hover labels of the charts:

- "Loss per epoch": ``epoch N / loss V`` is Keras's loss at epoch N;
- "Gradient norm per epoch": ``epoch N / ‖g‖ = V`` is the global norm of Keras's gradients at
  epoch N, before clipping;
- "Final softmax per timestep": ``t=T / next = c / p = P`` is the probability Keras's trained
  model gives character c after step T.

A label that names the wrong epoch, timestep or character fails, as the planted tests show.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from app_helpers import chart_figure, open_page
from oracle.labels import _points, fill
from oracle_panels import page_config

CASES = [dict(cell="SimpleRNN", units="8", train_epochs="60"),
         dict(cell="LSTM", units="4", train_depth="2", train_optimizer="RMSprop", train_lr="0.003",
              train_clip="1.0", train_epochs="40"),
         dict(cell="GRU", units="6", train_optimizer="SGD", train_lr="0.1", train_decay="true",
              train_epochs="40", seed="5")]


def labels(fig: dict, name: str | None = None) -> list[str]:
    """The hover text of every point of the figure's traces (those called ``name`` if given)."""
    return [fill(trace["hovertemplate"], point) for trace in fig["data"]
            if name is None or trace.get("name") == name for point in _points(trace)]


def keras_run(keras, tf, query: dict) -> dict:
    """Loss and gradient norm per epoch, and the final softmax, of the page's model in Keras."""
    from rnn_core import training
    from ui.controls.settings import TrainingSettings

    cfg = page_config(query)
    run, _ = TrainingSettings.from_query(query)
    data = training.char_dataset(run.train_text, vocab=training.SEED_VOCAB)
    start = training.CharModel(data.vocab_size, cfg.cell, units=cfg.units, depth=run.train_depth,
                               seed=cfg.seed)
    model = keras.Sequential(
        [keras.Input((None, data.vocab_size))]
        + [getattr(keras.layers, cfg.cell)(cfg.units, return_sequences=True)
           for _ in range(run.train_depth)]
        + [keras.layers.TimeDistributed(keras.layers.Dense(data.vocab_size))])
    model.set_weights([w.copy() for w in start.weights])
    lr = (keras.optimizers.schedules.ExponentialDecay(run.train_lr, decay_steps=100, decay_rate=0.9)
          if run.train_decay else run.train_lr)
    optimizer = getattr(keras.optimizers, run.train_optimizer)(
        learning_rate=lr, global_clipnorm=run.train_clip or None)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    x = data.one_hot(data.x_ids).astype("float32")           # (windows, timesteps, vocab)
    losses, norms = [], []
    for _ in range(run.train_epochs):
        with tf.GradientTape() as tape:
            loss = loss_fn(data.y_ids, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        losses.append(float(loss))
        norms.append(float(tf.linalg.global_norm(grads)))
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
    probs = np.asarray(tf.nn.softmax(model(x[:1]), axis=-1))[0]  # (timesteps, vocab)
    return dict(loss=losses, grad_norm=norms, probs=probs, vocab=list(data.vocab))


def close(shown: str, expected: float, rtol: float) -> bool:
    """``shown`` (a rounded label) is ``expected`` up to its rounding and float32 drift."""
    digits = shown.split("e")[0].split(".")
    last = 10.0 ** -(len(digits[1]) if len(digits) > 1 else 0)
    scale = 10.0 ** int(shown.split("e")[1]) if "e" in shown else 1.0
    return abs(float(shown) - expected) <= 0.5 * last * scale + rtol * abs(expected) + 1e-7


def label_errors(loss: list[str], norms: list[str], softmax: list[str], ref: dict) -> list[str]:
    errors = []
    for kind, texts, pattern, series, rtol in (
            ("loss", loss, r"epoch (\d+)\nloss (\S+)", ref["loss"], 2e-3),
            ("‖g‖", norms, r"epoch (\d+)\n‖g‖ = (\S+)", ref["grad_norm"], 2e-3)):
        if len(texts) != len(series):
            errors.append(f"{kind}: {len(texts)} points for {len(series)} epochs")
        for text in texts:
            epoch, value = re.fullmatch(pattern, text).groups()
            if not close(value, series[int(epoch) - 1], rtol):
                errors.append(f"{kind} {text!r}: Keras {series[int(epoch) - 1]:.6g}")
    probs, vocab = ref["probs"], ref["vocab"]
    if len(softmax) != probs.size:
        errors.append(f"softmax: {len(softmax)} cells for {probs.shape}")
    for text in softmax:
        t, char, p = re.fullmatch(r"t=(\d+)\nnext = (.+)\np = (\S+)", text).groups()
        expected = probs[int(t), vocab.index(char)]
        if not close(p, expected, 2e-3):
            errors.append(f"softmax {text!r}: Keras {expected:.6f}")
    return errors


def shown_labels(query: dict) -> tuple[list[str], list[str], list[str]]:
    at = open_page("training", **query)
    return (labels(chart_figure(at, "loss_curve"), "loss (cross-entropy)"),
            labels(chart_figure(at, "grad_norm")), labels(chart_figure(at, "softmax_table")))


@pytest.mark.parametrize("query", CASES, ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()))
def test_training_charts_read_what_keras_computes(keras, tf, query):
    assert label_errors(*shown_labels(query), keras_run(keras, tf, query)) == []


def test_a_wrong_label_fails_the_training_oracle(keras, tf):
    query = CASES[0]
    loss, norms, softmax = shown_labels(query)
    ref = keras_run(keras, tf, query)
    assert label_errors(loss, norms, softmax, ref) == []
    def shifted_epoch(texts):
        return [re.sub(r"epoch (\d+)", lambda m: f"epoch {int(m[1]) % len(texts) + 1}", t)
                for t in texts]

    shifted_t = [re.sub(r"t=(\d+)", lambda m: f"t={(int(m[1]) + 1) % ref['probs'].shape[0]}", t)
                 for t in softmax]
    other_char = [t.replace("next = h", "next = e") for t in softmax]
    assert label_errors(shifted_epoch(loss), norms, softmax, ref)
    assert label_errors(loss, shifted_epoch(norms), softmax, ref)
    assert label_errors(loss, norms, shifted_t, ref)
    assert label_errors(loss, norms, other_char, ref)


# --- the gradient-flow lab: ‖∂L/∂h_t‖ per cell -----------------------------------------------------
FLOWS = [dict(), dict(gf_timesteps="12", gf_units="5", gf_scale="1.5", gf_gate="2", seed="3")]


def tf_flows(keras, tf, query: dict) -> dict:
    """cell -> ‖∂L/∂h_t‖ per step from TensorFlow, for the lab's untrained networks: rnn_core's
    initial weights for the seed (an input), the recurrent kernel scaled, the keep-gate bias set."""
    from oracle.keras_ref import gradient_flow
    from rnn_core import layers, training
    from ui.controls.settings import TrainingSettings

    cfg = page_config(query)
    lab, _ = TrainingSettings.from_query(query)
    x, y = training.memory_task(lab.gf_timesteps, 4, 16, cfg.seed, dtype="float64")  # (16, T, 5), (16,)
    out = {}
    for cell in layers.CELLS:
        ours = getattr(layers, cell)(lab.gf_units, dtype="float64", seed=cfg.seed)
        ours.build(x.shape)
        weights = ours.get_weights()
        weights[1] = weights[1] * lab.gf_scale
        if lab.gf_gate != "Keras init" and cell != "SimpleRNN":
            units, bias = lab.gf_units, weights[2]
            keep = slice(units, 2 * units) if cell == "LSTM" else slice(0, units)  # forget f, update z
            (bias[0] if bias.ndim == 2 else bias)[keep] = float(lab.gf_gate)
        dense = layers.Dense(4, dtype="float64", seed=cfg.seed + 1)
        dense.build((None, lab.gf_units))
        out[cell] = gradient_flow(keras, tf, weights, dense.get_weights(), x, y, cell)[0]
    return out


def flow_errors(texts: list[str], ref: dict) -> list[str]:
    errors, seen = [], set()
    for text in texts:
        cell, t, value = re.fullmatch(r"(\w+)\nt = (\d+)\n(\S+)", text).groups()
        seen.add((cell, int(t)))
        if not close(value, ref[cell][int(t)], 1e-6):
            errors.append(f"{text!r}: TensorFlow {ref[cell][int(t)]:.4e}")
    expected = {(cell, t) for cell, series in ref.items() for t in range(len(series))}
    if seen != expected:
        errors.append(f"points {sorted(seen ^ expected)[:4]} missing or extra")
    return errors


@pytest.mark.parametrize("query", FLOWS, ids=lambda q: "-".join(f"{k}={v}" for k, v in q.items()) or "defaults")
def test_gradient_flow_chart_reads_what_tensorflow_computes(keras, tf, query):
    texts = labels(chart_figure(open_page("training", **query, train_epochs="1"), "gf_dl_dh"))
    ref = tf_flows(keras, tf, query)
    assert flow_errors(texts, ref) == []
    shifted = [re.sub(r"t = (\d+)", lambda m: f"t = {(int(m[1]) + 1) % len(ref['GRU'])}", t) for t in texts]
    swapped = [t.replace("LSTM", "TMP").replace("GRU", "LSTM").replace("TMP", "GRU") for t in texts]
    assert flow_errors(shifted, ref) and flow_errors(swapped, ref)
