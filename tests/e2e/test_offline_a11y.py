"""Every page, in the normal and the presenter view, in a real Chromium (issue 18):

- nothing is fetched from the internet at run time: every request goes to the app's own server
  (the page icon, fonts, plotly.js, driver.js all come from the app or Streamlit's bundle);
- axe-core (vendored in tests/e2e/vendor/, see SOURCE.txt) reports no serious or critical
  accessibility violation;
- every chart has a text alternative (role=img, an aria-label "<title>: <what it shows>" and the
  same text in a visually hidden paragraph), and a step-through's scrolling equations panel is
  a focusable region named by its step.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest

from streamlit_browser import wait_until_idle

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
PAGES = ["", "shapes", "parameters", "hidden_states", "gates", "encoder_decoder", "cross_check",
         "training", "quiz"]

# WCAG 1.4.3 sets no contrast minimum for "text that is part of an inactive user interface
# component": the greyed label of a disabled widget (axe cannot tell, as Streamlit's label text
# is not inside the disabled <input>). Only those nodes are dropped; everything else counts.
AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ["violations"]});
    const inactive = (n) => {
        const el = document.querySelector(n.target.join(" "));
        const label = el && el.closest("label, [data-testid=stWidgetLabel]");
        const widget = label && (label.closest("[data-testid=stElementContainer]") || label);
        return !!(widget && widget.querySelector("input:disabled, [aria-disabled=true], [disabled]"));
    };
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.filter((n) => v.id !== "color-contrast" || !inactive(n)).map(
            (n) => n.target.join(" ") + " | " + (n.failureSummary || "").slice(0, 200)),
    })).filter((v) => v.nodes.length);
}"""


def visit(page, own: str, url: str) -> list[str]:
    """Open ``url``, wait until the page has drawn and the network is quiet; return every
    requested URL whose host is not ``own`` (the app server's host:port)."""
    outside: list[str] = []

    def record(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc != own:
            outside.append(request.url)

    page.on("request", record)
    page.goto(url)
    wait_until_idle(page)
    page.locator('[data-testid="stMain"] h1').first.wait_for()
    page.wait_for_load_state("networkidle")
    return outside


# Charts without a text alternative, and equation panels a keyboard or a reader cannot reach.
MISSING_ALT = r"""() => {
    const out = [];
    document.querySelectorAll('.rnnlab-chart').forEach((div, i) => {
        const label = div.getAttribute('aria-label') || '';
        const alt = div.parentElement.querySelector('.rnnlab-alt');
        if (div.getAttribute('role') !== 'img' || !/\S: \S/.test(label) || !alt
            || alt.textContent !== label) out.push('chart ' + i + ': ' + JSON.stringify(label));
    });
    document.querySelectorAll('.rnnlab-step-panel').forEach((panel, i) => {
        if (panel.style.display === 'none') return;
        const name = panel.getAttribute('aria-label') || '';
        if (panel.tabIndex !== 0 || panel.getAttribute('role') !== 'region'
            || name !== 'Equations at step ' + panel.dataset.step) out.push('panel ' + i + ': ' + name);
    });
    return out;
}"""


def serious_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return [v for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("view", ["normal", "presenter"])
@pytest.mark.parametrize("path", PAGES)
def test_no_request_leaves_the_server_and_axe_finds_nothing_serious(page, app_server, path, view):
    query = "?presenter=true" if view == "presenter" else ""
    outside = visit(page, urlsplit(app_server.url).netloc, f"/{path}{query}")
    assert outside == [], f"requests that left the server: {outside}"
    page.wait_for_function("() => document.querySelectorAll('.rnnlab-chart.js-plotly-plot').length"
                           " >= document.querySelectorAll('.rnnlab-chart').length")
    assert page.evaluate(MISSING_ALT) == []
    assert serious_violations(page) == []
