"""What a user rule's condition may read: the columns of a deal and of a rep, as the report
reads them, their kinds and units, and the same columns over tables without data, which a
condition is compiled against when the policy is loaded (so one the report could not run
exactly is refused then, with its position, not in the middle of a report).

A deal's columns are its canonical ones (``deal_value_usd``, ``probability`` and
``days_in_stage`` with missing = 0, as every metric counts them) and a few per-deal figures;
a rep's are its record, its performance and trajectory rows and its forecast for the
report's quarter, with the exact parts of the ratio columns (``metrics.ratios``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.metrics.base import (
    Unit,
    date_value,
    days_in_stage,
    deal_value,
    expected_value,
    probability,
    risk_flag_count,
    unique_reps,
)
from pipereview.metrics.forecast import (
    category_lookup,
    deals_forecast,
    rep_forecast,
    with_coverage,
)
from pipereview.metrics.ratios import RATIOS, denominator_of, numerator_of, part_columns
from pipereview.metrics.reps import deals_by_rep, rep_performance
from pipereview.metrics.trajectory import rep_trajectory
from pipereview.policy import Policy
from pipereview.rules.base import RuleInputs
from pipereview.rules.compile import Parts
from pipereview.rules.tree import Kind
from pipereview.schema import DEAL_COLUMNS as CANONICAL_DEALS
from pipereview.schema import REP_COLUMNS as CANONICAL_REPS
from pipereview.schema import ROW_COLUMN

# name -> (kind in a condition, unit of the evidence)
DEAL_COLUMNS: dict[str, tuple[Kind, Unit]] = {
    "deal_id": ("text", "text"),
    "rep_id": ("text", "text"),
    "status": ("text", "text"),
    "stage": ("text", "text"),
    "forecast_category": ("text", "text"),
    "currency": ("text", "text"),
    "deal_value_usd": ("number", "usd"),
    "probability": ("number", "ratio"),
    "days_in_stage": ("number", "days"),
    "amount": ("number", "number"),
    "created_date": ("date", "text"),
    "close_date": ("date", "text"),
    "expected_value": ("number", "usd"),
    "risk_flag_count": ("number", "count"),
    "days_to_close": ("number", "count"),
}
REP_COLUMNS: dict[str, tuple[Kind, Unit]] = {
    "rep_id": ("text", "text"),
    "rep_name": ("text", "text"),
    "manager_id": ("text", "text"),
    "team": ("text", "text"),
    "region": ("text", "text"),
    "quota_usd": ("number", "usd"),
    "year_to_date_revenue_usd": ("number", "usd"),
    "active_deals": ("number", "count"),
    "pipeline_value": ("number", "usd"),
    "close_rate": ("number", "ratio"),
    "quota_achievement": ("number", "ratio"),
    "pace": ("number", "ratio"),
    "needs_coaching": ("bool", "flag"),
    "quota_3m": ("number", "usd"),
    "closed_won_3m_current": ("number", "usd"),
    "current_pipeline_value": ("number", "usd"),
    "previous_pipeline_value": ("number", "usd"),
    "quota_attainment_pct": ("number", "pct"),
    "pipeline_change_pct": ("number", "pct"),
    "pipeline_trend": ("text", "text"),
    "risk_velocity_flag": ("text", "text"),
    "risk_score_current": ("number", "number"),
    "coaching_candidate": ("bool", "flag"),
    "benchmark": ("bool", "flag"),
    "closed_won": ("number", "usd"),
    "commit_forecast": ("number", "usd"),
    "best_case_forecast": ("number", "usd"),
    "open_pipeline": ("number", "usd"),
    "weighted_open_pipeline": ("number", "usd"),
    "quarter_quota": ("number", "usd"),
    "gap_to_quota": ("number", "usd"),
    "coverage": ("number", "number"),
    "weighted_coverage": ("number", "number"),
    "slipped_deals": ("number", "count"),
    "slipped_value": ("number", "usd"),
}
COLUMNS = {"deal": DEAL_COLUMNS, "rep": REP_COLUMNS}
# Evidence every flag of a subject carries, for the tables people read (owner, stage, value).
BASE: dict[str, tuple[str, ...]] = {
    "deal": ("status", "rep_id", "stage", "deal_value_usd"),
    "rep": ("rep_name",),
}
SUBJECT_FIELD = "subject_id"  # the flag's subject (a deal id or "row N", a rep id)
_FORECAST = (  # rep columns from the rep's forecast row (quarter_quota is its "quota")
    "closed_won",
    "commit_forecast",
    "best_case_forecast",
    "open_pipeline",
    "weighted_open_pipeline",
    "gap_to_quota",
    "coverage",
    "weighted_coverage",
    "slipped_deals",
    "slipped_value",
)


def deal_columns(d: ir.Table, as_of: Any) -> dict[str, ir.Value]:
    """Every deal column a condition may name, as expressions over the deals ``d``."""
    plain = ("deal_id", "rep_id", "status", "stage", "forecast_category", "currency", "amount")
    return {
        **{name: d[name] for name in plain},
        "deal_value_usd": deal_value(d),
        "probability": probability(d),
        "days_in_stage": days_in_stage(d),
        "created_date": d.created_date,
        "close_date": d.close_date,
        "expected_value": expected_value(d),
        "risk_flag_count": risk_flag_count(d),
        "days_to_close": d.close_date.delta(date_value(as_of), unit="day"),
    }


def rep_view(i: RuleInputs) -> ir.Table:
    """One row per rep of the reps input with every rep column a condition may name (and
    the exact parts of its ratio columns, ``metrics.ratios``)."""
    perf = i.rep_performance
    traj = i.rep_trajectory
    traj = traj.select(
        _t_rep=traj.rep_id,
        **{c: traj[c] for c in REP_COLUMNS if c in TRAJECTORY_COLUMNS},
        **{c: traj[c] for c in part_columns(TRAJECTORY_COLUMNS, traj.columns)},
    )
    fc = i.rep_forecast.filter(i.rep_forecast.in_reps)
    fc = fc.select(
        _f_rep=fc.rep_id,
        quarter_quota=fc.quota,
        **{c: fc[c] for c in _FORECAST},
        **{c: fc[c] for c in part_columns(_FORECAST, fc.columns)},
    )
    rec = unique_reps(i.reps)
    rec = rec.select(_r_rep=rec.rep_id, manager_id=rec.manager_id, team=rec.team, region=rec.region)
    t = perf.left_join(traj, perf.rep_id == traj._t_rep)
    t = t.left_join(fc, t.rep_id == fc._f_rep)
    t = t.left_join(rec, t.rep_id == rec._r_rep)
    return t.select(*REP_COLUMNS, *part_columns(REP_COLUMNS, t.columns))


def ratio_parts_of(t: ir.Table) -> dict[str, Parts]:
    """The exact parts of every ratio column ``t`` carries, for the compiler."""
    return {
        name: (t[numerator_of(name)], t[denominator_of(name)], RATIOS[name].times)
        for name in RATIOS
        if numerator_of(name) in t.columns
    }


# The rep columns that come from the trajectory row (the others: the performance row, the
# record and the forecast).
TRAJECTORY_COLUMNS = (
    "quota_3m",
    "closed_won_3m_current",
    "current_pipeline_value",
    "previous_pipeline_value",
    "quota_attainment_pct",
    "pipeline_change_pct",
    "pipeline_trend",
    "risk_velocity_flag",
    "risk_score_current",
    "coaching_candidate",
    "benchmark",
)


@cache
def probe(subject: str) -> tuple[dict[str, ir.Value], dt.date, dict[str, Parts]]:
    """The columns a condition of ``subject`` reads, over tables without data: compiling a
    condition against them checks, when the policy is loaded, what the report will run."""
    inputs = _probe_inputs()
    if subject == "deal":
        return deal_columns(inputs.deals, inputs.as_of), inputs.as_of, {}
    v = rep_view(inputs)
    return {name: v[name] for name in REP_COLUMNS}, inputs.as_of, ratio_parts_of(v)


_AS_OF = dt.date(2026, 1, 15)  # any date: only the columns' types matter


def _probe_inputs() -> RuleInputs:
    """RuleInputs whose tables have the canonical columns' types and no rows (the rep
    sections and the forecast built by the same metrics as a report's)."""
    row = {ROW_COLUMN: "int64"}
    deals = ibis.table({c.name: c.dtype for c in CANONICAL_DEALS} | row, name="probe_deals")
    reps = ibis.table({c.name: c.dtype for c in CANONICAL_REPS} | row, name="probe_reps")
    policy = Policy()
    first, last = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
    per_deals = deals_forecast(deals, category_lookup(deals, policy), first, last, _AS_OF)
    forecast = with_coverage(rep_forecast(per_deals, reps, None, Decimal("0.25")), policy)
    return RuleInputs(
        deals=deals,
        reps=reps,
        rep_performance=rep_performance(deals_by_rep(deals), reps, policy, _AS_OF),
        rep_trajectory=rep_trajectory(reps, policy),
        rep_forecast=forecast,
        as_of=_AS_OF,
    )
