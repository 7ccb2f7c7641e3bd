"""A checked canonical table: what reading an input gives, and how it is checked.

``Loaded`` is a canonical table in the engine with its source (for errors) and what reading
it found (for the data quality). A table is checked when it is loaded, except one whose rows
the reader numbered (Parquet on DuckDB, kept or scanned in place): that one is checked by
the first scan of it (the report's), through ``check_counts`` and ``verify``. An engine
error about the data becomes the located ``InputError`` (``run_checked``; the error path is
``locate/``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis.expr.types as ir

from pipereview.engines import Engine, count_if
from pipereview.errors import InputError, PipereviewError
from pipereview.inputs import locate
from pipereview.inputs.canonical import BAD
from pipereview.schema import ROW_COLUMN


@dataclass(frozen=True)
class Finding:
    """Something reading an input found that the report's data quality should say (rows a
    mapping left out, figures derived, columns a mapping names but the file lacks)."""

    check: str
    severity: str
    count: int
    message: str
    examples: tuple[str, ...] = ()


@dataclass
class Loaded:
    """A canonical table in the engine: the columns of schema.py, ``_row`` and ``_bad``.

    A table is checked when it is loaded, except one whose rows the reader numbered (Parquet
    on DuckDB, kept or scanned in place), which is checked by whoever scans it first:
    ``check_counts()`` gives the two aggregates to add to that scan, ``verify()`` raises
    on what they found, and ``ensure_checked()`` runs the check alone when no scan is
    due.
    """

    engine: Engine
    obj: Any
    name: str
    table: ir.Table
    source: str
    absent_columns: tuple[str, ...]
    checked: bool = False
    notes: tuple[str, ...] = ()  # how the file was read, when not as plain UTF-8 CSV
    delimiter: str | None = None
    scratch: Any = None  # keeps a UTF-8 copy of the file alive while the table may read it
    # A mapped input names its unusable values itself (reason, row -> the located error).
    locate: Callable[[str, int | None], InputError] | None = None
    findings: tuple[Finding, ...] = ()

    def check_counts(self) -> dict[str, ir.Scalar]:
        """Aggregates over ``table``: its row count and its unusable rows."""
        return check_counts(self.table)

    def verify(self, n: int, bad: int) -> None:
        """Raise the located InputError if any row is unusable (or there are no records)."""
        self.checked = True
        if bad:
            t = self.table
            first_bad = t.filter(t[BAD]).order_by(ROW_COLUMN).limit(1).select(ROW_COLUMN)
            rows = self.engine.rows(first_bad)
            first = rows[0][ROW_COLUMN] if rows else None
            if self.locate is not None:
                raise self.locate("a value pipereview cannot use", first)
            raise locate.unusable(
                self.obj,
                self.name,
                self.source,
                "a value pipereview cannot use",
                first,
                self.delimiter,
            )

    def ensure_checked(self) -> None:
        """Run the check now unless a scan already did."""
        if not self.checked:
            stats = run_checked(
                self, lambda: self.engine.one(self.table.aggregate(**self.check_counts()))
            )
            self.verify(int(stats["_n"]), int(stats["_bad"]))


def run_checked(loaded: Loaded, query: Any) -> Any:
    """Run ``query()``; an engine error about the data becomes the located InputError."""
    try:
        return query()
    except PipereviewError:
        raise
    except loaded.engine.data_errors as exc:
        if loaded.locate is not None and not loaded.engine.out_of_memory(exc):
            raise loaded.locate(locate.first_line(exc), None) from None
        raise locate.failure(
            loaded.engine, exc, loaded.obj, loaded.name, loaded.source, loaded.delimiter
        ) from None


def check_counts(t: ir.Table) -> dict[str, ir.Scalar]:
    """The input check's aggregates over a canonical table: its rows and its unusable rows."""
    return {"_n": t.count(), "_bad": count_if(t, t[BAD])}
