"""Deal rules: stalled_deal, at_risk_deal, stale_high_probability and past_close_date
(active deals only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir

from pipereview.inputs.canonical import deal_label
from pipereview.metrics.base import (
    date_value,
    days_in_stage,
    deal_value,
    is_at_risk,
    is_stale_high_probability,
    is_stalled,
    probability,
    risk_flag_count,
    stall_threshold,
)
from pipereview.metrics.forecast import is_past_close_date
from pipereview.names import fold_text
from pipereview.policy import Policy
from pipereview.rules.base import Compare, Rule, RuleInputs, money, number, percent, register


def deal_rows(inputs: RuleInputs, fired: ir.BooleanValue, **extra: Any) -> ir.Table:
    """Every deal as a deal rule judges it: the evidence every deal flag carries, and
    ``extra`` columns."""
    d = inputs.deals
    return d.select(
        subject_id=deal_label(d),
        _priority=deal_value(d),
        _fired=fired,
        status=d.status,
        rep_id=d.rep_id,
        stage=d.stage,
        days_in_stage=days_in_stage(d),
        deal_value_usd=deal_value(d),
        risk_flags=d.risk_flags,
        risk_flag_count=risk_flag_count(d),
        **extra,
    )


def _stall_thresholds(policy: Policy, row: Mapping[str, Any]) -> dict[str, Any]:
    """The threshold the engine applied to this deal (``_threshold``), under the policy key
    it comes from."""
    days = int(row["_threshold"])
    stage = row.get("stage")
    if stage is not None:
        for name in policy.pipeline.stalled_days_by_stage:
            if fold_text(name) == fold_text(stage):
                return {"stalled_days_by_stage": {name: days}}
    return {"stalled_deal_days_in_stage": days}


def _days(t: Mapping[str, Any]) -> int:
    by_stage = t.get("stalled_days_by_stage")
    return int(next(iter(by_stage.values()))) if by_stage else int(t["stalled_deal_days_in_stage"])


def _threshold_text(t: Mapping[str, Any]) -> str:
    by_stage = t.get("stalled_days_by_stage")
    suffix = f" for {next(iter(by_stage))}" if by_stage else ""
    return f"the {_days(t)}-day threshold{suffix}"


def in_stage(o: Mapping[str, Any]) -> str:
    return f" in stage {o['stage']}" if o.get("stage") else ""


def inactive(subject: str, o: Mapping[str, Any]) -> str | None:
    if o.get("status") == "active":
        return None
    status = "no status" if o.get("status") is None else f"status {o['status']!r}"
    return f"Deal {subject} is not active ({status}); only active deals are judged."


def _stalled_message(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    return (
        f"Deal {subject}{in_stage(o)} has been in its stage {number(o['days_in_stage'])} days, "
        f"at or above {_threshold_text(t)} (value {money(o['deal_value_usd'])})."
    )


def _stalled_quiet(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    return inactive(subject, o) or (
        f"Deal {subject}{in_stage(o)} has been in its stage {number(o['days_in_stage'])} days, "
        f"below {_threshold_text(t)}."
    )


def _flag_list(o: Mapping[str, Any]) -> str:
    flags = list(o.get("risk_flags") or [])
    return ", ".join(flags)


def _at_risk_message(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    count = o["risk_flag_count"]
    noun = "a risk flag" if count == 1 else f"{count} risk flags"
    return f"Deal {subject} carries {noun}: {_flag_list(o)} (value {money(o['deal_value_usd'])})."


def _at_risk_quiet(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    return inactive(subject, o) or f"Deal {subject} carries no risk flag."


def _stalled_judge(i: RuleInputs, p: Policy) -> ir.Table:
    return deal_rows(i, is_stalled(i.deals, p), _threshold=stall_threshold(i.deals, p))


DEAL_OBSERVED: tuple[tuple[str, Any], ...] = (
    ("status", "text"),
    ("rep_id", "text"),
    ("stage", "text"),
)

STALLED_DEAL = register(
    Rule(
        id="stalled_deal",
        subject_type="deal",
        severity="warning",
        description="Active deal with days_in_stage at or above its stage's threshold "
        "(pipeline.stalled_days_by_stage, else pipeline.stalled_deal_days_in_stage).",
        judge=_stalled_judge,
        where=lambda d, p, as_of: is_stalled(d, p),
        observed=(
            *DEAL_OBSERVED,
            ("days_in_stage", "days"),
            ("deal_value_usd", "usd"),
        ),
        thresholds=_stall_thresholds,
        message=_stalled_message,
        quiet=_stalled_quiet,
    )
)

AT_RISK_DEAL = register(
    Rule(
        id="at_risk_deal",
        subject_type="deal",
        severity="warning",
        description="Active deal with at least one risk flag.",
        judge=lambda i, p: deal_rows(i, is_at_risk(i.deals)),
        where=lambda d, p, as_of: is_at_risk(d),
        observed=(
            *DEAL_OBSERVED,
            ("risk_flags", "text"),
            ("risk_flag_count", "count"),
            ("deal_value_usd", "usd"),
        ),
        thresholds=lambda p, row: {"min_risk_flags": 1},
        message=_at_risk_message,
        quiet=_at_risk_quiet,
    )
)


def _stale_message(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    return (
        f"Deal {subject}{in_stage(o)} is at {percent(o['probability'])} probability after "
        f"{number(o['days_in_stage'])} days in its stage, at or above both "
        f"{percent(t['high_probability'])} and {number(t['extreme_days_in_stage'])} days "
        f"(value {money(o['deal_value_usd'])})."
    )


def _stale_quiet(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    not_active = inactive(subject, o)
    if not_active:
        return not_active
    high = o["probability"] >= t["high_probability"]
    old = o["days_in_stage"] >= t["extreme_days_in_stage"]
    why = (
        f"probability {percent(o['probability'])} is "
        f"{'at or above' if high else 'below'} {percent(t['high_probability'])} and "
        f"{number(o['days_in_stage'])} days in its stage are "
        f"{'at or above' if old else 'below'} {number(t['extreme_days_in_stage'])}"
    )
    return f"Deal {subject}{in_stage(o)} is not a stale high-probability deal: {why}."


STALE_HIGH_PROBABILITY = register(
    Rule(
        id="stale_high_probability",
        subject_type="deal",
        severity="warning",
        description="Active deal with probability at or above pipeline.high_probability and "
        "days_in_stage at or above pipeline.extreme_days_in_stage.",
        judge=lambda i, p: deal_rows(
            i, is_stale_high_probability(i.deals, p), probability=probability(i.deals)
        ),
        where=lambda d, p, as_of: is_stale_high_probability(d, p),
        observed=(
            *DEAL_OBSERVED,
            ("probability", "ratio"),
            ("days_in_stage", "days"),
            ("deal_value_usd", "usd"),
        ),
        thresholds=lambda p, row: {
            "high_probability": p.pipeline.high_probability,
            "extreme_days_in_stage": p.pipeline.extreme_days_in_stage,
        },
        message=_stale_message,
        quiet=_stale_quiet,
        compares=(
            Compare("probability", ">=", "high_probability"),
            Compare("days_in_stage", ">=", "extreme_days_in_stage"),
        ),
    )
)


def _past_judge(i: RuleInputs, p: Policy) -> ir.Table:
    d = i.deals
    return deal_rows(
        i,
        is_past_close_date(d, i.as_of),
        close_date=d.close_date.cast("string"),
        days_past_close_date=date_value(i.as_of).delta(d.close_date, unit="day"),
        _threshold=i.as_of_iso(),
    )


def _past_message(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    days = o["days_past_close_date"]
    return (
        f"Deal {subject}{in_stage(o)} is still active {number(days)} "
        f"{'day' if days == 1 else 'days'} after its close date {o['close_date']} "
        f"(value {money(o['deal_value_usd'])})."
    )


def _past_quiet(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    not_active = inactive(subject, o)
    if not_active:
        return not_active
    if o.get("close_date") is None:
        return f"Deal {subject} has no close date, so it cannot be past it."
    return f"Deal {subject}'s close date {o['close_date']} is not before {t['as_of']}."


PAST_CLOSE_DATE = register(
    Rule(
        id="past_close_date",
        subject_type="deal",
        severity="warning",
        description="Active deal whose close_date is before as_of (it slipped: the close date "
        "needs updating or the deal closing).",
        judge=_past_judge,
        where=lambda d, p, as_of: is_past_close_date(d, as_of),
        observed=(
            *DEAL_OBSERVED,
            ("close_date", "text"),
            ("days_past_close_date", "count"),
            ("deal_value_usd", "usd"),
        ),
        thresholds=lambda p, row: {"as_of": row["_threshold"]},
        message=_past_message,
        quiet=_past_quiet,
    )
)
