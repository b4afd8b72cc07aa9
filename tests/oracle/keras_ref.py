"""What real Keras computes for a page's settings: every state, at every step, of every layer
and direction, keyed the way a hover label names it.

The Keras layers are built here from the settings (cell, units, flags, merge_mode, stacking,
Masking), not from our layer's config; our layers give only their weights (``get_weights``,
an input like x). States per step: each Keras cell (``layer.cell``) is called step by step on
what the Keras layer below returned, and a masked step keeps the previous states, as
``keras.ops.rnn`` does; that hand loop is checked against the Keras layers' own
``return_sequences`` outputs before it is used.

Gates: Keras does not expose gate activations. They are computed here in NumPy with the
textbook equations (below, written for this test) from the Keras cell's own weights, the
input x_t and Keras's h_{t−1} (c_{t−1}): an oracle independent of ``rnn_core``, which computes
them in its own code.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from oracle.labels import Reading

ATOL = 6e-5  # a label prints 4 decimals (±5e-5), Keras computes in float32


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


ACT = {"tanh": np.tanh, "sigmoid": _sigmoid, "relu": lambda v: np.maximum(v, 0.0),
       "linear": lambda v: v, "hard_sigmoid": lambda v: np.clip(v / 6.0 + 0.5, 0.0, 1.0)}


def textbook_gates(cell_name: str, weights: list[np.ndarray], x_t, states, cfg) -> dict:
    """Gate activations at one step from Keras's weights and Keras's previous states (float64).

    LSTM (Hochreiter & Schmidhuber, Keras column order i, f, c, o):
        z = x_t·W + h_{t−1}·U + b;  i = σ(z_i), f = σ(z_f), c̃ = tanh(z_c), o = σ(z_o)
    GRU (Cho et al.; Keras order z, r, h), reset_after=True:
        z = σ(x·W_z + b_z + h·U_z + b'_z), r = σ(x·W_r + b_r + h·U_r + b'_r),
        h̃ = tanh(x·W_h + b_h + r ⊙ (h·U_h + b'_h));
    reset_after=False: h̃ = tanh(x·W_h + (r ⊙ h)·U_h + b_h).
    """
    act, rec = ACT[cfg.activation], ACT[cfg.recurrent_activation]
    kernel, recurrent = (w.astype(np.float64) for w in weights[:2])
    bias = weights[2].astype(np.float64) if len(weights) > 2 else None
    x_t = np.asarray(x_t, np.float64)
    h = np.asarray(states[0], np.float64)                        # (batch, units)
    units = h.shape[-1]
    if cell_name == "LSTM":
        z = x_t @ kernel + h @ recurrent + (0.0 if bias is None else bias)  # (batch, 4·units)
        zi, zf, zc, zo = (z[:, k * units:(k + 1) * units] for k in range(4))
        return {"input": rec(zi), "forget": rec(zf), "candidate": act(zc), "output": rec(zo)}
    if cell_name == "GRU":
        if cfg.reset_after:
            b_in, b_rec = (bias[0], bias[1]) if bias is not None else (0.0, 0.0)
            xz = x_t @ kernel + b_in                             # (batch, 3·units)
            hz = h @ recurrent + b_rec
            z = rec(xz[:, :units] + hz[:, :units])
            r = rec(xz[:, units:2 * units] + hz[:, units:2 * units])
            cand = act(xz[:, 2 * units:] + r * hz[:, 2 * units:])
        else:
            xz = x_t @ kernel + (0.0 if bias is None else bias)
            z = rec(xz[:, :units] + h @ recurrent[:, :units])
            r = rec(xz[:, units:2 * units] + h @ recurrent[:, units:2 * units])
            cand = act(xz[:, 2 * units:] + (r * h) @ recurrent[:, 2 * units:])
        return {"update": z, "reset": r, "candidate": cand}
    return {}


def step_by_hand(rnn, cfg, x: np.ndarray, mask: np.ndarray | None,
                 initial_states: list | None = None) -> dict:
    """A Keras recurrent layer's cell called step by step on x (batch, T, features), in the
    layer's processing order (``rnn.go_backwards``); masked steps keep the states.

    Returns arrays (batch, T, units) in processing order: "h", "c" (LSTM), each gate, and
    "steps": the time index read at each step."""
    batch, timesteps, _ = x.shape
    units = rnn.cell.units
    n_states = 2 if cfg.cell == "LSTM" else 1
    states = ([np.asarray(s, np.float32) for s in initial_states] if initial_states is not None
              else [np.zeros((batch, units), np.float32) for _ in range(n_states)])
    order = list(range(timesteps))[::-1] if rnn.go_backwards else list(range(timesteps))
    weights = [np.asarray(w) for w in rnn.cell.get_weights()]
    out = {"h": [], "c": [], "steps": order}
    for t in order:
        x_t = x[:, t].astype(np.float32)
        for name, value in textbook_gates(cfg.cell, weights, x_t, states, cfg).items():
            out.setdefault(name, []).append(value)
        _, new = rnn.cell(x_t, states if n_states > 1 else [states[0]], training=False)
        new = [np.asarray(s) for s in (new if isinstance(new, (list, tuple)) else [new])]
        if mask is not None:
            keep = mask[:, t][:, None]                           # (batch, 1)
            new = [np.where(keep, n, s) for n, s in zip(new, states)]
        states = new
        out["h"].append(states[0])
        if n_states > 1:
            out["c"].append(states[1])
    return {k: (np.stack(v, axis=1) if k != "steps" and len(v) else v) for k, v in out.items()}


@dataclasses.dataclass
class Reference:
    """Keras's numbers for one configuration, looked up by what a label says."""
    cfg: object
    timesteps: int
    states: dict      # (layer, direction) -> step_by_hand dict
    merged: dict      # layer -> (batch, T, merged units) Keras's merged sequence, time order
    notes: dict       # note -> (layer, direction) states of a compared run (stateful chart)

    def value(self, r: Reading) -> float:
        """Keras's value for what the reading's label names (KeyError: nothing of that name)."""
        if r.direction == "merged":
            if r.quantity != "h_t" or r.order != "time":
                raise KeyError(f"merged {r.quantity} {r.order}")
            return float(self.merged[r.layer][r.sample, r.index, r.unit])
        key = (r.layer, r.direction)
        run = self.states[key] if r.note in ("", "final state") else self.notes[r.note]
        quantity = {"h_t": "h", "c_t": "c"}.get(r.quantity, r.quantity)
        values = run[quantity]                                   # (batch, T, units) processing
        step = r.index
        if r.order == "time":  # position in the sequence Keras returns: backward re-reversed
            step = values.shape[1] - 1 - r.index if r.direction == "backward" else r.index
        if r.note == "final state" and step != values.shape[1] - 1:
            raise KeyError(f"final state at step {step}")
        return float(values[r.sample, step, r.unit])


def check(readings: list[Reading], ref: Reference) -> list[str]:
    """Every reading whose number is not Keras's, or whose label names nothing Keras has."""
    wrong = []
    for r in readings:
        try:
            expected = ref.value(r)
        except (KeyError, IndexError) as err:
            wrong.append(f"{r.where}: {r.text!r} names nothing Keras computed ({err})")
            continue
        if not abs(expected - r.value) <= ATOL:
            wrong.append(f"{r.where}: {r.text!r} but Keras has {expected:.6f}")
    return wrong


# --- building the Keras twin --------------------------------------------------------------------
def _rnn(keras, cfg, return_sequences, **extra):
    kwargs = dict(return_sequences=return_sequences, go_backwards=cfg.go_backwards,
                  activation=cfg.activation, use_bias=cfg.use_bias, **extra)
    if cfg.cell != "SimpleRNN":
        kwargs["recurrent_activation"] = cfg.recurrent_activation
    if cfg.cell == "GRU":
        kwargs["reset_after"] = cfg.reset_after
    return getattr(keras.layers, cfg.cell)(cfg.units, **kwargs)


def _mask(keras, x):
    return np.asarray(keras.layers.Masking(0.0).compute_mask(x))  # (batch, T) True = real


def stack_reference(keras, cfg, x: np.ndarray, ours_model) -> Reference:
    """Keras's [Masking] + stack for ``cfg`` with ``ours_model``'s weights, on x."""
    mask = _mask(keras, x) if cfg.valid_lengths() else None
    ours = [layer for layer in ours_model.layers if layer.directions]
    states, merged = {}, {}
    h = x.astype(np.float32)
    for i, layer in enumerate(ours):
        # every layer returns its sequence here: the next one reads it, and the merged chart shows it
        if cfg.bidirectional:
            klayer = keras.layers.Bidirectional(_rnn(keras, cfg, True), merge_mode=cfg.merge)
            split = keras.layers.Bidirectional(_rnn(keras, cfg, True), merge_mode=None)
        else:
            klayer, split = _rnn(keras, cfg, True), None
        klayer.build(h.shape)
        klayer.set_weights(layer.get_weights())
        out = klayer(h, mask=mask)
        out = [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]
        if cfg.bidirectional:
            fw = step_by_hand(klayer.forward_layer, cfg, h, mask)
            bw = step_by_hand(klayer.backward_layer, cfg, h, mask)
            states[(i + 1, "forward")], states[(i + 1, "backward")] = fw, bw
            split.build(h.shape)
            split.set_weights(layer.get_weights())
            seq_fw, seq_bw = (np.asarray(o) for o in split(h, mask=mask))
            real = mask if mask is not None else np.ones(h.shape[:2], bool)
            # the hand loop is Keras's: forward position t = step t, backward re-reversed
            # (Keras zeroes masked positions: compare the real ones)
            np.testing.assert_allclose(seq_fw[real[:, fw["steps"]]], fw["h"][real[:, fw["steps"]]],
                                       atol=1e-6)
            bw_pos = bw["h"][:, ::-1]
            real_bw = real[:, bw["steps"]][:, ::-1]
            np.testing.assert_allclose(seq_bw[real_bw], bw_pos[real_bw], atol=1e-6)
            if cfg.merge is not None:
                merged[i + 1] = out[0]
        else:
            one = step_by_hand(klayer, cfg, h, mask)
            states[(i + 1, "forward")] = one
            np.testing.assert_allclose(out[0], one["h"], atol=1e-6)  # carried at masked steps
        h = out[0] if cfg.merge is not None or not cfg.bidirectional else None
        if h is None:
            break  # merge_mode=None: only a single (top) layer
    return Reference(cfg, x.shape[1], states, merged, {})


def stateful_runs(keras, cfg, chunks: list[np.ndarray], weights) -> dict:
    """The /hidden_states stateful chart in Keras: one stateful layer called on each chunk
    (state carried) and a plain one per chunk (reset), h over all the chunks' steps."""
    runs = {}
    for note, stateful in (("state carried (stateful=True)", True), ("state reset each batch", False)):
        layer = _rnn(keras, cfg, True, stateful=stateful)
        layer.build((chunks[0].shape[0],) + chunks[0].shape[1:])
        layer.set_weights(weights)
        hs = [np.asarray(layer(chunk)) for chunk in chunks]      # each (batch, T, units)
        runs[note] = {"h": np.concatenate(hs, axis=1), "steps": list(range(sum(c.shape[1] for c in chunks)))}
    return runs


def encoder_decoder_reference(keras, cfg, x, y, encoder, decoder) -> Reference:
    """Seed 000's pair in Keras with the page's weights: encoder states on x (masked), decoder
    states on y from the encoder's final states."""
    mask = _mask(keras, x) if cfg.valid_lengths() else None
    plain = dataclasses.replace(cfg, go_backwards=False)
    kenc = _rnn(keras, plain, False, return_state=True)
    kenc.build(x.shape)
    kenc.set_weights(encoder.get_weights())
    _, *final = kenc(x, mask=mask)
    enc = step_by_hand(kenc, plain, x, mask)
    for k, name in enumerate(["h", "c"][:len(final)]):
        np.testing.assert_allclose(enc[name][:, -1], np.asarray(final[k]), atol=1e-6)
    kdec = _rnn(keras, plain, True)
    kdec.build(y.shape)
    kdec.set_weights(decoder.get_weights())
    dec = step_by_hand(kdec, plain, y, None, initial_states=[np.asarray(s) for s in final])
    np.testing.assert_allclose(np.asarray(kdec(y, initial_state=final)), dec["h"], atol=1e-6)
    return Reference(cfg, x.shape[1], {("encoder", "forward"): enc, ("decoder", "forward"): dec},
                     {}, {})


# --- /training's gradient-flow lab ------------------------------------------------------------------
def gradient_flow(keras, tf, weights: list[np.ndarray], dense: list[np.ndarray], x: np.ndarray,
                  y: np.ndarray, cell: str) -> tuple[np.ndarray, np.ndarray]:
    """(‖∂L/∂h_t‖ per step, ‖∂h_T/∂x_t‖ per step), batch means, with TensorFlow's GradientTape.

    Keras's own cell (``keras.layers.<cell>Cell``) is stepped over x (batch, T, features) from
    zero states with ``weights``; the loss is sparse cross-entropy of ``dense`` on the last h.
    h_t is the state after step t."""
    batch, timesteps, features = x.shape
    units = weights[1].shape[0]
    kcell = getattr(keras.layers, f"{cell}Cell")(units, dtype="float64")
    kcell.build((None, features))
    kcell.set_weights(weights)
    kx = tf.constant(x)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(kx)
        states = [tf.zeros((batch, units), tf.float64)] * (2 if cell == "LSTM" else 1)
        hs = []
        for t in range(timesteps):
            h, states = kcell(kx[:, t], states)
            states = list(states) if isinstance(states, (list, tuple)) else [states]
            hs.append(h)                                         # (batch, units)
        logits = tf.matmul(h, dense[0]) + dense[1]               # (batch, n_symbols)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")(y, logits)
    d_h = tape.gradient(loss, hs)                                # T × (batch, units)
    dL_dh = np.array([np.linalg.norm(np.asarray(g), axis=-1).mean() for g in d_h])  # (T,)
    jac = np.asarray(tape.batch_jacobian(h, kx))                 # (batch, units, T, features)
    dhT_dx = np.sqrt((jac ** 2).sum(axis=(1, 3))).mean(axis=0)   # (T,)
    return dL_dh, dhT_dx
