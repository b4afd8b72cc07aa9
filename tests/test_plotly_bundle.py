"""The vendored plotly.js (static/plotly/): the plotly package's own version, with its licence, and
every trace type the app draws registered in it (read from the bundle by loading it in Chromium).

The trace types come from the figures the pages really produce (AppTest, every page and cell),
plus the types named in the figure builders' source, so a new trace type fails here first.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import re

import plotly.offline
import pytest
from app_helpers import ROOT, chart_elements, open_page
from ci_env import missing

BUNDLE = ROOT / "static" / "plotly" / "plotly-cartesian.min.js"
CHROMIUM = "/usr/bin/chromium"
# Pages with charts, and configurations that between them draw every figure builder's branch.
VISITS = [(page, {"cell": cell}) for page in ("shapes", "parameters", "hidden_states", "gates")
          for cell in ("SimpleRNN", "LSTM", "GRU")]
VISITS += [("home", {}), ("encoder_decoder", {}), ("shapes", {"layers": "2", "lengths": "3,5"})]


def trace_types(figure: dict) -> set[str]:
    """Every trace type in a figure and its animation frames (Plotly's default is scatter)."""
    traces = list(figure.get("data", []))
    for frame in figure.get("frames", []):
        traces += frame.get("data", [])
    return {trace.get("type", "scatter") for trace in traces}


def source_trace_types() -> set[str]:
    """Trace types named in ui/ figure code: `"type": "heatmap"` / `type="bar"` next to trace
    keys (shapes' "rect"/"line", axes' "log" and buttons are not traces)."""
    not_traces = {"rect", "line", "circle", "path", "log", "linear", "category", "date",
                  "buttons", "dropdown", "primary", "secondary", "tertiary"}
    found = set()
    for path in (ROOT / "ui").rglob("*.py"):
        found |= set(re.findall(r"""(?:"type":\s*|\btype=)"([a-z0-9]+)\"""", path.read_text()))
    return found - not_traces


@pytest.fixture(scope="module")
def registered() -> set[str]:
    """The trace modules registered in the vendored bundle, as plotly.js itself lists them."""
    if not os.access(CHROMIUM, os.X_OK):
        missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    from e2e.streamlit_browser import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    def read_bundle():
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.set_content("<html><body></body></html>")
                page.add_script_tag(path=str(BUNDLE))
                return (page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)"),
                        page.evaluate("() => Plotly.version"))
            finally:
                browser.close()

    # a thread of its own: the browser tests' Playwright keeps an event loop running in this one
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        traces, version = pool.submit(read_bundle).result()
    assert version == plotly.offline.get_plotlyjs_version()
    return set(traces)


def test_same_plotlyjs_version_as_the_plotly_package_with_its_licence():
    header = BUNDLE.read_text(encoding="utf-8")[:200]
    assert f"v{plotly.offline.get_plotlyjs_version()}" in header, header
    assert "MIT License" in (BUNDLE.parent / "LICENSE").read_text()


def test_bundle_is_the_cartesian_one(registered):
    # The point of vendoring it: not the full bundle (which registers 3-D, maps, ...).
    assert {"scatter", "bar", "heatmap"} <= registered
    assert "scatter3d" not in registered and "scattermap" not in registered


def test_trace_types_named_in_the_figure_code_are_in_the_bundle(registered):
    named = source_trace_types()
    assert {"scatter", "heatmap", "bar"} <= named, named  # the scan still finds them
    assert named <= registered, named - registered


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_every_trace_type_the_pages_draw_is_in_the_bundle(registered):
    drawn: dict[str, str] = {}
    for page, query in VISITS:
        at = open_page(page, **query)
        for data in chart_elements(at):
            for kind in trace_types(json.loads(data["figure"])):
                drawn.setdefault(kind, f"/{page}?{query} chart {data['key']}")
    assert "heatmap" in drawn and "scatter" in drawn, drawn  # the pages were really read
    assert set(drawn) <= registered, {k: v for k, v in drawn.items() if k not in registered}


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_the_app_serves_the_bundle_gzipped_as_javascript():
    import gzip
    import sys
    import urllib.request

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_class import ephemeral_port
    from e2e.streamlit_browser import StreamlitServer

    from ui.runtime import chart

    with StreamlitServer("app.py", port=ephemeral_port()) as server:
        request = urllib.request.Request(server.url + "/app/static/" + chart.BUNDLE,
                                         headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as response:
            headers, body = response.headers, response.read()
    assert headers["Content-Encoding"] == "gzip"
    assert "javascript" in headers["Content-Type"]
    assert gzip.decompress(body) == BUNDLE.read_bytes()
    assert len(body) < 0.4 * BUNDLE.stat().st_size  # ~0.5 of 1.5 MB
