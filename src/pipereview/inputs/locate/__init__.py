"""The error path, entered only when something is wrong: name the file, line, column and value.

The engine checks every input where it lives and only counts what it cannot use. When the
count is not zero, or the engine refuses the input, the reading code (``read.py``,
``loaded.py``, ``plan.py``) calls one of the functions here, and nothing here calls back:

- ``unusable``: re-read the source in Arrow (``reread.py``) and check its values by the
  engine's rules (``values.py``) to raise at the first bad one; or name a CSV's broken
  structure; or, when every value is usable, the row the engine named.
- ``failure``: an engine error while reading (out of memory, or data it cannot read).
- ``missing``: required columns a source lacks, each with a close name it has.
- ``locator``: how a mapped input names its first unusable value (``mapped.py``).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from pipereview.engines import Engine
from pipereview.errors import EngineError, InputError
from pipereview.inputs.files import CSV_SUFFIXES
from pipereview.inputs.locate.mapped import DELETED_FIELD, locator
from pipereview.inputs.locate.reread import (
    csv_structure_error,
    default_delimiter,
    read_source,
    with_line,
)
from pipereview.inputs.locate.values import recheck
from pipereview.names import column_key, columns_found
from pipereview.schema import TABLES

__all__ = [
    "DELETED_FIELD",
    "failure",
    "first_line",
    "locator",
    "missing",
    "unnamed",
    "unusable",
]


def unusable(
    obj: Any,
    table: str,
    source: str,
    reason: str,
    row: int | None = None,
    delimiter: str | None = None,
) -> InputError:
    """The exact error from re-reading the source in Arrow, or a general one naming the row."""
    try:
        recheck(read_source(obj, table, delimiter, source), table)
    except InputError as err:
        return with_line(err, obj, delimiter)
    if isinstance(obj, str | Path) and Path(obj).suffix.lower() in CSV_SUFFIXES:
        # every value parses: the engine refused the file's structure (e.g. an open quote)
        problem = csv_structure_error(Path(obj), delimiter or default_delimiter(Path(obj)), source)
        if problem is not None:
            return problem
    return InputError(
        f"cannot be used: {reason}",
        source=source,
        row=row,
        hint="check that each column holds one kind of value (text, numbers or dates) within range",
    )


def unnamed(header: list[str], source: str) -> InputError:
    """A CSV header with a column that has no name (a blank one, or a trailing separator)."""
    blank = [i for i, name in enumerate(header, start=1) if not name.strip()]
    trailing = blank == [len(header)]
    return InputError(
        f"the header's column {blank[0]} of {len(header)} has no name"
        + (" (the line ends with a separator)" if trailing else ""),
        source=source,
        line=1,
        hint="remove the separator at the end of each line"
        if trailing
        else "name the column, or remove it",
    )


def failure(
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
            f"the engine ran out of memory: {first_line(exc)}",
            hint="raise --memory-limit (or leave it unset)",
        )
    return unusable(obj, table, source, first_line(exc), delimiter=delimiter)


def missing(
    obj: Any, kind: str, found: list[str], columns: tuple[str, ...], table: str, source: str
) -> InputError:
    """Required ``columns`` the source lacks (``found``: the columns it has); an empty JSON
    array (which reads as odd columns) has no records."""
    if kind == "json" and read_source(obj, table, None, source).data.num_rows == 0:
        return InputError(
            "has no records",
            source=source,
            hint=f"the {table} input needs at least one record",
        )
    return _missing_columns(found, columns, table, source)


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
    hint = "did you mean " + ", ".join(hints) if hints else columns_found(found)
    plural = "s" if len(missing) > 1 else ""
    return InputError(
        f"required column{plural} missing: {', '.join(missing)}",
        source=source,
        column=missing[0] if len(missing) == 1 else None,
        hint=hint,
    )


def first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
