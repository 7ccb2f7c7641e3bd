"""Shared cell formatting and table builders for the human-readable renderers."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
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
    amount = abs(Decimal(value))  # exact: rounded half-even once, like the report
    steps = ((1, ""), (1000, "K"), (10**6, "M"), (10**9, "B"), (10**12, "T"))
    i = max(i for i, (size, _) in enumerate(steps) if amount >= size or i == 0)
    shown = _rounded(amount, steps[i][0], i)
    if i + 1 < len(steps) and shown >= 1000:  # $999.96K reads as $1.0M, $999.6 as $1.0K
        i += 1
        shown = _rounded(amount, steps[i][0], i)
    sign = "-" if Decimal(value) < 0 and shown != 0 else ""
    return f"{sign}${shown:,}{steps[i][1]}"


def _rounded(amount: Decimal, size: int, step: int) -> Decimal:
    """``amount / size`` half-even to one decimal (whole dollars below $1,000)."""
    places = Decimal(1) if step == 0 else Decimal("0.1")
    return (amount / size).quantize(places, rounding=ROUND_HALF_EVEN)


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
    """A Rich table; columns from ``right_from`` on are right-justified. A value too wide
    for its column wraps onto the next line, never cut short with an ellipsis."""
    table = Table(title=title)
    for i, name in enumerate(headers):
        table.add_column(name, justify="right" if i >= right_from else "left", overflow="fold")
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


def details_by_id(details: list[Any]) -> dict[str, list[Any]]:
    """The report's deal details grouped by deal id (a repeated id has several rows)."""
    grouped: dict[str, list[Any]] = {}
    for d in details:
        grouped.setdefault(d.deal_id, []).append(d)
    return grouped


def deal_facts(flag: Any, details: dict[str, list[Any]], names: dict[str, Any]) -> dict[str, Any]:
    """Owner, stage, value, probability and days in stage of the deal row a flag judged:
    from the flag's own evidence first (the very row), else from the deal's details when
    its id is on one row only (a repeated id's rows may differ)."""
    observed = flag.observed
    rows = details.get(flag.subject_id, [])
    one = rows[0] if len(rows) == 1 else None

    def fact(name: str) -> Any:
        if name in observed:
            return observed[name]
        return getattr(one, name) if one is not None else None

    rep_id = fact("rep_id")
    return {
        "owner": names.get(rep_id) or rep_id,
        "stage": fact("stage"),
        "value": fact("deal_value_usd"),
        "probability": fact("probability"),
        "days": fact("days_in_stage"),
    }


def rep_names(report: Any) -> dict[str, str | None]:
    """Each rep's name by rep_id, from the report's rep rows."""
    return {r.rep_id: r.rep_name for r in report.rep_performance}
