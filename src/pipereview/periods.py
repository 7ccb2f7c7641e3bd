"""Fiscal periods by name: the one parser of every ``--period`` (``forecast``, ``flow``,
and any command that takes a period), on top of the fiscal calendar (``fiscal.py``).

Accepted: ``this-quarter``, ``next-quarter``, ``last-quarter``, a named quarter
(``FY2027-Q1``, ``2027-Q1``); ``this-year``, ``last-year``, ``next-year``, a fiscal year
(``FY2027``); ``this-half``, ``last-half``, a half (``FY2027-H1``); ``this-month``,
``last-month``, a month (``2026-11``); a range of days (``2026-07-01..2026-09-30``); and,
where a command allows it, ``all`` (no bound). A fiscal year is named by the calendar year
it ends in (``fiscal.quarter_label``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from pipereview.errors import InputError
from pipereview.fiscal import (
    FIRST_YEAR,
    LAST_YEAR,
    _month_start,
    fiscal_quarter,
    fiscal_year_start,
    quarter_label,
    quarter_named,
)

ACCEPTED = (
    "this-quarter, next-quarter, last-quarter, FY2027-Q1; this-year, last-year, next-year, "
    "FY2027; this-half, last-half, FY2027-H1; this-month, last-month, 2026-11; a range "
    "2026-07-01..2026-09-30"
)


class Period(NamedTuple):
    """A period's label (``FY2026-Q4``, ``FY2027``, ``FY2027-H1``, ``2026-11``, or the
    range as written), its first and last day (None for ``all``), and how many whole fiscal
    quarters it is (None when it is not whole quarters: a month, most ranges)."""

    label: str
    first: dt.date | None
    last: dt.date | None
    quarters: int | None


def _year(ends: int, start_month: int) -> tuple[dt.date, dt.date]:
    """The fiscal year named by the calendar year it ends in."""
    first = dt.date(ends - (1 if start_month > 1 else 0), start_month, 1)
    return first, _month_start(first.year, first.month + 12) - dt.timedelta(days=1)


def _fy(first: dt.date, start_month: int) -> int:
    return int(quarter_label(first, start_month)[2:6])


def _months(first: dt.date, months: int) -> dt.date:
    return _month_start(first.year, first.month + months) - dt.timedelta(days=1)


def _quarter(day: dt.date, start_month: int) -> Period:
    first, last = fiscal_quarter(day, start_month)
    return Period(quarter_label(first, start_month), first, last, 1)


def _half(day: dt.date, start_month: int) -> Period:
    year_first = fiscal_year_start(day, start_month)
    months = (day.year - year_first.year) * 12 + day.month - year_first.month
    first = _month_start(year_first.year, year_first.month + (6 if months >= 6 else 0))
    number = 2 if months >= 6 else 1
    return Period(f"FY{_fy(first, start_month)}-H{number}", first, _months(first, 6), 2)


def _whole_year(day: dt.date, start_month: int) -> Period:
    first = fiscal_year_start(day, start_month)
    return Period(f"FY{_fy(first, start_month)}", first, _months(first, 12), 4)


def _after_year(day: dt.date, start_month: int) -> dt.date:
    first = fiscal_year_start(day, start_month)
    return _month_start(first.year, first.month + 12)


def _before_half(day: dt.date, start_month: int) -> dt.date:
    first = fiscal_year_start(day, start_month)
    months = (day.year - first.year) * 12 + day.month - first.month
    return _month_start(first.year, first.month + (6 if months >= 6 else 0)) - _DAY


def _month(day: dt.date) -> Period:
    first = day.replace(day=1)
    return Period(first.strftime("%Y-%m"), first, _months(first, 1), None)


def parse_period(
    text: str, as_of: dt.date, start_month: int = 1, allow_all: bool = False
) -> Period:
    """The period ``text`` names around ``as_of`` (see the module docstring); an InputError
    listing the accepted forms for anything else."""
    name = text.strip()
    lower = name.lower()
    relative = {
        "this-quarter": lambda: _quarter(as_of, start_month),
        "next-quarter": lambda: _quarter(fiscal_quarter(as_of, start_month)[1] + _DAY, start_month),
        "last-quarter": lambda: _quarter(fiscal_quarter(as_of, start_month)[0] - _DAY, start_month),
        "this-year": lambda: _whole_year(as_of, start_month),
        "last-year": lambda: _whole_year(fiscal_year_start(as_of, start_month) - _DAY, start_month),
        "next-year": lambda: _whole_year(_after_year(as_of, start_month), start_month),
        "this-half": lambda: _half(as_of, start_month),
        "last-half": lambda: _half(_before_half(as_of, start_month), start_month),
        "this-month": lambda: _month(as_of),
        "last-month": lambda: _month(as_of.replace(day=1) - _DAY),
    }
    if lower in relative:
        return relative[lower]()
    if lower == "all" and allow_all:
        return Period("all", None, None, None)
    found = _named(name.upper(), start_month)
    if found is not None:
        return found
    raise InputError(
        f"unknown period {text!r}",
        hint=f"use one of: {ACCEPTED}{', all' if allow_all else ''} (fiscal years are named "
        "by the calendar year they end in)",
    )


_DAY = dt.timedelta(days=1)


def _named(name: str, start_month: int) -> Period | None:
    """A named quarter, half, year, month or range; None when ``name`` is none of them."""
    quarter = quarter_named(name, start_month)
    if quarter is not None:
        return Period(quarter_label(quarter[0], start_month), *quarter, 1)
    if m := re.fullmatch(r"FY(\d{4})(?:-H([12]))?", name):
        ends = int(m[1])
        if not FIRST_YEAR <= ends <= LAST_YEAR:
            return None
        first, last = _year(ends, start_month)
        if m[2] is None:
            return Period(f"FY{ends}", first, last, 4)
        return _half(_month_start(first.year, first.month + 6 * (int(m[2]) - 1)), start_month)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", name):
        if FIRST_YEAR <= int(m[1]) <= LAST_YEAR and 1 <= int(m[2]) <= 12:
            return _month(dt.date(int(m[1]), int(m[2]), 1))
        return None
    if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})", name):
        try:
            first, last = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
        except ValueError:
            return None
        if first > last:
            return None
        return Period(
            f"{first.isoformat()}..{last.isoformat()}",
            first,
            last,
            _whole_quarters(first, last, start_month),
        )
    return None


def _whole_quarters(first: dt.date, last: dt.date, start_month: int) -> int | None:
    """How many fiscal quarters [first, last] is when it starts and ends on their edges."""
    if (
        fiscal_quarter(first, start_month)[0] != first
        or fiscal_quarter(last, start_month)[1] != last
    ):
        return None
    count, day = 0, first
    while day <= last:
        count += 1
        day = fiscal_quarter(day, start_month)[1] + _DAY
    return count
