"""The data-flow diagrams (/shapes, its stack view, /encoder_decoder) are readable on a projector
(issue 18): text at the app's body size, every node's text inside its box, no two texts on top
of each other, and every edge label beside its arrow, not on it.

Text boxes are estimated here, independently of ui.drawing.diagrams, from font size × characters
(Source Sans at 16 px measured 0.44-0.50 em a character in Chromium, Source Code Pro 0.60 em):
enough to catch a label drawn on its arrow or text spilling out of a box. The figure's units are
turned into px from its own layout (equal x/y scale, height = plotted range + margins).
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from ui.drawing import colors, diagrams

SANS_EM, MONO_EM, LINE_EM = 0.5, 0.6, 1.2
BODY_PX = 16


def px_per_unit(fig) -> float:
    layout = fig["layout"]
    assert layout["yaxis"].get("scaleanchor") == "x", "x and y must share one scale"
    margin = layout["margin"]
    y0, y1 = layout["yaxis"]["range"]
    return (layout["height"] - margin["t"] - margin["b"]) / (y1 - y0)


def text_box(x, y, text, font, scale):
    """(x0, y0, x1, y1) in px of a text centred on (x, y) (data units)."""
    lines = [re.sub(r"<[^>]+>", "", line) for line in re.split(r"<br\s*/?>", text)]
    em = MONO_EM if "monospace" in font.get("family", "") else SANS_EM
    w = max(map(len, lines)) * em * font["size"]
    h = len(lines) * LINE_EM * font["size"]
    return (x * scale - w / 2, y * scale - h / 2, x * scale + w / 2, y * scale + h / 2)


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def inside(point, box) -> bool:
    return box[0] <= point[0] <= box[2] and box[1] <= point[1] <= box[3]


def parts(fig):
    """(node texts, edge labels, arrows, node rects), texts and rects as px boxes, arrows as
    px segments."""
    scale = px_per_unit(fig)
    arrows_trace, nodes_trace, labels_trace = fig["data"]
    texts = [[text_box(x, y, t, trace["textfont"], scale)
              for x, y, t in zip(trace["x"], trace["y"], trace["text"])]
             for trace in (nodes_trace, labels_trace)]
    xs, ys = arrows_trace["x"], arrows_trace["y"]
    arrows = [((xs[i] * scale, ys[i] * scale), (xs[i + 1] * scale, ys[i + 1] * scale))
              for i in range(0, len(xs), 3)]
    rects = [tuple(np.multiply((s["x0"], s["y0"], s["x1"], s["y1"]), scale))
             for s in fig["layout"]["shapes"]]
    fonts = [nodes_trace["textfont"]["size"], labels_trace["textfont"]["size"]]
    return texts[0], texts[1], arrows, rects, fonts


def shapes_page_diagram(bidirectional: bool, outputs: list[str]):
    """/shapes' data-flow diagram, laid out by the page's own ``experiments.data_flow``."""
    from ui.controls.settings import Config
    from ui.runtime import experiments, lab

    states = len(outputs) > 1
    cfg = (Config(cell="LSTM", units=256, timesteps=200, input_dim=128, batch_size=64,
                  return_sequences=True, return_state=states) if not bidirectional else
           Config(cell="LSTM", units=8, timesteps=10, input_dim=4, batch_size=2,
                  bidirectional=True, return_state=states))
    model = lab.build_model(cfg)
    layer = model.layers[-1]
    input_shape = (cfg.batch_size, cfg.timesteps, cfg.input_dim)
    nodes, edges = experiments.data_flow(cfg, layer, input_shape,
                                         layer.compute_output_shape(input_shape))
    assert sorted(n for n in nodes if n in outputs) == sorted(outputs), nodes  # the case's outputs
    return diagrams.flow(nodes, edges)


DIAGRAMS = {
    "encoder_decoder LSTM": lambda: diagrams.encoder_decoder("LSTM", (2, 10, 4), (2, 6, 4), 8,
                                                             (2, 6, 8)),
    "encoder_decoder GRU": lambda: diagrams.encoder_decoder("GRU", (64, 200, 128), (64, 50, 128),
                                                            256, (64, 256)),
    "shapes LSTM, three outputs": lambda: shapes_page_diagram(
        False, ["whole_sequence_output", "final_memory_state", "final_carry_state"]),
    "shapes Bidirectional, return_state": lambda: shapes_page_diagram(
        True, ["forward_h", "backward_h", "forward_c", "backward_c"]),
    "stack of three with a mask": lambda: diagrams.stack_flow(
        [("<b>x</b>", colors.X), ("Masking<br>mask_value=0.0", colors.MUTED)]
        + [(f"layer {i}: Bidirectional(LSTM)<br>returns every h_t", colors.H) for i in (1, 2, 3)],
        ["(2, 10, 4)"] + ["(2, 10, 16)<br>+ mask (2, 10)"] * 3,
        [("output", "(2, 16)"), ("forward_h", "(2, 8)"), ("forward_c", "(2, 8)"),
         ("backward_h", "(2, 8)"), ("backward_c", "(2, 8)")]),
}


@pytest.fixture(params=list(DIAGRAMS), ids=list(DIAGRAMS))
def fig(request):
    return DIAGRAMS[request.param]()


def test_text_at_body_size(fig):
    *_, fonts = parts(fig)
    assert min(fonts) >= BODY_PX


def test_every_node_text_inside_its_box(fig):
    nodes, _, _, rects, _ = parts(fig)
    for text, rect in zip(nodes, rects):
        assert rect[0] <= text[0] and text[2] <= rect[2] and rect[1] <= text[1] and \
            text[3] <= rect[3], (text, rect)


def test_no_two_texts_overlap(fig):
    nodes, labels, *_ = parts(fig)
    boxes = nodes + labels
    pairs = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlap(a, b)]
    assert pairs == []


def test_edge_labels_beside_their_arrows(fig):
    """No label covers its arrow's midpoint, and none covers any box or sits on any arrow."""
    _, labels, arrows, rects, _ = parts(fig)
    for box in labels:
        for p, q in arrows:
            for t in np.linspace(0, 1, 41):   # points along the arrow
                assert not inside(np.add(p, t * np.subtract(q, p)), box), (box, p, q)
        assert not any(overlap(box, rect) for rect in rects), box


def test_a_long_state_label_is_whole():
    """ "initial_state=…" and "return_state=True" are drawn as they are, not cut."""
    fig = diagrams.encoder_decoder("LSTM", (2, 10, 4), (2, 6, 4), 8, (2, 8))
    texts = " ".join(fig["data"][1]["text"])
    assert "initial_state=…" in texts and "return_state=True" in texts
