"""Inputs into the engine: open with the engine's reader, canonicalise, keep, check.

A file is opened by the engine (DuckDB ``read_csv``/``read_parquet``/``read_json``, Spark's
``spark.read``); a warehouse table is read in place (``warehouse.py``); in-memory data and
Excel workbooks (read by fastexcel) go in as an engine table. A mapping ``Plan``
(``mapped.py``) may stand between the raw table and the canonical one. The canonical
expression is computed once and kept (a DuckDB temp table, which spills to disk under a
memory limit, or a persisted Spark DataFrame), and one aggregate counts the rows and the
unusable values. Only when something is wrong does Python look at rows: ``locate.py``
re-reads the source to name the file, row, column and value (a mapped input is located from
the engine instead).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from pipereview.engines import Engine, count_if
from pipereview.errors import EngineError, InputError, PipereviewError
from pipereview.locations import SourceTable
from pipereview.names import column_key
from pipereview.schema import ROW_COLUMN, TABLES
from pipereview.sources import locate, sniff
from pipereview.sources.canonical import BAD, canonical
from pipereview.sources.readers import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    csv_line,
    csv_structure_error,
    file_kind,
    read_excel,
    read_memory,
    read_source,
)


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
    notes: tuple[str, ...] = ()  # how the file was read, when not as plain UTF-8 CSV
    delimiter: str | None = None
    scratch: Any = None  # keeps a UTF-8 copy of the file alive while the table may read it
    # A mapped input names its unusable values itself (reason, row -> the located error).
    locate: Callable[[str, int | None], InputError] | None = None
    findings: tuple[Finding, ...] = ()

    def check_counts(self) -> dict[str, ir.Scalar]:
        """Aggregates over ``table``: its row count and its unusable rows."""
        t = self.table
        return {"_n": t.count(), "_bad": count_if(t, t[BAD])}

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
            raise _locate(
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
            raise loaded.locate(_first_line(exc), None) from None
        raise _failure(
            loaded.engine, exc, loaded.obj, loaded.name, loaded.source, loaded.delimiter
        ) from None


def _failure(
    engine: Engine,
    exc: BaseException,
    obj: Any,
    table: str,
    source: str,
    delimiter: str | None = None,
) -> Exception:
    """What an engine error means: out of memory, or data it cannot read (located)."""
    if engine.out_of_memory(exc):
        return EngineError(
            f"the engine ran out of memory: {_first_line(exc)}",
            hint="raise --memory-limit (or leave it unset)",
        )
    return _locate(obj, table, source, _first_line(exc), delimiter=delimiter)


class Plan(Protocol):
    """A mapping to apply (``sources/mapped.py``): builds the canonical table itself."""

    def build(
        self,
        engine: Engine,
        raw: ir.Table,
        obj: Any,
        table: str,
        source: str,
        kind: str,
        notes: tuple[str, ...],
        delimiter: str | None,
    ) -> Loaded: ...


def load(
    engine: Engine, obj: Any, table: str, plan: Plan | None = None, sheet: str | None = None
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
    engine: Engine, data: pa.Table, source: str, table: str, plan: Plan | None
) -> Loaded:
    """Arrow data (from Python, or a workbook) as canonical ``table``."""
    if data.num_rows == 0 and not data.column_names:
        raise _locate(data, table, source, "no records")  # zero rows with columns: empty
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
    plan: Plan | None = None,
) -> Loaded:
    source = str(path)
    if kind == "parquet":
        try:
            sniff.check_header(pq.read_schema(path).names, source)
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"not a readable Parquet file ({exc})", source=source) from None
    read_path = text.path if text is not None else path
    delimiter = text.delimiter if text is not None else ","
    notes = tuple(text.notes) if text is not None else ()
    try:
        raw = engine.read_file(read_path, "csv" if kind == "tsv" else kind, delimiter)
    except PipereviewError:
        raise
    except engine.data_errors as exc:  # the engine's reader refused the file
        raise _failure(engine, exc, read_path, table, source, delimiter) from None
    if text is not None and text.header and kind != "json":
        names = _source_columns(engine, raw)
        if [column_key(c) for c in names] != [column_key(h) for h in text.header]:
            # the engine's CSV sniffer read another header than the first line: a ragged row
            raise _locate(read_path, table, source, "the header was not read", None, delimiter)
    if plan is not None:
        loaded = plan.build(engine, raw, read_path, table, source, kind, notes, delimiter)
    else:
        loaded = _canonical(engine, raw, read_path, table, source, kind, notes, delimiter)
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
) -> Loaded:
    row_column = engine.row_column(raw)
    parsed = canonical(raw, table, csv_text=kind in ("csv", "tsv"), row_column=row_column)
    if parsed.missing_required:
        # an empty JSON array reads as odd columns: say it has no records
        if kind == "json" and read_source(obj, table, None, source).data.num_rows == 0:
            raise InputError(
                "has no records",
                source=source,
                hint=f"the {table} input needs at least one record",
            )
        raise _missing_columns(_source_columns(engine, raw), parsed.missing_required, table, source)
    loaded = Loaded(
        engine, obj, table, parsed.table, source, parsed.absent, notes=notes, delimiter=delimiter
    )
    loaded.table = run_checked(loaded, lambda: engine.keep(parsed.table))
    if row_column is None:  # kept: checking it costs a scan of one boolean column
        loaded.ensure_checked()
    return loaded


def _source_columns(engine: Engine, raw: ir.Table) -> list[str]:
    """The raw table's columns as the source names them (without the reader's row number)."""
    row_column = engine.row_column(raw)
    return [name for name in raw.columns if name != row_column]


def _missing_columns(
    found: list[str], missing: tuple[str, ...], table: str, source: str
) -> InputError:
    """Every missing required column at once, each with a suggestion when one is close.
    ``found``: the source's columns."""
    known = {c.name for c in TABLES[table]}
    spare = [name for name in found if column_key(name) not in known]
    by_key = {column_key(name): name for name in spare}
    hints = []
    for column in missing:
        close = difflib.get_close_matches(column, list(by_key), n=1, cutoff=0.6)
        if close:
            hints.append(f"{by_key[close[0]]!r} for {column}?")
    hint = (
        "did you mean " + ", ".join(hints)
        if hints
        else f"columns found: {', '.join(found[:12]) or '(none)'}"
    )
    plural = "s" if len(missing) > 1 else ""
    return InputError(
        f"required column{plural} missing: {', '.join(missing)}",
        source=source,
        column=missing[0] if len(missing) == 1 else None,
        hint=hint,
    )


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _delimiter(path: Path) -> str:
    """The separator a CSV path implies by its suffix (when no sniffer said otherwise)."""
    return "\t" if path.suffix.lower() == ".tsv" else ","


def with_line(err: InputError, obj: Any, delimiter: str | None) -> InputError:
    """For a CSV file, name the line a spreadsheet shows rather than the data row."""
    if err.row is None or err.line is not None or not isinstance(obj, str | Path):
        return err
    path = Path(obj)
    if path.suffix.lower() not in CSV_SUFFIXES:
        return err
    line = csv_line(path, err.row, delimiter or _delimiter(path))
    if line is None:
        return err
    return InputError(
        err.detail, source=err.source, row=err.row, column=err.column, hint=err.hint, line=line
    )


def _locate(
    obj: Any,
    table: str,
    source: str,
    reason: str,
    row: int | None = None,
    delimiter: str | None = None,
) -> InputError:
    """The exact error from re-reading the source in Arrow, or a general one naming the row."""
    try:
        locate.canonicalize(read_source(obj, table, delimiter, source), table)
    except InputError as err:
        return with_line(err, obj, delimiter)
    if isinstance(obj, str | Path) and Path(obj).suffix.lower() in CSV_SUFFIXES:
        # every value parses: the engine refused the file's structure (e.g. an open quote)
        problem = csv_structure_error(Path(obj), delimiter or _delimiter(Path(obj)), source)
        if problem is not None:
            return problem
    return InputError(
        f"cannot be used: {reason}",
        source=source,
        row=row,
        hint="check the value's type and range (money above 10^14 does not fit)",
    )
