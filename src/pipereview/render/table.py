"""Terminal renderer (Rich): the summary, reps, flag counts, top flags and data quality."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console, Group
from rich.table import Table

from pipereview.render.changes import (
    changes_title,
    movement_rows,
    pipeline_rows,
    rep_rows,
    untracked_note,
)
from pipereview.render.forecast import forecast_renderables, report_level
from pipereview.render.text import (
    cell,
    deal_facts,
    details_by_id,
    from_history,
    rep_marks,
    rep_names,
    rich_table,
    summary_rows,
)
from pipereview.render.velocity import velocity_renderables
from pipereview.report import Changes, Report

FLAGS_SHOWN = 10  # per rule in the terminal; the JSON and Markdown list all


def report_renderables(report: Report) -> Group:
    """Rich renderables for the report (the CLI prints these to a terminal)."""
    summary = Table(title=f"Pipeline summary — as of {report.as_of.isoformat()}")
    summary.add_column("Metric")
    summary.add_column("Value", justify="right")
    for label, value in summary_rows(report.pipeline_summary):
        summary.add_row(label, value)

    trajectory = {t.rep_id: t for t in report.rep_trajectory}
    reps = Table(title="Reps")
    for name, justify in (
        ("Rep", "left"),
        ("Name", "left"),
        ("Active", "right"),
        ("Pipeline", "right"),
        ("Close rate", "right"),
        ("Quota ach.", "right"),
        ("3m attain.", "right"),
        ("Trend", "left"),
        ("Flags", "left"),
    ):
        reps.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in report.rep_performance:
        t = trajectory.get(r.rep_id)
        marks = rep_marks(r.needs_coaching, t)
        reps.add_row(
            r.rep_id,
            cell(r.rep_name),
            cell(r.active_deals),
            cell(r.pipeline_value, "usd"),
            cell(r.close_rate, "rate"),
            cell(r.quota_achievement, "rate"),
            cell(t.quota_attainment_pct if t else None, "pct"),
            (t.pipeline_trend + from_history(t.previous_pipeline_source)) if t else "—",
            ", ".join(marks),
        )

    counts = Table(title="Flags")
    for name in ("Rule", "Severity", "Total", "Listed in JSON", "Shown below"):
        counts.add_column(name)
    for c in report.flag_counts:
        shown_here = min(c.shown, FLAGS_SHOWN)
        counts.add_row(c.rule, c.severity, cell(c.total), cell(c.shown), cell(shown_here))

    top = Table(title=f"Top flags (the first {FLAGS_SHOWN} of each rule)", show_lines=False)
    for name in ("Rule", "Subject", "Owner", "Stage", "Why"):
        top.add_column(name)
    details = details_by_id(report.deal_details)
    names = rep_names(report)
    for rule in dict.fromkeys(f.rule for f in report.flags):
        for flag in [f for f in report.flags if f.rule == rule][:FLAGS_SHOWN]:
            if flag.subject_type == "deal":
                facts = deal_facts(flag, details, names)
                owner, stage = facts["owner"], facts["stage"]
            else:
                owner, stage = names.get(flag.subject_id) or flag.subject_id, None
            top.add_row(flag.rule, flag.subject_id, cell(owner), cell(stage), flag.message)

    quality = Table(title="Data quality")
    for name in ("Check", "Table", "Count", "What it means", "Examples"):
        quality.add_column(name)
    for q in report.data_quality:
        quality.add_row(q.check, q.table, cell(q.count), q.message, ", ".join(q.examples))
    parts: list[Any] = [summary, *_changes(report.changes), reps, counts, top]
    if report.forecast is not None:
        level = report_level(report.forecast)
        parts += forecast_renderables(report.forecast, level, compact=True)
    if report.velocity is not None:
        parts += velocity_renderables(report.velocity)
    return Group(*parts, quality)


def _changes(changes: Changes | None) -> list[Table]:
    """The changes section: pipeline numbers, deal movements, reps that moved."""
    if changes is None:
        return []
    tables = [
        rich_table(
            changes_title(changes), ["Metric", "Before", "After", "Change"], pipeline_rows(changes)
        ),
        rich_table(
            "Deal movements",
            ["Movement", "Deals", "Value", "Biggest"],
            movement_rows(changes),
        ),
    ]
    note = untracked_note(changes)
    if note:
        tables[-1].caption = note
    if changes.reps:
        tables.append(
            rich_table(
                "Reps that moved",
                ["Rep", "Name", "Figure", "Before", "After", "Change"],
                rep_rows(changes),
                right_from=3,
            )
        )
    return tables


def render_table(report: Report, width: int = 140) -> str:
    """The terminal rendering as plain text (no colour), for files and pipes."""
    buffer = io.StringIO()
    Console(width=width, file=buffer, color_system=None).print(report_renderables(report))
    return buffer.getvalue()
