"""Close-date pushes on random field histories: the engine's count, days and first close
date equal the oracle's (docs/metrics.md, decisions D49), whatever the history's order."""

from __future__ import annotations

import datetime as dt
import random

import ibis
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview.metrics.history import (
    DAYS_PUSHED,
    FIRST_CLOSE,
    PUSHES,
    close_date_changes,
    pushes_from_fields,
)
from tests.support.oracle import oracle_pushes

AS_OF = dt.date(2026, 11, 20)
START = dt.date(2026, 9, 1)
days = st.integers(min_value=0, max_value=120)
close = st.one_of(st.none(), days.map(lambda n: START + dt.timedelta(days=n)))
change = st.tuples(
    st.sampled_from(["D1", "D2", "D3"]),
    days.map(lambda n: START + dt.timedelta(days=n)),  # some after as_of
    close,
    close,
    st.sampled_from(["CloseDate", "closedate", " CLOSE_DATE ", "StageName"]),
)


def _engine_pushes(rows: list[tuple]) -> dict:
    data = pa.table(
        {
            "deal_id": [r[0] for r in rows],
            "field": [r[4] for r in rows],
            "old_value": [None if r[2] is None else r[2].isoformat() for r in rows],
            "new_value": [None if r[3] is None else r[3].isoformat() for r in rows],
            "changed_at": [r[1] for r in rows],
            "_row": list(range(1, len(rows) + 1)),
        },
        schema=pa.schema(
            [
                ("deal_id", pa.string()),
                ("field", pa.string()),
                ("old_value", pa.string()),
                ("new_value", pa.string()),
                ("changed_at", pa.date32()),
                ("_row", pa.int64()),
            ]
        ),
    )
    table = ibis.memtable(data)
    found = pushes_from_fields(close_date_changes(table, AS_OF)).to_pyarrow().to_pylist()
    return {r["_pid"]: (r[PUSHES], r[DAYS_PUSHED], r[FIRST_CLOSE]) for r in found}


@settings()
@given(st.lists(change, max_size=12), st.randoms(use_true_random=False))
def test_pushes_match_the_oracle_in_any_order(rows: list[tuple], rnd: random.Random) -> None:
    closes = [r[:4] for r in rows if r[4].strip().lower() != "stagename"]
    want = oracle_pushes(closes, AS_OF)
    assert _engine_pushes(rows) == want
    # the same changes in another input order on different days give the same answer
    by_day: dict[tuple, list[tuple]] = {}
    for r in rows:
        by_day.setdefault((r[0], r[1]), []).append(r)
    if all(len(same) == 1 for same in by_day.values()):
        shuffled = list(rows)
        rnd.shuffle(shuffled)
        assert _engine_pushes(shuffled) == want


def test_pushes_by_hand() -> None:
    d = dt.date
    rows = [
        ("D1", d(2026, 9, 25), d(2026, 9, 30), d(2026, 10, 31), "CloseDate"),
        ("D1", d(2026, 10, 28), d(2026, 10, 31), d(2026, 12, 15), "CloseDate"),
        ("D1", d(2026, 11, 1), d(2026, 12, 15), d(2026, 12, 1), "CloseDate"),  # pulled in
        ("D1", d(2026, 12, 1), d(2026, 12, 1), d(2027, 3, 1), "CloseDate"),  # after as_of
        ("D2", d(2026, 10, 1), None, d(2026, 12, 1), "CloseDate"),  # from no date: no push
    ]
    assert _engine_pushes(rows) == {
        "D1": (2, 31 + 45, d(2026, 9, 30)),
        "D2": (0, 0, None),
    }
