"""The app's speed targets (issue 9), measured in headless Chromium side by side with a trivial page.

    .venv/bin/python bench/bench_app.py [--repeats 9] [--startups 3] [--pages shapes gates]

(a) Re-render: time from the key press that changes `units` (type + Enter in the sidebar) to the
    page's rerun having finished and painted (the app root's `data-test-script-state` goes
    running -> notRunning, then two animation frames), median over repeats, on every real page
    and, interleaved with it, on a trivial one-widget page served by a second server.
    Target: app / trivial <= 1.5 (aim 1.2).
(b) Start-up: time from spawning `streamlit run` to the first page's content being visible in the
    browser (the home page's first chart drawn by ui.runtime.chart, or the trivial page's text).
    Target: first chart / trivial page's text <= 1.5.
A benchmark, not a test: it prints markdown tables and never fails on a missed target.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from streamlit_browser import (  # noqa: E402
    StreamlitServer,
    launch_chromium,
    set_widget,
    wait_until_idle,
    wait_until_quiet,
)

sys.path.insert(0, str(ROOT / "bench"))
from bench_class import conditions, ephemeral_port  # noqa: E402

APP_PAGES = ["", "shapes", "parameters", "hidden_states", "gates", "cross_check"]
if (ROOT / "pages" / "training.py").exists():
    APP_PAGES.append("training")

TRIVIAL_PAGE = '''import streamlit as st
units = st.sidebar.number_input("units", 1, 256, 8, key="units")
st.write(f"units = {units}")
'''

# Resolves with ms from the first Enter/arrow keydown to the end of the rerun it caused, painted:
# the script state went running -> notRunning, or (a run too fast for React to ever show
# "running") the main area changed while notRunning; then two animation frames.
ARM_RERUN_TIMER = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    const main = document.querySelector('[data-testid="stMain"]');
    window.__rerunMs = new Promise((resolve, reject) => {
        let t0 = null, sawRun = false, mainChanged = false;
        const onKey = (e) => {
            if (t0 === null && (e.key === 'Enter' || e.key.startsWith('Arrow'))) t0 = performance.now();
        };
        document.addEventListener('keydown', onKey, true);
        const busy = (s) => s === 'running' || s === 'rerunRequested';
        const onMutations = (records) => {
            if (t0 === null) return;
            for (const r of records) {
                if (r.attributeName === 'data-test-script-state') sawRun ||= busy(r.oldValue);
                else mainChanged = true;
            }
            const state = app.getAttribute('data-test-script-state');
            if (busy(state)) sawRun = true;
            else if (state === 'notRunning' && (sawRun || mainChanged)) {
                observer.disconnect();
                document.removeEventListener('keydown', onKey, true);
                requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
            }
        };
        const observer = new MutationObserver(onMutations);
        observer.observe(app, {attributes: true, attributeOldValue: true,
                               attributeFilter: ['data-test-script-state']});
        observer.observe(main, {childList: true, characterData: true, subtree: true});
        setTimeout(() => reject(new Error(`no rerun finished within 60 s (key at ${t0}, saw a run: ${sawRun})`)), 60000);
    });
}"""


def rerun_ms(page, value: int) -> float:
    """Set units to `value` on a quiet page and return the measured re-render time in ms."""
    wait_until_quiet(page)
    page.evaluate(ARM_RERUN_TIMER)
    set_widget(page, "units", value)
    return page.evaluate("() => window.__rerunMs")


def open_ready(page, url: str) -> int:
    """Open url, wait for its run to finish; return the current units value."""
    page.goto(url)
    wait_until_idle(page)
    wait_until_quiet(page)
    return int(page.locator(".st-key-units input").input_value())


def bench_rerender(browser, app: StreamlitServer, trivial: StreamlitServer, pages, repeats: int):
    app_tab = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    trivial_tab = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    for tab in (app_tab, trivial_tab):
        tab.set_default_timeout(60_000)
    rows = []
    for path in pages:
        base_app = open_ready(app_tab, f"{app.url}/{path}")
        base_trivial = open_ready(trivial_tab, trivial.url)
        app_times, trivial_times = [], []
        for i in range(repeats + 1):  # the first round warms caches and is dropped
            bump = 1 if i % 2 == 0 else 0  # alternate units between base+1 and base
            t_app = rerun_ms(app_tab, base_app + bump)
            t_trivial = rerun_ms(trivial_tab, base_trivial + bump)
            if i:
                app_times.append(t_app)
                trivial_times.append(t_trivial)
        exceptions = app_tab.locator('[data-testid="stException"]')
        errors = exceptions.count()
        if errors:  # the timing of a page that crashed means nothing: say why
            print(f"  /{path}: EXCEPTION {exceptions.first.inner_text()[:600]}", file=sys.stderr)
        app_med, trivial_med = statistics.median(app_times), statistics.median(trivial_times)
        rows.append((f"/{path}", app_med, trivial_med, app_med / trivial_med, errors))
        print(f"  /{path}: app {app_med:.0f} ms, trivial {trivial_med:.0f} ms", file=sys.stderr)
    return rows


def bench_startup(browser, script: str, cwd: Path, content_selector: str, repeats: int):
    """Median seconds from spawn to: /_stcore/health ok, the first element drawn, the content visible.

    Each start uses a fresh browser context (cold cache), like a learner's first visit.
    """
    health, first, visible = [], [], []
    for _ in range(repeats):
        server = StreamlitServer(script, cwd=cwd, port=ephemeral_port())
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        try:
            server.spawn().wait_healthy(timeout=120)
            health.append(time.perf_counter() - server.started_at)
            page.goto(server.url + "/", timeout=120_000)
            page.locator('[data-testid="stMain"] [data-testid="stElementContainer"]').filter(
                visible=True).first.wait_for(state="visible", timeout=120_000)
            first.append(time.perf_counter() - server.started_at)
            page.locator(content_selector).first.wait_for(state="visible", timeout=120_000)
            visible.append(time.perf_counter() - server.started_at)
        finally:
            page.context.close()
            server.stop()
    return statistics.median(health), statistics.median(first), statistics.median(visible)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="re-renders per page (after one warm-up)")
    parser.add_argument("--startups", type=int, default=3, help="server starts per app")
    parser.add_argument("--pages", nargs="*", default=APP_PAGES, help="url paths ('' is home)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="trivial-streamlit-") as tmp, sync_playwright() as pw:
        trivial_script = Path(tmp) / "trivial.py"
        trivial_script.write_text(TRIVIAL_PAGE)
        # the same server settings as the app's (e.g. runner.postScriptGC): only the page differs
        (Path(tmp) / ".streamlit").mkdir()
        shutil.copy(ROOT / ".streamlit" / "config.toml", Path(tmp) / ".streamlit" / "config.toml")
        browser = launch_chromium(pw)
        try:
            print("start-up ...", file=sys.stderr)
            start_trivial = bench_startup(browser, str(trivial_script), Path(tmp), "text=units =", args.startups)
            start_app = bench_startup(browser, "app.py", ROOT, ".rnnlab-chart.js-plotly-plot .main-svg",
                                      args.startups)
            print("re-render ...", file=sys.stderr)
            with StreamlitServer("app.py", port=ephemeral_port()) as app, \
                    StreamlitServer(str(trivial_script), cwd=tmp, port=ephemeral_port()) as trivial:
                rows = bench_rerender(browser, app, trivial, args.pages, args.repeats)
        finally:
            browser.close()

    print(f"\n**bench_app — {conditions()}; the trivial page runs with the app's .streamlit/config.toml**")
    print(f"\nRe-render after changing `units` (median of {args.repeats}, headless Chromium; target ≤ 1.5×, aim 1.2×)\n")
    print("| page | app (ms) | trivial page (ms) | ratio | meets target | exceptions |")
    print("|---|---:|---:|---:|:---:|---:|")
    for path, app_ms, trivial_ms, ratio, errors in rows:
        print(f"| `{path}` | {app_ms:.0f} | {trivial_ms:.0f} | {ratio:.2f}× | {'yes' if ratio <= 1.5 else 'no'} | {errors} |")
    print(f"\nServer start to first page visible (median of {args.startups}; target: first chart ≤ 1.5× "
          "the trivial page's text)\n")
    print("| app | health ok (s) | first element (s) | content visible (s) | ratio | meets target |")
    print("|---|---:|---:|---:|---:|:---:|")
    for name, (health_s, first_s, visible_s) in (("RNN Lab `/` (first chart)", start_app),
                                                  ("trivial page (its text)", start_trivial)):
        ratio = visible_s / start_trivial[2]
        print(f"| {name} | {health_s:.2f} | {first_s:.2f} | {visible_s:.2f} | {ratio:.2f}× | "
              f"{'yes' if ratio <= 1.5 else 'no'} |")


if __name__ == "__main__":
    main()
