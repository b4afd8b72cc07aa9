"""The live TensorFlow cross-check, computed off the critical path.

One worker process (cached with st.cache_resource) imports TensorFlow and runs
``rnn_core.crosscheck.run``; results are cached per (config, input). Pages never wait: they
show a small status that polls with ``st.fragment(run_every=...)`` until the result is in,
then rerun once to show the numbers and stop polling.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import threading
import time
import types
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

import streamlit as st

from rnn_core import crosscheck
from ui import crosscheck_worker

POLL_SECONDS = 1.0
START_DELAY = 2.0  # seconds from the first request to starting the TensorFlow worker (after first paint)
TOLERANCE = 1e-5
_MAX_RESULTS = 128


class Checker:
    """One worker process plus a per-key cache of futures.

    A dispatcher thread owns the pool: it starts the worker process only START_DELAY seconds
    after the first request, so TensorFlow's import never competes with the app's first paint.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._futures: OrderedDict[str, Future] = OrderedDict()
        self._queue: list[tuple[Future, object, object]] = []
        self._wake = threading.Event()
        self._dispatcher: threading.Thread | None = None
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, key: str, layer, x, rerun: bool = False) -> Future:
        """The future for ``key``, submitting the check once (or again when ``rerun``)."""
        with self._lock:
            future = self._futures.get(key)
            if future is None or rerun or _broken(future):
                future = Future()
                self._futures[key] = future
                self._queue.append((future, layer, x))
                self._wake.set()
                if self._dispatcher is None:
                    self._dispatcher = threading.Thread(target=self._dispatch, daemon=True,
                                                        name="rnnlab-crosscheck")
                    self._dispatcher.start()
            self._futures.move_to_end(key)
            while len(self._futures) > _MAX_RESULTS:
                self._futures.popitem(last=False)
            return future

    def get(self, key: str) -> Future | None:
        with self._lock:
            return self._futures.get(key)

    def _dispatch(self) -> None:
        time.sleep(START_DELAY)
        while True:
            self._wake.wait()
            with self._lock:
                jobs, self._queue = self._queue, []
                self._wake.clear()
            for outer, layer, x in jobs:
                try:
                    try:
                        inner = self._executor().submit(crosscheck_worker.check, layer, x,
                                                        TOLERANCE)
                    except BrokenProcessPool:  # the worker died: start a new one
                        self._pool = None
                        inner = self._executor().submit(crosscheck_worker.check, layer, x,
                                                        TOLERANCE)
                except Exception as error:  # noqa: BLE001 - e.g. the interpreter is exiting
                    outer.set_exception(error)
                    continue
                inner.add_done_callback(lambda done, outer=outer: _copy_outcome(done, outer))

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                initializer=crosscheck_worker.warm_up, initargs=(os.getpid(),))
            with _main_module_hidden():  # the worker process is spawned by this first submit
                started = self._pool.submit(os.getpid)
            started.result()  # wait (here, off the page's path) until TensorFlow is imported
        return self._pool


def _copy_outcome(done: Future, outer: Future) -> None:
    error = done.exception()
    if error is not None:
        outer.set_exception(error)
    else:
        outer.set_result(done.result())


@contextmanager
def _main_module_hidden():
    """A spawned worker re-imports ``__main__``, which under Streamlit is the running page
    script: hide it while the pool starts its process, so the worker only imports what it needs."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _broken(future: Future) -> bool:
    return future.done() and isinstance(future.exception(), BrokenProcessPool)


@st.cache_resource(show_spinner=False)
def checker() -> Checker:
    return Checker()


def key_for(lab) -> str:
    """Cache key: the config plus a digest of the input (a CSV can change with the same config)."""
    digest = hashlib.sha1(lab.x.tobytes()).hexdigest()[:12]
    return f"{lab.cfg!r}|{lab.x.shape}|{digest}"


def start(lab, rerun: bool = False) -> str | None:
    """Submit the cross-check for ``lab`` (once per key); returns the key, None without TF."""
    if not crosscheck.is_available():
        return None
    key = key_for(lab)
    if rerun or checker().get(key) is None:
        # a private copy: the worker pickles it later, while the page may run the original
        checker().submit(key, lab.fresh_layer(), lab.x, rerun=rerun)
    return key


def result(key: str):
    """(state, value): ("pending", None) | ("done", CrossCheckResult) | ("error", message)."""
    future = checker().get(key)
    if future is None or not future.done():
        return "pending", None
    error = future.exception()
    if error is not None:
        return "error", f"{type(error).__name__}: {error}"
    return "done", future.result()


def summary_text(res) -> str:
    verdict = "TensorFlow agrees" if res.passed else "TensorFlow DISAGREES"
    return (f"{verdict}: max |NumPy − Keras| = {res.max_abs_diff:.1e} "
            f"(tolerance {res.tolerance:.0e}) on {res.device}")


def live_status(lab) -> str | None:
    """One line under the page title: does TensorFlow agree with the numbers shown here?

    Returns the result key (for ``result``), or None when TensorFlow is not installed."""
    key = start(lab)
    with st.container(key="crosscheck_status"):
        if key is None:
            st.caption("TensorFlow is not installed, so these numbers are not cross-checked "
                       "(`pip install tensorflow`; see the Cross-check page).")
            return None
        _status_line(key, poll=result(key)[0] == "pending")
    return key


def _status_line(key: str, poll: bool) -> None:
    if poll:
        _pending(key)
        return
    state, value = result(key)
    if state == "done":
        icon = ":material/check_circle:" if value.passed else ":material/error:"
        colour = "green" if value.passed else "red"
        st.markdown(f":{colour}-badge[{icon} {summary_text(value)}]  "
                    f"· details on the **Cross-check** page")
    else:
        st.caption(f"Cross-check failed to run: {value}")


@st.fragment(run_every=POLL_SECONDS)
def _pending(key: str) -> None:
    if result(key)[0] != "pending":
        st.rerun()  # full rerun: draws the result and stops this polling fragment
    st.caption(":material/hourglass_top: TensorFlow is checking these numbers in the "
               "background (first check imports TensorFlow, ~5 s)…")
