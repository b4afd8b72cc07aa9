"""Guided tour: a short walkthrough per page, each step highlighting one control or chart.

The steps are plain Python (``STEPS``: page -> steps, each naming a Streamlit key, so its
target is the ``.st-key-<key>`` container). ``button(page)`` draws a keyed Components v2
element (no iframe) holding a "Take the tour" button; its JavaScript runs the tour with
driver.js (MIT, vendored in static/tour/, see SOURCE.txt) entirely in the browser, so starting,
stepping and closing cost no rerun. The script and its styles are static/tour/tour.js and
tour.css, read once at import.

While the tour is open it owns the keys (← / → step the tour, not the step-through player, and
Space does not play the player); once it closes the player has them back. A target taller than
about half the window is highlighted by its top part, so the popover sits right under it
rather than beside it over the sidebar.

The tour never blocks the page: the dimming overlay lets clicks through, the page underneath
stays usable, Esc or × ends it. Steps whose element is missing or hidden (the sidebar in
presenter view, a folded expander, a chart the current config does not draw) are skipped when
the tour starts; a chart that is still being drawn (0 px high until then) is not hidden.

The same script makes links to ``#ctl-<key>`` (e.g. the cuDNN checklist's "change activation")
scroll to that widget, open the expander around it and focus it.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from ui.runtime.chart import static_url


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
        ("step_through", "h_t over time", "Every unit's hidden state, step by step: press ▶, or "
         "use the arrow keys once the tour is closed. The equations use this step's numbers."),
        ("sample", "Pick a sample", "Which sequence of the batch the chart and the equations "
         "show."),
        ("sequence_vs_final", "Sequence or final state", "What return_sequences keeps: every h_t, "
         "or only the last one."),
        ("go_backwards", "go_backwards", "Read x from the last timestep to the first, and see "
         "the states change."),
        ("show_stateful", "stateful=True", "Carry the final state into the next batch, or "
         "start again from zeros."),
        ("exports_open", "Take it with you", "The code, a notebook, the data and the charts of this "
         "view, and a link to it."),
    ),
    "gates": _steps(
        ("cell", "A gated cell", "LSTM has input, forget and output gates, GRU update and reset "
         "gates; SimpleRNN has none."),
        ("gates_step_through", "Gates over time", "Each gate's activation per unit and step: "
         "0 closes, 1 opens. Press ▶ or use the arrow keys once the tour is closed."),
        ("sample", "Pick a sample", "Which sequence of the batch the chart and the equations "
         "show."),
        ("saturation", "Saturation", "Activations piled up at 0 or 1 barely pass a gradient."),
        ("show_effect", "A Keras toggle's effect", "unit_forget_bias (LSTM) or reset_after "
         "(GRU), plotted over time with and without."),
        ("exports_open", "Take it with you", "The figures and numbers of this page as files, and "
         "links for a class."),
    ),
    "encoder_decoder": _steps(
        ("handover", "The handover", "The encoder's final state(s) become the decoder's "
         "initial_state: the only thing of the source the decoder sees."),
        ("ed_shapes", "Every tensor's shape", "x, the encoder's output and states, y and the "
         "decoder's output, with your numbers."),
        ("decoder_timesteps", "Decoder length", "The decoder may run for a different number of "
         "steps than the encoder."),
        ("ed_numbers", "The same numbers", "The encoder's final h (and c) printed next to the "
         "decoder's initial ones: identical."),
        ("ed_states", "States over time", "Encoder steps on the left, decoder steps on the right; "
         "the arrow is the handover."),
        ("ed_stateful", "stateful=True", "The other way to hand state on: one layer fed "
         "consecutive pieces of a long sequence."),
    ),
    "cross_check": _steps(
        ("crosscheck_status", "The verdict", "NumPy and TensorFlow, same weights, same x: the "
         "largest difference, live."),
        ("crosscheck_table", "Every output", "Each output compared on its own, against the 1e-5 "
         "tolerance."),
        ("cudnn_checklist", "cuDNN checklist", "What Keras would need to use the fused GPU kernel; a "
         "red item links to the control that breaks it."),
        ("timings", "Timings", "One forward call in NumPy and in Keras's eager mode."),
        ("crosscheck_rerun", "Again", "Runs the comparison again in the background, for this "
         "very configuration."),
        ("exports_open", "Take it with you", "The same check as code you can run without this "
         "app: Keras script, notebook, PyTorch."),
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

TOUR_DIR = Path(__file__).resolve().parents[2] / "static" / "tour"
_component = st.components.v2.component(
    "rnnlab_tour", js=(TOUR_DIR / "tour.js").read_text(encoding="utf-8"),
    css=(TOUR_DIR / "tour.css").read_text(encoding="utf-8"), isolate_styles=False)


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
