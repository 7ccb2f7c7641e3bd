"""The pipeline flow (waterfall) between two snapshots, as Ibis expressions.

A deal is *open in the period* at a date when it is active then and its close date falls in
the period (every close date, even a missing one, when the period is "all"). Every deal open
in the period at the first date or at the second gets exactly one category, in this
precedence: ``won``, ``lost`` (by status at the second date), ``removed`` (absent at the
second date, or there with a status other than active, won or lost), ``moved_out`` (still
active, close date left the period), ``moved_in`` (active at both dates, close date entered
the period), ``new`` (not active at the first date), then ``increased``, ``decreased`` or
``unchanged`` by value. ``value_from`` is the deal's value at the first date when it was open
in the period then (else 0), ``value_to`` likewise at the second; ``change`` is the
difference, so the start pipeline plus every change is the end pipeline, exactly.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from pipereview.metrics.base import MONEY_WIDE, deal_value, is_active, is_lost, is_won, money_sum

CATEGORIES = (
    "won",
    "lost",
    "removed",
    "moved_out",
    "moved_in",
    "new",
    "increased",
    "decreased",
    "unchanged",
)


def in_period(close: ir.DateValue, first: dt.date | None, last: dt.date | None) -> ir.BooleanValue:
    """True when the close date falls in [first, last]; every date (and none) for "all"."""
    if first is None or last is None:
        return ibis.literal(True)
    return close.between(first, last).fill_null(False)


def _side(t: ir.Table, prefix: str, first: dt.date | None, last: dt.date | None) -> ir.Table:
    active = is_active(t)
    return t.select(
        **{
            f"{prefix}id": t.deal_id,
            f"{prefix}active": active,
            f"{prefix}won": is_won(t),
            f"{prefix}lost": is_lost(t),
            f"{prefix}open": active & in_period(t.close_date, first, last),
            f"{prefix}value": deal_value(t).cast(MONEY_WIDE),
        }
    )


def flow_deals(
    before: ir.Table, after: ir.Table, first: dt.date | None, last: dt.date | None
) -> ir.Table:
    """One row per deal open in the period at either date: deal_id, category, value_from,
    value_to, change (exact decimals), and ``_rank`` (the category's place in CATEGORIES)."""
    b, a = _side(before, "b_", first, last), _side(after, "a_", first, last)
    j = b.outer_join(a, b.b_id == a.a_id)
    open_before, open_after = j.b_open.fill_null(False), j.a_open.fill_null(False)
    present_after = j.a_id.notnull()
    active_after, active_before = j.a_active.fill_null(False), j.b_active.fill_null(False)
    zero = ibis.literal(0, MONEY_WIDE)
    value_from = ibis.ifelse(open_before, j.b_value, zero)
    value_to = ibis.ifelse(open_after, j.a_value, zero)
    # The precedence is the order of CATEGORIES: the first that holds is the category.
    holds = {
        "won": j.a_won.fill_null(False),
        "lost": j.a_lost.fill_null(False),
        "removed": ~present_after | ~active_after,
        "moved_out": open_before & ~open_after,
        "moved_in": open_after & ~open_before & active_before,
        "new": open_after & ~open_before,
        "increased": value_to > value_from,
        "decreased": value_to < value_from,
    }
    rank = ibis.cases(
        *((holds[name], i) for i, name in enumerate(CATEGORIES) if name in holds),
        else_=CATEGORIES.index("unchanged"),
    )
    category = ibis.literal(list(CATEGORIES), "array<string>")[rank]
    rows = j.filter(open_before | open_after)
    return rows.select(
        deal_id=ibis.coalesce(rows.b_id, rows.a_id),
        category=category,
        value_from=value_from,
        value_to=value_to,
        change=(value_to - value_from).cast(MONEY_WIDE),
        _rank=rank,
    )


def flow_totals(deals: ir.Table) -> ir.Table:
    """One row: the start and end open pipeline, and per category the signed change it
    contributes and how many deals it holds."""
    totals: dict[str, ir.Scalar] = {
        "start_open_pipeline": money_sum(deals.value_from, ibis.literal(True), MONEY_WIDE),
        "end_open_pipeline": money_sum(deals.value_to, ibis.literal(True), MONEY_WIDE),
    }
    for name in CATEGORIES:
        here = deals.category == name
        totals[name] = money_sum(deals.change, here, MONEY_WIDE)
        totals[f"n_{name}"] = deals.count(where=here).fill_null(0)
    return deals.aggregate(**totals)


def identity_counts(t: ir.Table) -> ir.Table:
    """One row: rows, rows with a deal_id, and distinct deal_ids (the flow needs them equal)."""
    return t.aggregate(rows=t.count(), with_id=t.deal_id.count(), ids=t.deal_id.nunique())
