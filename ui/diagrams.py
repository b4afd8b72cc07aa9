"""Schematic figures: the input tensor to scale, unrolled RNN patterns, data flow with shapes."""
from __future__ import annotations

import numpy as np

from rnn_core import layers, sequential
from ui import colors
from ui.plot import BLANK_AXIS, figure

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
    gap = 1 if max(timesteps, features) <= _MAX_GRID else 0
    data.append(dict(
        type="heatmap", z=x[0].T, x0=0.5, dx=1, y0=0.5, dy=1, colorscale=colors.DIVERGING,
        zmin=-limit, zmax=limit, xgap=gap, ygap=gap,
        colorbar=dict(title=dict(text="x"), thickness=10, len=0.6),
        hovertemplate="sample 0<br>timestep %{x:.0f}<br>feature %{y:.0f}<br>x = %{z:.3f}"
                      "<extra></extra>"))
    data.append(_polygon([0, timesteps, timesteps, 0], [0, 0, features, features],
                         "rgba(0,0,0,0)", line="#333", width=1.5))
    annotations = [
        _text(timesteps / 2, -0.3, f"timesteps = {timesteps}", yanchor="top"),
        _text(-0.3, features / 2, f"input_dim = {features}", textangle=-90, xanchor="right"),
        _text(timesteps + dx / 2 + 0.3, dy / 2 - 0.3, f"batch_size = {batch}", xanchor="left",
              yanchor="top"),
    ]
    span = max(timesteps + dx, features + dy)
    height = int(np.clip(60 * (features + dy) ** 0.9 + 120, 260, 520))
    return figure(data, _schematic_layout(
        height, [-0.12 * span - 1.5, timesteps + dx + 0.25 * span + 1],
        [-0.1 * span - 1.2, features + dy + 0.05 * span + 0.5], annotations=annotations))


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


NODE_W, NODE_H = 1.25, 0.62  # node box size in data units


def _exit_point(x0, y0, x1, y1):
    """Where the segment from a node's centre towards (x1, y1) leaves the node's box."""
    dx, dy = x1 - x0, y1 - y0
    scale = min(NODE_W / 2 / abs(dx) if dx else np.inf, NODE_H / 2 / abs(dy) if dy else np.inf)
    return x0 + dx * scale, y0 + dy * scale


def flow(nodes: dict[str, tuple[str, float, float, str]],
         edges: list[tuple[str, str, str]], height: int = 360) -> dict:
    """A data-flow diagram. nodes: id -> (label, x, y, colour); edges: (src, dst, shape label).

    Node labels are one text trace and the arrows one line trace with arrow-head markers: the
    browser lays out a trace's texts together, but measures every annotation on its own
    (21 annotations took 50 ms of a 80 ms draw). Only the edge labels, which need a white
    background over the arrows, stay annotations."""
    shapes, annotations = [], []
    arrow_x, arrow_y, head_size = [], [], []
    for label, x, y, colour in nodes.values():
        shapes.append(dict(type="rect", x0=x - NODE_W / 2, x1=x + NODE_W / 2, y0=y - NODE_H / 2,
                           y1=y + NODE_H / 2, line=dict(color=colour, width=2.5),
                           fillcolor="white", layer="below"))
    for src, dst, label in edges:
        _, x0, y0, _ = nodes[src]
        _, x1, y1, _ = nodes[dst]
        ax, ay = _exit_point(x0, y0, x1, y1)
        bx, by = _exit_point(x1, y1, x0, y0)
        arrow_x += [ax, bx, None]
        arrow_y += [ay, by, None]
        head_size += [0, 11, 0]  # a head at the end point only
        if label:
            annotations.append(dict(_text((ax + bx) / 2, (ay + by) / 2, label, "#222", 12),
                                    font=dict(size=12, color="#222", family="monospace"),
                                    bgcolor="rgba(255,255,255,0.92)"))
    xs = np.array([n[1] for n in nodes.values()])
    ys = np.array([n[2] for n in nodes.values()])
    data = [
        dict(type="scatter", x=arrow_x, y=arrow_y, mode="lines+markers", hoverinfo="skip",
             line=dict(color="#666", width=1.5),
             marker=dict(symbol="arrow", angleref="previous", size=head_size, color="#666")),
        dict(type="scatter", x=xs, y=ys, mode="text", text=[n[0] for n in nodes.values()],
             textfont=dict(size=12, color="#333"), hoverinfo="skip"),
    ]
    return figure(data, _schematic_layout(
        height, [xs.min() - NODE_W, xs.max() + NODE_W], [ys.min() - NODE_H * 1.2,
                                                         ys.max() + NODE_H * 1.2],
        equal=False, shapes=shapes, annotations=annotations))


shape_text = sequential.shape_text  # (2, 5, 8) as Keras prints it: one home, in rnn_core


def stack_flow(stages: list[tuple[str, str]], edge_labels: list[str], outputs: list[str] | None = None,
               height: int = 230) -> dict:
    """A model as a chain, shapes on the edges: x -> [Masking] -> layer 1 -> ... -> output.

    stages: (label, colour) left to right, the first being x; edge_labels[i] labels the edge
    from stage i to stage i + 1; ``outputs`` (name, shape) pairs fan out of the last stage."""
    nodes = {f"s{i}": (label, 3.0 * i, 0.0, colour) for i, (label, colour) in enumerate(stages)}
    edges = [(f"s{i}", f"s{i + 1}", label) for i, label in enumerate(edge_labels)]
    last = f"s{len(stages) - 1}"
    outputs = outputs or []
    for k, (name, shape) in enumerate(outputs):
        y = 0.9 * ((len(outputs) - 1) / 2 - k)
        colour = colors.C if name.endswith("carry_state") else colors.H
        nodes[f"o{k}"] = (name.replace("_", " ", 1) if len(name) > 14 else name,
                          3.0 * len(stages) - 0.6, y, colour)
        edges.append((last, f"o{k}", shape))
    return flow(nodes, edges, height=max(height, 100 * len(outputs) + 80))


def encoder_decoder(cell: str, enc_shape, dec_shape, units: int, dec_output_shape) -> dict:
    """Seed 000's handover: the encoder's final states become the decoder's initial_state."""
    batch = enc_shape[0]
    state_names = [f"{s}_T" for s in layers.CELL_CLASS[cell].state_names]
    nodes = {
        "x": ("<b>encoder input</b>", 0, 1.3, colors.X),
        "enc": (f"encoder {cell}<br>return_state=True", 2.3, 1.3, colors.H),
        "y": ("<b>decoder input</b>", 0, -1.3, colors.X),
        "dec": (f"decoder {cell}<br>initial_state=…", 6.9, -1.3, colors.H),
        "out": ("decoder<br>output", 9.2, -1.3, colors.H),
    }
    edges = [("x", "enc", shape_text(enc_shape)), ("y", "dec", shape_text(dec_shape)),
             ("dec", "out", shape_text(dec_output_shape))]
    rows = [0.55, -0.35] if len(state_names) == 2 else [0.1]
    for name, y in zip(state_names, rows):
        colour = colors.C if name == "c_T" else colors.H
        start = "h₀" if name == "h_T" else "c₀"
        nodes[name] = (f"final {name[0]}<sub>T</sub> → {start}", 4.6, y, colour)
        edges += [("enc", name, shape_text((batch, units))), (name, "dec", "")]
    return flow(nodes, edges, height=360)
