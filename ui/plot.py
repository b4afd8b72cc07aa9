"""Low-level Plotly helpers: figures as plain dicts, their wire encoding, and a subplot grid.

A figure is the plain dict plotly.js takes, ``{"data", "layout", "frames"}``: no graph-object
tree (Plotly validates and copies every array into one, 0.1–1 s for a step-through's frames),
so nothing can be set on an object and silently lost on export. ``ui.chart`` sends it.
"""
from __future__ import annotations

import base64
import math

import numpy as np

BLANK_AXIS = dict(visible=False, showgrid=False, zeroline=False)
# A legend in a row under the plot, pinned to the figure's bottom edge, so it never sits on the
# x-axis title; figures that use it keep LEGEND_MARGIN px free at the bottom.
LEGEND_BELOW = dict(orientation="h", yref="container", y=0.0, yanchor="bottom", x=0.0)
LEGEND_MARGIN = 72


_TYPED = {"float64": "f8", "float32": "f4", "int8": "i1", "int16": "i2", "int32": "i4",
          "uint8": "u1", "uint16": "u2", "uint32": "u4"}
_PLAIN_KEYS = ("range", "geojson", "layer", "layers")


def encode(obj):
    """numpy arrays -> Plotly's typed-array spec {"dtype", "bdata", "shape"} (what Plotly's own
    export writes), at any depth; object arrays become lists. Plotly's converter checks each
    array against pandas and copies it: 0.2 ms an array, 40 ms for a step-through's frames."""
    if isinstance(obj, dict):  # Plotly's export leaves these keys' arrays as lists
        return {key: value.tolist() if key in _PLAIN_KEYS and isinstance(value, np.ndarray)
                else encode(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [encode(value) for value in obj]
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "iu" and obj.dtype.name not in _TYPED:
            obj = obj.astype(np.int32)  # plotly.js has no 64-bit integer arrays
        if obj.dtype.name not in _TYPED or obj.size == 0:
            return obj.tolist()
        out = {"dtype": _TYPED[obj.dtype.name],
               "bdata": base64.b64encode(np.ascontiguousarray(obj)).decode("ascii")}
        if obj.ndim > 1:
            out["shape"] = ", ".join(map(str, obj.shape))
        return out
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None  # JSON has no NaN; plotly.js reads null as a gap
    return obj


def figure(data: list[dict], layout: dict, frames: list[dict] | None = None) -> dict:
    """The plain figure dict plotly.js takes (encoded only when sent, by ``ui.chart``)."""
    spec = {"data": data, "layout": layout}
    if frames:
        spec["frames"] = frames
    return spec


def int_ticks(n: int) -> dict:
    """Whole-number ticks for an axis of n cells (steps, units, rows): never 0.5 or -0.5."""
    return dict(tick0=0, dtick=max(1, math.ceil(n / 6)), tickformat="d")


def unit_ticks(n: int) -> dict:
    """Ticks on the cells 0..n-1 only, as explicit values: an axis whose range is padded past
    the last cell (room for a note) never shows a tick n for a unit that does not exist."""
    return dict(tickmode="array", tickvals=list(range(0, n, max(1, math.ceil(n / 6)))))


def axis_names(n: int) -> tuple[str, str, str, str]:
    """(layout x-axis key, layout y-axis key, trace xref, trace yref) of the n-th subplot (1-based)."""
    suffix = "" if n == 1 else str(n)
    return f"xaxis{suffix}", f"yaxis{suffix}", f"x{suffix}", f"y{suffix}"


def grid(cells: list[tuple[int, int, int]], rows: int, cols: int, titles: list[str] | None = None,
         hgap: float = 0.08, vgap: float = 0.1, row_heights: list[float] | None = None,
         title_colours: list[str] | None = None) -> tuple[dict, list[tuple[str, str]]]:
    """Subplot domains for cells (row, col, colspan), 0-based, top row first.

    Returns (layout fragment with the axes and title annotations, [(xref, yref)] per cell).
    """
    width = (1 - hgap * (cols - 1)) / cols
    weights = row_heights or [1.0] * rows
    usable = 1 - vgap * (rows - 1)
    heights = [usable * w / sum(weights) for w in weights]
    layout: dict = {"annotations": []}
    refs = []
    for n, (row, col, span) in enumerate(cells, start=1):
        x0 = col * (width + hgap)
        x1 = x0 + span * width + (span - 1) * hgap
        y1 = 1 - sum(heights[:row]) - row * vgap
        y0 = y1 - heights[row]
        xkey, ykey, xref, yref = axis_names(n)
        layout[xkey] = dict(domain=[x0, min(x1, 1.0)], anchor=yref)
        layout[ykey] = dict(domain=[max(y0, 0.0), y1], anchor=xref)
        refs.append((xref, yref))
        if titles and n <= len(titles) and titles[n - 1]:
            font = dict(size=13)
            if title_colours:
                font["color"] = title_colours[n - 1]
            layout["annotations"].append(dict(
                text=titles[n - 1], x=(x0 + x1) / 2, y=y1, xref="paper", yref="paper",
                xanchor="center", yanchor="bottom", showarrow=False, font=font))
    return layout, refs
