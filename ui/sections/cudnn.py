"""The cuDNN checklist of the Cross-check page: each rule Keras applies, red when a setting
breaks it, linked to the sidebar control that changes it.

The rules come as records from the installed Keras (``rnn_core.crosscheck.cudnn_rules``, run in
the TensorFlow worker); this module only words them as checklist items (pure).
"""
from __future__ import annotations

from dataclasses import dataclass

# Keras argument -> (sidebar widget key, where it lives), for the rules a setting can break.
CONTROLS = {
    "activation": ("activation", "sidebar › Layer › More Keras flags › activation"),
    "recurrent_activation": ("recurrent_activation",
                             "sidebar › Layer › More Keras flags › recurrent_activation"),
    "use_bias": ("use_bias", "sidebar › Layer › More Keras flags › use_bias"),
    "unroll": ("unroll", "sidebar › Layer › More Keras flags › unroll"),
    "recurrent_dropout": ("recurrent_dropout", "sidebar › Layer › More Keras flags › recurrent_dropout"),
    "reset_after": ("reset_after", "sidebar › Weights › reset_after"),
    "layer": ("cell", "sidebar › Layer › cell"),
}


@dataclass(frozen=True)
class Item:
    ok: bool | None      # None: a note, not a rule (e.g. where the rules were read from)
    text: str            # the rule as Keras judged it, with its scope
    control: str | None  # widget key of the control that changes it
    where: str | None    # where that control is, in words (presenter view hides the sidebar)


def _text(rule, on_a_gpu: bool) -> str:
    if rule.argument == "device":
        if rule.ok:
            return f"a GPU is visible ({rule.actual})"
        return "no GPU visible: " + ("on a GPU this configuration would use cuDNN" if on_a_gpu else
                                     "even on a GPU this configuration would not use cuDNN")
    if rule.argument == "layer":
        what = f"{rule.actual} has a cuDNN kernel" if rule.ok else \
            f"{rule.actual} has no cuDNN kernel in Keras"
    else:
        what = f"{rule.argument} is {rule.actual}"
    return what if rule.ok else f"{what}; cuDNN needs {rule.needed}"


def _sources(rules) -> str:
    """Where the rules were read from, each source with the arguments it gave."""
    how = {"probed": "read from the installed Keras {v} (a layer built with use_cudnn while a GPU "
                     "is reported)",
           "source": "written from Keras {v}'s source (they show only inside a call on a GPU)"}
    by_source: dict[tuple, list[str]] = {}
    for rule in rules:
        if rule.argument != "device":
            names = by_source.setdefault((rule.how, rule.keras_version), [])
            if rule.argument not in names:
                names.append(rule.argument)
    return "(" + "; ".join(f"{', '.join(names)}: {how[h].format(v=v)}"
                           for (h, v), names in by_source.items()) + ")"


def items(report) -> list[Item]:
    """Checklist items from a ``rnn_core.crosscheck.CudnnReport``: one per rule, then a note
    saying which Keras each rule was read from."""
    out = []
    for rule in report.rules:
        text = _text(rule, report.on_a_gpu)
        key, where = CONTROLS.get(rule.argument, (None, None))
        out.append(Item(rule.ok, f"{rule.scope}: {text}" if rule.scope else text, key, where))
    out.append(Item(None, _sources(report.rules), None, None))
    return out


def markdown(item: Item) -> str:
    """One checklist line: green ✓ or red ✗, and for a rule a setting decides, a link that
    moves the focus to its control (ui.classroom.tour's script handles ``#ctl-<key>``)."""
    colour = {True: "green", False: "red", None: "gray"}[item.ok]
    mark = {True: "✓", False: "✗", None: "·"}[item.ok]
    text = item.text.replace("[", "(").replace("]", ")")
    line = f":{colour}[{mark} {text}]"
    if item.control is not None:
        line += f" — [change `{item.control}`](#ctl-{item.control}) ({item.where})"
    return line
