"""The pipeline flow: a hand-built pair of snapshots with every category computed by hand,
the fiscal calendar, and a property test (every flow reconciles exactly and gives each deal
exactly one category, the one a plain-Python reading of the precedence gives)."""

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
from pipereview.errors import InputError, StoreError
from pipereview.fiscal import fiscal_quarter, period_range, quarter_label
from pipereview.metrics.flow import CATEGORIES, flow_deals, flow_totals
from tests.properties.test_properties import SETTINGS

D1, D2 = dt.date(2026, 11, 1), dt.date(2026, 11, 20)
REPS = [{"rep_id": "R1", "rep_name": "Ann"}]


def _deal(deal_id: str, status: str | None, value: Any, close: str | None) -> dict[str, Any]:
    return {
        "deal_id": deal_id,
        "rep_id": "R1",
        "status": status,
        "deal_value_usd": value,
        "probability": 0.5,
        "close_date": close,
    }


BEFORE = [
    _deal("W", "active", 100, "2026-11-15"),  # won at D2
    _deal("L", "active", 200, "2026-12-01"),  # lost at D2
    _deal("R", "active", 300, "2026-11-20"),  # absent at D2
    _deal("P", "active", 50, "2026-11-20"),  # 'pending' at D2: left the open pipeline
    _deal("O", "active", 400, "2026-12-31"),  # close date slips into next quarter
    _deal("I", "active", 500, "2027-02-01"),  # close date pulled into this quarter
    _deal("Z", "won", 80, "2026-11-02"),  # reopened at D2: new (not active at D1)
    _deal("U", "active", 600, "2026-10-10"),
    _deal("Dn", "active", 700, "2026-10-10"),
    _deal("Un", "active", 800, "2026-10-10"),
    _deal("X", "active", 900, "2027-05-01"),  # outside the quarter at both dates
    _deal("Nc", "active", 60, None),  # no close date: in no quarter
    _deal("Wo", "active", 1000, "2027-03-01"),  # won at D2, but was never in the quarter
]
AFTER = [
    _deal("W", "won", 100, "2026-11-15"),
    _deal("L", "lost", 200, "2026-12-01"),
    _deal("P", "pending", 50, "2026-11-20"),
    _deal("O", "active", 400, "2027-01-02"),
    _deal("I", "active", 550, "2026-12-15"),
    _deal("N", "active", 70.25, "2026-10-05"),
    _deal("Z", "active", 80, "2026-11-30"),
    _deal("U", "active", 650.5, "2026-10-10"),
    _deal("Dn", "active", 699.99, "2026-10-10"),
    _deal("Un", "active", 800, "2026-10-10"),
    _deal("X", "active", 950, "2027-05-01"),
    _deal("Nc", "active", 60, None),
    _deal("Wo", "won", 1000, "2027-03-01"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("flow") / "store.duckdb"
    api.snapshot(BEFORE, REPS, as_of=D1, store=path)
    api.snapshot(AFTER, REPS, as_of=D2, store=path)
    return path


def test_every_category_by_hand(store: Path) -> None:
    flow = api.flow(D1, D2, store=store)
    assert (flow.period_start, flow.period_end) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    got = [(d.deal_id, d.category, d.value_from, d.value_to, d.change) for d in flow.deals]
    assert got == [
        ("W", "won", Decimal(100), Decimal(0), Decimal(-100)),
        ("L", "lost", Decimal(200), Decimal(0), Decimal(-200)),
        ("P", "removed", Decimal(50), Decimal(0), Decimal(-50)),
        ("R", "removed", Decimal(300), Decimal(0), Decimal(-300)),
        ("O", "moved_out", Decimal(400), Decimal(0), Decimal(-400)),
        ("I", "moved_in", Decimal(0), Decimal(550), Decimal(550)),
        ("N", "new", Decimal(0), Decimal("70.25"), Decimal("70.25")),
        ("Z", "new", Decimal(0), Decimal(80), Decimal(80)),
        ("U", "increased", Decimal(600), Decimal("650.5"), Decimal("50.5")),
        ("Dn", "decreased", Decimal(700), Decimal("699.99"), Decimal("-0.01")),
        ("Un", "unchanged", Decimal(800), Decimal(800), Decimal(0)),
    ]
    # start: W L R P O U Dn Un = 3150; end: I N Z U Dn Un = 2850.74
    assert flow.start_open_pipeline == Decimal(3150)
    assert {c.category: (c.change, c.deals) for c in flow.categories} == {
        "won": (Decimal(-100), 1),
        "lost": (Decimal(-200), 1),
        "removed": (Decimal(-350), 2),
        "moved_out": (Decimal(-400), 1),
        "moved_in": (Decimal(550), 1),
        "new": (Decimal("150.25"), 2),
        "increased": (Decimal("50.5"), 1),
        "decreased": (Decimal("-0.01"), 1),
        "unchanged": (Decimal(0), 1),
    }
    assert flow.end_open_pipeline == Decimal("2850.74")


def test_the_json_reconciles_in_exact_decimals(store: Path) -> None:
    text = api.flow(D1, D2, store=store).to_json()
    assert '"start_open_pipeline": 3150.0,' in text
    assert '"decreased": -0.01,' in text
    assert '"end_open_pipeline": 2850.74,' in text
    assert text.index('"won"') < text.index('"unchanged"') < text.index('"end_open_pipeline"')
    # deals per category (the same categories, by hand in test_every_category_by_hand)
    assert json.loads(text)["deal_counts"] == {
        "won": 1,
        "lost": 1,
        "removed": 2,
        "moved_out": 1,
        "moved_in": 1,
        "new": 2,
        "increased": 1,
        "decreased": 1,
        "unchanged": 1,
    }


def test_period_all_counts_every_close_date(store: Path) -> None:
    flow = api.flow(D1, D2, store=store, period="all")
    categories = {d.deal_id: d.category for d in flow.deals}
    # no period: O, I, Nc are simply open at both dates; X grew; Wo was won
    assert categories["O"] == "unchanged" and categories["I"] == "increased"
    assert categories["X"] == "increased" and categories["Nc"] == "unchanged"
    assert categories["Wo"] == "won"
    assert flow.start_open_pipeline == Decimal(3150 + 500 + 900 + 60 + 1000)


def test_the_fiscal_calendar_moves_the_quarter(store: Path) -> None:
    # a fiscal year starting in February: 2026-11-20 is in Nov 2026 .. Jan 2027
    flow = api.flow(D1, D2, store=store, policy={"calendar": {"fiscal_year_start_month": 2}})
    assert (flow.period_start, flow.period_end) == (dt.date(2026, 11, 1), dt.date(2027, 1, 31))
    categories = {d.deal_id: d.category for d in flow.deals}
    assert categories["O"] == "unchanged"  # Dec 31 and Jan 2 are both in this quarter
    assert "U" not in categories  # closes in October: outside
    assert categories["I"] == "moved_in"
    nxt = api.flow(D1, D2, store=store, period="next-quarter")
    assert (nxt.period_start, nxt.period_end) == (dt.date(2027, 1, 1), dt.date(2027, 3, 31))


def test_fiscal_periods_by_hand() -> None:
    assert fiscal_quarter(dt.date(2026, 1, 15), 2) == (dt.date(2025, 11, 1), dt.date(2026, 1, 31))
    assert fiscal_quarter(dt.date(2026, 12, 31), 1) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter_label(dt.date(2026, 11, 30), 7) == "FY2027-Q2"
    assert quarter_label(dt.date(2026, 3, 31), 1) == "FY2026-Q1"
    assert period_range("this-year", dt.date(2026, 1, 15), 2) == (
        dt.date(2025, 2, 1),
        dt.date(2026, 1, 31),
    )
    assert period_range("all", dt.date(2026, 1, 15)) == (None, None)


def test_flow_errors_name_the_problem(store: Path, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no snapshot for 2026-11-05"):
        api.flow(D1, dt.date(2026, 11, 5), store=store)
    with pytest.raises(StoreError, match="is not before"):
        api.flow(D2, D1, store=store)
    dup = tmp_path / "dup.duckdb"
    api.snapshot([*BEFORE, _deal("W", "active", 1, None)], REPS, as_of=D1, store=dup)
    api.snapshot(AFTER, REPS, as_of=D2, store=dup)
    with pytest.raises(InputError) as caught:
        api.flow(D1, D2, store=dup)
    assert str(caught.value) == (
        f"snapshot 2026-11-01 in {dup}, column 'deal_id': deal_id 'W' is on 2 rows; the flow "
        "matches deals by deal_id (remove the duplicate rows from the export, then take the "
        "snapshot again)"
    )
    no_id = tmp_path / "no_id.duckdb"
    api.snapshot([*BEFORE, _deal(None, "active", 1, None)], REPS, as_of=D1, store=no_id)
    api.snapshot(AFTER, REPS, as_of=D2, store=no_id)
    with pytest.raises(InputError) as caught:
        api.flow(D1, D2, store=no_id)
    assert str(caught.value) == (
        f"snapshot 2026-11-01 in {no_id}, column 'deal_id': 1 deal(s) have no deal_id; the "
        "flow matches deals by deal_id (give every deal an id in the export, then take the "
        "snapshot again)"
    )


# --- property: reconciliation and exactly one category ------------------------------------
IDS = [f"D{i}" for i in range(8)]
FIRST, LAST = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
CLOSES = [None, dt.date(2026, 9, 30), FIRST, dt.date(2026, 11, 15), LAST, dt.date(2027, 1, 1)]
side = st.dictionaries(
    st.sampled_from(IDS),
    st.tuples(
        st.sampled_from(["active", "active", "won", "lost", "pending", None]),
        st.integers(-10_000, 10**9).map(lambda c: Decimal(c) / 100),
        st.sampled_from(CLOSES),
    ),
    max_size=8,
)


SCHEMA = pa.schema(
    [
        ("deal_id", pa.string()),
        ("status", pa.string()),
        ("deal_value_usd", pa.decimal128(18, 4)),
        ("close_date", pa.date32()),
    ]
)


def _table(rows: dict[str, tuple]) -> Any:
    columns = [list(rows), *([r[k] for r in rows.values()] for k in range(3))]
    return ibis.memtable(pa.table(columns, schema=SCHEMA))


def _expected_category(b: tuple | None, a: tuple | None) -> str | None:
    """The precedence, read literally, from one deal's (status, value, close) at each date."""

    def open_(x: tuple | None) -> bool:
        return x is not None and x[0] == "active" and x[2] is not None and FIRST <= x[2] <= LAST

    ob, oa = open_(b), open_(a)
    if not (ob or oa):
        return None
    if a is not None and a[0] in ("won", "lost"):
        return str(a[0])
    if a is None or a[0] != "active":
        return "removed"
    if ob and not oa:
        return "moved_out"
    if oa and not ob:
        return "moved_in" if b is not None and b[0] == "active" else "new"
    assert b is not None
    return "increased" if a[1] > b[1] else "decreased" if a[1] < b[1] else "unchanged"


@SETTINGS
@given(side, side)
def test_every_flow_reconciles_with_one_category_per_deal(before: dict, after: dict) -> None:
    engine = Engine("duckdb")
    rows = flow_deals(_table(before), _table(after), FIRST, LAST)
    listed = engine.rows(rows.drop("_rank"))
    totals = engine.one(flow_totals(rows))
    ids = [r["deal_id"] for r in listed]
    assert len(ids) == len(set(ids))  # exactly one category each
    want = {
        i: c
        for i in set(before) | set(after)
        if (c := _expected_category(before.get(i), after.get(i))) is not None
    }
    assert {r["deal_id"]: r["category"] for r in listed} == want
    for r in listed:
        assert r["change"] == r["value_to"] - r["value_from"]
    changes = sum((totals[c] for c in CATEGORIES), Decimal(0))
    assert totals["start_open_pipeline"] + changes == totals["end_open_pipeline"]
    assert sum(totals[f"n_{c}"] for c in CATEGORIES) == len(listed)

    def open_value(rows: dict, i: str) -> Decimal:
        status, value, close = rows[i]
        return value if status == "active" and close and FIRST <= close <= LAST else Decimal(0)

    assert totals["start_open_pipeline"] == sum((open_value(before, i) for i in before), Decimal(0))
    assert totals["end_open_pipeline"] == sum((open_value(after, i) for i in after), Decimal(0))
