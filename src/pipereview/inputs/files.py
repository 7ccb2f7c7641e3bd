"""Inputs in Python before the engine reads them: what kind of file a path is, Excel
workbooks and in-memory data (list of dicts, pandas, polars, pyarrow) as Arrow tables.

Files are read by the engine (``engines/``); this module checks that a file exists and what
kind it is, and turns data already in Python (or read by fastexcel) into an Arrow table for
the engine. Any failure is an ``InputError`` naming the source.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from pipereview.errors import InputError

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
JSON_SUFFIXES = {".json", ".jsonl", ".ndjson"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}


@dataclass(frozen=True)
class RawTable:
    """Records as read, before canonicalisation."""

    data: pa.Table
    source: str  # a file path or a description such as "deals (list of dicts)"


def read_memory(obj: Any, table: str) -> RawTable:
    """In-memory data holding the ``table`` records as Arrow."""
    return memory_table(obj, table)


def file_kind(path: Path, table: str) -> str:
    """Check that ``path`` is a readable, non-empty file; return csv, tsv, parquet, json or
    excel."""
    source = str(path)
    if not path.exists():
        flag = table.replace("_", "-")
        raise InputError("file not found", source=source, hint=f"check the --{flag} path")
    if path.is_dir():
        raise InputError("is a directory, not a file", source=source)
    if path.stat().st_size == 0:
        raise InputError(
            "file is empty",
            source=source,
            hint=f"export the {table.replace('_', ' ')} with a header row",
        )
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return "tsv" if suffix == ".tsv" else "csv"
    if suffix in PARQUET_SUFFIXES:
        return "parquet"
    if suffix in JSON_SUFFIXES:
        return "json"
    if suffix in EXCEL_SUFFIXES:
        return "excel"
    raise InputError(
        f"unsupported file type {suffix or '(none)'!r}",
        source=source,
        hint="use .csv, .parquet, .json (array of records), .jsonl (one record per line) or .xlsx",
    )


def read_excel(path: Path, sheet: str | None) -> RawTable:
    """A workbook's sheet (the first, or ``sheet`` by name) as Arrow, header in its first
    row, read by fastexcel (Rust calamine): cell types are kept (numbers, dates, booleans);
    a column of mixed types is read as text."""
    import fastexcel

    source = str(path)
    try:
        workbook = fastexcel.read_excel(path)
    except Exception as exc:  # fastexcel raises its own hierarchy for unreadable files
        raise InputError(f"not a readable workbook ({exc})", source=source) from None
    names = list(workbook.sheet_names)
    if sheet is not None and sheet not in names:
        raise InputError(
            f"has no sheet named {sheet!r}",
            source=source,
            hint=f"sheets: {', '.join(names) or '(none)'}; pass one with --sheet",
        )
    chosen = sheet if sheet is not None else (names[0] if names else None)
    if chosen is None:
        raise InputError("has no sheets", source=source)
    try:
        batch = workbook.load_sheet(chosen, whitespace_as_null=True).to_arrow()
    except Exception as exc:
        raise InputError(f"sheet {chosen!r} cannot be read ({exc})", source=source) from None
    data = pa.Table.from_batches([batch])
    _refuse_time_only(data, f"{source} (sheet {chosen!r})")
    return RawTable(data, f"{source} (sheet {chosen!r})")


def _refuse_time_only(data: pa.Table, source: str) -> None:
    """A cell holding only a time of day reads as a date-time on 1899-12-31 (Excel's day 0);
    no workbook date is before 1900, so such a cell is refused, not read as a close date."""
    for name in data.column_names:
        values = data.column(name)
        if not (pa.types.is_timestamp(values.type) or pa.types.is_date(values.type)):
            continue
        early = pc.fill_null(pc.less(pc.year(values), 1900), False)
        if pc.any(early).as_py():
            index = pc.index(early, True).as_py()
            value = values[index].as_py()
            raise InputError(
                f"a time of day without a date: {value:%H:%M:%S}",
                source=source,
                row=index + 1,
                column=name,
                hint="format the cells as dates (or leave the cell empty when there is no date)",
            )


def memory_table(obj: Any, table: str) -> RawTable:
    source = f"{table} ({type(obj).__module__.split('.')[0]}.{type(obj).__name__})"
    if isinstance(obj, pa.Table):
        return RawTable(obj, source)
    if isinstance(obj, pa.RecordBatch):
        return RawTable(pa.Table.from_batches([obj]), source)
    module = type(obj).__module__.split(".")[0]
    if module == "pandas" and hasattr(obj, "columns"):
        try:
            return RawTable(pa.Table.from_pandas(obj, preserve_index=False), source)
        except (pa.ArrowException, TypeError, ValueError):
            return RawTable(records_to_arrow(obj.to_dict("records"), source), source)
    if module == "polars" and hasattr(obj, "to_arrow"):
        return RawTable(obj.to_arrow(), source)
    if isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        source = f"{table} (list of dicts)"
        for index, record in enumerate(obj, start=1):
            if not isinstance(record, Mapping):
                raise InputError(
                    f"is a {type(record).__name__}, not a mapping", source=source, row=index
                )
        return RawTable(records_to_arrow(list(obj), source), source)
    raise InputError(
        f"cannot read {type(obj).__name__} as {table}",
        hint="pass a file path, a list of dicts, a pandas or polars DataFrame or a pyarrow Table",
    )


def records_to_arrow(records: Sequence[Mapping[str, Any]], source: str) -> pa.Table:
    """Column-wise conversion; a column with mixed types falls back to text for checking."""
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    columns = {}
    for name in names:
        values = [record.get(name) for record in records]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            if all(_is_number(v) for v in values):  # an integer beyond int64: a double,
                columns[name] = pa.array([None if v is None else float(v) for v in values])
                continue  # as DuckDB's JSON reader reads it
            columns[name] = pa.array(
                [
                    None if v is None else v if isinstance(v, str) else json.dumps(v, default=str)
                    for v in values
                ],
                pa.string(),
            )
    if not records:
        return pa.table({})
    return pa.table(columns)


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))
