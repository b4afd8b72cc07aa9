"""The cuDNN checklist of the Cross-check page: each rule Keras applies, red when a setting
breaks it, linked to the sidebar control that changes it.

The rules themselves come from the installed Keras (``rnn_core.crosscheck.cudnn_report``, run
in the TensorFlow worker); this module only turns its reasons into checklist items (pure).
"""
from __future__ import annotations

import re
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
    "SimpleRNN": ("cell", "sidebar › Layer › cell"),
}
_REASON = re.compile(r"^(?:(?P<scope>forward|backward|both directions): )?(?P<mark>[✓✗]) (?P<text>.*)$")


@dataclass(frozen=True)
class Item:
    ok: bool | None      # None: a note, not a rule (e.g. where the rules were read from)
    text: str            # the rule as Keras's helper judged it, with its scope
    control: str | None  # widget key of the control that changes it
    where: str | None    # where that control is, in words (presenter view hides the sidebar)


def items(reasons: list[str]) -> list[Item]:
    """Checklist items from ``CrossCheckResult.cudnn_reasons``."""
    out = []
    for reason in reasons:
        match = _REASON.match(reason)
        if match is None:
            out.append(Item(None, reason, None, None))
            continue
        text = match["text"] if match["scope"] is None else f"{match['scope']}: {match['text']}"
        first_word = re.split(r"[ ;]", match["text"], maxsplit=1)[0]
        key, where = CONTROLS.get(first_word, (None, None))
        out.append(Item(match["mark"] == "✓", text, key, where))
    return out


def markdown(item: Item) -> str:
    """One checklist line: green ✓ or red ✗, and for a rule a setting decides, a link that
    moves the focus to its control (ui.tour's script handles ``#ctl-<key>``)."""
    colour = {True: "green", False: "red", None: "gray"}[item.ok]
    mark = {True: "✓", False: "✗", None: "·"}[item.ok]
    text = item.text.replace("[", "(").replace("]", ")")
    line = f":{colour}[{mark} {text}]"
    if item.control is not None:
        line += f" — [change `{item.control}`](#ctl-{item.control}) ({item.where})"
    return line
