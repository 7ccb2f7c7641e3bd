"""Both canonical inputs in one engine, as the report reads them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

import ibis.expr.types as ir

from pipereview.engines import Engine
from pipereview.inputs.loaded import Loaded


@dataclass(frozen=True)
class Earlier:
    """An earlier snapshot to compare with: its date, its canonical tables (in the same
    engine) and the report stored with it (JSON text)."""

    as_of: dt.date
    deals: ir.Table
    reps: ir.Table
    report_json: str

    @cached_property
    def stored(self) -> dict[str, Any]:
        """The stored report, parsed once (numbers with a fraction as exact Decimals)."""
        parsed: dict[str, Any] = json.loads(self.report_json, parse_float=Decimal)
        return parsed


@dataclass(frozen=True)
class Inputs:
    """Both canonical inputs in one engine, and the earlier snapshot when there is one."""

    engine: Engine
    loaded_deals: Loaded
    loaded_reps: Loaded
    earlier: Earlier | None = None
    loaded_quotas: Loaded | None = None  # a quota table (rep_id, period_start, quota)

    @property
    def deals(self) -> ir.Table:
        return self.loaded_deals.table

    @property
    def reps(self) -> ir.Table:
        return self.loaded_reps.table

    @property
    def quotas(self) -> ir.Table | None:
        return self.loaded_quotas.table if self.loaded_quotas is not None else None

    def ensure_checked(self) -> None:
        """Check both inputs now (when no report scan will)."""
        self.loaded_deals.ensure_checked()
        self.loaded_reps.ensure_checked()
