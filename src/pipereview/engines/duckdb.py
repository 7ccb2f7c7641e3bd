"""DuckDB, the default engine: in-process, out-of-core under ``memory_limit`` (work beyond it
spills to a temporary directory). Files are opened by DuckDB's own readers, a DuckDB
database file is attached read-only, and the fingerprint's row hash is one more aggregate
in the scans the report makes anyway.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa
import sqlglot as sg
import sqlglot.expressions as sge
from ibis.formats.pyarrow import PyArrowData
from sqlglot.dialects.duckdb import DuckDB

from pipereview.engines.base import Engine, _name, last_line
from pipereview.engines.fingerprint import hash_sum
from pipereview.engines.memo import memo_sql
from pipereview.engines.plan import plan_table_name
from pipereview.errors import EngineError, InputError
from pipereview.locations import SourceTable, is_postgres
from pipereview.schema import MAX_CSV_LINE, ROW_COLUMN


class DuckDBEngine(Engine):
    """DuckDB in this process (``memory_limit``, ``temp_directory``, ``threads``)."""

    name = "duckdb"
    source_label = "DuckDB database"
    hashes_in_scan = True
    runs_plans = True
    keeps_in_place_above = 2_000_000  # a parsed copy of that many deals: about 300 MB

    def _connect(
        self,
        *,
        memory_limit: str | None = None,
        temp_directory: str | Path | None = None,
        threads: int | None = None,
        **_: Any,
    ) -> Any:
        self._attached: dict[str, str] = {}  # database file -> its alias in this connection
        self._registered: set[str] = set()  # in-memory tables registered with the connection
        config: dict[str, Any] = {}
        if memory_limit:
            config["memory_limit"] = memory_limit
            if temp_directory is None:  # removed when the Engine is collected or at exit
                self._spill = tempfile.TemporaryDirectory(prefix="pipereview-spill-")
                temp_directory = self._spill.name
            config["temp_directory"] = str(temp_directory)
        elif temp_directory:
            config["temp_directory"] = str(temp_directory)
        if threads:
            config["threads"] = threads
        try:
            con = ibis.duckdb.connect(**config)
        except Exception as exc:  # duckdb raises on a bad memory_limit string
            raise EngineError(
                f"cannot start DuckDB: {exc}", hint="memory limits look like 4GB or 512MB"
            ) from None
        # a timestamp with a time zone has its UTC date, as on PostgreSQL and Spark, whatever
        # the machine's zone (decisions D36)
        con.raw_sql("SET TimeZone = 'UTC'")
        return con

    def _data_errors(self) -> tuple[type[BaseException], ...]:
        import duckdb

        return (duckdb.Error,)

    def reaches_store(self, location: str) -> bool:
        """A store file (DuckDB, SQLite) or a MySQL store is read into this connection; a
        PostgreSQL store is reached through its own server."""
        return not is_postgres(location)

    def read_file(self, path: Path, kind: str, delimiter: str = ",") -> ir.Table:
        if kind == "csv":
            return self.con.read_csv(
                str(path),
                table_name=_name("raw"),
                header=True,
                all_varchar=True,
                delim=delimiter,
                quote='"',
                escape='"',
                null_padding=False,
                max_line_size=MAX_CSV_LINE,
                # DuckDB's buffer is 16 lines' worth by default (1 GiB at 64 MB a line),
                # more than a --memory-limit of 512MB allows; one line's worth is enough.
                buffer_size=MAX_CSV_LINE,
            )
        if kind == "parquet":  # scanned in place: the file is columnar already
            return self.con.read_parquet(str(path), table_name=_name("raw"), file_row_number=True)
        return self.con.read_json(str(path), table_name=_name("raw"), format="auto", sample_size=-1)

    def _read_table(
        self, source: SourceTable, location: str, name: str, schema: str | None
    ) -> ir.Table:
        """A table of a DuckDB database file, attached read-only to this connection (once)."""
        alias = self._attached.get(location)
        if alias is None:
            alias = f"pipereview_source_{len(self._attached)}"
            try:
                self.con.attach(location, name=alias, read_only=True)
            except duckdb.Error as exc:  # a damaged file, or one of a newer DuckDB
                raise InputError(
                    f"cannot open as a DuckDB database ({last_line(exc)})",
                    source=source.source,
                    hint="--source duckdb:///path names a database DuckDB wrote",
                ) from None
            self._attached[location] = alias
        database = (alias, schema or "main")
        tables = self.con.list_tables(database=database)
        if name not in tables:
            raise InputError(
                f"no table {source.name!r}",
                source=source.source,
                hint=f"tables: {', '.join(sorted(tables)[:12]) or '(none)'}",
            )
        return self.con.table(name, database=database)

    def materialize(self, expr: ir.Table) -> ir.Table:
        """DuckDB keeps insertion order when it creates a table from a scan (its default
        ``preserve_insertion_order``), so ``rowid`` is the input order."""
        return self._numbered(self._create_temp(_name("canonical"), expr))

    def named(self, expr: ir.Table) -> ir.Table:
        name = _name("named")
        self._view(name, expr, temp=True)
        return self.con.table(name)

    def keep_sql(self, sql: str, schema: Any, rows: int | None = None) -> ir.Table:
        if self.in_place(schema.names, rows):
            name = _name("canonical")
            self.con.raw_sql(f"CREATE VIEW {_quoted((name,))} AS {sql}")
            return self.con.table(name)
        return self._numbered(self._create_from(_name("canonical"), sql, schema))

    def _numbered(self, table: ir.Table) -> ir.Table:
        """A kept canonical table with ``_row``, its 1-based input row number (``rowid``),
        as a named view (so that a compiled plan can bind it: plan.py); a table that has
        ``_row`` already (the reader numbered the rows) as it is."""
        kept = self.plan_name(table)
        if kept is None:  # both makers of a kept table give a named temp table
            raise EngineError(f"a kept table without a name: {table.get_name()}")
        if ROW_COLUMN in table.columns:  # numbered by the reader (a Parquet file's rows)
            return table
        name = _name("numbered")
        row = _quoted((ROW_COLUMN,))
        self.con.raw_sql(
            f"CREATE TEMP VIEW {_quoted((name,))} AS SELECT *, rowid + 1 AS {row} FROM {kept}"
        )
        # what ``con.table`` gives without asking DuckDB: the view keeps the table's types
        # (NOT NULL included) and ``rowid + 1`` is a nullable BIGINT
        schema = ibis.schema({**table.schema(), ROW_COLUMN: "int64"})
        return ops.DatabaseTable(
            name, schema=schema, source=self.con, namespace=ops.Namespace()
        ).to_expr()

    def create_view(self, name: str, expr: ir.Table) -> None:
        self._view(name, expr, temp=False)

    def _view(self, name: str, expr: ir.Table, temp: bool) -> None:
        """``CREATE [TEMP] VIEW name AS`` the memoised text of ``expr`` (engines/plan.py)."""
        found = memo_sql(self, expr)
        sql = self.con.compile(expr) if found is None else found[0]
        self.con.raw_sql(f"CREATE {'TEMP ' if temp else ''}VIEW {_quoted((name,))} AS {sql}")

    def plan_name(self, table: ir.Table) -> str | None:
        op = table.op()
        if isinstance(op, ops.InMemoryTable):
            if op.name not in self._registered:  # what Ibis does before it runs one
                self.con._register_in_memory_table(op)
                self._registered.add(op.name)
            return _quoted((op.name,))
        name = plan_table_name(table)
        return None if name is None else _quoted(name)

    def cache(self, expr: ir.Table) -> ir.Table:
        return self._create_temp(_name("cached"), expr)

    def _create_temp(self, name: str, expr: ir.Table) -> ir.Table:
        """Ibis's ``create_table(name, expr, temp=True)`` (a typed table, then an insert),
        from the memoised text of ``expr`` (engines/plan.py)."""
        found = memo_sql(self, expr)
        if found is None:
            return self.con.create_table(name, expr, temp=True)
        return self._create_from(name, *found)

    def small(self, columns: dict[str, list[Any]], schema: dict[str, str]) -> ir.Table:
        """A temp table of the values written as SQL list literals (``UNNEST`` of each, in
        order): turning Python lists into Arrow or DuckDB parameters imports pandas (both
        ask whether a value is a pandas object), a fifth of a second of a CLI run. DuckDB
        parses a literal at about 17 us a value, so more than ``_LITERAL_VALUES`` values, and
        types other than text and whole numbers, go through Arrow (``Engine.small``)."""
        if sum(len(values) for values in columns.values()) > _LITERAL_VALUES:
            return super().small(columns, schema)
        types = ibis.schema(schema)
        lists = [_list_literal(columns[name], dtype) for name, dtype in types.items()]
        if any(text is None for text in lists):
            return super().small(columns, schema)
        select = ", ".join(
            f"UNNEST({text}) AS {_quoted((name,))}"
            for text, name in zip(lists, types.names, strict=True)
        )
        return self._create_from(_name("small"), f"SELECT {select}", types)

    def cache_sql(self, sql: str, schema: Any) -> ir.Table:
        return self._create_from(_name("cached"), sql, schema)

    def _create_from(self, name: str, sql: str, schema: Any) -> ir.Table:
        """The typed temp table and the insert ``create_table`` writes, from SQL text."""
        create, insert = _create_texts(schema)
        quoted = _quoted(("temp", "main", name))
        self.con.con.execute(create.replace(_NAME, quoted, 1))  # the name comes first
        self.con.con.execute(f"{insert.replace(_NAME, quoted, 1)} {sql}")
        namespace = ops.Namespace(catalog="temp", database="main")
        # what ``con.table`` gives, typed as created, without asking DuckDB again
        return ops.DatabaseTable(
            name, schema=schema, source=self.con, namespace=namespace
        ).to_expr()

    def run_sql(self, sql: str, schema: Any) -> pa.Table:
        # the result Ibis's to_pyarrow fetches (``con.sql(...).to_arrow_table()``), without
        # making a relation of the statement first, which costs a little on every statement
        table = self.con.con.execute(sql).to_arrow_table()
        return _ResultData.convert_table(table, schema)

    def out_of_memory(self, exc: BaseException) -> bool:
        return _duckdb_out_of_memory(exc)

    def hash_in_scan(self, t: ir.Table, table: str) -> dict[str, ir.Scalar]:
        return {"_hash": hash_sum(t, table)}

    def hash_sum(self, t: ir.Table, table: str, scan: Mapping[str, Any]) -> Any:
        return scan["_hash"]


class _ResultData(PyArrowData):
    """Ibis's DuckDBPyArrowData (a null-typed column stays null), which its module cannot
    give without importing pandas."""

    @classmethod
    def convert_column(cls, column: pa.Array, dtype: Any) -> pa.Array:
        if dtype.is_null():
            return pa.nulls(len(column))
        return super().convert_column(column, dtype)


_NAME = '"__pr_name__"'


@functools.lru_cache(maxsize=512)
def _create_texts(schema: Any) -> tuple[str, str]:
    """The ``CREATE TEMPORARY TABLE`` and ``INSERT INTO`` heads that Ibis's
    ``create_table`` writes for a table of ``schema``, its name left as ``_NAME`` (sqlglot
    writes them once per schema)."""
    create = sge.Create(
        kind="TABLE",
        this=sge.Schema(
            this=sg.table(_NAME.strip('"'), quoted=True),
            expressions=schema.to_sqlglot_column_defs(DuckDB),
        ),
        properties=sge.Properties(expressions=[sge.TemporaryProperty()]),
    )
    columns = ", ".join(_quoted((c,)) for c in schema.names)
    return create.sql(DuckDB), f"INSERT INTO {_NAME} ({columns})"


_LITERAL_VALUES = 4_000  # above it, Arrow and pandas' import cost less than DuckDB's parsing


def _list_literal(values: list[Any], dtype: Any) -> str | None:
    """``values`` as a DuckDB list literal of ``dtype`` (text or a whole number), else None."""
    if dtype.is_string() and all(
        v is None or (isinstance(v, str) and "\x00" not in v) for v in values
    ):
        items = ("NULL" if v is None else "'" + v.replace("'", "''") + "'" for v in values)
        return f"[{', '.join(items)}]::VARCHAR[]"
    if dtype.is_int64() and all(v is None or type(v) is int for v in values):
        return f"[{', '.join('NULL' if v is None else str(v) for v in values)}]::BIGINT[]"
    return None


def _quoted(parts: tuple[str, ...]) -> str:
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def _duckdb_out_of_memory(exc: BaseException) -> bool:
    import duckdb

    return isinstance(exc, duckdb.OutOfMemoryException)
