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
CELLS = layers.CELLS  # one per cell class in rnn_core


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
    directions = len(layer.directions)
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


# --- /parameters' "Keras vs PyTorch": the page's pure formula (ui.sections.frameworks) vs real modules ----
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("cell", CELLS)
def test_frameworks_torch_stack_matches_a_real_num_layers_module(torch, cell, num_layers, bidirectional):
    """The counts (per layer and total), the constructor and h_n/c_n shapes the page computes
    without torch, against torch.nn.<cell>(..., num_layers=N, bidirectional=...) built here."""
    from ui.sections import frameworks

    stack = [build(cell, 8, 4 if i == 0 else (16 if bidirectional else 8),
                   bidirectional=bidirectional) for i in range(num_layers)]
    shown = frameworks.torch_stack(stack, batch=3)
    module = getattr(torch.nn, {"SimpleRNN": "RNN"}.get(cell, cell))(
        4, 8, num_layers=num_layers, bidirectional=bidirectional, batch_first=True)
    assert eval(shown.code(), {"torch": torch}).state_dict().keys() == module.state_dict().keys()  # noqa: S307
    per_layer = [sum(p.numel() for name, p in module.named_parameters()
                     if name.split("_l")[-1].removesuffix("_reverse") == str(k))
                 for k in range(num_layers)]
    assert list(shown.per_layer) == per_layer
    assert shown.total == sum(p.numel() for p in module.parameters())
    _, states = module(torch.zeros(3, 5, 4))  # (batch, timesteps, features)
    states = states if isinstance(states, tuple) else (states,)
    assert [tuple(s.shape) for s in states] == [shown.state_shape] * len(states)
    assert shown.state_names.split(", ") == (["h_n", "c_n"] if cell == "LSTM" else ["h_n"])


@pytest.mark.parametrize("bidirectional", [False, True])
def test_parameters_page_compares_the_whole_stack_with_num_layers(keras, torch, bidirectional):
    """layers=2: the page's Keras and PyTorch totals are the whole stack's (Keras's model and a
    torch num_layers=2 module, both built here), and h_n's shape counts both layers."""
    from app_helpers import open_page, shapes_in, texts

    at = open_page("parameters", cell="LSTM", units="8", input_dim="4", layers="2",
                   batch_size="2", bidirectional=str(bidirectional).lower())
    assert not at.error, [e.value for e in at.error]
    wrap = keras.layers.Bidirectional if bidirectional else (lambda layer: layer)
    kmodel = keras.Sequential([keras.Input((5, 4))] + [
        wrap(keras.layers.LSTM(8, return_sequences=True)) for _ in range(2)])
    module = torch.nn.LSTM(4, 8, num_layers=2, bidirectional=bidirectional, batch_first=True)
    _, (h_n, c_n) = module(torch.zeros(2, 5, 4))  # (batch, timesteps, features)
    shown = texts(at.get_by_key("frameworks"))
    table = next(t for t in shown if "| **whole stack** |" in t)
    whole = table.splitlines()[-1]
    assert whole == (f"| **whole stack** | **{kmodel.count_params():,}** | "
                     f"**{sum(p.numel() for p in module.parameters()):,}** |")
    code = next(t for t in shown if t.startswith("torch.nn.LSTM("))
    assert "num_layers=2" in code and f"bidirectional={bidirectional}" in code
    assert shapes_in(code.split("# h_n, c_n:")[1]) == [tuple(h_n.shape)] == [tuple(c_n.shape)]


def test_parameters_page_does_not_import_torch():
    """The app server never imports torch (issue 19): the page computes torch's conventions."""
    import subprocess
    import sys
    from pathlib import Path

    script = ("import sys; sys.path[:0] = ['tests', '.']\n"
              "from app_helpers import open_page\n"
              "at = open_page('parameters', layers='2', bidirectional='true')\n"
              "assert not at.error, [e.value for e in at.error]\n"
              "print('torch' in sys.modules)\n")
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False"
