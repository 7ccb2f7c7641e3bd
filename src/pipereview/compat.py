"""The reference functions' signatures (lists of dicts in, dicts out) on top of ``api``.

For code that already calls them. Each keeps the order of the list it is given and returns
the reference's types: money and ratios as ``float`` (the report's exact decimals, rounded
half-even to cents once, then made floats), counts as ``int``, so the result goes into
``json.dumps`` and float arithmetic as the reference's did. Semantics are pipereview's
(DESIGN.md), including the deliberate differences: a missing or zero quota gives ``None``
instead of dividing by 1. Keys missing from a dict mean "missing" (0 for deal values).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from pipereview import api
from pipereview.policy import Policy, policy_from_dict

_AS_OF = dt.date(1970, 1, 1)  # no reference metric depends on the date
_DEAL_KEYS = ("deal_id", "rep_id", "status", "deal_value_usd", "probability")


_SECTION_KEYS = {
    name: set(getattr(field.annotation, "model_fields", {}))
    for name, field in Policy.model_fields.items()
}


def _policy(thresholds: Mapping[str, Any] | None) -> Policy:
    """Flat ``{"stalled_deal_days_in_stage": 30}`` or nested policy mappings."""
    if not thresholds:
        return Policy()
    nested: dict[str, dict[str, Any]] = {}
    for key, value in thresholds.items():
        if isinstance(value, Mapping):
            nested.setdefault(key, {}).update(value)
            continue
        section = next((name for name, keys in _SECTION_KEYS.items() if key in keys), None)
        nested.setdefault(section or "pipeline", {})[key] = value
    return policy_from_dict(nested, "thresholds")


def _reference_types(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with its money as ``float``, as the reference functions return it."""
    return {key: float(v) if isinstance(v, Decimal) else v for key, v in row.items()}


def _deals(deals: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for index, deal in enumerate(deals, start=1):
        row = {key: deal.get(key) for key in _DEAL_KEYS} | dict(deal)
        if row.get("deal_id") is None:
            row["deal_id"] = f"#{index}"
        rows.append(row)
    return rows


def _in_order(
    rows: list[dict[str, Any]],
    given: Sequence[Mapping[str, Any]],
    deals: Sequence[Mapping[str, Any]] = (),
) -> list[dict[str, Any]]:
    """One row per given rep with an id, in the given order (a rep given twice gets its row
    twice), with the caller's own id values: the engine reads ids as text (7 as "7")."""
    by_id = {row["rep_id"]: row for row in rows}
    deal_ids = {str(d["deal_id"]): d["deal_id"] for d in deals if d.get("deal_id") is not None}
    out = []
    for rep in given:
        row = by_id.get(None if rep.get("rep_id") is None else str(rep["rep_id"]))
        if row is None:
            continue
        row = {**row, "rep_id": rep["rep_id"]}
        if "top_opportunities" in row:
            row["top_opportunities"] = [deal_ids.get(i, i) for i in row["top_opportunities"]]
        out.append(_reference_types(row))
    return out


_WON_SUMMARY = {
    "won_value",
    "won_value_quarter_to_date",
    "won_value_year_to_date",
    "sales_cycle_deals",
    "recorded_year_to_date_revenue",
    "average_won_deal_size",
    "median_sales_cycle_days",
}
_NEW_REP_FIELDS = {"pace", "won_deals", "lost_deals", "won_value"}


def build_pipeline_summary(
    deals: Sequence[Mapping[str, Any]], thresholds: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Pipeline summary over all deals (DESIGN.md), rounded to 2 places."""
    report = api.build_report(_deals(deals) or None, None, as_of=_AS_OF, policy=_policy(thresholds))
    # the reference's keys: the won revenue of schema 1.3 is the report's, not the reference's
    return _reference_types(report.pipeline_summary.model_dump(exclude=_WON_SUMMARY))


def build_rep_performance_summary(
    deals: Sequence[Mapping[str, Any]], sales_reps: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """One dict per rep with a rep_id, in the order of ``sales_reps``."""
    report = api.build_report(_deals(deals) or None, list(sales_reps) or None, as_of=_AS_OF)
    # pace needs the report date, which the reference functions do not take
    rows = [r.model_dump(exclude=_NEW_REP_FIELDS) for r in report.rep_performance]
    return _in_order(rows, sales_reps, deals)


def build_rep_performance(sales_reps: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rep trajectory rows (attainment, trend, coaching, benchmark), in the given order."""
    report = api.build_report(None, list(sales_reps) or None, as_of=_AS_OF)
    return _in_order([r.model_dump() for r in report.rep_trajectory], sales_reps)
