"""Where a snapshot store lives: a DuckDB file (attached to a DuckDB engine), a schema of a
PostgreSQL database (reached through that server), or, in the portable layout read into an
in-process DuckDB (``portable.py``), a SQLite file or a MySQL/MariaDB database. The store's
logic (``snapshots.py``) is the same for all; these classes (each a ``protocol.Backend``)
hold what differs: opening and closing, the lock that keeps a second writer out, the
transaction, how a store table is named, read and created, and how rows computed in another
engine are appended.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from pipereview.engines import Engine, engine_for_store
from pipereview.errors import StoreError
from pipereview.locations import (
    is_duckdb_file,
    is_mysql_url,
    is_postgres,
    is_sqlite_url,
    store_label,
    store_path,
)
from pipereview.store.protocol import Backend
from pipereview.store.sqlite_file import SQLiteFile

SCHEMA = "pipereview"  # the PostgreSQL schema that holds a store
_aliases = itertools.count()
_LOCK = 0x70697065  # pg_advisory_xact_lock key of a PostgreSQL store's writers ("pipe")


def backend_for(engine: Engine, location: str | Path, read_only: bool, wait: float) -> Backend:
    """The store at ``location``. It is reached through ``engine`` when it lives there (a
    DuckDB file with the duckdb engine, the engine's own PostgreSQL database); else it gets
    its own engine, and the store copies rows between the two (``Store.foreign``)."""
    text = str(location)
    own = engine_for_store(engine, text)
    if is_postgres(text):
        return PostgresSchema(own, text, read_only, wait)
    if is_sqlite_url(text):  # computed in DuckDB: the compute engine's, or one of its own
        return SQLiteFile(own, store_path(text), read_only, wait)
    if is_mysql_url(text):  # imported only now: its driver is an optional extra
        from pipereview.store.mysql_db import MySQLDatabase

        return MySQLDatabase(own, text, read_only, wait)
    return DuckDBFile(own, store_path(text), read_only, wait)


class InEngine:
    """What a store reached through its engine's own connection does the same way on every
    such engine: its tables are the engine's tables (``database`` names where)."""

    engine: Engine
    database: Any
    copies = False  # rows are copied in only when computed in another engine

    def table(self, name: str, schema: ibis.Schema) -> ir.Table:
        return self.engine.con.table(name, database=self.database)

    def rows(self, expr: ir.Table, schema: ibis.Schema) -> list[dict[str, Any]]:
        return self.engine.rows(expr)

    def bring(self, expr: ir.Table, schema: ibis.Schema) -> ir.Table:
        return expr  # already a table of the engine

    def create_table(self, name: str, schema: ibis.Schema) -> None:
        self.engine.con.create_table(name, schema=schema, database=self.database)

    def append(self, name: str, data: pa.Table) -> None:
        self.engine.con.insert(name, ibis.memtable(data), database=self.database)


class DuckDBFile(InEngine):
    """A DuckDB file, attached to the engine's connection; DuckDB's file lock keeps a second
    process out (it waits ``wait`` seconds)."""

    def __init__(self, engine: Engine, path: Path, read_only: bool, wait: float) -> None:
        self.engine, self.path, self.read_only, self.wait = engine, path, read_only, wait
        self.name = str(path)
        self.alias = f"pipereview_store_{os.getpid()}_{next(_aliases)}"
        self._attached = False

    def open(self) -> None:
        if self.read_only and not self.path.exists():
            raise StoreError(
                f"no store at {self.path}",
                hint="write a snapshot first: pipereview snapshot --deals F --reps F --as-of D",
            )
        if not _duckdb_file_or_new(self.path):
            raise StoreError(
                f"{self.path}: cannot open as a pipereview store: not a DuckDB database file",
                hint="--store must name a DuckDB file written by pipereview (or a new path)",
            )
        import duckdb

        deadline = time.monotonic() + self.wait
        while True:
            try:
                self.engine.con.attach(str(self.path), name=self.alias, read_only=self.read_only)
                self._attached = True
                return
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower():
                    raise self._unusable(exc) from None
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"{self.path}: in use by another process (waited {self.wait:g} s)",
                        hint="try again when the other pipereview command has finished",
                    ) from None
                time.sleep(0.1)
            except duckdb.Error as exc:
                raise self._unusable(exc) from None

    def _unusable(self, exc: BaseException) -> StoreError:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return StoreError(
            f"{self.path}: cannot open as a pipereview store: {first}",
            hint="--store must name a DuckDB file written by pipereview (or a new path)",
        )

    def close(self) -> None:
        if self._attached:
            self._attached = False
            self.engine.con.detach(self.alias)

    @property
    def database(self) -> tuple[str, str]:
        return (self.alias, "main")

    def qualified(self, table: str) -> str:
        return f'"{self.alias}".main."{table}"'

    def tables(self) -> set[str]:
        rows = self.engine.con.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = ?", [self.alias]
        ).fetchall()
        return {name for (name,) in rows}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        raw = self.engine.con.con
        raw.begin()
        try:
            yield
        except BaseException:
            raw.rollback()
            raise
        raw.commit()

    def execute(self, sql: str, params: list[Any]) -> None:
        self.engine.con.con.execute(sql, params)

    def insert_batches(self, table: str, batches: Any) -> None:
        """Append a stream of Arrow record batches (columns in the table's order)."""
        raw, name = self.engine.con.con, f"pipereview_incoming_{next(_aliases)}"
        raw.register(name, batches)
        try:
            raw.execute(f'INSERT INTO {self.qualified(table)} SELECT * FROM "{name}"')
        finally:
            raw.unregister(name)


class PostgresSchema(InEngine):
    """The ``pipereview`` schema of a PostgreSQL database. The server keeps uncommitted work
    out of sight and rolls it back when a writer dies; writers take a transaction-scoped
    advisory lock, so a second one waits (``wait`` seconds, then one line)."""

    def __init__(self, engine: Engine, url: str, read_only: bool, wait: float) -> None:
        self.engine, self.read_only, self.wait = engine, read_only, wait
        self.name = store_label(url)

    def open(self) -> None:
        if self.read_only and "pipereview_meta" not in self.tables():
            raise StoreError(
                f"no store in {self.name}",
                hint="write a snapshot first: pipereview snapshot --source URL ... --store URL",
            )

    def close(self) -> None:
        return None

    @property
    def database(self) -> str:
        return SCHEMA

    def qualified(self, table: str) -> str:
        return f'"{SCHEMA}"."{table}"'

    def tables(self) -> set[str]:
        with self.engine.con.con.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                [SCHEMA],
            )
            return {name for (name,) in cursor.fetchall()}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        import psycopg

        raw = self.engine.con.con
        # The schema first, on its own: an advisory lock does not refresh the session's
        # catalog cache, so two writers' CREATE SCHEMA IF NOT EXISTS under the lock can still
        # collide on pg_namespace; the loser finds the schema there.
        try:
            with raw.cursor() as cursor:
                cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{SCHEMA}"')
        except psycopg.errors.UniqueViolation:
            pass
        with raw.transaction():
            try:
                with raw.cursor() as cursor:
                    cursor.execute(f"SET LOCAL lock_timeout = '{int(self.wait * 1000)}ms'")
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
                    cursor.execute("SET LOCAL lock_timeout = 0")
            except psycopg.errors.LockNotAvailable:
                raise StoreError(
                    f"{self.name}: in use by another process (waited {self.wait:g} s)",
                    hint="try again when the other pipereview command has finished",
                ) from None
            yield

    def execute(self, sql: str, params: list[Any]) -> None:
        with self.engine.con.con.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), params)

    def insert_batches(self, table: str, batches: Any) -> None:
        """Append a stream of Arrow record batches (columns in the table's order), through
        ``COPY ... FROM STDIN`` in the open transaction."""
        columns = ", ".join(f'"{name}"' for name in batches.schema.names)
        with (
            self.engine.con.con.cursor() as cursor,
            cursor.copy(f"COPY {self.qualified(table)} ({columns}) FROM STDIN") as copy,
        ):
            for batch in batches:
                for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                    copy.write_row(row)


def _duckdb_file_or_new(path: Path) -> bool:
    """True for a path DuckDB may attach as a database file: absent, empty, a directory (its
    own error follows) or a file with DuckDB's magic bytes. DuckDB attaches an existing CSV
    or JSON file as a database held in memory, where a snapshot would vanish on exit."""
    if not path.is_file() or path.stat().st_size == 0:
        return True
    return is_duckdb_file(path)
