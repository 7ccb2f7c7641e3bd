"""Shared cell formatting for the human-readable renderers."""

from __future__ import annotations

from typing import Any

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
