"""Reading a parameter formula as a student would: its arithmetic, done by Python itself.

``formula_total("4 × (8 × (4 + 8) + 8) = 416")`` returns (416, 416): the value of the text left of
"=" and the number after it. Tests compare both with Keras's ``count_params()``, so a formula
that does not add up fails even when the total printed after it is right."""
from __future__ import annotations

import re

_ARITHMETIC = re.compile(r"[\d\s+×()]+")


def arithmetic(text: str, **symbols: int) -> int:
    """The value of '3 × (units × (input_dim + units) + units)' with ``symbols`` filled in."""
    for name, value in sorted(symbols.items(), key=lambda kv: -len(kv[0])):  # input_dim before dim
        text = re.sub(rf"\b{name}\b", str(value), text)
    text = text.replace(",", "")
    assert _ARITHMETIC.fullmatch(text), f"not plain arithmetic: {text!r}"
    return eval(text.replace("×", "*"), {"__builtins__": {}})  # noqa: S307 (digits, +, ×, () only)


def formula_total(filled: str) -> tuple[int, int]:
    """(value of the formula, the total printed after '=') for 'formula = 1,234'."""
    formula, _, total = filled.strip("` ").rpartition(" = ")
    return arithmetic(formula), int(total.replace(",", ""))
