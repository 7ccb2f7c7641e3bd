"""The report models' base and their money type (exact decimals, written as JSON numbers)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

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
