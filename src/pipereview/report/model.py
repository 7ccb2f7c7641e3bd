"""The Report model: every section with its grain, the one rounding rule, exact JSON.

Money is a ``Decimal`` from the engine to the JSON text: it is rounded once, half-even, to
cents (``round_value``), and written as a JSON number with exactly those digits. Ratios and
days are rounded to 2 places, percentages to 1, risk scores truncated to an integer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field, PrivateAttr

from pipereview.report.accuracy_model import Accuracy
from pipereview.report.forecast_model import Forecast
from pipereview.report.history_model import (  # noqa: F401  (re-exported)
    VELOCITY_SCHEMA_VERSION,
    CycleTime,
    OrderSource,
    Slippage,
    StageVelocity,
    Velocity,
    VelocitySource,
)
from pipereview.report.rounding import (  # noqa: F401  (re-exported: the model's rounding)
    CENT,
    ROUNDERS,
    UNIT_PLACES,
    not_falsely_whole,
    round_value,
    rounded,
    row_rounder,
    widened,
)
from pipereview.report.types import Model as _Model
from pipereview.report.types import Money, decimal_text, dumps  # noqa: F401  (re-exported)

SCHEMA_VERSION = "1.3"

# One observed value of a flag's evidence (money stays exact).
Observed = bool | int | Money | float | str | list[str] | None


class PipelineSummary(_Model):
    """Grain: the whole deals input (one object)."""

    total_deals: int
    active_deals: int
    won_deals: int
    lost_deals: int
    total_pipeline_value: Money
    weighted_pipeline_value: Money
    average_deal_size: Money
    win_rate: float
    stalled_deals_count: int
    at_risk_deals_count: int
    # Added in schema 1.3 (a report stored before then reads with these null): won revenue.
    won_value: Money | None = None
    won_value_quarter_to_date: Money | None = None
    won_value_year_to_date: Money | None = None
    sales_cycle_deals: int | None = None
    recorded_year_to_date_revenue: Money | None = None
    average_won_deal_size: Money | None = None
    median_sales_cycle_days: float | None = None


class RepPerformance(_Model):
    """Grain: one row per rep_id in the reps input, ordered by rep_id."""

    rep_id: str
    rep_name: str | None
    active_deals: int
    pipeline_value: Money
    close_rate: float | None
    close_rate_source: Literal["record", "deals", "none"]
    quota_achievement: float | None
    pace: float | None = None  # added in schema 1.2
    needs_coaching: bool
    top_opportunities: list[str]
    # Added in schema 1.3 (null in a report stored before then).
    won_deals: int | None = None
    lost_deals: int | None = None
    won_value: Money | None = None


# Where a trajectory input came from: the rep record, an earlier snapshot, or nowhere.
Source = Literal["record", "history", "none"]


class RepTrajectory(_Model):
    """Grain: one row per rep_id in the reps input, ordered by rep_id."""

    rep_id: str
    rep_name: str | None
    quota_3m: Money | None
    closed_won_3m_current: Money | None
    quota_attainment_pct: float | None
    current_pipeline_value: Money | None
    previous_pipeline_value: Money | None
    previous_pipeline_source: Source
    pipeline_change_pct: float | None
    pipeline_trend: Literal["improving", "stable", "declining"]
    risk_velocity_flag: str | None
    risk_velocity_source: Source
    coaching_candidate: bool
    benchmark: bool
    risk_score_current: int | None


class StagePipeline(_Model):
    """Grain: one row per stage of the active deals (null: deals without a stage), biggest
    pipeline first, then by stage. The exact sums add up to the pipeline summary's; each
    row is rounded to the cent on its own."""

    stage: str | None
    active_deals: int
    pipeline_value: Money
    weighted_pipeline_value: Money


class RollupRow(_Model):
    """Grain: one row per level and subject: the company, each region, team and manager
    (everyone under it, at any depth) and each rep, ordered by level (``ROLLUP_LEVELS``)
    then id (null last). ``id`` is the rep or manager id, the team or region name (null:
    reps without one, or deals without a rep; the company's is null); ``parent`` the
    manager a rep or manager reports to. Additive figures of one level's rows sum exactly
    (before rounding) to the company row; the ratios come from a row's own sums."""

    level: Literal["company", "region", "team", "manager", "rep"]
    id: str | None
    name: str | None
    parent: str | None
    reps: int
    active_deals: int
    pipeline_value: Money
    weighted_pipeline_value: Money
    won_deals: int
    lost_deals: int
    won_value: Money
    win_rate: float | None
    quota: Money | None
    quota_revenue: Money
    quota_achievement: float | None
    reps_without_quota: int
    stalled_deals: int
    at_risk_deals: int


ROLLUP_LEVELS: tuple[str, ...] = ("company", "region", "team", "manager", "rep")
# The levels the human formats show unless ``report --by`` says otherwise: the rep rows are
# the rep performance table's already.
SHOWN_LEVELS: tuple[str, ...] = ("company", "region", "team", "manager")


class DealDetail(_Model):
    """Grain: one row per deal row the report names (a flag or a top opportunity), ordered
    by deal_id then content: what a reader needs beside the id."""

    deal_id: str
    rep_id: str | None
    rep_name: str | None
    stage: str | None
    status: str | None
    deal_value_usd: Money
    probability: float
    expected_value: Money
    days_in_stage: float
    close_date: dt.date | None
    risk_flags: list[str]


class Flag(_Model):
    """Grain: one row per (rule, subject); ordered by rule, then priority, then subject_id."""

    rule: str
    subject_type: Literal["deal", "rep"]
    subject_id: str
    severity: Literal["info", "warning", "critical"]
    observed: dict[str, Observed]
    thresholds: dict[str, Any]
    message: str


class Verdict(Flag):
    """One rule's judgement of one subject (``explain``): the flag it raises, or, when
    ``fired`` is false, the values and the sentence saying why it does not."""

    fired: bool


class FlagCount(_Model):
    """Grain: one row per rule, in rule order: the true total and how many are listed."""

    rule: str
    subject_type: Literal["deal", "rep"]
    severity: Literal["info", "warning", "critical"]
    total: int
    shown: int


class DataQualityItem(_Model):
    """Grain: one row per check that found something, ordered by table then check."""

    check: str
    table: Literal["deals", "reps"]
    severity: Literal["info", "warning", "error"]
    count: int
    message: str
    examples: list[str]


# A compared number: money, a count or a ratio.
Number = int | Money | float


class MetricChange(_Model):
    """One pipeline number then and now. ``change_pct`` (money only) is the change as a
    percent of a positive ``before``; null otherwise."""

    metric: str
    before: Number
    after: Number
    change: Number
    change_pct: float | None


class DealMovement(_Model):
    """Deals that moved one way since the earlier snapshot: the true count, their value and
    the ids listed (biggest first, capped like flags)."""

    movement: str
    deals: int
    value: Money
    deal_ids: list[str]


class RepChange(_Model):
    """A rep whose figure moved: its value then and now, and by how much."""

    rep_id: str
    rep_name: str | None
    metric: Literal["quota_achievement", "quota_attainment_pct"]
    before: float
    after: float
    change: float
    direction: Literal["up", "down"]


class Changes(_Model):
    """Grain: one object per report, against one earlier snapshot."""

    compared_to: dt.date
    same_policy: bool
    pipeline: list[MetricChange]
    deals: list[DealMovement]
    deals_without_id: int
    reps: list[RepChange]


class FlowStep(_Model):
    """One waterfall step: the signed change a category contributes, and its deals."""

    category: str
    change: Money
    deals: int


class PeriodFlow(_Model):
    """How the open pipeline of this fiscal quarter moved since the compared snapshot
    (exact, not rounded: start + every change = end, decisions D20)."""

    compared_to: dt.date
    period_start: dt.date | None
    period_end: dt.date | None
    start_open_pipeline: Money
    steps: list[FlowStep]
    end_open_pipeline: Money


class Report(_Model):
    """The whole pipeline review. ``to_json`` is byte-stable for the same inputs."""

    schema_version: str
    as_of: dt.date
    # The currency every money value is in (the policy's currency.base; columns named
    # ``*_usd`` hold it too). Added in schema 1.3: a report stored before then was in USD.
    currency: str = "USD"
    policy_fingerprint: str
    input_fingerprint: str
    pipeline_summary: PipelineSummary
    rep_performance: list[RepPerformance]
    rep_trajectory: list[RepTrajectory]
    flags: list[Flag]
    flag_counts: list[FlagCount]
    data_quality: list[DataQualityItem]
    # Added in schema 1.1; a report stored before then reads with these empty.
    pipeline_by_stage: list[StagePipeline] = Field(default_factory=list)
    deal_details: list[DealDetail] = Field(default_factory=list)
    changes: Changes | None = None
    flow: PeriodFlow | None = None
    velocity: Velocity | None = None
    forecast: Forecast | None = None  # added in schema 1.2
    rollups: list[RollupRow] = Field(default_factory=list)  # added in schema 1.3
    # last period's forecast accuracy, with a store that has it (D46); written only then
    accuracy: Accuracy | None = None
    slippage: Slippage | None = None  # with a history of close dates (schema 1.3, additive)
    # Which roll-up levels the human formats show (``report --by``); not part of the JSON.
    _levels: tuple[str, ...] = PrivateAttr(default=SHOWN_LEVELS)

    def showing(self, levels: tuple[str, ...]) -> Report:
        """This report, its human formats showing the roll-up ``levels`` (the JSON is the
        same: it always has every level)."""
        shown = self.model_copy()
        shown._levels = tuple(level for level in ROLLUP_LEVELS if level in levels)
        return shown

    def shown_levels(self) -> tuple[str, ...]:
        """The roll-up levels the human formats show, top level first."""
        return self._levels

    def rollup_rows(self, level: str, subject: str | None = None) -> list[RollupRow]:
        """The roll-up rows of ``level`` (every one, or the one whose id is ``subject``)."""
        return [
            r for r in self.rollups if r.level == level and (subject is None or r.id == subject)
        ]

    def to_json(self) -> str:
        """Indented JSON, keys in model order, newline-terminated; money digits exact.
        ``changes`` and ``flow`` are written only when there is an earlier snapshot to
        compare with, ``velocity`` only when a stage or field history was given, ``slippage``
        only when a history of close dates was."""
        data = dict(self.__dict__)  # the fields in model order; dumps walks the models
        for optional in ("changes", "flow", "velocity", "forecast", "slippage", "accuracy"):
            if data[optional] is None:
                del data[optional]
        return dumps(data)
