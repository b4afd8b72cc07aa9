"""Schematic figures: the input tensor to scale, unrolled RNN patterns, data flow with shapes."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ui import colors

_BLANK_AXIS = dict(visible=False, showgrid=False, zeroline=False)
# Grids are drawn cell by cell only up to this many cells along an axis (else just the outline).
_MAX_GRID = 40


def _schematic_layout(fig: go.Figure, height: int, title: str | None = None) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40 if title else 10, b=10),
                      showlegend=False, title=title, plot_bgcolor="rgba(0,0,0,0)",
                      xaxis=_BLANK_AXIS, yaxis=dict(_BLANK_AXIS, scaleanchor="x", scaleratio=1))
    return fig


def _polygon(xs, ys, fill, line="#555", width=1.0, name=None) -> go.Scatter:
    return go.Scatter(x=list(xs) + [xs[0]], y=list(ys) + [ys[0]], mode="lines", fill="toself",
                      fillcolor=fill, line=dict(color=line, width=width), hoverinfo="skip",
                      name=name)


def _grid_lines(segments) -> go.Scatter:
    xs, ys = [], []
    for (x0, y0), (x1, y1) in segments:
        xs += [x0, x1, None]
        ys += [y0, y1, None]
    return go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="rgba(60,60,60,0.35)", width=0.7),
                      hoverinfo="skip")


def input_tensor(x: np.ndarray) -> go.Figure:
    """x (batch, timesteps, features) drawn to scale as a box of unit cubes (cavalier view).

    Front face: sample 0's values (timesteps across, features up); depth: the batch.
    """
    batch, timesteps, features = x.shape
    d = np.sqrt(0.5)  # one unit of depth, drawn at 45° and full length
    dx, dy = batch * d, batch * d
    fig = go.Figure()
    top = _polygon([0, timesteps, timesteps + dx, dx], [features, features, features + dy,
                                                         features + dy], "#dde6f0")
    side = _polygon([timesteps, timesteps + dx, timesteps + dx, timesteps],
                    [0, dy, features + dy, features], "#c9d6e3")
    fig.add_traces([top, side])
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
        fig.add_trace(_grid_lines(segments))
    limit = float(max(1.0, np.abs(x[0]).max()))
    fig.add_trace(go.Heatmap(
        z=x[0].T, x0=0.5, dx=1, y0=0.5, dy=1, colorscale=colors.DIVERGING, zmin=-limit,
        zmax=limit, xgap=1 if timesteps <= _MAX_GRID else 0, ygap=1 if features <= _MAX_GRID else 0,
        colorbar=dict(title="x", thickness=10, len=0.6),
        hovertemplate="sample 0<br>timestep %{x:.0f}<br>feature %{y:.0f}<br>x = %{z:.3f}"
                      "<extra></extra>"))
    fig.add_trace(_polygon([0, timesteps, timesteps, 0], [0, 0, features, features],
                           "rgba(0,0,0,0)", line="#333", width=1.5))
    label = dict(showarrow=False, font=dict(size=13))
    fig.add_annotation(x=timesteps / 2, y=-0.6, text=f"timesteps = {timesteps}", **label,
                       yanchor="top")
    fig.add_annotation(x=-0.6, y=features / 2, text=f"input_dim = {features}", textangle=-90,
                       xanchor="right", **label)
    fig.add_annotation(x=timesteps + dx / 2 + 0.3, y=dy / 2 - 0.3,
                       text=f"batch_size = {batch}", xanchor="left", yanchor="top", **label)
    span = max(timesteps + dx, features + dy)
    fig.update_xaxes(range=[-0.12 * span - 1.5, timesteps + dx + 0.25 * span + 1])
    fig.update_yaxes(range=[-0.1 * span - 1.2, features + dy + 0.05 * span + 0.5])
    height = int(np.clip(60 * (features + dy) ** 0.9 + 120, 260, 520))
    return _schematic_layout(fig, height)


PATTERNS = ("one-to-many", "many-to-one", "many-to-many")


def current_pattern(return_sequences: bool) -> str:
    """Which unrolled pattern a recurrent layer with these flags draws."""
    return "many-to-many" if return_sequences else "many-to-one"


def unrolled_patterns(timesteps: int, highlight: str, go_backwards: bool = False) -> go.Figure:
    """The three input/output patterns side by side; ``highlight`` is drawn in colour."""
    n = min(timesteps, 4)
    fig = go.Figure()
    gap = n + 1.5
    for p, pattern in enumerate(PATTERNS):
        on = pattern == highlight
        x0 = p * gap
        cell_c = colors.H if on else colors.MUTED
        in_c = colors.X if on else colors.MUTED
        out_c = colors.HIGHLIGHT if on else colors.MUTED
        inputs = range(n) if pattern != "one-to-many" else [0]
        outputs = range(n) if pattern != "many-to-one" else [n - 1]
        for i in range(n):
            fig.add_shape(type="rect", x0=x0 + i - 0.3, x1=x0 + i + 0.3, y0=-0.3, y1=0.3,
                          line=dict(color=cell_c, width=2), fillcolor="white" if not on else
                          "rgba(31,119,180,0.12)")
            if i < n - 1:
                fig.add_annotation(x=x0 + i + 0.7, y=0, ax=x0 + i + 0.3, ay=0, xref="x", yref="y",
                                   axref="x", ayref="y", showarrow=True, arrowhead=2,
                                   arrowcolor=cell_c, arrowwidth=1.5, text="")
        for i in inputs:
            fig.add_annotation(x=x0 + i, y=-0.3, ax=x0 + i, ay=-1.0, xref="x", yref="y",
                               axref="x", ayref="y", showarrow=True, arrowhead=2,
                               arrowcolor=in_c, arrowwidth=1.5, text="")
            t = (n - 1 - i) if go_backwards and on else i
            fig.add_annotation(x=x0 + i, y=-1.2, text=f"x<sub>{t}</sub>", showarrow=False,
                               font=dict(color=in_c))
        for i in outputs:
            fig.add_annotation(x=x0 + i, y=1.0, ax=x0 + i, ay=0.3, xref="x", yref="y",
                               axref="x", ayref="y", showarrow=True, arrowhead=2,
                               arrowcolor=out_c, arrowwidth=1.5, text="")
            fig.add_annotation(x=x0 + i, y=1.25, text=f"h<sub>{i}</sub>", showarrow=False,
                               font=dict(color=out_c))
        title = f"<b>{pattern}</b>" + ("<br>← your layer" if on else "")
        fig.add_annotation(x=x0 + (n - 1) / 2, y=1.75, text=title, showarrow=False,
                           font=dict(color=colors.HIGHLIGHT if on else "#888", size=13))
        if on:
            fig.add_shape(type="rect", x0=x0 - 0.6, x1=x0 + n - 0.4, y0=-1.5, y1=2.2,
                          line=dict(color=colors.HIGHLIGHT, width=2, dash="dot"))
    fig.update_xaxes(range=[-0.8, 2 * gap + n - 0.2])
    fig.update_yaxes(range=[-1.6, 2.35])
    return _schematic_layout(fig, 250)


NODE_W, NODE_H = 1.25, 0.62  # node box size in data units


def _exit_point(x0, y0, x1, y1):
    """Where the segment from a node's centre towards (x1, y1) leaves the node's box."""
    dx, dy = x1 - x0, y1 - y0
    scale = min(NODE_W / 2 / abs(dx) if dx else np.inf, NODE_H / 2 / abs(dy) if dy else np.inf)
    return x0 + dx * scale, y0 + dy * scale


def flow(nodes: dict[str, tuple[str, float, float, str]],
         edges: list[tuple[str, str, str]], height: int = 360) -> go.Figure:
    """A data-flow diagram. nodes: id -> (label, x, y, colour); edges: (src, dst, shape label)."""
    fig = go.Figure()
    for label, x, y, colour in nodes.values():
        fig.add_shape(type="rect", x0=x - NODE_W / 2, x1=x + NODE_W / 2, y0=y - NODE_H / 2,
                      y1=y + NODE_H / 2, line=dict(color=colour, width=2.5), fillcolor="white",
                      layer="below")
        fig.add_annotation(x=x, y=y, text=label, showarrow=False, font=dict(size=12))
    for src, dst, label in edges:
        _, x0, y0, _ = nodes[src]
        _, x1, y1, _ = nodes[dst]
        ax, ay = _exit_point(x0, y0, x1, y1)
        bx, by = _exit_point(x1, y1, x0, y0)
        fig.add_annotation(x=bx, y=by, ax=ax, ay=ay, xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=2, arrowsize=1.2, arrowwidth=1.5,
                           arrowcolor="#666", text="")
        if label:
            fig.add_annotation(x=(ax + bx) / 2, y=(ay + by) / 2, text=label, showarrow=False,
                               font=dict(size=12, color="#222", family="monospace"),
                               bgcolor="rgba(255,255,255,0.92)")
    xs = np.array([n[1] for n in nodes.values()])
    ys = np.array([n[2] for n in nodes.values()])
    # an invisible trace so Plotly keeps the axes (shapes alone do not set ranges)
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", marker=dict(opacity=0), hoverinfo="skip"))
    fig.update_xaxes(range=[xs.min() - NODE_W, xs.max() + NODE_W])
    fig.update_yaxes(range=[ys.min() - NODE_H * 1.2, ys.max() + NODE_H * 1.2])
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), showlegend=False,
                      plot_bgcolor="rgba(0,0,0,0)", xaxis=_BLANK_AXIS, yaxis=_BLANK_AXIS)
    return fig


def shape_text(shape) -> str:
    """(2, 5, 8) as Keras prints it; None for unknown dimensions."""
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
