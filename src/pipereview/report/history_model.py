"""The report's sections computed from history (a stage or field history, or the store's
snapshots): velocity through the stages and close-date slippage. Part of the report model
(``model.py`` re-exports them)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pipereview.report.types import Model as _Model
from pipereview.report.types import Money, dumps

VELOCITY_SCHEMA_VERSION = "1.0"
VelocitySource = Literal["stage_history", "field_history", "snapshots"]
# Where the velocity stage order came from (decisions D39).
OrderSource = Literal["policy", "probability", "first_seen"]


class StageVelocity(_Model):
    """Grain: one stage of the order. ``deals`` entered it; days are per deal (summed over
    re-entries), over the ``deals_with_days`` whose start is known; ``conversion_rate`` =
    ``advanced / reached``; ``win_rate`` = won / (won + lost) of the closed deals whose
    furthest stage it is."""

    stage: str
    deals: int
    deals_with_days: int
    mean_days: float | None
    median_days: float | None
    open_deals: int
    reached: int
    advanced: int
    next_stage: str
    conversion_rate: float | None
    won: int
    lost: int
    win_rate: float | None


class CycleTime(_Model):
    """Won deals closed in ``month`` (all months when null) and their days from creation."""

    month: str | None
    won_deals: int
    mean_days: float | None
    median_days: float | None


class Velocity(_Model):
    """The velocity report for one as-of date."""

    schema_version: str = VELOCITY_SCHEMA_VERSION
    as_of: dt.date
    source: VelocitySource
    stage_order_source: OrderSource
    stages: list[StageVelocity]
    other_stages: list[str]
    cycle_time: CycleTime
    cycle_time_by_month: list[CycleTime]

    def to_json(self) -> str:
        """Indented JSON, keys in model order."""
        return dumps(self.model_dump(mode="python"))


class Slippage(_Model):
    """Close-date pushes of the active deals and the slip rate of the report's fiscal
    quarter, from a history of close dates (decisions D49, D50). ``slip_rate`` =
    ``moved_out_value / due_value`` (null when nothing was due, or when the history does
    not reach the quarter's start: then the due and moved-out figures are null too)."""

    source: VelocitySource
    pushed_deals: int
    pushes: int
    days_pushed: int
    period: str
    period_start: dt.date
    period_end: dt.date
    due_deals: int | None
    due_value: Money | None
    moved_out_deals: int | None
    moved_out_value: Money | None
    slip_rate: float | None
