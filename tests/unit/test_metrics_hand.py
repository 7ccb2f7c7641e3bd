"""Hand-computed unit tests of the engine's report (DuckDB) against the written contract.

Every expected number below was worked out by hand from DESIGN.md ("Reference metric
semantics") and docs/decisions.md; the arithmetic is in the comments next to each literal.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from pipereview.api import build_report, explain
from pipereview.errors import NotFoundError
from pipereview.policy import policy_from_dict

AS_OF = dt.date(2026, 1, 15)


def _deal(
    deal_id: str,
    rep_id: str | None,
    status: str,
    value: float,
    prob: float,
    days: float,
    flags: Any = None,
    stage: str | None = None,
) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "rep_id": rep_id,
        "status": status,
        "deal_value_usd": value,
        "probability": prob,
        "days_in_stage": days,
        "risk_flags": flags,
        "stage": stage,
    }


# Expected value (value x probability) in the comments; probabilities are exact binary
# fractions so the D2/D3 tie is an exact tie.
DEALS = [
    _deal("D1", "R1", "active", 1000, 0.5, 25, ["no_champion"], "Negotiation"),  # ev 500
    _deal("D2", "R1", "active", 3000, 0.25, 21, []),  # ev 750, stalled at exactly 21
    _deal("D3", "R1", "active", 1500, 0.5, 20, []),  # ev 750 (ties D2), 20 < 21 not stalled
    _deal("D4", "R1", "active", 400, 0.25, 0, ["budget_cut"]),  # ev 100, 4th -> capped
    _deal("D5", "R2", "won", 500, 1.0, 3),
    _deal("D6", "R2", "lost", 700, 0.0, 40, ["gone"]),  # not active: not stalled/at risk
    _deal("D7", "R2", "active", 800, 0.75, 30, "a;b"),  # ev 600, stalled, at risk
    _deal("D8", "R3", "lost", 200, 0.1, 1),
]


def _rep(rep_id: str, name: str, **fields: Any) -> dict[str, Any]:
    base = {
        "rep_id": rep_id,
        "rep_name": name,
        "quota_usd": None,
        "year_to_date_revenue_usd": None,
        "close_rate": None,
        "quota_3m": None,
        "closed_won_3m_current": None,
        "current_pipeline_value": None,
        "previous_pipeline_value": None,
        "risk_velocity_flag": None,
        "risk_score_current": None,
    }
    return {**base, **fields}


REPS = [
    _rep(
        "R1",
        "Ann",
        quota_usd=100000.0,
        year_to_date_revenue_usd=66660.0,
        close_rate=0.4,
        quota_3m=30000.0,
        closed_won_3m_current=20000.0,
        current_pipeline_value=102000.0,
        previous_pipeline_value=100000.0,
        risk_velocity_flag="stable",
        risk_score_current=7.9,
    ),
    _rep(
        "R2",
        "Bob",
        quota_usd=100000.0,
        year_to_date_revenue_usd=69999.99,
        quota_3m=10000.0,
        closed_won_3m_current=9000.0,
        current_pipeline_value=102010.0,
        previous_pipeline_value=100000.0,
        risk_velocity_flag=" Increasing ",
        risk_score_current=3.0,
    ),
    _rep(
        "R3",
        "Cy",
        quota_usd=100000.0,
        year_to_date_revenue_usd=70000.0,
        quota_3m=20000.0,
        closed_won_3m_current=18000.0,
        current_pipeline_value=5000.0,
        previous_pipeline_value=0.0,
        risk_velocity_flag="decreasing",
        risk_score_current=0.5,
    ),
    _rep(
        "R4",
        "Dan",
        year_to_date_revenue_usd=5000.0,
        closed_won_3m_current=5000.0,
        current_pipeline_value=90000.0,
        previous_pipeline_value=100000.0,
    ),
]


# Built per test, not once per module: mutmut runs for each mutant only the tests that
# called the mutated function, and a shared fixture would credit only the first of them.
@pytest.fixture()
def report() -> dict[str, Any]:
    return build_report(DEALS, REPS, as_of=AS_OF).model_dump(mode="json")


def _row(rows: list[dict[str, Any]], rep_id: str) -> dict[str, Any]:
    return next(r for r in rows if r["rep_id"] == rep_id)


def _flags(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in report["flags"] if f["rule"] == rule]


def _flag(report: dict[str, Any], rule: str, subject: str) -> dict[str, Any]:
    return next(f for f in _flags(report, rule) if f["subject_id"] == subject)


def _counts(report: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {c["rule"]: (c["total"], c["shown"]) for c in report["flag_counts"]}


# --- pipeline summary ----------------------------------------------------------------------
def test_pipeline_summary(report: dict[str, Any]) -> None:
    assert report["pipeline_summary"] == {
        "total_deals": 8,
        "active_deals": 5,  # D1 D2 D3 D4 D7
        "won_deals": 1,  # D5
        "lost_deals": 2,  # D6 D8
        "total_pipeline_value": 6700.0,  # 1000 + 3000 + 1500 + 400 + 800
        "weighted_pipeline_value": 2700.0,  # 500 + 750 + 750 + 100 + 600
        "average_deal_size": 1340.0,  # 6700 / 5
        "win_rate": 0.33,  # 1 / (1 + 2) = 0.333...
        "stalled_deals_count": 3,  # D1 (25), D2 (21 >= 21), D7 (30); D6 is lost
        "at_risk_deals_count": 3,  # D1, D4, D7; D6 is lost
        "won_value": 500.0,  # D5
        "won_value_quarter_to_date": 0.0,  # D5 has no close date: in no period
        "won_value_year_to_date": 0.0,
        "sales_cycle_deals": 0,  # no created_date anywhere
        "recorded_year_to_date_revenue": 211659.99,  # 66660 + 69999.99 + 70000 + 5000
        "average_won_deal_size": 500.0,  # 500 / 1
        "median_sales_cycle_days": None,
    }


def test_pipeline_summary_without_active_or_closed_deals() -> None:
    deals = [_deal("X1", "R1", "open", 100, 0.5, 50, ["x"])]  # unknown status only
    summary = build_report(deals, REPS, as_of=AS_OF).pipeline_summary.model_dump()
    assert summary == {
        "total_deals": 1,
        "active_deals": 0,
        "won_deals": 0,
        "lost_deals": 0,
        "total_pipeline_value": 0.0,
        "weighted_pipeline_value": 0.0,
        "average_deal_size": 0.0,  # no active deals -> 0
        "win_rate": 0.0,  # no won or lost -> 0
        "stalled_deals_count": 0,
        "at_risk_deals_count": 0,
        "won_value": 0.0,
        "won_value_quarter_to_date": 0.0,
        "won_value_year_to_date": 0.0,
        "sales_cycle_deals": 0,
        "recorded_year_to_date_revenue": Decimal("211659.99"),  # the reps' records
        "average_won_deal_size": 0.0,  # no won deals -> 0
        "median_sales_cycle_days": None,
    }


# --- rep performance -----------------------------------------------------------------------
def test_rep_performance_rows(report: dict[str, Any]) -> None:
    assert report["rep_performance"] == [
        {
            "rep_id": "R1",
            "rep_name": "Ann",
            "active_deals": 4,  # D1 D2 D3 D4
            "pipeline_value": 5900.0,  # 1000 + 3000 + 1500 + 400
            "close_rate": 0.4,
            "close_rate_source": "record",
            "quota_achievement": 0.67,  # 66660 / 100000 = 0.6666
            # 2026-01-15 is day 15 of 365: 66660 / (100000 x 15/365) = 16.2206
            "pace": 16.22,
            "needs_coaching": True,  # 0.6666 < 0.7
            # ev: D2 750, D3 750 (tie -> D2 first by id), D1 500; D4 (100) beyond the cap of 3
            "top_opportunities": ["D2", "D3", "D1"],
            "won_deals": 0,
            "lost_deals": 0,
            "won_value": 0.0,
        },
        {
            "rep_id": "R2",
            "rep_name": "Bob",
            "active_deals": 1,  # D7
            "pipeline_value": 800.0,
            "close_rate": 0.5,
            "close_rate_source": "deals",  # no record: 1 won / (1 + 1)
            "quota_achievement": 0.7,  # 69999.99 / 100000 = 0.6999999 -> 0.70
            "pace": 17.03,  # 69999.99 x 365 / 1,500,000 = 17.0333
            "needs_coaching": True,  # unrounded 0.6999999 < 0.7
            "top_opportunities": ["D7"],
            "won_deals": 1,  # D5
            "lost_deals": 1,  # D6
            "won_value": 500.0,
        },
        {
            "rep_id": "R3",
            "rep_name": "Cy",
            "active_deals": 0,
            "pipeline_value": 0.0,
            "close_rate": 0.0,
            "close_rate_source": "deals",  # 0 won / (0 + 1 lost)
            "quota_achievement": 0.7,  # 70000 / 100000
            "pace": 17.03,  # 70000 x 365 / 1,500,000 = 17.0333
            "needs_coaching": False,  # 0.7 is not < 0.7
            "top_opportunities": [],
            "won_deals": 0,
            "lost_deals": 1,  # D8
            "won_value": 0.0,
        },
        {
            "rep_id": "R4",
            "rep_name": "Dan",
            "active_deals": 0,
            "pipeline_value": 0.0,
            "close_rate": None,
            "close_rate_source": "none",  # no record, no closed deals
            "quota_achievement": None,  # no quota
            "pace": None,
            "needs_coaching": False,
            "top_opportunities": [],
            "won_deals": 0,
            "lost_deals": 0,
            "won_value": 0.0,
        },
    ]


def test_top_opportunities_policy_cap() -> None:
    policy = policy_from_dict({"reps": {"top_opportunities": 1}})
    rows = build_report(DEALS, REPS, as_of=AS_OF, policy=policy).rep_performance
    assert {r.rep_id: r.top_opportunities for r in rows} == {
        "R1": ["D2"],
        "R2": ["D7"],
        "R3": [],
        "R4": [],
    }


def test_a_missing_probability_weighs_zero_and_ties_by_deal_id() -> None:
    # D1 has no probability: its expected value is 0, the same as D3's ($0 at 50%); the tie
    # goes to the lower deal id, so D1 comes before D3 (a null would sort last instead).
    deals = [
        {**_deal("D3", "R1", "active", 0, 0.5, 1)},
        {**_deal("D1", "R1", "active", 100, 0.5, 1), "probability": None},
        _deal("D2", "R1", "active", 10, 0.5, 1),  # ev 5
    ]
    report = build_report(deals, [{"rep_id": "R1"}], as_of=AS_OF)
    assert report.rep_performance[0].top_opportunities == ["D2", "D1", "D3"]
    assert report.pipeline_summary.weighted_pipeline_value == Decimal("5.00")


def test_top_opportunities_rank_from_zero() -> None:
    # The metric itself: 0-based ranks by value x probability desc, ties by deal_id; a won
    # deal and a fourth active one are left out. B: 200 x 0.5 = 100 ties A: 100 x 1.
    from pipereview.api.common import load_inputs
    from pipereview.metrics.reps import top_opportunities
    from pipereview.policy import Policy

    deals = [
        _deal("D", "R1", "active", 10, 1, 1), _deal("B", "R1", "active", 200, 0.5, 1),
        _deal("A", "R1", "active", 100, 1, 1), _deal("C", "R1", "active", 50, 1, 1),
        _deal("W", "R1", "won", 999, 1, 1), _deal("E", "R2", "active", 5, 1, 1),
    ]  # fmt: skip
    inputs = load_inputs(deals, [{"rep_id": "R1"}], policy=Policy())
    top = top_opportunities(inputs.deals, Policy()).order_by(["rep_id", "rank"])
    rows = [(r["rep_id"], r["deal_id"], r["rank"]) for r in inputs.engine.rows(top)]
    assert rows == [("R1", "A", 0), ("R1", "B", 1), ("R1", "C", 2), ("R2", "E", 0)]


def test_rep_rows_follow_rep_id_order_not_input_order() -> None:
    rows = build_report(DEALS, list(reversed(REPS)), as_of=AS_OF)
    assert [r.rep_id for r in rows.rep_performance] == ["R1", "R2", "R3", "R4"]
    assert [r.rep_id for r in rows.rep_trajectory] == ["R1", "R2", "R3", "R4"]


# --- rep trajectory ------------------------------------------------------------------------
def test_rep_trajectory_rows(report: dict[str, Any]) -> None:
    assert report["rep_trajectory"] == [
        {
            "rep_id": "R1",
            "rep_name": "Ann",
            "quota_3m": 30000.0,
            "closed_won_3m_current": 20000.0,
            "quota_attainment_pct": 66.7,  # 20000 / 30000 x 100 = 66.666...
            "current_pipeline_value": 102000.0,
            "previous_pipeline_value": 100000.0,
            "previous_pipeline_source": "record",
            "pipeline_change_pct": 2.0,  # (102000 - 100000) / 100000 x 100 = 2.0
            "pipeline_trend": "stable",  # exactly +2 is not above the band
            "risk_velocity_flag": "stable",
            "risk_velocity_source": "record",
            "coaching_candidate": True,  # 20000 < 30000 x 0.9 = 27000
            "benchmark": False,
            "risk_score_current": 7,  # int(7.9)
        },
        {
            "rep_id": "R2",
            "rep_name": "Bob",
            "quota_3m": 10000.0,
            "closed_won_3m_current": 9000.0,
            "quota_attainment_pct": 90.0,  # 9000 / 10000 x 100
            "current_pipeline_value": 102010.0,
            "previous_pipeline_value": 100000.0,
            "previous_pipeline_source": "record",
            "pipeline_change_pct": 2.0,  # 2010 / 100000 x 100 = 2.01 -> 1 place: 2.0
            "pipeline_trend": "improving",  # unrounded 2.01 > 2
            "risk_velocity_flag": "increasing",  # " Increasing " trimmed, lower-cased
            "risk_velocity_source": "record",
            "coaching_candidate": True,  # velocity; 9000 is not < 10000 x 0.9 = 9000
            "benchmark": True,  # 0.9 ties R3's 18000 / 20000 = 0.9 -> lowest rep_id
            "risk_score_current": 3,
        },
        {
            "rep_id": "R3",
            "rep_name": "Cy",
            "quota_3m": 20000.0,
            "closed_won_3m_current": 18000.0,
            "quota_attainment_pct": 90.0,  # 18000 / 20000 x 100
            "current_pipeline_value": 5000.0,
            "previous_pipeline_value": 0.0,
            "previous_pipeline_source": "record",
            "pipeline_change_pct": None,  # previous 0
            "pipeline_trend": "stable",  # previous 0 -> stable
            "risk_velocity_flag": "decreasing",
            "risk_velocity_source": "record",
            "coaching_candidate": False,  # exactly 90% of quota is not below 90%
            "benchmark": False,
            "risk_score_current": 0,  # int(0.5)
        },
        {
            "rep_id": "R4",
            "rep_name": "Dan",
            "quota_3m": None,
            "closed_won_3m_current": 5000.0,
            "quota_attainment_pct": None,  # no quota_3m
            "current_pipeline_value": 90000.0,
            "previous_pipeline_value": 100000.0,
            "previous_pipeline_source": "record",
            "pipeline_change_pct": -10.0,  # (90000 - 100000) / 100000 x 100
            "pipeline_trend": "declining",
            "risk_velocity_flag": None,
            "risk_velocity_source": "none",
            "coaching_candidate": False,  # no velocity, no quota
            "benchmark": False,  # no quota -> cannot be the benchmark
            "risk_score_current": None,
        },
    ]


@pytest.mark.parametrize(
    ("current", "change", "trend"),
    [
        (98000.0, -2.0, "stable"),  # exactly -2 is not below -2
        (97990.0, -2.0, "declining"),  # -2.01 (rounds to -2.0) < -2
        (102000.0, 2.0, "stable"),
        (102010.0, 2.0, "improving"),  # +2.01
        (100000.0, 0.0, "stable"),
    ],
)
def test_trend_band_edges(current: float, change: float, trend: str) -> None:
    reps = [_rep("R1", "Ann", current_pipeline_value=current, previous_pipeline_value=100000.0)]
    row = build_report(DEALS, reps, as_of=AS_OF).rep_trajectory[0]
    assert (row.pipeline_change_pct, row.pipeline_trend) == (change, trend)


def test_no_quotas_means_no_benchmark() -> None:
    reps = [
        _rep("R1", "Ann", closed_won_3m_current=5000.0),
        _rep("R2", "Bob", quota_3m=0.0, closed_won_3m_current=9000.0),
    ]
    report = build_report(DEALS, reps, as_of=AS_OF).model_dump(mode="json")
    assert [r["benchmark"] for r in report["rep_trajectory"]] == [False, False]
    assert [r["quota_attainment_pct"] for r in report["rep_trajectory"]] == [None, None]
    assert _counts(report)["benchmark"] == (0, 0)


# --- flags ---------------------------------------------------------------------------------
def test_stalled_deal_flag(report: dict[str, Any]) -> None:
    # ordered by deal value desc: D2 (3000), D1 (1000), D7 (800)
    assert [f["subject_id"] for f in _flags(report, "stalled_deal")] == ["D2", "D1", "D7"]
    assert _flag(report, "stalled_deal", "D1") == {
        "rule": "stalled_deal",
        "subject_type": "deal",
        "subject_id": "D1",
        "severity": "warning",
        "observed": {
            "status": "active",
            "rep_id": "R1",
            "stage": "Negotiation",
            "days_in_stage": 25.0,
            "deal_value_usd": 1000.0,
        },
        "thresholds": {"stalled_deal_days_in_stage": 21},
        "message": "Deal D1 in stage Negotiation has been in its stage 25 days, at or above "
        "the 21-day threshold (value $1,000.00).",
    }


def test_at_risk_deal_flag(report: dict[str, Any]) -> None:
    # D1 (1000), D7 (800), D4 (400)
    assert [f["subject_id"] for f in _flags(report, "at_risk_deal")] == ["D1", "D7", "D4"]
    assert _flag(report, "at_risk_deal", "D7") == {
        "rule": "at_risk_deal",
        "subject_type": "deal",
        "subject_id": "D7",
        "severity": "warning",
        "observed": {
            "status": "active",
            "rep_id": "R2",
            "stage": None,
            "risk_flags": ["a", "b"],
            "risk_flag_count": 2,
            "deal_value_usd": 800.0,
        },
        "thresholds": {"min_risk_flags": 1},
        "message": "Deal D7 carries 2 risk flags: a, b (value $800.00).",
    }


def test_needs_coaching_flag(report: dict[str, Any]) -> None:
    # lowest achievement first: R1 0.6666, R2 0.6999999
    assert [f["subject_id"] for f in _flags(report, "needs_coaching")] == ["R1", "R2"]
    assert _flag(report, "needs_coaching", "R1") == {
        "rule": "needs_coaching",
        "subject_type": "rep",
        "subject_id": "R1",
        "severity": "warning",
        "observed": {
            "rep_name": "Ann",
            "quota_achievement": 0.67,
            "pace": 16.22,  # see test_rep_performance_rows
            "days_elapsed": 15,  # 2026-01-15 is day 15
            "days_in_year": 365,
            "year_to_date_revenue_usd": 66660.0,
            "quota_usd": 100000.0,
        },
        "thresholds": {"needs_coaching_below": 0.7, "needs_coaching_basis": "annual"},
        "message": "Rep R1 (Ann) has achieved 67% of quota ($66,660.00 of $100,000.00 year "
        "to date), below the 70% threshold.",
    }
    # 69,999.99 / 100,000 = 0.6999999: rounded to 0.70 it would read "70%, below 70%", so
    # the evidence keeps the decimals that make the comparison visibly true.
    r2 = _flag(report, "needs_coaching", "R2")
    assert r2["observed"]["quota_achievement"] == 0.6999999
    assert r2["message"] == (
        "Rep R2 (Bob) has achieved 69.99999% of quota ($69,999.99 of $100,000.00 year to "
        "date), below the 70% threshold."
    )


def test_coaching_candidate_flag(report: dict[str, Any]) -> None:
    # lowest attainment first: R1 66.7, R2 90.0
    assert [f["subject_id"] for f in _flags(report, "coaching_candidate")] == ["R1", "R2"]
    assert _flag(report, "coaching_candidate", "R2") == {
        "rule": "coaching_candidate",
        "subject_type": "rep",
        "subject_id": "R2",
        "severity": "info",
        "observed": {
            "rep_name": "Bob",
            "velocity_matches": True,
            "attainment_below": False,
            "risk_velocity_flag": "increasing",
            "risk_velocity_source": "record",
            "quota_attainment_pct": 90.0,
            "closed_won_3m_current": 9000.0,
            "quota_3m": 10000.0,
        },
        "thresholds": {
            "coaching_risk_velocity": "increasing",
            "coaching_attainment_below": 0.9,
        },
        "message": "Rep R2 (Bob) is a coaching candidate: risk velocity is increasing.",
    }
    assert _flag(report, "coaching_candidate", "R1")["message"] == (
        "Rep R1 (Ann) is a coaching candidate: closed $20,000.00 of a $30,000.00 3-month "
        "quota (66.7%), below 90%."
    )


def test_benchmark_flag(report: dict[str, Any]) -> None:
    assert _flags(report, "benchmark") == [
        {
            "rule": "benchmark",
            "subject_type": "rep",
            "subject_id": "R2",
            "severity": "info",
            "observed": {
                "rep_name": "Bob",
                "quota_attainment_pct": 90.0,
                "closed_won_3m_current": 9000.0,
                "quota_3m": 10000.0,
            },
            "thresholds": {},
            "message": "Rep R2 (Bob) has the highest 3-month quota attainment: closed "
            "$9,000.00 of a $10,000.00 3-month quota (90%).",
        }
    ]


def test_pipeline_declining_flag(report: dict[str, Any]) -> None:
    assert _flags(report, "pipeline_declining") == [
        {
            "rule": "pipeline_declining",
            "subject_type": "rep",
            "subject_id": "R4",
            "severity": "warning",
            "observed": {
                "rep_name": "Dan",
                "pipeline_change_pct": -10.0,
                "current_pipeline_value": 90000.0,
                "previous_pipeline_value": 100000.0,
                "previous_pipeline_source": "record",
            },
            "thresholds": {"trend_band": 0.02},
            "message": "Rep R4 (Dan)'s pipeline fell 10% ($100,000.00 to $90,000.00), more than "
            "the 2% band.",
        }
    ]


def test_flag_counts(report: dict[str, Any]) -> None:
    assert report["flag_counts"] == [
        {
            "rule": "stalled_deal",
            "subject_type": "deal",
            "severity": "warning",
            "total": 3,
            "shown": 3,
        },
        {
            "rule": "at_risk_deal",
            "subject_type": "deal",
            "severity": "warning",
            "total": 3,
            "shown": 3,
        },
        {
            "rule": "stale_high_probability",
            "subject_type": "deal",
            "severity": "warning",
            "total": 0,
            "shown": 0,
        },
        # no deal has a close date: none is past it
        {"rule": "past_close_date", "subject_type": "deal", "severity": "warning"}
        | {"total": 0, "shown": 0},
        # no history of close dates: the pushes are unknown, nothing is flagged (D49)
        {"rule": "repeatedly_pushed", "subject_type": "deal", "severity": "warning"}
        | {"total": 0, "shown": 0},
        {
            "rule": "needs_coaching",
            "subject_type": "rep",
            "severity": "warning",
            "total": 2,
            "shown": 2,
        },
        {
            "rule": "coaching_candidate",
            "subject_type": "rep",
            "severity": "info",
            "total": 2,
            "shown": 2,
        },
        {"rule": "benchmark", "subject_type": "rep", "severity": "info", "total": 1, "shown": 1},
        {
            "rule": "pipeline_declining",
            "subject_type": "rep",
            "severity": "warning",
            "total": 1,
            "shown": 1,
        },
        # FY2026-Q1 (January to March 2026): no deal has a close date, so R1, R2 and R3 have
        # no pipeline against a quarter of their 100,000 quota (coverage 0x < 3x); R4 has no
        # quota
        {"rule": "low_coverage", "subject_type": "rep", "severity": "warning"}
        | {"total": 3, "shown": 3},
    ]
    # flags are listed in rule order
    rules = [f["rule"] for f in report["flags"]]
    assert (
        rules
        == ["stalled_deal"] * 3
        + ["at_risk_deal"] * 3
        + ["needs_coaching"] * 2
        + ["coaching_candidate"] * 2
        + ["benchmark", "pipeline_declining"]
        + ["low_coverage"] * 3
    )
    # coverage ties at 0x: by rep id
    assert [f["subject_id"] for f in _flags(report, "low_coverage")] == ["R1", "R2", "R3"]


def test_max_per_rule_keeps_highest_value_deals() -> None:
    policy = policy_from_dict({"flags": {"max_per_rule": 2}})
    report = build_report(DEALS, REPS, as_of=AS_OF, policy=policy).model_dump(mode="json")
    # stalled D2 (3000), D1 (1000) kept, D7 (800) dropped; at risk D1 (1000), D7 (800) kept
    assert [f["subject_id"] for f in _flags(report, "stalled_deal")] == ["D2", "D1"]
    assert [f["subject_id"] for f in _flags(report, "at_risk_deal")] == ["D1", "D7"]
    assert _counts(report) == {
        "stalled_deal": (3, 2),
        "at_risk_deal": (3, 2),
        "stale_high_probability": (0, 0),
        "past_close_date": (0, 0),
        "repeatedly_pushed": (0, 0),
        "needs_coaching": (2, 2),
        "coaching_candidate": (2, 2),
        "benchmark": (1, 1),
        "pipeline_declining": (1, 1),
        "low_coverage": (3, 2),  # R1, R2 listed (ties by id), R3 cut
    }
    # the summary counts are never capped
    assert report["pipeline_summary"]["stalled_deals_count"] == 3
    assert report["pipeline_summary"]["at_risk_deals_count"] == 3


def test_custom_stalled_threshold() -> None:
    policy = policy_from_dict({"pipeline": {"stalled_deal_days_in_stage": 10}})
    report = build_report(DEALS, REPS, as_of=AS_OF, policy=policy).model_dump(mode="json")
    # active with days >= 10: D1 (25), D2 (21), D3 (20), D7 (30); D4 (0) is not
    assert report["pipeline_summary"]["stalled_deals_count"] == 4
    assert [f["subject_id"] for f in _flags(report, "stalled_deal")] == ["D2", "D3", "D1", "D7"]
    assert _flag(report, "stalled_deal", "D3")["thresholds"] == {"stalled_deal_days_in_stage": 10}
    assert _flag(report, "stalled_deal", "D3")["message"] == (
        "Deal D3 has been in its stage 20 days, at or above the 10-day threshold (value $1,500.00)."
    )


# --- explain -------------------------------------------------------------------------------
def test_explain_deal_gives_every_verdict(report: dict[str, Any]) -> None:
    verdicts = [v.model_dump(mode="json") for v in explain("D1", DEALS, REPS, as_of=AS_OF)]
    assert [(v["rule"], v["fired"]) for v in verdicts] == [
        ("stalled_deal", True),
        ("at_risk_deal", True),
        ("stale_high_probability", False),
        ("past_close_date", False),
        ("repeatedly_pushed", False),  # no history: pushes unknown (D49)
    ]
    assert [{k: v for k, v in verdict.items() if k != "fired"} for verdict in verdicts[:2]] == [
        _flag(report, "stalled_deal", "D1"),
        _flag(report, "at_risk_deal", "D1"),
    ]


def test_explain_is_never_capped() -> None:
    policy = policy_from_dict({"flags": {"max_per_rule": 1}})
    # D7 is 3rd by value among stalled deals and 2nd among at-risk ones: capped in the report
    assert [(v.rule, v.fired) for v in explain("D7", DEALS, REPS, policy=policy, as_of=AS_OF)] == [
        ("stalled_deal", True),
        ("at_risk_deal", True),
        ("stale_high_probability", False),
        ("past_close_date", False),
        ("repeatedly_pushed", False),  # no history: pushes unknown (D49)
    ]


def test_explain_rep_says_why_a_rule_does_not_fire() -> None:
    verdicts = {v.rule: v for v in explain("R2", DEALS, REPS, as_of=AS_OF)}
    assert [(rule, v.fired) for rule, v in verdicts.items()] == [
        ("needs_coaching", True),
        ("coaching_candidate", True),
        ("benchmark", True),
        ("pipeline_declining", False),
        ("low_coverage", True),
    ]
    quiet = verdicts["pipeline_declining"]
    assert quiet.observed["pipeline_change_pct"] == 2.0
    assert quiet.thresholds == {"trend_band": 0.02}
    assert quiet.message == (
        "Rep R2 (Bob)'s pipeline rose 2% ($100,000.00 to $102,010.00), not a fall of more "
        "than the 2% band."
    )


def test_explain_deal_without_flags() -> None:
    verdicts = explain("D3", DEALS, REPS, as_of=AS_OF)
    assert [(v.rule, v.fired) for v in verdicts] == [
        ("stalled_deal", False),
        ("at_risk_deal", False),
        ("stale_high_probability", False),
        ("past_close_date", False),
        ("repeatedly_pushed", False),  # no history: pushes unknown (D49)
    ]
    assert verdicts[0].message == (
        "Deal D3 has been in its stage 20 days, below the 21-day threshold."
    )
    assert verdicts[1].message == "Deal D3 carries no risk flag."
    won = explain("D5", DEALS, REPS, as_of=AS_OF)
    assert [v.observed["status"] for v in won] == ["won"] * 5
    assert won[0].message == "Deal D5 is not active (status 'won'); only active deals are judged."


def test_explain_unknown_id() -> None:
    with pytest.raises(NotFoundError) as info:
        explain("d1", DEALS, REPS, as_of=AS_OF)  # ids are case-sensitive
    assert str(info.value) == (
        "no deal or rep with id 'd1' (ids are case-sensitive; a deal without an id is named "
        '"row N" (its data row, header excluded))'
    )
