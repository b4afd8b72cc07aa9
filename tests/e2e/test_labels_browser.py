"""No truncated labels (issue 18): a selectbox shows its value on one line and cuts what does not
fit, so every option of the sidebar's preset box and of the model builder's preset box is shown
here at 1400×1000 and must fit its box."""
from __future__ import annotations

import pytest
from test_pages_browser import assert_no_exception, open_app

from ui.classroom import builder
from ui.controls.settings import PRESET_LABELS, PRESETS

CUT_JS = "el => [el.value, el.scrollWidth - el.clientWidth]"


def shown_and_cut(page, key: str) -> tuple[str, int]:
    """The selectbox's shown text and how many pixels of it are cut off."""
    box = page.locator(f".st-key-{key} input[role='combobox']")
    box.scroll_into_view_if_needed()
    return tuple(box.evaluate(CUT_JS))


@pytest.mark.parametrize("preset, model", list(zip(PRESETS, builder.PRESETS)))
def test_preset_labels_fit_their_boxes(page, preset, model):
    open_app(page, f"/parameters?preset={preset}&model_preset={model}")
    assert_no_exception(page)
    assert shown_and_cut(page, "preset") == (PRESET_LABELS[preset], 0)
    assert shown_and_cut(page, "model_preset") == (builder.PRESETS[model].label, 0)
