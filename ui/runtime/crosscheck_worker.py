"""Runs in a separate process: imports TensorFlow there, so the app's server never pays for it.

Kept free of streamlit imports: the worker process only needs rnn_core and this module.
"""
from __future__ import annotations

import os
import threading
import time


def _exit_with_parent(parent_pid: int) -> None:
    # If the server is killed hard, its worker must not linger holding ~0.5 GB.
    while True:
        if os.getppid() != parent_pid:
            os._exit(0)
        time.sleep(1.0)


def warm_up(parent_pid: int) -> None:
    """Process initializer: watch the parent, then import TensorFlow once, up front."""
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    # The check is background work: on 2 cores, importing TensorFlow at full priority slowed the
    # first page's charts and every re-render while it ran. Let the server and browser go first.
    os.nice(15)
    import numpy as np

    from rnn_core import crosscheck, layers
    try:  # pay for importing TensorFlow and building a Keras layer before any request
        crosscheck.run(layers.SimpleRNN(1, seed=0), np.zeros((1, 1, 1), np.float32))
    except Exception:  # noqa: BLE001 - a real request reports the same error properly
        pass


def check(parts, tolerance: float = 1e-5):
    """crosscheck.run on each (label, layer, x, mask) part (pickling made the copies); one result:
    every part's outputs and steps (named "label · name" when labelled), the worst difference,
    the summed timings, the first part's cuDNN rules."""
    import dataclasses

    from rnn_core import crosscheck
    results = [(label, crosscheck.run(layer, x, mask=mask, tolerance=tolerance))
               for label, layer, x, mask in parts]

    def labelled(field):
        return [dataclasses.replace(d, name=f"{label} · {d.name}" if label else d.name)
                for label, res in results for d in getattr(res, field)]
    first = results[0][1]
    worst = max(res.max_abs_diff for _, res in results)
    return dataclasses.replace(
        first, outputs=labelled("outputs"), steps=labelled("steps"), max_abs_diff=worst,
        passed=all(res.passed for _, res in results),
        numpy_ms=sum(res.numpy_ms for _, res in results),
        keras_ms=sum(res.keras_ms for _, res in results))
