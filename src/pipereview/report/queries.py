"""The report's named queries: each a builder on a compiled plan's slots and values.

A builder takes the slots (``deals``, ``reps``: the canonical tables) and the run's values
(``report_values``: the report date and its fiscal period bounds, as Python dates on the
direct path or as parameters when a plan compiles it) and returns the query and the facts
kept with it. It depends on nothing else than the policy and the engine's kind, both in the
plan's key (``engines/plan.py``), so it is built and compiled once per key in a process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir

from pipereview.checks.base import Scope, scope_table
from pipereview.engines import Engine, count_if
from pipereview.engines.plan import Builder, Built, Runner
from pipereview.fiscal import year_days
from pipereview.inputs.loaded import check_counts
from pipereview.metrics.pipeline import pipeline_aggregates
from pipereview.metrics.reps import top_opportunities
from pipereview.metrics.won import median_sales_cycle, period_dates, won_aggregates
from pipereview.policy import Policy
from pipereview.report.inputs import Inputs
from pipereview.report.quality import check_counts_of, one_aggregate
from pipereview.rules.custom import rules_for


def report_values(as_of: dt.date, policy: Policy) -> dict[str, tuple[str, Any]]:
    """The run's values (name -> (type, value)): everything a query reads from ``as_of``."""
    start_month = policy.calendar.fiscal_year_start_month
    dates = period_dates(as_of, start_month)
    elapsed, length = year_days(as_of, start_month)
    return {name: ("date", value) for name, value in dates.items()} | {
        "as_of_text": ("string", as_of.isoformat()),
        "days_elapsed": ("int64", elapsed),
        "days_in_year": ("int64", length),
    }


def runner(inputs: Inputs, policy: Policy, as_of: dt.date) -> Runner:
    """The named queries of one report on ``inputs``, the canonical tables bound to the
    ``deals`` and ``reps`` slots."""
    tables = {"deals": inputs.deals, "reps": inputs.reps}
    return Runner(inputs.engine, policy.fingerprint(), tables, report_values(as_of, policy))


def deals_scan(engine: Engine, policy: Policy) -> Builder:
    """The one aggregate over the deals: the pipeline summary and won sums, every deal
    rule's total, the row-level checks, the fingerprint's hash where the engine computes
    it in a scan, and the input check; ``meta`` is ``one_aggregate``'s twins."""

    def build(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        d = t["deals"]
        aggs = pipeline_aggregates(d, policy) | won_aggregates(d, policy, v)
        for rule in rules_for(policy):  # the built-in rules and the policy's own
            if rule.where is not None:
                aggs[f"rule:{rule.id}"] = count_if(d, rule.where(d, policy, v["as_of"]))
        aggs.update(check_counts_of(d, "deals"))
        aggs.update(engine.hash_in_scan(d, "deals"))
        aggs.update(check_counts(d))
        return one_aggregate(d, aggs)

    return build


def scope_scan(engine: Engine, scope: Scope) -> Builder:
    """One aggregate over a scope's table: its row-level checks; over the reps also the
    input check and the fingerprint's hash where the engine computes it in a scan. The
    unique reps are read from slot ``unique`` (``quality.keep_unique``) when it is bound."""

    def build(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        table = scope_table(scope, t["deals"], t["reps"], t.get("unique"))
        extra = check_counts(table) | engine.hash_in_scan(table, "reps") if scope == "reps" else {}
        return one_aggregate(table, extra | check_counts_of(table, scope))

    return build


def median_cycle(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
    """The won deals' median sales cycle (``exact_median``'s row)."""
    return median_sales_cycle(t["deals"]), None


def top_deals(policy: Policy) -> Builder:
    """Each rep's top opportunities, in rep and rank order."""

    def build(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        return top_opportunities(t["deals"], policy).order_by(["rep_id", "rank"]), None

    return build
