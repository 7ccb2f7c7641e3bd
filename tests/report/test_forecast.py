"""The forecast call (issue 10): forecast categories, the roll-ups at every level (rep,
manager, team, region, company), quota, gap and coverage, the pipeline by close month, the
past_close_date and low_coverage flags, pace, and DuckDB/Spark and CLI parity.

Every expected number below was worked out by hand from the issue's contract; the arithmetic
is in the comment next to each literal. The fiscal year starts in February (policy), so
FY2027-Q1 is 2026-02-01..2026-04-30 (the quarter holding as_of 2026-03-15), FY2027-Q2 is
2026-05-01..2026-07-31, and a quarter's quota is a quarter of the record's annual quota_usd.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview import api
from pipereview.errors import InputError
from pipereview.periods import ACCEPTED
from pipereview.report.forecast import resolve_period
from tests.support.cli import pipereview as run

D = Decimal
AS_OF = dt.date(2026, 3, 15)
SCHEMA = Path(__file__).parents[2] / "src" / "pipereview" / "schemas" / "report.schema.json"
POLICY: dict[str, Any] = {
    "calendar": {"fiscal_year_start_month": 2},
    "forecast": {"category_by_stage": {"Negotiation": "best_case"}},
}


def _deal(
    deal_id: str,
    rep_id: str | None,
    status: str,
    value: float,
    prob: float,
    close: str | None,
    category: str | None = None,
    stage: str | None = None,
) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "rep_id": rep_id,
        "status": status,
        "deal_value_usd": value,
        "probability": prob,
        "close_date": close,
        "forecast_category": category,
        "stage": stage,
    }


# The hierarchy: V1 <- M1, M2 (both reps of their own); M1 <- R1, R2; M2 <- R3; R4 reports
# to X9, a manager id with no rep record; R5 names itself as its manager (so has none).
# V1 and M2 are managers with no deals of their own. Quarter quotas (annual x 0.25) in the
# comments; V1 and R2 have none, R5's is 0 (so R5 is also "without quota").
REPS = [
    # rep_id, rep_name, manager_id, team, region, quota_usd
    dict(zip(("rep_id", "rep_name", "manager_id", "team", "region", "quota_usd"), row, strict=True))
    for row in (
        ("V1", "Vera", None, None, "EMEA", None),  # no quota
        ("M1", "Mia", "V1", "Alpha", "EMEA", 400000.0),  # quarter 100000
        ("M2", "Max", "V1", "Beta", "AMER", 200000.0),  # quarter 50000
        ("R1", "Ann", "M1", "Alpha", "EMEA", 240000.0),  # quarter 60000
        ("R2", "Bob", "M1", "Alpha", "EMEA", None),  # no quota
        ("R3", "Cy", "M2", "Beta", "AMER", 120000.0),  # quarter 30000
        ("R4", "Dee", "X9", None, "AMER", 12000.0),  # quarter 3000
        ("R5", "Eve", "R5", "Beta", None, 0.0),  # quarter 0: without quota
    )
]

# FY2027-Q1 = 2026-02-01..2026-04-30; as_of 2026-03-15. "in Q1" / "Q2" / "before" below.
DEALS = [
    _deal("D01", "M1", "won", 10000, 1.0, "2026-02-10"),  # closed won in Q1
    _deal("D02", "M1", "active", 20000, 0.5, "2026-04-15", "Commit"),  # commit, Q1
    _deal("D03", "M1", "active", 5000, 0.2, "2026-03-31", None, "Negotiation"),  # stage: best
    _deal("D04", "R1", "won", 30000, 1.0, "2026-01-20"),  # won before the quarter: not in it
    _deal("D05", "R1", "won", 15000.50, 1.0, "2026-04-30", "Pipeline"),  # won on Q1's last day
    _deal("D06", "R1", "active", 40000, 0.25, "2026-02-28", "Best Case", "Proposal"),  # slipped
    _deal("D07", "R1", "active", 12000, 0.1, "2026-06-10", "pipeline"),  # Q2 (June)
    _deal("D08", "R1", "lost", 9000, 0.0, "2026-03-01", "Commit"),  # lost: in nothing
    _deal("D09", "R2", "active", 8000, 0.4, "2026-03-20", "Omitted"),  # omitted, Q1
    _deal("D10", "R2", "active", 6000, 0.3, "2026-04-01", None, "Discovery"),  # default: pipeline
    _deal("D11", "R2", "active", 7000, 0.5, None, "Commit"),  # no close date: in no period
    _deal("D12", "R2", "active", 3000, 0.5, "2025-12-15", "BestCase"),  # slipped, before Q1
    _deal("D13", "R3", "active", 25000.25, 0.6, "2026-03-16", "Forecast", "Negotiation"),  # commit
    _deal("D14", "R3", "won", 5000, 1.0, "2026-03-14"),  # closed won in Q1
    _deal("D15", "R4", "active", 10000, 0.5, "2026-02-15", "Pipeline"),  # pipeline, slipped
    _deal("D16", "R5", "active", 2000, 0.5, "2026-05-05", "Most Likely"),  # best case, Q2 (May)
    _deal("D17", "R99", "active", 4000, 0.5, "2026-04-10", "commit"),  # unknown rep: commit
    _deal("D18", None, "won", 1000, 1.0, "2026-02-02"),  # no rep: closed won in Q1
    _deal("D19", "R3", "active", 1000, 0.1, "2026-04-20", "Closed", "negotiation"),  # stage: best
    _deal("D20", "R4", "active", 500, 0.2, "2026-03-31", "Upside"),  # unknown category: default
    _deal("D21", "R5", "won", 700, 1.0, "2026-04-02"),  # closed won above R5's 0 quota
]

MONEY_FIELDS = (
    "closed_won",
    "commit",
    "best_case",
    "pipeline",
    "omitted",
    "commit_forecast",
    "best_case_forecast",
    "open_pipeline",
    "weighted_open_pipeline",
    "slipped_value",
)
COUNT_FIELDS = (
    "reps",
    "closed_won_deals",
    "commit_deals",
    "best_case_deals",
    "pipeline_deals",
    "omitted_deals",
    "commit_forecast_deals",
    "best_case_forecast_deals",
    "open_pipeline_deals",
    "reps_without_quota",
    "slipped_deals",
    "deals_without_close_date",
    "categorized_by_stage",
    "categorized_by_default",
)


def _expect(
    level: str, key: str | None, name: str | None, parent: str | None, **figures: Any
) -> dict[str, Any]:
    """A whole ForecastRow as model_dump gives it: zeros (and no quota, gap or coverage)
    for every figure not named."""
    row: dict[str, Any] = {"level": level, "id": key, "name": name, "parent": parent}
    record = next((r for r in REPS if r["rep_id"] == key), {}) if level == "rep" else {}
    row |= {"team": record.get("team"), "region": record.get("region")}  # a rep's own
    row |= {field: D(0) for field in MONEY_FIELDS} | {field: 0 for field in COUNT_FIELDS}
    row |= {
        "quota": None,
        "quota_source": "reps",
        "gap_to_quota": None,
        "coverage": None,
        "weighted_coverage": None,
        "low_coverage": False,
    }
    unknown = set(figures) - set(row)
    assert not unknown, unknown
    return row | figures


def _forecast(**kwargs: Any) -> api.Forecast:
    options: dict[str, Any] = {"as_of": AS_OF, "period": "FY2027-Q1", "policy": POLICY}
    return api.forecast(DEALS, REPS, **(options | kwargs))


@pytest.fixture(scope="module")
def forecast() -> api.Forecast:
    return _forecast()


def _dump(rows: list[Any]) -> list[dict[str, Any]]:
    return [r.model_dump() for r in rows]


# --- the fiscal period ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("period", "start_month", "expected"),
    [
        ("FY2027-Q1", 2, ("FY2027-Q1", dt.date(2026, 2, 1), dt.date(2026, 4, 30))),
        ("2027-Q1", 2, ("FY2027-Q1", dt.date(2026, 2, 1), dt.date(2026, 4, 30))),
        ("fy2027q4", 2, ("FY2027-Q4", dt.date(2026, 11, 1), dt.date(2027, 1, 31))),  # Nov-Jan
        ("this-quarter", 2, ("FY2027-Q1", dt.date(2026, 2, 1), dt.date(2026, 4, 30))),
        ("next-quarter", 2, ("FY2027-Q2", dt.date(2026, 5, 1), dt.date(2026, 7, 31))),
        # A calendar fiscal year is named by its own year: 2026-03-15 is in FY2026-Q1.
        ("this-quarter", 1, ("FY2026-Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31))),
        ("FY2026-Q4", 1, ("FY2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31))),
    ],
)
def test_periods_resolve_on_the_fiscal_calendar(
    period: str, start_month: int, expected: tuple[str, dt.date, dt.date]
) -> None:
    assert resolve_period(period, AS_OF, start_month) == expected


@pytest.mark.parametrize("period", ["FY2027-Q5", "2027", ""])
def test_an_unknown_period_is_an_input_error(period: str) -> None:
    with pytest.raises(InputError, match="unknown period"):
        resolve_period(period, AS_OF, 2)


# --- the hand-computed fixture: company, reps, managers, teams, regions, months ------------
def test_forecast_header(forecast: api.Forecast) -> None:
    assert (forecast.period, forecast.period_start, forecast.period_end) == (
        "FY2027-Q1",
        dt.date(2026, 2, 1),
        dt.date(2026, 4, 30),
    )
    assert forecast.as_of == AS_OF
    assert forecast.low_coverage_below == 3.0  # the policy default


def test_company_row(forecast: api.Forecast) -> None:
    assert forecast.company.model_dump() == _expect(
        "company",
        None,
        None,
        None,
        reps=8,  # every rep record; R99 and the deal without a rep are not reps
        closed_won=D("31700.50"),  # D01 10000 + D05 15000.50 + D14 5000 + D18 1000 + D21 700
        closed_won_deals=5,
        commit=D("49000.25"),  # D02 20000 + D13 25000.25 + D17 4000
        commit_deals=3,
        best_case=D("46000"),  # D03 5000 + D06 40000 + D19 1000
        best_case_deals=3,
        pipeline=D("16500"),  # D10 6000 + D15 10000 + D20 500
        pipeline_deals=3,
        omitted=D("8000"),  # D09
        omitted_deals=1,
        commit_forecast=D("80700.75"),  # 31700.50 + 49000.25
        commit_forecast_deals=8,  # 5 + 3
        best_case_forecast=D("126700.75"),  # 80700.75 + 46000
        best_case_forecast_deals=11,  # 8 + 3
        open_pipeline=D("111500.25"),  # 49000.25 + 46000 + 16500
        open_pipeline_deals=9,  # 3 + 3 + 3
        # D02 10000 + D03 1000 + D06 10000 + D10 1800 + D13 15000.15 + D15 5000 + D17 2000
        # + D19 100 + D20 100 (omitted D09 is not weighted)
        weighted_open_pipeline=D("45000.15"),
        quota=D("243000"),  # M1 100000 + M2 50000 + R1 60000 + R3 30000 + R4 3000 + R5 0
        reps_without_quota=3,  # V1, R2 (none), R5 (0)
        gap_to_quota=D("211299.50"),  # 243000 - 31700.50
        coverage=0.53,  # 111500.25 / 211299.50 = 0.5277
        weighted_coverage=0.21,  # 45000.15 / 211299.50 = 0.2130
        low_coverage=True,  # 0.53 < 3
        slipped_deals=3,  # D06 (Feb 28), D12 (Dec 15), D15 (Feb 15): active, before as_of
        slipped_value=D("53000"),  # 40000 + 3000 + 10000
        deals_without_close_date=1,  # D11
        categorized_by_stage=2,  # D03, D19 (its "Closed" is not an open category)
        categorized_by_default=2,  # D10 (stage not mapped), D20 ("Upside" unknown)
    )


# Rep M1's own deals; also the figures of team Alpha, region EMEA and manager M1 less R1, R2.
M1_OWN = dict(
    reps=1,
    closed_won=D("10000"),  # D01
    closed_won_deals=1,
    commit=D("20000"),  # D02
    commit_deals=1,
    best_case=D("5000"),  # D03 by its stage
    best_case_deals=1,
    commit_forecast=D("30000"),  # 10000 + 20000
    commit_forecast_deals=2,
    best_case_forecast=D("35000"),  # 30000 + 5000
    best_case_forecast_deals=3,
    open_pipeline=D("25000"),  # 20000 + 5000
    open_pipeline_deals=2,
    weighted_open_pipeline=D("11000"),  # 20000 x 0.5 + 5000 x 0.2
    quota=D("100000"),  # 400000 x 0.25
    quota_source="record",
    gap_to_quota=D("90000"),  # 100000 - 10000
    coverage=0.28,  # 25000 / 90000 = 0.2778
    weighted_coverage=0.12,  # 11000 / 90000 = 0.1222
    low_coverage=True,
    categorized_by_stage=1,  # D03
)


def test_rep_rows(forecast: api.Forecast) -> None:
    # Ordered by rep_id, the row of deals without a rep last.
    assert [r.id for r in forecast.by_rep] == [
        "M1",
        "M2",
        "R1",
        "R2",
        "R3",
        "R4",
        "R5",
        "R99",
        "V1",
        None,
    ]
    rows = {r.id: r.model_dump() for r in forecast.by_rep}
    assert rows["M1"] == _expect("rep", "M1", "Mia", "V1", **M1_OWN)
    assert rows["M2"] == _expect(
        "rep",
        "M2",
        "Max",
        "V1",
        reps=1,
        quota=D("50000"),  # 200000 x 0.25
        quota_source="record",
        gap_to_quota=D("50000"),  # 50000 - 0
        coverage=0.0,  # 0 / 50000
        weighted_coverage=0.0,
        low_coverage=True,
    )
    assert rows["R1"] == _expect(
        "rep",
        "R1",
        "Ann",
        "M1",
        reps=1,
        closed_won=D("15000.50"),  # D05 (its category does not matter); D04 is in FY2026
        closed_won_deals=1,
        best_case=D("40000"),  # D06 "Best Case"; D07 closes in Q2
        best_case_deals=1,
        commit_forecast=D("15000.50"),  # 15000.50 + 0
        commit_forecast_deals=1,
        best_case_forecast=D("55000.50"),  # 15000.50 + 40000
        best_case_forecast_deals=2,
        open_pipeline=D("40000"),
        open_pipeline_deals=1,
        weighted_open_pipeline=D("10000"),  # 40000 x 0.25
        quota=D("60000"),  # 240000 x 0.25
        quota_source="record",
        gap_to_quota=D("44999.50"),  # 60000 - 15000.50
        coverage=0.89,  # 40000 / 44999.50 = 0.8889
        weighted_coverage=0.22,  # 10000 / 44999.50 = 0.2222
        low_coverage=True,
        slipped_deals=1,  # D06
        slipped_value=D("40000"),
    )
    assert rows["R2"] == _expect(
        "rep",
        "R2",
        "Bob",
        "M1",
        reps=1,
        pipeline=D("6000"),  # D10 by the default category
        pipeline_deals=1,
        omitted=D("8000"),  # D09
        omitted_deals=1,
        open_pipeline=D("6000"),
        open_pipeline_deals=1,
        weighted_open_pipeline=D("1800"),  # 6000 x 0.3 (D09 omitted: not weighted)
        quota_source="none",
        reps_without_quota=1,
        slipped_deals=1,  # D12 (before the quarter, still slipped)
        slipped_value=D("3000"),
        deals_without_close_date=1,  # D11
        categorized_by_default=1,  # D10
    )
    assert rows["R3"] == _expect(
        "rep",
        "R3",
        "Cy",
        "M2",
        reps=1,
        closed_won=D("5000"),  # D14
        closed_won_deals=1,
        commit=D("25000.25"),  # D13 "Forecast" (its own category beats its stage's)
        commit_deals=1,
        best_case=D("1000"),  # D19 by its stage
        best_case_deals=1,
        commit_forecast=D("30000.25"),  # 5000 + 25000.25
        commit_forecast_deals=2,
        best_case_forecast=D("31000.25"),  # 30000.25 + 1000
        best_case_forecast_deals=3,
        open_pipeline=D("26000.25"),  # 25000.25 + 1000
        open_pipeline_deals=2,
        weighted_open_pipeline=D("15100.15"),  # 25000.25 x 0.6 + 1000 x 0.1
        quota=D("30000"),  # 120000 x 0.25
        quota_source="record",
        gap_to_quota=D("25000"),  # 30000 - 5000
        coverage=1.04,  # 26000.25 / 25000 = 1.04001
        weighted_coverage=0.6,  # 15100.15 / 25000 = 0.604
        low_coverage=True,
        categorized_by_stage=1,  # D19
    )
    assert rows["R4"] == _expect(
        "rep",
        "R4",
        "Dee",
        "X9",
        **R4_FIGURES,
    )
    # R5 names itself as its manager, so has none
    assert rows["R5"] == _expect(
        "rep",
        "R5",
        "Eve",
        None,
        reps=1,
        closed_won=D("700"),  # D21; D16 closes in Q2
        closed_won_deals=1,
        commit_forecast=D("700"),
        commit_forecast_deals=1,
        best_case_forecast=D("700"),
        best_case_forecast_deals=1,
        quota=D("0"),  # 0 x 0.25
        quota_source="record",
        reps_without_quota=1,  # a quota of 0 is none
        gap_to_quota=D("-700"),  # 0 - 700: no coverage, not low
    )
    assert rows["R99"] == _expect(
        "rep",
        "R99",
        None,
        None,
        reps=0,  # not in the reps input
        commit=D("4000"),  # D17 "commit"
        commit_deals=1,
        commit_forecast=D("4000"),
        commit_forecast_deals=1,
        best_case_forecast=D("4000"),
        best_case_forecast_deals=1,
        open_pipeline=D("4000"),
        open_pipeline_deals=1,
        weighted_open_pipeline=D("2000"),  # 4000 x 0.5
        quota_source="none",
    )
    assert rows["V1"] == _expect(
        "rep", "V1", "Vera", None, reps=1, quota_source="none", reps_without_quota=1
    )
    assert rows[None] == _expect(
        "rep",
        None,
        None,
        None,
        closed_won=D("1000"),  # D18
        closed_won_deals=1,
        commit_forecast=D("1000"),
        commit_forecast_deals=1,
        best_case_forecast=D("1000"),
        best_case_forecast_deals=1,
        quota_source="none",
    )


R4_FIGURES = dict(
    reps=1,
    pipeline=D("10500"),  # D15 10000 "Pipeline" + D20 500 (default)
    pipeline_deals=2,
    open_pipeline=D("10500"),
    open_pipeline_deals=2,
    weighted_open_pipeline=D("5100"),  # 10000 x 0.5 + 500 x 0.2
    quota=D("3000"),  # 12000 x 0.25
    quota_source="record",
    gap_to_quota=D("3000"),  # 3000 - 0
    coverage=3.5,  # 10500 / 3000
    weighted_coverage=1.7,  # 5100 / 3000
    low_coverage=False,  # 3.5 is not below 3
    slipped_deals=1,  # D15
    slipped_value=D("10000"),
    categorized_by_default=1,  # D20
)

# Rep M1's own row plus R1's and R2's: manager M1, team Alpha, region EMEA.
M1_TEAM = dict(
    closed_won=D("25000.50"),  # 10000 + 15000.50
    closed_won_deals=2,
    commit=D("20000"),  # D02
    commit_deals=1,
    best_case=D("45000"),  # 5000 + 40000
    best_case_deals=2,
    pipeline=D("6000"),  # D10
    pipeline_deals=1,
    omitted=D("8000"),  # D09
    omitted_deals=1,
    commit_forecast=D("45000.50"),  # 25000.50 + 20000
    commit_forecast_deals=3,
    best_case_forecast=D("90000.50"),  # 45000.50 + 45000
    best_case_forecast_deals=5,
    open_pipeline=D("71000"),  # 20000 + 45000 + 6000
    open_pipeline_deals=4,
    weighted_open_pipeline=D("22800"),  # 11000 + 10000 + 1800
    quota=D("160000"),  # 100000 + 60000 (R2 none)
    gap_to_quota=D("134999.50"),  # 160000 - 25000.50
    coverage=0.53,  # 71000 / 134999.50 = 0.5259
    weighted_coverage=0.17,  # 22800 / 134999.50 = 0.1689
    low_coverage=True,
    slipped_deals=2,  # D06, D12
    slipped_value=D("43000"),  # 40000 + 3000
    deals_without_close_date=1,  # D11
    categorized_by_stage=1,  # D03
    categorized_by_default=1,  # D10
)

# Rep M2 (nothing) plus R3: manager M2.
M2_TEAM = dict(
    reps=2,
    closed_won=D("5000"),
    closed_won_deals=1,
    commit=D("25000.25"),
    commit_deals=1,
    best_case=D("1000"),
    best_case_deals=1,
    commit_forecast=D("30000.25"),
    commit_forecast_deals=2,
    best_case_forecast=D("31000.25"),
    best_case_forecast_deals=3,
    open_pipeline=D("26000.25"),
    open_pipeline_deals=2,
    weighted_open_pipeline=D("15100.15"),
    quota=D("80000"),  # 50000 + 30000
    gap_to_quota=D("75000"),  # 80000 - 5000
    coverage=0.35,  # 26000.25 / 75000 = 0.3467
    weighted_coverage=0.2,  # 15100.15 / 75000 = 0.2013
    low_coverage=True,
    categorized_by_stage=1,  # D19
)


def test_manager_rows(forecast: api.Forecast) -> None:
    # Managers: every id some rep names (X9 has no record); R5 names itself, so is none.
    assert [r.id for r in forecast.by_manager] == ["M1", "M2", "V1", "X9"]
    rows = {r.id: r.model_dump() for r in forecast.by_manager}
    # M1's own record's deals, plus R1's and R2's.
    assert rows["M1"] == _expect(
        "manager", "M1", "Mia", "V1", reps=3, reps_without_quota=1, **M1_TEAM
    )  # reps M1, R1, R2; R2 without quota
    assert rows["M2"] == _expect("manager", "M2", "Max", "V1", **M2_TEAM)
    # The second line sees both teams: V1 + (M1 + R1 + R2) + (M2 + R3).
    assert rows["V1"] == _expect(
        "manager",
        "V1",
        "Vera",
        None,
        reps=6,  # V1, M1, M2, R1, R2, R3
        closed_won=D("30000.50"),  # 25000.50 + 5000
        closed_won_deals=3,
        commit=D("45000.25"),  # 20000 + 25000.25
        commit_deals=2,
        best_case=D("46000"),  # 45000 + 1000
        best_case_deals=3,
        pipeline=D("6000"),
        pipeline_deals=1,
        omitted=D("8000"),
        omitted_deals=1,
        commit_forecast=D("75000.75"),  # 30000.50 + 45000.25
        commit_forecast_deals=5,
        best_case_forecast=D("121000.75"),  # 75000.75 + 46000
        best_case_forecast_deals=8,
        open_pipeline=D("97000.25"),  # 45000.25 + 46000 + 6000
        open_pipeline_deals=6,
        weighted_open_pipeline=D("37900.15"),  # 22800 + 15100.15
        quota=D("240000"),  # 160000 + 80000
        reps_without_quota=2,  # V1, R2
        gap_to_quota=D("209999.50"),  # 240000 - 30000.50
        coverage=0.46,  # 97000.25 / 209999.50 = 0.4619
        weighted_coverage=0.18,  # 37900.15 / 209999.50 = 0.1805
        low_coverage=True,
        slipped_deals=2,
        slipped_value=D("43000"),
        deals_without_close_date=1,
        categorized_by_stage=2,  # D03, D19
        categorized_by_default=1,  # D10
    )
    # A manager id without a record: no name, no manager, only its reports (R4).
    assert rows["X9"] == _expect(
        "manager", "X9", None, None, **(R4_FIGURES | {"quota_source": "reps"})
    )


def test_team_rows(forecast: api.Forecast) -> None:
    rows = _dump(forecast.by_team)
    assert rows == [
        _expect("team", "Alpha", None, None, reps=3, reps_without_quota=1, **M1_TEAM),
        _expect(
            "team",
            "Beta",
            None,
            None,
            reps=3,  # M2, R3, R5
            closed_won=D("5700"),  # D14 5000 + D21 700
            closed_won_deals=2,
            commit=D("25000.25"),
            commit_deals=1,
            best_case=D("1000"),
            best_case_deals=1,
            commit_forecast=D("30700.25"),  # 5700 + 25000.25
            commit_forecast_deals=3,
            best_case_forecast=D("31700.25"),  # 30700.25 + 1000
            best_case_forecast_deals=4,
            open_pipeline=D("26000.25"),
            open_pipeline_deals=2,
            weighted_open_pipeline=D("15100.15"),
            quota=D("80000"),  # 50000 + 30000 + 0
            reps_without_quota=1,  # R5
            gap_to_quota=D("74300"),  # 80000 - 5700
            coverage=0.35,  # 26000.25 / 74300 = 0.3499
            weighted_coverage=0.2,  # 15100.15 / 74300 = 0.2032
            low_coverage=True,
            categorized_by_stage=1,
        ),
        # No team: V1, R4, the unknown rep R99 and the deal without a rep.
        _expect(
            "team",
            None,
            None,
            None,
            reps=2,  # V1, R4
            closed_won=D("1000"),  # D18
            closed_won_deals=1,
            commit=D("4000"),  # D17
            commit_deals=1,
            pipeline=D("10500"),  # R4
            pipeline_deals=2,
            commit_forecast=D("5000"),  # 1000 + 4000
            commit_forecast_deals=2,
            best_case_forecast=D("5000"),
            best_case_forecast_deals=2,
            open_pipeline=D("14500"),  # 4000 + 10500
            open_pipeline_deals=3,
            weighted_open_pipeline=D("7100"),  # 5100 + 2000
            quota=D("3000"),  # R4's; V1 none
            reps_without_quota=1,  # V1
            gap_to_quota=D("2000"),  # 3000 - 1000
            coverage=7.25,  # 14500 / 2000
            weighted_coverage=3.55,  # 7100 / 2000
            slipped_deals=1,  # D15
            slipped_value=D("10000"),
            categorized_by_default=1,  # D20
        ),
    ]


def test_region_rows(forecast: api.Forecast) -> None:
    rows = _dump(forecast.by_region)
    assert rows == [
        _expect(
            "region",
            "AMER",
            None,
            None,
            reps=3,  # M2, R3, R4
            closed_won=D("5000"),
            closed_won_deals=1,
            commit=D("25000.25"),
            commit_deals=1,
            best_case=D("1000"),
            best_case_deals=1,
            pipeline=D("10500"),
            pipeline_deals=2,
            commit_forecast=D("30000.25"),  # 5000 + 25000.25
            commit_forecast_deals=2,
            best_case_forecast=D("31000.25"),
            best_case_forecast_deals=3,
            open_pipeline=D("36500.25"),  # 25000.25 + 1000 + 10500
            open_pipeline_deals=4,
            weighted_open_pipeline=D("20200.15"),  # 15100.15 + 5100
            quota=D("83000"),  # 50000 + 30000 + 3000
            gap_to_quota=D("78000"),  # 83000 - 5000
            coverage=0.47,  # 36500.25 / 78000 = 0.4680
            weighted_coverage=0.26,  # 20200.15 / 78000 = 0.2590
            low_coverage=True,
            slipped_deals=1,
            slipped_value=D("10000"),
            categorized_by_stage=1,
            categorized_by_default=1,
        ),
        # V1 (nothing), M1, R1, R2: team Alpha's figures with V1 as a fourth rep.
        _expect("region", "EMEA", None, None, reps=4, reps_without_quota=2, **M1_TEAM),
        # No region: R5, R99 and the deal without a rep.
        _expect(
            "region",
            None,
            None,
            None,
            reps=1,  # R5
            closed_won=D("1700"),  # D21 700 + D18 1000
            closed_won_deals=2,
            commit=D("4000"),  # D17
            commit_deals=1,
            commit_forecast=D("5700"),  # 1700 + 4000
            commit_forecast_deals=3,
            best_case_forecast=D("5700"),
            best_case_forecast_deals=3,
            open_pipeline=D("4000"),
            open_pipeline_deals=1,
            weighted_open_pipeline=D("2000"),
            # R5's 0 is no quota: a zero or negative quota adds nothing to a level, so this
            # level has none, and so no gap or coverage
            reps_without_quota=1,
        ),
    ]


def _month(day: str, **figures: Any) -> dict[str, Any]:
    zero = {"commit": D(0), "best_case": D(0), "pipeline": D(0), "open_pipeline": D(0)}
    counts = {"commit_deals": 0, "best_case_deals": 0, "pipeline_deals": 0}
    return {"month": dt.date.fromisoformat(day), **zero, **counts, "open_pipeline_deals": 0} | (
        figures
    )


def test_close_months(forecast: api.Forecast) -> None:
    # Active deals of an open category closing in FY2027-Q1 and -Q2, by month; omitted D09
    # and the deal without a close date are in none; July has nothing and is still listed.
    assert _dump(forecast.by_close_month) == [
        _month(
            "2026-02-01",
            best_case=D("40000"),  # D06
            best_case_deals=1,
            pipeline=D("10000"),  # D15
            pipeline_deals=1,
            open_pipeline=D("50000"),
            open_pipeline_deals=2,
        ),
        _month(
            "2026-03-01",
            commit=D("25000.25"),  # D13
            commit_deals=1,
            best_case=D("5000"),  # D03
            best_case_deals=1,
            pipeline=D("500"),  # D20
            pipeline_deals=1,
            open_pipeline=D("30500.25"),  # 25000.25 + 5000 + 500
            open_pipeline_deals=3,
        ),
        _month(
            "2026-04-01",
            commit=D("24000"),  # D02 20000 + D17 4000
            commit_deals=2,
            best_case=D("1000"),  # D19
            best_case_deals=1,
            pipeline=D("6000"),  # D10
            pipeline_deals=1,
            open_pipeline=D("31000"),  # 24000 + 1000 + 6000
            open_pipeline_deals=4,
        ),
        _month(
            "2026-05-01",
            best_case=D("2000"),  # D16 "Most Likely"
            best_case_deals=1,
            open_pipeline=D("2000"),
            open_pipeline_deals=1,
        ),
        _month(
            "2026-06-01",
            pipeline=D("12000"),  # D07
            pipeline_deals=1,
            open_pipeline=D("12000"),
            open_pipeline_deals=1,
        ),
        _month("2026-07-01"),
    ]
    # The quarter's months hold the company's open pipeline: 50000 + 30500.25 + 31000
    assert sum(m.open_pipeline for m in forecast.by_close_month[:3]) == D("111500.25")


def test_this_quarter_is_the_quarter_holding_as_of(forecast: api.Forecast) -> None:
    assert _forecast(period="this-quarter").to_json() == forecast.to_json()


def test_next_quarter() -> None:
    f = _forecast(period="next-quarter")
    assert (f.period, f.period_start, f.period_end) == (
        "FY2027-Q2",
        dt.date(2026, 5, 1),
        dt.date(2026, 7, 31),
    )
    c = f.company
    assert (c.closed_won, c.commit, c.best_case, c.pipeline) == (
        D("0"),
        D("0"),
        D("2000"),  # D16
        D("12000"),  # D07
    )
    assert c.open_pipeline == D("14000")  # 2000 + 12000
    assert c.weighted_open_pipeline == D("2200")  # 2000 x 0.5 + 12000 x 0.1
    assert c.quota == D("243000")  # the same quarter quotas
    assert c.coverage == 0.06  # 14000 / 243000 = 0.0576
    assert (c.slipped_deals, c.slipped_value) == (3, D("53000"))  # as of as_of, any period
    # Q2 and Q3 (May to October), every month listed
    assert [m.month for m in f.by_close_month] == [dt.date(2026, m, 1) for m in range(5, 11)]


# --- quotas from a quota table ---------------------------------------------------------------
QUOTAS = [
    {"rep_id": "R1", "period_start": "2026-02-01", "quota": 50000.0},  # Q1: beats the record
    {"rep_id": "R1", "period_start": "2026-01-01", "quota": 77777.0},  # FY2026: not Q1
    {"rep_id": "R2", "period_start": "2026-02-01", "quota": 10000.0},  # monthly quotas
    {"rep_id": "R2", "period_start": "2026-03-01", "quota": 10000.0},
    {"rep_id": "R2", "period_start": "2026-04-01", "quota": 10000.25},
    {"rep_id": "R2", "period_start": "2026-05-01", "quota": 99999.0},  # Q2: not Q1
]


def test_quota_table_gives_the_quarter_quota() -> None:
    f = _forecast(quotas=QUOTAS)
    rows = {r.id: r for r in f.by_rep}
    r1, r2 = rows["R1"], rows["R2"]
    assert (r1.quota, r1.quota_source, r1.reps_without_quota) == (D("50000"), "table", 0)
    assert r1.gap_to_quota == D("34999.50")  # 50000 - 15000.50
    assert r1.coverage == 1.14  # 40000 / 34999.50 = 1.1429
    # 10000 + 10000 + 10000.25: the periods starting in Q1 only
    assert (r2.quota, r2.quota_source, r2.reps_without_quota) == (D("30000.25"), "table", 0)
    assert r2.gap_to_quota == D("30000.25")  # nothing closed
    assert r2.coverage == 0.2  # 6000 / 30000.25 = 0.19999
    assert r2.weighted_coverage == 0.06  # 1800 / 30000.25 = 0.059999
    assert (rows["M1"].quota, rows["M1"].quota_source) == (D("100000"), "record")  # no rows
    assert (rows["V1"].quota, rows["V1"].quota_source) == (None, "none")
    # 100000 + 50000 + 50000 + 30000.25 + 30000 + 3000 + 0
    assert f.company.quota == D("263000.25")
    assert f.company.reps_without_quota == 2  # V1, R5
    # manager M1: M1 100000 (record) + R1 50000 (table) + R2 30000.25 (table)
    assert {r.id: r.quota for r in f.by_manager}["M1"] == D("180000.25")


# A rep the quota table lists takes the quarter's quota from the table alone: the record's
# quota_usd was itself filled from the table's periods of the year, and a quarter of it is
# not this quarter's quota.
def test_a_quota_table_row_of_another_quarter_is_no_quota_for_this_one() -> None:
    quotas = [{"rep_id": "V1", "period_start": "2026-05-01", "quota": 40000.0}]  # Q2 only
    v1 = next(r for r in _forecast(quotas=quotas).by_rep if r.id == "V1")
    # The table has nothing for Q1 and the record no quota: none (not 40000 x 0.25 = 10000).
    assert (v1.quota, v1.quota_source, v1.reps_without_quota) == (None, "none", 1)


def test_a_quota_period_starting_on_the_quarter_s_last_day_is_in_it() -> None:
    quotas = [
        {"rep_id": "V1", "period_start": "2026-04-30", "quota": 40000.0},  # Q1's last day
        {"rep_id": "V1", "period_start": "2026-05-01", "quota": 7.0},  # Q2's first
        {"rep_id": "V1", "period_start": "2026-01-31", "quota": 9.0},  # the day before Q1
    ]
    v1 = next(r for r in _forecast(quotas=quotas).by_rep if r.id == "V1")
    assert (v1.quota, v1.quota_source) == (D("40000"), "table")


@pytest.mark.parametrize(
    ("below", "low"),
    [
        (3.0, {"M1", "M2", "R1", "R3"}),  # R4 3.5 is not below 3
        (1.0, {"M1", "M2", "R1"}),  # R3 1.04 is not below 1
        (3.5, {"M1", "M2", "R1", "R3"}),  # R4 at exactly 3.5 is not below 3.5
        (3.51, {"M1", "M2", "R1", "R3", "R4"}),
        (0.0, set()),  # M2's 0 is not below 0
    ],
)
def test_low_coverage_threshold(below: float, low: set[str]) -> None:
    policy = POLICY | {"forecast": POLICY["forecast"] | {"low_coverage_below": below}}
    f = _forecast(policy=policy)
    assert f.low_coverage_below == below
    assert {r.id for r in f.by_rep if r.low_coverage} == low


def test_category_spellings_and_default() -> None:
    # One active deal of $100 per rep, each with its own spelling, closing in Q1; the policy's
    # default category is "omitted" and stage Negotiation is commit.
    spellings = {
        "S01": ("Commit", None, "commit"),
        "S02": (" COMMIT ", None, "commit"),
        "S03": ("Forecast", None, "commit"),  # Salesforce API name of Commit
        "S04": ("Best Case", None, "best_case"),
        "S05": ("BestCase", None, "best_case"),
        "S06": ("best_case", None, "best_case"),
        "S07": ("best-case", None, "best_case"),
        "S08": ("Most Likely", None, "best_case"),
        "S09": ("MostLikely", None, "best_case"),
        "S10": ("Pipeline", None, "pipeline"),
        "S11": ("Omitted", None, "omitted"),
        "S12": ("Omit", None, "omitted"),
        "S13": ("Not Forecasted", None, "omitted"),
        "S14": ("Closed", None, "omitted"),  # not an open category: the default
        "S15": ("Upside", None, "omitted"),  # unknown: the default
        "S16": (None, None, "omitted"),  # none: the default
        "S17": (None, " negotiation ", "commit"),  # the stage's, trimmed and case-folded
        "S18": ("Pipeline", "Negotiation", "pipeline"),  # its own beats its stage's
        "S19": ("Closed", "Negotiation", "commit"),  # "Closed" unused: the stage's
    }
    deals = [
        _deal(f"X{rep}", rep, "active", 100, 0.5, "2026-04-01", category, stage)
        for rep, (category, stage, _) in spellings.items()
    ]
    reps = [{"rep_id": rep} for rep in spellings]
    policy = {
        "calendar": {"fiscal_year_start_month": 2},
        "forecast": {"default_category": "omitted", "category_by_stage": {"Negotiation": "commit"}},
    }
    f = api.forecast(deals, reps, as_of=AS_OF, policy=policy)
    found = {}
    for row in f.by_rep:
        held = [c for c in ("commit", "best_case", "pipeline", "omitted") if getattr(row, c)]
        assert len(held) == 1, row
        found[row.id] = held[0]
    assert found == {rep: category for rep, (_, _, category) in spellings.items()}
    assert f.company.categorized_by_stage == 2  # S17, S19
    assert f.company.categorized_by_default == 3  # S14, S15, S16
    # commit S01-S03, S17, S19 (5); best case S04-S09 (6); pipeline S10, S18 (2): 13 x 100
    assert f.company.open_pipeline == D("1300")
    assert f.company.omitted == D("600")  # S11-S16: 6 x 100


# --- the full report: the forecast section, past_close_date and low_coverage -----------------
@pytest.fixture(scope="module")
def report() -> Any:
    return api.build_report(DEALS, REPS, as_of=AS_OF, policy=POLICY)


def _flags(report: Any, rule: str) -> list[dict[str, Any]]:
    return [f.model_dump() for f in report.flags if f.rule == rule]


def _counts(report: Any) -> dict[str, tuple[int, int]]:
    return {c.rule: (c.total, c.shown) for c in report.flag_counts}


def test_report_has_the_forecast_section(report: Any, forecast: api.Forecast) -> None:
    assert report.forecast == forecast  # the report's quarter: the one holding as_of
    data = json.loads(report.to_json())
    assert data["forecast"]["period"] == "FY2027-Q1"
    assert data["forecast"]["company"]["closed_won"] == 31700.5
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))


def test_past_close_date_flags(report: Any) -> None:
    # Active deals closing before 2026-03-15, by value: D06 40000, D15 10000, D12 3000.
    # Not D08 (lost, Mar 1), D11 (no close date), D13 (Mar 16, after as_of).
    assert _counts(report)["past_close_date"] == (3, 3)
    flags = _flags(report, "past_close_date")
    assert [f["subject_id"] for f in flags] == ["D06", "D15", "D12"]
    assert flags[0] == {
        "rule": "past_close_date",
        "subject_type": "deal",
        "subject_id": "D06",
        "severity": "warning",
        "observed": {
            "status": "active",
            "rep_id": "R1",
            "stage": "Proposal",
            "close_date": "2026-02-28",
            "days_past_close_date": 15,  # Feb 28 -> Mar 15 (2026 is not a leap year)
            "deal_value_usd": D("40000"),
        },
        "thresholds": {"as_of": "2026-03-15"},
        "message": "Deal D06 in stage Proposal is still active 15 days after its close date "
        "2026-02-28 (value $40,000.00).",
    }
    assert flags[1]["observed"]["days_past_close_date"] == 28  # Feb 15 -> Mar 15
    assert flags[2]["message"] == (
        # Dec 15 -> Jan 15 (31) -> Feb 15 (31) -> Mar 15 (28) = 90 days; no stage
        "Deal D12 is still active 90 days after its close date 2025-12-15 (value $3,000.00)."
    )


def test_low_coverage_flags(report: Any) -> None:
    # Reps (of the reps input) with a gap above 0 and coverage below 3, lowest coverage
    # first: M2 0, M1 0.28, R1 0.89, R3 1.04. Not R4 (3.5), R2 and V1 (no quota), R5 (a
    # quota of 0, gap -700), nor R99 (not a rep).
    assert _counts(report)["low_coverage"] == (4, 4)
    flags = _flags(report, "low_coverage")
    assert [f["subject_id"] for f in flags] == ["M2", "M1", "R1", "R3"]
    assert flags[2] == {
        "rule": "low_coverage",
        "subject_type": "rep",
        "subject_id": "R1",
        "severity": "warning",
        "observed": {
            "rep_name": "Ann",
            "period": "FY2027-Q1",
            "coverage": 0.89,  # 40000 / 44999.50 = 0.8889
            "open_pipeline": D("40000"),
            "gap_to_quota": D("44999.50"),  # 60000 - 15000.50
            "quota": D("60000"),
            "closed_won": D("15000.50"),
        },
        "thresholds": {"low_coverage_below": 3.0},
        "message": "Rep R1 (Ann) has $40,000.00 of open pipeline closing in FY2027-Q1 against "
        "a $44,999.50 gap to quota ($60,000.00 quota, $15,000.50 closed won): coverage 0.89x, "
        "below 3x.",
    }
    assert flags[0]["message"] == (
        "Rep M2 (Max) has $0.00 of open pipeline closing in FY2027-Q1 against a $50,000.00 "
        "gap to quota ($50,000.00 quota, $0.00 closed won): coverage 0x, below 3x."
    )
    assert flags[1]["observed"]["coverage"] == 0.28  # 25000 / 90000 = 0.2778


def test_explain_judges_a_given_forecast_by_its_figures(report: Any) -> None:
    # explain on a stored day passes that day's forecast section: the report's own gives
    # the same verdicts as computing it again ...
    plain = api.explain("R1", DEALS, REPS, as_of=AS_OF, policy=POLICY)
    stored = api.explain("R1", DEALS, REPS, as_of=AS_OF, policy=POLICY, forecast=report.forecast)
    assert [v.model_dump() for v in stored] == [v.model_dump() for v in plain]
    # ... and one made with a quota table (R1's quarter quota 50000, not the record's
    # 60000) is what the verdict reads: 40000 / (50000 - 15000.50) = 1.1429
    table = _forecast(quotas=QUOTAS)
    other = api.explain("R1", DEALS, REPS, as_of=AS_OF, policy=POLICY, forecast=table)
    low = next(v for v in other if v.rule == "low_coverage")
    assert low.fired
    assert low.observed["quota"] == D("50000.00")
    assert low.observed["gap_to_quota"] == D("34999.50")
    assert low.observed["closed_won"] == D("15000.50")
    assert low.observed["coverage"] == 1.14


@pytest.mark.parametrize(
    ("subject", "rule", "message"),
    [
        ("D13", "past_close_date", "Deal D13's close date 2026-03-16 is not before 2026-03-15."),
        ("D11", "past_close_date", "Deal D11 has no close date, so it cannot be past it."),
        (
            "D08",
            "past_close_date",
            "Deal D08 is not active (status 'lost'); only active deals are judged.",
        ),
        (
            "R2",
            "low_coverage",
            "Rep R2 (Bob) has no quota for FY2027-Q1, so coverage is not judged.",
        ),
        # A quota of 0 is no quota (as reps_without_quota counts it).
        (
            "R5",
            "low_coverage",
            "Rep R5 (Eve) has no quota for FY2027-Q1, so coverage is not judged.",
        ),
        (
            "R4",
            "low_coverage",
            "Rep R4 (Dee) has $10,500.00 of open pipeline closing in FY2027-Q1 against a "
            "$3,000.00 gap to quota ($3,000.00 quota, $0.00 closed won): coverage 3.5x, not "
            "below 3x.",
        ),
    ],
)
def test_explain_says_why_a_flag_is_not_raised(subject: str, rule: str, message: str) -> None:
    verdicts = api.explain(subject, DEALS, REPS, policy=POLICY, as_of=AS_OF)
    verdict = next(v for v in verdicts if v.rule == rule)
    assert (verdict.fired, verdict.message) == (False, message)


def test_a_quota_met_exactly_leaves_nothing_to_cover() -> None:
    deals = [_deal("W", "W1", "won", 1000, 1.0, "2026-04-01")]
    reps = [{"rep_id": "W1", "rep_name": "Win", "quota_usd": 4000.0}]  # quarter: 1000
    row = api.forecast(deals, reps, as_of=AS_OF, policy=POLICY).by_rep[0]
    # gap 1000 - 1000 = 0: not above 0, so no coverage and not low
    assert (row.gap_to_quota, row.coverage, row.weighted_coverage, row.low_coverage) == (
        D("0"),
        None,
        None,
        False,
    )
    verdicts = api.explain("W1", deals, reps, policy=POLICY, as_of=AS_OF)
    verdict = next(v for v in verdicts if v.rule == "low_coverage")
    assert (verdict.fired, verdict.message) == (
        False,
        "Rep W1 (Win) has closed $1,000.00 of a $1,000.00 quota for FY2027-Q1: nothing "
        "remains to cover.",
    )


def test_past_close_date_edges() -> None:
    deals = [
        _deal("B1", "R1", "active", 500, 0.5, "2026-03-14"),  # 1 day before as_of
        _deal("B2", "R1", "active", 600, 0.5, "2026-03-15"),  # on as_of: not past it
        _deal("B3", "R1", "won", 700, 1.0, "2026-01-01"),  # closed: never slipped
        _deal("B4", "R1", "lost", 800, 0.0, "2026-01-01"),
    ]
    report = api.build_report(deals, [{"rep_id": "R1", "rep_name": "Ann"}], as_of=AS_OF)
    assert _counts(report)["past_close_date"] == (1, 1)
    assert [f["message"] for f in _flags(report, "past_close_date")] == [
        "Deal B1 is still active 1 day after its close date 2026-03-14 (value $500.00)."
    ]
    assert report.forecast is not None
    assert (report.forecast.company.slipped_deals, report.forecast.company.slipped_value) == (
        1,
        D("500"),
    )


# --- pace and reps.needs_coaching_basis ------------------------------------------------------
# The fiscal year starting in February: FY2027 = 2026-02-01..2027-01-31 (365 days); at
# 2026-03-15 43 days have passed (28 in February + 15), so 43 / 365 = 0.1178 of it.
# A calendar year: 2026-01-01..12-31; at 2026-03-15, 31 + 28 + 15 = 74 days: 74 / 365.
PACE_REPS = [
    {"rep_id": "P1", "rep_name": "Pat", "quota_usd": 240000.0, "year_to_date_revenue_usd": 20000.0},
    {
        "rep_id": "P2",
        "rep_name": "Quinn",
        "quota_usd": 120000.0,
        "year_to_date_revenue_usd": 5000.0,
    },
    {"rep_id": "P3", "rep_name": "Ray", "quota_usd": None, "year_to_date_revenue_usd": 5000.0},
]
PACE_DEALS = [_deal("Q1", "P1", "active", 100, 0.5, "2026-04-01")]


def _pace_report(start_month: int, basis: str) -> Any:
    policy = {
        "calendar": {"fiscal_year_start_month": start_month},
        "reps": {"needs_coaching_basis": basis},
    }
    return api.build_report(PACE_DEALS, PACE_REPS, as_of=AS_OF, policy=policy)


@pytest.mark.parametrize(
    ("start_month", "basis", "pace", "coaching"),
    [
        # P1: 20000 / (240000 x 43/365) = 7300000 / 10320000 = 0.7074; P2: 5000 / (120000 x
        # 43/365) = 1825000 / 5160000 = 0.3537. Annual: 20000 / 240000 = 0.083, 0.042.
        (2, "annual", (0.71, 0.35, None), {"P1", "P2"}),
        (2, "pace", (0.71, 0.35, None), {"P2"}),  # P1's 0.7074 is not below 0.7
        # P1: 20000 / (240000 x 74/365) = 7300000 / 17760000 = 0.4110; P2: 1825000 / 8880000
        # = 0.2055
        (1, "pace", (0.41, 0.21, None), {"P1", "P2"}),
    ],
)
def test_pace_and_needs_coaching_basis(
    start_month: int, basis: str, pace: tuple[float | None, ...], coaching: set[str]
) -> None:
    report = _pace_report(start_month, basis)
    rows = report.rep_performance
    assert [r.rep_id for r in rows] == ["P1", "P2", "P3"]
    assert tuple(r.pace for r in rows) == pace
    assert [r.quota_achievement for r in rows] == [0.08, 0.04, None]  # 0.0833, 0.0417
    assert {r.rep_id for r in rows if r.needs_coaching} == coaching
    flagged = _flags(report, "needs_coaching")
    assert {f["subject_id"] for f in flagged} == coaching
    assert all(
        f["thresholds"] == {"needs_coaching_below": 0.7, "needs_coaching_basis": basis}
        for f in flagged
    )


def test_needs_coaching_messages_by_basis() -> None:
    annual = {f["subject_id"]: f for f in _flags(_pace_report(2, "annual"), "needs_coaching")}
    assert annual["P1"]["message"] == (
        "Rep P1 (Pat) has achieved 8% of quota ($20,000.00 of $240,000.00 year to date), "
        "below the 70% threshold."  # 20000 / 240000 = 0.083
    )
    flag = next(f for f in _flags(_pace_report(2, "pace"), "needs_coaching"))
    assert flag["subject_id"] == "P2"
    assert flag["observed"] == {
        "rep_name": "Quinn",
        "quota_achievement": 0.04,  # 5000 / 120000 = 0.0417
        "pace": 0.35,  # 0.3537
        # 2026-03-15 is day 43 of the fiscal year that starts 2026-02-01 (28 + 15) and has
        # 365 days
        "days_elapsed": 43,
        "days_in_year": 365,
        "year_to_date_revenue_usd": D("5000"),
        "quota_usd": D("120000"),
    }
    # due by day 43: 120000 x 43 / 365 = 14136.986 -> $14,136.99 (from the exact days, not
    # from a rounded share of the year)
    assert flag["message"] == (
        "Rep P2 (Quinn) is at 35% of pace ($5,000.00 year to date against $14,136.99 due by "
        "day 43 of the 365-day fiscal year, of a $120,000.00 annual quota), below the 70% "
        "threshold."
    )


# --- the management hierarchy: loops and self-managers --------------------------------------
@pytest.mark.parametrize(
    ("edges", "loop"),
    [
        ([("A", "B"), ("B", "A")], "A -> B -> A"),
        ([("A", "B"), ("B", "C"), ("C", "A")], "A -> B -> C -> A"),
        ([("A1", "L1"), ("L1", "L2"), ("L2", "L1")], "L1 -> L2 -> L1"),  # A1 is not in it
    ],
)
def test_a_manager_loop_is_an_input_error(edges: list[tuple[str, str]], loop: str) -> None:
    reps = [{"rep_id": rep, "manager_id": manager} for rep, manager in edges]
    deals = [_deal("L", edges[0][0], "active", 100, 0.5, "2026-03-20")]
    with pytest.raises(InputError) as caught:
        api.forecast(deals, reps, as_of=AS_OF)
    assert caught.value.message == f"reps: manager_id makes a loop: {loop}"
    assert caught.value.hint == (
        "fix the manager_id of one of these reps (the top of a hierarchy has no manager_id)"
    )


def test_a_manager_loop_is_data_quality_in_the_report() -> None:
    # the report still runs (the loop only spoils the manager roll-up): no manager rows, and
    # a data-quality warning naming the loop, which validate lists too
    reps = [
        {"rep_id": "A", "manager_id": "B"},
        {"rep_id": "B", "manager_id": "A"},
        {"rep_id": "C", "manager_id": "A"},  # under the loop, not in it
    ]
    deals = [_deal("L", "A", "active", 1, 0.5, None)]
    report = api.build_report(deals, reps, as_of=AS_OF)
    assert report.forecast is not None and report.forecast.by_manager == []
    assert report.forecast.company.reps == 3
    found = [q for q in report.data_quality if q.check == "manager_loop"]
    assert [(q.table, q.severity, q.count, q.examples) for q in found] == [
        ("reps", "warning", 2, ["A -> B -> A"])  # A and B are in the loop
    ]
    assert found[0].message == (
        "2 reps' manager_id make a loop (a rep above its own manager), so the forecast has no "
        "manager roll-up."
    )
    assert "manager_loop" in {q.check for q in api.validate(deals, reps)}


def test_a_manager_without_a_record_counts_its_own_deals() -> None:
    # N1 has no rep record but is named by R7 and owns a deal: its manager row is its own
    # deal row plus R7's
    deals = [
        _deal("N", "N1", "active", 100, 0.5, "2026-03-20", "Commit"),
        _deal("R", "R7", "active", 50, 0.5, "2026-03-20", "Commit"),
    ]
    f = api.forecast(deals, [{"rep_id": "R7", "manager_id": "N1"}], as_of=AS_OF)
    assert [(r.id, r.name, r.reps, r.commit, r.commit_deals) for r in f.by_manager] == [
        ("N1", None, 1, D("150"), 2)  # 100 + 50; only R7 is a rep of the input
    ]


def test_a_rep_naming_itself_as_manager_has_none() -> None:
    deals = [
        _deal("S1", "S1", "active", 100, 0.5, "2026-03-20", "Commit"),
        _deal("S2", "S2", "active", 50, 0.5, "2026-03-20", "Commit"),
    ]
    alone = api.forecast(deals, [{"rep_id": "S1", "manager_id": "S1"}], as_of=AS_OF)
    assert alone.by_manager == []  # nobody else names S1
    reps = [{"rep_id": "S1", "manager_id": "S1"}, {"rep_id": "S2", "manager_id": "S1"}]
    f = api.forecast(deals, reps, as_of=AS_OF)
    assert [(r.id, r.parent, r.reps, r.commit) for r in f.by_manager] == [
        ("S1", None, 2, D("150"))  # S1's own 100 + S2's 50; S1 has no manager
    ]
    assert next(r for r in f.by_rep if r.id == "S2").parent == "S1"


# A rep naming itself as its manager has none, in its row as in the hierarchy.
def test_a_self_managed_rep_row_has_no_parent(forecast: api.Forecast) -> None:
    assert next(r for r in forecast.by_rep if r.id == "R5").parent is None  # R5 names R5


# --- property: every level adds up to the company; managers from manager_id -----------------
POOL = ["A", "B", "C", "D", "E"]
DATES = [
    "2025-12-15",  # before FY2027-Q1
    "2026-01-31",
    "2026-02-01",  # Q1's first day
    "2026-02-28",
    "2026-03-14",
    "2026-03-15",  # as_of
    "2026-04-30",  # Q1's last day
    "2026-05-01",  # Q2
    "2026-08-01",  # Q3
    None,
]
SPELLINGS = [
    "Commit",
    "Forecast",
    "Best Case",
    "BestCase",
    "Most Likely",
    "Pipeline",
    "Omitted",
    "Omit",
    "Closed",
    "Upside",
]
# The contract's spellings, folded (A-Z lower-cased, no spaces, underscores or hyphens).
ORACLE_CATEGORY = {
    "commit": "commit",
    "forecast": "commit",
    "bestcase": "best_case",
    "mostlikely": "best_case",
    "pipeline": "pipeline",
    "omitted": "omitted",
    "omit": "omitted",
}
CENT = D("0.01")
maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731


def _cents(low: int, high: int) -> st.SearchStrategy[float]:
    return st.integers(low, high).map(lambda c: c / 100)


@st.composite
def hierarchies(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Reps whose managers come before them (so no loop), themselves, nobody, or Z (an id
    without a record)."""
    ids = draw(st.permutations(POOL))[: draw(st.integers(1, len(POOL)))]
    reps = []
    for i, rep_id in enumerate(ids):
        choices = [st.none(), st.just(rep_id), st.just("Z")]
        if i:
            choices.append(st.sampled_from(ids[:i]))
        reps.append(
            {
                "rep_id": rep_id,
                "rep_name": f"Name {rep_id}",
                "manager_id": draw(st.one_of(*choices)),
                "team": draw(maybe(st.sampled_from(["T1", "T2"]))),
                "region": draw(maybe(st.sampled_from(["N", "S"]))),
                "quota_usd": draw(maybe(_cents(-1_000_00, 50_000_000_00))),
            }
        )
    return reps


deals_strategy = st.lists(
    st.fixed_dictionaries(
        {
            "rep_id": maybe(st.sampled_from([*POOL, "Z", "Q9"])),
            "status": maybe(st.sampled_from(["active", "active", "won", "lost", "open"])),
            "deal_value_usd": maybe(_cents(-50_000_00, 5_000_000_00)),
            "probability": maybe(st.integers(0, 100).map(lambda p: p / 100)),
            "close_date": st.sampled_from(DATES),
            "forecast_category": maybe(st.sampled_from(SPELLINGS)),
            "stage": maybe(st.sampled_from(["Negotiation", " negotiation", "Discovery"])),
        }
    ),
    max_size=12,
)

EXACT_MONEY = [f for f in MONEY_FIELDS if f != "weighted_open_pipeline"]


def _total(rows: list[Any], name: str) -> Decimal | int:
    return sum((getattr(r, name) or 0 for r in rows), D(0) if name in MONEY_FIELDS else 0)


def _adds_up(rows: list[Any], whole: Any, what: str) -> None:
    """The rows' additive figures sum to ``whole``'s: exactly for counts and money from
    cents; within half a cent per row for the rounded sub-cent sums (weighted, quota)."""
    for name in [*COUNT_FIELDS, *EXACT_MONEY]:
        assert _total(rows, name) == getattr(whole, name), (what, name)
    gap = abs(_total(rows, "weighted_open_pipeline") - whole.weighted_open_pipeline)
    assert gap <= D("0.005") * len(rows), (what, "weighted_open_pipeline")
    # a missing, zero or negative quota adds nothing to a level
    positive = [r.quota for r in rows if r.quota is not None and r.quota > 0]
    gap = abs(sum(positive, D(0)) - (whole.quota or 0))
    assert gap <= D("0.005") * len(rows), (what, "quota")
    # a level has a quota when one of its reps has a positive one (a quarter of $0.01 is
    # positive, though its row shows $0.00)
    with_quota = sum(r.reps - r.reps_without_quota for r in rows)
    assert (whole.quota is not None) == (with_quota > 0), what


def _derived(row: Any, below: float) -> None:
    """The cumulative roll-ups, gap and coverage of one row from its own figures."""
    assert row.commit_forecast == row.closed_won + row.commit
    assert row.best_case_forecast == row.closed_won + row.commit + row.best_case
    assert row.open_pipeline == row.commit + row.best_case + row.pipeline
    assert row.commit_forecast_deals == row.closed_won_deals + row.commit_deals
    assert row.best_case_forecast_deals == (
        row.closed_won_deals + row.commit_deals + row.best_case_deals
    )
    assert row.open_pipeline_deals == row.commit_deals + row.best_case_deals + row.pipeline_deals
    if row.quota is None:
        assert (row.gap_to_quota, row.coverage, row.low_coverage) == (None, None, False)
        return
    # Quota and gap are each rounded to the cent from exact values (a quarter of a quota has
    # 4 places), so the rounded gap is within a cent of the rounded quota - closed won.
    gap = row.gap_to_quota
    assert gap is not None and abs(gap - (row.quota - row.closed_won)) <= CENT
    if abs(gap) < CENT:
        return  # the sign of the exact gap is not known from the rounded one
    if gap < 0:
        assert (row.coverage, row.weighted_coverage, row.low_coverage) == (None, None, False)
        return
    ratio = float(row.open_pipeline) / float(gap)
    # The exact gap is within half a cent of the rounded one, so the exact ratio is within
    # ratio x 0.005 / exact gap of this one, and the exact gap is at least gap - 0.005 (a
    # rounded $0.16 may be an exact $0.155: 1976.56x here is 2040.32x exactly).
    slack = 0.005 + abs(ratio) * 0.0051 / (float(gap) - 0.005) + 1e-9
    assert row.coverage is not None and abs(row.coverage - ratio) <= slack, (row, ratio)
    assert row.weighted_coverage is not None
    if abs(ratio - below) > slack:
        assert row.low_coverage == (ratio < below)


def _oracle_company(deals: list[dict[str, Any]]) -> dict[str, Any]:
    """The company's deal figures for FY2027-Q1 at 2026-03-15, in plain Python."""
    first, last, as_of = "2026-02-01", "2026-04-30", "2026-03-15"
    out: dict[str, Any] = {"closed_won": D(0), "closed_won_deals": 0, "weighted": D(0)}
    for name in ("commit", "best_case", "pipeline", "omitted", "slipped"):
        out[name], out[f"{name}_deals"] = D(0), 0
    out |= {"no_close": 0, "by_stage": 0, "by_default": 0}
    for deal in deals:
        value = D(str(deal["deal_value_usd"] or 0))
        close, status = deal["close_date"], deal["status"]
        in_period = close is not None and first <= close <= last
        if status == "won" and in_period:
            out["closed_won"] += value
            out["closed_won_deals"] += 1
        if status != "active":
            continue
        if close is None:
            out["no_close"] += 1
        elif close < as_of:
            out["slipped"] += value
            out["slipped_deals"] += 1
        if not in_period:
            continue
        text = deal["forecast_category"]
        own = None
        if text is not None:
            own = ORACLE_CATEGORY.get(text.lower().replace(" ", ""))
        stage = (deal["stage"] or "").strip().lower()
        if own is not None:
            category = own
        elif stage == "negotiation":
            category, out["by_stage"] = "best_case", out["by_stage"] + 1
        else:
            category, out["by_default"] = "pipeline", out["by_default"] + 1
        out[category] += value
        out[f"{category}_deals"] += 1
        if category != "omitted":
            out["weighted"] += value * D(str(deal["probability"] or 0))
    return out


def _chain(boss: dict[str, str | None], rep: str) -> list[str]:
    above, out = boss[rep], []
    while above is not None:
        out.append(above)
        above = boss.get(above)
    return out


@settings(max_examples=min(15, settings.default.max_examples))
@given(reps=hierarchies(), deals=deals_strategy)
def test_every_level_adds_up(reps: list[dict[str, Any]], deals: list[dict[str, Any]]) -> None:
    rows = [{"deal_id": f"H{i:02d}", **d} for i, d in enumerate(deals)]
    f = api.forecast(rows or None, reps, as_of=AS_OF, period="FY2027-Q1", policy=POLICY)
    company = f.company
    for level in ("rep", "team", "region"):
        _adds_up(f.rows(level), company, level)  # type: ignore[arg-type]
    for level in ("rep", "manager", "team", "region", "company"):
        for row in f.rows(level):  # type: ignore[arg-type]
            _derived(row, 3.0)

    # The company from the deals, in plain Python.
    want = _oracle_company(deals)
    for name in ("closed_won", "commit", "best_case", "pipeline", "omitted"):
        assert (getattr(company, name), getattr(company, f"{name}_deals")) == (
            want[name],
            want[f"{name}_deals"],
        ), name
    assert (company.slipped_value, company.slipped_deals) == (
        want["slipped"],
        want["slipped_deals"],
    )
    assert company.weighted_open_pipeline == want["weighted"].quantize(CENT, ROUND_HALF_EVEN)
    assert company.deals_without_close_date == want["no_close"]
    assert (company.categorized_by_stage, company.categorized_by_default) == (
        want["by_stage"],
        want["by_default"],
    )
    quotas = [
        D(str(r["quota_usd"])) * D("0.25")
        for r in reps
        if r["quota_usd"] is not None and r["quota_usd"] > 0
    ]
    assert company.quota == (sum(quotas, D(0)).quantize(CENT, ROUND_HALF_EVEN) if quotas else None)
    assert company.reps == len(reps)
    assert company.reps_without_quota == sum(
        1 for r in reps if r["quota_usd"] is None or r["quota_usd"] <= 0
    )

    # Managers: every id a rep names (not itself), each the sum of its own row (a rep record,
    # or deals under its id without one) and the rows of every rep whose chain holds it.
    boss = {
        r["rep_id"]: (None if r["manager_id"] == r["rep_id"] else r["manager_id"]) for r in reps
    }
    managers = sorted({m for m in boss.values() if m is not None})
    assert [r.id for r in f.by_manager] == managers
    by_rep = {r.id: r for r in f.by_rep}
    for row in f.by_manager:
        members = [
            r
            for r in f.by_rep
            if r.id is not None
            and (r.id == row.id or (r.id in boss and row.id in _chain(boss, r.id)))
        ]
        _adds_up(members, row, f"manager {row.id}")
        assert row.parent == boss.get(row.id)
        assert row.name == (f"Name {row.id}" if row.id in boss else None)
    for rep in reps:
        assert by_rep[rep["rep_id"]].parent == boss[rep["rep_id"]]


# --- DuckDB and Spark give the same forecast ------------------------------------------------
# --- the CLI ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The hand fixture as CSV files and the policy as TOML."""
    folder = tmp_path_factory.mktemp("forecast")
    paths = [folder / "deals.csv", folder / "reps.csv", folder / "policy.toml"]
    for path, rows in zip(paths, (DEALS, REPS), strict=False):
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    paths[2].write_text(
        "[calendar]\nfiscal_year_start_month = 2\n\n"
        '[forecast]\ncategory_by_stage = { Negotiation = "best_case" }\n',
        encoding="utf-8",
    )
    return paths


def _cli(files: list[Path], *args: str, columns: int | None = None) -> Any:
    deals, reps, policy = files
    options = ("--deals", deals, "--reps", reps, "--policy", policy, "--as-of", "2026-03-15")
    return run("forecast", *options, *args, env={"COLUMNS": str(columns)} if columns else None)


def test_cli_json_is_the_api_forecast(files: list[Path], forecast: api.Forecast) -> None:
    proc = _cli(files, "--period", "FY2027-Q1", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    deals, reps, policy = files
    from_files = api.forecast(deals, reps, as_of=AS_OF, period="FY2027-Q1", policy=policy)
    assert proc.stdout == from_files.to_json()
    assert proc.stdout == forecast.to_json()  # the CSV files hold the hand fixture


def test_cli_table_by_manager(files: list[Path]) -> None:
    proc = _cli(files, "--by", "manager")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "Forecast FY2027-Q1 (2026-02-01 to 2026-04-30) by manager, as of 2026-03-15" in out
    for name in ("Mia (M1)", "Max (M2)", "Vera (V1)", "X9", "Company"):
        assert name in out, name
    assert "Ann (R1)" not in out  # reps are not a manager level row
    assert "$121,000.75" in out  # V1's best-case forecast
    # 120 columns (a pipe's default) leave the least needed columns out, and say which
    assert "Not shown at this width: Commit, Best case, Pipeline" in out
    wide = _cli(files, "--by", "manager", columns=220).stdout
    assert "$97,000.25" in wide  # V1's open pipeline: 45000.25 + 46000 + 6000
    assert "Not shown at this width" not in wide


def test_cli_unknown_period_is_one_line_exit_1(files: list[Path]) -> None:
    proc = _cli(files, "--period", "FY2027-Q5")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: unknown period 'FY2027-Q5' (use one of: {ACCEPTED} (fiscal years are named by "
        "the calendar year they end in))"
    ]
    assert proc.stdout == ""


def test_cli_html_is_self_contained(files: list[Path]) -> None:
    proc = _cli(files, "--format", "html", "--by", "manager")
    assert proc.returncode == 0, proc.stderr
    page = proc.stdout
    assert page.lstrip().lower().startswith("<!doctype html")
    assert "<script" not in page.lower()
    urls = set(re.findall(r"https?://[^\s\"'<>)]*", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert "@import" not in page
    # Whatever the page links to (an icon, images) is inline: a data: URI or an anchor.
    links = re.findall(r"""(?:href|src)\s*=\s*["']([^"']*)""", page, flags=re.IGNORECASE)
    assert all(link.startswith(("data:", "#")) for link in links), links
    assert "Mia (M1)" in page and "Vera (V1)" in page


# --- a stored day is explained by the forecast it showed ---------------------------------
def test_dashboard_explains_a_stored_day_by_its_quota_table(tmp_path: Path) -> None:
    # The store keeps the canonical deals and reps, not the quota table: B's record quota
    # was filled from the table's January period (900), and the table lists B in no period
    # of this quarter (FY2026-Q2, April to June), so B has no quota for it; A's quarter is
    # its April and May periods (300 + 300 = 600), not a quarter of its filled annual 600.
    from pipereview.web.source import StoreSource

    as_of = dt.date(2026, 5, 15)
    reps = [{"rep_id": "A", "rep_name": "Al"}, {"rep_id": "B", "rep_name": "Bea"}]
    quotas = [
        {"rep_id": "A", "period_start": "2026-04-01", "quota": 300.0},
        {"rep_id": "A", "period_start": "2026-05-01", "quota": 300.0},
        {"rep_id": "B", "period_start": "2026-01-01", "quota": 900.0},
    ]
    deals = [
        _deal("DA", "A", "active", 150, 0.5, "2026-06-01", "Commit"),
        _deal("DB", "B", "active", 300, 0.5, "2026-06-01", "Commit"),
    ]
    store = tmp_path / "store.duckdb"
    api.snapshot(deals, reps, as_of=as_of, store=store, quotas=quotas)
    stored = api.stored_report(as_of, store)
    assert [f.subject_id for f in stored.flags if f.rule == "low_coverage"] == ["A"]  # 150/600
    source = StoreSource(str(store))
    a = next(v for v in source.explain("A", as_of) if v.rule == "low_coverage")
    assert a.fired and "($600.00 quota, $0.00 closed won): coverage 0.25x" in a.message
    b = next(v for v in source.explain("B", as_of) if v.rule == "low_coverage")
    assert (b.fired, b.message) == (
        False,
        "Rep B (Bea) has no quota for FY2026-Q2, so coverage is not judged.",
    )


def test_coverage_reads_true_beside_the_threshold() -> None:
    # A quarter quota of 1,000 (annual 4,000) and 2,999.99 open: 2.99999x is low; rounded to
    # two places it would read "3.00x (low)" under "low below 3x"
    deals = [_deal("C1", "A", "active", 2999.99, 0.5, "2026-03-20", "Commit")]
    f = api.forecast(deals, [{"rep_id": "A", "quota_usd": 4000.0}], as_of=AS_OF)
    row = next(r for r in f.by_rep if r.id == "A")
    assert (row.coverage, row.low_coverage) == (2.99999, True)
    assert f.company.coverage == 2.99999
    # a sliver of coverage is not "0x"
    tiny = [_deal("C2", "A", "active", 0.01, 0.5, "2026-03-20", "Commit")]
    f = api.forecast(tiny, [{"rep_id": "A", "quota_usd": 4000000.0}], as_of=AS_OF)
    assert f.company.coverage == 0.00000001  # 0.01 / (4,000,000 x 0.25)


def test_blank_manager_team_and_region_are_none() -> None:
    reps = [
        {"rep_id": "A", "manager_id": " ", "team": "", "region": "  "},
        {"rep_id": "B", "manager_id": " A ", "team": "T", "region": "R"},
    ]
    deals = [_deal("X", "A", "active", 10, 0.5, "2026-03-20", "Commit")]
    f = api.forecast(deals, reps, as_of=AS_OF)
    assert [(r.id, r.parent) for r in f.by_rep] == [("A", None), ("B", "A")]
    assert [r.id for r in f.by_manager] == ["A"]  # " A " is A
    assert [r.id for r in f.by_team] == ["T", None]
    assert [r.id for r in f.by_region] == ["R", None]


@pytest.mark.parametrize("period", ["FY0000-Q1", "FY0001-Q2", "FY9999-Q4"])
def test_a_quarter_outside_the_calendar_is_an_unknown_period(period: str) -> None:
    with pytest.raises(InputError, match=f"unknown period '{period}'"):
        api.forecast(None, [{"rep_id": "A"}], as_of=AS_OF, period=period)


def test_a_report_date_outside_the_calendar_is_refused() -> None:
    with pytest.raises(InputError, match="9999-12-01 is outside the years"):
        api.build_report([], [], as_of=dt.date(9999, 12, 1))
