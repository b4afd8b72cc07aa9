"""Quiz: read a Keras snippet, predict every output's shape and the parameter count."""
import random
import re

import streamlit as st

from ui.classroom import quiz, tour
from ui.controls import keys, sidebar
from ui.controls.settings import QuizSettings

sidebar.ensure_app_navigation()
state = st.session_state
if state.get("quiz_seed", -1) == -1:
    # A fresh set for this session; the URL then holds it, so the set can be shared.
    state["quiz_seed"] = random.randrange(1, 100_000)


def plain(text: str) -> str:
    """``text`` shown literally in markdown (an answer may contain *, _, $, backticks...)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>$:])", r"\\\1", text)


def progress_for(seed: int, level: int) -> dict:
    """This session's progress on the set (seed, level): question index, first results, last check."""
    sets = state.setdefault(keys.QUIZ_PROGRESS, {})
    return sets.setdefault((seed, level), {"index": 0, "results": {}, "last": None})


def next_question(progress: dict) -> None:
    progress["index"] += 1
    progress["last"] = None
    state.pop(keys.QUIZ_ERROR, None)
    state["quiz_shapes"], state["quiz_params"] = "", ""


def restart(progress: dict) -> None:
    progress.update(index=0, results={}, last=None)
    state["quiz_shapes"], state["quiz_params"] = "", ""


def check_answer(question, progress: dict) -> None:
    """Grade the answers (a callback: the score drawn above then already counts them)."""
    try:
        result = quiz.check(question, state.get("quiz_shapes", ""), state.get("quiz_params", ""))
    except quiz.AnswerError as err:
        state[keys.QUIZ_ERROR] = str(err)
        return
    state.pop(keys.QUIZ_ERROR, None)
    progress["results"].setdefault(progress["index"], result)  # the first answer is scored
    progress["last"] = result


def answer_box_height(seed: int, level: int) -> int:
    """Pixels for the set's longest answer: 1.6 lines of the 16 px body font per shape, plus the
    box's padding and border; Streamlit's minimum is 68."""
    return max(68, round(25.6 * quiz.answer_lines(seed, level)) + 20)


def new_set() -> None:
    state["quiz_seed"] = random.randrange(1, 100_000)


st.title("Predict the shape")
tour.button("quiz")
st.markdown("Read the Keras code, then predict **every tensor `outputs` holds, in Keras's order**, "
            "and **`model.count_params()`**. The first answer to each question counts; a wrong one "
            "gets the rule it broke. (The sidebar's layer plays no part here.)")

col1, col2, col3 = st.columns([4, 2, 1], vertical_alignment="bottom")
level = sidebar.widget(QuizSettings, "quiz_level", "level", where=col1, kind="radio",
                       horizontal=True, format_func=quiz.LEVELS.get)
seed = sidebar.widget(QuizSettings, "quiz_seed", "question set (seed)", where=col2)
col3.button("New set", key="quiz_new_set", on_click=new_set, disabled=sidebar.locked())
sidebar.write_query(sidebar.settings(QuizSettings))
st.caption(f"Teacher: a link with `?quiz_seed={seed}&quiz_level={level}` gives everyone these ten "
           "questions in this order (add `&lock=true` to fix them).")

progress = progress_for(seed, level)
results = progress["results"]
points = sum(r.points for r in results.values())
with st.container(key="quiz_score"):
    c1, c2 = st.columns(2)
    c1.metric("Score on this set", f"{points} / {2 * len(results)}",
              help="One point for the shapes, one for the parameter count; first answers only.")
    all_sets = state[keys.QUIZ_PROGRESS].values()
    c2.metric("This session", f"{sum(r.points for p in all_sets for r in p['results'].values())}"
              f" / {2 * sum(len(p['results']) for p in all_sets)}")
    st.progress(len(results) / quiz.N_QUESTIONS,
                text=f"{len(results)} of {quiz.N_QUESTIONS} questions answered")

index = progress["index"]
if index >= quiz.N_QUESTIONS:
    st.success(f"Set finished: {points} of {2 * quiz.N_QUESTIONS} points.", icon=":material/flag:")
    st.button("Start this set again", key="quiz_restart", on_click=restart, args=(progress,))
    st.stop()

question = quiz.question(seed, level, index)
with st.container(key="quiz_question"):
    st.subheader(f"Question {index + 1} of {quiz.N_QUESTIONS}")
    st.code("import keras\nfrom keras import layers\n\n" + question.code(), language="python",
            wrap_lines=True)
    if question.batch is None:
        st.caption("No batch_size: write None for the batch.")

with st.container(key="quiz_answer"):
    st.text_area("Every tensor in `outputs`, in order: one shape per line", key="quiz_shapes",
                 placeholder="(2, 5, 8)\n(2, 8)", height=answer_box_height(seed, level))
    st.text_input("`model.count_params()`", key="quiz_params", placeholder="1234")
    st.button("Check", key="quiz_check", type="primary", on_click=check_answer,
              args=(question, progress))
if state.get(keys.QUIZ_ERROR):
    st.warning(plain(state[keys.QUIZ_ERROR]), icon=":material/edit_note:")

result = progress["last"]
if result is not None:
    with st.container(key="quiz_feedback"):
        answer = ", ".join(f"`{name}` {quiz.shape_text(shape)}"
                           for name, shape in zip(result.names, result.expected_shapes))
        if result.shapes_ok:
            st.success(f"Shapes: right. Keras returns {answer}.", icon=":material/check_circle:")
        else:
            st.error("Shapes: not quite.\n\n" + "\n".join(f"- {rule}" for rule in result.shape_rules)
                     + f"\n\nKeras returns {answer}.", icon=":material/cancel:")
        if result.params_ok:
            st.success(f"Parameter count: right, {result.expected_params:,}.",
                       icon=":material/check_circle:")
        else:
            st.error("Parameter count: not quite.\n\n"
                     + "\n".join(f"- {rule}" for rule in result.param_rules)
                     + f"\n\nKeras counts {result.expected_params:,}.", icon=":material/cancel:")
    label = "Next question →" if index + 1 < quiz.N_QUESTIONS else "See the result"
    st.button(label, key="quiz_next", type="primary", on_click=next_question, args=(progress,))
