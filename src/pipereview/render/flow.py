"""The pipeline flow in a terminal table and in Markdown (JSON is ``Flow.to_json``).

Money is shown exactly: cents, or every digit the value has when it has more, so the
printed lines add up to the printed end pipeline.
"""

from __future__ import annotations

import io
from decimal import Decimal

from rich.console import Console

from pipereview.render.text import md_table, rich_table
from pipereview.report.flow import Flow, FlowDeal

DEAL_HEADERS = ["Deal", "From", "To", "Change"]
DEALS_SHOWN = 20  # per category, in the terminal and Markdown; the JSON lists every deal

LABELS = {
    "won": "Won",
    "lost": "Lost",
    "removed": "Removed",
    "moved_out": "Moved out of the period",
    "moved_in": "Moved into the period",
    "new": "New",
    "increased": "Increased",
    "decreased": "Decreased",
    "unchanged": "Unchanged",
}


def exact_usd(value: Decimal) -> str:
    """$1,234.50 or -$0.005: cents, or every digit when the value has more."""
    cents = value.quantize(Decimal("0.01"))
    shown = cents if cents == value else value.normalize()
    text = f"{abs(shown):,f}"
    return f"{'-' if value < 0 else ''}${text}"


def _signed(value: Decimal) -> str:
    return ("+" if value > 0 else "") + exact_usd(value)


def _title(flow: Flow) -> str:
    span = (
        "all close dates"
        if flow.period_start is None
        else f"close dates {flow.period_start.isoformat()} to {flow.period_end}"
    )
    return (
        f"Pipeline flow {flow.from_date.isoformat()} → {flow.to_date.isoformat()} "
        f"({flow.period}: {span})"
    )


def _lines(flow: Flow) -> list[list[str]]:
    rows = [["Open pipeline at start", "", exact_usd(flow.start_open_pipeline)]]
    rows += [[LABELS[c.category], f"{c.deals:,}", _signed(c.change)] for c in flow.categories]
    rows.append(["Open pipeline at end", "", exact_usd(flow.end_open_pipeline)])
    return rows


def _listed(flow: Flow) -> list[tuple[str, list[list[str]], int]]:
    """Per category with deals: its label, the first DEALS_SHOWN rows, and how many."""
    by_category: dict[str, list[FlowDeal]] = {}
    for deal in flow.deals:  # one pass; deals come ordered by category
        by_category.setdefault(deal.category, []).append(deal)
    out = []
    for c in flow.categories:
        deals = by_category.get(c.category, [])
        rows = [
            [d.deal_id, exact_usd(d.value_from), exact_usd(d.value_to), _signed(d.change)]
            for d in deals[:DEALS_SHOWN]
        ]
        if rows:
            out.append((LABELS[c.category], rows, len(deals)))
    return out


def render_flow_table(flow: Flow, width: int = 120) -> str:
    """The waterfall and the first deals of each category as plain text."""
    buffer = io.StringIO()
    console = Console(width=width, file=buffer, color_system=None)
    console.print(rich_table(_title(flow), ["Step", "Deals", "Change"], _lines(flow)))
    for label, rows, total in _listed(flow):
        title = f"{label}: {min(total, DEALS_SHOWN)} of {total:,} deals"
        console.print(rich_table(title, DEAL_HEADERS, rows))
    return buffer.getvalue()


def render_flow_markdown(flow: Flow) -> str:
    """The waterfall and the first deals of each category as Markdown."""
    out = [f"# {_title(flow)}", ""]
    out += md_table(["Step", "Deals", "Change"], _lines(flow), right_from=1)
    for label, rows, total in _listed(flow):
        out += ["", f"## {label} ({min(total, DEALS_SHOWN)} of {total:,} deals)", ""]
        out += md_table(DEAL_HEADERS, rows, right_from=1)
    return "\n".join(out) + "\n"


FLOW_RENDERERS = {
    "table": render_flow_table,
    "markdown": render_flow_markdown,
    "json": Flow.to_json,
}
