"""Sortable tables on the dashboard's pages, server-side (no script runs on a page).

A page's tables are numbered in the order they are drawn (the forecast, rep and reports
tables have names); ``?sort=3.2`` sorts the fourth table by its third column
(``&dir=desc``: largest first). A column of figures sorts by the number its cells show
(money, counts, rates, multiples; a dash last), any other column by its text, case-folded;
equal cells keep the report's order, so a sorted page is as deterministic as the report.
The state travels as ``links`` into the templates: truthy, so every name in a table stays
a link as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import count
from typing import Any
from urllib.parse import urlencode

from markupsafe import Markup, escape

# A number as the renderers write it: a sign, a currency symbol or code, digits with
# thousands separators, a K/M/B suffix (compact money), then %, x or words.
_NUMBER = re.compile(r"^(-?)\D*?(\d[\d,]*(?:\.\d+)?)([KMB])?")
_SCALE = {"": 1, "K": 1_000, "M": 1_000_000, "B": 1_000_000_000}


def number(shown: Any) -> Decimal | None:
    """The number a cell shows (``-$1.2M`` is -1,200,000; ``45%`` is 45; ``—`` is None)."""
    found = _NUMBER.match(str(shown).strip())
    if found is None:
        return None
    sign, digits, suffix = found.groups()
    try:
        value = Decimal(digits.replace(",", "")) * _SCALE[suffix or ""]
    except InvalidOperation:
        return None
    return -value if sign else value


def _key(shown: Any, numeric: bool) -> tuple[int, Any]:
    """Cells that show nothing (a dash, a blank) sort last either way."""
    if numeric:
        value = number(shown)
        return (1, Decimal(0)) if value is None else (0, value)
    words = str(shown).strip()
    return (1, "") if words in ("", "—") else (0, words.casefold())


@dataclass
class Sorting:
    """One request's table order: the table and column asked for, and the page's other
    query values (the snapshot date) that every sort link keeps."""

    table: str | None = None
    column: int | None = None
    descending: bool = False
    keep: dict[str, str] = field(default_factory=dict)
    sorts: bool = True
    _numbers: Iterator[int] = field(default_factory=count)

    @classmethod
    def parse(cls, sort: str | None, direction: str | None, keep: dict[str, str]) -> Sorting:
        """The state from ``?sort=T.C&dir=desc``; anything unreadable leaves tables as
        the report orders them."""
        if not sort or not re.fullmatch(r"[a-z0-9]{1,12}\.\d{1,3}", sort):
            return cls(keep=keep)
        table, column = sort.split(".")
        return cls(table, int(column), direction == "desc", keep)

    def __bool__(self) -> bool:
        return True

    def next_table(self) -> str:
        """The next table's id on this page (tables drawn by the shared macro are
        numbered; the forecast, rep and reports tables have names)."""
        return str(next(self._numbers))

    def href(self, table: str, column: int) -> Markup:
        """The link a column's header makes: this column ascending, or descending when it
        is already sorted ascending (escaped Markup, so no break is put in it)."""
        flip = self.table == table and self.column == column and not self.descending
        query = {**self.keep, "sort": f"{table}.{column}"}
        if flip:
            query["dir"] = "desc"
        return escape("?" + urlencode(query))

    def arrow(self, table: str, column: int) -> str:
        """The mark after the sorted column's header."""
        if self.table != table or self.column != column:
            return ""
        return " ▼" if self.descending else " ▲"

    def rows(self, table: str, rows: Sequence[Any], numeric: Sequence[int]) -> list[Any]:
        """``rows`` in the order asked for, when it is this table; else as they are."""
        if self.table != table or self.column is None or not rows:
            return list(rows)
        column = self.column
        if column >= len(_cells(rows[0])):
            return list(rows)
        is_numeric = column in numeric
        keyed = [(_key(_cells(row)[column], is_numeric), row) for row in rows]
        filled = [pair for pair in keyed if pair[0][0] == 0]
        empty = [row for (blank, _), row in keyed if blank == 1]
        filled.sort(key=lambda pair: pair[0][1], reverse=self.descending)
        return [row for _, row in filled] + empty


def _cells(row: Any) -> Sequence[Any]:
    """A row's cells: a list, or a dict's ``cells`` (the rep table's rows)."""
    return row["cells"] if isinstance(row, dict) else row
