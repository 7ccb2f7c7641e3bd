"""`explain` in process: every rule's verdict on a subject, fired or not, with its sentence.

Each expected sentence below is written by hand from the data, one per branch of each rule's
message: a rep with and without a name, unknown values, values on each side of a threshold,
inactive deals, and a duplicate deal id (one verdict per row).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from pipereview.api import explain
from pipereview.errors import NotFoundError
from pipereview.rules import RULES
from pipereview.rules.base import register

AS_OF = dt.date(2026, 11, 20)

DEALS: list[dict[str, Any]] = [
    {"deal_id": "D1", "rep_id": "R1", "status": "active", "deal_value_usd": 1000,
     "probability": 0.5, "days_in_stage": 30, "risk_flags": ["no_champion"], "stage": None},
    {"deal_id": "D2", "rep_id": "R1", "status": "won", "deal_value_usd": 500,
     "probability": 1.0, "days_in_stage": 40, "risk_flags": [], "stage": "Closed"},
    {"deal_id": "D3", "rep_id": "R2", "status": "active", "deal_value_usd": 2000,
     "probability": 0.2, "days_in_stage": 5, "risk_flags": None, "stage": "Proposal"},
    {"deal_id": "D4", "rep_id": "R2", "status": "active", "deal_value_usd": 300,
     "probability": 0.1, "days_in_stage": 25, "risk_flags": ["legal", "budget"], "stage": None},
    {"deal_id": "D4", "rep_id": "R2", "status": "active", "deal_value_usd": 700,
     "probability": 0.1, "days_in_stage": 1, "risk_flags": [], "stage": None},
    {"deal_id": "D5", "rep_id": "R3", "status": None, "deal_value_usd": 10,
     "probability": 0.1, "days_in_stage": 99, "risk_flags": ["x"], "stage": None},
]  # fmt: skip
REPS: list[dict[str, Any]] = [
    {"rep_id": "R1", "rep_name": "Ann", "quota_usd": 100_000, "year_to_date_revenue_usd": 80_000,
     "quota_3m": 50_000, "closed_won_3m_current": 60_000, "risk_velocity_flag": "stable",
     "current_pipeline_value": 100_000, "previous_pipeline_value": 100_000},
    {"rep_id": "R2", "rep_name": "Bo", "quota_usd": 100_000, "year_to_date_revenue_usd": 50_000,
     "quota_3m": 25_000, "closed_won_3m_current": 20_000, "risk_velocity_flag": "Increasing",
     "current_pipeline_value": 40_000, "previous_pipeline_value": 50_000},
    {"rep_id": "R3", "rep_name": None, "quota_usd": None, "year_to_date_revenue_usd": 10,
     "quota_3m": None, "closed_won_3m_current": None, "risk_velocity_flag": None,
     "current_pipeline_value": 101_000, "previous_pipeline_value": 100_000},
    {"rep_id": "R4", "rep_name": "Cy", "quota_usd": 0, "year_to_date_revenue_usd": 10,
     "quota_3m": 40_000, "closed_won_3m_current": 40_000, "risk_velocity_flag": "stable",
     "current_pipeline_value": 5, "previous_pipeline_value": None},
    {"rep_id": "R5", "rep_name": "Di", "quota_usd": None, "year_to_date_revenue_usd": None,
     "quota_3m": None, "closed_won_3m_current": None, "risk_velocity_flag": None,
     "current_pipeline_value": 99_000, "previous_pipeline_value": 100_000},
]  # fmt: skip


# Without a history of close dates (decisions D49)
UNKNOWN_PUSHES = (
    "Deal {}: its close-date pushes are unknown (the report was given no history of close "
    "dates: --field-history with CloseDate changes, or --store)."
)


def verdicts(subject: str) -> list[tuple[str, bool, str]]:
    return [(v.rule, v.fired, v.message) for v in explain(subject, DEALS, REPS, as_of=AS_OF)]


def test_a_deal_that_fires_both_deal_rules() -> None:
    assert verdicts("D1") == [
        ("stalled_deal", True, "Deal D1 has been in its stage 30 days, at or above the "
         "21-day threshold (value $1,000.00)."),
        ("at_risk_deal", True, "Deal D1 carries a risk flag: no_champion (value $1,000.00)."),
        ("stale_high_probability", False, "Deal D1 is not a stale high-probability deal: "
         "probability 50% is below 70% and 30 days in its stage are below 60."),
        ("past_close_date", False, "Deal D1 has no close date, so it cannot be past it."),
        ("repeatedly_pushed", False, UNKNOWN_PUSHES.format("D1")),
    ]  # fmt: skip


def test_inactive_deals_are_not_judged() -> None:
    won = "Deal D2 is not active (status 'won'); only active deals are judged."
    assert verdicts("D2") == [
        ("stalled_deal", False, won),
        ("at_risk_deal", False, won),
        ("stale_high_probability", False, won),
        ("past_close_date", False, won),
        ("repeatedly_pushed", False, won),
    ]
    none = "Deal D5 is not active (no status); only active deals are judged."
    assert verdicts("D5") == [
        ("stalled_deal", False, none),
        ("at_risk_deal", False, none),
        ("stale_high_probability", False, none),
        ("past_close_date", False, none),
        ("repeatedly_pushed", False, none),
    ]


def test_an_active_deal_below_the_thresholds() -> None:
    at_risk = explain("D3", DEALS, REPS, as_of=AS_OF)[1]
    assert (at_risk.observed["risk_flags"], at_risk.observed["risk_flag_count"]) == (None, 0)
    assert verdicts("D3") == [
        ("stalled_deal", False, "Deal D3 in stage Proposal has been in its stage 5 days, "
         "below the 21-day threshold."),
        ("at_risk_deal", False, "Deal D3 carries no risk flag."),
        ("stale_high_probability", False, "Deal D3 in stage Proposal is not a stale "
         "high-probability deal: probability 20% is below 70% and 5 days in its stage are "
         "below 60."),
        ("past_close_date", False, "Deal D3 has no close date, so it cannot be past it."),
        ("repeatedly_pushed", False, UNKNOWN_PUSHES.format("D3")),
    ]  # fmt: skip


def test_stale_high_probability_on_each_side_of_both_thresholds() -> None:
    deals = [
        {"deal_id": "S1", "rep_id": "R1", "status": "active", "deal_value_usd": 5000,
         "probability": 0.7, "days_in_stage": 60, "stage": "Commit"},
        {"deal_id": "S2", "rep_id": "R1", "status": "active", "deal_value_usd": 10,
         "probability": 0.699999, "days_in_stage": 90},
        {"deal_id": "S3", "rep_id": "R1", "status": "active", "deal_value_usd": 10,
         "probability": 0.95, "days_in_stage": 59.5},
    ]  # fmt: skip
    reps = [{"rep_id": "R1"}]

    def stale(subject: str) -> tuple[bool, str]:
        verdict = explain(subject, deals, reps, as_of=AS_OF)[2]
        assert verdict.rule == "stale_high_probability"
        return verdict.fired, verdict.message

    assert stale("S1") == (True, "Deal S1 in stage Commit is at 70% probability after 60 "
                           "days in its stage, at or above both 70% and 60 days (value "
                           "$5,000.00).")  # fmt: skip
    # 0.699999 is shown with the decimals that keep it below 70%, never as "70%"
    assert stale("S2") == (False, "Deal S2 is not a stale high-probability deal: probability "
                           "69.9999% is below 70% and 90 days in its stage are at or above "
                           "60.")  # fmt: skip
    assert stale("S3") == (False, "Deal S3 is not a stale high-probability deal: probability "
                           "95% is at or above 70% and 59.5 days in its stage are below "
                           "60.")  # fmt: skip


def test_a_duplicate_deal_id_gets_a_verdict_per_row() -> None:
    got = verdicts("D4")
    assert sorted(got) == sorted([
        ("stalled_deal", True, "Deal D4 has been in its stage 25 days, at or above the "
         "21-day threshold (value $300.00)."),
        ("stalled_deal", False, "Deal D4 has been in its stage 1 days, below the 21-day "
         "threshold."),
        ("at_risk_deal", True, "Deal D4 carries 2 risk flags: legal, budget (value $300.00)."),
        ("at_risk_deal", False, "Deal D4 carries no risk flag."),
        ("stale_high_probability", False, "Deal D4 is not a stale high-probability deal: "
         "probability 10% is below 70% and 25 days in its stage are below 60."),
        ("stale_high_probability", False, "Deal D4 is not a stale high-probability deal: "
         "probability 10% is below 70% and 1 days in its stage are below 60."),
        ("past_close_date", False, "Deal D4 has no close date, so it cannot be past it."),
        ("past_close_date", False, "Deal D4 has no close date, so it cannot be past it."),
        ("repeatedly_pushed", False, UNKNOWN_PUSHES.format("D4")),
        ("repeatedly_pushed", False, UNKNOWN_PUSHES.format("D4")),
    ])  # fmt: skip


def test_a_rep_flagged_by_three_rules() -> None:
    assert verdicts("R2") == [
        ("needs_coaching", True, "Rep R2 (Bo) has achieved 50% of quota ($50,000.00 of "
         "$100,000.00 year to date), below the 70% threshold."),
        ("coaching_candidate", True, "Rep R2 (Bo) is a coaching candidate: risk velocity is "
         "increasing; closed $20,000.00 of a $25,000.00 3-month quota (80%), below 90%."),
        ("benchmark", False, "Rep R2 (Bo) does not have the highest 3-month attainment: "
         "closed $20,000.00 of a $25,000.00 3-month quota (80%)."),
        ("pipeline_declining", True, "Rep R2 (Bo)'s pipeline fell 20% ($50,000.00 to "
         "$40,000.00), more than the 2% band."),
        ("low_coverage", True, "Rep R2 (Bo) has $0.00 of open pipeline closing in FY2026-Q4 "
         "against a $25,000.00 gap to quota ($25,000.00 quota, $0.00 closed won): coverage "
         "0x, below 3x."),
    ]  # fmt: skip


def test_the_benchmark_rep_and_sentences_that_do_not_fire() -> None:
    assert verdicts("R1") == [
        ("needs_coaching", False, "Rep R1 (Ann) has achieved 80% of quota ($80,000.00 of "
         "$100,000.00 year to date), not below the 70% threshold."),
        ("coaching_candidate", False, "Rep R1 (Ann) is not a coaching candidate: risk velocity "
         "is stable (not increasing); closed $60,000.00 of a $50,000.00 3-month quota (120%), "
         "not below 90%."),
        ("benchmark", True, "Rep R1 (Ann) has the highest 3-month quota attainment: closed "
         "$60,000.00 of a $50,000.00 3-month quota (120%)."),
        ("pipeline_declining", False, "Rep R1 (Ann)'s pipeline did not change ($100,000.00 to "
         "$100,000.00), not a fall of more than the 2% band."),
        ("low_coverage", True, "Rep R1 (Ann) has $0.00 of open pipeline closing in FY2026-Q4 "
         "against a $25,000.00 gap to quota ($25,000.00 quota, $0.00 closed won): coverage "
         "0x, below 3x."),
    ]  # fmt: skip


def test_a_rep_without_a_name_or_figures() -> None:
    assert verdicts("R3") == [
        ("needs_coaching", False, "Rep R3 has no quota achievement (quota missing or zero, or "
         "no year-to-date revenue), so it is not judged."),
        ("coaching_candidate", False, "Rep R3 is not a coaching candidate: risk velocity is "
         "unknown; 3-month attainment is unknown (quota_3m missing or zero)."),
        ("benchmark", False, "Rep R3 has no 3-month attainment (quota_3m missing or zero)."),
        ("pipeline_declining", False, "Rep R3's pipeline rose 1% ($100,000.00 to $101,000.00), "
         "not a fall of more than the 2% band."),
        ("low_coverage", False, "Rep R3 has no quota for FY2026-Q4, so coverage is not "
         "judged."),
    ]  # fmt: skip


def test_zero_quota_no_previous_pipeline_and_a_fall_inside_the_band() -> None:
    r4 = verdicts("R4")
    no_quota = (
        "Rep R4 (Cy) has no quota achievement (quota missing or zero, or no year-to-date "
        "revenue), so it is not judged."
    )
    assert r4[0] == ("needs_coaching", False, no_quota)
    # a zero annual quota is no quarter's quota either
    assert r4[4] == ("low_coverage", False, "Rep R4 (Cy) has no quota for FY2026-Q4, so "
                     "coverage is not judged.")  # fmt: skip
    assert r4[3] == ("pipeline_declining", False, "Rep R4 (Cy) has no pipeline change (current "
                     "or previous pipeline missing, or the previous one not positive), so the "
                     "trend is stable.")  # fmt: skip
    assert verdicts("R5")[3] == (
        "pipeline_declining", False, "Rep R5 (Di)'s pipeline fell 1% ($100,000.00 to "
        "$99,000.00), not a fall of more than the 2% band.",
    )  # fmt: skip


def test_verdicts_carry_the_values_and_thresholds() -> None:
    verdict = explain("R2", DEALS, REPS, as_of=AS_OF)[0]
    # 2026-11-20 is day 324 of 365 (304 days to 1 November, then 20): 324/365 = 0.8877 of
    # the year has passed, so 50,000 / (100,000 x 0.8877) = 0.5633 of pace
    assert verdict.observed == {
        "rep_name": "Bo",
        "quota_achievement": 0.5,
        "pace": 0.56,
        "days_elapsed": 324,
        "days_in_year": 365,
        "year_to_date_revenue_usd": 50_000,
        "quota_usd": 100_000,
    }
    assert verdict.thresholds == {"needs_coaching_below": 0.7, "needs_coaching_basis": "annual"}
    assert (verdict.subject_type, verdict.severity) == ("rep", "warning")


def test_an_unknown_id_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="no deal or rep with id 'D9'"):
        explain("D9", DEALS, REPS, as_of=AS_OF)


def test_a_rule_id_registers_once() -> None:
    benchmark = next(r for r in RULES if r.id == "benchmark")
    with pytest.raises(ValueError, match="a rule with id 'benchmark' is already registered"):
        register(benchmark)
    own = dataclasses.replace(benchmark, id="own_rule")
    try:
        assert register(own) is own
        assert RULES[-1] is own
    finally:
        RULES.remove(own)
    assert len({r.id for r in RULES}) == len(RULES) == 10


def test_the_number_formats_sentences_use() -> None:
    from decimal import Decimal

    from pipereview.rules.base import money, number, percent

    assert [money(None), money(Decimal("-100")), money(1234.5), money(0)] == [
        "unknown", "-$100.00", "$1,234.50", "$0.00",
    ]  # fmt: skip
    assert [number(None), number(30.0), number(-0.0), number(1234.25)] == [
        "unknown", "30", "0", "1,234.25",
    ]  # fmt: skip
    assert [percent(None), percent(0.696), percent(69.6, ratio=False)] == [
        "unknown", "69.6%", "69.6%",
    ]  # fmt: skip
    # every digit the shown value has (decisions D35): a cut at 12 places could make a
    # widened value read on the wrong side of its threshold
    assert percent(0.1234567890123456) == "12.34567890123456%"
    assert percent(Decimal("0.69999999999999999999")) == "69.999999999999999999%"


def test_a_deal_without_days_in_stage_has_been_there_zero_days() -> None:
    deals = [{"deal_id": "D9", "rep_id": "R1", "status": "active", "deal_value_usd": 5,
              "probability": 0.5, "days_in_stage": None}]  # fmt: skip
    stalled = explain("D9", deals, REPS, as_of=AS_OF)[0]
    assert stalled.observed["days_in_stage"] == 0
    assert stalled.message == "Deal D9 has been in its stage 0 days, below the 21-day threshold."
