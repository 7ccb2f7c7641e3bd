"""Terminal renderer (Rich). By default the executive summary: where the quarter will land
(the company and its first-line managers), what moved, the deals with the most at stake,
the reps who need help, one line on the pipeline. ``full`` adds every section and every
list, in the report's order: the forecast, changes and flow, the pipeline, velocity, the
reps and coaching, the deal lists, the other flags, data quality. Every table fits the
width it is given (``terminal.fit``).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from pipereview.render import terminal as term
from pipereview.render.accuracy import last_period_renderables
from pipereview.render.changes import changes_title, movement_rows, pipeline_rows, rep_rows
from pipereview.render.executive import (
    HELP_HEADERS,
    LAND_HEADERS,
    RISK_HEADERS,
    Summary,
    currency_of,
    summary,
)
from pipereview.render.forecast import forecast_renderables, report_level
from pipereview.render.glossary import FIELDS
from pipereview.render.numbers import cell
from pipereview.render.rollups import rollup_renderables
from pipereview.render.sections import (
    coaching,
    deal_lists,
    flag_count_rows,
    other_rep_flags,
    quality_rows,
    summary_rows,
)
from pipereview.render.sections import rep_rows as rep_table_rows
from pipereview.render.slippage import slippage_sentence
from pipereview.render.velocity import velocity_renderables
from pipereview.report import Report

LAND = [
    term.name(LAND_HEADERS[0], min_width=12, max_width=28),
    *(term.num(h, {"Closed won": 2, "Best-case forecast": 3, "Pace": 2}.get(h, 1))
      for h in LAND_HEADERS[1:]),
]  # fmt: skip
# The deal rows of the summary and of the deal lists (RISK_HEADERS == DEAL_HEADERS).
DEAL_COLUMNS = [
    term.name(RISK_HEADERS[0], min_width=12, max_width=24),
    term.name(RISK_HEADERS[1], 2, min_width=14, max_width=24),
    term.name(RISK_HEADERS[2], 4, min_width=8, max_width=20),
    term.num(RISK_HEADERS[3], 3),
    term.num(RISK_HEADERS[4]),
    term.num(RISK_HEADERS[5], 3),
    term.wrap(RISK_HEADERS[6], min_width=28),
]
HELP = [
    term.name(HELP_HEADERS[0], min_width=14, max_width=24),
    term.name(HELP_HEADERS[1], 4, min_width=8, max_width=24),
    term.num(HELP_HEADERS[2], 3),
    term.num(HELP_HEADERS[3], 3),
    term.num(HELP_HEADERS[4]),
    term.num(HELP_HEADERS[5], 2),
    term.wrap(HELP_HEADERS[6], min_width=28),
]
REPS = [
    term.name("Rep", min_width=14, max_width=24),
    term.name("Id", 4, max_width=12),
    term.num("Active", 3),
    term.num("Pipeline"),
    term.num("Close rate", 3),
    term.num("Quota achievement"),
    term.num("3-month attainment", 2),
    term.name("Trend", 2, max_width=22),
    term.name("Marks", 3, max_width=30),
]
QUALITY = [
    term.name("Finding", min_width=16, max_width=34),
    term.name("Table", 4),
    term.name("Severity", 3),
    term.num("Count"),
    term.wrap("What it means", min_width=24),
    term.wrap("Examples", 3, min_width=16, max_width=40),
]


MORE_DEALS = "--full lists every flagged deal."


def _heading(title: str) -> Text:
    return Text("\n" + title, style="bold")


def executive(s: Summary, report: Report, width: int) -> list[Any]:
    """The summary's parts: the quarter, what moved, the risk, who needs help."""
    parts: list[Any] = [Text(f"Pipeline review — {s.period}, as of {report.as_of}", "bold")]
    if s.land:
        parts.append(_heading("Where the quarter will land"))
        parts.append(Text(" ".join(s.land)))
        more = f"{s.managers_more:,} more managers: --full lists them." if s.managers_more else None
        title = "By first-line manager" if len(s.managers) > 1 else None
        parts.append(term.fit(title, LAND, s.managers, width, more))
    parts.append(_heading("What moved"))
    parts += [Text(line) for line in s.moved] or [
        Text("No earlier snapshot to compare with (pipereview snapshot keeps one).")
    ]
    parts.append(_heading("Where the risk is"))
    if s.risk:
        parts.append(term.fit(None, DEAL_COLUMNS, s.risk, width, f"{s.risk_note} {MORE_DEALS}"))
    else:
        parts.append(Text("No flagged deal can close in the quarter."))
    parts.append(_heading("Who needs help"))
    if s.help:
        more = f"{s.help_more:,} more flagged: --full lists every rep." if s.help_more else None
        parts.append(term.fit(None, HELP, s.help, width, more))
    else:
        parts.append(Text("No rep is flagged."))
    return parts


def pipeline_line(report: Report) -> Text:
    """The pipeline in one sentence."""
    cur = currency_of(report)
    p = report.pipeline_summary
    return Text(
        f"{cell(p.total_pipeline_value, 'compact', cur)} total, "
        f"{cell(p.weighted_pipeline_value, 'compact', cur)} weighted, win rate "
        f"{cell(p.win_rate, 'rate')}, {cell(p.won_value, 'compact', cur)} won; "
        f"{cell(p.active_deals)} active deals, "
        f"{cell(p.stalled_deals_count)} stalled, {cell(p.at_risk_deals_count)} at risk."
    )


def detail(report: Report, width: int) -> list[Any]:
    """Every section after the summary, every list whole."""
    cur = currency_of(report)
    parts: list[Any] = []
    if report.forecast is not None:
        f = report.forecast
        parts.append(_heading("Forecast"))
        parts += forecast_renderables(f, report_level(f), width, cur)
    slipped = slippage_sentence(report)
    if slipped:
        parts.append(Text(slipped))
    parts += rollup_renderables(report, width)
    parts += last_period_renderables(report.accuracy, width, cur)
    changes = report.changes
    if changes is not None:
        parts.append(_heading(changes_title(changes)))
        figures = [term.name("Metric", max_width=24), *map(term.num, ("Before", "After", "Change"))]
        parts.append(term.fit(None, figures, pipeline_rows(changes, cur), width))
        moves = [
            term.name("Movement"),
            term.num("Deals"),
            term.num("Value"),
            term.wrap("Biggest", 2),
        ]
        parts.append(term.fit("Deal movements", moves, movement_rows(changes, cur), width))
        if changes.reps:
            cols = [term.name("Rep"), term.name("Name", 2), term.name("Figure"),
                    term.num("Before"), term.num("After"), term.num("Change")]  # fmt: skip
            parts.append(term.fit("Reps that moved", cols, rep_rows(changes), width))
    parts.append(_heading("Pipeline"))
    metric = [term.name("Metric", max_width=24), term.num("Value")]
    parts.append(term.fit(None, metric, summary_rows(report.pipeline_summary, cur), width))
    stages = [
        [s.stage or "(no stage)", cell(s.active_deals), cell(s.pipeline_value, "usd", cur),
         cell(s.weighted_pipeline_value, "usd", cur)]
        for s in report.pipeline_by_stage
    ]  # fmt: skip
    stage_cols = [term.name("Stage", max_width=24), term.num("Active deals"),
                  term.num(FIELDS["pipeline_value"]), term.num("Weighted", 2)]  # fmt: skip
    parts.append(term.fit("By stage", stage_cols, stages, width))
    if report.velocity is not None:
        parts += velocity_renderables(report.velocity, width)
    parts += _people(report, width)
    parts.append(_heading("Deals to look at"))
    for listed in deal_lists(report):
        title = f"{listed.title} ({listed.total:,})"
        listed_note = (
            f"{len(listed.rows):,} of {listed.total:,} listed (flags.max_per_rule)."
            if len(listed.rows) < listed.total
            else None
        )
        if listed.rows:
            parts.append(term.fit(title, DEAL_COLUMNS, listed.rows, width, listed_note))
        else:
            parts.append(Text(f"{title}: none."))
    flags = [term.name("Flag", max_width=28), term.name("Applies to", 3),
             term.name("Severity", 2), term.num("Total"), term.num("Listed")]  # fmt: skip
    parts.append(term.fit("Flags by rule", flags, flag_count_rows(report), width))
    parts.append(_heading("Data quality"))
    rows = quality_rows(report)
    parts.append(term.fit(None, QUALITY, rows, width) if rows else Text("No findings."))
    return parts


def _people(report: Report, width: int) -> list[Any]:
    """The reps table, coaching with its reasons, the other rep flags."""
    parts: list[Any] = [_heading("Reps")]
    reps = [
        [r["rep"], r["id"], r["active"], r["pipeline"], r["close_rate"], r["achievement"],
         r["attainment"], r["trend"], ", ".join(r["marks"])]
        for r in rep_table_rows(report)
    ]  # fmt: skip
    parts.append(term.fit(None, REPS, reps, width))
    coached = [[c["rep"], "; ".join(c["reasons"])] for c in coaching(report)]
    if coached:
        cols = [term.name("Rep", min_width=14, max_width=24), term.wrap("Why")]
        parts.append(term.fit("Coaching", cols, coached, width))
    others = other_rep_flags(report)
    if others:
        cols = [
            term.name("Rep", min_width=14, max_width=24),
            term.name("Flag", 2),
            term.wrap("Why"),
        ]
        parts.append(term.fit("Other rep flags", cols, others, width))
    return parts


def footer(report: Report, full: bool) -> list[Any]:
    hint = (
        ""
        if full
        else "This is the summary: --full prints every section and list "
        "(--format html and json have them too). "
    )
    return [
        Text(""),
        *([Text(hint.strip())] if hint else []),
        Text(
            f"Policy {report.policy_fingerprint[:19]} · input {report.input_fingerprint[:19]} · "
            f"schema {report.schema_version}",
            style="dim",
        ),
    ]


def report_renderables(
    report: Report, width: int, full: bool = False, by_level: bool = False
) -> list[Any]:
    """Rich renderables for the report, laid out for ``width`` columns. ``by_level``: the
    summary shows "Performance by level" too (``report --by`` asked for it)."""
    parts = executive(summary(report), report, width)
    if full:
        parts += detail(report, width)
    else:
        parts += [_heading("Pipeline"), pipeline_line(report)]
        parts += rollup_renderables(report, width) if by_level else []
    return parts + footer(report, full)


def render_table(
    report: Report, width: int | None = None, full: bool = False, by_level: bool = False
) -> str:
    """The terminal rendering as plain text (no colour), for files and pipes."""
    size = term.width_of(width)
    return term.plain(report_renderables(report, size, full, by_level), size)
