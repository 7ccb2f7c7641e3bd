"""The checks on the reps, in report order, after the deals' (see ``base.py`` for what a
check is).

Each names what it finds, how severe it is and the sentence the report prints; none changes
a number.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir

from pipereview.checks.base import Check, Facts, duplicates, register
from pipereview.schema import REP_COLUMNS


def _no_positive(column: str) -> Callable[[ir.Table], ir.BooleanValue]:
    return lambda r: r[column].isnull() | (r[column] <= 0)


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


def _rep_name_twins(f: Facts) -> ir.Table:
    r = f.unique.filter(ibis._.rep_name.notnull())
    r = r.mutate(_name=r.rep_name.strip().lower())
    names = r.group_by("_name").aggregate(n=r.rep_id.nunique(), key=r.rep_name.min())
    return names.filter(names.n > 1).select("key", "n")


register(
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
    )
)


register(
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
    )
)


register(
    Check(
        "missing_rep_id",
        "reps",
        "warning",
        "Reps rows with no rep_id; left out.",
        None,
        lambda n: f"{n} reps row(s) have no rep_id and are left out (examples are row numbers).",
        where=lambda r: r.rep_id.isnull(),
        scope="reps",
    )
)


register(
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
    )
)


register(
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
    )
)


register(
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
    )
)


register(
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
    )
)


register(
    Check(
        "missing_ytd_revenue",
        "reps",
        "warning",
        "Reps with no year_to_date_revenue_usd: achievement is null.",
        None,
        lambda n: f"{n} rep(s) have no year_to_date_revenue_usd; their quota achievement is null.",
        where=lambda r: r.year_to_date_revenue_usd.isnull(),
        scope="unique_reps",
    )
)


register(
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
    )
)


register(
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
    )
)
