"""Charts a back row can read (issue 18, deliverable 2), on every figure the pages send.

Each page is opened under AppTest and every ``ui.runtime.chart`` element's figure is read as the browser
receives it (``chart_elements``): no toolbar, colour bars with 3–5 ticks and a length in pixels,
every heatmap's rows labelled without labels on top of each other, one hue per unit in a line
chart, no histogram hiding another. Pixel sizes come from the figure's own height, margins and
axis domains (what plotly.js lays out before automargin grows a margin).

The step-throughs (``figures.step_through``) and the diagrams (``ui.drawing.diagrams``) are checked by
their own test, on the pages that draw them.
"""
from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
from app_helpers import chart_elements, open_page

from ui.drawing import colors, figures, plot

# (page, query): every chart builder the pages use, LSTM and GRU, stacks, Bidirectional, masks
VIEWS = [
    ("home", {}),
    ("shapes", {"cell": "LSTM", "units": "4", "show_weights": "true"}),
    ("shapes", {"cell": "GRU", "units": "3", "layers": "2", "lengths": "3,6", "timesteps": "6"}),
    ("shapes", {"cell": "SimpleRNN", "units": "24", "show_weights": "true", "input_dim": "6"}),
    ("parameters", {}),
    ("hidden_states", {"cell": "LSTM", "units": "8", "stateful": "true"}),
    ("hidden_states", {"cell": "GRU", "units": "4", "bidirectional": "true"}),
    ("gates", {"cell": "LSTM", "units": "4"}),
    ("gates", {"cell": "GRU", "units": "8"}),
    ("gates", {"cell": "SimpleRNN"}),
    ("cross_check", {}),
    ("encoder_decoder", {"cell": "LSTM"}),
    ("training", {"train_epochs": "30"}),
]
DIAGRAMS = {"input_tensor", "unrolled_patterns", "data_flow", "stack_flow", "ed_diagram"}
UNIT = re.compile(r"(?:^| · )unit (\d+)(?: · |,| =|$)|^unit (\d+)")


def _views():
    return [pytest.param(page, query, id=page + "-" + "-".join(query.values())) for page, query in VIEWS]


_CACHE: dict = {}


def charts(page: str, query: dict) -> list[tuple[str, dict, dict]]:
    """[(key, figure, the element's data)] of every chart the page draws."""
    key = (page, tuple(sorted(query.items())))
    if key not in _CACHE:
        at = open_page(page, **query)
        _CACHE[key] = [(d["key"], json.loads(d["figure"]), d) for d in chart_elements(at)]
    return _CACHE[key]


def _others(key: str, fig: dict) -> bool:
    """Charts with their own test: the step-through (it has frames, or the description the
    browser builds them from) and the diagrams."""
    return bool(fig.get("frames") or fig.get("animation")) or key in DIAGRAMS or key.startswith("train_live")


# --- the checks: each returns a list of problems ------------------------------------------------
def _plot_px(layout: dict) -> float:
    margin = layout.get("margin", {})
    return layout.get("height", 450) - margin.get("t", 100) - margin.get("b", 80)


def _colour_bars(fig: dict) -> list[tuple[str, dict]]:
    """(where, colorbar) of every colour scale the figure shows."""
    layout, out = fig["layout"], []
    used = set()
    for i, trace in enumerate(fig["data"]):
        if trace.get("type") not in ("heatmap", "contour") and "colorscale" not in trace.get("marker", {}):
            continue
        if trace.get("coloraxis"):
            used.add(trace["coloraxis"])
        elif trace.get("showscale", True) and trace.get("type") == "heatmap":
            out.append((f"trace {i}", trace.get("colorbar") or {}))
    for axis in sorted(used):
        if layout.get(axis, {}).get("showscale", True):
            out.append((axis, layout.get(axis, {}).get("colorbar") or {}))
    return out


def colour_bar_problems(fig: dict) -> list[str]:
    problems = []
    plot_px = _plot_px(fig["layout"])
    for where, bar in _colour_bars(fig):
        ticks = bar.get("tickvals") or []
        if not 3 <= len(ticks) <= 5:
            problems.append(f"{where}: {len(ticks)} explicit colour-bar ticks, not 3–5")
        if bar.get("lenmode") != "pixels" or bar.get("len", 0) < plot.MIN_COLORBAR_PX:
            problems.append(f"{where}: colour bar {bar.get('len')} {bar.get('lenmode', 'fraction')}"
                            f" long, not ≥ {plot.MIN_COLORBAR_PX} px")
        elif bar["len"] > plot_px + 1:
            problems.append(f"{where}: colour bar {bar['len']} px in a {plot_px:.0f} px plot area")
        # a tick label needs about 1.5 font heights: 5 labels in 40 px overlapped
        elif ticks and bar["len"] / max(len(ticks) - 1, 1) < 1.5 * plot.FONT_PX:
            problems.append(f"{where}: {len(ticks)} ticks in {bar['len']} px overlap")
    return problems


def _rows(trace: dict) -> list[float]:
    """The y of every row of a heatmap trace."""
    z = trace.get("z")
    n = int(str(z["shape"]).split(",")[0]) if isinstance(z, dict) and "shape" in z else len(z or [])
    if isinstance(trace.get("y"), list):
        return [float(v) for v in trace["y"]]
    y0, dy = float(trace.get("y0", 0)), float(trace.get("dy", 1))
    return [y0 + dy * i for i in range(n)]


def row_label_problems(fig: dict) -> list[str]:
    """Every heatmap row carries a tick label, or every k-th one where rows are thinner than a
    label, and no two labels are closer than the font is tall."""
    layout, problems = fig["layout"], []
    for i, trace in enumerate(fig["data"]):
        if trace.get("type") != "heatmap":
            continue
        axis = layout.get("yaxis" + trace.get("yaxis", "y")[1:], {})
        rows = _rows(trace)
        vals = axis.get("tickvals")
        if not vals and not (isinstance(trace.get("y"), list) and axis.get("ticktext")):
            problems.append(f"trace {i}: heatmap rows without tick labels")
            continue
        span = axis.get("range") or [min(rows) - 0.5, max(rows) + 0.5]
        lo, hi = min(span), max(span)
        domain = axis.get("domain", [0, 1])
        px_per_row = _plot_px(layout) * (domain[1] - domain[0]) / (hi - lo)
        stride = math.ceil(plot.LABEL_ROW_PX / px_per_row - 1e-9)
        vals = sorted(float(v) for v in vals)
        far = [r for r in rows if min(abs(r - v) for v in vals) >= stride]
        if far:
            problems.append(f"trace {i}: rows {far[:4]} are ≥ {stride} rows from a label")
        gaps = np.diff(vals) * px_per_row
        if len(gaps) and gaps.min() < plot.FONT_PX - 0.5:
            problems.append(f"trace {i}: row labels {gaps.min():.0f} px apart overlap")
    return problems


def _lab(hex_or_rgb: str) -> np.ndarray:
    """CIE L*a*b* of a '#rrggbb' or 'rgb(r,g,b)' colour (D65)."""
    if hex_or_rgb.startswith("#"):
        rgb = [int(hex_or_rgb[i:i + 2], 16) for i in (1, 3, 5)]
    else:
        rgb = [float(v) for v in re.findall(r"[\d.]+", hex_or_rgb)[:3]]
    c = np.array(rgb) / 255
    c = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ c / np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


MIN_DELTA_E = 20  # CIE76: shades of one blue a projector washes out differ by less


def unit_line_problems(fig: dict) -> list[str]:
    """Lines of different units on one plot differ clearly in colour (ΔE ≥ MIN_DELTA_E)."""
    by_plot: dict = {}
    for trace in fig["data"]:
        if trace.get("type") != "scatter" or "lines" not in trace.get("mode", "lines"):
            continue
        m = UNIT.search(trace.get("name") or "") or UNIT.search(trace.get("hovertemplate") or "")
        colour = (trace.get("line") or {}).get("color")
        if m and colour:
            unit = int(m.group(1) or m.group(2))
            by_plot.setdefault((trace.get("xaxis", "x"), trace.get("yaxis", "y")), {})[unit] = colour
    problems = []
    for where, units in by_plot.items():
        shown = sorted(units)[:len(colors.UNITS)]  # a palette repeats after its length
        for a, b in ((a, b) for i, a in enumerate(shown) for b in shown[i + 1:]):
            delta = float(np.linalg.norm(_lab(units[a]) - _lab(units[b])))
            if delta < MIN_DELTA_E:
                problems.append(f"{where}: units {a} and {b} ({units[a]}, {units[b]}) differ by "
                                f"ΔE {delta:.0f}")
    return problems


def histogram_problems(fig: dict) -> list[str]:
    """No two distributions (filled areas, histograms) overlaid on one plot."""
    by_plot: dict = {}
    for trace in fig["data"]:
        if trace.get("type") == "histogram" or trace.get("fill") in ("tozeroy", "tonexty"):
            by_plot.setdefault((trace.get("xaxis", "x"), trace.get("yaxis", "y")), []).append(
                trace.get("name"))
    return [f"{where}: {names} drawn over each other" for where, names in by_plot.items()
            if len(names) > 1]


CHECKS = (colour_bar_problems, row_label_problems, unit_line_problems, histogram_problems)


def sent(fig: dict) -> dict:
    """The figure as the chart component receives it (typed arrays, as on the pages)."""
    from ui.runtime import chart

    return json.loads(chart.encode(fig))


def problems_of(fig: dict) -> list[str]:
    return [p for check in CHECKS for p in check(fig)]


# --- the pages ------------------------------------------------------------------------------------
@pytest.mark.parametrize("page, query", _views())
def test_every_chart_reads_from_the_back_row(page, query):
    drawn = charts(page, query)
    assert drawn, f"{page}: no chart"
    problems = [f"{key}: {p}" for key, fig, data in drawn if not _others(key, fig)
                for p in problems_of(fig)]
    problems += [f"{key}: the toolbar is on (it covers the title on hover)"
                 for key, _, data in drawn if data["config"].get("displayModeBar") is not False]
    assert not problems, "\n".join(problems)


def test_the_cross_check_bars_read_from_the_back_row():
    """Drawn once TensorFlow's background check is in (AppTest does not wait for it)."""
    fig = sent(figures.crosscheck_bars(["h", "c", "final h"], [1e-8, 0.0, 2e-3], 1e-5))
    assert not problems_of(fig)
    assert any(t.get("name", "").startswith("tolerance") for t in fig["data"])  # in the legend


def _own_views():
    return [v for v in _views() if v.values[0] in ("home", "shapes", "hidden_states", "gates")]


@pytest.mark.parametrize("page, query", _own_views())
def test_step_throughs_and_diagrams_read_from_the_back_row(page, query):
    problems = [f"{key}: {p}" for key, fig, _ in charts(page, query) if _others(key, fig)
                for p in problems_of(fig)]
    assert not problems, "\n".join(problems)


# --- the checks can fail: each catches what issue 18 saw ------------------------------------------
def test_the_old_shades_of_blue_fail_the_unit_check():
    old = [f"rgb({int(31 + 224 * m)},{int(119 + 136 * m)},{int(180 + 75 * m)})"
           for m in (0.6 * (0.15 + 0.7 * u / 7) for u in range(8))]  # the old unit_palette(8, H)
    fig = plot.figure([dict(type="scatter", mode="lines", name=f"unit {u}", y=[0, 1],
                            line=dict(color=c)) for u, c in enumerate(old)], {})
    assert unit_line_problems(sent(fig))
    fig = plot.figure([dict(type="scatter", mode="lines", name=f"unit {u}", y=[0, 1],
                            line=dict(color=c)) for u, c in enumerate(figures.unit_palette(8))], {})
    assert not unit_line_problems(sent(fig))


def test_a_fraction_long_colour_bar_with_five_ticks_fails():
    heat = dict(type="heatmap", z=np.zeros((4, 3)), colorbar=dict(thickness=10, len=0.45))
    assert colour_bar_problems(sent(plot.figure([heat], dict(height=300))))
    heat["colorbar"] = plot.colorbar("h", -1, 1, 100)
    assert not colour_bar_problems(sent(plot.figure([heat], dict(height=300, margin=dict(t=40, b=40)))))


def test_unlabelled_and_crammed_rows_fail():
    heat = dict(type="heatmap", z=np.zeros((8, 3)), showscale=False)
    layout = dict(height=300, margin=dict(t=40, b=40), yaxis=dict(tickvals=[0, 4]))
    assert row_label_problems(sent(plot.figure([heat], layout)))            # rows 2, 6 far from labels
    layout["yaxis"] = dict(tickvals=list(range(8)), range=[-0.5, 7.5])
    layout["height"] = 80 + 8 * 10                                    # 10 px rows: labels overlap
    assert row_label_problems(sent(plot.figure([heat], layout)))
    layout["yaxis"] = plot.row_labels(8, 10)
    assert not row_label_problems(sent(plot.figure([heat], layout)))


def test_overlaid_histograms_fail():
    traces = [dict(type="scatter", fill="tozeroy", name=n, y=[1, 2]) for n in ("input", "forget")]
    assert histogram_problems(sent(plot.figure(traces, {})))
    fig = figures.histograms({"input": np.random.default_rng(0).random(50),
                              "candidate": np.random.default_rng(1).uniform(-1, 1, 50)})
    assert not histogram_problems(sent(fig))


@pytest.mark.parametrize("low, high", [(-1, 1), (0, 1), (-2.37, 2.37), (-0.063, 0.063), (0, 7)])
@pytest.mark.parametrize("most", [3, 5])
def test_nice_ticks_are_round_and_inside_the_range(low, high, most):
    ticks = plot.nice_ticks(low, high, most)
    assert 3 <= len(ticks) <= most
    assert low - 1e-12 <= min(ticks) and max(ticks) <= high + 1e-12
    steps = np.diff(ticks)
    np.testing.assert_allclose(steps, steps[0])
    mantissa = steps[0] / 10 ** math.floor(math.log10(steps[0]))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5))


def test_the_theme_is_one_file_that_both_sides_use():
    """The browser (static/chart/chart.js) and the exported chart (ui/classroom/exports.py) put the same theme
    under a figure as a Plotly template, read from static/chart/theme.json: plotly.js merges it, no
    hand-written merge on either side."""

    from ui.classroom import exports
    from ui.runtime import chart

    theme = json.loads((chart.STATIC_DIR / "chart" / "theme.json").read_text(encoding="utf-8"))
    assert chart.THEME == theme == plot.THEME
    assert exports.themed({"height": 1})["template"] == {"layout": theme}
    js = (chart.STATIC_DIR / chart.MODULE).read_text(encoding="utf-8")
    assert "template: {layout: theme}" in js
    assert theme["font"]["size"] >= 16  # the app's body text
    html = exports.chart_html(figures.timings({"NumPy": 1.0, "Keras": 2.0}))
    assert '"displayModeBar": false' in html or '"displayModeBar":false' in html


def test_more_units_than_hues_draw_the_ones_that_vary_most_with_a_legend():
    """12 units, 8 hues: the 8 lines of the units that vary most, a legend naming them, and a
    title that says so; the unit in every line's label is the unit drawn."""
    rng = np.random.default_rng(0)
    spread = np.array([0.1, 0.1, 5, 5, 5, 5, 0.1, 5, 5, 0.1, 5, 5])         # (units,)
    h = rng.normal(size=(10, 12)) * spread                                  # (timesteps, units)
    fig = sent(figures.step_through({"h": h}, lines="h"))
    lines = [t for t in fig["data"] if (t.get("name") or "").startswith("unit ")]
    assert [t["name"] for t in lines] == [f"unit {u}" for u in np.flatnonzero(spread == 5)]
    assert all(t["showlegend"] for t in lines)
    assert all(f"· unit {t['name'][5:]} =" in t["hovertemplate"] for t in lines)
    assert any("8 of 12" in a["text"] for a in fig["layout"]["annotations"])
    assert not problems_of(fig)


def test_a_chart_says_what_it_shows():
    """The text alternative (issue 18, deliverable 6): the title, then what the chart draws."""
    from ui.runtime import chart

    h = np.zeros((10, 8))                                                   # (timesteps, units)
    alt = chart.alt_text(figures.step_through({"h": h}, lines="h", title="h_t over time"))
    assert alt.startswith("h_t over time: heatmap of h_t, 8 units × 10 steps; 8 lines, one per unit")
    assert chart.alt_text(figures.timings({"NumPy": 1.0, "Keras": 2.0})).endswith("bars: NumPy, Keras")
