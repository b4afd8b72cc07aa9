"""Data figures: step-through animations, gate heatmaps, parameter curves, cross-check bars.

Plain functions returning go.Figure. Arrays come in as (timesteps, units) for one sample,
in processing order, unless the docstring says otherwise.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui import colors

# Above this many numbers in all frames together, frames only move the cursor (no fill-in).
MAX_FRAME_VALUES = 250_000
SATURATION = 0.05   # a sigmoid gate within 0.05 of 0 or 1 (tanh: of ±1) counts as saturated


def _scale_for(name: str, values: np.ndarray) -> dict:
    """Colour scale and range: sequential [0, 1] for sigmoid gates, diverging otherwise."""
    if colors.is_gate01(name):
        return dict(colorscale=colors.SEQUENTIAL, zmin=0.0, zmax=1.0)
    limit = max(1.0, float(np.nanmax(np.abs(values))) if values.size else 1.0)
    return dict(colorscale=colors.DIVERGING, zmin=-limit, zmax=limit)


def _label(name: str) -> str:
    if name in colors.GATE:
        return f"{name} gate"
    return {"h": "h_t (hidden state)", "c": "c_t (cell / carry state)"}.get(name, name)


def _filled(z: np.ndarray, k: int) -> np.ndarray:
    """(units, timesteps) with the steps after k blanked: the heatmap 'fills in' up to k."""
    out = z.astype(float, copy=True)
    out[:, k + 1:] = np.nan
    return out


def step_through(series: dict[str, np.ndarray], start: int = 0, cols: int = 1,
                 lines: str | None = None, step_labels=None, title: str | None = None,
                 height_per_row: int = 170) -> go.Figure:
    """Heatmaps (units × timesteps) of each series, animated step by step in the browser.

    series: name -> (timesteps, units). Play/pause buttons and a slider run Plotly frames
    (no server round trip); frame k shows steps 0..k and a cursor at k. ``lines`` names a
    series to also draw as one line per unit. ``start`` is the frame shown first.
    """
    names = list(series)
    timesteps, units = next(iter(series.values())).shape
    start = int(np.clip(start, 0, timesteps - 1))
    step_labels = list(step_labels) if step_labels is not None else [str(k) for k in range(timesteps)]
    heat_rows = math.ceil(len(names) / cols)
    rows = heat_rows + (1 if lines else 0)
    specs = [[{} for _ in range(cols)] for _ in range(heat_rows)]
    titles = [_label(n) for n in names] + [""] * (heat_rows * cols - len(names))
    if lines:
        specs.append([{"colspan": cols}] + [None] * (cols - 1))
        titles.append(f"{_label(lines)}: one line per unit")
    fig = make_subplots(rows=rows, cols=cols, specs=specs, subplot_titles=titles,
                        vertical_spacing=min(0.12, 0.45 / rows), horizontal_spacing=0.08)
    n_values = timesteps * units * timesteps * (len(names) + (1 if lines else 0))
    fill_in = n_values <= MAX_FRAME_VALUES

    # coloraxes: one shared scale per kind of quantity, so equal colours mean equal values
    axes: dict[str, str] = {}
    axis_scales: dict[str, dict] = {}
    for name in names:
        kind = "gate" if colors.is_gate01(name) else ("c" if name == "c" else "tanh")
        if kind not in axes:
            axes[kind] = "coloraxis" if not axes else f"coloraxis{len(axes) + 1}"
            axis_scales[axes[kind]] = dict(_scale_for(name, series[name]),
                                           title={"gate": "gate", "c": "c", "tanh": "value"}[kind])
        elif kind == "c" or kind == "tanh":
            old = axis_scales[axes[kind]]
            new = _scale_for(name, series[name])
            old["zmin"], old["zmax"] = min(old["zmin"], new["zmin"]), max(old["zmax"], new["zmax"])
    heat_idx, cursor_idx, line_idx = [], [], []
    positions = {}
    for i, name in enumerate(names):
        row, col = i // cols + 1, i % cols + 1
        positions[name] = (row, col)
        z = series[name].T  # (units, timesteps)
        kind = "gate" if colors.is_gate01(name) else ("c" if name == "c" else "tanh")
        fig.add_trace(go.Heatmap(
            z=_filled(z, start) if fill_in else z, coloraxis=axes[kind], x0=0, dx=1, y0=0, dy=1,
            hovertemplate=f"{name}<br>step %{{x}}<br>unit %{{y}}<br>value %{{z:.3f}}<extra></extra>"),
            row=row, col=col)
        heat_idx.append(len(fig.data) - 1)
        fig.add_trace(go.Scatter(x=[start, start], y=[-0.5, units - 0.5], mode="lines",
                                 line=dict(color=colors.HIGHLIGHT, width=2), hoverinfo="skip",
                                 showlegend=False), row=row, col=col)
        cursor_idx.append(len(fig.data) - 1)
        fig.update_xaxes(range=[-0.5, timesteps - 0.5], row=row, col=col)
        fig.update_yaxes(range=[-0.5, units - 0.5], title_text="unit" if col == 1 else None,
                         row=row, col=col)
    if lines:
        values = series[lines]  # (timesteps, units)
        palette = _unit_palette(units, colors.colour(lines))
        for u in range(units):
            fig.add_trace(go.Scatter(
                x=np.arange(start + 1) if fill_in else np.arange(timesteps),
                y=values[: start + 1, u] if fill_in else values[:, u], mode="lines+markers",
                marker=dict(size=4), line=dict(color=palette[u], width=1.5), name=f"unit {u}",
                showlegend=units <= 16, hovertemplate=f"unit {u}<br>step %{{x}}<br>%{{y:.3f}}"
                                                      "<extra></extra>"), row=rows, col=1)
            line_idx.append(len(fig.data) - 1)
        low = min(-1.0, float(values.min())) if values.size else -1.0
        high = max(1.0, float(values.max())) if values.size else 1.0
        fig.add_trace(go.Scatter(x=[start, start], y=[low, high], mode="lines",
                                 line=dict(color=colors.HIGHLIGHT, width=2, dash="dot"),
                                 hoverinfo="skip", showlegend=False), row=rows, col=1)
        cursor_idx.append(len(fig.data) - 1)
        fig.update_xaxes(range=[-0.5, timesteps - 0.5], title_text="step", row=rows, col=1)
        fig.update_yaxes(range=[low - 0.05, high + 0.05], row=rows, col=1)

    frames = []
    for k in range(timesteps):
        data, idx = [], []
        if fill_in:
            for name, i in zip(names, heat_idx):
                data.append(go.Heatmap(z=_filled(series[name].T, k)))
                idx.append(i)
            if lines:
                for u, i in enumerate(line_idx):
                    data.append(go.Scatter(x=np.arange(k + 1), y=series[lines][: k + 1, u]))
                    idx.append(i)
        for i in cursor_idx:
            data.append(go.Scatter(x=[k, k]))
            idx.append(i)
        frames.append(go.Frame(data=data, traces=idx, name=str(k)))
    fig.frames = frames
    _add_player(fig, [str(k) for k in range(timesteps)], step_labels, start)
    fig.update_layout(**{axis: dict(colorscale=s["colorscale"], cmin=s["zmin"], cmax=s["zmax"],
                                    colorbar=dict(title=s["title"], thickness=10, len=0.5,
                                                  x=1.02 + 0.07 * j, y=0.75))
                         for j, (axis, s) in enumerate(axis_scales.items())})
    fig.update_layout(height=height_per_row * rows + 150, title=title,
                      margin=dict(l=50, r=30 + 60 * len(axis_scales), t=60 if title else 40, b=10),
                      legend=dict(orientation="h", y=-0.22))
    return fig


def _unit_palette(units: int, base: str) -> list[str]:
    """Shades of one quantity's colour, so 'h lines' stay recognisably h."""
    r, g, b = (int(base[i:i + 2], 16) for i in (1, 3, 5))
    out = []
    for u in range(units):
        mix = 0.15 + 0.7 * (u / max(units - 1, 1))  # dark -> light
        out.append(f"rgb({int(r * (1 - mix) + 255 * mix * 0.6)},{int(g * (1 - mix) + 255 * mix * 0.6)},"
                   f"{int(b * (1 - mix) + 255 * mix * 0.6)})")
    return out


def _add_player(fig: go.Figure, frame_names: list[str], labels: list[str], start: int) -> None:
    """Play/pause buttons and a step slider that drive the frames in the browser."""
    play = dict(frame=dict(duration=600, redraw=True), fromcurrent=True,
                transition=dict(duration=0), mode="immediate")
    pause = dict(frame=dict(duration=0, redraw=False), mode="immediate",
                 transition=dict(duration=0))
    fig.update_layout(
        updatemenus=[dict(type="buttons", direction="left", x=0, y=-0.06, xanchor="left",
                          yanchor="top", pad=dict(t=0, r=10), showactive=False,
                          buttons=[dict(label="▶ Play", method="animate", args=[None, play]),
                                   dict(label="❚❚ Pause", method="animate",
                                        args=[[None], pause])])],
        sliders=[dict(active=start, x=0.16, len=0.84, y=-0.03, yanchor="top",
                      currentvalue=dict(prefix="step ", visible=True),
                      pad=dict(t=0, b=0),
                      steps=[dict(label=label, method="animate",
                                  args=[[name], dict(mode="immediate", transition=dict(duration=0),
                                                     frame=dict(duration=0, redraw=True))])
                             for name, label in zip(frame_names, labels)])])


def sequence_vs_final(h: np.ndarray, return_sequences: bool, final_step_label: str) -> go.Figure:
    """h (timesteps, units): what return_sequences=True returns vs the final state alone."""
    timesteps, units = h.shape
    limit = max(1.0, float(np.abs(h).max()))
    fig = go.Figure(go.Heatmap(z=h.T, x0=0, dx=1, y0=0, dy=1, colorscale=colors.DIVERGING,
                               zmin=-limit, zmax=limit, colorbar=dict(thickness=10, title="h"),
                               opacity=1.0 if return_sequences else 0.35,
                               hovertemplate="step %{x}<br>unit %{y}<br>%{z:.3f}<extra></extra>"))
    fig.add_trace(go.Heatmap(z=h[-1:].T, x0=timesteps - 1, dx=1, y0=0, dy=1, showscale=False,
                             colorscale=colors.DIVERGING, zmin=-limit, zmax=limit,
                             hovertemplate="final state<br>unit %{y}<br>%{z:.3f}<extra></extra>"))
    fig.add_shape(type="rect", x0=timesteps - 1.5, x1=timesteps - 0.5, y0=-0.5, y1=units - 0.5,
                  line=dict(color=colors.HIGHLIGHT, width=3))
    fig.add_annotation(x=timesteps - 1, y=units - 0.5, yanchor="bottom", showarrow=False,
                       text=f"final state ({final_step_label})", font=dict(color=colors.HIGHLIGHT))
    if return_sequences:
        fig.add_shape(type="rect", x0=-0.5, x1=timesteps - 0.5, y0=-0.5, y1=units - 0.5,
                      line=dict(color=colors.H, width=2, dash="dot"))
    fig.update_layout(height=140 + 14 * units, margin=dict(l=50, r=10, t=30, b=10),
                      xaxis=dict(title="step", range=[-0.6, timesteps - 0.4]),
                      yaxis=dict(title="unit", range=[-0.6, units + 0.4]))
    return fig


def saturation(gates: dict[str, np.ndarray]) -> go.Figure:
    """Share of activations stuck near their limits, per gate (saturated = tiny gradient)."""
    names = list(gates)
    low, high = [], []
    for name in names:
        v = gates[name]
        if colors.is_gate01(name):
            low.append(float(np.mean(v < SATURATION)))
            high.append(float(np.mean(v > 1 - SATURATION)))
        else:
            low.append(float(np.mean(v < -1 + SATURATION)))
            high.append(float(np.mean(v > 1 - SATURATION)))
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=low, name="near the lower limit (0, or −1 for tanh)",
                         marker=dict(color=[colors.colour(n) for n in names], opacity=0.55),
                         hovertemplate="%{x}: %{y:.0%} near the lower limit<extra></extra>"))
    fig.add_trace(go.Bar(x=names, y=high, name="near the upper limit (1)",
                         marker=dict(color=[colors.colour(n) for n in names],
                                     pattern=dict(shape="/")),
                         hovertemplate="%{x}: %{y:.0%} near 1<extra></extra>"))
    fig.update_layout(barmode="stack", height=300, yaxis=dict(title="share of activations",
                                                               tickformat=".0%", range=[0, 1]),
                      margin=dict(l=50, r=10, t=30, b=10),
                      title=f"Saturation: within {SATURATION} of a limit",
                      legend=dict(orientation="h", y=-0.2))
    return fig


def histograms(gates: dict[str, np.ndarray]) -> go.Figure:
    """Distribution of each gate's activations; saturated gates pile up at the ends."""
    fig = go.Figure()
    for name, v in gates.items():
        fig.add_trace(go.Histogram(x=v.ravel(), name=name, opacity=0.6, nbinsx=40,
                                   marker_color=colors.colour(name)))
    fig.add_vrect(x0=-1, x1=SATURATION, fillcolor="#999", opacity=0.12, line_width=0)
    fig.add_vrect(x0=1 - SATURATION, x1=1, fillcolor="#999", opacity=0.12, line_width=0)
    fig.update_layout(barmode="overlay", height=300, margin=dict(l=50, r=10, t=30, b=10),
                      title="Activation values (grey bands: saturated)",
                      xaxis=dict(range=[-1.02, 1.02], title="activation"),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def compare_lines(curves: dict[str, np.ndarray], colours: dict[str, str], title: str,
                  yaxis_title: str, dashes: dict[str, str] | None = None,
                  boundaries: list[float] | None = None) -> go.Figure:
    """A few named curves over steps (e.g. a toggle on vs off, carried vs reset state)."""
    fig = go.Figure()
    for name, y in curves.items():
        fig.add_trace(go.Scatter(x=np.arange(len(y)), y=y, mode="lines+markers", name=name,
                                 line=dict(color=colours[name], width=2,
                                           dash=(dashes or {}).get(name, "solid")),
                                 marker=dict(size=5)))
    for b in boundaries or []:
        fig.add_vline(x=b, line=dict(color="#888", dash="dash", width=1))
    fig.update_layout(height=300, title=title, margin=dict(l=50, r=10, t=40, b=10),
                      xaxis_title="step", yaxis_title=yaxis_title,
                      legend=dict(orientation="h", y=-0.25))
    return fig


def bidirectional(forward: np.ndarray, backward: np.ndarray, merged: np.ndarray | None,
                  merge_mode: str | None) -> go.Figure:
    """Forward and backward h (both in time order, units × timesteps) and their merge."""
    panels = [("forward h (reads x₀ → x_T)", forward), ("backward h (reads x_T → x₀), "
              "re-reversed to time order", backward)]
    if merged is not None:
        panels.append((f"merged: merge_mode={merge_mode!r}", merged))
    fig = make_subplots(rows=len(panels), cols=1, subplot_titles=[p[0] for p in panels],
                        vertical_spacing=0.12)
    limit = max(1.0, *(float(np.abs(p[1]).max()) for p in panels))
    for i, (name, values) in enumerate(panels):
        fig.add_trace(go.Heatmap(z=values.T, x0=0, dx=1, y0=0, dy=1, coloraxis="coloraxis",
                                 hovertemplate="timestep %{x}<br>unit %{y}<br>%{z:.3f}"
                                               "<extra></extra>"), row=i + 1, col=1)
        fig.update_yaxes(title_text="unit", row=i + 1, col=1)
    fig.update_xaxes(title_text="timestep (time order)", row=len(panels), col=1)
    fig.update_layout(coloraxis=dict(colorscale=colors.DIVERGING, cmin=-limit, cmax=limit,
                                     colorbar=dict(thickness=10, title="h")),
                      height=170 * len(panels) + 80, margin=dict(l=50, r=10, t=40, b=10))
    for ann, colour in zip(fig.layout.annotations, (colors.FORWARD, colors.BACKWARD, colors.MERGED)):
        ann.font = dict(color=colour, size=13)
    return fig


def params_vs_units(units: list[int], counts: dict[str, list[int]], current_units: int,
                    current_cell: str, current_params: int, input_dim: int) -> go.Figure:
    """Parameter count against units for SimpleRNN, LSTM and GRU at this input_dim."""
    styles = {"SimpleRNN": colors.H, "LSTM": colors.C, "GRU": colors.GATE["update"]}
    fig = go.Figure()
    for cell, ys in counts.items():
        fig.add_trace(go.Scatter(x=units, y=ys, mode="lines", name=cell,
                                 line=dict(color=styles[cell], width=2.5),
                                 hovertemplate=f"{cell}<br>units %{{x}}<br>%{{y:,}} parameters"
                                               "<extra></extra>"))
    fig.add_trace(go.Scatter(x=[current_units], y=[current_params], mode="markers+text",
                             marker=dict(size=12, color=colors.HIGHLIGHT, symbol="star"),
                             text=[f"  your {current_cell}: {current_params:,}"],
                             textposition="middle right", name="your layer"))
    fig.update_layout(height=360, title=f"Parameters vs units (input_dim = {input_dim})",
                      xaxis_title="units", yaxis=dict(title="parameters", type="log"),
                      margin=dict(l=60, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2))
    return fig


def weights(arrays: dict[str, np.ndarray], gate_names: tuple[str, ...], units: int) -> go.Figure:
    """kernel, recurrent_kernel (and bias) as heatmaps with the gate column blocks marked."""
    names = list(arrays)
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=[
        f"{n} {tuple(arrays[n].shape)}" for n in names], horizontal_spacing=0.06,
        column_widths=[max(arrays[n].shape[0], 1) if arrays[n].ndim > 1 else 1 for n in names])
    limit = max(float(np.abs(a).max()) for a in arrays.values()) or 1.0
    for i, name in enumerate(names):
        a = arrays[name] if arrays[name].ndim == 2 else arrays[name][None]  # (rows, G·units)
        a = a.T  # (G·units, rows): one row per output column, grouped by gate
        fig.add_trace(go.Heatmap(z=a, coloraxis="coloraxis", x0=0, dx=1, y0=0, dy=1,
                                 hovertemplate=f"{name}<br>row %{{x}}<br>column %{{y}}<br>"
                                               "%{z:.3f}<extra></extra>"), row=1, col=i + 1)
        for g in range(1, len(gate_names)):
            fig.add_hline(y=g * units - 0.5, line=dict(color="#333", width=1), row=1, col=i + 1)
        fig.update_yaxes(autorange="reversed", row=1, col=i + 1)
    if gate_names:
        fig.update_yaxes(tickvals=[(g + 0.5) * units - 0.5 for g in range(len(gate_names))],
                         ticktext=list(gate_names), row=1, col=1)
    fig.update_layout(coloraxis=dict(colorscale=colors.DIVERGING, cmin=-limit, cmax=limit,
                                     colorbar=dict(thickness=10, title="weight")),
                      height=min(700, 140 + 9 * arrays[names[0]].shape[-1]),
                      margin=dict(l=60, r=10, t=40, b=10))
    return fig


def crosscheck_bars(names: list[str], diffs: list[float], tolerance: float) -> go.Figure:
    """Max |NumPy − Keras| per output on a log scale, against the tolerance."""
    floor = 1e-12  # exact zeros still get a visible bar on a log axis
    values = [max(d, floor) for d in diffs]
    fig = go.Figure(go.Bar(
        x=names, y=values, marker_color=["#2ca02c" if d <= tolerance else "#d62728" for d in diffs],
        text=[f"{d:.1e}" for d in diffs], textposition="outside",
        hovertemplate="%{x}<br>max |Δ| = %{text}<extra></extra>"))
    fig.add_hline(y=tolerance, line=dict(color="#d62728", dash="dash"),
                  annotation_text=f"tolerance {tolerance:.0e}", annotation_position="top left")
    fig.update_layout(height=320, yaxis=dict(type="log", title="max |NumPy − Keras|",
                                             range=[-12.5, 0]),
                      margin=dict(l=60, r=10, t=30, b=10))
    return fig
