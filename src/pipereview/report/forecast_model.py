"""The forecast section's model: one fiscal period's call at every level of the company.

Money is exact to the cent (rounded once, like the rest of the report); coverage is a
multiple rounded to 2 places. Additive figures of the rows of one level sum exactly (before
rounding) to the company row; a manager row is its own record's row plus its reports'.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pipereview.report.types import Model as _Model
from pipereview.report.types import Money, dumps

Level = Literal["rep", "manager", "team", "region", "company"]
LEVELS: tuple[Level, ...] = ("rep", "manager", "team", "region", "company")


class ForecastRow(_Model):
    """One rep, manager, team, region or the company in the period. ``id`` is the rep or
    manager id, the team or region name (null: reps without one, or deals without a rep);
    ``parent`` is the manager a rep or manager reports to; ``team`` and ``region`` are a
    rep's (null on the other levels), so a team's or a region's reps can be listed."""

    level: Level
    id: str | None
    name: str | None
    parent: str | None
    team: str | None = None  # added in schema 1.3
    region: str | None = None  # added in schema 1.3
    reps: int
    closed_won: Money
    closed_won_deals: int
    commit: Money
    commit_deals: int
    best_case: Money
    best_case_deals: int
    pipeline: Money
    pipeline_deals: int
    omitted: Money
    omitted_deals: int
    commit_forecast: Money
    commit_forecast_deals: int
    best_case_forecast: Money
    best_case_forecast_deals: int
    open_pipeline: Money
    open_pipeline_deals: int
    weighted_open_pipeline: Money
    quota: Money | None
    quota_source: Literal["table", "record", "none", "reps"]
    reps_without_quota: int
    gap_to_quota: Money | None
    # a float, or the exact decimal when a float cannot show the digits that keep it
    # reading against the threshold as it is (decisions D35)
    coverage: float | Money | None
    weighted_coverage: float | None
    low_coverage: bool
    slipped_deals: int
    slipped_value: Money
    deals_without_close_date: int
    categorized_by_stage: int
    categorized_by_default: int


class CloseMonth(_Model):
    """The open pipeline closing in one month of the period or the next (``month`` is the
    month's first day), by category."""

    month: dt.date
    commit: Money
    commit_deals: int
    best_case: Money
    best_case_deals: int
    pipeline: Money
    pipeline_deals: int
    open_pipeline: Money
    open_pipeline_deals: int


class Forecast(_Model):
    """The forecast call for one fiscal quarter (default: the one holding ``as_of``)."""

    period: str
    period_start: dt.date
    period_end: dt.date
    as_of: dt.date
    low_coverage_below: float
    company: ForecastRow
    by_rep: list[ForecastRow]
    by_manager: list[ForecastRow]
    by_team: list[ForecastRow]
    by_region: list[ForecastRow]
    by_close_month: list[CloseMonth]

    def to_json(self) -> str:
        """Indented JSON, keys in model order; money digits exact."""
        return dumps(self.model_dump(mode="python"))

    def rows(self, level: Level) -> list[ForecastRow]:
        """The rows of one level (the company as a one-row list)."""
        if level == "company":
            return [self.company]
        rows: list[ForecastRow] = getattr(self, f"by_{level}")
        return rows
