"""The pipeline flow in a terminal table and in Markdown (JSON is ``Flow.to_json``).

Money is shown exactly: cents, or every digit the value has when it has more, so the
printed lines add up to the printed end pipeline.
"""

from __future__ import annotations

from pipereview.render import terminal as term
from pipereview.render.glossary import FLOW_STEPS
from pipereview.render.markup import md_table
from pipereview.render.numbers import exact_money, signed_money, text
from pipereview.report.flow import Flow, FlowDeal

DEAL_COLUMNS = [term.name("Deal"), term.num("From"), term.num("To"), term.num("Change")]
DEAL_HEADERS = [c.header for c in DEAL_COLUMNS]
STEP_COLUMNS = [term.name("Step", max_width=32), term.num("Deals"), term.num("Change")]
DEALS_SHOWN = 20  # per category, in the terminal and Markdown; the JSON lists every deal


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
    rows = [["Open pipeline at start", "", exact_money(flow.start_open_pipeline)]]
    rows += [
        [FLOW_STEPS[c.category], f"{c.deals:,}", signed_money(c.change)] for c in flow.categories
    ]
    rows.append(["Open pipeline at end", "", exact_money(flow.end_open_pipeline)])
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
            [
                text(d.deal_id, 30),
                exact_money(d.value_from),
                exact_money(d.value_to),
                signed_money(d.change),
            ]
            for d in deals[:DEALS_SHOWN]
        ]
        if rows:
            out.append((FLOW_STEPS[c.category], rows, len(deals)))
    return out


def render_flow_table(flow: Flow, width: int | None = None) -> str:
    """The waterfall and the first deals of each category as plain text."""
    size = term.width_of(width)
    parts = [term.fit(_title(flow), STEP_COLUMNS, _lines(flow), size)]
    for label, rows, total in _listed(flow):
        more = total - len(rows)
        caption = f"… and {more:,} more: --format json lists every deal." if more else None
        parts.append(
            term.fit(f"{label}: {len(rows)} of {total:,} deals", DEAL_COLUMNS, rows, size, caption)
        )
    return term.plain(parts, size)


def render_flow_markdown(flow: Flow) -> str:
    """The waterfall and the first deals of each category as Markdown."""
    out = [f"# {_title(flow)}", ""]
    out += md_table(["Step", "Deals", "Change"], _lines(flow), right_from=1)
    for label, rows, total in _listed(flow):
        out += ["", f"## {label} ({len(rows)} of {total:,} deals)", ""]
        out += md_table(DEAL_HEADERS, rows, right_from=1)
    return "\n".join(out) + "\n"


FLOW_RENDERERS = {
    "table": render_flow_table,
    "markdown": render_flow_markdown,
    "json": Flow.to_json,
}
