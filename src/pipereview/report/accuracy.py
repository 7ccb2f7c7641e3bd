"""Building forecast accuracy from a snapshot store: for each snapshot date, the forecast
of the period computed from that date's stored canonical deals and reps exactly as
``forecast`` computes it (``report.forecast.forecast_reps``, the forecast's roll-ups), and
the actual closed won of the period from one snapshot (decisions D46, D47). The engine does
every sum and difference (``metrics.accuracy``); the model rounds once.
"""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

import ibis.expr.types as ir

from pipereview.engines import Engine
from pipereview.errors import InputError, StoreError
from pipereview.inputs.loaded import Loaded
from pipereview.metrics.accuracy import CALLS, SCORES, level_calls, scored
from pipereview.periods import parse_period
from pipereview.policy import Policy
from pipereview.report.accuracy_model import Accuracy, AccuracyRow
from pipereview.report.forecast import forecast_reps, loop_error, manager_tree, tree_tables
from pipereview.report.forecast_model import LEVELS, Level
from pipereview.report.inputs import Inputs
from pipereview.report.rounding import round_quotient, row_rounder
from pipereview.store.snapshots import Store

SHARE_PLACES = 4  # a share of the actual: 0.1234 is 12.34 %
_MONEY = ("actual", *CALLS, *(f"{c}_{s}" for c in CALLS for s in SCORES))


def snapshot_inputs(opened: Store, engine: Engine, day: dt.date) -> Inputs:
    """The canonical deals and reps stored with the snapshot of ``day``, as the forecast
    reads inputs (checked when they were stored)."""

    def loaded(name: str) -> Loaded:
        return Loaded(
            engine=engine,
            obj=None,
            name=name,
            table=opened.table_in(engine, name, day),
            source=f"snapshot {day.isoformat()} in {opened.path}",
            absent_columns=(),
            checked=True,
        )

    return Inputs(engine=engine, loaded_deals=loaded("deals"), loaded_reps=loaded("reps"))


def snapshot_dates(
    opened: Store, label: str, first: dt.date, last: dt.date, weeks_before: int
) -> tuple[list[dt.date], dt.date, str]:
    """The snapshot dates called from (in [first - weeks_before weeks, last]), the date of
    the actual's snapshot and whether it is ``final`` (the first snapshot on or after
    ``last``) or ``open`` (the latest one, the period not over in the store)."""
    dates = opened.dates()
    since = first - dt.timedelta(weeks=weeks_before)
    called = [d for d in dates if since <= d <= last]
    if not called:
        known = ", ".join(d.isoformat() for d in dates[-5:]) or "none yet"
        before = f" or the {weeks_before} weeks before it" if weeks_before else ""
        raise StoreError(
            f"{opened.path}: no snapshot in {label} ({first.isoformat()} to "
            f"{last.isoformat()}){before}",
            hint=f"snapshots: {known} (pipereview history list); take snapshots during the "
            "period, or pass --weeks-before to count earlier ones",
        )
    after = [d for d in dates if d >= last]
    return (called, after[0], "final") if after else (called, dates[-1], "open")


def last_period(
    opened: Store, engine: Engine, policy: Policy, as_of: dt.date, currency: str = "USD"
) -> Accuracy | None:
    """The report's small accuracy section: the company's call for the fiscal quarter
    before ``as_of``'s at the quarter's first and last snapshot, against the actual (None
    when the store has no snapshot in that quarter)."""
    found = parse_period("last-quarter", as_of, policy.calendar.fiscal_year_start_month)
    assert found.first is not None and found.last is not None
    if not any(found.first <= d <= found.last for d in opened.dates()):
        return None
    return build_accuracy(
        opened, engine, policy, found.label, as_of, "company", currency=currency, ends=True
    )


def build_accuracy(
    opened: Store,
    engine: Engine,
    policy: Policy,
    period: str,
    as_of: dt.date,
    by: Level = "rep",
    weeks_before: int = 0,
    currency: str = "USD",
    ends: bool = False,
) -> Accuracy:
    """Forecast accuracy for ``period`` (``periods.parse_period`` around ``as_of``) from
    the snapshots in ``opened``: the ``by`` level's rows and the company's (``ends``: the
    first and the last snapshot only)."""
    if weeks_before < 0:
        raise InputError(f"--weeks-before {weeks_before} is negative", hint="give 0 or more weeks")
    found = parse_period(period, as_of, policy.calendar.fiscal_year_start_month)
    label, first, last = found.label, found.first, found.last
    assert first is not None and last is not None
    if first > as_of:
        raise InputError(
            f"the period {label} ({first.isoformat()} to {last.isoformat()}) has not started "
            f"on {as_of.isoformat()}",
            hint="accuracy compares calls with what closed: pick a period that has begun "
            "(this-quarter, last-quarter, FY2026-Q3)",
        )
    called, actual_day, status = snapshot_dates(opened, label, first, last, weeks_before)
    if ends:
        called = sorted({called[0], called[-1]})
    levels: list[Level] = [by] if by == "company" else [by, "company"]
    per_day = functools.partial(_day_calls, opened, engine, policy, label, levels)
    names: dict[str, str] = {}
    calls = [per_day(day, names) for day in called]
    actual = calls[called.index(actual_day)] if actual_day in called else per_day(actual_day, names)
    table = scored(_union(calls), actual)
    order = {level: n for n, level in enumerate(levels)}
    rows = sorted(engine.rows(table), key=lambda r: _sort_key(r, order))
    return Accuracy(
        period=label,
        period_start=first,
        period_end=last,
        currency=currency,
        by=by,
        weeks_before=weeks_before,
        snapshots=called,
        actual_as_of=actual_day,
        actual_status=status,
        rows=[_row(r, names) for r in rows],
    )


def _day_calls(
    opened: Store,
    engine: Engine,
    policy: Policy,
    label: str,
    levels: list[Level],
    day: dt.date,
    names: dict[str, str],
) -> ir.Table:
    """Every level's calls on ``day`` (``metrics.accuracy.level_calls``), from the rep rows
    ``forecast --period <label> --as-of <day>`` computes on the day's stored data; the
    day's rep names are added to ``names`` (a later day's name wins)."""
    inputs = snapshot_inputs(opened, engine, day)
    reps = forecast_reps(inputs, policy, day, label).reps
    tree = None
    if "manager" in levels:
        hierarchy = manager_tree(inputs)
        if hierarchy.loops:
            error = loop_error(hierarchy)
            raise InputError(f"snapshot {day.isoformat()}: {error.message}", hint=error.hint)
        tree = tree_tables(engine, hierarchy) if hierarchy.spans else None
    named = reps.filter(reps.in_reps).select("rep_id", "rep_name")
    names.update({r["rep_id"]: r["rep_name"] for r in engine.rows(named) if r["rep_name"]})
    tables = [
        level_calls(reps, level, policy, day, tree)
        for level in levels
        if level != "manager" or tree is not None
    ]
    return _union(tables)


def _union(tables: list[ir.Table]) -> ir.Table:
    return functools.reduce(lambda a, b: a.union(b), tables)


def _sort_key(row: dict[str, Any], order: dict[Level, int]) -> tuple[Any, ...]:
    """The chosen level's rows first, then the company's; by subject (none last), date."""
    key = row["_id"]
    return (order[row["_level"]], key is None, key or "", row["_date"])


def share(value: Decimal, actual: Decimal) -> float | None:
    """``value`` as a share of a positive ``actual``, rounded once, half-even, to 4 places
    (None when the actual is zero or negative)."""
    if not actual > 0:
        return None
    return float(round_quotient(value, actual, 1, SHARE_PLACES)) + 0.0


_ROUND = row_rounder(dict.fromkeys(_MONEY, "usd"))


def _row(row: dict[str, Any], names: dict[str, str]) -> AccuracyRow:
    """One engine row as the model's, rounded once: money to the cent, shares from the
    exact values."""
    shares = {
        f"{c}_{s}_share": share(row[f"{c}_{s}"], row["actual"]) for c in CALLS for s in SCORES
    }
    money = _ROUND({k: row[k] for k in _MONEY})
    level: Level = row["_level"]
    named = level in ("rep", "manager") and row["_id"] is not None
    return AccuracyRow(
        as_of=_day(row["_date"]),
        level=level,
        id=row["_id"],
        name=names.get(row["_id"]) if named else None,
        commit_call=money["commit"],
        best_case_call=money["best_case"],
        actual=money["actual"],
        **{k: v for k, v in money.items() if k not in ("commit", "best_case", "actual")},
        **shares,
    )


def _day(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


__all__ = ["LEVELS", "build_accuracy"]
