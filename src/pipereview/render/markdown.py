"""Markdown renderer: the report as a document for a wiki, email or pull request."""

from __future__ import annotations

from pipereview.render.changes import (
    changes_title,
    movement_rows,
    pipeline_rows,
    rep_rows,
    untracked_note,
)
from pipereview.render.text import cell, from_history, md_table, summary_rows
from pipereview.render.velocity import render_velocity_markdown
from pipereview.report import Changes, Report


def _changes(changes: Changes | None) -> list[str]:
    """The changes section: pipeline numbers, deal movements, reps that moved."""
    if changes is None:
        return []
    out = ["", f"## {changes_title(changes)}", ""]
    out += md_table(["Metric", "Before", "After", "Change"], pipeline_rows(changes))
    out += ["", "### Deal movements", ""]
    out += md_table(["Movement", "Deals", "Value", "Biggest"], movement_rows(changes))
    note = untracked_note(changes)
    if note:
        out += ["", note]
    if changes.reps:
        out += ["", "### Reps that moved", ""]
        out += md_table(["Rep", "Name", "Figure", "Before", "After", "Change"], rep_rows(changes))
    return out


def render_markdown(report: Report) -> str:
    """The whole report as GitHub-flavoured Markdown."""
    out = [
        f"# Pipeline review — as of {report.as_of.isoformat()}",
        "",
        f"Policy `{report.policy_fingerprint[:19]}` · input `{report.input_fingerprint[:19]}`",
        "",
        "## Pipeline summary",
        "",
    ]
    out += md_table(["Metric", "Value"], [[k, v] for k, v in summary_rows(report.pipeline_summary)])
    out += _changes(report.changes)
    out += ["", "## Rep performance", ""]
    out += md_table(
        ["Rep", "Name", "Active", "Pipeline", "Close rate", "Quota ach.", "Coaching", "Top deals"],
        [
            [
                r.rep_id,
                cell(r.rep_name),
                cell(r.active_deals),
                cell(r.pipeline_value, "usd"),
                f"{cell(r.close_rate)} ({r.close_rate_source})",
                cell(r.quota_achievement),
                cell(r.needs_coaching),
                cell(r.top_opportunities),
            ]
            for r in report.rep_performance
        ],
    )
    out += ["", "## Rep trajectory", ""]
    out += md_table(
        [
            "Rep",
            "Attainment",
            "Trend",
            "Change",
            "Risk velocity",
            "Coaching cand.",
            "Benchmark",
            "Risk score",
        ],
        [
            [
                t.rep_id,
                cell(t.quota_attainment_pct, "pct"),
                t.pipeline_trend + from_history(t.previous_pipeline_source),
                cell(t.pipeline_change_pct, "pct"),
                cell(t.risk_velocity_flag) + from_history(t.risk_velocity_source),
                cell(t.coaching_candidate),
                cell(t.benchmark),
                cell(t.risk_score_current),
            ]
            for t in report.rep_trajectory
        ],
    )
    out += ["", "## Flags", ""]
    out += md_table(
        ["Rule", "Severity", "Total", "Listed"],
        [[c.rule, c.severity, cell(c.total), cell(c.shown)] for c in report.flag_counts],
    )
    out.append("")
    for rule in dict.fromkeys(f.rule for f in report.flags):
        out += [f"### {rule}", ""]
        out += [f"- {f.message}" for f in report.flags if f.rule == rule]
        out.append("")
    if report.velocity is not None:
        out += [
            "#" + line if line.startswith("#") else line
            for line in render_velocity_markdown(report.velocity).splitlines()
        ]
        out.append("")
    out += ["## Data quality", ""]
    if report.data_quality:
        out += [
            f"- **{q.check}** ({q.table}, {q.severity}): {q.message}"
            + (f" Examples: {', '.join(q.examples)}." if q.examples else "")
            for q in report.data_quality
        ]
    else:
        out.append("No data-quality findings.")
    return "\n".join(out) + "\n"
