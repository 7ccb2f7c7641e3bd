"""Exact decimal arithmetic as Ibis expressions that every engine computes alike.

Engines type decimal results their own way (DuckDB and Spark give a product the sum of the
scales, capped at 38 digits; PostgreSQL's numeric is unbounded), and Ibis types them as the
wider operand, refusing to mix decimals neither of which holds the other. So every operand
here is first cast to 38 digits at a scale chosen so that one holds the other, and every
result is cast to the scale the engines really give it: the same exact value, typed the
same, on DuckDB, Spark and PostgreSQL. A value beyond 38 digits stops DuckDB with an
overflow error (decisions D34 names the bounds).

Also the one table of how an amount's currency is written before its digits
(``money_symbol``), shared by the rules' sentences and every human format.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

# A symbol only where it is unambiguous; any other code is written before the number.
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
DEFAULT_CURRENCY = "USD"


def money_symbol(currency: str | None) -> str:
    """What stands before an amount's digits: ``$``, ``€``, ``£``, ``¥`` or ``CHF ``."""
    code = (currency or DEFAULT_CURRENCY).strip().upper()
    return SYMBOLS.get(code, code + " ")


DIGITS = 38


def scale_of(value: ir.Value) -> int | None:
    """The decimal places of an exact number (an integer has 0), None for a double."""
    kind = value.type()
    if kind.is_integer() or kind.is_boolean():
        return 0
    if kind.is_decimal():
        return int(kind.scale if kind.scale is not None else 18)
    return None


def is_exact(value: ir.Value) -> bool:
    """An integer or a decimal: arithmetic on it can be exact."""
    return scale_of(value) is not None


def at_scale(value: ir.Value, scale: int) -> ir.DecimalValue:
    """``value`` as ``decimal(38, scale)`` (the exact value, more places)."""
    return value.cast(f"decimal({DIGITS},{scale})")


def exact_decimal(value: Any) -> Decimal:
    """A number as an exact decimal: a float (a policy value read from TOML) as the decimal
    its shortest text spells, so 0.7 is 7/10 and not the double nearest to it."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, float):
        return Decimal(repr(value))
    return value if isinstance(value, Decimal) else Decimal(value)


def plain(value: Decimal) -> float | Decimal:
    """A decimal as a report holds a shown number: a float when a float writes exactly
    these digits (the usual case), else the Decimal itself (written exactly); never -0.0."""
    as_float = float(value) + 0.0
    return as_float if Decimal(repr(as_float)) == value else value


def literal(value: Decimal | int) -> ir.DecimalValue:
    """An exact decimal literal at its own scale (0.7 -> 0.7, 3 -> 3)."""
    number = Decimal(value)
    scale = max(0, -int(number.as_tuple().exponent))
    return ibis.literal(number, f"decimal({DIGITS},{scale})")


def _pair(a: ir.Value, b: ir.Value) -> tuple[ir.DecimalValue, ir.DecimalValue, int, int]:
    """``a`` and ``b`` cast so that the one with more places holds the other (Ibis then
    accepts them together), and their scales."""
    sa, sb = scale_of(a), scale_of(b)
    assert sa is not None and sb is not None, "exact arithmetic needs exact operands"
    top = max(sa, sb)
    # the operand with fewer places keeps as many integer digits as the other: 38 - top
    wa = a.cast(f"decimal({DIGITS - top + sa},{sa})")
    wb = b.cast(f"decimal({DIGITS - top + sb},{sb})")
    return wa, wb, sa, sb


def mul(a: ir.Value, b: ir.Value) -> ir.DecimalValue:
    """a x b, exactly: the scales add."""
    wa, wb, sa, sb = _pair(a, b)
    return (wa * wb).cast(f"decimal({DIGITS},{sa + sb})")


def add(a: ir.Value, b: ir.Value) -> ir.DecimalValue:
    """a + b, exactly, at the larger scale."""
    top = max(scale_of(a) or 0, scale_of(b) or 0)
    return (at_scale(a, top) + at_scale(b, top)).cast(f"decimal({DIGITS},{top})")


def sub(a: ir.Value, b: ir.Value) -> ir.DecimalValue:
    """a - b, exactly, at the larger scale."""
    top = max(scale_of(a) or 0, scale_of(b) or 0)
    return (at_scale(a, top) - at_scale(b, top)).cast(f"decimal({DIGITS},{top})")


def common(a: ir.Value, b: ir.Value) -> tuple[ir.DecimalValue, ir.DecimalValue]:
    """``a`` and ``b`` at one scale (the larger), for an exact comparison."""
    top = max(scale_of(a) or 0, scale_of(b) or 0)
    return at_scale(a, top), at_scale(b, top)


def round_half_even(value: ir.Value, places: int) -> ir.DecimalValue:
    """An exact decimal rounded half-even to ``places`` (the engines' own ``round`` and
    casts round half away from zero)."""
    scale = scale_of(value)
    assert scale is not None
    if scale <= places:
        return at_scale(value, places)
    shifted = mul(value, literal(10**places))
    whole = shifted.floor().cast(f"decimal({DIGITS},0)")
    rest = sub(shifted, whole)
    half = literal(Decimal("0.5"))
    halved = mul(whole, half)
    floor, exact_half = common(halved.floor().cast(f"decimal({DIGITS},0)"), halved)
    odd = floor != exact_half
    above, at_half = common(rest, half)
    up = (above > at_half) | ((above == at_half) & odd)
    bumped = add(whole, ibis.ifelse(up, 1, 0).cast("int64"))
    return mul(bumped, literal(Decimal(1).scaleb(-places))).cast(f"decimal({DIGITS},{places})")
