"""The last resort around a page and every fragment: a message, never a traceback.

Streamlit's control flow (st.rerun, st.stop, st.switch_page) raises exceptions that must pass
through (their base class has no public name: ui/runtime/streamlit_private.py).
"""
from __future__ import annotations

import contextlib
import functools
import logging

import streamlit as st

from ui.runtime.streamlit_private import ScriptControlException

_LOG = logging.getLogger("rnnlab")


@contextlib.contextmanager
def last_resort(where: str):
    """Run the block; an unexpected error becomes st.error and a log line with its traceback."""
    try:
        yield
    except ScriptControlException:
        raise
    except Exception as err:  # noqa: BLE001 — the last resort: a message, never a traceback
        _LOG.exception("%s failed", where)
        if isinstance(err, MemoryError):
            st.error("The server ran out of memory for this request: try a smaller configuration.")
        else:
            st.error(f"Something went wrong here ({type(err).__name__}); the details are in the "
                     "server log. Try another configuration or reload the page.")


def guarded(fn):
    """``fn`` under ``last_resort``: for fragments, whose reruns run outside the page's guard."""
    @functools.wraps(fn)
    def run(*args, **kwargs):
        with last_resort(fn.__qualname__):
            return fn(*args, **kwargs)
    return run
