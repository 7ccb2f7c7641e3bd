"""The ``changes`` section as rows of text, shared by the terminal, Markdown and HTML."""

from __future__ import annotations

from typing import Any

from pipereview.render.glossary import FIELDS, movement_label
from pipereview.render.numbers import DEFAULT_CURRENCY, cell, text
from pipereview.report import Changes

REP_METRIC_LABELS = {
    "quota_achievement": "Quota achievement",
    "quota_attainment_pct": "3-month attainment",
}
KINDS = {
    "total_pipeline_value": "usd",
    "weighted_pipeline_value": "usd",
    "average_deal_size": "usd",
    "win_rate": "rate",
}
DEALS_NAMED = 5  # deal ids named per movement in the human formats; the JSON lists more


def _signed(value: Any, kind: str = "", currency: str = DEFAULT_CURRENCY) -> str:
    """A change with its sign first: +$1,200.00, -$3.50, +1.5%, 0."""
    if value is None:
        return cell(None)
    if value == 0:
        return cell(value, kind, currency)
    return ("-" if value < 0 else "+") + cell(abs(value), kind, currency)


def changes_title(changes: Changes) -> str:
    note = "" if changes.same_policy else " (the earlier report used another policy)"
    return f"Changes since {changes.compared_to.isoformat()}{note}"


def pipeline_rows(changes: Changes, currency: str = DEFAULT_CURRENCY) -> list[list[str]]:
    """Metric, before, after, change (with the percent for money)."""
    rows = []
    for c in changes.pipeline:
        kind = KINDS.get(c.metric, "")
        change = _signed(c.change, "points" if kind == "rate" else kind, currency)
        if c.change_pct is not None:
            change += f" ({_signed(c.change_pct, 'pct')})"
        rows.append(
            [FIELDS[c.metric], cell(c.before, kind, currency), cell(c.after, kind, currency),
             change]
        )  # fmt: skip
    return rows


def movement_rows(changes: Changes, currency: str = DEFAULT_CURRENCY) -> list[list[str]]:
    """Movement, deal count, value, the biggest deals by id."""
    rows = []
    for m in changes.deals:
        named = ", ".join(text(i, 30) for i in m.deal_ids[:DEALS_NAMED])
        if m.deals > DEALS_NAMED:
            named += f" and {m.deals - DEALS_NAMED:,} more"
        rows.append(
            [movement_label(m.movement), cell(m.deals), cell(m.value, "usd", currency), named]
        )
    return rows


def rep_rows(changes: Changes) -> list[list[str]]:
    """Rep, name, figure, before, after, change."""
    return [
        [
            text(r.rep_id, 30),
            text(r.rep_name) if r.rep_name else "—",
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


def changes_view(changes: Changes | None, currency: str) -> dict[str, Any] | None:
    """What the HTML changes section shows (None without an earlier snapshot)."""
    if changes is None:
        return None
    return {
        "title": changes_title(changes),
        "pipeline": pipeline_rows(changes, currency),
        "movements": movement_rows(changes, currency),
        "note": untracked_note(changes),
        "reps": rep_rows(changes),
    }
