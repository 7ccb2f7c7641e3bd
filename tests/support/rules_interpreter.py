"""A plain-Python interpreter of a user rule's parsed condition (``rules.predicate.parse``),
with SQL's three-valued logic: the tests' independent reading of what a rule means.

Values are Python values: exact numbers as Decimal, int or Fraction (money, probabilities,
counts, literals, a ratio column's exact quotient; arithmetic and comparisons on them are
done on fractions, exactly, as decisions D35 says the engines do) or float (a double column:
days in stage, a risk score; an exact number meeting one is read as the double nearest to
it, as SQL engines cast a decimal to a double), text as str, dates as dt.date, conditions
as True / False / None (unknown). A missing value is None.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from pipereview.rules.predicate import (
    Arith,
    AsOf,
    Between,
    Call,
    Column,
    Compare,
    Const,
    InList,
    IsNull,
    Logic,
    Neg,
    Node,
    Not,
)

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_ARITH: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}


def and3(values: list[bool | None]) -> bool | None:
    """SQL AND: false wins, then unknown."""
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def or3(values: list[bool | None]) -> bool | None:
    """SQL OR: true wins, then unknown."""
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def not3(value: bool | None) -> bool | None:
    return None if value is None else not value


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float | Decimal | Fraction) and not isinstance(value, bool)


def _exact(value: Any) -> bool:
    return _numeric(value) and not isinstance(value, float)


def compare(op: str, left: Any, right: Any) -> bool | None:
    """``left op right``; unknown when either is missing."""
    if left is None or right is None:
        return None
    if _numeric(left) and _numeric(right):
        if _exact(left) and _exact(right):
            return _COMPARE[op](Fraction(left), Fraction(right))
        return _COMPARE[op](float(left), float(right))  # a double meets a decimal
    return _COMPARE[op](left, right)


def evaluate(node: Node, row: Mapping[str, Any], as_of: dt.date) -> Any:
    """The value of ``node`` for one subject whose columns are ``row``."""
    if isinstance(node, Column):
        return row[node.name]
    if isinstance(node, Const):
        return node.value
    if isinstance(node, AsOf):
        return as_of
    if isinstance(node, Neg):
        value = evaluate(node.arg, row, as_of)
        return None if value is None else -value
    if isinstance(node, Arith):
        left, right = evaluate(node.left, row, as_of), evaluate(node.right, row, as_of)
        if left is None or right is None:
            return None
        if _exact(left) and _exact(right):
            left, right = Fraction(left), Fraction(right)
        else:
            left, right = float(left), float(right)
        if node.op == "/":
            return None if right == 0 else left / right  # x / 0 is unknown
        return _ARITH[node.op](left, right)
    if isinstance(node, Compare):
        return compare(node.op, evaluate(node.left, row, as_of), evaluate(node.right, row, as_of))
    if isinstance(node, Logic):
        values = [evaluate(a, row, as_of) for a in node.args]
        return and3(values) if node.op == "and" else or3(values)
    if isinstance(node, Not):
        return not3(evaluate(node.arg, row, as_of))
    if isinstance(node, InList):
        value = evaluate(node.arg, row, as_of)
        found = or3([compare("=", value, evaluate(i, row, as_of)) for i in node.items])
        return not3(found) if node.negated else found
    if isinstance(node, Between):
        value = evaluate(node.arg, row, as_of)
        inside = and3(
            [
                compare(">=", value, evaluate(node.low, row, as_of)),
                compare("<=", value, evaluate(node.high, row, as_of)),
            ]
        )
        return not3(inside) if node.negated else inside
    if isinstance(node, IsNull):
        missing = evaluate(node.arg, row, as_of) is None
        return not missing if node.negated else missing
    assert isinstance(node, Call), node
    args = [evaluate(a, row, as_of) for a in node.args]
    return _call(node.name, args)


def _call(name: str, args: list[Any]) -> Any:
    if name in ("lower", "upper", "trim", "abs"):
        (value,) = args
        if value is None:
            return None
        if name == "lower":
            return value.lower()
        if name == "upper":
            return value.upper()
        if name == "trim":
            return value.strip(" ")  # SQL trim removes spaces
        return abs(value)
    numbers = any(_numeric(a) for a in args)
    exact = all(_exact(a) for a in args if a is not None)  # a double makes them all doubles
    convert = (Fraction if exact else float) if numbers else (lambda a: a)
    present = [convert(a) for a in args if a is not None]
    if name == "coalesce":
        return present[0] if present else None
    # least / greatest skip missing values (DuckDB and Spark alike): unknown only when all are
    if not present:
        return None
    return min(present) if name == "least" else max(present)


def holds(node: Node, row: Mapping[str, Any], as_of: dt.date) -> bool:
    """Whether the rule fires: its condition is true (unknown does not fire)."""
    return evaluate(node, row, as_of) is True
