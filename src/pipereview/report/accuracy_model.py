"""The forecast accuracy model: each snapshot's call for one period against what closed.

Grain of ``rows``: one row per (level, subject, snapshot date); the chosen level's rows,
then the company's. Money is exact to the cent (rounded once, half-even, from the engine's
exact values); a share is the exact quotient rounded once to 4 places.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pipereview.report.forecast_model import Level
from pipereview.report.types import Model as _Model
from pipereview.report.types import Money, dumps

ACCURACY_SCHEMA_VERSION = "1.0"


class AccuracyRow(_Model):
    """One subject's call for the period on one snapshot date, against the actual. ``id``
    is the rep or manager id, the team or region name (null: reps without one, deals
    without a rep, the company); ``name`` a rep's or manager's name."""

    as_of: dt.date
    level: Level
    id: str | None
    name: str | None
    commit_call: Money
    best_case_call: Money
    actual: Money
    commit_bias: Money
    commit_bias_share: float | None
    commit_error: Money
    commit_error_share: float | None
    best_case_bias: Money
    best_case_bias_share: float | None
    best_case_error: Money
    best_case_error_share: float | None


class Accuracy(_Model):
    """Forecast accuracy for one period: ``snapshots`` are the dates called from (the
    period's, and ``weeks_before`` weeks before it); the actual is the closed won as of
    ``actual_as_of``: the first snapshot on or after the period's end
    (``actual_status`` final), or, while the period is open, the latest one (open)."""

    schema_version: str = ACCURACY_SCHEMA_VERSION
    period: str
    period_start: dt.date
    period_end: dt.date
    currency: str
    by: Level
    weeks_before: int
    snapshots: list[dt.date]
    actual_as_of: dt.date
    actual_status: Literal["final", "open"]
    rows: list[AccuracyRow]

    def to_json(self) -> str:
        """Indented JSON, keys in model order; money digits exact."""
        return dumps(self.model_dump(mode="python"))

    def level_rows(self, level: Level) -> list[AccuracyRow]:
        """The rows of one level, in order."""
        return [row for row in self.rows if row.level == level]

    def company_on(self, day: dt.date) -> AccuracyRow:
        """The company's row for one snapshot date."""
        return next(r for r in self.rows if r.level == "company" and r.as_of == day)
