"""The policy's sections: every threshold, grouped as the TOML file groups them.

Each section rejects unknown keys with a "did you mean" hint; ``policy.Policy`` puts them
together, fingerprints them and loads them from a file.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipereview.names import fold_text as fold_stage
from pipereview.policy.check import check_keys
from pipereview.schema import RATE

RiskVelocity = Literal["increasing", "stable", "decreasing"]

# Bounds the engines hold, so a policy that loads is a policy the report can run (issue 32):
# day thresholds and list lengths are whole numbers up to the largest 32-bit integer (every
# engine's plain integer; DuckDB failed on 10^20 as a day count), and numbers are finite
# (TOML writes inf and nan, which no comparison in a sentence can show).
MAX_COUNT = 2**31 - 1
MAX_COVERAGE = 1000.0  # forecast.low_coverage_below: "below 1000x" is the largest that means much
MAX_RISK_BAND = 1_000_000.0  # trajectory.risk_velocity_band: points of a risk score


OpenCategory = Literal["pipeline", "best_case", "commit", "omitted"]


def _decimal_bounds(dtype: str) -> tuple[Decimal, Decimal]:
    """The smallest and largest positive value a ``decimal(p,s)`` column holds."""
    precision, scale = (int(x) for x in dtype.removeprefix("decimal(").rstrip(")").split(","))
    step = Decimal(1).scaleb(-scale)
    return step, Decimal(1).scaleb(precision - scale) - step


MIN_RATE, MAX_RATE = _decimal_bounds(RATE)  # a currency.rates value, as the engine holds it


def _ratio(default: float, description: str) -> Any:
    """A share between 0 and 1 (the policy's one unit for rates and attainment)."""
    return Field(default, ge=0, le=1, description=description, json_schema_extra={"ratio": True})


def _distinct_stages(stages: list[str]) -> None:
    """ValueError for a blank stage name or two names of the same (folded) stage."""
    seen: dict[str, str] = {}
    for stage in stages:
        folded = fold_stage(stage)
        if not folded:
            raise ValueError("a stage name must not be blank")
        if folded in seen:
            raise ValueError(f"stages {seen[folded]!r} and {stage!r} are the same stage")
        seen[folded] = stage


class Section(BaseModel):
    # allow_inf_nan=False: a float key (and a float in a table, such as a rate) refuses TOML's
    # inf and nan at load, naming the key
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    key: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            check_keys(data, cls, "<policy>", f"{cls.key}." if cls.key else "")
        return data

    @field_validator("*", mode="after")
    @classmethod
    def _no_negative_zero(cls, value: Any) -> Any:
        """-0.0 is 0.0: the same threshold, the same fingerprint, never "-0.0" in a report."""
        return 0.0 if isinstance(value, float) and value == 0 else value


class PipelinePolicy(Section):
    """Deal-level thresholds."""

    key: ClassVar[str] = "pipeline"
    stalled_deal_days_in_stage: int = Field(
        21, ge=0, le=MAX_COUNT, description="An active deal with days_in_stage >= this is stalled."
    )
    stalled_days_by_stage: dict[str, int] = Field(
        default_factory=dict,
        description="Per-stage stall thresholds in days (stage name -> days, matched trimmed "
        "and case-insensitively); stages not listed use stalled_deal_days_in_stage.",
    )

    @field_validator("stalled_days_by_stage")
    @classmethod
    def _stage_days(cls, value: dict[str, int]) -> dict[str, int]:
        for stage, days in value.items():
            if not 0 <= days <= MAX_COUNT:
                raise ValueError(f"days for stage {stage!r} must be between 0 and {MAX_COUNT}")
        _distinct_stages(list(value))
        return dict(sorted(value.items()))

    high_probability: float = _ratio(
        0.7,
        "An active deal with probability at or above this ratio and days_in_stage at or "
        "above extreme_days_in_stage is stale_high_probability.",
    )
    extreme_days_in_stage: int = Field(
        60,
        ge=0,
        le=MAX_COUNT,
        description="Days in stage at or above which a high-probability active deal is "
        "stale_high_probability.",
    )

    repeatedly_pushed_at: int = Field(
        2,
        ge=1,
        le=MAX_COUNT,
        description="An active deal whose close date was pushed later at least this many "
        "times (from a field history or a store's snapshots) is repeatedly_pushed.",
    )

    def stall_days(self) -> dict[str, int]:
        """Folded stage name -> days, for the stages with their own threshold."""
        return {fold_stage(stage): days for stage, days in self.stalled_days_by_stage.items()}


class RepsPolicy(Section):
    """Rep performance thresholds."""

    key: ClassVar[str] = "reps"
    needs_coaching_below: float = _ratio(
        0.7,
        "A rep whose quota achievement (YTD / quota), or pace with needs_coaching_basis = "
        '"pace", is below this ratio needs coaching.',
    )
    top_opportunities: int = Field(
        3,
        ge=0,
        le=100,
        description="How many top active deals (value x probability) to list per rep.",
    )
    needs_coaching_basis: Literal["annual", "pace"] = Field(
        "annual",
        description='What needs_coaching compares with needs_coaching_below: "annual" (quota '
        'achievement, YTD / annual quota, the reference) or "pace" (YTD / the share of the '
        "annual quota due by as_of).",
    )


class TrajectoryPolicy(Section):
    """Rep trajectory thresholds."""

    key: ClassVar[str] = "trajectory"
    trend_band: float = _ratio(
        0.02, "A pipeline change within +/- this ratio of the previous pipeline is 'stable'."
    )
    coaching_attainment_below: float = _ratio(
        0.9, "A rep who closed less than this ratio of quota_3m is a coaching candidate."
    )
    coaching_risk_velocity: RiskVelocity = Field(
        "increasing",
        description="A rep whose risk_velocity_flag equals this (increasing, stable or "
        "decreasing) is a coaching candidate.",
    )
    risk_velocity_band: float = Field(
        5.0,
        ge=0,
        le=MAX_RISK_BAND,
        description="With history and no risk_velocity_flag: a change in risk_score_current "
        "since the earlier snapshot within +/- this many points is 'stable'; above it "
        "'increasing', below 'decreasing'.",
    )


class FlagsPolicy(Section):
    """How flags are listed."""

    key: ClassVar[str] = "flags"
    max_per_rule: int = Field(
        1000,
        ge=0,
        le=MAX_COUNT,
        description="List at most this many flags per rule (0 = all); counts are never capped.",
    )


class CalendarPolicy(Section):
    """The fiscal calendar every period uses (this-quarter, next-quarter, this-year)."""

    key: ClassVar[str] = "calendar"
    fiscal_year_start_month: int = Field(
        1, ge=1, le=12, description="The month (1-12) the fiscal year starts in; 2 = February."
    )


class VelocityPolicy(Section):
    """Stage velocity: the order of the open stages, and which stages close a deal."""

    key: ClassVar[str] = "velocity"
    stage_order: list[str] = Field(
        default_factory=list,
        description="The open stages in funnel order (matched trimmed and case-insensitively); "
        "empty = the order in which the history first shows each stage.",
    )
    won_stages: list[str] = Field(
        default_factory=lambda: ["Closed Won", "closedwon"],
        description="Stages that mean the deal is won: entering one ends the stage before it "
        "(not a stage a deal waits in); a backfilled deal in one is won.",
    )
    lost_stages: list[str] = Field(
        default_factory=lambda: ["Closed Lost", "closedlost"],
        description="Stages that mean the deal is lost, likewise.",
    )

    @model_validator(mode="after")
    def _won_or_lost(self) -> VelocityPolicy:
        both = {fold_stage(s) for s in self.won_stages} & {fold_stage(s) for s in self.lost_stages}
        if both:
            raise ValueError(f"stage {sorted(both)[0]!r} is in both won_stages and lost_stages")
        return self

    def closed_stages(self) -> list[str]:
        """The won and lost stages, folded."""
        return [fold_stage(s) for s in (*self.won_stages, *self.lost_stages)]

    @field_validator("stage_order", "won_stages", "lost_stages")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        _distinct_stages(value)
        return value


class CurrencyPolicy(Section):
    """Money in several currencies: the report's currency and the rates into it."""

    key: ClassVar[str] = "currency"
    base: str = Field(
        "USD",
        min_length=1,
        description="The report's currency (ISO code). Deals with an amount in another "
        "currency are converted into it when rates are given.",
    )
    rates: dict[str, float] = Field(
        default_factory=dict,
        description="Units of the base currency per unit of each currency (code -> rate, "
        "> 0); a --rates file (currency, rate, optional date) is used instead when given.",
        json_schema_extra={"example": '"EUR" = 1.08'},
    )

    @field_validator("rates")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        seen: dict[str, str] = {}
        for code, rate in value.items():
            if rate <= 0:
                raise ValueError(f"the rate for {code!r} must be above 0, got {rate}")
            if not MIN_RATE <= Decimal(repr(rate)) <= MAX_RATE:
                raise ValueError(
                    f"the rate for {code!r} must be between {MIN_RATE:f} and {MAX_RATE:f} (what "
                    f"an exchange rate holds: {RATE})"
                )
            folded = fold_stage(code)
            if not folded or folded in seen:
                raise ValueError(f"currency {code!r} is blank or listed twice")
            seen[folded] = code
        return dict(sorted(value.items()))


class ForecastPolicy(Section):
    """The forecast call: categories for deals without one, and the coverage threshold."""

    key: ClassVar[str] = "forecast"
    low_coverage_below: float = Field(
        3.0,
        ge=0,
        le=MAX_COVERAGE,
        description="A rep whose open pipeline in the period is below this many times the gap "
        "to the period's quota is low_coverage (3.0 = 3x).",
    )
    default_category: OpenCategory = Field(
        "pipeline",
        description="The forecast category of an active deal with none (or one not known) "
        "and a stage not in category_by_stage: pipeline, best_case, commit or omitted.",
    )
    category_by_stage: dict[str, OpenCategory] = Field(
        default_factory=dict,
        description="The forecast category of an active deal without one, by stage (stage name "
        "-> pipeline, best_case, commit or omitted; matched trimmed and case-insensitively).",
        json_schema_extra={"example": '"Negotiation" = "commit"'},
    )

    @field_validator("category_by_stage")
    @classmethod
    def _stages(cls, value: dict[str, str]) -> dict[str, str]:
        _distinct_stages(list(value))
        return dict(sorted(value.items()))

    def stage_categories(self) -> dict[str, str]:
        """Folded stage name -> category."""
        return {fold_stage(stage): name for stage, name in self.category_by_stage.items()}


class OutputPolicy(Section):
    """How the human formats are laid out (never the numbers, so not in the fingerprint)."""

    key: ClassVar[str] = "output"
    page_size: Literal["A4", "Letter"] = Field(
        "A4", description='Paper size of the PDF and of the printed HTML report: "A4" or "Letter".'
    )
    pdf_rows: int = Field(
        100,
        ge=0,
        le=MAX_COUNT,
        description="The PDF lists at most this many rows per long list (reps, coaching, each "
        "deal rule, other rep flags) and says how many it leaves out (0 = all); the HTML and "
        "JSON list everything.",
    )
