"""rnn_core vs real ``torch.nn.RNN/LSTM/GRU``: weights converted both ways, outputs within 1e-5
in float32, for every cell, Bidirectional merge modes, with/without bias, initial states.

The references are PyTorch's own modules running PyTorch's own kernels; nothing here compares
rnn_core with itself.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnn_core import layers, torch_convert

TOL = 1e-5
CELLS = ("SimpleRNN", "LSTM", "GRU")


def build(cell, units, input_dim, *, bidirectional=False, merge_mode="concat", use_bias=True,
          return_sequences=True, return_state=True, go_backwards=False, seed=0):
    layer = getattr(layers, cell)(units, use_bias=use_bias, return_sequences=return_sequences,
                                  return_state=return_state, go_backwards=go_backwards, seed=seed)
    if bidirectional:
        layer = layers.Bidirectional(layer, merge_mode=merge_mode)
    return layer.build((None, None, input_dim))


def outputs_of(layer, x, initial_state=None):
    """What the rnn_core layer returns, always as a list."""
    out = layer(x, initial_state=initial_state)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def assert_close(ours, theirs):
    assert len(ours) == len(theirs)
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert a.shape == b.shape, (k, a.shape, b.shape)
        np.testing.assert_allclose(a, b, atol=TOL, rtol=0, err_msg=f"output {k}")


def random_states(layer, batch, rng):
    directions = 2 if hasattr(layer, "forward_layer") else 1
    per_direction = 2 if layer.cell_name == "LSTM" else 1
    return [rng.standard_normal((batch, layer.units)).astype(np.float32)
            for _ in range(directions * per_direction)]


configs = st.fixed_dictionaries(dict(
    cell=st.sampled_from(CELLS),
    units=st.integers(1, 9),
    input_dim=st.integers(1, 6),
    batch=st.integers(1, 3),
    timesteps=st.integers(1, 7),
    bidirectional=st.booleans(),
    merge_mode=st.sampled_from(["concat", "sum", "mul", "ave", None]),
    use_bias=st.booleans(),
    return_sequences=st.booleans(),
    return_state=st.booleans(),
    go_backwards=st.booleans(),
    initial_state=st.booleans(),
    seed=st.integers(0, 2**16),
))


def _layer_and_x(c):
    go_backwards = c["go_backwards"] and not c["bidirectional"]  # Keras refuses that combination
    layer = build(c["cell"], c["units"], c["input_dim"], bidirectional=c["bidirectional"],
                  merge_mode=c["merge_mode"], use_bias=c["use_bias"],
                  return_sequences=c["return_sequences"], return_state=c["return_state"],
                  go_backwards=go_backwards, seed=c["seed"])
    rng = np.random.default_rng(c["seed"])
    x = rng.standard_normal((c["batch"], c["timesteps"], c["input_dim"])).astype(np.float32)
    states = random_states(layer, c["batch"], rng) if c["initial_state"] else None
    return layer, x, states, rng


@given(configs)
def test_keras_weights_run_in_torch(torch, c):
    """rnn_core -> PyTorch: our weights (non-zero biases included) in torch.nn.* give our outputs."""
    layer, x, states, rng = _layer_and_x(c)
    layer.set_weights([rng.uniform(-0.7, 0.7, w.shape).astype(np.float32) for w in layer.get_weights()])
    assert_close(outputs_of(layer, x, states), torch_convert.run_torch(layer, x, states))


@given(configs)
def test_torch_weights_run_in_rnn_core(torch, c):
    """PyTorch -> rnn_core: a torch module's own random init (two bias vectors) loaded into our
    layer gives torch's outputs."""
    layer, x, states, _ = _layer_and_x(c)
    torch.manual_seed(c["seed"])
    module = getattr(torch.nn, torch_convert.TORCH_CLASSES[c["cell"]])(
        **torch_convert.torch_kwargs(layer))
    torch_convert.layer_from_torch(layer, module.state_dict())
    assert_close(outputs_of(layer, x, states), torch_convert.run_torch(layer, x, states, module=module))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_round_trip_and_parameter_counts(torch, cell, bidirectional):
    layer = build(cell, 4, 3, bidirectional=bidirectional)
    module = torch_convert.torch_module(layer)
    assert {k: tuple(v.shape) for k, v in module.state_dict().items()} == \
        {k: v.shape for k, v in torch_convert.layer_to_torch(layer).items()}
    assert sum(p.numel() for p in module.parameters()) == torch_convert.torch_param_count(
        cell, 4, 3, bidirectional=bidirectional)
    extra = {"SimpleRNN": 4, "LSTM": 16, "GRU": 0}[cell] * (2 if bidirectional else 1)
    assert torch_convert.torch_param_count(cell, 4, 3, bidirectional=bidirectional) == \
        layer.count_params() + extra  # PyTorch's second bias vector (GRU: Keras has two rows too)
    copy = build(cell, 4, 3, bidirectional=bidirectional, seed=99)
    torch_convert.layer_from_torch(copy, module.state_dict())
    for ours, back in zip(layer.get_weights(), copy.get_weights()):
        np.testing.assert_array_equal(ours, back)  # exact: LSTM's b_hh is zero here


def test_gate_order_is_the_documented_one(torch):
    """Keras GRU columns z, r, h land in PyTorch rows r, z, n; LSTM keeps i, f, c/g, o."""
    units = 2
    kernel = np.repeat(np.arange(3, dtype=np.float32), units)[None]  # (1, 3·units): z=0, r=1, h=2
    params = torch_convert.keras_to_torch("GRU", [kernel, np.zeros((units, 3 * units))])
    np.testing.assert_array_equal(params["weight_ih_l0"][:, 0], [1, 1, 0, 0, 2, 2])
    kernel = np.repeat(np.arange(4, dtype=np.float32), units)[None]
    params = torch_convert.keras_to_torch("LSTM", [kernel, np.zeros((units, 4 * units))])
    np.testing.assert_array_equal(params["weight_ih_l0"][:, 0], [0, 0, 1, 1, 2, 2, 3, 3])


def test_states_layout(torch):
    h_fw, c_fw, h_bw, c_bw = (np.full((2, 3), v, np.float32) for v in range(4))
    h0, c0 = torch_convert.states_to_torch("LSTM", [h_fw, c_fw, h_bw, c_bw], bidirectional=True)
    assert h0.shape == c0.shape == (2, 2, 3)  # (num_layers·directions, batch, units)
    assert (h0[1] == 2).all() and (c0[0] == 1).all()
    back = torch_convert.states_from_torch("LSTM", (torch.from_numpy(h0), torch.from_numpy(c0)))
    assert [float(s[0, 0]) for s in back] == [0, 1, 2, 3]


def test_what_has_no_pytorch_twin_is_a_value_error():
    with pytest.raises(ValueError, match="reset_after.*no PyTorch equivalent"):
        torch_convert.torch_kwargs(layers.GRU(3, reset_after=False).build((None, 4, 2)))
    with pytest.raises(ValueError, match="reset_after: got False"):
        torch_convert.keras_to_torch("GRU", [np.zeros((2, 9)), np.zeros((3, 9))], reset_after=False)
    with pytest.raises(ValueError, match="recurrent_activation"):
        torch_convert.torch_kwargs(layers.LSTM(3, recurrent_activation="hard_sigmoid").build((None, 4, 2)))
    with pytest.raises(ValueError, match="cell: got 'Conv'"):
        torch_convert.torch_param_count("Conv", 3, 2)
