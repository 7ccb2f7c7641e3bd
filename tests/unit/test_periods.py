"""The one period parser (src/pipereview/periods.py) by hand, and the periods it gives the
forecast (with its quota for a period other than a quarter: decisions D44) and the flow."""

from __future__ import annotations

import datetime as dt

import pytest

from pipereview import api
from pipereview.errors import InputError
from pipereview.periods import ACCEPTED, parse_period

D = dt.date
AS_OF = D(2026, 3, 15)  # with a February fiscal year: FY2027 began 2026-02-01


@pytest.mark.parametrize(
    ("text", "label", "first", "last", "quarters"),
    [
        ("this-quarter", "FY2027-Q1", D(2026, 2, 1), D(2026, 4, 30), 1),
        ("next-quarter", "FY2027-Q2", D(2026, 5, 1), D(2026, 7, 31), 1),
        ("last-quarter", "FY2026-Q4", D(2025, 11, 1), D(2026, 1, 31), 1),
        ("FY2027-Q3", "FY2027-Q3", D(2026, 8, 1), D(2026, 10, 31), 1),
        ("this-year", "FY2027", D(2026, 2, 1), D(2027, 1, 31), 4),
        ("last-year", "FY2026", D(2025, 2, 1), D(2026, 1, 31), 4),
        ("next-year", "FY2028", D(2027, 2, 1), D(2028, 1, 31), 4),
        ("fy2027", "FY2027", D(2026, 2, 1), D(2027, 1, 31), 4),
        ("this-half", "FY2027-H1", D(2026, 2, 1), D(2026, 7, 31), 2),
        ("last-half", "FY2026-H2", D(2025, 8, 1), D(2026, 1, 31), 2),
        ("FY2027-H2", "FY2027-H2", D(2026, 8, 1), D(2027, 1, 31), 2),
        ("this-month", "2026-03", D(2026, 3, 1), D(2026, 3, 31), None),
        ("last-month", "2026-02", D(2026, 2, 1), D(2026, 2, 28), None),
        ("2026-11", "2026-11", D(2026, 11, 1), D(2026, 11, 30), None),
        ("2026-02-01..2026-07-31", "2026-02-01..2026-07-31", D(2026, 2, 1), D(2026, 7, 31), 2),
        ("2026-07-01..2026-09-30", "2026-07-01..2026-09-30", D(2026, 7, 1), D(2026, 9, 30), None),
    ],
)
def test_every_form_by_hand(text: str, label: str, first: D, last: D, quarters: int | None) -> None:
    assert tuple(parse_period(text, AS_OF, 2)) == (label, first, last, quarters)


def test_a_calendar_year() -> None:
    assert tuple(parse_period("last-quarter", D(2026, 1, 10))) == (
        "FY2025-Q4",
        D(2025, 10, 1),
        D(2025, 12, 31),
        1,
    )
    assert parse_period("FY2026-H2", AS_OF)[1:3] == (D(2026, 7, 1), D(2026, 12, 31))


@pytest.mark.parametrize(
    "text",
    ["FY27", "2026-13", "2026-09-30..2026-07-01", "all", "next-decade", "2026-02-30..2026-03-01"],
)
def test_anything_else_lists_the_accepted_forms(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_period(text, AS_OF, 2)
    assert f"unknown period {text!r}" in str(err.value)
    assert ACCEPTED in (err.value.hint or "")


def test_all_where_a_command_allows_it() -> None:
    assert tuple(parse_period("all", AS_OF, allow_all=True)) == ("all", None, None, None)


DEALS = [
    {"deal_id": f"D{i}", "rep_id": "R1", "status": s, "deal_value_usd": v, "probability": 0.5}
    | {"close_date": c, "forecast_category": "Commit"}
    for i, (s, v, c) in enumerate(
        [
            ("won", 100, "2026-02-10"),  # FY2027-Q1
            ("active", 40, "2026-03-20"),  # March
            ("active", 7, "2026-09-05"),  # FY2027-Q3
            ("won", 5, "2025-12-01"),  # FY2026
        ]
    )
]
REPS = [{"rep_id": "R1", "quota_usd": 1200, "year_to_date_revenue_usd": 100}]
POLICY = {"calendar": {"fiscal_year_start_month": 2}}


def _company(period: str) -> tuple:
    f = api.forecast(DEALS, REPS, as_of=AS_OF, period=period, policy=POLICY)
    c = f.company
    return f.period, f.period_start, f.period_end, c.closed_won, c.commit, c.quota


def test_the_forecast_takes_any_period() -> None:
    # a year is 4 quarters of the annual quota; a half 2
    assert _company("this-year") == ("FY2027", D(2026, 2, 1), D(2027, 1, 31), 100, 47, 1200)
    assert _company("this-half") == ("FY2027-H1", D(2026, 2, 1), D(2026, 7, 31), 100, 40, 600)
    assert _company("last-year") == ("FY2026", D(2025, 2, 1), D(2026, 1, 31), 5, 0, 1200)
    # a month is not whole quarters: no share of the annual quota is guessed
    assert _company("this-month") == ("2026-03", D(2026, 3, 1), D(2026, 3, 31), 0, 40, None)
    f = api.forecast(DEALS, REPS, as_of=AS_OF, period="2026-03", policy=POLICY)
    assert (f.company.reps_without_quota, f.by_rep[0].quota_source) == (1, "none")
    # the close months run to the end of the quarter after the period's last
    assert [m.month for m in f.by_close_month] == [D(2026, 3, 1), D(2026, 4, 1)] + [
        D(2026, m, 1) for m in (5, 6, 7)
    ]
