"""Quiz: read a Keras snippet, predict every output's shape and the parameter count."""
import streamlit as st

from ui.classroom import quiz, quiz_progress, tour
from ui.controls import keys, sidebar
from ui.controls.settings import QuizSettings

sidebar.ensure_app_navigation()
quiz_progress.ensure_seed()

st.title("Predict the shape")
tour.button("quiz")
st.markdown("Read the Keras code, then predict **every tensor `outputs` holds, in Keras's order**, "
            "and **`model.count_params()`**. The first answer to each question counts; a wrong one "
            "gets the rule it broke. (The sidebar's layer plays no part here.)")

col1, col2, col3 = st.columns([4, 2, 1], vertical_alignment="bottom")
level = sidebar.widget(QuizSettings, "quiz_level", "level", where=col1, kind="radio",
                       horizontal=True, format_func=quiz.LEVELS.get)
seed = sidebar.widget(QuizSettings, "quiz_seed", "question set (seed)", where=col2)
col3.button("New set", key="quiz_new_set", on_click=quiz_progress.new_set, disabled=sidebar.locked())
sidebar.write_query(sidebar.settings(QuizSettings))
st.caption(f"Teacher: a link with `?quiz_seed={seed}&quiz_level={level}` gives everyone these ten "
           "questions in this order (add `&lock=true` to fix them).")

progress = quiz_progress.progress_for(seed, level)
results = progress["results"]
points = sum(r.points for r in results.values())
with st.container(key="quiz_score"):
    c1, c2 = st.columns(2)
    c1.metric("Score on this set", f"{points} / {2 * len(results)}",
              help="One point for the shapes, one for the parameter count; first answers only.")
    session_points, session_possible = quiz_progress.session_score()
    c2.metric("This session", f"{session_points} / {session_possible}")
    st.progress(len(results) / quiz.N_QUESTIONS,
                text=f"{len(results)} of {quiz.N_QUESTIONS} questions answered")

index = progress["index"]
if index >= quiz.N_QUESTIONS:
    st.success(f"Set finished: {points} of {2 * quiz.N_QUESTIONS} points.", icon=":material/flag:")
    st.button("Start this set again", key="quiz_restart", on_click=quiz_progress.restart, args=(progress,))
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
                 placeholder="(2, 5, 8)\n(2, 8)", height=quiz_progress.answer_box_height(seed, level))
    st.text_input("`model.count_params()`", key="quiz_params", placeholder="1234")
    st.button("Check", key="quiz_check", type="primary", on_click=quiz_progress.check_answer,
              args=(question, progress))
if st.session_state.get(keys.QUIZ_ERROR):
    st.warning(quiz_progress.plain(st.session_state[keys.QUIZ_ERROR]), icon=":material/edit_note:")

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
    st.button(label, key="quiz_next", type="primary", on_click=quiz_progress.next_question, args=(progress,))
