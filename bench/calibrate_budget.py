"""Calibrating ui/runtime/budget.py's training-time constants: real training time vs the estimate.

    .venv/bin/python bench/calibrate_budget.py

Runs a flop-heavy and a step-heavy model (rnn_core.training.train with Adam) and prints the
real seconds, the estimate and their ratio. The estimate should stay at or above about half the
real time on the class server; re-measure here after changing the trainer or the machine. A
measurement, not a test: wall-clock times are not compared in the test suite.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnn_core import optimizers, training  # noqa: E402
from ui.runtime import budget  # noqa: E402


def main() -> None:
    print("| cell | units | epochs | real s | estimate s | estimate / real |")
    print("|---|---:|---:|---:|---:|---:|")
    for cell, units, text, epochs in (("LSTM", 128, "abcdefghij" * 10, 3), ("GRU", 8, "hihello", 200)):
        data = training.char_dataset(text, seq_len=40 if len(text) > 41 else None)
        model = training.CharModel(data.vocab_size, cell, units=units)
        start = time.perf_counter()
        training.train(model, data, optimizers.get("Adam", learning_rate=0.01), epochs, every=epochs)
        real = time.perf_counter() - start
        estimate = budget.training_seconds(cell, units, 1, data.vocab_size, *data.x_ids.shape, epochs)
        print(f"| {cell} | {units} | {epochs} | {real:.2f} | {estimate:.2f} | {estimate / real:.2f} |")


if __name__ == "__main__":
    main()
