"""The forecast call in a terminal table, Markdown and HTML (JSON is ``Forecast.to_json``):
one level's rows (rep, manager, team, region or company) and the pipeline by close month."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from pipereview.render import terminal as term
from pipereview.render.executive import row_name
from pipereview.render.glossary import FIELDS
from pipereview.render.markup import md_table
from pipereview.render.numbers import DEFAULT_CURRENCY, cell, count, money, multiple
from pipereview.report.forecast_model import LEVELS, Forecast, ForecastRow, Level
from pipereview.rules.base import number

# The row's figures, in the order every face shows them, with how important each is in a
# narrow terminal (1: always shown).
FIGURES: tuple[tuple[str, int], ...] = (
    ("quota", 1),
    ("closed_won", 1),
    ("commit", 4),
    ("best_case", 4),
    ("pipeline", 4),
    ("commit_forecast", 1),
    ("best_case_forecast", 2),
    ("open_pipeline", 3),
    ("gap_to_quota", 1),
    ("coverage", 1),
    ("weighted_coverage", 3),
    ("slipped_deals", 3),
)
HEADERS = ["Name", *(FIELDS[f] for f, _ in FIGURES)]
MONTH_FIELDS = ("commit", "best_case", "pipeline", "open_pipeline")
MONTH_HEADERS = ["Close month", *(FIELDS[f] for f in MONTH_FIELDS), "Deals"]


def forecast_title(f: Forecast, level: Level) -> str:
    by = "" if level == "company" else f" by {level}"
    return (
        f"Forecast {f.period} ({f.period_start.isoformat()} to {f.period_end.isoformat()})"
        f"{by}, as of {f.as_of.isoformat()}"
    )


def row_cells(
    row: ForecastRow, currency: str = DEFAULT_CURRENCY, money_kind: str = "usd"
) -> list[str]:
    """One row's cells: money to the cent (``money_kind="compact"``: $1.2M), coverage as a
    multiple, a low coverage marked."""
    out = [row_name(row)]
    for name, _ in FIGURES:
        value = getattr(row, name)
        if name == "coverage":
            out.append(multiple(value) + (" low" if row.low_coverage else ""))
        elif name == "weighted_coverage":
            out.append(multiple(value))
        elif name == "slipped_deals":
            out.append(count(value))
        else:
            out.append(cell(value, money_kind, currency))
    return out


def level_rows(
    f: Forecast, level: Level, currency: str = DEFAULT_CURRENCY, money_kind: str = "usd"
) -> list[list[str]]:
    """The level's rows, then the company's (once)."""
    rows = [row_cells(r, currency, money_kind) for r in f.rows(level)]
    if level == "company":
        return rows
    return [*rows, row_cells(f.company, currency, money_kind)]


def month_rows(f: Forecast, currency: str = DEFAULT_CURRENCY) -> list[list[str]]:
    return [
        [
            m.month.strftime("%Y-%m"),
            *(cell(getattr(m, name), "usd", currency) for name in MONTH_FIELDS),
            count(m.open_pipeline_deals),
        ]
        for m in f.by_close_month
    ]


def forecast_notes(f: Forecast, currency: str = DEFAULT_CURRENCY) -> list[str]:
    """What a reader must know to trust the figures: the coverage threshold, deals the
    period cannot place, categories that were filled in."""
    c = f.company
    notes = [
        f"Coverage = open pipeline (commit + best case + pipeline) closing in {f.period} / "
        f"gap to quota (quota - closed won); low below {number(f.low_coverage_below)}x."
    ]
    if c.slipped_deals:
        notes.append(
            f"{_deals(c.slipped_deals)} ({money(c.slipped_value, currency)}) "
            f"{_have(c.slipped_deals)} a close date before {f.as_of.isoformat()} (slipped)."
        )
    if c.deals_without_close_date:
        notes.append(
            f"{_deals(c.deals_without_close_date)} {_have(c.deals_without_close_date)} no close "
            "date and so no quarter."
        )
    filled = c.categorized_by_stage + c.categorized_by_default
    if filled:
        notes.append(
            f"{_deals(filled)} in the quarter {_have(filled)} no open forecast category of "
            f"their own (none, an unknown one, or Closed): {c.categorized_by_stage:,} took "
            f"their stage's, {c.categorized_by_default:,} the policy's default."
        )
    if c.reps_without_quota:
        reps = c.reps_without_quota
        notes.append(
            f"{reps:,} {'rep has' if reps == 1 else 'reps have'} no quota for the quarter."
        )
    return notes


def _deals(n: int) -> str:
    return f"{n:,} active {'deal' if n == 1 else 'deals'}"


def _have(n: int) -> str:
    return "has" if n == 1 else "have"


LEVEL_COLUMNS = [term.name("Name", max_width=34)] + [
    term.num(FIELDS[f], priority) for f, priority in FIGURES
]
MONTH_COLUMNS = [term.name("Close month")] + [term.num(h) for h in MONTH_HEADERS[1:]]


def forecast_renderables(
    f: Forecast,
    level: Level,
    width: int,
    currency: str = DEFAULT_CURRENCY,
    months: bool = True,
) -> list[Any]:
    """The level's table (the columns that fit ``width``), the close months, the notes."""
    rows = level_rows(f, level, currency)
    compact = level_rows(f, level, currency, "compact")
    caption = term.hidden_caption(LEVEL_COLUMNS, rows, width, compact)
    out: list[Any] = [
        term.fit(forecast_title(f, level), LEVEL_COLUMNS, rows, width, caption, compact)
    ]
    if months:
        out.append(
            term.fit("Open pipeline by close month", MONTH_COLUMNS, month_rows(f, currency), width)
        )
    out += [Text(note) for note in forecast_notes(f, currency)]
    return out


def render_forecast_table(
    f: Forecast, level: Level = "rep", width: int | None = None, currency: str = DEFAULT_CURRENCY
) -> str:
    """The forecast as plain-text tables, laid out for ``width`` (default: ``COLUMNS``),
    money in ``currency`` (the policy's currency.base)."""
    size = term.width_of(width)
    return term.plain(forecast_renderables(f, level, size, currency), size)


def render_forecast_markdown(
    f: Forecast, level: Level = "rep", currency: str = DEFAULT_CURRENCY
) -> str:
    """The same as Markdown."""
    out = [f"# {forecast_title(f, level)}", ""]
    out += md_table(HEADERS, level_rows(f, level, currency), right_from=1)
    out += ["", "## Open pipeline by close month", ""]
    out += md_table(MONTH_HEADERS, month_rows(f, currency), right_from=1)
    out += [""] + [f"- {n}" for n in forecast_notes(f, currency)]
    return "\n".join(out) + "\n"


def report_level(f: Forecast) -> Level:
    """The level the full report shows: managers when there is a hierarchy, else teams when
    reps have one, else reps."""
    if f.by_manager:
        return "manager"
    return "team" if any(t.id is not None for t in f.by_team) else "rep"


def forecast_view(
    f: Forecast | None,
    level: Level = "manager",
    limit: int = 0,
    currency: str = DEFAULT_CURRENCY,
) -> dict[str, Any] | None:
    """What the HTML forecast section shows (None without a forecast): the level's rows,
    at most ``limit`` of them when it is not 0 (the PDF's print limit; ``more`` says how many
    are left out), then the company's."""
    if f is None:
        return None
    rows = level_rows(f, level, currency)
    body, total = (rows, []) if level == "company" else (rows[:-1], rows[-1:])
    shown = body[: limit or None]
    return {
        "title": forecast_title(f, level),
        "headers": HEADERS,
        "rows": shown + total,
        "more": len(body) - len(shown),
        "months": month_rows(f, currency),
        "month_headers": MONTH_HEADERS,
        "notes": forecast_notes(f, currency),
    }


__all__ = [
    "LEVELS",
    "render_forecast_markdown",
    "render_forecast_table",
    "report_level",
]
