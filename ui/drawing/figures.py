"""Data figures: step-through animations, gate heatmaps, parameter curves, cross-check bars.

Plain functions returning figure dicts (see ui.drawing.plot). Arrays come in as
(timesteps, units) for one sample, in processing order, unless the docstring says otherwise.

Every value a chart of the layer's numbers shows carries a hover label that alone names it
(``label``), in one grammar, fields joined by " · "::

    <quantity> · sample <s> · layer <l> · <direction> · step <k> · unit <u>[ · <note>] = <value>

- quantity: ``h_t``, ``c_t`` or a gate as the trace names it (``input``, ``forget``,
  ``candidate``, ``output``, ``update``, ``reset``);
- sample: the batch index; layer: 1 = the bottom layer, as the pages number them (or a name,
  ``encoder`` / ``decoder``);
- direction: ``forward`` (the layer itself, or a Bidirectional's forward_layer; go_backwards is
  the layer's own setting, seen in the step order), ``backward`` (a Bidirectional's
  backward_layer) or ``merged`` (the Bidirectional merge);
- ``step k``: the k-th step the direction computes (processing order), or ``time t``: position
  t of the sequence Keras returns (time order: a Bidirectional's backward sequence re-reversed);
- unit: the index in the vector (a concat merge has 2·units);
- note: an optional qualifier (e.g. which of two compared runs).

The step and unit come from the plotted coordinates (``%{x}``, ``%{y}``) or per-cell
``customdata`` (a unit or step index), never from a list the browser cannot see; so a label is
right by construction and the screen oracle (tests/oracle) decodes it from the text alone.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ui.drawing import colors, plot
from ui.drawing.plot import LEGEND_BELOW, LEGEND_MARGIN, figure, grid, int_ticks

# Above this many numbers in all frames together (the filled copies the browser builds, one per
# step), the step-through only moves its cursor: no fill-in.
MAX_FRAME_VALUES = 250_000
SATURATION = 0.05   # a sigmoid gate within 0.05 of 0 or 1 (tanh: of ±1) counts as saturated


@dataclass(frozen=True)
class Where:
    """The label fields of a chart's values besides step and unit (see the module docstring)."""
    sample: int = 0
    layer: int | str = 1        # 1 = bottom, as the pages number layers
    direction: str = "forward"  # forward | backward | merged
    note: str = ""              # optional qualifier field


QUANTITY = {"h": "h_t", "c": "c_t"}


def quantity(name: str) -> str:
    """The label's quantity for a series name: 'h' and 'h forward' -> 'h_t', gates as named."""
    return QUANTITY.get(name.split(" ")[0], name)


def label(quantity_: str, where: Where, step: str = "step %{x}", unit: str = "%{y}",
          value: str = "%{z:.4f}") -> str:
    """A hovertemplate in the module's label grammar; ``step`` is the whole field
    ("step %{x}" or "time %{x}"), ``unit`` and ``value`` Plotly placeholders or numbers."""
    fields = [quantity_, f"sample {where.sample}", f"layer {where.layer}", where.direction, step,
              f"unit {unit}"] + ([where.note] if where.note else [])
    return " · ".join(fields) + f" = {value}<extra></extra>"


def _where(where, name: str) -> Where:
    """``where`` is one Where for every series, or a dict series name -> Where."""
    if isinstance(where, dict):
        return where[name]
    return where or Where()


def _limit(values: np.ndarray) -> float:
    """Symmetric range for a diverging scale: at least [-1, 1]."""
    return max(1.0, float(np.nanmax(np.abs(values)))) if values.size else 1.0


def _label(name: str) -> str:
    if name in colors.GATE:
        return f"{name} gate"
    return {"h": "h_t (hidden state)", "c": "c_t (cell / carry state)"}.get(name, name)


def step_through(series: dict[str, np.ndarray], panels: list[list[str]] | None = None,
                 start: int = 0, cols: int = 1, lines: str | None = None, step_labels=None,
                 title: str | None = None, row_px: float = 16,
                 where: Where | dict[str, Where] | None = None) -> dict:
    """Heatmaps (units × timesteps) animated step by step in the browser.

    series: name -> (timesteps, units). ``panels`` groups names that share one heatmap panel,
    one block under the other, the first on top, unit 0 at the top of each block (default: one
    panel per name); fewer panels draw much faster. Play/pause and a slider run Plotly frames
    (no server round trip); frame k shows steps 0..k and a cursor at k. ``lines`` names a
    series also drawn as one line per unit, a hue each with a legend (above eight units, the
    eight that vary most, as the title says); ``start`` is the first frame shown. ``where``
    (one, or per series name) fills the hover labels' sample, layer and direction. ``row_px``:
    a heatmap row's height (rows thinner than ``plot.LABEL_ROW_PX`` label every k-th unit).

    The figure carries every array once, in full (each heatmap's z, each line's y, the
    customdata), and no Plotly frames: the browser builds them (static/chart/frames.js
    ``stepFrames``, in the app and in a downloaded chart; the screen oracle's tests/oracle/labels.py ``step_frames`` builds the same),
    so the bytes sent grow linearly in the number of steps. The description, ``fig["animation"]``::

        {"timesteps": T, "start": s, "fill": [i, ...], "grow": [i, ...], "cursor": [i, ...]}

    Frame k (k = 0 .. T-1) is named ``str(k)``; it changes these traces of ``fig["data"]`` (by
    index), in this order, each as {"type": the trace's type, <attribute>: value}:

    - ``fill``, heatmaps: ``z`` = the trace's z (units, T) with the columns after k null
      (steps not computed yet: blank, no hover, ``hoverongaps`` is off);
    - ``grow``, lines drawn at x = 0, 1, … (no x array): ``y`` = the trace's first k + 1 values;
    - ``cursor``, the step markers: ``x`` = [k, k].

    Traces in no list never change. The chart shows frame ``start`` first (the traces as
    sent, with that frame applied). ``fill`` and ``grow`` are empty when the filled copies
    would exceed MAX_FRAME_VALUES: then the whole arrays show and only the cursors move.
    """
    panels = panels or [[name] for name in series]
    timesteps, units = next(iter(series.values())).shape
    start = int(np.clip(start, 0, timesteps - 1))
    labels = list(step_labels) if step_labels is not None else [str(k) for k in range(timesteps)]
    panel_rows = [len(names) * (units + 1) - 1 for names in panels]  # one blank row between blocks
    heat_rows = math.ceil(len(panels) / cols)
    kinds = ["gate" if all(colors.is_gate01(n) for n in names) else "tanh" for names in panels]
    axes = {kind: ("coloraxis" if j == 0 else f"coloraxis{j + 1}")
            for j, kind in enumerate(dict.fromkeys(kinds))}
    vgap_px = 60
    row_heights = [max(panel_rows[r * cols:(r + 1) * cols]) for r in range(heat_rows)]
    row_heights = [int(np.clip(h * row_px, 110, 520)) for h in row_heights]
    # the colour bars stand one under the other beside the heatmaps, a title's height apart:
    # room for each (the heatmaps grow only when two bars need more than they are tall)
    bar_gap_px = 40
    bars_px = len(axes) * plot.MIN_COLORBAR_PX + (len(axes) - 1) * bar_gap_px
    heat_px = sum(row_heights) + vgap_px * (heat_rows - 1)
    row_heights[-1] += max(0, bars_px - heat_px)
    heat_px = max(heat_px, bars_px)
    cells = [(i // cols, i % cols, 1) for i in range(len(panels))]
    titles = [", ".join(_label(n) for n in names) for names in panels]
    if lines:
        shown = _top_units(series[lines], len(colors.UNITS))
        cells.append((heat_rows, 0, cols))
        titles.append(f"{_label(lines)}: one line per unit" + (
            f", the {len(shown)} of {units} that vary most" if len(shown) < units else ""))
        row_heights.append(200)
    plot_px = sum(row_heights) + vgap_px * (len(row_heights) - 1)
    # a right-hand column's row labels ("candidate 0") need room beside the left column's heatmap
    longest = max((len(n) for names in panels if len(names) > 1 for n in names),
                  default=0)
    hgap = min(0.25, 0.1 + 0.012 * (longest + 2)) if cols > 1 and longest else 0.1
    layout, refs = grid(cells, len(row_heights), cols, titles, vgap=vgap_px / plot_px, hgap=hgap,
                        row_heights=row_heights)
    fill_in = timesteps * timesteps * (sum(panel_rows)
                                       + (len(shown) if lines else 0)) <= MAX_FRAME_VALUES

    bar_px = (heat_px - bar_gap_px * (len(axes) - 1)) / len(axes)
    for j, (kind, axis) in enumerate(axes.items()):
        if kind == "gate":
            low, high, scale = 0.0, 1.0, colors.SEQUENTIAL
        else:
            high = max(_limit(series[n]) for names, k in zip(panels, kinds) if k == kind
                       for n in names)
            low, scale = -high, colors.DIVERGING
        # stacked from the top, a gap apart: their titles never collide
        layout[axis] = dict(colorscale=scale, cmin=low, cmax=high, colorbar=plot.colorbar(
            "gate" if kind == "gate" else "value", low, high, bar_px, x=1.02,
            y=1.0 - j * (bar_px + bar_gap_px) / plot_px, yanchor="top"))

    # unit index of every cell, for the blocks below the first (their y is not the unit); the
    # smallest integer type that holds it (bytes on the wire)
    unit_index = np.repeat(np.arange(units, dtype=np.uint8 if units <= 256 else np.uint16)[:, None],
                           timesteps, 1)                                   # (units, T)
    data = []
    animation = dict(timesteps=timesteps, start=start, fill=[], grow=[], cursor=[])
    for i, (names, rows) in enumerate(zip(panels, panel_rows)):
        xref, yref = refs[i]
        for b, name in enumerate(names):
            block = series[name].T.astype(float)                   # (units, timesteps)
            trace = dict(type="heatmap", z=block, coloraxis=axes[kinds[i]], x0=0, dx=1,
                         y0=b * (units + 1), dy=1, xaxis=xref, yaxis=yref, hoverongaps=False,
                         hovertemplate=label(quantity(name), _where(where, name),
                                             unit="%{customdata}" if b else "%{y}"))
            if b:
                trace["customdata"] = unit_index
            data.append(trace)
            animation["fill"].append(len(data) - 1)
        data.append(dict(type="scatter", x=[start, start], y=[-0.5, rows - 0.5], mode="lines",
                         line=dict(color=colors.HIGHLIGHT, width=2), hoverinfo="skip",
                         showlegend=False, xaxis=xref, yaxis=yref))
        animation["cursor"].append(len(data) - 1)
        layout["xaxis" + xref[1:]].update(range=[-0.5, timesteps - 0.5], **int_ticks(timesteps))
        # every unit (or every k-th) labelled, unit 0 of each block with the block's name
        ticks = plot.row_labels(units, row_heights[i // cols] / rows,
                                blocks=list(names) if len(names) > 1 else None)
        # reversed: the first block and unit 0 on top, and y is still the row index
        layout["yaxis" + yref[1:]].update(range=[rows - 0.5, -0.5], title=dict(text="unit"),
                                          **ticks)
    if lines:
        xref, yref = refs[-1]
        values = series[lines]  # (timesteps, units)
        palette = unit_palette(len(shown))
        for colour, u in zip(palette, shown):
            data.append(dict(  # x = 0, 1, … (Plotly's x0 / dx defaults): no x array to send
                type="scatter", y=np.ascontiguousarray(values[:, u]), mode="lines",
                line=dict(color=colour, width=2), name=f"unit {u}", showlegend=True,
                xaxis=xref, yaxis=yref,
                hovertemplate=label(quantity(lines), _where(where, lines), unit=str(u),
                                    value="%{y:.4f}")))
            animation["grow"].append(len(data) - 1)
        low, high = min(-1.0, float(values.min())), max(1.0, float(values.max()))
        data.append(dict(type="scatter", x=[start, start], y=[low, high], mode="lines",
                         line=dict(color=colors.HIGHLIGHT, width=2, dash="dot"), hoverinfo="skip",
                         showlegend=False, xaxis=xref, yaxis=yref))
        animation["cursor"].append(len(data) - 1)
        layout["xaxis" + xref[1:]].update(range=[-0.5, timesteps - 0.5], title=dict(text="step"),
                                          **int_ticks(timesteps))
        layout["yaxis" + yref[1:]].update(range=[low - 0.05, high + 0.05])

    if not fill_in:  # too many filled copies for the browser: the whole arrays, a moving cursor
        animation.update(fill=[], grow=[])
    layout.update(_player([str(k) for k in range(timesteps)], labels, start))
    top = 60 if title else 40
    layout.update(height=plot_px + top + 130, title=dict(text=title) if title else None,
                  margin=dict(l=60, r=100, t=top, b=130),
                  # beside the lines, at the base font: which hue is which unit
                  legend=dict(x=1.02, y=0, yanchor="bottom", tracegroupgap=0))
    return dict(figure(data, layout), animation=animation)


def _top_units(values: np.ndarray, most: int) -> list[int]:
    """The units whose line is drawn, in unit order: all of them up to ``most`` (one hue each),
    else the ``most`` whose values vary most over the steps (values (timesteps, units))."""
    units = values.shape[1]
    if units <= most:
        return list(range(units))
    return sorted(np.argsort(-np.var(values, axis=0), kind="stable")[:most].tolist())


def unit_palette(units: int, base: str | None = None) -> list[str]:
    """One hue per unit (``colors.UNITS``, colour-blind safe), repeating after eight: shades of
    one colour could not be told apart on a projector. ``base`` (the quantity's colour) is no
    longer used: the chart's title names the quantity."""
    return [colors.UNITS[u % len(colors.UNITS)] for u in range(units)]


def _player(frame_names: list[str], labels: list[str], start: int) -> dict:
    """Play/pause buttons and a step slider that drive the frames in the browser."""
    # Play always starts from step 0, so the heatmaps visibly fill in.
    play = dict(frame=dict(duration=600, redraw=True), transition=dict(duration=0),
                mode="immediate")
    pause = dict(frame=dict(duration=0, redraw=False), mode="immediate",
                 transition=dict(duration=0))
    return dict(
        updatemenus=[dict(type="buttons", direction="left", x=0, y=0, xanchor="left",
                          yanchor="top", pad=dict(t=58, r=10), showactive=False,
                          buttons=[dict(label="▶ Play", method="animate",
                                        args=[frame_names, play]),
                                   dict(label="❚❚ Pause", method="animate",
                                        args=[[None], pause])])],
        sliders=[dict(active=start, x=0.18, len=0.82, y=0, yanchor="top",
                      currentvalue=dict(prefix="step ", visible=True, xanchor="right"),
                      pad=dict(t=40, b=0),
                      steps=[dict(label=label, method="animate",
                                  args=[[name], dict(mode="immediate", transition=dict(duration=0),
                                                     frame=dict(duration=0, redraw=True))])
                             for name, label in zip(frame_names, labels)])])


def _simple_layout(height: int, title: str | None = None, **extra) -> dict:
    layout = dict(height=height + LEGEND_MARGIN,
                  margin=dict(l=60, r=10, t=50 if title else 30, b=LEGEND_MARGIN),
                  legend=LEGEND_BELOW)
    if title:
        layout["title"] = dict(text=title)
    layout.update(extra)
    return layout


def sequence_vs_final(h: np.ndarray, return_sequences: bool, final_step_label: str,
                      where: Where | None = None) -> dict:
    """h (timesteps, units): what return_sequences=True returns vs the final state alone."""
    timesteps, units = h.shape
    where = where or Where()
    limit = _limit(h)
    scale = dict(colorscale=colors.DIVERGING, zmin=-limit, zmax=limit)
    final = Where(where.sample, where.layer, where.direction, "final state")
    row = plot.rows_px(units + 1)
    plot_px = max(plot.MIN_COLORBAR_PX, row * (units + 1))  # one row more: the note's
    data = [
        dict(type="heatmap", z=h.T, x0=0, dx=1, y0=0, dy=1, opacity=1.0 if return_sequences
             else 0.35, colorbar=plot.colorbar("h", -limit, limit, plot_px),
             hovertemplate=label("h_t", where), **scale),
        dict(type="heatmap", z=h[-1:].T, x0=timesteps - 1, dx=1, y0=0, dy=1, showscale=False,
             hovertemplate=label("h_t", final), **scale),
    ]
    shapes = [dict(type="rect", x0=timesteps - 1.5, x1=timesteps - 0.5, y0=-0.5, y1=units - 0.5,
                   line=dict(color=colors.HIGHLIGHT, width=3))]
    if return_sequences:
        shapes.append(dict(type="rect", x0=-0.5, x1=timesteps - 0.5, y0=-0.5, y1=units - 0.5,
                           line=dict(color=colors.H, width=2, dash="dot")))
    annotations = [dict(x=timesteps - 1, y=units - 0.5, yanchor="bottom", showarrow=False,
                        text=f"final state ({final_step_label})",
                        font=dict(color=colors.HIGHLIGHT))]
    return figure(data, _simple_layout(
        plot_px + 30, shapes=shapes, annotations=annotations,
        xaxis=dict(title=dict(text="step"), range=[-0.6, timesteps - 0.4], **int_ticks(timesteps)),
        # the range leaves room above the last unit for the note: ticks on real units only
        yaxis=dict(title=dict(text="unit"), range=[-0.6, units + 0.4],
                   **plot.row_labels(units, row))))


def saturated_share(name: str, values: np.ndarray) -> float:
    """Share of activations within SATURATION of a limit (0 or 1 for σ, ±1 for tanh)."""
    lower = 0.0 if colors.is_gate01(name) else -1.0
    return float(np.mean((values < lower + SATURATION) | (values > 1 - SATURATION)))


def histograms(gates: dict[str, np.ndarray]) -> dict:
    """Distribution of each gate's activations, one small panel per gate (side by side, two to a
    row) so no series hides another; saturated values pile up in the grey bands.

    Binned here (40 bins over the gate's range: [0, 1] for σ, [-1, 1] for tanh) and drawn as
    filled step lines: one SVG path per gate instead of 40 bars, so a rerun redraws faster."""
    names = list(gates)
    cols = 1 if len(names) == 1 else 2
    rows = math.ceil(len(names) / cols)
    shares = {name: saturated_share(name, v) for name, v in gates.items()}
    panel_px, gap_px = 150, 80
    plot_px = rows * panel_px + (rows - 1) * gap_px
    layout, refs = grid([(i // cols, i % cols, 1) for i in range(len(names))], rows, cols,
                        [f"{name}: {shares[name]:.0%} saturated" for name in names],
                        hgap=0.1, vgap=gap_px / plot_px,
                        title_colours=[colors.colour(name) for name in names])
    data, shapes = [], []
    band = dict(type="rect", y0=0, y1=1, fillcolor="#999", opacity=0.15, line=dict(width=0),
                layer="below")
    for name, (xref, yref) in zip(names, refs):
        low = 0.0 if colors.is_gate01(name) else -1.0
        edges = np.linspace(low, 1.0, 41)                                # (41,)
        centres = (edges[:-1] + edges[1:]) / 2                           # (40,)
        counts, _ = np.histogram(np.clip(gates[name], low, 1.0), edges)  # (40,)
        colour = colors.colour(name)
        # each bin by its edges (multiples of 0.025 or 0.05: exact in 3 decimals); a centre ± half
        # width printed to 3 decimals made neighbouring bins overlap on screen
        bounds = np.stack([edges[:-1], edges[1:]], axis=1)               # (40, 2)
        data.append(dict(type="scatter", x=centres, y=counts, mode="lines", xaxis=xref, yaxis=yref,
                         line=dict(shape="hvh", color=colour, width=2), fill="tozeroy",
                         fillcolor=_rgba(colour, 0.35), showlegend=False, customdata=bounds,
                         name=f"{name}: {shares[name]:.0%} saturated",
                         hovertemplate=f"{name}<br>%{{customdata[0]:.3f}} to %{{customdata[1]:.3f}}: "
                                       "%{y} values<extra></extra>"))
        spans = [(low, low + SATURATION), (1 - SATURATION, 1.0)]  # saturated_share's bands
        shapes += [dict(band, xref=xref, yref=f"{yref} domain", x0=a, x1=b) for a, b in spans]
        pad = (1.0 - low) * 0.02
        layout["xaxis" + xref[1:]].update(range=[low - pad, 1.0 + pad],
                                          tickvals=[low, (low + 1) / 2, 1.0])
        layout["yaxis" + yref[1:]].update(rangemode="tozero", nticks=4)
    for xref, _ in refs[-cols:]:
        layout["xaxis" + xref[1:]]["title"] = dict(text="activation")
    layout.update(shapes=shapes, height=plot_px + 60 + 70, showlegend=False,
                  title=dict(text="Activation values (grey bands: saturated)"),
                  margin=dict(l=60, r=10, t=80, b=70))
    return figure(data, layout)


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def compare_lines(curves: dict[str, np.ndarray], colours: dict[str, str], title: str,
                  yaxis_title: str, dashes: dict[str, str] | None = None,
                  boundaries: list[float] | None = None,
                  hover: dict[str, tuple[str, Where, int]] | None = None) -> dict:
    """A few named curves over steps (e.g. a toggle on vs off, carried vs reset state).

    ``hover``: curve name -> (quantity, Where, unit) for curves of one unit of the layer's
    numbers: their points get labels in the module's grammar (x is the step)."""
    data = [dict(type="scatter", x=np.arange(len(y)), y=y, mode="lines+markers", name=name,
                 line=dict(color=colours[name], width=2, dash=(dashes or {}).get(name, "solid")),
                 marker=dict(size=5)) for name, y in curves.items()]
    for trace in data:
        if hover and trace["name"] in hover:
            quantity_, where, unit = hover[trace["name"]]
            trace["hovertemplate"] = label(quantity_, where, unit=str(unit), value="%{y:.4f}")
    shapes = [dict(type="line", x0=b, x1=b, xref="x", yref="paper", y0=0, y1=1,
                   line=dict(color="#888", dash="dash", width=1)) for b in boundaries or []]
    steps = max(len(y) for y in curves.values())
    return figure(data, _simple_layout(320, title, shapes=shapes,
                                       xaxis=dict(title=dict(text="step"), **int_ticks(steps)),
                                       yaxis=dict(title=dict(text=yaxis_title))))


def bidirectional(forward: np.ndarray, backward: np.ndarray, merged: np.ndarray | None,
                  merge_mode: str | None, where: Where | None = None,
                  mask: np.ndarray | None = None) -> dict:
    """Forward and backward h (both in time order, (timesteps, units)) and their merge;
    ``where`` names the sample and layer in the hover labels (step field: ``time t``).

    ``mask`` (timesteps,) time order, False = padded: there the merged panel shows what Keras
    returns, 0 (Bidirectional's zero_output_for_mask=True), not a merge of the carried states."""
    where = where or Where()
    if merged is not None and mask is not None:
        merged = np.where(mask[:, None], merged, 0.0)           # (timesteps, merged units)
    panels = [("forward h (reads x₀ → x_T)", forward, colors.FORWARD, "forward"),
              ("backward h (reads x_T → x₀), re-reversed to time order", backward,
               colors.BACKWARD, "backward")]
    if merged is not None:
        panels.append((f"merged: merge_mode={merge_mode!r}", merged, colors.MERGED, "merged"))
    rows = [plot.rows_px(p[1].shape[1], most=260) for p in panels]
    layout, refs, plot_px = plot.stack([r * p[1].shape[1] for r, p in zip(rows, panels)], 80,
                                       [p[0] for p in panels], [p[2] for p in panels])
    limit = max(_limit(p[1]) for p in panels)
    data = []
    for (_, values, _, direction), (xref, yref), row in zip(panels, refs, rows):
        data.append(dict(type="heatmap", z=values.T, x0=0, dx=1, y0=0, dy=1,
                         coloraxis="coloraxis", xaxis=xref, yaxis=yref,
                         hovertemplate=label("h_t", Where(where.sample, where.layer, direction),
                                             step="time %{x}")))
        layout["yaxis" + yref[1:]].update(title=dict(text="unit"),
                                          **plot.row_labels(values.shape[1], row))
        layout["xaxis" + xref[1:]].update(**int_ticks(values.shape[0]))
    layout["xaxis" + refs[-1][0][1:]].update(title=dict(text="timestep (time order)"))
    layout.update(coloraxis=dict(colorscale=colors.DIVERGING, cmin=-limit, cmax=limit,
                                 colorbar=plot.colorbar("h", -limit, limit, min(plot_px, 300))),
                  height=plot_px + 40 + 70, margin=dict(l=50, r=10, t=40, b=70))
    return figure(data, layout)


def params_vs_units(units: list[int], counts: dict[str, list[int]], current_units: int,
                    current_cell: str, current_params: int, input_dim: int) -> dict:
    """Parameter count against units for SimpleRNN, LSTM and GRU at this input_dim."""
    data = [dict(type="scatter", x=units, y=ys, mode="lines+markers", name=cell,
                 line=dict(color=colors.CELL[cell], width=2.5), marker=dict(size=5),
                 hovertemplate=f"{cell}<br>units %{{x}}<br>%{{y:,}} parameters<extra></extra>")
            for cell, ys in counts.items()]
    data.append(dict(type="scatter", x=[current_units], y=[current_params], mode="markers+text",
                     marker=dict(size=14, color=colors.HIGHLIGHT, symbol="star"),
                     text=[f"  your {current_cell}: {current_params:,}"],
                     textposition="middle right", name="your layer"))
    return figure(data, _simple_layout(
        380, f"Parameters vs units (input_dim = {input_dim})",
        # major ticks only: a log axis's default minor labels (2, 3, … 9 per decade) are dozens
        # of texts the browser lays out one by one on every redraw
        xaxis=dict(title=dict(text="units (log scale)"), type="log",
                   tickvals=[1, 2, 4, 8, 16, 32, 64, 128, 256]),
        yaxis=dict(title=dict(text="parameters (log scale)"), type="log", dtick=1,
                   exponentformat="power")))


def weights(arrays: dict[str, np.ndarray], gate_names: tuple[str, ...], units: int) -> dict:
    """kernel, recurrent_kernel (and bias) as heatmaps drawn as stored: ``kernel (4, 32)`` is 4
    rows × 32 columns, one panel under the other, gate blocks marked on the shared columns."""
    names = list(arrays)
    mats = {n: arrays[n] if arrays[n].ndim == 2 else arrays[n][None] for n in names}  # (rows, G·units)
    rows = {n: plot.rows_px(m.shape[0], most=300) for n, m in mats.items()}
    # a panel of one or two rows (bias) is not stretched to a colour bar's length
    heights = [max(rows[n] * m.shape[0], 2 * plot.LABEL_ROW_PX) for n, m in mats.items()]
    gap_px = 80
    plot_px = sum(heights) + gap_px * (len(heights) - 1)
    layout, refs = grid([(i, 0, 1) for i in range(len(names))], len(names), 1,
                        [f"{n} {tuple(arrays[n].shape)}" for n in names], vgap=gap_px / plot_px,
                        row_heights=heights)
    limit = max(float(np.abs(a).max()) for a in arrays.values()) or 1.0
    columns = next(iter(mats.values())).shape[1]
    data, shapes = [], []
    for name, (xref, yref) in zip(names, refs):
        m = mats[name]
        data.append(dict(type="heatmap", z=m, coloraxis="coloraxis", x0=0, dx=1, y0=0, dy=1,
                         xaxis=xref, yaxis=yref,
                         hovertemplate=f"{name}<br>row %{{y}}<br>column %{{x}}<br>%{{z:.3f}}"
                                       "<extra></extra>"))
        for g in range(1, len(gate_names)):
            shapes.append(dict(type="line", yref=f"{yref} domain", y0=0, y1=1, xref=xref,
                               x0=g * units - 0.5, x1=g * units - 0.5,
                               line=dict(color="#333", width=1)))
        layout["yaxis" + yref[1:]].update(autorange="reversed", title=dict(text="row"),
                                          **plot.row_labels(m.shape[0], rows[name]))
        ticks = (dict(tickvals=[(g + 0.5) * units - 0.5 for g in range(len(gate_names))],
                      ticktext=list(gate_names)) if len(gate_names) > 1 else int_ticks(columns))
        layout["xaxis" + xref[1:]].update(range=[-0.5, columns - 0.5], **ticks)
    layout.update(coloraxis=dict(colorscale=colors.DIVERGING, cmin=-limit, cmax=limit,
                                 colorbar=plot.colorbar("weight", -limit, limit,
                                                        max(plot_px, plot.MIN_COLORBAR_PX))),
                  shapes=shapes, height=max(plot_px, plot.MIN_COLORBAR_PX) + 40 + 40,
                  margin=dict(l=60, r=10, t=40, b=40))
    return figure(data, layout)


def crosscheck_bars(names: list[str], diffs: list[float], tolerance: float) -> dict:
    """Max |NumPy − Keras| per output on a log scale, against the tolerance."""
    floor = 1e-12  # exact zeros still get a visible bar on a log axis
    data = [dict(type="bar", x=names, y=[max(d, floor) for d in diffs],
                 marker=dict(color=[colors.PASS if d <= tolerance else colors.FAIL for d in diffs]),
                 text=[f"{d:.1e}" for d in diffs], textposition="outside",
                 showlegend=False, hovertemplate="%{x}<br>max |Δ| = %{text}<extra></extra>"),
            # the tolerance line is named in the legend: a label on the plot sat among the bars
            plot.legend_line(f"tolerance {tolerance:.0e}", colors.FAIL, "dash")]
    shapes = [dict(type="line", xref="paper", x0=0, x1=1, y0=tolerance, y1=tolerance,
                   line=dict(color=colors.FAIL, dash="dash"))]
    return figure(data, _simple_layout(
        320, shapes=shapes,
        yaxis=dict(type="log", title=dict(text="max |NumPy − Keras| (log scale)"), range=[-12.5, 0],
                   exponentformat="power")))


def timings(ms: dict[str, float]) -> dict:
    """Milliseconds per forward call, one bar per implementation."""
    data = [dict(type="bar", x=list(ms), y=list(ms.values()),
                 text=[f"{v:.2f} ms" for v in ms.values()], textposition="outside",
                 marker=dict(color=[colors.KERAS if "Keras" in k else colors.NUMPY for k in ms]))]
    return figure(data, _simple_layout(300, yaxis=dict(title=dict(text="ms per call"),
                                                       rangemode="tozero")))
