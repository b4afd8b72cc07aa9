"""ui.controls.settings without Streamlit: parsing, limits and the URL round trip of every settings class."""
from __future__ import annotations

import dataclasses
import sys

import pytest

from ui.controls import settings
from ui.controls.settings import SETTINGS_CLASSES, Config, TrainingSettings, ViewSettings


def test_settings_module_does_not_import_streamlit():
    import importlib
    import subprocess
    code = "import sys, ui.controls.settings, ui.controls.inputs; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(importlib.import_module("ui").__path__[0] + "/.."))
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("cls", SETTINGS_CLASSES)
def test_defaults_write_an_empty_query(cls):
    assert cls().to_query() == {}


@pytest.mark.parametrize("cls", SETTINGS_CLASSES)
def test_every_non_default_value_round_trips(cls):
    """Each field set to a value that is not its default survives to_query -> from_query."""
    for name in cls.names():
        spec = cls.spec(name)
        if spec["kind"] is bool:
            value = not spec["default"]
        elif spec["choices"] is not None:
            value = next(c for c in spec["choices"] if c != spec["default"])
        elif spec["kind"] in (int, float):
            value = spec["hi"]
        elif spec["check"] is not None:  # a text field with its own format (lengths)
            value = "3,2"
        else:
            value = "ab" if spec["default"] != "ab" else "cd"
        original = cls(**{name: value})
        query = original.to_query()
        assert list(query) == [name]
        back, warnings = cls.from_query(query)
        assert warnings == [] and back == original, (name, query)


def test_no_two_classes_share_a_url_parameter():
    seen = [name for cls in SETTINGS_CLASSES for name in cls.names()]
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("raw, expected", [("true", True), ("1", True), ("YES", True), ("on", True),
                                           ("false", False), ("0", False), ("No", False)])
def test_booleans_accept_the_same_spellings_in_every_class(raw, expected):
    assert Config.parse("return_sequences", raw) is expected
    assert TrainingSettings.parse("train_decay", raw) is expected
    assert ViewSettings.parse("presenter", raw) is expected


@pytest.mark.parametrize("cls, name, raw, message", [
    (Config, "units", "abc", "expected an integer in [1, 256]"),
    (Config, "units", "257", "expected an integer in [1, 256]"),
    (Config, "cell", "Transformer", "expected one of SimpleRNN, LSTM, GRU"),
    (Config, "word", "", "expected 1 to 40 characters"),
    (Config, "return_state", "maybe", "expected true or false"),
    (TrainingSettings, "train_lr", "0.5", "expected one of 0.001"),
    (TrainingSettings, "train_text", "x", "expected 2 to 200 characters"),
    (TrainingSettings, "gf_scale", "9", "expected a number in [0.25, 3.0]"),
    (ViewSettings, "step", "1000", "expected a step from 0 (the first) to 199 (the last one of the "
                                   "longest sequence), or -1 for the last step"),
])
def test_bad_values_are_named_with_what_was_expected(cls, name, raw, message):
    with pytest.raises(ValueError) as err:
        cls.parse(name, raw)
    assert str(err.value).startswith(f"{name}: got {raw!r}") and message in str(err.value)


def test_from_query_keeps_valid_values_and_warns_about_each_invalid_one():
    cfg, warnings = Config.from_query({"units": "x", "cell": "gru", "timesteps": "5", "other": "1"})
    assert cfg == dataclasses.replace(Config(), cell="GRU", timesteps=5)
    assert len(warnings) == 1 and warnings[0].startswith("Ignored URL parameter — units:")
    assert "using the default 8" in warnings[0]


def test_the_step_warning_reads_first_to_last_in_words():
    _, warnings = ViewSettings.from_query({"step": "500"})
    assert warnings == ["Ignored URL parameter — step: got '500', expected a step from 0 (the "
                        "first) to 199 (the last one of the longest sequence), or -1 for the last "
                        "step; using the default -1 (the last step)."]
    assert "[" not in warnings[0]                      # no interval notation for a student


def test_numeric_choices_accept_equal_spellings():
    assert TrainingSettings.parse("train_lr", "1e-2") == 0.01
    assert TrainingSettings.parse("train_clip", "0") == 0.0
    assert TrainingSettings(train_lr=0.003).to_query() == {"train_lr": "0.003"}


def test_limits_table_matches_the_fields():
    assert settings.LIMITS["units"] == (1, 256) and settings.LIMITS["seed"] == (0, 2**31 - 1)


@pytest.mark.parametrize("raw, expected", [("4,7", "4,7"), (" 4 , 7 ", "4,7"), ("", ""), ("3", "3")])
def test_lengths_parse_to_their_canonical_text(raw, expected):
    assert Config.parse("lengths", raw) == expected


@pytest.mark.parametrize("raw", ["a,7", "4,,7", "0,3", "-1", "4;7", "4.5"])
def test_invalid_lengths_fall_back_with_the_standard_warning(raw):
    cfg, warnings = Config.from_query({"lengths": raw})
    assert cfg.lengths == ""
    assert warnings == [f"Ignored URL parameter — lengths: got {raw!r}, expected "
                        f"{settings.LENGTHS_EXPECTED}; using the default (empty)."]


def test_lengths_that_do_not_fit_the_batch_say_why():
    with pytest.raises(ValueError, match="one per sample: batch_size = 3"):
        Config(lengths="4,7", batch_size=3).valid_lengths()
    with pytest.raises(ValueError, match="at most timesteps = 5"):
        Config(lengths="4,7", batch_size=2, timesteps=5).valid_lengths()
    assert Config(lengths="4,7", batch_size=2).valid_lengths() == (4, 7)
    assert Config().valid_lengths() == ()


@pytest.mark.parametrize("raw, ok", [("1", True), ("3", True), ("0", False), ("4", False)])
def test_layers_from_the_url(raw, ok):
    cfg, warnings = Config.from_query({"layers": raw})
    assert (cfg.layers == int(raw)) if ok else (cfg.layers == 1 and warnings)


def test_builder_presets_match_the_settings_choices():
    from ui.classroom import builder
    from ui.controls.settings import BuilderSettings
    assert tuple(builder.PRESETS) == BuilderSettings.spec("model_preset")["choices"]
    default = builder.PRESETS[BuilderSettings().model_preset]
    assert (BuilderSettings().model_spec, BuilderSettings().model_input_shape) == \
        (default.spec, default.input_shape)


def test_labels_and_help_name_every_tutorial_they_cite():
    """Issue 18: a seed number alone means nothing to a newcomer; every "seed NNN" an option
    label, note or help text shows comes after its tutorial's name (ui.classroom.sources.cite)."""
    from test_sources import BARE, cited_properly

    from ui.classroom import builder
    shown = [*settings.PRESET_LABELS.values(), *settings.PRESET_NOTES.values(),
             *settings.INIT_LABELS.values(), *settings.INIT_NOTES.values(),
             *(p.label for p in builder.PRESETS.values()),
             *(cls.spec(name)["help"] for cls in SETTINGS_CLASSES for name in cls.names())]
    assert sum(bool(BARE.search(text)) for text in shown) >= 4   # the check sees the citations
    assert [bad for text in shown for bad in cited_properly(text)] == []


def test_option_labels_fit_the_sidebar_and_keep_their_values():
    """The sidebar's selectbox shows one line (~30 characters at 16 px in its 250 px) and cuts the
    rest; the option values, which URLs and widget state hold, stay as they were."""
    assert tuple(settings.PRESET_LABELS) == settings.PRESETS == (
        "random", "train_X", "sine", "word", "csv")
    assert tuple(settings.INIT_LABELS) == settings.INITS == ("keras", "constant")
    assert [label for label in settings.PRESET_LABELS.values() if len(label) > 28] == []
