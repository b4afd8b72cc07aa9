"""The screen oracle in a real browser: hover cells of /hidden_states' h_t heatmap with the mouse,
read the hover label Plotly draws in the DOM, decode it with the oracle's decoder (the text
alone names quantity, sample, layer, direction, step and unit) and compare with Keras run here.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlparse

import pytest
from playwright.sync_api import expect

from oracle import keras_ref
from oracle.labels import parse
from test_pages_browser import assert_no_exception, open_app, wait_for_crosscheck

pytestmark = pytest.mark.keras

CELL_CENTRE = """([key, trace, unit, step]) => {
    const gd = document.querySelector(`.st-key-${key} .js-plotly-plot`);
    const full = gd._fullData[trace];
    const xa = gd._fullLayout[full.xaxis.replace("x", "xaxis")];
    const ya = gd._fullLayout[full.yaxis.replace("y", "yaxis")];
    const box = gd.getBoundingClientRect();
    return [box.left + xa._offset + xa.l2p(step), box.top + ya._offset + ya.l2p(unit)];
}"""


def hover_readings(page, keras, path: str, key: str, cells):
    """Open ``path``, hover each (trace, row, step) cell of chart ``key``: the decoded labels,
    each checked against Keras for the page's settings (read back from its URL)."""
    from ui import inputs, lab
    from ui.settings import Config
    open_app(page, path)
    chart = page.locator(f".st-key-{key} .js-plotly-plot")
    expect(chart).to_be_visible()
    wait_for_crosscheck(page)
    cfg, _ = Config.from_query(dict(parse_qsl(urlparse(page.url).query)))  # the page's settings
    x = lab.pad(inputs.make_input(cfg), cfg.valid_lengths())                # an input, as weights are
    ref = keras_ref.stack_reference(keras, cfg, x, lab.build_model(cfg))
    chart.scroll_into_view_if_needed()
    out = []
    for trace, row, step in cells:
        px, py = page.evaluate(CELL_CENTRE, [key, trace, row, step])
        page.mouse.move(px, py)
        label = page.locator(f".st-key-{key} .hoverlayer .hovertext")
        expect(label).to_have_count(1)
        text = label.locator("text.nums").text_content()
        reading = parse(text, "browser")
        assert not keras_ref.check([reading], ref), f"{text!r}: not Keras's number"
        out.append(reading)
        page.mouse.move(1, 1)
        expect(label).to_have_count(0)
    assert_no_exception(page)
    return out


def test_hovered_heatmap_cells_read_what_keras_computes(page, keras):
    cells = [(0, 0, 1), (0, 2, 3), (0, 1, 4)]  # h_t heatmap: (trace, unit, step)
    found = hover_readings(page, keras, "/hidden_states?cell=LSTM&units=3&timesteps=5&sample=1&step=4",
                           "step_through", cells)
    assert {(r.quantity, r.sample, r.layer) for r in found} == {("h_t", 1, 1)}
    # the cell under the mouse is the one its label names (unit 0 on top, as the ticks say)
    assert [(r.unit, r.index) for r in found] == [(u, k) for _, u, k in cells]


def test_a_lower_block_names_its_unit_in_the_browser(page, keras):
    """/gates stacks the gates in one panel: a block below the first names its unit through
    per-cell customdata (a typed array), which plotly.js must decode for the hover label."""
    found = hover_readings(page, keras, "/gates?cell=GRU&units=3&timesteps=4&step=3",
                           "gates_step_through", [(1, 4 + 2, 2)])  # reset gate block, unit 2
    assert [(r.quantity, r.unit, r.index) for r in found] == [("reset", 2, 2)]
