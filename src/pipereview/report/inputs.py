"""Both canonical inputs in one engine, as the report reads them."""

from __future__ import annotations

from dataclasses import dataclass

import ibis.expr.types as ir

from pipereview.sources.engine import Engine
from pipereview.sources.ingest import Loaded


@dataclass(frozen=True)
class Inputs:
    """Both canonical inputs in one engine."""

    engine: Engine
    loaded_deals: Loaded
    loaded_reps: Loaded

    @property
    def deals(self) -> ir.Table:
        return self.loaded_deals.table

    @property
    def reps(self) -> ir.Table:
        return self.loaded_reps.table

    def ensure_checked(self) -> None:
        """Check both inputs now (when no report scan will)."""
        self.loaded_deals.ensure_checked()
        self.loaded_reps.ensure_checked()
