"""Reading one input into a checked canonical table (``Loaded``): the entry of ``inputs/``.

A file is opened by the engine (DuckDB ``read_csv``/``read_parquet``/``read_json``, Spark's
``spark.read``) after ``sniff.py`` has looked at its head; a warehouse table is read in
place (``engine.read_table``); in-memory data and Excel workbooks (``files.py``) go in as an
engine table. A mapping's ``MappingPlan`` (``plan.py``) may stand between the raw table and
the canonical one; without one, ``canonical.py`` parses the columns by name. The canonical
expression is computed once and kept (a DuckDB temp table, which spills to disk under a
memory limit, or a persisted Spark DataFrame), except a Parquet file of more rows than the
engine's ``keeps_in_place_above``, which stays a view over the file; one aggregate counts
the rows and the unusable values. Only when something is wrong does Python look at rows:
``locate/`` reads the source again to name the file, row, column and value.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from pipereview.engines import Engine
from pipereview.engines.plan import Built, Runner
from pipereview.errors import InputError, PipereviewError
from pipereview.inputs import locate, sniff
from pipereview.inputs.canonical import canonical
from pipereview.inputs.files import EXCEL_SUFFIXES, file_kind, read_excel, read_memory
from pipereview.inputs.loaded import Loaded, run_checked
from pipereview.inputs.plan import MappingPlan
from pipereview.locations import SourceTable
from pipereview.names import column_key
from pipereview.schema import TABLES


def load(
    engine: Engine, obj: Any, table: str, plan: MappingPlan | None = None, sheet: str | None = None
) -> Loaded:
    """Read ``obj`` (a path, in-memory data, or None for no records) as canonical ``table``,
    through the mapping ``plan`` when one is given. ``sheet``: a workbook's sheet to read
    (default: the first)."""
    if isinstance(obj, str | Path):
        path, sheet = _sheet_in_path(Path(obj), sheet)
        kind = file_kind(path, table)
        if kind == "excel":  # read in Python (fastexcel), then as in-memory data
            workbook = read_excel(path, sheet)
            return _load_memory(engine, workbook.data, workbook.source, table, plan)
        if kind == "parquet":
            return _load_file(engine, path, table, kind, None, plan)
        text = sniff.open_text(path, kind)
        try:
            return _load_file(engine, path, table, kind, text, plan)
        except InputError:
            # The engine refused the file: if it is not UTF-8 further down than the head the
            # sniffer read, read a UTF-8 copy instead; else the located error stands.
            whole = sniff.open_text(path, kind, whole=True)
            if whole.path == path:
                raise
            return _load_file(engine, path, table, kind, whole, plan)
    if isinstance(obj, SourceTable):  # read in place; always through a plan (engine errors)
        if plan is None:
            raise InputError("a warehouse table is read through a mapping", source=obj.source)
        raw = engine.read_table(obj)
        return plan.build(engine, raw, obj, table, obj.describe(), "table", (), None)
    if obj is None:
        source = "(none)"
        empty = pa.table({c.name: pa.nulls(0) for c in TABLES[table]})
        return _canonical(engine, engine.from_arrow(empty), obj, table, source, "memory", ())
    memory = read_memory(obj, table)
    return _load_memory(engine, memory.data, memory.source, table, plan)


def _sheet_in_path(path: Path, sheet: str | None) -> tuple[Path, str | None]:
    """``book.xlsx#Reps`` names a workbook and its sheet (when no such file exists)."""
    name, sep, picked = path.name.rpartition("#")
    if sep and not path.exists() and Path(name).suffix.lower() in EXCEL_SUFFIXES and picked:
        return path.with_name(name), picked
    return path, sheet


def _load_memory(
    engine: Engine, data: pa.Table, source: str, table: str, plan: MappingPlan | None
) -> Loaded:
    """Arrow data (from Python, or a workbook) as canonical ``table``."""
    if data.num_rows == 0 and not data.column_names:
        raise locate.unusable(data, table, source, "no records")  # zero rows with columns: empty
    sniff.check_header(data.column_names, source)
    raw = engine.from_arrow(data)
    if plan is not None:
        return plan.build(engine, raw, data, table, source, "memory", (), None)
    return _canonical(engine, raw, data, table, source, "memory", ())


def _load_file(
    engine: Engine,
    path: Path,
    table: str,
    kind: str,
    text: sniff.TextFile | None,
    plan: MappingPlan | None = None,
) -> Loaded:
    source = str(path)
    rows = None  # known for Parquet: its footer says how many
    if kind == "parquet":
        try:
            footer = pq.read_metadata(path)
            sniff.check_header(footer.schema.to_arrow_schema().names, source)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"not a readable Parquet file ({exc})", source=source) from None
        rows = footer.num_rows
    read_path = text.path if text is not None else path
    delimiter = text.delimiter if text is not None else ","
    notes = tuple(text.notes) if text is not None else ()
    try:
        raw = engine.read_file(read_path, "csv" if kind == "tsv" else kind, delimiter)
    except PipereviewError:
        raise
    except engine.data_errors as exc:  # the engine's reader refused the file
        raise locate.failure(engine, exc, read_path, table, source, delimiter) from None
    except RecursionError:  # a type thousands of levels deep (JSON arrays in arrays)
        raise InputError(
            "is nested too deeply to read",
            source=source,
            hint="each record is a flat object of column: value",
        ) from None
    if kind == "json":  # two keys that mean one column, as CSV, Parquet and Excel refuse
        sniff.check_header(_source_columns(engine, raw), source)
    if text is not None and text.header and kind != "json":
        names = _source_columns(engine, raw)
        if [column_key(c) for c in names] != [column_key(h) for h in text.header]:
            # the engine's CSV sniffer read another header than the first line: a ragged row
            # (located by the re-read), or a header with a column without a name
            raise (
                locate.unusable(
                    read_path, table, source, "the header was not read", None, delimiter
                )
                if all(h.strip() for h in text.header)
                else locate.unnamed(text.header, source)
            )
    if plan is not None:
        loaded = plan.build(engine, raw, read_path, table, source, kind, notes, delimiter)
    else:
        loaded = _canonical(engine, raw, read_path, table, source, kind, notes, delimiter, rows)
    loaded.scratch = text
    return loaded


def _canonical(
    engine: Engine,
    raw: ir.Table,
    obj: Any,
    table: str,
    source: str,
    kind: str,
    notes: tuple[str, ...],
    delimiter: str | None = None,
    rows: int | None = None,
) -> Loaded:
    row_column = engine.row_column(raw)
    csv_text = kind in ("csv", "tsv")

    def build(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        parsed = canonical(t["raw"], table, csv_text=csv_text, row_column=row_column)
        return parsed.table, [list(parsed.absent), list(parsed.missing_required)]

    # a named query: its statement is compiled once per raw schema (engines/plan.py)
    run = Runner(engine, "inputs", {"raw": raw}, {})
    found = run.statement(f"inputs.canonical:{table}:{csv_text}:{row_column}", build)
    if found is None or found[2][1]:  # runs from its expression (a missing column: the error)
        expr, (absent, missing) = build({"raw": raw}, {})
    else:
        expr, (absent, missing) = None, found[2]
    if missing:
        columns = _source_columns(engine, raw)
        raise locate.missing(obj, kind, columns, tuple(missing), table, source)
    loaded = Loaded(
        engine, obj, table, raw, source, tuple(absent), notes=notes, delimiter=delimiter
    )  # ``table`` is the kept canonical table once it is made, below
    if expr is not None:
        loaded.table = run_checked(loaded, lambda: engine.keep(expr, rows))
    elif found is not None:
        loaded.table = run_checked(loaded, lambda: engine.keep_sql(*found[:2], rows))
    if row_column is None:  # else the report's first scan checks it (``Loaded.verify``)
        loaded.ensure_checked()
    return loaded


def _source_columns(engine: Engine, raw: ir.Table) -> list[str]:
    """The raw table's columns as the source names them (without the reader's row number)."""
    row_column = engine.row_column(raw)
    return [name for name in raw.columns if name != row_column]
