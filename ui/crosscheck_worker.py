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


def check(layer, x, tolerance: float = 1e-5):
    """crosscheck.run on a copy of the layer (pickling made the copy); returns the result."""
    from rnn_core import crosscheck
    return crosscheck.run(layer, x, tolerance=tolerance)
