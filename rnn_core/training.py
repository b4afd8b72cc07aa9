"""Training a character RNN (the 'hihello' seed) and measuring how gradients flow back in time.

The model is the seed's: [stacked recurrent layers] -> TimeDistributed(Dense(vocab)) -> softmax,
trained on next-character prediction with categorical cross-entropy. Forward passes are the
layers' own ``trace``; gradients come from ``rnn_core.backprop``; updates from
``rnn_core.optimizers`` — the same three pieces Keras's ``fit`` runs.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import _checks, activations, backprop, layers, optimizers

__all__ = [
    "SEED_VOCAB",
    "CharDataset",
    "char_dataset",
    "CharModel",
    "History",
    "train",
    "sample",
    "memory_task",
    "GradientFlow",
    "gradient_flow",
]

CELLS = layers.CELLS
# The seed's char_dic for "hihello" ({'e': 0, 'i': 1, 'h': 2, 'o': 3, 'l': 4}): with it the
# trained model prints the seed's own line `[2 0 4 4 3] hello`.
SEED_VOCAB = "eihol"


@dataclass
class CharDataset:
    """Next-character prediction: input ``text[i:i+T]``, target ``text[i+shift:i+shift+T]``."""

    text: str
    vocab: str  # vocab[k] is the character with id k
    x_ids: np.ndarray  # (batch, timesteps) int
    y_ids: np.ndarray  # (batch, timesteps) int

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def one_hot(self, ids: np.ndarray, dtype="float32") -> np.ndarray:
        """(batch, timesteps) ids -> (batch, timesteps, vocab) one-hot, like ``to_categorical``."""
        return np.eye(self.vocab_size, dtype=dtype)[ids]

    def decode(self, ids) -> str:
        return "".join(self.vocab[int(i)] for i in np.ravel(ids))

    def encode(self, chars: str) -> np.ndarray:
        missing = sorted(set(chars) - set(self.vocab))
        if missing:
            _checks.fail("text", "".join(missing), f"characters from the training text {self.vocab!r}")
        return np.array([self.vocab.index(c) for c in chars], dtype=np.int64)


def char_dataset(text: str, vocab: str | None = None, seq_len: int | None = None, shift: int = 1) -> CharDataset:
    """Windows of ``text`` for next-character training.

    vocab: characters in id order (default: sorted unique characters of ``text``).
    seq_len: window length (default: the whole text minus ``shift``, one sequence like the seed);
    longer texts are cut into windows of seq_len that overlap by half.
    shift: how far ahead the target is (1: "hihell" -> "ihello").
    """
    if not isinstance(text, str) or len(text) < 2:
        _checks.fail("text", text, "a string of at least 2 characters")
    shift = _checks.positive_int("shift", shift)
    if shift >= len(text):
        _checks.fail("shift", shift, f"less than the text length {len(text)}")
    if vocab is None:
        vocab = "".join(sorted(set(text)))
    elif not isinstance(vocab, str) or len(set(vocab)) != len(vocab) or set(text) - set(vocab):
        _checks.fail("vocab", vocab, "a string of distinct characters covering every character of text")
    ids = np.array([vocab.index(c) for c in text], dtype=np.int64)  # (len(text),)
    full = len(text) - shift
    seq_len = full if seq_len is None else min(_checks.positive_int("seq_len", seq_len), full)
    stride = max(1, seq_len // 2)
    starts = list(range(0, full - seq_len + 1, stride))
    if starts[-1] != full - seq_len:
        starts.append(full - seq_len)
    x_ids = np.stack([ids[s:s + seq_len] for s in starts])  # (batch, seq_len)
    y_ids = np.stack([ids[s + shift:s + shift + seq_len] for s in starts])  # (batch, seq_len)
    return CharDataset(text=text, vocab=vocab, x_ids=x_ids, y_ids=y_ids)


class CharModel:
    """[cell(units, return_sequences=True)] × depth -> TimeDistributed(Dense(vocab)) -> softmax."""

    def __init__(self, vocab_size: int, cell: str = "SimpleRNN", units: int = 8, depth: int = 1,
                 seed: int | None = 0, dtype: str = "float32", **cell_kwargs):
        vocab_size = _checks.positive_int("vocab_size", vocab_size)
        _checks.one_of("cell", cell, CELLS)
        units = _checks.positive_int("units", units)
        depth = _checks.positive_int("depth", depth)
        self.cell, self.units, self.depth, self.vocab_size = cell, units, depth, vocab_size
        self.recurrent = []
        features = vocab_size
        for k in range(depth):
            layer = getattr(layers, cell)(units, return_sequences=True, dtype=dtype,
                                          seed=None if seed is None else seed + k, **cell_kwargs)
            layer.build((None, None, features))
            self.recurrent.append(layer)
            features = units
        self.head = layers.TimeDistributed(layers.Dense(vocab_size, dtype=dtype,
                                                        seed=None if seed is None else seed + depth))
        self.head.build((None, None, units))
        # The trainable arrays, in Keras's model.trainable_weights order: views into one flat
        # vector, so an elementwise optimizer updates all of them with one set of array ops.
        # Updated in place, pushed into the layers before each forward pass.
        arrays = [w for layer in self.recurrent for w in layer.get_weights()] + self.head.get_weights()
        self.flat = np.concatenate([w.ravel() for w in arrays])  # (count_params,)
        self.weights, k = [], 0
        for w in arrays:
            self.weights.append(self.flat[k:k + w.size].reshape(w.shape))
            k += w.size
        self._sizes = [len(layer.get_weights()) for layer in self.recurrent]

    def layers(self) -> list:
        return [*self.recurrent, self.head]

    def count_params(self) -> int:
        return int(self.flat.size)

    def _sync(self):
        k = 0
        for layer, n in zip(self.recurrent, self._sizes):
            layer.set_weights(self.weights[k:k + n])
            k += n

    def forward(self, x: np.ndarray, initial_states=None):
        """x: (batch, timesteps, vocab) -> (traces per layer, logits (batch, timesteps, vocab))."""
        self._sync()
        traces = []
        h = x
        for k, layer in enumerate(self.recurrent):
            init = None if initial_states is None else initial_states[k]
            trace = layer.trace(h, initial_state=init)
            traces.append(trace)
            h = trace.h  # (batch, timesteps, units) == return_sequences output (no mask)
        kernel, bias = self.weights[-2:]
        logits = h @ kernel + bias  # (batch, timesteps, vocab)
        return traces, logits

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Softmax probabilities (batch, timesteps, vocab), like ``model.predict``."""
        _, logits = self.forward(x)
        return _softmax(logits)

    def loss_and_grads(self, x, y, truncate=None):
        """Cross-entropy, its gradient for every weight (model order) and the probabilities.

        y: target ids (batch, timesteps) or their one-hot (batch, timesteps, vocab).
        """
        traces, logits = self.forward(x)
        loss, d_logits, probs = backprop.softmax_cross_entropy(logits, y)
        kernel, bias = self.weights[-2:]
        head = backprop.dense_backward(kernel, bias, traces[-1].h, logits, d_logits)
        grads = head.weights
        d_h = head.x  # (batch, timesteps, units)
        k = len(self.weights) - 2
        for layer, trace, n in zip(reversed(self.recurrent), reversed(traces), reversed(self._sizes)):
            k -= n
            g = backprop.recurrent_backward(layer, trace, d_h=d_h, truncate=truncate,
                                            weights=self.weights[k:k + n])
            grads = g.weights + grads
            d_h = g.x
        return loss, grads, probs


def _softmax(logits):
    return activations.softmax(np.asarray(logits))


@dataclass
class History:
    """What ``train`` saw, epoch by epoch (like Keras's History, plus the predictions)."""

    loss: list = field(default_factory=list)  # float per epoch (before that epoch's update)
    accuracy: list = field(default_factory=list)  # fraction of characters predicted right
    predictions: list = field(default_factory=list)  # (batch, timesteps) argmax ids per epoch
    grad_norm: list = field(default_factory=list)  # global gradient norm before clipping
    learning_rate: list = field(default_factory=list)
    seconds: float = 0.0
    stopped: bool = False


def train(model: CharModel, data: CharDataset, optimizer, epochs: int, callback=None, every: int = 10,
          truncate: int | None = None, max_seconds: float | None = None) -> History:
    """Full-batch training, one optimizer step per epoch (the seed's ``fit(x, y, epochs=...)``).

    callback(epoch, history) runs after every ``every`` epochs and after the last one (for live
    progress); it may return False to stop early. max_seconds stops the run (``stopped``) once
    that much time has passed, checked after every epoch.
    """
    epochs = _checks.positive_int("epochs", epochs)
    every = _checks.positive_int("every", every)
    x = data.one_hot(data.x_ids, dtype=model.flat.dtype)  # (batch, timesteps, vocab)
    y = data.one_hot(data.y_ids, dtype=model.flat.dtype)  # (batch, timesteps, vocab)
    # Elementwise rules give the same update on one flat vector; Keras's per-variable clipnorm does not.
    flat = not optimizer.clipnorm
    history = History()
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        history.learning_rate.append(optimizer.current_learning_rate())
        loss, grads, probs = model.loss_and_grads(x, y, truncate=truncate)
        if flat:
            optimizer.apply([np.concatenate([g.ravel() for g in grads])], [model.flat])
        else:
            optimizer.apply(grads, model.weights)
        pred = probs.argmax(axis=-1)  # (batch, timesteps)
        history.loss.append(loss)
        history.accuracy.append(float((pred == data.y_ids).mean()))
        history.predictions.append(pred)
        history.grad_norm.append(optimizer.last_grad_norm)
        history.seconds = time.perf_counter() - start
        if max_seconds is not None and history.seconds > max_seconds:
            history.stopped = True
        if callback is not None and (epoch % every == 0 or epoch == epochs or history.stopped):
            if callback(epoch, history) is False:
                history.stopped = True
        if history.stopped:
            break
    history.seconds = time.perf_counter() - start
    return history


def sample(model: CharModel, data: CharDataset, prefix: str, length: int, temperature: float = 1.0,
           seed: int | None = None):
    """Generate ``length`` characters after ``prefix``, drawing each from softmax(logits / temperature).

    Returns ``(text, probs)`` with probs (length, vocab) the distribution each character was drawn
    from. temperature → 0 is argmax; 1 is the model's own distribution; larger is flatter.
    """
    length = _checks.positive_int("length", length)
    if not isinstance(temperature, (int, float)) or not temperature > 0:
        _checks.fail("temperature", temperature, "a positive number")
    if not isinstance(prefix, str) or not prefix:
        _checks.fail("prefix", prefix, "at least one character")
    rng = np.random.default_rng(seed)
    dtype = model.flat.dtype
    ids = list(data.encode(prefix))
    x = data.one_hot(np.array([ids]), dtype=dtype)  # (1, len(prefix), vocab)
    states = None
    out, dists = [], []
    for _ in range(length):
        traces, logits = model.forward(x, initial_states=states)
        states = [[t.h[:, -1]] + ([t.c[:, -1]] if t.c is not None else []) for t in traces]
        z = logits[0, -1].astype(np.float64) / temperature  # (vocab,)
        p = _softmax(z)
        nxt = int(rng.choice(len(p), p=p))
        out.append(nxt)
        dists.append(p)
        x = data.one_hot(np.array([[nxt]]), dtype=dtype)  # (1, 1, vocab)
    return data.decode(out), np.array(dists)


def memory_task(timesteps: int, n_symbols: int = 4, batch: int = 32, seed: int | None = 0, dtype="float32"):
    """'Recall the first symbol after T steps': x_0 is one of n_symbols, the other steps are a blank.

    Returns ``(x (batch, timesteps, n_symbols + 1) one-hot, y (batch,) the first symbol)``. Only the
    last step is scored, so the answer must travel through all T steps of recurrence.
    """
    timesteps = _checks.positive_int("timesteps", timesteps)
    n_symbols = _checks.positive_int("n_symbols", n_symbols)
    batch = _checks.positive_int("batch", batch)
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_symbols, size=batch)  # (batch,)
    ids = np.full((batch, timesteps), n_symbols)  # (batch, timesteps) blanks
    ids[:, 0] = y
    return np.eye(n_symbols + 1, dtype=dtype)[ids], y


@dataclass
class GradientFlow:
    """How the memory task's loss gradient reaches each earlier step (processing order = time)."""

    cell: str
    timesteps: int
    recurrent_scale: float
    gate_bias: float | None
    loss: float
    d_h: np.ndarray  # (batch, timesteps, units) ∂L/∂h_t itself
    dL_dh: np.ndarray  # (timesteps,) ‖∂L/∂h_t‖ averaged over the batch
    dhT_dx: np.ndarray  # (timesteps,) ‖∂h_T/∂x_t‖_F (Frobenius norm of the Jacobian), batch mean
    grad_norm: float  # global norm of the weight gradients
    clipnorm: float | None
    clipped_norm: float  # global norm after global_clipnorm (== grad_norm when not clipped)
    update_norm: float  # ‖Δw‖ of one SGD step with the clipped gradients
    unclipped_update_norm: float  # ‖Δw‖ the same step would take without clipping
    weight_names: list
    grad_norms_by_weight: list  # ‖∂L/∂w‖ per weight array, before clipping


def gradient_flow(cell: str, timesteps: int = 20, units: int = 16, recurrent_scale: float = 1.0,
                  n_symbols: int = 4, batch: int = 16, clipnorm: float | None = None,
                  learning_rate: float = 0.1, seed: int = 0, jacobian: bool = True,
                  gate_bias: float | None = None) -> GradientFlow:
    """Gradient norms back in time for an untrained ``cell`` on the memory task.

    recurrent_scale multiplies the (orthogonal) recurrent kernel: above 1 a SimpleRNN's gradients
    explode, below 1 they vanish faster. clipnorm: Keras ``global_clipnorm`` for the update shown.
    jacobian=False skips ∂h_T/∂x_t (one extra backward pass per unit; ``dhT_dx`` is then NaN).
    gate_bias: the bias of the gate that keeps the old state — LSTM forget gate (Keras starts it
    at 1), GRU update gate z (Keras: 0); None keeps Keras's initial values. SimpleRNN has none.
    """
    _checks.one_of("cell", cell, CELLS)
    if not isinstance(recurrent_scale, (int, float)) or not recurrent_scale > 0:
        _checks.fail("recurrent_scale", recurrent_scale, "a positive number")
    if clipnorm is not None and not clipnorm > 0:
        _checks.fail("clipnorm", clipnorm, "a positive number or None")
    x, y = memory_task(timesteps, n_symbols, batch, seed, dtype="float64")
    layer = getattr(layers, cell)(units, dtype="float64", seed=seed)
    layer.build(x.shape)
    weights = layer.get_weights()
    weights[1] = weights[1] * recurrent_scale
    if gate_bias is not None and cell != "SimpleRNN":
        bias = weights[2]
        if cell == "LSTM":
            bias[units:2 * units] = gate_bias  # forget gate: f = σ(… + b_f), c_t = f·c_{t−1} + …
        else:
            (bias[0] if bias.ndim == 2 else bias)[:units] = gate_bias  # update gate z: h_t = z·h_{t−1} + …
    layer.set_weights(weights)
    dense = layers.Dense(n_symbols, dtype="float64", seed=seed + 1)
    dense.build((None, units))
    kernel, bias = dense.get_weights()

    trace = layer.trace(x)
    h_T = trace.h[:, -1]  # (batch, units)
    logits = h_T @ kernel + bias  # (batch, n_symbols)
    loss, d_logits, _ = backprop.softmax_cross_entropy(logits, y)
    head = backprop.dense_backward(kernel, bias, h_T, logits, d_logits)
    d_h = np.zeros_like(trace.h)  # (batch, T, units)
    d_h[:, -1] = head.x
    g = backprop.recurrent_backward(layer, trace, d_h=d_h, weights=weights)
    dL_dh = np.linalg.norm(g.h, axis=-1).mean(axis=0)  # (T,)

    dhT_dx = np.full(timesteps, np.nan)
    if jacobian:
        # ∂h_T/∂x_t: backpropagate every unit of h_T at once by repeating each sample `units` times
        xs = np.repeat(x, units, axis=0)  # (batch*units, T, features)
        rep = layer.trace(xs)
        seeds = np.zeros_like(rep.h)  # (batch*units, T, units)
        seeds[:, -1] = np.tile(np.eye(units), (batch, 1))
        jac = backprop.recurrent_backward(layer, rep, d_h=seeds, weights=weights).x  # (batch*units, T, features)
        jac = jac.reshape(batch, units, timesteps, -1)  # (batch, units, T, features)
        dhT_dx = np.sqrt((jac ** 2).sum(axis=(1, 3))).mean(axis=0)  # (T,)

    grads = g.weights + head.weights
    names = [f"{n}" for n in layer.weight_names()] + ["dense_kernel", "dense_bias"]
    norm = optimizers.global_norm(grads)
    clipped = optimizers.clip_by_global_norm(grads, clipnorm)[0] if clipnorm else grads
    clipped_norm = optimizers.global_norm(clipped)
    return GradientFlow(
        cell=cell, timesteps=timesteps, recurrent_scale=float(recurrent_scale), gate_bias=gate_bias, loss=loss,
        d_h=g.h, dL_dh=dL_dh, dhT_dx=dhT_dx, grad_norm=norm, clipnorm=clipnorm, clipped_norm=clipped_norm,
        update_norm=learning_rate * clipped_norm, unclipped_update_norm=learning_rate * norm,
        weight_names=names, grad_norms_by_weight=[float(np.linalg.norm(w)) for w in grads],
    )
