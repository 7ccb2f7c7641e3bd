"""Canonical column definitions: the one place that says what a deal and a rep are.

Readers map inputs onto these columns; metrics read only these names. ``kind`` drives parsing
and validation (see ``inputs/canonical.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal[
    "id",
    "text",
    "status",
    "money",
    "number",
    "integer",
    "probability",
    "date",
    "flags",
    "boolean",
    "rate",
]

ROW_COLUMN = "_row"  # 1-based data-row number in the source (header excluded)

ACTIVE, WON, LOST = "active", "won", "lost"

# Exact decimal types (decisions D13): money to 1/10,000 of a unit, probability to 6 places,
# value x probability exactly, and sums wide enough for any input size.
MONEY = "decimal(18,4)"
PROBABILITY = "decimal(18,6)"
WEIGHTED = "decimal(38,10)"
MONEY_SUM = "decimal(38,4)"
# The longest CSV line (and so field) the readers take: DuckDB's default is 2 MB, Python's
# csv module's field limit 128 KB; a correctly quoted long note is not an error.
MAX_CSV_LINE = 64 * 2**20
RATE = "decimal(18,8)"  # an exchange rate: base-currency units per unit
STATUSES = (ACTIVE, WON, LOST)

# Forecast categories (the forecast call). A won deal is ``closed``; an active deal is in one
# of the open categories. The open pipeline is commit + best case + pipeline.
CLOSED, COMMIT, BEST_CASE, PIPELINE, OMITTED = (
    "closed",
    "commit",
    "best_case",
    "pipeline",
    "omitted",
)
OPEN_CATEGORIES = (COMMIT, BEST_CASE, PIPELINE)
# forecast_category as CRMs write it, folded (A-Z lower-cased, without spaces, underscores and
# hyphens): Salesforce labels and API names (Forecast = Commit; Most Likely sits between Commit
# and Best Case in every cumulative roll-up, so it counts as best case), HubSpot's values.
CATEGORY_SPELLINGS: dict[str, str] = {
    "closed": CLOSED,
    "commit": COMMIT,
    "forecast": COMMIT,
    "mostlikely": BEST_CASE,
    "bestcase": BEST_CASE,
    "pipeline": PIPELINE,
    "omitted": OMITTED,
    "omit": OMITTED,
    "notforecasted": OMITTED,
}


@dataclass(frozen=True)
class Column:
    """One canonical column."""

    name: str
    kind: Kind
    required: bool
    description: str

    @property
    def dtype(self) -> str:
        """The Ibis type of the canonical column."""
        return {
            "id": "string",
            "text": "string",
            "status": "string",
            "money": MONEY,
            "number": "float64",
            "integer": "float64",
            "probability": PROBABILITY,
            "date": "date",
            "flags": "array<string>",
            "boolean": "boolean",
            "rate": RATE,
        }[self.kind]


DEAL_COLUMNS: tuple[Column, ...] = (
    Column("deal_id", "id", True, "Unique deal identifier."),
    Column("rep_id", "id", True, "Owner rep; matches reps.rep_id."),
    Column(
        "status",
        "status",
        True,
        "active | won | lost (trimmed, A-Z case-insensitive); other values count in "
        "total_deals only.",
    ),
    Column("deal_value_usd", "money", True, "Deal value in USD; missing = 0."),
    Column("probability", "probability", True, "Win probability 0..1; missing = 0."),
    Column("days_in_stage", "integer", False, "Days in the current stage; missing = 0."),
    Column("risk_flags", "flags", False, "Risk flags; non-empty = at risk."),
    Column("stage", "text", False, "CRM stage name."),
    Column("created_date", "date", False, "Date the deal was created."),
    Column("close_date", "date", False, "Expected (open) or actual (closed) close date."),
    Column("forecast_category", "text", False, "CRM forecast category."),
    Column("currency", "text", False, "ISO currency of `amount`."),
    Column("amount", "money", False, "Deal amount in `currency`."),
)

REP_COLUMNS: tuple[Column, ...] = (
    Column("rep_id", "id", True, "Rep identifier."),
    Column("rep_name", "text", False, "Display name."),
    Column("quota_usd", "money", False, "Annual quota in USD."),
    Column("year_to_date_revenue_usd", "money", False, "Closed-won revenue this year."),
    Column("close_rate", "probability", False, "Close rate 0..1 from the CRM."),
    Column("quota_3m", "money", False, "Quota for the last three months."),
    Column("closed_won_3m_current", "money", False, "Closed-won in the last three months."),
    Column("current_pipeline_value", "money", False, "Open pipeline now."),
    Column("previous_pipeline_value", "money", False, "Open pipeline one period ago."),
    Column("risk_velocity_flag", "text", False, "increasing | stable | decreasing."),
    Column("risk_score_current", "number", False, "Current risk score."),
    Column("manager_id", "id", False, "Manager's rep or user id."),
    Column("team", "text", False, "Team name."),
    Column("region", "text", False, "Region name."),
)

# Stage history: one row per stage a deal entered (velocity).
STAGE_HISTORY_COLUMNS: tuple[Column, ...] = (
    Column("deal_id", "id", True, "The deal; matches deals.deal_id."),
    Column("stage", "text", True, "The stage entered."),
    Column("entered_at", "date", True, "When the deal entered the stage."),
    Column("exited_at", "date", False, "When it left; missing = when it entered the next one."),
)

# Field history (like Salesforce OpportunityFieldHistory): one row per field change.
FIELD_HISTORY_COLUMNS: tuple[Column, ...] = (
    Column("deal_id", "id", True, "The deal; matches deals.deal_id."),
    Column("field", "text", True, "The field changed (e.g. StageName, stage, dealstage)."),
    Column("old_value", "text", False, "The value before the change."),
    Column("new_value", "text", False, "The value after the change."),
    Column("changed_at", "date", True, "When the change was made."),
)

# The field-history names (folded) of the stage field: Salesforce, canonical, HubSpot.
STAGE_FIELDS = ("stagename", "stage", "dealstage")
# The field-history names (folded) of the close date: Salesforce, HubSpot, canonical.
CLOSE_DATE_FIELDS = ("closedate", "close_date")

# A stage table (from a mapping): what each stage means, for deals that lack it.
STAGE_COLUMNS: tuple[Column, ...] = (
    Column("stage", "id", True, "The stage as deals name it (a name or a CRM stage id)."),
    Column("label", "text", False, "The stage's display name; becomes the deal's stage."),
    Column("probability", "probability", False, "Win probability 0..1 of a deal in it."),
    Column("closed", "boolean", False, "A deal in this stage is closed."),
    Column("won", "boolean", False, "A closed deal in this stage is won."),
    Column("order", "integer", False, "Position in the pipeline."),
)

# Quotas: one row per rep and period (from a mapping's quota table).
QUOTA_COLUMNS: tuple[Column, ...] = (
    Column("rep_id", "id", True, "The rep; matches reps.rep_id."),
    Column("period_start", "date", True, "The first day of the quota's period."),
    Column("quota", "money", True, "The quota for that period."),
)

# Exchange rates (``--rates`` or the policy's ``[currency.rates]``).
RATE_COLUMNS: tuple[Column, ...] = (
    Column("currency", "id", True, "ISO currency code (trimmed, A-Z case-insensitive)."),
    Column("rate", "rate", True, "Units of the base currency per unit of this one (> 0)."),
    Column("date", "date", False, "From when the rate holds; missing = always."),
)

TABLES: dict[str, tuple[Column, ...]] = {
    "deals": DEAL_COLUMNS,
    "reps": REP_COLUMNS,
    "stage_history": STAGE_HISTORY_COLUMNS,
    "field_history": FIELD_HISTORY_COLUMNS,
    "stages": STAGE_COLUMNS,
    "rates": RATE_COLUMNS,
    "quotas": QUOTA_COLUMNS,
}


def column_names(table: str) -> list[str]:
    """Canonical column names of ``table`` in canonical order."""
    return [c.name for c in TABLES[table]]
