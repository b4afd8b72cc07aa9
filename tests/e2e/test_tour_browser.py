"""The guided tour and the quiz in a real Chromium: the tour's first popover points at the right
element, Next and close work, hidden elements are skipped, and the page stays usable."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from streamlit_browser import set_widget, wait_until_idle, wait_until_quiet

from ui.classroom import quiz, tour

POPOVER = ".driver-popover"
# true once the element has kept its place for 5 animation frames
SETTLED = """(sel) => new Promise((done) => {
    let last = "", same = 0;
    const tick = () => {
        const r = document.querySelector(sel).getBoundingClientRect();
        const now = [r.x, r.y, r.width, r.height].join();
        same = now === last ? same + 1 : 0;
        last = now;
        if (same >= 5) done(true); else requestAnimationFrame(tick);
    };
    tick();
})"""


def open_app(page, path: str) -> None:
    page.goto(path)
    wait_until_idle(page)


def start_tour(page, name: str) -> None:
    page.locator(f".st-key-tour_{name} button.rnnlab-tour-start").click()
    expect(page.locator(POPOVER)).to_be_visible()
    page.wait_for_timeout(500)  # driver.js ignores the keys while it animates to the first step


def highlighted_key(page) -> str:
    """The st-key class of the element the tour highlights."""
    return page.evaluate("""() => {
        const el = document.querySelector('.driver-active-element');
        const m = el && el.className.match(/st-key-(\\S+)/);
        return m ? m[1] : null;
    }""")


def test_tour_points_at_each_element_then_closes_and_the_page_stays_usable(page):
    open_app(page, "/shapes?units=7&return_sequences=true")
    shapes = page.locator(".st-key-output_shapes")
    expect(shapes).to_contain_text("(2, 10, 7)")
    start_tour(page, "shapes")
    expect(page.locator(".driver-popover-title")).to_have_text("What layer(x) returns")
    assert highlighted_key(page) == "output_shapes"
    # the popover sits next to the element it talks about (once driver.js has scrolled it there:
    # under load its first frame can still be below the fold)
    page.wait_for_function("""(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
                                        return r.top >= 0 && r.bottom <= window.innerHeight; }""",
                           arg=POPOVER, timeout=10_000)
    box, target = page.locator(POPOVER).bounding_box(), shapes.bounding_box()
    assert abs((box["y"] + box["height"] / 2) - (target["y"] + target["height"] / 2)) < 400
    page.locator(".driver-popover-next-btn").click()
    expect(page.locator(".driver-popover-title")).to_have_text("return_state")
    assert highlighted_key(page) == "return_state"
    expect(page.locator(".driver-popover-progress-text")).to_have_text("2 of 5")
    # never blocks: while the tour is open, the page under it still takes input
    set_widget(page, "units", 9)
    expect(shapes).to_contain_text("(2, 10, 9)")
    page.locator(".driver-popover-close-btn").click()
    expect(page.locator(POPOVER)).to_have_count(0)
    set_widget(page, "units", 5)
    expect(shapes).to_contain_text("(2, 10, 5)")
    assert page.locator('[data-testid="stException"]').count() == 0


def test_tour_skips_what_is_hidden(page):
    """Presenter view hides the sidebar: the home tour then starts at the first visible chart."""
    open_app(page, "/")
    start_tour(page, "home")
    assert highlighted_key(page) == "cell"  # the sidebar's first control, when it is shown
    page.keyboard.press("Escape")
    expect(page.locator(POPOVER)).to_have_count(0)
    page.add_style_tag(content='[data-testid="stSidebar"] { display: none !important; }')
    start_tour(page, "home")
    assert highlighted_key(page) == "input_tensor"
    expect(page.locator(".driver-popover-progress-text")).to_have_text("1 of 3")


def test_a_chart_still_drawing_keeps_its_tour_step(page):
    """A student may start the tour before the charts are drawn: a chart's element is then
    0 px high (until its module and plotly.js have loaded), and the tour must still stop at it."""
    open_app(page, "/parameters?cell=LSTM")
    page.add_style_tag(content=".st-key-params_vs_units { height: 0 !important; overflow: hidden; }")
    host = page.locator(".st-key-params_vs_units")
    page.wait_for_function("() => document.querySelector('.st-key-params_vs_units')"
                           ".getBoundingClientRect().height === 0")
    start_tour(page, "parameters")
    expect(page.locator(".driver-popover-progress-text")).to_have_text("1 of 4")
    page.locator(".driver-popover-next-btn").click()
    expect(page.locator(".driver-popover-title")).to_have_text("Parameters vs units")
    assert host.count() == 1


def test_quiz_right_then_wrong_answer(page):
    q0, q1 = quiz.question(11, 1, 0), quiz.question(11, 1, 1)
    open_app(page, "/quiz?quiz_seed=11&quiz_level=1")
    question = page.locator(".st-key-quiz_question")
    expect(question).to_contain_text("Question 1 of 10")
    page.locator(".st-key-quiz_shapes textarea").fill(
        "\n".join(quiz.shape_text(s) for s in q0.expected_shapes()))
    page.locator(".st-key-quiz_params input").fill(str(q0.expected_params()))
    page.locator(".st-key-quiz_check button").click()
    feedback = page.locator(".st-key-quiz_feedback")
    expect(feedback).to_contain_text("Shapes: right")
    expect(feedback).to_contain_text("Parameter count: right")
    expect(page.locator(".st-key-quiz_score")).to_contain_text("2 / 2")
    page.locator(".st-key-quiz_next button").click()
    expect(question).to_contain_text("Question 2 of 10")
    expect(question).to_contain_text(f"layers.{q1.top.cell}({q1.top.units}")
    page.locator(".st-key-quiz_shapes textarea").fill("(1, 2, 3, 4)")
    page.locator(".st-key-quiz_params input").fill("1")
    page.locator(".st-key-quiz_check button").click()
    expect(feedback).to_contain_text("Shapes: not quite")
    expect(feedback).to_contain_text("return_sequences=")
    expect(page.locator(".st-key-quiz_score")).to_contain_text("2 / 4")
    assert page.locator('[data-testid="stException"]').count() == 0


PAGES = ["", "shapes", "parameters", "hidden_states", "gates", "encoder_decoder", "cross_check",
         "training", "quiz"]


def tour_key(page, key: str, expected: str) -> None:
    """Press ``key`` and wait for the popover to show step ``expected`` ("k of") and settle
    (driver.js ignores keys while it animates to a step)."""
    page.keyboard.press(key)
    expect(page.locator(".driver-popover-progress-text")).to_contain_text(expected)
    page.wait_for_timeout(500)


def progress(page) -> tuple[int, int]:
    """(current, total) from the popover's "k of n"."""
    text = page.locator(".driver-popover-progress-text").inner_text()
    current, total = text.split(" of ")
    return int(current), int(total)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_a_tour_of_4_to_6_steps(page, path):
    open_app(page, f"/{path}?cell=LSTM")
    # the tour skips what is not visible when it starts: let the page settle and every target on
    # it be drawn first (a chart's element is there, 0 px high, until its module and Plotly load)
    wait_until_quiet(page)
    selectors = [step["selector"] for step in tour.steps_data(path or "home")]
    page.wait_for_function("""(selectors) => selectors.every((sel) => {
        const el = document.querySelector(sel);
        if (!el) return true;
        const isChart = [...el.querySelectorAll('style')].some((css) => css.textContent.includes('.rnnlab-chart'));
        if (isChart && !el.querySelector('.js-plotly-plot')) return false;
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.height > 0;
    })""", arg=selectors)
    start_tour(page, path or "home")
    assert 4 <= progress(page)[1] <= 6
    assert page.locator('[data-testid="stException"]').count() == 0


PLAYER_STEP = """() => {
    const gd = document.querySelector('.st-key-step_through .js-plotly-plot');
    return gd && gd.dataset.step !== undefined ? Number(gd.dataset.step) : null;
}"""


def test_the_tour_owns_the_keys_while_open_then_the_player_has_them(page):
    open_app(page, "/hidden_states?cell=GRU&units=3&timesteps=12&step=4")
    page.wait_for_function(f"() => ({PLAYER_STEP})() === 4")
    start_tour(page, "hidden_states")
    assert progress(page)[0] == 1
    tour_key(page, "ArrowRight", "2 of")           # the tour moves on, the player does not
    tour_key(page, "Space", "3 of")                # the tour's next step, not ▶ Play
    tour_key(page, "ArrowLeft", "2 of")
    page.wait_for_timeout(1200)                    # a playing player would have moved by now
    assert page.evaluate(PLAYER_STEP) == 4
    page.keyboard.press("Escape")
    expect(page.locator(POPOVER)).to_have_count(0)
    page.keyboard.press("ArrowRight")              # tour closed: the keys step the player again
    page.wait_for_function(f"() => ({PLAYER_STEP})() === 5")


@pytest.mark.parametrize("size", [(1280, 720), (1400, 1000)])
def test_a_popover_sits_beside_a_tall_target_not_over_the_sidebar(page, size):
    page.set_viewport_size({"width": size[0], "height": size[1]})
    open_app(page, "/hidden_states?cell=LSTM&units=8&timesteps=20")
    target = page.locator(".st-key-step_through")
    expect(target.locator(".js-plotly-plot")).to_be_visible()
    start_tour(page, "hidden_states")
    assert highlighted_key(page) is None or highlighted_key(page) == "step_through"
    # driver.js scrolls the target into view smoothly and the popover follows: measure it at rest
    page.wait_for_function(SETTLED, arg=POPOVER)
    pop = page.locator(POPOVER).bounding_box()
    sidebar = page.locator('[data-testid="stSidebar"]').bounding_box()
    box = target.bounding_box()
    assert pop["x"] >= sidebar["x"] + sidebar["width"], "the popover covers the sidebar"
    assert box["x"] - 10 <= pop["x"] <= box["x"] + box["width"]
    # vertically it touches the target's box (on it, or within a few pixels above/below it)
    assert pop["y"] <= box["y"] + box["height"] + 30 and pop["y"] + pop["height"] >= box["y"] - 30
    # and it is on screen, near the part of the target that is visible
    assert 0 <= pop["y"] and pop["y"] + pop["height"] <= size[1]


def test_the_answer_box_shows_the_longest_answer_of_the_set_without_scrolling(page):
    seed, level, number = 10, 3, 4                 # question 5 of this set returns 6 tensors
    q = quiz.question(seed, level, number)
    assert len(q.expected_shapes()) == 6
    open_app(page, f"/quiz?quiz_seed={seed}&quiz_level={level}")
    box = page.locator(".st-key-quiz_shapes textarea")
    box.fill("\n".join(quiz.shape_text(s) for s in q.expected_shapes()))
    assert box.evaluate("(el) => el.scrollHeight <= el.clientHeight + 1"), "the answer scrolls"
