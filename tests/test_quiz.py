"""The quiz's pure logic: lenient parsing, fixed sets, rules for wrong answers; and every
expected answer (rnn_core's) against real Keras running the snippet the question shows."""
from __future__ import annotations

import pytest

from ui.classroom import quiz

pytestmark = pytest.mark.keras  # the expected answers are compared with real TensorFlow/Keras


@pytest.mark.parametrize("text, shapes", [
    ("(2, 5, 8)", [(2, 5, 8)]),
    ("2,5,8", [(2, 5, 8)]),
    ("[2, 5, 8]", [(2, 5, 8)]),
    ("  (None, 5, 8) ", [(None, 5, 8)]),
    ("none,8", [(None, 8)]),
    ("(2, 8,)", [(2, 8)]),
    ("(2, 5, 8)\n(2, 8)\n\n(2, 8)", [(2, 5, 8), (2, 8), (2, 8)]),
    ("[(2, 8), (2, 8)]", [(2, 8), (2, 8)]),
    ("(2, 8), (2, 8)", [(2, 8), (2, 8)]),
    ("2, 8; 2, 8", [(2, 8), (2, 8)]),
])
def test_parse_shapes_is_lenient(text, shapes):
    assert quiz.parse_shapes(text) == shapes


@pytest.mark.parametrize("text", ["", "   ", "abc", "(2, x)", "(2, 8) and (2, 8)", "(2.5, 8)",
                                  "(-2, 8)", "()", "{2, 8}"])
def test_malformed_shapes_say_what_was_expected(text):
    with pytest.raises(quiz.AnswerError, match="expected|no shapes|empty"):
        quiz.parse_shapes(text)


@pytest.mark.parametrize("text, count", [("1234", 1234), ("1,234", 1234), (" 1 234 ", 1234),
                                         ("1_234", 1234)])
def test_parse_count(text, count):
    assert quiz.parse_count(text) == count


@pytest.mark.parametrize("text", ["", "12.5", "-3", "many", "1e3"])
def test_malformed_count(text):
    with pytest.raises(quiz.AnswerError, match="whole number"):
        quiz.parse_count(text)


def test_a_seed_and_level_fix_ten_questions():
    first, again = quiz.question_set(42, 3), quiz.question_set(42, 3)
    assert len(first) == quiz.N_QUESTIONS and first == again
    assert quiz.question_set(43, 3) != first and quiz.question_set(42, 2) != first
    assert len({q.code() for q in first}) > 5  # not ten copies of one question


def test_levels_draw_what_they_promise():
    by_level = {level: [q for seed in range(20) for q in quiz.question_set(seed, level)]
                for level in quiz.LEVELS}
    assert all(len(q.specs) == 1 and not q.top.bidirectional and q.batch is not None
               for q in by_level[1])
    assert any(q.top.bidirectional for q in by_level[2])
    assert {q.top.merge_mode for q in by_level[2] if q.top.bidirectional} == set(quiz.MERGES)
    assert any(q.batch is None for q in by_level[2])
    stacks = by_level[3]
    assert {len(q.specs) for q in stacks} == {1, 2, 3}
    for q in stacks:  # lower layers feed the next: they return sequences, one tensor
        assert all(s.return_sequences and not s.return_state and s.merge_mode is not None
                   for s in q.specs[:-1])


def test_bad_level_or_number_names_the_argument():
    with pytest.raises(ValueError, match="level: got 4"):
        quiz.question(0, 4, 0)
    with pytest.raises(ValueError, match="number: got 10"):
        quiz.question(0, 1, 10)


def _q(*specs, batch=2, timesteps=5, input_dim=3):
    return quiz.Question(0, 3, batch, timesteps, input_dim, tuple(specs))


def test_right_answers_score_two_points():
    q = _q(quiz.LayerSpec("LSTM", 8, return_sequences=True, return_state=True))
    result = quiz.check(q, "(2, 5, 8)\n(2, 8)\n(2, 8)", str(4 * 8 * (3 + 8 + 1)))
    assert result.shapes_ok and result.params_ok and result.points == 2
    assert result.names == ["whole_sequence_output", "final_memory_state", "final_carry_state"]


def test_return_sequences_rule_names_the_flag():
    q = _q(quiz.LayerSpec("GRU", 8))
    rules = quiz.check(q, "(2, 5, 8)", "1").shape_rules
    assert any("return_sequences=False: the output is only the last step's h, shape (batch, units)"
               in r for r in rules)
    q = _q(quiz.LayerSpec("GRU", 8, return_sequences=True))
    assert any("return_sequences=True" in r for r in quiz.check(q, "(2, 8)", "1").shape_rules)


def test_return_state_and_merge_rules():
    q = _q(quiz.LayerSpec("LSTM", 4, return_state=True, bidirectional=True))
    rules = quiz.check(q, "(2, 8)", "1").shape_rules
    assert any("return_state=True" in r and "h then c" in r and "backward" in r for r in rules)
    rules = quiz.check(q, "(2, 4)\n(2, 4)\n(2, 4)\n(2, 4)\n(2, 4)", "1").shape_rules
    assert any("merge_mode='concat'" in r and "2 × 4 = 8" in r for r in rules)
    q = _q(quiz.LayerSpec("LSTM", 4, return_state=True, bidirectional=True, merge_mode="sum"))
    rules = quiz.check(q, "(2, 8)\n(2, 4)\n(2, 4)\n(2, 4)\n(2, 4)", "1").shape_rules
    assert any("merge_mode='sum'" in r and "units = 4" in r for r in rules)
    q = _q(quiz.LayerSpec("GRU", 4, bidirectional=True, merge_mode=None))
    assert any("merge_mode=None" in r for r in quiz.check(q, "(2, 4)", "1").shape_rules)
    q = _q(quiz.LayerSpec("GRU", 4), batch=None)
    assert any("None" in r and "batch" in r for r in quiz.check(q, "(2, 4)", "1").shape_rules)
    assert quiz.check(q, "(None, 4)", "1").shapes_ok


def test_parameter_rules_point_at_the_flag():
    gru = _q(quiz.LayerSpec("GRU", 4))
    rules = quiz.check(gru, "(2, 4)", str(3 * 4 * (3 + 4 + 1))).param_rules  # reset_after=False's count
    assert any("reset_after=True" in r for r in rules)
    bi = _q(quiz.LayerSpec("SimpleRNN", 4, bidirectional=True))
    assert any("Bidirectional" in r for r in quiz.check(bi, "(2, 8)", str(4 * (3 + 4 + 1))).param_rules)
    stack = _q(quiz.LayerSpec("SimpleRNN", 4, return_sequences=True), quiz.LayerSpec("SimpleRNN", 2))
    flat = 4 * (3 + 4 + 1) + 2 * (3 + 2 + 1)
    assert any("previous layer's output size" in r for r in quiz.check(stack, "(2, 2)", str(flat)).param_rules)
    lstm = _q(quiz.LayerSpec("LSTM", 4))
    assert any("4 weight blocks" in r for r in quiz.check(lstm, "(2, 4)", str(4 * (3 + 4 + 1))).param_rules)
    assert any("4 × (4 × (3 + 4) + 4)" in r for r in quiz.check(lstm, "(2, 4)", "7").param_rules)


@pytest.mark.parametrize("level", sorted(quiz.LEVELS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_expected_answers_match_keras(keras, level, seed):
    """Run each question's Keras snippet, exactly as shown, and compare with rnn_core's answer."""
    for q in quiz.question_set(seed, level):
        scope = {"keras": keras, "layers": keras.layers}
        exec(q.code(), scope)  # noqa: S102  (our own generated snippet)
        outputs = scope["outputs"]
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        assert [tuple(o.shape) for o in outputs] == q.expected_shapes(), q.code()
        assert scope["model"].count_params() == q.expected_params(), q.code()
        names = q.output_names()
        assert len(names) == len(outputs)
