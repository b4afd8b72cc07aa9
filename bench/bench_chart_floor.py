"""What one changing chart costs a Streamlit re-render here: the floor under issue 3's target.

    .venv/bin/python bench/bench_chart_floor.py [--repeats 11]

Three one-widget pages, measured side by side exactly as bench_app.py measures (Enter in the
sidebar's `units` box to the rerun painted, headless Chromium), interleaved:
- trivial: the number input and one line of text (bench_app.py's trivial page);
- st.plotly_chart: the same plus a 10-column heatmap whose data depend on `units`;
- in-place component: the same heatmap in a minimal custom component (one iframe, kept across
  reruns because it has a key) that updates it with Plotly.react.
`st.plotly_chart` derives its element id from the figure spec, so a chart whose data changed is a
new element that the browser mounts and Plotly draws from scratch; a custom component with a key
keeps its identity. A benchmark, not a test: it prints a table and never fails.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import plotly

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
sys.path.insert(0, str(ROOT / "bench"))
from bench_app import TRIVIAL_PAGE, open_ready, rerun_ms  # noqa: E402
from streamlit_browser import StreamlitServer, launch_chromium  # noqa: E402

CHART_PAGE = TRIVIAL_PAGE + '''
import os
import numpy as np
z = np.random.default_rng(units).random((units, 10)).round(3)  # (units, 10)
fig = {"data": [{"type": "heatmap", "z": z.tolist(), "colorscale": "RdBu"}],
       "layout": {"height": 300, "margin": {"l": 40, "r": 10, "t": 30, "b": 30}}}
if os.environ["CHART_MODE"] == "plotly_chart":
    st.plotly_chart(fig, key="chart")
else:
    import streamlit.components.v1 as components
    live = components.declare_component("plotly_live", path=os.environ["COMPONENT_DIR"])
    live(spec=fig, key="chart", default=None)
'''

# The Streamlit component protocol by hand (no npm here): announce readiness, draw each render's
# spec with Plotly.react into the same div, report the height.
COMPONENT_HTML = """<!doctype html><html><head><meta charset="utf-8">
<style>html, body { margin: 0; padding: 0; }</style>
<script src="plotly.min.js"></script></head>
<body><div id="chart"></div><script>
const chart = document.getElementById("chart");
const send = (type, data) => window.parent.postMessage({isStreamlitMessage: true, type, ...data}, "*");
window.addEventListener("message", async (event) => {
  if (!event.data || event.data.type !== "streamlit:render") return;
  const fig = event.data.args.spec;
  await Plotly.react(chart, fig.data, {...fig.layout, autosize: true}, {displaylogo: false, responsive: true});
  send("streamlit:setFrameHeight", {height: chart.offsetHeight});
});
send("streamlit:componentReady", {apiVersion: 1});
</script></body></html>"""

MODES = {"trivial": None, "st.plotly_chart": "plotly_chart", "in-place component": "component"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11, help="re-renders per page (after one warm-up)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="chart-floor-") as tmp:
        tmp = Path(tmp)
        (tmp / "trivial.py").write_text(TRIVIAL_PAGE)
        (tmp / "chart.py").write_text(CHART_PAGE)
        component = tmp / "component"
        component.mkdir()
        (component / "index.html").write_text(COMPONENT_HTML)
        shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", component)
        os.environ["COMPONENT_DIR"] = str(component)
        servers = {}
        try:
            for name, mode in MODES.items():
                os.environ["CHART_MODE"] = mode or "none"
                script = tmp / ("trivial.py" if mode is None else "chart.py")
                servers[name] = StreamlitServer(str(script), cwd=tmp).spawn().wait_healthy(timeout=120)
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                tabs = {}
                for name, server in servers.items():
                    tab = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                    tab.set_default_timeout(60_000)
                    tabs[name] = (tab, open_ready(tab, server.url))
                times = {name: [] for name in servers}
                for i in range(args.repeats + 1):  # the first round warms caches and is dropped
                    for name, (tab, base) in tabs.items():
                        ms = rerun_ms(tab, base + 1 + i % 2)
                        if i:
                            times[name].append(ms)
                drawn = tabs["in-place component"][0].frame_locator("iframe").locator(".js-plotly-plot").count()
                browser.close()
        finally:
            for server in servers.values():
                server.stop()

    trivial = statistics.median(times["trivial"])
    print(f"\nRe-render after changing `units` (median of {args.repeats}, headless Chromium; "
          f"load average {os.getloadavg()[0]:.1f})\n")
    print("| page | ms | / trivial |")
    print("|---|---:|---:|")
    for name, values in times.items():
        ms = statistics.median(values)
        print(f"| {name} | {ms:.0f} | {ms / trivial:.2f}× |")
    print(f"\n(in-place component drew its chart: {'yes' if drawn else 'NO'})")


if __name__ == "__main__":
    main()
