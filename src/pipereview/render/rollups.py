"""The roll-ups of the rep performance in every human format: one compact table after the
forecast, the levels ``report --by`` chose (``Report.showing``), each level's rows by id,
then the company's."""

from __future__ import annotations

from typing import Any

from pipereview.render import terminal as term
from pipereview.render.executive import currency_of, row_name
from pipereview.render.glossary import FIELDS
from pipereview.render.markup import md_table
from pipereview.render.numbers import cell
from pipereview.report.model import Report, RollupRow

# Each figure, how it reads, and how important it is in a narrow terminal (1: always).
FIGURES: tuple[tuple[str, str, int], ...] = (
    ("reps", "", 3),
    ("active_deals", "", 2),
    ("pipeline_value", "compact", 1),
    ("weighted_pipeline_value", "compact", 3),
    ("won_deals", "", 2),
    ("lost_deals", "", 3),
    ("won_value", "compact", 1),
    ("win_rate", "rate", 1),
    ("quota_achievement", "rate", 1),
    ("reps_without_quota", "", 4),
    ("stalled_deals", "", 2),
    ("at_risk_deals", "", 2),
)
LEVEL_NAMES = {
    "company": "Company",
    "region": "Region",
    "team": "Team",
    "manager": "Manager",
    "rep": "Rep",
}
HEADERS = ["Level", "Name", *(FIELDS[f] for f, _, _ in FIGURES)]
TITLE = "Performance by level"
COLUMNS = [term.name("Level", max_width=8), term.name("Name", max_width=34)] + [
    term.num(FIELDS[f], priority) for f, _, priority in FIGURES
]
NOTE = (
    "Win rate from each row's won and lost deals; quota achievement is the year-to-date "
    "revenue of the reps with a quota over their summed annual quota (reps without one are "
    "counted apart). A manager's row holds everyone under it."
)


def shown_rows(report: Report) -> list[RollupRow]:
    """The rows of the levels shown, top level first (a level whose rows name no subject
    left out), the company's last (a total)."""
    levels = [level for level in report.shown_levels() if level != "company"]
    # a level no row names (no rep has a team) would only repeat the company
    rows = [
        r
        for level in levels
        if any(r.id is not None for r in report.rollup_rows(level))
        for r in report.rollup_rows(level)
    ]
    return [*rows, *report.rollup_rows("company")] if report.rollups else []


def rollup_cells(row: RollupRow, currency: str, money_kind: str = "compact") -> list[str]:
    """One row's cells: its level, name, then every figure."""
    out = [LEVEL_NAMES[row.level], row_name(row)]
    for name, kind, _ in FIGURES:
        out.append(cell(getattr(row, name), money_kind if kind == "compact" else kind, currency))
    return out


def table_rows(report: Report, money_kind: str = "compact") -> list[list[str]]:
    cur = currency_of(report)
    return [rollup_cells(r, cur, money_kind) for r in shown_rows(report)]


def rollup_renderables(report: Report, width: int) -> list[Any]:
    """The terminal table (the columns that fit ``width``) and its note."""
    rows = table_rows(report, "usd")
    if not rows:
        return []
    compact = table_rows(report)
    left_out = term.hidden(COLUMNS, rows, width, compact)
    caption = f"Not shown at this width: {', '.join(left_out)}." if left_out else None
    from rich.text import Text

    return [Text(""), term.fit(TITLE, COLUMNS, rows, width, caption, compact), Text(NOTE)]


MARKDOWN_ROWS = 12  # a summary for chat or email: the rest is in HTML and JSON


def rollup_markdown(report: Report) -> list[str]:
    """The Markdown section: at most ``MARKDOWN_ROWS`` rows and the company's; none when
    the company's would be the only row (the pipeline bullets already say it)."""
    rows = table_rows(report)
    if len(rows) < 2:
        return []
    body, company = rows[:-1], rows[-1]
    more = len(body) - MARKDOWN_ROWS
    out = ["", f"## {TITLE}", "", *md_table(HEADERS, [*body[:MARKDOWN_ROWS], company], 2)]
    if more > 0:
        out += ["", f"… and {more:,} more rows: --format html or json has them all."]
    return [*out, "", NOTE]


def rollup_view(report: Report) -> dict[str, Any] | None:
    """What the HTML and PDF section shows (None without rows)."""
    rows = table_rows(report, "usd")
    if not rows:
        return None
    return {"title": TITLE, "headers": HEADERS, "rows": rows, "note": NOTE}
