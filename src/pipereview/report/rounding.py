"""The one rounding rule of the report, by unit, applied once when the model is built: money
half-even to cents from the exact decimal, shares and days to 2 places, percents to 1; and
the widening that keeps a value compared with a threshold readable as the engine found it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_EVEN, Context, Decimal
from functools import partial
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipereview.decimals import plain
from pipereview.metrics.base import Unit
from pipereview.metrics.ratios import RATIOS, denominator_of, exact, numerator_of, part_columns

CENT = Decimal("0.01")
_ZERO = Decimal("0.00")
_EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN)  # wide enough for any decimal(38, s)


def _money(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError("money reached the report as a float; it must stay a Decimal")
    exact = value if isinstance(value, Decimal) else Decimal(value)
    cents = exact.quantize(CENT, context=_EXACT)
    return cents if cents else _ZERO  # never -0.00 (-0.001 rounds to 0.00)


def round_exact(value: Any, places: int) -> Decimal:
    """``value`` (a Fraction, Decimal, int or float: its exact value) rounded half-even to
    ``places``, from the exact value: never a double artefact, never -0."""
    top, bottom = value.as_integer_ratio()
    return _half_even(top, bottom, places)


def round_quotient(numerator: Any, denominator: Any, times: int, places: int) -> Decimal:
    """``numerator / denominator x times`` (exact numbers, a positive denominator) rounded
    half-even to ``places`` in integers, without forming the quotient."""
    p1, q1 = numerator.as_integer_ratio()
    p2, q2 = denominator.as_integer_ratio()
    return _half_even(p1 * q2 * times, q1 * p2, places)


def _half_even(top: int, bottom: int, places: int) -> Decimal:
    """top / bottom (bottom > 0) rounded half-even to ``places``."""
    whole, rest = divmod(top * 10**places, bottom)
    if 2 * rest > bottom or (2 * rest == bottom and whole % 2):
        whole += 1
    return Decimal(whole).scaleb(-places)


def _to_places(value: Any, places: int) -> float | None:
    if value is None:
        return None
    if isinstance(value, float):  # round() is half-even on the double's exact value
        return round(value, places) + 0.0
    if isinstance(value, Decimal):
        return float(value.quantize(Decimal(1).scaleb(-places), context=_EXACT)) + 0.0
    return float(round_exact(value, places)) + 0.0


def _whole(value: Any) -> int | None:
    return None if value is None else int(value)


def _same(value: Any) -> Any:
    return value


# Decimal places by unit (money: cents).
UNIT_PLACES: dict[str, int] = {"usd": 2, "ratio": 2, "days": 2, "number": 2, "pct": 1}

# The one rounding rule, by unit.
ROUNDERS: dict[str, Any] = {
    "usd": _money,
    "ratio": partial(_to_places, places=UNIT_PLACES["ratio"]),
    "days": partial(_to_places, places=UNIT_PLACES["days"]),
    "number": partial(_to_places, places=UNIT_PLACES["number"]),
    "pct": partial(_to_places, places=UNIT_PLACES["pct"]),
    "count": _whole,
    "integer": _whole,
}


# Shares that read as a whole statement: "fell 100%" (to nothing), "achieved 0%".
_WHOLE = {"pct": (0.0, 100.0, -100.0), "ratio": (0.0, 1.0, -1.0)}


def widened(raw: Any, places: int, reads_true: Callable[[Decimal], bool]) -> float | Decimal:
    """``raw`` (its exact value) rounded half-even to the fewest places, from ``places`` on,
    at which it reads true: a value held against a threshold keeps the decimals that make
    the comparison read as the engine found it (0.69996 beside 0.7, not 0.7). An exact
    value always does at some number of places; a float when a float shows the digits."""
    for more in range(places, _MAX_PLACES):
        rounded = round_exact(raw, more)
        if reads_true(rounded):
            return plain(rounded)
    raise ValueError(f"{raw!r} never reads true to {_MAX_PLACES} places")


_MAX_PLACES = 80  # a quotient of 38-digit decimals reads true well before this


def not_falsely_whole(unit: str, raw: Any, shown_value: Any) -> Any:
    """A share never reads as exactly 0% or 100% when it is not: a fall from $100,000 to
    $14.90 is 99.9851%, not "100%"."""
    if unit not in _WHOLE or raw is None or shown_value not in _WHOLE[unit]:
        return shown_value
    if raw == (Decimal(repr(shown_value)) if isinstance(shown_value, float) else shown_value):
        return shown_value  # exact comparisons: a Fraction, Decimal or float with a Decimal
    return widened(raw, UNIT_PLACES[unit], lambda v: v not in _WHOLE[unit])


def round_value(unit: Unit, value: Any) -> Any:
    """The one rounding rule, by unit. Money must arrive exact (Decimal or int)."""
    return ROUNDERS.get(unit, _same)(value)


def rounded(row: dict[str, Any], units: dict[str, Unit]) -> dict[str, Any]:
    """Every value of ``row`` rounded by its unit (values without a unit unchanged)."""
    return row_rounder(units)(row)


def row_rounder(units: dict[str, Unit]) -> Any:
    """A function rounding each value of a row by its unit, for many rows of one shape
    (a value without a unit, or of a unit kept as it is, is left alone)."""
    rounders = [(k, ROUNDERS[u]) for k, u in units.items() if u in ROUNDERS]

    def apply(row: dict[str, Any]) -> dict[str, Any]:
        out = dict(row)
        for key, rounder in rounders:
            if key in out:
                out[key] = rounder(out[key])
        return out

    return apply


_CENTS = pa.decimal128(38, 2)


def _money_column(name: str, column: pa.ChunkedArray) -> list[Any]:
    """``_money`` over a whole column: Arrow rounds the exact decimal half-even to cents
    (the same digits as ``Decimal.quantize``), so no value is rounded one at a time."""
    kind = column.type
    if pa.types.is_floating(kind):
        raise TypeError(f"money reached the report as a float ({name}); it must stay a Decimal")
    if pa.types.is_decimal(kind):
        if kind.scale > 2:
            column = pc.round(column, ndigits=2, round_mode="half_to_even")
        return column.cast(_CENTS).to_pylist()
    if pa.types.is_integer(kind):
        return column.cast(_CENTS).to_pylist()
    return [_money(value) for value in column.to_pylist()]


def rounded_rows(table: pa.Table, units: dict[str, Unit]) -> list[dict[str, Any]]:
    """The rows of an engine result as dicts, each value rounded by its column's unit: the
    same values as ``row_rounder(units)`` over ``table.to_pylist()``, computed a column at a
    time (money by Arrow, from the exact decimal). A ratio whose exact parts the table
    carries (``metrics.ratios``) is their exact quotient rounded by its unit (and left
    unrounded, a Fraction, without one); the parts are left out."""
    parts = set(part_columns(table.column_names, table.column_names))
    names = [n for n in table.column_names if n not in parts]
    columns: list[list[Any]] = []
    for name in names:
        unit, column = units.get(name), table.column(name)
        if unit == "usd":
            columns.append(_money_column(name, column))
        elif part_columns([name], parts):
            columns.append(_ratio_column(table, name, UNIT_PLACES.get(unit or "")))
        else:
            values = column.to_pylist()
            rounder = ROUNDERS.get(unit) if unit is not None else None
            columns.append(values if rounder is None else [rounder(v) for v in values])
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _ratio_column(table: pa.Table, name: str, places: int | None) -> list[Any]:
    """Ratio ``name`` from its part columns: rounded half-even to ``places`` (a float), or
    exact (a Fraction) when ``places`` is None; None where the ratio is null."""
    n, d = numerator_of(name), denominator_of(name)
    times = RATIOS[name].times
    out: list[Any] = []
    for top, bottom in zip(table.column(n).to_pylist(), table.column(d).to_pylist(), strict=True):
        if top is None or bottom is None or not bottom > 0:
            out.append(None)
        elif places is None:
            out.append(exact({n: top, d: bottom}, name))
        else:
            out.append(float(round_quotient(top, bottom, times, places)) + 0.0)
    return out
