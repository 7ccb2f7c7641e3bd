"""A deal history applied to the report: days in stage for deals without them (from the
last stage change) and close-date pushes, on hand-built exports with every number computed
by hand (decisions D48 to D50)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from pipereview import api
from pipereview.report import Report
from tests.support.cli import pipereview

AS_OF = dt.date(2026, 11, 20)
# An export without a days_in_stage column (as a CRM export without LastStageChangeDate).
DEALS = """deal_id,rep_id,status,deal_value_usd,probability,stage,created_date,close_date
A1,R1,active,1000,0.8,Proposal,2026-06-01,2026-12-15
A2,R1,active,500,0.2,Discovery,2026-11-01,2026-12-20
A3,R1,active,300,0.5,Discovery,2026-08-01,2027-01-31
A4,R1,won,200,1,Closed Won,2026-05-01,2026-10-01
A5,R1,active,100,0.1,Discovery,,2026-12-31
"""
# A1 entered Proposal 2026-08-22: 90 days on 11-20 (its move on 12-01 is after as_of):
#   stalled (>= 21) and stale at 80 % (>= 60 days).
# A2 entered Discovery 11-10: 10 days. A3 never moved: in Discovery since created, 08-01:
#   111 days, stalled. A4 (won) never moved: since 05-01. A5 never moved, no created date:
#   unknown. Close dates: A1 pushed 09-30 -> 10-31 (31 days) -> 12-15 (45 days): 2 pushes,
#   76 days; A2 pulled in (not a push); A3 pushed 11-30 -> 2027-01-31 (62 days); A4 (won)
#   pushed once.
FIELDS = """deal_id,field,old_value,new_value,changed_at
A1,StageName,Discovery,Proposal,2026-08-22
A1,StageName,Proposal,Negotiation,2026-12-01
A2,StageName,Prospecting,Discovery,2026-11-10
A1,CloseDate,2026-09-30,2026-10-31,2026-09-25
A1,CloseDate,2026-10-31,2026-12-15,2026-10-28
A2,CloseDate,2026-12-31,2026-12-20,2026-11-12
A3,CloseDate,2026-11-30,2027-01-31,2026-11-15
A4,closedate,2026-09-01,2026-10-01,2026-08-15
"""
STAGES = """deal_id,stage,entered_at
A1,Discovery,2026-06-01
A1,Proposal,2026-08-22
A3,Discovery,2026-08-01
"""
REPS = [{"rep_id": "R1", "rep_name": "Ann"}]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("history")
    found = {}
    for name, text in (("deals", DEALS), ("fields", FIELDS), ("stages", STAGES)):
        found[name] = folder / f"{name}.csv"
        found[name].write_text(text)
    return found


@pytest.fixture(scope="module")
def with_fields(files: dict[str, Path]) -> Report:
    return api.build_report(files["deals"], REPS, as_of=AS_OF, field_history=files["fields"])


def _flagged(report: Report, rule: str) -> dict[str, dict[str, Any]]:
    return {f.subject_id: f.observed for f in report.flags if f.rule == rule}


def _quality(report: Report, check: str) -> Any:
    (item,) = [q for q in report.data_quality if q.check == check]
    return item


def test_days_in_stage_come_from_the_field_history(with_fields: Report) -> None:
    assert with_fields.pipeline_summary.stalled_deals_count == 2
    stalled = _flagged(with_fields, "stalled_deal")
    assert {k: v["days_in_stage"] for k, v in stalled.items()} == {"A1": 90, "A3": 111}
    assert list(_flagged(with_fields, "stale_high_probability")) == ["A1"]
    item = _quality(with_fields, "days_in_stage_source")
    assert (item.severity, item.count) == ("info", 4)
    assert item.message == (
        "Days in stage: 0 deal rows from the input's days-in-stage column, 4 from the field "
        "history (--field-history) (days from the deal's last stage change to 2026-11-20), "
        "1 unknown (counted as 0)."
    )
    days = {d.deal_id: d.days_in_stage for d in with_fields.deal_details}
    assert days["A1"] == 90


def test_days_in_stage_from_a_stage_history_and_the_input_first(
    files: dict[str, Path], tmp_path: Path
) -> None:
    # A2 has its own days (3): the input's value is kept; A1 90 and A3 111 from the history
    deals = tmp_path / "deals.csv"
    lines = DEALS.replace("probability,stage", "probability,days_in_stage,stage").splitlines()
    lines = [lines[0]] + [
        line.replace(",Proposal,", ",,Proposal,").replace(",Discovery,", ",,Discovery,")
        if not line.startswith("A2")
        else line.replace(",Discovery,", ",3,Discovery,")
        for line in lines[1:]
    ]
    deals.write_text("\n".join(lines).replace(",Closed Won,", ",,Closed Won,") + "\n")
    report = api.build_report(deals, REPS, as_of=AS_OF, stage_history=files["stages"])
    stalled = _flagged(report, "stalled_deal")
    assert {k: v["days_in_stage"] for k, v in stalled.items()} == {"A1": 90, "A3": 111}
    assert {d.deal_id: d.days_in_stage for d in report.deal_details}["A2"] == 3
    item = _quality(report, "days_in_stage_source")
    assert item.count == 2
    assert item.message.startswith(
        "Days in stage: 1 deal rows from the input's days-in-stage column, 2 from the stage "
        "history (--stage-history)"
    )
    assert item.message.endswith("2 unknown (counted as 0).")


def test_close_date_pushes_raise_repeatedly_pushed(with_fields: Report) -> None:
    (flag,) = [f for f in with_fields.flags if f.rule == "repeatedly_pushed"]
    assert flag.subject_id == "A1"
    assert flag.observed == {
        "status": "active",
        "rep_id": "R1",
        "stage": "Proposal",
        "close_date_pushes": 2,
        "days_pushed": 76,
        "first_close_date": "2026-09-30",
        "close_date": "2026-12-15",
        "deal_value_usd": 1000,
    }
    assert flag.thresholds == {"repeatedly_pushed_at": 2}
    assert flag.message == (
        "Deal A1 in stage Proposal had its close date pushed 2 times, 76 days in all, from "
        "2026-09-30 to 2026-12-15, at or above 2 pushes (value $1,000.00)."
    )
    assert not [q for q in with_fields.data_quality if q.check == "pushes_unknown"]


def test_the_slip_rate_of_the_quarter_from_the_field_history(with_fields: Report) -> None:
    # FY2026-Q4 (10-01..12-31). At its start A1 was due 10-31 (changed 09-25), A3 11-30 (its
    # first change since the start, 11-15, moved it from there), A4 10-01 (closed since),
    # A5 12-31 (never moved); A2 did not exist (created 11-01). Due: 1000 + 300 + 200 + 100
    # = 1600; moved out: A3 (now 2027-01-31), 300. Active pushes: A1 2 (76 days), A3 1 (62).
    data = json.loads(with_fields.to_json())["slippage"]
    assert data == {
        "source": "field_history",
        "pushed_deals": 2,
        "pushes": 3,
        "days_pushed": 138,
        "period": "FY2026-Q4",
        "period_start": "2026-10-01",
        "period_end": "2026-12-31",
        "due_deals": 4,
        "due_value": 1600.0,
        "moved_out_deals": 1,
        "moved_out_value": 300.0,
        "slip_rate": 0.19,  # 300 / 1600 = 0.1875
    }


def _snap(deal_id: str, stage: str, days: int | None, close: str, value: int) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "rep_id": "R1",
        "status": "active",
        "deal_value_usd": value,
        "probability": 0.5,
        "stage": stage,
        "days_in_stage": days,
        "created_date": "2026-09-01",
        "close_date": close,
    }


def test_pushes_days_and_slip_rate_from_a_stores_snapshots(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    stored = {
        dt.date(2026, 9, 28): (("Discovery", 5, "2026-10-15"), (None, "2026-11-30"), 10),
        dt.date(2026, 10, 30): (("Discovery", 37, "2026-11-15"), (None, "2026-12-20"), 42),
    }
    for day, (s1, (s2_days, s2_close), s3_days) in stored.items():
        deals = [
            _snap("S1", *s1, 100),
            _snap("S2", "Proposal", s2_days, s2_close, 200),
            _snap("S3", "Discovery", s3_days, "2027-02-01", 50),
        ]
        api.snapshot(deals, REPS, as_of=day, store=store)
    now = [
        _snap("S1", "Proposal", None, "2026-12-31", 100),
        _snap("S2", "Proposal", None, "2027-01-15", 200),
        _snap("S3", "Discovery", None, "2027-02-01", 50),
    ]
    report = api.build_report(now, REPS, as_of=AS_OF, store=store)
    # S1 moved to Proposal since the last snapshot: 0 days; S2 in Proposal since the first
    # snapshot (days unknown there): 09-28 -> 11-20 = 53; S3 entered Discovery 09-18: 63.
    days = {d.deal_id: d.days_in_stage for d in report.deal_details}
    assert (days.get("S1", 0), days["S2"], days["S3"]) == (0, 53, 63)
    assert _quality(report, "days_in_stage_source").count == 3
    # S1 pushed 10-15 -> 11-15 -> 12-31 (31 + 46 days), S2 11-30 -> 12-20 -> 2027-01-15
    # (20 + 26): both twice, flagged by value (S2 first)
    pushed = [f for f in report.flags if f.rule == "repeatedly_pushed"]
    assert [(f.subject_id, f.observed["days_pushed"]) for f in pushed] == [("S2", 46), ("S1", 77)]
    assert pushed[1].observed["first_close_date"] == "2026-10-15"
    # due at the quarter's start (the 09-28 snapshot): S1 100 + S2 200; S2 moved out
    assert report.slippage is not None
    slip = report.slippage.model_dump()
    assert (slip["source"], slip["pushed_deals"], slip["pushes"], slip["days_pushed"]) == (
        "snapshots",
        2,
        4,
        123,
    )
    assert (slip["due_deals"], slip["due_value"], slip["moved_out_value"]) == (2, 300, 200)
    assert slip["slip_rate"] == 0.67


def test_the_threshold_is_the_policys_and_unknown_pushes_raise_nothing() -> None:
    import ibis

    from pipereview.metrics.history import is_repeatedly_pushed
    from pipereview.policy import policy_from_dict
    from pipereview.rules.pushes import REPEATEDLY_PUSHED

    known = ibis.memtable(
        {"status": ["active", "active", "won"], "close_date_pushes": [2, 3, 5]},
        schema={"status": "string", "close_date_pushes": "int64"},
    )
    unknown = ibis.memtable({"status": ["active"]}, schema={"status": "string"})

    def fired(table: Any, at: int) -> list[bool]:
        policy = policy_from_dict({"pipeline": {"repeatedly_pushed_at": at}})
        return list(
            table.select(f=is_repeatedly_pushed(table, policy)).to_pyarrow()["f"].to_pylist()
        )

    assert fired(known, 2) == [True, True, False]
    assert fired(known, 3) == [False, True, False]
    assert fired(unknown, 1) == [False]
    assert REPEATEDLY_PUSHED.quiet(
        "D9", {"status": "active", "close_date_pushes": None}, {"repeatedly_pushed_at": 2}
    ) == (
        "Deal D9: its close-date pushes are unknown (the report was given no history of close "
        "dates: --field-history with CloseDate changes, or --store)."
    )


def test_the_report_command_without_a_history_says_pushes_are_unknown(
    files: dict[str, Path], tmp_path: Path
) -> None:
    reps = tmp_path / "reps.csv"
    reps.write_text("rep_id,rep_name\nR1,Ann\n")
    args = ["report", "--deals", files["deals"], "--reps", reps, "--as-of", AS_OF.isoformat()]
    proc = pipereview(*args, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert "slippage" not in data
    (count,) = [c for c in data["flag_counts"] if c["rule"] == "repeatedly_pushed"]
    assert count["total"] == 0
    (note,) = [q for q in data["data_quality"] if q["check"] == "pushes_unknown"]
    assert (note["severity"], note["count"]) == ("info", 4)
    assert data["pipeline_summary"]["stalled_deals_count"] == 0  # no history: days unknown


def test_every_human_format_shows_the_slip_rate_with_the_forecast(with_fields: Report) -> None:
    from pipereview.render import RENDERERS
    from pipereview.render.table import render_table

    sentence = (
        "Slippage (FY2026-Q4): 2 open deals pushed 3 times (138 days in all); of $1,600.00 due "
        "to close in the quarter at its start, $300.00 (1 deal) has moved out: a slip rate of "
        "19%."
    )
    assert sentence in RENDERERS["markdown"](with_fields)
    assert f'<p id="slippage">{sentence}</p>' in str(RENDERERS["html"](with_fields))
    assert "a slip rate of 19%" in render_table(with_fields, 200, full=True)
