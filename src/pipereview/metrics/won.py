"""Won revenue: the won value of the whole input and of the fiscal periods to date, the
average won deal, and the median sales cycle of won deals (grain: the whole deals input).

The sums ride along the report's one aggregate over the deals (``won_aggregates``); the
median needs the won deals' cycles in order, so it is one small query of its own
(``median_sales_cycle``), an exact median every engine computes the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.engines import count_if
from pipereview.fiscal import fiscal_quarter, fiscal_year_start
from pipereview.metrics.base import Metric, deal_value, is_won, money_sum
from pipereview.policy import Policy
from pipereview.schema import MONEY_SUM


def period_dates(as_of: dt.date, start_month: int) -> dict[str, dt.date]:
    """The dates the won sums read: the report date and the first days of its fiscal
    quarter and year (each a parameter of a compiled plan, ``engines/plan.py``)."""
    return {
        "as_of": as_of,
        "quarter_first": fiscal_quarter(as_of, start_month)[0],
        "year_first": fiscal_year_start(as_of, start_month),
    }


def _won_between(d: ir.Table, first: Any, last: Any) -> ir.BooleanValue:
    """Won with a close date in [first, last] (a won deal without one is in no period)."""
    return is_won(d) & d.close_date.between(first, last).fill_null(False)


def _won_quarter(d: ir.Table, p: Policy, dates: Mapping[str, Any]) -> ir.DecimalScalar:
    won = _won_between(d, dates["quarter_first"], dates["as_of"])
    return money_sum(deal_value(d), won, MONEY_SUM)


def _won_year(d: ir.Table, p: Policy, dates: Mapping[str, Any]) -> ir.DecimalScalar:
    return money_sum(deal_value(d), _won_between(d, dates["year_first"], dates["as_of"]), MONEY_SUM)


def has_cycle(d: ir.Table) -> ir.BooleanValue:
    """A won deal whose sales cycle is known: both dates, closed on or after creation."""
    return is_won(d) & (d.close_date >= d.created_date).fill_null(False)


# Each builder takes the deals, the policy and the ``period_dates`` (dates or parameters).
WON_METRICS: tuple[Metric, ...] = (
    Metric(
        "won_value",
        "usd",
        "Sum of won deal values, every won deal of the input.",
        lambda d, p, a: money_sum(deal_value(d), is_won(d), MONEY_SUM),
    ),
    Metric(
        "won_value_quarter_to_date",
        "usd",
        "Sum of won deal values closed from the first day of the fiscal quarter holding "
        "as_of through as_of (close_date).",
        _won_quarter,
    ),
    Metric(
        "won_value_year_to_date",
        "usd",
        "Sum of won deal values closed from the first day of the fiscal year holding as_of "
        "through as_of (close_date).",
        _won_year,
    ),
    Metric(
        "sales_cycle_deals",
        "count",
        "Won deals with a created_date and a close_date on or after it.",
        lambda d, p, a: count_if(d, has_cycle(d)),
    ),
)

# From the rep records, beside the figures from close dates: computed over the reps.
RECORDED_METRICS: tuple[Metric, ...] = (
    Metric(
        "recorded_year_to_date_revenue",
        "usd",
        "Sum of the reps' year_to_date_revenue_usd (one row per rep_id); null when no rep "
        "record has one.",
        lambda r: r.year_to_date_revenue_usd.sum().cast(MONEY_SUM),
    ),
)

DERIVED_WON_METRICS: tuple[Metric, ...] = (
    Metric(
        "average_won_deal_size",
        "usd",
        "won_value / won_deals (0 when none).",
        lambda a: Decimal(a["won_value"]) / a["won_deals"] if a["won_deals"] else Decimal(0),
    ),
)

MEDIAN_METRIC = Metric(
    "median_sales_cycle_days",
    "days",
    "The median of close_date - created_date in days over the won deals with a known cycle "
    "(sales_cycle_deals); for an even count the mean of the two middle values; null when none.",
    lambda d: median_sales_cycle(d),
)


def won_aggregates(
    deals: ir.Table, policy: Policy, dates: Mapping[str, Any]
) -> dict[str, ir.Scalar]:
    """Every won-revenue sum, unrounded, to fuse into the report's one scan of the deals
    (``dates``: ``period_dates``, as dates or a compiled plan's parameters)."""
    return {m.name: m.expr(deals, policy, dates) for m in WON_METRICS}


def exact_median(table: ir.Table, value: ir.NumericValue) -> ir.Table:
    """One row (``_sum``, ``_n``): the middle ``value`` of ``table``'s rows in ascending
    order, or the two middle values for an even count, as their sum and how many (1 or 2;
    0 when there are no values). Positions come from a row number over the sorted values,
    so every engine picks the same values (tied rows hold equal values)."""
    table = table.select(_v=value)
    table = table.filter(table._v.notnull())
    ranked = table.mutate(
        _pos=ibis.row_number().over(ibis.window(order_by=table._v)),
        _count=table._v.count().over(ibis.window()),
    )
    middle = ranked.filter(
        (ranked._pos == (ranked._count - 1) // 2) | (ranked._pos == ranked._count // 2)
    )
    return middle.aggregate(_sum=middle._v.sum(), _n=middle.count())


def median_sales_cycle(deals: ir.Table) -> ir.Table:
    """``exact_median`` of the won deals' days from creation to close."""
    won = deals.filter(has_cycle(deals))
    return exact_median(won, won.close_date.delta(won.created_date, unit="day"))


def median_of(row: dict[str, Any] | None) -> Decimal | None:
    """The median from ``exact_median``'s row: sum / count, exact (a half day at most)."""
    if row is None or not row["_n"]:
        return None
    return Decimal(int(row["_sum"])) / int(row["_n"])


def won_summary(row: dict[str, Any], median: Decimal | None) -> dict[str, Any]:
    """The won figures of the summary, unrounded, in model order: the sums of ``row`` (the
    aggregate row, with won_deals and recorded_year_to_date_revenue), the average, the
    median."""
    names = [m.name for m in (*WON_METRICS, *RECORDED_METRICS)]
    derived = {m.name: m.expr(row) for m in DERIVED_WON_METRICS}
    return {**{n: row[n] for n in names}, **derived, MEDIAN_METRIC.name: median}
