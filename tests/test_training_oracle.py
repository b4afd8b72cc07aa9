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
