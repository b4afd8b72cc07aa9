"""The live TensorFlow cross-check, computed off the critical path.

One worker process (a ProcessPoolExecutor cached with st.cache_resource) imports TensorFlow and
runs ``rnn_core.crosscheck.run``. A page only *requests* a check; app.py submits the requests
after the page has been drawn, so neither starting the worker nor pickling a layer delays a
first paint. Results depend only on (config, input) and are shared by every session (bounded).
Pages never wait: the status line is a fragment that polls from the browser (ui/js/ticker.js
asks for a rerun of that fragment only) until the result is in, then draws it and stops polling.
No full-app rerun: a student's click never races one (a fragment rerun request that arrives after
a full run replaced its fragment is dropped by Streamlit).

The worker process is spawned with an importable initializer (``crosscheck_worker.warm_up``, which
also lowers its CPU priority). Spawn re-imports the parent's ``__main__``, which under Streamlit is
app.py: app.py builds the app only when run as ``__main__``.
"""
from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import streamlit as st

from rnn_core import crosscheck
from ui.controls import keys
from ui.runtime import crosscheck_worker, guard

POLL_SECONDS = 2.0
MAX_QUEUED = 3  # checks waiting for the worker; beyond that a page shows its numbers unchecked
TOLERANCE = 1e-5
_MAX_RESULTS = 128


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
    """One spawned worker (no fork of a multi-threaded server), started now so that it imports
    TensorFlow before the first request."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                               initializer=crosscheck_worker.warm_up, initargs=(os.getpid(),))
    pool.submit(os.getpid)
    return pool


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
    returns the key, or None without TensorFlow. ``rerun`` (a button) submits at once: the
    button reruns only the status fragment, and app.py's after-page submit runs in full runs."""
    if not crosscheck.is_available():
        return None
    key = key_for(lab)
    if rerun:
        checks().submit(key, lab.check_parts(), rerun=True)
        return key
    requests = st.session_state.setdefault(keys.CROSSCHECK_REQUESTS, [])
    if checks().get(key) is None and checks().queued() + len(requests) < MAX_QUEUED:
        requests.append((key, lab, rerun))
    return key


def after_page():
    """A callable that sends this run's requested checks to the worker, for app.py to call once
    the page is drawn. Prepared before the page runs: after an st.stop() in the page, any
    Streamlit call would stop again, so the callable uses none."""
    requests = st.session_state[keys.CROSSCHECK_REQUESTS] = []
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
    if future is None and not any(k == key for k, *_ in st.session_state.get(keys.CROSSCHECK_REQUESTS, [])):
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


Details = Callable[[str, object], None]  # (state, value) -> draws what the page shows of the check

_ticker = st.components.v2.component(
    "rnnlab_ticker", js=(Path(__file__).resolve().parents[1] / "js" / "ticker.js").read_text(encoding="utf-8"))
_RUNS = itertools.count()  # makes every ticker element new data, so the browser re-arms its timer


def live_status(lab, details_link: bool = True, details: Details | None = None) -> str | None:
    """One line under the page title: does TensorFlow agree with the numbers shown here?

    ``details(state, value)`` draws what a page shows of the result (the Cross-check page's table)
    inside the same fragment, so it updates with the line. Returns the result key (for
    ``result``), or None when TensorFlow is not installed."""
    key = start(lab)
    with st.container(key="crosscheck_status"):
        if key is None:
            st.caption("TensorFlow is not installed, so these numbers are not cross-checked "
                       "(`pip install tensorflow`; see the Cross-check page).")
            return None
        _status(key, details_link, details)
    return key


@st.fragment
@guard.guarded
def _status(key: str, details_link: bool, details: Details | None) -> None:
    """The status line (and the page's details); while the check is pending, a browser timer
    reruns this fragment alone. Once the result is in, no timer is drawn: polling stops."""
    state, value = result(key)
    _status_line(state, value, details_link)
    if details is not None:
        details(state, value)
    if state == "pending":
        _ticker(key="crosscheck_ticker", data={"ms": int(POLL_SECONDS * 1000), "run": next(_RUNS)},
                on_tick_change=lambda: None, height=0)


def _status_line(state: str, value, details_link: bool = True) -> None:
    if state == "pending":
        st.caption(":material/hourglass_top: TensorFlow is checking these numbers in the "
                   "background (first check imports TensorFlow, ~5 s)…")
    elif state == "busy":  # a class at once: no queue without end, and no polling for it
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
