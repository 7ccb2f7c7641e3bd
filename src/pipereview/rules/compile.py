"""A user rule's predicate (``rules.predicate``) as an Ibis expression, for every engine.

Numbers are exact wherever their columns are (decisions D35): money, probabilities, counts
and literals are decimals, a ratio column (quota_achievement, coverage...) is its exact
numerator over its denominator, and arithmetic on them is done on fractions of decimals, so
``open_pipeline < 3 * gap_to_quota`` and ``coverage < 3`` are false when the pipeline is
exactly three times the gap. A comparison is the cross-multiplication of its two sides (both
denominators positive); dividing by zero is unknown (null). A double column (days in stage,
the risk score) makes the arithmetic it takes part in a double's, as read. An exact value
needing more than ``MAX_SCALE`` places is refused (``PredicateError``), so no engine can
overflow silently. ``as_of`` is the report date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.decimals import add, common, is_exact, literal, mul, scale_of, sub
from pipereview.metrics.base import date_value
from pipereview.names import one_of
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

# At most this many places in an exact intermediate: 38 - 24 = 14 digits remain before the
# point, enough for any amount pipereview reads (below 10^14).
MAX_SCALE = 24

# A ratio column's exact parts: numerator, denominator and the factor (100 for a percent).
Parts = tuple[ir.Value, ir.Value, int]


class CompileError(ValueError):
    """A condition the engines cannot evaluate exactly: what, and where (0-based)."""

    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message, self.pos = message, pos


def compile_to(
    node: Node,
    columns: Mapping[str, ir.Value],
    as_of: dt.date,
    ratios: Mapping[str, Parts] | None = None,
) -> ir.Value:
    """``node`` as an Ibis expression, its column names read from ``columns`` (and a ratio
    column's exact parts from ``ratios``)."""
    return _Compiler(columns, as_of, ratios or {})(node)


@dataclass(frozen=True)
class _Num:
    """A number: ``top / bottom`` (bottom None = 1, else positive or null) when exact, else
    a double in ``top``."""

    top: ir.Value
    bottom: ir.Value | None
    exact: bool

    def double(self) -> ir.FloatingValue:
        value = self.top.cast("float64")
        return value if self.bottom is None else value / self.bottom.cast("float64")

    def missing(self) -> ir.BooleanValue:
        gone = self.top.isnull()
        return gone if self.bottom is None else gone | self.bottom.isnull()


@dataclass
class _Compiler:
    columns: Mapping[str, ir.Value]
    as_of: Any  # a date, or a compiled plan's parameter
    ratios: Mapping[str, Parts]

    def __call__(self, node: Node) -> Any:
        if self._numeric(node):
            number = self.number(node)
            return number.top if number.bottom is None else number.double()
        if isinstance(node, Column):
            return self.columns[node.name]
        if isinstance(node, Const):
            return _constant(node)
        if isinstance(node, AsOf):
            return date_value(self.as_of)
        if isinstance(node, Compare):
            if _is_null(node.left) or _is_null(node.right):
                # unknown, as in SQL (Ibis would turn `x = NULL` into `x IS NULL`)
                return ibis.null("boolean")
            if self._numeric(node.left) or self._numeric(node.right):
                return self.compare(node.op, node.left, node.right)
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
            return self._in_list(node)
        if isinstance(node, Between):
            if self._numeric(node.arg):
                low = self.compare(">=", node.arg, node.low)
                inside = low & self.compare("<=", node.arg, node.high)
            else:
                inside = self(node.arg).between(self(node.low), self(node.high))
            return ~inside if node.negated else inside
        if isinstance(node, IsNull):
            gone = self.number(node.arg).missing() if self._numeric(node.arg) else None
            gone = self(node.arg).isnull() if gone is None else gone
            return ~gone if node.negated else gone
        assert isinstance(node, Call)
        return _CALLS[node.name]([self(a) for a in node.args])

    # --- numbers ---------------------------------------------------------------------
    def _numeric(self, node: Node) -> bool:
        """Whether ``node`` is a number (a number column, literal, arithmetic, or a call
        on numbers)."""
        if isinstance(node, Column):
            value = self.columns[node.name]
            return node.name in self.ratios or value.type().is_numeric()
        if isinstance(node, Const):
            return node.kind == "number"
        if isinstance(node, Neg | Arith):
            return True
        if isinstance(node, Call):
            return node.name in ("abs", "least", "greatest", "coalesce") and any(
                self._numeric(a) for a in node.args
            )
        return False

    def number(self, node: Node) -> _Num:
        if isinstance(node, Const):
            if node.kind == "null":
                return _Num(ibis.null("int64"), None, True)
            return _Num(_number_literal(node), None, True)
        if isinstance(node, Column):
            if node.name in self.ratios:
                top, bottom, times = self.ratios[node.name]
                top = mul(top, literal(times)) if times != 1 else top
                positive = ibis.ifelse(bottom > 0, bottom, ibis.null(bottom.type()))
                return self._checked(_Num(top, positive, True), node)
            value = self.columns[node.name]
            return _Num(value, None, is_exact(value))
        if isinstance(node, Neg):
            inner = self.number(node.arg)
            return _Num(-inner.top, inner.bottom, inner.exact)
        if isinstance(node, Arith):
            left, right = self.number(node.left), self.number(node.right)
            if not (left.exact and right.exact):
                return _Num(_double_arith(node.op, left.double(), right.double()), None, False)
            return self._checked(_exact_arith(node.op, left, right), node)
        if isinstance(node, Call):
            args = [self.number(a) if self._numeric(a) else None for a in node.args]
            return self._call(node, [a if a is not None else _NULL for a in args])
        raise AssertionError(f"not a number: {node}")

    def _checked(self, number: _Num, node: Node) -> _Num:
        for part in (number.top, number.bottom):
            scale = scale_of(part) if part is not None else 0
            if scale is not None and scale > MAX_SCALE:
                raise CompileError(
                    f"needs {scale} decimal places to compute exactly (at most {MAX_SCALE})",
                    node.pos,
                )
        return number

    def compare(self, op: str, left_node: Node, right_node: Node) -> ir.BooleanValue:
        """``left op right`` for numbers: exactly, by cross-multiplication, when both are
        exact; else in doubles."""
        left, right = self.number(left_node), self.number(right_node)
        if not (left.exact and right.exact):
            return _COMPARE_OPS[op](left.double(), right.double())
        a = left.top if right.bottom is None else mul(left.top, right.bottom)
        b = right.top if left.bottom is None else mul(right.top, left.bottom)
        self._checked(_Num(a, b, True), left_node)
        a, b = common(a, b)
        return _COMPARE_OPS[op](a, b)

    def _in_list(self, node: InList) -> ir.BooleanValue:
        if not self._numeric(node.arg):
            found = one_of(self(node.arg), [self(i) for i in node.items])
            return ~found if node.negated else found
        found = None
        for item in node.items:  # x IN (a, b) is x = a OR x = b, unknowns included
            equal = self.compare("=", node.arg, item)
            found = equal if found is None else found | equal
        assert found is not None
        return ~found if node.negated else found

    def _call(self, node: Call, args: list[_Num]) -> _Num:
        if node.name == "abs":
            (arg,) = args
            return _Num(arg.top.abs(), arg.bottom, arg.exact)
        if not all(a.exact for a in args):
            doubles = [a.double() for a in args]
            return _Num(_CALLS[node.name](doubles), None, False)
        out = args[0]
        for arg in args[1:]:  # least / greatest skip missing values, as DuckDB and Spark do
            if node.name == "coalesce":
                take = out.missing()
            else:
                better = self._lt(arg, out) if node.name == "least" else self._lt(out, arg)
                take = ~arg.missing() & (out.missing() | better.fill_null(False))
            out = _pick(~take, out, arg)
        return self._checked(out, node)

    def _lt(self, a: _Num, b: _Num) -> ir.BooleanValue:
        left = a.top if b.bottom is None else mul(a.top, b.bottom)
        right = b.top if a.bottom is None else mul(b.top, a.bottom)
        left, right = common(left, right)
        return left < right


_NULL = _Num(ibis.null("int64"), None, True)


def _pick(keep: ir.BooleanValue, first: _Num, second: _Num) -> _Num:
    """``first`` where ``keep`` holds, else ``second`` (parts brought to one scale)."""
    top_a, top_b = common(first.top, second.top)
    top = ibis.ifelse(keep, top_a, top_b)
    if first.bottom is None and second.bottom is None:
        return _Num(top, None, True)
    one = literal(1)
    bot_a, bot_b = common(first.bottom if first.bottom is not None else one,
                          second.bottom if second.bottom is not None else one)  # fmt: skip
    return _Num(top, ibis.ifelse(keep, bot_a, bot_b), True)


def _exact_arith(op: str, left: _Num, right: _Num) -> _Num:
    """Fractions of decimals: a/b + c/d = (ad + cb)/bd, a/b x c/d = ac/bd, a/b / c/d =
    ad/bc with the sign moved up (a zero divisor gives null)."""
    a, b, c, d = left.top, left.bottom, right.top, right.bottom
    if op in ("+", "-"):
        join = add if op == "+" else sub
        if b is None and d is None:
            return _Num(join(a, c), None, True)
        first = a if d is None else mul(a, d)
        second = c if b is None else mul(c, b)
        return _Num(join(first, second), _times(b, d), True)
    if op == "*":
        return _Num(mul(a, c), _times(b, d), True)
    top = a if d is None else mul(a, d)
    bottom = c if b is None else mul(c, b)
    sign = ibis.cases((bottom > 0, 1), (bottom < 0, -1), else_=ibis.null("int64"))
    return _Num(mul(top, sign.cast("int64")), mul(bottom, sign.cast("int64")), True)


def _times(b: ir.Value | None, d: ir.Value | None) -> ir.Value | None:
    if b is None:
        return d
    return b if d is None else mul(b, d)


def _double_arith(op: str, left: ir.FloatingValue, right: ir.FloatingValue) -> Any:
    if op == "/":  # x / 0 is unknown on every engine (not an error, not inf)
        return ibis.ifelse(right == 0, ibis.null("float64"), left / right)
    return _ARITH_OPS[op](left, right)


def _is_null(node: Node) -> bool:
    """A ``null`` literal: a comparison with it is unknown, whatever the other side."""
    return isinstance(node, Const) and node.kind == "null"


def _number_literal(node: Const) -> ir.DecimalValue:
    """A number literal, exactly: at most 38 digits, ``MAX_SCALE`` of them after the point."""
    shape = node.value.as_tuple()
    places = max(0, -int(shape.exponent))
    digits = max(len(shape.digits), places) + max(0, int(shape.exponent))
    if places > MAX_SCALE or digits > 38:
        raise CompileError(
            f"{node.value} has more digits than pipereview compares exactly (38, at most "
            f"{MAX_SCALE} after the point)",
            node.pos,
        )
    return literal(node.value)


def _constant(node: Const) -> ir.Value:
    """A literal that is not a number: text, a date, a boolean or a typed null."""
    types = {"text": "string", "date": "date", "bool": "boolean", "null": "null"}
    return ibis.literal(node.value, types[node.kind])


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
