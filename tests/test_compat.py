"""pipereview.compat: the reference signatures, with hand-computed values."""

from __future__ import annotations

from decimal import Decimal

from pipereview import compat

DEALS = [
    {"deal_id": 11, "rep_id": 2, "status": "active", "deal_value_usd": 1000, "probability": 0.5,
     "days_in_stage": 30},
    {"deal_id": 12, "rep_id": 2, "status": "won", "deal_value_usd": 400, "probability": 1.0},
    {"rep_id": 1, "status": "active", "deal_value_usd": 3000, "probability": 0.2},
]  # fmt: skip
REPS = [
    {"rep_id": 2, "rep_name": "Bo", "quota_usd": 1000, "year_to_date_revenue_usd": 500},
    {"rep_id": 1, "rep_name": "Ann", "quota_usd": 1000, "year_to_date_revenue_usd": 900},
]


def test_pipeline_summary_with_flat_thresholds() -> None:
    summary = compat.build_pipeline_summary(DEALS, {"stalled_deal_days_in_stage": 30})
    assert summary == {
        "total_deals": 3,
        "active_deals": 2,
        "won_deals": 1,
        "lost_deals": 0,
        "total_pipeline_value": Decimal("4000.00"),  # 1000 + 3000
        "weighted_pipeline_value": Decimal("1100.00"),  # 500 + 600
        "average_deal_size": Decimal("2000.00"),
        "win_rate": 1.0,
        "stalled_deals_count": 1,  # 30 >= 30
        "at_risk_deals_count": 0,
    }


def test_rep_rows_keep_the_given_order_and_id_values() -> None:
    rows = compat.build_rep_performance_summary(DEALS, REPS)
    assert [(r["rep_id"], r["rep_name"]) for r in rows] == [(2, "Bo"), (1, "Ann")]
    bo, ann = rows
    assert (bo["active_deals"], bo["pipeline_value"], bo["close_rate"]) == (1, 1000, 1.0)
    assert bo["top_opportunities"] == [11]  # the caller's id, not "11"
    assert (bo["quota_achievement"], bo["needs_coaching"]) == (0.5, True)
    assert ann["top_opportunities"] == ["#3"]  # a deal without an id: its position
    assert (ann["quota_achievement"], ann["needs_coaching"]) == (0.9, False)
    # the reference keys only: no pace (it needs a report date, which these do not take)
    assert list(bo) == [
        "rep_id",
        "rep_name",
        "active_deals",
        "pipeline_value",
        "close_rate",
        "close_rate_source",
        "quota_achievement",
        "needs_coaching",
        "top_opportunities",
    ]


def test_a_rep_given_twice_gets_a_row_each_time() -> None:
    reps = [{"rep_id": 7, "quota_3m": 100, "closed_won_3m_current": 50}] * 2
    rows = compat.build_rep_performance(reps)
    assert [(r["rep_id"], r["quota_attainment_pct"], r["benchmark"]) for r in rows] == [
        (7, 50.0, True),
        (7, 50.0, True),
    ]
