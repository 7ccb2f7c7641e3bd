"""Warehouse tables as inputs, read in place by the engine: a table of a DuckDB database file
(attached read-only to the engine's DuckDB connection), or a table of the Spark session's
catalog (``--engine spark``). No row is downloaded into Python; the metrics run where the
table is. Other Ibis URLs (PostgreSQL, Snowflake, ...) are refused with what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipereview.errors import InputError

DUCKDB_SUFFIXES = (".duckdb", ".ddb", ".db")
UNSUPPORTED_HINT = (
    "read a DuckDB database file (duckdb:///path/to/file.duckdb) or, with --engine spark, a "
    "table of the Spark catalog (--source spark); or export the tables to Parquet"
)


@dataclass(frozen=True)
class SourceTable:
    """A table the engine reads in place: ``name`` (``table`` or ``schema.table``) in
    ``source`` (a DuckDB database URL or path, or ``spark`` for the Spark catalog)."""

    source: str
    name: str

    def describe(self) -> str:
        """How errors name it."""
        return f"{self.source} table {self.name}"


def table(name: str, source: str) -> SourceTable:
    """``name`` in ``source``, checked: the source must be one pipereview reads in place."""
    source_kind(source)
    if not name.strip():
        raise InputError("a table name is blank", source=source, hint="name the table")
    return SourceTable(source, name.strip())


def source_kind(source: str) -> tuple[str, str]:
    """("duckdb", database path) or ("spark", "") for a source URL; InputError otherwise."""
    text = source.strip()
    scheme, sep, rest = text.partition("://")
    if text in ("spark", "spark:"):
        return "spark", ""
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
    return path
