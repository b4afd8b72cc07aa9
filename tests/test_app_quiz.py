"""/quiz through AppTest: a right answer, a wrong one (with the rule it broke), malformed input
(a message, no traceback), the score, and a teacher's link fixing the same ten questions."""
from __future__ import annotations

from app_helpers import by_key, open_page

from ui.classroom import quiz


def answer(at, shapes: str, params: str):
    at.text_area(key="quiz_shapes").input(shapes)
    at.text_input(key="quiz_params").input(params)
    at.button(key="quiz_check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def right_answers(q: quiz.Question) -> tuple[str, str]:
    return "\n".join(quiz.shape_text(s) for s in q.expected_shapes()), f"{q.expected_params():,}"


def shown_code(at) -> str:
    """The question's Keras snippet, without the two import lines."""
    return at.get_by_key("quiz_question").code[0].value.split("\n\n", 1)[1]


def score(at) -> str:
    return at.get_by_key("quiz_score").metric[0].value


def test_the_page_shows_the_question_the_url_fixes():
    at = open_page("quiz", quiz_seed="42", quiz_level="3")
    assert quiz.question(42, 3, 0).code() == shown_code(at)
    assert at.number_input(key="quiz_seed").value == 42 and at.radio(key="quiz_level").value == 3
    assert score(at) == "0 / 0"


def test_right_answer_scores_and_next_moves_on():
    at = open_page("quiz", quiz_seed="7", quiz_level="1")
    answer(at, *right_answers(quiz.question(7, 1, 0)))
    feedback = by_key(at, "quiz_feedback")
    assert [s.value for s in feedback.success][0].startswith("Shapes: right")
    assert len(feedback.success) == 2 and not feedback.error
    assert score(at) == "2 / 2"
    at.button(key="quiz_next").click().run()
    assert quiz.question(7, 1, 1).code() == shown_code(at)
    assert at.text_area(key="quiz_shapes").value == ""  # a fresh answer box
    assert by_key(at, "quiz_feedback") is None


def test_wrong_answer_gets_the_rule_and_the_flag():
    seed = next(s for s in range(200) if quiz.question(s, 1, 0).top.return_sequences is False
                and not quiz.question(s, 1, 0).top.return_state)
    q = quiz.question(seed, 1, 0)
    at = open_page("quiz", quiz_seed=str(seed), quiz_level="1")
    batch, units = q.batch, q.top.units
    answer(at, f"({batch}, {q.timesteps}, {units})", str(q.expected_params() + 1))
    errors = [e.value for e in by_key(at, "quiz_feedback").error]
    assert "return_sequences=False: the output is only the last step's h, shape (batch, units)" in errors[0]
    assert f"({batch}, {units})" in errors[0]  # Keras's answer is shown
    assert "Parameter count: not quite" in errors[1] and f"{q.expected_params():,}" in errors[1]
    assert score(at) == "0 / 2"
    answer(at, *right_answers(q))  # a second try is shown but not scored
    assert score(at) == "0 / 2"


def test_malformed_answers_get_a_message_not_a_traceback():
    at = open_page("quiz", quiz_seed="3", quiz_level="2")
    for shapes, params, expected in [
        ("(2, x, 8)", "12", "not a size"),
        ("two by eight", "12", "not a size"),
        ("", "12", "No shapes yet"),
        ("(2, 8)", "twelve", "whole number"),
        ("(2, 8) hello", "12", "outside the brackets"),
        ("**(2, 8)** $x$", "12", "outside the brackets"),
    ]:
        answer(at, shapes, params)
        warnings = [w.value for w in at.warning]
        assert len(warnings) == 1 and expected in warnings[0].replace("\\", ""), (shapes, warnings)
        assert by_key(at, "quiz_feedback") is None and score(at) == "0 / 0"  # nothing graded


def test_lenient_forms_of_the_right_answer():
    seed = next(s for s in range(200) if len(quiz.question(s, 2, 0).expected_shapes()) == 1)
    q = quiz.question(seed, 2, 0)
    (shape,) = q.expected_shapes()
    dims = ", ".join("None" if d is None else str(d) for d in shape)
    at = open_page("quiz", quiz_seed=str(seed), quiz_level="2")
    answer(at, f"[{dims}]", f" {q.expected_params()} ")
    assert score(at) == "2 / 2"


def test_teachers_link_gives_every_student_the_same_ten_questions():
    link = dict(quiz_seed="1234", quiz_level="2", lock="true")
    students = [open_page("quiz", **link), open_page("quiz", **link)]
    for n in range(quiz.N_QUESTIONS):
        codes = {shown_code(at) for at in students}
        assert codes == {quiz.question(1234, 2, n).code()}  # same question, in the same order
        for at in students:
            assert at.number_input(key="quiz_seed").disabled and at.radio(key="quiz_level").disabled
            answer(at, "(1, 1)", "1")
            at.button(key="quiz_next").click().run()
    for at in students:
        assert "Set finished" in at.success[0].value
        assert score(at).endswith(f"/ {2 * quiz.N_QUESTIONS}")


def test_without_a_seed_each_session_draws_its_own_set_and_links_it():
    at = open_page("quiz")
    seed = at.number_input(key="quiz_seed").value
    assert seed >= 1
    assert at.query_params["quiz_seed"] in (str(seed), [str(seed)])  # the link holds the set
    assert quiz.question(seed, 1, 0).code() == shown_code(at)
    at.button(key="quiz_new_set").click().run()
    assert at.number_input(key="quiz_seed").value != seed
