"""Inputs into the engine: open with the engine's reader, canonicalise, keep, check.

A file is opened by the engine (DuckDB ``read_csv``/``read_parquet``/``read_json``, Spark's
``spark.read``); in-memory data goes in as an engine table. The canonical expression is
computed once and kept (a DuckDB temp table, which spills to disk under a memory limit, or a
persisted Spark DataFrame), and one aggregate counts the rows and the unusable values. Only
when something is wrong does Python look at rows: ``locate.py`` re-reads the source to name
the file, row, column and value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa

from pipereview.errors import EngineError, InputError, PipereviewError
from pipereview.schema import ROW_COLUMN, TABLES
from pipereview.sources import locate
from pipereview.sources.canonical import BAD, canonical
from pipereview.sources.engine import Engine, count_if
from pipereview.sources.readers import file_kind, read_memory, read_source


@dataclass
class Loaded:
    """A canonical table in the engine: the columns of schema.py, ``_row`` and ``_bad``.

    A kept (materialised) table is checked when it is loaded. A table scanned in place
    (Parquet on DuckDB) is checked by whoever scans it first: ``check_counts()`` gives the
    two aggregates to add to that scan, ``verify()`` raises on what they found, and
    ``ensure_checked()`` runs the check alone when no scan is due.
    """

    engine: Engine
    obj: Any
    name: str
    table: ir.Table
    source: str
    absent_columns: tuple[str, ...]
    checked: bool = False

    def check_counts(self) -> dict[str, ir.Scalar]:
        """Aggregates over ``table``: its row count and its unusable rows."""
        t = self.table
        return {"_n": t.count(), "_bad": count_if(t, t[BAD])}

    def verify(self, n: int, bad: int) -> None:
        """Raise the located InputError if any row is unusable (or there are no records)."""
        self.checked = True
        if bad or (n == 0 and self.obj is not None):
            first = None
            if bad:
                t = self.table
                first_bad = t.filter(t[BAD]).order_by(ROW_COLUMN).limit(1).select(ROW_COLUMN)
                rows = self.engine.rows(first_bad)
                first = rows[0][ROW_COLUMN] if rows else None
            raise _locate(self.obj, self.name, self.source, "a value pipereview cannot use", first)

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
        raise _failure(loaded.engine, exc, loaded.obj, loaded.name, loaded.source) from None


def _failure(engine: Engine, exc: BaseException, obj: Any, table: str, source: str) -> Exception:
    """What an engine error means: out of memory, or data it cannot read (located)."""
    if engine.out_of_memory(exc):
        return EngineError(
            f"the engine ran out of memory: {_first_line(exc)}",
            hint="raise --memory-limit (or leave it unset)",
        )
    return _locate(obj, table, source, _first_line(exc))


def load(engine: Engine, obj: Any, table: str) -> Loaded:
    """Read ``obj`` (a path, in-memory data, or None for no records) as canonical ``table``."""
    kind = "memory"
    if obj is None:
        source = "(none)"
        empty = pa.table({c.name: pa.nulls(0) for c in TABLES[table]})
        raw = engine.from_arrow(empty)
    elif isinstance(obj, str | Path):
        path = Path(obj)
        source = str(path)
        kind = file_kind(path, table)
        delimiter = "\t" if kind == "tsv" else ","
        try:
            raw = engine.read_file(path, "csv" if kind == "tsv" else kind, delimiter)
        except PipereviewError:
            raise
        except engine.data_errors as exc:  # the engine's reader refused the file
            raise _failure(engine, exc, obj, table, source) from None
    else:
        memory = read_memory(obj, table)
        source = memory.source
        if memory.data.num_rows == 0:
            raise _locate(obj, table, source, "no records")
        raw = engine.from_arrow(memory.data)
    row_column = engine.row_column(raw)
    parsed = canonical(raw, table, csv_text=kind in ("csv", "tsv"), row_column=row_column)
    if parsed.missing_required:
        raise _locate(obj, table, source, f"required column {parsed.missing_required[0]!r}")
    loaded = Loaded(engine, obj, table, parsed.table, source, parsed.absent)
    loaded.table = run_checked(loaded, lambda: engine.keep(parsed.table))
    if row_column is None:  # kept: checking it costs a scan of one boolean column
        loaded.ensure_checked()
    return loaded


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _locate(obj: Any, table: str, source: str, reason: str, row: int | None = None) -> InputError:
    """The exact error from re-reading the source in Arrow, or a general one naming the row."""
    try:
        locate.canonicalize(read_source(obj, table), table)
    except InputError as err:
        return err
    return InputError(
        f"cannot be used: {reason}",
        source=source,
        row=row,
        hint="check the value's type and range (money above 10^14 does not fit)",
    )
