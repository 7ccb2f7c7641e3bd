"""The checks on the deals, in report order (see ``base.py`` for what a check is).

Each names what it finds, how severe it is and the sentence the report prints; none changes
a number.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from pipereview.checks.base import Check, Facts, duplicates, key_rows, register
from pipereview.schema import ACTIVE, ROW_COLUMN, STATUSES


def _unknown_status(d: ir.Table) -> ir.BooleanValue:
    return ~d.status.isin(STATUSES) | d.status.isnull()


def _active(d: ir.Table) -> ir.BooleanValue:
    return (d.status == ACTIVE).fill_null(False)


def _orphans(f: Facts) -> ir.Table:
    """Unknown rep ids (not null, not in the reps input) with their deal counts."""
    per_rep = f.per_rep.filter(f.per_rep.rep_id.notnull())
    unknown = per_rep.anti_join(f.unique.select("rep_id"), "rep_id")
    return unknown.select(key=unknown.rep_id, n=unknown.deals)


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


register(
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
    )
)


def _no_deals(f: Facts) -> ir.Table:
    """One row when the deals input has no rows at all (a header only, or all deleted)."""
    total = f.deals.aggregate(rows=f.deals.count())
    return total.filter(total.rows == 0).select(
        key=ibis.literal("deals"), n=ibis.literal(1, "int64")
    )


register(
    Check(
        "no_deals",
        "deals",
        "error",
        "The deals input has no rows: a header only, or every row left out as deleted.",
        _no_deals,
        lambda n: (
            "the deals input has no rows (a header only, or every row left out as deleted), "
            "so the report would be empty: export the deals with their rows."
        ),
        count_rows=True,
        example_noun=None,
        scan_count=lambda s: 0 if s["total_deals"] else 1,
    )
)


register(
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
    )
)


register(
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
    )
)


register(
    Check(
        "missing_deal_id",
        "deals",
        "warning",
        "Deal rows with no deal_id.",
        lambda f: key_rows(f.deals, f.deals.deal_id.isnull(), f.deals[ROW_COLUMN]),
        lambda n: f"{n} deal row(s) have no deal_id (examples are row numbers).",
        where=lambda d: d.deal_id.isnull(),
    )
)


register(
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
    )
)


register(
    Check(
        "missing_value",
        "deals",
        "warning",
        "Active deals with no deal_value_usd: counted as 0 in every pipeline figure.",
        None,
        lambda n: (
            f"{n} active deal(s) have no deal_value_usd; they count as 0 in the pipeline, "
            "weighted pipeline and average deal size."
        ),
        where=lambda d: _active(d) & d.deal_value_usd.isnull(),
    )
)


register(
    Check(
        "missing_probability",
        "deals",
        "warning",
        "Active deals with no probability: weighted as 0.",
        None,
        lambda n: (
            f"{n} active deal(s) have no probability; they add nothing to the weighted pipeline "
            "and rank last among top opportunities."
        ),
        where=lambda d: _active(d) & d.probability.isnull(),
    )
)


register(
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
    )
)


register(
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
    )
)


register(
    Check(
        "deal_without_rep",
        "deals",
        "warning",
        "Deals with no rep_id.",
        None,
        lambda n: f"{n} deal(s) have no rep_id; they count in the pipeline summary only.",
        where=lambda d: d.rep_id.isnull(),
    )
)
