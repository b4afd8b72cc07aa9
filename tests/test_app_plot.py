"""ui.plot.figure: what reaches the browser is the data we put in, and the result is a usable go.Figure."""
import base64
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from ui import plot

DTYPES = {"f4": np.float32, "f8": np.float64, "i1": np.int8, "i2": np.int16, "i4": np.int32,
          "u1": np.uint8, "u2": np.uint16, "u4": np.uint32}


def decode(value):
    """Plotly's typed-array JSON ({"dtype", "bdata", "shape"}) or a plain list, as an array."""
    if isinstance(value, dict):
        flat = np.frombuffer(base64.b64decode(value["bdata"]), DTYPES[value["dtype"]])
        shape = [int(n) for n in value["shape"].split(",")] if "shape" in value else [flat.size]
        return flat.reshape(shape)
    return np.array(value)


@pytest.mark.parametrize("array", [
    np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4),
    np.linspace(-1, 1, 7),                       # float64, 1-D
    np.arange(-5, 5, dtype=np.int64),            # plotly.js has no int64: sent as int32
    np.arange(6, dtype=np.uint8).reshape(2, 3),
    np.zeros((0,), np.float32),
])
def test_arrays_reach_the_browser_unchanged(array):
    fig = plot.figure([dict(type="heatmap", z=array, x=[0, 1, 2])], dict(height=200, xaxis=dict(range=[0, 2])))
    spec = json.loads(pio.to_json(fig, validate=False))  # what st.plotly_chart sends
    np.testing.assert_array_equal(decode(spec["data"][0]["z"]), array)
    assert spec["layout"]["xaxis"]["range"] == [0, 2]


def test_result_is_a_plotly_figure_whose_graph_objects_can_be_read():
    z = np.arange(6, dtype=np.float32).reshape(2, 3)
    fig = plot.figure([dict(type="heatmap", z=z, name="h")], dict(height=200))
    assert isinstance(fig, go.Figure)
    assert fig.data[0].name == "h" and fig.layout.height == 200
    # the same spec through Plotly's own figure and export: the same numbers
    reference = json.loads(pio.to_json(go.Figure(dict(data=[dict(type="heatmap", z=z)])), validate=False))
    np.testing.assert_array_equal(decode(json.loads(pio.to_json(fig))["data"][0]["z"]),
                                  decode(reference["data"][0]["z"]))
