"""A snapshot store in a MySQL or MariaDB database (``--store mysql://user:pw@host/db``).

The database named in the URL holds the store's tables (a database of its own: one with
other tables is refused). The server keeps what a store needs: InnoDB rolls back the
transaction of a writer that dies, and a named lock (``GET_LOCK``, held by the writer's
session and released when it ends, however it ends) keeps a second writer waiting ``wait``
seconds, then out with one line. Readers are not held up: InnoDB shows them the last
committed snapshot. Rows are kept in the portable layout (``portable.py``): MySQL's
``DECIMAL`` stops at 65 digits and 30 places and its ``DOUBLE`` turns -0.0 into 0, so
money and numbers are kept as their exact text; tables are InnoDB in ``utf8mb4`` with a
binary collation, so any text comes back as written. PyMySQL (pure Python) is the driver.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pymysql
import pymysql.cursors

from pipereview.errors import StoreError
from pipereview.history.portable import SLICE, PortableSQL, encode
from pipereview.sources.engine import Engine

SCHEMES = ("mysql", "mariadb")
# The session's mode, whatever the server's default: strict (a value that does not fit is an
# error, never a silent cut) and backslash escapes on, which the literals below rely on.
SQL_MODE = "STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION"
STATEMENT_BYTES = 4 << 20  # one INSERT's size, well under max_allowed_packet (16 MB default)


def is_mysql_url(text: str) -> bool:
    """True for a ``mysql://`` (or ``mariadb://``) store URL."""
    scheme, sep, _ = text.strip().partition("://")
    return bool(sep) and scheme.lower() in SCHEMES


def mysql_describe(url: str) -> str:
    """A MySQL URL without its password, for messages."""
    parts = urlsplit(url.strip())
    user = f"{unquote(parts.username)}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"mysql://{user}{parts.hostname or 'localhost'}{port}{parts.path}"


class MySQLDatabase(PortableSQL):
    """A MySQL or MariaDB database reached through one PyMySQL connection (autocommit,
    explicit transactions); the history is computed in ``engine`` (DuckDB)."""

    dialect, quote, param = "mysql", "`", "%s"
    integer_type, text_type = "BIGINT", "LONGTEXT"
    table_options = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin"
    json_text = "JSON_EXTRACT({}, '$')"
    driver_error = pymysql.err.MySQLError

    def __init__(self, engine: Engine, url: str, read_only: bool, wait: float) -> None:
        self.engine, self.url, self.read_only, self.wait = engine, url.strip(), read_only, wait
        self.name = mysql_describe(url)
        parts = urlsplit(self.url)
        self.database = unquote(parts.path.lstrip("/"))
        if not self.database or "/" in self.database:
            raise StoreError(
                f"{self.name}: names no database",
                hint="name the store's database: mysql://user:password@host:3306/pipereview",
            )
        self._parts = parts
        self._raw: Any = None

    def open(self) -> None:
        parts = self._parts
        try:
            self._raw = pymysql.connect(
                host=parts.hostname or "localhost",
                port=parts.port or 3306,
                user=unquote(parts.username) if parts.username else getpass.getuser(),
                password=unquote(parts.password or ""),
                database=self.database,
                charset="utf8mb4",
                sql_mode=SQL_MODE,
                autocommit=True,
                connect_timeout=max(1, int(self.wait)),
            )
        except pymysql.err.MySQLError as exc:
            raise StoreError(
                f"{self.name}: cannot connect: {_message(exc)}",
                hint="check the host, port, user, password and that the database exists "
                "(CREATE DATABASE pipereview)",
            ) from None
        if self.read_only and "pipereview_meta" not in self.tables():
            self.close()
            raise StoreError(
                f"no store in {self.name}",
                hint="write a snapshot first: pipereview snapshot ... --store URL",
            )

    def close(self) -> None:
        if self._raw is not None:
            with suppress(Exception):  # a connection the server already dropped
                self._raw.close()
            self._raw = None

    @property
    def raw(self) -> Any:
        assert self._raw is not None, "the store is not open"
        return self._raw

    def _new_cursor(self) -> Any:
        return self.raw.cursor(pymysql.cursors.SSCursor)  # rows streamed, not all held

    def _reason(self, exc: BaseException) -> str:
        return _message(exc)

    def tables(self) -> set[str]:
        with self._cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                [self.database],
            )
            return {name for (name,) in cursor.fetchall()}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """The writers' lock, then one InnoDB transaction. DDL (the store's first tables)
        commits on its own in MySQL; ``Store`` creates them so that a writer killed midway
        leaves a store the next writer completes."""
        lock = f"pipereview:{self.database}"[:64]
        with self._cursor() as cursor:
            cursor.execute("SELECT GET_LOCK(%s, %s)", [lock, self.wait])
            (got,) = cursor.fetchone()
        if got != 1:
            raise StoreError(
                f"{self.name}: in use by another process (waited {self.wait:g} s)",
                hint="try again when the other pipereview command has finished",
            )
        try:
            self._run("START TRANSACTION")
            try:
                yield
            except BaseException:
                with suppress(StoreError):  # a session gone was rolled back by the server
                    self._run("ROLLBACK")
                raise
            self._run("COMMIT")
        finally:
            with suppress(StoreError):  # a session gone took its lock with it
                self._run("DO RELEASE_LOCK(%s)", [lock])

    def insert_batches(self, table: str, batches: Any) -> None:
        """Append a stream of Arrow record batches (columns in the table's order) as
        multi-row ``INSERT`` statements whose literals Arrow writes a column at a time.
        PyMySQL's ``executemany`` escapes each value in Python, which made escaping most of
        a snapshot's write."""
        names = ", ".join(self._q(name) for name in batches.schema.names)
        head = f"INSERT INTO {self._q(table)} ({names}) VALUES "
        with self._cursor() as cursor:
            for batch in batches:
                for start in range(0, batch.num_rows, SLICE):
                    rows = _row_literals(batch.slice(start, SLICE))
                    sizes = np.cumsum(pc.binary_length(rows).to_numpy(zero_copy_only=False) + 1)
                    cut = 0
                    while cut < len(rows):
                        base = sizes[cut - 1] if cut else 0
                        end = max(cut + 1, int(np.searchsorted(sizes, base + STATEMENT_BYTES)))
                        cursor.execute(head + ",".join(rows[cut:end].to_pylist()))
                        cut = end

    def _run(self, sql: str, params: list[Any] | None = None) -> None:
        with self._cursor() as cursor:
            cursor.execute(sql, params)


def _row_literals(batch: pa.RecordBatch) -> pa.Array:
    """Each row as the text of a MySQL row value, ``('D1',12,NULL)``: the portable text of
    each value (``encode``) quoted, with backslash, quote and NUL escaped (complete for
    utf8mb4 under ``SQL_MODE``); integers bare; nulls ``NULL``."""
    literals = []
    for column in batch.columns:
        if pa.types.is_integer(column.type):
            literals.append(pc.fill_null(pc.cast(column, pa.string()), "NULL"))
            continue
        text = encode(column)
        for raw, escaped in (("\\", "\\\\"), ("'", "\\'"), ("\x00", "\\0")):
            text = pc.replace_substring(text, raw, escaped)
        quoted = pc.binary_join_element_wise("'", text, "'", "")
        literals.append(pc.fill_null(quoted, "NULL"))
    return pc.binary_join_element_wise("(", pc.binary_join_element_wise(*literals, ","), ")", "")


def _message(exc: BaseException) -> str:
    """PyMySQL's message without its error code: ``(2003, "Can't connect...")``."""
    args: tuple[Any, ...] = exc.args
    return str(args[1]) if len(args) > 1 else str(exc)
