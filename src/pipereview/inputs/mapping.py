"""Mappings: which source column, or which simple transform, feeds each canonical column.

A mapping is data, a TOML file validated like the policy (unknown keys get a "did you mean",
wrong types name the dotted key). A preset is a mapping shipped with the package
(``pipereview/inputs/presets/NAME.toml``). The tables:

- ``[deals]`` and ``[reps]``: canonical column -> a source column, or an inline table with one
  transform (see ``Field``). ``deleted`` lists boolean columns whose true rows are left out
  (and counted); ``derive`` (reps) lists rep figures computed from the deals.
  ``[reps.from_deals]`` (no reps input): rep columns read from the deals file, one value
  per owner (an owner's region or manager when the deals carry it).
- ``[quotas]``: the quota table's columns (``--quotas FILE``: rep_id, period_start, quota).
- ``[field_history]``, ``[stage_history]``: the history tables' columns (velocity).
- ``[stages]``: the stage table's columns (``--stages FILE``) or its rows inline
  (``[stages.values."Closed Won"]``), plus ``deals_column``, the deals column that names the
  stage. Deals take probability, status and the stage label from it where they lack them.

Source column names match ignoring case, spaces and underscores, so one mapping reads a
Salesforce API export (``IsClosed``) and a Fivetran table (``is_closed``) alike.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from pipereview.errors import PolicyError
from pipereview.names import fold_text
from pipereview.schema import TABLES

Derived = Literal["year_to_date_revenue_usd", "closed_won_3m_current", "current_pipeline_value"]
DERIVED: tuple[Derived, ...] = (
    "year_to_date_revenue_usd",
    "closed_won_3m_current",
    "current_pipeline_value",
)
# The stage table's canonical columns: the key deals refer to, then what a stage says.
STAGE_FIELDS = ("stage", "label", "probability", "closed", "won", "order")
# Date formats beyond strftime: epoch milliseconds or seconds, or either ISO text or epoch
# milliseconds (HubSpot exports give one or the other).
EPOCH_FORMATS = ("epoch_ms", "epoch_s", "epoch_ms_or_iso")
PRESETS = ("salesforce", "salesforce-report", "hubspot")
# Data-quality findings reading through a mapping can add (docs/metrics.md lists them).
INTAKE_CHECKS = (
    "deleted_rows",
    "every_deal_left_out",
    "mapped_column_absent",
    "unknown_stage",
    "derived_from_deals",
    "converted_currency",
    "unconverted_currency",
    "rounded_conversion",
    "quota_from_table",
    "reps_from_deals",
)
Columns = str | list[str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Field(_Strict):
    """How one canonical column is fed. Exactly one of ``column``, ``columns``, ``value``,
    ``since`` or ``closed`` (with ``won``)."""

    column: Columns | None = None  # a source column; a list: the first one present
    columns: list[str] | None = None  # text joined from several columns with ``separator``
    separator: str = " "
    value: str | float | bool | None = None  # the same value on every row
    since: Columns | None = None  # whole days from this date column to as_of
    closed: Columns | None = None  # status from two booleans: not closed = active,
    won: Columns | None = None  # closed and won = won, closed and not won = lost
    scale: float | None = None  # multiply the number (a 0-100 probability: 0.01)
    values: dict[str, str] | None = None  # value map; keys compared trimmed and case-folded
    default: str | None = None  # with ``values``: what every other non-blank value becomes
    format: str | None = None  # a date's strftime format, or one of EPOCH_FORMATS

    @model_validator(mode="after")
    def _one_source(self) -> Field:
        given = [
            k
            for k in ("column", "columns", "value", "since", "closed")
            if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of column, columns, value, since or closed"
                + (f" (got {', '.join(given)})" if given else "")
            )
        if (self.closed is None) != (self.won is None):
            raise ValueError("closed and won go together (status from two booleans)")
        if self.scale is not None and self.column is None:
            raise ValueError("scale applies to a column")
        if self.columns is not None and not self.columns:
            raise ValueError("columns needs at least one column")
        if self.scale is not None:
            _check_scale(self.scale)
        if self.values is not None:
            _check_keys(self.values)
        if self.values is None and self.default is not None:
            raise ValueError("default goes with values")
        if self.values is not None and self.column is None:
            raise ValueError("values applies to a column")
        if self.format is not None and self.column is None and self.since is None:
            raise ValueError("format applies to a date column or since")
        return self

    def sources(self) -> list[list[str]]:
        """Every source column this field reads, as lists of alternatives."""
        out: list[list[str]] = []
        for given in (self.column, self.since, self.closed, self.won):
            if given is not None:
                out.append([given] if isinstance(given, str) else list(given))
        out += [[name] for name in self.columns or []]
        return out

    def describe(self) -> str:
        """The field as a reader of the report should see it, e.g. ``Probability x 0.01``."""
        if self.value is not None:
            return f"the value {self.value!r}"
        if self.columns is not None:
            return " + ".join(self.columns)
        if self.closed is not None:
            return f"{_first(self.closed)} and {_first(self.won)}"
        if self.since is not None:
            return f"days since {_first(self.since)}"
        text = _first(self.column)
        if self.scale is not None:
            text += f" x {self.scale:g}"
        return text


# A scale multiplies a decimal(18,6) (the widest exact reading, ``precision.WIDE``): a scale
# with more places, or not finite, cannot be applied exactly (decisions D37).
SCALE_PLACES = 6
SCALE_LIMIT = 10**12


def _check_scale(scale: float) -> None:
    exact = Decimal(repr(float(scale))) if math.isfinite(scale) else None
    places = max(0, -int(exact.as_tuple().exponent)) if exact is not None else 0
    if exact is None or not 0 < exact < SCALE_LIMIT or places > SCALE_PLACES:
        raise ValueError(
            f"scale must be a number above 0 and below 10^12 with at most {SCALE_PLACES} "
            f"decimal places, not {scale!r} (0.01 for a 0-100 probability)"
        )


def _check_keys(values: dict[str, str]) -> None:
    """Value-map keys are compared trimmed and A-Z case-insensitive: two that compare
    alike would be one key with two meanings."""
    seen: dict[str, str] = {}
    for key in values:
        folded = fold_text(key)
        if folded in seen:
            raise ValueError(
                f"keys {seen[folded]!r} and {key!r} are the same key (keys are compared "
                "trimmed and A-Z case-insensitive): keep one"
            )
        seen[folded] = key


def _first(given: Columns | None) -> str:
    return given if isinstance(given, str) else " or ".join(given or [])


class TableMapping(_Strict):
    """One input's mapping: canonical column -> Field, and the rows left out."""

    fields: dict[str, Field] = {}
    deleted: list[str] = []  # boolean columns: a row where one is true is left out
    derive: list[Derived] = []  # reps: figures computed from the deals
    from_deals: dict[str, Field] = {}  # reps, with no reps input: columns of the deals file


class StageMapping(_Strict):
    """The stage table: its columns (for ``--stages FILE``) or its rows inline."""

    deals_column: Columns | None = None  # deals column naming the stage (default: stage)
    fields: dict[str, Field] = {}
    deleted: list[str] = []
    values: dict[str, dict[str, str | float | bool]] | None = None


class Mapping(_Strict):
    """A whole mapping (see the module docstring)."""

    name: str = ""
    description: str = ""
    deals: TableMapping = TableMapping()
    reps: TableMapping = TableMapping()
    stages: StageMapping | None = None
    quotas: TableMapping = TableMapping()  # the quota table's columns (--quotas FILE)
    field_history: TableMapping = TableMapping()  # --field-history FILE's columns
    stage_history: TableMapping = TableMapping()  # --stage-history FILE's columns


def _field(value: Any) -> Any:
    """``"Amount"`` and ``["Amount", "amount_usd"]`` are shorthand for ``{column = ...}``."""
    return {"column": value} if isinstance(value, str | list) else value


def _known(key: str, choices: list[str], source: str, dotted: str) -> None:
    if key not in choices:
        close = difflib.get_close_matches(key, choices, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(choices)}"
        raise PolicyError("unknown key", source=source, key=dotted, hint=hint)


def _table(data: Any, table: str, source: str) -> dict[str, Any]:
    """``[deals]``/``[reps]``/``[stages]`` as TableMapping/StageMapping data."""
    if not isinstance(data, dict):
        raise PolicyError(f"must be a [{table}] table", source=source, key=table)
    reserved = {
        "reps": ["deleted", "derive", "from_deals"],
        "stages": ["deleted", "deals_column", "values"],
    }.get(table, ["deleted"])
    columns = list(STAGE_FIELDS) if table == "stages" else [c.name for c in TABLES[table]]
    out: dict[str, Any] = {"fields": {}}
    for key, value in data.items():
        _known(key, columns + reserved, source, f"{table}.{key}")
        if key == "from_deals":
            if not isinstance(value, dict):
                raise PolicyError(
                    "must be a table of rep columns", source=source, key=f"{table}.{key}"
                )
            carried = [c for c in columns if c != "rep_id"]
            out[key] = _fields(value, carried, source, f"{table}.{key}")
        elif key in reserved:
            out[key] = value
        else:
            out["fields"].update(_fields({key: value}, columns, source, table))
    return out


def _fields(data: dict[str, Any], columns: list[str], source: str, where: str) -> dict[str, Any]:
    """Canonical column -> Field data, each key and sub-key checked (dotted ``where``)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        _known(key, columns, source, f"{where}.{key}")
        if isinstance(value, dict):
            for sub in value:
                _known(sub, list(Field.model_fields), source, f"{where}.{key}.{sub}")
        out[key] = _field(value)
    return out


def mapping_from_dict(data: dict[str, Any], source: str = "<mapping>") -> Mapping:
    """Validate a parsed mapping; errors name ``source`` and the dotted key."""
    if not isinstance(data, dict):
        raise PolicyError("must be a mapping of tables", source=source)
    shaped: dict[str, Any] = {}
    for key, value in data.items():
        _known(key, list(Mapping.model_fields), source, key)
        tables = ("deals", "reps", "stages", "quotas", "field_history", "stage_history")
        shaped[key] = _table(value, key, source) if key in tables else value
    try:
        return Mapping.model_validate(shaped)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"] if p != "fields"]
        message = first["msg"].removeprefix("Value error, ")
        raise PolicyError(
            message[:1].lower() + message[1:],
            source=source,
            key=".".join(loc),
            hint="see `pipereview preset show salesforce` for a worked mapping",
        ) from None


def load_mapping(path: str | Path) -> Mapping:
    """Load a TOML mapping file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PolicyError(
            "mapping file not found",
            source=str(p),
            hint="start from `pipereview preset show salesforce`",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read the mapping: {exc}", source=str(p)) from None
    return _parse(text, str(p))


def preset_text(name: str) -> str:
    """The shipped preset ``name`` as TOML text."""
    if name not in PRESETS:
        close = difflib.get_close_matches(name, PRESETS, n=1)
        raise PolicyError(
            f"no preset named {name!r}",
            hint=f"did you mean {close[0]!r}?" if close else f"presets: {', '.join(PRESETS)}",
        )
    preset = resources.files("pipereview.inputs").joinpath("presets", f"{name}.toml")
    return preset.read_text("utf-8")


def load_preset(name: str) -> Mapping:
    """A shipped preset, validated like any mapping."""
    return _parse(preset_text(name), f"preset {name}")


def _parse(text: str, source: str) -> Mapping:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"not valid TOML: {exc}", source=source) from None
    return mapping_from_dict(data, source)


def resolve_mapping(
    preset: str | None, mapping: str | Path | Mapping | dict[str, Any] | None
) -> Mapping | None:
    """The mapping a run uses: a preset by name, or a mapping (a TOML path, a ``Mapping`` or
    a dict of tables validated like a file), not both; or none."""
    if preset is not None and mapping is not None:
        raise PolicyError(
            "give a preset or a mapping, not both",
            hint="copy the preset with `pipereview preset show NAME` and edit it",
        )
    if preset is not None:
        return load_preset(preset)
    if mapping is None or isinstance(mapping, Mapping):
        return mapping
    if isinstance(mapping, dict):
        return mapping_from_dict(mapping)
    return load_mapping(mapping)
