"""What every engine is: an Ibis connection plus the few operations the report needs from it.

Everything above this package asks an engine what it can do (its capability flags and
methods), never which one it is. Each engine is a subclass in its own module (``duckdb.py``,
``spark.py``, ``postgres.py``) that holds what Ibis leaves to the backend: how a file is
opened, how a table is kept, a row number in input order, how the fingerprint's row hash is
summed, what the engine raises when the data is bad or memory runs out. ``Engine("duckdb")``
makes the subclass registered under that name.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from pipereview.engines.compilers import lazy_compilers
from pipereview.engines.fingerprint import batch_sql
from pipereview.engines.memo import memo_sql
from pipereview.errors import EngineError, InputError
from pipereview.locations import SourceTable, source_kind
from pipereview.schema import ROW_COLUMN

_names = itertools.count()


def count_if(t: ir.Table, condition: ir.BooleanValue) -> ir.IntegerScalar:
    """Rows of ``t`` where ``condition`` holds: 0 for an empty table on every backend (Spark
    returns null for a filtered count over no rows)."""
    return t.count(where=condition).fill_null(0)


class Engine:
    """An Ibis backend plus the few operations the report needs from it.

    ``Engine(name, ...)`` builds the engine registered under ``name`` (``engines/__init__.py``
    lists them); the keyword options an engine does not use are ignored.
    """

    name: ClassVar[str]
    # How a table of this engine's --source is named in messages.
    source_label: ClassVar[str]
    # Capabilities: what the code above asks instead of the engine's name.
    hashes_in_scan: ClassVar[bool] = False  # DuckDB's row hash can join any aggregate here
    reads_local_files: ClassVar[bool] = True  # its readers open files on this machine
    computes_in_server: ClassVar[bool] = False  # its tables live in a database server (a URL)
    # Input rows numbered by the reader (Parquet on DuckDB) stay a view over the file when
    # there are more than this many: a parsed copy would cost memory. Fewer are parsed once
    # into a kept table, which every later query reads faster. None: always kept.
    keeps_in_place_above: ClassVar[int | None] = None
    runs_plans: ClassVar[bool] = False  # runs a compiled plan's SQL text itself (engines/plan.py)

    _registry: ClassVar[dict[str, type[Engine]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        Engine._registry[cls.name] = cls

    def __new__(cls, name: str = "duckdb", **options: Any) -> Engine:
        if cls is Engine:
            if name not in Engine._registry:
                raise EngineError(
                    f"unknown engine {name!r}", hint=f"use one of: {', '.join(Engine._registry)}"
                )
            cls = Engine._registry[name]
        return object.__new__(cls)

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
        lazy_compilers()  # before the first Ibis backend loads
        self.url = postgres_url.strip() if postgres_url else None
        self.con: Any = self._connect(
            session=session,
            memory_limit=memory_limit,
            temp_directory=temp_directory,
            threads=threads,
            spark_master=spark_master,
            spark_conf=spark_conf,
            postgres_url=postgres_url,
        )
        self.data_errors = self._data_errors()

    def _connect(self, **options: Any) -> Any:
        """The engine's Ibis connection, from the options it uses."""
        raise NotImplementedError

    def _data_errors(self) -> tuple[type[BaseException], ...]:
        """The exceptions by which the engine says it cannot read or convert the data."""
        raise NotImplementedError

    @classmethod
    def of(cls, engine: Engine | str | Any) -> Engine:
        """An Engine from a name, an Engine, or a session an engine accepts (a pyspark
        SparkSession)."""
        if isinstance(engine, Engine):
            return engine
        if isinstance(engine, str):
            return cls(engine)
        for kind in Engine._registry.values():
            if kind.accepts_session(engine):
                return cls(kind.name, session=engine)
        raise EngineError(
            f"cannot use {type(engine).__name__} as an engine",
            hint="pass 'duckdb', 'spark', an Engine or a SparkSession",
        )

    @classmethod
    def accepts_session(cls, session: Any) -> bool:
        """True when ``session`` is a session this engine runs on (``Engine.of``)."""
        return False

    @classmethod
    def computes_in(cls, url: str) -> bool:
        """True when the tables at ``url`` are computed by this engine in their server."""
        return False

    def holds(self, url: str) -> bool:
        """True when this engine computes in the server database at ``url``."""
        return self.url is not None and self.url == url.strip()

    def reaches_store(self, location: str) -> bool:
        """True when this engine's own connection reads and writes the store at
        ``location`` (else the store gets an engine of its own)."""
        return False

    # --- reading ------------------------------------------------------------------------
    def read_file(self, path: Path, kind: str, delimiter: str = ",") -> ir.Table:
        """Open a file with the engine's own reader (no rows pass through Python).

        CSV columns are all text (canonicalisation parses them); Parquet and JSON keep the
        types the reader gives them.
        """
        raise NotImplementedError

    def read_table(self, source: SourceTable) -> ir.Table:
        """A warehouse table, read in place by the engine of its source (a DuckDB database
        file, the Spark session's catalog, a PostgreSQL database)."""
        kind, location = source_kind(source.source)
        if kind != self.name:
            other = Engine._registry[kind]
            raise InputError(
                f"a {other.source_label} table is read with --engine {kind}, not {self.name}",
                source=source.source,
                hint="read both tables from one source"
                if other.computes_in_server or self.computes_in_server
                else f"pass --engine {kind}",
            )
        *schema, name = source.name.split(".")
        return self._read_table(source, location, name, schema[0] if schema else None)

    def _read_table(
        self, source: SourceTable, location: str, name: str, schema: str | None
    ) -> ir.Table:
        raise NotImplementedError

    def from_arrow(self, table: pa.Table) -> ir.Table:
        """In-memory data (already in Python) as a raw engine table."""
        if any(_untyped(f.type) for f in table.schema):  # engines want real types
            table = table.cast(pa.schema([f.with_type(_typed(f.type)) for f in table.schema]))
        return self._from_arrow(table)

    def _from_arrow(self, table: pa.Table) -> ir.Table:
        return ibis.memtable(table)  # scanned from Arrow; materialize() makes the one copy

    def small(self, columns: dict[str, list[Any]], schema: dict[str, str]) -> ir.Table:
        """A few values from Python (ids to look up, pairs to join) as a table to join with
        the engine's big ones (from Arrow: a dict would go through pandas)."""
        return ibis.memtable(pa.table(columns, schema=ibis.schema(schema).to_pyarrow()))

    # --- keeping ------------------------------------------------------------------------
    def row_column(self, raw: ir.Table) -> str | None:
        """The reader's 0-based input row number column, if it gives one (DuckDB Parquet)."""
        return "file_row_number" if "file_row_number" in raw.columns else None

    def in_place(self, columns: Sequence[str], rows: int | None) -> bool:
        """Whether a canonical table of ``rows`` rows (None: unknown) with these columns
        stays a view over its input (``keeps_in_place_above``)."""
        limit = self.keeps_in_place_above
        return ROW_COLUMN in columns and limit is not None and (rows is None or rows > limit)

    def keep(self, expr: ir.Table, rows: int | None = None) -> ir.Table:
        """Where the canonical table of ``rows`` input rows lives: a large Parquet file with
        row numbers is scanned in place (each query reads only its columns), behind a view
        so that every later query compiles to a short statement; anything else is computed
        once and kept."""
        if self.in_place(expr.columns, rows):
            name = _name("canonical")
            self.create_view(name, expr)
            return self.con.table(name)
        return self.materialize(expr)

    def named(self, expr: ir.Table) -> ir.Table:
        """``expr`` as a table a compiled plan can name (``plan_name``), where the engine runs
        plans (a view); elsewhere ``expr`` itself."""
        return expr

    def keep_sql(self, sql: str, schema: Any, rows: int | None = None) -> ir.Table:
        """``keep`` of a compiled plan's statement whose result has Ibis's ``schema``."""
        raise NotImplementedError

    def create_view(self, name: str, expr: ir.Table) -> None:
        """A view ``name`` of ``expr`` (read by later queries by that name)."""
        self.con.create_view(name, expr)

    def materialize(self, expr: ir.Table) -> ir.Table:
        """Compute ``expr`` once and keep it; adds ``_row``, the 1-based input row number."""
        raise NotImplementedError

    def cache(self, expr: ir.Table) -> ir.Table:
        """Compute a (small) table once so that several queries can read it."""
        return self.con.create_table(_name("cached"), expr, temp=True)

    def cache_sql(self, sql: str, schema: Any) -> ir.Table:
        """``cache`` of a compiled plan's statement whose result has Ibis's ``schema``."""
        raise NotImplementedError

    def release(self, kept: ir.Table) -> None:
        """Free a table made by ``cache`` once nothing will read it again."""
        self.con.drop_table(kept.get_name(), force=True)

    def out_of_memory(self, exc: BaseException) -> bool:
        """True when ``exc`` says the engine ran out of memory (not that the data is bad)."""
        return False

    # --- the fingerprint's hash ---------------------------------------------------------
    def hash_in_scan(self, t: ir.Table, table: str) -> dict[str, ir.Scalar]:
        """The aggregate to add to a scan of ``t`` (canonical ``table``) that sums its rows'
        fingerprint hashes, when this engine computes the hash in a scan; else nothing."""
        return {}

    def hash_sum(self, t: ir.Table, table: str, scan: Mapping[str, Any]) -> Any:
        """The exact sum of the fingerprint's row hashes of ``t``: from ``scan`` (the result
        of a scan given ``hash_in_scan``) or computed apart."""
        return self.hash_sum_apart(t, batch_sql(table))

    def hash_sum_apart(self, t: ir.Table, batch_sql: str) -> int:
        """DuckDB's row-hash sum of ``t`` (``batch_sql`` over batches of its rows), computed
        outside a scan of this engine."""
        raise NotImplementedError

    # --- results ------------------------------------------------------------------------
    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        """Execute a table expression and return its rows as dicts."""
        return self.arrow(expr).to_pylist()

    def arrow(self, expr: ir.Table) -> pa.Table:
        """Execute a table expression and return its result as an Arrow table. (Not Spark
        4's DataFrame.toArrow: a 1M-row result lost its task results in a local session.)"""
        found = memo_sql(self, expr)  # its compiled text memoised (engines/memo.py)
        if found is not None:
            return self.run_sql(*found)
        return expr.to_pyarrow()

    def plan_name(self, table: ir.Table) -> str | None:
        """``table``'s quoted name in a compiled plan's SQL; None when a plan cannot name it
        (the query then runs from its expression)."""
        return None

    def run_sql(self, sql: str, schema: Any) -> pa.Table:
        """Run a compiled plan's statement; its Arrow result converted to Ibis's ``schema``
        exactly as ``arrow`` converts it."""
        raise NotImplementedError

    def one(self, expr: ir.Table) -> dict[str, Any]:
        """Execute an expression that yields exactly one row."""
        rows = self.rows(expr)
        if len(rows) != 1:
            raise EngineError(f"expected one row, got {len(rows)}")
        return rows[0]


def last_line(exc: BaseException) -> str:
    """The last non-blank line of an exception's message (where Java puts the cause)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


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
