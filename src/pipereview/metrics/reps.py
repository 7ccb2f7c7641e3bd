"""Rep performance summary: one row per rep (grain: rep_id), plus each rep's top deals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.engines import count_if
from pipereview.engines.plan import as_value
from pipereview.fiscal import year_days
from pipereview.inputs.canonical import deal_label
from pipereview.metrics.base import (
    Metric,
    deal_value,
    expected_value,
    is_active,
    is_at_risk,
    is_lost,
    is_stalled,
    is_won,
    money_sum,
    unique_reps,
)
from pipereview.metrics.ratios import RATIOS, ratio_parts
from pipereview.policy import Policy
from pipereview.schema import MONEY_SUM, WEIGHTED

REP_PERFORMANCE_METRICS: tuple[Metric, ...] = (
    Metric(
        "active_deals",
        "count",
        "The rep's deals with status `active`.",
        lambda r, p: r.active_deals,
    ),
    Metric(
        "pipeline_value",
        "usd",
        "Sum of the rep's active deal values.",
        lambda r, p: r.pipeline_value,
    ),
    Metric(
        "close_rate",
        "ratio",
        "From the rep record; else won / (won + lost) over the rep's deals; else null.",
        lambda r, p: RATIOS["close_rate"].double(r),
    ),
    Metric(
        "close_rate_source",
        "text",
        "`record`, `deals` or `none`: where close_rate came from.",
        lambda r, p: ibis.cases(
            (r.close_rate.notnull(), "record"),
            (r.won_deals + r.lost_deals > 0, "deals"),
            else_="none",
        ),
    ),
    Metric(
        "quota_achievement",
        "ratio",
        "year_to_date_revenue_usd / quota_usd; null when the quota is missing or zero.",
        lambda r, p: quota_achievement(r),
    ),
    Metric(
        "pace",
        "ratio",
        "year_to_date_revenue_usd / (quota_usd x the share of the fiscal year elapsed at "
        "as_of); null when the quota is missing or zero.",
        lambda r, p: pace(r),
    ),
    Metric(
        "needs_coaching",
        "flag",
        'quota_achievement (or pace, with reps.needs_coaching_basis = "pace") < '
        "reps.needs_coaching_below (unrounded; false when null).",
        lambda r, p: needs_coaching(r, p),
    ),
    Metric("won_deals", "count", "The rep's deals with status `won`.", lambda r, p: r.won_deals),
    Metric("lost_deals", "count", "The rep's deals with status `lost`.", lambda r, p: r.lost_deals),
    Metric(
        "won_value",
        "usd",
        "Sum of the rep's won deal values (every won deal of the input).",
        lambda r, p: r.won_value,
    ),
)


def quota_achievement(r: ir.Table) -> ir.FloatingValue:
    """Year-to-date revenue over annual quota (null without a positive quota)."""
    return RATIOS["quota_achievement"].double(r)


def pace(r: ir.Table) -> ir.FloatingValue:
    """Year-to-date revenue over the part of the annual quota due by as_of (days elapsed
    of the days in the fiscal year; null without a positive quota)."""
    return RATIOS["pace"].double(r)


def coaching_basis(p: Policy) -> str:
    """What needs_coaching compares: pace or quota achievement (reps.needs_coaching_basis)."""
    return "pace" if p.reps.needs_coaching_basis == "pace" else "quota_achievement"


def needs_coaching(r: ir.Table, p: Policy) -> ir.BooleanValue:
    """The basis below reps.needs_coaching_below, exactly (false when it is null)."""
    below = RATIOS[coaching_basis(p)].compare(r, "<", p.reps.needs_coaching_below)
    return below.fill_null(False)


def deals_by_rep(deals: ir.Table, policy: Policy | None = None) -> ir.Table:
    """Per rep_id (null included): deal rows, active count, active value, won and lost
    counts, won value; with ``policy``, also what the roll-ups sum per rep (weighted
    pipeline, stalled and at-risk deals: ``metrics.rollups.rollup_reps``), so that one scan
    of the deals serves both. Small (one row per rep), so the report keeps it and reads it
    for the rep rows, the roll-ups and the deals whose rep is not in the reps input."""
    figures = {
        "deals": deals.count(),
        "active_deals": count_if(deals, is_active(deals)),
        "pipeline_value": money_sum(deal_value(deals), is_active(deals), MONEY_SUM),
        "won_deals": count_if(deals, is_won(deals)),
        "lost_deals": count_if(deals, is_lost(deals)),
        "won_value": money_sum(deal_value(deals), is_won(deals), MONEY_SUM),
    }
    if policy is not None:
        active = is_active(deals)
        figures |= {
            "weighted_pipeline_value": money_sum(expected_value(deals), active, WEIGHTED),
            "stalled_deals": count_if(deals, is_stalled(deals, policy)),
            "at_risk_deals": count_if(deals, is_at_risk(deals)),
        }
    return deals.group_by("rep_id").aggregate(**figures)


def rep_performance(
    per_rep: ir.Table,
    reps: ir.Table,
    policy: Policy,
    as_of: dt.date,
    days: tuple[Any, Any] | None = None,
) -> ir.Table:
    """One row per rep with rep_id, rep_name, every rep performance metric (unrounded), and
    ``days_elapsed`` of the ``days_in_year`` of the fiscal year at ``as_of`` (pace's
    basis). ``per_rep`` is ``deals_by_rep(deals)``. ``days``: those two numbers as a
    compiled plan's parameters (``year_days`` of ``as_of`` when not given)."""
    number, length = days or year_days(as_of, policy.calendar.fiscal_year_start_month)
    per_rep = per_rep.filter(per_rep.rep_id.notnull())
    joined = unique_reps(reps).left_join(per_rep, "rep_id")
    joined = joined.select(
        "rep_id",
        "rep_name",
        "close_rate",
        "quota_usd",
        "year_to_date_revenue_usd",
        active_deals=joined.active_deals.fill_null(0),
        pipeline_value=joined.pipeline_value.fill_null(ibis.literal(0, MONEY_SUM)),
        won_deals=joined.won_deals.fill_null(0),
        lost_deals=joined.lost_deals.fill_null(0),
        won_value=joined.won_value.fill_null(ibis.literal(0, MONEY_SUM)),
        days_elapsed=as_value(number, "int64"),
        days_in_year=as_value(length, "int64"),
    )
    return joined.mutate(
        **{m.name: m.expr(joined, policy) for m in REP_PERFORMANCE_METRICS},
        **ratio_parts(joined, "quota_achievement", "pace", "close_rate"),
    ).order_by("rep_id")


def top_opportunities(deals: ir.Table, policy: Policy) -> ir.Table:
    """Per rep_id in the deals: up to reps.top_opportunities active deals by value x
    probability, desc, ties by deal_id; columns rep_id, deal_id, rank (0-based). Rows of
    rep ids that are not in the reps input are simply not looked up."""
    active = deals.filter(is_active(deals) & deals.rep_id.notnull())
    active = active.select("rep_id", deal_id=deal_label(active), ev=expected_value(active))
    # 1-based position, filtered with <=: the form Spark's window group limit recognises
    # (with the Spark compiler fix in engines/spark_compiler.py), so it keeps k rows per rep.
    window = ibis.window(group_by=active.rep_id, order_by=[ibis.desc(active.ev), active.deal_id])
    position = ibis.row_number().over(window) + 1
    ranked = active.mutate(_position=position)
    kept = ranked.filter(ranked._position <= policy.reps.top_opportunities)
    return kept.select("rep_id", "deal_id", rank=kept._position - 1)
