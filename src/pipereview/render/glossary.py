"""The glossary: the one place a field, a rule, a check, a flow step or a movement gets the
label people read. Every human face (terminal, Markdown, HTML, PDF, the dashboard) asks
here, so no code name (``closed_won_3m_current``, ``stalled_deal``) reaches a page. The JSON
keeps the codes; ``docs/metrics.md`` defines what each one means.

A name with no entry (a user rule's id, a column of a user rule) is written as words
(``big_stuck_deal`` -> "Big stuck deal"); a test keeps every built-in name in the tables.
"""

from __future__ import annotations

FIELDS: dict[str, str] = {
    # pipeline summary and by stage
    "total_deals": "Total deals",
    "active_deals": "Active deals",
    "won_deals": "Won deals",
    "lost_deals": "Lost deals",
    "total_pipeline_value": "Total pipeline",
    "weighted_pipeline_value": "Weighted pipeline",
    "average_deal_size": "Average deal size",
    "win_rate": "Win rate",
    "stalled_deals_count": "Stalled deals",
    "at_risk_deals_count": "At-risk deals",
    "won_value": "Won value",
    "won_value_quarter_to_date": "Won quarter to date",
    "won_value_year_to_date": "Won year to date",
    "sales_cycle_deals": "Won with known cycle",
    "recorded_year_to_date_revenue": "YTD revenue (records)",
    "average_won_deal_size": "Average won deal",
    "median_sales_cycle_days": "Median cycle (days)",
    # roll-ups
    "reps": "Reps",
    "stalled_deals": "Stalled",
    "at_risk_deals": "At risk",
    "quota_revenue": "Revenue of reps with quota",
    "stage": "Stage",
    "pipeline_value": "Pipeline",
    # reps
    "rep_id": "Rep",
    "rep_name": "Name",
    "manager_id": "Manager",
    "team": "Team",
    "region": "Region",
    "close_rate": "Close rate",
    "quota_achievement": "Quota achievement",
    "pace": "Pace",
    "needs_coaching": "Needs coaching",
    "top_opportunities": "Top opportunities",
    "quota_usd": "Annual quota",
    "year_to_date_revenue_usd": "Revenue year to date",
    "days_elapsed": "Days of the fiscal year passed",
    "days_in_year": "Days in the fiscal year",
    "quota_3m": "3-month quota",
    "closed_won_3m_current": "Closed won, last 3 months",
    "quota_attainment_pct": "3-month attainment",
    "current_pipeline_value": "Pipeline now",
    "previous_pipeline_value": "Pipeline before",
    "previous_pipeline_source": "Previous pipeline from",
    "pipeline_change_pct": "Pipeline change",
    "pipeline_trend": "Pipeline trend",
    "risk_velocity_flag": "Risk velocity",
    "risk_velocity_source": "Risk velocity from",
    "velocity_matches": "Risk velocity matches the policy's",
    "attainment_below": "3-month attainment below the threshold",
    "coaching_candidate": "Coaching candidate",
    "benchmark": "Benchmark",
    "risk_score_current": "Risk score",
    # deals
    "deal_id": "Deal",
    "status": "Status",
    "deal_value_usd": "Value",
    "amount": "Amount",
    "currency": "Currency",
    "probability": "Probability",
    "expected_value": "Weighted value",
    "days_in_stage": "Days in stage",
    "risk_flags": "Risk flags",
    "risk_flag_count": "Risk flags",
    "created_date": "Created",
    "close_date": "Close date",
    "days_past_close_date": "Days past the close date",
    "close_date_pushes": "Close-date pushes",
    "days_pushed": "Days pushed",
    "first_close_date": "First close date",
    "days_to_close": "Days to close",
    "forecast_category": "Forecast category",
    # forecast
    "period": "Quarter",
    "quota": "Quota",
    "closed_won": "Closed won",
    "commit": "Commit",
    "best_case": "Best case",
    "pipeline": "Pipeline",
    "omitted": "Omitted",
    "commit_forecast": "Commit forecast",
    "best_case_forecast": "Best-case forecast",
    "open_pipeline": "Open pipeline",
    "weighted_open_pipeline": "Weighted open pipeline",
    "gap_to_quota": "Gap to quota",
    "coverage": "Coverage",
    "weighted_coverage": "Weighted coverage",
    "low_coverage": "Low coverage",
    "slipped_deals": "Slipped",
    "slipped_value": "Slipped value",
    "reps_without_quota": "Reps without quota",
    # forecast accuracy
    "commit_call": "Commit call",
    "best_case_call": "Best-case call",
    "actual": "Actual",
    "commit_bias": "Commit bias",
    "commit_bias_share": "Commit bias %",
    "commit_error": "Commit error",
    "commit_error_share": "Commit error %",
    "best_case_bias": "Best-case bias",
    "best_case_bias_share": "Best-case bias %",
    "best_case_error": "Best-case error",
    "best_case_error_share": "Best-case error %",
    "snapshot": "Snapshot",
    # thresholds
    "stalled_deal_days_in_stage": "Stalled after (days)",
    "stalled_days_by_stage": "Stalled after, this stage (days)",
    "min_risk_flags": "Risk flags at least",
    "high_probability": "High probability from",
    "extreme_days_in_stage": "Too long in stage from (days)",
    "as_of": "As of",
    "needs_coaching_below": "Needs coaching below",
    "needs_coaching_basis": "Needs coaching judged on",
    "coaching_attainment_below": "Coaching below 3-month attainment",
    "coaching_risk_velocity": "Coaching risk velocity",
    "trend_band": "Trend band",
    "low_coverage_below": "Low coverage below",
}

# rule id -> (one flag, the list of its flags)
RULES: dict[str, tuple[str, str]] = {
    "stalled_deal": ("Stalled", "Stalled deals"),
    "at_risk_deal": ("At risk", "At-risk deals"),
    "stale_high_probability": ("Stale high probability", "Stale high-probability deals"),
    "past_close_date": ("Past its close date", "Deals past their close date"),
    "repeatedly_pushed": ("Close date pushed repeatedly", "Deals whose close date keeps moving"),
    "needs_coaching": ("Needs coaching", "Reps who need coaching"),
    "coaching_candidate": ("Coaching candidate", "Coaching candidates"),
    "benchmark": ("Benchmark", "Benchmark rep"),
    "pipeline_declining": ("Pipeline declining", "Reps whose pipeline is declining"),
    "low_coverage": ("Low coverage", "Reps with low coverage"),
}

CHECKS: dict[str, str] = {
    "no_deal_joins_rep": "No deal joins a rep",
    "no_deals": "No deals",
    "no_known_status": "No known status",
    "duplicate_deal_id": "Repeated deal ids",
    "missing_deal_id": "Deals without an id",
    "unknown_status": "Unknown status",
    "missing_value": "Deals without a value",
    "missing_probability": "Deals without a probability",
    "negative_value": "Negative deal values",
    "orphan_deal": "Deals of unknown reps",
    "deal_without_rep": "Deals without a rep",
    "duplicate_rep_id": "Repeated rep ids",
    "duplicate_rep_name": "Repeated rep names",
    "missing_rep_id": "Reps without an id",
    "negative_rep_amount": "Negative rep figures",
    "pipeline_mismatch": "Rep pipeline differs from the deals",
    "missing_quota": "Reps without a quota",
    "missing_quota_3m": "Reps without a 3-month quota",
    "missing_ytd_revenue": "Reps without revenue year to date",
    "missing_close_rate": "Reps without a close rate",
    "missing_previous_pipeline": "Reps without a previous pipeline",
    "absent_column": "Columns not in the input",
    "read_as": "How the file was read",
    "manager_loop": "Managers in a loop",
    "deleted_rows": "Rows left out as deleted",
    "every_deal_left_out": "Every deal left out as deleted",
    "mapped_column_absent": "Mapped columns not in the file",
    "unknown_stage": "Stages not in the stage table",
    "derived_from_deals": "Rep figures derived from deals",
    "converted_currency": "Amounts converted to the base currency",
    "unconverted_currency": "Amounts in other currencies, not converted",
    "rounded_conversion": "Converted amounts rounded to 4 places",
    "quota_from_table": "Quotas from the quota table",
    "reps_from_deals": "Reps taken from the deals' owners",
    "days_in_stage_source": "Days in stage from the history",
    "pushes_unknown": "Close-date pushes unknown",
}

FLOW_STEPS: dict[str, str] = {
    "won": "Won",
    "lost": "Lost",
    "removed": "Removed",
    "moved_out": "Moved out of the period",
    "moved_in": "Moved into the period",
    "new": "New",
    "increased": "Increased",
    "decreased": "Decreased",
    "unchanged": "Unchanged",
}
# How a flow step reads for the period's number: won is good even though the open pipeline
# falls; lost, removed, moved out and decreased are bad; the rest are good.
FLOW_TONES: dict[str, str] = {
    "won": "good",
    "lost": "bad",
    "removed": "bad",
    "moved_out": "bad",
    "moved_in": "good",
    "new": "good",
    "increased": "good",
    "decreased": "bad",
    "unchanged": "neutral",
}

MOVEMENTS: dict[str, str] = {
    "won_since": "Won since",
    "lost_since": "Lost since",
    "new_stalls": "New stalls",
    "resolved_stalls": "Resolved stalls",
    "newly_at_risk": "Newly at risk",
}

SEVERITIES = {"info": "Info", "warning": "Warning", "critical": "Critical", "error": "Error"}
TABLES = {"deals": "Deals", "reps": "Reps"}
LEVELS = {"rep": "Rep", "manager": "Manager", "team": "Team", "region": "Region"}


def words(code: str) -> str:
    """A code as words: ``big_stuck_deal`` -> "Big stuck deal"."""
    spaced = " ".join(code.replace("_", " ").split())
    return spaced[:1].upper() + spaced[1:]


def label(name: str) -> str:
    """A field's label (a known name, else its words)."""
    return FIELDS.get(name) or words(name)


def rule_label(rule: str) -> str:
    """What one flag of ``rule`` is called ("Stalled"; a user rule: its id as words)."""
    return RULES[rule][0] if rule in RULES else words(rule)


def rule_title(rule: str) -> str:
    """The title of ``rule``'s list of flags ("Stalled deals")."""
    return RULES[rule][1] if rule in RULES else words(rule)


def check_label(check: str) -> str:
    """A data-quality check's label."""
    return CHECKS.get(check) or words(check)


def movement_label(movement: str) -> str:
    """A deal movement; a user rule's is "Newly flagged: <its label>"."""
    if movement in MOVEMENTS:
        return MOVEMENTS[movement]
    return f"Newly flagged: {rule_label(movement.removeprefix('newly_flagged:'))}"


def severity_label(severity: str) -> str:
    return SEVERITIES.get(severity) or words(severity)
