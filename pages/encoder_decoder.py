"""Encoder -> decoder: seed 000's model, the encoder's final states as the decoder's initial_state."""
import numpy as np
import streamlit as st

from ui.classroom import exports, sources, tour
from ui.controls import sidebar
from ui.controls.settings import ViewSettings
from ui.drawing import diagrams, stack_figures
from ui.runtime import experiments, lab
from ui.runtime.chart import chart

cfg = sidebar.current()
current = lab.current(cfg)
x, mask = current.x, current.mask                  # (batch, T_enc, input_dim), (batch, T_enc)
batch, t_enc = x.shape[:2]
units = cfg.units

st.title("Encoder → decoder")
tour.button("encoder_decoder")
# Presenter view is a slide: it leads with the handover and the states over time; the words and
# the code follow below it (the teacher says them).
slide = st.container() if st.session_state.get("presenter") else None
st.markdown(
    f"{sources.cite('000', capital=True)} builds a sequence-to-sequence model: an **encoder** reads "
    "the source sequence and returns its final state(s) (`return_state=True`); those become "
    "the **decoder**'s initial state (`initial_state=...`) instead of zeros. The decoder starts "
    "from everything the encoder has read.")
if cfg.bidirectional or cfg.layers > 1 or cfg.stateful:
    st.info("This page uses one plain (not Bidirectional, not stateful) layer for the encoder "
            f"and one for the decoder, as {sources.cite('000')} does; the sidebar's cell, units, input and "
            "weights apply.", icon=":material/info:")

with st.expander(f"The code of {sources.cite('000')} (Keras)", expanded=False):
    st.code('''encoder_input = layers.Input(shape=(None, ))
encoder_embedded = layers.Embedding(input_dim=encoder_vocab, output_dim=64)(encoder_input)
encoder_output, state_h, state_c = layers.LSTM(64, return_sequences=False, return_state=True,
                                               name='encoder')(encoder_embedded)
encoder_state = [state_h, state_c]
decoder_input = layers.Input(shape=(None, ))
decoder_embedded = layers.Embedding(input_dim=decoder_vocab, output_dim=64)(decoder_input)
decoder_output = layers.LSTM(64, name='decoder')(decoder_embedded, initial_state=encoder_state)
output = layers.Dense(10, activation='softmax')(decoder_output)''', language="python")

t_dec = sidebar.widget(ViewSettings, "decoder_timesteps", label="decoder timesteps",
                       where=st.columns([1, 3])[0])
run = experiments.handover(cfg, x, mask, t_dec)
y, state_names, enc, dec = run.y, run.state_names, run.encoder, run.decoder
encoder_output, *states = enc.outputs              # (batch, units), then h (and c): (batch, units)
decoder_output = dec.outputs[0]                    # (batch, [T_dec,] units)

st.subheader("The same model in rnn_core")
st.code(f"""encoder = layers.{cfg.cell}({units}, return_state=True, name="encoder")
decoder = layers.{cfg.cell}({units}{", return_sequences=True" if cfg.return_sequences else ""}, name="decoder")
encoder_output, {", ".join(state_names)} = encoder(x{", mask=mask" if mask is not None else ""})
decoder_output = decoder(y, initial_state=[{", ".join(state_names)}])""", language="python")

with slide if slide is not None else st.container():
    st.subheader("The handover")
    chart(diagrams.encoder_decoder(cfg.cell, x.shape, y.shape, units, decoder_output.shape),
          key="handover")
rows = ["| tensor | shape | what it is |", "|---|---|---|",
        f"| `x` (encoder input) | `{diagrams.shape_text(x.shape)}` | the source sequence |",
        f"| `encoder_output` | `{diagrams.shape_text(encoder_output.shape)}` | the last h "
        "(return_sequences=False) |"]
rows += [f"| `{name}` | `{diagrams.shape_text(s.shape)}` | encoder's final "
         f"{'h' if name == 'state_h' else 'c (cell state)'} → decoder's "
         f"{'h₀' if name == 'state_h' else 'c₀'} |" for name, s in zip(state_names, states)]
rows += [f"| `y` (decoder input) | `{diagrams.shape_text(y.shape)}` | the target-side sequence "
         f"({sources.cite('000')}: embedded target tokens; here seeded random) |",
         f"| `decoder_output` | `{diagrams.shape_text(decoder_output.shape)}` | "
         + ("h at every decoder step |" if cfg.return_sequences else "the decoder's last h |")]
with st.container(key="ed_shapes"):
    st.markdown("\n".join(rows))
st.markdown("Each state is `(batch, units)`: the decoder must have the **same units** as the "
            "encoder" + (", and an LSTM hands over two states, h and c." if cfg.cell == "LSTM"
                         else f"; a {cfg.cell} has one state, h."))

sample = st.columns([1, 3])[0].number_input("sample", 0, batch - 1, value=0, key="ed_sample",
                                           disabled=batch == 1)
st.subheader("What does the decoder start from?")
numbers = [f"encoder final {name} [sample {sample}] {diagrams.shape_text((1, units))}:\n"
           + np.array2string(s[sample:sample + 1], precision=6, floatmode="fixed",
                             threshold=10**6, max_line_width=100)
           for name, s in zip(state_names, states)]
numbers += [f"decoder initial {name} [sample {sample}] {diagrams.shape_text((1, units))}:\n"
            + np.array2string(s[sample:sample + 1], precision=6, floatmode="fixed",
                              threshold=10**6, max_line_width=100)
            for name, s in zip(state_names, dec.initial_states)]
out = decoder_output[sample:sample + 1]  # (1, [T_dec,] units)
numbers.append(f"decoder_output [sample {sample}] {diagrams.shape_text(out.shape)}:\n"
               + np.array2string(out, precision=6, floatmode="fixed", threshold=10**6,
                                 max_line_width=100))
with st.container(key="ed_numbers"):
    st.code("\n\n".join(numbers), language="text")
same = all(np.array_equal(a, b) for a, b in zip(states, dec.initial_states))
st.markdown(f"The decoder's h₀{' and c₀' if cfg.cell == 'LSTM' else ''} **are** the encoder's "
            f"final state{'s' if cfg.cell == 'LSTM' else ''} ({'identical' if same else 'DIFFERENT'}"
            "): nothing else of the source reaches the decoder. Without `initial_state` it "
            "would start from zeros."
            + (f" With padding (`lengths={cfg.lengths}`) the encoder's final state is the one "
               "at each sample's last real step: masked steps carry it unchanged."
               if mask is not None else ""))

with slide if slide is not None else st.container():
    st.subheader("Both layers' states over time")
    series = {"h": (enc.h[sample], dec.h[sample])}
    if cfg.cell == "LSTM":
        series["c"] = (enc.c[sample], dec.c[sample])
    chart(stack_figures.encoder_decoder_states({k: v[0] for k, v in series.items()},
                                               {k: v[1] for k, v in series.items()}, sample),
          key="ed_states")
    st.caption("Left: the encoder's steps e0…; right: the decoder's d0…. The boxed column is the "
               "encoder's final state; the arrow is the handover: the decoder's first step reads it "
               "as h₀" + (" and c₀." if cfg.cell == "LSTM" else ".")
               + (" Padded encoder steps repeat the previous column." if mask is not None else ""))

st.subheader("Carrying state across sub-sequences: `stateful=True`")
st.markdown(f"{sources.cite('000', capital=True)}'s other way to hand state on: one layer, `stateful=True`, fed consecutive "
            "pieces of a long sequence; each call starts from the previous call's final state "
            "until `layer.reset_state()` (Keras 2: `reset_states()`).")
st.code("""lstm_layer = layers.LSTM(64, stateful=True)
output = lstm_layer(paragraph1)
output = lstm_layer(paragraph2)   # starts from paragraph1's final state
output = lstm_layer(paragraph3)
lstm_layer.reset_state()          # back to zeros""", language="python")
pieces = experiments.stateful_pieces(cfg, x.shape)
with st.container(key="ed_stateful"):
    st.markdown(
        f"Here, with your {cfg.cell}({units}): {pieces.pieces} stateful calls on pieces of "
        f"{t_enc} steps end where one call on all {pieces.pieces * t_enc} steps ends "
        f"(max |Δ| = **{pieces.gap:.1e}**); after `reset_state()` the next call is "
        f"the same as a fresh layer's (max |Δ| = **{pieces.after_reset:.1e}**).")
st.page_link("pages/hidden_states.py", label="More on the Hidden states page: its section "
             "'Show what stateful=True changes' plots h across the pieces, carried and reset",
             icon=":material/timeline:")
exports.panel(cfg, current, {}, decoder_timesteps=t_dec)
