"""What every snapshot store must agree on with a DuckDB store file, shared by the tests of
each store kind (PostgreSQL, SQLite)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipereview import api
from pipereview.history.store import describe

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
