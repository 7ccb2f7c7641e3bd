"""The policy: every threshold, validated at load time, with a stable fingerprint.

Defaults equal the reference behaviour in DESIGN.md. A policy file is TOML with the sections
below; unknown keys are rejected with a "did you mean" hint, wrong types name the key.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipereview.errors import PolicyError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PipelinePolicy(_Section):
    """Deal-level thresholds."""

    stalled_deal_days_in_stage: int = Field(
        21, ge=0, description="An active deal with days_in_stage >= this is stalled."
    )


class RepsPolicy(_Section):
    """Rep performance thresholds."""

    needs_coaching_below: float = Field(
        0.7,
        ge=0,
        description="A rep whose quota achievement (YTD / quota) is below this needs coaching.",
    )
    top_opportunities: int = Field(
        3,
        ge=0,
        le=100,
        description="How many top active deals (value x probability) to list per rep.",
    )


class TrajectoryPolicy(_Section):
    """Rep trajectory thresholds."""

    trend_band_pct: float = Field(
        2.0, ge=0, description="Pipeline change within +/- this percent is 'stable'."
    )
    coaching_attainment_below_pct: float = Field(
        90.0,
        ge=0,
        description="A rep who closed less than this percent of quota_3m is a coaching candidate.",
    )
    coaching_risk_velocity: str = Field(
        "increasing",
        description="A rep whose risk_velocity_flag equals this is a coaching candidate.",
    )


class FlagsPolicy(_Section):
    """How flags are listed."""

    max_per_rule: int = Field(
        1000,
        ge=0,
        description="List at most this many flags per rule (0 = all); counts are never capped.",
    )


class Policy(_Section):
    """All thresholds. ``Policy()`` is the reference behaviour."""

    pipeline: PipelinePolicy = PipelinePolicy()
    reps: RepsPolicy = RepsPolicy()
    trajectory: TrajectoryPolicy = TrajectoryPolicy()
    flags: FlagsPolicy = FlagsPolicy()

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of every value (defaults included)."""
        payload = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()


def _check_keys(data: dict[str, Any], model: type[BaseModel], source: str, prefix: str) -> None:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if key not in model.model_fields:
            choices = list(model.model_fields)
            close = difflib.get_close_matches(key, choices, n=1)
            hint = (
                f"did you mean {prefix + close[0]!r}?"
                if close
                else (f"known keys here: {', '.join(prefix + c for c in choices)}")
            )
            raise PolicyError("unknown key", source=source, key=dotted, hint=hint)
        sub = model.model_fields[key].annotation
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            if not isinstance(value, dict):
                raise PolicyError(
                    f"must be a [{dotted}] table, got {type(value).__name__}",
                    source=source,
                    key=dotted,
                )
            _check_keys(value, sub, source, f"{dotted}.")


def policy_from_dict(data: dict[str, Any], source: str = "<policy>") -> Policy:
    """Validate a parsed policy mapping; errors name ``source`` and the dotted key."""
    _check_keys(data, Policy, source, "")
    try:
        return Policy.model_validate(data, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        raise PolicyError(
            f"{first['msg'].lower()} (got {first.get('input')!r})",
            source=source,
            key=key,
            hint="see `pipereview policy init` for the documented defaults",
        ) from None


def load_policy(path: str | Path | None = None) -> Policy:
    """Load a TOML policy file; ``None`` gives the defaults."""
    if path is None:
        return Policy()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(
            "file not found", source=str(p), hint="write one with `pipereview policy init`"
        ) from None
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
        "# Unknown keys are rejected.",
    ]
    for section_name, field in Policy.model_fields.items():
        section = field.annotation
        assert isinstance(section, type) and issubclass(section, BaseModel)
        lines += ["", f"[{section_name}]", f"# {section.__doc__}"]
        for key, sub in section.model_fields.items():
            lines.append(f"# {sub.description}")
            lines.append(f"{key} = {json.dumps(sub.default)}")
    return "\n".join(lines) + "\n"
