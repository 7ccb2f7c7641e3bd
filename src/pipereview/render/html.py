"""HTML renderer: one self-contained page (inline CSS, charts as inline SVG, no script, no
network) for a browser, an email attachment or print; the PDF renderer prints the same page.

The Python side turns the Report into display rows (every number formatted once, here);
the Jinja2 templates only lay them out. Autoescaping is on: ids and names from the input
are text, never markup. The dashboard shows the same body with links (``links=True``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal
from urllib.parse import quote

import jinja2

from pipereview.render import charts
from pipereview.render.changes import (
    changes_title,
    movement_rows,
    pipeline_rows,
    untracked_note,
)
from pipereview.render.changes import rep_rows as changed_rep_rows
from pipereview.render.flow import LABELS as FLOW_LABELS
from pipereview.render.flow import exact_usd
from pipereview.render.forecast import forecast_view, report_level
from pipereview.render.text import (
    HEADLINE,
    SUMMARY_LABELS,
    cell,
    deal_facts,
    details_by_id,
    from_history,
    rep_marks,
    rep_names,
    summary_kind,
    summary_rows,
)
from pipereview.render.velocity import cycle_rows, stage_rows, velocity_title
from pipereview.report.forecast_model import Forecast, Level
from pipereview.report.model import Flag, PeriodFlow, Report

PageSize = Literal["A4", "Letter"]
DEAL_RULE_TITLES = {
    "stalled_deal": "Stalled deals",
    "at_risk_deal": "At-risk deals",
    "stale_high_probability": "Stale high-probability deals",
    "past_close_date": "Deals past their close date",
}
COACHING_RULES = ("needs_coaching", "coaching_candidate")
LOWER_IS_BETTER = {"stalled_deals_count", "at_risk_deals_count"}
TREND_ARROWS = {"improving": "▲", "stable": "▶", "declining": "▼"}
BAR_FULL = 1.5  # the attainment bar is full at 150% of quota


@dataclass
class Kpi:
    """One headline number: compact, exact, and its change since the earlier snapshot."""

    label: str
    value: str
    exact: str
    change: str = ""
    direction: str = ""  # "up", "down" or "" (no history, or no change): the arrow
    tone: str = ""  # "good" or "bad": the colour (fewer stalled deals is good)


@dataclass
class DealList:
    """One deal rule's listed flags, as display rows."""

    rule: str
    title: str
    total: int
    rows: list[list[str]] = field(default_factory=list)


def url_segment(value: object) -> str:
    """A value as one URL path segment (every reserved character escaped)."""
    return quote(str(value), safe="")


def environment(loader: jinja2.BaseLoader | None = None) -> jinja2.Environment:
    """A Jinja2 environment for the report templates (and ``loader``'s before them):
    autoescaped, strict about undefined names, with the ``segment`` filter."""
    report_templates = jinja2.PackageLoader("pipereview.render", "templates")
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([loader, report_templates]) if loader else report_templates,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["segment"] = url_segment
    return env


@cache
def _report_environment() -> jinja2.Environment:
    return environment()


def kpis(report: Report) -> list[Kpi]:
    """The headline numbers, compact, with the change since the earlier snapshot."""
    summary = report.pipeline_summary.model_dump()
    changes = report.changes
    moved = {c.metric: c for c in changes.pipeline} if changes else {}
    written = {row[0]: row[3] for row in pipeline_rows(changes)} if changes else {}
    out = []
    for metric, kind in HEADLINE:
        value = summary[metric]
        kpi = Kpi(SUMMARY_LABELS[metric], cell(value, kind), cell(value, summary_kind(metric)))
        change = moved.get(metric)
        if change is not None:
            kpi.change = written[kpi.label]
            kpi.direction = "up" if change.change > 0 else "down" if change.change < 0 else ""
            better = "down" if metric in LOWER_IS_BETTER else "up"
            kpi.tone = "" if not kpi.direction else "good" if kpi.direction == better else "bad"
        out.append(kpi)
    return out


def _deal_row(flag: Flag, facts: dict[str, Any]) -> list[str]:
    """Deal, owner, stage, value, probability, days in stage, and why it is flagged."""
    return [
        flag.subject_id,
        cell(facts["owner"]),
        cell(facts["stage"]),
        cell(facts["value"], "usd"),
        cell(facts["probability"], "rate"),
        cell(facts["days"]),
        flag.message,
    ]


def deal_lists(report: Report) -> list[DealList]:
    """Each deal rule's listed flags with owner, stage, value, probability and the reason."""
    details = details_by_id(report.deal_details)
    names = rep_names(report)
    lists = []
    for count in report.flag_counts:
        if count.subject_type != "deal":
            continue
        listed = DealList(count.rule, DEAL_RULE_TITLES.get(count.rule, count.rule), count.total)
        listed.rows = [
            _deal_row(f, deal_facts(f, details, names))
            for f in report.flags
            if f.rule == count.rule
        ]
        lists.append(listed)
    return lists


def coaching(report: Report) -> list[dict[str, Any]]:
    """Reps flagged for coaching, each with the sentences that say why."""
    names = rep_names(report)
    reasons: dict[str, list[str]] = {}
    for f in report.flags:
        if f.subject_type == "rep" and f.rule in COACHING_RULES:
            reasons.setdefault(f.subject_id, []).append(f.message)
    return [
        {"rep_id": rep, "name": names.get(rep) or rep, "reasons": why}
        for rep, why in reasons.items()
    ]


def _bar(achievement: float | None) -> float | None:
    """The attainment bar's width in percent (0-100, full at ``BAR_FULL``)."""
    if achievement is None:
        return None
    return min(max(achievement, 0.0), BAR_FULL) / BAR_FULL * 100


def rep_rows(report: Report) -> list[dict[str, Any]]:
    """The rep table: figures, an attainment bar, the trend and the top opportunities."""
    trajectory = {t.rep_id: t for t in report.rep_trajectory}
    details = {d.deal_id: d for d in report.deal_details}
    out = []
    for r in report.rep_performance:
        t = trajectory.get(r.rep_id)
        tops = [
            (
                i,
                f" ({cell(details[i].deal_value_usd, 'compact')}, "
                f"{cell(details[i].probability, 'rate')})"
                if i in details
                else "",
            )
            for i in r.top_opportunities
        ]
        out.append(
            {
                "rep_id": r.rep_id,
                "name": r.rep_name or "—",
                "active": cell(r.active_deals),
                "pipeline": cell(r.pipeline_value, "usd"),
                "close_rate": cell(r.close_rate, "rate"),
                "achievement": cell(r.quota_achievement, "rate"),
                "bar": _bar(r.quota_achievement),
                "coach": r.needs_coaching,
                "attainment": cell(t.quota_attainment_pct, "pct") if t else "—",
                "trend": f"{TREND_ARROWS[t.pipeline_trend]} {t.pipeline_trend}"
                + from_history(t.previous_pipeline_source)
                if t
                else "—",
                "trend_class": t.pipeline_trend if t else "",
                "change": cell(t.pipeline_change_pct, "pct") if t else "—",
                "marks": rep_marks(r.needs_coaching, t),
                "tops": tops,
            }
        )
    return out


def flow_view(flow: PeriodFlow | None) -> dict[str, Any] | None:
    """The waterfall chart and its rows (exact money, so the lines add up)."""
    if flow is None:
        return None
    moved = [s for s in flow.steps if s.category != "unchanged"]
    period = (
        f"{flow.period_start.isoformat()} to {flow.period_end.isoformat()}"
        if flow.period_start and flow.period_end
        else "all close dates"
    )
    return {
        "title": f"Open pipeline flow since {flow.compared_to.isoformat()} (closing {period})",
        "chart": charts.waterfall_chart(
            float(flow.start_open_pipeline),
            [(FLOW_LABELS[s.category], float(s.change)) for s in moved],
            float(flow.end_open_pipeline),
        ),
        "rows": [["Start", exact_usd(flow.start_open_pipeline), ""]]
        + [[FLOW_LABELS[s.category], exact_usd(s.change), cell(s.deals)] for s in flow.steps]
        + [["End", exact_usd(flow.end_open_pipeline), ""]],
    }


def _capped(rows: list[Any], limit: int) -> tuple[list[Any], int]:
    """The first ``limit`` rows (all when 0) and how many are left out."""
    if not limit or len(rows) <= limit:
        return rows, 0
    return rows[:limit], len(rows) - limit


def context(report: Report, page_size: PageSize = "A4", limit: int = 0) -> dict[str, Any]:
    """Everything the report body shows, formatted. ``limit`` (0 = none) caps every long
    list (reps, coaching, each deal rule, other rep flags) for print; the page says how many
    rows it leaves out."""
    changes, velocity = report.changes, report.velocity
    reps, reps_more = _capped(rep_rows(report), limit)
    coached, coaching_more = _capped(coaching(report), limit)
    others = [f for f in report.flags if f.subject_type == "rep" and f.rule not in COACHING_RULES]
    rep_flags, rep_flags_more = _capped(others, limit)
    lists = deal_lists(report)
    for listed in lists:
        listed.rows = listed.rows[: limit or None]
    return {
        "report": report,
        "links": False,
        "q": "",
        "history": None,
        "page_size": page_size,
        "as_of": report.as_of.isoformat(),
        "kpis": kpis(report),
        "summary": summary_rows(report.pipeline_summary),
        "stage_chart": charts.stage_chart(report),
        "weighted_chart": charts.weighted_chart(report),
        "stages": [
            [
                s.stage or "(no stage)",
                cell(s.active_deals),
                cell(s.pipeline_value, "usd"),
                cell(s.weighted_pipeline_value, "usd"),
            ]
            for s in report.pipeline_by_stage
        ],
        "reps": reps,
        "reps_more": reps_more,
        "coaching": coached,
        "coaching_more": coaching_more,
        "deal_lists": lists,
        "rep_flags": rep_flags,
        "rep_flags_more": rep_flags_more,
        "counts": report.flag_counts,
        "quality": report.data_quality,
        "changes": None
        if changes is None
        else {
            "title": changes_title(changes),
            "pipeline": pipeline_rows(changes),
            "movements": movement_rows(changes),
            "note": untracked_note(changes),
            "reps": changed_rep_rows(changes),
        },
        "flow": flow_view(report.flow),
        "forecast": None
        if report.forecast is None
        else forecast_view(report.forecast, report_level(report.forecast), limit),
        "velocity": None
        if velocity is None
        else {
            "title": velocity_title(velocity),
            "chart": charts.velocity_chart(velocity),
            "stages": stage_rows(velocity),
            "cycles": cycle_rows(velocity),
        },
    }


def render_html(report: Report, page_size: PageSize = "A4", limit: int = 0) -> str:
    """The report as one self-contained HTML page (every long list capped at ``limit``
    rows when it is not 0: the PDF's print limit)."""
    values = context(report, page_size, limit)
    return _report_environment().get_template("report.html.j2").render(**values)


def render_forecast_html(f: Forecast, level: Level = "rep", page_size: str = "A4") -> str:
    """A self-contained HTML page of the forecast (printed on ``page_size``)."""
    return forecast_page(forecast_view(f, level), page_size)


def forecast_page(view: dict[str, Any] | None, page_size: str = "A4") -> str:
    """A self-contained HTML page of one forecast view (``render.forecast``)."""
    template = _report_environment().get_template("forecast.html.j2")
    return template.render(forecast=view, page_size=page_size)
