"""Rep figures filled in the engine where a rep record has none: derived from the deals (a
mapping's ``[reps] derive``) or read from a quota table (``--quotas``).

Derived figures, all from canonical deals:
- ``year_to_date_revenue_usd``: won deal values closing from the start of the fiscal year
  (policy ``calendar.fiscal_year_start_month``) to ``as_of``, both included;
- ``closed_won_3m_current``: won deal values closing after the same day three calendar months
  before ``as_of`` and up to ``as_of``;
- ``current_pipeline_value``: active deal values.
A rep record's own value wins; a filled one goes only where the record has none, and the
data quality says how many reps took it and from what.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from pipereview.engines import Engine
from pipereview.fiscal import fiscal_year_start, months_before, period_range
from pipereview.inputs.loaded import Finding, Loaded
from pipereview.inputs.mapping import Derived
from pipereview.schema import ACTIVE, MONEY, WON


def _windows(as_of: dt.date, start_month: int) -> dict[str, tuple[dt.date | None, str]]:
    """Each derived figure's first close date (exclusive for 3 months) and its sentence."""
    year = fiscal_year_start(as_of, start_month)
    three = months_before(as_of, 3)
    return {
        "year_to_date_revenue_usd": (
            year,
            f"won deals closing {year.isoformat()} to {as_of.isoformat()} (fiscal year to date)",
        ),
        "closed_won_3m_current": (
            three,
            f"won deals closing after {three.isoformat()} up to {as_of.isoformat()}",
        ),
        "current_pipeline_value": (None, "active deals"),
    }


def derive(
    engine: Engine,
    reps: Loaded,
    deals: Loaded,
    figures: list[Derived],
    as_of: dt.date,
    start_month: int,
) -> None:
    """Fill ``figures`` of ``reps`` (in place) from the canonical deals."""
    deals.ensure_checked()
    reps.ensure_checked()
    d = deals.table
    windows = _windows(as_of, start_month)
    value = d.deal_value_usd.fill_null(0)
    won = d.status == WON
    sums: dict[str, ir.Value] = {}
    for name in figures:
        first, _ = windows[name]
        if name == "current_pipeline_value":
            chosen = d.status == ACTIVE
        elif name == "year_to_date_revenue_usd":
            chosen = won & (d.close_date >= first) & (d.close_date <= as_of)
        else:
            chosen = won & (d.close_date > first) & (d.close_date <= as_of)
        sums["_d_" + name] = ibis.ifelse(chosen.fill_null(False), value, 0).sum()
    per_rep = d.filter(d.rep_id.notnull()).group_by(_d_rep=d.rep_id).aggregate(**sums)
    sentences: dict[str, str] = {
        str(name): f"derived from the deals: the sum of {windows[name][1]}" for name in figures
    }
    fill(engine, reps, per_rep, sentences, "derived_from_deals", zero=True)


def fill(
    engine: Engine,
    reps: Loaded,
    per_rep: ir.Table,
    sentences: dict[str, str],
    check: str,
    *,
    zero: bool,
) -> None:
    """Fill the rep columns named in ``sentences`` (in place) where the record has none,
    from ``per_rep`` (``_d_rep`` and ``_d_<column>``); reps absent from it get 0 when
    ``zero``, else stay missing. One finding per column says how many reps took a value."""
    names = list(sentences)
    r = reps.table
    joined = r.left_join(per_rep, r.rep_id == per_rep._d_rep)
    default = ibis.literal(0).cast(MONEY) if zero else ibis.null(MONEY)
    filled = {
        name: joined[name].coalesce(joined["_d_" + name].cast(MONEY), default) for name in names
    }
    took = {
        f"_n_{name}": (
            joined[name].isnull() & joined.rep_id.notnull() & filled[name].notnull()
        ).sum()
        for name in names
    }
    counts = engine.one(joined.aggregate(**took))
    result = joined.mutate(**filled).select(*r.columns)
    reps.table = engine.materialize(result.drop("_row") if "_row" in result.columns else result)
    findings = list(reps.findings)
    for name in names:
        n = int(counts[f"_n_{name}"] or 0)
        if n:
            findings.append(
                Finding(
                    check, "info", n, f"reps.{name} for {n} reps is {sentences[name]}.", (name,)
                )
            )
    reps.findings = tuple(findings)
    reps.absent_columns = tuple(c for c in reps.absent_columns if c not in names)


def quotas_from_table(
    engine: Engine, reps: Loaded, quotas: Loaded, as_of: dt.date, start_month: int
) -> None:
    """``quota_usd`` and ``quota_3m`` (in place, where a rep record has none) from a quota
    table: the quotas of the periods starting in the fiscal year holding ``as_of``, and of
    the periods starting after the same day three months before ``as_of``, up to it."""
    reps.ensure_checked()
    quotas.ensure_checked()
    q = quotas.table
    first, last = period_range("this-year", as_of, start_month)
    three = months_before(as_of, 3)
    year = (q.period_start >= first) & (q.period_start <= last)
    recent = (q.period_start > three) & (q.period_start <= as_of)
    amount = q.quota.fill_null(0)
    per_rep = (
        q.filter(q.rep_id.notnull())
        .group_by(_d_rep=q.rep_id)
        .aggregate(
            _d_quota_usd=ibis.ifelse(year, amount, ibis.null(MONEY)).sum(),
            _d_quota_3m=ibis.ifelse(recent, amount, ibis.null(MONEY)).sum(),
        )
    )
    assert first is not None and last is not None
    sentences = {
        "quota_usd": f"from the quota table: the periods starting {first.isoformat()} to "
        f"{last.isoformat()} (the fiscal year)",
        "quota_3m": f"from the quota table: the periods starting after {three.isoformat()} up "
        f"to {as_of.isoformat()}",
    }
    fill(engine, reps, per_rep, sentences, "quota_from_table", zero=False)
