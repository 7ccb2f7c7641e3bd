"""Deal rules: stalled_deal and at_risk_deal (active deals only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipereview.metrics.base import (
    days_in_stage,
    deal_value,
    is_at_risk,
    is_stalled,
    risk_flag_count,
)
from pipereview.rules.base import Rule, RuleInputs, money, number, register
from pipereview.sources.quality import deal_label


def _deal_rows(inputs: RuleInputs, flagged: Any) -> Any:
    d = inputs.deals.filter(flagged)
    return d.select(
        subject_id=deal_label(d),
        _priority=deal_value(d),
        rep_id=d.rep_id,
        stage=d.stage,
        days_in_stage=days_in_stage(d),
        deal_value_usd=deal_value(d),
        risk_flags=d.risk_flags,
        risk_flag_count=risk_flag_count(d),
    )


def _stalled_message(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    stage = f" in stage {o['stage']}" if o.get("stage") else ""
    return (
        f"Deal {subject}{stage} has been in its stage {number(o['days_in_stage'])} days, "
        f"at or above the {t['stalled_deal_days_in_stage']}-day threshold "
        f"(value {money(o['deal_value_usd'])})."
    )


def _at_risk_message(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    count = o["risk_flag_count"]
    return (
        f"Deal {subject} carries {count} risk flag{'s' if count != 1 else ''} "
        f"({', '.join(o['risk_flags'])}), at least {t['min_risk_flags']} "
        f"(value {money(o['deal_value_usd'])})."
    )


STALLED_DEAL = register(
    Rule(
        id="stalled_deal",
        subject_type="deal",
        severity="warning",
        description="Active deal with days_in_stage >= pipeline.stalled_deal_days_in_stage.",
        select=lambda i, p: _deal_rows(i, is_stalled(i.deals, p)),
        where=is_stalled,
        observed=(
            ("rep_id", "text"),
            ("stage", "text"),
            ("days_in_stage", "days"),
            ("deal_value_usd", "usd"),
        ),
        thresholds=lambda p: {"stalled_deal_days_in_stage": p.pipeline.stalled_deal_days_in_stage},
        message=_stalled_message,
    )
)

AT_RISK_DEAL = register(
    Rule(
        id="at_risk_deal",
        subject_type="deal",
        severity="warning",
        description="Active deal with at least one risk flag.",
        select=lambda i, p: _deal_rows(i, is_at_risk(i.deals)),
        where=lambda d, p: is_at_risk(d),
        observed=(
            ("rep_id", "text"),
            ("risk_flags", "text"),
            ("risk_flag_count", "count"),
            ("deal_value_usd", "usd"),
        ),
        thresholds=lambda p: {"min_risk_flags": 1},
        message=_at_risk_message,
    )
)
