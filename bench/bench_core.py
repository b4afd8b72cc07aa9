"""rnn_core vs Keras, side by side in one run: forward and trace against the Keras eager layer call
and the same call under tf.function, for LSTM and GRU on the classroom and the large config.

    .venv/bin/python bench/bench_core.py            # prints a markdown table (README's table)
    .venv/bin/python bench/bench_core.py --quick    # fewer rounds, for a smoke run

Same float32 inputs and the same weights (copied from rnn_core into Keras; outputs checked equal
first). Times are medians in milliseconds over interleaved rounds after warm-up: each round times a
block of calls of every contender in turn, so load from other processes hits all of them alike;
ratios are medians of the per-round ratios. Before every block the bench sleeps SETTLE_SECONDS, so a
contender never starts while the previous one's worker threads (TensorFlow's pools, OpenBLAS) still
spin on the cores it needs.

Keras runs in its own process (as the app's cross-check does): once TensorFlow has run in a process,
its thread pools and NumPy's multithreaded OpenBLAS fight over the cores, and NumPy loops in that
process measured 3x slower on this 2-core machine. The parent process never imports TensorFlow.

A second table holds both sides to one core (rnn_core's BLAS pinned to one thread; TensorFlow's
intra- and inter-op pools set to one thread, in a third process): rnn_core's time loop runs on one
core by design (see rnn_core/_blas.py), while a tf.function graph spreads its ops over both.

Targets (issue 2): forward >= 10x faster than the Keras eager call on the classroom config; no
slower than tf.function on the large config; a trace costs at most 2x a forward.
"""
from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from threadpoolctl import threadpool_limits  # noqa: E402

from rnn_core import layers  # noqa: E402

CONFIGS = {  # name -> (batch, timesteps, input_dim, units)
    "classroom": (1, 10, 4, 8),
    "large": (32, 100, 64, 128),
}
CELLS = ("LSTM", "GRU")
GATES = {"LSTM": 4, "GRU": 3}
# Each timed block of calls lasts about this long: the first call after another process's work runs
# up to 1.5x slower here (cold caches), and one-call blocks measured that instead of the layer.
BLOCK_SECONDS = 0.1
SETTLE_SECONDS = 0.05  # idle time before each block: leftover spinning threads go to sleep


def block_ms(fn, n):
    """Mean ms per call over a block of n calls."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e3


def block_size(fn, warmup=3):
    for _ in range(warmup):
        fn()
    return max(1, int(BLOCK_SECONDS / max(block_ms(fn, 1) * 1e-3, 1e-6)))


def matmul_gflops(m, k, n, rounds=7):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k), dtype=np.float32)  # (m, k)
    b = rng.standard_normal((k, n), dtype=np.float32)  # (k, n)
    fn = (lambda: a @ b)
    size = block_size(fn)
    ms = float(np.median([block_ms(fn, size) for _ in range(rounds)]))
    return 2 * m * k * n / (ms * 1e-3) / 1e9


def forward_flops(cell, batch, timesteps, input_dim, units):
    """Multiply-adds of the two matmuls (input projection, recurrent), counted as 2 FLOPs each."""
    return 2 * batch * timesteps * (input_dim + units) * GATES[cell] * units


# --- the Keras side, in its own process ------------------------------------------------------------
def keras_worker(conn, threads):
    """Serve requests from the parent: ("setup", cell, units, weights, x) -> outputs;
    ("size", name) -> block size; ("time", name, n) -> ms per call; ("versions",); ("quit",).
    threads: TensorFlow's intra- and inter-op thread counts (None: its default, all cores)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    import tensorflow as tf

    if threads is not None:  # only possible before TensorFlow runs its first op
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)

    fns = {}
    while True:
        request = conn.recv()
        kind = request[0]
        if kind == "setup":
            _, cell, units, weights, x = request
            layer = getattr(keras.layers, cell)(units, return_sequences=True)
            layer.build((None,) + x.shape[1:])
            layer.set_weights(weights)
            x_tf = tf.constant(x)
            compiled = tf.function(lambda inputs: layer(inputs))
            fns = {"eager": lambda: layer(x_tf), "tf_function": lambda: compiled(x_tf)}
            conn.send((np.asarray(layer(x_tf)), np.asarray(compiled(x_tf))))
        elif kind == "size":
            conn.send(block_size(fns[request[1]]))
        elif kind == "time":
            conn.send(block_ms(fns[request[1]], request[2]))
        elif kind == "versions":
            conn.send((tf.__version__, keras.__version__))
        else:
            conn.close()
            return


class KerasProcess:
    def __init__(self, threads=None):
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.process = context.Process(target=keras_worker, args=(child, threads), daemon=True)
        self.process.start()

    def ask(self, *request):
        self.conn.send(request)
        return self.conn.recv()

    def close(self):
        self.conn.send(("quit",))
        self.process.join(timeout=30)


# --- one configuration ------------------------------------------------------------------------------
def bench_one(cell, config, keras_process, keras_one_thread, rounds):
    batch, timesteps, input_dim, units = CONFIGS[config]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, timesteps, input_dim), dtype=np.float32)  # (batch, T, input_dim)
    ours = getattr(layers, cell)(units, return_sequences=True, seed=0)
    ours.build((None, timesteps, input_dim))

    # same numbers first: a bench of a wrong computation is worthless
    keras_outputs = [*keras_process.ask("setup", cell, units, ours.get_weights(), x),
                     *keras_one_thread.ask("setup", cell, units, ours.get_weights(), x)]
    diff = float(max(np.max(np.abs(ours(x) - out)) for out in keras_outputs))
    assert diff < 1e-5, f"{cell} {config}: rnn_core and Keras differ by {diff}"

    # name -> (call, context it is timed in); the limit wraps whole blocks: setting it costs ~1 ms
    local = {"forward": (lambda: ours(x), contextlib.nullcontext),
             "trace": (lambda: ours.trace(x), contextlib.nullcontext),
             "forward_1t": (lambda: ours(x), lambda: threadpool_limits(1, user_api="blas"))}
    remote = {"eager": (keras_process, "eager"), "tf_function": (keras_process, "tf_function"),
              "tf_function_1t": (keras_one_thread, "tf_function")}
    sizes = {}
    for name, (fn, context) in local.items():
        with context():
            sizes[name] = block_size(fn)
    sizes.update({name: process.ask("size", fn) for name, (process, fn) in remote.items()})
    times = {name: [] for name in sizes}
    for _ in range(rounds):
        for name, (fn, context) in local.items():
            with context():
                time.sleep(SETTLE_SECONDS)
                times[name].append(block_ms(fn, sizes[name]))
        for name, (process, fn) in remote.items():
            time.sleep(SETTLE_SECONDS)
            times[name].append(process.ask("time", fn, sizes[name]))
    times = {name: np.array(t) for name, t in times.items()}

    row = dict(cell=cell, config=config, shape=f"{batch}×{timesteps}×{input_dim}→{units}", max_abs_diff=diff)
    row.update({name: float(np.median(t)) for name, t in times.items()})
    row.update({f"{name}_best": float(np.min(t)) for name, t in times.items()})  # least disturbed round
    row["eager_ratio"] = float(np.median(times["eager"] / times["forward"]))
    row["tf_function_ratio"] = float(np.median(times["tf_function"] / times["forward"]))
    row["trace_ratio"] = float(np.median(times["trace"] / times["forward"]))
    row["one_thread_ratio"] = float(np.median(times["tf_function_1t"] / times["forward_1t"]))
    row["gflops"] = forward_flops(cell, batch, timesteps, input_dim, units) / (row["forward"] * 1e-3) / 1e9
    # NumPy matmuls the size of one recurrent step and of the input projection
    row["step_matmul_gflops"] = matmul_gflops(batch, units, GATES[cell] * units)
    row["proj_matmul_gflops"] = matmul_gflops(batch * timesteps, input_dim, GATES[cell] * units)
    return row


def table(rows, peak):
    head = ("| config | cell | rnn_core forward ms | rnn_core trace ms | Keras eager ms | Keras tf.function ms "
            "| forward speed-up vs eager | tf.function ms / forward ms | trace / forward "
            "| forward GFLOP/s | NumPy matmul GFLOP/s (step-size / projection-size) |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        lines.append(
            f"| {r['config']} {r['shape']} | {r['cell']} | {r['forward']:.3f} | {r['trace']:.3f} | {r['eager']:.2f} "
            f"| {r['tf_function']:.3f} | {r['eager_ratio']:.1f}× | {r['tf_function_ratio']:.2f}× "
            f"| {r['trace_ratio']:.2f}× | {r['gflops']:.2f} "
            f"| {r['step_matmul_gflops']:.2f} / {r['proj_matmul_gflops']:.1f} |")
    lines.append("")
    lines.append(f"NumPy float32 matmul peak on this machine (2048×2048 @ 2048×2048): **{peak:.0f} GFLOP/s**.")
    return "\n".join(lines)


def one_core_table(rows):
    """Both sides held to one core: what each implementation does with a core, apart from threads."""
    lines = ["| config | cell | rnn_core forward, 1 BLAS thread ms | Keras tf.function, 1 intra/inter-op thread ms "
             "| tf.function ms / forward ms |", "|---|---|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['config']} {r['shape']} | {r['cell']} | {r['forward_1t']:.3f} | {r['tf_function_1t']:.3f} "
                     f"| {r['one_thread_ratio']:.2f}× |")
    return "\n".join(lines)


def targets(rows):
    out = []
    for r in rows:
        if r["config"] == "classroom":
            ratio = r["eager_ratio"]
            best = r["eager_best"] / r["forward_best"]
            out.append(f"- {'✓' if ratio >= 10 else '✗'} {r['cell']} classroom: forward {ratio:.1f}× faster than "
                       f"Keras eager (target ≥ 10×; best rounds {best:.1f}×)")
        else:
            ratio = r["tf_function_ratio"]
            out.append(f"- {'✓' if ratio >= 1 else '✗'} {r['cell']} large: forward {r['forward']:.2f} ms vs "
                       f"tf.function {r['tf_function']:.2f} ms (target: no slower, ratio {ratio:.2f} ≥ 1; best rounds "
                       f"{r['forward_best']:.2f} vs {r['tf_function_best']:.2f} ms)")
        out.append(f"- {'✓' if r['trace_ratio'] <= 2 else '✗'} {r['cell']} {r['config']}: trace "
                   f"{r['trace_ratio']:.2f}× forward (target ≤ 2×; best rounds "
                   f"{r['trace_best'] / r['forward_best']:.2f}×)")
    return "\n".join(out)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 15 (smoke run)")
    args = parser.parse_args(argv)
    rounds = 3 if args.quick else 15

    keras_process, keras_one_thread = KerasProcess(), KerasProcess(threads=1)
    try:
        rows = [bench_one(cell, config, keras_process, keras_one_thread, rounds)
                for config in CONFIGS for cell in CELLS]
        tf_version, keras_version = keras_process.ask("versions")
    finally:
        keras_process.close()
        keras_one_thread.close()
    peak = matmul_gflops(2048, 2048, 2048, rounds=3 if args.quick else 7)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# rnn_core vs Keras — {platform.machine()}, {os.cpu_count()} CPUs, NumPy {np.__version__}, "
          f"TensorFlow {tf_version}, Keras {keras_version}, Python {platform.python_version()}")
    print()
    print(f"Medians of {rounds} interleaved rounds after warm-up (ratios: median of per-round ratios), float32, "
          "return_sequences=True, same weights on both sides "
          f"(max |rnn_core − Keras| = {max(r['max_abs_diff'] for r in rows):.1e}); Keras in its own process. "
          f"Load average at the end: {load:.1f} on {os.cpu_count()} CPUs.")
    print()
    print(table(rows, peak))
    print()
    print("Targets (issue 2):")
    print(targets(rows))
    print()
    print("Context, not a target — both sides on one core (rnn_core's BLAS pinned to one thread, TensorFlow's "
          "intra- and inter-op pools set to one thread in a third process):")
    print()
    print(one_core_table(rows))


if __name__ == "__main__":
    main()
