"""The snapshot store in a PostgreSQL database (schema ``pipereview``), against a real server
on 127.0.0.1: the same snapshots, stored reports, changes, flow and velocity as a DuckDB
store, byte for byte; a writer killed mid-write leaves the earlier snapshots and no partial
one; two writers at once both land (the second waits), and one that cannot wait fails with
one line; a newer store schema is refused."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from pipereview import api, synthetic
from pipereview.api.snapshots import snapshot_inputs
from pipereview.engines import Engine
from pipereview.errors import InputError, StoreError
from pipereview.store.snapshots import describe
from tests.store import test_backfill
from tests.support.postgres_server import TYPED, load_csv
from tests.support.store_checks import (
    D1,
    D2,
    D3,
    assert_dashboard_reads,
    assert_replace_and_delete,
    assert_same_history,
)

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("postgres")]

backfill_exports = test_backfill.files  # test_backfill's exports and field history, as a fixture
LOCK = 0x70697065  # the store writers' advisory lock (history/backends.py)


def _fresh(url: str) -> str:
    with psycopg.connect(url, autocommit=True) as con:
        con.execute("DROP SCHEMA IF EXISTS pipereview CASCADE")
    return url


def _consistent(url: str) -> list[tuple[str, int]]:
    """Every snapshot listed has exactly its rows, and no rows exist without a listing."""
    with psycopg.connect(url) as con:
        listed = con.execute(
            "SELECT as_of, deals FROM pipereview.snapshots ORDER BY as_of"
        ).fetchall()
        rows = dict(con.execute("SELECT as_of, count(*) FROM pipereview.snapshot_deals GROUP BY 1"))
    assert rows == {as_of: n for as_of, n in listed}
    return [(as_of.isoformat(), n) for as_of, n in listed]


def test_a_postgres_store_equals_a_duckdb_store(
    pg_url: str, weeks: list[tuple[Path, Path]], tmp_path: Path
) -> None:
    pg = _fresh(pg_url)  # files are sent to the PostgreSQL store's server and computed there
    assert_same_history(pg, tmp_path / "s.duckdb", weeks)
    assert _consistent(pg) == [("2026-11-13", 3000), ("2026-11-20", 3000)]


def test_existing_dates_replace_and_delete(pg_url: str, weeks: list[tuple[Path, Path]]) -> None:
    assert_replace_and_delete(_fresh(pg_url), weeks, _consistent)


def test_tables_and_store_in_one_database(pg_url: str, weeks: list[tuple[Path, Path]]) -> None:
    store = _fresh(pg_url)
    load_csv(pg_url, "w1_deals", weeks[0][0], TYPED)
    load_csv(pg_url, "w1_reps", weeks[0][1], TYPED)
    info = api.snapshot(
        api.table("w1_deals", pg_url), api.table("w1_reps", pg_url), as_of=D1, store=store
    )
    assert (info.deals, info.reps) == (3000, 30)
    assert api.stored_report(D1, store).to_json() == api.build_report(*weeks[0], as_of=D1).to_json()


def _stored(store: str | Path, day: dt.date, ordered: bool = True) -> list[list[dict]]:
    """A snapshot's canonical rows, in their stored row order (or sorted by content: the
    server numbers a table's rows in its scan order, which a parallel scan may change)."""
    tables = [t.to_pylist() for t in snapshot_inputs(day, store)]
    return tables if ordered else [sorted(rows, key=repr) for rows in tables]


def test_stores_outside_the_engine(
    pg_url: str, weeks: list[tuple[Path, Path]], tmp_path: Path
) -> None:
    """PostgreSQL tables kept in a DuckDB store file or a SQLite store, and files computed
    by DuckDB kept in a PostgreSQL store: the rows are copied between the two, and
    everything equals an all-DuckDB store."""
    duck, mixed, pg = tmp_path / "duck.duckdb", tmp_path / "mixed.duckdb", _fresh(pg_url)
    lite = f"sqlite://{tmp_path / 'mixed.sqlite'}"
    for week, day in ((0, D1), (1, D2)):
        for kind in ("deals", "reps"):
            load_csv(pg_url, f"wk{week}_{kind}", weeks[week][0 if kind == "deals" else 1], TYPED)
        tables = api.table(f"wk{week}_deals", pg_url), api.table(f"wk{week}_reps", pg_url)
        api.snapshot(*weeks[week], as_of=day, store=duck)
        api.snapshot(*tables, as_of=day, store=mixed)  # computed in the server
        api.snapshot(*tables, as_of=day, store=lite)
        api.snapshot(*weeks[week], as_of=day, store=pg, engine=Engine("duckdb"))
    expected = [describe(i) for i in api.history(duck)]
    for store in (mixed, lite, pg):
        assert [describe(i) for i in api.history(store)] == expected
        for day in (D1, D2):
            assert api.stored_report(day, store).to_json() == api.stored_report(day, duck).to_json()
            ordered = store == pg
            assert _stored(store, day, ordered) == _stored(duck, day, ordered)
    assert api.stored_report(D2, mixed).changes is not None
    # today's report from the server's tables, compared with the DuckDB file's snapshot
    now = api.build_report(api.table("wk1_deals", pg_url), api.table("wk1_reps", pg_url),
                           as_of=D3, store=mixed)  # fmt: skip
    assert now.changes is not None and now.changes.compared_to == D2
    assert now.to_json() == api.build_report(*weeks[1], as_of=D3, store=duck).to_json()
    from_lite = api.build_report(api.table("wk1_deals", pg_url), api.table("wk1_reps", pg_url),
                                 as_of=D3, store=lite)  # fmt: skip
    assert from_lite.to_json() == now.to_json()
    with pytest.raises(InputError, match="from one database"):
        other = pg_url.rsplit("/", 1)[0] + "/template1"
        api.snapshot(api.table("w1_deals", other), api.table("w1_reps", other), as_of=D2,
                     store=store)  # fmt: skip


def test_a_newer_store_schema_is_refused(pg_url: str, weeks: list[tuple[Path, Path]]) -> None:
    store = _fresh(pg_url)
    api.snapshot(*weeks[0], as_of=D1, store=store)
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("UPDATE pipereview.pipereview_meta SET value = '99'")
    with pytest.raises(StoreError, match="store schema version 99 is newer"):
        api.history(store)
    with pytest.raises(StoreError, match=r"no store in postgresql://pipereview@127\.0\.0\.1"):
        api.history(_fresh(pg_url))


def _snapshot_process(url: str, day: str, deals: str, reps: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipereview", "snapshot", "--source", url, "--deals-table", deals,
         "--reps-table", reps, "--as-of", day, "--store", url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def test_sigkill_mid_write_leaves_earlier_snapshots_and_no_partial_one(
    pg_url: str, tmp_path: Path
) -> None:
    store = _fresh(pg_url)
    files = synthetic.write_csv(*synthetic.generate(n_deals=200_000, n_reps=200, seed=3), tmp_path)
    load_csv(pg_url, "big_deals", files[0], TYPED)
    load_csv(pg_url, "big_reps", files[1], TYPED)
    start = time.monotonic()
    first = _snapshot_process(store, "2026-11-01", "big_deals", "big_reps")
    assert first.wait(timeout=600) == 0, first.stderr.read() if first.stderr else ""
    took = time.monotonic() - start
    assert _consistent(store) == [("2026-11-01", 200_000)]
    for fraction in (0.3, 0.6, 0.8, 0.9, 0.97):  # reading, building, writing
        proc = _snapshot_process(store, "2026-11-08", "big_deals", "big_reps")
        time.sleep(took * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        time.sleep(0.5)  # the server notices the closed connection and rolls back
        found = _consistent(store)
        assert found[0] == ("2026-11-01", 200_000)
        assert found[1:] in ([], [("2026-11-08", 200_000)])
        if found[1:]:  # the kill came after the commit: take it out and try again
            api.delete_snapshot(dt.date(2026, 11, 8), store)
    last = _snapshot_process(store, "2026-11-08", "big_deals", "big_reps")
    assert last.wait(timeout=600) == 0, last.stderr.read() if last.stderr else ""
    assert _consistent(store) == [("2026-11-01", 200_000), ("2026-11-08", 200_000)]


def test_two_writers_and_one_that_cannot_wait(pg_url: str, small_files: tuple[Path, Path]) -> None:
    store = _fresh(pg_url)
    load_csv(pg_url, "deals", small_files[0])
    load_csv(pg_url, "reps", small_files[1])
    procs = [_snapshot_process(store, day, "deals", "reps") for day in ("2026-11-01", "2026-11-08")]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    assert _consistent(store) == [("2026-11-01", 10), ("2026-11-08", 10)]
    with psycopg.connect(pg_url) as holder:  # another writer's lock, held in a transaction
        holder.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK])
        proc = subprocess.run(
            [sys.executable, "-m", "pipereview", "snapshot", "--source", store, "--deals-table",
             "deals", "--reps-table", "reps", "--as-of", "2026-11-15", "--store", store,
             "--wait", "0.5"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: postgresql://pipereview@127.0.0.1:"
        f"{store.split(':')[-1].split('/')[0]}/postgres (schema pipereview): in use by another "
        "process (waited 0.5 s) (try again when the other pipereview command has finished)"
    ]
    assert _consistent(store) == [("2026-11-01", 10), ("2026-11-08", 10)]


def test_dashboard_over_a_postgres_store(pg_url: str, small_files: tuple[Path, Path]) -> None:
    assert_dashboard_reads(_fresh(pg_url), small_files)


def test_backfill_into_a_postgres_store(
    pg_url: str, backfill_exports: dict[str, Path], tmp_path: Path
) -> None:
    """Replaying a field history into a PostgreSQL store gives the report a snapshot of that
    day's export gives in a DuckDB store."""
    test_backfill.replay_and_compare(backfill_exports, _fresh(pg_url), tmp_path / "direct.duckdb")
