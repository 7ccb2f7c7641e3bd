"""Where a mapped input's first unusable value is: the row and canonical column from the
engine (the ``_m_bad_<column>`` flags ``canonical`` keeps), and the raw value read back from
the source, on this error path only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ibis.expr.types as ir

from pipereview.engines import Engine
from pipereview.errors import InputError, PipereviewError
from pipereview.inputs.canonical import BAD, BAD_OF
from pipereview.inputs.locate.reread import read_source, with_line
from pipereview.inputs.locate.values import looks_like_percent
from pipereview.locations import SourceTable
from pipereview.schema import ROW_COLUMN, TABLES

DELETED_FIELD = "_deleted"  # how the deleted marker's problems are named (BAD_OF + this)

_NEEDS = {
    "money": "a plain number (money) with at most 4 decimal places",
    "number": "a plain number",
    "integer": "a whole number, not negative",
    "since": "a date on or before --as-of (a later one gives negative days); YYYY-MM-DD, or "
    "set `format` on the mapping's field",
    "probability": "a probability between 0 and 1 with at most 6 decimal places (after the "
    "mapping's scale)",
    "date": "a date: YYYY-MM-DD, or set `format` on the mapping's field",
    "rate": "an exchange rate from 0.00000001 to 9,999,999,999.99999999, at most 8 decimal "
    "places (what a rate holds: decimal(18,8))",
    "boolean": "true or false",
    "status": "a status",
    "flags": "a list of flags",
}


def locator(
    engine: Engine,
    live: ir.Table,
    obj: Any,
    table: str,
    source: str,
    delimiter: str | None,
    sources: dict[str, str],
    described: dict[str, str],
    needs: dict[str, str],
    raw: ir.Table,
) -> Callable[[str, int | None], InputError]:
    """How a mapped input names its first unusable value: the row and canonical column from
    the engine, the raw value from the source (read again, on this path only)."""
    kinds = {c.name: c.kind for c in TABLES[table]} | {DELETED_FIELD: "boolean"} | needs

    def locate(reason: str, row: int | None) -> InputError:
        flags = [c for c in live.columns if c.startswith(BAD_OF)]
        try:
            found = engine.rows(
                live.filter(live[BAD]).order_by(ROW_COLUMN).limit(1).select(ROW_COLUMN, *flags)
            )
        except PipereviewError:
            raise
        except engine.data_errors:
            found = []
        if not found:
            return InputError(
                f"cannot be used: {reason}",
                source=source,
                row=row,
                hint="check the mapping's formats and the values they read",
            )
        first = found[0]
        name = next(c.removeprefix(BAD_OF) for c in flags if first[c])
        at = int(first[ROW_COLUMN])
        column = sources.get(name, name)
        value = (
            _table_value(engine, raw, column, at)
            if isinstance(obj, SourceTable)
            else _raw_value(obj, table, delimiter, source, column, at)
        )
        how = described.get(name)
        what = name if how is None or how == column else f"{name} (from {how})"
        if name == DELETED_FIELD:
            what = "the deleted marker"
        need = kinds.get(name, "")
        hint = f"expected {_NEEDS.get(need, need or 'a usable value')}"
        if not column:  # a constant (`value = ...`): the same on every row, no source column
            return InputError(
                f"the mapping sets {name} to {(how or '').removeprefix('the value ')}, which "
                "cannot be used",
                source=source,
                hint=hint,
            )
        if kinds.get(name) == "probability" and _percent(value) and how in (None, column):
            hint = (
                f"it looks like a 0-100 percentage: map it as "
                f'{name} = {{ column = "{column}", scale = 0.01 }}'
            )
        err = InputError(
            f"{value!r} cannot be used as {what}",
            source=source,
            row=at,
            column=column,
            hint=hint,
        )
        return with_line(err, obj, delimiter)

    return locate


def _table_value(engine: Engine, raw: ir.Table, column: str, row: int) -> Any:
    """A warehouse table's value at ``row`` (its scan order, as the kept copy numbers rows)."""
    try:
        found = engine.rows(raw.select(column).limit(1, offset=row - 1))
    except engine.data_errors:
        return "?"
    return found[0][column] if found else "?"


def _raw_value(
    obj: Any, table: str, delimiter: str | None, source: str, column: str, row: int
) -> Any:
    """The source's value at ``row`` (1-based) of ``column``, read again (error path)."""
    try:
        data = read_source(obj, table, delimiter, source).data
        return data.column(column)[row - 1].as_py()
    except (PipereviewError, KeyError, IndexError):
        return "?"


def _percent(value: Any) -> bool:
    try:
        return looks_like_percent(float(value))
    except (TypeError, ValueError):
        return False
