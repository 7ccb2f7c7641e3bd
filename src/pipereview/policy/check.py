"""Policy key checks that run before pydantic: unknown keys with "did you mean", renamed
keys with the value to write instead, sections that are not tables, ratio keys given as
percents. Each error names the dotted key."""

from __future__ import annotations

import difflib
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from pipereview.errors import PolicyError

# Keys that were renamed when percents became ratios: old dotted key -> (new key, factor).
RENAMED: dict[str, tuple[str, float]] = {
    "trajectory.trend_band_pct": ("trajectory.trend_band", 0.01),
    "trajectory.coaching_attainment_below_pct": ("trajectory.coaching_attainment_below", 0.01),
}


def check_keys(data: dict[str, Any], model: type[BaseModel], source: str, prefix: str) -> None:
    """Unknown keys (with "did you mean"), renamed keys, non-table sections and ratio keys
    written as percents, each named by its dotted key."""
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if dotted in RENAMED:
            new, factor = RENAMED[dotted]
            suggestion = (
                f"{new.split('.')[-1]} = {plain(value * factor)}"
                if is_number(value)
                else f"{new.split('.')[-1]} = <ratio>"
            )
            raise PolicyError(
                f"was renamed to {new!r}, a ratio between 0 and 1",
                source=source,
                key=dotted,
                hint=f"write {suggestion}",
            )
        if key not in model.model_fields:
            choices = list(model.model_fields)
            close = difflib.get_close_matches(key, choices, n=1)
            hint = (
                f"did you mean {prefix + close[0]!r}?"
                if close
                else (f"known keys here: {', '.join(prefix + c for c in choices)}")
            )
            raise PolicyError("unknown key", source=source, key=dotted, hint=hint)
        field = model.model_fields[key]
        sub = field.annotation
        item = _table_list(sub)
        if item is not None:
            if not isinstance(value, list):
                raise PolicyError(
                    f"must be a list of tables ([[{dotted}]]), got {type(value).__name__}",
                    source=source,
                    key=dotted,
                )
            for i, entry in enumerate(value):
                if not isinstance(entry, dict):
                    raise PolicyError(
                        f"must be a table, got {type(entry).__name__}",
                        source=source,
                        key=f"{dotted}[{i}]",
                    )
                check_keys(entry, item, source, f"{dotted}[{i}].")
            continue
        if isinstance(sub, type) and issubclass(sub, BaseModel):
            if not isinstance(value, dict):
                raise PolicyError(
                    f"must be a [{dotted}] table, got {type(value).__name__}",
                    source=source,
                    key=dotted,
                )
            check_keys(value, sub, source, f"{dotted}.")
        extra = field.json_schema_extra
        ratio = isinstance(extra, dict) and extra.get("ratio")
        if ratio and is_number(value) and value > 1:
            ratio_hint = f"did you mean {value / 100:.2f}?" if value <= 100 else None
            raise PolicyError(
                f"is a ratio between 0 and 1 (0.7 = 70%), got {plain(value)}",
                source=source,
                key=dotted,
                hint=ratio_hint,
            )


def _table_list(annotation: Any) -> type[BaseModel] | None:
    """The model of a ``list[Model]`` field (a TOML array of tables), else None."""
    if get_origin(annotation) is list:
        (item,) = get_args(annotation)
        if isinstance(item, type) and issubclass(item, BaseModel):
            return item
    return None


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def plain(value: float) -> str:
    return f"{value:.10g}"
