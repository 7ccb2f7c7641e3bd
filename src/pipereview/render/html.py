"""HTML renderer: one self-contained page (inline CSS, charts as inline SVG, no script, no
network) for a browser, an email attachment or print; the PDF renderer prints the same page.

The page reads in the order a sales leader asks: the executive summary (where the quarter
will land, what moved, where the risk is, who needs help), the forecast, the changes and
flow, the pipeline, the reps, the deal lists, data quality; the fingerprints close it.
The Python side turns the Report into display rows (``executive``, ``sections``); the
Jinja2 templates only lay them out. Autoescaping is on: ids and names from the input are
text, never markup. The dashboard shows the same body with links (``links=True``).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Literal
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from pipereview.render import charts
from pipereview.render.accuracy import accuracy_view, last_period_view
from pipereview.render.changes import changes_view
from pipereview.render.executive import (
    HELP_HEADERS,
    RISK_HEADERS,
    Card,
    currency_of,
    first_line,
    row_name,
    summary,
)
from pipereview.render.forecast import forecast_view, report_level
from pipereview.render.glossary import FIELDS, FLOW_STEPS, FLOW_TONES
from pipereview.render.numbers import cell, exact_money, text
from pipereview.render.rollups import rollup_view
from pipereview.render.sections import (
    DEAL_HEADERS,
    HEADLINE,
    LOWER_IS_BETTER,
    coaching,
    deal_lists,
    flag_count_rows,
    other_rep_flags,
    quality_rows,
    rep_rows,
    summary_kind,
    summary_rows,
)
from pipereview.render.slippage import slippage_sentence
from pipereview.render.velocity import (
    CYCLE_HEADERS,
    STAGE_HEADERS,
    cycle_rows,
    stage_rows,
    velocity_title,
)
from pipereview.report.accuracy_model import Accuracy
from pipereview.report.forecast_model import Forecast, Level
from pipereview.report.model import PeriodFlow, Report

PageSize = Literal["A4", "Letter"]


LONG_WORD = re.compile(r"\S{21,}")


def breakable(value: Any) -> Any:
    """Text whose words longer than 20 characters may break every 10 (``<wbr>``: nothing
    is added to the text a reader copies), so a long id or name wraps inside its cell
    instead of widening the table; an id like D0000001 stays whole. Markup (the charts, a
    URL segment) passes untouched. Much cheaper for the PDF printer than ``overflow-wrap:
    anywhere`` on every cell (6.4 s against 14.6 s for the 100k-deal report)."""
    if isinstance(value, Markup) or not isinstance(value, str) or not LONG_WORD.search(value):
        return value
    parts = []
    for piece in re.split(r"(\S{21,})", value):
        if LONG_WORD.fullmatch(piece):
            chunks = [escape(piece[i : i + 10]) for i in range(0, len(piece), 10)]
            parts.append(Markup("<wbr>").join(chunks))
        else:
            parts.append(escape(piece))
    return Markup("").join(parts)


def url_segment(value: object) -> Markup:
    """A value as one URL path segment (every reserved character escaped, so it is safe in
    an attribute as it is, and no break is put in it)."""
    return Markup(quote(str(getattr(value, "id", value)), safe=""))


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
        finalize=breakable,
    )
    env.filters["segment"] = url_segment
    return env


@cache
def _report_environment() -> jinja2.Environment:
    return environment()


def kpis(report: Report) -> list[Card]:
    """The pipeline's headline numbers, compact, with the change since the earlier
    snapshot coloured by what it means (fewer stalled deals is good)."""
    from pipereview.render.changes import pipeline_rows

    cur = currency_of(report)
    values = report.pipeline_summary.model_dump()
    changes = report.changes
    moved = {c.metric: c for c in changes.pipeline} if changes else {}
    written = {row[0]: row[3] for row in pipeline_rows(changes, cur)} if changes else {}
    out = []
    for metric, kind in HEADLINE:
        value = values[metric]
        card = Card(FIELDS[metric], cell(value, kind, cur), cell(value, summary_kind(metric), cur))
        change = moved.get(metric)
        if change is not None and changes is not None:
            card.direction = "up" if change.change > 0 else "down" if change.change < 0 else ""
            arrow = {"up": "▲", "down": "▼"}.get(card.direction, "■")
            card.note = f"{arrow} {written[card.label]} since {changes.compared_to.isoformat()}"
            better = "down" if metric in LOWER_IS_BETTER else "up"
            card.tone = "" if not card.direction else "good" if card.direction == better else "bad"
        out.append(card)
    return out


def flow_view(flow: PeriodFlow | None, currency: str) -> dict[str, Any] | None:
    """The waterfall chart and its rows (exact money, so the lines add up)."""
    if flow is None:
        return None
    moved = [s for s in flow.steps if s.category != "unchanged" and s.change]
    period = (
        f"{flow.period_start.isoformat()} to {flow.period_end.isoformat()}"
        if flow.period_start and flow.period_end
        else "all close dates"
    )
    return {
        "title": f"Open pipeline flow since {flow.compared_to.isoformat()} (closing {period})",
        "chart": charts.waterfall_chart(
            float(flow.start_open_pipeline),
            [(FLOW_STEPS[s.category], float(s.change), FLOW_TONES[s.category]) for s in moved],
            float(flow.end_open_pipeline),
            currency,
        ),
        "rows": [["Start", exact_money(flow.start_open_pipeline, currency), ""]]
        + [
            [FLOW_STEPS[s.category], exact_money(s.change, currency), cell(s.deals)]
            for s in flow.steps
        ]
        + [["End", exact_money(flow.end_open_pipeline, currency), ""]],
    }


def _capped(rows: list[Any], limit: int) -> tuple[list[Any], int]:
    """The first ``limit`` rows (all when 0) and how many are left out."""
    if not limit or len(rows) <= limit:
        return rows, 0
    return rows[:limit], len(rows) - limit


def _forecast_chart(report: Report) -> str | None:
    f = report.forecast
    if f is None:
        return None
    rows = first_line(f)[:12] or [f.company]
    names = [text(row_name(r), 36) for r in rows]
    return charts.forecast_chart(f, rows, names, currency_of(report))


# The rep table's headers and which hold figures (the achievement column draws its bar on
# the left, so it is not right-aligned).
REP_HEADERS: tuple[tuple[str, bool], ...] = (
    ("Rep", False),
    ("Active", True),
    ("Pipeline", True),
    ("Close rate", True),
    ("Quota achievement", False),
    ("3-month attainment", True),
    ("Trend", False),
    ("Change", True),
    ("Marks", False),
    ("Top opportunities", False),
)


def context(report: Report, page_size: PageSize = "A4", limit: int = 0) -> dict[str, Any]:
    """Everything the report body shows, formatted. ``limit`` (0 = none) caps every long
    list (reps, coaching, each deal rule, other rep flags, forecast rows) for print; the
    page says how many rows it leaves out."""
    cur = currency_of(report)
    velocity = report.velocity
    reps, reps_more = _capped(rep_rows(report), limit)
    coached, coaching_more = _capped(coaching(report), limit)
    rep_flags, rep_flags_more = _capped(other_rep_flags(report), limit)
    lists = deal_lists(report)
    for listed in lists:
        listed.rows = listed.rows[: limit or None]
    f = report.forecast
    return {
        "report": report,
        "links": False,
        "q": "",
        "history": None,
        "page_size": page_size,
        "as_of": report.as_of.isoformat(),
        "title": f"Pipeline review — {f.period}, as of {report.as_of.isoformat()}"
        if f
        else f"Pipeline review — as of {report.as_of.isoformat()}",
        "summary": summary(report),
        "headers": {"risk": RISK_HEADERS, "help": HELP_HEADERS, "deals": DEAL_HEADERS},
        "forecast_chart": _forecast_chart(report),
        "kpis": kpis(report),
        "pipeline": summary_rows(report.pipeline_summary, cur),
        "stage_chart": charts.stage_chart(report.pipeline_by_stage, cur),
        "stages": [
            [
                text(s.stage) if s.stage else "(no stage)",
                cell(s.active_deals),
                cell(s.pipeline_value, "usd", cur),
                cell(s.weighted_pipeline_value, "usd", cur),
            ]
            for s in report.pipeline_by_stage
        ],
        "reps": reps,
        "rep_headers": REP_HEADERS,
        "reps_more": reps_more,
        "coaching": coached,
        "coaching_more": coaching_more,
        "deal_lists": lists,
        "rep_flags": rep_flags,
        "rep_flags_more": rep_flags_more,
        "counts": flag_count_rows(report, limit),
        "quality": quality_rows(report),
        "changes": changes_view(report.changes, cur),
        "flow": flow_view(report.flow, cur),
        "forecast": None if f is None else forecast_view(f, report_level(f), limit, cur),
        "rollups": rollup_view(report),
        "accuracy": last_period_view(report.accuracy, cur),
        "slippage": slippage_sentence(report),
        "velocity": None
        if velocity is None
        else {
            "title": velocity_title(velocity),
            "headers": STAGE_HEADERS,
            "cycle_headers": CYCLE_HEADERS,
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


def render_forecast_html(
    f: Forecast, level: Level = "rep", page_size: str = "A4", currency: str = "USD"
) -> str:
    """A self-contained HTML page of the forecast (printed on ``page_size``), money in
    ``currency``."""
    return forecast_page(forecast_view(f, level, currency=currency), page_size)


def render_accuracy_html(a: Accuracy, page_size: str = "A4", currency: str = "USD") -> str:
    """A self-contained HTML page of forecast accuracy (``render.accuracy``)."""
    template = _report_environment().get_template("accuracy.html.j2")
    return template.render(accuracy=accuracy_view(a, currency), page_size=page_size)


def forecast_page(view: dict[str, Any] | None, page_size: str = "A4") -> str:
    """A self-contained HTML page of one forecast view (``render.forecast``)."""
    template = _report_environment().get_template("forecast.html.j2")
    return template.render(forecast=view, page_size=page_size)
