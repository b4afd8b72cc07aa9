"""The screen oracle in a real browser: hover cells of /hidden_states' h_t heatmap with the mouse,
read the hover label Plotly draws in the DOM, decode it with the oracle's decoder (the text
alone names quantity, sample, layer, direction, step and unit) and compare with Keras run here.

The step-through's frames are built in the browser from the figure's animation description
(static/chart/chart.js; the oracle builds them the same way, tests/oracle/labels.py): after
stepping with the keys, the cells up to the step read Keras's numbers and the next step's cells
are blank (no label), as the oracle's frame for that step says.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlparse

import pytest
from oracle import keras_ref
from oracle.labels import parse
from playwright.sync_api import expect
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


def hover_readings(page, keras, path: str, key: str, cells, keys=(), blank=()):
    """Open ``path``, press ``keys`` (the player steps in the browser), hover each (trace, row,
    step) cell of chart ``key``: the decoded labels, each checked against Keras for the page's
    settings (read back from its URL); each ``blank`` cell must show no label."""
    from ui.controls import inputs
    from ui.controls.settings import Config
    from ui.runtime import lab
    open_app(page, path)
    chart = page.locator(f".st-key-{key} .js-plotly-plot")
    expect(chart).to_be_visible()
    wait_for_crosscheck(page)
    cfg, _ = Config.from_query(dict(parse_qsl(urlparse(page.url).query)))  # the page's settings
    x = lab.pad(inputs.make_input(cfg), cfg.valid_lengths())                # an input, as weights are
    ref = keras_ref.stack_reference(keras, cfg, x, lab.build_model(cfg))
    chart.scroll_into_view_if_needed()
    if keys:
        stepped_to = step_after(page, cfg.timesteps, keys)
        for name in keys:
            page.keyboard.press(name)
        page.wait_for_function(f"() => new URL(location.href).searchParams.get('step') === '{stepped_to}'")
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
    for trace, row, step in blank:
        page.mouse.move(*page.evaluate(CELL_CENTRE, [key, trace, row, step]))
        page.wait_for_timeout(400)  # Plotly's hover is throttled: give a label time to appear
        label = page.locator(f".st-key-{key} .hoverlayer .hovertext")
        assert label.count() == 0, f"a step not computed yet shows {label.first.text_content()!r}"
        page.mouse.move(1, 1)
    assert_no_exception(page)
    return out


def step_after(page, timesteps: int, keys) -> int:
    """The step the player moves to from the URL's step on pressing ``keys``."""
    step = int(dict(parse_qsl(urlparse(page.url).query)).get("step", timesteps - 1))
    moves = {"ArrowLeft": -1, "ArrowRight": 1}
    for name in keys:
        step = {"Home": 0, "End": timesteps - 1}.get(name, max(0, min(timesteps - 1,
                                                                     step + moves.get(name, 0))))
    return step


def test_hovered_heatmap_cells_read_what_keras_computes(page, keras):
    cells = [(0, 0, 1), (0, 2, 3), (0, 1, 4)]  # h_t heatmap: (trace, unit, step)
    found = hover_readings(page, keras, "/hidden_states?cell=LSTM&units=3&timesteps=5&sample=1&step=4",
                           "step_through", cells)
    assert {(r.quantity, r.sample, r.layer) for r in found} == {("h_t", 1, 1)}
    # the cell under the mouse is the one its label names (unit 0 on top, as the ticks say)
    assert [(r.unit, r.index) for r in found] == [(u, k) for _, u, k in cells]


def test_after_stepping_back_the_chart_shows_steps_up_to_the_player_s_and_no_later(page, keras):
    """Stepped from 4 to 2 with the keys: the frame chart.js built for step 2 shows steps 0..2
    with Keras's numbers and blank cells from step 3 on (the oracle's frame 2, cell for cell)."""
    cells = [(0, 0, 0), (0, 2, 2), (0, 1, 2)]
    found = hover_readings(page, keras, "/hidden_states?cell=LSTM&units=3&timesteps=5&step=4",
                           "step_through", cells, keys=["ArrowLeft", "ArrowLeft"],
                           blank=[(0, 0, 3), (0, 2, 3), (0, 1, 4)])
    assert [(r.unit, r.index) for r in found] == [(u, k) for _, u, k in cells]


def test_a_lower_block_names_its_unit_in_the_browser(page, keras):
    """/gates stacks the gates in one panel: a block below the first names its unit through
    per-cell customdata (a typed array), which plotly.js must decode for the hover label."""
    found = hover_readings(page, keras, "/gates?cell=GRU&units=3&timesteps=4&step=3",
                           "gates_step_through", [(1, 4 + 2, 2)],   # reset gate block, unit 2
                           keys=["ArrowLeft"], blank=[(1, 4 + 2, 3)])
    assert [(r.quantity, r.unit, r.index) for r in found] == [("reset", 2, 2)]
