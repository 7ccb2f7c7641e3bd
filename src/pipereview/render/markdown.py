"""Markdown renderer: a short summary for chat or email, in the order a sales leader asks:
where the quarter will land, what moved, where the risk is, who needs help; then the
pipeline's headline numbers, coaching, velocity and data quality in a line each. The full
tables are in the HTML report. Text from the input is escaped (``markup.md``).
"""

from __future__ import annotations

from pipereview.render.accuracy import last_period_markdown
from pipereview.render.changes import pipeline_rows, rep_rows
from pipereview.render.executive import (
    HELP_HEADERS,
    LAND_HEADERS,
    RISK_HEADERS,
    Summary,
    currency_of,
    summary,
)
from pipereview.render.glossary import FIELDS, check_label, severity_label
from pipereview.render.markup import md, md_table
from pipereview.render.numbers import cell
from pipereview.render.rollups import rollup_markdown
from pipereview.render.sections import HEADLINE, coaching, summary_kind
from pipereview.render.slippage import slippage_sentence
from pipereview.report import Report

COACHING_SHOWN = 10
REPS_MOVED_SHOWN = 5
REPS_NAMED = 10


def quarter(s: Summary) -> list[str]:
    """The quarter's cards as bullets, the sentences, the first-line managers."""
    if not s.quarter_cards:
        return []
    out = ["", "## Where the quarter will land", ""]
    for card in s.quarter_cards:
        note = f" ({card.note})" if card.note else ""
        out.append(f"- **{card.label}:** {card.value}{note}")
    out += ["", " ".join(s.land), ""]
    out += md_table(LAND_HEADERS, s.managers, right_from=1)
    if s.managers_more:
        out += ["", f"{s.managers_more:,} more managers: the HTML report lists them."]
    return out


def moved(s: Summary, report: Report) -> list[str]:
    """What moved, and the reps that moved most (only with an earlier snapshot)."""
    changes = report.changes
    if changes is None:
        return []
    out = ["", f"## What moved since {changes.compared_to.isoformat()}", ""]
    out += [f"- {line}" for line in s.moved] or ["- Nothing moved."]
    reps = rep_rows(changes)
    if reps:
        out += ["", "Reps that moved most:", ""]
        out += [
            f"- {md(name if name != '—' else rep)} ({figure}): {before} → {after} ({change})"
            for rep, name, figure, before, after, change in reps[:REPS_MOVED_SHOWN]
        ]
        if len(reps) > REPS_MOVED_SHOWN:
            out.append(f"- and {len(reps) - REPS_MOVED_SHOWN} more")
    return out


def risk(s: Summary, report: Report) -> list[str]:
    out = ["", "## Where the risk is", ""]
    if not s.risk:
        return [*out, "No flagged deal can close in the quarter."]
    out += [s.risk_note, ""]
    out += md_table(RISK_HEADERS, s.risk, right=(4, 5))
    flagged = sum(c.total for c in report.flag_counts if c.subject_type == "deal")
    return [*out, "", f"{flagged:,} deal flags in all; the HTML report lists them by rule."]


def help_needed(s: Summary) -> list[str]:
    out = ["", "## Who needs help", ""]
    if not s.help:
        return [*out, "No rep is flagged."]
    out += md_table(HELP_HEADERS, s.help, right=(2, 3, 4, 5))
    if s.help_more:
        out += ["", f"{s.help_more:,} more reps have a flag; the HTML report lists them."]
    return out


def pipeline(report: Report) -> list[str]:
    """One bullet per headline number, with its change when there is history."""
    cur = currency_of(report)
    values = report.pipeline_summary.model_dump()
    changes = report.changes
    moved_by = {row[0]: row[3] for row in pipeline_rows(changes, cur)} if changes else {}
    out = ["", "## Pipeline", ""]
    for metric, kind in HEADLINE:
        label = FIELDS[metric]
        exact = cell(values[metric], summary_kind(metric), cur)
        shown = cell(values[metric], kind, cur)
        line = f"- **{label}:** {shown}" + (f" ({exact})" if exact != shown else "")
        if changes is not None and label in moved_by:
            line += f", {moved_by[label]} since {changes.compared_to.isoformat()}"
        out.append(line)
    declining = [
        md(t.rep_name or t.rep_id)
        + (" (history)" if t.previous_pipeline_source == "history" else "")
        for t in report.rep_trajectory
        if t.pipeline_trend == "declining"
    ]
    if declining:
        named = ", ".join(declining[:REPS_NAMED]) + (
            f" and {len(declining) - REPS_NAMED} more" if len(declining) > REPS_NAMED else ""
        )
        out.append(f"- **Pipeline declining:** {len(declining)} rep(s): {named}")
    return out


def coached(report: Report) -> list[str]:
    """Who needs coaching and why (the reasons do not repeat the rep)."""
    reps = coaching(report)
    out = ["", "## Coaching", ""]
    if not reps:
        return [*out, "No rep is flagged for coaching."]
    for c in reps[:COACHING_SHOWN]:
        out.append(f"- **{md(c['rep'])}** ({md(c['id'])}): {md('; '.join(c['reasons']))}")
    if len(reps) > COACHING_SHOWN:
        out.append(f"- and {len(reps) - COACHING_SHOWN} more reps (see the HTML report)")
    return out


def velocity_line(report: Report) -> list[str]:
    """One line on stage velocity: the slowest stage and the cycle time of won deals."""
    v = report.velocity
    if v is None:
        return []
    timed = [s for s in v.stages if s.mean_days is not None]
    parts = []
    if timed:
        slow = max(timed, key=lambda s: (s.mean_days or 0, s.stage))
        parts.append(
            f"the slowest stage is {md(slow.stage)} ({cell(slow.mean_days, 'days')} days on "
            "average)"
        )
    if v.cycle_time.mean_days is not None:
        parts.append(
            f"won deals took {cell(v.cycle_time.mean_days, 'days')} days from creation on "
            f"average ({cell(v.cycle_time.won_deals)} deals)"
        )
    if not parts:
        return []
    sentence = "; ".join(parts)
    return ["", "## Stage velocity", "", sentence[:1].upper() + sentence[1:] + "."]


def quality_line(report: Report) -> list[str]:
    """How many data-quality findings, by severity, and which."""
    if not report.data_quality:
        return ["", "No data-quality findings."]
    by_severity: dict[str, int] = {}
    for q in report.data_quality:
        by_severity[q.severity] = by_severity.get(q.severity, 0) + 1
    found = ", ".join(f"{n} {severity_label(s).lower()}" for s, n in sorted(by_severity.items()))
    checks = "; ".join(dict.fromkeys(check_label(q.check) for q in report.data_quality))
    return ["", f"Data quality: {found} ({checks})."]


def render_markdown(report: Report) -> str:
    """The report as a short GitHub-flavoured Markdown summary."""
    s = summary(report)
    out = [f"# Pipeline review — {s.period}, as of {report.as_of.isoformat()}"]
    out += quarter(s)
    slipped = slippage_sentence(report)
    out += ["", slipped] if slipped else []
    out += moved(s, report)
    out += risk(s, report)
    out += help_needed(s)
    out += pipeline(report)
    out += rollup_markdown(report)
    out += last_period_markdown(report.accuracy, currency_of(report))
    out += coached(report)
    out += velocity_line(report)
    out += quality_line(report)
    out += [
        "",
        "---",
        "",
        f"Policy `{report.policy_fingerprint[:19]}` · input `{report.input_fingerprint[:19]}` "
        f"· schema {report.schema_version}",
    ]
    return "\n".join(out) + "\n"
