"""Stage velocity: a hand-built history with every number computed by hand, the same answer
from a stage history and from a field history, the policy's stage order, and the CLI."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pipereview import api
from pipereview.errors import InputError
from pipereview.policy import policy_from_dict
from tests.support.cli import pipereview

AS_OF = dt.date(2026, 3, 31)
DEALS = """deal_id,rep_id,status,deal_value_usd,probability,stage,created_date,close_date
D1,R1,won,100,1,Closed Won,2026-01-01,2026-02-10
D2,R1,lost,100,0,Proposal,2026-01-05,2026-02-01
D3,R1,active,100,0.1,Discovery,2026-03-01,2026-05-01
D4,R1,active,100,0.1,Discovery,2026-02-01,2026-05-01
D5,R1,won,100,1,Closed Won,2026-02-01,2026-03-03
"""
# D1 goes Discovery 10 days, Proposal 10, Negotiation 20, then Closed Won (closes the stage).
# D2 is lost in Proposal without a closing row: the stage ends at its close date (17 days).
# D3 is still in Discovery (30 days to as_of); its move on 04-05 is after as_of.
# D4 went back from Proposal to Discovery: 10 + 38 days in Discovery, 10 in Proposal.
# D5 was won without a stage history: only in the cycle time (30 days, March).
STAGES = """deal_id,stage,entered_at
D1,Discovery,2026-01-01
D1,Proposal,2026-01-11
D1,Negotiation,2026-01-21
D1,Closed Won,2026-02-10
D2,Discovery,2026-01-05
D2,Proposal,2026-01-15
D3,Discovery,2026-03-01
D3,Proposal,2026-04-05
D4,Discovery,2026-02-01
D4,Proposal,2026-02-11
D4,discovery ,2026-02-21
"""
# The same moves as field changes; the first stage starts at the deal's created_date.
FIELDS = """deal_id,field,old_value,new_value,changed_at
D1,StageName,Discovery,Proposal,2026-01-11T09:00:00Z
D1,Amount,50,100,2026-01-15T09:00:00Z
D1,StageName,Proposal,Negotiation,2026-01-21T09:00:00Z
D1,StageName,Negotiation,Closed Won,2026-02-10T09:00:00Z
D2,StageName,Discovery,Proposal,2026-01-15T09:00:00Z
D3,StageName,Discovery,Proposal,2026-04-05T09:00:00Z
D4,StageName,Discovery,Proposal,2026-02-11T09:00:00Z
D4,StageName,Proposal,discovery ,2026-02-21T09:00:00Z
"""

EXPECTED_STAGES = [
    {
        "stage": "Discovery",
        "deals": 4,
        "deals_with_days": 4,
        "mean_days": 24.5,  # (10 + 10 + 30 + 48) / 4
        "median_days": 20.0,  # (10 + 30) / 2
        "open_deals": 2,  # D3, D4
        "reached": 4,
        "advanced": 3,  # D1, D2, D4 got past it
        "next_stage": "Proposal",
        "conversion_rate": 0.75,
        "won": 0,
        "lost": 0,
        "win_rate": None,
    },
    {
        "stage": "Proposal",
        "deals": 3,
        "deals_with_days": 3,
        "mean_days": 12.33,  # (10 + 17 + 10) / 3
        "median_days": 10.0,
        "open_deals": 0,
        "reached": 3,  # D1, D2, D4
        "advanced": 1,  # D1
        "next_stage": "Negotiation",
        "conversion_rate": 0.33,
        "won": 0,
        "lost": 1,  # D2's furthest stage
        "win_rate": 0.0,
    },
    {
        "stage": "Negotiation",
        "deals": 1,
        "deals_with_days": 1,
        "mean_days": 20.0,
        "median_days": 20.0,
        "open_deals": 0,
        "reached": 1,
        "advanced": 1,  # won
        "next_stage": "won",
        "conversion_rate": 1.0,
        "won": 1,
        "lost": 0,
        "win_rate": 1.0,
    },
]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("velocity")
    out = {}
    for name, text in (("deals", DEALS), ("stages", STAGES), ("fields", FIELDS)):
        out[name] = root / f"{name}.csv"
        out[name].write_text(text)
    return out


def test_velocity_from_a_stage_history_by_hand(files: dict[str, Path]) -> None:
    v = api.velocity(files["deals"], stage_history=files["stages"], as_of=AS_OF)
    data = json.loads(v.to_json())
    # Discovery by its active deals' probability (0.1), then the stages no active deal is
    # in, first seen first
    assert (data["source"], data["stage_order_source"]) == ("stage_history", "probability")
    assert data["stages"] == EXPECTED_STAGES
    assert data["other_stages"] == []
    # D1 01-01 -> 02-10 (40 days), D5 02-01 -> 03-03 (30 days)
    assert data["cycle_time"] == {
        "month": None,
        "won_deals": 2,
        "mean_days": 35.0,
        "median_days": 35.0,
    }
    assert data["cycle_time_by_month"] == [
        {"month": "2026-02", "won_deals": 1, "mean_days": 40.0, "median_days": 40.0},
        {"month": "2026-03", "won_deals": 1, "mean_days": 30.0, "median_days": 30.0},
    ]


def test_a_field_history_gives_the_same_velocity(files: dict[str, Path]) -> None:
    direct = api.velocity(files["deals"], stage_history=files["stages"], as_of=AS_OF)
    replayed = api.velocity(files["deals"], field_history=files["fields"], as_of=AS_OF)
    assert replayed.source == "field_history"
    assert replayed.stages == direct.stages
    assert replayed.cycle_time_by_month == direct.cycle_time_by_month


def test_an_earlier_as_of_sees_only_the_history_until_then(files: dict[str, Path]) -> None:
    v = api.velocity(files["deals"], stage_history=files["stages"], as_of=dt.date(2026, 1, 31))
    by_stage = {s.stage: s for s in v.stages}
    # D1: Discovery 10, Proposal 10, Negotiation 10 (to 01-31, open then as far as the
    # history knows, but the deal is won today: it ends at the close date, capped at as_of)
    assert by_stage["Negotiation"].mean_days == 10.0
    assert v.cycle_time.won_deals == 0  # nothing closed by 01-31


def test_the_policy_orders_the_stages(files: dict[str, Path]) -> None:
    policy = policy_from_dict(
        {"velocity": {"stage_order": ["proposal", "Negotiation", "Contract"]}}
    )
    v = api.velocity(files["deals"], stage_history=files["stages"], as_of=AS_OF, policy=policy)
    assert v.stage_order_source == "policy"
    assert [s.stage for s in v.stages] == ["proposal", "Negotiation", "Contract"]
    assert v.other_stages == ["Discovery"]  # seen, not in the order: left out
    contract = v.stages[2]
    assert (contract.deals, contract.reached, contract.conversion_rate) == (0, 0, None)
    # D3 never got past Discovery, so it is in no stage of this order
    assert v.stages[0].reached == 3 and v.stages[0].advanced == 1  # D1 of D1, D2, D4


def test_a_deal_without_a_known_start_is_counted_but_has_no_days(tmp_path: Path) -> None:
    deals = tmp_path / "d.csv"
    deals.write_text("deal_id,rep_id,status,deal_value_usd,probability\nD1,R1,active,1,0.5\n")
    fields = tmp_path / "f.csv"
    fields.write_text(
        "deal_id,field,old_value,new_value,changed_at\nD1,stage,Discovery,Proposal,2026-03-01\n"
    )
    v = api.velocity(deals, field_history=fields, as_of=AS_OF)
    discovery = v.stages[0]
    assert (discovery.stage, discovery.deals, discovery.deals_with_days) == ("Discovery", 1, 0)
    assert discovery.mean_days is None
    assert (v.stages[1].stage, v.stages[1].mean_days) == ("Proposal", 30.0)


def test_a_stage_left_on_the_day_another_is_entered_comes_first(tmp_path: Path) -> None:
    # Both stages are first seen on 2026-03-01: Zeta was left that day (entered before the
    # history starts), Alpha entered that day, so Zeta is the earlier stage whatever the
    # names' order.
    deals = tmp_path / "d.csv"
    deals.write_text("deal_id,rep_id,status,deal_value_usd,probability\nD1,R1,active,1,0.5\n")
    fields = tmp_path / "f.csv"
    fields.write_text(
        "deal_id,field,old_value,new_value,changed_at\nD1,stage,Zeta,Alpha,2026-03-01\n"
    )
    v = api.velocity(deals, field_history=fields, as_of=AS_OF)
    assert [s.stage for s in v.stages] == ["Zeta", "Alpha"]
    assert (v.stages[0].deals_with_days, v.stages[1].mean_days) == (0, 30.0)


def test_velocity_needs_exactly_one_history(files: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="needs one history"):
        api.velocity(files["deals"], as_of=AS_OF)
    with pytest.raises(InputError, match="needs one history"):
        api.velocity(
            files["deals"],
            stage_history=files["stages"],
            field_history=files["fields"],
            as_of=AS_OF,
        )


def _cli(*args: Any) -> subprocess.CompletedProcess[str]:
    return pipereview("velocity", *args)


def test_the_velocity_command(files: dict[str, Path], tmp_path: Path) -> None:
    done = _cli(
        "--deals",
        files["deals"],
        "--stage-history",
        files["stages"],
        "--as-of",
        "2026-03-31",
        "--format",
        "markdown",
    )
    assert done.returncode == 0, done.stderr
    assert "| Discovery | 4 | 24 | 20 | 2 | 4 | 3 | 75% → Proposal | 0 | 0 | — |" in (done.stdout)
    assert "| all | 2 | 35 | 35 |" in done.stdout
    as_json = _cli(
        "--deals",
        files["deals"],
        "--field-history",
        files["fields"],
        "--as-of",
        "2026-03-31",
        "--format",
        "json",
    )
    assert json.loads(as_json.stdout)["stages"] == EXPECTED_STAGES
    bad = tmp_path / "bad.csv"
    bad.write_text("deal_id,stage,entered_at\nD1,Discovery,not a date\n")
    failed = _cli("--deals", files["deals"], "--stage-history", bad, "--as-of", "2026-03-31")
    assert failed.returncode == 1
    assert "bad.csv" in failed.stderr and "entered_at" in failed.stderr
    assert "Traceback" not in failed.stderr


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"stage_order": ["Proposal", " proposal"]}, "are the same stage"),
        ({"won_stages": [" "]}, "must not be blank"),
        ({"lost_stages": ["CLOSED WON"]}, "in both won_stages and lost_stages"),
    ],
)
def test_stage_lists_are_validated(section: dict[str, Any], message: str) -> None:
    from pipereview.errors import PolicyError

    with pytest.raises(PolicyError, match=message):
        policy_from_dict({"velocity": section})


def test_the_report_carries_a_velocity_section(files: dict[str, Path]) -> None:
    reps = [{"rep_id": "R1", "rep_name": "Ann"}]
    report = api.build_report(files["deals"], reps, as_of=AS_OF, stage_history=files["stages"])
    assert report.velocity is not None
    assert json.loads(report.to_json())["velocity"]["stages"] == EXPECTED_STAGES
    plain = api.build_report(files["deals"], reps, as_of=AS_OF)
    assert plain.velocity is None and '"velocity"' not in plain.to_json()
    from pipereview.render import RENDERERS

    assert (
        "## Stage velocity\n\nThe slowest stage is Discovery (24 days on average); won "
        "deals took 35 days from creation on average (2 deals)."
    ) in RENDERERS["markdown"](report)
    from pipereview.render.table import render_table

    assert "Cycle time, created to won" in render_table(report, 120, full=True)
    with pytest.raises(InputError, match="needs one history"):
        api.build_report(
            files["deals"],
            reps,
            as_of=AS_OF,
            stage_history=files["stages"],
            field_history=files["fields"],
        )


def _snap(deal_id: str, status: str, stage: str, days: float | None) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "rep_id": "R1",
        "status": status,
        "deal_value_usd": 10,
        "probability": 0.5,
        "stage": stage,
        "days_in_stage": days,
        "created_date": "2026-02-20",
        "close_date": "2026-03-07" if status == "won" else "2026-06-30",
    }


def test_velocity_from_consecutive_snapshots(tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    reps = [{"rep_id": "R1"}]
    # X: Discovery since 02-24 (5 days on 03-01), Proposal since 03-06 (2 days on 03-08)
    # Y: Discovery on 03-01 (days unknown: since 03-01), won on 03-08 (0 days in Closed Won)
    days = {
        dt.date(2026, 3, 1): [_snap("X", "active", "Discovery", 5), _snap("Y", "active",
                                                                          "Discovery", None)],
        dt.date(2026, 3, 8): [_snap("X", "active", "Proposal", 2), _snap("Y", "won",
                                                                         "Closed Won", 0)],
        dt.date(2026, 3, 15): [_snap("X", "active", "Proposal", 9), _snap("Y", "won",
                                                                          "Closed Won", 7)],
    }  # fmt: skip
    # stored out of date order, with a row that has no stage and one without an id
    days[dt.date(2026, 3, 8)].append(_snap("Z", "active", None, 3))  # type: ignore[arg-type]
    days[dt.date(2026, 3, 8)].append(_snap(None, "active", "Proposal", 1))  # type: ignore[arg-type]
    for day in (dt.date(2026, 3, 15), dt.date(2026, 3, 1), dt.date(2026, 3, 8)):
        api.snapshot(days[day], reps, as_of=day, store=store)
    policy = policy_from_dict({"velocity": {"stage_order": ["Discovery", "Proposal"]}})
    v = api.velocity(store=store, as_of=dt.date(2026, 3, 15), policy=policy)
    assert v.source == "snapshots"
    discovery, proposal = v.stages
    # X 02-24 -> 03-06 = 10 days; Y 03-01 -> 03-08 (entered Closed Won) = 7 days
    assert (discovery.deals, discovery.mean_days, discovery.open_deals) == (2, 8.5, 0)
    assert (discovery.conversion_rate, discovery.won, discovery.win_rate) == (1.0, 1, 1.0)
    # X since 03-06, still there on 03-15: 9 days
    assert (proposal.deals, proposal.mean_days, proposal.open_deals) == (1, 9.0, 1)
    assert (proposal.reached, proposal.advanced, proposal.win_rate) == (1, 0, None)
    # Y: created 02-20, won 03-07 (outcomes from the latest snapshot)
    assert (v.cycle_time.won_deals, v.cycle_time.mean_days) == (1, 15.0)
    # an as-of before the first snapshot has nothing to read
    from pipereview.errors import StoreError

    with pytest.raises(StoreError, match="no snapshot on or before 2026-02-28"):
        api.velocity(store=store, as_of=dt.date(2026, 2, 28))
    with pytest.raises(InputError, match="needs one history"):
        api.velocity(store=store, stage_history=tmp_path / "x.csv", as_of=AS_OF)


def test_the_history_file_order_does_not_matter(files: dict[str, Path], tmp_path: Path) -> None:
    lines = FIELDS.splitlines()
    shuffled = tmp_path / "shuffled.csv"
    shuffled.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    v = api.velocity(files["deals"], field_history=shuffled, as_of=AS_OF)
    assert json.loads(v.to_json())["stages"] == EXPECTED_STAGES
    stages = STAGES.splitlines()
    backwards = tmp_path / "backwards.csv"
    backwards.write_text("\n".join([stages[0], *reversed(stages[1:])]) + "\n")
    v = api.velocity(files["deals"], stage_history=backwards, as_of=AS_OF)
    assert json.loads(v.to_json())["stages"] == EXPECTED_STAGES


def test_a_deal_without_stage_changes_sits_in_its_stage_since_created(tmp_path: Path) -> None:
    deals = tmp_path / "d.csv"
    deals.write_text(
        "deal_id,rep_id,status,deal_value_usd,probability,stage,created_date\n"
        "X,R1,active,1,0.5,Proposal,2026-03-01\n"
        "Y,R1,active,1,0.5,Discovery,2026-03-21\n"
    )
    fields = tmp_path / "f.csv"  # only Y's amount changed: no stage change for either
    fields.write_text("deal_id,field,old_value,new_value,changed_at\nY,Amount,1,2,2026-03-25\n")
    v = api.velocity(deals, field_history=fields, as_of=AS_OF)
    # first seen: X's Proposal (03-01), then Y's Discovery (03-21)
    assert [(s.stage, s.deals, s.mean_days, s.open_deals) for s in v.stages] == [
        ("Proposal", 1, 30.0, 1),
        ("Discovery", 1, 10.0, 1),
    ]


def test_velocity_edges_by_hand(tmp_path: Path) -> None:
    deals = tmp_path / "d.csv"
    deals.write_text(
        "deal_id,rep_id,status,deal_value_usd,probability,created_date,close_date\n"
        "P1,R1,active,1,0.5,2026-03-01,2026-06-30\n"
        "P2,R1,pending,1,0.5,2026-03-21,2026-06-30\n"
        "P4,R1,won,1,1,,2026-03-31\n"
    )
    stages = tmp_path / "s.csv"
    stages.write_text(
        "deal_id,stage,entered_at\n"
        "P1,Discovery,2026-03-01\n"
        "P1,Proposal,2026-03-31\n"  # entered on as_of: 0 days, open
        "P2,Discovery,2026-03-21\n"  # neither active, won nor lost: still in it
        "P3,Discovery,2026-03-11\n"  # not in the deals: still in it
        "P4,Discovery,2026-03-16\n"
        "P4,Closed Won,2026-03-31\n"  # won on as_of
    )
    policy = policy_from_dict({"velocity": {"stage_order": ["Discovery", "Proposal", "Contract"]}})
    v = api.velocity(deals, stage_history=stages, as_of=AS_OF, policy=policy)
    got = [
        (s.stage, s.deals, s.deals_with_days, s.mean_days, s.median_days, s.open_deals,
         s.reached, s.advanced, s.won, s.lost)
        for s in v.stages
    ]  # fmt: skip
    assert got == [
        # P1 30 (left on as_of), P2 10, P3 20, P4 15: mean 18.75, median (15 + 20) / 2;
        # open: P2, P3; went on: P1 (to Proposal), P4 (won from here); P3 is not won
        ("Discovery", 4, 4, 18.75, 17.5, 2, 4, 2, 1, 0),
        ("Proposal", 1, 1, 0.0, 0.0, 1, 1, 0, 0, 0),
        ("Contract", 0, 0, None, None, 0, 0, 0, 0, 0),
    ]
    # P4: no created_date, so from its first entry (03-16) to its close on as_of (03-31)
    assert [(c.month, c.won_deals, c.mean_days) for c in v.cycle_time_by_month] == [
        ("2026-03", 1, 15.0)
    ]


def test_identical_snapshots_show_no_conversion_in_the_datas_funnel(
    tmp_path: Path, small_files: tuple[Path, Path]
) -> None:
    # two identical snapshots: nothing moved, yet "Qualification 79% -> Negotiation" was
    # printed, the stages in first-seen order and a deal seen in a later stage counted as
    # having reached (and left) the earlier ones
    deals, reps = small_files
    store = tmp_path / "s.duckdb"
    for day in ("2026-11-13", "2026-11-20"):
        proc = pipereview(
            "snapshot", "--deals", deals, "--reps", reps, "--as-of", day, "--store", store
        )
        assert proc.returncode == 0, proc.stderr
    proc = pipereview("velocity", "--store", store, "--as-of", "2026-11-20", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    v = json.loads(proc.stdout)
    assert v["stage_order_source"] == "probability"
    # the active deals' average probability per stage: Prospecting 0.1, Discovery 0.2,
    # Proposal 0.5, Negotiation 0.8; Qualification (D7, no probability) after them
    order = [s["stage"] for s in v["stages"]]
    assert order == ["Prospecting", "Discovery", "Proposal", "Negotiation", "Qualification"]
    for stage in v["stages"]:  # every deal was seen in one stage only
        assert stage["reached"] == stage["deals"] and stage["advanced"] == 0, stage
        assert stage["conversion_rate"] == 0.0, stage
