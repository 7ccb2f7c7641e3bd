"""The changes section and the trajectory filled from history: a hand-built pair of
snapshots with every number computed by hand, the errors, the CLI, and a property test of
the deal movements against a plain-Python reading of their definitions."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipereview import api
from pipereview.engines import Engine
from pipereview.errors import StoreError
from pipereview.metrics.changes import MOVEMENTS, deal_movements
from pipereview.policy import Policy, policy_from_dict
from tests.properties.test_properties import SETTINGS
from tests.support.cli import pipereview

THEN, NOW = dt.date(2026, 11, 10), dt.date(2026, 11, 17)


def _deal(
    deal_id: str | None, status: str, value: float, days: float, flags: Any = None
) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "rep_id": "R1",
        "status": status,
        "deal_value_usd": value,
        "probability": 0.5,
        "days_in_stage": days,
        "risk_flags": flags,
    }


# Default policy: stalled at 21 days in stage.
BEFORE = [
    _deal("A", "active", 1000, 5),  # won now: won_since
    _deal("B", "active", 2000, 30),  # stalled, lost now: lost_since and resolved_stalls
    _deal("C", "active", 500, 10),  # 25 days now: new_stalls (at today's 600)
    _deal("E", "active", 300, 40),  # stalled, moved stage now (2 days): resolved_stalls
    _deal("F", "active", 700, 1),  # a risk flag now: newly_at_risk
    _deal("G", "won", 400, 0),  # won at both dates: no movement
    _deal("J", "active", 900, 50),  # stalled, gone now: resolved_stalls (at 900 then)
    _deal("M", "active", 100, 30),  # stalled at both dates: no movement
]
AFTER = [
    _deal("A", "won", 1000, 0),
    _deal("B", "lost", 2000, 0),
    _deal("C", "active", 600, 25),
    _deal("E", "active", 300, 2),
    _deal("F", "active", 700, 8, ["budget"]),
    _deal("G", "won", 400, 0),
    _deal("H", "won", 250, 0),  # new and already won: won_since
    _deal("M", "active", 100, 37),
    _deal(None, "active", 50, 1),  # cannot be followed
]


def _rep(rep_id: str, **fields: Any) -> dict[str, Any]:
    return {"rep_id": rep_id, "rep_name": rep_id.lower(), "quota_usd": 100000.0, **fields}


REPS_BEFORE = [
    _rep(
        "R1",
        year_to_date_revenue_usd=50000.0,
        quota_3m=10000.0,
        closed_won_3m_current=5000.0,
        current_pipeline_value=5500.0,
        risk_score_current=40,
    ),
    _rep(
        "R2",
        year_to_date_revenue_usd=95000.0,
        current_pipeline_value=900.0,
        previous_pipeline_value=800.0,
        risk_score_current=50,
    ),
]
REPS_AFTER = [
    _rep(
        "R1",
        year_to_date_revenue_usd=62000.0,
        quota_3m=10000.0,
        closed_won_3m_current=6000.0,
        current_pipeline_value=1750.0,
        risk_score_current=46,
    ),
    _rep(
        "R2",
        year_to_date_revenue_usd=80000.0,
        current_pipeline_value=1100.0,
        previous_pipeline_value=1000.0,
        risk_score_current=53,
    ),
    _rep("R3", year_to_date_revenue_usd=1000.0, current_pipeline_value=10.0),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("changes") / "store.duckdb"
    api.snapshot(BEFORE, REPS_BEFORE, as_of=THEN, store=path)
    return path


# Built per test (see test_metrics_hand.report: mutmut credits a shared fixture's calls to
# the first test only).
@pytest.fixture()
def report(store: Path) -> Any:
    return api.build_report(AFTER, REPS_AFTER, as_of=NOW, store=store)


def test_pipeline_changes_by_hand(report: Any) -> None:
    changes = json.loads(report.to_json())["changes"]
    assert changes["compared_to"] == "2026-11-10"
    assert changes["same_policy"] is True
    assert changes["pipeline"] == [
        # active then: A B C E F J M = 1000+2000+500+300+700+900+100 = 5500;
        # now: C E F M and the deal without an id = 600+300+700+100+50 = 1750
        {
            "metric": "total_pipeline_value",
            "before": 5500.0,
            "after": 1750.0,
            "change": -3750.0,
            "change_pct": -68.2,
        },  # -3750 / 5500 = -68.18%
        {
            "metric": "weighted_pipeline_value",
            "before": 2750.0,
            "after": 875.0,
            "change": -1875.0,
            "change_pct": -68.2,
        },  # everything at 50%
        {
            "metric": "win_rate",
            "before": 1.0,
            "after": 0.75,
            "change": -0.25,
            "change_pct": None,
        },  # 1 won of 1 closed -> 3 won (A G H) of 4 (B lost)
        {"metric": "active_deals", "before": 7, "after": 5, "change": -2, "change_pct": None},
        {"metric": "won_deals", "before": 1, "after": 3, "change": 2, "change_pct": None},
        {"metric": "lost_deals", "before": 0, "after": 1, "change": 1, "change_pct": None},
        # stalled then: B E J M; now: C M
        {
            "metric": "stalled_deals_count",
            "before": 4,
            "after": 2,
            "change": -2,
            "change_pct": None,
        },
        {"metric": "at_risk_deals_count", "before": 0, "after": 1, "change": 1, "change_pct": None},
    ]


def test_deal_movements_by_hand(report: Any) -> None:
    changes = json.loads(report.to_json())["changes"]
    assert changes["deals"] == [
        {"movement": "won_since", "deals": 2, "value": 1250.0, "deal_ids": ["A", "H"]},
        {"movement": "lost_since", "deals": 1, "value": 2000.0, "deal_ids": ["B"]},
        {"movement": "new_stalls", "deals": 1, "value": 600.0, "deal_ids": ["C"]},
        # the value each had when it was stalled, biggest first
        {"movement": "resolved_stalls", "deals": 3, "value": 3200.0, "deal_ids": ["B", "J", "E"]},
        {"movement": "newly_at_risk", "deals": 1, "value": 700.0, "deal_ids": ["F"]},
    ]
    assert changes["deals_without_id"] == 1


def test_rep_moves_by_hand(report: Any) -> None:
    changes = json.loads(report.to_json())["changes"]
    assert changes["reps"] == [
        # the biggest move first: R2 95000 / 100000 -> 80000 / 100000
        {
            "rep_id": "R2",
            "rep_name": "r2",
            "metric": "quota_achievement",
            "before": 0.95,
            "after": 0.8,
            "change": -0.15,
            "direction": "down",
        },
        # R1 50000 / 100000 -> 62000 / 100000
        {
            "rep_id": "R1",
            "rep_name": "r1",
            "metric": "quota_achievement",
            "before": 0.5,
            "after": 0.62,
            "change": 0.12,
            "direction": "up",
        },
        # 5000 / 10000 -> 6000 / 10000; R2 has no quota_3m, R3 no earlier report
        {
            "rep_id": "R1",
            "rep_name": "r1",
            "metric": "quota_attainment_pct",
            "before": 50.0,
            "after": 60.0,
            "change": 10.0,
            "direction": "up",
        },
    ]


def test_the_trajectory_is_filled_from_history(report: Any) -> None:
    rows = {t.rep_id: t for t in report.rep_trajectory}
    r1, r2, r3 = rows["R1"], rows["R2"], rows["R3"]
    # R1 has no previous pipeline: the earlier snapshot's current one, 5500 -> 1750
    assert (r1.previous_pipeline_value, r1.previous_pipeline_source) == (
        Decimal("5500.00"),
        "history",
    )
    assert (r1.pipeline_change_pct, r1.pipeline_trend) == (-68.2, "declining")
    # risk score 40 -> 46: +6 is above the band of 5 points
    assert (r1.risk_velocity_flag, r1.risk_velocity_source) == ("increasing", "history")
    assert r1.coaching_candidate  # by the computed velocity (and 60% < 90% of quota_3m)
    # R2's record has a previous pipeline (kept); 50 -> 53 is within the band
    assert (r2.previous_pipeline_value, r2.previous_pipeline_source) == (
        Decimal("1000.00"),
        "record",
    )
    assert (r2.risk_velocity_flag, r2.risk_velocity_source) == ("stable", "history")
    # R3 is new: nothing to fill from
    assert (r3.previous_pipeline_source, r3.risk_velocity_source) == ("none", "none")
    assert r3.risk_velocity_flag is None


@pytest.mark.parametrize(("now", "velocity"), [(45, "stable"), (35, "stable"), (34, "decreasing")])
def test_the_risk_velocity_band_edges(store: Path, now: int, velocity: str) -> None:
    reps = [{**REPS_AFTER[0], "risk_score_current": now}]
    row = api.build_report(AFTER, reps, as_of=NOW, store=store).rep_trajectory[0]
    assert row.risk_velocity_flag == velocity  # 40 then: +5 and -5 are within the band


def test_a_recorded_velocity_wins_and_the_band_is_policy(store: Path) -> None:
    reps = [{**REPS_AFTER[0], "risk_velocity_flag": "Decreasing"}]
    row = api.build_report(AFTER, reps, as_of=NOW, store=store).rep_trajectory[0]
    assert (row.risk_velocity_flag, row.risk_velocity_source) == ("decreasing", "record")
    wide = policy_from_dict({"trajectory": {"risk_velocity_band": 6}})
    row = api.build_report(AFTER, REPS_AFTER, as_of=NOW, store=store, policy=wide)
    assert row.rep_trajectory[0].risk_velocity_flag == "stable"  # +6 is not above 6


def test_movements_use_todays_policy(store: Path) -> None:
    strict = policy_from_dict({"pipeline": {"stalled_deal_days_in_stage": 26}})
    changes = api.build_report(AFTER, REPS_AFTER, as_of=NOW, store=store, policy=strict).changes
    assert changes is not None and changes.same_policy is False
    moved = {m.movement: m.deal_ids for m in changes.deals}
    # at 26 days: stalled then B E J M; now M only (C's 25 days is not a stall)
    assert moved["new_stalls"] == []
    assert moved["resolved_stalls"] == ["B", "J", "E"]


def test_compare_to_and_its_errors(store: Path, tmp_path: Path) -> None:
    assert api.build_report(AFTER, REPS_AFTER, as_of=THEN, store=store).changes is None
    chosen = api.build_report(AFTER, REPS_AFTER, as_of=NOW, store=store, compare_to=THEN)
    assert chosen.changes is not None and chosen.changes.compared_to == THEN
    with pytest.raises(StoreError, match="no snapshot for 2026-11-09"):
        api.build_report(
            AFTER, REPS_AFTER, as_of=NOW, store=store, compare_to=THEN - dt.timedelta(days=1)
        )
    with pytest.raises(StoreError, match="is not before --as-of"):
        api.build_report(AFTER, REPS_AFTER, as_of=THEN, store=store, compare_to=THEN)
    with pytest.raises(StoreError, match="--compare-to needs --store"):
        api.build_report(AFTER, REPS_AFTER, as_of=NOW, compare_to=THEN)
    with pytest.raises(StoreError, match="no store at"):
        api.build_report(AFTER, REPS_AFTER, as_of=NOW, store=tmp_path / "none.duckdb")


def test_a_snapshot_stores_the_report_with_its_changes(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    api.snapshot(BEFORE, REPS_BEFORE, as_of=THEN, store=path)
    api.snapshot(AFTER, REPS_AFTER, as_of=NOW, store=path)
    direct = api.build_report(AFTER, REPS_AFTER, as_of=NOW, store=path, compare_to=THEN)
    stored = api.stored_report(NOW, store=path)
    assert stored.changes is not None
    assert stored.changes.deals == direct.changes.deals  # type: ignore[union-attr]
    assert stored.rep_trajectory == direct.rep_trajectory
    with pytest.raises(StoreError, match="exists"):  # refused before the report is built
        api.snapshot(AFTER, REPS_AFTER, as_of=NOW, store=path)


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    return path


def test_the_cli_shows_the_changes(store: Path, tmp_path: Path) -> None:
    deals, reps = _write(tmp_path / "d.jsonl", AFTER), _write(tmp_path / "r.jsonl", REPS_AFTER)
    base = [
        "report",
        "--deals",
        str(deals),
        "--reps",
        str(reps),
        "--store",
        str(store),
    ]
    done = pipereview(*base, "--as-of", "2026-11-17", "--format", "markdown", check=True)
    assert "## What moved since 2026-11-10" in done.stdout
    assert (
        "- **Total pipeline:** $1.8K ($1,750.00), -$3,750.00 (-68.2%) since 2026-11-10"
        in done.stdout
    )
    assert "Resolved stalls: 3 ($3.2K)" in done.stdout
    assert "- r1 (Quota achievement): 50% → 62% (+12 pts)" in done.stdout
    assert "(history)" in done.stdout
    summary = pipereview(*base, "--as-of", "2026-11-17", "--format", "table", check=True)
    words = " ".join(summary.stdout.split())  # lines wrap at the terminal's width
    assert "What moved" in words and "Resolved stalls: 3 ($3.2K)" in words
    table = pipereview(*base, "--as-of", "2026-11-17", "--format", "table", "--full", check=True)
    assert "Changes since 2026-11-10" in table.stdout and "Deal movements" in table.stdout
    assert "| Total pipeline | $5,500.00 | $1,750.00 | -$3,750.00 (-68.2%) |" not in table.stdout
    assert "$5,500.00" in table.stdout and "-$3,750.00 (-68.2%)" in table.stdout
    early = pipereview(*base, "--as-of", "2026-11-01", "--format", "json", check=True)
    assert '"changes"' not in early.stdout
    assert "has no snapshot before 2026-11-01" in early.stderr
    bad = pipereview(*base, "--as-of", "2026-11-17", "--compare-to", "2026-11-11")
    assert bad.returncode == 1 and "no snapshot for 2026-11-11" in bad.stderr
    assert "Traceback" not in bad.stderr


# --- property: the movements are their definitions, read literally --------------------------
IDS = ["D0", "D1", "D2", "D3", "D4", None]
row = st.tuples(
    st.sampled_from(IDS),
    st.sampled_from(["active", "active", "won", "lost", "pending", None]),
    st.integers(-10_000, 10**9).map(lambda c: Decimal(c) / 100),
    st.sampled_from([None, 0.0, 20.0, 21.0, 400.0]),
    st.sampled_from([None, [], ["budget"]]),
)
SCHEMA = pa.schema(
    [
        ("deal_id", pa.string()),
        ("status", pa.string()),
        ("deal_value_usd", pa.decimal128(18, 4)),
        ("days_in_stage", pa.float64()),
        ("risk_flags", pa.list_(pa.string())),
        ("stage", pa.string()),
    ]
)


def _table(rows: list[tuple]) -> Any:
    columns = [[r[k] for r in rows] for k in range(5)] + [[None] * len(rows)]
    return ibis.memtable(pa.table(columns, schema=SCHEMA))


def _states(rows: list[tuple]) -> dict[str, dict[str, Decimal]]:
    """deal_id -> state -> the value of its rows in that state (ids in no state absent)."""
    out: dict[str, dict[str, Decimal]] = {}
    for deal_id, status, value, days, flags in rows:
        if deal_id is None:
            continue
        active = status == "active"
        held = {
            "won": status == "won",
            "lost": status == "lost",
            "stalled": active and (days or 0.0) >= 21,
            "at_risk": active and bool(flags),
        }
        mine = out.setdefault(deal_id, {})
        for state, on in held.items():
            if on:
                mine[state] = mine.get(state, Decimal(0)) + value
    return out


@SETTINGS
@given(st.lists(row, max_size=10), st.lists(row, max_size=10))
def test_movements_read_their_definitions(before: list[tuple], after: list[tuple]) -> None:
    got = Engine("duckdb").rows(deal_movements(_table(before), _table(after), Policy()))
    b, a = _states(before), _states(after)
    want = set()
    for movement, (state, on, _off) in MOVEMENTS.items():
        now_side, other = (a, b) if on == "a_" else (b, a)
        for deal_id, held in now_side.items():
            if state in held and state not in other.get(deal_id, {}):
                want.add((movement, deal_id, held[state]))
    assert {(r["movement"], r["deal_id"], r["value"]) for r in got} == want


def test_flags_say_what_came_from_history(report: Any) -> None:
    by_rule = {(f.rule, f.subject_id): f for f in report.flags}
    coaching = by_rule[("coaching_candidate", "R1")]
    assert coaching.observed["risk_velocity_source"] == "history"
    assert "risk velocity is increasing (its risk score since the last snapshot)" in (
        coaching.message
    )
    declining = by_rule[("pipeline_declining", "R1")]
    assert declining.observed["previous_pipeline_source"] == "history"
    assert "($5,500.00 at the last snapshot to $1,750.00)" in declining.message


def _dated(deal_id: str, status: str, value: float, close: str) -> dict[str, Any]:
    return {**_deal(deal_id, status, value, 1), "close_date": close}


def test_the_report_carries_this_quarters_flow(tmp_path: Path) -> None:
    store = tmp_path / "flow.duckdb"
    before = [
        _dated("X", "active", 1000, "2026-12-01"),
        _dated("Y", "active", 500, "2026-12-15"),
        _dated("Z", "active", 300, "2027-02-01"),  # next quarter then
    ]
    after = [
        _dated("X", "won", 1000, "2026-11-12"),  # won: -1000
        _dated("Y", "active", 800, "2026-12-15"),  # increased: +300
        _dated("Z", "active", 300, "2026-12-20"),  # moved into the quarter: +300
        _dated("W", "active", 200, "2026-11-30"),  # new: +200
    ]
    api.snapshot(before, REPS_BEFORE, as_of=THEN, store=store)
    flow = api.build_report(after, REPS_AFTER, as_of=NOW, store=store).flow
    assert flow is not None
    assert (flow.compared_to, flow.period_start, flow.period_end) == (
        THEN,
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )
    assert (flow.start_open_pipeline, flow.end_open_pipeline) == (1500, 1300)
    moved = {s.category: (s.change, s.deals) for s in flow.steps if s.deals}
    assert moved == {
        "won": (-1000, 1),
        "increased": (300, 1),
        "moved_in": (300, 1),
        "new": (200, 1),
    }
    # the same numbers as the flow command between the two snapshots
    api.snapshot(after, REPS_AFTER, as_of=NOW, store=store)
    command = api.flow(THEN, NOW, store=store)
    assert [(c.category, c.change, c.deals) for c in command.categories] == [
        (s.category, s.change, s.deals) for s in flow.steps
    ]


def test_no_flow_when_deals_cannot_be_matched_by_id(report: Any) -> None:
    assert report.changes is not None  # AFTER has a deal without an id
    assert report.flow is None and '"flow"' not in report.to_json()


def test_no_flow_when_the_earlier_snapshot_repeats_an_id(tmp_path: Path) -> None:
    store = tmp_path / "dup.duckdb"
    before = [_dated("X", "active", 1000, "2026-12-01"), _dated("X", "active", 5, "2026-12-02")]
    api.snapshot(before, REPS_BEFORE, as_of=THEN, store=store)
    report = api.build_report(
        [_dated("X", "active", 900, "2026-12-01")], REPS_AFTER, as_of=NOW, store=store
    )
    assert report.changes is not None and report.flow is None
