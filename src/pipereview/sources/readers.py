"""Readers in Python: in-memory data into Arrow, and files into Arrow on the error path.

Files are read by the engine (``engine.py``); this module checks that a file exists and what
kind it is, turns in-memory data (list of dicts, pandas, polars, pyarrow) into an Arrow table
for the engine, and re-reads a file in Arrow only when the engine found a bad value, so that
``locate.py`` can name the row. Any failure is an ``InputError`` naming the source.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipereview.errors import InputError
from pipereview.sources.canonical import CSV_NULLS

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
    return _read_memory(obj, table)


def read_source(
    obj: Any, table: str, delimiter: str | None = None, source: str | None = None
) -> RawTable:
    """Read a path or an in-memory object holding the ``table`` ("deals" or "reps") records.
    ``delimiter``: the CSV separator the sniffer found (default by suffix); ``source``: the
    name errors give the file (the user's path when ``obj`` is a UTF-8 copy of it)."""
    if isinstance(obj, str | Path):
        return _read_file(Path(obj), table, delimiter, source)
    memory = _read_memory(obj, table)
    return RawTable(memory.data, source or memory.source)


def _records(reader: Any) -> Iterator[tuple[int, int, list[str]]]:
    """(data row, line it starts on, fields) for every record after the header; lines count
    from 1 at the header, and a quoted value may span lines, so records are not newlines."""
    start = reader.line_num + 1
    for row_number, row in enumerate(reader, start=1):
        yield row_number, start, row
        start = reader.line_num + 1


def csv_line(path: Path, row: int, delimiter: str) -> int | None:
    """The line on which data row ``row`` (1-based) starts, header = line 1."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            if next(reader, None) is None:
                return None
            return next((line for number, line, _ in _records(reader) if number == row), None)
    except (UnicodeDecodeError, csv.Error):
        return None


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
    return RawTable(pa.Table.from_batches([batch]), f"{source} (sheet {chosen!r})")


def _read_file(path: Path, table: str, delimiter: str | None, source: str | None) -> RawTable:
    source = source or str(path)
    kind = file_kind(path, table)
    if kind in ("csv", "tsv"):
        data = _read_csv(path, table, delimiter or ("\t" if kind == "tsv" else ","), source)
    elif kind == "parquet":
        try:
            data = pq.read_table(path)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"not a readable Parquet file ({exc})", source=source) from None
    else:
        data = _records_to_arrow(_read_json_records(path, source), source)
    return RawTable(data, source)


def _read_csv(path: Path, table: str, delimiter: str, source: str) -> pa.Table:
    # Every column stays text, as the engine reads it (no "007" -> 7); locate.py parses
    # them by kind so errors can name the row.
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        header = next(csv.reader(handle, delimiter=delimiter), [])
    text_columns = {name: pa.string() for name in header}
    try:
        return pa_csv.read_csv(
            path,
            parse_options=pa_csv.ParseOptions(delimiter=delimiter),
            convert_options=pa_csv.ConvertOptions(
                column_types=text_columns,
                strings_can_be_null=True,
                null_values=list(CSV_NULLS),
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise csv_structure_error(path, delimiter, source) or InputError(
            f"is not valid CSV ({exc})", source=source
        ) from None


def csv_structure_error(path: Path, delimiter: str, source: str) -> InputError | None:
    """The first structural problem of a CSV (a record with the wrong number of fields, a
    quote that is never closed, undecodable text), named by its line; None if there is none.
    Runs only on the error path."""
    line = 1  # where the record being read starts
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            header = next(reader, None)
            if header is None:
                return InputError("file is empty", source=source)
            line = reader.line_num + 1
            records = _records(reader)
            for row_number, line, row in records:
                if row and len(row) != len(header):
                    rest = [r for _, _, r in records]
                    footer = len(header) > 1 and all(len(r) <= 1 for r in [row, *rest])
                    hint = (
                        f"the file ends with {len(rest) + 1} lines that are not records (a "
                        f"report footer such as 'Generated By: ...'): delete them from line "
                        f"{line}, or export the report without them"
                        if footer
                        else "check for a separator inside an unquoted value, or a quote "
                        "that is never closed"
                    )
                    return InputError(
                        f"has {len(row)} fields, the header has {len(header)}",
                        source=source,
                        row=row_number,
                        line=line,
                        hint=hint,
                    )
                line = reader.line_num + 1
    except UnicodeDecodeError as err:
        return InputError(
            f"is not UTF-8 text (byte {err.start})",
            source=source,
            hint="re-export the file as UTF-8 CSV",
        )
    except csv.Error as err:
        if "unexpected end of data" in str(err):
            return InputError(
                "has a quote that is never closed",
                source=source,
                line=line,
                hint='close the quoted value, or write a quote inside one as ""',
            )
        return InputError(
            f"has a badly quoted value ({err})",
            source=source,
            line=line,
            hint='check for a quote that is never closed; write a quote inside a value as ""',
        )
    return None


def _read_json_records(path: Path, source: str) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    stripped = text.lstrip()
    if not stripped:
        raise InputError("file is empty", source=source)
    if stripped.startswith("["):
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON at line {exc.lineno} ({exc.msg})", source=source
            ) from None
        for index, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                raise InputError("is not a JSON object", source=source, row=index)
        return records
    records = []
    for row, line in enumerate((ln for ln in text.splitlines() if ln.strip()), start=1):
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"not valid JSON ({exc.msg})",
                source=source,
                row=row,
                hint="JSON lines files hold one object per line",
            ) from None
        if not isinstance(record, dict):
            raise InputError("is not a JSON object", source=source, row=row)
        records.append(record)
    return records


def _read_memory(obj: Any, table: str) -> RawTable:
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
            return RawTable(_records_to_arrow(obj.to_dict("records"), source), source)
    if module == "polars" and hasattr(obj, "to_arrow"):
        return RawTable(obj.to_arrow(), source)
    if isinstance(obj, Sequence) and not isinstance(obj, str | bytes):
        source = f"{table} (list of dicts)"
        for index, record in enumerate(obj, start=1):
            if not isinstance(record, Mapping):
                raise InputError(
                    f"is a {type(record).__name__}, not a mapping", source=source, row=index
                )
        return RawTable(_records_to_arrow(list(obj), source), source)
    raise InputError(
        f"cannot read {type(obj).__name__} as {table}",
        hint="pass a file path, a list of dicts, a pandas or polars DataFrame or a pyarrow Table",
    )


def _records_to_arrow(records: Sequence[Mapping[str, Any]], source: str) -> pa.Table:
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
