"""Rep performance summary: one row per rep (grain: rep_id), plus each rep's top deals."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from pipereview.metrics.base import (
    Metric,
    as_float,
    deal_value,
    expected_value,
    is_active,
    is_lost,
    is_won,
    money_sum,
    safe_ratio,
)
from pipereview.policy import Policy
from pipereview.schema import MONEY_SUM
from pipereview.sources.engine import count_if
from pipereview.sources.quality import deal_label, unique_reps

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
        lambda r, p: as_float(r.close_rate).coalesce(
            safe_ratio(r.won_deals, r.won_deals + r.lost_deals)
        ),
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
        "needs_coaching",
        "flag",
        "quota_achievement < reps.needs_coaching_below (unrounded; false when null).",
        lambda r, p: (quota_achievement(r) < p.reps.needs_coaching_below).fill_null(False),
    ),
)


def quota_achievement(r: ir.Table) -> ir.FloatingValue:
    """Year-to-date revenue over annual quota (null without a positive quota)."""
    return safe_ratio(r.year_to_date_revenue_usd, r.quota_usd)


def deals_by_rep(deals: ir.Table) -> ir.Table:
    """Per rep_id (null included): deal rows, active count, active value, won and lost
    counts. Small (one row per rep), so the report keeps it and reads it twice: for the rep
    rows and for the deals whose rep is not in the reps input."""
    return deals.group_by("rep_id").aggregate(
        deals=deals.count(),
        active_deals=count_if(deals, is_active(deals)),
        pipeline_value=money_sum(deal_value(deals), is_active(deals), MONEY_SUM),
        won_deals=count_if(deals, is_won(deals)),
        lost_deals=count_if(deals, is_lost(deals)),
    )


def rep_performance(per_rep: ir.Table, reps: ir.Table, policy: Policy) -> ir.Table:
    """One row per rep with rep_id, rep_name and every rep performance metric, unrounded.
    ``per_rep`` is ``deals_by_rep(deals)``."""
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
    )
    return joined.mutate(
        **{m.name: m.expr(joined, policy) for m in REP_PERFORMANCE_METRICS}
    ).order_by("rep_id")


def top_opportunities(deals: ir.Table, policy: Policy) -> ir.Table:
    """Per rep_id in the deals: up to reps.top_opportunities active deals by value x
    probability, desc, ties by deal_id; columns rep_id, deal_id, rank (0-based). Rows of
    rep ids that are not in the reps input are simply not looked up."""
    active = deals.filter(is_active(deals) & deals.rep_id.notnull())
    active = active.select("rep_id", deal_id=deal_label(active), ev=expected_value(active))
    rank = ibis.row_number().over(
        group_by=active.rep_id, order_by=[ibis.desc(active.ev), active.deal_id]
    )
    ranked = active.mutate(rank=rank)
    return ranked.filter(ranked["rank"] < policy.reps.top_opportunities).select(
        "rep_id", "deal_id", "rank"
    )
