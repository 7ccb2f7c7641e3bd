"""The forecast call: forecast categories, each rep's figures for a fiscal period, and the
roll-ups, gap and coverage, defined once for every level (rep, manager, team, region,
company).

Grain of ``rep_forecast``: one row per rep of the reps input, per rep_id found only in the
deals, and one (rep_id null) for deals without a rep, so the rows add up to the company.
Every figure in ``ADDITIVE`` sums from reps to any level; the cumulative roll-ups, the gap
and the coverage are then derived at each level by ``with_coverage``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.engines import count_if
from pipereview.metrics.base import (
    deal_value,
    expected_value,
    is_active,
    is_won,
    money_sum,
    unique_reps,
)
from pipereview.metrics.ratios import RATIOS, ratio_parts
from pipereview.names import fold_case
from pipereview.policy import Policy
from pipereview.schema import (
    CATEGORY_SPELLINGS,
    CLOSED,
    MONEY_SUM,
    OPEN_CATEGORIES,
    WEIGHTED,
)

# A period's quota: a quarter of a 4-place annual quota has at most 6 places, kept exact.
QUOTA = "decimal(38,6)"

# The categories an active deal can be in, in the order the forecast lists them.
CATEGORIES = ("commit", "best_case", "pipeline", "omitted")

# Figures that add up from reps to any level: money (exact) and counts.
ADDITIVE_MONEY = (
    "closed_won",
    *CATEGORIES,
    "weighted_open_pipeline",
    "slipped_value",
    "quota",
)
ADDITIVE_COUNTS = (
    "closed_won_deals",
    *(f"{c}_deals" for c in CATEGORIES),
    "slipped_deals",
    "deals_without_close_date",
    "categorized_by_stage",
    "categorized_by_default",
    "reps",
    "reps_without_quota",
)
ADDITIVE = ADDITIVE_MONEY + ADDITIVE_COUNTS


def _folded_category(d: ir.Table) -> ir.StringValue:
    text = fold_case(d.forecast_category)
    return text.replace(" ", "").replace("_", "").replace("-", "")


def input_category(d: ir.Table) -> ir.StringValue:
    """The deal's own forecast_category as one of the open categories (null when it has
    none, or one that is not an open category: `Closed` on an active deal is not used)."""
    text = _folded_category(d)
    return ibis.cases(
        *(
            (text == spelling, name)
            for spelling, name in CATEGORY_SPELLINGS.items()
            if name != CLOSED
        ),
        else_=ibis.null("string"),
    )


def stage_category(d: ir.Table, policy: Policy) -> ir.StringValue:
    """The category forecast.category_by_stage gives the deal's stage (null when none)."""
    by_stage = policy.forecast.stage_categories()
    if not by_stage:
        return ibis.null("string")
    stage = fold_case(d.stage)
    return ibis.cases(*((stage == s, c) for s, c in by_stage.items()), else_=ibis.null("string"))


def _lookup_keys(policy: Policy) -> list[str]:
    return (
        ["forecast_category", "stage"]
        if policy.forecast.category_by_stage
        else ["forecast_category"]
    )


def category_lookup(deals: ir.Table, policy: Policy) -> ir.Table:
    """The open category an active deal gets, once per distinct forecast_category (and
    stage, when forecast.category_by_stage is set): ``_open`` is its own category, else its
    stage's, else forecast.default_category; ``_by`` says which (own, stage, default).

    Small (the distinct spellings), so the caller keeps it and joins it to the deals: the
    case fold runs once per spelling instead of once per deal and use (DuckDB would
    otherwise evaluate the whole nested expression in every aggregate that reads it)."""
    keys = _lookup_keys(policy)
    pairs = deals.select(*keys).distinct()
    own, by_stage = input_category(pairs), stage_category(pairs, policy)
    return pairs.mutate(
        _open=own.coalesce(by_stage, ibis.literal(policy.forecast.default_category)),
        _by=ibis.cases((own.notnull(), "own"), (by_stage.notnull(), "stage"), else_="default"),
    ).rename({f"_l_{k}": k for k in keys})


def categorized(deals: ir.Table, lookup: ir.Table) -> ir.Table:
    """The deals with ``_category`` (closed for a won deal, the lookup's open category for
    an active one, null for any other) and ``_by`` (how an active deal's was found)."""
    keys = [k for k in ("forecast_category", "stage") if f"_l_{k}" in lookup.columns]
    joined = deals.left_join(lookup, [deals[k].identical_to(lookup[f"_l_{k}"]) for k in keys]).drop(
        *(f"_l_{k}" for k in keys)
    )
    return joined.mutate(
        _category=ibis.cases(
            (is_won(joined), CLOSED),
            (is_active(joined), joined._open),
            else_=ibis.null("string"),
        ),
        _by=ibis.ifelse(is_active(joined), joined._by, ibis.null("string")),
    ).drop("_open")


def in_period(d: ir.Table, first: dt.date, last: dt.date) -> ir.BooleanValue:
    """close_date within [first, last] (false without a close date)."""
    return ((d.close_date >= first) & (d.close_date <= last)).fill_null(False)


def is_past_close_date(d: ir.Table, as_of: dt.date) -> ir.BooleanValue:
    """Active and close_date before as_of: a deal that slipped."""
    return is_active(d) & (d.close_date < as_of).fill_null(False)


def deals_forecast(
    deals: ir.Table, lookup: ir.Table, first: dt.date, last: dt.date, as_of: dt.date
) -> ir.Table:
    """Per rep_id of the deals (null included): the period's figures of ``ADDITIVE`` that
    come from deals. ``lookup`` is ``category_lookup`` of the deals, kept."""
    c = categorized(deals, lookup)
    period = in_period(c, first, last)
    active = is_active(c) & period
    category = ibis.ifelse(active, c._category, None)  # active in the period, else null
    is_open = category.isin(OPEN_CATEGORIES)  # null for no category: not open
    # Each condition is a column computed once per deal, and the aggregates filter on them
    # (DuckDB would otherwise evaluate every shared condition again in each aggregate); the
    # exact product is computed only for the deals it is summed over.
    d = c.select(
        "rep_id",
        _value=deal_value(c),
        _weighted=ibis.ifelse(is_open, expected_value(c), ibis.null(WEIGHTED)),
        _won=is_won(c) & period,
        _active=active,
        _category=category,
        _by=c._by,
        _slipped=is_past_close_date(c, as_of),
        _undated=is_active(c) & c.close_date.isnull(),
    )
    figures: dict[str, ir.Value] = {
        "closed_won": money_sum(d._value, d._won, MONEY_SUM),
        "closed_won_deals": count_if(d, d._won),
    }
    for name in CATEGORIES:
        chosen = d._category == name  # null (no category) filters out like false
        figures[name] = money_sum(d._value, chosen, MONEY_SUM)
        figures[f"{name}_deals"] = count_if(d, chosen)
    figures |= {
        "weighted_open_pipeline": money_sum(d._weighted, d._weighted.notnull(), WEIGHTED),
        "slipped_value": money_sum(d._value, d._slipped, MONEY_SUM),
        "slipped_deals": count_if(d, d._slipped),
        "deals_without_close_date": count_if(d, d._undated),
        "categorized_by_stage": count_if(d, d._active & (d._by == "stage")),
        "categorized_by_default": count_if(d, d._active & (d._by == "default")),
    }
    return d.group_by("rep_id").aggregate(**figures)


def period_quotas(quotas: ir.Table, first: dt.date, last: dt.date) -> ir.Table:
    """Per rep_id of a quota table: the sum of the quotas of the periods starting in
    [first, last] (whole periods, never prorated); null for a rep the table lists only in
    other periods (the table speaks for that rep: no quota this period)."""
    q = quotas.filter(quotas.rep_id.notnull())
    in_period = (q.period_start >= first) & (q.period_start <= last)
    return q.group_by(_q_rep=q.rep_id).aggregate(_q_quota=q.quota.sum(where=in_period).cast(QUOTA))


def rep_forecast(
    per_deals: ir.Table, reps: ir.Table, quotas: ir.Table | None, share: Decimal | None
) -> ir.Table:
    """One row per rep (see the module docstring): rep_id, rep_name, manager_id, team,
    region, ``in_reps``, ``quota_source`` and every figure of ``ADDITIVE``. ``per_deals``
    is ``deals_forecast``; the period quota is the quota table's (``period_quotas``) for a
    rep the table lists, else the rep record's annual quota x ``share`` (0.25 a quarter;
    None: the period is not whole quarters and the record gives none), else missing."""
    r = unique_reps(reps)
    r = r.select(
        "rep_id",
        "rep_name",
        # a blank manager, team or region is none (a CSV cell of spaces, an API's "")
        **{k: r[k].strip().nullif("") for k in ("manager_id", "team", "region")},
        _annual=r.quota_usd,
    ).rename(_r_rep="rep_id")
    if quotas is not None:
        r = r.left_join(quotas, r._r_rep == quotas._q_rep)
        r = r.mutate(_q_listed=r._q_rep.notnull()).drop("_q_rep")
    else:
        r = r.mutate(_q_quota=ibis.null(QUOTA), _q_listed=False)
    if share is None:  # a period that is not whole quarters: no share of the annual quota
        r = r.mutate(_annual=ibis.null(r._annual.type()))
        from_record = ibis.null(QUOTA)
    else:
        from_record = (r._annual * ibis.literal(share, "decimal(18,6)")).cast(QUOTA)
    joined = r.outer_join(per_deals, r._r_rep == per_deals.rep_id)
    # a rep the quota table lists takes the period's quota from it alone: the annual figure
    # on its record may itself have been filled from the table's other periods
    quota = ibis.ifelse(joined._q_listed.fill_null(False), joined._q_quota, from_record)
    row: dict[str, ir.Value] = {
        "rep_id": joined._r_rep.coalesce(joined.rep_id),
        "rep_name": joined.rep_name,
        "manager_id": joined.manager_id,
        "team": joined.team,
        "region": joined.region,
        "in_reps": joined._r_rep.notnull(),
        "quota_source": ibis.cases(
            (joined._q_quota.notnull(), "table"),
            (~joined._q_listed.fill_null(False) & joined._annual.notnull(), "record"),
            else_="none",
        ),
        "quota": ibis.ifelse(joined._r_rep.notnull(), quota, ibis.null(QUOTA)),
        "reps": ibis.ifelse(joined._r_rep.notnull(), 1, 0),
        "reps_without_quota": ibis.ifelse(
            joined._r_rep.notnull() & ~(quota > 0).fill_null(False), 1, 0
        ),
    }
    for name in ADDITIVE:
        if name not in row:
            zero = ibis.literal(0, WEIGHTED if name == "weighted_open_pipeline" else MONEY_SUM)
            default = zero if name in ADDITIVE_MONEY else ibis.literal(0, "int64")
            row[name] = joined[name].fill_null(default)
    return joined.select(**row)


def rollup(reps: ir.Table, key: str | None, names: tuple[str, ...] = ADDITIVE) -> ir.Table:
    """The additive figures ``names`` (default the forecast's ``ADDITIVE``) summed over rep
    rows grouped by ``key`` (None: one company row). A missing, zero or negative quota adds
    nothing (such a rep counts in reps_without_quota); the level's quota is missing when
    none of its reps has a positive one."""
    sums = {
        name: reps[name].sum(where=reps[name] > 0).cast(_dtype(reps, name))
        if name == "quota"
        else reps[name].sum().cast(_dtype(reps, name)).fill_null(0)
        for name in names
    }
    if key is None:
        return reps.aggregate(**sums)
    return reps.group_by(key).aggregate(**sums)


LEVEL = "_level"


def stacked(levels: list[tuple[str | None, ir.Table]]) -> ir.Table:
    """Several levels' rows as one table, so that they are one statement: each level's
    ``key`` column as ``_key`` (null for the company: ``key`` None), its place in ``levels``
    as ``_level``; ordered by level, then key, missing last (as one level is ordered alone).
    The tables have the same columns but for their key."""
    parts = []
    for place, (key, table) in enumerate(levels):
        labelled = table.mutate(_key=ibis.null("string") if key is None else table[key])
        parts.append(labelled.drop(*([key] if key else [])).mutate(_level=ibis.literal(place)))
    union = ibis.union(*parts, distinct=False)
    return union.order_by([LEVEL, union._key.isnull(), "_key"])


def unstacked(
    rows: list[dict[str, Any]], keys: tuple[str | None, ...]
) -> dict[str | None, list[dict[str, Any]]]:
    """The rows of a ``stacked`` table by level, as ``keys`` (each level's key) named them."""
    return {key: [row for row in rows if row[LEVEL] == place] for place, key in enumerate(keys)}


def subtree_rollup(
    reps: ir.Table, order: ir.Table, spans: ir.Table, names: tuple[str, ...] = ADDITIVE
) -> ir.Table:
    """The additive figures ``names`` summed over each manager and everyone under it (as
    ``rollup`` sums a level), in time linear in the reps however deep the hierarchy.
    ``order`` (_o_id, _o_index) numbers every id of the hierarchy depth-first
    (``metrics.hierarchy``), so the ids under a manager hold one run of numbers, which
    ``spans`` gives (_p_manager, _s_first, _s_last). Each figure's running total over that
    order is taken once; a manager's sum is the total at the end of its run less the total
    just before it: exact, as every figure is a decimal or an integer. Only positive quotas
    add up, and a manager's quota is missing when no one under it has one (``rollup``)."""
    r = order.left_join(reps, order._o_id == reps.rep_id)
    addends: dict[str, ir.Value] = {
        name: ibis.ifelse(r[name] > 0, r[name], ibis.literal(0, _dtype(reps, name)))
        if name == "quota"
        else r[name].fill_null(ibis.literal(0, _dtype(reps, name)))
        for name in names
    }
    addends["_quoted"] = ibis.ifelse(r.quota > 0, 1, 0)
    running = ibis.cumulative_window(order_by=r._o_index)
    totals = r.select(
        _t_index=r._o_index, **{name: value.sum().over(running) for name, value in addends.items()}
    )
    before = totals.view().rename({f"_b_{name}": name for name in (*addends, "_t_index")})
    j = spans.join(totals, spans._s_last == totals._t_index).left_join(
        before, spans._s_first - 1 == before._b__t_index
    )
    sums = {name: j[name] - j[f"_b_{name}"].fill_null(0) for name in addends}
    quoted = sums.pop("_quoted")
    sums = {name: value.cast(_dtype(reps, name)) for name, value in sums.items()}
    sums["quota"] = ibis.ifelse(quoted > 0, sums["quota"], ibis.null(_dtype(reps, "quota")))
    return j.select(_p_manager=j._p_manager, **sums)


def _dtype(t: ir.Table, name: str) -> str:
    """A count sums as int64; money keeps its exact decimal type."""
    kind = t[name].type()
    return "int64" if name in ADDITIVE_COUNTS or kind.is_integer() else str(kind)


def with_coverage(t: ir.Table, policy: Policy) -> ir.Table:
    """The derived figures of one level's rows: the cumulative roll-ups (commit forecast =
    closed won + commit; best-case forecast = closed won + commit + best case; open
    pipeline = pipeline + best case + commit), gap_to_quota = quota - closed won, coverage =
    open pipeline / gap and weighted coverage = weighted open pipeline / gap (null unless
    the gap is above 0), and low_coverage: a gap above 0 with coverage below
    forecast.low_coverage_below."""
    gap = (t.quota - t.closed_won).cast(QUOTA)
    open_pipeline = (t.commit + t.best_case + t.pipeline).cast(MONEY_SUM)
    t = t.mutate(
        commit_forecast=(t.closed_won + t.commit).cast(MONEY_SUM),
        commit_forecast_deals=t.closed_won_deals + t.commit_deals,
        best_case_forecast=(t.closed_won + t.commit + t.best_case).cast(MONEY_SUM),
        best_case_forecast_deals=t.closed_won_deals + t.commit_deals + t.best_case_deals,
        open_pipeline=open_pipeline,
        open_pipeline_deals=t.commit_deals + t.best_case_deals + t.pipeline_deals,
        gap_to_quota=gap,
    )
    coverage = RATIOS["coverage"]
    return t.mutate(
        coverage=coverage.double(t),
        weighted_coverage=RATIOS["weighted_coverage"].double(t),
        low_coverage=coverage.compare(t, "<", policy.forecast.low_coverage_below).fill_null(False),
        **ratio_parts(t, "coverage", "weighted_coverage"),
    )


def close_months(deals: ir.Table, lookup: ir.Table, first: dt.date, last: dt.date) -> ir.Table:
    """The open pipeline of active deals closing in [first, last] by close month (the first
    day of the month): each open category's value and deals. ``lookup`` as in
    ``deals_forecast``."""
    d = categorized(deals.filter(is_active(deals) & in_period(deals, first, last)), lookup)
    category = d._category
    figures: dict[str, ir.Value] = {}
    for name in OPEN_CATEGORIES:
        chosen = (category == name).fill_null(False)
        figures[name] = money_sum(deal_value(d), chosen, MONEY_SUM)
        figures[f"{name}_deals"] = count_if(d, chosen)
    return d.group_by(month=d.close_date.truncate("M")).aggregate(**figures)
