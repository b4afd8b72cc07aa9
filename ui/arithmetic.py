"""The number a printed formula's text evaluates to, so a page prints what its formula says.

A parameter formula is shown as text ("4 × (8 × (4 + 8) + 8)"); the count after its "=" is
computed from that very text, so a typo in the formula shows up as a wrong count on the page
(and in the tests, which compare it with Keras's ``count_params``).
"""
from __future__ import annotations

import ast
import operator

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}


def value(text: str) -> int:
    """"4 × (8 × (4 + 8) + 8)" -> 416: integers, +, −, × and brackets only."""
    tree = ast.parse(text.replace("×", "*").replace("−", "-").replace(",", ""), mode="eval")

    def walk(node) -> int:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        raise ValueError(f"not a count's arithmetic: {text!r}")

    return walk(tree)


def filled_in(layer) -> str:
    """The layer's formula with its numbers, "= count" computed from that text."""
    numbers = layer.param_formula().rsplit(" = ", 1)[0]   # rnn_core appends count_params()
    return f"{numbers} = {value(numbers):,}"
