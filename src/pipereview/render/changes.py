"""The ``changes`` section as rows of text, shared by the terminal and Markdown renderers."""

from __future__ import annotations

from typing import Any

from pipereview.render.text import SUMMARY_LABELS, cell, summary_kind
from pipereview.report import Changes

MOVEMENT_LABELS: dict[str, str] = {
    "won_since": "Won since",
    "lost_since": "Lost since",
    "new_stalls": "New stalls",
    "resolved_stalls": "Resolved stalls",
    "newly_at_risk": "Newly at risk",
}
REP_METRIC_LABELS = {"quota_achievement": "Quota ach.", "quota_attainment_pct": "3m attain."}
DEALS_NAMED = 5  # deal ids named per movement in the human formats; the JSON lists more


def _signed(value: Any, kind: str = "") -> str:
    """A change with its sign first: +$1,200.00, -$3.50, +1.5%, -0.04, 0."""
    if value is None:
        return cell(None)
    if value == 0:
        return cell(value, kind)
    return ("-" if value < 0 else "+") + cell(abs(value), kind)


def changes_title(changes: Changes) -> str:
    note = "" if changes.same_policy else " (the earlier report used another policy)"
    return f"Changes since {changes.compared_to.isoformat()}{note}"


def pipeline_rows(changes: Changes) -> list[list[str]]:
    """Metric, before, after, change (with the percent for money)."""
    rows = []
    for c in changes.pipeline:
        kind = summary_kind(c.metric)
        change = _signed(c.change, "points" if kind == "rate" else kind)
        if c.change_pct is not None:
            change += f" ({_signed(c.change_pct, 'pct')})"
        rows.append([SUMMARY_LABELS[c.metric], cell(c.before, kind), cell(c.after, kind), change])
    return rows


def movement_label(movement: str) -> str:
    """A movement as people read it; a user rule's is "Newly flagged by <rule id>"."""
    rule = movement.removeprefix("newly_flagged:")
    return MOVEMENT_LABELS.get(movement) or f"Newly flagged by {rule}"


def movement_rows(changes: Changes) -> list[list[str]]:
    """Movement, deal count, value, the biggest deals by id."""
    rows = []
    for m in changes.deals:
        named = ", ".join(m.deal_ids[:DEALS_NAMED])
        if m.deals > DEALS_NAMED:
            named += f" and {m.deals - DEALS_NAMED:,} more"
        rows.append([movement_label(m.movement), cell(m.deals), cell(m.value, "usd"), named])
    return rows


def rep_rows(changes: Changes) -> list[list[str]]:
    """Rep, name, figure, before, after, change."""
    return [
        [
            r.rep_id,
            cell(r.rep_name),
            REP_METRIC_LABELS[r.metric],
            cell(r.before, _rep_kind(r.metric)),
            cell(r.after, _rep_kind(r.metric)),
            _signed(r.change, "points" if r.metric == "quota_achievement" else "pct_points"),
        ]
        for r in changes.reps
    ]


def _rep_kind(metric: str) -> str:
    return "pct" if metric == "quota_attainment_pct" else "rate"


def untracked_note(changes: Changes) -> str | None:
    """A sentence when some deals could not be followed (no deal_id)."""
    n = changes.deals_without_id
    if not n:
        return None
    return f"{n:,} deal(s) without a deal_id cannot be followed and are not in the movements."
