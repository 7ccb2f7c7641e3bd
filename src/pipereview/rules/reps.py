"""Rep rules: needs_coaching, coaching_candidate, benchmark, pipeline_declining.

They read the rep sections (metrics/), so a flag is raised exactly when the section's
boolean or trend says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pipereview.metrics.trajectory import attainment_below, velocity_matches
from pipereview.rules.base import Rule, RuleInputs, money, number, register


def _name(subject: str, o: Mapping[str, Any]) -> str:
    return f"Rep {subject} ({o['rep_name']})" if o.get("rep_name") else f"Rep {subject}"


def _needs_coaching(i: RuleInputs, p: Any) -> Any:
    r = i.rep_performance.filter(i.rep_performance.needs_coaching)
    return r.mutate(subject_id=r.rep_id, _priority=-r.quota_achievement)


def _needs_coaching_message(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    return (
        f"{_name(s, o)} has achieved {number(o['quota_achievement'])} of quota "
        f"({money(o['year_to_date_revenue_usd'])} of {money(o['quota_usd'])} year to date), "
        f"below {number(t['needs_coaching_below'])}."
    )


def _trajectory(i: RuleInputs, where: Any, priority: Any) -> Any:
    r = i.rep_trajectory
    r = r.filter(where(r))
    return r.mutate(subject_id=r.rep_id, _priority=priority(r))


def _coaching_message(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    reasons = []
    if o["velocity_matches"]:
        reasons.append(f"risk velocity is {o['risk_velocity_flag']}")
    pct = o.get("quota_attainment_pct")
    closed, quota = o.get("closed_won_3m_current"), o.get("quota_3m")
    if o["attainment_below"]:
        reasons.append(
            f"closed {money(closed)} of a {money(quota)} 3-month quota ({number(pct)}%), "
            f"below {number(t['coaching_attainment_below_pct'])}%"
        )
    return f"{_name(s, o)} is a coaching candidate: {'; '.join(reasons)}."


def _benchmark_message(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    return (
        f"{_name(s, o)} has the highest 3-month quota attainment, "
        f"{number(o['quota_attainment_pct'])}% ({money(o['closed_won_3m_current'])} of "
        f"{money(o['quota_3m'])})."
    )


def _declining_message(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    return (
        f"{_name(s, o)}'s pipeline fell {number(abs(o['pipeline_change_pct']))}% "
        f"({money(o['previous_pipeline_value'])} to {money(o['current_pipeline_value'])}), "
        f"beyond the {number(t['trend_band_pct'])}% band."
    )


NEEDS_COACHING = register(
    Rule(
        id="needs_coaching",
        subject_type="rep",
        severity="warning",
        description="Quota achievement (YTD revenue / quota) below reps.needs_coaching_below.",
        select=_needs_coaching,
        observed=(
            ("rep_name", "text"),
            ("quota_achievement", "ratio"),
            ("year_to_date_revenue_usd", "usd"),
            ("quota_usd", "usd"),
        ),
        thresholds=lambda p: {"needs_coaching_below": p.reps.needs_coaching_below},
        message=_needs_coaching_message,
    )
)

COACHING_CANDIDATE = register(
    Rule(
        id="coaching_candidate",
        subject_type="rep",
        severity="info",
        description="Risk velocity is trajectory.coaching_risk_velocity, or closed_won_3m_current "
        "is below trajectory.coaching_attainment_below_pct percent of quota_3m.",
        select=lambda i, p: _trajectory(
            i, lambda r: r.coaching_candidate, lambda r: -r.quota_attainment_pct.fill_null(0.0)
        ).mutate(
            velocity_matches=lambda r: velocity_matches(r, p),
            attainment_below=lambda r: attainment_below(r, p),
        ),
        observed=(
            ("rep_name", "text"),
            ("velocity_matches", "flag"),
            ("attainment_below", "flag"),
            ("risk_velocity_flag", "text"),
            ("quota_attainment_pct", "pct"),
            ("closed_won_3m_current", "usd"),
            ("quota_3m", "usd"),
        ),
        thresholds=lambda p: {
            "coaching_risk_velocity": p.trajectory.coaching_risk_velocity,
            "coaching_attainment_below_pct": p.trajectory.coaching_attainment_below_pct,
        },
        message=_coaching_message,
    )
)

BENCHMARK = register(
    Rule(
        id="benchmark",
        subject_type="rep",
        severity="info",
        description="The one rep with the highest 3-month attainment among reps with a quota_3m "
        "(ties: lowest rep_id).",
        select=lambda i, p: _trajectory(i, lambda r: r.benchmark, lambda r: r.quota_attainment_pct),
        observed=(
            ("rep_name", "text"),
            ("quota_attainment_pct", "pct"),
            ("closed_won_3m_current", "usd"),
            ("quota_3m", "usd"),
        ),
        thresholds=lambda p: {},
        message=_benchmark_message,
    )
)

PIPELINE_DECLINING = register(
    Rule(
        id="pipeline_declining",
        subject_type="rep",
        severity="warning",
        description="Pipeline fell by more than trajectory.trend_band_pct percent "
        "(pipeline_trend is `declining`).",
        select=lambda i, p: _trajectory(
            i, lambda r: r.pipeline_trend == "declining", lambda r: -r.pipeline_change_pct
        ),
        observed=(
            ("rep_name", "text"),
            ("pipeline_change_pct", "pct"),
            ("current_pipeline_value", "usd"),
            ("previous_pipeline_value", "usd"),
        ),
        thresholds=lambda p: {"trend_band_pct": p.trajectory.trend_band_pct},
        message=_declining_message,
    )
)
