"""The one way a chart reaches the page: ``chart(fig, key=...)``.

A keyed Streamlit Components v2 element (no iframe) whose JavaScript keeps one plot div per
element and calls ``Plotly.react`` on it, so a changed figure updates in place: no remount, no
blank frame, zoom and legend state kept through ``layout.uirevision``. plotly.js is the vendored
cartesian bundle of the plotly package's own plotly.js version (static/plotly/, see SOURCE.txt),
served gzip-compressed by the app's own static route and requested by ``preload()`` at the top of
every page, before the page computes anything. The browser side is static/chart/chart.js (an ES
module the browser fetches once from the same static route, so no chart element carries its
code: ui/js/chart_loader.js imports it) and ui/js/chart.css.

A step-through figure (ui/drawing/figures.py ``step_through``) sends each array once with a short
description of its animation (``fig["animation"]``); static/chart/frames.js builds the Plotly
frames from it in the browser, so the bytes grow linearly in the number of steps. Step-throughs may also carry
``steps``: one HTML panel per animation frame (readouts, the equations as MathML). The
component shows the panel of the frame Plotly is on, during ▶ Play too, so chart and panel
never disagree and a frame costs no server round trip. ← / → / Space /
Home / End drive the player; the current step is written to the URL in the browser.

If Streamlit ships in-place updates for ``st.plotly_chart``, this module is the one place to change.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import streamlit as st

from ui.drawing import plot
from ui.drawing.equations import StepPanel

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"
# The cartesian partial bundle (scatter, bar, heatmap, histogram, ...): every trace type the app
# draws, a third of the full bundle's bytes (tests/test_plotly_bundle.py keeps both true).
BUNDLE = "plotly/plotly-cartesian.min.js"

# The one theme (static/chart/theme.json), a Plotly template under every figure's own layout:
# the module fetches it once, so no element carries it.
THEME = plot.THEME
CONFIG = {"displaylogo": False, "responsive": True, "displayModeBar": False,
          "modeBarButtonsToRemove": ["select2d", "lasso2d"]}

# The component's browser side lives in its own files, read once at import: a small loader sent
# with each element, and the module it imports from the static route (versioned by content, so a
# new version is fetched once and then cached).
MODULE = "chart/chart.js"
# How a step-through's frames are built from its description: the one implementation, imported
# by the module and inlined into a downloaded chart (ui/classroom/exports.py chart_html).
FRAMES = STATIC_DIR / "chart" / "frames.js"
THEME_FILE = STATIC_DIR / "chart" / "theme.json"
_VERSION = hashlib.sha256((STATIC_DIR / MODULE).read_bytes() + FRAMES.read_bytes()
                          + THEME_FILE.read_bytes()).hexdigest()[:12]
_JS = (Path(__file__).resolve().parents[1] / "js" / "chart_loader.js").read_text(encoding="utf-8")
_CSS = (Path(__file__).resolve().parents[1] / "js" / "chart.css").read_text(encoding="utf-8")

_component = st.components.v2.component("rnnlab_chart", js=_JS, css=_CSS, isolate_styles=False)


def static_url(name: str) -> str:
    """Where the browser fetches ``static/<name>`` (the app's static route, gzip-compressed)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return ("/" + base if base else "") + "/app/static/" + name


def module_url() -> str:
    """Where the browser imports the component's module (static/chart/chart.js, versioned)."""
    return static_url(MODULE) + "?v=" + _VERSION


def bundle_url() -> str:
    """Where the browser fetches plotly.js."""
    return static_url(BUNDLE)


def preload() -> None:
    """Start downloading plotly.js now, while the page computes (call first thing on a page)."""
    _component(key="plotly_preload", data={"src": bundle_url(), "module": module_url()}, height=0)


def encode(fig: dict) -> str:
    """The figure as the JSON the component parses (arrays as Plotly's typed-array spec)."""
    return json.dumps(plot.encode(fig), separators=(",", ":"), allow_nan=False,
                      default=_json_default)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def _plain(text) -> str:
    """A Plotly text (str, or {"text": ...}) without its HTML tags and line breaks."""
    text = text.get("text", "") if isinstance(text, dict) else (text or "")
    return " ".join(re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>", " ", str(text))).split())


def _shape(value) -> tuple[int, ...]:
    return np.shape(value) if not isinstance(value, dict) else ()


def alt_text(fig: dict) -> str:
    """A chart's text alternative, "<title>: <one line of what it shows>": the layout's title
    (else its panel titles) and the traces, e.g. "heatmap of h_t, 8 units × 10 steps"."""
    layout = fig.get("layout") or {}
    title = _plain(layout.get("title")) or "; ".join(
        filter(None, (_plain(a) for a in layout.get("annotations") or [] if a.get("xref") == "paper"
                      and a.get("yanchor") == "bottom"))) or "Chart"
    data = fig.get("data") or []
    heatmaps: dict[str, tuple[int, ...]] = {}
    for trace in data:
        if trace.get("type") == "heatmap":
            # the hover label's first field names the quantity (ui/drawing/figures.py label grammar)
            name = (trace.get("hovertemplate") or trace.get("name") or "values").split(" · ")[0]
            heatmaps.setdefault(_plain(name.split("<br>")[0]), _shape(trace.get("z")))
    parts = []
    for shape in dict.fromkeys(heatmaps.values()):  # one phrase per shape: names share it
        names = [n for n, s in heatmaps.items() if s == shape]
        what = ("heatmap of " if len(names) == 1 else "heatmaps of ") + ", ".join(names)
        if len(shape) == 2:
            rows, cols = ("units", "steps") if fig.get("animation") else ("rows", "columns")
            what += f", {shape[0]} {rows} × {shape[1]} {cols}" + (" each" if len(names) > 1 else "")
        parts.append(what)
    bars = [t for t in data if t.get("type") == "bar" and not t.get("name")]
    if bars:
        parts.append("bars: " + ", ".join(_plain(x) for t in bars for x in list(t.get("x", []))[:8]))
    named = [t for t in data if t.get("name") and t.get("type") in ("scatter", "bar")]
    units = [t for t in named if str(t["name"]).startswith("unit ")]
    if units:
        parts.append(f"{len(units)} lines, one per unit")
    rest = [t for t in named if not str(t["name"]).startswith("unit ")]
    others = [_plain(t["name"]) for t in rest]
    if others:
        kind = "bars" if all(t.get("type") == "bar" for t in rest) else "lines"
        parts.append(f"{kind}: " + ", ".join(others[:6]) + (", …" if len(others) > 6 else ""))
    if fig.get("animation"):
        parts.append(f"a player steps through {fig['animation']['timesteps']} steps")
    if not parts:  # a diagram: boxes and arrows, named by its own labels
        labels = list(dict.fromkeys(filter(None, (_plain(a) for a in layout.get("annotations")
                                                  or []))))
        parts.append("labels " + ", ".join(labels[:12]) + (", …" if len(labels) > 12 else "")
                     if labels else "a drawing")
        title = "Diagram" if title == "Chart" else title
    return f"{title}: {'; '.join(parts)}"


def chart(fig: dict, key: str, panel: StepPanel | None = None, start: int = 0,
          frame_ms: int = 600, url_step: bool = False, alt: str | None = None) -> None:
    """Draw ``fig`` (a plain {"data", "layout"[, "frames" | "animation"]} dict) under ``key``,
    in place.

    ``panel``: the equations shown under a step-through for the frame on screen (one row of slot
    values per frame); ``start`` is the frame shown first; ``url_step`` mirrors the step into
    the URL's ``step`` parameter (one player per page). ``alt``: the chart's text alternative
    (its aria-label and a visually hidden paragraph; default ``alt_text(fig)``).
    """
    presenter = bool(st.session_state.get("presenter", False))
    data = {"src": bundle_url(), "module": module_url(), "figure": encode(fig),
            "config": CONFIG, "key": key, "presenter": presenter,
            "alt": alt or alt_text(fig)}
    if panel is not None:
        data.update(panel={"template": panel.template, "values": panel.values}, start=int(start),
                    frame_ms=int(frame_ms), url_step=url_step)
    _component(key=key, data=data, height="content")

