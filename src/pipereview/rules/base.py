"""What a flag rule is, and the ordered registry the report evaluates.

A rule selects the subjects it flags as an Ibis table (``subject_id`` plus the observed
columns and a ``_priority`` for ordering), names its thresholds, and turns the rounded values
into one sentence, so the text and the numbers can never disagree. Users may register their
own rules with ``register``; the built-in ones use the same call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import ibis.expr.types as ir

from pipereview.metrics.base import Unit
from pipereview.policy import Policy

Severity = Literal["info", "warning", "critical"]
SubjectType = Literal["deal", "rep"]


@dataclass(frozen=True)
class RuleInputs:
    """The tables a rule may read: canonical deals and reps, and the rep sections."""

    deals: ir.Table
    reps: ir.Table
    rep_performance: ir.Table
    rep_trajectory: ir.Table


@dataclass(frozen=True)
class Rule:
    """One flag rule."""

    id: str
    subject_type: SubjectType
    severity: Severity
    description: str
    select: Callable[[RuleInputs, Policy], ir.Table]
    observed: tuple[tuple[str, Unit], ...]
    thresholds: Callable[[Policy], dict[str, Any]]
    message: Callable[[str, Mapping[str, Any], Mapping[str, Any]], str]
    # Deal rules: the condition on one deal row, so the report counts the rule's flags
    # inside its one scan of the deals and lists them only when there are some.
    where: Callable[[ir.Table, Policy], ir.BooleanValue] | None = None

    def flagged(self, inputs: RuleInputs, policy: Policy) -> ir.Table:
        """subject_id, observed columns and _priority for every flagged subject."""
        table = self.select(inputs, policy)
        return table.select("subject_id", "_priority", *(name for name, _ in self.observed))


RULES: list[Rule] = []


def register(rule: Rule) -> Rule:
    """Add a rule to the registry (evaluated and listed in registration order)."""
    if any(existing.id == rule.id for existing in RULES):
        raise ValueError(f"a rule with id {rule.id!r} is already registered")
    RULES.append(rule)
    return rule


def money(value: float | None) -> str:
    """$1,234.50 (or 'unknown')."""
    return "unknown" if value is None else f"${value:,.2f}"


def number(value: float | None) -> str:
    """A plain number without a needless .0 (or 'unknown')."""
    return "unknown" if value is None else f"{value:,g}"
