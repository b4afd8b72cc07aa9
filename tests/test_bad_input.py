"""Bad input, everywhere, by property (issue 13.4): generated URLs, CSV files, builder and training
text never raise on a page, every rejection names what was wrong, no user text becomes HTML,
nothing is evaluated, and the activations stay finite for any input."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from app_helpers import PAGES, ROOT, open_page
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_core import activations, layers
from ui.classroom import builder
from ui.controls import inputs
from ui.controls.settings import SETTINGS_CLASSES

NAMES = sorted({name for cls in SETTINGS_CLASSES for name in cls.names()})
NASTY = st.sampled_from(["", " ", "<script>alert(1)</script>", "<b>x</b>", "1e999", "nan", "-inf",
                         "9" * 5000, "-1", "0x10", "true", "None", "١٢", "💥", "%00", "\x00", "1.5",
                         "'; DROP TABLE", "{{7*7}}", "LSTM(100000)"])
VALUE = st.one_of(NASTY, st.text(max_size=60), st.integers(-10**30, 10**30).map(str),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr))
QUERY = st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(min_size=1, max_size=10)),
                        VALUE, max_size=6)


def _messages(at) -> list[str]:
    return [m.value for kind in (at.error, at.warning) for m in kind] + \
           [m.value for kind in (at.sidebar.error, at.sidebar.warning) for m in kind]


def _open(page, query):
    at = open_page("home", **query) if page == "home" else open_page(page, **query)
    assert not at.exception, [e.value for e in at.exception]
    return at


@settings(max_examples=25)
@given(page=st.sampled_from(PAGES + ("training",)), query=QUERY)
def test_any_query_string_gives_a_page_and_names_each_rejected_parameter(page, query):
    query = {k: v.replace("\x00", "") for k, v in query.items()}  # a URL cannot carry NUL
    at = _open(page, query)
    messages = " ".join(_messages(at))
    for cls in SETTINGS_CLASSES:
        for name in set(query) & set(cls.names()):
            try:
                cls.parse(name, query[name])
            except ValueError:
                assert f"Ignored URL parameter — {name}:" in messages, (name, messages)


CELL = st.one_of(st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.integers(-10**6, 10**6).map(str), st.text(max_size=8),
                 st.sampled_from(["nan", "inf", "", "abc", "1e5", '"', "\x00"]))
TABLE = st.lists(st.lists(CELL, min_size=0, max_size=6), min_size=0, max_size=12)
CSV = st.one_of(
    st.builds(lambda rows, sep: "\n".join(sep.join(r) for r in rows).encode(), TABLE,
              st.sampled_from([",", ";", "\t", " "])),
    st.binary(max_size=300),
    st.builds(lambda n, d: ("\n".join(",".join(["1"] * d) for _ in range(n))).encode(),
              st.integers(0, 260), st.integers(1, 140)),
)


@settings(max_examples=300)
@given(data=CSV)
def test_parse_csv_returns_a_bounded_finite_table_or_says_what_is_wrong(data):
    try:
        x = inputs.parse_csv(data)
    except ValueError as err:
        assert str(err).startswith("csv: ") and ("expected" in str(err) or "allows" in str(err)), err
        return
    assert x.dtype == np.float32 and x.ndim == 2 and np.all(np.isfinite(x))
    assert 1 <= x.shape[0] <= 200 and 1 <= x.shape[1] <= 128 and np.abs(x).max() <= 1e4


@settings(max_examples=10)
@given(data=CSV)
def test_any_uploaded_file_leaves_the_page_working(data):
    at = open_page("hidden_states", preset="csv")
    at.file_uploader(key="csv_file").set_value(("x.csv", data, "text/csv")).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [e.value for e in at.sidebar.error]
    assert all(e.startswith("csv: ") for e in errors), errors


NUMBER = st.one_of(st.integers(-5, 300), st.integers(-10**40, 10**40), st.sampled_from(
    ["1e309", "-0.0", "None", "True", "'tanh'", "[1, 2]", "(3,)", "{'a': 1}", "__import__('os')",
     "open('x')", "1 if 1 else 2", "lambda: 1", "x.y", "f'{1}'"]))
KWARG = st.sampled_from(["units", "activation", "return_sequences", "return_state", "dropout",
                         "go_backwards", "use_bias", "reset_after", "merge_mode", "output_dim",
                         "input_dim", "__class__", "junk"])
CALL = st.recursive(
    st.builds(lambda name, args, kw: f"{name}({', '.join(map(str, args + kw))})",
              st.sampled_from(builder.ALLOWED + ("eval", "print", "Conv2D", "layers.LSTM")),
              st.lists(NUMBER, max_size=3),
              st.lists(st.builds(lambda k, v: f"{k}={v}", KWARG, NUMBER), max_size=2)),
    lambda inner: st.builds(lambda w, i: f"{w}({i})",
                            st.sampled_from(["Bidirectional", "TimeDistributed"]), inner),
    max_leaves=3)
SPEC = st.lists(st.one_of(CALL, st.text(max_size=30), st.just("# comment")), max_size=5).map("\n".join)
SHAPE = st.one_of(st.sampled_from(["(None, 5, 10)", "(None, None)", "(2, 3, 4)", "(None,)", "()",
                                   "(None, 5, 10**9)", "[1, 2]", "(0, 1, 1)", "(None, 5, 1e3)",
                                   "(None, 5, 100000000)"]), st.text(max_size=20))


@settings(max_examples=400)
@given(spec=SPEC, shape=SHAPE)
def test_builder_parses_any_text_without_evaluating_it(spec, shape):
    try:
        model = builder.build(spec, shape)
    except ValueError as err:  # the builder's own messages say where and what
        assert re.match(r"(line \d+|layers|input_shape|[A-Za-z]+\(.*\)|This model)", str(err)), err
        return
    assert model.count_params() * 4 <= 64 * 2**20


@settings(max_examples=10)
@given(spec=SPEC, shape=SHAPE)
def test_any_builder_text_leaves_the_page_working(spec, shape):
    at = open_page("parameters")
    at.text_area(key="model_spec").input(spec)
    at.text_input(key="model_input_shape").input(shape).run()
    assert not at.exception, [e.value for e in at.exception]


@settings(max_examples=12)
@given(text=st.text(max_size=210), epochs=st.sampled_from(["1", "5", "abc", "999999"]),
       prefix=st.text(max_size=5))
def test_any_training_text_leaves_the_training_page_working(text, epochs, prefix):
    query = {"train_text": text.replace("\x00", ""), "train_epochs": epochs,
             "train_prefix": prefix.replace("\x00", "")}
    at = _open("training", query)
    messages = " ".join(_messages(at))
    if not 2 <= len(query["train_text"].strip()) <= 200:
        assert "train_text:" in messages, messages


# --- no user string is HTML; nothing is evaluated ---------------------------------------------
SOURCES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "ui").rglob("*.py"))]
# Every HTML sink in the app and what it renders: constants and gate names only. A new sink must be
# reviewed and added here.
HTML_SINKS = {("gates.py", "colors.colour(g)"), ("view.py", "PRESENTER_CSS"), ("view.py", "A11Y_CSS"),
              ("sidebar.py", "UPLOAD_CSS")}  # the three CSS ones: files of ours, read once


def test_html_sinks_render_only_constants():
    found = set()
    for path in SOURCES:
        source = path.read_text()
        for match in re.finditer(r"unsafe_allow_html\s*=\s*True|st\.html\(", source):
            statement = source[source.rfind("\n\n", 0, match.start()):match.end() + 80]
            # st.html's argument follows it; unsafe_allow_html's markdown text comes before it
            sink = source[match.start():match.end() + 80] if match[0].startswith("st.html(") else statement
            known = [arg for file, arg in sorted(HTML_SINKS) if file == path.name and arg in sink]
            assert known, f"{path.name}: an HTML sink not reviewed: {statement[-300:]!r}"
            found.add((path.name, known[0]))
    assert found == HTML_SINKS


def test_no_user_text_is_evaluated():
    for path in SOURCES:
        code = re.sub(r"ast\.literal_eval\(|mode=\"eval\"", "", path.read_text())
        assert not re.search(r"(?<![.\w])(eval|exec|compile|__import__)\(", code), path.name
        assert "pickle" not in code and "yaml.load" not in code, path.name


def test_a_word_with_html_is_shown_as_text():
    at = _open("hidden_states", {"preset": "word", "word": "<b>x</b>"})
    shown = [m for m in at.caption if "<b>x</b>" in m.value]
    assert shown and not any(m.proto.allow_html for m in shown)
    assert not any(m.proto.allow_html for m in at.markdown if "<b>" in m.value)


# --- numerics ---------------------------------------------------------------------------------
EXTREME = st.floats(-1e4, 1e4, allow_nan=False, width=32)


@settings(max_examples=100)
@given(x=st.lists(EXTREME, min_size=1, max_size=20), dtype=st.sampled_from(["float32", "float64"]))
def test_sigmoid_and_softmax_are_finite_for_any_input(x, dtype):
    x = np.array(x, dtype)
    # Underflow is left out: exp() of a subnormal input flags it, harmlessly (the result is 1).
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = activations.sigmoid(x)
        p = activations.softmax(x)
    assert np.all((s >= 0) & (s <= 1)) and np.all(np.isfinite(p))
    assert abs(p.sum() - 1) < 1e-5


@pytest.mark.parametrize("cell", ["SimpleRNN", "LSTM", "GRU"])
def test_layers_stay_finite_with_huge_inputs_and_extreme_weights(cell):
    x = np.random.default_rng(0).uniform(-1e4, 1e4, (2, 30, 8)).astype(np.float32)
    layer = getattr(layers, cell)(6, return_sequences=True, seed=0)
    layer.build(x.shape)
    layer.set_weights([w * 100 for w in layer.get_weights()])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow RuntimeWarning fails the test
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            trace = layer.trace(x)
    assert all(np.all(np.isfinite(a)) for a in [trace.h, *trace.gates.values()])


@pytest.mark.keras
def test_stable_activations_still_match_keras(keras):
    x = np.random.default_rng(1).normal(0, 6, (16, 11)).astype(np.float32)
    np.testing.assert_allclose(activations.sigmoid(x), keras.activations.sigmoid(x).numpy(), atol=1e-6)
    np.testing.assert_allclose(activations.softmax(x), keras.activations.softmax(x).numpy(), atol=1e-6)
    big = np.array([[-1e4, -100.0, 0.0, 100.0, 1e4]], np.float32)
    np.testing.assert_allclose(activations.sigmoid(big), keras.activations.sigmoid(big).numpy(), atol=1e-6)
    np.testing.assert_allclose(activations.softmax(big), keras.activations.softmax(big).numpy(), atol=1e-6)
