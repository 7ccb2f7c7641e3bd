"""Markdown renderer: a short summary for chat or email. The headline numbers (and how they
moved), the top movements, who needs coaching and why, and the five biggest risks; the full
tables are in the HTML report."""

from __future__ import annotations

from typing import Any

from pipereview.render.changes import (
    changes_title,
    movement_rows,
    pipeline_rows,
    rep_rows,
    untracked_note,
)
from pipereview.render.flow import LABELS, exact_usd
from pipereview.render.forecast import multiple
from pipereview.render.text import (
    HEADLINE,
    SUMMARY_LABELS,
    cell,
    deal_facts,
    details_by_id,
    from_history,
    md_table,
    rep_names,
    summary_kind,
)
from pipereview.report import Report
from pipereview.rules.base import number

RISKS_SHOWN = 5
COACHING_SHOWN = 10
REPS_MOVED_SHOWN = 5
COACHING_RULES = ("needs_coaching", "coaching_candidate")
REPS_NAMED = 10


def headline(report: Report) -> list[str]:
    """One bullet per headline number, with its change when there is history."""
    summary = report.pipeline_summary.model_dump()
    moved = {}
    if report.changes is not None:
        moved = {row[0]: row[3] for row in pipeline_rows(report.changes)}
    out = []
    for metric, kind in HEADLINE:
        label = SUMMARY_LABELS[metric]
        exact = cell(summary[metric], summary_kind(metric))
        shown = cell(summary[metric], kind)
        line = f"- **{label}:** {shown}" + (f" ({exact})" if exact != shown else "")
        if label in moved:
            line += f", {moved[label]} since {report.changes.compared_to.isoformat()}"  # type: ignore[union-attr]
        out.append(line)
    return out


def movements(report: Report) -> list[str]:
    """The deal movements and the reps that moved most, when there is history."""
    changes = report.changes
    if changes is None:
        return []
    out = ["", f"## {changes_title(changes)}", ""]
    out += md_table(["Movement", "Deals", "Value", "Biggest"], movement_rows(changes))
    note = untracked_note(changes)
    if note:
        out += ["", note]
    if report.flow is not None:
        f = report.flow
        biggest = sorted(
            (s for s in f.steps if s.change), key=lambda s: (-abs(s.change), s.category)
        )[:3]
        steps = ", ".join(
            f"{LABELS[s.category].lower()} {'+' if s.change > 0 else ''}{exact_usd(s.change)}"
            for s in biggest
        )
        out += [
            "",
            f"This quarter's open pipeline went from {exact_usd(f.start_open_pipeline)} to "
            f"{exact_usd(f.end_open_pipeline)}" + (f" (biggest moves: {steps})." if steps else "."),
        ]
    moved = rep_rows(changes)
    if moved:
        out += ["", "Reps that moved most:", ""]
        out += [
            f"- {name if name != '—' else rep} ({figure}): {before} → {after} ({change})"
            for rep, name, figure, before, after, change in moved[:REPS_MOVED_SHOWN]
        ]
        if len(moved) > REPS_MOVED_SHOWN:
            out.append(f"- and {len(moved) - REPS_MOVED_SHOWN} more")
    return out


def coaching(report: Report) -> list[str]:
    """Who needs coaching and why: the coaching flags' sentences, by rep."""
    names = rep_names(report)
    flags = [f for f in report.flags if f.subject_type == "rep" and f.rule in COACHING_RULES]
    out = ["", "## Who needs coaching", ""]
    if not flags:
        return [*out, "No rep is flagged for coaching."]
    reps = list(dict.fromkeys(f.subject_id for f in flags))
    for rep in reps[:COACHING_SHOWN]:
        why = " ".join(f.message for f in flags if f.subject_id == rep)
        out.append(f"- **{names.get(rep) or rep}** ({rep}): {why}")
    if len(reps) > COACHING_SHOWN:
        out.append(f"- and {len(reps) - COACHING_SHOWN} more reps (see the HTML report)")
    return out


def biggest_risks(report: Report) -> list[str]:
    """The five most valuable flagged deals, each with owner, stage and every reason."""
    details = details_by_id(report.deal_details)
    names = rep_names(report)
    # one entry per flagged deal row: a repeated id's rows (other values) stay apart
    reasons: dict[tuple[Any, ...], list[str]] = {}
    for f in report.flags:
        if f.subject_type == "deal":
            facts = deal_facts(f, details, names)
            key = (f.subject_id, facts["value"], facts["owner"], facts["stage"])
            reasons.setdefault(key, []).append(f.message)
    out = ["", f"## The {RISKS_SHOWN} biggest risks", ""]
    if not reasons:
        return [*out, "No deal is flagged."]

    def size(key: tuple[Any, ...]) -> tuple[Any, ...]:
        return (key[1] is None, -(key[1] or 0), key[0], str(key[2:]))

    for key in sorted(reasons, key=size)[:RISKS_SHOWN]:
        out.append(f"- **{key[0]}** {_about(*key[1:])}: {' '.join(reasons[key])}")
    flagged = sum(c.total for c in report.flag_counts if c.subject_type == "deal")
    out += ["", f"{flagged:,} deal flags in all; the HTML report lists them by rule."]
    return out


def _about(value: Any, owner: Any, stage: Any) -> str:
    """(value, stage, owner) of a flagged deal row."""
    shown = [cell(value, "usd"), *([stage] if stage else []), owner or "no owner"]
    return f"({', '.join(str(x) for x in shown)})"


def velocity_line(report: Report) -> list[str]:
    """One line on stage velocity: the slowest stage and the cycle time of won deals."""
    v = report.velocity
    if v is None:
        return []
    timed = [s for s in v.stages if s.mean_days is not None]
    parts = []
    if timed:
        slow = max(timed, key=lambda s: (s.mean_days, s.stage))
        parts.append(f"the slowest stage is {slow.stage} ({cell(slow.mean_days)} days on average)")
    if v.cycle_time.mean_days is not None:
        parts.append(
            f"won deals took {cell(v.cycle_time.mean_days)} days from creation on average "
            f"({cell(v.cycle_time.won_deals)} deals)"
        )
    if not parts:
        return []
    sentence = "; ".join(parts)
    return ["", "## Stage velocity", "", sentence[:1].upper() + sentence[1:] + "."]


def forecast_lines(report: Report) -> list[str]:
    """The company's forecast for the quarter: the cumulative roll-ups against quota."""
    f = report.forecast
    if f is None:
        return []
    c = f.company
    quota = (
        f" against a {cell(c.quota, 'usd')} quota (gap {cell(c.gap_to_quota, 'usd')}, coverage "
        f"{multiple(c.coverage)})"
        if c.quota is not None
        else ""
    )
    low = sum(1 for r in f.by_rep if r.low_coverage)
    out = [
        "",
        f"## Forecast {f.period}",
        "",
        f"- Closed won {cell(c.closed_won, 'usd')}; commit forecast "
        f"{cell(c.commit_forecast, 'usd')}; best-case forecast "
        f"{cell(c.best_case_forecast, 'usd')}; open pipeline {cell(c.open_pipeline, 'usd')}"
        f"{quota}.",
    ]
    if low:
        reps = "rep is" if low == 1 else "reps are"
        out.append(f"- {low:,} {reps} below {number(f.low_coverage_below)}x coverage.")
    if c.slipped_deals:
        deals = "deal is" if c.slipped_deals == 1 else "deals are"
        out.append(f"- {c.slipped_deals:,} active {deals} past their close date.")
    return out


def quality_line(report: Report) -> list[str]:
    """How many data-quality findings, by severity."""
    if not report.data_quality:
        return ["", "No data-quality findings."]
    by_severity: dict[str, int] = {}
    for q in report.data_quality:
        by_severity[q.severity] = by_severity.get(q.severity, 0) + 1
    found = ", ".join(f"{n} {s}" for s, n in sorted(by_severity.items()))
    checks = ", ".join(q.check for q in report.data_quality)
    return ["", f"Data quality: {found} ({checks})."]


def render_markdown(report: Report) -> str:
    """The report as a short GitHub-flavoured Markdown summary."""
    trend = [
        (t.rep_name or t.rep_id) + from_history(t.previous_pipeline_source)
        for t in report.rep_trajectory
        if t.pipeline_trend == "declining"
    ]
    out = [f"# Pipeline review — as of {report.as_of.isoformat()}", "", *headline(report)]
    if trend:
        named = ", ".join(trend[:REPS_NAMED]) + (
            f" and {len(trend) - REPS_NAMED} more" if len(trend) > REPS_NAMED else ""
        )
        out.append(f"- **Pipeline declining:** {len(trend)} rep(s): {named}")
    out += movements(report)
    out += coaching(report)
    out += biggest_risks(report)
    out += forecast_lines(report)
    out += velocity_line(report)
    out += quality_line(report)
    out += [
        "",
        f"Policy `{report.policy_fingerprint[:19]}` · input `{report.input_fingerprint[:19]}`",
    ]
    return "\n".join(out) + "\n"
