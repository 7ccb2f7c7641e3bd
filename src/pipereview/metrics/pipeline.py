"""Pipeline summary: one row over all deals (grain: the whole input)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from pipereview.metrics.base import (
    Metric,
    deal_value,
    expected_value,
    is_active,
    is_at_risk,
    is_lost,
    is_stalled,
    is_won,
)
from pipereview.policy import Policy

PIPELINE_METRICS: tuple[Metric, ...] = (
    Metric("total_deals", "count", "Every deal row, whatever its status.", lambda d, p: d.count()),
    Metric(
        "active_deals",
        "count",
        "Deals with status `active`.",
        lambda d, p: d.count(where=is_active(d)),
    ),
    Metric("won_deals", "count", "Deals with status `won`.", lambda d, p: d.count(where=is_won(d))),
    Metric(
        "lost_deals", "count", "Deals with status `lost`.", lambda d, p: d.count(where=is_lost(d))
    ),
    Metric(
        "total_pipeline_value",
        "usd",
        "Sum of active deal values.",
        lambda d, p: deal_value(d).sum(where=is_active(d)),
    ),
    Metric(
        "weighted_pipeline_value",
        "usd",
        "Sum of active value x probability.",
        lambda d, p: expected_value(d).sum(where=is_active(d)),
    ),
    Metric(
        "stalled_deals_count",
        "count",
        "Active deals with days_in_stage >= pipeline.stalled_deal_days_in_stage.",
        lambda d, p: d.count(where=is_stalled(d, p)),
    ),
    Metric(
        "at_risk_deals_count",
        "count",
        "Active deals with at least one risk flag.",
        lambda d, p: d.count(where=is_at_risk(d)),
    ),
)

# Derived from the aggregates above (``a`` is the one-row aggregate table).
DERIVED_PIPELINE_METRICS: tuple[Metric, ...] = (
    Metric(
        "average_deal_size",
        "usd",
        "total_pipeline_value / active_deals (0 when none).",
        lambda a: ibis.ifelse(a.active_deals > 0, a.total_pipeline_value / a.active_deals, 0.0),
    ),
    Metric(
        "win_rate",
        "ratio",
        "won_deals / (won_deals + lost_deals) (0 when none).",
        lambda a: ibis.ifelse(
            a.won_deals + a.lost_deals > 0, a.won_deals / (a.won_deals + a.lost_deals), 0.0
        ),
    ),
)


def pipeline_summary(deals: ir.Table, policy: Policy) -> ir.Table:
    """One-row table with every pipeline metric, unrounded; empty sums are 0."""
    agg = deals.aggregate(**{m.name: m.expr(deals, policy) for m in PIPELINE_METRICS})
    agg = agg.mutate(
        total_pipeline_value=agg.total_pipeline_value.fill_null(0.0),
        weighted_pipeline_value=agg.weighted_pipeline_value.fill_null(0.0),
    )
    return agg.mutate(**{m.name: m.expr(agg) for m in DERIVED_PIPELINE_METRICS})
