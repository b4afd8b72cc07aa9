"""Each cell's facts (gate blocks, bias shape, states, Keras class) are what real Keras's cell
reports: the test builds keras.layers.XCell and reads its weights and state_size."""
from __future__ import annotations

import pytest

from rnn_core import layers

pytestmark = pytest.mark.keras  # compares with real TensorFlow/Keras

CASES = [("SimpleRNN", {}), ("LSTM", {}), ("GRU", {"reset_after": True}), ("GRU", {"reset_after": False})]


@pytest.mark.parametrize("kind,kwargs", CASES, ids=lambda v: str(v))
@pytest.mark.parametrize("units", [1, 5])
def test_cell_facts_equal_keras(keras, kind, kwargs, units):
    ours = getattr(layers, f"{kind}Cell")(units, **kwargs)
    theirs = getattr(keras.layers, f"{kind}Cell")(units, **kwargs)
    theirs.build((None, 3))
    weights = {w.path.split("/")[-1]: tuple(w.shape) for w in theirs.weights}
    assert ours.keras_class == type(theirs).__name__
    assert ours.n_gates * units == weights["kernel"][1] == weights["recurrent_kernel"][1]
    assert ours.bias_shape == weights["bias"]
    state_size = theirs.state_size if isinstance(theirs.state_size, list) else [theirs.state_size]
    assert len(ours.state_names) == len(state_size) and ours.state_size == theirs.state_size
    assert len(ours.gate_names) == (0 if kind == "SimpleRNN" else ours.n_gates)
    # the layer is RNN over this cell and reads its facts from it
    layer = getattr(layers, kind)(units, **kwargs)
    assert isinstance(layer, layers.RNN) and type(layer.cell) is type(ours)
    assert (layer.n_gates, layer.gate_names, layer.state_names) == (ours.n_gates, ours.gate_names,
                                                                    ours.state_names)
