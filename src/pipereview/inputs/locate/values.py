"""The error path: re-read an input in Arrow to name the file, row, column and value.

The engine (``canonical.py``) parses and checks every input where it lives and only counts
the rows it cannot use. When that count is not zero, this module re-scans the source row by
row with the same rules (``kind`` in schema.py) and raises the ``InputError`` that says where
the first bad value is. It never runs when the input is good.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipereview.errors import InputError
from pipereview.inputs.canonical import ID_DOUBLE_LIMIT, MONEY_DOUBLE_BOUND, NUMBER, ORDERED
from pipereview.inputs.dates import DATE_SHAPE
from pipereview.inputs.files import RawTable
from pipereview.inputs.flags import FLAG_SEPARATORS
from pipereview.inputs.precision import PLACES, places_of, precision_hint, significant_digits
from pipereview.names import column_key, columns_found
from pipereview.schema import ROW_COLUMN, TABLES, Column

MONEY_BOUND = 1e14  # DECIMAL(18,4) holds 14 digits before the point


@dataclass(frozen=True)
class CanonicalTable:
    """Canonical columns (plus ``_row``) and what was missing from the source."""

    data: pa.Table
    source: str
    absent_columns: tuple[str, ...]


def recheck(raw: RawTable, table: str) -> CanonicalTable:
    """Check and convert ``raw`` into canonical ``table`` columns by the engine's rules, in
    Arrow; raise the InputError naming the first unusable value."""
    data = raw.data.rename_columns([column_key(name) for name in raw.data.column_names])
    if data.num_rows == 0:
        raise InputError(
            "has no records",
            source=raw.source,
            hint=f"the {table} input needs a header and at least one row",
        )
    present = set(data.column_names)
    columns: dict[str, pa.Array] = {ROW_COLUMN: pa.array(range(1, data.num_rows + 1), pa.int64())}
    absent = []
    for column in TABLES[table]:
        if column.name not in present:
            if column.required:
                close = difflib.get_close_matches(column.name, data.column_names, n=1)
                raise InputError(
                    "required column is missing",
                    source=raw.source,
                    column=column.name,
                    hint=f"did you mean {close[0]!r}?"
                    if close
                    else columns_found(data.column_names),
                )
            absent.append(column.name)
            columns[column.name] = _convert(pa.nulls(data.num_rows), column, raw.source)
            continue
        values = data.column(column.name).combine_chunks()
        columns[column.name] = _convert(values, column, raw.source)
    for first, then in ORDERED.get(table, ()):
        before = pc.less(columns[then], columns[first])
        if pc.any(before).as_py():
            index = pc.index(pc.fill_null(before, False), True).as_py()
            raise InputError(
                f"{then} {columns[then][index]} is before {first} {columns[first][index]}",
                source=raw.source,
                row=index + 1,
                column=then,
                hint="a stage cannot be left before it is entered: check both dates",
            )
    return CanonicalTable(pa.table(columns), raw.source, tuple(absent))


def _fail(
    values: pa.Array,
    bad: pa.Array,
    column: Column,
    source: str,
    message: str,
    hint: str | None = None,
) -> InputError:
    """An error at the first row where ``bad`` is true."""
    index = pc.index(pc.fill_null(bad, False), True).as_py()
    value = values[index].as_py()
    return InputError(
        f"{message}: {value!r}", source=source, row=index + 1, column=column.name, hint=hint
    )


def _convert(values: pa.Array, column: Column, source: str) -> pa.Array:
    if column.kind in ("id", "text", "status"):
        return values if pa.types.is_string(values.type) else _as_text(values, column, source)
    if column.kind == "date":
        return _to_date(values, column, source)
    if column.kind == "flags":
        return _to_flags(values, column, source)
    return _to_number(values, column, source)  # money, number, integer, probability


def _as_text(values: pa.Array, column: Column, source: str) -> pa.Array:
    if pa.types.is_large_string(values.type) or pa.types.is_dictionary(values.type):
        return values.cast(pa.string())
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        if pa.types.is_floating(values.type):
            whole = pc.and_(
                pc.equal(values, pc.floor(values)),
                pc.less_equal(pc.abs(values), float(ID_DOUBLE_LIMIT)),
            )
            inexact = pc.invert(pc.fill_null(whole, True))
            if pc.any(inexact).as_py():
                raise _fail(
                    values,
                    inexact,
                    column,
                    source,
                    "is a number that is not an exact whole id",
                    hint="store ids as text (a number above 2^53 or with a fraction is not exact)",
                )
            values = values.cast(pa.int64())
        return values.cast(pa.string())
    if pa.types.is_null(values.type):
        return values.cast(pa.string())
    raise InputError(f"expected text, found {values.type}", source=source, column=column.name)


def _to_number(values: pa.Array, column: Column, source: str) -> pa.Array:
    if pa.types.is_null(values.type):
        return values.cast(pa.float64())
    if pa.types.is_dictionary(values.type):
        values = values.cast(pa.string())
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        trimmed = pc.utf8_trim_whitespace(values)
        trimmed = pc.if_else(pc.equal(trimmed, ""), None, trimmed)
        bad = pc.invert(pc.match_substring_regex(trimmed, NUMBER))
        if pc.any(bad).as_py():
            raise _fail(
                values,
                bad,
                column,
                source,
                "not a number",
                hint="write plain numbers such as 1200.50, without currency signs",
            )
        numbers = trimmed.cast(pa.float64())
    elif (
        pa.types.is_integer(values.type)
        or pa.types.is_floating(values.type)
        or pa.types.is_decimal(values.type)
    ):
        numbers = values.cast(pa.float64(), safe=False)  # an int64 beyond 2^53: the nearest
    else:
        raise InputError(
            f"expected a number, found {values.type}", source=source, column=column.name
        )
    numbers = pc.if_else(pc.is_nan(numbers), None, numbers)  # pandas writes missing as NaN
    infinite = pc.is_inf(numbers)
    if pc.any(infinite).as_py():
        raise _fail(values, infinite, column, source, "not a finite number")
    if column.kind == "money":
        bound = MONEY_BOUND if pa.types.is_string(values.type) else MONEY_DOUBLE_BOUND
        huge = pc.greater_equal(pc.abs(numbers), bound)
        if pc.any(huge).as_py():
            raise _fail(
                values,
                huge,
                column,
                source,
                "too large for an amount",
                hint="amounts must be below 10^14, i.e. 100 trillion",
            )
    if column.kind == "integer":
        negative = pc.less(numbers, 0)
        if pc.any(negative).as_py():
            raise _fail(values, negative, column, source, "must not be negative")
    if column.kind == "probability":
        outside = pc.or_(pc.less(numbers, 0), pc.greater(numbers, 1))
        if pc.any(outside).as_py():
            bad_values = pc.filter(numbers, pc.fill_null(outside, False)).to_pylist()
            percent = all(looks_like_percent(v) for v in bad_values)
            raise _fail(
                values,
                outside,
                column,
                source,
                "must be between 0 and 1",
                hint="this looks like a 0-100 scale; divide by 100"
                if percent
                else "1 means certain (100%): a value above 1 or below 0 is an error in the data",
            )
    _check_places(values, column, source)
    return numbers


def looks_like_percent(value: float) -> bool:
    """A probability out of range that reads as a percentage (decisions D3): above 1, at
    most 100, with at most 2 decimal places (55, 1.5, 33.33; 1.0000001 is a slip above 1,
    not a percentage)."""
    return 1 < value <= 100 and round(value, 2) == value


def _check_places(values: pa.Array, column: Column, source: str) -> None:
    """A value with a non-zero digit beyond the places its column keeps (decisions D34),
    judged on its exact text (a double by its shortest text); number text with more
    significant digits than a double holds."""
    if pa.types.is_integer(values.type):
        return
    if pa.types.is_float32(values.type):  # its shortest text, as the engine reads it
        values = values.cast(pa.string())
    if column.dtype not in PLACES:
        if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
            digits = [
                (n := significant_digits(v)) is not None and n > 15 for v in values.to_pylist()
            ]
            if any(digits):
                raise _fail(
                    values,
                    pa.array(digits),
                    column,
                    source,
                    "has more than 15 significant digits",
                    hint="a number keeps 15 significant digits: round it",
                )
        return
    places = PLACES[column.dtype]
    long = pa.array([_long_exponent(v) for v in values.to_pylist()])
    if pc.any(long).as_py():
        raise _fail(
            values,
            long,
            column,
            source,
            "has more than 15 significant digits in exponent form",
            hint="write it as a plain number",
        )
    beyond = pa.array([(n := places_of(v)) is not None and n > places for v in values.to_pylist()])
    if pc.any(beyond).as_py():
        raise _fail(
            values,
            beyond,
            column,
            source,
            f"has more than {places} decimal places",
            hint=precision_hint(column.dtype),
        )


def _long_exponent(value: object) -> bool:
    """Exponent text with more digits than the double it is read through holds
    (``precision.places_beyond_text``)."""
    if not isinstance(value, str) or "e" not in value.lower():
        return False
    return (significant_digits(value) or 0) > 15


def _to_date(values: pa.Array, column: Column, source: str) -> pa.Array:
    if pa.types.is_null(values.type):
        return values.cast(pa.date32())
    if pa.types.is_date(values.type) or pa.types.is_timestamp(values.type):
        if pa.types.is_date32(values.type):
            days = values.view(pa.int32()).cast(pa.int64())
        else:  # a date64 or a timestamp: its UTC day, in whole days since 1970
            unit = "ms" if pa.types.is_date64(values.type) else values.type.unit
            per_day = 86_400 * {"s": 1, "ms": 10**3, "us": 10**6}.get(unit, 10**9)
            ticks = values.view(pa.int64()).to_pylist()
            days = pa.array([None if t is None else t // per_day for t in ticks], pa.int64())
        outside = pc.or_(pc.less(days, _FIRST_DAY), pc.greater(days, _LAST_DAY))
        if pc.any(outside).as_py():
            raise _fail(
                days,
                outside,
                column,
                source,
                "is a date outside years 1 to 9999, in days since 1970-01-01",
                hint="check the date's year",
            )
        return values.cast(pa.date32())
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        raise InputError(f"expected a date, found {values.type}", source=source, column=column.name)
    trimmed = pc.utf8_trim_whitespace(values)
    trimmed = pc.if_else(pc.equal(trimmed, ""), None, trimmed)
    shaped = pc.match_substring_regex(trimmed, DATE_SHAPE)
    bad = pa.array([_not_a_date(v) for v in trimmed.to_pylist()], pa.bool_())
    bad = pc.or_(pc.invert(pc.fill_null(shaped, True)), bad)
    if pc.any(bad).as_py():
        raise _fail(
            values,
            bad,
            column,
            source,
            "not a date",
            hint="write dates as YYYY-MM-DD, date-times as YYYY-MM-DDTHH:MM with an optional "
            "offset such as +05:00",
        )
    return pc.strptime(pc.utf8_slice_codeunits(trimmed, 0, 10), format="%Y-%m-%d", unit="s").cast(
        pa.date32()
    )


_FIRST_DAY = (dt.date(1, 1, 1) - dt.date(1970, 1, 1)).days
_LAST_DAY = (dt.date(9999, 12, 31) - dt.date(1970, 1, 1)).days


def _not_a_date(text: str | None) -> bool:
    """Text of the right shape that is no day (2026-02-30, year 0) or no time of day."""
    if text is None:
        return False
    try:
        dt.date.fromisoformat(text[:10])
    except ValueError:
        return True
    try:
        return len(text) > 10 and (int(text[11:13]) > 23 or int(text[14:16]) > 59)
    except ValueError:
        return True


def _to_flags(values: pa.Array, column: Column, source: str) -> pa.Array:
    """A list, a JSON-array string or a ';'-separated string -> list<string> (no empties)."""
    if pa.types.is_null(values.type):
        return _drop_empty(values.cast(pa.list_(pa.string())))
    if pa.types.is_list(values.type) or pa.types.is_large_list(values.type):
        if not pa.types.is_string(values.type.value_type):
            values = values.cast(pa.list_(pa.string()))
        return _drop_empty(values.cast(pa.list_(pa.string())))
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        raise InputError(
            f"expected a list of flags, found {values.type}",
            source=source,
            column=column.name,
            hint="use a list, a JSON array or 'a;b'",
        )
    text = pc.utf8_trim_whitespace(values)
    is_json = pc.starts_with(text, "[")
    unclosed = pc.and_(is_json, pc.invert(pc.ends_with(text, "]")))
    if pc.any(unclosed).as_py():
        raise _fail(
            values,
            unclosed,
            column,
            source,
            "not a JSON array",
            hint='use a JSON array such as ["a", "b"] or \'a;b\'',
        )
    body = pc.if_else(is_json, pc.utf8_slice_codeunits(text, 1, -1), text)
    body = pc.if_else(is_json, pc.replace_substring(body, '"', ""), body)
    return _drop_empty(pc.split_pattern_regex(body, FLAG_SEPARATORS))


def _drop_empty(lists: pa.Array) -> pa.Array:
    """Trim every flag and drop empty ones; a missing list becomes an empty one (no flags)."""
    lists = lists.cast(pa.list_(pa.string()))
    flat = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    parents = pc.list_parent_indices(lists)
    keep = pc.and_(pc.is_valid(flat), pc.not_equal(flat, ""))
    kept_parents = pc.filter(parents, keep).to_numpy(zero_copy_only=False)
    counts = np.bincount(kept_parents, minlength=len(lists)) if len(lists) else np.zeros(0)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), pc.filter(flat, keep))
