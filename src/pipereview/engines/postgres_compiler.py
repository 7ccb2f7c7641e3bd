"""pipereview's PostgreSQL compiler: what Ibis 12 leaves to us on PostgreSQL, installed on
the postgres engine's connections only (``con.compiler``); Ibis's own compiler is left as
it is.

- ``try_cast``: Ibis compiles it to a plain ``CAST``, which stops the query at the first
  unusable value, and PostgreSQL 15 has no ``TRY_CAST`` (nor ``pg_input_is_valid``). Numbers
  are guarded by range and text by the number syntax DuckDB reads, in plain SQL; what a
  pattern cannot settle (a date's calendar, ``inf``) goes through a small exception-catching
  function in the session's own ``pg_temp`` schema (``try_functions``, created when the
  engine connects). The same texts become NULL as in DuckDB.
- Ordering: text sorts with ``COLLATE "C"`` (byte order, as DuckDB and Spark sort), whatever
  the database's collation, so top-N lists and ties come out the same on every engine.
- Case folding: ``lower``/``upper`` use the ICU root locale, so non-ASCII text folds as it
  does in DuckDB even in a database created with ``LC_CTYPE=C``.
- Smaller gaps: boolean to bigint (through integer), epoch numbers to timestamps, the mean
  of integers as a double, a missing list kept missing by map and filter (as DuckDB and
  Spark keep it).
"""

from __future__ import annotations

import re
from typing import Any

import ibis.expr.datatypes as dt
import sqlglot as sg
import sqlglot.expressions as sge
from ibis.backends.sql.compilers.postgres import PostgresCompiler

# Every type pipereview casts text to: the canonical types and the parsers' intermediates.
_TRY_TYPES = (
    "decimal(18,4)",
    "decimal(18,6)",
    "decimal(18,8)",
    "decimal(38,4)",
    "decimal(38,10)",
    "decimal(38,12)",
    "int64",
    "int32",
    "float64",
    "date",
    "timestamp",
    "boolean",
)

_PG = {
    "int64": "bigint",
    "int32": "integer",
    "float64": "double precision",
    "date": "date",
    "timestamp": "timestamp",
    "boolean": "boolean",
}


def _function_name(dtype: dt.DataType) -> str:
    return "pipereview_try_" + re.sub(r"[^a-z0-9]+", "_", str(dtype).lower()).strip("_")


def _pg_type(dtype: dt.DataType) -> str:
    if dtype.is_decimal():
        return f"numeric({dtype.precision},{dtype.scale})"
    return _PG[str(dtype)]


def _try_function(name: str) -> str:
    dtype = dt.dtype(name)
    fn = _function_name(dtype)
    target = _pg_type(dtype)
    returns = "numeric" if dtype.is_decimal() else target
    return (
        f"CREATE OR REPLACE FUNCTION pg_temp.{fn}(value text) RETURNS {returns} "
        f"LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RETURN value::{target}; "
        "EXCEPTION WHEN others THEN RETURN NULL; END $$"
    )


_KNOWN = {str(dt.dtype(name)) for name in _TRY_TYPES}


def try_functions() -> list[str]:
    """The session's ``pg_temp`` functions the try-casts call (one per type)."""
    return [_try_function(name) for name in _TRY_TYPES]


def _folded(name: str) -> Any:
    def visit(self: Any, op: Any, *, arg: Any) -> Any:
        icu = sge.Collate(this=arg, expression=sge.Identifier(this="und-x-icu", quoted=True))
        return self.f[name](icu)

    return visit


def _null_kept(visit: Any) -> Any:  # ARRAY(SELECT ... FROM unnest(NULL)) is '{}'
    def kept(self: Any, op: Any, *, arg: Any, **rest: Any) -> Any:
        return self.if_(arg.is_(sge.null()), sge.null(), visit(self, op, arg=arg, **rest))

    return kept


class PipereviewPostgresCompiler(PostgresCompiler):
    """Ibis's PostgreSQL compiler with the changes above."""

    def visit_Cast(self, op: Any, *, arg: Any, to: Any) -> Any:
        if op.arg.dtype.is_boolean() and to.is_integer():  # no boolean -> bigint cast
            arg = self.cast(arg, dt.int32)
        return super().visit_Cast(op, arg=arg, to=to)

    def visit_TryCast(self, op: Any, *, arg: Any, to: Any) -> Any:
        if str(to) not in _KNOWN:
            return self.visit_Cast(op, arg=arg, to=to)
        return sg.parse_one(_try_cast_sql(arg.sql("postgres"), op.arg.dtype, to), read="postgres")

    def visit_SortKey(self, op: Any, *, arg: Any, ascending: bool, nulls_first: bool) -> Any:
        if op.arg.dtype.is_string():
            arg = sge.Collate(this=arg, expression=sge.Identifier(this="C", quoted=True))
        return sge.Ordered(this=arg, desc=not ascending, nulls_first=nulls_first)

    visit_Lowercase = _folded("lower")
    visit_Uppercase = _folded("upper")

    def visit_TimestampFromUNIX(self, op: Any, *, arg: Any, unit: Any) -> Any:
        per_second = {"s": 1, "ms": 1_000, "us": 1_000_000}[unit.short]
        seconds = sge.Div(this=self.cast(arg, dt.float64), expression=sge.convert(per_second))
        return self.cast(self.f.to_timestamp(seconds), dt.timestamp)  # the session is UTC

    def visit_Mean(self, op: Any, *, arg: Any, where: Any) -> Any:
        mean = self.agg.avg(arg, where=where)  # numeric for integers in PostgreSQL
        return self.cast(mean, op.dtype) if op.dtype.is_floating() else mean

    visit_ArrayFilter = _null_kept(PostgresCompiler.visit_ArrayFilter)
    visit_ArrayMap = _null_kept(PostgresCompiler.visit_ArrayMap)


# A number as DuckDB reads one from text (digits may be grouped with "_"; at most a three-
# digit exponent); and an ISO date (a time of day is cut off before the cast).
_DIGITS = r"[0-9](_?[0-9])*"
_NUMBER = rf"^\s*[+-]?({_DIGITS}\.?({_DIGITS})?|\.{_DIGITS})([eE][+-]?[0-9]{{1,3}})?\s*$"
_INTEGER = r"^\s*[+-]?[0-9]{1,18}\s*$"
_DATE = r"^\s*[0-9]{4}(-[0-9]{1,2}-[0-9]{1,2}|/[0-9]{1,2}/[0-9]{1,2})\s*$"


def _try_cast_sql(x: str, source: dt.DataType, to: dt.DataType) -> str:
    """SQL reading ``x`` (of type ``source``) as ``to``, NULL where it cannot be read.

    Plain SQL where a guard decides (a number's range, a regular expression for text), so
    the common path costs no function call; the session's exception-catching function only
    for what a pattern cannot settle (a date's calendar, a float's special values)."""
    target = _pg_type(to)
    call = f"pg_temp.{_function_name(to)}(CAST({x} AS TEXT))"
    if to.is_decimal():
        # the largest magnitude that still rounds into precision - scale integer digits
        bound = f"{10 ** (to.precision - to.scale)} - 0.{'0' * to.scale}5"
        if source.is_numeric():
            value = f"CAST({x} AS NUMERIC)" if source.is_floating() else x
            return f"CASE WHEN ABS({value}) < {bound} THEN CAST({x} AS {target}) END"
        if source.is_string():
            clean = f"REPLACE({x}, '_', '')"
            return (
                f"CASE WHEN {x} ~ '{_NUMBER}' THEN CASE WHEN ABS(CAST({clean} AS NUMERIC)) < "
                f"{bound} THEN CAST({clean} AS {target}) END END"
            )
    elif to.is_float64() and source.is_string():
        clean = f"CAST(REPLACE({x}, '_', '') AS NUMERIC)"
        return (
            f"CASE WHEN {x} !~ '{_NUMBER}' THEN {call} WHEN {clean} = 0 OR ABS({clean}) "
            f"BETWEEN 1e-300 AND 1e300 THEN CAST({clean} AS DOUBLE PRECISION) ELSE {call} END"
        )
    elif to.is_float64() and (source.is_integer() or source.is_floating()):
        return f"CAST({x} AS DOUBLE PRECISION)"
    elif to.is_int64() and source.is_string():
        return f"CASE WHEN {x} ~ '{_INTEGER}' THEN CAST({x} AS BIGINT) ELSE {call} END"
    elif to.is_date() and source.is_string():
        return f"CASE WHEN {x} ~ '{_DATE}' THEN {call} END"
    return f"CAST({call} AS {target})"
