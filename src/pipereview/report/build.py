"""Building the Report: the few scans the engine runs, then rounding and ordering once.

One aggregate over the deals gives the pipeline summary, every deal rule's total, the
row-level data-quality counts and the deals' fingerprint. One aggregate over the reps (and
one over the deduplicated reps) does the same for them. The rep sections are computed once
and kept (they are small), and the rules read those. A flag list or a data-quality example
list is fetched only when its count is not zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import localcontext
from typing import Any

import ibis.expr.types as ir

from pipereview.engines.fingerprint import digest, input_fingerprint
from pipereview.engines.plan import Built, Runner
from pipereview.inputs.loaded import run_checked
from pipereview.metrics.base import Unit
from pipereview.metrics.pipeline import (
    DERIVED_PIPELINE_METRICS,
    PIPELINE_METRICS,
    pipeline_summary,
)
from pipereview.metrics.ratios import part_columns
from pipereview.metrics.reps import REP_PERFORMANCE_METRICS
from pipereview.metrics.trajectory import TRAJECTORY_METRICS
from pipereview.metrics.won import (
    DERIVED_WON_METRICS,
    MEDIAN_METRIC,
    RECORDED_METRICS,
    WON_METRICS,
    median_of,
    won_summary,
)
from pipereview.policy import Policy
from pipereview.report.changes import build_changes
from pipereview.report.details import details, stage_pipeline
from pipereview.report.flags import (
    earlier_reps,
    evaluate_rules,
    judge_subject,
    kept_rule_inputs,
    make_flag,
    report_currency,
    rules_suffix,
)
from pipereview.report.flow import matchable, quarter_flow
from pipereview.report.forecast import build_forecast, forecast_reps, manager_tree
from pipereview.report.history import with_pushes_note
from pipereview.report.inputs import Inputs
from pipereview.report.model import (
    SCHEMA_VERSION,
    PipelineSummary,
    Report,
    RepPerformance,
    RepTrajectory,
    rounded,
)
from pipereview.report.quality import (
    counts_from_scan,
    data_quality,
    fused_checks,
    keep_per_rep,
    keep_unique,
    nothing_to_review,
    with_twins,
)
from pipereview.report.queries import deals_scan, median_cycle, runner, scope_scan, top_deals
from pipereview.report.rollups import build_rollups
from pipereview.report.rounding import rounded_rows
from pipereview.rules.custom import rules_for

Progress = Callable[[str], None]
_ECHO_UNITS: dict[str, Unit] = {
    "quota_3m": "usd",
    "closed_won_3m_current": "usd",
    "current_pipeline_value": "usd",
    "previous_pipeline_value": "usd",
}


def _noop(_: str) -> None:
    return None


def _recorded(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
    """The reps' recorded revenue, over the rep performance (one row per rep)."""
    reps = t["rep_performance"]
    return reps.aggregate(**{m.name: m.expr(reps) for m in RECORDED_METRICS}), None


def _summary(scan: dict[str, Any], run: Runner) -> PipelineSummary:
    """The pipeline summary from the deals' aggregate ``scan``, the reps' recorded revenue
    and the median sales cycle (queries of their own)."""
    recorded = run.one("reps.recorded", _recorded)[0]
    median = median_of(run.one("deals.median_cycle", median_cycle)[0])
    metrics = (
        *PIPELINE_METRICS,
        *DERIVED_PIPELINE_METRICS,
        *WON_METRICS,
        *RECORDED_METRICS,
        *DERIVED_WON_METRICS,
        MEDIAN_METRIC,
    )
    units = {m.name: m.unit for m in metrics}
    with localcontext() as ctx:
        ctx.prec = 60  # the quotients are exact far beyond the cents the report rounds to
        values = pipeline_summary(scan) | won_summary(scan | recorded, median)
    return PipelineSummary(**rounded(values, units))


def build_report(
    inputs: Inputs,
    policy: Policy,
    as_of: dt.date,
    progress: Progress | None = None,
    allow_empty: bool = True,
) -> Report:
    """Execute every section on ``inputs.engine`` and assemble the Report. Deals that leave
    nothing to review stop it (``nothing_to_review``) unless ``allow_empty``."""
    step = progress or _noop
    engine, deals, reps = inputs.engine, inputs.deals, inputs.reps

    step("pipeline summary")
    run = runner(inputs, policy, as_of)
    rules = rules_for(policy)  # the built-in rules and the policy's own
    scan = run_checked(
        inputs.loaded_deals, lambda: with_twins(*run.one("deals.scan", deals_scan(engine, policy)))
    )
    inputs.loaded_deals.verify(scan["_n"], scan["_bad"])
    statused = scan["active_deals"] + scan["won_deals"] + scan["lost_deals"]
    empty = nothing_to_review(inputs, scan["total_deals"], statused)
    if empty is not None and not allow_empty:
        raise empty
    rep_scan = run_checked(
        inputs.loaded_reps, lambda: with_twins(*run.one("reps.scan", scope_scan(engine, "reps")))
    )
    inputs.loaded_reps.verify(rep_scan["_n"], rep_scan["_bad"])
    deals_hash = engine.hash_sum(deals, "deals", scan)
    reps_hash = engine.hash_sum(reps, "reps", rep_scan)
    known = {c.id: scan[c.id] for c in fused_checks("deals")}
    known.update({c.id: rep_scan[c.id] for c in fused_checks("reps")})
    keep_unique(run)  # the reps one row per rep_id: read by the scan below and by checks
    known.update(with_twins(*run.one("unique_reps.scan", scope_scan(engine, "unique_reps"))))
    known.update(counts_from_scan(scan))
    fingerprint = input_fingerprint(
        digest("deals", scan["total_deals"], deals_hash),
        digest("reps", rep_scan["_n"], reps_hash),
    )

    step("rep performance")
    per_rep = keep_per_rep(run, policy)  # read by the rep rows, roll-ups and data quality
    kept = forecast_reps(inputs, policy, as_of)  # read by the forecast and a rule
    shared = kept_rule_inputs(run, inputs, policy, kept.reps)
    summary = _summary(scan, run)
    tops: dict[str, list[str]] = {}
    for row in run.rows("deals.tops", top_deals(policy))[0]:
        tops.setdefault(row["rep_id"], []).append(row["deal_id"])
    performance_units = {m.name: m.unit for m in REP_PERFORMANCE_METRICS}
    names = ["rep_id", "rep_name", *performance_units]
    names += part_columns(names, shared.rep_performance.columns)  # exact ratios' parts
    table = run.arrow(
        "reps.performance_rows",
        lambda t, v: (t["rep_performance"].order_by("rep_id").select(*names), None),
    )[0]
    performance = [
        RepPerformance(top_opportunities=tops.get(row["rep_id"], []), **row)
        for row in rounded_rows(table, performance_units)
    ]

    step("rep trajectory")
    units = {m.name: m.unit for m in TRAJECTORY_METRICS} | _ECHO_UNITS
    table = run.arrow(
        "reps.trajectory_rows" + rules_suffix(run),
        lambda t, v: (t["rep_trajectory"].order_by("rep_id"), None),
    )[0]
    trajectory = [
        RepTrajectory(
            **{
                **row,
                "risk_score_current": None
                if row["risk_score_current"] is None
                else int(row["risk_score_current"]),
            }
        )
        for row in rounded_rows(table, units)
    ]

    step("flags")
    totals = {rule.id: scan[f"rule:{rule.id}"] for rule in rules if rule.where is not None}
    flags, counts = evaluate_rules(inputs, policy, as_of, shared=shared, totals=totals, run=run)

    step("forecast")
    tree = manager_tree(inputs, run)  # read by the forecast and data quality
    forecast = build_forecast(inputs, policy, as_of, kept=kept, tree=tree)

    step("roll-ups")
    rollups = build_rollups(inputs, policy, tree, per_rep)

    step("data quality")
    quality = data_quality(inputs, known, per_rep, tree, run)
    quality = with_pushes_note(quality, deals, int(scan["active_deals"]))
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
            as_of=as_of,
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
        currency=report_currency(policy),
        policy_fingerprint=policy.fingerprint(),
        input_fingerprint=fingerprint,
        pipeline_summary=summary,
        rep_performance=performance,
        rep_trajectory=trajectory,
        flags=flags,
        flag_counts=counts,
        data_quality=quality,
        pipeline_by_stage=stage_pipeline(engine, deals, run),
        deal_details=details(engine, deals, flags, performance, run),
        changes=changes,
        flow=flow,
        forecast=forecast,
        rollups=rollups,
    )


__all__ = [
    "Inputs",
    "Progress",
    "build_report",
    "data_quality",
    "earlier_reps",
    "evaluate_rules",
    "judge_subject",
    "make_flag",
]
