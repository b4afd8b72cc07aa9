"""Bytes in proportion to what changed (issue 19.3): the step-through sends each array once and
the browser builds the frames (ui/drawing/figures.py step_through, static/chart/chart.js), so its element
grows linearly in the number of steps T, not as T² (a filled copy of every heatmap per frame).

Sizes, not times: the chart element as it goes over the websocket (its data JSON: the figure,
the equations panel of every step, the player's settings; and the code it carries: a small
loader, since the chart module comes once from the static route), under AppTest on /gates
with LSTM(8).
"""
from __future__ import annotations

import json

from app_helpers import open_page

KEY = "gates_step_through"
BUDGET_T10 = 40 * 1024   # bytes of the step-through element at T = 10 (issue 19's target)
GROWTH_T40 = 4.5         # T = 40 against T = 10: linear is 4×, the per-step panel included


def element_bytes(timesteps: int) -> int:
    """Bytes of the /gates step-through element (LSTM(8), ``timesteps``): its serialized proto."""
    at = open_page("gates", cell="LSTM", units="8", timesteps=str(timesteps))
    for element in at.get("bidi_component"):
        if element.proto.component_name == "rnnlab_chart" and \
                json.loads(element.proto.json).get("key") == KEY:
            return len(element.proto.SerializeToString())
    raise AssertionError(f"no {KEY} element on /gates")


def test_the_gates_step_through_grows_linearly_in_the_steps():
    small, large = element_bytes(10), element_bytes(40)
    assert small <= BUDGET_T10, f"T=10: {small / 1024:.1f} KiB > {BUDGET_T10 / 1024:.0f} KiB"
    assert large <= GROWTH_T40 * small, \
        f"T=40: {large / 1024:.1f} KiB = {large / small:.2f}× T=10's {small / 1024:.1f} KiB"
