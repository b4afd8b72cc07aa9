"""The widgets that show settings, and the URL sync: Streamlit glue over ``ui.controls.settings``.

One mechanism for every settings class: session state holds each field under its own name
(== widget key == URL parameter); ``apply_query_params`` copies URL values in, ``write_query``
mirrors one class's non-default values out, ``widget`` draws a field's widget.

Streamlit's own ``bind="query-params"`` is not used: it drops an invalid URL value silently (we
must name it in a warning) and forbids writing a bound parameter through ``st.query_params``.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from ui.controls import inputs, keys
from ui.controls.settings import (
    CELLS,
    INIT_LABELS,
    INIT_NOTES,
    INITS,
    LIMITS,
    MAX_WORD,
    MERGE_MODES,
    PRESET_LABELS,
    PRESET_NOTES,
    PRESETS,
    SETTINGS_CLASSES,
    Config,
    ViewSettings,
    to_url_value,
)
from ui.runtime import budget, streamlit_private

UPLOAD_CSS = Path(__file__).resolve().parents[2] / "static" / "upload.css"  # a refused file's why


def apply_query_params() -> list[str]:
    """Copy URL values into session state (before the widgets exist); return warnings.

    Only on the session's first run: that is a shared link (or a reload, which starts a new
    session). Later runs carry the query string the browser last got from the server, which
    lags behind a fast series of clicks: applying it reverted a checkbox a student had just
    clicked. The step the browser moves to is reported by ``lab``'s step reporter instead. A
    page switch clears the URL, which changes nothing.
    """
    state = st.session_state
    if state.get(keys.URL_APPLIED):
        return []
    state[keys.URL_APPLIED] = True
    url = st.query_params.to_dict()
    written = state.get(keys.URL_WRITTEN, {})
    warnings = []
    for cls in SETTINGS_CLASSES:
        fresh = {k: v for k, v in url.items() if k in cls.names() and written.get(k) != v}
        parsed, problems = cls.from_query(fresh)
        for name in fresh:
            state[name] = getattr(parsed, name)
        warnings += problems
        for name in cls.names():
            state.setdefault(name, getattr(cls(), name))
    if warnings:  # added to, not replaced: a rerun re-parses only the values not yet written
        state[keys.URL_WARNINGS] = list(dict.fromkeys(state.get(keys.URL_WARNINGS, []) + warnings))
        state.pop(keys.URL_WARNED_CONFIG, None)
    return warnings


def url_warnings(cfg: Config) -> list[str]:
    """Warnings about ignored URL values, kept visible (across page switches) until the
    learner changes the configuration."""
    state = st.session_state
    if not state.get(keys.URL_WARNINGS):
        return []
    state.setdefault(keys.URL_WARNED_CONFIG, cfg)
    if state[keys.URL_WARNED_CONFIG] != cfg:
        state.pop(keys.URL_WARNINGS)
        return []
    return state[keys.URL_WARNINGS]


def settings(cls):
    """The settings of class ``cls`` as held in session state."""
    state = st.session_state
    defaults = cls()
    return cls(**{name: state.get(name, getattr(defaults, name)) for name in cls.names()})


def write_query(values) -> None:
    """Mirror one settings object into the URL: its non-default values, other parameters kept."""
    url = st.query_params.to_dict()
    new = {k: v for k, v in url.items() if k not in values.names()}
    new.update(values.to_query())
    written = {k: v for k, v in st.session_state.get(keys.URL_WRITTEN, {}).items()
               if k not in values.names()}
    written.update(values.to_query())
    st.session_state[keys.URL_WRITTEN] = written
    if new != url:
        st.query_params.from_dict(new)


def widget(cls, name: str, label: str | None = None, where=None, kind: str | None = None,
           lockable: bool = True, **kwargs):
    """The widget for field ``name`` of ``cls`` (key == name); returns its value.

    A choice widget's ``format_func`` must depend on the option alone: Streamlit keeps a radio's
    or selectbox's value as its formatted label, so a label that changes with another setting
    resets the widget (tests/test_app_config.py checks every sidebar choice). ``kind`` picks
    among widgets for the same type: "radio"/"select_slider" for choices, "toggle" for booleans,
    "slider" for numbers. ``lockable=False``: an exploration control a locked link leaves free
    (sampling, gradient flow on /training).
    """
    where = where or st
    spec = cls.spec(name)
    label = name if label is None else label
    kwargs.setdefault("help", spec["help"] or None)
    # lock=true: every setting read-only, but not the view (students still step through) nor
    # what a class explores
    kwargs["disabled"] = kwargs.get("disabled", False) or (
        lockable and cls is not ViewSettings and locked())
    lo, hi = kwargs.pop("lo", spec["lo"]), kwargs.pop("hi", spec["hi"])
    if spec["kind"] is bool:
        return (where.toggle if kind == "toggle" else where.checkbox)(label, key=name, **kwargs)
    if spec["choices"] is not None:
        make = {"radio": where.radio, "select_slider": where.select_slider}.get(kind, where.selectbox)
        return make(label, spec["choices"], key=name, **kwargs)
    if spec["kind"] in (int, float):
        make = where.slider if kind == "slider" else where.number_input
        return make(label, lo, hi, key=name, **kwargs)
    return where.text_input(label, key=name, max_chars=spec["max_len"], **kwargs)


def locked() -> bool:
    """lock=true: the configuration is visible but read-only (a teacher's link)."""
    return bool(st.session_state.get("lock", False))


def ensure_app_navigation() -> None:
    """Pages run through app.py's st.navigation, also on a server's very first request."""
    streamlit_private.leave_legacy_pages_mode()


def current() -> Config:
    """The config as held in session state (the sidebar has already run this rerun)."""
    ensure_app_navigation()
    return settings(Config)


def _reseed() -> None:
    # A callback runs before the widgets, so it may change the seed widget's value.
    st.session_state["seed"] = int(st.session_state.get("seed", 0) * 7919 + 1) % 2**31


def _preset_inputs(sb, state) -> tuple[int, int, int] | None:
    """The preset's own widgets (word box, CSV upload); returns the shape it fixes."""
    csv_x = None
    if state["preset"] == "word":
        widget(Config, "word", where=sb)
        if not state["word"]:
            sb.warning("Type at least one character; using 'hihello'.")
            state["word"] = "hihello"
    elif state["preset"] == "csv":
        limit = budget.size_text(budget.UPLOAD_BYTES)
        # The limit is stated before the upload: the browser refuses a larger file itself (the
        # server never sees it) and upload.css shows its reason on the refused file's chip.
        st.html(UPLOAD_CSS)
        upload = sb.file_uploader(f"CSV file, at most {limit}", type=["csv", "txt", "tsv"],
                                  key="csv_file", max_upload_size=budget.UPLOAD_BYTES // budget.MB,
                                  disabled=locked())
        if upload is None:
            # No file, removed, or refused by the browser (over the limit): the error about an
            # earlier file no longer describes what the student sees.
            state.pop(keys.CSV_ERROR, None)
        else:
            try:
                state[keys.CSV_X] = inputs.parse_csv(upload.getvalue())
                state[keys.CSV_NAME] = upload.name
                state.pop(keys.CSV_ERROR, None)
            except ValueError as err:
                state.pop(keys.CSV_X, None)
                state[keys.CSV_ERROR] = str(err)
        if state.get(keys.CSV_ERROR):
            sb.container(key="csv_error").error(state[keys.CSV_ERROR])
        csv_x = state.get(keys.CSV_X)
        if csv_x is None:
            sb.info("No valid CSV yet: the pages use seeded random input meanwhile.")
        else:
            sb.caption(f"Loaded {state.get('_csv_name', 'CSV')}: {csv_x.shape[0]} timesteps × "
                       f"{csv_x.shape[1]} features.")
        sb.caption(":material/link_off: An uploaded file cannot travel in a link: whoever opens "
                   "this page's link gets seeded random input until they upload the same CSV.")
    return inputs.fixed_shape(settings(Config), csv_x)


MORE_FLAGS = ("activation", "recurrent_activation", "use_bias", "unroll", "dropout",
              "recurrent_dropout")
MORE_FLAGS_LABEL = "More Keras flags"


def _more_flags(sb, state) -> None:
    """The remaining Keras arguments, folded away unless one differs from Keras's default."""
    defaults = Config()
    changed = any(state[name] != getattr(defaults, name) for name in MORE_FLAGS)
    with sb.expander(MORE_FLAGS_LABEL, expanded=changed, key="more_flags"):
        widget(Config, "activation")
        widget(Config, "recurrent_activation", disabled=state["cell"] == "SimpleRNN")
        widget(Config, "use_bias")
        widget(Config, "unroll")
        widget(Config, "dropout", kind="slider", step=0.05)
        widget(Config, "recurrent_dropout", kind="slider", step=0.05)
        st.caption("dropout and recurrent_dropout act only while training. Every page here shows "
                   "inference (`training=False`), where Keras applies no dropout, so they change "
                   "no number; unroll changes how Keras runs the loop, not the result.")


def sidebar() -> Config:
    """Render the shared config widgets in the sidebar and return the config."""
    state = st.session_state
    sb = st.sidebar
    if locked():
        sb.info("This link shows the configuration read-only.", icon=":material/lock:")
    sb.header("Layer")
    widget(Config, "cell", where=sb, kind="radio", horizontal=True)
    widget(Config, "units", where=sb)
    widget(Config, "layers", where=sb, label="layers (stacked)")
    widget(Config, "lower_return_sequences", where=sb, label="lower layers return sequences",
           disabled=state["layers"] == 1)
    for name in ("return_sequences", "return_state", "go_backwards", "stateful", "bidirectional"):
        widget(Config, name, where=sb)
    widget(Config, "merge_mode", where=sb, disabled=not state["bidirectional"])
    _more_flags(sb, state)

    sb.header("Input")
    preset = widget(Config, "preset", where=sb, format_func=PRESET_LABELS.get)
    if preset in PRESET_NOTES:
        sb.caption(PRESET_NOTES[preset])
    fixed = _preset_inputs(sb, state)   # word box / CSV upload; fixed shape
    if fixed is not None:
        state["batch_size"], state["timesteps"], state["input_dim"] = fixed
    for name in ("batch_size", "timesteps", "input_dim"):
        widget(Config, name, where=sb, disabled=fixed is not None)
    widget(Config, "lengths", where=sb, label="lengths (padding + masking)",
           placeholder="e.g. 4,7 — empty: no padding")

    sb.header("Weights")
    forget_one = state["cell"] == "LSTM" and state["unit_forget_bias"]
    # The radio itself never changes with another setting (the browser keeps a radio's value as
    # its label, and resets a radio whose options change: a label that changed with
    # unit_forget_bias dropped "constant"). What depends on other settings is a caption under it.
    init = widget(Config, "init", where=sb, kind="radio", horizontal=True,
                  format_func=INIT_LABELS.get)
    if init in INIT_NOTES:
        sb.caption(INIT_NOTES[init] + (" Forget bias 1 (unit_forget_bias)." if forget_one else ""))
    col1, col2 = sb.columns([3, 2], vertical_alignment="bottom")
    widget(Config, "seed", where=col1)
    col2.button("Re-seed", on_click=_reseed, key="reseed", disabled=locked())
    widget(Config, "unit_forget_bias", where=sb, disabled=state["cell"] != "LSTM")
    widget(Config, "reset_after", where=sb, disabled=state["cell"] != "GRU")
    sb.caption(":material/link: The page's URL holds this view (configuration, step, sample and "
               "the page's own settings): copy it to share exactly this view.")
    cfg = current()
    write_query(cfg)
    write_query(settings(ViewSettings))
    return cfg


__all__ = ["CELLS", "INITS", "INIT_LABELS", "LIMITS", "MAX_WORD", "MERGE_MODES", "PRESETS",
           "apply_query_params", "current", "settings", "sidebar", "url_warnings", "widget",
           "write_query", "to_url_value"]
