"""Issue 4's training speed, measured in one run: our NumPy trainer vs Keras on the same model.

    .venv/bin/python bench/bench_training.py [--epochs 1000] [--repeats 3]

(a) 1,000 epochs of the seed's 'hihello' model ([cell] -> TimeDistributed(Dense) -> softmax,
    Adam), bare and with the page's live updates (loss figure rebuilt and serialised every
    0.25 s, a log line every 50 epochs). Target: <= 3 s with live updates.
(b) One epoch (forward + BPTT + optimizer step) vs Keras 3 `train_on_batch` and `fit` on the
    same model, weights and optimizer. Keras runs in a child process: in a process where
    TensorFlow has run, NumPy's small-matmul loops get slower (OpenBLAS threads).
(c) Gradients of a larger layer (LSTM/GRU, batch 32 x 100 steps x 64 -> 128): our trace + BPTT
    vs `tf.GradientTape` around the Keras layer inside `tf.function`.
A benchmark, not a test: prints markdown tables, the ratios and the target check; never fails.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnn_core import backprop, layers, optimizers, training  # noqa: E402

CELLS = ("SimpleRNN", "LSTM", "GRU")
UNITS = 8
TARGET_S = 3.0

KERAS_CHILD = r'''
import json, os, sys, time
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np, keras, tensorflow as tf
args = json.loads(sys.argv[1])
out = {}
data = np.load(args["data"])
x, y = data["x"], data["y"]
for cell in args["cells"]:
    model = keras.Sequential([keras.Input((None, x.shape[-1]))]
                             + [getattr(keras.layers, cell)(args["units"], return_sequences=True)]
                             + [keras.layers.TimeDistributed(keras.layers.Dense(x.shape[-1]))])
    model.set_weights([data[f"{cell}_{k}"] for k in range(len(model.get_weights()))])
    model.compile(optimizer=keras.optimizers.Adam(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    for _ in range(5):
        model.train_on_batch(x, y)  # tracing and warm-up
    t = time.perf_counter()
    for _ in range(args["steps"]):
        model.train_on_batch(x, y)
    tob = (time.perf_counter() - t) / args["steps"]
    model.fit(x, y, epochs=2, verbose=0)
    t = time.perf_counter()
    model.fit(x, y, epochs=args["steps"], verbose=0)
    fit = (time.perf_counter() - t) / args["steps"]
    out[cell] = {"train_on_batch_ms": 1e3 * tob, "fit_ms": 1e3 * fit}
# (c) gradients of a larger layer
big = args["big"]
rng = np.random.default_rng(0)
xb = tf.constant(rng.normal(size=(big["batch"], big["timesteps"], big["input_dim"])).astype("float32"))
seed = tf.constant(rng.normal(size=(big["batch"], big["timesteps"], big["units"])).astype("float32"))
for cell in ("LSTM", "GRU"):
    layer = getattr(keras.layers, cell)(big["units"], return_sequences=True)
    layer.build(xb.shape)
    @tf.function
    def grads():
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(xb) * seed)
        return tape.gradient(loss, layer.trainable_weights)
    grads()
    times = []
    for _ in range(big["repeats"]):
        t = time.perf_counter(); [g.numpy() for g in grads()]; times.append(time.perf_counter() - t)
    out["big_" + cell] = 1e3 * min(times)
print(json.dumps(out))
'''


def hihello(cell, seed=0):
    data = training.char_dataset("hihello", vocab=training.SEED_VOCAB)
    return data, training.CharModel(data.vocab_size, cell, units=UNITS, seed=seed)


def time_training(cell, epochs, live):
    from ui.drawing import (
        training_figures,  # only for the live variant: the page's own figure builder
    )

    data, model = hihello(cell)
    state = {"drawn": -1.0, "log": []}

    def on_epochs(epoch, history):
        state["log"].append(f"epoch {epoch} loss {history.loss[-1]:.4f} {data.decode(history.predictions[-1][0])}")
        if history.seconds - state["drawn"] >= 0.25:  # as pages/training.py: at most 4 redraws a second
            state["drawn"] = history.seconds
            training_figures.loss_curve(history.loss, history.accuracy, epochs).to_json()

    start = time.perf_counter()
    history = training.train(model, data, optimizers.Adam(0.01), epochs,
                             callback=on_epochs if live else None, every=50)
    seconds = time.perf_counter() - start
    assert data.decode(history.predictions[-1][0]) == "ihello", "the model did not learn hihello"
    return seconds


def ours_big(cell, big, repeats):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(big["batch"], big["timesteps"], big["input_dim"])).astype("float32")
    d_h = rng.normal(size=(big["batch"], big["timesteps"], big["units"])).astype("float32")
    layer = getattr(layers, cell)(big["units"], return_sequences=True)
    layer.build(x.shape)
    weights = layer.get_weights()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        trace = layer.trace(x)
        backprop.recurrent_backward(layer, trace, d_h=d_h, weights=weights)
        times.append(time.perf_counter() - t)
    return 1e3 * min(times)


def keras_numbers(steps, big, tmp):
    data, arrays = None, {}
    for cell in CELLS:
        data, model = hihello(cell)
        for k, w in enumerate(model.weights):
            arrays[f"{cell}_{k}"] = w
    arrays["x"] = data.one_hot(data.x_ids)
    arrays["y"] = data.y_ids
    path = Path(tmp) / "hihello.npz"
    np.savez(path, **arrays)
    args = {"data": str(path), "cells": list(CELLS), "units": UNITS, "steps": steps, "big": big}
    proc = subprocess.run([sys.executable, "-c", KERAS_CHILD, json.dumps(args)], capture_output=True,
                          text=True, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-2000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keras-steps", type=int, default=100)
    args = parser.parse_args()
    big = {"batch": 32, "timesteps": 100, "input_dim": 64, "units": 128, "repeats": args.repeats + 2}

    print(f"## (a) {args.epochs} epochs of hihello ({UNITS} units, Adam), best of {args.repeats}\n")
    print("| cell | bare s | with live updates s | target ≤ 3 s |")
    print("|---|---|---|---|")
    bare, live = {}, {}
    for cell in CELLS:
        bare[cell] = min(time_training(cell, args.epochs, live=False) for _ in range(args.repeats))
        live[cell] = min(time_training(cell, args.epochs, live=True) for _ in range(args.repeats))
        ok = "met" if live[cell] * 1000 / args.epochs <= TARGET_S else "MISSED"
        print(f"| {cell} | {bare[cell]:.2f} | {live[cell]:.2f} | {ok} |")

    with tempfile.TemporaryDirectory() as tmp:
        keras = keras_numbers(args.keras_steps, big, tmp)
    print("\n## (b) one training epoch: ours vs Keras 3 on the same model (ms; ratio = Keras / ours)\n")
    print("| cell | ours ms | Keras train_on_batch ms | ratio | Keras fit ms/epoch | ratio |")
    print("|---|---|---|---|---|---|")
    for cell in CELLS:
        ours = 1e3 * bare[cell] / args.epochs
        k = keras[cell]
        print(f"| {cell} | {ours:.2f} | {k['train_on_batch_ms']:.2f} | {k['train_on_batch_ms'] / ours:.1f}× "
              f"| {k['fit_ms']:.2f} | {k['fit_ms'] / ours:.1f}× |")

    print(f"\n## (c) gradients of one layer, batch {big['batch']} × {big['timesteps']} steps × "
          f"{big['input_dim']} → {big['units']} units (ms, best of {big['repeats']})\n")
    print("| cell | ours: trace + BPTT | Keras: GradientTape in tf.function | ratio ours / Keras |")
    print("|---|---|---|---|")
    for cell in ("LSTM", "GRU"):
        ours = ours_big(cell, big, big["repeats"])
        print(f"| {cell} | {ours:.1f} | {keras['big_' + cell]:.1f} | {ours / keras['big_' + cell]:.2f} |")
    worst = max(live.values()) * 1000 / args.epochs
    print(f"\nTarget (1,000 hihello epochs with live updates ≤ {TARGET_S:g} s): worst cell "
          f"{worst:.2f} s → {'met' if worst <= TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
