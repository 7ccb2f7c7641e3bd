"""Building the velocity report (its model is in ``model.py``): days in each stage,
conversion to the next, win rate by furthest stage reached, and cycle time (created to won)
with its trend by close month."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from pipereview.engines import Engine
from pipereview.metrics.velocity import (
    cycle_by_month,
    cycle_overall,
    cycle_times,
    deal_outcomes,
    first_seen_order,
    probability_order,
    stage_days,
    stage_names,
    stage_stats,
)
from pipereview.names import fold_text
from pipereview.policy import Policy
from pipereview.report.model import (
    CycleTime,
    OrderSource,
    StageVelocity,
    Velocity,
    VelocitySource,
    round_value,
)


def _share(part: int, whole: int) -> float | None:
    return round_value("ratio", Fraction(part, whole)) if whole else None


def _cycle(row: dict[str, Any], month: str | None) -> CycleTime:
    return CycleTime(
        month=month,
        won_deals=int(row["won_deals"]),
        mean_days=round_value("days", row["mean_days"]),
        median_days=round_value("days", row["median_days"]),
    )


def _order(
    engine: Engine, per_deal: Any, deals: Any, policy: Policy
) -> tuple[list[str], list[str], OrderSource]:
    """The stage order (names as shown), the stages seen but not in it, and where the order
    came from: the policy's, else the deals' average probability per stage (the funnel as
    the data shows it; stages without one follow, first seen first), else first seen."""
    seen = engine.rows(first_seen_order(per_deal))
    if not policy.velocity.stage_order:
        mean = {
            r["_stage"]: Fraction(r["s"]) / int(r["n"])
            for r in engine.rows(probability_order(deals))
        }
        if not any(r["_stage"] in mean for r in seen):
            return [r["name"] for r in seen], [], "first_seen"
        # by probability, ties and stages without one in first-seen order (a stable sort)
        funnel = sorted(seen, key=lambda r: (r["_stage"] not in mean, mean.get(r["_stage"], 0)))
        return [r["name"] for r in funnel], [], "probability"
    ordered = {fold_text(s) for s in policy.velocity.stage_order}
    others = [r["name"] for r in seen if r["_stage"] not in ordered]
    return list(policy.velocity.stage_order), others, "policy"


def build_velocity(
    engine: Engine,
    intervals: Any,
    deals: Any,
    *,
    as_of: dt.date,
    policy: Policy,
    source: VelocitySource,
) -> Velocity:
    """The Velocity from stage intervals (``metrics.velocity``) and the canonical deals."""
    names = engine.cache(stage_names(intervals))
    outcomes = engine.cache(deal_outcomes(deals))
    per_deal = engine.cache(stage_days(intervals, outcomes, as_of, policy, names))
    order, others, order_source = _order(engine, per_deal, deals, policy)
    stats = engine.rows(stage_stats(per_deal, order).order_by("stage_rank")) if order else []
    stages = [
        StageVelocity(
            stage=order[row["stage_rank"]],
            deals=int(row["deals"]),
            deals_with_days=int(row["known_days"]),
            mean_days=round_value("days", row["mean_days"]),
            median_days=round_value("days", row["median_days"]),
            open_deals=int(row["open_deals"]),
            reached=int(row["reached"]),
            advanced=int(row["advanced"]),
            next_stage=order[row["stage_rank"] + 1]
            if row["stage_rank"] + 1 < len(order)
            else "won",
            conversion_rate=_share(int(row["advanced"]), int(row["reached"])),
            won=int(row["won"]),
            lost=int(row["lost"]),
            win_rate=_share(int(row["won"]), int(row["won"]) + int(row["lost"])),
        )
        for row in stats
    ]
    cycles = engine.cache(cycle_times(outcomes, intervals, as_of))  # read twice below
    months = engine.rows(cycle_by_month(cycles).order_by("month"))
    return Velocity(
        as_of=as_of,
        source=source,
        stage_order_source=order_source,
        stages=stages,
        other_stages=others,
        cycle_time=_cycle(engine.one(cycle_overall(cycles)), None),
        cycle_time_by_month=[_cycle(r, r["month"]) for r in months],
    )
