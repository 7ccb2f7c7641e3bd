"""Roll-ups of the rep performance: each rep's additive figures (grain: one row per rep of
the reps input, per rep_id found only in the deals, and one, rep_id null, for deals
without a rep), so that they sum to any level (manager, team, region, the company) with the
forecast's ``rollup`` and ``subtree_rollup``; the ratios are then derived at each level
from the sums (``with_ratios``), never averaged."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from pipereview.metrics.base import safe_ratio, unique_reps
from pipereview.metrics.ratios import RATIOS, ratio_parts
from pipereview.schema import MONEY_SUM

# Money that adds up from reps to any level (``quota`` only where positive, as the
# forecast's), and counts.
ROLLUP_MONEY = (
    "pipeline_value",
    "weighted_pipeline_value",
    "won_value",
    "quota",
    "quota_revenue",
)
ROLLUP_COUNTS = (
    "active_deals",
    "won_deals",
    "lost_deals",
    "stalled_deals",
    "at_risk_deals",
    "reps",
    "reps_without_quota",
)
ROLLUP_ADDITIVE = ROLLUP_MONEY + ROLLUP_COUNTS
ROLLUP_RATIOS = ("win_rate", "quota_achievement")


def rollup_reps(per: ir.Table, reps: ir.Table) -> ir.Table:
    """One row per rep (see the module docstring): rep_id, rep_name, manager_id, team,
    region and every figure of ``ROLLUP_ADDITIVE``, from ``per``, the deals summed per rep
    (``metrics.reps.deals_by_rep`` with the policy). ``quota`` is the rep record's positive
    annual quota (else null) and ``quota_revenue`` its year-to-date revenue when it has
    one (else 0), so a level's quota achievement is over the reps with a quota only; the
    others count in ``reps_without_quota``."""
    r = unique_reps(reps)
    r = r.select(
        "rep_id",
        "rep_name",
        # a blank manager, team or region is none (as the forecast reads them)
        **{k: r[k].strip().nullif("") for k in ("manager_id", "team", "region")},
        _quota=r.quota_usd,
        _ytd=r.year_to_date_revenue_usd,
    ).rename(_r_rep="rep_id")
    j = r.outer_join(per, r._r_rep == per.rep_id)
    listed = j._r_rep.notnull()
    quoted = listed & (j._quota > 0).fill_null(False)
    row: dict[str, ir.Value] = {
        "rep_id": j._r_rep.coalesce(j.rep_id),
        "rep_name": j.rep_name,
        "manager_id": j.manager_id,
        "team": j.team,
        "region": j.region,
        "quota": ibis.ifelse(quoted, j._quota, ibis.null(MONEY_SUM)).cast(MONEY_SUM),
        "quota_revenue": ibis.ifelse(quoted, j._ytd.fill_null(0), ibis.literal(0, MONEY_SUM)).cast(
            MONEY_SUM
        ),
        "reps": ibis.ifelse(listed, 1, 0).cast("int64"),
        "reps_without_quota": ibis.ifelse(listed & ~quoted, 1, 0).cast("int64"),
    }
    for name in ROLLUP_ADDITIVE:
        if name not in row:
            kind = "int64" if name in ROLLUP_COUNTS else str(per[name].type())
            row[name] = j[name].fill_null(ibis.literal(0, kind)).cast(kind)
    return j.select(**row)


def with_ratios(t: ir.Table) -> ir.Table:
    """A level's rows with win_rate (won / (won + lost) of its deals) and quota_achievement
    (quota_revenue / quota), each with its exact parts (``metrics.ratios``)."""
    t = t.mutate(_n_quota_achievement=t.quota_revenue, _d_quota_achievement=t.quota)
    return t.mutate(
        win_rate=RATIOS["win_rate"].double(t),
        quota_achievement=safe_ratio(t.quota_revenue, t.quota),
        **ratio_parts(t, "win_rate"),
    )
