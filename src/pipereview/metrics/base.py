"""The shared concepts, each defined once: status buckets, value, expected value, stalled.

A ``Metric`` is a name, a unit, a description and an Ibis expression builder; the report
rounds by unit. Every metric and concept used anywhere in the package comes from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from pipereview.decimals import exact_decimal
from pipereview.names import fold_case
from pipereview.policy import Policy
from pipereview.schema import (
    ACTIVE,
    LOST,
    MONEY,
    PROBABILITY,
    REP_COLUMNS,
    WEIGHTED,
    WON,
)

MONEY_WIDE, PROBABILITY_WIDE = "decimal(38,4)", "decimal(38,6)"

Unit = Literal["count", "usd", "ratio", "pct", "days", "number", "flag", "text", "ids", "integer"]


@dataclass(frozen=True)
class Metric:
    """A named expression over a table, with its unit (which decides rounding)."""

    name: str
    unit: Unit
    description: str
    expr: Callable[..., ir.Value]


# --- deals: the canonical meaning of each field ------------------------------------------
def date_value(value: Any) -> ir.DateValue:
    """A date as an Ibis value: a Python date as a literal, an Ibis value (a compiled plan's
    parameter, ``engines/plan.py``) as it is."""
    return value if isinstance(value, ir.Value) else ibis.literal(value, "date")


def deal_value(d: ir.Table) -> ir.DecimalValue:
    """deal_value_usd (exact decimal), missing = 0."""
    return d.deal_value_usd.fill_null(ibis.literal(0, MONEY))


def probability(d: ir.Table) -> ir.DecimalValue:
    """probability (0..1, exact decimal), missing = 0."""
    return d.probability.fill_null(ibis.literal(0, PROBABILITY))


def expected_value(d: ir.Table) -> ir.DecimalValue:
    """value x probability: the weighted value of one deal, as an exact decimal product.

    Both factors are widened first: DuckDB keeps the product of two 18-digit decimals in 18
    digits (and fails on overflow), Spark (without precision loss) types it exactly."""
    value, chance = deal_value(d).cast(MONEY_WIDE), probability(d).cast(PROBABILITY_WIDE)
    return (value * chance).cast(WEIGHTED)


def money_sum(value: ir.NumericValue, where: ir.BooleanValue, dtype: str) -> ir.DecimalScalar:
    """The exact sum of a decimal column over the rows where ``where`` holds (0 when none)."""
    return value.sum(where=where).cast(dtype).fill_null(ibis.literal(0, dtype))


def days_in_stage(d: ir.Table) -> ir.FloatingValue:
    """days_in_stage, missing = 0."""
    return d.days_in_stage.fill_null(0.0)


def risk_flag_count(d: ir.Table) -> ir.IntegerValue:
    """How many risk flags the deal carries (missing = none)."""
    return ibis.ifelse(d.risk_flags.isnull(), 0, d.risk_flags.length())


def is_status(d: ir.Table, status: str) -> ir.BooleanValue:
    """Exact status match; a null or unknown status is in no bucket (decisions D1)."""
    return (d.status == status).fill_null(False)


def is_active(d: ir.Table) -> ir.BooleanValue:
    return is_status(d, ACTIVE)


def is_won(d: ir.Table) -> ir.BooleanValue:
    return is_status(d, WON)


def is_lost(d: ir.Table) -> ir.BooleanValue:
    return is_status(d, LOST)


def stall_threshold(d: ir.Table, policy: Policy) -> ir.IntegerValue:
    """The deal's stall threshold in days: its stage's entry in
    pipeline.stalled_days_by_stage (stage trimmed, A-Z case-folded), else
    pipeline.stalled_deal_days_in_stage."""
    default = ibis.literal(policy.pipeline.stalled_deal_days_in_stage, "int64")
    by_stage = policy.pipeline.stall_days()
    if not by_stage:
        return default
    stage = fold_case(d.stage)
    return ibis.cases(
        *((stage == name, ibis.literal(days, "int64")) for name, days in by_stage.items()),
        else_=default,
    )


def is_stalled(d: ir.Table, policy: Policy) -> ir.BooleanValue:
    """Active and days_in_stage >= the deal's stall threshold (``stall_threshold``)."""
    return is_active(d) & (days_in_stage(d) >= stall_threshold(d, policy))


def is_stale_high_probability(d: ir.Table, policy: Policy) -> ir.BooleanValue:
    """Active, probability >= pipeline.high_probability and days_in_stage >=
    pipeline.extreme_days_in_stage: a forecast the deal's age does not support. The
    probability is compared exactly: a probability has 6 places, so it is at or above the
    threshold exactly when it is at or above the threshold rounded up to 6 places."""
    high = exact_decimal(policy.pipeline.high_probability)
    at_least = high.quantize(Decimal("0.000001"), rounding=ROUND_CEILING)
    return (
        is_active(d)
        & (probability(d) >= ibis.literal(at_least, PROBABILITY))
        & (days_in_stage(d) >= policy.pipeline.extreme_days_in_stage)
    )


def is_at_risk(d: ir.Table) -> ir.BooleanValue:
    """Active with at least one risk flag."""
    return is_active(d) & (risk_flag_count(d) > 0)


def as_float(value: ir.NumericValue) -> ir.FloatingValue:
    """A number as a double, for ratios and percentages (never for money)."""
    return value.cast("float64")


def safe_ratio(numerator: ir.NumericValue, denominator: ir.NumericValue) -> ir.FloatingValue:
    """numerator / denominator as a double, null when the denominator is missing or not
    positive."""
    return ibis.ifelse(
        denominator > 0, as_float(numerator) / as_float(denominator), ibis.null("float64")
    )


def unique_reps(reps: ir.Table) -> ir.Table:
    """One row per non-null rep_id: the first by content, every canonical column ascending
    with missing values last (decisions D4), so the input's row order does not matter."""
    keyed = reps.filter(reps.rep_id.notnull())
    content = [ibis.asc(keyed[c.name]) for c in REP_COLUMNS if c.name != "rep_id"]
    position = ibis.row_number().over(group_by=keyed.rep_id, order_by=content) + 1
    return keyed.mutate(_position=position).filter(ibis._._position == 1).drop("_position")
