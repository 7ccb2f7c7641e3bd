"""Deal movements between an earlier snapshot and today's deals, as Ibis expressions.

Deals are followed by deal_id; a deal without one cannot be followed and is left out (the
report counts them: data quality's missing_deal_id). Each side is reduced to one row per
deal_id: the id is won, lost, stalled or at risk when any of its rows is (an id is on one
row unless the export repeats it, which data quality reports), and its value in that state
is the sum of those rows' values. Both sides are judged with today's policy, so a movement
is a change in the data, never in a threshold:

- ``won_since``: won today, not won at the earlier date (or absent then); today's value.
- ``lost_since``: lost today, not lost then; today's value.
- ``new_stalls``: stalled today, not stalled then; today's value.
- ``resolved_stalls``: stalled then, not stalled today (moved on, closed or gone); the
  value it had then.
- ``newly_at_risk``: at risk today, not at risk then; today's value.
- ``newly_flagged:<rule>`` for each of the policy's own deal rules: flagged by it today, not
  then (each side judged at its own date); today's value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import ibis
import ibis.expr.types as ir

from pipereview.metrics.base import (
    MONEY_WIDE,
    deal_value,
    is_at_risk,
    is_lost,
    is_stalled,
    is_won,
    money_sum,
)
from pipereview.policy import Policy

# movement -> (the state it is about, the side it must hold on, the side it must not)
MOVEMENTS: dict[str, tuple[str, str, str]] = {
    "won_since": ("won", "a_", "b_"),
    "lost_since": ("lost", "a_", "b_"),
    "new_stalls": ("stalled", "a_", "b_"),
    "resolved_stalls": ("stalled", "b_", "a_"),
    "newly_at_risk": ("at_risk", "a_", "b_"),
}

_STATES: dict[str, Callable[..., ir.BooleanValue]] = {
    "won": lambda d, p: is_won(d),
    "lost": lambda d, p: is_lost(d),
    "stalled": lambda d, p: is_stalled(d, p),
    "at_risk": lambda d, p: is_at_risk(d),
}


# A state of its own for one side: a deal table -> whether each row is in it.
State = Callable[[ir.Table], ir.BooleanValue]


def _side(
    d: ir.Table, policy: Policy, prefix: str, extra: Mapping[str, State] | None = None
) -> ir.Table:
    """One row per deal_id: whether any row is in each state, and those rows' value."""
    keyed = d.filter(d.deal_id.notnull())
    value = deal_value(keyed).cast(MONEY_WIDE)
    aggs: dict[str, ir.Scalar] = {}
    states: dict[str, State] = {k: partial(f, p=policy) for k, f in _STATES.items()}
    for name, state in {**states, **(extra or {})}.items():
        holds = state(keyed)
        aggs[f"{prefix}{name}"] = holds.any()
        aggs[f"{prefix}{name}_value"] = money_sum(value, holds, MONEY_WIDE)
    return keyed.group_by(**{f"{prefix}id": keyed.deal_id}).aggregate(**aggs)


def deal_movements(
    before: ir.Table,
    after: ir.Table,
    policy: Policy,
    flagged: Mapping[str, tuple[State, State]] | None = None,
) -> ir.Table:
    """One row per (movement, deal_id) that moved: movement, deal_id, value (exact).
    ``flagged``: rule id -> whether a deal row is flagged by it then and now (the policy's
    own deal rules, each side judged at its own date)."""
    rules = dict(flagged or {})
    extra_b = {f"flagged:{rule}": then for rule, (then, _) in rules.items()}
    extra_a = {f"flagged:{rule}": now for rule, (_, now) in rules.items()}
    b, a = _side(before, policy, "b_", extra_b), _side(after, policy, "a_", extra_a)
    states = [*_STATES, *extra_a]
    movements = {**MOVEMENTS, **{f"newly_{s}": (s, "a_", "b_") for s in extra_a}}
    j = b.outer_join(a, b.b_id == a.a_id)
    j = j.select(
        deal_id=ibis.coalesce(j.b_id, j.a_id),
        **{
            f"{p}{s}{suffix}": j[f"{p}{s}{suffix}"]
            for p in ("a_", "b_")
            for s in states
            for suffix in ("", "_value")
        },
    )
    parts = []
    for movement, (state, on, off) in movements.items():
        moved = j[f"{on}{state}"].fill_null(False) & ~j[f"{off}{state}"].fill_null(False)
        parts.append(
            j.filter(moved).select(
                movement=ibis.literal(movement),
                deal_id=j.deal_id,
                value=j[f"{on}{state}_value"],
            )
        )
    return ibis.union(*parts)


def movement_totals(moved: ir.Table) -> ir.Table:
    """One row per movement that has deals: movement, deals (count), value (exact sum)."""
    return moved.group_by("movement").aggregate(
        deals=moved.count(), value=money_sum(moved.value, ibis.literal(True), MONEY_WIDE)
    )
