"""RNN Lab: `streamlit run app.py`. One shared config in the sidebar, one page per question.

Streamlit runs this file as ``__main__``. The cross-check worker's spawn imports it again as
``__mp_main__`` (multiprocessing's safe-import rule): there it must build nothing, hence ``main``.
"""
def main() -> None:
    import streamlit as st

    from ui.runtime import chart

    # Emoji icons: Streamlit draws them inline, where a :material/…: page icon makes every
    # browser fetch the favicon from fonts.gstatic.com (a classroom network may not reach it).
    st.set_page_config(page_title="RNN Lab", page_icon="🧠", layout="wide")
    chart.preload()  # plotly.js downloads while the rest is imported and the page computes

    from ui.classroom import view  # after the preload, on purpose
    from ui.controls import sidebar
    from ui.runtime import guard, status

    pages = [
        st.Page("pages/home.py", title="Home", icon="🏠", url_path="", default=True),
        st.Page("pages/shapes.py", title="Shapes", icon="🧊", url_path="shapes"),
        st.Page("pages/parameters.py", title="Parameters", icon="🔢",
                url_path="parameters"),
        st.Page("pages/hidden_states.py", title="Hidden states", icon="📈",
                url_path="hidden_states"),
        st.Page("pages/gates.py", title="Gates", icon="🎛️", url_path="gates"),
        st.Page("pages/encoder_decoder.py", title="Encoder → decoder", icon="🔁",
                url_path="encoder_decoder"),
        st.Page("pages/cross_check.py", title="Cross-check", icon="✅",
                url_path="cross_check"),
        st.Page("pages/training.py", title="Training", icon="🎓", url_path="training"),
        st.Page("pages/quiz.py", title="Quiz", icon="❓", url_path="quiz"),
    ]

    page = st.navigation(pages)
    sidebar.apply_query_params()
    cfg = sidebar.sidebar()
    view.apply()
    for warning in sidebar.url_warnings(cfg):
        st.warning(warning, icon=":material/link_off:")
    submit_crosschecks = status.after_page()
    try:
        with guard.last_resort(f"page {page.url_path!r}"):
            page.run()
    finally:  # also after st.stop(): the page has been drawn, now start its cross-check
        submit_crosschecks()

if __name__ == "__main__":
    main()
