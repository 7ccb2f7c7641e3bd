"""Money in several currencies, converted into the policy's base currency in the engine.

Rates come from a ``--rates`` table (currency, rate, optional date) or the policy's
``[currency.rates]``. A deal with an ``amount`` and a ``currency`` other than the base gets
``deal_value_usd = amount x rate``, exactly, rounded half-even to the canonical 4 places
(decisions D34: a product with more places is counted and shown in data quality); a deal in
the base currency gets its ``amount``; a deal without a currency or an amount keeps its
``deal_value_usd``. Each currency's rate is the latest dated on or before ``as_of`` (an
undated rate holds always, behind any dated one). A currency with no rate stops the run,
naming it and how many deals use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.decimals import round_half_even
from pipereview.engines import Engine, count_if
from pipereview.engines.plan import Built, Runner
from pipereview.errors import InputError
from pipereview.inputs.canonical import deal_label
from pipereview.inputs.loaded import Finding, Loaded
from pipereview.inputs.mapping import TableMapping
from pipereview.inputs.plan import MappingPlan
from pipereview.inputs.read import load
from pipereview.names import fold_case
from pipereview.schema import MONEY

_ALWAYS = dt.date(1, 1, 1)  # where an undated rate sorts: behind every dated one
_PRODUCT = "decimal(38,12)"  # amount (4 places) x rate (8 places), exactly


def load_rates(
    engine: Engine, rates: Any, policy_rates: dict[str, float], as_of: dt.date
) -> tuple[ir.Table, str] | None:
    """The rate in force on ``as_of`` per folded currency (``_k``, ``rate``), and where the
    rates came from; None when there are none."""
    if rates is None and not policy_rates:
        return None
    plan = MappingPlan(TableMapping(), as_of)
    if rates is not None:
        loaded = load(engine, rates, "rates", plan)
        origin = loaded.source
    else:
        rows = [{"currency": k, "rate": Decimal(str(v))} for k, v in policy_rates.items()]
        loaded = load(engine, rows, "rates", plan)
        origin = "the policy's [currency.rates]"
    loaded.ensure_checked()
    t = loaded.table
    dated = t.filter(t.date.isnull() | (t.date <= as_of)).mutate(
        _k=fold_case(t.currency), _d=t.date.fill_null(_ALWAYS)
    )
    latest = dated.group_by("_k").aggregate(_last=dated._d.max())
    chosen = dated.join(latest, (dated._k == latest._k) & (dated._d == latest._last)).select(
        "_k", "rate", "_d"
    )
    twice = chosen.group_by("_k").aggregate(n=chosen.count()).filter(lambda x: x.n > 1)
    repeated = engine.rows(twice.order_by("_k").limit(1))
    if repeated:
        raise InputError(
            f"currency {repeated[0]['_k'].upper()!r} has {repeated[0]['n']} rates for the "
            "same date",
            source=origin,
            column="currency",
            hint="keep one rate per currency and date",
        )
    return engine.cache(chosen.select("_k", "rate")), origin


def convert(engine: Engine, deals: Loaded, rates: ir.Table, origin: str, base: str) -> None:
    """Replace ``deal_value_usd`` of ``deals`` (in place) by the converted ``amount``."""
    deals.ensure_checked()
    d = deals.table
    k = fold_case(d.currency)
    foreign = d.currency.notnull() & (k != "") & (k != fold_case(ibis.literal(base)))
    keyed = d.mutate(_dk=k, _foreign=foreign)
    joined = keyed.left_join(rates, keyed._dk == rates._k)
    # one projection over the join: everything below reads its columns by name
    flat = joined.mutate(
        _needs=(joined.amount.notnull() & joined._foreign).fill_null(False),
        _in_base=(joined.amount.notnull() & ~joined._foreign & joined.currency.notnull()).fill_null(
            False
        ),
    )
    missing = flat.filter(flat._needs & flat.rate.isnull())
    absent = engine.rows(
        missing.group_by(code=missing._dk)
        .aggregate(n=missing.count())
        .order_by(ibis.desc("n"), "code")
        .limit(3)
    )
    if absent:
        named = ", ".join(f"{r['code'].upper()} ({r['n']} deals)" for r in absent)
        raise InputError(
            f"no exchange rate for {named}",
            source=origin,
            hint=f"add a rate into {base} for each currency (--rates FILE or the policy's "
            "[currency.rates])",
        )
    product = (flat.amount * flat.rate).cast(_PRODUCT)  # 4 + 8 places: exact
    kept = round_half_even(product, 4).cast(MONEY)
    flat = flat.mutate(_product=product, _kept=kept)
    rounded = flat._needs & (flat._product != flat._kept).fill_null(False)
    value = ibis.cases(
        (flat._needs, flat._kept),
        (flat._in_base, flat.amount),
        else_=flat.deal_value_usd,
    )
    counts = engine.one(
        flat.aggregate(
            n=count_if(flat, flat._needs),
            codes=ibis.ifelse(flat._needs, flat._dk, ibis.null("string")).nunique(),
            rounded=count_if(flat, rounded),
        )
    )
    if counts["rounded"]:
        deals.findings = (*deals.findings, _rounded(engine, flat, rounded, int(counts["rounded"])))
    # a view on DuckDB: a table the report's compiled plans can bind (engines/plan.py)
    deals.table = engine.named(flat.mutate(deal_value_usd=value).select(*d.columns))
    n = int(counts["n"] or 0)
    if n:
        deals.findings = (
            *deals.findings,
            Finding(
                "converted_currency",
                "info",
                n,
                f"{n} deal(s) in {int(counts['codes'])} other currencies were converted into "
                f"{base} (deal_value_usd = amount x rate, rates from {origin}).",
            ),
        )


def unconverted(engine: Engine, deals: Loaded, base: str) -> None:
    """Without rates nothing is converted: deals whose ``currency`` is not ``base`` are
    summed as they are, and a warning says so, with the currencies (decisions D38)."""
    if "currency" in deals.absent_columns:
        return
    # not checked first: this only counts (it raises nothing), and whoever reads the deals
    # next checks them (the report's first scan, or the command's ``ensure_checked``).
    # Counted by the currency as written first, kept, then folded: the fold runs once per
    # spelling, not once per row (DuckDB would push a filter on the fold into the scan).
    # Named queries (engines/plan.py): compiled once per schema and base currency.
    run = Runner(engine, "inputs", {"deals": deals.table}, {})
    written = run.keep("inputs.currencies", "written", _spellings)
    found = run.rows(
        f"inputs.unconverted:{base}", lambda t, v: (_others(t["written"], base), None)
    )[0]
    engine.release(written)
    if not found:
        return
    n = sum(int(r["n"]) for r in found)
    named = ", ".join(f"{r['code'].upper()} ({r['n']})" for r in found[:5])
    deals.findings = (
        *deals.findings,
        Finding(
            "unconverted_currency",
            "warning",
            n,
            f"{n} deal(s) in currencies other than {base} ({named}) were summed with the "
            f"{base} values as they are: no exchange rates were given.",
        ),
    )


def _spellings(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
    """The deals per currency as written (one row per spelling)."""
    given = t["deals"].filter(t["deals"].currency.notnull())
    return given.group_by("currency").aggregate(n=given.count()), None


def _others(written: ir.Table, base: str) -> ir.Table:
    """The deals per folded currency code other than ``base``, most first."""
    k = fold_case(written.currency)
    other = written.filter((k != "") & (k != fold_case(ibis.literal(base))))
    return (
        other.group_by(code=fold_case(other.currency))
        .aggregate(n=other.n.sum())
        .order_by(ibis.desc("n"), "code")
    )


def _rounded(engine: Engine, flat: ir.Table, rounded: ir.BooleanValue, n: int) -> Finding:
    """The finding for converted values with more places than money keeps: how many, and
    the first five by row with their exact product."""
    first = flat.filter(rounded).order_by("_row").limit(5)
    rows = engine.rows(
        first.select(
            name=deal_label(first), amount=first.amount, code=first._dk, rate=first.rate,
            product=first._product, kept=first._kept,
        )
    )  # fmt: skip
    examples = tuple(
        f"{r['name']}: {_text(r['amount'])} {r['code'].upper()} x {_text(r['rate'])} = "
        f"{_text(r['product'])} -> {format(r['kept'], 'f')}"
        for r in rows
    )
    return Finding(
        "rounded_conversion",
        "info",
        n,
        f"{n} converted deal value(s) had more than the 4 decimal places money keeps and were "
        "rounded half-even to 4 places (the report then rounds sums to cents).",
        examples,
    )


def _text(value: Decimal) -> str:
    """A decimal without trailing zeros, never in exponent form."""
    return format(value.normalize(), "f")
