"""Compute engines: where inputs are read, canonical tables live and Ibis expressions run.

DuckDB (in-process, out-of-core with ``memory_limit``) is the default. Spark runs the same
expressions on a local session, a cluster (``spark_master``) or a session the caller owns.
PostgreSQL runs them in the server that holds the warehouse tables (``postgres_url``).
This is the one module that knows which engine it talks to: the few things Ibis leaves to
the backend (how a file is opened, how a table is kept, a row number in input order, how
the fingerprint's row hash is summed) live here, behind small methods.
"""

from __future__ import annotations

import itertools
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from pipereview.errors import EngineError, InputError
from pipereview.locations import SourceTable, source_kind
from pipereview.schema import ROW_COLUMN
from pipereview.sources import postgres
from pipereview.sources.spark import (
    broadcast_frame,
    fix_spark_compiler,
    hash_batches,
    spark_session,
)

ENGINES = ("duckdb", "spark", "postgres")
_names = itertools.count()


def count_if(t: ir.Table, condition: ir.BooleanValue) -> ir.IntegerScalar:
    """Rows of ``t`` where ``condition`` holds: 0 for an empty table on every backend (Spark
    returns null for a filtered count over no rows)."""
    return t.count(where=condition).fill_null(0)


class Engine:
    """An Ibis backend plus the few operations the report needs from it."""

    def __init__(
        self,
        name: str = "duckdb",
        *,
        session: Any = None,
        memory_limit: str | None = None,
        temp_directory: str | Path | None = None,
        threads: int | None = None,
        spark_master: str | None = None,
        spark_conf: Mapping[str, str] | None = None,
        postgres_url: str | None = None,
    ) -> None:
        if name not in ENGINES:
            raise EngineError(f"unknown engine {name!r}", hint=f"use one of: {', '.join(ENGINES)}")
        self.name = name
        self._spark: Any = None
        self._attached: dict[str, str] = {}  # database file -> its alias in this connection
        self.url = postgres_url.strip() if postgres_url else None
        if name == "postgres":
            if not postgres_url:
                raise EngineError("the postgres engine needs a URL", hint="pass --source URL")
            self.con = postgres.connect(postgres_url)
        elif name == "duckdb":
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
                self.con = ibis.duckdb.connect(**config)
            except Exception as exc:  # duckdb raises on a bad memory_limit string
                raise EngineError(
                    f"cannot start DuckDB: {exc}", hint="memory limits look like 4GB or 512MB"
                ) from None
        else:
            self._spark = session or spark_session(spark_master, spark_conf or {})
            # Exact decimal arithmetic: a product keeps its full scale (or fails) rather
            # than being rounded to fit 38 digits.
            self._spark.conf.set("spark.sql.decimalOperations.allowPrecisionLoss", "false")
            fix_spark_compiler()
            self.con = ibis.pyspark.connect(self._spark)
        self.data_errors = _data_errors(name)

    @classmethod
    def of(cls, engine: Engine | str | Any) -> Engine:
        """An Engine from a name, an Engine, or a pyspark SparkSession."""
        if isinstance(engine, Engine):
            return engine
        if isinstance(engine, str):
            return cls(engine)
        if type(engine).__name__ == "SparkSession":
            return cls("spark", session=engine)
        raise EngineError(
            f"cannot use {type(engine).__name__} as an engine",
            hint="pass 'duckdb', 'spark', an Engine or a SparkSession",
        )

    # --- reading ------------------------------------------------------------------------
    def read_file(self, path: Path, kind: str, delimiter: str = ",") -> ir.Table:
        """Open a file with the engine's own reader (no rows pass through Python).

        CSV columns are all text (canonicalisation parses them); Parquet and JSON keep the
        types the reader gives them. PostgreSQL cannot read local files: a small side table
        (stages, quotas, rates) is read by DuckDB here and sent to the server.
        """
        if self.name == "postgres":
            local = Engine("duckdb").read_file(path, kind, delimiter)
            return self.from_arrow(local.to_pyarrow())
        if self._spark is None:
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
                )
            if kind == "parquet":  # scanned in place: the file is columnar already
                return self.con.read_parquet(
                    str(path), table_name=_name("raw"), file_row_number=True
                )
            return self.con.read_json(
                str(path), table_name=_name("raw"), format="auto", sample_size=-1
            )
        reader = self._spark.read
        if kind == "csv":
            frame = (
                reader.option("header", True)
                .option("sep", delimiter)
                .option("quote", '"')
                .option("escape", '"')
                .option("mode", "FAILFAST")
                .option("enforceSchema", False)
                .csv(str(path))
            )
        elif kind == "parquet":
            frame = reader.parquet(str(path))
        else:
            multiline = _starts_with_bracket(path)
            frame = reader.option("multiLine", multiline).option("mode", "FAILFAST").json(str(path))
        return self._view(frame)

    def read_table(self, source: SourceTable) -> ir.Table:
        """A warehouse table, read in place: a DuckDB database file is attached read-only
        to this connection (once); ``spark`` is the Spark session's catalog; a PostgreSQL
        table is read by the postgres engine connected to its server."""
        kind, location = source_kind(source.source)
        if kind != self.name:
            what = {"spark": "Spark catalog", "duckdb": "DuckDB database"}.get(kind, kind)
            raise InputError(
                f"a {what} table is read with --engine {kind}, not {self.name}",
                source=source.source,
                hint="read both tables from one source"
                if kind == "postgres" or self.name == "postgres"
                else f"pass --engine {kind}",
            )
        *schema, name = source.name.split(".")
        if self.name == "postgres":
            if location != self.url:
                raise InputError(
                    "the tables are in different PostgreSQL databases",
                    source=postgres.describe(source.source),
                    hint="read the deals and reps from one database",
                )
            return self._postgres_table(source, name, schema[0] if schema else None)
        if self._spark is not None:
            try:
                return self._view(self._spark.table(source.name))
            except Exception as exc:  # pyspark's AnalysisException: no such table
                raise InputError(
                    f"no table {source.name!r} in the Spark catalog ({_last_line(exc)})",
                    source=source.source,
                ) from None
        alias = self._attached.get(location)
        if alias is None:
            alias = f"pipereview_source_{len(self._attached)}"
            self.con.attach(location, name=alias, read_only=True)
            self._attached[location] = alias
        database = (alias, schema[0] if schema else "main")
        tables = self.con.list_tables(database=database)
        if name not in tables:
            raise InputError(
                f"no table {source.name!r}",
                source=source.source,
                hint=f"tables: {', '.join(sorted(tables)[:12]) or '(none)'}",
            )
        return self.con.table(name, database=database)

    def from_arrow(self, table: pa.Table) -> ir.Table:
        """In-memory data (already in Python) as a raw engine table."""
        if any(_untyped(f.type) for f in table.schema):  # engines want real types
            table = table.cast(pa.schema([f.with_type(_typed(f.type)) for f in table.schema]))
        if self._spark is None:  # scanned from Arrow; materialize() makes the one copy
            return ibis.memtable(table)
        return self._view(self._spark.createDataFrame(table))

    def _postgres_table(self, source: SourceTable, name: str, schema: str | None) -> ir.Table:
        schema = schema or postgres.schema_of(self.con, name)  # as the search path finds it
        tables = self.con.list_tables(database=schema)
        if name not in tables:
            raise InputError(
                f"no table {source.name!r}",
                source=postgres.describe(source.source),
                hint=f"tables: {', '.join(sorted(tables)[:12]) or '(none)'}",
            )
        return self.con.table(name, database=schema)

    def small(self, columns: dict[str, list[Any]], schema: dict[str, str]) -> ir.Table:
        """A few values from Python (ids to look up, pairs to join) as a table to join with
        the engine's big ones. Spark: a broadcast view, so the join never shuffles the big
        side (Spark cannot size a table made from Arrow and would sort-merge join it)."""
        if self._spark is None:
            return ibis.memtable(columns, schema=schema)
        arrow = pa.table(columns, schema=ibis.schema(schema).to_pyarrow())
        return self._view(broadcast_frame(self._spark, arrow))

    def _view(self, frame: Any) -> ir.Table:
        name = _name("raw")
        frame.createOrReplaceTempView(name)
        return self.con.table(name)

    # --- keeping ------------------------------------------------------------------------
    def row_column(self, raw: ir.Table) -> str | None:
        """The reader's 0-based input row number column, if it gives one (DuckDB Parquet)."""
        return "file_row_number" if "file_row_number" in raw.columns else None

    def keep(self, expr: ir.Table) -> ir.Table:
        """Where the canonical table lives: Parquet with row numbers is scanned in place
        (each query reads only its columns), behind a view so that every later query
        compiles to a short statement; anything else is computed once and kept."""
        if ROW_COLUMN in expr.columns and self.name != "postgres":
            name = _name("canonical")
            self.con.create_view(name, expr)
            return self.con.table(name)
        return self.materialize(expr)

    def materialize(self, expr: ir.Table) -> ir.Table:
        """Compute ``expr`` once and keep it; adds ``_row``, the 1-based input row number.

        DuckDB keeps insertion order when it creates a table from a scan (its default
        ``preserve_insertion_order``), so ``rowid`` is the input order. Spark numbers rows
        by partition (a file's partitions are in file order) plus the row's index in it.
        """
        if self.name == "postgres":  # numbered in the scan order of the source
            if ROW_COLUMN not in expr.columns:
                expr = expr.mutate(**{ROW_COLUMN: ibis.row_number() + 1})
            return self.con.create_table(_name("canonical"), expr, temp=True)
        if self._spark is None:
            table = self.con.create_table(_name("canonical"), expr, temp=True)
            return table.mutate(**{ROW_COLUMN: table.rowid() + 1})
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        frame = self._spark.sql(ibis.to_sql(expr, dialect="pyspark"))
        frame = frame.withColumn("_mid", F.monotonically_increasing_id())
        frame = frame.withColumn("_part", F.shiftright(F.col("_mid"), 33))
        # kept before the partitions are counted: the count computes the canonical rows
        # once, and every later query (the numbering included) reads them from the cache
        frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
        counts = sorted(
            (row["_part"], row["n"])
            for row in frame.groupBy("_part").agg(F.count(F.lit(1)).alias("n")).collect()
        )
        offset, start = 0, F.lit(0)
        for part, n in counts:
            start = F.when(F.col("_part") == part, F.lit(offset)).otherwise(start)
            offset += n
        low = F.col("_mid").bitwiseAND(F.lit((1 << 33) - 1))
        frame = frame.withColumn(ROW_COLUMN, (start + low + 1).cast("long")).drop("_mid", "_part")
        return self._view(frame)

    def cache(self, expr: ir.Table) -> ir.Table:
        """Compute a (small) table once so that several queries can read it."""
        if self._spark is None:
            return self.con.create_table(_name("cached"), expr, temp=True)
        return expr.cache()

    def release(self, kept: ir.Table) -> None:
        """Free a table made by ``cache`` once nothing will read it again."""
        if self._spark is None:
            self.con.drop_table(kept.get_name(), force=True)
        else:
            kept.release()  # an Ibis CachedTable (from cache())

    def out_of_memory(self, exc: BaseException) -> bool:
        """True when ``exc`` says the engine ran out of memory (not that the data is bad)."""
        if self._spark is None:
            import duckdb

            return isinstance(exc, duckdb.OutOfMemoryException)
        return self.name == "spark" and "OutOfMemoryError" in str(exc)

    # --- the fingerprint's hash ---------------------------------------------------------
    @property
    def hashes_in_scan(self) -> bool:
        """True when the row hash (DuckDB's ``hash``) can be part of any aggregate here."""
        return self.name == "duckdb"

    def hash_sum_apart(self, t: ir.Table, batch_sql: str) -> int:
        """Spark: the same DuckDB row-hash sum, computed by DuckDB on each Arrow batch on
        the executors (``mapInArrow``), so the fingerprint equals DuckDB's. PostgreSQL:
        the rows streamed through DuckDB here, batch by batch."""
        if self.name == "postgres":
            return postgres.hash_batches(self.con, t, batch_sql)
        frame = self._spark.sql(ibis.to_sql(t, dialect="pyspark"))
        try:
            parts = frame.mapInArrow(hash_batches(batch_sql), "h string").collect()
        except self.data_errors as exc:
            raise EngineError(
                f"Spark could not hash the rows: {_last_line(exc)}",
                hint="the executors need Python with pyarrow and duckdb (PYSPARK_PYTHON)",
            ) from None
        return sum(int(row["h"]) for row in parts)

    # --- results ------------------------------------------------------------------------
    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        """Execute a table expression and return its rows as dicts."""
        return self.arrow(expr).to_pylist()

    def arrow(self, expr: ir.Table) -> pa.Table:
        """Execute a table expression and return its result as an Arrow table. (Not Spark
        4's DataFrame.toArrow: a 1M-row result lost its task results in a local session.)"""
        return expr.to_pyarrow()

    def one(self, expr: ir.Table) -> dict[str, Any]:
        """Execute an expression that yields exactly one row."""
        rows = self.rows(expr)
        if len(rows) != 1:
            raise EngineError(f"expected one row, got {len(rows)}")
        return rows[0]


def _last_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _data_errors(name: str) -> tuple[type[BaseException], ...]:
    """The exceptions by which an engine says it cannot read or convert the data."""
    if name == "duckdb":
        import duckdb

        return (duckdb.Error,)
    if name == "postgres":
        import psycopg

        return (psycopg.Error,)
    from py4j.protocol import Py4JJavaError
    from pyspark.errors import PySparkException

    return (PySparkException, Py4JJavaError)


def _untyped(dtype: pa.DataType) -> bool:
    return pa.types.is_null(dtype) or (pa.types.is_list(dtype) and _untyped(dtype.value_type))


def _typed(dtype: pa.DataType) -> pa.DataType:
    """All-null columns (and lists of them) as text, which every engine can hold."""
    if pa.types.is_null(dtype):
        return pa.string()
    if pa.types.is_list(dtype) and _untyped(dtype.value_type):
        return pa.list_(_typed(dtype.value_type))
    return dtype


def _name(kind: str) -> str:
    return f"pipereview_{kind}_{os.getpid()}_{next(_names)}"


def _starts_with_bracket(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[")
