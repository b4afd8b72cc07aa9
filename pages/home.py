"""Home: what goes into a recurrent layer, and which input/output pattern your flags draw."""

import streamlit as st

from ui.classroom import sources, tour
from ui.controls import sidebar
from ui.drawing import diagrams
from ui.runtime import lab, status
from ui.runtime.chart import chart

cfg = sidebar.current()
current = lab.current(cfg)
batch, timesteps, features = current.x.shape

st.title("RNN Lab")
tour.button("home")
st.markdown("Make recurrent networks visible: pick a cell and its Keras flags in the sidebar and "
            "every page follows. All numbers come from **rnn_core**, a NumPy mirror of Keras 3, "
            "and TensorFlow checks them live.")
status.live_status(current)

st.subheader(f"Your input x: {diagrams.shape_text(current.x.shape)}")
st.markdown(f"A recurrent layer reads a 3-D tensor `(batch_size, timesteps, input_dim)`: "
            f"**{batch}** sequence{'s' if batch > 1 else ''}, each **{timesteps}** steps long, "
            f"each step a vector of **{features}** features ({sources.cite('001')} calls it "
            f"`(samples, timesteps, word_dim)`). Drawn to scale, one cube per number; the front "
            f"face shows sample 0's values.")
chart(diagrams.input_tensor(current.x), key="input_tensor")

pattern = diagrams.current_pattern(cfg.return_sequences)
st.subheader(f"Unrolled in time: your layer is **{pattern}**")
chart(diagrams.unrolled_patterns(timesteps, pattern, cfg.go_backwards),
                key="unrolled_patterns")
explain = {
    "many-to-one": "`return_sequences=False` (the Keras default): the layer reads every x_t but "
                   "returns only the last hidden state, shape `(batch_size, units)` — e.g. "
                   "classifying a whole sentence.",
    "many-to-many": "`return_sequences=True`: the layer returns h_t for every timestep, shape "
                    "`(batch_size, timesteps, units)` — e.g. tagging each word, or feeding "
                    "another recurrent layer.",
}
st.markdown(explain[pattern] + " **One-to-many** (one input, a sequence out — e.g. generating "
            "text from a start token) is not a flag: it is a decoder that feeds its own output "
            f"back in, step by step, as the hihello model in {sources.cite('002')} does.")
if cfg.go_backwards:
    st.info("`go_backwards=True`: the layer reads x from the last timestep to the first.")

st.subheader("What each page teaches")
pages = [
    ("pages/shapes.py", "Shapes", "what comes out of the layer, in Keras's order, and why; "
     "weight shapes; the exact Keras code"),
    ("pages/parameters.py", "Parameters", "where every parameter comes from, as a formula; "
     "rebuild the models of the tutorials listed under Sources below"),
    ("pages/hidden_states.py", "Hidden states", "h_t step by step: chart and equations with that step's "
     "numbers on one step; Bidirectional and stateful layers"),
    ("pages/gates.py", "Gates", "what LSTM's input/forget/output gates and GRU's update/reset "
     "gates do at each step, and when they saturate"),
    ("pages/encoder_decoder.py", "Encoder → decoder", "the encoder's final state becomes the "
     "decoder's initial_state; stateful=True over sub-sequences"),
    ("pages/cross_check.py", "Cross-check", "NumPy vs TensorFlow on the same weights: every "
     "output and every step; device, versions, timings"),
    ("pages/training.py", "Training", "train the hihello character model and watch "
     "gradients vanish, explode and get clipped"),
    ("pages/quiz.py", "Quiz", "predict the output shapes and the parameter count of a Keras "
     "snippet; a wrong answer gets the rule it broke"),
]
for path, title, text in pages:
    st.page_link(path, label=f"**{title}** — {text}")

st.subheader("Sources", anchor="sources")
st.markdown("The tutorials this app follows, and reproduces with the same numbers. The pages cite "
            "them by name and by their seed number:")
with st.container(key="sources"):
    st.markdown(sources.markdown_list())
