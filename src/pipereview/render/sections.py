"""Display rows of the report's detailed sections (pipeline, reps, coaching, deal lists,
other flags, data quality), shared by the HTML page, the PDF and the dashboard. Every value
is formatted here, once; names and reasons come from the glossary and ``reasons``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipereview.render.executive import RISK_HEADERS, Linked, currency_of
from pipereview.render.glossary import (
    FIELDS,
    TABLES,
    check_label,
    rule_label,
    rule_title,
    severity_label,
)
from pipereview.render.numbers import cell, compact_money, count, text
from pipereview.render.reasons import reason
from pipereview.report.executive import deal_row, details_by_id
from pipereview.report.model import PipelineSummary, Report, RepTrajectory

COACHING_RULES = ("needs_coaching", "coaching_candidate")
LOWER_IS_BETTER = {"stalled_deals_count", "at_risk_deals_count"}
TREND_ARROWS = {"improving": "▲", "stable": "▶", "declining": "▼"}
BAR_FULL = 1.5  # the attainment bar is full at 150% of quota
DEAL_HEADERS = RISK_HEADERS  # a deal list reads like the summary's deals at stake
# How each pipeline-summary metric reads: money, a rate, or a count.
SUMMARY_KINDS = {
    "total_pipeline_value": "usd",
    "weighted_pipeline_value": "usd",
    "average_deal_size": "usd",
    "win_rate": "rate",
    "won_value": "usd",
    "won_value_quarter_to_date": "usd",
    "won_value_year_to_date": "usd",
    "recorded_year_to_date_revenue": "usd",
    "average_won_deal_size": "usd",
    "median_sales_cycle_days": "days",
}
# The pipeline's headline numbers, each with its compact form.
HEADLINE = (
    ("total_pipeline_value", "compact"),
    ("weighted_pipeline_value", "compact"),
    ("win_rate", "rate"),
    ("won_value", "compact"),
    ("active_deals", ""),
    ("stalled_deals_count", ""),
    ("at_risk_deals_count", ""),
)


def summary_kind(metric: str) -> str:
    """How a pipeline-summary metric reads: ``usd``, ``rate`` or a count (``""``)."""
    return SUMMARY_KINDS.get(metric, "")


def summary_rows(s: PipelineSummary, currency: str = "USD") -> list[list[str]]:
    """(label, formatted value) for every pipeline metric, in model order."""
    return [[FIELDS[k], cell(v, summary_kind(k), currency)] for k, v in s.model_dump().items()]


@dataclass
class DealList:
    """One deal rule's flags, as display rows (``total``: the rule's true count)."""

    rule: str
    title: str
    total: int
    rows: list[list[Any]] = field(default_factory=list)


def rep_names(report: Report) -> dict[str, str | None]:
    """Each rep's name by rep_id."""
    return {r.rep_id: r.rep_name for r in report.rep_performance}


def rep_link(rep_id: str | None, names: dict[str, str | None]) -> Any:
    """A rep cell: the name (or id) shown, and the id to link to when the rep has a page
    (is in the reps input, ``names``)."""
    if rep_id is None:
        return "—"
    if rep_id not in names:
        return text(rep_id, 30)
    return Linked(rep_id, text(names.get(rep_id) or rep_id, 30), "rep")


def deal_lists(report: Report) -> list[DealList]:
    """Each deal rule's listed flags: deal, owner, stage, close date, value, probability and
    a short reason (the row's own facts are not repeated in it)."""
    details = details_by_id(report)
    names = rep_names(report)
    cur = currency_of(report)
    lists = []
    for c in report.flag_counts:
        if c.subject_type != "deal":
            continue
        listed = DealList(c.rule, rule_title(c.rule), c.total)
        for f in (f for f in report.flags if f.rule == c.rule):
            row = deal_row(f, details)
            listed.rows.append(
                [
                    Linked(f.subject_id, text(f.subject_id, 30), "deal"),
                    rep_link(row.rep_id, names),
                    text(row.stage, 30) if row.stage else "—",
                    cell(row.close_date.isoformat() if row.close_date else None),
                    cell(row.value, "usd", cur),
                    cell(row.probability, "rate"),
                    reason(f, cur),
                ]
            )
        lists.append(listed)
    return lists


def coaching(report: Report) -> list[dict[str, Any]]:
    """Reps flagged for coaching, each with its reasons (its name is the heading)."""
    cur = currency_of(report)
    names = rep_names(report)
    reasons: dict[str, list[str]] = {}
    for f in report.flags:
        if f.subject_type == "rep" and f.rule in COACHING_RULES:
            reasons.setdefault(f.subject_id, []).append(f"{rule_label(f.rule)}: {reason(f, cur)}")
    return [
        {"rep": rep_link(rep, names), "id": text(rep, 30), "reasons": why}
        for rep, why in reasons.items()
    ]


def other_rep_flags(report: Report) -> list[list[Any]]:
    """Rep flags other than coaching: rep, flag, why."""
    cur = currency_of(report)
    names = rep_names(report)
    return [
        [rep_link(f.subject_id, names), rule_label(f.rule), reason(f, cur)]
        for f in report.flags
        if f.subject_type == "rep" and f.rule not in COACHING_RULES
    ]


def _bar(achievement: float | None) -> float | None:
    """The attainment bar's width in percent (0-100, full at ``BAR_FULL``)."""
    if achievement is None:
        return None
    return min(max(achievement, 0.0), BAR_FULL) / BAR_FULL * 100


def rep_marks(needs_coaching: bool, t: RepTrajectory | None) -> list[str]:
    """A rep's marks: Coach (needs coaching), Candidate (coaching candidate), Benchmark."""
    return [
        mark
        for mark, on in (
            ("Coach", needs_coaching),
            ("Candidate", bool(t and t.coaching_candidate)),
            ("Benchmark", bool(t and t.benchmark)),
        )
        if on
    ]


def trend_text(t: RepTrajectory | None) -> str:
    """▲ improving, ▼ declining (history), or an em dash."""
    if t is None:
        return "—"
    note = " (history)" if t.previous_pipeline_source == "history" else ""
    return f"{TREND_ARROWS[t.pipeline_trend]} {t.pipeline_trend}{note}"


def rep_rows(report: Report) -> list[dict[str, Any]]:
    """The rep table: figures, an attainment bar, the trend and the top opportunities."""
    cur = currency_of(report)
    trajectory = {t.rep_id: t for t in report.rep_trajectory}
    details = {d.deal_id: d for d in report.deal_details}
    out = []
    for r in report.rep_performance:
        t = trajectory.get(r.rep_id)
        tops = [
            (
                Linked(i, text(i, 30), "deal"),
                f" ({compact_money(details[i].deal_value_usd, cur)}, "
                f"{cell(details[i].probability, 'rate')})"
                if i in details
                else "",
            )
            for i in r.top_opportunities
        ]
        out.append(
            {
                "rep_id": r.rep_id,
                "rep": Linked(r.rep_id, text(r.rep_name or r.rep_id, 30), "rep"),
                "id": text(r.rep_id, 20),
                "name": text(r.rep_name) if r.rep_name else "—",
                "active": count(r.active_deals),
                "pipeline": cell(r.pipeline_value, "usd", cur),
                "close_rate": cell(r.close_rate, "rate"),
                "achievement": cell(r.quota_achievement, "rate"),
                "bar": _bar(r.quota_achievement),
                "coach": r.needs_coaching,
                "attainment": cell(t.quota_attainment_pct if t else None, "pct"),
                "trend": trend_text(t),
                "trend_class": t.pipeline_trend if t else "",
                "change": cell(t.pipeline_change_pct if t else None, "pct"),
                "marks": rep_marks(r.needs_coaching, t),
                "tops": tops,
            }
        )
    return out


def quality_rows(report: Report) -> list[list[str]]:
    """Finding, table, severity, count, what it means, examples (cut for display)."""
    return [
        [
            check_label(q.check),
            TABLES.get(q.table, q.table),
            severity_label(q.severity),
            count(q.count),
            text(q.message, 400),
            text(", ".join(text(e, 30) for e in q.examples), 200),
        ]
        for q in report.data_quality
    ]


def flag_count_rows(report: Report, limit: int = 0) -> list[list[str]]:
    """Rule, applies to, severity, total, and how many this page lists (``limit``: the
    print cap, 0 = none)."""
    return [
        [
            rule_label(c.rule),
            "Deals" if c.subject_type == "deal" else "Reps",
            severity_label(c.severity),
            count(c.total),
            count(min(c.shown, limit) if limit else c.shown),
        ]
        for c in report.flag_counts
    ]
