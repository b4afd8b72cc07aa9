"""ui.drawing.plot / ui.runtime.chart: what reaches the browser is the data we put in, in Plotly's own wire format."""
import base64
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from ui.drawing import plot
from ui.runtime import chart

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
    spec = json.loads(chart.encode(fig))  # what the chart component receives
    np.testing.assert_array_equal(decode(spec["data"][0]["z"]), array)
    assert spec["layout"]["xaxis"]["range"] == [0, 2]


def test_encoding_matches_plotlys_own_export():
    """Plotly's own figure and export, from the same spec, give the same numbers and keys."""
    z = np.arange(6, dtype=np.float32).reshape(2, 3)
    fig = plot.figure([dict(type="heatmap", z=z, name="h", y=[0.5, np.nan])], dict(height=200))
    ours = json.loads(chart.encode(fig))
    reference = json.loads(pio.to_json(go.Figure(fig), validate=False))
    np.testing.assert_array_equal(decode(ours["data"][0]["z"]), decode(reference["data"][0]["z"]))
    assert ours["data"][0]["y"] == [0.5, None] == reference["data"][0]["y"]  # NaN -> null
    assert ours["layout"]["height"] == reference["layout"]["height"] == 200


def test_a_figure_is_a_plain_dict_that_later_edits_reach():
    """No figure object sits between a builder and the browser, so an edit after building is
    never lost on export (issue 9: SpecFigure's update_layout trap)."""
    fig = plot.figure([dict(type="scatter", x=[0, 1], y=[1, 2])], dict(height=200))
    fig["layout"]["title"] = {"text": "edited"}
    assert json.loads(chart.encode(fig))["layout"]["title"] == {"text": "edited"}
