"""The management hierarchy (issue 32, item 9): deep chains stay linear, and the roll-up by
manager equals a plain-Python sum over everyone under each manager.

A 3,000-level chain took 49 s (the roll-up joined every rep with every manager above it:
n²/2 pairs, and each step of the walk searched the chain so far). No timing is asserted here;
the values are, against a computation written from docs/metrics.md ("Forecast": a manager's
row is its own row plus the rows of every rep whose chain of managers holds it).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipereview import api
from pipereview.errors import InputError
from pipereview.metrics.hierarchy import hierarchy

D = Decimal
CENT = D("0.01")
AS_OF = dt.date(2026, 11, 20)  # FY = calendar year: the quarter is 2026-10-01..2026-12-31
DEPTH = 3000


def _chain_reps() -> list[dict[str, Any]]:
    """R0000 reports to TOP (an id with no record), R0001 to R0000, ... R2999 to R2998;
    every seventh rep has no quota."""
    return [
        {
            "rep_id": f"R{i:04d}",
            "rep_name": f"Rep {i}",
            "manager_id": f"R{i - 1:04d}" if i else "TOP",
            "quota_usd": None if i % 7 == 3 else 4000 + i,
        }
        for i in range(DEPTH)
    ]


def _chain_deals() -> list[dict[str, Any]]:
    """One commit deal per rep in the quarter, worth 100 + i + i/100 % 1 dollars, and one
    won deal for every tenth rep."""
    deals = [
        {
            "deal_id": f"D{i:04d}",
            "rep_id": f"R{i:04d}",
            "status": "active",
            "deal_value_usd": f"{100 + i}.{i % 100:02d}",
            "probability": 0.5,
            "close_date": "2026-12-15",
            "forecast_category": "Commit",
        }
        for i in range(DEPTH)
    ]
    deals += [
        {
            "deal_id": f"W{i:04d}",
            "rep_id": f"R{i:04d}",
            "status": "won",
            "deal_value_usd": "10",
            "probability": 1,
            "close_date": "2026-10-05",
        }
        for i in range(0, DEPTH, 10)
    ]
    return deals


def test_a_3000_level_chain_rolls_up_every_manager() -> None:
    reps, deals = _chain_reps(), _chain_deals()
    forecast = api.forecast(deals, reps, as_of=AS_OF)
    rows = {row.id: row for row in forecast.by_manager}
    # managers: TOP and every rep but the last (nobody reports to R2999)
    assert sorted(rows) == sorted(["TOP", *(f"R{i:04d}" for i in range(DEPTH - 1))])

    # plain Python: a manager's figures are its own plus those of everyone below it
    value = {f"R{i:04d}": D(f"{100 + i}.{i % 100:02d}") for i in range(DEPTH)}
    quota = {r["rep_id"]: D(r["quota_usd"]) / 4 for r in reps if r["quota_usd"] is not None}
    won = {f"R{i:04d}": D(10) for i in range(0, DEPTH, 10)}
    order = [r["rep_id"] for r in reps]  # top first
    for k, manager in enumerate(["TOP", *order[:-1]]):
        under = order[max(k - 1, 0) :] if manager != "TOP" else order
        row = rows[manager]
        assert row.commit == sum((value[r] for r in under), D(0)), manager
        assert row.commit_deals == len(under)
        assert row.closed_won == sum((won.get(r, D(0)) for r in under), D(0))
        assert row.closed_won_deals == sum(1 for r in under if r in won)
        quoted = [quota[r] for r in under if r in quota]
        want = sum(quoted, D(0)).quantize(CENT, ROUND_HALF_EVEN) if quoted else None
        assert row.quota == want, manager
        assert (row.reps, row.reps_without_quota) == (len(under), len(under) - len(quoted))
        assert row.parent == (None if manager == "TOP" else ("TOP" if k == 1 else order[k - 2]))
    assert rows["TOP"].commit == forecast.company.commit
    # the deepest manager: R2998 and R2999
    assert rows["R2998"].commit == D("3098.98") + D("3099.99")


def test_a_3000_id_loop_is_found_once() -> None:
    reps = _chain_reps()
    reps[0]["manager_id"] = f"R{DEPTH - 1:04d}"  # R0000 under R2999: everyone in one loop
    tree = hierarchy((r["rep_id"], r["manager_id"]) for r in reps)
    assert len(tree.loops) == 1
    # up the chain from the smallest id: R0000's manager is R2999, whose manager is R2998...
    assert tree.loops[0] == ("R0000", *(f"R{i:04d}" for i in range(DEPTH - 1, 0, -1)), "R0000")
    assert (tree.managers, tree.order, tree.spans) == ({}, [], {})
    with pytest.raises(
        InputError, match=r"^reps: manager_id makes a loop: R0000 -> R2999 -> R2998 -> "
    ):
        api.forecast(_chain_deals()[:1], reps, as_of=AS_OF)


# --- property: the spans hold exactly the ids under each manager -----------------------------
def _naive(edges: dict[str, str | None]) -> tuple[set[tuple[str, str]], set[tuple[str, ...]]]:
    """(rep, manager above it) for every manager of every chain, each manager with itself,
    and the loops, by walking each chain to its top (the pre-issue-32 algorithm)."""
    boss = {
        rep: (None if not m or m.strip() in ("", rep) else m.strip()) for rep, m in edges.items()
    }
    pairs = {(m, m) for m in boss.values() if m is not None}
    loops = set()
    for rep in boss:
        chain, above = [rep], boss[rep]
        while above is not None:
            if above in chain:
                loop = chain[chain.index(above) :]
                start = loop.index(min(loop))
                loops.add((*loop[start:], *loop[:start], min(loop)))
                break
            pairs.add((rep, above))
            chain.append(above)
            above = boss.get(above)
    return pairs, loops


IDS = ["A", "B", "C", "D", "E", "F", "G", "H"]


@given(
    st.dictionaries(
        st.sampled_from(IDS),
        st.one_of(st.none(), st.just(" "), st.sampled_from([*IDS, "X", " Y "])),
        max_size=len(IDS),
    )
)
def test_spans_hold_everyone_under_each_manager(edges: dict[str, str | None]) -> None:
    tree = hierarchy(edges.items())
    pairs, loops = _naive(edges)
    assert set(tree.loops) == loops
    if loops:
        assert tree.spans == {}
        return
    assert len(tree.order) == len(set(tree.order))  # each id once
    got = {(rep, manager) for manager in tree.spans for rep in tree.under(manager)}
    assert got == pairs
    for manager, (first, _last) in tree.spans.items():
        assert tree.order[first] == manager  # a manager heads its own run
