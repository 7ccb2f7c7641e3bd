"""The Report model and how it is built: execute the expressions, round once, sort.

Every section states its grain. Rounding happens here only (Python ``round``): money, ratios
and days to 2 places, percentages to 1, risk scores truncated to an integer.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict

from pipereview.metrics.base import Unit
from pipereview.metrics.pipeline import DERIVED_PIPELINE_METRICS, PIPELINE_METRICS, pipeline_summary
from pipereview.metrics.reps import REP_PERFORMANCE_METRICS, rep_performance, top_opportunities
from pipereview.metrics.trajectory import TRAJECTORY_METRICS, rep_trajectory
from pipereview.policy import Policy
from pipereview.rules import RULES, Rule, RuleInputs
from pipereview.sources.engine import Engine
from pipereview.sources.quality import CHECKS, absent_column_sentence

SCHEMA_VERSION = "1.0"
EXAMPLES = 5
Progress = Callable[[str], None]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PipelineSummary(_Model):
    """Grain: the whole deals input (one object)."""

    total_deals: int
    active_deals: int
    won_deals: int
    lost_deals: int
    total_pipeline_value: float
    weighted_pipeline_value: float
    average_deal_size: float
    win_rate: float
    stalled_deals_count: int
    at_risk_deals_count: int


class RepPerformance(_Model):
    """Grain: one row per rep_id in the reps input, ordered by rep_id."""

    rep_id: str
    rep_name: str | None
    active_deals: int
    pipeline_value: float
    close_rate: float | None
    close_rate_source: Literal["record", "deals", "none"]
    quota_achievement: float | None
    needs_coaching: bool
    top_opportunities: list[str]


class RepTrajectory(_Model):
    """Grain: one row per rep_id in the reps input, ordered by rep_id."""

    rep_id: str
    rep_name: str | None
    quota_3m: float | None
    closed_won_3m_current: float | None
    quota_attainment_pct: float | None
    current_pipeline_value: float | None
    previous_pipeline_value: float | None
    pipeline_change_pct: float | None
    pipeline_trend: Literal["improving", "stable", "declining"]
    risk_velocity_flag: str | None
    coaching_candidate: bool
    benchmark: bool
    risk_score_current: int | None


class Flag(_Model):
    """Grain: one row per (rule, subject); ordered by rule, then priority, then subject_id."""

    rule: str
    subject_type: Literal["deal", "rep"]
    subject_id: str
    severity: Literal["info", "warning", "critical"]
    observed: dict[str, Any]
    thresholds: dict[str, Any]
    message: str


class FlagCount(_Model):
    """Grain: one row per rule, in rule order: the true total and how many are listed."""

    rule: str
    subject_type: Literal["deal", "rep"]
    severity: Literal["info", "warning", "critical"]
    total: int
    shown: int


class DataQualityItem(_Model):
    """Grain: one row per check that found something, ordered by table then check."""

    check: str
    table: Literal["deals", "reps"]
    severity: Literal["info", "warning"]
    count: int
    message: str
    examples: list[str]


class Report(_Model):
    """The whole pipeline review. ``to_json`` is byte-stable for the same inputs."""

    schema_version: str
    as_of: dt.date
    policy_fingerprint: str
    input_fingerprint: str
    pipeline_summary: PipelineSummary
    rep_performance: list[RepPerformance]
    rep_trajectory: list[RepTrajectory]
    flags: list[Flag]
    flag_counts: list[FlagCount]
    data_quality: list[DataQualityItem]

    def to_json(self) -> str:
        """Indented JSON, keys in model order, newline-terminated."""
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def round_value(unit: Unit, value: Any) -> Any:
    """The one rounding rule, by unit."""
    if value is None:
        return None
    if unit in ("usd", "ratio", "days"):
        return round(float(value), 2)
    if unit == "pct":
        return round(float(value), 1)
    if unit in ("count", "integer"):
        return int(value)
    return value


def _rounded(row: dict[str, Any], units: dict[str, Unit]) -> dict[str, Any]:
    return {k: round_value(units[k], v) if k in units else v for k, v in row.items()}


@dataclass(frozen=True)
class Inputs:
    """Canonical tables loaded in an engine, and what the sources said about them."""

    engine: Engine
    deals: ir.Table
    reps: ir.Table
    absent_columns: dict[str, tuple[str, ...]]
    input_fingerprint: str


def _noop(_: str) -> None:
    return None


def rule_inputs(inputs: Inputs, policy: Policy) -> RuleInputs:
    """The tables every rule reads."""
    return RuleInputs(
        deals=inputs.deals,
        reps=inputs.reps,
        rep_performance=rep_performance(inputs.deals, inputs.reps, policy),
        rep_trajectory=rep_trajectory(inputs.reps, policy),
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


def build_report(
    inputs: Inputs, policy: Policy, as_of: dt.date, progress: Progress | None = None
) -> Report:
    """Execute every section on ``inputs.engine`` and assemble the Report."""
    step = progress or _noop
    engine, deals, reps = inputs.engine, inputs.deals, inputs.reps

    step("pipeline summary")
    units = {m.name: m.unit for m in (*PIPELINE_METRICS, *DERIVED_PIPELINE_METRICS)}
    summary = PipelineSummary(**_rounded(engine.one(pipeline_summary(deals, policy)), units))

    step("rep performance")
    tops: dict[str, list[str]] = {}
    for row in engine.rows(top_opportunities(deals, reps, policy)):
        tops.setdefault(row["rep_id"], []).append(row["deal_id"])
    performance = [
        RepPerformance(
            rep_id=row["rep_id"],
            rep_name=row["rep_name"],
            top_opportunities=tops.get(row["rep_id"], []),
            **{m.name: round_value(m.unit, row[m.name]) for m in REP_PERFORMANCE_METRICS},
        )
        for row in engine.rows(rep_performance(deals, reps, policy))
    ]

    step("rep trajectory")
    units = {m.name: m.unit for m in TRAJECTORY_METRICS}
    units.update(
        quota_3m="usd",
        closed_won_3m_current="usd",
        current_pipeline_value="usd",
        previous_pipeline_value="usd",
    )
    trajectory = [
        RepTrajectory(
            **{
                **_rounded(row, units),
                "risk_score_current": None
                if row["risk_score_current"] is None
                else int(row["risk_score_current"]),
            }
        )
        for row in engine.rows(rep_trajectory(reps, policy))
    ]

    step("flags")
    flags, counts = evaluate_rules(inputs, policy)

    step("data quality")
    quality = data_quality(inputs)
    return Report(
        schema_version=SCHEMA_VERSION,
        as_of=as_of,
        policy_fingerprint=policy.fingerprint(),
        input_fingerprint=inputs.input_fingerprint,
        pipeline_summary=summary,
        rep_performance=performance,
        rep_trajectory=trajectory,
        flags=flags,
        flag_counts=counts,
        data_quality=quality,
    )


def evaluate_rules(
    inputs: Inputs, policy: Policy, subject_id: str | None = None
) -> tuple[list[Flag], list[FlagCount]]:
    """Every rule's flags (capped per policy unless one subject is asked for) and counts."""
    shared = rule_inputs(inputs, policy)
    cap = 0 if subject_id is not None else policy.flags.max_per_rule
    flags: list[Flag] = []
    counts: list[FlagCount] = []
    for rule in RULES:
        flagged = rule.flagged(shared, policy)
        if subject_id is not None:
            flagged = flagged.filter(flagged.subject_id == subject_id)
        total = int(inputs.engine.one(flagged.aggregate(n=flagged.count()))["n"])
        ordered = flagged.order_by([ibis.desc("_priority"), "subject_id"])
        if cap:
            ordered = ordered.limit(cap)
        rows = inputs.engine.rows(ordered) if total else []
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


def data_quality(inputs: Inputs) -> list[DataQualityItem]:
    """Every check that found something, plus optional columns absent from an input."""
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
