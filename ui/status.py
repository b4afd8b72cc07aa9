"""The live TensorFlow cross-check, computed off the critical path.

One worker process (a ProcessPoolExecutor cached with st.cache_resource) imports TensorFlow and
runs ``rnn_core.crosscheck.run``. A page only *requests* a check; app.py submits the requests
after the page has been drawn, so neither starting the worker nor pickling a layer delays a
first paint. Results depend only on (config, input) and are shared by every session (bounded).
Pages never wait: the status line polls with ``st.fragment(run_every=...)`` until the result is
in, then reruns once to show it.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import threading
import types
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

import streamlit as st

from rnn_core import crosscheck
from ui import crosscheck_worker

POLL_SECONDS = 2.0
MAX_QUEUED = 3  # checks waiting for the worker; beyond that a page shows its numbers unchecked
TOLERANCE = 1e-5
_MAX_RESULTS = 128
_REQUESTS = "_crosscheck_requests"  # session state: [(key, lab, rerun)] waiting for the page's end


class Checks:
    """The worker pool and the shared, bounded cache of result futures."""

    def __init__(self):
        self.lock = threading.Lock()
        self.futures: OrderedDict[str, Future] = OrderedDict()
        self.pool: ProcessPoolExecutor | None = None

    def submit(self, key: str, parts, rerun: bool = False) -> None:
        """Check ``parts``: [(label, layer, x, mask)], one per recurrent layer of the model."""
        with self.lock:
            future = self.futures.get(key)
            if future is None or rerun or _broken(future):
                if self.pool is None or _broken(future):
                    self.pool = _new_pool()
                self.futures[key] = self.pool.submit(crosscheck_worker.check, parts, TOLERANCE)
            self.futures.move_to_end(key)
            while len(self.futures) > _MAX_RESULTS:
                self.futures.popitem(last=False)

    def get(self, key: str) -> Future | None:
        with self.lock:
            return self.futures.get(key)

    def queued(self) -> int:
        """Checks submitted and not finished yet (the worker runs one at a time)."""
        with self.lock:
            return sum(not future.done() for future in self.futures.values())


def _new_pool() -> ProcessPoolExecutor:
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=crosscheck_worker.warm_up, initargs=(os.getpid(),))
    with _main_module_hidden():  # the worker process is spawned by the first submit
        pool.submit(os.getpid)
    return pool


@contextmanager
def _main_module_hidden():
    """A spawned worker re-imports ``__main__``, which under Streamlit is the running page
    script: hide it while the pool starts its process, so the worker imports only what it needs."""
    main = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def _broken(future: Future | None) -> bool:
    return future is not None and future.done() and isinstance(future.exception(), BrokenProcessPool)


@st.cache_resource(show_spinner=False)
def checks() -> Checks:
    return Checks()


def key_for(lab) -> str:
    """Cache key: the config plus a digest of the input (a CSV can change with the same config)."""
    digest = hashlib.sha1(lab.x.tobytes()).hexdigest()[:12]
    return f"{lab.cfg!r}|{lab.x.shape}|{digest}"


def start(lab, rerun: bool = False) -> str | None:
    """Request the cross-check for ``lab`` (run once per key, after the page has been drawn);
    returns the key, or None without TensorFlow."""
    if not crosscheck.is_available():
        return None
    key = key_for(lab)
    requests = st.session_state.setdefault(_REQUESTS, [])
    if rerun or (checks().get(key) is None and checks().queued() + len(requests) < MAX_QUEUED):
        requests.append((key, lab, rerun))
    return key


def after_page():
    """A callable that sends this run's requested checks to the worker, for app.py to call once
    the page is drawn. Prepared before the page runs: after an st.stop() in the page, any
    Streamlit call would stop again, so the callable uses none."""
    requests = st.session_state[_REQUESTS] = []
    pool = checks()

    def submit() -> None:
        for key, lab, rerun in requests:
            # private copies of the layers: pickling them must not race the page's own use
            pool.submit(key, lab.check_parts(), rerun=rerun)
        requests.clear()

    return submit


def result(key: str):
    """(state, value): ("busy", None) when the worker had no room for it, ("pending", None),
    ("done", CrossCheckResult) or ("error", message)."""
    future = checks().get(key)
    if future is None and not any(k == key for k, *_ in st.session_state.get(_REQUESTS, [])):
        return "busy", None
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


def live_status(lab, details_link: bool = True) -> str | None:
    """One line under the page title: does TensorFlow agree with the numbers shown here?

    Returns the result key (for ``result``), or None when TensorFlow is not installed."""
    key = start(lab)
    with st.container(key="crosscheck_status"):
        if key is None:
            st.caption("TensorFlow is not installed, so these numbers are not cross-checked "
                       "(`pip install tensorflow`; see the Cross-check page).")
            return None
        _status_line(key, poll=result(key)[0] == "pending", details_link=details_link)
    return key


def _status_line(key: str, poll: bool, details_link: bool = True) -> None:
    if poll:
        _pending(key)
        return
    state, value = result(key)
    if state == "busy":  # a class at once: no queue without end, and no polling for it
        st.caption(":material/hourglass_disabled: TensorFlow is busy with other checks right now, "
                   "so these numbers are not cross-checked yet: the **Cross-check** page runs "
                   "this one on request.")
    elif state == "done":
        icon = ":material/check_circle:" if value.passed else ":material/error:"
        colour = "green" if value.passed else "red"
        link = "  · details on the **Cross-check** page" if details_link else ""
        st.markdown(f":{colour}-badge[{icon} {summary_text(value)}]{link}")
    else:
        st.caption(f"Cross-check failed to run: {value}")


@st.fragment(run_every=POLL_SECONDS)
def _pending(key: str) -> None:
    if result(key)[0] != "pending":
        st.rerun()  # full rerun: draws the result and stops this polling fragment
    st.caption(":material/hourglass_top: TensorFlow is checking these numbers in the "
               "background (first check imports TensorFlow, ~5 s)…")
