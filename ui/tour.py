"""Guided tour: a short walkthrough per page, each step highlighting one control or chart.

The steps are plain Python (``STEPS``: page -> steps, each naming a Streamlit key, so its
target is the ``.st-key-<key>`` container). ``button(page)`` draws a keyed Components v2
element (no iframe) holding a "Take the tour" button; its JavaScript runs the tour with
driver.js (MIT, vendored in static/tour/, see SOURCE.txt) entirely in the browser, so starting,
stepping and closing cost no rerun.

The tour never blocks the page: the dimming overlay lets clicks through, the page underneath
stays usable, Esc or × ends it. Steps whose element is missing or not visible (the sidebar in
presenter view, a folded expander, a chart the current config does not draw) are skipped when
the tour starts.

The same script makes links to ``#ctl-<key>`` (e.g. the cuDNN checklist's "change activation")
scroll to that widget, open the expander around it and focus it.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass

import streamlit as st

from ui.chart import static_url


@dataclass(frozen=True)
class Step:
    key: str      # Streamlit key of the element: the step highlights `.st-key-<key>`
    title: str
    text: str

    @property
    def selector(self) -> str:
        return f".st-key-{self.key}"


def _steps(*rows: tuple[str, str, str]) -> tuple[Step, ...]:
    return tuple(Step(*row) for row in rows)


SIDEBAR_CELL = ("cell", "Pick a cell", "SimpleRNN, LSTM or GRU: every page follows the sidebar's "
                "layer, so change it here and watch the page update.")
STEPS: dict[str, tuple[Step, ...]] = {
    "home": _steps(
        SIDEBAR_CELL,
        ("units", "units", "The size of the hidden state h_t: the last axis of every output."),
        ("return_sequences", "return_sequences", "Off: only the last h comes out (many-to-one). "
         "On: one h_t per timestep (many-to-many)."),
        ("input_tensor", "Your input x", "One cube per number: (batch_size, timesteps, input_dim), "
         "the 3-D tensor every recurrent layer reads."),
        ("unrolled_patterns", "Unrolled in time", "The layer drawn step by step; the red box is the "
         "pattern your flags give."),
        ("crosscheck_status", "Checked by TensorFlow", "TensorFlow runs the same weights on the same x "
         "in the background and says whether it agrees."),
    ),
    "shapes": _steps(
        ("output_shapes", "What layer(x) returns", "Every output, in Keras's order, with its shape "
         "and why it has that shape."),
        ("return_state", "return_state", "Appends the final state(s) after the output: h, and c "
         "for LSTM."),
        ("bidirectional", "Bidirectional", "A forward and a backward copy; merge_mode decides how "
         "their outputs combine."),
        ("data_flow", "Data flow", "Where each shape comes from: the weights, the one matmul "
         "over all timesteps, the loop."),
        ("shapes_keras_code", "The Keras code", "The same layer in Keras: copy it and it prints "
         "these shapes."),
    ),
    "parameters": _steps(
        ("param_formula", "The count as a formula", "Every weight tensor's share, with your "
         "numbers filled in."),
        ("params_vs_units", "Parameters vs units", "How the count grows with units for the three "
         "cells: quadratically."),
        ("units", "Try it", "Change units and watch the formula and the curve follow."),
        ("model_spec", "Model builder", "Type layers like Keras code and get model.summary()."),
    ),
    "hidden_states": _steps(
        ("step_through", "h_t over time", "Every unit's hidden state, step by step: press ▶ or use "
         "the arrow keys."),
        ("hs_step", "Pick a step", "The equations below use this step's actual numbers."),
        ("sequence_vs_final", "Sequence or final state", "What return_sequences keeps: every h_t, "
         "or only the last one."),
        ("go_backwards", "go_backwards", "Read x from the last timestep to the first, and see "
         "the states change."),
    ),
    "gates": _steps(
        ("gates_step_through", "Gates over time", "Each gate's activation per unit and step: "
         "0 closes, 1 opens."),
        ("saturation", "Saturation", "Activations piled up at 0 or 1 barely pass a gradient."),
        ("recurrent_activation", "recurrent_activation", "The gates' activation (sigmoid by "
         "default), under More Keras flags."),
        ("gates_plot_effect", "A Keras toggle's effect", "unit_forget_bias (LSTM) or "
         "reset_after (GRU), plotted over time."),
    ),
    "cross_check": _steps(
        ("crosscheck_status", "The verdict", "NumPy and TensorFlow, same weights, same x: the "
         "largest difference, live."),
        ("crosscheck_table", "Every output", "Each output compared on its own, against the 1e-5 "
         "tolerance."),
        ("cudnn_checklist", "cuDNN checklist", "What Keras would need to use the fused GPU kernel; a "
         "red item links to the control that breaks it."),
        ("timings", "Timings", "One forward call in NumPy and in Keras's eager mode."),
    ),
    "training": _steps(
        ("train_text", "The text", "The model learns to predict each next character of this text."),
        ("train_run", "Train", "Runs the training in NumPy: forward, backpropagation through "
         "time, Keras's update rules."),
        ("loss_curve", "Loss per epoch", "Cross-entropy going down as the model learns."),
        ("gf_dl_dh", "Gradient flow", "How the gradient shrinks or grows on its way back through "
         "time, for the three cells."),
    ),
    "quiz": _steps(
        ("quiz_level", "Difficulty", "1: one layer; 2: Bidirectional and merge modes; 3: stacks "
         "of layers."),
        ("quiz_question", "The question", "A Keras snippet: predict what it returns."),
        ("quiz_shapes", "Your shapes", "Every output's shape in Keras's order, one per line; "
         "None for an unknown batch."),
        ("quiz_params", "Parameter count", "The total over all layers, as model.count_params() "
         "says."),
        ("quiz_score", "Your score", "Kept for this session; a teacher's link fixes the ten "
         "questions."),
    ),
}

_JS = r"""
let TOUR = null;   // the driver.js instance of the running tour, if any

function loadDriver(jsSrc, cssSrc) {
  if (!document.querySelector('link[data-rnnlab-tour]')) {
    const link = document.createElement("link");
    link.rel = "stylesheet"; link.href = cssSrc; link.dataset.rnnlabTour = "1";
    document.head.appendChild(link);
  }
  if (!window.__rnnlabDriver) {
    window.__rnnlabDriver = new Promise((ok, fail) => {
      const script = document.createElement("script");
      script.src = jsSrc;
      script.onload = () => ok(window.driver.js.driver);
      script.onerror = () => { window.__rnnlabDriver = null; fail(new Error("driver.js did not load")); };
      document.head.appendChild(script);
    });
  }
  return window.__rnnlabDriver;
}

function visible(el) {
  const r = el.getBoundingClientRect();
  if (r.width <= 0 || r.height <= 0 || r.right <= 0 || r.left >= window.innerWidth) return false;
  return el.checkVisibility ? el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) : true;
}

function firstVisible(selector) {
  return [...document.querySelectorAll(selector)].find(visible) || null;
}

function startTour(data) {
  loadDriver(data.js, data.css).then((driver) => {
    // Resolved now, not per step: what is hidden (presenter view's sidebar) is left out.
    const steps = [];
    for (const s of data.steps) {
      const el = firstVisible(s.selector);
      if (el) steps.push({element: el, popover: {title: s.title, description: s.text}});
    }
    if (TOUR) TOUR.destroy();
    if (!steps.length) return;
    TOUR = driver({
      steps, showProgress: true, allowClose: true, smoothScroll: true, stagePadding: 6,
      overlayOpacity: 0.25, popoverClass: "rnnlab-tour",
      nextBtnText: "Next →", prevBtnText: "← Back", doneBtnText: "Done",
      onDestroyed: () => { TOUR = null; document.body.classList.remove("rnnlab-touring"); },
    });
    document.body.classList.add("rnnlab-touring");
    TOUR.drive();
  });
}

// Links to #ctl-<key>: scroll to that widget (opening its expander) and focus it.
function goToControl(key) {
  const el = document.querySelector(".st-key-" + CSS.escape(key));
  if (!el) return false;
  const details = el.closest("details");
  if (details && !details.open) details.querySelector("summary").click();
  setTimeout(() => {
    el.scrollIntoView({block: "center", behavior: "smooth"});
    const input = el.querySelector("input, [role=slider], [role=combobox], button, textarea");
    if (input) input.focus({preventScroll: true});
    el.classList.add("rnnlab-flash");
    setTimeout(() => el.classList.remove("rnnlab-flash"), 1600);
  }, details ? 250 : 0);
  return true;
}

if (!window.__rnnlabControlLinks) {
  window.__rnnlabControlLinks = true;
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href*="#ctl-"]');
    if (!link) return;
    const key = decodeURIComponent(link.getAttribute("href").split("#ctl-")[1] || "");
    if (key && goToControl(key)) { event.preventDefault(); event.stopPropagation(); }
  }, true);
}

export default function ({ data: raw, parentElement }) {
  if (!raw || !raw.json) return;
  const data = JSON.parse(raw.json);
  let button = parentElement.querySelector("button.rnnlab-tour-start");
  if (!button) {
    button = document.createElement("button");
    button.type = "button";
    button.className = "rnnlab-tour-start";
    parentElement.appendChild(button);
  }
  button.textContent = data.label;
  button.onclick = () => startTour(data);   // the latest steps, rerun after rerun
  return () => {
    setTimeout(() => { if (!parentElement.isConnected && TOUR) TOUR.destroy(); }, 0);
  };
}
"""

_CSS = """
.rnnlab-tour-start { font: inherit; font-size: 0.9rem; padding: 0.25rem 0.75rem; cursor: pointer;
  border: 1px solid rgba(49, 51, 63, 0.2); border-radius: 0.5rem; background: #fff; color: #31333F; }
.rnnlab-tour-start:hover { border-color: #ff4b4b; color: #ff4b4b; }
/* Never block the page: the page under the dimming stays clickable while the tour runs. */
body.rnnlab-touring.driver-active * { pointer-events: auto; }
body.rnnlab-touring.driver-active .driver-overlay { pointer-events: none; }
.driver-popover.rnnlab-tour { font-family: "Source Sans", "Source Sans Pro", sans-serif; }
.rnnlab-flash { outline: 3px solid #ff4b4b; outline-offset: 4px; border-radius: 0.5rem;
  transition: outline-color 1.5s; }
"""

_component = st.components.v2.component("rnnlab_tour", js=_JS, css=_CSS, isolate_styles=False)


def steps_data(page: str) -> list[dict]:
    """The page's steps as the component gets them (text HTML-escaped: driver.js sets innerHTML)."""
    if page not in STEPS:
        raise ValueError(f"page: got {page!r}, expected one of {', '.join(STEPS)}")
    return [{"selector": s.selector, "title": html.escape(s.title), "text": html.escape(s.text)}
            for s in STEPS[page]]


def button(page: str, label: str = "Take the tour") -> None:
    """The page's "Take the tour" button (the tour itself runs in the browser)."""
    data = {"steps": steps_data(page), "label": label, "page": page,
            "js": static_url("tour/driver.js.iife.js"), "css": static_url("tour/driver.css")}
    _component(key=f"tour_{page}", data={"json": json.dumps(data)}, height="content")
