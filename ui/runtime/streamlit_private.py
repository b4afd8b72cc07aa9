"""Every use of a private Streamlit API, in one place, each where no public way exists.

Checked on Streamlit 1.67.0 (requirements.txt pins it); tests/test_app_config.py and
tests/test_budget.py fail if one of these moves.
"""
from __future__ import annotations

import streamlit as st

# The base class of st.rerun / st.stop / st.switch_page's exceptions: a last-resort guard must
# let Streamlit's control flow through, and Streamlit exports no public name for it.
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException  # noqa: F401


def leave_legacy_pages_mode() -> None:
    """Run pages through app.py even when a page URL is the server's very first request.

    With a pages/ directory Streamlit starts in its legacy mode and runs pages/<name>.py
    directly (no shared sidebar) until some session runs app.py's st.navigation. A page that
    finds itself in that mode switches it off and reruns, which executes app.py for the same
    URL path. No public switch exists: `client.showSidebarNavigation` only hides the links.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
