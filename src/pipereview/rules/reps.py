"""Rep rules: needs_coaching, coaching_candidate, benchmark, pipeline_declining, low_coverage.

They read the rep sections (metrics/), so a flag is raised exactly when the section's
boolean or trend says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import ibis.expr.types as ir

from pipereview.metrics.trajectory import attainment_below, velocity_matches
from pipereview.policy import Policy
from pipereview.rules.base import Compare, Rule, RuleInputs, money, number, percent, register

CENT = Decimal("0.01")


def _name(subject: str, o: Mapping[str, Any]) -> str:
    return f"Rep {subject} ({o['rep_name']})" if o.get("rep_name") else f"Rep {subject}"


def _performance(i: RuleInputs, p: Policy) -> ir.Table:
    r = i.rep_performance
    basis = r.pace if p.reps.needs_coaching_basis == "pace" else r.quota_achievement
    return r.mutate(subject_id=r.rep_id, _priority=-basis, _fired=r.needs_coaching)


def _achieved(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    if t.get("needs_coaching_basis") == "pace":
        day, length = o["days_elapsed"], o["days_in_year"]
        quota = o["quota_usd"]
        exact = None if quota is None else Decimal(quota) * day / length
        due = None if exact is None else exact.quantize(CENT, ROUND_HALF_EVEN)
        return (
            f"{_name(s, o)} is at {percent(o['pace'])} of pace "
            f"({money(o['year_to_date_revenue_usd'])} year to date against {money(due)} due "
            f"by day {day} of the {length}-day fiscal year, of a {money(quota)} annual quota)"
        )
    return (
        f"{_name(s, o)} has achieved {percent(o['quota_achievement'])} of quota "
        f"({money(o['year_to_date_revenue_usd'])} of {money(o['quota_usd'])} year to date)"
    )


def _needs_coaching_message(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    return f"{_achieved(s, o, t)}, below the {percent(t['needs_coaching_below'])} threshold."


def _needs_coaching_quiet(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    if o["quota_achievement"] is None:
        return (
            f"{_name(s, o)} has no quota achievement (quota missing or zero, or no "
            "year-to-date revenue), so it is not judged."
        )
    return f"{_achieved(s, o, t)}, not below the {percent(t['needs_coaching_below'])} threshold."


def _trajectory(
    i: RuleInputs,
    fired: Callable[[ir.Table], ir.BooleanValue],
    priority: Callable[[ir.Table], ir.Value],
) -> ir.Table:
    r = i.rep_trajectory
    return r.mutate(subject_id=r.rep_id, _priority=priority(r), _fired=fired(r))


def _closed(o: Mapping[str, Any]) -> str:
    return (
        f"closed {money(o['closed_won_3m_current'])} of a {money(o['quota_3m'])} 3-month "
        f"quota ({percent(o['quota_attainment_pct'], ratio=False)})"
    )


def _velocity_from(o: Mapping[str, Any]) -> str:
    if o.get("risk_velocity_source") == "history":
        return " (its risk score since the last snapshot)"
    return ""


def _coaching_message(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    reasons = []
    if o["velocity_matches"]:
        reasons.append(f"risk velocity is {o['risk_velocity_flag']}{_velocity_from(o)}")
    if o["attainment_below"]:
        reasons.append(f"{_closed(o)}, below {percent(t['coaching_attainment_below'])}")
    return f"{_name(s, o)} is a coaching candidate: {'; '.join(reasons)}."


def _coaching_quiet(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    velocity = o.get("risk_velocity_flag")
    reasons = [
        f"risk velocity is {velocity}{_velocity_from(o)} (not {t['coaching_risk_velocity']})"
        if velocity is not None
        else "risk velocity is unknown"
    ]
    if o["quota_attainment_pct"] is None:
        reasons.append("3-month attainment is unknown (quota_3m missing or zero)")
    else:
        reasons.append(f"{_closed(o)}, not below {percent(t['coaching_attainment_below'])}")
    return f"{_name(s, o)} is not a coaching candidate: {'; '.join(reasons)}."


def _benchmark_message(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    return f"{_name(s, o)} has the highest 3-month quota attainment: {_closed(o)}."


def _benchmark_quiet(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    if o["quota_attainment_pct"] is None:
        return f"{_name(s, o)} has no 3-month attainment (quota_3m missing or zero)."
    return f"{_name(s, o)} does not have the highest 3-month attainment: {_closed(o)}."


def _change(o: Mapping[str, Any]) -> str:
    then = " at the last snapshot" if o.get("previous_pipeline_source") == "history" else ""
    return f"{money(o['previous_pipeline_value'])}{then} to {money(o['current_pipeline_value'])}"


def _declining_message(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    fall = percent(abs(o["pipeline_change_pct"]), ratio=False)
    return (
        f"{_name(s, o)}'s pipeline fell {fall} ({_change(o)}), more than the "
        f"{percent(t['trend_band'])} band."
    )


def _declining_quiet(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    change = o["pipeline_change_pct"]
    if change is None:
        return (
            f"{_name(s, o)} has no pipeline change (current or previous pipeline missing, "
            "or the previous one not positive), so the trend is stable."
        )
    moved = "rose" if change > 0 else "fell" if change < 0 else "did not change"
    amount = f" {percent(abs(change), ratio=False)}" if change else ""
    return (
        f"{_name(s, o)}'s pipeline {moved}{amount} ({_change(o)}), not a fall of more than "
        f"the {percent(t['trend_band'])} band."
    )


NEEDS_COACHING = register(
    Rule(
        id="needs_coaching",
        subject_type="rep",
        severity="warning",
        description="Quota achievement (YTD revenue / quota), or pace with "
        'reps.needs_coaching_basis = "pace", below reps.needs_coaching_below.',
        judge=_performance,
        observed=(
            ("rep_name", "text"),
            ("quota_achievement", "ratio"),
            ("pace", "ratio"),
            ("days_elapsed", "count"),
            ("days_in_year", "count"),
            ("year_to_date_revenue_usd", "usd"),
            ("quota_usd", "usd"),
        ),
        thresholds=lambda p, row: {
            "needs_coaching_below": p.reps.needs_coaching_below,
            "needs_coaching_basis": p.reps.needs_coaching_basis,
        },
        message=_needs_coaching_message,
        quiet=_needs_coaching_quiet,
        compares=(
            Compare("quota_achievement", "<", "needs_coaching_below"),
            Compare("pace", "<", "needs_coaching_below"),
        ),
    )
)

COACHING_CANDIDATE = register(
    Rule(
        id="coaching_candidate",
        subject_type="rep",
        severity="info",
        description="Risk velocity is trajectory.coaching_risk_velocity, or closed_won_3m_current "
        "is below trajectory.coaching_attainment_below x quota_3m.",
        judge=lambda i, p: _trajectory(
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
            ("risk_velocity_source", "text"),
            ("quota_attainment_pct", "pct"),
            ("closed_won_3m_current", "usd"),
            ("quota_3m", "usd"),
        ),
        thresholds=lambda p, row: {
            "coaching_risk_velocity": p.trajectory.coaching_risk_velocity,
            "coaching_attainment_below": p.trajectory.coaching_attainment_below,
        },
        message=_coaching_message,
        quiet=_coaching_quiet,
        compares=(Compare("quota_attainment_pct", "<", "coaching_attainment_below", 100),),
    )
)

BENCHMARK = register(
    Rule(
        id="benchmark",
        subject_type="rep",
        severity="info",
        description="The one rep with the highest 3-month attainment among reps with a quota_3m "
        "(ties: lowest rep_id).",
        judge=lambda i, p: _trajectory(i, lambda r: r.benchmark, lambda r: r.quota_attainment_pct),
        observed=(
            ("rep_name", "text"),
            ("quota_attainment_pct", "pct"),
            ("closed_won_3m_current", "usd"),
            ("quota_3m", "usd"),
        ),
        thresholds=lambda p, row: {},
        message=_benchmark_message,
        quiet=_benchmark_quiet,
    )
)

PIPELINE_DECLINING = register(
    Rule(
        id="pipeline_declining",
        subject_type="rep",
        severity="warning",
        description="Pipeline fell by more than trajectory.trend_band of the previous pipeline "
        "(pipeline_trend is `declining`).",
        judge=lambda i, p: _trajectory(
            i, lambda r: r.pipeline_trend == "declining", lambda r: -r.pipeline_change_pct
        ),
        observed=(
            ("rep_name", "text"),
            ("pipeline_change_pct", "pct"),
            ("current_pipeline_value", "usd"),
            ("previous_pipeline_value", "usd"),
            ("previous_pipeline_source", "text"),
        ),
        thresholds=lambda p, row: {"trend_band": p.trajectory.trend_band},
        message=_declining_message,
        quiet=_declining_quiet,
        compares=(Compare("pipeline_change_pct", "<", "trend_band", -100),),
    )
)


def _coverage(s: str, o: Mapping[str, Any]) -> str:
    return (
        f"{_name(s, o)} has {money(o['open_pipeline'])} of open pipeline closing in "
        f"{o['period']} against a {money(o['gap_to_quota'])} gap to quota "
        f"({money(o['quota'])} quota, {money(o['closed_won'])} closed won)"
    )


def _low_coverage_message(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    return (
        f"{_coverage(s, o)}: coverage {number(o['coverage'])}x, below "
        f"{number(t['low_coverage_below'])}x."
    )


def _low_coverage_quiet(s: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    if o["quota"] is None or o["quota"] <= 0:
        return f"{_name(s, o)} has no quota for {o['period']}, so coverage is not judged."
    if o["coverage"] is None:
        return (
            f"{_name(s, o)} has closed {money(o['closed_won'])} of a {money(o['quota'])} "
            f"quota for {o['period']}: nothing remains to cover."
        )
    return (
        f"{_coverage(s, o)}: coverage {number(o['coverage'])}x, not below "
        f"{number(t['low_coverage_below'])}x."
    )


def _low_coverage_judge(i: RuleInputs, p: Policy) -> ir.Table:
    r = i.rep_forecast.filter(i.rep_forecast.in_reps)
    return r.mutate(
        subject_id=r.rep_id, _priority=-r.coverage, _fired=r.low_coverage, period=r._period
    )


LOW_COVERAGE = register(
    Rule(
        id="low_coverage",
        subject_type="rep",
        severity="warning",
        description="Open pipeline closing in the report's fiscal quarter below "
        "forecast.low_coverage_below times the gap to the quarter's quota (quota - closed "
        "won, when above 0).",
        judge=_low_coverage_judge,
        observed=(
            ("rep_name", "text"),
            ("period", "text"),
            ("coverage", "ratio"),
            ("open_pipeline", "usd"),
            ("gap_to_quota", "usd"),
            ("quota", "usd"),
            ("closed_won", "usd"),
        ),
        thresholds=lambda p, row: {"low_coverage_below": p.forecast.low_coverage_below},
        message=_low_coverage_message,
        quiet=_low_coverage_quiet,
        compares=(Compare("coverage", "<", "low_coverage_below"),),
    )
)
