"""A deal history applied to the report: days in stage for deals without them (from the
last stage change) and close-date pushes, on hand-built exports with every number computed
by hand (decisions D48 to D50)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from pipereview import api
from pipereview.report import Report

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
        "Days in stage: 0 deal rows from the input's days_in_stage column, 4 from the field "
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
        "Days in stage: 1 deal rows from the input's days_in_stage column, 2 from the stage "
        "history (--stage-history)"
    )
    assert item.message.endswith("2 unknown (counted as 0).")
