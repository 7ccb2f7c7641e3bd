"""What a ``--source`` or ``--store`` string names, parsed once for every layer.

A source (``--source``) is where warehouse tables are read in place by the engine: a DuckDB
database file (attached read-only to the engine's DuckDB connection), a PostgreSQL database
(the report is then computed in that server) or the Spark session's catalog (``spark``, with
``--engine spark``). Other Ibis URLs (Snowflake, BigQuery, ...) are refused with what to do
instead. A store (``--store``) is a DuckDB file (a path or ``duckdb://``), a SQLite file
(``sqlite://``), a PostgreSQL database or a MySQL/MariaDB database (``mysql://``). Messages
name a server by its URL without the password.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pipereview.errors import InputError, StoreError

DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")
UNSUPPORTED_HINT = (
    "read a DuckDB database file (duckdb:///path/to/file.duckdb), a PostgreSQL database "
    "(postgresql://user@host:port/database) or, with --engine spark, a table of the Spark "
    "catalog (--source spark); or export the tables to Parquet"
)


@dataclass(frozen=True)
class SourceTable:
    """A table the engine reads in place: ``name`` (``table`` or ``schema.table``) in
    ``source`` (a DuckDB database URL or path, a PostgreSQL URL, or ``spark`` for the Spark
    catalog)."""

    source: str
    name: str

    def describe(self) -> str:
        """How errors name it (a URL without its password)."""
        kind = source_kind(self.source)[0]
        where = postgres_describe(self.source) if kind == "postgres" else self.source
        return f"{where} table {self.name}"


def table(name: str, source: str) -> SourceTable:
    """``name`` in ``source``, checked: the source must be one pipereview reads in place."""
    source_kind(source)
    if not name.strip():
        raise InputError("a table name is blank", source=source, hint="name the table")
    return SourceTable(source, name.strip())


def source_kind(source: str) -> tuple[str, str]:
    """("duckdb", database path), ("postgres", URL) or ("spark", "") for a source URL;
    InputError otherwise."""
    text = source.strip()
    scheme, sep, rest = text.partition("://")
    if text in ("spark", "spark:"):
        return "spark", ""
    if is_postgres(text):
        return "postgres", text
    if sep and scheme.lower() == "duckdb":
        return "duckdb", _database(rest, source)  # duckdb:///abs/path or duckdb://relative
    if sep:
        raise InputError(
            f"{scheme}:// sources are not supported yet", source=source, hint=UNSUPPORTED_HINT
        )
    if Path(text).suffix.lower() in DUCKDB_SUFFIXES:
        return "duckdb", _database(text, source)
    raise InputError(
        "is not a source pipereview can read tables from", source=source, hint=UNSUPPORTED_HINT
    )


def _database(path: str, source: str) -> str:
    if not Path(path).is_file():
        raise InputError("database file not found", source=source, hint="check the --source path")
    if not is_duckdb_file(Path(path)):
        raise InputError(
            "is not a DuckDB database file",
            source=source,
            hint="--source duckdb:///path names a database DuckDB wrote; read other files "
            "with --deals and --reps",
        )
    return path


def is_duckdb_file(path: Path) -> bool:
    """True for a file that starts like a DuckDB database (its header's magic bytes). DuckDB
    itself would fail on any other file, or attach a CSV or JSON file as a database held in
    memory."""
    try:
        with path.open("rb") as handle:
            return handle.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


def is_postgres(url: str) -> bool:
    """True for a ``postgres://`` or ``postgresql://`` URL."""
    scheme, sep, _ = url.strip().partition("://")
    return bool(sep) and scheme.lower() in ("postgres", "postgresql")


def postgres_describe(url: str) -> str:
    """A PostgreSQL URL without its password, for messages."""
    parts = urlsplit(url.strip())
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}{host}{port}{parts.path}"


# --- stores ---------------------------------------------------------------------------------
MYSQL_SCHEMES = ("mysql", "mariadb")


def is_sqlite_url(text: str) -> bool:
    """True for a ``sqlite://`` store URL."""
    return text.strip().lower().startswith("sqlite://")


def is_mysql_url(text: str) -> bool:
    """True for a ``mysql://`` (or ``mariadb://``) store URL."""
    scheme, sep, _ = text.strip().partition("://")
    return bool(sep) and scheme.lower() in MYSQL_SCHEMES


def mysql_describe(url: str) -> str:
    """A MySQL URL without its password, for messages."""
    parts = urlsplit(url.strip())
    user = f"{unquote(parts.username)}@" if parts.username else ""
    port = f":{parts.port}" if parts.port else ""
    return f"mysql://{user}{parts.hostname or 'localhost'}{port}{parts.path}"


def store_path(location: str | Path) -> Path:
    """The file a ``--store`` value names: a path, or a ``duckdb://`` or ``sqlite://`` URL
    (``sqlite:///abs/path`` or ``sqlite://relative/path``)."""
    text = str(location)
    if "://" in text:
        scheme, _, rest = text.partition("://")
        if scheme.lower() not in ("duckdb", "sqlite") or not rest:
            raise StoreError(
                f"cannot use {text!r} as a store: a store is a DuckDB file, a SQLite file, a "
                "PostgreSQL database or a MySQL/MariaDB database",
                hint="give a file path such as ./pipereview.duckdb (or duckdb:///abs/path.duckdb, "
                "sqlite:///abs/path.sqlite, postgresql://user@host/db or "
                "mysql://user@host/db)",
            )
        text = rest
    return Path(text)


def store_label(location: object) -> str:
    """How messages name a store: its path, or a server's URL without the password."""
    text = str(location)
    if is_postgres(text):
        return f"{postgres_describe(text)} (schema pipereview)"
    return mysql_describe(text) if is_mysql_url(text) else text


def on_a_server(location: object) -> bool:
    """True for a store in a database server (PostgreSQL, MySQL), not in a file."""
    return is_postgres(str(location)) or is_mysql_url(str(location))
