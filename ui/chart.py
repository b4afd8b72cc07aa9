"""The one way a chart reaches the page: ``chart(fig, key=...)``.

A keyed Streamlit Components v2 element (no iframe) whose JavaScript keeps one plot div per
element and calls ``Plotly.react`` on it, so a changed figure updates in place: no remount, no
blank frame, zoom and legend state kept through ``layout.uirevision``. plotly.js comes from the
plotly Python package, served gzip-compressed by the app's own static route and requested by
``preload()`` at the top of every page, before the page computes anything.

Step-through figures may carry ``steps``: one HTML panel per animation frame (readouts, the
equations as MathML). The component shows the panel of the frame Plotly is on, during ▶ Play
too, so chart and panel never disagree and a frame costs no server round trip. ← / → / Space /
Home / End drive the player; the current step is written to the URL in the browser.

If Streamlit ships in-place updates for ``st.plotly_chart``, this module is the one place to change.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import plotly
import streamlit as st

from ui import plot
from ui.equations import StepPanel

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
BUNDLE = "plotly.min.js"

# Streamlit's light theme, as its own Plotly theme drew charts (fonts, grid, transparent paper).
THEME = {
    "font": {"family": '"Source Sans", "Source Sans Pro", sans-serif', "color": "#31333F",
             "size": 14},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "hoverlabel": {"font": {"family": '"Source Sans", "Source Sans Pro", sans-serif'}},
    # automargin: long tick labels and axis titles get the room they need, never cut off
    "xaxis": {"gridcolor": "#e6eaf1", "zerolinecolor": "#d5dae5", "linecolor": "#d5dae5",
              "automargin": True},
    "yaxis": {"gridcolor": "#e6eaf1", "zerolinecolor": "#d5dae5", "linecolor": "#d5dae5",
              "automargin": True},
    "colorway": ["#0068c9", "#83c9ff", "#ff2b2b", "#ffabab", "#29b09d", "#7defa1", "#ff8700"],
}
CONFIG = {"displaylogo": False, "responsive": True,
          "modeBarButtonsToRemove": ["select2d", "lasso2d"]}

_JS = r"""
const PLOTS = new WeakMap();   // parentElement -> its one plot div (kept across reruns)

function loadPlotly(src) {
  if (!window.__rnnlabPlotly) {
    window.__rnnlabPlotly = window.Plotly ? Promise.resolve(window.Plotly) : new Promise((ok, fail) => {
      const script = document.createElement("script");
      script.src = src;
      script.async = true;
      script.onload = () => ok(window.Plotly);
      script.onerror = () => { window.__rnnlabPlotly = null; fail(new Error("plotly.js did not load")); };
      document.head.appendChild(script);
    });
  }
  return window.__rnnlabPlotly;
}

function themed(layout, theme, key) {
  const out = Object.assign({}, layout);
  for (const [name, value] of Object.entries(theme)) {
    if (value && typeof value === "object" && !Array.isArray(value)) {
      out[name] = Object.assign({}, value, out[name] || {});
    } else if (out[name] === undefined) {
      out[name] = value;
    }
  }
  for (const name of Object.keys(out)) {   // every axis gets the theme's grid colours
    if (/^[xy]axis\d+$/.test(name)) out[name] = Object.assign({}, theme[name.slice(0, 5)], out[name]);
  }
  if (out.uirevision === undefined) out.uirevision = key;
  out.autosize = true;
  delete out.width;
  return out;
}

function scrollTop(element) {
  // How far the page's scroll container has scrolled (Streamlit scrolls its main area, not window).
  for (let node = element.parentElement; node; node = node.parentElement) {
    if (node.scrollTop) return node.scrollTop;
  }
  return window.scrollY;
}

function setUrlStep(step) {
  const url = new URL(window.location.href);
  if (url.searchParams.get("step") === String(step)) return;
  url.searchParams.set("step", String(step));
  window.history.replaceState(window.history.state, "", url);
}

// The page's step-through (at most one player per page listens to the keyboard).
let ACTIVE = null;
document.addEventListener("keydown", (event) => {
  if (!ACTIVE || !ACTIVE.div.isConnected) return;
  const target = event.target;
  const typing = target && (target.isContentEditable ||
    ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName) || target.getAttribute("role") === "slider");
  if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
  const last = ACTIVE.count - 1;
  const moves = {ArrowLeft: ACTIVE.step - 1, ArrowRight: ACTIVE.step + 1, Home: 0, End: last};
  if (event.key in moves) {
    event.preventDefault();
    ACTIVE.pause();
    ACTIVE.go(Math.max(0, Math.min(last, moves[event.key])));
  } else if (event.key === " " || event.code === "Space") {
    event.preventDefault();
    ACTIVE.playing ? ACTIVE.pause() : ACTIVE.play();
  }
});

function fill(template, values) {
  return template.replace(/\{(\d+)\}/g, (_, i) => values[Number(i)]);
}

function player(Plotly, div, panel, steps, start, key) {
  const state = div.__rnnlabPlayer || {};
  div.__rnnlabPlayer = state;
  Object.assign(state, {div, panel, steps, count: steps.values.length, key});
  const show = (k) => {
    if (!(k >= 0 && k < state.count)) return;
    state.step = k;
    if (state.panel) state.panel.innerHTML = fill(state.steps.template, state.steps.values[k]);
    div.dataset.step = String(k);
    if (state.panel) state.panel.dataset.step = String(k);
    if (state.urlStep) {
      setUrlStep(k);
      // ui/js/step_report.js tells the server, so a rerun starts on this step
      window.__rnnlabStep = {step: k, playing: Boolean(state.playing), key: state.key};
      document.dispatchEvent(new CustomEvent("rnnlab:step", {detail: window.__rnnlabStep}));
    }
  };
  state.go = (k) => {
    Plotly.animate(div, [String(k)], {mode: "immediate", transition: {duration: 0},
                                      frame: {duration: 0, redraw: true}});
    show(k);
  };
  state.pause = () => {
    if (!state.playing) return;
    state.playing = false;
    Plotly.animate(div, [null], {mode: "immediate", frame: {duration: 0, redraw: false},
                                 transition: {duration: 0}});
  };
  state.play = () => {
    const names = [];
    const from = state.step >= state.count - 1 ? 0 : state.step;
    for (let k = from; k < state.count; k++) names.push(String(k));
    state.playing = true;
    Plotly.animate(div, names, {mode: "immediate", transition: {duration: 0},
                                frame: {duration: state.frameMs, redraw: true}});
  };
  if (!state.listening) {
    state.listening = true;
    // Every frame change, whoever caused it (Play, the slider, the keys), updates the panel.
    div.on("plotly_animatingframe", (event) => show(Number(event.name)));
    div.on("plotly_sliderchange", (event) => show(event.slider.active));
    div.on("plotly_animated", () => { state.playing = false; });
    div.on("plotly_animationinterrupted", () => { state.playing = false; });
    div.on("plotly_buttonclicked", (event) => {
      state.playing = event.button && /play/i.test(event.button.label);
    });
  }
  ACTIVE = state;
  show(Math.max(0, Math.min(state.count - 1, start)));
}

export default function ({ data, parentElement }) {
  if (!data || !data.src) return;
  const bundle = loadPlotly(data.src);
  if (!data.figure) return;   // preload(): only start the download
  let root = PLOTS.get(parentElement);
  if (!root) {
    root = {box: document.createElement("div"), plot: document.createElement("div"),
            panel: document.createElement("div")};
    root.plot.className = "rnnlab-chart";
    root.panel.className = "rnnlab-step-panel";
    root.box.append(root.plot, root.panel);
    parentElement.appendChild(root.box);
    PLOTS.set(parentElement, root);
  }
  const fig = JSON.parse(data.figure);
  const layout = themed(fig.layout || {}, data.theme, data.key);
  // A projector: the player sits beside its equations and fits the screen below its top edge.
  // A projector: the player sits beside its equations and fits the screen below its top edge
  // (measured again once the elements above it have settled).
  const fit = Boolean(data.presenter && data.steps);
  root.box.classList.toggle("rnnlab-side", fit);
  // Never below 75 % of its own height: a squeezed player overlaps its tick labels (then the
  // page scrolls a little instead).
  const fitted = (height) => Math.max(0.75 * (height || 450), Math.min(height || 450,
      window.innerHeight - (root.box.getBoundingClientRect().top + scrollTop(root.box)) - 12));
  if (fit) layout.height = fitted(layout.height);
  root.plot.style.height = (layout.height || 450) + "px";
  bundle.then((Plotly) => {
    const config = Object.assign({}, data.config);
    return Plotly.react(root.plot, {data: fig.data, layout, frames: fig.frames || [], config})
      .then(() => {
        root.plot.__rnnlabRenders = (root.plot.__rnnlabRenders || 0) + 1;
        if (fit) {
          for (const ms of [300, 1000, 2500]) setTimeout(() => {
            const height = fitted(fig.layout.height);
            if (Math.abs(height - root.plot._fullLayout.height) > 4) {
              root.plot.style.height = height + "px";
              Plotly.relayout(root.plot, {height});
            }
          }, ms);
        }
        if (data.steps) {
          root.panel.style.display = "";
          const state = root.plot.__rnnlabPlayer || {};
          root.plot.__rnnlabPlayer = state;
          state.frameMs = data.frame_ms;
          state.urlStep = data.url_step;
          player(Plotly, root.plot, root.panel, data.steps, data.start, data.key);
          if (data.start !== undefined && state.step !== data.start) state.go(data.start);
        } else {
          root.panel.style.display = "none";
        }
      });
  });
  return () => {
    // Called when Streamlit unmounts the element; a data change keeps the same element.
    setTimeout(() => {
      if (!parentElement.isConnected && window.Plotly) window.Plotly.purge(root.plot);
    }, 0);
  };
}
"""

_CSS = """
.rnnlab-chart { width: 100%; }
.rnnlab-side { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); column-gap: 1.5rem;
               align-items: start; }
.rnnlab-step-panel { overflow-x: auto; padding: 0.25rem 0 0.5rem; }
.rnnlab-step-panel math { font-size: 1.15em; }
.rnnlab-side .rnnlab-step-panel math { font-size: 0.85em; }
.rnnlab-step-panel .eq { margin: 0.4rem 0; }
.rnnlab-step-panel mtd { text-align: left; padding: 0.1em 0; }
.rnnlab-step-panel mtd:first-child { text-align: right; min-width: 2.2em; padding-right: 0.2em; }
.rnnlab-step-panel .eq-given { display: flex; flex-wrap: wrap; column-gap: 2.5em; }
.rnnlab-step-panel .step-head { margin: 0.2rem 0 0.3rem; }
"""

_component = st.components.v2.component("rnnlab_chart", js=_JS, css=_CSS, isolate_styles=False)


def static_url(name: str) -> str:
    """Where the browser fetches ``static/<name>`` (the app's static route, gzip-compressed)."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return ("/" + base if base else "") + "/app/static/" + name


def bundle_url() -> str:
    """Where the browser fetches plotly.js."""
    return static_url(BUNDLE)


def ensure_bundle() -> None:
    """Copy the plotly package's own plotly.min.js into ./static (once per installed version)."""
    source = Path(plotly.__file__).parent / "package_data" / BUNDLE
    target = STATIC_DIR / BUNDLE
    if not target.exists() or target.stat().st_size != source.stat().st_size:
        STATIC_DIR.mkdir(exist_ok=True)
        shutil.copyfile(source, target)


def preload() -> None:
    """Start downloading plotly.js now, while the page computes (call first thing on a page)."""
    _component(key="plotly_preload", data={"src": bundle_url()}, height=0)


def encode(fig: dict) -> str:
    """The figure as the JSON the component parses (arrays as Plotly's typed-array spec)."""
    return json.dumps(plot.encode(fig), separators=(",", ":"), allow_nan=False,
                      default=_json_default)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def chart(fig: dict, key: str, steps: StepPanel | None = None, start: int = 0,
          frame_ms: int = 600, url_step: bool = False) -> None:
    """Draw ``fig`` (a plain {"data", "layout", "frames"} dict) in place under ``key``.

    ``steps``: the panel shown under a step-through for the frame on screen (one row of slot
    values per frame); ``start`` is the frame shown first; ``url_step`` mirrors the step into
    the URL's ``step`` parameter (one player per page).
    """
    presenter = bool(st.session_state.get("presenter", False))
    theme = dict(THEME, font=dict(THEME["font"], size=18)) if presenter else THEME
    data = {"src": bundle_url(), "figure": encode(fig), "theme": theme, "config": CONFIG,
            "key": key, "presenter": presenter}
    if steps is not None:
        data.update(steps={"template": steps.template, "values": steps.values}, start=int(start),
                    frame_ms=int(frame_ms), url_step=url_step)
    _component(key=key, data=data, height="content")


ensure_bundle()  # at import: the server serves it from ./static before any page asks
