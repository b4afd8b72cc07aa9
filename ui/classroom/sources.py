"""The tutorials this app follows ("the seeds"), named once: every page that cites one writes
``sources.cite("000")`` -> "the Keras RNN guide (seed 000)", and the home page lists them all.

The seed numbers are the order of /shared/seeds/ in the project; alone they mean nothing to a
newcomer, so they never appear without a name.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Source:
    seed: str   # "000": its number in the project's seeds
    name: str   # a short English name, used in running text ("the Keras RNN guide")
    what: str   # what it is and what the app takes from it (one sentence)
    url: str    # where to read it


SOURCES: dict[str, Source] = {s.seed: s for s in (
    Source("000", "the Keras RNN guide",
           "TensorFlow's guide 'Recurrent Neural Networks (RNN) with Keras' (read in a Korean "
           "translation): SimpleRNN, LSTM and GRU layers and their model.summary() tables, "
           "return_sequences and return_state, the encoder–decoder with initial_state, "
           "stateful=True, Bidirectional.",
           "https://www.tensorflow.org/guide/keras/rnn"),
    Source("001", "the NumPy RNN from scratch",
           "Notes on the RNN chapter of 'Deep learning for natural language processing' "
           "(wikidocs, in Korean): the (batch, timesteps, input_dim) tensor, Wx, Wh and b, the "
           "loop h_t = tanh(Wx·x_t + Wh·h_{t−1} + b), and SimpleRNN(3)'s 42 parameters.",
           "https://wikidocs.net/book/2155"),
    Source("002", "the 'RNN explained' blog post",
           "A blog post on RNNs (in Korean): one-to-many, many-to-one and many-to-many, the "
           "unrolled network, and the 'hihello' character model trained with SimpleRNN, "
           "TimeDistributed(Dense) and softmax.",
           "https://jsstar522.github.io/"),
    Source("003", "the Stanford CS20 RNN lecture",
           "Lecture notes on CS20 'TensorFlow for Deep Learning Research', lecture 11: BPTT and "
           "truncated BPTT, vanishing and exploding gradients, LSTM and GRU, gradient "
           "clipping, a character-level language model with temperature sampling.",
           "https://web.stanford.edu/class/cs20si/"),
    Source("004", "the SimpleRNN & LSTM Colab notebook",
           "A Colab notebook: train_X of shape (1, 4, 5), the SimpleRNN and LSTM outputs for "
           "every return flag, and a Bidirectional LSTM with constant 0.1 weights.",
           "https://colab.research.google.com/github/rlawogjs96/deeplearningnlp_starters/"
           "blob/main/SimpleRNN_%26_LSTM.ipynb"),
)}


def cite(seed: str, capital: bool = False) -> str:
    """How running text names a seed: "the Keras RNN guide (seed 000)"."""
    if seed not in SOURCES:
        raise ValueError(f"seed: got {seed!r}, expected one of {', '.join(SOURCES)}")
    text = f"{SOURCES[seed].name} (seed {seed})"
    return text[0].upper() + text[1:] if capital else text


def markdown_list() -> str:
    """Every source as a Markdown list: name and link, seed number, what it is."""
    return "\n".join(f"- **[{s.name[0].upper() + s.name[1:]}]({s.url})** (seed {s.seed}): {s.what}"
                     for s in SOURCES.values())


def cite_preset(preset: str) -> str:
    """The source a model-builder preset rebuilds: "seed000_lstm" -> cite("000")."""
    if not preset.startswith("seed"):
        raise ValueError(f"preset: got {preset!r}, expected a name like 'seed000_lstm'")
    return cite(preset[4:7])
