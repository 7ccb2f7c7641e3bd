"""Won revenue by hand: the summary's won value, the fiscal periods to date, the reps'
recorded revenue beside them, the average won deal, the median sales cycle, and each rep's
won and lost counts and won value (docs/metrics.md "Pipeline summary")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd

from pipereview.api import build_report
from pipereview.policy import policy_from_dict
from tests.support.oracle import oracle_report

AS_OF = dt.date(2026, 11, 20)  # FY2026-Q4 (Oct 1 - Dec 31) of a calendar fiscal year


def _deal(deal_id: str, rep: str, status: str, value: float, created: Any, close: Any) -> dict:
    return {
        "deal_id": deal_id,
        "rep_id": rep,
        "status": status,
        "deal_value_usd": value,
        "probability": 1.0 if status == "won" else 0.5,
        "created_date": created and dt.date.fromisoformat(created),
        "close_date": close and dt.date.fromisoformat(close),
    }


DEALS = [
    _deal("D1", "R1", "won", 100, "2026-10-01", "2026-10-11"),  # 10 days, this quarter
    _deal("D2", "R1", "won", 50.5, "2026-01-01", "2026-03-01"),  # 59 days, this year
    _deal("D3", "R2", "won", 10, None, "2025-12-01"),  # last year, no cycle
    _deal("D4", "R2", "won", 1000, "2026-11-01", "2026-12-15"),  # after as_of: no period
    _deal("D5", "R2", "won", 3, "2026-06-02", "2026-06-01"),  # closed before created
    _deal("D6", "R2", "lost", 7, None, None),
    _deal("D7", "R2", "active", 7, None, None),
]
REPS = [
    {"rep_id": "R1", "year_to_date_revenue_usd": 1000.0},
    {"rep_id": "R2", "year_to_date_revenue_usd": 234.5},
    {"rep_id": "R3", "year_to_date_revenue_usd": None},
]
WANT = {
    "won_value": Decimal("1163.50"),  # 100 + 50.5 + 10 + 1000 + 3
    "won_value_quarter_to_date": Decimal("100.00"),  # D1 (D4 closes after as_of)
    "won_value_year_to_date": Decimal("153.50"),  # D1 + D2 + D5 (2026-06-01)
    "sales_cycle_deals": 3,  # D1 (10), D2 (59), D4 (44); D3 lacks created, D5 is negative
    "recorded_year_to_date_revenue": Decimal("1234.50"),  # 1000 + 234.5 (R3 has none)
    "average_won_deal_size": Decimal("232.70"),  # 1163.5 / 5
    "median_sales_cycle_days": 44.0,  # 10, 44, 59
}


def _report(deals: list[dict], reps: list[dict], **policy: Any) -> Any:
    return build_report(
        pd.DataFrame(deals),
        pd.DataFrame(reps),
        as_of=AS_OF,
        policy=policy_from_dict(policy) if policy else None,
    )


def test_won_summary_by_hand() -> None:
    summary = _report(DEALS, REPS).pipeline_summary.model_dump()
    assert {k: summary[k] for k in WANT} == WANT
    oracle = oracle_report(DEALS, REPS)["pipeline_summary"]
    assert {k: oracle[k] for k in WANT} == WANT


def test_even_count_median_is_the_mean_of_the_two_middle_values() -> None:
    deals = [d for d in DEALS if d["deal_id"] != "D4"]  # cycles 10 and 59
    summary = _report(deals, REPS).pipeline_summary
    assert summary.median_sales_cycle_days == 34.5  # (10 + 59) / 2
    assert summary.sales_cycle_deals == 2


def test_no_won_deal_gives_zero_average_and_no_median() -> None:
    summary = _report(DEALS[5:], [{"rep_id": "R1"}]).pipeline_summary
    assert summary.won_value == 0
    assert summary.average_won_deal_size == 0
    assert summary.median_sales_cycle_days is None
    assert summary.recorded_year_to_date_revenue is None  # no rep has the figure


def test_periods_follow_the_fiscal_calendar() -> None:
    # fiscal year from November: FY2027 began 2026-11-01, and so did its Q1
    summary = _report(DEALS, REPS, calendar={"fiscal_year_start_month": 11}).pipeline_summary
    assert summary.won_value_quarter_to_date == Decimal("0.00")  # D1 closed 2026-10-11
    assert summary.won_value_year_to_date == Decimal("0.00")
    # from July: FY2027 began 2026-07-01, its Q2 2026-10-01
    summary = _report(DEALS, REPS, calendar={"fiscal_year_start_month": 7}).pipeline_summary
    assert summary.won_value_quarter_to_date == Decimal("100.00")  # D1
    assert summary.won_value_year_to_date == Decimal("100.00")  # D2 (March), D5 (June) before


def test_rep_rows_carry_won_and_lost() -> None:
    rows = {r.rep_id: r for r in _report(DEALS, REPS).rep_performance}
    assert (rows["R1"].won_deals, rows["R1"].lost_deals, rows["R1"].won_value) == (
        2,
        0,
        Decimal("150.50"),  # 100 + 50.5
    )
    assert (rows["R2"].won_deals, rows["R2"].lost_deals, rows["R2"].won_value) == (
        3,
        1,
        Decimal("1013.00"),  # 10 + 1000 + 3
    )
    assert (rows["R3"].won_deals, rows["R3"].lost_deals, rows["R3"].won_value) == (0, 0, 0)
