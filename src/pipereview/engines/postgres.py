"""PostgreSQL as an engine: the metrics run in the server that holds the tables.

The session is set up when the engine connects (UTC, ISO dates, exact float text, the
try-cast functions of ``postgres_compiler.py``, whose compiler this connection uses); a
database that cannot give DuckDB's results (not UTF8, no ICU) is refused. PostgreSQL cannot
read local files: a small side table (stages, quotas, rates) is read by DuckDB here and
sent to the server.

The input fingerprint sums DuckDB's row hash, which PostgreSQL cannot compute: the canonical
rows leave the server once (``COPY ... TO STDOUT``, read by Arrow's streaming CSV reader) and
DuckDB hashes each block in this process (no block is kept), so a PostgreSQL report carries
the same fingerprint as DuckDB's for the same data.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from pipereview.drivers import require
from pipereview.engines.base import Engine, _name
from pipereview.engines.duckdb import _duckdb_out_of_memory
from pipereview.errors import EngineError, InputError
from pipereview.locations import SourceTable, is_postgres
from pipereview.locations import postgres_describe as describe
from pipereview.schema import ROW_COLUMN


class PostgresEngine(Engine):
    """The server of a PostgreSQL database (``postgres_url``)."""

    name = "postgres"
    source_label = "postgres"
    reads_local_files = False
    computes_in_server = True

    def _connect(self, *, postgres_url: str | None = None, **_: Any) -> Any:
        if not postgres_url:
            raise EngineError("the postgres engine needs a URL", hint="pass --source URL")
        require("psycopg", "the postgres engine")  # an optional extra
        return connect(postgres_url)

    def _data_errors(self) -> tuple[type[BaseException], ...]:
        import psycopg

        return (psycopg.Error,)

    @classmethod
    def computes_in(cls, url: str) -> bool:
        return is_postgres(url)

    def reaches_store(self, location: str) -> bool:
        """Only a store in this engine's own database."""
        return self.holds(location)

    def read_file(self, path: Path, kind: str, delimiter: str = ",") -> ir.Table:
        local = Engine("duckdb").read_file(path, kind, delimiter)
        return self.from_arrow(local.to_pyarrow())

    def _read_table(
        self, source: SourceTable, location: str, name: str, schema: str | None
    ) -> ir.Table:
        """A table of this engine's database (as the search path finds an unqualified one)."""
        if location != self.url:
            raise InputError(
                "the tables are in different PostgreSQL databases",
                source=describe(source.source),
                hint="read the deals and reps from one database",
            )
        schema = schema or schema_of(self.con, name)
        tables = self.con.list_tables(database=schema)
        if name not in tables:
            raise InputError(
                f"no table {source.name!r}",
                source=describe(source.source),
                hint=f"tables: {', '.join(sorted(tables)[:12]) or '(none)'}",
            )
        return self.con.table(name, database=schema)

    def materialize(self, expr: ir.Table) -> ir.Table:
        """Numbered in the scan order of the source."""
        if ROW_COLUMN not in expr.columns:
            expr = expr.mutate(**{ROW_COLUMN: ibis.row_number() + 1})
        return self.con.create_table(_name("canonical"), expr, temp=True)

    def out_of_memory(self, exc: BaseException) -> bool:
        return _duckdb_out_of_memory(exc)  # local files are read through DuckDB

    def hash_sum_apart(self, t: ir.Table, batch_sql: str) -> int:
        """The rows streamed through DuckDB here, batch by batch."""
        return hash_batches(self.con, t, batch_sql)


def connect(url: str) -> Any:
    """An Ibis PostgreSQL connection with the session set up for pipereview."""
    # imported here, not with the engines: a run that never connects to PostgreSQL does
    # not build the compiler (Ibis's, its sqlglot dialect, pipereview's changes)
    from pipereview.engines.postgres_compiler import PipereviewPostgresCompiler

    rest = url.strip().partition("://")[2]
    try:
        con = ibis.connect(f"postgres://{rest}")
        con.compiler = PipereviewPostgresCompiler()  # this connection's own
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
        from pipereview.engines.postgres_compiler import try_functions

        for function in try_functions():
            cursor.execute(function)
        cursor.execute("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'")
        if cursor.fetchone() is None:
            raise EngineError(
                f"{describe(url)} has no ICU collations, which pipereview uses to fold case "
                "as the other engines do",
                hint="use a PostgreSQL server built with ICU (Debian's and most others are)",
            )


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
