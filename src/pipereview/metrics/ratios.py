"""The report's ratios, each defined once as an exact numerator and denominator (decisions
D35).

A ratio is null unless its denominator is positive (D18). The engine never decides a flag on
a double quotient: ``compare`` holds ``numerator x times op threshold x denominator`` in
exact decimals, so 2099.874 / 2999.82 is exactly 0.7 and not below it. The parts travel with
the rows (``_n_<name>``, ``_d_<name>``), and the report divides them exactly in Python
(``exact``) and rounds the quotient once. The double (``double``) is kept only to order rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from pipereview.decimals import at_scale, common, exact_decimal, literal, mul, sub
from pipereview.metrics.base import safe_ratio

Op = Literal["<", "<=", ">", ">=", "="]
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
}


def numerator_of(name: str) -> str:
    return f"_n_{name}"


def denominator_of(name: str) -> str:
    return f"_d_{name}"


@dataclass(frozen=True)
class Ratio:
    """``numerator / denominator x times`` over a table's columns."""

    name: str
    numerator: Callable[[ir.Table], ir.Value]
    denominator: Callable[[ir.Table], ir.Value]
    times: int = 1

    def parts(self, t: ir.Table) -> dict[str, ir.Value]:
        """The exact parts, as the columns that carry them."""
        return {
            numerator_of(self.name): self.numerator(t),
            denominator_of(self.name): self.denominator(t),
        }

    def double(self, t: ir.Table) -> ir.FloatingValue:
        """The quotient as a double (null unless the denominator is positive): for ordering
        rows only, never for a flag."""
        value = safe_ratio(self.numerator(t), self.denominator(t))
        return value * self.times if self.times != 1 else value

    def compare(self, t: ir.Table, op: Op, threshold: Any) -> ir.BooleanValue:
        """Whether the ratio ``op`` ``threshold`` (a float means its shortest text), exactly;
        null when the ratio is (no positive denominator, or a part missing)."""
        return holds(self.numerator(t), self.denominator(t), self.times, op, threshold)


def holds(
    numerator: ir.Value, denominator: ir.Value, times: int, op: Op, threshold: Any
) -> ir.BooleanValue:
    """``numerator / denominator x times op threshold`` in exact decimals: the quotient is
    never formed, the comparison is ``numerator x times op threshold x denominator`` with
    a positive denominator."""
    left = mul(numerator, literal(times)) if times != 1 else numerator
    right = mul(denominator, literal(exact_decimal(threshold)))
    a, b = common(left, right)
    return ibis.ifelse(denominator > 0, _OPS[op](a, b), ibis.null("boolean"))


RATIOS: dict[str, Ratio] = {
    r.name: r
    for r in (
        Ratio(
            "quota_achievement",
            lambda r: r.year_to_date_revenue_usd,
            lambda r: r.quota_usd,
        ),
        # YTD / (quota x elapsed / days in year) = YTD x days in year / (quota x elapsed)
        Ratio(
            "pace",
            lambda r: mul(r.year_to_date_revenue_usd, r.days_in_year),
            lambda r: mul(r.quota_usd, r.days_elapsed),
        ),
        # the record's close rate (over 1), else won / (won + lost) of the rep's deals
        Ratio(
            "close_rate",
            lambda r: ibis.ifelse(
                r.close_rate.notnull(), at_scale(r.close_rate, 6), at_scale(r.won_deals, 6)
            ),
            lambda r: ibis.ifelse(
                r.close_rate.notnull(),
                ibis.literal(1, "int64"),
                (r.won_deals + r.lost_deals).cast("int64"),
            ),
        ),
        Ratio(
            "quota_attainment_pct",
            lambda r: r.closed_won_3m_current,
            lambda r: r.quota_3m,
            times=100,
        ),
        Ratio(
            "pipeline_change_pct",
            lambda r: sub(r.current_pipeline_value, r.previous_pipeline_value),
            lambda r: r.previous_pipeline_value,
            times=100,
        ),
        Ratio("coverage", lambda r: r.open_pipeline, lambda r: r.gap_to_quota),
        # a roll-up's win rate from its deals: won / (won + lost)
        Ratio(
            "win_rate",
            lambda r: r.won_deals.cast("int64"),
            lambda r: (r.won_deals + r.lost_deals).cast("int64"),
        ),
        Ratio("weighted_coverage", lambda r: r.weighted_open_pipeline, lambda r: r.gap_to_quota),
    )
}


def ratio_parts(t: ir.Table, *names: str) -> dict[str, ir.Value]:
    """The parts of the named ratios over ``t``, to add to a table's columns."""
    return {k: v for name in names for k, v in RATIOS[name].parts(t).items()}


def part_columns(names: Any, columns: Any) -> list[str]:
    """The part columns of the ratios among ``names`` that ``columns`` holds."""
    found = []
    for name in names:
        for part in (numerator_of(name), denominator_of(name)):
            if name in RATIOS and part in columns:
                found.append(part)
    return found


def exact(row: Mapping[str, Any], name: str) -> Fraction | None:
    """The exact value of ratio ``name`` from a row that carries its parts: a Fraction, or
    None when the ratio is null (no positive denominator, a part missing)."""
    numerator, denominator = row.get(numerator_of(name)), row.get(denominator_of(name))
    if numerator is None or denominator is None or not denominator > 0:
        return None
    return Fraction(_exact(numerator)) * RATIOS[name].times / Fraction(_exact(denominator))


def carries(row: Mapping[str, Any], name: str) -> bool:
    """Whether ``row`` has the parts of ratio ``name``."""
    return name in RATIOS and numerator_of(name) in row and denominator_of(name) in row


def _exact(value: Any) -> Decimal | int:
    if isinstance(value, float):
        raise TypeError("a ratio's part reached Python as a float; it must stay exact")
    return value if isinstance(value, Decimal | int) else Decimal(value)
