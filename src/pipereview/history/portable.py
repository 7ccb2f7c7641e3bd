"""A snapshot store in a database that is not the compute engine (SQLite, MySQL/MariaDB),
in a layout every SQL database can keep.

Such databases have no exact decimal of any precision, no list type, and some turn -0.0
into 0, so the store keeps money, probabilities and numbers as their exact text (Arrow's
shortest round-trip text for floats), flag lists as JSON text, dates in ``DATE`` columns,
counts and row numbers as integers. Rows are encoded from Arrow on the way in, a slice at
a time inside the store's transaction (the parameters of one ``INSERT`` run many times, or
multi-row ``INSERT`` literals built by Arrow: ``mysql_db.py``), and decoded back to the
canonical types on the way out, into an in-process DuckDB engine where the history is
computed. Ibis compiles the reads for the store's SQL dialect (the date
filters run in the store); the rows come back as one JSON object each, parsed by Arrow.

A subclass holds what differs: connecting, the writers' lock and transaction, how the
dialect quotes a name, types a column and turns a JSON text into JSON.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any, ClassVar

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from pipereview.errors import StoreError
from pipereview.schema import ROW_COLUMN
from pipereview.sources.engine import Engine

SLICE = 50_000  # rows turned into Python values at a time, each way


def encode(column: pa.ChunkedArray | pa.Array) -> pa.Array | pa.ChunkedArray:
    """A column as the store keeps it: lists as JSON text, decimals, floats and dates as
    their text (Arrow's shortest round-trip text for floats), integers and strings as they
    are."""
    kind = column.type
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return pa.array(
            [None if v is None else orjson.dumps(v).decode() for v in column.to_pylist()],
            pa.string(),
        )
    if pa.types.is_decimal(kind) or pa.types.is_floating(kind) or pa.types.is_date(kind):
        return pc.cast(column, pa.string())
    return column


def decode(table: pa.Table, schema: ibis.Schema) -> pa.Table:
    """Rows read from the store, back in the canonical types of ``schema``."""
    columns = []
    for name in table.column_names:
        column, target = table[name], schema[name].to_pyarrow()
        if column.type != target:
            column = pc.cast(column, target)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def stored_schema(schema: ibis.Schema) -> ibis.Schema:
    """How the store types the columns of ``schema`` (what Ibis compiles reads against)."""
    return ibis.schema(
        {
            name: kind if kind.is_date() or kind.is_integer() else dt.string
            for name, kind in schema.items()
        }
    )


def _arrow_type(dtype: dt.DataType) -> pa.DataType:
    """How a column comes back: integers as integers, lists as lists (read as JSON), the
    rest (decimals, floats and dates as text) as text."""
    if dtype.is_array():
        return dtype.to_pyarrow()
    return pa.int64() if dtype.is_integer() else pa.string()


def _plain(value: Any) -> Any:
    """A parameter or fetched value as the layout has it: dates as ISO text."""
    return value.isoformat() if hasattr(value, "isoformat") else value


class PortableSQL:
    """A store in a DB-API database in the portable layout (``raw``: the writer's and
    reader's connection); the history is computed in ``engine`` (DuckDB)."""

    copies = True  # rows always cross as Arrow: the store is not an engine
    dialect: ClassVar[str]  # sqlglot's name for the store's SQL
    quote: ClassVar[str]  # how the dialect quotes a name
    param: ClassVar[str]  # the driver's placeholder
    integer_type: ClassVar[str] = "INTEGER"
    text_type: ClassVar[str] = "TEXT"
    table_options: ClassVar[str] = ""
    json_text: ClassVar[str]  # turns a JSON text column ({}) into JSON inside json_object
    driver_error: ClassVar[type[Exception]]  # the base of what the driver raises
    engine: Engine
    name: str

    @property
    def raw(self) -> Any:
        raise NotImplementedError

    def _q(self, name: str) -> str:
        return f"{self.quote}{name}{self.quote}"

    def qualified(self, table: str) -> str:
        return self._q(table)

    def execute(self, sql: str, params: list[Any]) -> None:
        """One statement; ``sql`` writes ``?`` for each parameter."""
        with self._cursor() as cursor:
            cursor.execute(sql.replace("?", self.param), [_plain(p) for p in params])

    def _new_cursor(self) -> Any:
        return self.raw.cursor()

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """A cursor; what the driver raises becomes one StoreError line (a snapshot being
        written is then rolled back whole)."""
        try:
            with closing(self._new_cursor()) as cursor:
                yield cursor
        except self.driver_error as exc:
            raise StoreError(
                f"{self.name}: {self._reason(exc)}",
                hint="the database refused the work or the connection was lost; a snapshot "
                "is written whole or not at all",
            ) from None

    def _reason(self, exc: BaseException) -> str:
        return str(exc)

    def _column_type(self, dtype: dt.DataType) -> str:
        if dtype.is_date():
            return "DATE"
        return self.integer_type if dtype.is_integer() else self.text_type

    def create_table(self, name: str, schema: ibis.Schema) -> None:
        columns = ", ".join(f"{self._q(c)} {self._column_type(t)}" for c, t in schema.items())
        with self._cursor() as cursor:
            cursor.execute(f"CREATE TABLE {self._q(name)} ({columns}){self.table_options}")

    def append(self, name: str, data: pa.Table) -> None:
        self.insert_batches(name, pa.RecordBatchReader.from_batches(data.schema, data.to_batches()))

    def insert_batches(self, table: str, batches: Any) -> None:
        """Append a stream of Arrow record batches (columns in the table's order)."""
        names = batches.schema.names
        columns = ", ".join(self._q(name) for name in names)
        places = ", ".join([self.param] * len(names))
        sql = f"INSERT INTO {self._q(table)} ({columns}) VALUES ({places})"
        with self._cursor() as cursor:
            for batch in batches:
                for start in range(0, batch.num_rows, SLICE):  # bounded Python memory
                    part = batch.slice(start, SLICE)
                    values = [encode(column).to_pylist() for column in part.columns]
                    cursor.executemany(sql, list(zip(*values, strict=True)))

    def table(self, name: str, schema: ibis.Schema) -> ir.Table:
        """A store table as an Ibis expression in the store's types (compiled, not bound)."""
        return ibis.table(stored_schema(schema), name=name)

    def _sql(self, expr: ir.Table) -> str:
        return str(ibis.to_sql(expr, dialect=self.dialect))

    def rows(self, expr: ir.Table, schema: ibis.Schema) -> list[dict[str, Any]]:
        """A small query's rows (the snapshot list, a stored report; no lists), decoded."""
        with self._cursor() as cursor:
            cursor.execute(self._sql(expr))
            names = [d[0] for d in cursor.description]
            found = [dict(zip(names, map(_plain, row), strict=True)) for row in cursor.fetchall()]
        stored = pa.schema([(n, _arrow_type(schema[n])) for n in names])
        return decode(pa.Table.from_pylist(found, stored), schema).to_pylist()

    def bring(self, expr: ir.Table, schema: ibis.Schema) -> ir.Table:
        """A store query's rows as a table of the engine, in the canonical types and in
        their stored order (snapshot date, then input row). The store writes each row as one
        JSON object, which Arrow's JSON reader parses a slice at a time: a Python object per
        row, not per value, unlike rows fetched as tuples or Ibis's fetch (which builds a
        pandas frame first)."""
        names = list(expr.columns)
        fields = ", ".join(
            f"'{n}', " + (self.json_text.format(self._q(n)) if schema[n].is_array() else self._q(n))
            for n in names
        )
        order = ", ".join(self._q(k) for k in ("as_of", ROW_COLUMN) if k in names)
        sql = f"SELECT json_object({fields}) FROM ({self._sql(expr)}) AS {self._q('found')}"
        stored = pa.schema([(n, _arrow_type(schema[n])) for n in names])
        parts = []
        with self._cursor() as cursor:
            cursor.execute(sql + (f" ORDER BY {order}" if order else ""))
            while rows := cursor.fetchmany(SLICE):
                data = "\n".join(row for (row,) in rows).encode()
                parts.append(
                    pajson.read_json(
                        io.BytesIO(data),
                        read_options=pajson.ReadOptions(block_size=len(data) + 1),
                        parse_options=pajson.ParseOptions(
                            explicit_schema=stored, unexpected_field_behavior="error"
                        ),
                    )
                )
        found = pa.concat_tables(parts) if parts else stored.empty_table()
        return self.engine.from_arrow(decode(found.select(names), schema))
