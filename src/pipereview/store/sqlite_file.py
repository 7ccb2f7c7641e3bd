"""A snapshot store in a SQLite file (``--store sqlite:///path/store.sqlite``).

SQLite keeps what a store needs: a transaction that a killed writer leaves out of the file
(its pages in the write-ahead log have no commit record, so no reader uses them), and one
writer at a time (``BEGIN IMMEDIATE``, waiting ``wait`` seconds for another writer, then one
line). The file is in WAL mode, so a dashboard reads while a snapshot is written. Rows are
kept in the portable layout (``portable.py``): exact text for decimals and floats (SQLite
has no exact decimal, and a REAL column turns -0.0 into 0), JSON text for flag lists.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipereview.engines import Engine
from pipereview.errors import StoreError
from pipereview.store.portable import PortableSQL

MAGIC = b"SQLite format 3\x00"


class SQLiteFile(PortableSQL):
    """A SQLite file, through one connection that reads and writes (explicit
    transactions); the history is computed in ``engine`` (DuckDB)."""

    dialect, quote, param, json_text = "sqlite", '"', "?", "json({})"
    driver_error = sqlite3.Error

    def __init__(self, engine: Engine, path: Path, read_only: bool, wait: float) -> None:
        self.engine, self.path, self.read_only, self.wait = engine, path, read_only, wait
        self.name = f"sqlite://{path}"
        self._raw: sqlite3.Connection | None = None

    def open(self) -> None:
        if self.path.is_dir():
            raise StoreError(f"{self.name}: is a directory", hint="name a file for the store")
        if not self.path.parent.is_dir():
            raise StoreError(
                f"{self.name}: no directory {self.path.parent}",
                hint="create the directory first, or name a store in an existing one",
            )
        if self.read_only and not self.path.exists():
            raise StoreError(
                f"no store at {self.name}",
                hint="write a snapshot first: pipereview snapshot --deals F --reps F --as-of D",
            )
        if self.path.is_file() and self.path.stat().st_size:
            with self.path.open("rb") as handle:
                if handle.read(16) != MAGIC:
                    raise StoreError(
                        f"{self.name}: cannot open as a pipereview store: not a SQLite database",
                        hint="a sqlite:// store must name a SQLite file written by pipereview "
                        "(or a new path)",
                    )
        try:
            # A reader opens the file read-write but never creates it: the last connection
            # to close, reader or writer, checkpoints the log and removes the -wal file.
            target = self.path.resolve().as_uri() + ("?mode=rw" if self.read_only else "")
            raw = sqlite3.connect(target, uri=True, timeout=self.wait, isolation_level=None)
            self._raw = raw
            if not self.read_only and raw.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                raw.execute("PRAGMA journal_mode=WAL")  # kept in the file from then on
        except sqlite3.Error as exc:
            self.close()
            raise self._unusable(exc) from None

    def _unusable(self, exc: BaseException) -> StoreError:
        if "locked" in str(exc) or "busy" in str(exc):
            return self._busy()
        return StoreError(
            f"{self.name}: cannot open as a pipereview store: {exc}",
            hint="a sqlite:// store must name a SQLite file written by pipereview (or a new path)",
        )

    def _busy(self) -> StoreError:
        return StoreError(
            f"{self.name}: in use by another process (waited {self.wait:g} s)",
            hint="try again when the other pipereview command has finished",
        )

    def close(self) -> None:
        # Closing the last connection checkpoints and removes the WAL file.
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    @property
    def raw(self) -> sqlite3.Connection:
        assert self._raw is not None, "the store is not open"
        return self._raw

    def tables(self) -> set[str]:
        rows = self.raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows.fetchall()}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        try:
            self.raw.execute("BEGIN IMMEDIATE")  # takes the write lock, waiting up to `wait`
        except sqlite3.OperationalError as exc:
            raise self._unusable(exc) from None
        try:
            yield
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        try:
            self.raw.execute("COMMIT")
        except sqlite3.Error as exc:
            self.raw.execute("ROLLBACK")
            raise self._unusable(exc) from None
