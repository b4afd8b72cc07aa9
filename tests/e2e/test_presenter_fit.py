"""Presenter view designed as a slide (issue 18, deliverable 1), measured in a real Chromium:
at 1280×720 and 1920×1080 the step-through chart, its player controls and every equation of the
cell are inside the viewport without scrolling, no two text boxes overlap, and the equations'
type is at least 20 px and larger than in the normal view."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from test_pages_browser import open_app

# What a slide shows, measured in the page: boxes of the plot, the player's buttons and slider,
# each equation, the panel's head; every SVG text box of the chart and every equation row, to
# check that none intersect (1 px tolerance); the equations' computed font size.
MEASURE = """(key) => {
  const holder = document.querySelector('.st-key-' + key);
  const gd = holder.querySelector('.js-plotly-plot');
  const panel = holder.querySelector('.rnnlab-step-panel');
  const box = (el) => { const r = el.getBoundingClientRect();
                        return {x: r.left, y: r.top, w: r.width, h: r.height}; };
  const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const texts = [];
  for (const sel of ['.xtick text', '.ytick text', '.g-gtitle text', '.annotation-text',
                     '.g-xtitle text', '.g-ytitle text', '.colorbar text', '.updatemenu-button',
                     '.slider-label', '.slider-group text']) {
    for (const el of gd.querySelectorAll(sel)) if (shown(el) && el.textContent.trim())
      // an SVG text's box is its font's full line (ascent to descent); the glyphs fill the
      // middle ~80 %: two stacked labels touching at their line boxes do not collide
      { const b = box(el); texts.push({what: sel + ' ' + el.textContent.trim(), x: b.x,
                                       y: b.y + 0.1 * b.h, w: b.w, h: 0.8 * b.h}); }
  }
  const rows = [...panel.querySelectorAll('mtr')].filter(shown);
  for (const r of rows) texts.push({what: 'row ' + r.textContent.trim().slice(0, 30), ...box(r)});
  const head = panel.querySelector('.step-head');
  return {
    plot: box(gd), panel: box(panel), head: head.textContent, headBox: box(head),
    equations: [...panel.querySelectorAll('.eq')].map(box),
    controls: [...gd.querySelectorAll('.updatemenu-button, .slider-rail-rect')].map(box),
    texts, eqFont: parseFloat(getComputedStyle(panel.querySelector('math')).fontSize),
    headFont: parseFloat(getComputedStyle(head).fontSize),
    scroll: document.querySelector('[data-testid="stMain"]')?.scrollTop || 0,
    overflow: panel.scrollWidth - panel.clientWidth,
  };
}"""


def measure(browser, app_server, path: str, size: tuple[int, int], key: str) -> dict:
    w, h = size
    context = browser.new_context(viewport={"width": w, "height": h}, base_url=app_server.url)
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        open_app(page, path)
        expect(page.locator(f".st-key-{key} .rnnlab-step-panel .step-head")).to_be_visible()
        page.wait_for_timeout(3000)       # the fit re-measures 0.3, 1 and 2.5 s after drawing
        return page.evaluate(MEASURE, key)
    finally:
        context.close()


def inside(b: dict, w: int, h: int, slack: float = 1) -> bool:
    return (b["x"] >= -slack and b["y"] >= -slack and b["x"] + b["w"] <= w + slack
            and b["y"] + b["h"] <= h + slack and b["w"] > 0 and b["h"] > 0)


def overlaps(texts: list[dict], tol: float = 1) -> list[tuple[str, str]]:
    """Pairs of text boxes that intersect by more than tol px both ways (a box inside another,
    like a button's label inside the button, is not a collision)."""
    out = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            dx = min(a["x"] + a["w"], b["x"] + b["w"]) - max(a["x"], b["x"])
            dy = min(a["y"] + a["h"], b["y"] + b["h"]) - max(a["y"], b["y"])
            contained = all(p(a, b) for p in (
                lambda a, b: a["x"] <= b["x"] + tol and b["x"] + b["w"] <= a["x"] + a["w"] + tol,
                lambda a, b: a["y"] <= b["y"] + tol and b["y"] + b["h"] <= a["y"] + a["h"] + tol)) or all(
                p(b, a) for p in (
                lambda a, b: a["x"] <= b["x"] + tol and b["x"] + b["w"] <= a["x"] + a["w"] + tol,
                lambda a, b: a["y"] <= b["y"] + tol and b["y"] + b["h"] <= a["y"] + a["h"] + tol))
            if dx > tol and dy > tol and not contained:
                out.append((a["what"], b["what"]))
    return out


SMALL, LARGE = (1280, 720), (1920, 1080)
CASES = [  # (page, query, viewport, the step-through's key, equations of the cell)
    ("/gates", "cell=LSTM&units=8&timesteps=20", SMALL, "gates_step_through", 9),
    ("/gates", "cell=GRU&units=8&timesteps=20", SMALL, "gates_step_through", 6),
    ("/gates", "cell=SimpleRNN&units=8&timesteps=20", SMALL, "gates_step_through", 3),
    ("/hidden_states", "cell=LSTM&units=8&timesteps=20", SMALL, "step_through", 9),
    ("/hidden_states", "cell=GRU&units=8&timesteps=20", SMALL, "step_through", 6),
    ("/gates", "cell=LSTM&units=8&timesteps=20&layers=2&layer_index=1", SMALL, "gates_step_through", 9),
    ("/gates", "cell=LSTM&units=8&timesteps=20", LARGE, "gates_step_through", 9),
    ("/hidden_states", "cell=GRU&units=8&timesteps=20", LARGE, "step_through", 6),
]


@pytest.fixture(scope="module")
def normal_font(browser, app_server):
    """The equations' font size in the normal view (what presenter view must exceed)."""
    m = measure(browser, app_server, "/gates?cell=LSTM&units=4&timesteps=10", SMALL, "gates_step_through")
    return m["eqFont"]


@pytest.mark.parametrize("path,query,size,key,n_eq", CASES,
                         ids=[f"{p[1:]}-{q.split('&')[0][5:]}-{s[0]}" + ("-layers2" if "layers" in q else "")
                              for p, q, s, *_ in CASES])
def test_presenter_view_fits_the_slide(browser, app_server, normal_font, path, query, size, key, n_eq):
    w, h = size
    m = measure(browser, app_server, f"{path}?{query}&presenter=true", size, key)
    assert m["scroll"] == 0
    assert inside(m["plot"], w, h), ("plot", m["plot"])
    assert m["controls"] and all(inside(c, w, h) for c in m["controls"]), m["controls"]
    assert len(m["equations"]) == n_eq, m["equations"]
    assert all(inside(e, w, h) for e in m["equations"]), ("equations", m["equations"])
    assert m["overflow"] <= 1, "the equations are wider than their column"
    assert not overlaps(m["texts"]), overlaps(m["texts"])
    assert m["eqFont"] >= 20 * w / 1280 - 0.5 and m["eqFont"] > normal_font, (m["eqFont"], normal_font)
    assert m["headFont"] >= 20
    if "units=8" in query:
        assert "units 0–3 of 8 shown" in m["head"]


# /encoder_decoder has no player: its slide leads with the handover diagram and the states over
# time, the words and the code below them.
ED_MEASURE = """() => {
  const box = (el) => { const r = el.getBoundingClientRect(); return {top: r.top, bottom: r.bottom}; };
  const heat = document.querySelector('.st-key-ed_states .js-plotly-plot .heatmaplayer image');
  const prose = [...document.querySelectorAll('[data-testid="stMarkdownContainer"] p')]
                .find((p) => p.textContent.includes('sequence-to-sequence'));
  return {diagram: box(document.querySelector('.st-key-handover .js-plotly-plot')),
          h_panel: box(heat), prose: box(prose),
          scroll: document.querySelector('[data-testid="stMain"]')?.scrollTop || 0};
}"""


@pytest.mark.parametrize("cell,size", [("LSTM", (1280, 720)), ("GRU", (1920, 1080))])
def test_encoder_decoder_slide_leads_with_the_handover(browser, app_server, cell, size):
    w, h = size
    context = browser.new_context(viewport={"width": w, "height": h}, base_url=app_server.url)
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        open_app(page, f"/encoder_decoder?cell={cell}&units=8&timesteps=20&presenter=true")
        expect(page.locator(".st-key-ed_states .js-plotly-plot .heatmaplayer image").first).to_be_visible()
        m = page.evaluate(ED_MEASURE)
    finally:
        context.close()
    assert m["scroll"] == 0
    assert 0 <= m["diagram"]["top"] and m["diagram"]["bottom"] <= h, m
    assert m["diagram"]["bottom"] <= m["h_panel"]["top"] and m["h_panel"]["bottom"] <= h, m
    assert m["prose"]["top"] >= m["h_panel"]["bottom"], "the words come after the slide"
