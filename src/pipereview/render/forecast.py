"""The forecast call in a terminal table, Markdown and HTML (JSON is ``Forecast.to_json``):
one level's rows (rep, manager, team, region or company) and the pipeline by close month."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.text import Text

from pipereview.render.text import cell, md_table, rich_table
from pipereview.report.forecast_model import LEVELS, Forecast, ForecastRow, Level
from pipereview.rules.base import number

HEADERS = [
    "Name",
    "Quota",
    "Closed won",
    "Commit",
    "Best case",
    "Pipeline",
    "Commit forecast",
    "Best-case forecast",
    "Open pipeline",
    "Gap to quota",
    "Coverage",
    "Weighted coverage",
    "Slipped",
]
MONTH_HEADERS = ["Close month", "Commit", "Best case", "Pipeline", "Open pipeline", "Deals"]
_NONE = {
    "rep": "(no rep)",
    "manager": "(no manager)",
    "team": "(no team)",
    "region": "(no region)",
    "company": "Company",
}


def forecast_title(f: Forecast, level: Level) -> str:
    return (
        f"Forecast {f.period} ({f.period_start.isoformat()} to {f.period_end.isoformat()}) "
        f"by {level}, as of {f.as_of.isoformat()}"
    )


def multiple(value: float | Decimal | None) -> str:
    """A coverage as a multiple: 2 places, or every place the report kept so that it reads
    against the threshold as it is (2.99999996x, never "3.00x (low)")."""
    if value is None:
        return "—"
    exact = Decimal(repr(value)) if isinstance(value, float) else value
    places = max(2, -int(exact.normalize().as_tuple().exponent))
    return f"{exact:,.{places}f}x"


def _name(row: ForecastRow) -> str:
    if row.id is None:
        return _NONE[row.level]
    if row.level in ("rep", "manager") and row.name:
        return f"{row.name} ({row.id})"
    return row.id


def row_cells(row: ForecastRow) -> list[str]:
    """One row's cells: money to the cent, coverage as a multiple, a low coverage marked."""
    low = " (low)" if row.low_coverage else ""
    return [
        _name(row),
        cell(row.quota, "usd"),
        cell(row.closed_won, "usd"),
        cell(row.commit, "usd"),
        cell(row.best_case, "usd"),
        cell(row.pipeline, "usd"),
        cell(row.commit_forecast, "usd"),
        cell(row.best_case_forecast, "usd"),
        cell(row.open_pipeline, "usd"),
        cell(row.gap_to_quota, "usd"),
        multiple(row.coverage) + low,
        multiple(row.weighted_coverage),
        cell(row.slipped_deals),
    ]


def level_rows(f: Forecast, level: Level) -> list[list[str]]:
    """The level's rows, then the company's (once)."""
    rows = [row_cells(r) for r in f.rows(level)]
    return rows if level == "company" else [*rows, row_cells(f.company)]


def month_rows(f: Forecast) -> list[list[str]]:
    return [
        [
            m.month.strftime("%Y-%m"),
            cell(m.commit, "usd"),
            cell(m.best_case, "usd"),
            cell(m.pipeline, "usd"),
            cell(m.open_pipeline, "usd"),
            cell(m.open_pipeline_deals),
        ]
        for m in f.by_close_month
    ]


def forecast_notes(f: Forecast) -> list[str]:
    """What a reader must know to trust the figures: the coverage threshold, deals the
    period cannot place, categories that were filled in."""
    c = f.company
    notes = [
        f"Coverage = open pipeline (commit + best case + pipeline) closing in {f.period} / "
        f"gap to quota (quota - closed won); low below {number(f.low_coverage_below)}x."
    ]
    if c.slipped_deals:
        notes.append(
            f"{_deals(c.slipped_deals)} ({cell(c.slipped_value, 'usd')}) "
            f"{_have(c.slipped_deals)} a close date before {f.as_of.isoformat()} (slipped)."
        )
    if c.deals_without_close_date:
        notes.append(
            f"{_deals(c.deals_without_close_date)} {_have(c.deals_without_close_date)} no close "
            "date and so no period."
        )
    filled = c.categorized_by_stage + c.categorized_by_default
    if filled:
        notes.append(
            f"{_deals(filled)} in the period {_have(filled)} no open forecast category of "
            f"their own (none, an unknown one, or Closed): {c.categorized_by_stage:,} took the "
            f"stage's (forecast.category_by_stage), {c.categorized_by_default:,} the default "
            "(forecast.default_category)."
        )
    if c.reps_without_quota:
        reps = c.reps_without_quota
        notes.append(f"{reps:,} {'rep has' if reps == 1 else 'reps have'} no quota for the period.")
    return notes


def _deals(count: int) -> str:
    return f"{count:,} active {'deal' if count == 1 else 'deals'}"


def _have(count: int) -> str:
    return "has" if count == 1 else "have"


# The columns the full report's terminal table keeps (the forecast command shows them all).
COMPACT = (
    "Name",
    "Quota",
    "Closed won",
    "Commit forecast",
    "Best-case forecast",
    "Open pipeline",
    "Gap to quota",
    "Coverage",
    "Slipped",
)


def forecast_renderables(f: Forecast, level: Level, compact: bool = False) -> list[Any]:
    """The level's table, the close months and the notes (``compact``: the level's table
    only, with the ``COMPACT`` columns, for the full report)."""
    rows = level_rows(f, level)
    if compact:
        keep = [HEADERS.index(name) for name in COMPACT]
        narrow = [[row[i] for i in keep] for row in rows]
        return [rich_table(forecast_title(f, level), list(COMPACT), narrow)]
    out: list[Any] = [rich_table(forecast_title(f, level), HEADERS, rows)]
    out.append(rich_table("Open pipeline by close month", MONTH_HEADERS, month_rows(f)))
    out += [Text(note) for note in forecast_notes(f)]
    return out


def render_forecast_table(f: Forecast, level: Level = "rep", width: int = 200) -> str:
    """The forecast as plain-text tables."""
    buffer = io.StringIO()
    console = Console(width=width, file=buffer, color_system=None)
    for part in forecast_renderables(f, level):
        console.print(part)
    return buffer.getvalue()


def render_forecast_markdown(f: Forecast, level: Level = "rep") -> str:
    """The same as Markdown."""
    out = [f"# {forecast_title(f, level)}", ""]
    out += md_table(HEADERS, level_rows(f, level), right_from=1)
    out += ["", "## Open pipeline by close month", ""]
    out += md_table(MONTH_HEADERS, month_rows(f), right_from=1)
    out += [""] + [f"- {n}" for n in forecast_notes(f)]
    return "\n".join(out) + "\n"


def report_level(f: Forecast) -> Level:
    """The level the full report shows: managers when there is a hierarchy, else teams when
    reps have one, else reps."""
    if f.by_manager:
        return "manager"
    return "team" if any(t.id is not None for t in f.by_team) else "rep"


def forecast_view(
    f: Forecast | None, level: Level = "manager", limit: int = 0
) -> dict[str, Any] | None:
    """What the HTML forecast section shows (None without a forecast): the level's rows,
    at most ``limit`` of them when it is not 0 (the PDF's print limit; ``more`` says how many
    are left out), then the company's."""
    if f is None:
        return None
    rows = level_rows(f, level)
    body, total = (rows, []) if level == "company" else (rows[:-1], rows[-1:])
    shown = body[: limit or None]
    return {
        "title": forecast_title(f, level),
        "headers": HEADERS,
        "rows": shown + total,
        "more": len(body) - len(shown),
        "months": month_rows(f),
        "month_headers": MONTH_HEADERS,
        "notes": forecast_notes(f),
    }


def render_forecast_html(f: Forecast, level: Level = "rep", page_size: str = "A4") -> str:
    """A self-contained HTML page of the forecast (printed on ``page_size``)."""
    from pipereview.render.html import forecast_page

    return forecast_page(forecast_view(f, level), page_size)


__all__ = [
    "LEVELS",
    "render_forecast_html",
    "render_forecast_markdown",
    "render_forecast_table",
    "report_level",
]
