"""The ``changes`` section: what moved since an earlier snapshot, each change with its two
values.

The pipeline numbers and the reps' figures are compared with the report stored with the
earlier snapshot (the numbers shown then, already rounded); the change is after - before of
those shown values. Deal movements (won and lost since, new and resolved stalls, newly at
risk) are computed in the engine from both snapshots' canonical deals, judged with today's
policy (``metrics/changes.py``). ``same_policy`` says whether the earlier report was built
with the same policy.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

import ibis

from pipereview.engines import Engine
from pipereview.metrics.base import Unit
from pipereview.metrics.changes import (
    MOVEMENTS,
    deal_movements,
    movement_totals,
)
from pipereview.policy import Policy
from pipereview.report.inputs import Earlier
from pipereview.report.model import (
    Changes,
    DealMovement,
    MetricChange,
    PipelineSummary,
    RepChange,
    RepPerformance,
    RepTrajectory,
    round_value,
)
from pipereview.rules import Rule
from pipereview.rules.custom import user_rules

# Pipeline numbers compared, with their unit (which decides how the change is rounded).
PIPELINE_CHANGES: dict[str, Unit] = {
    "total_pipeline_value": "usd",
    "weighted_pipeline_value": "usd",
    "win_rate": "ratio",
    "active_deals": "count",
    "won_deals": "count",
    "lost_deals": "count",
    "stalled_deals_count": "count",
    "at_risk_deals_count": "count",
}
REP_CHANGES: dict[str, Unit] = {"quota_achievement": "ratio", "quota_attainment_pct": "pct"}


def _as_unit(unit: Unit, value: Any) -> Any:
    """A value read back from stored JSON (numbers as Decimal), typed like the report's."""
    if value is None:
        return None
    if unit == "usd":
        return Decimal(value)
    if unit == "count":
        return int(value)
    return float(value) + 0.0  # a report stored before D35 may hold -0.0


def _difference(unit: Unit, before: Any, after: Any) -> Any:
    """after - before, rounded like the unit (money stays exact: both are cents)."""
    if unit == "usd":
        return after - before
    return round_value(unit, Fraction(repr(after)) - Fraction(repr(before)))  # as shown


def _pipeline(earlier: dict[str, Any], now: PipelineSummary) -> list[MetricChange]:
    changes = []
    for metric, unit in PIPELINE_CHANGES.items():
        before, after = _as_unit(unit, earlier.get(metric)), getattr(now, metric)
        if before is None or after is None:
            continue  # a report stored by an older version may lack a number
        pct = None
        if unit == "usd" and before > 0:
            pct = round_value("pct", Fraction(after - before) / Fraction(before) * 100)
        change = _difference(unit, before, after)
        changes.append(
            MetricChange(metric=metric, before=before, after=after, change=change, change_pct=pct)
        )
    return changes


def _reps(
    earlier: dict[str, Any], performance: list[RepPerformance], trajectory: list[RepTrajectory]
) -> list[RepChange]:
    then = {
        "quota_achievement": {r["rep_id"]: r for r in earlier.get("rep_performance", [])},
        "quota_attainment_pct": {r["rep_id"]: r for r in earlier.get("rep_trajectory", [])},
    }
    now: dict[str, list[Any]] = {
        "quota_achievement": performance,
        "quota_attainment_pct": trajectory,
    }
    moved: list[RepChange] = []
    for metric, unit in REP_CHANGES.items():
        rows = []
        for rep in now[metric]:
            old = then[metric].get(rep.rep_id, {})
            before, after = _as_unit(unit, old.get(metric)), getattr(rep, metric)
            if before is None or after is None or before == after:
                continue
            change = _difference(unit, before, after)
            rows.append(
                RepChange(
                    rep_id=rep.rep_id,
                    rep_name=rep.rep_name,
                    metric=metric,
                    before=before,
                    after=after,
                    change=change,
                    direction="up" if after > before else "down",
                )
            )
        moved += sorted(rows, key=lambda r: (-abs(r.change), r.rep_id))
    return moved


def _movements(
    engine: Engine, earlier: Earlier, deals: Any, policy: Policy, as_of: dt.date
) -> list[DealMovement]:
    flagged = {
        rule.id: _judged_at(rule, policy, earlier.as_of, as_of)
        for rule in user_rules(policy)
        if rule.where is not None
    }
    moved = engine.cache(deal_movements(earlier.deals, deals, policy, flagged))
    totals = {row["movement"]: row for row in engine.rows(movement_totals(moved))}
    cap = policy.flags.max_per_rule
    out = []
    for movement in [*MOVEMENTS, *(f"newly_flagged:{rule}" for rule in flagged)]:
        total = totals.get(movement)
        ids: list[str] = []
        if total:
            these = moved.filter(moved.movement == movement)
            these = these.order_by([ibis.desc("value"), "deal_id"])
            ids = [r["deal_id"] for r in engine.rows(these.limit(cap) if cap else these)]
        out.append(
            DealMovement(
                movement=movement,
                deals=int(total["deals"]) if total else 0,
                value=round_value("usd", total["value"] if total else Decimal(0)),
                deal_ids=ids,
            )
        )
    return out


def _judged_at(rule: Rule, policy: Policy, then: dt.date, now: dt.date) -> tuple[Any, Any]:
    """A deal rule's condition at the earlier snapshot's date and at today's."""
    where = rule.where
    assert where is not None
    return (lambda d: where(d, policy, then)), (lambda d: where(d, policy, now))


def build_changes(
    engine: Engine,
    earlier: Earlier,
    deals: Any,
    *,
    policy: Policy,
    summary: PipelineSummary,
    performance: list[RepPerformance],
    trajectory: list[RepTrajectory],
    untracked: int,
    as_of: dt.date,
) -> Changes:
    """The changes since ``earlier`` for today's deals and report sections. ``untracked``:
    today's rows without a deal_id (the missing_deal_id count of the report's scan)."""
    stored = earlier.stored
    return Changes(
        compared_to=earlier.as_of,
        same_policy=stored.get("policy_fingerprint") == policy.fingerprint(),
        pipeline=_pipeline(stored.get("pipeline_summary", {}), summary),
        deals=_movements(engine, earlier, deals, policy, as_of),
        deals_without_id=untracked,
        reps=_reps(stored, performance, trajectory),
    )
