"""Input presets: train_X, one-hot words, sine waves and uploaded CSV files (with validation)."""
from __future__ import annotations

import numpy as np
import pytest
from app_helpers import open_page, plotly_figures, shapes_in

from ui.controls.inputs import parse_csv


def _input_shape(at) -> tuple:
    heading = next(h.value for h in at.subheader if h.value.startswith("Your input x"))
    return shapes_in(heading)[0]


def test_word_preset_one_hot_encodes_hihello():
    at = open_page("home", preset="word")
    word = "hihello"
    assert _input_shape(at) == (1, len(word), len(set(word)))          # (1, 7, 5)
    z = np.array(plotly_figures(at)[0]["data"][3]["z"]["bdata"] and 0)  # chart exists
    assert z is not None
    assert at.number_input(key="timesteps").disabled
    at.text_input(key="word").input("abcabcd").run()
    assert _input_shape(at) == (1, 7, 4)


def test_train_x_preset_fixes_the_notebook_shape():
    at = open_page("shapes", preset="train_X", units="3", return_sequences="true")
    assert at.number_input(key="batch_size").value == 1
    from app_helpers import texts
    assert shapes_in(" ".join(texts(at.get_by_key("output_shapes")))) == [(1, 4, 3)]


def test_sine_preset_keeps_the_sidebar_shape():
    at = open_page("home", preset="sine", batch_size="3", timesteps="12", input_dim="2")
    assert _input_shape(at) == (3, 12, 2)


def test_csv_upload_sets_timesteps_and_features():
    at = open_page("home", preset="csv")
    assert any("No valid CSV yet" in i.value for i in at.sidebar.info)
    table = "a,b,c\n1,2,3\n4,5,6\n7,8,9\n10,11,12\n"
    at.file_uploader(key="csv_file").set_value(("x.csv", table.encode(), "text/csv")).run()
    assert not at.exception
    assert _input_shape(at) == (1, 4, 3)


@pytest.mark.parametrize("content, message", [
    (b"", "empty"),
    (b"1,2,3\n4,5\n", "data row 2 has 2 values, expected 3"),
    (b"1,2\n3,oops\n", "'oops', expected a number"),
    (b"1,2\nnan,3\n", "NaN or infinite"),
    ("\n".join(["1"] * 201).encode(), "at most 200"),
    (b"\xff\xfe\x00bad", "not UTF-8"),
])
def test_bad_csv_files_get_a_message_and_the_app_keeps_working(content, message):
    at = open_page("hidden_states", preset="csv")
    at.file_uploader(key="csv_file").set_value(("bad.csv", content, "text/csv")).run()
    assert not at.exception
    errors = [e.value for e in at.sidebar.error]
    assert any(message in e for e in errors), errors
    assert plotly_figures(at)                        # falls back to seeded random input


def test_parse_csv_accepts_headers_semicolons_tabs_and_spaces():
    expected = np.array([[1, 2], [3, 4]], np.float32)
    for text in ("x,y\n1,2\n3,4\n", "1;2\n3;4", "1\t2\n3\t4\n", "1 2\n3  4\n"):
        np.testing.assert_array_equal(parse_csv(text.encode()), expected)
