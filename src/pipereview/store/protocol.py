"""What a store backend is: where a snapshot store's tables live and how they are reached.

``Store`` (``snapshots.py``) holds the store's logic and asks its backend only for what
differs between databases: opening and closing, the lock that keeps a second writer out,
the transaction, how a table is named, read and created, and how rows computed elsewhere are
appended. Every backend (``backends.py``, ``sqlite_file.py``, ``mysql_db.py``) is one class
that has these members.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from pipereview.engines import Engine


class Backend(Protocol):
    """One snapshot store's database."""

    engine: Engine  # where the store's tables are read (and the history computed)
    name: str  # how messages name the store
    copies: bool  # rows always cross as Arrow: the store's tables are not the engine's own

    @property
    def database(self) -> Any:
        """Where the engine finds the store's tables (read when ``copies`` is false)."""

    def open(self) -> None:
        """Open (and for a file, lock) the store; StoreError when it cannot be used."""

    def close(self) -> None:
        """Close the store (releasing what ``open`` took)."""

    def tables(self) -> set[str]:
        """The names of the tables the store has."""

    def transaction(self) -> AbstractContextManager[None]:
        """One transaction, holding the writers' lock (waiting ``wait`` seconds for it)."""

    def qualified(self, table: str) -> str:
        """A store table's name as the store's SQL writes it."""

    def execute(self, sql: str, params: list[Any]) -> None:
        """One statement (``?`` for each parameter)."""

    def table(self, name: str, schema: ibis.Schema) -> ir.Table:
        """A store table as an Ibis expression."""

    def rows(self, expr: ir.Table, schema: ibis.Schema) -> list[dict[str, Any]]:
        """A small query's rows, in the canonical types of ``schema``."""

    def bring(self, expr: ir.Table, schema: ibis.Schema) -> ir.Table:
        """A store query's rows as a table of ``engine``."""

    def create_table(self, name: str, schema: ibis.Schema) -> None:
        """Create an empty store table."""

    def append(self, name: str, data: pa.Table) -> None:
        """Append a few rows from Python."""

    def insert_batches(self, table: str, batches: Any) -> None:
        """Append a stream of Arrow record batches (columns in the table's order)."""
