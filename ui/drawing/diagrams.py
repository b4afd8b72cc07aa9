"""Schematic figures: the input tensor to scale, unrolled RNN patterns, data flow with shapes."""
from __future__ import annotations

import re

import numpy as np

from rnn_core import layers, sequential
from ui.drawing import colors, plot
from ui.drawing.plot import BLANK_AXIS, figure

# Grids are drawn cell by cell only up to this many cells along an axis (else just the outline).
_MAX_GRID = 40


def _schematic_layout(height: int, xrange, yrange, equal: bool = True, **extra) -> dict:
    layout = dict(height=height, margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
                  plot_bgcolor="rgba(0,0,0,0)", xaxis=dict(BLANK_AXIS, range=xrange),
                  yaxis=dict(BLANK_AXIS, range=yrange))
    if equal:
        layout["yaxis"].update(scaleanchor="x", scaleratio=1)
    layout.update(extra)
    return layout


def _polygon(xs, ys, fill, line="#555", width=1.0) -> dict:
    return dict(type="scatter", x=list(xs) + [xs[0]], y=list(ys) + [ys[0]], mode="lines",
                fill="toself", fillcolor=fill, line=dict(color=line, width=width),
                hoverinfo="skip")


def _segments(segments) -> dict:
    xs, ys = [], []
    for (x0, y0), (x1, y1) in segments:
        xs += [x0, x1, None]
        ys += [y0, y1, None]
    return dict(type="scatter", x=xs, y=ys, mode="lines", hoverinfo="skip",
                line=dict(color="rgba(60,60,60,0.35)", width=0.7))


def _arrow(x0, y0, x1, y1, colour, width=1.5) -> dict:
    """An annotation arrow from (x0, y0) to (x1, y1) in data coordinates."""
    return dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                showarrow=True, arrowhead=2, arrowsize=1.1, arrowwidth=width, arrowcolor=colour)


def _text(x, y, text, colour="#333", size=13, **extra) -> dict:
    return dict(x=x, y=y, text=text, showarrow=False, font=dict(color=colour, size=size), **extra)


def input_tensor(x: np.ndarray) -> dict:
    """x (batch, timesteps, features) drawn to scale as a box of unit cubes (cavalier view).

    Front face: sample 0's values (timesteps across, features up); depth: the batch, one
    unit per sample, drawn at 45° and full length so all three axes share one scale.
    """
    batch, timesteps, features = x.shape
    d = np.sqrt(0.5)
    dx = dy = batch * d
    data = [
        _polygon([0, timesteps, timesteps + dx, dx], [features, features, features + dy,
                                                      features + dy], "#dde6f0"),   # top face
        _polygon([timesteps, timesteps + dx, timesteps + dx, timesteps],
                 [0, dy, features + dy, features], "#c9d6e3"),                       # side face
    ]
    segments = []
    if timesteps <= _MAX_GRID and batch <= _MAX_GRID:
        segments += [((t, features), (t + dx, features + dy)) for t in range(1, timesteps)]
        segments += [((b * d, features + b * d), (timesteps + b * d, features + b * d))
                     for b in range(1, batch)]
    if features <= _MAX_GRID and batch <= _MAX_GRID:
        segments += [((timesteps, f), (timesteps + dx, f + dy)) for f in range(1, features)]
        segments += [((timesteps + b * d, b * d), (timesteps + b * d, features + b * d))
                     for b in range(1, batch)]
    if segments:
        data.append(_segments(segments))
    limit = float(max(1.0, np.abs(x[0]).max()))
    height = int(np.clip(60 * (features + dy) ** 0.9 + 120, 260, 520))
    gap = 1 if max(timesteps, features) <= _MAX_GRID else 0
    data.append(dict(
        type="heatmap", z=x[0].T, x0=0.5, dx=1, y0=0.5, dy=1, colorscale=colors.DIVERGING,
        zmin=-limit, zmax=limit, xgap=gap, ygap=gap,
        colorbar=plot.colorbar("x", -limit, limit, 0.6 * height),
        hovertemplate="sample 0<br>timestep %{x:.0f}<br>feature %{y:.0f}<br>x = %{z:.3f}"
                      "<extra></extra>"))
    data.append(_polygon([0, timesteps, timesteps, 0], [0, 0, features, features],
                         "rgba(0,0,0,0)", line="#333", width=1.5))
    annotations = [
        _text(timesteps / 2, -0.3, f"timesteps = {timesteps}", yanchor="top"),
        _text(timesteps + dx / 2 + 0.3, dy / 2 - 0.3, f"batch_size = {batch}", xanchor="left",
              yanchor="top"),
    ]
    span = max(timesteps + dx, features + dy)
    layout = _schematic_layout(
        height, [-0.12 * span - 1.5, timesteps + dx + 0.25 * span + 1],
        [-0.1 * span - 1.2, features + dy + 0.05 * span + 0.5], annotations=annotations)
    # each feature row labelled on the left, the axis title naming the dimension
    rows = plot.row_labels(features, (height - 20) / (features + dy + 0.15 * span + 1.7))
    rows["tickvals"] = [v + 0.5 for v in rows["tickvals"]]  # row f spans [f, f + 1]
    layout["yaxis"].update(visible=True, showline=False, showticklabels=True, ticks="", **rows,
                           title=dict(text=f"input_dim = {features}"))
    layout["margin"]["l"] = 70
    return figure(data, layout)


PATTERNS = ("one-to-many", "many-to-one", "many-to-many")


def current_pattern(return_sequences: bool) -> str:
    """Which unrolled pattern a recurrent layer with these flags draws."""
    return "many-to-many" if return_sequences else "many-to-one"


def unrolled_patterns(timesteps: int, highlight: str, go_backwards: bool = False) -> dict:
    """The three input/output patterns side by side; ``highlight`` is drawn in colour."""
    n = min(timesteps, 4)
    gap = n + 1.5
    shapes, annotations = [], []
    for p, pattern in enumerate(PATTERNS):
        on = pattern == highlight
        x0 = p * gap
        cell_c = colors.H if on else colors.MUTED
        in_c = colors.X if on else colors.MUTED
        out_c = colors.HIGHLIGHT if on else colors.MUTED
        inputs = range(n) if pattern != "one-to-many" else [0]
        outputs = range(n) if pattern != "many-to-one" else [n - 1]
        for i in range(n):
            shapes.append(dict(type="rect", x0=x0 + i - 0.3, x1=x0 + i + 0.3, y0=-0.3, y1=0.3,
                               line=dict(color=cell_c, width=2),
                               fillcolor="rgba(31,119,180,0.12)" if on else "white"))
            if i < n - 1:
                annotations.append(_arrow(x0 + i + 0.3, 0, x0 + i + 0.7, 0, cell_c))
        for i in inputs:
            annotations.append(_arrow(x0 + i, -1.0, x0 + i, -0.3, in_c))
            t = (n - 1 - i) if go_backwards and on else i
            annotations.append(_text(x0 + i, -1.2, f"x<sub>{t}</sub>", in_c))
        for i in outputs:
            annotations.append(_arrow(x0 + i, 0.3, x0 + i, 1.0, out_c))
            annotations.append(_text(x0 + i, 1.25, f"h<sub>{i}</sub>", out_c))
        title = f"<b>{pattern}</b>" + ("<br>← your layer" if on else "")
        annotations.append(_text(x0 + (n - 1) / 2, 1.75, title,
                                 colors.HIGHLIGHT if on else "#888"))
        if on:
            shapes.append(dict(type="rect", x0=x0 - 0.6, x1=x0 + n - 0.4, y0=-1.5, y1=2.2,
                               line=dict(color=colors.HIGHLIGHT, width=2, dash="dot")))
    # an invisible point keeps the axes alive (a figure of shapes only has no data)
    data = [dict(type="scatter", x=[0], y=[0], mode="markers", marker=dict(opacity=0),
                 hoverinfo="skip")]
    return figure(data, _schematic_layout(250, [-0.8, 2 * gap + n - 0.2], [-1.6, 2.35],
                                          shapes=shapes, annotations=annotations))


# --- data-flow diagrams, laid out in screen pixels -------------------------------------------
# Text is at the app's body size and never scales with the chart: the layout is computed in px
# (1 data unit = 1 px, kept by an equal-aspect axis pair whose height is the layout's), from
# text boxes estimated as characters × font size. The estimates are generous, so a box always
# holds its text.
FONT_PX = 16                                         # the app's body text
NODE_FONT = dict(size=FONT_PX, color="#262730")      # the theme's family (Source Sans)
EDGE_FONT = dict(size=FONT_PX, color="#262730", family='"Source Code Pro", monospace')
# Source Sans at 16 px measured 0.44-0.50 em per character in Chromium (underscores widest),
# Source Code Pro 0.60 em.
SANS_EM, MONO_EM, LINE_EM = 0.51, 0.62, 1.3          # px per character and per line, in em
PAD_X, PAD_Y = 8, 7                                  # between a node's text and its border
MIN_GAP = 48                                         # px between columns
MAX_WIDTH = 820   # px: the figure's width at most (the main column at 1280×720, sidebar open)
MARGIN = 10       # px around the layout
V_GAP = 44                                           # px between boxes stacked in a column
LABEL_GAP = 5                                        # px between an edge label and its arrow
_TAG = re.compile(r"<[^>]+>")


def text_lines(label: str) -> list[str]:
    """The lines a label shows: <br> breaks, other tags (<b>, <sub>) drawn inline."""
    return [_TAG.sub("", line) for line in re.split(r"<br\s*/?>", label)]


def text_size(label: str, mono: bool = False) -> tuple[float, float]:
    """(width, height) in px of ``label`` at FONT_PX, estimated from its characters."""
    lines = text_lines(label)
    em = MONO_EM if mono else SANS_EM
    return max(len(line) for line in lines) * em * FONT_PX, len(lines) * LINE_EM * FONT_PX


def _overlap(a, b, margin: float = 0.0) -> bool:
    """Do rectangles (x0, y0, x1, y1) intersect (closer than ``margin``)?"""
    return (a[0] < b[2] + margin and b[0] < a[2] + margin and
            a[1] < b[3] + margin and b[1] < a[3] + margin)


def _crosses(rect, p, q) -> bool:
    """Does segment p-q pass through rectangle ``rect`` (x0, y0, x1, y1)? (Liang–Barsky)"""
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for d, lo, hi, v in ((dx, rect[0], rect[2], p[0]), (dy, rect[1], rect[3], p[1])):
        if d == 0:
            if not lo <= v <= hi:
                return False
            continue
        a, b = sorted(((lo - v) / d, (hi - v) / d))
        t0, t1 = max(t0, a), min(t1, b)
        if t0 > t1:
            return False
    return True


def _exit_point(centre, half, towards):
    """Where the segment from a box's centre towards ``towards`` leaves the box."""
    dx, dy = towards[0] - centre[0], towards[1] - centre[1]
    scale = min(half[0] / abs(dx) if dx else np.inf, half[1] / abs(dy) if dy else np.inf)
    return centre[0] + dx * scale, centre[1] + dy * scale


def _columns(nodes, edges, size) -> dict[float, float]:
    """The px x of each column (distinct node x, left to right): room for the boxes, and for an
    edge label between two neighbouring columns where it fits in MAX_WIDTH. Too wide, the gaps
    narrow: first those whose labels can go above or below the boxes, last those a fan of
    arrows crosses (between its arrows there is no other room for their labels)."""
    xs = sorted({x for _, x, _, _ in nodes.values()})
    width = {x: max(size[k][0] for k, n in nodes.items() if n[1] == x) for x in xs}
    gaps, fans = [], []
    for left, right in zip(xs, xs[1:]):
        crossing = [(src, label) for src, dst, label in edges
                    if {nodes[src][1], nodes[dst][1]} == {left, right}]
        labels = [text_size(label, mono=True)[0] for _, label in crossing if label]
        gaps.append(max([MIN_GAP] + [w + 2 * LABEL_GAP + 6 for w in labels]))
        sources = [src for src, label in crossing if label]
        fans.append(any(sources.count(src) > 1 for src in sources))
    over = sum(width.values()) + sum(gaps) - (MAX_WIDTH - 2 * MARGIN - 8)
    for protect in (True, False):   # narrow the other gaps first, then the fans' too
        extra = [g - MIN_GAP if not (protect and fan) else 0.0 for g, fan in zip(gaps, fans)]
        if over > 0 and sum(extra) > 0:
            cut = min(1.0, over / sum(extra))
            gaps = [g - e * cut for g, e in zip(gaps, extra)]
            over -= cut * sum(extra)
    at, px = 0.0, {}
    for i, x in enumerate(xs):
        px[x] = at + width[x] / 2
        at += width[x] + (gaps[i] if i < len(gaps) else 0)
    return px


def _row_scale(nodes, edges, size) -> float:
    """px per unit of node y: boxes in one column never closer than V_GAP, and an edge from one
    of them to the other long enough for its label beside it."""
    scale = 60.0
    for x in {n[1] for n in nodes.values()}:
        column = sorted((n[2], size[k][1]) for k, n in nodes.items() if n[1] == x)
        for (y0, h0), (y1, h1) in zip(column, column[1:]):
            if y1 > y0:
                scale = max(scale, ((h0 + h1) / 2 + V_GAP) / (y1 - y0))
    for src, dst, label in edges:
        dy = abs(nodes[src][2] - nodes[dst][2])
        if label and dy and nodes[src][1] == nodes[dst][1]:
            room = text_size(label, mono=True)[1] + 2 * LABEL_GAP + 16
            scale = max(scale, ((size[src][1] + size[dst][1]) / 2 + room) / dy)
    return scale


def _distance(point, p, q) -> float:
    """From ``point`` to the segment p-q."""
    d = np.subtract(q, p)
    t = np.clip(np.dot(np.subtract(point, p), d) / (np.dot(d, d) or 1.0), 0.0, 1.0)
    return float(np.hypot(*(np.add(p, t * d) - point)))


def _place_label(w, h, own, taken, segments, siblings):
    """The label box (x0, y0, x1, y1) for arrow ``own`` (p, q): beside it, at its nearest spot
    that is clear of every box in ``taken`` and of every arrow, and nearer its own arrow than
    any other (so it is read as that arrow's). Along a fan of arrows, near their far ends,
    where they are furthest apart, on the fan's outer side. ``siblings``: the other arrows
    leaving the same node."""
    p, q = own
    dx, dy = q[0] - p[0], q[1] - p[1]
    length = np.hypot(dx, dy) or 1.0
    normal = np.array([-dy, dx]) / length
    if normal[1] < 0 or (normal[1] == 0 and normal[0] < 0):
        normal = -normal  # above a level arrow, right of an upright one first
    beside = abs(normal[0]) * w / 2 + abs(normal[1]) * h / 2 + LABEL_GAP
    if siblings:
        fan = np.mean([np.subtract(b, a) / (np.hypot(*np.subtract(b, a)) or 1.0)
                       for a, b in siblings], axis=0)
        outer = 1 if np.dot(normal, np.array([dx, dy]) / length - fan) >= 0 else -1
        along = (0.7, 0.8, 0.6, 0.5)
        order = [(side, t, extra) for side in (outer, -outer) for extra in range(0, 41, 8)
                 for t in along]
    else:
        along = (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8)
        order = [(side, t, extra) for extra in range(0, 41, 8) for t in along
                 for side in (1, -1)]
    order += [(side, t, extra) for extra in range(48, 241, 8) for t in along for side in (1, -1)]
    others = [seg for seg in segments if seg is not own]
    best, best_cost = None, np.inf
    for side, t, extra in order:
        centre = np.array(p) + t * np.array([dx, dy]) + side * normal * (beside + extra)
        box = (centre[0] - w / 2, centre[1] - h / 2, centre[0] + w / 2, centre[1] + h / 2)
        mine = _distance(centre, p, q)
        # Covering a text or an arrow is worse than standing nearer another arrow.
        cost = (10 * sum(_overlap(box, other, LABEL_GAP) for other in taken)
                + 10 * sum(_crosses(box, a, b) for a, b in segments)
                + sum(_distance(centre, a, b) < mine for a, b in others))
        if cost == 0:
            return box
        if cost < best_cost:
            best, best_cost = box, cost
    return best


def flow(nodes: dict[str, tuple[str, float, float, str]],
         edges: list[tuple[str, str, str]], height: int | None = None) -> dict:
    """A data-flow diagram. nodes: id -> (label, x, y, colour); edges: (src, dst, shape label).

    x orders the columns and y the rows (up is +); the px layout is computed here: each box is
    sized to its text, columns leave room for the labels between them, every edge label sits
    beside its arrow; the figure's height is the layout's own (``height`` is ignored: it sized
    the older layout in data units, and only added empty space here). Node and edge texts are one text trace each and
    the arrows one line trace with arrow-head markers: the browser lays out a trace's texts
    together, but measures every annotation on its own (21 annotations took 50 ms of a 80 ms
    draw)."""
    size = {}
    for key, (label, *_rest) in nodes.items():
        w, h = text_size(label)
        size[key] = (w + 2 * PAD_X, h + 2 * PAD_Y)
    column_px, row_px = _columns(nodes, edges, size), _row_scale(nodes, edges, size)
    centre = {k: (column_px[x], y * row_px) for k, (_, x, y, _) in nodes.items()}
    boxes = {k: (cx - size[k][0] / 2, cy - size[k][1] / 2, cx + size[k][0] / 2,
                 cy + size[k][1] / 2) for k, (cx, cy) in centre.items()}
    shapes = [dict(type="rect", x0=b[0], y0=b[1], x1=b[2], y1=b[3], fillcolor="white",
                   line=dict(color=nodes[k][3], width=2.5), layer="below")
              for k, b in boxes.items()]
    segments = []
    for src, dst, _ in edges:
        half_src = (size[src][0] / 2, size[src][1] / 2)
        half_dst = (size[dst][0] / 2 + 2, size[dst][1] / 2 + 2)   # the head stops at the border
        segments.append((_exit_point(centre[src], half_src, centre[dst]),
                         _exit_point(centre[dst], half_dst, centre[src])))
    taken = list(boxes.values())
    label_x, label_y, label_text = [], [], []
    for (src, _, label), own in zip(edges, segments):
        if label:
            siblings = [seg for (a, _, _), seg in zip(edges, segments) if a == src and seg is not own]
            box = _place_label(*text_size(label, mono=True), own, taken, segments, siblings)
            taken.append(box)
            label_x.append((box[0] + box[2]) / 2)
            label_y.append((box[1] + box[3]) / 2)
            label_text.append(label)
    arrow_x, arrow_y, head_size = [], [], []
    for p, q in segments:
        arrow_x += [p[0], q[0], None]
        arrow_y += [p[1], q[1], None]
        head_size += [0, 11, 0]  # a head at the end point only
    data = [
        dict(type="scatter", x=arrow_x, y=arrow_y, mode="lines+markers", hoverinfo="skip",
             line=dict(color="#666", width=1.5),
             marker=dict(symbol="arrow", angleref="previous", size=head_size, color="#666")),
        dict(type="scatter", x=[c[0] for c in centre.values()], y=[c[1] for c in centre.values()],
             mode="text", text=[n[0] for n in nodes.values()], textfont=NODE_FONT,
             hoverinfo="skip", name="nodes"),
        dict(type="scatter", x=label_x, y=label_y, mode="text", text=label_text,
             textfont=EDGE_FONT, hoverinfo="skip", name="edge labels"),
    ]
    x0, y0 = min(b[0] for b in taken) - 4, min(b[1] for b in taken) - 4
    x1, y1 = max(b[2] for b in taken) + 4, max(b[3] for b in taken) + 4
    layout = _schematic_layout(int(np.ceil(y1 - y0)) + 2 * MARGIN, [x0, x1], [y0, y1],
                               shapes=shapes)
    layout["margin"] = dict(l=MARGIN, r=MARGIN, t=MARGIN, b=MARGIN)
    return figure(data, layout)


shape_text = sequential.shape_text  # (2, 5, 8) as Keras prints it: one home, in rnn_core


def stack_flow(stages: list[tuple[str, str]], edge_labels: list[str], outputs: list[str] | None = None,
               height: int = 230) -> dict:
    """A model as a chain, shapes on the edges: x -> [Masking] -> layer 1 -> ... -> output.

    stages: (label, colour), the first being x; edge_labels[i] labels the edge from stage i to
    stage i + 1; ``outputs`` (name, shape) pairs fan out of the last stage. Drawn top to bottom
    (x on top, like model.summary()), so a stack of three layers and a mask still fits the
    page's width."""
    nodes = {f"s{i}": (label, 0.0, -float(i), colour) for i, (label, colour) in enumerate(stages)}
    edges = [(f"s{i}", f"s{i + 1}", label) for i, label in enumerate(edge_labels)]
    last = f"s{len(stages) - 1}"
    outputs = outputs or []
    for k, (name, shape) in enumerate(outputs):
        colour = colors.C if name.endswith("carry_state") else colors.H
        nodes[f"o{k}"] = (name, k - (len(outputs) - 1) / 2, -float(len(stages)), colour)
        edges.append((last, f"o{k}", shape))
    return flow(nodes, edges)


def encoder_decoder(cell: str, enc_shape, dec_shape, units: int, dec_output_shape) -> dict:
    """Seed 000's handover: the encoder's final states become the decoder's initial_state.

    Encoder and decoder side by side, each reading its input from below; the final states
    cross between them."""
    batch = enc_shape[0]
    state_names = [f"{s}_T" for s in layers.CELL_CLASS[cell].state_names]
    nodes = {
        "x": ("<b>encoder input</b>", 0, -1.0, colors.X),
        "enc": (f"encoder {cell}<br>return_state=True", 0, 0, colors.H),
        "y": ("<b>decoder input</b>", 2, -1.0, colors.X),
        "dec": (f"decoder {cell}<br>initial_state=…", 2, 0, colors.H),
        "out": ("decoder output", 3, 0, colors.H),
    }
    edges = [("x", "enc", shape_text(enc_shape)), ("y", "dec", shape_text(dec_shape)),
             ("dec", "out", shape_text(dec_output_shape))]
    rows = [0.55, -0.55] if len(state_names) == 2 else [0.0]
    for name, y in zip(state_names, rows):
        colour = colors.C if name == "c_T" else colors.H
        start = "h₀" if name == "h_T" else "c₀"
        nodes[name] = (f"final {name[0]}<sub>T</sub> → {start}", 1, y, colour)
        edges += [("enc", name, shape_text((batch, units))), (name, "dec", "")]
    return flow(nodes, edges)
