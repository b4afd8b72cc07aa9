"""Helpers for the AppTest suites (tests/test_app_*.py): open a page, read what it shows."""
from __future__ import annotations

import ast
import json
import re
import time
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("home", "shapes", "parameters", "hidden_states", "gates", "cross_check")


def open_page(page: str = "home", **query) -> AppTest:
    """A fresh app session on ``page`` with ``query`` as URL parameters (values as strings)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    for key, value in query.items():
        at.query_params[key] = value if isinstance(value, str) else json.dumps(value)
    at.run()
    if page != "home":
        at.switch_page(f"pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def by_key(at: AppTest, key: str):
    """The element or container with this key, or None (AppTest raises KeyError)."""
    try:
        return at.get_by_key(key)
    except KeyError:
        return None


def texts(node) -> list[str]:
    """Every markdown/code/caption/latex string under an AppTest node, in order."""
    out = []
    for kind in ("markdown", "code", "caption", "latex"):
        out += [element.value for element in getattr(node, kind)]
    return out


SHAPE = re.compile(r"\((?:\d+|None)(?:, (?:\d+|None))*,?\)")


def shapes_in(text: str) -> list[tuple]:
    """All shape tuples written like (2, 5, 8) in ``text``, in order."""
    return [ast.literal_eval(s) for s in SHAPE.findall(text)]


def chart_elements(at: AppTest) -> list[dict]:
    """The data of every ``ui.runtime.chart`` element drawn (the figure still a JSON string)."""
    out = []
    for element in at.get("bidi_component"):
        if element.proto.component_name == "rnnlab_chart":
            data = json.loads(element.proto.json)
            if "figure" in data:  # not chart.preload()
                out.append(data)
    return out


def chart_figure(at: AppTest, key: str) -> dict:
    """The figure of the chart drawn with ``chart(fig, key=key)``."""
    for data in chart_elements(at):
        if data["key"] == key:
            return json.loads(data["figure"])
    raise AssertionError(f"no chart with key {key!r}")


def step_panel(at: AppTest, key: str, k: int | None = None) -> str:
    """The equations panel of the step-through ``key`` as the browser fills it in at step k
    (default: the step the page starts on)."""
    from ui.drawing.equations import StepPanel

    for data in chart_elements(at):
        if data["key"] == key:
            panel = data["panel"]
            return StepPanel(panel["template"], panel["values"]).render(data["start"] if k is None else k)
    raise AssertionError(f"no step-through with key {key!r}")


def panel_vector(panel: str, name: str) -> np.ndarray:
    """The numbers of the vector ``name`` (its data-q) in a filled-in panel; ⋯ cuts are dropped."""
    match = re.search(r'<mrow data-q="' + re.escape(name) + r'">(.*?)<mo>\]</mo></mrow>', panel)
    assert match, f"{name} not in the panel"
    return np.array([float(v.replace("−", "-")) for v in re.findall(r"<mn>([^<]*)</mn>", match.group(1))])


def plotly_figures(at: AppTest) -> list[dict]:
    """Every chart's figure as the browser receives it ({"data", "layout", "frames"})."""
    return [json.loads(data["figure"]) for data in chart_elements(at)]


def array_after(text: str, name: str) -> np.ndarray:
    """The NumPy-printed array that follows ``name (shape):`` in a code block."""
    match = re.search(re.escape(name) + r" \(([\d, ]+)\):\n(\[.*?\]\])(?:\n\n|\Z|\n[a-z])", text,
                      flags=re.S)
    assert match, f"{name} not found in {text[:300]!r}"
    shape = tuple(int(d) for d in match.group(1).split(",") if d.strip())
    numbers = re.findall(r"-?\d+\.\d*(?:e[-+]\d+)?|-?\d+(?:e[-+]\d+)?", match.group(2))
    return np.array([float(n) for n in numbers]).reshape(shape)


def wait_for(at: AppTest, predicate, timeout: float = 120.0, pause: float = 1.0) -> AppTest:
    """Rerun ``at`` until ``predicate(at)`` holds (e.g. the background TensorFlow check is done)."""
    deadline = time.monotonic() + timeout
    while not predicate(at):
        assert time.monotonic() < deadline, "timed out waiting for the app"
        time.sleep(pause)
        at.run()
    return at
