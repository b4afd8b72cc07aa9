"""Classroom view controls: presenter view (URL ``presenter=true``) and teacher links.

Presenter view hides the sidebar and most of Streamlit's chrome, enlarges the type and fits the
step-through to the screen; a small control leaves it. Teacher links are built in the browser
from the page's current URL (the step the browser is on included), so they are always exact.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

PRESENTER_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stExpandSidebarButton"], header[data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"] {
  display: none !important;
}
[data-testid="stMainBlockContainer"], .block-container {
  padding-top: 0.75rem !important; padding-bottom: 2rem !important; max-width: 100% !important;
  padding-left: 2.5rem !important; padding-right: 2.5rem !important;
}
html { font-size: 20px; }
.st-key-presenter_bar { position: fixed; top: 0.3rem; right: 1rem; z-index: 1000; width: auto !important; }
h1 { font-size: 1.8rem !important; padding: 0 0 0.3rem !important; }
h3 { font-size: 1.3rem !important; padding: 0.2rem 0 !important; }
.rnnlab-step-panel math { font-size: 1.3em; }
</style>
"""

# (label, URL overrides) of the teacher links; None removes a parameter.
LINKS = (
    ("This view", {}),
    ("Presenter view", {"presenter": "true", "lock": None}),
    ("Locked (read-only configuration)", {"lock": "true", "presenter": None}),
    ("Presenter view, locked", {"presenter": "true", "lock": "true"}),
)

_JS = r"""
function link(overrides) {
  const url = new URL(window.location.href);
  for (const [key, value] of Object.entries(overrides)) {
    if (value === null) url.searchParams.delete(key); else url.searchParams.set(key, value);
  }
  return url.toString();
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {   // plain http on a LAN has no clipboard API: select and copy instead
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  const label = button.textContent;
  button.textContent = "Copied";
  setTimeout(() => { button.textContent = label; }, 1200);
}

export default function ({ data, parentElement }) {
  let box = parentElement.querySelector(".rnnlab-links");
  if (!box) {
    box = document.createElement("div");
    box.className = "rnnlab-links";
    parentElement.appendChild(box);
  }
  box.replaceChildren();
  const rows = [];
  for (const [label, overrides] of data.links) {
    const row = document.createElement("div");
    row.className = "rnnlab-link";
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "Copy";
    const text = document.createElement("span");
    text.textContent = label;
    const code = document.createElement("code");
    row.append(button, text, code);
    button.addEventListener("click", () => copy(link(overrides), button));
    rows.push([code, overrides]);
    box.appendChild(row);
  }
  const refresh = () => { for (const [code, overrides] of rows) code.textContent = link(overrides); };
  refresh();
  const timer = setInterval(refresh, 1000);   // the step moves in the browser, without a rerun
  return () => clearInterval(timer);
}
"""

_CSS = """
.rnnlab-links { display: flex; flex-direction: column; gap: 0.35rem; font-size: 0.85rem; }
.rnnlab-link { display: grid; grid-template-columns: auto 1fr; column-gap: 0.5rem; align-items: center; }
.rnnlab-link code { grid-column: 1 / 3; font-size: 0.7rem; word-break: break-all; color: #555; }
.rnnlab-link button { border: 1px solid #ccc; background: #fff; border-radius: 0.4rem;
                      padding: 0.1rem 0.6rem; cursor: pointer; }
.rnnlab-links.inline { flex-direction: row; flex-wrap: wrap; }
"""

_links = st.components.v2.component("rnnlab_links", js=_JS, css=_CSS, isolate_styles=False)


def _set_presenter(on: bool) -> None:
    st.session_state["presenter"] = on


def teacher_links(key: str = "teacher_links") -> None:
    """Copy buttons for links to exactly this view: as is, presenter, locked, both."""
    _links(key=key, data={"links": [list(item) for item in LINKS]})


A11Y_CSS = Path(__file__).resolve().parents[1] / "static" / "a11y.css"  # contrast the theme cannot set


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

