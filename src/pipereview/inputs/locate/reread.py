"""Re-reading an input in Arrow on the error path, so that an error can name its row.

The engine refused a value or the file's structure; these functions read the file (or the
in-memory data) again in Python, row by row where it matters: every CSV column as text, as
the engine reads it, so that ``values.py`` judges the values by the same rules. They never
run when the input is good.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from pipereview.errors import InputError
from pipereview.inputs.canonical import CSV_NULLS
from pipereview.inputs.files import (
    CSV_SUFFIXES,
    RawTable,
    file_kind,
    memory_table,
    records_to_arrow,
)
from pipereview.schema import MAX_CSV_LINE

csv.field_size_limit(MAX_CSV_LINE)  # as long a field as the engine reads


def read_source(
    obj: Any, table: str, delimiter: str | None = None, source: str | None = None
) -> RawTable:
    """Read a path or an in-memory object holding the ``table`` ("deals" or "reps") records.
    ``delimiter``: the CSV separator the sniffer found (default by suffix); ``source``: the
    name errors give the file (the user's path when ``obj`` is a UTF-8 copy of it)."""
    if isinstance(obj, str | Path):
        return _read_file(Path(obj), table, delimiter, source)
    memory = memory_table(obj, table)
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
        data = records_to_arrow(_read_json_records(path, source), source)
    return RawTable(data, source)


def _read_csv(path: Path, table: str, delimiter: str, source: str) -> pa.Table:
    # Every column stays text, as the engine reads it (no "007" -> 7); values.py parses
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
        except RecursionError:
            raise InputError("is nested too deeply to read", source=source) from None
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


def with_line(err: InputError, obj: Any, delimiter: str | None) -> InputError:
    """For a CSV file, name the line a spreadsheet shows rather than the data row."""
    if err.row is None or err.line is not None or not isinstance(obj, str | Path):
        return err
    path = Path(obj)
    if path.suffix.lower() not in CSV_SUFFIXES:
        return err
    line = csv_line(path, err.row, delimiter or default_delimiter(path))
    if line is None:
        return err
    return InputError(
        err.detail, source=err.source, row=err.row, column=err.column, hint=err.hint, line=line
    )


def default_delimiter(path: Path) -> str:
    """The separator a CSV path implies by its suffix (when no sniffer said otherwise)."""
    return "\t" if path.suffix.lower() == ".tsv" else ","
