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

from pipereview.errors import InputError, PipereviewError
from pipereview.schema import TABLES
from pipereview.sources import locate
from pipereview.sources.canonical import BAD, canonical
from pipereview.sources.engine import ROW, Engine
from pipereview.sources.readers import file_kind, read_memory, read_source


@dataclass(frozen=True)
class Loaded:
    """A canonical table in the engine (columns of schema.py plus ``_row``)."""

    table: ir.Table
    source: str
    absent_columns: tuple[str, ...]
    rows: int


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
            raise _locate(obj, table, source, _first_line(exc)) from None
    else:
        memory = read_memory(obj, table)
        source = memory.source
        if memory.data.num_rows == 0:
            raise _locate(obj, table, source, "no records")
        raw = engine.from_arrow(memory.data)
    parsed = canonical(raw, table, csv_text=kind in ("csv", "tsv"))
    if parsed.missing_required:
        raise _locate(obj, table, source, f"required column {parsed.missing_required[0]!r}")
    try:
        kept = engine.materialize(parsed.table)
        stats = engine.one(kept.aggregate(n=kept.count(), bad=kept.count(where=kept[BAD])))
    except PipereviewError:
        raise
    except engine.data_errors as exc:  # a CSV the engine cannot parse, a value it cannot convert
        raise _locate(obj, table, source, _first_line(exc)) from None
    if stats["bad"] or (stats["n"] == 0 and obj is not None):
        first = None
        if stats["bad"]:
            rows = engine.rows(kept.filter(kept[BAD]).order_by(ROW).limit(1).select(ROW))
            first = rows[0][ROW] if rows else None
        raise _locate(obj, table, source, "a value pipereview cannot use", row=first)
    return Loaded(kept.drop(BAD), source, parsed.absent, int(stats["n"]))


def _first_line(exc: Exception) -> str:
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
