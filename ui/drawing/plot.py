"""Low-level Plotly helpers: figures as plain dicts, their wire encoding, and a subplot grid.

A figure is the plain dict plotly.js takes, ``{"data", "layout", "frames"}``: no graph-object
tree (Plotly validates and copies every array into one, 0.1–1 s for a step-through's frames),
so nothing can be set on an object and silently lost on export. ``ui.runtime.chart`` sends it.
"""
from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import numpy as np

# The one theme: a Plotly template the chart component (ui/js/chart.js) and the exported chart
# (ui/classroom/exports.py) both put under a figure's layout. Its base font is the app's body text (16 px).
# the one theme: a Plotly template, also fetched by the browser (static/chart/chart.js)
THEME = json.loads((Path(__file__).resolve().parents[2] / "static" / "chart" / "theme.json")
                   .read_text(encoding="utf-8"))
FONT_PX = THEME["font"]["size"]
# A colour bar is never shorter than this (a fraction of a squeezed plot was a few px): room for
# three tick labels of the presenter view's 18 px font with a gap between them.
MIN_COLORBAR_PX = 120
# A heatmap row this tall carries its own tick label; thinner rows label every k-th.
LABEL_ROW_PX = 20

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
    """The plain figure dict plotly.js takes (encoded only when sent, by ``ui.runtime.chart``)."""
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


def nice_ticks(low: float, high: float, most: int = 5) -> list[float]:
    """3 to ``most`` round values in [low, high] (steps 1, 2, 2.5, 5 × 10^k), the ends when
    they are round: a colour bar's labels, never five labels crammed where three fit."""
    span = high - low
    if not span > 0:
        return [low]
    for exponent in range(math.floor(math.log10(span / most)) - 1,
                          math.ceil(math.log10(span)) + 1):
        for mantissa in (1, 2, 2.5, 5):
            step = mantissa * 10.0 ** exponent
            first = math.ceil(low / step - 1e-9)
            values = [round((first + i) * step, 12) for i in range(most + 2)
                      if (first + i) * step <= high + 1e-9 * span]
            if 3 <= len(values) <= most:
                return [0.0 if v == 0 else v for v in values]
    return [low, (low + high) / 2, high]


def colorbar(title: str, low: float, high: float, plot_px: float, **extra) -> dict:
    """A colour bar ``plot_px`` long (the plot area's height), at least MIN_COLORBAR_PX, with
    3 ticks, or 5 where they fit (explicit values: Plotly's own choice crams 5 into 40 px)."""
    length = max(MIN_COLORBAR_PX, int(plot_px))
    most = 5 if length >= 5 * 1.8 * FONT_PX else 3
    return dict(title=dict(text=title), thickness=14, lenmode="pixels", len=length,
                tickmode="array", tickvals=nice_ticks(low, high, most), ticks="outside",
                **extra)


def row_labels(units: int, row_px: float, blocks: list[str] | None = None,
               gap: int = 1) -> dict:
    """Tick labels for a heatmap's rows: every unit when a row is LABEL_ROW_PX tall, else every
    k-th (unit 0 always). ``blocks``: names of blocks of ``units`` rows stacked with ``gap``
    blank rows between them (row b·(units+gap)+u is unit u of block b); unit 0 of each block
    is labelled with the block's name ("forget 0"), so every block says what it is."""
    stride = max(1, math.ceil(LABEL_ROW_PX / max(row_px, 1)))
    vals, text = [], []
    for b, name in enumerate(blocks or [None]):
        for u in range(0, units, stride):
            vals.append(b * (units + gap) + u)
            text.append(f"{name} {u}" if name and u == 0 else str(u))
    return dict(tickmode="array", tickvals=vals, ticktext=text)


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
            font = dict(color=title_colours[n - 1]) if title_colours else {}
            layout["annotations"].append(dict(
                text=titles[n - 1], x=(x0 + x1) / 2, y=y1, xref="paper", yref="paper",
                xanchor="center", yanchor="bottom", showarrow=False, font=font))
    return layout, refs


def rows_px(rows: int, most: int = 400) -> float:
    """Height of one heatmap row: LABEL_ROW_PX + 2 (every row labelled) until ``rows`` of them
    pass ``most`` px, then thinner (every k-th row labelled, see ``row_labels``)."""
    return min(LABEL_ROW_PX + 2.0, most / max(rows, 1))


def stack(panel_px: list[float], gap_px: float = 70, titles: list[str] | None = None,
          title_colours: list[str] | None = None) -> tuple[dict, list[tuple[str, str]], float]:
    """Panels one under the other, each ``panel_px`` tall (at least MIN_COLORBAR_PX, so a colour
    bar beside one fits), ``gap_px`` between them (room for a title and tick labels).

    Returns (layout fragment, [(xref, yref)] per panel, the plot area's height in px)."""
    heights = [max(float(h), MIN_COLORBAR_PX) for h in panel_px]
    plot_px = sum(heights) + gap_px * (len(heights) - 1)
    layout, refs = grid([(i, 0, 1) for i in range(len(heights))], len(heights), 1, titles,
                        vgap=gap_px / plot_px, row_heights=heights, title_colours=title_colours)
    return layout, refs, plot_px


def legend_line(name: str, colour: str, dash: str = "dot", width: float = 2) -> dict:
    """A legend entry for a threshold drawn as a layout shape (shapes have none): the legend
    names the line, so no label sits on the plot where curves and bars cross it."""
    return dict(type="scatter", x=[None], y=[None], mode="lines", name=name, hoverinfo="skip",
                line=dict(color=colour, width=width, dash=dash))


def title(text: str, chars: int = 40) -> dict:
    """A chart title that fits a half-width chart: Plotly never wraps one (it was cut at both
    ends) and draws a second <br> line above the figure, so what passes ``chars`` characters
    goes to the subtitle line under it, split after a colon or else at a space."""
    if len(text) <= chars:
        return dict(text=text)
    cut = text.rfind(": ", 0, chars)
    head, tail = (text[:cut + 1], text[cut + 2:]) if cut > 0 else (
        text[:text.rfind(" ", 0, chars)], text[text.rfind(" ", 0, chars) + 1:])
    return dict(text=head, subtitle=dict(text=tail, font=dict(size=FONT_PX)))
