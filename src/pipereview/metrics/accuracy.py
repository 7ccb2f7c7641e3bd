"""Forecast accuracy: each snapshot's call for a period against what closed in it.

Grain of ``level_calls``: one row per subject of one level (rep, manager, team, region or
the company) on one snapshot date, with the forecast's own figures for the period on that
date (``metrics.forecast``: ``commit_forecast``, ``best_case_forecast``, ``closed_won``),
rolled up by the forecast's own ``rollup`` and ``subtree_rollup``, so a call is exactly what
the forecast said that day. Grain of ``scored``: one row per (snapshot date, level, subject)
for every subject found on any date or in the actual (a subject absent on a date called 0
there), with both calls, the actual, and each call's bias (call - actual) and error (its
absolute value), exact decimals.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from pipereview.metrics.forecast import rollup, subtree_rollup, with_coverage
from pipereview.policy import Policy
from pipereview.schema import MONEY_SUM

# The calls, by the name the forecast gives the figure each one is.
CALLS = {"commit": "commit_forecast", "best_case": "best_case_forecast"}
# Per call: the signed difference and its absolute value.
SCORES = ("bias", "error")


def level_calls(
    reps: ir.Table,
    level: str,
    policy: Policy,
    day: dt.date,
    tree: tuple[ir.Table, ir.Table] | None = None,
) -> ir.Table:
    """One level's rows on snapshot ``day`` (_date, _level, _id, the calls, closed_won)
    from the rep rows the forecast keeps (``report.forecast.forecast_reps``); ``tree`` is
    the hierarchy's two tables (``report.forecast.tree_tables``), needed for managers."""
    if level == "rep":
        t, key = reps, reps.rep_id
    elif level == "manager":
        assert tree is not None
        t = with_coverage(subtree_rollup(reps, *tree), policy)
        key = t._p_manager
    elif level == "company":
        t = with_coverage(rollup(reps, None), policy)
        key = ibis.null("string")
    else:  # team, region
        t = with_coverage(rollup(reps, level), policy)
        key = t[level]
    return t.select(
        _date=ibis.literal(day, "date"),
        _level=ibis.literal(level, "string"),
        _id=key.cast("string"),
        **{name: t[figure].cast(MONEY_SUM) for name, figure in CALLS.items()},
        closed_won=t.closed_won.cast(MONEY_SUM),
    )


def scored(calls: ir.Table, actual: ir.Table) -> ir.Table:
    """Every (date, level, subject) of ``calls`` (``level_calls`` of every date, unioned)
    and ``actual`` (``level_calls`` of the actual's snapshot), with ``commit``,
    ``best_case``, ``actual`` and each call's ``<call>_bias`` (call - actual) and
    ``<call>_error`` (|call - actual|). A subject missing on one side counts 0 there (a rep
    who joined later called nothing; a deal that left the data closed nothing)."""
    subjects = calls.select("_level", "_id").union(actual.select("_level", "_id")).distinct()
    grid = subjects.cross_join(calls.select("_date").distinct())
    c = calls.view().drop("closed_won").rename(lambda name: f"_c{name}")
    mine = actual.view()  # often the same relation as one day's calls
    a = mine.select(_a_level=mine._level, _a_id=mine._id, _a_actual=mine.closed_won)
    called = grid.left_join(
        c,
        [
            grid._date == c._c_date,
            grid._level == c._c_level,
            grid._id.identical_to(c._c_id),
        ],
    ).select(grid._date, grid._level, grid._id, *(c[f"_c{name}"] for name in CALLS))
    j = called.left_join(a, [called._level == a._a_level, called._id.identical_to(a._a_id)])
    zero = ibis.literal(0, MONEY_SUM)
    done = j._a_actual.fill_null(zero).cast(MONEY_SUM)
    row: dict[str, ir.Value] = {
        "_date": j._date,
        "_level": j._level,
        "_id": j._id,
        "actual": done,
    }
    for name in CALLS:
        call = j[f"_c{name}"].fill_null(zero).cast(MONEY_SUM)
        bias = (call - done).cast(MONEY_SUM)
        row |= {name: call, f"{name}_bias": bias, f"{name}_error": bias.abs().cast(MONEY_SUM)}
    return j.select(**row)
