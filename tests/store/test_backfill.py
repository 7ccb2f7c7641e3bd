"""Backfill: a snapshot replayed from today's export and its field history equals the
snapshot taken from the export of that day, byte for byte; dates, errors and the CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from pipereview import api
from pipereview.errors import InputError, StoreError
from pipereview.fiscal import every
from tests.support.cli import pipereview

THEN, TODAY = dt.date(2026, 3, 10), dt.date(2026, 3, 31)
HEADER = "deal_id,rep_id,status,deal_value_usd,probability,days_in_stage,stage,created_date,"
HEADER += "close_date,risk_flags\n"
# The export taken on 2026-03-10.
EXPORT_THEN = (
    HEADER
    + """A,R1,active,1000,0.2,9,Discovery,2026-03-01,2026-04-30,
B,R1,active,2000,0.6,20,Proposal,2026-01-01,2026-03-20,budget
C,R1,active,500,0.5,40,Negotiation,2025-12-01,2026-03-31,
D,R1,won,700,1,0,Closed Won,2026-01-05,2026-02-01,
E,R1,active,300,0.1,5,Discovery,,2026-06-30,
"""
)
# The export taken on 2026-03-31: A moved on and grew, B was won, C lost, F is new.
EXPORT_NOW = (
    HEADER
    + """A,R1,active,1200,0.4,11,Proposal,2026-03-01,2026-05-15,
B,R1,won,2000,1,0,Closed Won,2026-01-01,2026-03-25,budget
C,R1,lost,500,0,0,Closed Lost,2025-12-01,2026-03-28,
D,R1,won,700,1,0,Closed Won,2026-01-05,2026-02-01,
E,R1,active,300,0.1,26,Discovery,,2026-06-30,
F,R1,active,900,0.3,10,Discovery,2026-03-21,2026-07-01,
"""
)
# Every change of the tracked fields (E never changed: its days are carried back).
FIELD_HISTORY = """deal_id,field,old_value,new_value,changed_at
A,StageName,Prospecting,Discovery,2026-03-01T08:00:00Z
A,StageName,Discovery,Proposal,2026-03-20T08:00:00Z
A,Amount,1000,1200,2026-03-20T08:00:00Z
A,Probability,0.2,0.4,2026-03-20T08:00:00Z
A,CloseDate,2026-04-30,2026-05-15,2026-03-22T08:00:00Z
B,StageName,Negotiation,Proposal,2026-02-18T08:00:00Z
B,StageName,Proposal,Closed Won,2026-03-25T08:00:00Z
B,Probability,0.6,1,2026-03-25T08:00:00Z
B,CloseDate,2026-03-20,2026-03-25,2026-03-25T08:00:00Z
C,StageName,Proposal,Negotiation,2026-01-29T08:00:00Z
C,StageName,Negotiation,Closed Lost,2026-03-28T08:00:00Z
C,Probability,0.5,0,2026-03-28T08:00:00Z
C,CloseDate,2026-03-31,2026-03-28,2026-03-28T08:00:00Z
C,Description,a,b,2026-03-28T08:00:00Z
"""
REPS = "rep_id,rep_name,quota_usd,year_to_date_revenue_usd\nR1,Ann,10000,5000\n"


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, text in (
        ("then", EXPORT_THEN),
        ("now", EXPORT_NOW),
        ("history", FIELD_HISTORY),
        ("reps", REPS),
    ):
        out[name] = tmp_path / f"{name}.csv"
        out[name].write_text(text)
    return out


def _deals(store: Path, day: dt.date) -> list[tuple]:
    with duckdb.connect(str(store), read_only=True) as con:
        return con.execute(
            "select * exclude (_row, as_of) from snapshot_deals where as_of = ? order by deal_id",
            [day],
        ).fetchall()


def replay_and_compare(files: dict[str, Path], replayed: str | Path, direct: Path) -> None:
    """Backfill ``THEN`` into ``replayed`` (any store) from today's export and its field
    history; its stored report equals the one of THEN's export snapshotted into ``direct``."""
    api.snapshot(files["then"], files["reps"], as_of=THEN, store=direct)
    infos = api.backfill(
        files["now"],
        files["reps"],
        field_history=files["history"],
        dates=[THEN],
        as_of=TODAY,
        store=replayed,
    )
    assert [(i.as_of, i.deals) for i in infos] == [(THEN, 5)]  # F did not exist yet
    assert api.stored_report(THEN, replayed).to_json() == api.stored_report(THEN, direct).to_json()


def test_a_backfilled_snapshot_equals_the_direct_one(
    files: dict[str, Path], tmp_path: Path
) -> None:
    direct, replayed = tmp_path / "direct.duckdb", tmp_path / "replayed.duckdb"
    replay_and_compare(files, replayed, direct)
    assert _deals(replayed, THEN) == _deals(direct, THEN)


def test_weekly_backfill_feeds_flow_and_changes(files: dict[str, Path], tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    dates = every(dt.date(2026, 3, 3), TODAY, "week")
    assert dates == [dt.date(2026, 3, d) for d in (3, 10, 17, 24, 31)]
    api.backfill(
        files["now"],
        files["reps"],
        field_history=files["history"],
        dates=dates,
        as_of=TODAY,
        store=store,
    )
    assert [i.as_of for i in api.history(store)] == dates
    assert api.stored_report(dt.date(2026, 3, 3), store).pipeline_summary.active_deals == 4
    # 03-24 -> 03-31: B won (03-25), C lost (03-28); A (grown on 03-20), E and F (created
    # 03-21) did not change
    flow = api.flow(dt.date(2026, 3, 24), TODAY, store=store, period="all")
    assert {c.category: c.deals for c in flow.categories if c.deals} == {
        "won": 1,
        "lost": 1,
        "unchanged": 3,
    }
    last = api.stored_report(TODAY, store)
    assert last.changes is not None and last.changes.compared_to == dt.date(2026, 3, 24)
    moved = {m.movement: m.deal_ids for m in last.changes.deals}
    assert (moved["won_since"], moved["lost_since"]) == (["B"], ["C"])
    # the last backfilled date is today's export itself
    direct = tmp_path / "direct.duckdb"
    api.snapshot(files["now"], files["reps"], as_of=TODAY, store=direct)
    assert _deals(store, TODAY) == _deals(direct, TODAY)


def test_backfill_refuses_before_writing(files: dict[str, Path], tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    api.snapshot(files["then"], files["reps"], as_of=THEN, store=store)
    kwargs = {"field_history": files["history"], "as_of": TODAY, "store": store}
    with pytest.raises(StoreError, match="a snapshot for 2026-03-10 exists"):
        api.backfill(files["now"], files["reps"], dates=[dt.date(2026, 3, 3), THEN], **kwargs)
    assert [i.as_of for i in api.history(store)] == [THEN]  # 03-03 was not written either
    with pytest.raises(InputError, match="after the export's date 2026-03-31"):
        api.backfill(files["now"], files["reps"], dates=[dt.date(2026, 4, 1)], **kwargs)
    percent = tmp_path / "percent.csv"
    percent.write_text(FIELD_HISTORY.replace("A,Probability,0.2,0.4", "A,Probability,20,40"))
    with pytest.raises(InputError) as caught:
        api.backfill(
            files["now"],
            files["reps"],
            dates=[dt.date(2026, 3, 3)],
            **{**kwargs, "field_history": percent},
        )
    text = str(caught.value)
    assert "percent.csv" in text and "line 5" in text and "old_value" in text, text
    assert "'20'" in text and "divide 0-100 probabilities by 100" in text
    money = tmp_path / "money.csv"
    money.write_text(FIELD_HISTORY.replace("A,Amount,1000,1200", "A,Amount,1k,1200"))
    with pytest.raises(InputError, match=r"line 4, column 'old_value': Amount value '1k'"):
        api.backfill(
            files["now"],
            files["reps"],
            dates=[dt.date(2026, 3, 3)],
            **{**kwargs, "field_history": money},
        )


def test_monthly_steps_keep_the_day_or_the_months_last() -> None:
    assert every(dt.date(2026, 1, 31), dt.date(2026, 4, 30), "month") == [
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
        dt.date(2026, 3, 31),
        dt.date(2026, 4, 30),
    ]
    assert every(dt.date(2026, 1, 1), dt.date(2026, 1, 3), "day") == [
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 2),
        dt.date(2026, 1, 3),
    ]
    assert every(dt.date(2026, 1, 2), dt.date(2026, 1, 1), "week") == []


def test_the_backfill_command(files: dict[str, Path], tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    base = [
        "snapshot",
        "--deals",
        str(files["now"]),
        "--reps",
        str(files["reps"]),
        "--store",
        str(store),
        "--as-of",
        "2026-03-31",
    ]
    done = pipereview(
        *base,
        "--backfill",
        "--field-history",
        str(files["history"]),
        "--from",
        "2026-03-03",
        "--to",
        "2026-03-31",
        "--every",
        "week",
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("backfilled snapshot") == 5
    listed = pipereview("history", "list", "--store", str(store), "--json", check=True)
    assert [s["as_of"] for s in json.loads(listed.stdout)] == [
        "2026-03-03",
        "2026-03-10",
        "2026-03-17",
        "2026-03-24",
        "2026-03-31",
    ]
    usage = pipereview(*base, "--backfill")
    said = " ".join(usage.stderr.replace("│", " ").split())
    assert usage.returncode == 2 and "--backfill needs --field-history, --from and --to" in said
