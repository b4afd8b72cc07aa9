"""Figures for the training page: loss curve, softmax tables, gradient flow, clipping.

Plain functions returning figure dicts, assembled by ``ui.drawing.plot.figure`` (no Plotly
validation: the loss curve is redrawn while training runs). Colours from ``ui.drawing.colors``
(``colors.CELL`` for the three cells, as on the Parameters page).
"""
from __future__ import annotations

import numpy as np

from ui.drawing import colors, plot

LOSS = colors.HIGHLIGHT
ACCURACY = colors.GATE["input"]


def _title(text: str) -> dict:
    return dict(text=text)


def _log_axis(title: str) -> dict:
    # decades only: minor labels (2, 5 between powers of ten) read as values of their own
    # "(log scale)" on a line of its own: one line was longer than the plot and was cut
    return dict(title=_title(f"{title}<br>(log scale)"), type="log", exponentformat="power",
                dtick=1)


def loss_curve(loss: list[float], accuracy: list[float] | None = None, epochs: int | None = None,
               learning_rate: list[float] | None = None) -> dict:
    """Cross-entropy per epoch (log scale), with accuracy on a second axis.

    epochs fixes the x range to the whole run, so a live curve grows into a fixed frame.
    """
    x = np.arange(1, len(loss) + 1)
    data = [dict(type="scatter", x=x, y=np.asarray(loss), mode="lines", name="loss (cross-entropy)",
                 line=dict(color=LOSS, width=2), hovertemplate="epoch %{x}<br>loss %{y:.4g}<extra></extra>")]
    if accuracy is not None:
        data.append(dict(type="scatter", x=x, y=np.asarray(accuracy), mode="lines", name="accuracy",
                         yaxis="y2", line=dict(color=ACCURACY, width=1.5, dash="dot"),
                         hovertemplate="epoch %{x}<br>accuracy %{y:.0%}<extra></extra>"))
    if learning_rate is not None and len(set(learning_rate)) > 1:
        data.append(dict(type="scatter", x=x, y=np.asarray(learning_rate) / learning_rate[0], mode="lines",
                         name="learning rate / initial", yaxis="y2", line=dict(color=colors.MUTED, width=1.5),
                         hovertemplate="epoch %{x}<br>lr × %{y:.3g}<extra></extra>"))
    layout = dict(
        height=360, margin=dict(l=60, r=60, t=30, b=plot.LEGEND_MARGIN), legend=plot.LEGEND_BELOW,
        xaxis=dict(title=_title("epoch"), range=[0, max(epochs or len(loss), 1) + 1]),
        yaxis=_log_axis("loss"),
        yaxis2=dict(title=_title("accuracy"), range=[0, 1], tickformat=".0%", tickvals=[0, 0.25, 0.5, 0.75, 1], overlaying="y",
                    side="right", showgrid=False))
    return plot.figure(data, layout)


def grad_norm_curve(grad_norm: list[float], clipnorm: float | None) -> dict:
    """Global gradient norm per epoch (before clipping), with the clipping threshold."""
    x = np.arange(1, len(grad_norm) + 1)
    data = [dict(type="scatter", x=x, y=np.asarray(grad_norm), mode="lines", name="‖∂L/∂w‖ before clipping",
                 line=dict(color=colors.RECURRENT, width=1.5),
                 hovertemplate="epoch %{x}<br>‖g‖ = %{y:.3g}<extra></extra>")]
    shapes = []
    if clipnorm:
        shapes.append(dict(type="line", x0=0, x1=1, y0=clipnorm, y1=clipnorm, xref="paper", yref="y",
                           line=dict(color=colors.HIGHLIGHT, width=2, dash="dot")))
        data.append(plot.legend_line(f"global_clipnorm = {clipnorm:g}", colors.HIGHLIGHT))
    layout = dict(height=310, margin=dict(l=60, r=10, t=30, b=plot.LEGEND_MARGIN), legend=plot.LEGEND_BELOW, shapes=shapes,
                  xaxis=dict(title=_title("epoch")), yaxis=_log_axis("global gradient norm"))
    return plot.figure(data, layout)


def _char_label(c: str) -> str:
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(c, c)


def _outline(x: float, y: float, xref: str = "x", yref: str = "y") -> dict:
    return dict(type="rect", x0=x - 0.5, x1=x + 0.5, y0=y - 0.5, y1=y + 0.5, xref=xref, yref=yref,
                line=dict(color=colors.HIGHLIGHT, width=2))


def softmax_table(probs: np.ndarray, vocab: str, inputs: str, targets: str) -> dict:
    """probs (timesteps, vocab): one row per timestep, the probability of each next character.

    Rows are labelled 'input → target'; the target's cell is outlined, the argmax is bold.
    """
    steps, n = probs.shape
    rows = [f"t={t}  {_char_label(i)} → {_char_label(o)}" for t, (i, o) in enumerate(zip(inputs, targets))]
    text = [[(f"<b>{p:.2f}</b>" if k == row.argmax() else f"{p:.2f}") for k, p in enumerate(row)]
            for row in probs]
    heat = dict(type="heatmap", z=probs, x=np.arange(n), y=np.arange(steps), zmin=0, zmax=1,
                colorscale=colors.SEQUENTIAL,
                colorbar=plot.colorbar("p", 0, 1, min(80 + 28 * steps, 700) - 120),
                customdata=[[vocab[k] for k in range(n)] for _ in range(steps)],
                hovertemplate="t=%{y}<br>next = %{customdata}<br>p = %{z:.4f}<extra></extra>")
    if n * steps <= 900:
        heat.update(text=text, texttemplate="%{text}")
    layout = dict(
        height=min(80 + 28 * steps, 700), margin=dict(l=10, r=10, t=60, b=10),
        shapes=[_outline(vocab.index(c), t) for t, c in enumerate(targets)],
        xaxis=dict(title=_title("next character (id:char)"), side="top", tickmode="array",
                   tickvals=list(range(n)), ticktext=[f"{k}:{_char_label(c)}" for k, c in enumerate(vocab)]),
        yaxis=dict(title=_title("input → target"), autorange="reversed", tickmode="array",
                   tickvals=list(range(steps)), ticktext=rows))
    return plot.figure([heat], layout)


def sample_distributions(probs: np.ndarray, vocab: str, sampled: str, temperature: float) -> dict:
    """probs (length, vocab): the distribution each sampled character was drawn from."""
    length, n = probs.shape
    heat = dict(type="heatmap", z=probs.T, x=np.arange(length), y=np.arange(n), zmin=0, zmax=1,
                colorscale=colors.SEQUENTIAL, colorbar=plot.colorbar("p", 0, 1, 22 * n),
                hovertemplate="step %{x}<br>id %{y}: p = %{z:.3f}<extra></extra>")
    layout = dict(
        height=120 + 22 * n, margin=dict(l=10, r=10, t=40, b=10),
        title=_title(f"softmax(logits / {temperature:g}) at each step; the drawn character outlined"),
        shapes=[_outline(t, vocab.index(c)) for t, c in enumerate(sampled)],
        xaxis=dict(title=_title("sampled step:char"), range=[-0.5, length - 0.5], tickmode="array",
                   tickvals=list(range(length)), ticktext=[f"{k}:{_char_label(c)}" for k, c in enumerate(sampled)]),
        yaxis=dict(tickmode="array", tickvals=list(range(n)), ticktext=[_char_label(c) for c in vocab]))
    return plot.figure([heat], layout)


def _cell_lines(curves: dict[str, np.ndarray], x, highlight: str | None, hover: str) -> list[dict]:
    return [dict(type="scatter", x=x, y=np.asarray(y, dtype=float), mode="lines+markers", name=cell,
                 line=dict(color=colors.CELL.get(cell, colors.X), width=3.5 if cell == highlight else 2),
                 marker=dict(size=4), hovertemplate=f"{cell}<br>{hover}<extra></extra>")
            for cell, y in curves.items()]


def gradient_norms(curves: dict[str, np.ndarray], title: str, yaxis_title: str,
                   highlight: str | None = None) -> dict:
    """One curve per cell over timesteps, log y: how much gradient reaches each step."""
    steps = len(next(iter(curves.values())))
    data = _cell_lines(curves, np.arange(steps), highlight, "t = %{x}<br>%{y:.3e}")
    layout = dict(height=400, title=plot.title(title), margin=dict(l=60, r=10, t=50, b=plot.LEGEND_MARGIN), legend=plot.LEGEND_BELOW,
                  xaxis=dict(title=_title("timestep t (the loss is at the last step)"),
                             **plot.int_ticks(steps)),
                  yaxis=_log_axis(yaxis_title))
    return plot.figure(data, layout)


def gradient_step_through(d_h: np.ndarray, cell: str):
    """Arguments for ``figures.step_through``: ∂L/∂h_t (timesteps, units) in the order BPTT visits it.

    Returns ``(series, step_labels)``: frame k shows the gradient after k+1 steps back from the
    loss; values are divided by the largest |value| so vanishing shows as fading to white.
    """
    scale = float(np.abs(d_h).max()) or 1.0
    series = {f"∂L/∂h_t ({cell}, ÷ {scale:.2e})": d_h[::-1] / scale}  # backward order
    labels = [f"t={t}" for t in range(d_h.shape[0] - 1, -1, -1)]
    return series, labels


def scale_sweep(scales: np.ndarray, norms: dict[str, np.ndarray], current: float,
                clipnorm: float | None, highlight: str | None = None) -> dict:
    """Global gradient norm against the recurrent-weight scale, one curve per cell."""
    data = _cell_lines(norms, np.asarray(scales), highlight, "scale %{x:.2f}<br>‖g‖ = %{y:.3e}")
    # the thresholds are named in the legend: a label on the plot was crossed by the curves
    shapes = [dict(type="line", x0=current, x1=current, y0=0, y1=1, xref="x", yref="paper",
                   line=dict(color=colors.HIGHLIGHT, width=2, dash="dot"))]
    data.append(plot.legend_line(f"your scale ({current:g})", colors.HIGHLIGHT))
    if clipnorm:
        shapes.append(dict(type="line", x0=0, x1=1, y0=clipnorm, y1=clipnorm, xref="paper", yref="y",
                           line=dict(color=colors.MUTED, width=2, dash="dash")))
        data.append(plot.legend_line(f"global_clipnorm = {clipnorm:g}", colors.MUTED, "dash"))
    layout = dict(height=420, title=plot.title("Gradient norm vs recurrent-weight scale"),
                  shapes=shapes,
                  margin=dict(l=60, r=10, t=50, b=plot.LEGEND_MARGIN + 20), legend=plot.LEGEND_BELOW,
                  xaxis=dict(title=_title("recurrent_kernel × scale")),
                  yaxis=_log_axis("‖∂L/∂w‖ (all weights)"))
    return plot.figure(data, layout)


def clipping_bars(cells: list[str], grad_norms: list[float], clipped_norms: list[float],
                  clipnorm: float | None, learning_rate: float) -> dict:
    """‖Δw‖ of one SGD step per cell, without and with global-norm clipping."""
    cell_colours = [colors.CELL.get(c, colors.X) for c in cells]
    data = [dict(type="bar", x=cells, y=[learning_rate * g for g in grad_norms], name="without clipping",
                 # the bar, not its label, pale: a trace's opacity greyed the label out too
                 marker=dict(color=cell_colours, opacity=0.45),
                 hovertemplate="%{x}<br>‖Δw‖ = %{y:.3e}<extra>without clipping</extra>")]
    shapes = []
    if clipnorm:
        data.append(dict(type="bar", x=cells, y=[learning_rate * g for g in clipped_norms],
                         name=f"global_clipnorm = {clipnorm:g}", marker=dict(color=cell_colours),
                         hovertemplate="%{x}<br>‖Δw‖ = %{y:.3e}<extra>clipped</extra>"))
        cap = learning_rate * clipnorm
        shapes.append(dict(type="line", x0=0, x1=1, y0=cap, y1=cap, xref="paper", yref="y",
                           line=dict(color=colors.HIGHLIGHT, dash="dot")))
    for trace in data:  # bars start at 0 (a linear axis); the labels keep tiny steps readable
        # short (0.043, 3.5e-05) and never shrunk to the bar's width: readable from the back
        trace.update(text=[f"{v:.2g}" for v in trace["y"]], textposition="outside",
                     cliponaxis=False, textangle=0, constraintext="none")
    if clipnorm:  # named in the legend: a label on the plot sat on the bars' labels
        data.append(plot.legend_line(f"lr × clipnorm = {learning_rate * clipnorm:g}",
                                     colors.HIGHLIGHT))
    layout = dict(barmode="group", height=420, title=plot.title(f"Size of one SGD step (lr = {learning_rate:g})"),
                  shapes=shapes, bargap=0.3, bargroupgap=0.15,
                  yaxis=dict(title=_title("‖Δw‖"), rangemode="tozero"),
                  margin=dict(l=60, r=10, t=50, b=plot.LEGEND_MARGIN + 40), legend=plot.LEGEND_BELOW)
    return plot.figure(data, layout)
