"""Building the Report: the few scans the engine runs, then rounding and ordering once.

One aggregate over the deals gives the pipeline summary, every deal rule's total, the
row-level data-quality counts and the deals' fingerprint. One aggregate over the reps (and
one over the deduplicated reps) does the same for them. The rep sections are computed once
and kept (they are small), and the rules read those. A flag list or a data-quality example
list is fetched only when its count is not zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.metrics.base import Unit
from pipereview.metrics.pipeline import (
    DERIVED_PIPELINE_METRICS,
    PIPELINE_METRICS,
    pipeline_aggregates,
    pipeline_summary,
)
from pipereview.metrics.reps import (
    REP_PERFORMANCE_METRICS,
    deals_by_rep,
    rep_performance,
    top_opportunities,
)
from pipereview.metrics.trajectory import TRAJECTORY_METRICS, rep_trajectory
from pipereview.policy import Policy
from pipereview.report.changes import build_changes
from pipereview.report.details import details, stage_pipeline
from pipereview.report.flow import matchable, quarter_flow
from pipereview.report.inputs import Inputs
from pipereview.report.model import (
    SCHEMA_VERSION,
    UNIT_PLACES,
    Flag,
    FlagCount,
    PipelineSummary,
    Report,
    RepPerformance,
    RepTrajectory,
    Verdict,
    round_value,
    rounded,
    row_rounder,
)
from pipereview.report.quality import (
    aggregate_once,
    check_counts_of,
    counts_from_scan,
    data_quality,
    fused_checks,
    scope_counts,
)
from pipereview.rules import RULES, Rule, RuleInputs
from pipereview.rules.base import Compare
from pipereview.sources.engine import Engine, count_if
from pipereview.sources.fingerprint import batch_sql, digest, hash_sum, input_fingerprint
from pipereview.sources.ingest import run_checked

Progress = Callable[[str], None]
_ECHO_UNITS: dict[str, Unit] = {
    "quota_3m": "usd",
    "closed_won_3m_current": "usd",
    "current_pipeline_value": "usd",
    "previous_pipeline_value": "usd",
}


def _noop(_: str) -> None:
    return None


def build_report(
    inputs: Inputs, policy: Policy, as_of: dt.date, progress: Progress | None = None
) -> Report:
    """Execute every section on ``inputs.engine`` and assemble the Report."""
    step = progress or _noop
    engine, deals, reps = inputs.engine, inputs.deals, inputs.reps

    step("pipeline summary")
    aggs = pipeline_aggregates(deals, policy)
    for rule in RULES:
        if rule.where is not None:
            aggs[f"rule:{rule.id}"] = count_if(deals, rule.where(deals, policy))
    aggs.update(check_counts_of(deals, "deals"))
    if engine.hashes_in_scan:
        aggs["_hash"] = hash_sum(deals, "deals")
    aggs.update(inputs.loaded_deals.check_counts())  # the input check rides along
    scan = run_checked(inputs.loaded_deals, lambda: aggregate_once(engine, deals, aggs))
    inputs.loaded_deals.verify(scan["_n"], scan["_bad"])
    units = {m.name: m.unit for m in (*PIPELINE_METRICS, *DERIVED_PIPELINE_METRICS)}
    summary = PipelineSummary(**rounded(pipeline_summary(scan), units))
    rep_extra = inputs.loaded_reps.check_counts()
    if engine.hashes_in_scan:
        rep_extra["_hash"] = hash_sum(reps, "reps")
    rep_scan = run_checked(inputs.loaded_reps, lambda: scope_counts(inputs, "reps", rep_extra))
    inputs.loaded_reps.verify(rep_scan["_n"], rep_scan["_bad"])
    if not engine.hashes_in_scan:
        scan["_hash"] = engine.hash_sum_apart(deals, batch_sql("deals"))
        rep_scan["_hash"] = engine.hash_sum_apart(reps, batch_sql("reps"))
    known = {c.id: scan[c.id] for c in fused_checks("deals")}
    known.update({c.id: rep_scan[c.id] for c in fused_checks("reps")})
    known.update(scope_counts(inputs, "unique_reps"))
    known.update(counts_from_scan(scan))
    fingerprint = input_fingerprint(
        digest("deals", scan["total_deals"], scan["_hash"]),
        digest("reps", rep_scan["_n"], rep_scan["_hash"]),
    )

    step("rep performance")
    per_rep = engine.cache(deals_by_rep(deals))  # read by the rep rows and data quality
    shared = RuleInputs(
        deals=deals,
        reps=reps,
        rep_performance=engine.cache(rep_performance(per_rep, reps, policy)),
        rep_trajectory=engine.cache(rep_trajectory(reps, policy, _earlier_reps(inputs))),
    )
    tops: dict[str, list[str]] = {}
    for row in engine.rows(top_opportunities(deals, policy).order_by(["rep_id", "rank"])):
        tops.setdefault(row["rep_id"], []).append(row["deal_id"])
    performance_units = {m.name: m.unit for m in REP_PERFORMANCE_METRICS}
    names = ["rep_id", "rep_name", *performance_units]
    round_row = row_rounder(performance_units)
    performance = [
        RepPerformance(
            top_opportunities=tops.get(row["rep_id"], []),
            **round_row({k: row[k] for k in names}),
        )
        for row in engine.rows(shared.rep_performance.order_by("rep_id"))
    ]

    step("rep trajectory")
    round_row = row_rounder({m.name: m.unit for m in TRAJECTORY_METRICS} | _ECHO_UNITS)
    trajectory = [
        RepTrajectory(
            **{
                **round_row(row),
                "risk_score_current": None
                if row["risk_score_current"] is None
                else int(row["risk_score_current"]),
            }
        )
        for row in engine.rows(shared.rep_trajectory.order_by("rep_id"))
    ]

    step("flags")
    totals = {rule.id: scan[f"rule:{rule.id}"] for rule in RULES if rule.where is not None}
    flags, counts = evaluate_rules(inputs, policy, shared=shared, totals=totals)

    step("data quality")
    quality = data_quality(inputs, known, per_rep)
    changes, flow = None, None
    if inputs.earlier is not None:
        step("changes")
        changes = build_changes(
            engine,
            inputs.earlier,
            deals,
            policy=policy,
            summary=summary,
            performance=performance,
            trajectory=trajectory,
            untracked=int(known["missing_deal_id"]),
        )
        then = inputs.earlier.stored.get("data_quality", [])
        if matchable((q.check, q.count) for q in quality) and matchable(
            (q["check"], q["count"]) for q in then
        ):  # both sides' ids are known unique from their data quality: no extra scan
            flow = quarter_flow(
                engine,
                inputs.earlier.deals,
                deals,
                compared_to=inputs.earlier.as_of,
                as_of=as_of,
                start_month=policy.calendar.fiscal_year_start_month,
            )
    return Report(
        schema_version=SCHEMA_VERSION,
        as_of=as_of,
        policy_fingerprint=policy.fingerprint(),
        input_fingerprint=fingerprint,
        pipeline_summary=summary,
        rep_performance=performance,
        rep_trajectory=trajectory,
        flags=flags,
        flag_counts=counts,
        data_quality=quality,
        pipeline_by_stage=stage_pipeline(engine, deals),
        deal_details=details(engine, deals, flags, performance),
        changes=changes,
        flow=flow,
    )


def _evidence(rule: Rule, row: dict[str, Any], thresholds: dict[str, Any]) -> dict[str, Any]:
    """The observed values rounded by unit; a value the rule compares with a threshold keeps
    as many more decimals as it needs for the comparison to read as the engine found it,
    whether the rule fired or not (0.69996 is shown as 0.69996, not 0.7, beside a
    threshold of 0.7)."""
    units = dict(rule.observed)
    observed = {name: round_value(units[name], row[name]) for name, _ in rule.observed}
    for compare in rule.compares:
        raw, limit = row.get(compare.observed), thresholds.get(compare.threshold)
        if raw is None or limit is None:
            continue
        limit = float(limit) * compare.scale
        found = compare.holds(float(raw), limit)
        places = UNIT_PLACES.get(units[compare.observed], 2)
        observed[compare.observed] = _widened(float(raw), places, _reads(compare, limit, found))
    for name, unit in rule.observed:
        observed[name] = _not_falsely_whole(unit, row[name], observed[name])
    return observed


def _reads(compare: Compare, limit: float, found: bool) -> Callable[[float], bool]:
    """True for a shown value that compares with ``limit`` as the engine found the raw one."""
    return lambda shown: compare.holds(shown, limit) == found


# Shares that read as a whole statement: "fell 100%" (to nothing), "achieved 0%".
_WHOLE = {"pct": (0.0, 100.0, -100.0), "ratio": (0.0, 1.0, -1.0)}


def _not_falsely_whole(unit: str, raw: Any, shown: Any) -> Any:
    """A share never reads as exactly 0% or 100% when it is not: a fall from $100,000 to
    $14.90 is 99.9851%, not "100%"."""
    if unit not in _WHOLE or raw is None or shown not in _WHOLE[unit] or float(raw) == shown:
        return shown
    return _widened(float(raw), UNIT_PLACES[unit], lambda v: v not in _WHOLE[unit])


def _widened(raw: float, places: int, reads_true: Callable[[float], bool]) -> float:
    """``raw`` rounded to the fewest places, from ``places`` up to 15, at which it reads
    true; ``raw`` itself when it never does."""
    for more in range(places, 16):
        shown = round(raw, more)
        if reads_true(shown):
            return shown
    return raw


def make_flag(rule: Rule, row: dict[str, Any], policy: Policy) -> Flag:
    """A Flag from one judged row: round the observed values, then write the sentence."""
    return Flag(**_judgement(rule, row, policy))


def _judgement(rule: Rule, row: dict[str, Any], policy: Policy) -> dict[str, Any]:
    thresholds = rule.thresholds(policy, row)
    observed = _evidence(rule, row, thresholds)
    subject = str(row["subject_id"])
    sentence = rule.message if row.get("_fired", True) else rule.quiet
    return {
        "rule": rule.id,
        "subject_type": rule.subject_type,
        "subject_id": subject,
        "severity": rule.severity,
        "observed": observed,
        "thresholds": thresholds,
        "message": sentence(subject, observed, thresholds),
    }


def _shared(inputs: Inputs, policy: Policy) -> RuleInputs:
    return RuleInputs(
        deals=inputs.deals,
        reps=inputs.reps,
        rep_performance=rep_performance(deals_by_rep(inputs.deals), inputs.reps, policy),
        rep_trajectory=rep_trajectory(inputs.reps, policy, _earlier_reps(inputs)),
    )


def _earlier_reps(inputs: Inputs) -> ir.Table | None:
    return inputs.earlier.reps if inputs.earlier is not None else None


def _by_priority(table: ir.Table) -> ir.Table:
    """Priority (highest first), then subject_id: the engine's part of the flag order."""
    return table.order_by([ibis.desc("_priority"), "subject_id"])


def _value_key(value: Any) -> tuple[bool, Any]:
    """A sort key for one value: missing last, lists by their items."""
    if value is None:
        return (True, 0)
    return (False, tuple(value) if isinstance(value, list) else value)


def _content_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """Priority (highest first), subject_id, then every other value of the row: a total
    order over the row's content, so rows of a duplicate id list the same way whatever the
    input order. The engine sorts by the first two (a cheap top-k); Python breaks ties."""
    priority = row["_priority"]
    rest = (_value_key(v) for k, v in row.items() if k not in ("_priority", "subject_id"))
    return (priority is None, -priority if priority is not None else 0, row["subject_id"], *rest)


def _fetch_ordered(engine: Engine, table: ir.Table, cap: int) -> list[dict[str, Any]]:
    """The first ``cap`` rows (0 = all) of ``table`` in ``_content_key`` order. The engine
    cuts at ``cap`` by priority and subject; when the row after the cut ties with the last
    one on both, every row of that tie is fetched, so the cut does not depend on the
    engine's choice among them."""
    rows = engine.rows(_by_priority(table).limit(cap + 1) if cap else _by_priority(table))
    if cap and len(rows) > cap:
        last, next_one = rows[cap - 1], rows[cap]
        key = (last["_priority"], last["subject_id"])
        rows = rows[:cap]
        if (next_one["_priority"], next_one["subject_id"]) == key:  # a tie across the cut
            tied = engine.rows(
                table.filter((table._priority == key[0]) & (table.subject_id == key[1]))
            )
            rows = [r for r in rows if (r["_priority"], r["subject_id"]) != key] + tied
    return sorted(rows, key=_content_key)[: cap or None]


def evaluate_rules(
    inputs: Inputs,
    policy: Policy,
    *,
    shared: RuleInputs | None = None,
    totals: dict[str, int] | None = None,
) -> tuple[list[Flag], list[FlagCount]]:
    """Every rule's flags (capped per policy) and counts.

    ``totals`` are rule totals already counted (in the deals scan): such a rule's list is
    fetched only when its total is not zero. Other rules (on the small rep tables) are
    fetched whole and counted here.
    """
    shared = shared or _shared(inputs, policy)
    known = totals or {}
    cap = policy.flags.max_per_rule
    flags: list[Flag] = []
    counts: list[FlagCount] = []
    for rule in RULES:
        flagged = rule.flagged(shared, policy)
        if rule.id in known:
            total = int(known[rule.id])
            rows = _fetch_ordered(inputs.engine, flagged, cap) if total else []
        else:
            rows = _fetch_ordered(inputs.engine, flagged, 0)
            total = len(rows)
            rows = rows[:cap] if cap else rows
        flags.extend(make_flag(rule, row, policy) for row in rows)
        counts.append(
            FlagCount(
                rule=rule.id,
                subject_type=rule.subject_type,
                severity=rule.severity,
                total=total,
                shown=len(rows),
            )
        )
    return flags, counts


def judge_subject(inputs: Inputs, policy: Policy, subject_id: str) -> list[Verdict]:
    """Every rule's verdict on one subject (a deal id, a "row N" label or a rep id): fired
    or not, with the values and thresholds, uncapped, in rule order."""
    shared = _shared(inputs, policy)
    verdicts: list[Verdict] = []
    for rule in RULES:
        judged = rule.judged(shared, policy)
        rows = _fetch_ordered(inputs.engine, judged.filter(judged.subject_id == subject_id), 0)
        verdicts.extend(
            Verdict(fired=bool(row["_fired"]), **_judgement(rule, row, policy)) for row in rows
        )
    return verdicts


__all__ = [
    "Inputs",
    "Progress",
    "build_report",
    "data_quality",
    "evaluate_rules",
    "judge_subject",
]
