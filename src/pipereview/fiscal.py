"""The fiscal calendar: quarters and years that start in the policy's month.

A fiscal year starts on the first day of ``fiscal_year_start_month`` and its quarters are
three months each from there. Periods are inclusive date ranges.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

PeriodName = Literal["this-quarter", "next-quarter", "this-year", "all"]
PERIODS: tuple[PeriodName, ...] = ("this-quarter", "next-quarter", "this-year", "all")


def _month_start(year: int, month: int) -> dt.date:
    """The first day of ``month`` months after January of ``year`` (month may exceed 12)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return dt.date(year, month, 1)


def fiscal_year_start(day: dt.date, start_month: int = 1) -> dt.date:
    """The first day of the fiscal year containing ``day``."""
    year = day.year if day.month >= start_month else day.year - 1
    return dt.date(year, start_month, 1)


def fiscal_quarter(day: dt.date, start_month: int = 1) -> tuple[dt.date, dt.date]:
    """The first and last day of the fiscal quarter containing ``day``."""
    year_start = fiscal_year_start(day, start_month)
    months = (day.year - year_start.year) * 12 + day.month - year_start.month
    first = _month_start(year_start.year, year_start.month + months // 3 * 3)
    after = _month_start(first.year, first.month + 3)
    return first, after - dt.timedelta(days=1)


def quarter_label(day: dt.date, start_month: int = 1) -> str:
    """FY2026-Q3 style name of the fiscal quarter containing ``day`` (the fiscal year is
    named by the calendar year it ends in, as most companies do)."""
    year_start = fiscal_year_start(day, start_month)
    first, _ = fiscal_quarter(day, start_month)
    number = ((first.year - year_start.year) * 12 + first.month - year_start.month) // 3 + 1
    ends = year_start.year + (1 if start_month > 1 else 0)
    return f"FY{ends}-Q{number}"


def quarter_named(name: str, start_month: int = 1) -> tuple[dt.date, dt.date] | None:
    """The first and last day of a quarter named ``FY2026-Q3`` or ``2026-Q3`` (the fiscal
    year named by the calendar year it ends in, as ``quarter_label``); None when ``name`` is
    not such a name."""
    match = re.fullmatch(r"(?:FY)?(\d{4})-?Q([1-4])", name.strip().upper())
    if match is None or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        return None
    ends, number = int(match[1]), int(match[2])
    year_start = dt.date(ends - (1 if start_month > 1 else 0), start_month, 1)
    return fiscal_quarter(
        _month_start(year_start.year, start_month + 3 * (number - 1)), start_month
    )


FIRST_YEAR, LAST_YEAR = 2, 9998  # every period around a day of these years is a real date


def in_calendar(day: dt.date) -> bool:
    """True when every fiscal period around ``day`` (its year, the quarter before and after)
    has dates Python can hold."""
    return FIRST_YEAR <= day.year <= LAST_YEAR


def year_days(day: dt.date, start_month: int = 1) -> tuple[int, int]:
    """``day``'s number in the fiscal year holding it (its first day is 1) and the number of
    days in that year."""
    first, last = period_range("this-year", day, start_month)
    assert first is not None and last is not None
    return (day - first).days + 1, (last - first).days + 1


def period_range(
    name: PeriodName, day: dt.date, start_month: int = 1
) -> tuple[dt.date | None, dt.date | None]:
    """The inclusive range of a named period around ``day``; (None, None) for "all"."""
    if name == "all":
        return None, None
    if name == "this-quarter":
        return fiscal_quarter(day, start_month)
    if name == "next-quarter":
        _, last = fiscal_quarter(day, start_month)
        return fiscal_quarter(last + dt.timedelta(days=1), start_month)
    if name == "this-year":
        first = fiscal_year_start(day, start_month)
        return first, _month_start(first.year, first.month + 12) - dt.timedelta(days=1)
    raise ValueError(f"unknown period {name!r}; use one of {', '.join(PERIODS)}")


Step = Literal["day", "week", "month"]
STEPS: tuple[Step, ...] = ("day", "week", "month")


def every(first: dt.date, last: dt.date, step: Step) -> list[dt.date]:
    """``first``, then every ``step`` after it, up to ``last`` (inclusive). A monthly step
    keeps the day of the month, or the month's last day when it is shorter (Jan 31 -> Feb 28
    -> Mar 31)."""
    days: list[dt.date] = []
    n = 0
    while True:
        if step == "month":
            start = _month_start(first.year, first.month + n)
            following = _month_start(first.year, first.month + n + 1)
            day = min(
                start.replace(day=1) + dt.timedelta(days=first.day - 1),
                following - dt.timedelta(days=1),
            )
        else:
            day = first + dt.timedelta(days=n * (7 if step == "week" else 1))
        if day > last:
            return days
        days.append(day)
        n += 1


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier, or that month's last day when it is
    shorter (May 31 minus 3 months is Feb 28)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    first = dt.date(year, month + 1, 1)
    last = _month_start(first.year, first.month + 1) - dt.timedelta(days=1)
    return min(first + dt.timedelta(days=day.day - 1), last)
