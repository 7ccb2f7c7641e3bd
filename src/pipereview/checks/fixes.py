"""What to do about each data-quality finding: the "fix" column of ``pipereview validate``.

One sentence per check id (every registered check, the reading notes and the mapping's
findings); ``tests/inputs/test_validate.py`` fails when a check has none.
"""

from __future__ import annotations

FIXES: dict[str, str] = {
    "no_deal_joins_rep": "Make deals.rep_id hold the reps' rep_id (map the owner column to the "
    "user/owner id, not a name).",
    "no_deals": "Export the deals with their rows; with a preset, check the deleted column "
    "(IsDeleted) if every row was left out.",
    "no_known_status": "Map the CRM's statuses onto active/won/lost (a value map, IsClosed/IsWon, "
    "or a stage table).",
    "read_as": "Nothing to do; export as UTF-8 comma-separated to silence it.",
    "absent_column": "Add or map the column if the report should use it.",
    "duplicate_deal_id": "Export one row per deal, or map the real unique id to deal_id.",
    "missing_deal_id": "Fill deal_id, or map the CRM's record id to it.",
    "unknown_status": "Map these statuses onto active/won/lost, or leave them out of the export.",
    "missing_value": "Fill the amount in the CRM; these deals count as 0.",
    "missing_probability": "Fill the probability, or give a stage table that has one per stage.",
    "negative_value": "Correct the amounts in the CRM (credits are not deals).",
    "orphan_deal": "Add these reps to the reps input, or correct the deals' rep_id.",
    "deal_without_rep": "Assign an owner in the CRM.",
    "duplicate_rep_id": "Export one row per rep.",
    "duplicate_rep_name": "Nothing if they are different people; else merge the rep ids.",
    "missing_rep_id": "Fill rep_id on these rows, or remove them.",
    "negative_rep_amount": "Correct the rep record's figures.",
    "pipeline_mismatch": "Refresh the rep records from the same export as the deals, or derive "
    "current_pipeline_value from the deals (mapping `derive`).",
    "missing_quota": "Add quota_usd to the rep records.",
    "missing_quota_3m": "Add quota_3m to the rep records.",
    "missing_ytd_revenue": "Add year_to_date_revenue_usd, or derive it from the deals (mapping "
    "`derive`).",
    "missing_close_rate": "Nothing to do: it is computed from the rep's won and lost deals.",
    "missing_previous_pipeline": "Add previous_pipeline_value, or keep snapshots (--store).",
    "deleted_rows": "Nothing to do when some are: deleted rows are left out on purpose; when "
    "every row is, export the live records or check the mapping's 'deleted' column.",
    "every_deal_left_out": "Export the live records (a report of deleted deals only, or a "
    "'deleted' column in the mapping that names the wrong field?).",
    "mapped_column_absent": "Export the named column, or remove it from the mapping.",
    "unknown_stage": "Add the stages to the stage table (or the mapping's [stages.values]).",
    "derived_from_deals": "Nothing to do: the figure comes from the deals, as the mapping says.",
    "manager_loop": "Correct the manager_id of one rep in each loop: the top of a hierarchy "
    "has none.",
    "days_in_stage_source": "Nothing to do: export the deals' days in stage (or the last stage "
    "change date) if the history's days look off.",
    "pushes_unknown": "Pass the field history with CloseDate changes (--field-history FILE) "
    "or a snapshot store with earlier snapshots (--store S).",
    "reps_from_deals": "Pass --reps (a users or owners export) for names, quotas and teams.",
    "quota_from_table": "Nothing to do: check the quota table's periods if attainment looks off.",
    "converted_currency": "Nothing to do: check the rates' source and dates if the totals look "
    "off.",
    "unconverted_currency": "Pass the exchange rates into the base currency (--rates FILE or "
    "the policy's [currency.rates]), or correct the currency column.",
    "rounded_conversion": "Nothing to do: each converted value was rounded once, half-even, to "
    "the 4 places money keeps; use rates with fewer places if that matters.",
}


def fix_for(check: str) -> str:
    """The fix sentence for ``check`` (empty when there is none)."""
    return FIXES.get(check, "")
