"""A user rule's predicate (``rules.predicate``) as an Ibis expression, for every engine.

Numbers compare as they are (a money column with a decimal literal exactly, a whole number
as an integer); arithmetic is done in doubles, and division by zero is unknown (null), so
DuckDB and Spark give the same answer. ``as_of`` is the report date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.rules.tree import (
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


def compile_to(node: Node, columns: Mapping[str, ir.Value], as_of: dt.date) -> ir.Value:
    """``node`` as an Ibis expression, its column names read from ``columns``."""
    return _Compiler(columns, as_of)(node)


@dataclass
class _Compiler:
    columns: Mapping[str, ir.Value]
    as_of: dt.date

    def __call__(self, node: Node) -> Any:
        if isinstance(node, Column):
            return self.columns[node.name]
        if isinstance(node, Const):
            return _constant(node)
        if isinstance(node, AsOf):
            return ibis.literal(self.as_of, "date")
        if isinstance(node, Neg):
            return -self(node.arg)
        if isinstance(node, Arith):  # in doubles (exact decimals would change type per engine)
            left, right = self(node.left).cast("float64"), self(node.right).cast("float64")
            if node.op == "/":  # x / 0 is unknown on every engine (not an error, not inf)
                return ibis.ifelse(right == 0, ibis.null("float64"), left / right)
            return _ARITH_OPS[node.op](left, right)
        if isinstance(node, Compare):
            if _is_null(node.left) or _is_null(node.right):
                # unknown, as in SQL (Ibis would turn `x = NULL` into `x IS NULL`)
                return ibis.null("boolean")
            return _COMPARE_OPS[node.op](self(node.left), self(node.right))
        if isinstance(node, Logic):
            values = [self(a) for a in node.args]
            out = values[0]
            for value in values[1:]:
                out = (out & value) if node.op == "and" else (out | value)
            return out
        if isinstance(node, Not):
            return ~self(node.arg)
        if isinstance(node, InList):
            found = self(node.arg).isin([self(i) for i in node.items])
            return ~found if node.negated else found
        if isinstance(node, Between):
            inside = self(node.arg).between(self(node.low), self(node.high))
            return ~inside if node.negated else inside
        if isinstance(node, IsNull):
            return self(node.arg).notnull() if node.negated else self(node.arg).isnull()
        assert isinstance(node, Call)
        args = [self(a) for a in node.args]
        if node.name in ("coalesce", "least", "greatest") and any(
            a.type().is_numeric() for a in args
        ):  # mixed number types meet as doubles
            args = [a.cast("float64") for a in args]
        return _CALLS[node.name](args)


def _is_null(node: Node) -> bool:
    """A ``null`` literal: a comparison with it is unknown, whatever the other side."""
    return isinstance(node, Const) and node.kind == "null"


def _constant(node: Const) -> ir.Value:
    """A literal: a whole number as an integer, a decimal at its own precision (so a money
    column compares exactly), text, a date, a boolean or a typed null. A number no engine's
    integers or 18-digit decimals hold (1e19, 30 decimal places) is a double: a decimal that
    wide would make the engine widen the column it meets, and fail."""
    value, kind = node.value, node.kind
    if kind == "number":
        if value == value.to_integral_value() and abs(value) < 2**63:
            return ibis.literal(int(value), "int64")
        shape = value.as_tuple()
        scale = -int(shape.exponent)
        if len(shape.digits) <= 18 and 0 < scale <= 10:
            return ibis.literal(value, f"decimal({max(len(shape.digits), scale + 1)},{scale})")
        return ibis.literal(float(value), "float64")
    types = {"text": "string", "date": "date", "bool": "boolean", "null": "null"}
    return ibis.literal(value, types[kind])


_ARITH_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
}
_COMPARE_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_CALLS: dict[str, Callable[[list[Any]], Any]] = {
    "lower": lambda a: a[0].lower(),
    "upper": lambda a: a[0].upper(),
    "trim": lambda a: a[0].strip(),
    "abs": lambda a: a[0].abs(),
    "coalesce": lambda a: ibis.coalesce(*a),
    "least": lambda a: ibis.least(*a),
    "greatest": lambda a: ibis.greatest(*a),
}
