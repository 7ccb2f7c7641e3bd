"""Data-quality checks: data that can be used but is suspect, reported instead of coerced.

Each check is an Ibis expression over the canonical tables returning the offending keys; the
report lists the count, a few examples (sorted) and a sentence. Nothing here changes a number.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir

from pipereview.schema import ROW_COLUMN, STATUSES

Severity = Literal["info", "warning"]


Scope = Literal["deals", "reps", "unique_reps"]


@dataclass(frozen=True)
class Check:
    """One data-quality check: ``find`` returns a table with a ``key`` column (and ``n``).

    A row-level check also has ``where``, a condition on one row of ``scope``: its count is
    then computed inside the one scan of that table the report makes anyway, and ``find``
    runs only when the count is not zero (for the examples).
    """

    id: str
    table: Literal["deals", "reps"]
    severity: Severity
    description: str
    find: Callable[[ir.Table, ir.Table], ir.Table]
    sentence: Callable[[int], str]
    count_rows: bool = False  # count = rows (sum of n) rather than distinct keys
    where: Callable[[ir.Table], ir.BooleanValue] | None = None
    scope: Scope = "deals"

    def scope_table(self, deals: ir.Table, reps: ir.Table) -> ir.Table:
        """The table ``where`` is evaluated on."""
        return {"deals": deals, "reps": reps, "unique_reps": unique_reps(reps)}[self.scope]


def deal_label(d: ir.Table) -> ir.StringValue:
    """A deal's name in flags and examples: its deal_id, or "row N" when it has none."""
    return d.deal_id.fill_null(ibis.literal("row ") + d[ROW_COLUMN].cast("string"))


def unique_reps(reps: ir.Table) -> ir.Table:
    """One row per non-null rep_id: the first in input order (decisions D4)."""
    keyed = reps.filter(reps.rep_id.notnull())
    first = ibis.row_number().over(group_by=keyed.rep_id, order_by=keyed[ROW_COLUMN])
    return keyed.mutate(_first=first).filter(ibis._._first == 0).drop("_first")


def _duplicates(t: ir.Table, column: str) -> ir.Table:
    keyed = t.filter(t[column].notnull())
    counts = keyed.group_by(key=keyed[column]).aggregate(n=keyed.count())
    return counts.filter(counts.n > 1)


def _rows(t: ir.Table, where: ir.BooleanValue, key: ir.Value) -> ir.Table:
    return t.filter(where).select(key=key.cast("string"), n=ibis.literal(1))


def _missing(column: str) -> Callable[[ir.Table, ir.Table], ir.Table]:
    def find(deals: ir.Table, reps: ir.Table) -> ir.Table:
        r = unique_reps(reps)
        return _rows(r, r[column].isnull(), r.rep_id)

    return find


def _no_positive(column: str) -> Callable[[ir.Table], ir.BooleanValue]:
    return lambda r: r[column].isnull() | (r[column] <= 0)


def _unknown_status(d: ir.Table) -> ir.BooleanValue:
    return ~d.status.isin(STATUSES) | d.status.isnull()


CHECKS: tuple[Check, ...] = (
    Check(
        "duplicate_deal_id",
        "deals",
        "warning",
        "deal_id appears on more than one row; every row counts.",
        lambda d, r: _duplicates(d, "deal_id"),
        lambda n: (
            f"{n} deal id(s) appear on more than one row; every row is counted "
            "(examples show how many rows)."
        ),
    ),
    Check(
        "missing_deal_id",
        "deals",
        "warning",
        "Deal rows with no deal_id.",
        lambda d, r: _rows(d, d.deal_id.isnull(), d[ROW_COLUMN]),
        lambda n: f"{n} deal row(s) have no deal_id (examples are row numbers).",
        where=lambda d: d.deal_id.isnull(),
    ),
    Check(
        "unknown_status",
        "deals",
        "warning",
        "status other than active, won, lost; counted in total_deals only.",
        lambda d, r: (
            d.filter(_unknown_status(d))
            .group_by(key=d.status.fill_null("(missing)"))
            .aggregate(n=ibis._.count())
        ),
        lambda n: (
            f"{n} deal(s) have a status other than active, won or lost; they count "
            "in total_deals only."
        ),
        count_rows=True,
        where=_unknown_status,
    ),
    Check(
        "orphan_deal",
        "deals",
        "warning",
        "Deals whose rep_id is not in the reps input; in the pipeline summary only.",
        lambda d, r: _rows(
            d.filter(d.rep_id.notnull()).anti_join(unique_reps(r).select("rep_id"), "rep_id"),
            ibis.literal(True),
            deal_label(d),
        ),
        lambda n: (
            f"{n} deal(s) belong to a rep_id that is not in the reps input; they "
            "count in the pipeline summary and in no rep row."
        ),
    ),
    Check(
        "deal_without_rep",
        "deals",
        "warning",
        "Deals with no rep_id.",
        lambda d, r: _rows(d, d.rep_id.isnull(), deal_label(d)),
        lambda n: f"{n} deal(s) have no rep_id; they count in the pipeline summary only.",
        where=lambda d: d.rep_id.isnull(),
    ),
    Check(
        "duplicate_rep_id",
        "reps",
        "warning",
        "rep_id appears on more than one reps row; the first row is used.",
        lambda d, r: _duplicates(r, "rep_id"),
        lambda n: f"{n} rep id(s) appear on more than one row; the first row of each is used.",
    ),
    Check(
        "missing_rep_id",
        "reps",
        "warning",
        "Reps rows with no rep_id; left out.",
        lambda d, r: _rows(r, r.rep_id.isnull(), r[ROW_COLUMN]),
        lambda n: f"{n} reps row(s) have no rep_id and are left out (examples are row numbers).",
        where=lambda r: r.rep_id.isnull(),
        scope="reps",
    ),
    Check(
        "missing_quota",
        "reps",
        "warning",
        "Reps with a missing or zero quota_usd: achievement is null, no coaching flag.",
        lambda d, r: (lambda f: _rows(f, _no_positive("quota_usd")(f), f.rep_id))(unique_reps(r)),
        lambda n: (
            f"{n} rep(s) have a missing or zero quota_usd; their quota achievement is "
            "null and they get no quota-based coaching flag."
        ),
        where=_no_positive("quota_usd"),
        scope="unique_reps",
    ),
    Check(
        "missing_quota_3m",
        "reps",
        "warning",
        "Reps with a missing or zero quota_3m: attainment is null, no attainment flags.",
        lambda d, r: (lambda f: _rows(f, _no_positive("quota_3m")(f), f.rep_id))(unique_reps(r)),
        lambda n: (
            f"{n} rep(s) have a missing or zero quota_3m; their attainment is null and "
            "they cannot be the benchmark or a quota-based coaching candidate."
        ),
        where=_no_positive("quota_3m"),
        scope="unique_reps",
    ),
    Check(
        "missing_ytd_revenue",
        "reps",
        "warning",
        "Reps with no year_to_date_revenue_usd: achievement is null.",
        _missing("year_to_date_revenue_usd"),
        lambda n: f"{n} rep(s) have no year_to_date_revenue_usd; their quota achievement is null.",
        where=lambda r: r.year_to_date_revenue_usd.isnull(),
        scope="unique_reps",
    ),
    Check(
        "missing_close_rate",
        "reps",
        "info",
        "Reps with no close_rate on record: computed from their deals.",
        _missing("close_rate"),
        lambda n: (
            f"{n} rep(s) have no close_rate on record; it is computed from their won "
            "and lost deals (close_rate_source = deals)."
        ),
        where=lambda r: r.close_rate.isnull(),
        scope="unique_reps",
    ),
    Check(
        "missing_previous_pipeline",
        "reps",
        "info",
        "Reps with no previous_pipeline_value: trend is stable.",
        _missing("previous_pipeline_value"),
        lambda n: (
            f"{n} rep(s) have no previous_pipeline_value; their pipeline trend is "
            "reported as stable."
        ),
        where=lambda r: r.previous_pipeline_value.isnull(),
        scope="unique_reps",
    ),
)


def absent_column_sentence(table: str, columns: tuple[str, ...]) -> str:
    """The data-quality sentence for optional canonical columns missing from an input."""
    return (
        f"The {table} input has no {', '.join(columns)} column(s); "
        "they are treated as missing on every row."
    )
