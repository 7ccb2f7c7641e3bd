"""User rules in the policy: the ``[[rules]]`` tables (what a rule says, not how it runs).

Each table names a flag rule of the team's own: an ``id``, the ``subject`` it judges (a deal
or a rep), a ``when`` condition over the subject's columns, a ``severity``, a ``message``
template, optionally the ``observed`` columns kept as evidence, and ``enabled``. Here the
shape is checked (types, allowed values, ids unique); the condition and the template are
parsed and checked against the subject's columns by ``rules.custom`` when the policy is
resolved, so a bad rule is refused before any data is read.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from pipereview.policy.sections import Section

RULE_ID = r"^[a-z][a-z0-9_]{0,62}$"


class UserRule(Section):
    """One user-defined flag rule (a ``[[rules]]`` table)."""

    key: ClassVar[str] = "rules[]"
    id: str = Field(
        pattern=RULE_ID,
        description="The rule's id in flags, counts and explain: lower-case letters, digits "
        "and _, starting with a letter; not a built-in rule's id.",
    )
    subject: Literal["deal", "rep"] = Field(
        description="What the rule judges: each deal row, or each rep of the reps input."
    )
    when: str = Field(
        min_length=1,
        description="The condition that raises the flag, over the subject's columns, e.g. "
        "status = 'active' and deal_value_usd >= 250000 and days_in_stage >= 14.",
    )
    severity: Literal["info", "warning", "critical"] = Field(
        "warning", description="The flag's severity: info, warning or critical."
    )
    message: str = Field(
        min_length=1,
        description="The flag's sentence; {column} puts a value in, formatted by its unit, "
        "e.g. {deal_id} has sat in {stage} for {days_in_stage} days.",
    )
    observed: list[str] | None = Field(
        None,
        description="The columns kept as evidence (default: every column the condition names).",
    )
    enabled: bool = Field(True, description="false keeps the rule in the policy unused.")
