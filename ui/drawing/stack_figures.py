"""Figures for stacks, padding and the encoder -> decoder handover (plain dicts, see ui.drawing.plot).

Arrays come in as (timesteps, units) for one sample, in processing order, like ui.drawing.figures.
"""
from __future__ import annotations

import numpy as np

from ui.drawing import colors, plot
from ui.drawing.figures import QUANTITY, Where, label
from ui.drawing.plot import figure

PADDED_FILL = "rgba(150,150,150,0.55)"


def _limit(arrays) -> float:
    """Symmetric range for the diverging scale, at least [-1, 1]."""
    return max([1.0] + [float(np.abs(a).max()) for a in arrays if a.size])


def _hatch(steps: np.ndarray, units: int, xref: str, yref: str, text: str) -> dict:
    """Hatched grey columns over a heatmap at ``steps``: bars with a pattern, one per step."""
    return dict(type="bar", x=steps, y=np.full(len(steps), units, float), base=-0.5, width=1.0,
                xaxis=xref, yaxis=yref, showlegend=False,
                marker=dict(color="rgba(150,150,150,0.25)", line=dict(width=0),
                            pattern=dict(shape="/", fgcolor="rgba(60,60,60,0.55)", size=10,
                                         solidity=0.12)),
                hovertemplate=f"step %{{x}}: {text}<extra></extra>")


def masked_states(panels: list[tuple[str, np.ndarray]], mask: np.ndarray | None,
                  note: str = "padded: state carried", wheres: list[Where] | None = None) -> dict:
    """One heatmap per layer (title, h (timesteps, units)) for one sample; masked steps
    (mask (timesteps,) False) hatched grey over the values, which repeat the last real step.
    ``wheres``: each panel's sample, layer and direction for the hover labels."""
    wheres = wheres or [Where(layer=i + 1) for i in range(len(panels))]
    rows = [plot.rows_px(h.shape[1], most=260) for _, h in panels]
    layout, refs, plot_px = plot.stack([r * h.shape[1] for r, (_, h) in zip(rows, panels)], 80,
                                       [title for title, _ in panels])
    limit = _limit([h for _, h in panels])
    data, annotations = [], layout.pop("annotations")
    for (title, h), where, (xref, yref), row in zip(panels, wheres, refs, rows):
        timesteps, units = h.shape
        data.append(dict(type="heatmap", z=h.T, x0=0, dx=1, y0=0, dy=1, coloraxis="coloraxis",
                         xaxis=xref, yaxis=yref, hovertemplate=label("h_t", where)))
        ax, ay = "xaxis" + xref[1:], "yaxis" + yref[1:]
        layout[ax].update(range=[-0.5, timesteps - 0.5], dtick=1 if timesteps <= 30 else None)
        layout[ay].update(range=[-0.5, units - 0.5], title=dict(text="unit"),
                          **plot.row_labels(units, row))
        if mask is not None and not mask.all():
            padded = np.flatnonzero(~mask)
            data.append(_hatch(padded, units, xref, yref, note))
            annotations.append(dict(x=padded[0] - 0.3, y=(units - 1) / 2, xref=xref, yref=yref,
                                    xanchor="left", yanchor="middle", showarrow=False,
                                    bgcolor="rgba(255,255,255,0.85)",
                                    text=f"<b>{note}</b>", font=dict(color="#333")))
    layout["xaxis" + refs[-1][0][1:]]["title"] = dict(text="step")
    layout.update(annotations=annotations, barmode="overlay",
                  coloraxis=dict(colorscale=colors.DIVERGING, cmin=-limit, cmax=limit,
                                 colorbar=plot.colorbar("h", -limit, limit, min(plot_px, 300))),
                  height=plot_px + 40 + 70, margin=dict(l=55, r=10, t=40, b=70))
    return figure(data, layout)


def encoder_decoder_states(encoder: dict[str, np.ndarray], decoder: dict[str, np.ndarray],
                           sample: int = 0) -> dict:
    """Encoder then decoder states over time on one axis, a gap and the handover between them.

    encoder / decoder: state name ("h", "c") -> (timesteps, units) of batch index ``sample``.
    Hover labels name layer ``encoder`` / ``decoder``; a decoder cell's step is its customdata
    (its x is shifted past the encoder's columns)."""
    names = list(encoder)
    t_enc = next(iter(encoder.values())).shape[0]
    t_dec = next(iter(decoder.values())).shape[0]
    start = t_enc + 1  # one empty column between the two layers: the handover
    titles = [{"h": "h_t: hidden state", "c": "c_t: cell state"}[n] for n in names]
    rows = [plot.rows_px(encoder[n].shape[1], most=260) for n in names]
    layout, refs, plot_px = plot.stack([r * encoder[n].shape[1] for r, n in zip(rows, names)],
                                       90, titles, [colors.colour(n) for n in names])
    limit = _limit(list(encoder.values()) + list(decoder.values()))
    ticks = list(range(t_enc)) + list(range(start, start + t_dec))
    labels = [f"e{t}" for t in range(t_enc)] + [f"d{t}" for t in range(t_dec)]
    data, shapes, annotations = [], [], layout.pop("annotations")
    for name, (xref, yref), row in zip(names, refs, rows):
        units = encoder[name].shape[1]
        for part, values, x0 in (("encoder", encoder[name], 0), ("decoder", decoder[name], start)):
            steps = np.tile(np.arange(values.shape[0], dtype=np.int32), (units, 1))  # (units, T)
            data.append(dict(type="heatmap", z=values.T, x0=x0, dx=1, y0=0, dy=1,
                             coloraxis="coloraxis", xaxis=xref, yaxis=yref, customdata=steps,
                             hovertemplate=label(QUANTITY[name], Where(sample, part),
                                                 step="step %{customdata}")))
        ax, ay = "xaxis" + xref[1:], "yaxis" + yref[1:]
        layout[ax].update(range=[-0.5, start + t_dec - 0.5], tickvals=ticks, ticktext=labels,
                          showgrid=False)
        layout[ay].update(range=[-0.5, units - 0.5], title=dict(text="unit"),
                          **plot.row_labels(units, row))
        shapes.append(dict(type="rect", xref=xref, yref=yref, x0=t_enc - 1.5, x1=t_enc - 0.5,
                           y0=-0.5, y1=units - 0.5, line=dict(color=colors.HIGHLIGHT, width=2.5)))
        annotations.append(dict(x=start - 0.5, y=units / 2 - 0.5, ax=t_enc - 0.5, ay=units / 2 - 0.5,
                                xref=xref, yref=yref, axref=xref, ayref=yref, text="",
                                showarrow=True, arrowhead=2, arrowcolor=colors.HIGHLIGHT,
                                arrowwidth=2, standoff=4, startstandoff=4))
        annotations.append(dict(x=t_enc, y=units - 0.5, xref=xref, yref=yref, yanchor="bottom",
                                showarrow=False, font=dict(color=colors.HIGHLIGHT),
                                text=f"{name}<sub>T</sub> = {name}₀"))
    last = "xaxis" + refs[-1][0][1:]
    # two lines: one was wider than a half-width chart and was cut at both ends
    layout[last].update(title=dict(text="encoder steps e0… | decoder steps d0…<br>(the decoder "
                                        "starts from the boxed encoder state)"))
    layout.update(annotations=annotations, shapes=shapes,
                  coloraxis=dict(colorscale=colors.DIVERGING, cmin=-limit, cmax=limit,
                                 colorbar=plot.colorbar("value", -limit, limit,
                                                        min(plot_px, 300))),
                  height=plot_px + 40 + 90, margin=dict(l=55, r=10, t=40, b=90))
    return figure(data, layout)


def mark_padded(fig: dict, mask: np.ndarray | None, note: str = "padded") -> dict:
    """``fig`` with the masked steps (mask (timesteps,) False) greyed on every subplot whose x
    axis is the step; frames only move data, so the marks stay during ▶ Play."""
    if mask is None or mask.all():
        return fig
    layout = dict(fig["layout"])
    runs, start = [], None  # contiguous padded runs [first, last]
    for k, keep in enumerate(list(mask) + [True]):
        if not keep and start is None:
            start = k
        elif keep and start is not None:
            runs.append((start, k - 1))
            start = None
    shapes, annotations = list(layout.get("shapes", [])), list(layout.get("annotations", []))
    axes = [key for key in layout if key.startswith("xaxis")]
    for axis in axes:
        x = "x" + axis[5:]
        y = "y" + axis[5:]
        for first, last in runs:
            shapes.append(dict(type="rect", xref=x, yref=f"{y} domain", x0=first - 0.5,
                               x1=last + 0.5, y0=0, y1=1, fillcolor=PADDED_FILL, opacity=0.45,
                               line=dict(width=0), layer="above"))
    first_axis = "x" + axes[0][5:] if axes else "x"
    annotations.append(dict(x=runs[0][0] - 0.5, y=1, xref=first_axis,
                            yref=("y" + axes[0][5:] if axes else "y") + " domain",
                            xanchor="left", yanchor="top", showarrow=False,
                            bgcolor="rgba(255,255,255,0.85)",
                            text=f"<b>{note}</b>", font=dict(color="#333")))  # the base font
    layout.update(shapes=shapes, annotations=annotations)
    return dict(fig, layout=layout)
