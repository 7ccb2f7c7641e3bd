"""Hand-computed unit tests of the test oracle (tests/support/oracle.py) itself.

Every expected number below was worked out by hand from DESIGN.md and docs/decisions.md, so
the oracle the engine is compared with is itself checked against the written contract.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.oracle import oracle_report


def _deal(
    deal_id: str,
    rep_id: str | None,
    status: str | None,
    value=None,
    prob=None,
    days=None,
    flags=None,
) -> dict:
    return {
        "deal_id": deal_id,
        "rep_id": rep_id,
        "status": status,
        "deal_value_usd": value,
        "probability": prob,
        "days_in_stage": days,
        "risk_flags": flags,
    }


def _rep(rep_id: str | None, **fields) -> dict:
    return {"rep_id": rep_id, "rep_name": f"Name {rep_id}", **fields}


def _perf(report: dict, rep_id: str) -> dict:
    return next(r for r in report["rep_performance"] if r["rep_id"] == rep_id)


def _traj(report: dict, rep_id: str) -> dict:
    return next(r for r in report["rep_trajectory"] if r["rep_id"] == rep_id)


def test_four_deals_exact_summary() -> None:
    deals = [
        _deal("D1", "R1", "active", 1000, 0.5, 25, ["no_champion"]),
        _deal("D2", "R1", "active", 3000, 0.2, 21, []),
        _deal("D3", "R2", "won", 500, 1.0, 3),
        _deal("D4", "R2", "lost", 700, 0.0, 2, ["budget_cut"]),
    ]
    summary = oracle_report(deals, [])["pipeline_summary"]
    assert summary == {
        "total_deals": 4,
        "active_deals": 2,
        "won_deals": 1,
        "lost_deals": 1,
        "total_pipeline_value": 4000.0,  # 1000 + 3000
        "weighted_pipeline_value": 1100.0,  # 500 + 600
        "average_deal_size": 2000.0,  # 4000 / 2
        "win_rate": 0.5,  # 1 / (1 + 1)
        "stalled_deals_count": 2,  # 25 >= 21 and 21 >= 21
        "at_risk_deals_count": 1,  # D4 is flagged but not active
        "won_value": 500.0,  # D3
        "won_value_quarter_to_date": 0.0,  # D3 has no close date: in no period
        "won_value_year_to_date": 0.0,
        "sales_cycle_deals": 0,  # no dates
        "recorded_year_to_date_revenue": None,  # no rep records
        "average_won_deal_size": 500.0,  # 500 / 1
        "median_sales_cycle_days": None,
    }


def test_no_deals_and_no_closed_deals_give_zero_rates() -> None:
    empty = oracle_report([], [])["pipeline_summary"]
    assert empty["average_deal_size"] == 0
    assert empty["win_rate"] == 0
    only_active = oracle_report([_deal("D1", "R1", "active", 10, 0.1)], [])
    assert only_active["pipeline_summary"]["win_rate"] == 0
    assert only_active["pipeline_summary"]["average_deal_size"] == 10.0


def test_missing_deal_values_count_as_zero() -> None:
    deals = [_deal("D1", "R1", "active"), _deal("D2", "R1", "active", 300, None, None, None)]
    summary = oracle_report(deals, [])["pipeline_summary"]
    assert summary["total_pipeline_value"] == 300.0
    assert summary["weighted_pipeline_value"] == 0.0  # missing probability = 0
    assert summary["average_deal_size"] == 150.0
    assert summary["stalled_deals_count"] == 0  # missing days = 0
    assert summary["at_risk_deals_count"] == 0  # missing flags = none


def test_unknown_status_counts_only_in_total() -> None:
    deals = [
        _deal("D1", "R1", "Open", 100, 0.5, 30, ["x"]),
        _deal("D2", "R1", "activ", 100, 0.5, 30, ["x"]),
        _deal("D3", "R1", None, 100, 0.5, 30, ["x"]),
        _deal("D4", "R1", "active", 40, 0.5, 1),
    ]
    report = oracle_report(deals, [_rep("R1")])
    summary = report["pipeline_summary"]
    assert summary["total_deals"] == 4
    assert (summary["active_deals"], summary["won_deals"], summary["lost_deals"]) == (1, 0, 0)
    assert summary["total_pipeline_value"] == 40.0
    assert summary["stalled_deals_count"] == 0
    assert summary["at_risk_deals_count"] == 0
    assert _perf(report, "R1")["active_deals"] == 1
    assert _perf(report, "R1")["close_rate_source"] == "none"


def test_statuses_are_trimmed_and_case_folded() -> None:
    deals = [_deal("D1", "R1", " Won ", 100, 0.5), _deal("D2", "R1", "ACTIVE", 40, 0.5)]
    summary = oracle_report(deals, [_rep("R1")])["pipeline_summary"]
    assert (summary["active_deals"], summary["won_deals"]) == (1, 1)


def test_zero_or_missing_quota_gives_null_and_no_coaching() -> None:
    reps = [
        _rep(
            "R1",
            quota_usd=0,
            year_to_date_revenue_usd=5000,
            quota_3m=0,
            closed_won_3m_current=100,
            risk_velocity_flag="stable",
        ),
        _rep(
            "R2",
            quota_usd=None,
            year_to_date_revenue_usd=5000,
            quota_3m=None,
            closed_won_3m_current=100,
            risk_velocity_flag="stable",
        ),
    ]
    report = oracle_report([], reps)
    for rep_id in ("R1", "R2"):
        assert _perf(report, rep_id)["quota_achievement"] is None
        assert _perf(report, rep_id)["needs_coaching"] is False
        assert _traj(report, rep_id)["quota_attainment_pct"] is None
        assert _traj(report, rep_id)["coaching_candidate"] is False
        assert _traj(report, rep_id)["benchmark"] is False
    assert _traj(report, "R1")["quota_3m"] == 0.0
    assert report["flag_counts"]["benchmark"] == 0


def test_needs_coaching_compares_unrounded_achievement() -> None:
    reps = [
        _rep("R1", quota_usd=1000, year_to_date_revenue_usd=700),  # exactly 0.7: no
        _rep("R2", quota_usd=1000, year_to_date_revenue_usd=699),  # 0.699 -> shown 0.7: yes
        _rep("R3", quota_usd=3, year_to_date_revenue_usd=4),  # 1.333.. -> 1.33
    ]
    report = oracle_report([], reps)
    assert (_perf(report, "R1")["quota_achievement"], _perf(report, "R1")["needs_coaching"]) == (
        0.7,
        False,
    )
    assert (_perf(report, "R2")["quota_achievement"], _perf(report, "R2")["needs_coaching"]) == (
        0.7,
        True,
    )
    assert _perf(report, "R3")["quota_achievement"] == 1.33
    assert report["flag_counts"]["needs_coaching"] == 1


def test_top_opportunities_ordered_by_weighted_value_ties_by_deal_id() -> None:
    deals = [
        _deal("D9", "R1", "active", 1000, 0.5),  # 500
        _deal("D2", "R1", "active", 500, 1.0),  # 500, ties with D9 -> D2 first
        _deal("D5", "R1", "active", 2000, 0.5),  # 1000
        _deal("D1", "R1", "active", 100, 0.5),  # 50, fourth: cut
        _deal("D0", "R1", "won", 99999, 1.0),  # not active
        _deal("D3", "R2", "active", 99999, 1.0),  # another rep
    ]
    report = oracle_report(deals, [_rep("R1"), _rep("R2")])
    assert _perf(report, "R1")["top_opportunities"] == ["D5", "D2", "D9"]
    assert _perf(report, "R1")["active_deals"] == 4
    assert _perf(report, "R1")["pipeline_value"] == 3600.0
    assert _perf(report, "R2")["top_opportunities"] == ["D3"]
    two = oracle_report(deals, [_rep("R1")], {"top_opportunities": 2})
    assert _perf(two, "R1")["top_opportunities"] == ["D5", "D2"]


def test_close_rate_from_record_or_deals_or_none() -> None:
    deals = [
        _deal("D1", "R1", "won"),
        _deal("D2", "R1", "won"),
        _deal("D3", "R1", "lost"),
        _deal("D4", "R2", "won"),
        _deal("D5", "R3", "active"),
    ]
    reps = [_rep("R1", close_rate=None), _rep("R2", close_rate=0.456), _rep("R3")]
    report = oracle_report(deals, reps)
    assert (_perf(report, "R1")["close_rate"], _perf(report, "R1")["close_rate_source"]) == (
        0.67,
        "deals",
    )  # 2 / 3
    assert (_perf(report, "R2")["close_rate"], _perf(report, "R2")["close_rate_source"]) == (
        0.46,
        "record",
    )
    assert (_perf(report, "R3")["close_rate"], _perf(report, "R3")["close_rate_source"]) == (
        None,
        "none",
    )


def test_benchmark_tie_goes_to_lowest_rep_id() -> None:
    reps = [
        _rep("R3", quota_3m=100, closed_won_3m_current=150),  # 1.5
        _rep("R2", quota_3m=50, closed_won_3m_current=75),  # 1.5
        _rep("R1", quota_3m=100, closed_won_3m_current=120),  # 1.2
        _rep("R0", quota_3m=0, closed_won_3m_current=500),  # no quota: not eligible
    ]
    report = oracle_report([], reps)
    assert [r["rep_id"] for r in report["rep_trajectory"]] == ["R0", "R1", "R2", "R3"]
    assert [r["benchmark"] for r in report["rep_trajectory"]] == [False, False, True, False]
    assert _traj(report, "R2")["quota_attainment_pct"] == 150.0
    assert report["flag_counts"]["benchmark"] == 1


@pytest.mark.parametrize(
    ("current", "previous", "trend"),
    [
        (102, 100, "stable"),  # exactly +2 %
        (98, 100, "stable"),  # exactly -2 %
        (102.5, 100, "improving"),
        (97, 100, "declining"),
        (500, None, "stable"),
        (500, 0, "stable"),
        (None, 100, "stable"),
    ],
)
def test_pipeline_trend_band(current, previous, trend) -> None:
    rep = _rep("R1", current_pipeline_value=current, previous_pipeline_value=previous)
    report = oracle_report([], [rep])
    assert _traj(report, "R1")["pipeline_trend"] == trend
    assert report["flag_counts"]["pipeline_declining"] == (trend == "declining")


def test_messy_risk_velocity_makes_coaching_candidate() -> None:
    reps = [
        _rep("R1", quota_3m=100, closed_won_3m_current=200, risk_velocity_flag=" Increasing "),
        _rep("R2", quota_3m=100, closed_won_3m_current=200, risk_velocity_flag="STABLE  "),
        _rep("R3", risk_velocity_flag=None),
    ]
    report = oracle_report([], reps)
    assert _traj(report, "R1")["risk_velocity_flag"] == "increasing"
    assert _traj(report, "R1")["coaching_candidate"] is True
    assert _traj(report, "R2")["risk_velocity_flag"] == "stable"
    assert _traj(report, "R2")["coaching_candidate"] is False
    assert _traj(report, "R3")["risk_velocity_flag"] is None
    assert _traj(report, "R3")["coaching_candidate"] is False
    assert report["flag_counts"]["coaching_candidate"] == 1


def test_coaching_candidate_below_ninety_percent_of_quota() -> None:
    reps = [
        _rep("R1", quota_3m=1000, closed_won_3m_current=900),  # exactly 90 %: no
        _rep("R2", quota_3m=1000, closed_won_3m_current=899),  # 89.9 %: yes
        _rep("R3", quota_3m=3, closed_won_3m_current=2),  # 66.666.. -> 66.7 %
        _rep("R4", quota_3m=1000, closed_won_3m_current=None),  # unknown: no
    ]
    report = oracle_report([], reps)
    assert [r["coaching_candidate"] for r in report["rep_trajectory"]] == [False, True, True, False]
    assert _traj(report, "R2")["quota_attainment_pct"] == 89.9
    assert _traj(report, "R3")["quota_attainment_pct"] == 66.7
    assert _traj(report, "R4")["quota_attainment_pct"] is None


def test_rep_rows_first_occurrence_wins_and_echoes_are_normalised() -> None:
    reps = [
        _rep("R2", rep_name="First", quota_3m=100.004, risk_score_current=7.9),
        _rep(None, rep_name="No id"),
        _rep("R1", rep_name="One", risk_score_current=-1.5, current_pipeline_value=10.125),
        _rep("R2", rep_name="Second"),
    ]
    deals = [_deal("D1", "R9", "active", 50, 0.5), _deal("D2", "R2", "active", 20, 0.5)]
    report = oracle_report(deals, reps)
    assert [r["rep_id"] for r in report["rep_performance"]] == ["R1", "R2"]
    assert [r["rep_name"] for r in report["rep_trajectory"]] == ["One", "First"]
    assert _traj(report, "R2")["quota_3m"] == 100.0
    assert _traj(report, "R2")["risk_score_current"] == 7
    assert _traj(report, "R1")["risk_score_current"] == -1
    assert _traj(report, "R1")["current_pipeline_value"] == Decimal("10.12")  # .125: half-even
    # The orphan deal (R9) counts in the summary but in no rep row.
    assert report["pipeline_summary"]["total_pipeline_value"] == 70.0
    assert sum(r["pipeline_value"] for r in report["rep_performance"]) == 20.0


def test_flag_counts_count_duplicate_deal_rows_and_follow_policy() -> None:
    deals = [
        _deal("D1", "R1", "active", 10, 0.1, 30, ["a", "b"]),
        _deal("D1", "R1", "active", 10, 0.1, 30, ["a", "b"]),
        _deal("D2", "R1", "active", 10, 0.1, 25),
    ]
    report = oracle_report(deals, [_rep("R1")])
    assert report["flag_counts"]["stalled_deal"] == 3
    assert report["flag_counts"]["at_risk_deal"] == 2
    assert _perf(report, "R1")["top_opportunities"] == ["D1", "D1", "D2"]
    strict = oracle_report(deals, [_rep("R1")], {"stalled_deal_days_in_stage": 30})
    assert strict["flag_counts"]["stalled_deal"] == 2


def test_probability_outside_unit_interval_is_an_error() -> None:
    with pytest.raises(ValueError, match="probability"):
        oracle_report([_deal("D1", "R1", "active", 10, 65)], [])
