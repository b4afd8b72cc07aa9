"""Training: the seed's 'hihello' character RNN trained live, then gradients vanishing, exploding
and clipped. Cell, units and seed come from the shared sidebar.

Over 120 lines: three experiments with their teaching prose, and the training run drawn live as
it goes (its progress callback draws, so it stays here); the gradient-flow runs, the staleness
key and the Keras code come from ``ui.runtime.experiments`` and ``ui.classroom.keras_code``."""
import numpy as np
import streamlit as st

from rnn_core import optimizers, training
from ui.classroom import keras_code, sources, tour
from ui.controls import keys, sidebar
from ui.controls.settings import TrainingSettings
from ui.drawing import training_figures as tf_figs
from ui.runtime import budget, experiments, guard
from ui.runtime.chart import chart

cfg = sidebar.current()

CHART_INTERVAL = 0.25  # seconds between live loss-curve redraws
T = TrainingSettings


def _write_url():
    sidebar.write_query(sidebar.settings(TrainingSettings))


def explore(name: str, label: str, **kwargs):
    """An exploration control (sampling, gradient flow): free under lock=true, which fixes the
    layer and the training setup but not what a class tries out."""
    return sidebar.widget(T, name, label, lockable=False, **kwargs)


st.title("Training")
tour.button("training")
st.markdown(
    f"{sources.cite('002', capital=True)} trains a character RNN on **hihello**: input `hihell`, target `ihello` (each character "
    "predicts the next), `SimpleRNN → TimeDistributed(Dense) → softmax`, categorical cross-entropy. "
    "Here the same model trains in NumPy: forward with the layers' `trace`, gradients by "
    "backpropagation through time (`rnn_core.backprop`), updates with Keras's own rules "
    f"(`rnn_core.optimizers`). Cell **{cfg.cell}**, **{cfg.units}** units and seed **{cfg.seed}** come "
    "from the sidebar.")

# --- settings ----------------------------------------------------------------------------------
c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
text = sidebar.widget(T, "train_text", "Text to learn (next-character prediction)", where=c1)
depth = sidebar.widget(T, "train_depth", "stacked layers", where=c2)
opt_name = sidebar.widget(T, "train_optimizer", "optimizer", where=c3)
lr = sidebar.widget(T, "train_lr", "learning rate", where=c4, kind="select_slider")
c1, c2, c3, c4, c5 = st.columns(5)
epochs = sidebar.widget(T, "train_epochs", "epochs", where=c1, step=100)
every = sidebar.widget(T, "train_every", "update every N epochs", where=c2,
                       help="progress and the prediction log update every N epochs; the loss "
                            "curve redraws at most 4 times a second")
clip = sidebar.widget(T, "train_clip", "global_clipnorm (0 = off)", where=c3, kind="select_slider")
truncate = sidebar.widget(T, "train_truncate", "truncated BPTT k (0 = full)", where=c4)
decay = sidebar.widget(T, "train_decay", "lr decay", where=c5,
                       help="keras.optimizers.schedules.ExponentialDecay(lr, decay_steps=100, "
                            "decay_rate=0.9)")
_write_url()

try:
    vocab = training.SEED_VOCAB if text == "hihello" else None  # the seed's ids: [2 0 4 4 3] hello
    data = training.char_dataset(text, vocab=vocab, seq_len=40 if len(text) > 41 else None)
except ValueError as err:
    st.error(f"Cannot train on this text: {err}")
    st.stop()

settings = experiments.training_key(cfg, sidebar.settings(T))  # what the trained model depends on
result = st.session_state.get(keys.TRAIN_RESULT)
# Training starts by itself on the first visit only; afterwards it waits for the button, so a
# sidebar change does not silently spend a second retraining.
# on_click runs before the script and survives a st.rerun() in the same run; the button's own
# True does not (ui.controls.sidebar.ensure_app_navigation may rerun, e.g. under AppTest).
st.button("Train", key="train_run", type="primary", on_click=st.session_state.update,
          kwargs={keys.TRAIN_REQUESTED: True},
          help="Initialise the weights (seed from the sidebar) and watch the model train")
train_now = st.session_state.pop(keys.TRAIN_REQUESTED, False)
# Always the same slot: a notice that comes and goes must not shift the elements below it, or
# the browser rebuilds every chart after it (a moved element is a new element to Streamlit).
stale_notice = st.empty()
if result is not None and result["settings"] != settings and not train_now:
    stale_notice.info("The settings changed since this model was trained: press **Train** to train "
                      "with them. Below: the previous run.", icon=":material/info:")


def _ids_line(ids) -> str:
    return f"{np.array2string(np.asarray(ids), separator=' ', max_line_width=10**6)} {data.decode(ids)}"


def _labelled(label: str, ids) -> str:
    return f"{label:<26}{_ids_line(ids)}"  # lines up with "epoch  1000  loss 0.0012  "


if result is None or train_now:
    try:  # sized before the first epoch: one run may not hold the shared cores for minutes
        budget.check_training(cfg.cell, cfg.units, depth, data.vocab_size, *data.x_ids.shape, epochs)
    except budget.BudgetError as err:
        st.error(str(err), icon=":material/timer_off:")
        if result is None:
            st.stop()
        train_now = False
if result is None or train_now:
    model = training.CharModel(data.vocab_size, cfg.cell, units=cfg.units, depth=depth, seed=cfg.seed)
    schedule = optimizers.ExponentialDecay(lr, decay_steps=100, decay_rate=0.9) if decay else lr
    optimizer = optimizers.get(opt_name, learning_rate=schedule,
                               global_clipnorm=clip if clip > 0 else None)
    progress = st.progress(0.0, text="training…")
    live_chart, live_log = st.empty(), st.empty()
    log, drawn = [], [-1.0]

    def on_epochs(epoch, history):
        pred = history.predictions[-1][0]
        log.append(f"epoch {epoch:>5}  loss {history.loss[-1]:.4f}  {_ids_line(pred)}")
        progress.progress(epoch / epochs, text=f"epoch {epoch}/{epochs} · {history.seconds:.2f} s")
        # A Plotly figure costs ~25 ms to build and send: redraw the curve at most 4 times a second.
        if history.seconds - drawn[0] >= CHART_INTERVAL:
            drawn[0] = history.seconds
            with live_chart:  # a new element per redraw: one key may appear only once a run
                chart(tf_figs.loss_curve(history.loss, history.accuracy, epochs),
                      key=f"train_live_{epoch}")
        live_log.code("\n".join(log[-8:] + [_labelled("target", data.y_ids[0])]), language=None)

    history = training.train(model, data, optimizer, epochs, callback=on_epochs, every=every,
                             truncate=truncate or None,
                             max_seconds=budget.HARD_STOP_FACTOR * budget.SECONDS_PER_REQUEST)
    if history.stopped:
        st.warning(f"Training stopped after {len(history.loss):,} of {epochs:,} epochs: this server "
                   f"allows {budget.SECONDS_PER_REQUEST:.0f} s per training run.")
    progress.empty()
    live_chart.empty()
    live_log.empty()
    result = {"settings": settings, "model": model, "history": history, "log": log}
    st.session_state[keys.TRAIN_RESULT] = result

model, history = result["model"], result["history"]
with st.expander("The same model and training in Keras"):
    st.code(keras_code.training_code(cfg, sidebar.settings(T), data.vocab_size), language="python")
    st.caption(f"{sources.cite('002', capital=True)} ends with `Activation('softmax')` and `categorical_crossentropy`: the same "
               "loss, computed from probabilities instead of logits. The tests train this Keras model "
               "with `train_on_batch` from the same weights and check every weight after 15 steps.")

st.subheader("Loss per epoch")
chart(tf_figs.loss_curve(history.loss, history.accuracy, len(history.loss),
                                   history.learning_rate), key="loss_curve")
pred = history.predictions[-1][0]
st.caption(f"{len(history.loss)} epochs in {history.seconds:.2f} s "
           f"({1000 * history.seconds / len(history.loss):.2f} ms per epoch, live updates included) · "
           f"{model.count_params()} parameters · final loss {history.loss[-1]:.4f} · "
           f"accuracy {history.accuracy[-1]:.0%}")
with st.expander("Gradient norm per epoch (what global_clipnorm caps)"):
    chart(tf_figs.grad_norm_curve(history.grad_norm, clip if clip > 0 else None), key="grad_norm")
    if clip > 0:
        clipped = float(np.mean(np.asarray(history.grad_norm) > clip))
        st.caption(f"Clipped in {clipped:.0%} of the epochs: there every gradient was scaled down "
                   f"together to a global norm of {clip:g} before the optimizer used it.")
with st.container(key="train_prediction"):
    st.code("\n".join(result["log"][-5:]
                      + [_labelled("input", data.x_ids[0]), _labelled("target", data.y_ids[0]),
                         _labelled("model", pred)]), language=None)
st.caption(f"As {sources.cite('002')} prints after `rnn.predict`: the class ids (argmax of each timestep's "
           "softmax) and the characters they stand for. Vocabulary: "
           + ", ".join(f"`{c}`→{k}" for k, c in enumerate(data.vocab)))

st.subheader("Final softmax per timestep")
window = 0
if data.x_ids.shape[0] > 1:
    st.session_state["train_window"] = min(st.session_state["train_window"], data.x_ids.shape[0] - 1)
    window = st.number_input(f"window (the text is cut into {data.x_ids.shape[0]} overlapping "
                             "windows of 40)", 0, data.x_ids.shape[0] - 1, key="train_window")
probs = model.predict_proba(data.one_hot(data.x_ids[window:window + 1]))[0]  # (timesteps, vocab)
chart(tf_figs.softmax_table(probs, data.vocab, data.decode(data.x_ids[window]),
                                      data.decode(data.y_ids[window])), key="softmax_table")
with st.expander("The numbers (what `rnn.predict(x_hot)` prints)"):
    st.dataframe({f"{k}:{c}": probs[:, k] for k, c in enumerate(data.vocab)})


def _next_draw():
    st.session_state[keys.TRAIN_DRAW] += 1  # a new sampling seed


@st.fragment
@guard.guarded
def sampling():
    st.subheader("Sampling with temperature")
    st.markdown("Feed a prefix, draw the next character from `softmax(logits / T)`, feed it back. "
                "Low T → always the most likely character; T = 1 → the model's own distribution; "
                "high T → ever closer to uniform.")
    c1, c2, c3 = st.columns([2, 1, 1])
    temperature = explore("train_temperature", "temperature T", where=c1, kind="slider",
                          step=0.05)
    seen = st.session_state.get(keys.TRAIN_PREFIX_VOCAB)
    st.session_state[keys.TRAIN_PREFIX_VOCAB] = data.vocab
    if seen is not None and seen != data.vocab:
        st.session_state["train_prefix"] = data.text[0]  # a new text: start from its first character
    prefix = explore("train_prefix", "prefix", where=c2)
    length = explore("train_length", "characters", where=c3)
    _write_url()
    st.session_state.setdefault(keys.TRAIN_DRAW, 0)
    st.button("Draw again", key="train_draw", on_click=_next_draw)
    draw = st.session_state[keys.TRAIN_DRAW]
    # Sampling is deterministic given the trained model and these inputs: remember the draws
    # with the model, so a sidebar change does not re-run 30 forward passes (~20 ms).
    samples = result.setdefault("samples", {})
    args = (prefix, int(length), temperature, draw)
    try:
        if args not in samples:
            if len(samples) >= 64:  # a temperature sweep should not grow it without end
                samples.clear()
            samples[args] = training.sample(model, data, prefix, int(length), temperature, seed=draw)
    except ValueError as err:
        st.error(f"Cannot sample: {err}")
        return
    sampled, dists = samples[args]
    with st.container(key="train_sample"):
        st.code(prefix + sampled, language=None)
    chart(tf_figs.sample_distributions(dists, data.vocab, sampled, temperature),
                    key="sample_distributions")


sampling()


@st.fragment
@guard.guarded
def gradient_flow():
    st.header("Gradient flow: vanishing, exploding, clipped")
    st.markdown(
        "A task that needs memory: **recall the first symbol after T steps** (x₀ is one of 4 symbols, "
        "every later step a blank; only the last step is scored). BPTT carries ∂L/∂h_t back from the "
        "loss one step at a time, multiplying by the step's Jacobian ∂h_t/∂h_{t−1} each time, so what "
        "reaches t = 0 is a product of T factors: it shrinks or grows geometrically. Untrained "
        "networks with Keras's initial weights, the same seed for all three cells.")
    c1, c2, c3, c4, c5 = st.columns(5)
    timesteps = explore("gf_timesteps", "timesteps T", where=c1, kind="slider")
    units = explore("gf_units", "units", where=c2, kind="slider",
                    help="this experiment's own size (the sidebar's cell is highlighted)")
    scale = explore("gf_scale", "recurrent-weight scale", where=c3, kind="slider",
                    step=0.05, help="multiplies the orthogonal recurrent_kernel; > 1 makes "
                                    "SimpleRNN explode")
    gate = explore("gf_gate", "gate bias (LSTM forget, GRU update)", where=c4,
                   kind="select_slider",
                   help="the bias of the gate that keeps the old state; Keras starts the "
                        "LSTM forget gate at 1 (unit_forget_bias) and the GRU update gate at 0")
    clipnorm = explore("gf_clip", "global_clipnorm (0 = off)", where=c5,
                       kind="select_slider")
    gate_bias = None if gate == "Keras init" else float(gate)
    _write_url()  # a fragment rerun skips the page-level call
    try:
        budget.check_gradient_flow(timesteps, units)
        flows = experiments.gradient_flows(timesteps, units, scale, clipnorm or None, cfg.seed, gate_bias)
    except ValueError as err:
        st.error(f"Cannot measure the gradient flow: {err}")
        return
    col1, col2 = st.columns(2)
    with col1:
        chart(tf_figs.gradient_norms({c: f.dL_dh for c, f in flows.items()},
                                     "‖∂L/∂h_t‖: gradient reaching each step",
                                     "‖∂L/∂h_t‖ (batch mean)", highlight=cfg.cell), key="gf_dl_dh")
    with col2:
        chart(tf_figs.gradient_norms({c: f.dhT_dx for c, f in flows.items()},
                                     "‖∂h_T/∂x_t‖: how much the last state depends on x_t",
                                     "‖∂h_T/∂x_t‖_F (batch mean)", highlight=cfg.cell), key="gf_dh_dx")
    with st.container(key="gf_summary"):
        st.markdown(" · ".join(
            f"**{c}**: ‖∂L/∂h_0‖ / ‖∂L/∂h_T‖ = {f.dL_dh[0] / f.dL_dh[-1]:.1e}" for c, f in flows.items()))
    st.markdown(
        "What to try: **scale** below 1 and SimpleRNN's gradient vanishes like scale^T, above ~1.2 it "
        "explodes (earlier steps get *more* gradient than the last); Keras's orthogonal initializer "
        "starts it right at the edge. LSTM and GRU hardly move with the scale — their sigmoid gates "
        "bound each factor — but at their initial biases they forget quickly too: an LSTM's "
        "gradient through c_t is multiplied by the forget gate f_t ≈ σ(1) ≈ 0.73 per step, a GRU's "
        "through h_t by the update gate z ≈ σ(0) = 0.5. Raise the **gate bias**: a gate held near 1 "
        "passes the gradient back almost untouched. Training can learn exactly that; a SimpleRNN "
        "has no gate to learn it with.")

    st.subheader(f"Watch ∂L/∂h_t travel back in time ({cfg.cell})")
    chart(experiments.gradient_step_through(flows[cfg.cell].d_h[0], cfg.cell), key="gf_step_through")
    st.caption("Columns are BPTT steps: column k holds ∂L/∂h_t for t = T−1−k, so frame k shows the "
               "gradient after k+1 steps back from the loss (one sample, each unit a row, values divided "
               "by the largest). Press ▶ Play: in a SimpleRNN with a small scale the colours fade out.")

    st.subheader("Exploding gradients and clipping")
    scales = np.round(np.linspace(0.25, 3.0, 12), 2)
    sweep = experiments.scale_sweep(tuple(scales), timesteps, units, cfg.seed, gate_bias)
    col1, col2 = st.columns(2)
    with col1:
        chart(tf_figs.scale_sweep(scales, sweep, scale, clipnorm or None, highlight=cfg.cell),
              key="gf_sweep")
    with col2:
        chart(tf_figs.clipping_bars(list(flows), [f.grad_norm for f in flows.values()],
                                    [f.clipped_norm for f in flows.values()], clipnorm or None, 0.1),
              key="gf_clipping")
    st.caption(f"`global_clipnorm=c` (Keras; `tf.clip_by_global_norm` in {sources.cite('003')}) rescales *all* "
               "gradients together by c / max(‖g‖, c): the step keeps its direction, only its length "
               "is capped — a blown-up gradient can no longer throw the weights far away.")


gradient_flow()
