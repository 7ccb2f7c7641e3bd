"""Rep trajectory: one row per rep (grain: rep_id) from the rep records' 3-month figures.

With an earlier snapshot, a rep whose record has no previous pipeline value takes the
current pipeline value of its earlier record, and a rep without a risk velocity flag gets
one from its risk score then and now (``trajectory.risk_velocity_band``).
``previous_pipeline_source`` and ``risk_velocity_source`` say where each came from:
``record``, ``history`` or ``none``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from pipereview.decimals import common, exact_decimal, mul
from pipereview.metrics.base import Metric, unique_reps
from pipereview.metrics.ratios import RATIOS, ratio_parts
from pipereview.names import fold_case
from pipereview.policy import Policy

ATTAINMENT, CHANGE = RATIOS["quota_attainment_pct"], RATIOS["pipeline_change_pct"]


def pipeline_change_pct(r: ir.Table) -> ir.FloatingValue:
    """(current - previous) / previous x 100; null when either is missing or the previous
    pipeline is not positive (a fall from -$100 to -$50 is no trend)."""
    return CHANGE.double(r)


def risk_velocity(r: ir.Table) -> ir.StringValue:
    """risk_velocity_flag trimmed and case-folded (A-Z)."""
    return fold_case(r.risk_velocity_flag)


def _trend(r: ir.Table, p: Policy) -> ir.StringValue:
    """Above the band, below minus it (in percent, exactly), else stable."""
    band = exact_decimal(p.trajectory.trend_band) * 100
    return ibis.cases(
        (CHANGE.compare(r, ">", band).fill_null(False), "improving"),
        (CHANGE.compare(r, "<", -band).fill_null(False), "declining"),
        else_="stable",
    )


def velocity_matches(r: ir.Table, p: Policy) -> ir.BooleanValue:
    """Risk velocity equals trajectory.coaching_risk_velocity."""
    return (risk_velocity(r) == p.trajectory.coaching_risk_velocity).fill_null(False)


def attainment_below(r: ir.Table, p: Policy) -> ir.BooleanValue:
    """quota_3m > 0 and closed < quota_3m x coaching_attainment_below, exactly."""
    share = exact_decimal(p.trajectory.coaching_attainment_below) * 100
    return ATTAINMENT.compare(r, "<", share).fill_null(False)


def _coaching(r: ir.Table, p: Policy) -> ir.BooleanValue:
    return velocity_matches(r, p) | attainment_below(r, p)


TRAJECTORY_METRICS: tuple[Metric, ...] = (
    Metric(
        "quota_attainment_pct",
        "pct",
        "closed_won_3m_current / quota_3m x 100; null when quota_3m is missing or zero.",
        lambda r, p: ATTAINMENT.double(r),
    ),
    Metric(
        "pipeline_change_pct",
        "pct",
        "(current - previous) / previous x 100; null when either is missing or the previous "
        "pipeline is not positive.",
        lambda r, p: pipeline_change_pct(r),
    ),
    Metric(
        "pipeline_trend",
        "text",
        "`improving` when the change is above trajectory.trend_band (as a percent), "
        "`declining` below minus it, else `stable` (also when the change is null).",
        _trend,
    ),
    Metric(
        "risk_velocity_flag",
        "text",
        "risk_velocity_flag, trimmed and lower-cased.",
        lambda r, p: risk_velocity(r),
    ),
    Metric(
        "coaching_candidate",
        "flag",
        "risk velocity equals trajectory.coaching_risk_velocity, or quota_3m > 0 and "
        "closed_won_3m_current < quota_3m x trajectory.coaching_attainment_below.",
        _coaching,
    ),
)


def risk_trend(now: ir.NumericValue, then: ir.NumericValue, policy: Policy) -> ir.StringValue:
    """`increasing` when the risk score rose by more than trajectory.risk_velocity_band
    points, `decreasing` when it fell by more, else `stable`; null without both scores."""
    delta, band = now - then, policy.trajectory.risk_velocity_band
    return ibis.cases(
        (delta > band, "increasing"),
        (delta < -band, "decreasing"),
        (delta.notnull(), "stable"),
        else_=ibis.null("string"),
    )


def _source(record: ir.Value, history: ir.Value | None) -> ir.StringValue:
    cases = [(record.notnull(), "record")]
    if history is not None:
        cases.append((history.notnull(), "history"))
    return ibis.cases(*cases, else_="none")


def with_history(r: ir.Table, earlier: ir.Table | None, policy: Policy) -> ir.Table:
    """The unique reps with previous_pipeline_value and risk_velocity_flag filled from the
    earlier snapshot's reps where the record has none, and the source of each."""
    velocity = risk_velocity(r)
    if earlier is None:
        return r.mutate(
            risk_velocity_flag=velocity,
            previous_pipeline_source=_source(r.previous_pipeline_value, None),
            risk_velocity_source=_source(velocity, None),
        )
    e = unique_reps(earlier)
    e = e.select(
        _then_id=e.rep_id, _then_pipeline=e.current_pipeline_value, _then_risk=e.risk_score_current
    )
    j = r.left_join(e, r.rep_id == e._then_id)
    computed = risk_trend(j.risk_score_current, j._then_risk, policy)
    velocity = risk_velocity(j)
    return j.mutate(
        previous_pipeline_value=j.previous_pipeline_value.coalesce(j._then_pipeline),
        risk_velocity_flag=velocity.coalesce(computed),
        previous_pipeline_source=_source(j.previous_pipeline_value, j._then_pipeline),
        risk_velocity_source=_source(velocity, computed),
    ).drop("_then_id", "_then_pipeline", "_then_risk")


def rep_trajectory(reps: ir.Table, policy: Policy, earlier: ir.Table | None = None) -> ir.Table:
    """One row per rep with the echoed fields, every trajectory metric and `benchmark`;
    ``earlier`` (an earlier snapshot's reps) fills what the records lack (``with_history``)."""
    r = with_history(unique_reps(reps), earlier, policy)
    best = best_rep(r.select("rep_id", "closed_won_3m_current", "quota_3m"))
    r = r.select(
        "rep_id",
        "rep_name",
        "quota_3m",
        "closed_won_3m_current",
        "current_pipeline_value",
        "previous_pipeline_value",
        "previous_pipeline_source",
        "risk_velocity_source",
        "risk_score_current",
        **{m.name: m.expr(r, policy) for m in TRAJECTORY_METRICS},
        **ratio_parts(r, "quota_attainment_pct", "pipeline_change_pct"),
    )
    return r.mutate(benchmark=(r.rep_id == best).fill_null(False)).order_by("rep_id")


def best_rep(r: ir.Table) -> ir.StringScalar:
    """The rep_id with the highest exact attainment among reps with a positive quota_3m and
    a known closed amount; ties go to the lowest rep_id (null when no rep has one).

    Doubles order the reps except within a hair of the top (a double quotient is off by a
    few units in its 16th digit): the reps there are compared exactly, each distinct
    (closed, quota) pair against every other by cross-multiplication. That set is one pair
    unless reps tie, so the comparison stays small. ``r`` needs only rep_id and the
    attainment's columns (a narrow table keeps the subqueries cheap)."""
    known = r.select(
        "rep_id", _c=ATTAINMENT.numerator(r), _q=ATTAINMENT.denominator(r), _v=ATTAINMENT.double(r)
    )
    known = known.filter((known._q > 0) & known._c.notnull())
    top = known._v.max()
    near = known.filter(known._v >= top - top.abs() * 1e-9 - 1e-300)
    pairs = near.group_by("_c", "_q").aggregate(_first=near.rep_id.min())
    other = pairs.select(_oc=pairs._c, _oq=pairs._q)
    higher, lower = common(mul(other._oc, pairs._q), mul(pairs._c, other._oq))
    best = pairs.anti_join(other, higher > lower)
    return best._first.min()


BENCHMARK = Metric(
    "benchmark",
    "flag",
    "True for the one rep with the highest attainment among reps with a quota_3m "
    "(ties: lowest rep_id).",
    rep_trajectory,
)
