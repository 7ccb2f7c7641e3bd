"""The report models' base, their money type and how they are written as JSON (exact
decimals as JSON numbers, fields in model order)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema

# In ``model_dump(mode="json")`` (for callers that want plain Python numbers) money is a
# float; ``Report.to_json`` writes the exact decimal digits instead.
Money = Annotated[
    Decimal,
    PlainSerializer(float, return_type=float, when_used="json"),
    WithJsonSchema({"type": "number"}),
]


class Model(BaseModel):
    """Every report model: no unknown fields, immutable, no NaN or infinity."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def decimal_text(value: Decimal) -> str:
    """A decimal as a JSON number: its digits without trailing zeros, at least one place
    (1234.50 -> 1234.5, 7.00 -> 7.0, as a float would print), never in exponent form."""
    if value == 0:
        return "0.0"
    text = str(value)  # plain digits unless the exponent form is needed (then "f")
    if "E" in text:
        text = format(value, "f")
    if "." in text:
        text = text.rstrip("0")
    return text + "0" if text.endswith(".") else text if "." in text else text + ".0"


def _fragment(value: Any) -> Any:
    if isinstance(value, Decimal):
        return orjson.Fragment(decimal_text(value).encode())
    if isinstance(value, Model):  # its fields in model order, as model_dump gives them
        return value.__dict__
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(data: Any, indent: int | None = 2) -> str:
    """JSON (newline-terminated, keys in order) in which every Decimal is written as an
    exact number. Indented by 2 unless ``indent`` is None (then compact)."""
    option = orjson.OPT_INDENT_2 if indent else 0
    return orjson.dumps(data, default=_fragment, option=option).decode() + "\n"
