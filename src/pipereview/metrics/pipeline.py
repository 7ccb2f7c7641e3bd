"""Pipeline summary: one row over all deals (grain: the whole input)."""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

import ibis.expr.types as ir

from pipereview.engines import count_if
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
)
from pipereview.policy import Policy
from pipereview.schema import MONEY_SUM, WEIGHTED

PIPELINE_METRICS: tuple[Metric, ...] = (
    Metric("total_deals", "count", "Every deal row, whatever its status.", lambda d, p: d.count()),
    Metric(
        "active_deals",
        "count",
        "Deals with status `active`.",
        lambda d, p: count_if(d, is_active(d)),
    ),
    Metric("won_deals", "count", "Deals with status `won`.", lambda d, p: count_if(d, is_won(d))),
    Metric(
        "lost_deals", "count", "Deals with status `lost`.", lambda d, p: count_if(d, is_lost(d))
    ),
    Metric(
        "total_pipeline_value",
        "usd",
        "Sum of active deal values.",
        lambda d, p: money_sum(deal_value(d), is_active(d), MONEY_SUM),
    ),
    Metric(
        "weighted_pipeline_value",
        "usd",
        "Sum of active value x probability.",
        lambda d, p: money_sum(expected_value(d), is_active(d), WEIGHTED),
    ),
    Metric(
        "stalled_deals_count",
        "count",
        "Active deals with days_in_stage >= pipeline.stalled_deal_days_in_stage.",
        lambda d, p: count_if(d, is_stalled(d, p)),
    ),
    Metric(
        "at_risk_deals_count",
        "count",
        "Active deals with at least one risk flag.",
        lambda d, p: count_if(d, is_at_risk(d)),
    ),
)

# Derived in Python from the exact aggregates above (``a`` is the aggregate row as a dict):
# a decimal division here is exact to 60 digits and the win rate an exact fraction, so the
# report rounds an exact value once.
DERIVED_PIPELINE_METRICS: tuple[Metric, ...] = (
    Metric(
        "average_deal_size",
        "usd",
        "total_pipeline_value / active_deals (0 when none).",
        lambda a: (
            Decimal(a["total_pipeline_value"]) / a["active_deals"]
            if a["active_deals"]
            else Decimal(0)
        ),
    ),
    Metric(
        "win_rate",
        "ratio",
        "won_deals / (won_deals + lost_deals) (0 when none).",
        lambda a: (
            Fraction(a["won_deals"], a["won_deals"] + a["lost_deals"])
            if a["won_deals"] + a["lost_deals"]
            else Fraction(0)
        ),
    ),
)


def pipeline_aggregates(deals: ir.Table, policy: Policy) -> dict[str, ir.Scalar]:
    """Every aggregate pipeline metric, unrounded, to fuse into one scan of the deals."""
    return {m.name: m.expr(deals, policy) for m in PIPELINE_METRICS}


def pipeline_summary(row: dict[str, Any]) -> dict[str, Any]:
    """The aggregate row plus the derived metrics, in model order, unrounded."""
    with localcontext() as ctx:
        ctx.prec = 60  # the quotient is exact far beyond the cents the report rounds to
        derived = {m.name: m.expr(row) for m in DERIVED_PIPELINE_METRICS}
    names = [m.name for m in PIPELINE_METRICS]
    return {**{n: row[n] for n in names[:6]}, **derived, **{n: row[n] for n in names[6:]}}


# Grain: one row per stage of the active deals (a missing stage is its own row, null).
STAGE_PIPELINE_METRICS: tuple[Metric, ...] = (
    Metric(
        "active_deals", "count", "Active deals in the stage.", lambda d: count_if(d, is_active(d))
    ),
    Metric(
        "pipeline_value",
        "usd",
        "Sum of the stage's active deal values.",
        lambda d: money_sum(deal_value(d), is_active(d), MONEY_SUM),
    ),
    Metric(
        "weighted_pipeline_value",
        "usd",
        "Sum of the stage's active value x probability.",
        lambda d: money_sum(expected_value(d), is_active(d), WEIGHTED),
    ),
)


def pipeline_by_stage(deals: ir.Table) -> ir.Table:
    """Active deals grouped by stage (as written, null included): count, value, weighted
    value, exact. The exact rows add up to the pipeline summary's active figures."""
    active = deals.filter(is_active(deals))
    return active.group_by("stage").aggregate(
        **{m.name: m.expr(active) for m in STAGE_PIPELINE_METRICS}
    )
