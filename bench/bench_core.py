"""rnn_core vs Keras, side by side in one run: forward and trace against the Keras eager layer call
and the same call under tf.function, for LSTM and GRU on the classroom and the large config.

    .venv/bin/python bench/bench_core.py            # prints a markdown table (README's table)
    .venv/bin/python bench/bench_core.py --quick    # fewer repeats, for a smoke run

Times are medians over repeats after warm-up, in milliseconds, on the same float32 inputs and the
same weights (copied from rnn_core into Keras). Targets (issue 2): forward >= 10x faster than the
Keras eager call on the classroom config; no slower than tf.function on the large config; a trace
costs at most 2x a forward.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rnn_core import layers  # noqa: E402

CONFIGS = {  # name -> (batch, timesteps, input_dim, units)
    "classroom": (1, 10, 4, 8),
    "large": (32, 100, 64, 128),
}
CELLS = ("LSTM", "GRU")
GATES = {"LSTM": 4, "GRU": 3}


def median_ms(fn, repeats, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)) * 1e3


def forward_flops(cell, batch, timesteps, input_dim, units):
    """Multiply-adds of the two matmuls (input projection, recurrent), counted as 2 FLOPs each."""
    g_units = GATES[cell] * units
    return 2 * batch * timesteps * (input_dim + units) * g_units


def matmul_gflops(m, k, n, repeats, warmup=3):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)  # (m, k)
    b = rng.standard_normal((k, n), dtype=np.float32)  # (k, n)
    ms = median_ms(lambda: a @ b, repeats, warmup)
    return 2 * m * k * n / (ms * 1e-3) / 1e9, ms


def bench_one(cell, config, tf, keras, scale):
    batch, timesteps, input_dim, units = CONFIGS[config]
    small = config == "classroom"
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, timesteps, input_dim), dtype=np.float32)  # (batch, T, input_dim)

    ours = getattr(layers, cell)(units, return_sequences=True, seed=0)
    ours.build((None, timesteps, input_dim))
    theirs = getattr(keras.layers, cell)(units, return_sequences=True)
    theirs.build((None, timesteps, input_dim))
    theirs.set_weights(ours.get_weights())
    x_tf = tf.constant(x)
    compiled = tf.function(lambda inputs: theirs(inputs))

    # same numbers first: a bench of a wrong computation is worthless
    diff = float(np.max(np.abs(ours(x) - np.asarray(theirs(x_tf)))))
    np.testing.assert_allclose(ours(x), np.asarray(compiled(x_tf)), atol=1e-5)

    r = (lambda n: max(3, int(n * scale)))
    row = dict(cell=cell, config=config, shape=f"{batch}×{timesteps}×{input_dim}→{units}", max_abs_diff=diff)
    row["forward"] = median_ms(lambda: ours(x), r(2000 if small else 40), 20 if small else 3)
    row["trace"] = median_ms(lambda: ours.trace(x), r(2000 if small else 40), 20 if small else 3)
    row["eager"] = median_ms(lambda: theirs(x_tf), r(60 if small else 10), 5 if small else 2)
    row["tf_function"] = median_ms(lambda: compiled(x_tf), r(300 if small else 40), 10 if small else 3)
    flops = forward_flops(cell, batch, timesteps, input_dim, units)
    row["gflops"] = flops / (row["forward"] * 1e-3) / 1e9
    # a NumPy matmul the size of one recurrent step, and of the input projection
    row["step_matmul_gflops"], _ = matmul_gflops(batch, units, GATES[cell] * units, r(300))
    row["proj_matmul_gflops"], _ = matmul_gflops(batch * timesteps, input_dim, GATES[cell] * units, r(100))
    return row


def table(rows, peak):
    head = ("| config | cell | rnn_core forward ms | rnn_core trace ms | Keras eager ms | Keras tf.function ms "
            "| forward speed-up vs eager | tf.function ms / forward ms | trace / forward "
            "| forward GFLOP/s | NumPy matmul GFLOP/s (step-size / projection-size) |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['config']} {r['shape']} | {r['cell']} | {r['forward']:.3f} | {r['trace']:.3f} | {r['eager']:.2f} "
            f"| {r['tf_function']:.3f} | {r['eager'] / r['forward']:.1f}× | {r['tf_function'] / r['forward']:.2f}× "
            f"| {r['trace'] / r['forward']:.2f}× | {r['gflops']:.2f} "
            f"| {r['step_matmul_gflops']:.2f} / {r['proj_matmul_gflops']:.1f} |")
    lines.append("")
    lines.append(f"NumPy float32 matmul peak on this machine (2048×2048 @ 2048×2048): **{peak:.0f} GFLOP/s**.")
    return "\n".join(lines)


def targets(rows):
    out = []
    for r in rows:
        if r["config"] == "classroom":
            ratio = r["eager"] / r["forward"]
            out.append(f"- {'✓' if ratio >= 10 else '✗'} {r['cell']} classroom: forward {ratio:.1f}× faster than "
                       f"Keras eager (target ≥ 10×)")
        else:
            ratio = r["tf_function"] / r["forward"]
            out.append(f"- {'✓' if ratio >= 1 else '✗'} {r['cell']} large: forward {r['forward']:.2f} ms vs "
                       f"tf.function {r['tf_function']:.2f} ms (target: no slower, ratio {ratio:.2f} ≥ 1)")
        t = r["trace"] / r["forward"]
        out.append(f"- {'✓' if t <= 2 else '✗'} {r['cell']} {r['config']}: trace {t:.2f}× forward (target ≤ 2×)")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the repeats (smoke run)")
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    import tensorflow as tf

    rows = [bench_one(cell, config, tf, keras, scale) for config in CONFIGS for cell in CELLS]
    peak, _ = matmul_gflops(2048, 2048, 2048, max(3, int(10 * scale)))
    print(f"# rnn_core vs Keras — {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"NumPy {np.__version__}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
          f"Python {platform.python_version()}")
    print()
    print("Median of repeats after warm-up, float32, return_sequences=True, same weights on both sides "
          f"(max |rnn_core − Keras| ≤ {max(r['max_abs_diff'] for r in rows):.1e}).")
    print()
    print(table(rows, peak))
    print()
    print("Targets (issue 2):")
    print(targets(rows))


if __name__ == "__main__":
    main()
