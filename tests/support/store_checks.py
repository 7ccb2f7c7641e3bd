"""What every snapshot store must agree on with a DuckDB store file, shared by the tests of
each store kind (PostgreSQL, SQLite, MySQL)."""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import strategies as st

from pipereview import api
from pipereview.engines import Engine
from pipereview.errors import StoreError
from pipereview.store.snapshots import describe

D1, D2, D3 = dt.date(2026, 11, 13), dt.date(2026, 11, 20), dt.date(2026, 11, 27)


def assert_same_history(store: str, duck: Path, weeks: list[tuple[Path, Path]]) -> None:
    """Snapshot both weeks into ``store`` and into the DuckDB file ``duck``: the snapshot
    lists, stored reports, today's changes, the flow and velocity are equal byte for byte."""
    stores = (store, duck)
    for each in stores:
        api.snapshot(*weeks[0], as_of=D1, store=each)
        api.snapshot(*weeks[1], as_of=D2, store=each)
    assert [describe(i) for i in api.history(store)] == [describe(i) for i in api.history(duck)]
    for day in (D1, D2):
        assert api.stored_report(day, store).to_json() == api.stored_report(day, duck).to_json()
    now = [api.build_report(*weeks[1], as_of=D3, store=s) for s in stores]
    assert now[0].changes is not None and now[0].changes.compared_to == D2
    assert now[0].to_json() == now[1].to_json()
    flows = [api.flow(D1, D2, store=s, period="all") for s in stores]
    assert len(flows[0].deals) > 100
    assert flows[0].to_json() == flows[1].to_json()
    velocities = [api.velocity(as_of=D2, store=s) for s in stores]
    assert velocities[0].model_dump_json() == velocities[1].model_dump_json()


def assert_replace_and_delete(
    store: str, weeks: list[tuple[Path, Path]], consistent: Callable[[str], Any]
) -> None:
    """A second snapshot of a date is refused, then replaces it with ``replace``; a deleted
    snapshot is gone. ``consistent(store)`` lists the snapshots and checks their rows."""
    api.snapshot(*weeks[0], as_of=D1, store=store)
    with pytest.raises(StoreError, match="a snapshot for 2026-11-13 exists"):
        api.snapshot(*weeks[1], as_of=D1, store=store)
    replaced = api.snapshot(*weeks[1], as_of=D1, store=store, replace=True)
    assert api.history(store) == [replaced]
    assert consistent(store) == [("2026-11-13", 3000)]
    api.delete_snapshot(D1, store)
    assert api.history(store) == []
    assert consistent(store) == []
    with pytest.raises(StoreError, match="no snapshot for 2026-11-13"):
        api.stored_report(D1, store)


def assert_dashboard_reads(store: str, small_files: tuple[Path, Path]) -> None:
    """Two snapshots of the small fixtures in ``store``: the dashboard lists both dates,
    shows the changes since the first and a deal's page."""
    from fastapi.testclient import TestClient

    from pipereview.web import StoreSource, create_app

    api.snapshot(*small_files, as_of=D1, store=store)
    api.snapshot(*small_files, as_of=D2, store=store)
    client = TestClient(create_app(StoreSource(store)))
    page = client.get("/")
    assert page.status_code == 200 and "Changes since 2026-11-13" in page.text
    assert client.get("/api/dates").json() == ["2026-11-13", "2026-11-20"]
    deal = client.get("/deals/D1?date=2026-11-13")
    assert deal.status_code == 200, deal.text[-2000:]
    assert re.search(r'<td>At risk</td>\s*<td class="fired">', deal.text), deal.text[-3000:]


# Values a portable store (SQLite, MySQL) keeps as text or JSON: exact decimals (cents,
# negatives, 18 digits), floats (-0.0, infinities), lists of any text, dates and nulls.
_money = st.decimals(
    min_value=decimal.Decimal("-99999999999999.9999"),
    max_value=decimal.Decimal("99999999999999.9999"),
    places=4,
    allow_nan=False,
)
_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


def portable_rows(first_day: dt.date = dt.date.min) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    """Rows for ``PORTABLE_SCHEMA`` (without ``_row``), dates from ``first_day``."""
    return st.lists(
        st.tuples(
            st.none() | _money,
            st.none() | st.floats(allow_nan=False),
            st.none() | st.lists(_text, max_size=3),
            st.none() | st.dates(min_value=first_day),
            st.none() | _text,
        ),
        max_size=30,
    )


PORTABLE_SCHEMA = ibis.schema(
    {
        "money": "decimal(18, 4)",
        "number": "float64",
        "flags": "array<string>",
        "day": "date",
        "text": "string",
        "_row": "int64",
    }
)


def assert_round_trip(store: Any, engine: Engine, rows: list[tuple[object, ...]]) -> None:
    """``rows`` (of ``portable_rows``) written to a new table of the opened portable
    ``store`` and brought back into ``engine``: every value equals the one written."""
    data = pa.Table.from_pylist(
        [dict(zip(PORTABLE_SCHEMA.names, (*row, i), strict=True)) for i, row in enumerate(rows)],
        schema=PORTABLE_SCHEMA.to_pyarrow(),
    )
    with store.transaction():
        store.create_table("t", PORTABLE_SCHEMA)
        store.append("t", data)
    back = engine.arrow(store.bring(store.table("t", PORTABLE_SCHEMA), PORTABLE_SCHEMA))
    assert back.schema == data.schema
    assert repr(back.to_pylist()) == repr(data.to_pylist())  # repr tells -0.0 from 0.0
