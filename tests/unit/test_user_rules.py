"""User rules in the policy (``[[rules]]``): a hand-made dataset with every flag, evidence,
threshold, message and count worked out by hand, explain's verdicts, the fingerprint, a
corpus of refused conditions with their exact errors, DuckDB/Spark parity, a property test
against a plain-Python interpreter of the parsed condition (tests/support/rules_interpreter.py),
the CLI, and the ``newly_flagged:<id>`` movements of ``changes``.

Every expected number and sentence below was worked out by hand from docs/metrics.md ("User
rules") and the rules' conditions; the arithmetic is in the comment next to each literal.
The report date is 2026-03-15; with the default calendar the report's quarter is
2026-01-01..2026-03-31, and a rep's quarter quota is a quarter of its annual quota_usd.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview import api
from pipereview.errors import PolicyError
from pipereview.rules.custom import DEAL_COLUMNS
from pipereview.rules.predicate import parse
from tests.support.cli import pipereview as run
from tests.support.rules_interpreter import holds

AS_OF = dt.date(2026, 3, 15)


def _deal(
    deal_id: str | None,
    rep_id: str,
    status: str,
    value: float | None,
    prob: float | None,
    days: float | None,
    stage: str | None,
    close: str | None,
) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "rep_id": rep_id,
        "status": status,
        "deal_value_usd": value,
        "probability": prob,
        "days_in_stage": days,
        "stage": stage,
        "close_date": close,
    }


# Missing value, probability and days in stage read as 0 (as every metric reads them).
# ev = expected value = value x probability; dtc = days_to_close = close_date - 2026-03-15.
DEALS = [
    _deal("D1", "R1", "active", 300000, 0.5, 20, "Negotiation", "2026-03-31"),  # ev 150000, dtc 16
    _deal("D2", "R1", "active", 250000, 0.2, 14, "Negotiation", "2026-03-20"),  # ev 50000, dtc 5
    _deal("D3", "R2", "active", 400000, 0.6, 13, "Negotiation", "2026-04-15"),  # ev 240000, dtc 31
    _deal("D4", "R2", "active", 260000, None, None, "Negotiation", None),  # ev 0, days 0, no dtc
    _deal("D5", "R1", "won", 150000, 1.0, 30, "Negotiation", "2026-02-10"),  # ev 150000, dtc -33
    _deal("D6", "R3", "active", 249999.99, 0.1, 40, "negotiation", "2026-05-01"),  # ev 24999.999
    _deal("D7", "R3", "active", None, 0.5, 100, "Negotiation", None),  # value 0, ev 0
    _deal("D8", "R3", "active", 120000, 0.25, 3, "Proposal", "2026-03-15"),  # ev 30000, dtc 0
    _deal("D9", "R1", "active", 90000, None, 2, None, "2026-03-29"),  # prob 0, ev 0, dtc 14
    _deal("D10", "R2", "lost", 50000, 0.0, 5, "Proposal", "2026-03-10"),  # ev 0, dtc -5
    _deal(None, "R4", "active", 1000, 0.1, 1, "Discovery", "2026-03-20"),  # "row 11", dtc 5
]


def _rep(
    rep_id: str, name: str, quota: float | None, rate: float | None, now: float, then: float
) -> dict[str, Any]:
    return {
        "rep_id": rep_id,
        "rep_name": name,
        "quota_usd": quota,
        "close_rate": rate,
        "current_pipeline_value": now,
        "previous_pipeline_value": then,
    }


# Quarter quota = quota_usd x 0.25; trend = (now - then) / then against the +-2% band.
REPS = [
    _rep("R1", "Ann", 1600000.0, 0.4, 90000.0, 100000.0),  # quarter 400000; -10%: declining
    _rep("R2", "Bob", 400000.0, None, 100000.0, 100000.0),  # quarter 100000; 0%: stable
    _rep("R3", "Cy", None, None, 50000.0, 80000.0),  # no quota; -37.5%: declining
    _rep("R4", "Dee", 40000.0, 0.25, 5000.0, 10000.0),  # quarter 10000; -50%: declining
]

BIG = (
    "status = 'active' and deal_value_usd >= 250000 and stage = 'Negotiation' "
    "and days_in_stage >= 14"
)
SOON = "days_to_close between 0 and 14 and probability < 0.3"
NO_CLOSE = "status = 'active' and close_date is null"
WEIGHTED = "lower(stage) in ('proposal', 'negotiation') and expected_value >= 50000"
ODD = "status = 'active' and stage not in ('Negotiation', 'Proposal', 'Discovery')"
STAGELESS = "coalesce(stage, '(none)') = '(none)'"
DUE = "close_date between DATE '2026-01-01' and as_of and status = 'active'"
EVERYTHING = "deal_value_usd >= 0"
THIN = "open_pipeline < 3 * gap_to_quota and pipeline_trend = 'declining'"
LOW_RATE = "coalesce(close_rate, 0) < 0.25 and active_deals >= 1"


def _rule(rule_id: str, subject: str, when: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"id": rule_id, "subject": subject, "when": when, "message": message, **extra}


RULES = [
    _rule("big_deal_stuck", "deal", BIG, "{deal_id} has sat in {stage} for {days_in_stage} days"),
    _rule(
        "closing_soon_unlikely",
        "deal",
        SOON,
        "{subject_id} closes in {days_to_close} days at {probability}",
        severity="critical",
    ),
    _rule("no_close_date", "deal", NO_CLOSE, "{subject_id} has no close date", severity="info"),
    _rule("big_weighted", "deal", WEIGHTED, "{deal_id} is worth {expected_value} weighted"),
    _rule("odd_stage", "deal", ODD, "{subject_id} is in stage {stage}", severity="info"),
    _rule("stageless", "deal", STAGELESS, "{subject_id} has stage {stage}"),
    _rule("due_by_today", "deal", DUE, "{subject_id} was due by {close_date}"),
    _rule("everything", "deal", EVERYTHING, "{subject_id}", enabled=False),
    _rule(
        "thin_pipeline",
        "rep",
        THIN,
        "{rep_name}: open pipeline {open_pipeline} is under 3x the gap to quota "
        "{gap_to_quota} (pipeline {pipeline_change_pct})",
    ),
    _rule(
        "low_close_rate",
        "rep",
        LOW_RATE,
        "{subject_id} ({rep_name}) wins {close_rate} of its decided deals with {active_deals} open",
        severity="info",
    ),
]
POLICY: dict[str, Any] = {"rules": RULES}
USER_IDS = [r["id"] for r in RULES if r.get("enabled", True)]  # "everything" is disabled


def _report(policy: dict[str, Any] | None = None) -> dict[str, Any]:
    report = api.build_report(DEALS, REPS, as_of=AS_OF, policy=policy or POLICY)
    return report.model_dump(mode="json")


# Built per test, not once per module (house style: see tests/unit/test_metrics_hand.py).
@pytest.fixture()
def report() -> dict[str, Any]:
    return _report()


def _flags(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["flags"] if f["rule"] == rule]


def _ids(report: dict[str, Any], rule: str) -> list[str]:
    return [f["subject_id"] for f in _flags(report, rule)]


def _counts(report: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {c["rule"]: (c["total"], c["shown"]) for c in report["flag_counts"]}


# --- (a) the hand-made dataset ---------------------------------------------------------------
def test_subjects_and_order_of_each_user_rule(report: dict[str, Any]) -> None:
    # big_deal_stuck: D1 (300000 >= 250000, 20 >= 14 days) and D2 (both exactly at the
    # thresholds); D3 has 13 days, D4 0 (missing), D5 is won, D6 is 249999.99 in lower-case
    # "negotiation", D7's missing value is 0, D9's missing stage makes "stage = ..." unknown.
    # Deals by value, highest first: D1 300000, D2 250000.
    assert _ids(report, "big_deal_stuck") == ["D1", "D2"]
    # closing_soon_unlikely: dtc in 0..14 and probability < 0.3: D2 (5, 0.2), D8 (0 = as_of,
    # 0.25), D9 (14, missing = 0), row 11 (5, 0.1); D1 dtc 16, D3 31, D5 -33, D10 -5, D4 and
    # D7 have no close date (unknown). By value: 250000, 120000, 90000, 1000.
    assert _ids(report, "closing_soon_unlikely") == ["D2", "D8", "D9", "row 11"]
    # no_close_date: active without a close date: D4 (260000), D7 (value missing = 0).
    assert _ids(report, "no_close_date") == ["D4", "D7"]
    # big_weighted: stage folded to proposal/negotiation and ev >= 50000: D3 (240000),
    # D1 (150000), D2 (50000 exactly), D5 (150000; the rule does not ask for active);
    # D6 ev 24999.999, D8 30000, D9's stage is missing. By value: 400000, 300000, 250000,
    # 150000.
    assert _ids(report, "big_weighted") == ["D3", "D1", "D2", "D5"]
    # odd_stage: active and stage not in the three (case-sensitive): D6 "negotiation"; D9's
    # missing stage makes "not in" unknown.
    assert _ids(report, "odd_stage") == ["D6"]
    assert _ids(report, "stageless") == ["D9"]  # coalesce(null, '(none)') = '(none)'
    # due_by_today: active, closing 2026-01-01..2026-03-15 (both included): D8 (03-15);
    # D10 (03-10) is lost, D5 (02-10) won.
    assert _ids(report, "due_by_today") == ["D8"]
    # thin_pipeline (reps by id): R1: open pipeline of Q1 = D1 300000 + D2 250000 + D9
    # 90000 = 640000 < 3 x (400000 - 150000 won in Q1 by D5) = 750000, declining: flagged.
    # R2: 0 < 3 x 100000 but stable. R3: no quota, so the gap is unknown (declining or
    # not). R4: 1000 (row 11) < 3 x 10000 = 30000, declining.
    assert _ids(report, "thin_pipeline") == ["R1", "R4"]
    # low_close_rate: R2 (no record; 0 won / 1 lost = 0 < 0.25; 2 active deals), R3 (no
    # record, no closed deal: null -> coalesce 0; 3 active); R1 0.4, R4 0.25 is not < 0.25.
    assert _ids(report, "low_close_rate") == ["R2", "R3"]
    assert _ids(report, "everything") == []  # disabled


def test_user_rule_counts_follow_the_built_in_ones(report: dict[str, Any]) -> None:
    rules = [c["rule"] for c in report["flag_counts"]]
    assert rules[-len(USER_IDS) :] == USER_IDS  # after the built-in rules, in policy order
    assert "everything" not in rules
    counts = _counts(report)
    assert {rule: counts[rule] for rule in USER_IDS} == {
        "big_deal_stuck": (2, 2),
        "closing_soon_unlikely": (4, 4),
        "no_close_date": (2, 2),
        "big_weighted": (4, 4),
        "odd_stage": (1, 1),
        "stageless": (1, 1),
        "due_by_today": (1, 1),
        "thin_pipeline": (2, 2),
        "low_close_rate": (2, 2),
    }
    severity = {c["rule"]: (c["subject_type"], c["severity"]) for c in report["flag_counts"]}
    assert severity["closing_soon_unlikely"] == ("deal", "critical")
    assert severity["thin_pipeline"] == ("rep", "warning")  # the default
    assert severity["low_close_rate"] == ("rep", "info")


def test_big_deal_flag(report: dict[str, Any]) -> None:
    assert _flags(report, "big_deal_stuck")[1] == {
        "rule": "big_deal_stuck",
        "subject_type": "deal",
        "subject_id": "D2",
        "severity": "warning",
        # the base evidence, then the columns `when` names, then the message's (deal_id)
        "observed": {
            "status": "active",
            "rep_id": "R1",
            "stage": "Negotiation",
            "deal_value_usd": 250000.0,
            "days_in_stage": 14.0,
            "deal_id": "D2",
        },
        "thresholds": {
            "when": BIG,
            "deal_value_usd >= 250000": 250000.0,
            "days_in_stage >= 14": 14.0,
        },
        "message": "D2 has sat in Negotiation for 14 days",
    }
    assert _flags(report, "big_deal_stuck")[0]["message"] == (
        "D1 has sat in Negotiation for 20 days"
    )


def test_closing_soon_flags(report: dict[str, Any]) -> None:
    flags = _flags(report, "closing_soon_unlikely")
    assert flags[2] == {
        "rule": "closing_soon_unlikely",
        "subject_type": "deal",
        "subject_id": "D9",
        "severity": "critical",
        "observed": {
            "status": "active",
            "rep_id": "R1",
            "stage": None,
            "deal_value_usd": 90000.0,
            "days_to_close": 14,  # 2026-03-29 - 2026-03-15
            "probability": 0.0,  # missing = 0
        },
        # the between's two bounds, then the comparison, in the order they are written
        "thresholds": {
            "when": SOON,
            "days_to_close >= 0": 0.0,
            "days_to_close <= 14": 14.0,
            "probability < 0.3": 0.3,
        },
        "message": "D9 closes in 14 days at 0%",
    }
    assert [f["message"] for f in flags] == [
        "D2 closes in 5 days at 20%",  # 2026-03-20 - 03-15; 0.2
        "D8 closes in 0 days at 25%",  # closes on as_of
        "D9 closes in 14 days at 0%",
        "row 11 closes in 5 days at 10%",  # the deal without an id: data row 11
    ]


def test_null_and_text_rule_flags(report: dict[str, Any]) -> None:
    # no_close_date: the evidence keeps the missing close date (None), the message none.
    assert _flags(report, "no_close_date")[1] == {
        "rule": "no_close_date",
        "subject_type": "deal",
        "subject_id": "D7",
        "severity": "info",
        "observed": {
            "status": "active",
            "rep_id": "R3",
            "stage": "Negotiation",
            "deal_value_usd": 0.0,  # missing = 0
            "close_date": None,
        },
        "thresholds": {"when": NO_CLOSE},  # no comparison with a number
        "message": "D7 has no close date",
    }
    odd = _flags(report, "odd_stage")[0]
    assert odd["observed"] == {
        "status": "active",
        "rep_id": "R3",
        "stage": "negotiation",
        "deal_value_usd": 249999.99,
    }
    assert odd["message"] == "D6 is in stage negotiation"
    # a missing value in a message reads "unknown"
    assert _flags(report, "stageless")[0]["message"] == "D9 has stage unknown"
    due = _flags(report, "due_by_today")[0]
    assert due["observed"]["close_date"] == "2026-03-15"  # a date as its ISO text
    assert due["thresholds"] == {"when": DUE}  # date bounds are not numbers
    assert due["message"] == "D8 was due by 2026-03-15"


def test_weighted_flags(report: dict[str, Any]) -> None:
    flags = _flags(report, "big_weighted")
    assert [f["observed"]["expected_value"] for f in flags] == [
        240000.0,  # 400000 x 0.6
        150000.0,  # 300000 x 0.5
        50000.0,  # 250000 x 0.2: exactly at the threshold
        150000.0,  # 150000 x 1.0
    ]
    assert flags[0]["thresholds"] == {"when": WEIGHTED, "expected_value >= 50000": 50000.0}
    assert [f["message"] for f in flags] == [
        "D3 is worth $240,000.00 weighted",
        "D1 is worth $150,000.00 weighted",
        "D2 is worth $50,000.00 weighted",
        "D5 is worth $150,000.00 weighted",
    ]
    assert flags[3]["observed"]["status"] == "won"


def test_rep_rule_flags(report: dict[str, Any]) -> None:
    assert _flags(report, "thin_pipeline") == [
        {
            "rule": "thin_pipeline",
            "subject_type": "rep",
            "subject_id": "R1",
            "severity": "warning",
            "observed": {
                "rep_name": "Ann",
                "open_pipeline": 640000.0,  # 300000 + 250000 + 90000
                "gap_to_quota": 250000.0,  # 1600000 / 4 - 150000
                "pipeline_trend": "declining",
                "pipeline_change_pct": -10.0,  # (90000 - 100000) / 100000 x 100
            },
            "thresholds": {"when": THIN},  # 3 * gap_to_quota is not a number
            "message": "Ann: open pipeline $640,000.00 is under 3x the gap to quota "
            "$250,000.00 (pipeline -10%)",
        },
        {
            "rule": "thin_pipeline",
            "subject_type": "rep",
            "subject_id": "R4",
            "severity": "warning",
            "observed": {
                "rep_name": "Dee",
                "open_pipeline": 1000.0,  # row 11, closing 2026-03-20
                "gap_to_quota": 10000.0,  # 40000 / 4 - 0
                "pipeline_trend": "declining",
                "pipeline_change_pct": -50.0,  # (5000 - 10000) / 10000 x 100
            },
            "thresholds": {"when": THIN},
            "message": "Dee: open pipeline $1,000.00 is under 3x the gap to quota "
            "$10,000.00 (pipeline -50%)",
        },
    ]
    low = _flags(report, "low_close_rate")
    assert [f["observed"] for f in low] == [
        {"rep_name": "Bob", "close_rate": 0.0, "active_deals": 2},  # D3, D4
        {"rep_name": "Cy", "close_rate": None, "active_deals": 3},  # D6, D7, D8
    ]
    assert low[0]["thresholds"] == {"when": LOW_RATE, "active_deals >= 1": 1.0}
    assert [f["message"] for f in low] == [
        "R2 (Bob) wins 0% of its decided deals with 2 open",
        "R3 (Cy) wins unknown of its decided deals with 3 open",
    ]


def test_a_compared_value_keeps_the_decimals_that_make_it_read_true() -> None:
    deals = [_deal("D1", "R1", "active", 300000, 0.699996, 20, "Negotiation", "2026-03-31")]
    policy = {
        "rules": [
            _rule("below", "deal", "probability < 0.7", "{deal_id} at {probability} {{sic}}"),
            _rule("above", "deal", "probability >= 0.7", "{deal_id}"),
        ]
    }
    report = api.build_report(deals, REPS, as_of=AS_OF, policy=policy).model_dump(mode="json")
    flag = _flags(report, "below")[0]
    # 0.699996 at 2 places is 0.70, which would read "not below 0.7": 6 places are kept
    assert flag["observed"]["probability"] == 0.699996
    assert flag["message"] == "D1 at 69.9996% {sic}"  # {{ and }} are braces
    assert _ids(report, "above") == []
    verdicts = api.explain("D1", deals, REPS, as_of=AS_OF, policy=policy)
    quiet = next(v for v in verdicts if v.rule == "above")
    assert quiet.message == (
        "Deal D1 is not flagged by above: probability >= 0.7 does not hold (probability 69.9996%)."
    )


def test_a_rep_listed_twice_is_judged_once() -> None:
    reps = [*REPS, {**REPS[0], "rep_name": "Annie"}]  # R1 twice
    policy = {"rules": [_rule("has_deals", "rep", "active_deals >= 1", "{subject_id}")]}
    report = api.build_report(DEALS, reps, as_of=AS_OF, policy=policy).model_dump(mode="json")
    # active deals: R1 3 (D1 D2 D9), R2 2 (D3 D4), R3 3 (D6 D7 D8), R4 1 (row 11)
    assert _ids(report, "has_deals") == ["R1", "R2", "R3", "R4"]
    assert _counts(report)["has_deals"] == (4, 4)


def test_max_per_rule_caps_the_list_not_the_total() -> None:
    capped = _report({"rules": RULES, "flags": {"max_per_rule": 2}})
    everything = _report({"rules": RULES, "flags": {"max_per_rule": 0}})
    assert _ids(capped, "big_weighted") == ["D3", "D1"]  # the first two by value
    assert _ids(capped, "closing_soon_unlikely") == ["D2", "D8"]
    assert _ids(everything, "big_weighted") == ["D3", "D1", "D2", "D5"]
    assert _counts(capped)["big_weighted"] == (4, 2)
    assert _counts(everything)["big_weighted"] == (4, 4)
    assert _counts(capped)["closing_soon_unlikely"] == (4, 2)
    assert _counts(capped)["thin_pipeline"] == (2, 2)
    # the totals are the same whether the list is capped or not
    totals = {c["rule"]: c["total"] for c in capped["flag_counts"]}
    assert totals == {c["rule"]: c["total"] for c in everything["flag_counts"]}
    capped_one = _report({"rules": RULES, "flags": {"max_per_rule": 1}})
    assert _counts(capped_one)["big_deal_stuck"] == (2, 1)
    assert _counts(capped_one)["due_by_today"] == (1, 1)


def _verdict(subject: str, rule: str) -> Any:
    verdicts = api.explain(subject, DEALS, REPS, as_of=AS_OF, policy=POLICY)
    return next(v for v in verdicts if v.rule == rule)


def test_explain_fired_and_quiet_deal_verdicts() -> None:
    verdicts = api.explain("D3", DEALS, REPS, as_of=AS_OF, policy=POLICY)
    mine = {v.rule: v for v in verdicts if v.rule in USER_IDS}
    assert list(mine) == [  # the enabled deal rules, in policy order (no rep rule judges D3)
        "big_deal_stuck",
        "closing_soon_unlikely",
        "no_close_date",
        "big_weighted",
        "odd_stage",
        "stageless",
        "due_by_today",
    ]
    assert "everything" not in {v.rule for v in verdicts}  # disabled: no verdict
    assert mine["big_weighted"].fired
    assert mine["big_weighted"].message == "D3 is worth $240,000.00 weighted"
    quiet = mine["big_deal_stuck"]
    assert not quiet.fired
    assert quiet.message == (
        f"Deal D3 is not flagged by big_deal_stuck: {BIG} does not hold (status active, "
        "deal_value_usd $400,000.00, stage Negotiation, days_in_stage 13)."
    )
    assert mine["closing_soon_unlikely"].message == (
        f"Deal D3 is not flagged by closing_soon_unlikely: {SOON} does not hold "
        "(days_to_close 31, probability 60%)."  # 2026-04-15 - 2026-03-15 = 16 + 15 days
    )
    # a date in the sentence reads as its ISO text
    assert _verdict("D9", "no_close_date").message == (
        f"Deal D9 is not flagged by no_close_date: {NO_CLOSE} does not hold (status active, "
        "close_date 2026-03-29)."
    )


def test_explain_rep_verdicts() -> None:
    assert _verdict("R2", "thin_pipeline").message == (
        f"Rep R2 (Bob) is not flagged by thin_pipeline: {THIN} does not hold "
        "(open_pipeline $0.00, gap_to_quota $100,000.00, pipeline_trend stable)."
    )
    r3 = _verdict("R3", "thin_pipeline")
    assert not r3.fired
    assert r3.message == (
        f"Rep R3 (Cy) is not flagged by thin_pipeline: {THIN} does not hold "
        # D8 (120000, closing 2026-03-15) is R3's only deal closing in the quarter
        "(open_pipeline $120,000.00, gap_to_quota unknown, pipeline_trend declining)."
    )
    fired = _verdict("R3", "low_close_rate")
    assert fired.fired
    assert fired.message == "R3 (Cy) wins unknown of its decided deals with 3 open"
    assert _verdict("R4", "low_close_rate").message == (
        f"Rep R4 (Dee) is not flagged by low_close_rate: {LOW_RATE} does not hold "
        "(close_rate 25%, active_deals 1)."  # 0.25 is not < 0.25
    )


def test_policy_fingerprint_covers_the_rules() -> None:
    none = api.load_policy(None).fingerprint()
    assert api.load_policy({}).fingerprint() == none
    assert api.load_policy({"rules": []}).fingerprint() == none  # empty = no key
    one = api.load_policy({"rules": RULES[:1]}).fingerprint()
    assert one != none
    assert api.load_policy({"rules": RULES[:2]}).fingerprint() not in (none, one)
    worded = [{**RULES[0], "message": "{deal_id} is stuck"}]
    assert api.load_policy({"rules": worded}).fingerprint() not in (none, one)
    report = api.build_report(DEALS, REPS, as_of=AS_OF, policy={"rules": RULES[:1]})
    assert report.policy_fingerprint == one


# A count a rule compares with a number stays a whole number in the evidence (it reads as
# the engine compared it), as the same column does elsewhere in the report.
def test_a_compared_count_stays_whole_in_the_evidence() -> None:
    report = json.loads(api.build_report(DEALS, REPS, as_of=AS_OF, policy=POLICY).to_json())
    soon = [f for f in report["flags"] if f["rule"] == "closing_soon_unlikely"]
    low = [f for f in report["flags"] if f["rule"] == "low_close_rate"]
    assert [f["observed"]["days_to_close"] for f in soon] == [5, 0, 14, 5]
    assert [type(f["observed"]["days_to_close"]) for f in soon] == [int] * 4
    assert [type(f["observed"]["active_deals"]) for f in low] == [int, int]


def test_rules_read_created_date_and_the_rep_record_s_team_region_and_manager() -> None:
    # Two deals created on either side of 2026-01-01; three reps with and without a team,
    # region and manager. Each rule reads one column the main fixture leaves empty.
    deals = [
        {**DEALS[0], "created_date": "2025-12-31"},  # D1, R1
        {**DEALS[2], "created_date": "2026-01-01"},  # D3, R2
    ]
    reps = [
        {**REPS[0], "team": "Mid", "region": "EMEA", "manager_id": "R2"},
        {**REPS[1], "team": "Ent", "region": "AMER", "manager_id": None},
        {**REPS[3], "team": None, "region": "EMEA", "manager_id": "R2"},
    ]
    rules = [
        _rule("old_deal", "deal", "created_date < DATE '2026-01-01'", "{deal_id} {created_date}"),
        _rule("emea", "rep", "region = 'EMEA'", "{subject_id} in {region}"),
        _rule("no_team", "rep", "team is null", "{subject_id}"),
        _rule("under_r2", "rep", "manager_id = 'R2' and team = 'Mid'", "{subject_id}"),
    ]
    report = api.build_report(deals, reps, as_of=AS_OF, policy={"rules": rules})
    flagged = report.model_dump(mode="json")
    assert _ids(flagged, "old_deal") == ["D1"]  # 2025-12-31 < 2026-01-01; D3's is not
    assert [f["message"] for f in _flags(flagged, "old_deal")] == ["D1 2025-12-31"]
    assert _ids(flagged, "emea") == ["R1", "R4"]
    assert [f["message"] for f in _flags(flagged, "emea")] == ["R1 in EMEA", "R4 in EMEA"]
    assert _ids(flagged, "no_team") == ["R4"]
    assert _ids(flagged, "under_r2") == ["R1"]  # R4 reports to R2 but has no team


# The excerpt after a position is at most 20 characters, with "…" only when text is cut.
@pytest.mark.parametrize(
    ("when", "excerpt"),
    [
        ("zzzz > 1234567890123", "'zzzz > 1234567890123'"),  # 20: whole, no "…"
        ("zzzz > 12345678901234", "'zzzz > 1234567890123…'"),  # 21: cut to 20
    ],
)
def test_the_excerpt_is_cut_at_twenty_characters(when: str, excerpt: str) -> None:
    with pytest.raises(PolicyError) as caught:
        api.load_policy({"rules": [_rule("mine", "deal", when, "{deal_id}")]})
    assert str(caught.value) == W + f"unknown column 'zzzz' (at character 1: {excerpt})"


def test_an_unknown_template_name_far_from_every_column_has_no_hint() -> None:
    with pytest.raises(PolicyError) as caught:
        api.load_policy({"rules": [_with(message="{deal_id} {zzzz}")["rules"][0]]})
    assert str(caught.value) == "<policy>, key 'rules[0].message': unknown column 'zzzz'"


# --- (b) refused conditions and rules ------------------------------------------------------
W = "<policy>, key 'rules[0].when': "  # the start of every error about a condition
SEE = " (see `pipereview policy init` for the documented defaults)"  # the model's hint

# (the condition, its subject, the whole error). The position is 1-based; the excerpt is
# the text from there, 20 characters at most, with "…" when cut, written as Python's repr
# (in double quotes when it holds a single quote).
REFUSED: list[tuple[str, str, str]] = [
    (
        "deal_value > 5",
        "deal",
        W + "unknown column 'deal_value' (at character 1: 'deal_value > 5') "
        "(did you mean 'deal_value_usd'?)",
    ),
    (
        # "days_in_stage > 30 " is 19 characters: the comment starts at the 20th
        "days_in_stage > 30 -- stale",
        "deal",
        W + "may not contain a comment (at character 20: '-- stale')",
    ),
    (
        "days_in_stage > 30 /* stale */",
        "deal",
        W + "may not contain a comment (at character 20: '/* stale */')",
    ),
    (
        "days_in_stage > 30; select 1",  # ';' is the 19th character
        "deal",
        W + "must be one condition, without ';' (at character 19: '; select 1')",
    ),
    (
        # "deal_id in (" is 12 characters; the excerpt is 20 of the 26 left
        "deal_id in (select deal_id from deals)",
        "deal",
        W + "may not contain a subquery (at character 13: 'select deal_id from …')",
    ),
    (
        "exists (select 1 from deals)",
        "deal",
        W + "may not contain a subquery (at character 1: 'exists (select 1 fro…')",
    ),
    (
        "case when probability > 0.5 then 1 else 0 end = 1",
        "deal",
        W + "may not contain CASE (at character 1: 'case when probabilit…')",
    ),
    (
        "cast(probability as varchar) = '0.5'",
        "deal",
        W + "may not contain a cast (only DATE 'YYYY-MM-DD' is allowed) "
        "(at character 1: 'cast(probability as …')",
    ),
    (
        "stage like 'Neg%'",  # "like" is at the 7th character
        "deal",
        W + "may not contain LIKE (at character 7: \"like 'Neg%'\")",
    ),
    (
        "stage || 'x' = 'Negotiationx'",
        "deal",
        W + "may not contain || (at character 7: \"|| 'x' = 'Negotiatio…\")",
    ),
    (
        "days_in_stage % 7 = 0",  # "days_in_stage " is 14 characters
        "deal",
        W + "may not contain % (at character 15: '% 7 = 0')",
    ),
    (
        "deals.stage = 'Negotiation'",
        "deal",
        W + "'deals.stage': name a column without a table "
        '(at character 1: "deals.stage = \'Negot…")',
    ),
    (
        "lowr(stage) = 'negotiation'",
        "deal",
        W + "unknown function 'lowr' (at character 1: \"lowr(stage) = 'negot…\") "
        "(did you mean 'lower'?)",
    ),
    (
        "deal_value_usd > 'big'",
        "deal",
        W + 'compares number with text (at character 1: "deal_value_usd > \'bi…")',
    ),
    (
        "close_date > 5",
        "deal",
        W + "compares date with number (at character 1: 'close_date > 5')",
    ),
    (
        # "status = 'active' and " is 22 characters: the comparison starts at the 23rd
        "status = 'active' and rep_id = 5",
        "deal",
        W + "compares number with text (at character 23: 'rep_id = 5')",
    ),
    (
        "probability in (0.1, 'x')",
        "deal",
        W + "compares number with text (at character 1: 'probability in (0.1,…')",
    ),
    (
        "deal_value_usd + 1",
        "deal",
        W + "is not a condition (true or false) (at character 1: 'deal_value_usd + 1') "
        "(compare it, e.g. ... > 0)",
    ),
    (
        "1 = 1",
        "deal",
        W + "names no column, so it would flag every subject or none "
        "(at character 1: '1 = 1') (name a column)",
    ),
    (
        "as_of > DATE '2026-01-01'",  # as_of is the report date, not a column
        "deal",
        W + "names no column, so it would flag every subject or none "
        '(at character 1: "as_of > DATE \'2026-0…") (name a column)',
    ),
    (
        "stage is true",
        "deal",
        W + "only IS NULL and IS NOT NULL are allowed (at character 1: 'stage is true')",
    ),
    (
        "   ",
        "deal",
        W + "is empty (at character 1: '   ') (write a condition, e.g. days_in_stage >= 30)",
    ),
    (
        # "stage = 'Negotiation' and " is 26 characters
        "stage = 'Negotiation' and deal_value_usd",
        "deal",
        W + "and / or / not need conditions (at character 27: 'deal_value_usd')",
    ),
    (
        "not probability",
        "deal",
        W + "and / or / not need conditions (at character 5: 'probability')",
    ),
    (
        "abs(stage) > 1",  # the argument, at the 5th character
        "deal",
        W + "abs needs number, got text (at character 5: 'stage) > 1')",
    ),
    (
        # the bad text itself: "close_date < DATE " is 18 characters
        "close_date < DATE '2026-02-30'",
        "deal",
        W + "'2026-02-30' is not a date (YYYY-MM-DD) (at character 19: \"'2026-02-30'\")",
    ),
    (
        "open_pipline < 3 * gap_to_quota",
        "rep",
        W + "unknown column 'open_pipline' (at character 1: 'open_pipline < 3 * g…') "
        "(did you mean 'open_pipeline'?)",
    ),
    (
        "pipeline_trend = 'declining' and coverage < 'x'",
        "rep",
        # "pipeline_trend = 'declining' and " is 33 characters
        W + "compares number with text (at character 34: \"coverage < 'x'\")",
    ),
    # Quoted text is never a keyword or a comment: positions skip 'select', 'like', '--'.
    (
        "stage = 'select' or deal_id in (select deal_id from x)",
        "deal",
        # "stage = 'select' or deal_id in (" is 32 characters
        W + "may not contain a subquery (at character 33: 'select deal_id from …')",
    ),
    (
        "stage = 'like it' or stage like 'N%'",
        "deal",
        W + "may not contain LIKE (at character 28: \"like 'N%'\")",
    ),
    (
        "stage = 'a--b' -- note",
        "deal",
        W + "may not contain a comment (at character 16: '-- note')",
    ),
    (
        "stage = 'a/*b' /* note */",
        "deal",
        W + "may not contain a comment (at character 16: '/* note */')",
    ),
    (
        # the first of two comment markers
        "stage = 'x' -- a -- b",
        "deal",
        W + "may not contain a comment (at character 13: '-- a -- b')",
    ),
    (
        # a later 'case' (quoted) or case keyword does not move the position
        "case when probability > 0.5 then 1 else 0 end = 1 and stage = 'case'",
        "deal",
        W + "may not contain CASE (at character 1: 'case when probabilit…')",
    ),
    (
        "case when probability > 0.5 then 1 else 0 end = 1 or case when 1 then 1 end = 1",
        "deal",
        W + "may not contain CASE (at character 1: 'case when probabilit…')",
    ),
    (
        "close_date > cast(5 as date)",
        "deal",
        W + "may not contain a cast (only DATE 'YYYY-MM-DD' is allowed) "
        "(at character 14: 'cast(5 as date)')",
    ),
    (
        "stage = 'x' and DATE '2026-01-01'",
        "deal",
        W + "and / or / not need conditions (at character 22: \"'2026-01-01'\")",
    ),
    (
        # no column name is close: no hint
        "zzzz > 1",
        "deal",
        W + "unknown column 'zzzz' (at character 1: 'zzzz > 1')",
    ),
    (
        # DuckDB's ~~ is LIKE without the word: the position is the expression's
        "stage ~~ 'N%'",
        "deal",
        W + "may not contain LIKE (at character 1: \"stage ~~ 'N%'\")",
    ),
    # Text the parser cannot read: the position is where it stopped, across lines.
    (
        "stage = 'x' and\n  deal_value_usd >> (1",
        "deal",
        # 16 characters on the first line with its newline, then 22 on the second
        W + "is not a condition pipereview can read (at character 38: '1')",
    ),
    (
        "probability in (1,",
        "deal",
        W + "is not a condition pipereview can read (at character 18: ',')",
    ),
    (
        "deal_value_usd > 1 stage",
        "deal",
        W + "has 'stage' after a whole condition (at character 20: 'stage') "
        "(join conditions with and / or)",
    ),
    (
        # DuckDB reads "> >" as a shift: named in words, with the text it read
        "deal_value_usd > > 1",
        "deal",
        W + "may not contain bitwise right shift ('deal_value_usd >> 1') "
        "(at character 1: 'deal_value_usd > > 1')",
    ),
]


@pytest.mark.parametrize(
    ("when", "subject", "error"), REFUSED, ids=[f"{i:02d}" for i in range(len(REFUSED))]
)
def test_a_refused_condition_names_key_position_and_hint(
    when: str, subject: str, error: str
) -> None:
    rule = _rule("mine", subject, when, "{subject_id}")
    with pytest.raises(PolicyError) as caught:
        api.load_policy({"rules": [rule]})
    assert str(caught.value) == error
    assert caught.value.key == "rules[0].when"


# A quantified subquery (= any (select ...), > all (select ...)) is refused as a subquery,
# at its keyword, as "x in (select ...)" is.
def test_a_quantified_subquery_is_refused_at_its_keyword() -> None:
    rule = _rule("mine", "deal", "deal_value_usd = any(select 1)", "{subject_id}")
    with pytest.raises(PolicyError) as caught:
        api.load_policy({"rules": [rule]})
    # "deal_value_usd = " is 17 characters: "any" is the 18th
    assert str(caught.value) == W + "may not contain a subquery (at character 18: 'any(select 1)')"


def _with(**fields: Any) -> dict[str, Any]:
    return {"rules": [{**_rule("mine", "deal", "deal_value_usd > 1", "{deal_id}"), **fields}]}


ONE = {"id": "big", "subject": "deal", "when": "deal_value_usd > 1", "message": "m"}
# (the policy, the whole error)
REFUSED_RULES: list[tuple[dict[str, Any], str]] = [
    (
        _with(message="{deal_id} in {stge}"),
        "<policy>, key 'rules[0].message': unknown column 'stge' (did you mean 'stage'?)",
    ),
    (
        _with(message="{deal_value_usd:,.2f}"),
        "<policy>, key 'rules[0].message': {deal_value_usd} may not have a format or "
        "conversion (values are formatted by their unit: write {deal_value_usd})",
    ),
    (
        _with(message="{deal_id!r} is stuck"),
        "<policy>, key 'rules[0].message': {deal_id} may not have a format or conversion "
        "(values are formatted by their unit: write {deal_id})",
    ),
    (
        _with(message="Deal {"),
        "<policy>, key 'rules[0].message': is not a message template: Single '{' encountered "
        "in format string (write {column} to put a value in, {{ and }} for a brace)",
    ),
    (
        _with(observed=["deal_value", "stage"]),
        "<policy>, key 'rules[0].observed': unknown column 'deal_value' "
        "(did you mean 'deal_value_usd'?)",
    ),
    (
        _with(id="stalled_deal"),
        "<policy>, key 'rules[0].id': 'stalled_deal' is a built-in rule's id "
        "(give the rule its own id)",
    ),
    (
        _with(id="Big-Deal"),
        "<policy>, key 'rules[0].id': string should match pattern '^[a-z][a-z0-9_]{0,62}$' "
        "(got 'Big-Deal')" + SEE,
    ),
    (
        _with(severity="high"),
        "<policy>, key 'rules[0].severity': input should be 'info', 'warning' or 'critical' "
        "(got 'high')" + SEE,
    ),
    (
        _with(subject="account"),
        "<policy>, key 'rules[0].subject': input should be 'deal' or 'rep' (got 'account')" + SEE,
    ),
    (
        _with(sevrity="info"),
        "<policy>, key 'rules[0].sevrity': unknown key (did you mean 'rules[0].severity'?)",
    ),
    (
        {"rules": [ONE, dict(ONE)]},
        "<policy>, key 'rules': rules[1] has the id 'big' of rules[0]; each rule needs its "
        "own (got [{'id': 'big', 'subject': 'deal', 'when': 'deal_value_usd > 1', "
        "'message': 'm'}, {'id': 'big', 'subject': 'deal', 'when': 'deal_value_usd > 1', "
        "'message': 'm'}])" + SEE,
    ),
    (
        {"rules": {"id": "big"}},
        "<policy>, key 'rules': must be a list of tables ([[rules]]), got dict",
    ),
    ({"rules": [5]}, "<policy>, key 'rules[0]': must be a table, got int"),
    (
        {"rules": [{"id": "big", "subject": "deal", "message": "m"}]},
        "<policy>, key 'rules[0].when': field required "
        "(got {'id': 'big', 'subject': 'deal', 'message': 'm'})" + SEE,
    ),
]


@pytest.mark.parametrize(
    ("policy", "error"), REFUSED_RULES, ids=[f"{i:02d}" for i in range(len(REFUSED_RULES))]
)
def test_a_refused_rule_names_its_key(policy: dict[str, Any], error: str) -> None:
    with pytest.raises(PolicyError) as caught:
        api.load_policy(policy)
    assert str(caught.value) == error


def test_a_bad_rule_is_refused_before_any_data_is_read(tmp_path: Path) -> None:
    # the deals file does not exist: the policy error comes first
    policy = {"rules": [_rule("mine", "deal", "deal_value > 5", "{deal_id}")]}
    with pytest.raises(PolicyError, match=r"key 'rules\[0\]\.when': unknown column"):
        api.build_report(tmp_path / "none.csv", tmp_path / "none.csv", as_of=AS_OF, policy=policy)
    # a rule that is disabled is still checked
    off = {"rules": [_rule("mine", "deal", "deal_value > 5", "{deal_id}", enabled=False)]}
    with pytest.raises(PolicyError, match="unknown column 'deal_value'"):
        api.load_policy(off)


# A number literal no integer or 18-digit decimal holds (2**63 and above, 1e19) is compared
# exactly; one with more digits than an exact comparison keeps (38, 24 after the point) is
# refused when the policy is loaded (it was compared as a double, decisions D35).
@pytest.mark.parametrize(
    ("literal", "total"),
    [
        ("10000000000000000000", 11),  # every deal's value (at most 400000) is below 1e19
        ("1e19", 11),
        ("1.000000000000000000000001", 1),  # only D7 (missing value = 0); 24 places
    ],
)
def test_a_huge_or_very_precise_literal_is_compared(literal: str, total: int) -> None:
    policy = {"rules": [_rule("huge", "deal", f"deal_value_usd < {literal}", "{subject_id}")]}
    report = _report(policy)
    assert _counts(report)["huge"] == (total, total)


def test_a_literal_beyond_exact_comparison_is_refused_at_load() -> None:
    when = "deal_value_usd < 1.0000000000000000000000000000000000001"
    with pytest.raises(PolicyError, match=r"more digits than pipereview compares exactly"):
        api.load_policy({"rules": [_rule("huge", "deal", when, "{subject_id}")]})


# --- (d) property: the engine agrees with a plain-Python reading of the parsed condition ---
PROPERTY_RULES = {
    "p_value_or_likely": "status = 'active' and (deal_value_usd >= 1000.5 or probability > 0.5)",
    "p_not_in_mid_age": "not (stage in ('Negotiation', 'Proposal')) "
    "and days_in_stage between 10 and 60",
    "p_past_or_undated": "close_date is null or days_to_close < 0",
    "p_value_per_chance": "deal_value_usd / probability > 5000 or -deal_value_usd > 100",
    "p_small_negotiation": "abs(deal_value_usd) < 500 and lower(trim(stage)) = 'negotiation'",
    "p_amount_or_value": "coalesce(amount, deal_value_usd) >= greatest(probability * 1000, 250)",
    "p_due_open": "close_date between DATE '2026-02-01' and as_of "
    "and status not in ('won', 'lost')",
    "p_not_positive": "not (deal_value_usd > 0) or status is null or stage not between 'A' and 'O'",
    "p_least_days": "least(days_in_stage, days_to_close) <= 7 "
    "and upper(coalesce(status, 'x')) <> 'LOST'",
    "p_weighted_math": "expected_value * 2 - deal_value_usd * probability >= 0.5 * amount",
    # a null literal: `= null` and `!= null` are unknown (never `is null`), `in (..., null)`
    # is true or unknown, `not in (..., null)` never true, a null bound unknown
    "p_null_compare": "stage = null or not (status != null) or deal_value_usd > null",
    "p_null_in": "deal_value_usd in (1000.5, null) or stage not in ('Discovery', null)",
    "p_null_between": "not (days_in_stage between null and 30) or probability between 0.5 and null",
    "p_null_call": "coalesce(null, probability) >= 0.5 and coalesce(stage, null) is not null",
}
KINDS = {name: kind for name, (kind, _) in DEAL_COLUMNS.items()}
STATUSES = ["active", "won", "lost", " Active ", "WON", "open", "", None]
STAGES = [
    "Negotiation",
    "Proposal",
    "negotiation",
    " Negotiation ",
    "NEGOTIATION",
    "Discovery",
    "",
    None,
]
CENTS = st.one_of(st.none(), st.integers(-50_000_00, 2_000_000_00))


@st.composite
def _property_deals(draw: st.DrawFn) -> list[dict[str, Any]]:
    deals = []
    for i in range(draw(st.integers(1, 10))):
        value, amount = draw(CENTS), draw(CENTS)
        prob = draw(st.one_of(st.none(), st.integers(0, 100)))
        offset = draw(st.one_of(st.none(), st.integers(-60, 60)))
        deals.append(
            {
                "deal_id": draw(st.sampled_from([f"P{i:02d}"] * 5 + [None])),
                "rep_id": "R1",
                "status": draw(st.sampled_from(STATUSES)),
                "deal_value_usd": None if value is None else value / 100,
                "probability": None if prob is None else prob / 100,
                "days_in_stage": draw(st.one_of(st.none(), st.integers(0, 90))),
                "stage": draw(st.sampled_from(STAGES)),
                "close_date": None if offset is None else AS_OF + dt.timedelta(days=offset),
                "amount": None if amount is None else amount / 100,
            }
        )
    return deals


def _cents(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(round(value * 100)) / 100


def _columns(deal: dict[str, Any]) -> dict[str, Any]:
    """One deal's columns as docs/metrics.md says a condition reads them."""
    status = deal["status"]
    if status is not None and status not in ("active", "won", "lost"):
        status = status.strip().lower() or None  # trimmed, lower-cased; blank is missing
    value = _cents(deal["deal_value_usd"]) or Decimal(0)  # missing = 0
    prob = Decimal(0) if deal["probability"] is None else Decimal(str(deal["probability"]))
    close = deal["close_date"]
    return {
        "deal_id": deal["deal_id"],
        "rep_id": deal["rep_id"],
        "status": status,
        "stage": deal["stage"],
        "forecast_category": None,
        "currency": None,
        "amount": _cents(deal["amount"]),
        "deal_value_usd": value,
        "probability": prob,
        "days_in_stage": float(deal["days_in_stage"] or 0),  # missing = 0
        "created_date": None,
        "close_date": close,
        "expected_value": value * prob,
        "risk_flag_count": 0,
        "days_to_close": None if close is None else (close - AS_OF).days,
    }


@settings(max_examples=15)
@given(_property_deals())
def test_user_rule_flags_match_a_python_interpreter(deals: list[dict[str, Any]]) -> None:
    rules = [
        _rule(rule_id, "deal", when, "{subject_id}") for rule_id, when in PROPERTY_RULES.items()
    ]
    policy = {"rules": rules, "flags": {"max_per_rule": 0}}  # 0: list every flag
    report = api.build_report(
        deals, [{"rep_id": "R1", "rep_name": "Ann"}], as_of=AS_OF, policy=policy
    ).model_dump(mode="json")
    counts = _counts(report)
    for rule_id, when in PROPERTY_RULES.items():
        node = parse(when, KINDS)
        expected = {
            deal["deal_id"] or f"row {i + 1}"
            for i, deal in enumerate(deals)
            # blank text is missing, as the readers take it (decisions D39)
            if holds(node, _columns({k: None if v == "" else v for k, v in deal.items()}), AS_OF)
        }
        flagged = _ids(report, rule_id)
        assert set(flagged) == expected, (rule_id, deals)
        assert counts[rule_id] == (len(expected), len(expected)), rule_id


# --- (e) the CLI ---------------------------------------------------------------------------
POLICY_TOML = f'''
[[rules]]
id = "big_deal_stuck"
subject = "deal"
when = "{BIG}"
message = "{{deal_id}} has sat in {{stage}} for {{days_in_stage}} days"

[[rules]]
id = "thin_pipeline"
subject = "rep"
severity = "critical"
when = "{THIN}"
message = "{{rep_name}}: open pipeline {{open_pipeline}} against a gap of {{gap_to_quota}}"

[[rules]]
id = "everything"
subject = "deal"
when = "{EVERYTHING}"
message = "{{subject_id}}"
enabled = false
'''
# The built-in rules in evaluation (registration) order: id, subject, severity. The deal rules
# come first (past_close_date is the fourth, though docs/metrics.md's table lists it eighth).
BUILT_IN = [
    "stalled_deal [built-in, deal, warning]",
    "at_risk_deal [built-in, deal, warning]",
    "stale_high_probability [built-in, deal, warning]",
    "past_close_date [built-in, deal, warning]",
    "repeatedly_pushed [built-in, deal, warning]",
    "needs_coaching [built-in, rep, warning]",
    "coaching_candidate [built-in, rep, info]",
    "benchmark [built-in, rep, info]",
    "pipeline_declining [built-in, rep, warning]",
    "low_coverage [built-in, rep, warning]",
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The hand fixture as CSV files, the policy as TOML and a policy with a bad rule."""
    folder = tmp_path_factory.mktemp("rules")
    paths = [folder / n for n in ("deals.csv", "reps.csv", "policy.toml", "bad.toml")]
    for path, rows in zip(paths, (DEALS, REPS), strict=False):
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    paths[2].write_text(POLICY_TOML, encoding="utf-8")
    paths[3].write_text(
        '[[rules]]\nid = "big"\nsubject = "deal"\nwhen = "deal_value > 5"\nmessage = "{deal_id}"\n',
        encoding="utf-8",
    )
    return paths


def test_cli_rules_list(files: list[Path]) -> None:
    proc = run("rules", "list", "--policy", files[2])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [line for line in lines if not line.startswith(" ")] == [
        *BUILT_IN,
        "big_deal_stuck [policy, deal, warning]",
        "thin_pipeline [policy, rep, critical]",
        "everything [policy, deal, warning] (disabled)",
    ]
    assert lines[-6:] == [
        "big_deal_stuck [policy, deal, warning]",
        f"    when: {BIG}",
        "thin_pipeline [policy, rep, critical]",
        f"    when: {THIN}",
        "everything [policy, deal, warning] (disabled)",
        f"    when: {EVERYTHING}",
    ]
    as_json = json.loads(run("rules", "list", "--policy", files[2], "--format", "json").stdout)
    assert as_json[-3:] == [
        {
            "id": "big_deal_stuck",
            "source": "policy",
            "subject_type": "deal",
            "severity": "warning",
            "enabled": True,
            "when": BIG,
            "thresholds": {},
        },
        {
            "id": "thin_pipeline",
            "source": "policy",
            "subject_type": "rep",
            "severity": "critical",
            "enabled": True,
            "when": THIN,
            "thresholds": {},
        },
        {
            "id": "everything",
            "source": "policy",
            "subject_type": "deal",
            "severity": "warning",
            "enabled": False,
            "when": EVERYTHING,
            "thresholds": {},
        },
    ]


def test_cli_rules_test(files: list[Path]) -> None:
    deals, reps, policy, _ = files
    proc = run(
        "rules",
        "test",
        "--deals",
        deals,
        "--reps",
        reps,
        "--policy",
        policy,
        "--as-of",
        "2026-03-15",
        "--examples",
        "1",
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-4:] == [
        "big_deal_stuck [policy, warning]: 2 deals",  # D1, D2 (see the hand dataset)
        "    D1: D1 has sat in Negotiation for 20 days",  # the first by value
        "thin_pipeline [policy, critical]: 2 reps",  # R1, R4
        "    R1: Ann: open pipeline $640,000.00 against a gap of $250,000.00",
    ]
    assert not any(line.startswith("everything") for line in lines)  # disabled
    as_json = json.loads(
        run(
            "rules",
            "test",
            "--deals",
            deals,
            "--reps",
            reps,
            "--policy",
            policy,
            "--as-of",
            "2026-03-15",
            "--examples",
            "3",
            "--format",
            "json",
        ).stdout
    )
    mine = {r["rule"]["id"]: r for r in as_json if r["rule"]["source"] == "policy"}
    assert list(mine) == ["big_deal_stuck", "thin_pipeline"]
    assert mine["big_deal_stuck"]["total"] == 2
    assert [f["subject_id"] for f in mine["big_deal_stuck"]["examples"]] == ["D1", "D2"]
    assert [f["message"] for f in mine["thin_pipeline"]["examples"]] == [
        "Ann: open pipeline $640,000.00 against a gap of $250,000.00",
        "Dee: open pipeline $1,000.00 against a gap of $10,000.00",
    ]


def test_list_rules_in_process() -> None:
    """`list_rules` field by field (in process, so mutation testing reaches it)."""
    rules = {r.id: r.model_dump() for r in api.list_rules(POLICY)}
    built_in = list(rules.items())[: len(BUILT_IN)]
    assert [f"{i} [{r['source']}, {r['subject_type']}, {r['severity']}]" for i, r in built_in] == (
        BUILT_IN
    )
    assert all(r["enabled"] for r in list(rules.values())[: len(BUILT_IN)])
    # A built-in rule's thresholds are the policy keys its description names, with values.
    assert rules["stale_high_probability"]["thresholds"] == {
        "pipeline.high_probability": 0.7,
        "pipeline.extreme_days_in_stage": 60,
    }
    assert rules["stalled_deal"]["thresholds"] == {
        "pipeline.stalled_days_by_stage": {},
        "pipeline.stalled_deal_days_in_stage": 21,
    }
    assert rules["at_risk_deal"]["thresholds"] == {}
    assert rules["at_risk_deal"]["when"] == "Active deal with at least one risk flag."
    custom = api.list_rules({"reps": {"needs_coaching_below": 0.5}})
    assert {r.id: r.thresholds for r in custom}["needs_coaching"] == {
        "reps.needs_coaching_basis": "annual",
        "reps.needs_coaching_below": 0.5,
    }
    # The policy's own rules follow, in policy order, disabled ones too.
    assert list(rules)[len(BUILT_IN) :] == [r["id"] for r in RULES]
    assert rules["closing_soon_unlikely"] == {
        "id": "closing_soon_unlikely",
        "source": "policy",
        "subject_type": "deal",
        "severity": "critical",
        "enabled": True,
        "when": SOON,
        "thresholds": {},
    }
    assert rules["low_close_rate"]["subject_type"] == "rep"
    assert rules["low_close_rate"]["severity"] == "info"
    assert rules["everything"]["enabled"] is False


def test_test_rules_in_process_agrees_with_the_report(report: dict[str, Any]) -> None:
    """`test_rules` counts each rule in its own scan; the totals are the report's, and the
    examples are the report's first flags of each rule."""
    results = api.test_rules(DEALS, REPS, as_of=AS_OF, policy=POLICY, examples=2)
    totals = {t.rule.id: t.total for t in results}
    assert totals == {c["rule"]: c["total"] for c in report["flag_counts"]}
    assert {rule: totals[rule] for rule in USER_IDS} == {
        "big_deal_stuck": 2,
        "closing_soon_unlikely": 4,
        "no_close_date": 2,
        "big_weighted": 4,
        "odd_stage": 1,
        "stageless": 1,
        "due_by_today": 1,
        "thin_pipeline": 2,
        "low_close_rate": 2,
    }
    assert totals["stalled_deal"] == 2 and totals["pipeline_declining"] == 3
    assert "everything" not in totals
    for result in results:
        assert result.rule.enabled
        expected = [f for f in report["flags"] if f["rule"] == result.rule.id][:2]
        assert [f.model_dump(mode="json") for f in result.examples] == expected
    by_id = {t.rule.id: t for t in results}
    assert [f.subject_id for f in by_id["closing_soon_unlikely"].examples] == ["D2", "D8"]
    assert by_id["closing_soon_unlikely"].rule.severity == "critical"
    one = api.test_rules(DEALS, REPS, as_of=AS_OF, policy=POLICY, examples=1)
    assert [len(t.examples) for t in one] == [min(1, t.total) for t in one]
    assert [t.total for t in one] == [t.total for t in results]  # the cap is not the total


def test_cli_a_bad_rule_names_the_file_and_key(files: list[Path]) -> None:
    deals, reps, _, bad = files
    expected = (
        f"error: {bad}, key 'rules[0].when': unknown column 'deal_value' "
        "(at character 1: 'deal_value > 5') (did you mean 'deal_value_usd'?)\n"
    )
    for args in (
        ("rules", "list", "--policy", bad),
        (
            "rules",
            "test",
            "--deals",
            deals,
            "--reps",
            reps,
            "--as-of",
            "2026-03-15",
            "--policy",
            bad,
        ),
        ("report", "--deals", deals, "--reps", reps, "--as-of", "2026-03-15", "--policy", bad),
    ):
        proc = run(*args)
        assert proc.returncode == 1, args
        assert proc.stderr == expected, args
        assert proc.stdout == ""


def test_cli_report_json_carries_the_user_rule_flags(files: list[Path]) -> None:
    deals, reps, policy, _ = files
    proc = run(
        "report",
        "--deals",
        deals,
        "--reps",
        reps,
        "--as-of",
        "2026-03-15",
        "--policy",
        policy,
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert _ids(report, "big_deal_stuck") == ["D1", "D2"]
    assert _ids(report, "thin_pipeline") == ["R1", "R4"]
    assert _flags(report, "big_deal_stuck")[0]["message"] == (
        "D1 has sat in Negotiation for 20 days"
    )
    assert _counts(report)["thin_pipeline"] == (2, 2)
    assert "everything" not in _counts(report)


# --- (f) changes: deals newly flagged by a user rule ---------------------------------------
THEN, NOW = dt.date(2026, 3, 1), dt.date(2026, 3, 10)
CHANGE_RULES = [
    _rule(
        "closing_this_week",
        "deal",
        "status = 'active' and days_to_close between 0 and 7",
        "{subject_id} closes in {days_to_close} days",
    ),
    _rule(
        "big_and_old", "deal", "deal_value_usd >= 250000 and days_in_stage >= 14", "{subject_id}"
    ),
    _rule("off", "deal", "deal_value_usd >= 0", "{subject_id}", enabled=False),
    _rule("rep_rule", "rep", "active_deals >= 1", "{subject_id}"),
]


def _c(deal_id: str, value: float, days: float, close: str) -> dict[str, Any]:
    return _deal(deal_id, "R1", "active", value, 0.5, days, "Proposal", close)


# dtc at THEN = close - 2026-03-01; at NOW = close - 2026-03-10.
BEFORE = [
    _c("C1", 300000, 20, "2026-03-20"),  # big_and_old then (and now): not new
    _c("C2", 100000, 5, "2026-03-15"),  # dtc 14 then (not this week); 5 now: newly
    _c("C3", 50000, 1, "2026-03-05"),  # dtc 4 then: closing then (and now): not new
    _c("C4", 260000, 10, "2026-06-01"),  # 10 days then (not old); 24 now: newly big_and_old
    _c("C6", 80000, 1, "2026-03-02"),  # dtc 1 then; lost now: flagged then only
]
AFTER = [
    _c("C1", 300000, 29, "2026-03-20"),  # dtc 10: not this week
    _c("C2", 100000, 14, "2026-03-15"),  # dtc 5: the same data, judged at today's date
    _c("C3", 50000, 10, "2026-03-12"),  # dtc 2
    _c("C4", 260000, 24, "2026-06-01"),
    _c("C5", 70000, 0, "2026-03-11"),  # new since the snapshot, dtc 1: newly flagged
    {**_c("C6", 80000, 0, "2026-03-02"), "status": "lost"},
]
CHANGE_REPS = [{"rep_id": "R1", "rep_name": "Ann"}]


def test_changes_list_the_deals_newly_flagged_by_a_user_rule(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    api.snapshot(BEFORE, CHANGE_REPS, as_of=THEN, store=store)  # the default policy
    policy = {"rules": CHANGE_RULES}
    changes = api.build_report(AFTER, CHANGE_REPS, as_of=NOW, store=store, policy=policy).changes
    assert changes is not None
    assert changes.compared_to == THEN
    assert not changes.same_policy  # the snapshot was made without the rules
    moved = {m.movement: m for m in changes.deals}
    # one movement per enabled deal rule, after the built-in ones, in policy order
    assert [m.movement for m in changes.deals][-2:] == [
        "newly_flagged:closing_this_week",
        "newly_flagged:big_and_old",
    ]
    assert not any(m.endswith((":off", ":rep_rule")) for m in moved)
    closing = moved["newly_flagged:closing_this_week"]
    assert closing.deal_ids == ["C2", "C5"]  # by value: 100000, 70000; C3 flagged both times
    assert closing.deals == 2
    assert closing.value == Decimal("170000")  # 100000 + 70000, today's values
    big = moved["newly_flagged:big_and_old"]
    assert (big.deal_ids, big.deals, big.value) == (["C4"], 1, Decimal("260000"))  # not C1
    # capped like flags: the count and value stay whole
    capped = api.build_report(
        AFTER, CHANGE_REPS, as_of=NOW, store=store, policy={**policy, "flags": {"max_per_rule": 1}}
    ).changes
    assert capped is not None
    first = next(m for m in capped.deals if m.movement == "newly_flagged:closing_this_week")
    assert (first.deal_ids, first.deals, first.value) == (["C2"], 2, Decimal("170000"))


def test_changes_without_user_rules_have_no_flagged_movement(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    api.snapshot(BEFORE, CHANGE_REPS, as_of=THEN, store=store)
    changes = api.build_report(AFTER, CHANGE_REPS, as_of=NOW, store=store).changes
    assert changes is not None
    assert changes.same_policy
    assert not any(m.movement.startswith("newly_flagged:") for m in changes.deals)


# --- (c) DuckDB / Spark parity ---------------------------------------------------------------
SPARK_RULES = [
    _rule(
        "old_and_likely",
        "deal",
        "status = 'active' and days_in_stage >= 30 and probability >= 0.5",
        "{deal_id}: {days_in_stage} days at {probability}",
    ),
    _rule(
        "slipped_big",
        "deal",
        "close_date < as_of and expected_value > 10000",
        "{subject_id} slipped by {days_to_close} days ({expected_value})",
    ),
    _rule(
        "fast_money",
        "deal",
        "deal_value_usd / days_in_stage > 1000 or "
        "lower(trim(stage)) in ('negotiation', 'proposal') and risk_flag_count >= 1",
        "{subject_id} in {stage}",
        severity="critical",
    ),
    _rule(
        "nullish",
        "deal",
        "coalesce(probability, 0) between 0.2 and 0.4 and not "
        "(deal_value_usd between 1000 and 5000) and close_date is not null",
        "{subject_id}",
        severity="info",
    ),
    _rule(
        "thin_or_declining",
        "rep",
        "coverage < 3 or pipeline_trend = 'declining'",
        "{rep_name} covers {coverage} ({pipeline_change_pct})",
    ),
    _rule(
        "low_rate",
        "rep",
        "close_rate < 0.3 and active_deals between 1 and 1000 "
        "or greatest(quota_achievement, 0) > 0.9",
        "{rep_name} {close_rate} {quota_achievement}",
    ),
]


def test_and_or_nest_as_written() -> None:
    """A chain of one operator is flattened; an `or` inside an `and` stays a group."""
    from pipereview.rules.tree import Logic

    tree = parse("probability > 0.5 and (stage = 'A' or stage = 'B') and deal_value_usd > 1", KINDS)
    assert isinstance(tree, Logic) and tree.op == "and" and len(tree.args) == 3
    group = tree.args[1]
    assert isinstance(group, Logic) and group.op == "or" and len(group.args) == 2
    chain = parse("stage = 'A' or stage = 'B' or stage = 'C'", KINDS)
    assert isinstance(chain, Logic) and chain.op == "or" and len(chain.args) == 3


def test_arithmetic_accepts_a_null_literal() -> None:
    """`null` fits any kind: `x + null` is a number (unknown on every row), `-null` too."""
    from pipereview.rules.tree import Compare

    for text in ("deal_value_usd + null > 1", "-null < probability"):
        assert isinstance(parse(text, KINDS), Compare)
