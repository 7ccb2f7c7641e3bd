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
from dataclasses import dataclass
from typing import Any, Literal

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
from pipereview.report.model import (
    SCHEMA_VERSION,
    DataQualityItem,
    Flag,
    FlagCount,
    PipelineSummary,
    Report,
    RepPerformance,
    RepTrajectory,
    round_value,
    rounded,
    row_rounder,
)
from pipereview.rules import RULES, Rule, RuleInputs
from pipereview.sources.engine import Engine, count_if
from pipereview.sources.fingerprint import batch_sql, digest, hash_sum, input_fingerprint
from pipereview.sources.ingest import Loaded, run_checked
from pipereview.sources.quality import CHECKS, Check, absent_column_sentence, unique_reps

EXAMPLES = 5
Progress = Callable[[str], None]
_ECHO_UNITS: dict[str, Unit] = {
    "quota_3m": "usd",
    "closed_won_3m_current": "usd",
    "current_pipeline_value": "usd",
    "previous_pipeline_value": "usd",
}


@dataclass(frozen=True)
class Inputs:
    """Both canonical inputs in one engine."""

    engine: Engine
    loaded_deals: Loaded
    loaded_reps: Loaded

    @property
    def deals(self) -> ir.Table:
        return self.loaded_deals.table

    @property
    def reps(self) -> ir.Table:
        return self.loaded_reps.table

    @property
    def absent_columns(self) -> dict[str, tuple[str, ...]]:
        return {
            "deals": self.loaded_deals.absent_columns,
            "reps": self.loaded_reps.absent_columns,
        }

    def ensure_checked(self) -> None:
        """Check both inputs now (when no report scan will)."""
        self.loaded_deals.ensure_checked()
        self.loaded_reps.ensure_checked()


def _noop(_: str) -> None:
    return None


def _fused(scope: str) -> list[Check]:
    """The row-level checks counted in a scan of ``scope``."""
    return [c for c in CHECKS if c.where is not None and c.scope == scope]


def _check_counts(table: ir.Table, scope: str) -> dict[str, ir.Scalar]:
    """Every row-level check of ``scope`` as a count over ``table``, keyed by check id."""
    return {c.id: count_if(table, c.where(table)) for c in _fused(scope) if c.where is not None}


def _aggregate_once(engine: Engine, table: ir.Table, aggs: dict[str, ir.Scalar]) -> dict[str, Any]:
    """One aggregate over ``table``; an expression asked for under two names (a rule total
    that is a summary metric, the input check's row count) is computed once."""
    unique: dict[str, ir.Scalar] = {}
    twin_of: dict[str, str] = {}
    for name, expr in aggs.items():
        twin = next((k for k, v in unique.items() if v.equals(expr)), None)
        if twin is None:
            unique[name] = expr
        else:
            twin_of[name] = twin
    row = engine.one(table.aggregate(**unique))
    return row | {name: row[twin] for name, twin in twin_of.items()}


def _scope_counts(
    inputs: Inputs, scope: str, extra: dict[str, ir.Scalar] | None = None
) -> dict[str, Any]:
    """One aggregate over a scope: every row-level check's count plus ``extra``."""
    table = _fused(scope)[0].scope_table(inputs.deals, inputs.reps)
    return _aggregate_once(inputs.engine, table, dict(extra or {}) | _check_counts(table, scope))


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
    aggs.update(_check_counts(deals, "deals"))
    if engine.hashes_in_scan:
        aggs["_hash"] = hash_sum(deals, "deals")
    aggs.update(inputs.loaded_deals.check_counts())  # the input check rides along
    scan = run_checked(inputs.loaded_deals, lambda: _aggregate_once(engine, deals, aggs))
    inputs.loaded_deals.verify(scan["_n"], scan["_bad"])
    units = {m.name: m.unit for m in (*PIPELINE_METRICS, *DERIVED_PIPELINE_METRICS)}
    summary = PipelineSummary(**rounded(pipeline_summary(scan), units))
    rep_extra = inputs.loaded_reps.check_counts()
    if engine.hashes_in_scan:
        rep_extra["_hash"] = hash_sum(reps, "reps")
    rep_scan = run_checked(inputs.loaded_reps, lambda: _scope_counts(inputs, "reps", rep_extra))
    inputs.loaded_reps.verify(rep_scan["_n"], rep_scan["_bad"])
    if not engine.hashes_in_scan:
        scan["_hash"] = engine.hash_sum_apart(deals, batch_sql("deals"))
        rep_scan["_hash"] = engine.hash_sum_apart(reps, batch_sql("reps"))
    known = {c.id: scan[c.id] for c in _fused("deals")}
    known.update({c.id: rep_scan[c.id] for c in _fused("reps")})
    known.update(_scope_counts(inputs, "unique_reps"))
    fingerprint = input_fingerprint(
        digest("deals", scan["total_deals"], scan["_hash"]),
        digest("reps", rep_scan["_n"], rep_scan["_hash"]),
    )

    step("rep performance")
    per_rep = engine.cache(deals_by_rep(deals))
    # orphan_deal from the kept per-rep table: deals of rep ids not in the reps input.
    orphans = per_rep.filter(per_rep.rep_id.notnull()).anti_join(
        unique_reps(reps).select("rep_id"), "rep_id"
    )
    known["orphan_deal"] = engine.one(orphans.aggregate(n=orphans.deals.sum().fill_null(0)))["n"]
    shared = RuleInputs(
        deals=deals,
        reps=reps,
        rep_performance=engine.cache(rep_performance(per_rep, reps, policy)),
        rep_trajectory=engine.cache(rep_trajectory(reps, policy)),
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
    quality = data_quality(inputs, known)
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
    )


def make_flag(rule: Rule, row: dict[str, Any], policy: Policy) -> Flag:
    """A Flag from one selected row: round the observed values, then write the sentence."""
    units = dict(rule.observed)
    observed = {name: round_value(units[name], row[name]) for name, _ in rule.observed}
    thresholds = rule.thresholds(policy)
    subject = str(row["subject_id"])
    return Flag(
        rule=rule.id,
        subject_type=rule.subject_type,
        subject_id=subject,
        severity=rule.severity,
        observed=observed,
        thresholds=thresholds,
        message=rule.message(subject, observed, thresholds),
    )


def evaluate_rules(
    inputs: Inputs,
    policy: Policy,
    subject_id: str | None = None,
    *,
    shared: RuleInputs | None = None,
    totals: dict[str, int] | None = None,
) -> tuple[list[Flag], list[FlagCount]]:
    """Every rule's flags (capped per policy unless one subject is asked for) and counts.

    ``totals`` are rule totals already counted (in the deals scan): such a rule's list is
    fetched only when its total is not zero. Other rules (on the small rep tables) are
    fetched whole and counted here.
    """
    if shared is None:
        shared = RuleInputs(
            deals=inputs.deals,
            reps=inputs.reps,
            rep_performance=rep_performance(deals_by_rep(inputs.deals), inputs.reps, policy),
            rep_trajectory=rep_trajectory(inputs.reps, policy),
        )
    known = totals or {}
    cap = 0 if subject_id is not None else policy.flags.max_per_rule
    flags: list[Flag] = []
    counts: list[FlagCount] = []
    for rule in RULES:
        flagged = rule.flagged(shared, policy)
        if subject_id is not None:
            flagged = flagged.filter(flagged.subject_id == subject_id)
        ordered = flagged.order_by([ibis.desc("_priority"), "subject_id"])
        if subject_id is None and rule.id in known:
            total = int(known[rule.id])
            rows = inputs.engine.rows(ordered.limit(cap) if cap else ordered) if total else []
        else:
            rows = inputs.engine.rows(ordered)
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


def data_quality(inputs: Inputs, known: dict[str, int] | None = None) -> list[DataQualityItem]:
    """Every check that found something, plus optional columns absent from an input.

    ``known``: counts of row-level checks already made in a scan; the others are counted
    here (row-level ones in one aggregate per table).
    """
    counts = dict(known or {})
    for scope in ("deals", "reps", "unique_reps"):
        if any(c.id not in counts for c in _fused(scope)):
            counts.update(_scope_counts(inputs, scope))
    items = []
    tables: tuple[Literal["deals", "reps"], ...] = ("deals", "reps")
    for table in tables:
        columns = inputs.absent_columns.get(table, ())
        if columns:
            items.append(
                DataQualityItem(
                    check="absent_column",
                    table=table,
                    severity="info",
                    count=len(columns),
                    message=absent_column_sentence(table, columns),
                    examples=sorted(columns),
                )
            )
    for check in CHECKS:
        found = check.find(inputs.deals, inputs.reps)
        if check.id in counts:
            total = int(counts[check.id])
        else:
            count = found.n.sum() if check.count_rows else found.count()
            total = int(inputs.engine.one(found.aggregate(count=count.fill_null(0)))["count"])
        if not total:
            continue
        examples = inputs.engine.rows(found.order_by("key").limit(EXAMPLES).select("key", "n"))
        items.append(
            DataQualityItem(
                check=check.id,
                table=check.table,
                severity=check.severity,
                count=total,
                message=check.sentence(total),
                examples=[
                    f"{e['key']} ({e['n']} rows)" if e["n"] > 1 else str(e["key"]) for e in examples
                ],
            )
        )
    return sorted(items, key=lambda item: (item.table, item.check))


__all__ = ["Inputs", "Progress", "build_report", "data_quality", "evaluate_rules"]
