"""Forecast accuracy (issue 35 item 6): a quarter of weekly snapshots computed by hand, the
calls equal to what ``forecast`` says on each day's data, the open period and the weeks
before, the errors, the schema, the docs, and a property on random hierarchies.

No report is built: the snapshots are written from the canonical inputs
(``tests.support.snapshot_days``)."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview import api
from pipereview.errors import InputError, StoreError
from pipereview.report.accuracy_model import Accuracy, AccuracyRow
from tests.report.test_forecast import SPELLINGS, _cents, _chain, hierarchies, maybe
from tests.support.snapshot_days import store_days

ROOT = Path(__file__).parents[2]
SCHEMA_FILE = ROOT / "src" / "pipereview" / "schemas" / "accuracy.schema.json"
START = dt.date(2026, 10, 1)  # FY2026-Q4 (calendar fiscal year): 2026-10-01 .. 2026-12-31
DAYS = [START + dt.timedelta(weeks=k) for k in range(14)]  # Thursdays, the last 2026-12-31
REPS = "rep_id,rep_name,manager_id,quota_usd\nR1,Ada,,400000\nR2,Bob,R1,200000\n"


def deals_on(k: int) -> str:
    """Week k's export. W (R1, $100,000, commit) is won in week 7 (close 2026-11-16); L
    (R2, $50,000, commit) is lost in week 10; M (R2, $30,000) moves from best case to commit
    in week 9 and is won in week 11."""
    rows = [
        ("W", "R1", "active" if k <= 6 else "won", 100000, "Commit", "2026-11-16"),
        ("L", "R2", "active" if k <= 9 else "lost", 50000, "Commit", "2026-12-10"),
        ("M", "R2", "active" if k <= 10 else "won", 30000, "Best Case" if k <= 8 else "Commit",
         "2026-12-15"),
    ]  # fmt: skip
    header = "deal_id,rep_id,status,deal_value_usd,probability,forecast_category,close_date\n"
    return header + "".join(f"{d},{r},{s},{v},0.5,{c},{close}\n" for d, r, s, v, c, close in rows)


@pytest.fixture(scope="module")
def quarter(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The store of 14 weekly snapshots and each week's files."""
    root = tmp_path_factory.mktemp("quarter")
    (root / "reps.csv").write_text(REPS)
    files = {}
    for k, day in enumerate(DAYS):
        (root / f"deals{k}.csv").write_text(deals_on(k))
        files[day] = (root / f"deals{k}.csv", root / "reps.csv")
    store = root / "store.duckdb"
    store_days(store, files)
    return {"store": store, "files": files}


def _hand(k: int) -> dict[tuple[str, str | None], tuple[int, int, int]]:
    """Week k's (commit call, best-case call, actual) by (level, subject), by hand.
    R1: W is commit, then won: $100,000 both calls every week; actual $100,000.
    R2: weeks 0-8 L commit $50,000 + M best case $30,000: commit 50,000, best case 80,000;
    week 9 both commit: 80,000 / 80,000; week 10 L lost, M commit: 30,000 / 30,000;
    weeks 11-13 M won: 30,000 / 30,000. Actual (2026-12-31): M won, $30,000.
    The company: the sum, actual $130,000."""
    r2 = (50000, 80000) if k <= 8 else (80000, 80000) if k == 9 else (30000, 30000)
    r1 = (100000, 100000)
    company = (r1[0] + r2[0], r1[1] + r2[1])
    return {
        ("rep", "R1"): (*r1, 100000),
        ("rep", "R2"): (*r2, 30000),
        ("company", None): (*company, 130000),
    }


def _share(value: int, actual: int) -> float:
    """Hand-rounded 4-place shares of the values that occur."""
    return {
        (0, 30000): 0.0,
        (20000, 30000): 0.6667,  # 0.66666...
        (50000, 30000): 1.6667,  # 1.66666...
        (0, 100000): 0.0,
        (0, 130000): 0.0,
        (20000, 130000): 0.1538,  # 0.153846...
        (50000, 130000): 0.3846,  # 0.384615...
    }[(value, actual)]


def test_a_quarter_of_weekly_snapshots_by_hand(quarter: dict[str, Any]) -> None:
    a = api.accuracy("FY2026-Q4", store=quarter["store"], as_of=dt.date(2027, 1, 5))
    data = json.loads(a.to_json())
    assert (data["period"], data["period_start"], data["period_end"]) == (
        "FY2026-Q4",
        "2026-10-01",
        "2026-12-31",
    )
    assert data["snapshots"] == [d.isoformat() for d in DAYS]
    assert (data["actual_as_of"], data["actual_status"]) == ("2026-12-31", "final")
    expected = []
    for level, subject, name in (
        ("rep", "R1", "Ada"),
        ("rep", "R2", "Bob"),
        ("company", None, None),
    ):
        for k, day in enumerate(DAYS):
            commit, best, actual = _hand(k)[(level, subject)]
            row: dict[str, Any] = {
                "as_of": day.isoformat(),
                "level": level,
                "id": subject,
                "name": name,
                "commit_call": commit,
                "best_case_call": best,
                "actual": actual,
            }
            for call, value in (("commit", commit), ("best_case", best)):
                bias = value - actual  # every call here is at or above the actual
                row |= {
                    f"{call}_bias": bias,
                    f"{call}_bias_share": _share(bias, actual),
                    f"{call}_error": abs(bias),
                    f"{call}_error_share": _share(abs(bias), actual),
                }
            expected.append(row)
    assert data["rows"] == expected


def test_each_call_is_what_forecast_said_that_day(quarter: dict[str, Any]) -> None:
    a = api.accuracy("FY2026-Q4", store=quarter["store"], by="manager")
    assert a.actual_as_of == DAYS[-1]  # as_of defaults to the latest snapshot
    for day in (DAYS[0], DAYS[9], DAYS[10]):  # the three phases of the quarter
        f = api.forecast(*quarter["files"][day], as_of=day, period="FY2026-Q4")
        calls = {(r.level, r.id): r for r in a.rows if r.as_of == day}
        for row in (f.company, *f.by_manager):
            got = calls[(row.level, row.id)]
            assert (got.commit_call, got.best_case_call) == (
                row.commit_forecast,
                row.best_case_forecast,
            )


def test_an_open_period_and_the_weeks_before(quarter: dict[str, Any]) -> None:
    # no snapshot on or after 2027-01-31: the actual is the latest one, and says so
    a = api.accuracy("2026-12-01..2027-01-31", store=quarter["store"], by="company")
    assert (a.actual_as_of, a.actual_status) == (DAYS[-1], "open")
    assert a.snapshots == DAYS[9:]  # 2026-12-03 on
    # one week before December: 2026-11-26 counts; W (closing in November) is not in it
    a = api.accuracy(
        "2026-12", store=quarter["store"], by="company", weeks_before=1, as_of=DAYS[-1]
    )
    assert a.snapshots == DAYS[8:]
    first = a.company_on(DAYS[8])  # L commit $50,000, M best case $30,000; M won $30,000
    assert (first.commit_call, first.best_case_call, first.actual) == (50000, 80000, 30000)
    assert (first.commit_bias, first.commit_bias_share) == (20000, 0.6667)
    assert [r.level for r in a.rows] == ["company"] * 6


def test_what_accuracy_refuses(quarter: dict[str, Any], tmp_path: Path) -> None:
    store = quarter["store"]
    with pytest.raises(StoreError, match=r"no snapshot in FY2026-Q3 \(2026-07-01 to 2026-09-30\)"):
        api.accuracy("FY2026-Q3", store=store)
    with pytest.raises(InputError, match="has not started on 2026-12-31"):
        api.accuracy("next-quarter", store=store)
    with pytest.raises(InputError, match="unknown level 'boss'"):
        api.accuracy("FY2026-Q4", store=store, by="boss")
    with pytest.raises(InputError, match="unknown period"):
        api.accuracy("FY20", store=store)
    with pytest.raises(StoreError, match="no store"):
        api.accuracy("FY2026-Q4", store=tmp_path / "none.duckdb")


def test_a_share_is_absent_without_an_actual(tmp_path: Path) -> None:
    deals = tmp_path / "deals.csv"
    deals.write_text(deals_on(0))
    (tmp_path / "reps.csv").write_text(REPS)
    store_days(tmp_path / "s.duckdb", {DAYS[0]: (deals, tmp_path / "reps.csv")})
    row = api.accuracy("FY2026-Q4", store=tmp_path / "s.duckdb", by="company").rows[0]
    assert (row.actual, row.commit_bias, row.commit_bias_share) == (0, 150000, None)
    assert row.best_case_error_share is None


# --- the schema and the docs --------------------------------------------------------------
def generated() -> str:
    return json.dumps(Accuracy.model_json_schema(), indent=2, sort_keys=True) + "\n"


def test_schema_file_matches_the_model(quarter: dict[str, Any]) -> None:
    if os.environ.get("PIPEREVIEW_UPDATE_GOLDEN"):
        SCHEMA_FILE.write_text(generated())
    assert SCHEMA_FILE.read_text() == generated()
    data = json.loads(api.accuracy("FY2026-Q4", store=quarter["store"]).to_json())
    jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text()))
    del data["rows"][0]["commit_call"]
    with pytest.raises(jsonschema.ValidationError, match="commit_call"):
        jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text()))


def test_every_figure_is_documented() -> None:
    doc = (ROOT / "docs" / "metrics.md").read_text()
    names = [*AccuracyRow.model_fields, *Accuracy.model_fields]
    skip = {"level", "id", "name", "rows", "schema_version", "currency", "period", "by"}
    assert [n for n in names if n not in skip and f"`{n}`" not in doc] == []


# --- property: every level adds up, on random hierarchies -----------------------------------
CLOSE = ["2026-09-30", "2026-10-01", "2026-11-15", "2026-12-31", "2027-01-01", None]
_deals = st.lists(
    st.fixed_dictionaries(
        {
            "rep_id": maybe(st.sampled_from(["A", "B", "C", "D", "E", "Z", "Q9"])),
            "status": st.sampled_from(["active", "active", "won", "lost"]),
            "deal_value_usd": _cents(-5_000_00, 5_000_000_00),
            "probability": st.just(0.5),
            "close_date": st.sampled_from(CLOSE),
            "forecast_category": maybe(st.sampled_from(SPELLINGS)),
        }
    ),
    max_size=10,
)
FIGURES = ("commit_call", "best_case_call", "actual", "commit_bias", "best_case_bias")


def _sums(rows: list[AccuracyRow], whole: AccuracyRow, what: str) -> None:
    for name in FIGURES:
        assert sum((getattr(r, name) for r in rows), D(0)) == getattr(whole, name), (what, name)
    assert whole.commit_error == abs(whole.commit_bias)


@settings(max_examples=min(8, settings.default.max_examples))
@given(reps=hierarchies(), before=_deals, after=_deals)
def test_levels_add_up(
    reps: list[dict[str, Any]], before: list[dict], after: list[dict], tmp_path_factory: Any
) -> None:
    root = tmp_path_factory.mktemp("property")
    frames = [
        pd.DataFrame([{"deal_id": f"H{i:02d}", **d} for i, d in enumerate(deals)])
        if deals
        else pd.DataFrame({"deal_id": ["none"], "rep_id": ["A"], "status": ["lost"],
                           "deal_value_usd": [0.0], "probability": [0.5]})
        for deals in (before, after)
    ]  # fmt: skip
    days = {dt.date(2026, 11, 20): frames[0], dt.date(2027, 1, 4): frames[1]}
    store = root / "store.duckdb"
    store_days(store, {day: (deals, pd.DataFrame(reps)) for day, deals in days.items()})
    by_rep = api.accuracy("FY2026-Q4", store=store, by="rep")
    by_manager = api.accuracy("FY2026-Q4", store=store, by="manager")
    boss = {
        r["rep_id"]: (None if r["manager_id"] == r["rep_id"] else r["manager_id"]) for r in reps
    }
    for day in by_rep.snapshots:
        reps_on = [r for r in by_rep.rows if r.as_of == day and r.level == "rep"]
        _sums(reps_on, by_rep.company_on(day), f"company {day}")
        assert by_manager.company_on(day) == by_rep.company_on(day)
        for manager in (r for r in by_manager.rows if r.as_of == day and r.level == "manager"):
            members = [
                r
                for r in reps_on
                if r.id is not None
                and (r.id == manager.id or (r.id in boss and manager.id in _chain(boss, r.id)))
            ]
            _sums(members, manager, f"manager {manager.id} {day}")


# --- the report's and the dashboard's section ------------------------------------------------
def test_the_report_and_the_dashboard_show_last_quarter(tmp_path: Path) -> None:
    from pipereview.render import render
    from pipereview.web.source import StoreSource

    (tmp_path / "reps.csv").write_text(REPS)
    store = tmp_path / "store.duckdb"
    for k, day in ((0, DAYS[0]), (13, DAYS[-1])):  # two snapshots of FY2026-Q4, each a report
        (tmp_path / f"deals{k}.csv").write_text(deals_on(k))
        api.snapshot(tmp_path / f"deals{k}.csv", tmp_path / "reps.csv", as_of=day, store=store)
    files = (tmp_path / "deals13.csv", tmp_path / "reps.csv")
    assert api.build_report(*files, as_of=DAYS[-1], store=store).accuracy is None  # no Q3
    report = api.build_report(*files, as_of=dt.date(2027, 1, 10), store=store)
    a = report.accuracy
    assert a is not None and (a.period, a.by, a.snapshots) == (
        "FY2026-Q4",
        "company",
        [DAYS[0], DAYS[-1]],
    )
    start, end = a.company_on(DAYS[0]), a.company_on(DAYS[-1])
    assert (start.commit_call, start.best_case_call, start.actual) == (150000, 180000, 130000)
    assert (end.commit_call, end.best_case_call, end.commit_bias) == (130000, 130000, 0)
    assert json.loads(report.to_json())["accuracy"]["actual_as_of"] == "2026-12-31"
    markdown = render(report, "markdown")
    assert "## Forecast accuracy, FY2026-Q4" in markdown
    assert "| At the start (2026-10-01) | $150.0K | +15.4% | $180.0K | +38.5% |" in markdown
    assert "Actual (closed won): $130.0K as of 2026-12-31" in markdown
    assert '<section id="accuracy">' in render(report, "html")
    # the dashboard: a stored report has none, so it is computed from the store
    api.snapshot(*files, as_of=dt.date(2027, 1, 10), store=store)
    shown = StoreSource(str(store)).report(dt.date(2027, 1, 10)).accuracy
    assert shown is not None and shown.rows == a.rows
