"""The precision pipereview keeps, and the test that a read value fits it (decisions D34).

Money is kept exactly to 4 decimal places, probabilities (and close rates) to 6, exchange
rates to 8 (``schema.py``). A value with a non-zero digit beyond those places cannot be held
exactly, so it is refused (the row is unusable, and the error path names it), never rounded
in silence: rounding 0.6999995 to 0.7 would make a flag say "at 70%", and rounding 1000.01495
to 1000.0150 would round the cent twice. The same test applies to every reader: text (CSV,
JSON strings), a double (JSON and Parquet numbers, Excel, pandas: the decimal its shortest
round-trip text spells), a decimal of any scale (Parquet, DuckDB, PostgreSQL, Spark).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.schema import MONEY, PROBABILITY, RATE

# A value a mapping scales (a 0-100 probability times 0.01) is read at this precision
# first; the product must then fit the column's own.
WIDE = "decimal(38,12)"

# Decimal places kept, by canonical decimal type.
PLACES: dict[str, int] = {MONEY: 4, PROBABILITY: 6, RATE: 8, WIDE: 12}

# Below these, x * 10^places stays below 10^15, so the engine's cast of a double rounds it
# to the right decimal, and a double's shortest text has at most ``PLACES`` places exactly
# when the double equals the kept decimal nearest to it. Above, the double is read through
# its shortest text (90071992547409.9 is held as ...409.90625, which 4 places would keep as
# ...409.9062); that rare path costs a string per value.
_DOUBLE_FAST = {MONEY: 1e11, PROBABILITY: 1e9, RATE: 1e7, WIDE: 1e3}
# A probability above 1 is refused anyway: it is read by a plain cast.
_CAST_ONLY = (PROBABILITY,)

# Number text with 16 or more significant digits (from its first to its last non-zero
# digit): more than a double (the type of days and scores) holds, so it would read as
# another number. Refused, like digits beyond a decimal column's places.
DOUBLE_DIGITS = r"[1-9](\.?[0-9]){14}\.?[0-9]*[1-9]"

# A mantissa of 16 or more digits in exponent form: more than a double holds, so the
# double path below could not see its last digits (refused as too precise).
_LONG_MANTISSA = r"^[+-]?\.?\d\.?(\d\.?){15}"


def places_beyond_text(
    text: ir.StringValue, places: int, *, read_as_double: bool = True
) -> ir.BooleanValue:
    """Whether trimmed number text has a non-zero digit beyond ``places`` decimal places:
    plain text by a pattern; exponent forms (1.5e-5) by their digits and exponent.
    ``read_as_double``: the text is an input whose exponent form is read through a double,
    so a mantissa longer than a double holds is refused too (not a double's own text)."""
    plain = text.re_search(rf"\.\d{{{places}}}\d*[1-9]\d*$")
    has_exponent = text.contains("e") | text.contains("E")
    beyond = _exponent_places(text) > places
    if read_as_double:
        beyond = beyond | text.re_search(_LONG_MANTISSA)
    return ibis.ifelse(has_exponent, beyond, plain)


def _exponent_places(text: ir.StringValue) -> ir.IntegerValue:
    """The decimal places of a number written as mantissa e exponent: the mantissa's places
    less its trailing zeros less the exponent (12300e-2 has 0, 1.5e-5 has 6)."""
    mantissa = text.re_extract(r"^[+-]?([0-9.]*)[eE]", 1)
    fraction = mantissa.re_extract(r"\.([0-9]*)$", 1).length()
    zeros = mantissa.replace(".", "").re_extract(r"(0*)$", 1).length()
    exponent = text.re_extract(r"[eE]([+-]?[0-9]+)$", 1).try_cast("int64")
    return fraction - zeros - exponent


def from_double(value: ir.FloatingValue, target: str) -> ir.Value:
    """A double as the decimal its writer meant (its shortest text), in ``target``."""
    if target not in _DOUBLE_FAST or target in _CAST_ONLY:
        return value.try_cast(target)
    return ibis.ifelse(
        value.abs() < _DOUBLE_FAST[target],
        value.try_cast(target),
        value.cast("string").try_cast(target),
    )


def places_beyond_double(value: ir.FloatingValue, target: str) -> ir.BooleanValue:
    """Whether a double's shortest text has more places than ``target`` keeps: the double
    is not the double of the kept decimal nearest to it (double arithmetic only: x * 10^p
    is within 0.11 of an integer when x holds a p-place decimal, and n / 10^p is the double
    nearest to that decimal), or, for large values, its text says so."""
    unit = float(10 ** PLACES[target])
    fast = (value * unit).round() / unit != value
    slow = places_beyond_text(value.cast("string"), PLACES[target], read_as_double=False)
    return ibis.ifelse(value.abs() < _DOUBLE_FAST[target], fast, slow)


def places_beyond_decimal(value: ir.DecimalValue, target: str) -> ir.BooleanValue:
    """Whether a decimal has a non-zero digit beyond ``target``'s places (compared in the
    value's own scale, where both are exact)."""
    kind = value.type()
    if kind.scale is not None and kind.scale <= PLACES[target]:
        return ibis.literal(False)
    common = f"decimal(38,{kind.scale if kind.scale is not None else 18})"
    kept = value.try_cast(target)
    differs = kept.isnull() | (value.cast(common) != kept.cast(common))
    return (value.notnull() & differs).fill_null(False)


def significant_digits(value: Any) -> int | None:
    """The significant digits a Python number needs (21.50 needs 3), or None when it is
    not a number (the error path's reading of one value)."""
    number = _decimal(value)
    return None if number is None else len(number.normalize().as_tuple().digits)


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def places_of(value: Any) -> int | None:
    """The decimal places a Python value needs (0.0150 needs 3; 1e3 needs 0), or None when
    it is not a number (the error path's reading of one value)."""
    number = _decimal(value)
    if number is None:
        return None
    return max(0, -int(number.normalize().as_tuple().exponent))


def precision_hint(target: str) -> str:
    """The fix a refused value's message suggests."""
    what = {MONEY: "money", PROBABILITY: "a probability", RATE: "an exchange rate"}[target]
    places = PLACES[target]
    return f"pipereview keeps {what} exactly to {places} places: round it to {places} places"
