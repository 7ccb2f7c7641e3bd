"""The data-quality checks, in report order (see ``quality.py`` for what a check is).

Each names what it finds, how severe it is and the sentence the report prints; none changes
a number.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir

from pipereview.schema import ACTIVE, REP_COLUMNS, ROW_COLUMN, STATUSES
from pipereview.sources.quality import (
    Check,
    Facts,
    duplicates,
    key_rows,
)


def _no_positive(column: str) -> Callable[[ir.Table], ir.BooleanValue]:
    return lambda r: r[column].isnull() | (r[column] <= 0)


def _unknown_status(d: ir.Table) -> ir.BooleanValue:
    return ~d.status.isin(STATUSES) | d.status.isnull()


def _active(d: ir.Table) -> ir.BooleanValue:
    return (d.status == ACTIVE).fill_null(False)


REP_MONEY = tuple(c.name for c in REP_COLUMNS if c.kind == "money")


def _negative_rep(r: ir.Table) -> ir.BooleanValue:
    flag = ibis.literal(False)
    for name in REP_MONEY:
        flag = flag | (r[name] < 0).fill_null(False)
    return flag


def _money_text(value: ir.NumericValue) -> ir.StringValue:
    return value.cast("decimal(38,2)").cast("string")


def _pipeline_mismatch(f: Facts) -> ir.Table:
    """Reps whose record's current_pipeline_value is not the sum of their active deals
    (to the cent), among reps that have deals in the input."""
    r = f.unique.filter(ibis._.current_pipeline_value.notnull())
    joined = r.inner_join(f.per_rep.filter(f.per_rep.rep_id.notnull()), "rep_id")
    record, deals = joined.current_pipeline_value, joined.pipeline_value
    differs = record.cast("decimal(38,2)") != deals.cast("decimal(38,2)")
    key = (
        joined.rep_id
        + " (record "
        + _money_text(record)
        + ", active deals "
        + _money_text(deals)
        + ")"
    )
    return joined.filter(differs).select(key=key, n=ibis.literal(1))


def _orphans(f: Facts) -> ir.Table:
    """Unknown rep ids (not null, not in the reps input) with their deal counts."""
    per_rep = f.per_rep.filter(f.per_rep.rep_id.notnull())
    unknown = per_rep.anti_join(f.unique.select("rep_id"), "rep_id")
    return unknown.select(key=unknown.rep_id, n=unknown.deals)


def _rep_name_twins(f: Facts) -> ir.Table:
    r = f.unique.filter(ibis._.rep_name.notnull())
    r = r.mutate(_name=r.rep_name.strip().lower())
    names = r.group_by("_name").aggregate(n=r.rep_id.nunique(), key=r.rep_name.min())
    return names.filter(names.n > 1).select("key", "n")


def _no_join(f: Facts) -> ir.Table:
    """One row when deals with a rep_id exist, reps exist, and none of them match."""
    per_rep = f.per_rep.filter(f.per_rep.rep_id.notnull())
    known = per_rep.semi_join(f.unique.select("rep_id"), "rep_id")
    totals = per_rep.aggregate(
        n=per_rep.deals.sum().fill_null(0),
        example=per_rep.rep_id.min(),
    )
    matched = known.aggregate(m=known.count())
    rep_count = f.unique.aggregate(reps=ibis._.count(), rep_example=ibis._.rep_id.min())
    both = totals.cross_join(matched).cross_join(rep_count)
    key = "deal rep_id " + both.example + " vs reps rep_id " + both.rep_example
    return both.filter((both.n > 0) & (both.m == 0) & (both.reps > 0)).select(key=key, n=both.n)


def _no_status(f: Facts) -> ir.Table:
    """The status values found, when deals exist and none is active, won or lost."""
    d = f.deals
    known = d.aggregate(k=(d.status.isin(STATUSES)).fill_null(False).cast("int64").sum())
    values = d.group_by(key=d.status.fill_null("(missing)")).aggregate(n=d.count())
    both = values.cross_join(known)
    return both.filter(both.k.fill_null(0) == 0).select("key", "n")


CHECKS: tuple[Check, ...] = (
    Check(
        "no_deal_joins_rep",
        "deals",
        "error",
        "Deals carry rep ids and a reps input exists, but no deal's rep_id is in it.",
        _no_join,
        lambda n: (
            f"none of the {n} deal(s) with a rep_id belongs to a rep in the reps input, so "
            "every rep row is empty: map the deals' owner column to the reps' rep_id "
            "(e.g. a Salesforce OwnerId to the User Id)."
        ),
        count_rows=True,
        example_noun=None,
    ),
    Check(
        "no_known_status",
        "deals",
        "error",
        "No deal has status active, won or lost.",
        _no_status,
        lambda n: (
            f"none of the {n} deal(s) has status active, won or lost, so the pipeline is "
            "empty: map the CRM's statuses onto them (e.g. Open -> active, Closed Won -> won, "
            "Closed Lost -> lost)."
        ),
        count_rows=True,
        always_count=True,
        scan_count=lambda s: (
            0 if s["active_deals"] + s["won_deals"] + s["lost_deals"] else s["total_deals"]
        ),
    ),
    Check(
        "duplicate_deal_id",
        "deals",
        "warning",
        "deal_id appears on more than one row; every row counts.",
        lambda f: duplicates(f.deals, "deal_id"),
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
        lambda f: key_rows(f.deals, f.deals.deal_id.isnull(), f.deals[ROW_COLUMN]),
        lambda n: f"{n} deal row(s) have no deal_id (examples are row numbers).",
        where=lambda d: d.deal_id.isnull(),
    ),
    Check(
        "unknown_status",
        "deals",
        "warning",
        "status other than active, won, lost (after trimming and lower-casing); counted in "
        "total_deals only.",
        lambda f: (
            f.deals.filter(_unknown_status(f.deals))
            .group_by(key=f.deals.status.fill_null("(missing)"))
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
        "missing_value",
        "deals",
        "warning",
        "Active deals with no deal_value_usd: counted as 0 in every pipeline figure.",
        None,
        lambda n: (
            f"{n} active deal(s) have no deal_value_usd; they count as $0 in the pipeline, "
            "weighted pipeline and average deal size."
        ),
        where=lambda d: _active(d) & d.deal_value_usd.isnull(),
    ),
    Check(
        "missing_probability",
        "deals",
        "warning",
        "Active deals with no probability: weighted as 0.",
        None,
        lambda n: (
            f"{n} active deal(s) have no probability; they add $0 to the weighted pipeline "
            "and rank last among top opportunities."
        ),
        where=lambda d: _active(d) & d.probability.isnull(),
    ),
    Check(
        "negative_value",
        "deals",
        "warning",
        "Deals with a negative deal_value_usd: summed as given.",
        None,
        lambda n: (
            f"{n} deal(s) have a negative deal_value_usd; active ones are summed as given, so "
            "the weighted pipeline can exceed the total."
        ),
        where=lambda d: (d.deal_value_usd < 0).fill_null(False),
    ),
    Check(
        "orphan_deal",
        "deals",
        "warning",
        "Deals whose rep_id is not in the reps input; in the pipeline summary only. Examples "
        "are the unknown rep ids with their deal counts.",
        _orphans,
        lambda n: (
            f"{n} deal(s) belong to a rep_id that is not in the reps input; they count in the "
            "pipeline summary and in no rep row (examples: unknown rep ids)."
        ),
        count_rows=True,
        example_noun="deal",
        always_count=True,
    ),
    Check(
        "deal_without_rep",
        "deals",
        "warning",
        "Deals with no rep_id.",
        None,
        lambda n: f"{n} deal(s) have no rep_id; they count in the pipeline summary only.",
        where=lambda d: d.rep_id.isnull(),
    ),
    Check(
        "duplicate_rep_id",
        "reps",
        "warning",
        "rep_id appears on more than one reps row; one row is used (the first by content).",
        lambda f: duplicates(f.reps, "rep_id"),
        lambda n: (
            f"{n} rep id(s) appear on more than one row; one row of each is used (the first "
            "by content, whatever the row order)."
        ),
    ),
    Check(
        "duplicate_rep_name",
        "reps",
        "warning",
        "One rep_name (trimmed, case-insensitive) on more than one rep_id.",
        _rep_name_twins,
        lambda n: (
            f"{n} rep name(s) belong to more than one rep_id; rows with the same name are "
            "different reps (examples show how many ids)."
        ),
        example_noun="rep id",
        always_count=True,
    ),
    Check(
        "missing_rep_id",
        "reps",
        "warning",
        "Reps rows with no rep_id; left out.",
        None,
        lambda n: f"{n} reps row(s) have no rep_id and are left out (examples are row numbers).",
        where=lambda r: r.rep_id.isnull(),
        scope="reps",
    ),
    Check(
        "negative_rep_amount",
        "reps",
        "warning",
        "Reps with a negative quota, revenue or pipeline figure.",
        None,
        lambda n: (
            f"{n} rep(s) have a negative quota, revenue or pipeline figure; a negative quota "
            "gives no achievement, a negative previous pipeline no trend."
        ),
        where=_negative_rep,
        scope="unique_reps",
    ),
    Check(
        "pipeline_mismatch",
        "reps",
        "warning",
        "Reps whose current_pipeline_value differs from the sum of their active deals.",
        _pipeline_mismatch,
        lambda n: (
            f"{n} rep(s) have a current_pipeline_value on record that differs from the sum of "
            "their active deals (the record is used for the trend, the deals for "
            "pipeline_value)."
        ),
    ),
    Check(
        "missing_quota",
        "reps",
        "warning",
        "Reps with a missing, zero or negative quota_usd: achievement is null, no coaching flag.",
        None,
        lambda n: (
            f"{n} rep(s) have a missing, zero or negative quota_usd; their quota achievement "
            "is null and they get no quota-based coaching flag."
        ),
        where=_no_positive("quota_usd"),
        scope="unique_reps",
    ),
    Check(
        "missing_quota_3m",
        "reps",
        "warning",
        "Reps with a missing, zero or negative quota_3m: attainment is null, no attainment flags.",
        None,
        lambda n: (
            f"{n} rep(s) have a missing, zero or negative quota_3m; their attainment is null "
            "and they cannot be the benchmark or a quota-based coaching candidate."
        ),
        where=_no_positive("quota_3m"),
        scope="unique_reps",
    ),
    Check(
        "missing_ytd_revenue",
        "reps",
        "warning",
        "Reps with no year_to_date_revenue_usd: achievement is null.",
        None,
        lambda n: f"{n} rep(s) have no year_to_date_revenue_usd; their quota achievement is null.",
        where=lambda r: r.year_to_date_revenue_usd.isnull(),
        scope="unique_reps",
    ),
    Check(
        "missing_close_rate",
        "reps",
        "info",
        "Reps with no close_rate on record: computed from their deals.",
        None,
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
        "Reps with no previous_pipeline_value on record: trend is stable unless an earlier "
        "snapshot gives one.",
        None,
        lambda n: (
            f"{n} rep(s) have no previous_pipeline_value on record; their pipeline trend is "
            "stable unless an earlier snapshot gives one (previous_pipeline_source = history)."
        ),
        where=lambda r: r.previous_pipeline_value.isnull(),
        scope="unique_reps",
    ),
)
