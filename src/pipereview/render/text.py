"""Shared cell formatting and table builders for the human-readable renderers."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from pipereview.report import PipelineSummary

SUMMARY_LABELS: dict[str, str] = {
    "total_deals": "Total deals",
    "active_deals": "Active deals",
    "won_deals": "Won deals",
    "lost_deals": "Lost deals",
    "total_pipeline_value": "Total pipeline",
    "weighted_pipeline_value": "Weighted pipeline",
    "average_deal_size": "Average deal size",
    "win_rate": "Win rate",
    "stalled_deals_count": "Stalled deals",
    "at_risk_deals_count": "At-risk deals",
}
# The headline numbers of the human formats, with how each reads (compact money, a rate).
HEADLINE = (
    ("total_pipeline_value", "compact"),
    ("weighted_pipeline_value", "compact"),
    ("win_rate", "rate"),
    ("active_deals", ""),
    ("stalled_deals_count", ""),
    ("at_risk_deals_count", ""),
)
MONEY = {"total_pipeline_value", "weighted_pipeline_value", "average_deal_size"}
RATES = {"win_rate"}


def percent_text(pct: float) -> str:
    """A percentage with the digits the report rounded to, no trailing zeros: 57%, 85.3%."""
    text = f"{pct:.1f}".rstrip("0").rstrip(".")
    return ("0" if text == "-0" else text) + "%"


def compact_money(value: Any) -> str:
    """Money for a headline: $107.6M, $950.2K, $1.2B, $740 (exact figures stay in tables)."""
    amount = float(value)
    sign = "-" if amount < 0 else ""
    steps = ((1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T"))
    fits = [i for i, (size, _) in enumerate(steps) if abs(amount) >= size]
    if not fits:
        return f"{sign}${abs(amount):,.0f}"
    i = fits[-1]
    shown = round(abs(amount) / steps[i][0], 1)
    if shown >= 1000 and i + 1 < len(steps):  # 999.96K reads as $1.0M
        i, shown = i + 1, round(abs(amount) / steps[i + 1][0], 1)
    return f"{sign}${shown:,.1f}{steps[i][1]}"


def cell(value: Any, kind: str = "") -> str:
    """Format one value: money with $ and thousands, rates (ratios) and percentages as
    percent, None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "usd":
        return f"${value:,.2f}"
    if kind == "pct":
        return percent_text(float(value))
    if kind == "rate":
        return percent_text(round(float(value) * 100, 1))
    if kind == "points":  # a change of a rate, in percentage points
        return percent_text(round(float(value) * 100, 1))[:-1] + " pts"
    if kind == "pct_points":  # a change of a percentage
        return percent_text(float(value))[:-1] + " pts"
    if kind == "compact":
        return compact_money(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def summary_rows(summary: PipelineSummary) -> list[tuple[str, str]]:
    """(label, formatted value) for every pipeline metric, in model order."""
    data = summary.model_dump()
    return [(SUMMARY_LABELS[k], cell(v, summary_kind(k))) for k, v in data.items()]


def summary_kind(metric: str) -> str:
    """How a pipeline-summary metric reads: money, a rate, or a count."""
    return "usd" if metric in MONEY else "rate" if metric in RATES else ""


def md_table(headers: list[str], rows: list[list[str]], right_from: int | None = None) -> list[str]:
    """A Markdown table (cells with ``|`` escaped); columns from ``right_from`` on are
    right-aligned (None: no alignment marks)."""
    marks = [
        "---:" if right_from is not None and i >= right_from else "---" for i in range(len(headers))
    ]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(marks) + "|"]
    return lines + ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]


def rich_table(title: str, headers: list[str], rows: list[list[str]], right_from: int = 1) -> Table:
    """A Rich table; columns from ``right_from`` on are right-justified."""
    table = Table(title=title)
    for i, name in enumerate(headers):
        table.add_column(name, justify="right" if i >= right_from else "left")
    for row in rows:
        table.add_row(*row)
    return table


def from_history(source: str) -> str:
    """The note a human format adds to a trajectory value filled from an earlier snapshot."""
    return " (history)" if source == "history" else ""


def rep_marks(needs_coaching: bool, trajectory: Any) -> list[str]:
    """A rep's marks: coach (needs coaching), candidate (coaching candidate), benchmark."""
    return [
        mark
        for mark, on in (
            ("coach", needs_coaching),
            ("candidate", bool(trajectory and trajectory.coaching_candidate)),
            ("benchmark", bool(trajectory and trajectory.benchmark)),
        )
        if on
    ]
