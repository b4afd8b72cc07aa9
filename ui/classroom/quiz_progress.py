"""The quiz's progress in this session (Streamlit glue over the pure ``ui.classroom.quiz``).

Progress is kept per question set, (seed, level): the question on screen, the first result of
each answered question (the one that is scored) and the last check. The functions that change
it are button callbacks, so the score drawn above the buttons already counts a click."""
from __future__ import annotations

import random
import re

import streamlit as st

from ui.classroom import quiz
from ui.controls import keys


def plain(text: str) -> str:
    """``text`` shown literally in markdown (an answer may contain *, _, $, backticks...)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>$:])", r"\\\1", text)


def ensure_seed() -> None:
    """A fresh set for a new session; the URL then holds it, so the set can be shared."""
    if st.session_state.get("quiz_seed", -1) == -1:
        new_set()


def new_set() -> None:
    st.session_state["quiz_seed"] = random.randrange(1, 100_000)


def progress_for(seed: int, level: int) -> dict:
    """This session's progress on the set (seed, level): question index, first results, last check."""
    sets = st.session_state.setdefault(keys.QUIZ_PROGRESS, {})
    return sets.setdefault((seed, level), {"index": 0, "results": {}, "last": None})


def session_score() -> tuple[int, int]:
    """(points, possible points) over every set this session answered."""
    sets = st.session_state.get(keys.QUIZ_PROGRESS, {}).values()
    results = [r for p in sets for r in p["results"].values()]
    return sum(r.points for r in results), 2 * len(results)


def _clear_answers() -> None:
    st.session_state["quiz_shapes"], st.session_state["quiz_params"] = "", ""


def next_question(progress: dict) -> None:
    progress["index"] += 1
    progress["last"] = None
    st.session_state.pop(keys.QUIZ_ERROR, None)
    _clear_answers()


def restart(progress: dict) -> None:
    progress.update(index=0, results={}, last=None)
    _clear_answers()


def check_answer(question, progress: dict) -> None:
    """Grade the answers; the first answer to a question is the one scored."""
    state = st.session_state
    try:
        result = quiz.check(question, state.get("quiz_shapes", ""), state.get("quiz_params", ""))
    except quiz.AnswerError as err:
        state[keys.QUIZ_ERROR] = str(err)
        return
    state.pop(keys.QUIZ_ERROR, None)
    progress["results"].setdefault(progress["index"], result)
    progress["last"] = result


def answer_box_height(seed: int, level: int) -> int:
    """Pixels for the set's longest answer: 1.6 lines of the 16 px body font per shape, plus the
    box's padding and border; Streamlit's minimum is 68."""
    return max(68, round(25.6 * quiz.answer_lines(seed, level)) + 20)
