"""PostgreSQL as an engine: the metrics run in the server that holds the tables.

What Ibis 12 leaves to us on PostgreSQL, set up when the engine connects (the PostgreSQL
compiler is patched; no other backend changes):

- ``try_cast``: Ibis compiles it to a plain ``CAST``, which stops the query at the first
  unusable value, and PostgreSQL 15 has no ``TRY_CAST`` (nor ``pg_input_is_valid``). Numbers
  are guarded by range and text by the number syntax DuckDB reads, in plain SQL; what a
  pattern cannot settle (a date's calendar, ``inf``) goes through a small exception-catching
  function in the session's own ``pg_temp`` schema. The same texts become NULL as in DuckDB.
- Ordering: text sorts with ``COLLATE "C"`` (byte order, as DuckDB and Spark sort), whatever
  the database's collation, so top-N lists and ties come out the same on every engine.
- Case folding: ``lower``/``upper`` use the ICU root locale, so non-ASCII text folds as it
  does in DuckDB even in a database created with ``LC_CTYPE=C``.
- Smaller gaps: boolean to bigint (through integer), epoch numbers to timestamps, the mean
  of integers as a double.

The input fingerprint sums DuckDB's row hash, which PostgreSQL cannot compute: the canonical
rows leave the server once (``COPY ... TO STDOUT``, read by Arrow's streaming CSV reader) and
DuckDB hashes each block in this process (no block is kept), so a PostgreSQL report carries
the same fingerprint as DuckDB's for the same data.
"""

from __future__ import annotations

import io
import re
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from pipereview.errors import EngineError
from pipereview.locations import postgres_describe as describe

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
_patched = False


def connect(url: str) -> Any:
    """An Ibis PostgreSQL connection with the session set up for pipereview."""
    _patch_compiler()
    rest = url.strip().partition("://")[2]
    try:
        con = ibis.connect(f"postgres://{rest}")
    except Exception as exc:  # psycopg's OperationalError: refused, no such database, auth
        raise EngineError(
            f"cannot connect to {describe(url)}: {_first_line(exc)}",
            hint="check the URL (postgresql://user:password@host:port/database) and that "
            "the server is running",
        ) from None
    import psycopg

    try:
        _set_up(con, url)
    except psycopg.Error as exc:  # e.g. a read-only replica refuses the session's functions
        raise EngineError(
            f"cannot set up a session on {describe(url)}: {_first_line(exc)}",
            hint="pipereview needs a user that may create temporary tables and functions",
        ) from None
    return con


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


def schema_of(con: Any, table: str) -> str | None:
    """The schema an unqualified ``table`` resolves to through the session's search path
    (the first schema on it that has such a table or view), or None when none has."""
    with con.con.cursor() as cursor:
        cursor.execute(
            "SELECT s.name FROM unnest(current_schemas(false)) WITH ORDINALITY AS s(name, i) "
            "JOIN information_schema.tables t ON t.table_schema = s.name AND t.table_name = %s "
            "ORDER BY s.i LIMIT 1",
            [table],
        )
        row = cursor.fetchone()
    return str(row[0]) if row else None


def _set_up(con: Any, url: str) -> None:
    """UTC, ISO dates, exact float text, the try-cast functions; refuse what cannot give
    DuckDB's results (a database that is not UTF8, a server without ICU)."""
    with con.con.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute("SET DateStyle = 'ISO, YMD'")  # dates leave the server as YYYY-MM-DD
        cursor.execute("SET extra_float_digits = 1")  # doubles as text round-trip exactly
        cursor.execute("SHOW server_encoding")
        row = cursor.fetchone()
        if row is None or str(row[0]).upper() not in ("UTF8", "UTF-8"):
            raise EngineError(
                f"{describe(url)} stores text as {row[0] if row else '?'}, not UTF8",
                hint="read from a UTF8 database (CREATE DATABASE ... ENCODING 'UTF8')",
            )
        for name in _TRY_TYPES:
            cursor.execute(_try_function(name))
        cursor.execute("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'")
        if cursor.fetchone() is None:
            raise EngineError(
                f"{describe(url)} has no ICU collations, which pipereview uses to fold case "
                "as the other engines do",
                hint="use a PostgreSQL server built with ICU (Debian's and most others are)",
            )


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


def _patch_compiler() -> None:
    """TRY_CAST through the session's functions, text sorted in byte order, Unicode case
    folding, booleans counted (PostgreSQL casts a boolean to integer, not to bigint), epoch
    numbers as timestamps (not compiled by Ibis 12), the mean of integers as the double Ibis
    expects (PostgreSQL's is numeric), a missing list kept missing by map and filter (as
    DuckDB and Spark keep it). Only the PostgreSQL compiler changes."""
    global _patched
    if _patched:
        return
    import sqlglot as sg
    import sqlglot.expressions as sge
    from ibis.backends.sql.compilers.postgres import PostgresCompiler

    ibis_cast = PostgresCompiler.visit_Cast

    def plain_cast(self: Any, op: Any, *, arg: Any, to: Any) -> Any:
        if op.arg.dtype.is_boolean() and to.is_integer():  # no boolean -> bigint cast
            arg = self.cast(arg, dt.int32)
        return ibis_cast(self, op, arg=arg, to=to)

    def visit_try_cast(self: Any, op: Any, *, arg: Any, to: Any) -> Any:
        if str(to) not in _KNOWN:
            return plain_cast(self, op, arg=arg, to=to)
        return sg.parse_one(_try_cast_sql(arg.sql("postgres"), op.arg.dtype, to), read="postgres")

    def visit_sort_key(self: Any, op: Any, *, arg: Any, ascending: bool, nulls_first: bool) -> Any:
        if op.arg.dtype.is_string():
            arg = sge.Collate(this=arg, expression=sge.Identifier(this="C", quoted=True))
        return sge.Ordered(this=arg, desc=not ascending, nulls_first=nulls_first)

    def folded(name: str) -> Any:
        def visit(self: Any, op: Any, *, arg: Any) -> Any:
            icu = sge.Collate(this=arg, expression=sge.Identifier(this="und-x-icu", quoted=True))
            return self.f[name](icu)

        return visit

    def visit_from_unix(self: Any, op: Any, *, arg: Any, unit: Any) -> Any:
        per_second = {"s": 1, "ms": 1_000, "us": 1_000_000}[unit.short]
        seconds = sge.Div(this=self.cast(arg, dt.float64), expression=sge.convert(per_second))
        return self.cast(self.f.to_timestamp(seconds), dt.timestamp)  # the session is UTC

    def visit_mean(self: Any, op: Any, *, arg: Any, where: Any) -> Any:
        mean = self.agg.avg(arg, where=where)  # numeric for integers in PostgreSQL
        return self.cast(mean, op.dtype) if op.dtype.is_floating() else mean

    def null_kept(visit: Any) -> Any:  # ARRAY(SELECT ... FROM unnest(NULL)) is '{}'
        def kept(self: Any, op: Any, *, arg: Any, **rest: Any) -> Any:
            return self.if_(arg.is_(sge.null()), sge.null(), visit(self, op, arg=arg, **rest))

        return kept

    PostgresCompiler.visit_ArrayFilter = null_kept(PostgresCompiler.visit_ArrayFilter)
    PostgresCompiler.visit_ArrayMap = null_kept(PostgresCompiler.visit_ArrayMap)
    PostgresCompiler.visit_Mean = visit_mean
    PostgresCompiler.visit_TimestampFromUNIX = visit_from_unix
    PostgresCompiler.visit_Lowercase = folded("lower")
    PostgresCompiler.visit_Uppercase = folded("upper")
    PostgresCompiler.visit_Cast = plain_cast
    PostgresCompiler.visit_TryCast = visit_try_cast
    PostgresCompiler.visit_SortKey = visit_sort_key
    _patched = True


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


def hash_batches(con: Any, expr: ir.Table, sql: str) -> int:
    """DuckDB's hash sum (``sql`` over a table named ``batch``) of ``expr``'s rows. The rows
    leave the server once, as ``COPY ... TO STDOUT`` CSV read by Arrow's streaming CSV
    reader in blocks; DuckDB types each block as the canonical columns and hashes it. No
    block is kept."""
    import duckdb
    import pyarrow.csv as pacsv

    schema = expr.schema()
    names = list(schema.names)
    outer = ", ".join(
        f'array_to_json("t"."{n}")::text AS "{n}"' if schema[n].is_array() else f'"t"."{n}"'
        for n in names
    )
    query = f'COPY (SELECT {outer} FROM ({con.compile(expr)}) AS "t") TO STDOUT (FORMAT csv)'
    typed = ", ".join(f'{_duckdb_value(n, schema[n])} AS "{n}"' for n in names)
    total = 0
    with con.con.cursor() as cursor, cursor.copy(query) as copy:
        stream = _CopyStream(copy)
        if stream.empty():
            return 0
        local = duckdb.connect()
        reader = pacsv.open_csv(
            stream,
            read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
                null_values=[""],
            ),
        )
        for block in reader:
            local.register("raw", pa.Table.from_batches([block]))
            local.execute(f"CREATE OR REPLACE TEMP VIEW batch AS SELECT {typed} FROM raw")
            (value,) = local.execute(sql).fetchone() or (0,)
            total += int(value or 0)
            local.unregister("raw")
    local.close()
    return total


def _duckdb_value(name: str, dtype: dt.DataType) -> str:
    """DuckDB SQL reading column ``name`` of PostgreSQL's CSV as ``dtype``."""
    column = f'"{name}"'
    if dtype.is_array():
        return f"CAST(from_json({column}, '[\"VARCHAR\"]') AS VARCHAR[])"
    if dtype.is_string():
        return column
    if dtype.is_boolean():
        return f"({column} = 't')"
    kind = f"DECIMAL({dtype.precision},{dtype.scale})" if dtype.is_decimal() else None
    return f"CAST({column} AS {kind or _DUCKDB[type(dtype).__name__]})"


_DUCKDB = {"Float64": "DOUBLE", "Int64": "BIGINT", "Int32": "INTEGER", "Date": "DATE"}


class _CopyStream(io.RawIOBase):
    """A readable binary stream over psycopg's ``COPY ... TO STDOUT`` chunks."""

    def __init__(self, copy: Any) -> None:
        self._copy = copy
        self._chunk = memoryview(b"")

    def readable(self) -> bool:
        return True

    def empty(self) -> bool:
        """True when the server sent no row (Arrow refuses an empty CSV stream)."""
        if not self._chunk:
            self._chunk = memoryview(bytes(self._copy.read()))
        return not self._chunk

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from as many chunks (a row each) as fit: the reader asks for
        whole blocks."""
        view, filled = memoryview(buffer).cast("B"), 0
        while filled < len(view):
            if not self._chunk:
                chunk = self._copy.read()
                if not chunk:
                    break
                self._chunk = memoryview(bytes(chunk))
            n = min(len(view) - filled, len(self._chunk))
            view[filled : filled + n] = self._chunk[:n]
            self._chunk = self._chunk[n:]
            filled += n
        return filled


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
