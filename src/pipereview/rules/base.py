"""What a flag rule is, and the ordered registry the report evaluates.

A rule gives every subject it judges as an Ibis table (``subject_id``, the observed columns,
``_priority`` for ordering and ``_fired``, whether the rule flags the subject), names its
thresholds, and turns the values into one sentence for a flag (and one for a subject it
does not flag, for ``explain``), so the text and the numbers can never disagree. A rule's
``compares`` say which observed value is held against which threshold: the report keeps
enough decimals of that value for the comparison to read true. Users may register their
own rules with ``register``; the built-in ones use the same call.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import ibis.expr.types as ir

from pipereview.decimals import DEFAULT_CURRENCY, money_symbol
from pipereview.engines.plan import as_value
from pipereview.metrics.base import Unit
from pipereview.metrics.ratios import part_columns
from pipereview.policy import Policy

Severity = Literal["info", "warning", "critical"]
SubjectType = Literal["deal", "rep"]
Sentence = Callable[[str, Mapping[str, Any], Mapping[str, Any]], str]

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True)
class RuleInputs:
    """The tables a rule may read: canonical deals and reps, the rep sections, the reps'
    forecast for the report's period, and the report date."""

    deals: ir.Table
    reps: ir.Table
    rep_performance: ir.Table
    rep_trajectory: ir.Table
    rep_forecast: ir.Table
    as_of: Any  # a date, or a compiled plan's parameter (engines/plan.py)
    as_of_text: Any = None  # as_of as ISO text when it is a parameter (else from as_of)

    def as_of_iso(self) -> ir.StringValue:
        """The report date as ISO text (YYYY-MM-DD), an Ibis value."""
        text = self.as_of.isoformat() if self.as_of_text is None else self.as_of_text
        return as_value(text, "string")


@dataclass(frozen=True)
class Compare:
    """The rule holds ``observed`` ``op`` ``thresholds[threshold] x scale`` when it fires."""

    observed: str
    op: Literal["<", "<=", ">", ">="]
    threshold: str
    scale: int = 1

    def holds(self, value: Any, threshold: Any) -> bool:
        return OPERATORS[self.op](value, threshold)


@dataclass(frozen=True)
class Rule:
    """One flag rule."""

    id: str
    subject_type: SubjectType
    severity: Severity
    description: str
    judge: Callable[[RuleInputs, Policy], ir.Table]
    observed: tuple[tuple[str, Unit], ...]
    thresholds: Callable[[Policy, Mapping[str, Any]], dict[str, Any]]
    message: Sentence
    quiet: Sentence  # the sentence for a subject the rule does not flag
    compares: tuple[Compare, ...] = ()
    # Deal rules: the condition on one deal row, so the report counts the rule's flags
    # inside its one scan of the deals and lists them only when there are some.
    where: Callable[[ir.Table, Policy, dt.date], ir.BooleanValue] | None = None

    def judged(self, inputs: RuleInputs, policy: Policy) -> ir.Table:
        """subject_id, _priority, _fired and the observed columns for every subject the rule
        judges (and ``_threshold`` when the rule's threshold depends on the subject)."""
        table = self.judge(inputs, policy)
        extra = ["_threshold"] if "_threshold" in table.columns else []
        names = [name for name, _ in self.observed]
        parts = part_columns(names, table.columns)  # the exact parts of the ratios shown
        return table.select("subject_id", "_priority", "_fired", *extra, *names, *parts)

    def flagged(self, inputs: RuleInputs, policy: Policy) -> ir.Table:
        """The judged rows of the subjects the rule flags."""
        table = self.judged(inputs, policy)
        return table.filter(table._fired)


RULES: list[Rule] = []


def register(rule: Rule) -> Rule:
    """Add a rule to the registry (evaluated and listed in registration order)."""
    if any(existing.id == rule.id for existing in RULES):
        raise ValueError(f"a rule with id {rule.id!r} is already registered")
    RULES.append(rule)
    return rule


# The currency the sentences being written are in (``in_currency``); USD outside.
_CURRENCY: ContextVar[str] = ContextVar("sentence_currency", default=DEFAULT_CURRENCY)


@contextmanager
def in_currency(currency: str) -> Iterator[None]:
    """Write every ``money`` in ``currency`` (the report's) within the block."""
    token = _CURRENCY.set(currency)
    try:
        yield
    finally:
        _CURRENCY.reset(token)


def money(value: Any) -> str:
    """$1,234.50, -$100.00, €12.00, CHF 3.10 in the sentence's currency (or 'unknown')."""
    if value is None:
        return "unknown"
    sign = "-" if value < 0 else ""
    return f"{sign}{money_symbol(_CURRENCY.get())}{abs(value):,.2f}"


def _exact(value: Any) -> Decimal:
    """A shown number's exact digits (a float by its shortest text)."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def number(value: Any) -> str:
    """A plain number with every digit it has and without a needless .0 (or 'unknown'):
    a sentence never shows a value at a precision that would make it false."""
    if value is None:
        return "unknown"
    text = format(_exact(value), ",f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def percent(value: Any, *, ratio: bool = True) -> str:
    """A ratio (or, with ``ratio=False``, a percent) as a percent, exactly: 0.696 -> 69.6%."""
    if value is None:
        return "unknown"
    exact = _exact(value)
    return number(exact.scaleb(2) if ratio else exact) + "%"
