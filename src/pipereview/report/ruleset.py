"""Every rule a policy runs, for ``pipereview rules list`` and ``rules test``: the built-in
rules with the policy values they read, the policy's own with their conditions, and, on
data, each rule's count and first flags, without building the whole report."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal

from pipereview.engines import count_if
from pipereview.policy import Policy
from pipereview.policy.sections import FlagsPolicy
from pipereview.report.flags import evaluate_rules, shared_inputs
from pipereview.report.inputs import Inputs
from pipereview.report.model import Flag
from pipereview.report.types import Model
from pipereview.rules import RULES
from pipereview.rules.custom import rules_for

_KEY = re.compile(r"\b([a-z_]+\.[a-z_]+)\b")


class RuleInfo(Model):
    """One rule: where it comes from, what it judges, and its condition."""

    id: str
    source: Literal["built-in", "policy"]
    subject_type: Literal["deal", "rep"]
    severity: str
    enabled: bool
    when: str  # a user rule's condition; a built-in rule's description
    thresholds: dict[str, Any]  # the policy values a built-in rule reads


class RuleTest(Model):
    """One rule on data: how many subjects it flags and the first of them."""

    rule: RuleInfo
    total: int
    examples: list[Flag]


def list_rules(policy: Policy) -> list[RuleInfo]:
    """The built-in rules, then the policy's (disabled ones too), in evaluation order."""
    out = [
        RuleInfo(
            id=r.id,
            source="built-in",
            subject_type=r.subject_type,
            severity=r.severity,
            enabled=True,
            when=r.description,
            thresholds=_policy_values(r.description, policy),
        )
        for r in RULES
    ]
    out += [
        RuleInfo(
            id=spec.id,
            source="policy",
            subject_type=spec.subject,
            severity=spec.severity,
            enabled=spec.enabled,
            when=spec.when,
            thresholds={},
        )
        for spec in policy.rules
    ]
    return out


def _policy_values(text: str, policy: Policy) -> dict[str, Any]:
    """The policy keys a description names (section.key), with their values."""
    values: dict[str, Any] = {}
    dumped = policy.model_dump(mode="json")
    for dotted in _KEY.findall(text):
        section, key = dotted.split(".")
        if isinstance(dumped.get(section), dict) and key in dumped[section]:
            values[dotted] = dumped[section][key]
    return values


def test_rules(inputs: Inputs, policy: Policy, as_of: dt.date, examples: int) -> list[RuleTest]:
    """Each enabled rule's total on ``inputs`` and its first ``examples`` flags, in report
    order (the deal rules counted in one scan of the deals)."""
    deals = inputs.deals
    rules = rules_for(policy)
    counts = {
        f"rule:{r.id}": count_if(deals, r.where(deals, policy, as_of))
        for r in rules
        if r.where is not None
    }
    scan = inputs.engine.one(deals.aggregate(**counts)) if counts else {}
    capped = policy.model_copy(update={"flags": FlagsPolicy(max_per_rule=max(examples, 1))})
    flags, totals = evaluate_rules(
        inputs,
        capped,
        as_of,
        shared=shared_inputs(inputs, policy, as_of),
        totals={key.removeprefix("rule:"): int(n) for key, n in scan.items()},
    )
    info = {r.id: r for r in list_rules(policy)}
    return [
        RuleTest(
            rule=info[count.rule],
            total=count.total,
            examples=[f for f in flags if f.rule == count.rule][:examples],
        )
        for count in totals
    ]


# not a pytest test, though its name starts with test_
test_rules.__test__ = False  # type: ignore[attr-defined]
