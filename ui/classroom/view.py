"""Classroom view controls: presenter view (URL ``presenter=true``) and teacher links.

Presenter view hides the sidebar and most of Streamlit's chrome, enlarges the type and fits the
step-through to the screen; a small control leaves it. Teacher links are built in the browser
from the page's current URL (the step the browser is on included), so they are always exact.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

# (label, URL overrides) of the teacher links; None removes a parameter.
LINKS = (
    ("This view", {}),
    ("Presenter view", {"presenter": "true", "lock": None}),
    ("Locked (read-only configuration)", {"lock": "true", "presenter": None}),
    ("Presenter view, locked", {"presenter": "true", "lock": "true"}),
)

# The browser side, in its own files, read once at import: the teacher links' element and the
# presenter view's page-wide CSS (injected only in presenter view).
JS_DIR = Path(__file__).resolve().parents[1] / "js"
_JS = (JS_DIR / "view.js").read_text(encoding="utf-8")
_CSS = (JS_DIR / "view.css").read_text(encoding="utf-8")
PRESENTER_CSS = "<style>\n" + (JS_DIR / "presenter.css").read_text(encoding="utf-8") + "</style>"

_links = st.components.v2.component("rnnlab_links", js=_JS, css=_CSS, isolate_styles=False)


def _set_presenter(on: bool) -> None:
    st.session_state["presenter"] = on


def teacher_links(key: str = "teacher_links") -> None:
    """Copy buttons for links to exactly this view: as is, presenter, locked, both."""
    _links(key=key, data={"links": [list(item) for item in LINKS]})


A11Y_CSS = Path(__file__).resolve().parents[2] / "static" / "a11y.css"  # contrast the theme cannot set


def apply() -> None:
    """Presenter view's CSS and exit control, or the sidebar's entry to it and teacher links."""
    st.html(A11Y_CSS)
    if st.session_state.get("presenter"):
        st.html(PRESENTER_CSS)
        with st.container(key="presenter_bar", horizontal=True, horizontal_alignment="right"):
            st.button("Exit presenter view", key="exit_presenter", icon=":material/close_fullscreen:",
                      on_click=_set_presenter, args=(False,), type="tertiary")
        return
    sb = st.sidebar
    sb.button("Presenter view", key="enter_presenter", icon=":material/present_to_all:",
              on_click=_set_presenter, args=(True,),
              help="For a projector: no sidebar, large type (or add presenter=true to the URL).")
    with sb.expander("Teacher links", icon=":material/link:"):
        st.caption("Links to exactly this view (configuration, step, sample, the page's settings).")
        teacher_links()

