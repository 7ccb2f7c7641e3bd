"""Terminal tables that fit the terminal: each column says what it holds and how much it
matters, and ``fit`` lays the table out for a width. Numbers and names never wrap or split
(a number is never cut: its column is dropped first), a reason wraps at spaces, and when
the columns do not fit the least important go first (the highest ``priority`` number, the
rightmost of equals). Widths are computed here and given to Rich as fixed widths, so the
layout does not depend on Rich's own squeezing.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

DEFAULT_WIDTH = 120  # a file or a pipe without COLUMNS
MIN_WIDTH = 40


@dataclass(frozen=True)
class Col:
    """A column: ``num`` (right, never wrapped or cut), ``name`` (one line, cut with … past
    ``max_width``) or ``wrap`` (text that wraps at spaces). ``priority`` 1 is always kept."""

    header: str
    kind: Literal["num", "name", "wrap"] = "name"
    priority: int = 1
    min_width: int = 6
    max_width: int = 30


def num(header: str, priority: int = 1) -> Col:
    return Col(header, "num", priority)


def name(header: str, priority: int = 1, min_width: int = 6, max_width: int = 30) -> Col:
    return Col(header, "name", priority, min_width, max_width)


def wrap(header: str, priority: int = 1, min_width: int = 16, max_width: int = 70) -> Col:
    return Col(header, "wrap", priority, min_width, max_width)


def _longest_word(value: str) -> int:
    return max((cell_len(w) for w in value.split()), default=0)


def _overhead(n: int) -> int:
    """Borders and padding of a boxed table of ``n`` columns."""
    return 3 * n + 1


def _bounds(col: Col, cells: list[str]) -> tuple[int, int]:
    """The narrowest and the natural width of a column's content."""
    widest = max((cell_len(c) for c in cells), default=0)
    head = _longest_word(col.header)
    if col.kind == "num":
        full = max(widest, head)
        return full, full
    natural = max(min(widest, col.max_width), head, 1)
    return min(max(col.min_width, head), natural), natural


def layout(cols: Sequence[Col], rows: list[list[str]], width: int) -> list[tuple[int, int]]:
    """(column index, width) of the columns kept for ``width``, in order."""
    bounds = [_bounds(c, [r[i] for r in rows]) for i, c in enumerate(cols)]
    kept = list(range(len(cols)))

    def need(indexes: list[int], whole_names: bool) -> int:
        """Width of the columns at their narrowest (names whole, when asked)."""
        sizes = [bounds[i][1 if whole_names and cols[i].kind == "name" else 0] for i in indexes]
        return sum(sizes) + _overhead(len(indexes))

    # A column goes before a name is cut short; names are cut before an essential figure
    # goes; then the rightmost figures go (never the first column nor a reason): a number
    # is dropped whole rather than cut.
    for whole_names, essential in ((True, False), (False, True)):
        while need(kept, whole_names) > width:
            droppable = [
                i
                for i in kept
                if cols[i].priority > 1 or (essential and i > 0 and cols[i].kind == "num")
            ]
            if not droppable:
                break
            kept.remove(max(droppable, key=lambda i: (cols[i].priority, i)))
    whole = need(kept, True) <= width
    widths = {i: bounds[i][1 if whole and cols[i].kind == "name" else 0] for i in kept}
    spare = width - need(kept, whole)
    for kind in ("name", "wrap"):
        for i in kept:
            if cols[i].kind == kind and spare > 0:
                more = min(spare, bounds[i][1] - widths[i])
                widths[i] += more
                spare -= more
    return [(i, widths[i]) for i in kept]


def arrange(
    cols: Sequence[Col],
    rows: list[list[Any]],
    width: int,
    compact: list[list[Any]] | None = None,
) -> tuple[list[list[str]], list[tuple[int, int]]]:
    """The cells and the (column, width) kept for ``width``: ``rows``, or their ``compact``
    form ($1.2M for $1,234,567.00) when that keeps an essential column the full one loses."""
    cells = [[str(c) for c in row] for row in rows]
    chosen = layout(cols, cells, width)
    if compact is not None and _essential(cols, chosen) < _essential(cols, layout(cols, [], 10**6)):
        short = [[str(c) for c in row] for row in compact]
        shorter = layout(cols, short, width)
        if _essential(cols, shorter) > _essential(cols, chosen):
            return short, shorter
    return cells, chosen


def _essential(cols: Sequence[Col], chosen: list[tuple[int, int]]) -> int:
    return sum(1 for i, _ in chosen if cols[i].priority == 1)


def fit(
    title: str | None,
    cols: Sequence[Col],
    rows: list[list[Any]],
    width: int,
    caption: str | None = None,
    compact: list[list[Any]] | None = None,
) -> Table:
    """A Rich table of ``rows`` laid out for ``width`` columns of terminal (``compact``:
    the same rows with shorter figures, used when the full ones would cost a column)."""
    cells, chosen = arrange(cols, rows, width, compact)
    table = Table(title=title, caption=caption, title_justify="left", caption_justify="left")
    for i, w in chosen:
        col = cols[i]
        table.add_column(
            Text(col.header, no_wrap=False, overflow="fold"),
            justify="right" if col.kind == "num" else "left",
            no_wrap=col.kind != "wrap",
            overflow="ellipsis",
            width=w,
        )
    for row in cells:
        table.add_row(*(row[i] for i, _ in chosen))
    return table


def hidden(
    cols: Sequence[Col],
    rows: list[list[Any]],
    width: int,
    compact: list[list[Any]] | None = None,
) -> list[str]:
    """The headers of the columns ``fit`` leaves out at ``width``."""
    kept = {i for i, _ in arrange(cols, rows, width, compact)[1]}
    return [c.header for i, c in enumerate(cols) if i not in kept]


def hidden_caption(
    cols: Sequence[Col],
    rows: list[list[Any]],
    width: int,
    compact: list[list[Any]] | None = None,
) -> str | None:
    """The caption naming the columns ``fit`` leaves out at ``width`` (None: none)."""
    left_out = hidden(cols, rows, width, compact)
    if not left_out:
        return None
    return (
        f"Not shown at this width: {', '.join(left_out)} (a wider terminal, or --format "
        "html or json, has them)."
    )


def width_of(console_width: int | None = None) -> int:
    """The width to lay out for: the given one, else ``COLUMNS``, else ``DEFAULT_WIDTH``."""
    if console_width:
        return max(MIN_WIDTH, console_width)
    columns = os.environ.get("COLUMNS", "")
    return max(MIN_WIDTH, int(columns)) if columns.isdigit() else DEFAULT_WIDTH


def plain(parts: Sequence[RenderableType], width: int) -> str:
    """Renderables as plain text (no colour) ``width`` columns wide."""
    buffer = io.StringIO()
    console = Console(width=width, file=buffer, color_system=None, highlight=False)
    for part in parts:
        console.print(part)
    return buffer.getvalue()
