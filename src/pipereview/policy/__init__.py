"""The policy: every threshold, validated at load time, with a stable fingerprint.

Defaults equal the reference behaviour in DESIGN.md. A policy file is TOML with the sections
below; unknown keys are rejected with a "did you mean" hint, wrong types and values out of
range name the key. One unit convention (decisions D17): a share is a ratio between 0 and 1
(0.7 = 70%), never a percent, and a key that holds one says so in its name only by meaning.

The package: this module (``Policy``, loading, the fingerprint), ``sections.py`` (each
section's thresholds), ``rules.py`` (the shape of user rules), ``check.py`` (key checks
that run before pydantic).
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError, field_validator

from pipereview.errors import PolicyError
from pipereview.policy.check import check_keys
from pipereview.policy.rules import UserRule
from pipereview.policy.sections import (
    CalendarPolicy,
    CurrencyPolicy,
    FlagsPolicy,
    ForecastPolicy,
    OutputPolicy,
    PipelinePolicy,
    RepsPolicy,
    Section,
    TrajectoryPolicy,
    VelocityPolicy,
)

__all__ = [
    "Policy",
    "RepsPolicy",
    "UserRule",
    "default_policy_toml",
    "load_policy",
    "policy_from_dict",
]


class Policy(Section):
    """All thresholds. ``Policy()`` is the reference behaviour."""

    pipeline: PipelinePolicy = PipelinePolicy()
    reps: RepsPolicy = RepsPolicy()
    trajectory: TrajectoryPolicy = TrajectoryPolicy()
    flags: FlagsPolicy = FlagsPolicy()
    calendar: CalendarPolicy = CalendarPolicy()
    velocity: VelocityPolicy = VelocityPolicy()
    currency: CurrencyPolicy = CurrencyPolicy()
    forecast: ForecastPolicy = ForecastPolicy()
    output: OutputPolicy = OutputPolicy()
    rules: list[UserRule] = Field(
        default_factory=list,
        description="The team's own flag rules ([[rules]] tables), evaluated with the built-in "
        "ones.",
    )

    @field_validator("rules")
    @classmethod
    def _unique_rule_ids(cls, rules: list[UserRule]) -> list[UserRule]:
        first: dict[str, int] = {}
        for i, rule in enumerate(rules):
            if rule.id in first:
                raise ValueError(
                    f"rules[{i}] has the id {rule.id!r} of rules[{first[rule.id]}]; each rule "
                    "needs its own"
                )
            first[rule.id] = i
        return rules

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of every value that can change a number (defaults
        included; the ``output`` layout section is left out, and so is ``currency`` while it
        has no rates, when it cannot change a number). Keys added later are left out while
        they hold their defaults (``forecast``, ``reps.needs_coaching_basis``, ``rules``,
        ``pipeline.repeatedly_pushed_at``), so
        fingerprints from before they existed stay the same."""
        left_out = {"output"} | (set() if self.currency.rates else {"currency"})
        if self.forecast == ForecastPolicy():
            left_out.add("forecast")
        if not self.rules:
            left_out.add("rules")
        values = self.model_dump(mode="json", exclude=left_out)
        if values["reps"]["needs_coaching_basis"] == "annual":
            del values["reps"]["needs_coaching_basis"]
        if values["pipeline"]["repeatedly_pushed_at"] == 2:
            del values["pipeline"]["repeatedly_pushed_at"]
        payload = json.dumps(values, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


def policy_from_dict(data: dict[str, Any], source: str = "<policy>") -> Policy:
    """Validate a parsed policy mapping; errors name ``source`` and the dotted key."""
    if not isinstance(data, dict):
        raise PolicyError(
            f"must be a mapping of sections, got {type(data).__name__}",
            source=source,
            hint="e.g. {'pipeline': {'stalled_deal_days_in_stage': 30}}",
        )
    check_keys(data, Policy, source, "")
    try:
        return Policy.model_validate(data, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"])
        key = key.removeprefix(".")
        message = first["msg"].removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
        raise PolicyError(
            f"{message} (got {first.get('input')!r})",
            source=source,
            key=key,
            hint="see `pipereview policy init` for the documented defaults",
        ) from None


def load_policy(path: str | Path | dict[str, Any] | None = None) -> Policy:
    """Load a TOML policy file (or validate a mapping); ``None`` gives the defaults."""
    if path is None:
        return Policy()
    if isinstance(path, dict):
        return policy_from_dict(path)
    if not isinstance(path, str | Path):
        raise PolicyError(
            f"cannot use a {type(path).__name__} as a policy",
            hint="pass a Policy, a TOML file path or a mapping of sections",
        )
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PolicyError(
            "file not found", source=str(p), hint="write one with `pipereview policy init`"
        ) from None
    except UnicodeDecodeError:
        raise PolicyError("is not UTF-8 text", source=str(p), hint="save it as UTF-8") from None
    except OSError as exc:
        raise PolicyError(f"cannot read: {exc.strerror}", source=str(p)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"not valid TOML: {exc}", source=str(p)) from None
    return policy_from_dict(data, str(p))


def default_policy_toml() -> str:
    """The default policy as commented TOML (what `pipereview policy init` writes)."""
    lines = [
        "# pipereview policy: every threshold the report uses.",
        "# Values below are the defaults (the reference behaviour); edit what you need.",
        "# Shares are ratios between 0 and 1 (0.7 = 70%). Unknown keys are rejected.",
    ]
    for section_name, field in Policy.model_fields.items():
        if section_name == "rules":
            continue  # an example follows the sections
        section = field.annotation
        assert isinstance(section, type) and issubclass(section, BaseModel)
        lines += ["", f"[{section_name}]", f"# {section.__doc__}"]
        tables = []
        for key, sub in section.model_fields.items():
            default = sub.get_default(call_default_factory=True)
            if isinstance(default, dict):
                tables.append((key, sub, default))
                continue
            lines.append(f"# {sub.description}")
            lines.append(f"{key} = {json.dumps(default)}")
        for key, sub, default in tables:
            lines += ["", f"# {sub.description}", f"[{section_name}.{key}]"]
            extra = sub.json_schema_extra
            example = extra.get("example") if isinstance(extra, dict) else None
            shown = example or '"Negotiation" = 14'
            lines.append(f"# {shown}")
            lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in default.items()]
    lines += ["", *RULES_EXAMPLE]
    return "\n".join(lines) + "\n"


# What `policy init` writes about user rules: a commented example (docs/metrics.md lists the
# columns and functions a condition may use).
RULES_EXAMPLE = (
    "# Your own flag rules, evaluated with the built-in ones (one [[rules]] table each):",
    "# [[rules]]",
    '# id = "big_deal_stuck_in_negotiation"',
    '# subject = "deal"                      # deal or rep',
    "# when = \"status = 'active' and deal_value_usd >= 250000 and stage = 'Negotiation' "
    'and days_in_stage >= 14"',
    '# severity = "warning"                  # info, warning or critical',
    '# message = "{deal_id} has sat in {stage} for {days_in_stage} days"',
    "# observed = [...]                      # default: the columns `when` names",
    "# enabled = true",
)
