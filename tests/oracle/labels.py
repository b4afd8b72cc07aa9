"""Read a chart as the browser receives it and evaluate every hover label the way Plotly does.

``readings(fig)`` walks the figure JSON (the string ``ui.runtime.chart`` sends, parsed), every trace of
the figure and of every animation frame (a frame's trace data merged over the base trace, as
``Plotly.animate`` does; a step-through's frames built from its ``animation`` description as
static/chart/chart.js builds them, see ``step_frames``), substitutes ``%{x}``, ``%{y}``,
``%{z}``, ``%{customdata}`` (with a d3 format such as ``:.4f``) per point, and decodes the label
text in the grammar of ``ui.drawing.figures`` (its module docstring):

    <quantity> · sample <s> · layer <l> · <direction> · step <k>|time <t> · unit <u>[ · <note>] = <value>

Nothing here knows which array a trace came from: a reading is what its text says, so a label
that names the wrong unit, step, sample or layer decodes to the wrong key and the comparison
with Keras fails.
"""
from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass

import numpy as np

SEP = " · "
PLACEHOLDER = re.compile(r"%\{([a-z]+)(?:\[(\d+)\])?(?::([^}]*))?\}")


class LabelError(ValueError):
    """A hover label that does not follow the grammar."""


@dataclass(frozen=True)
class Reading:
    quantity: str        # h_t, c_t, a gate name
    sample: int
    layer: int | str     # 1-based, or encoder / decoder
    direction: str       # forward | backward | merged
    order: str           # "step" (processing order) or "time" (position in Keras's output)
    index: int           # the step or time
    unit: int
    note: str            # "" or the qualifier field
    value: float
    text: str            # the whole label, for messages
    where: str           # which trace / frame it came from, for messages


def array(value) -> np.ndarray | None:
    """A trace attribute as an array: Plotly's typed-array spec {dtype, bdata, shape} or a list
    (null -> NaN), as plotly.js decodes it."""
    if value is None:
        return None
    if isinstance(value, dict) and "bdata" in value:
        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            out = out.reshape([int(d) for d in str(value["shape"]).split(",")])
        return out
    if isinstance(value, list):
        if value and isinstance(value[0], list):
            return np.array([[np.nan if v is None else v for v in row] for row in value],
                            dtype=object if _has_str(value) else float)
        return np.array([np.nan if v is None else v for v in value],
                        dtype=object if _has_str(value) else float)
    return np.asarray(value)


def _has_str(values) -> bool:
    flat = [v for row in values for v in (row if isinstance(row, list) else [row])]
    return any(isinstance(v, str) for v in flat)


def d3(value, spec: str | None) -> str:
    """``value`` as plotly.js prints it in a hover label with format ``spec`` (the subset the
    app uses: .Nf, .Ne, .Ng, ',', d, none); plotly.js 4 writes negatives with an ASCII '-' (seen in the
    browser test's DOM)."""
    if isinstance(value, str):
        return value
    v = float(value)
    if spec:
        m = re.fullmatch(r",?\.(\d+)([fe])", spec)
        g = re.fullmatch(r"\.(\d+)g", spec)
        if m:
            text = f"{v:.{m.group(1)}{m.group(2)}}"
        elif g:  # JavaScript's toPrecision: trailing zeros kept, exponent without padding
            text = f"{v:#.{g.group(1)}g}".rstrip(".")
            text = re.sub(r"e([+-])0*(\d)", r"e\1\2", text)
        elif spec == ",":  # thousands grouped, the number as it is (the app's counts are integers)
            text = f"{int(v):,}" if v == int(v) else f"{v:,}"
        elif spec in ("d", ".0f"):
            text = f"{round(v):d}"
        else:
            raise LabelError(f"format {spec!r} not emulated")
    elif math.isfinite(v) and v == int(v):
        text = str(int(v))
    else:
        text = repr(v)
    return text


def fill(template: str, point: dict) -> str:
    """The hover text Plotly shows for one point: placeholders replaced, <extra> dropped."""
    def sub(match):
        name, index, spec = match.groups()
        value = point.get(name)
        if value is None:
            raise LabelError(f"{match.group(0)} has no value at this point")
        if index is not None:
            value = value[int(index)]
        return d3(value, spec)
    text = re.sub(r"<extra>.*?</extra>", "", template)
    return PLACEHOLDER.sub(sub, text).replace("<br>", "\n")


def parse(text: str, where: str = "") -> Reading:
    """Decode one label (see the module docstring); LabelError when it does not fit."""
    if " = " not in text:
        raise LabelError(f"no ' = value' in {text!r}")
    left, value = text.rsplit(" = ", 1)
    fields = left.split(SEP)
    if len(fields) < 6:
        raise LabelError(f"{text!r}: expected quantity · sample · layer · direction · step · unit")
    quantity, sample, layer, direction, step, unit = fields[:6]

    def number(field, key):
        m = re.fullmatch(key + r" (\d+)", field)
        if not m:
            raise LabelError(f"{text!r}: expected '{key} <n>', got {field!r}")
        return int(m.group(1))

    m = re.fullmatch(r"(step|time) (\d+)", step)
    if not m:
        raise LabelError(f"{text!r}: expected 'step <k>' or 'time <t>', got {step!r}")
    if direction not in ("forward", "backward", "merged"):
        raise LabelError(f"{text!r}: direction {direction!r}")
    layer_name = layer.removeprefix("layer ")
    if not layer.startswith("layer ") or not layer_name:
        raise LabelError(f"{text!r}: expected 'layer <l>', got {layer!r}")
    return Reading(quantity, number(sample, "sample"),
                   int(layer_name) if layer_name.isdigit() else layer_name, direction,
                   m.group(1), int(m.group(2)), number(unit, "unit"), SEP.join(fields[6:]),
                   float(value.replace("−", "-")), text, where)


def step_frames(fig: dict) -> list[dict]:
    """The Plotly frames of a step-through, built from ``fig["animation"]`` step for step as
    static/chart/chart.js ``stepFrames`` builds them (the format: ui/drawing/figures.py ``step_through``):
    frame k blanks each ``fill`` heatmap's columns after k, keeps each ``grow`` line's first
    k + 1 values and moves each ``cursor`` to x = [k, k]. A figure without one: its own frames."""
    spec = fig.get("animation")
    if not spec:
        return fig.get("frames") or []
    base = fig["data"]
    z = [(i, array(base[i]["z"]).astype(float)) for i in spec["fill"]]      # (units, T) each
    y = [(i, array(base[i]["y"])) for i in spec["grow"]]                    # (T,) each
    frames = []
    for k in range(spec["timesteps"]):
        traces, data = [], []
        for i, rows in z:
            filled = rows.copy()
            filled[:, k + 1:] = np.nan                                       # null: a gap
            traces.append(i)
            data.append({"type": base[i]["type"], "z": filled})
        for i, values in y:
            traces.append(i)
            data.append({"type": base[i]["type"], "y": values[:k + 1]})
        for i in spec["cursor"]:
            traces.append(i)
            data.append({"type": base[i]["type"], "x": [k, k]})
        frames.append({"name": str(k), "traces": traces, "data": data})
    return frames


def _points(trace: dict):
    """Every hoverable point of a trace as {x, y, z, customdata, text} (Plotly's coordinates)."""
    if trace.get("type") == "heatmap":
        z = array(trace["z"]).astype(float)                      # (rows, columns)
        rows, cols = z.shape
        xs = array(trace.get("x"))
        ys = array(trace.get("y"))
        xs = xs if xs is not None else trace.get("x0", 0) + trace.get("dx", 1) * np.arange(cols)
        ys = ys if ys is not None else trace.get("y0", 0) + trace.get("dy", 1) * np.arange(rows)
        custom, text = array(trace.get("customdata")), array(trace.get("text"))
        for r in range(rows):
            for c in range(cols):
                if not np.isfinite(z[r, c]):
                    continue  # a gap (fill-in blank): no value there (the step-through's
                    # heatmaps turn hoverongaps off, so Plotly shows no label either)
                yield dict(x=xs[c], y=ys[r], z=z[r, c],
                           customdata=None if custom is None else custom[r][c],
                           text=None if text is None else text[r][c])
    elif trace.get("type") == "scatter":
        ys = array(trace.get("y"))
        xs = array(trace.get("x"))
        if xs is None:  # Plotly's x0 / dx (defaults 0 and 1)
            xs = trace.get("x0", 0) + trace.get("dx", 1) * np.arange(len(ys))
        custom = array(trace.get("customdata"))
        for i in range(min(len(xs), len(ys))):  # Plotly draws the shorter of x and y
            if ys[i] is None or (isinstance(ys[i], float) and not np.isfinite(ys[i])):
                continue
            yield dict(x=xs[i], y=ys[i], customdata=None if custom is None else custom[i])


def hoverable(trace: dict) -> bool:
    return trace.get("hoverinfo") != "skip" and trace.get("type") in ("heatmap", "scatter")


def traces_and_frames(fig: dict):
    """(where, trace) for every trace state the browser can show: each frame's, and the base
    traces no step-through frame changes (a step-through shows a frame from the start)."""
    base = fig["data"]
    frames = step_frames(fig)
    animated = {i for frame in frames for i in frame["traces"]} if fig.get("animation") else set()
    for i, trace in enumerate(base):
        if i not in animated:
            yield f"trace {i}", trace
    for frame in frames:
        for i, part in zip(frame["traces"], frame["data"]):
            yield f"frame {frame['name']} trace {i}", {**base[i], **part}


def readings(fig: dict) -> tuple[list[Reading], list[str]]:
    """Every labelled value of ``fig`` and its frames, and the hoverable traces whose label is
    not in the grammar (as messages)."""
    out, bad = [], []
    for where, trace in traces_and_frames(fig):
        if not hoverable(trace):
            continue
        template = trace.get("hovertemplate")
        if not template:
            bad.append(f"{where}: no hovertemplate")
            continue
        for point in _points(trace):
            try:
                out.append(parse(fill(template, point), where))
            except LabelError as err:
                bad.append(f"{where}: {err}")
                break
    return out, bad
