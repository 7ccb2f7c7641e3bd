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
MONEY = {"total_pipeline_value", "weighted_pipeline_value", "average_deal_size"}


def cell(value: Any, kind: str = "") -> str:
    """Format one value: money with $ and thousands, ratios as-is, None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "usd":
        return f"${value:,.2f}"
    if kind == "pct":
        return f"{value:.1f}%"
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
    return [(SUMMARY_LABELS[k], cell(v, "usd" if k in MONEY else "")) for k, v in data.items()]


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
