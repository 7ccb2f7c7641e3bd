"""The snapshot store in a SQLite file (``--store sqlite:///path``): the same snapshots,
stored reports, changes, flow and velocity as a DuckDB store, byte for byte; values that
SQLite cannot keep as they are (exact decimals, lists, -0.0, dates) come back exactly; a
writer killed mid-write leaves the earlier snapshots and no partial one; two writers at once
both land, one that cannot wait fails with one line, and a reader is not held up; a newer
store schema and a file that is not SQLite are refused."""

from __future__ import annotations

import datetime as dt
import functools
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import given, settings

from pipereview import api, synthetic
from pipereview.api.snapshots import snapshot_inputs
from pipereview.engines import Engine
from pipereview.errors import StoreError
from pipereview.store.sqlite_file import SQLiteFile
from tests.store import test_backfill
from tests.support.kill import StoreFiles, kill_writes, peak_growth
from tests.support.store_checks import (
    D1,
    D2,
    assert_replace_and_delete,
    assert_round_trip,
    assert_same_history,
    portable_rows,
)

backfill_exports = test_backfill.files  # test_backfill's exports and field history, as a fixture


def _url(path: Path) -> str:
    return f"sqlite://{path}"  # an absolute path: sqlite:///tmp/...


def _consistent(path: Path) -> list[tuple[str, int]]:
    """Every snapshot listed has exactly its rows, and no rows exist without a listing."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as con:
        listed = con.execute("SELECT as_of, deals FROM snapshots ORDER BY as_of").fetchall()
        rows = dict(con.execute("SELECT as_of, count(*) FROM snapshot_deals GROUP BY 1"))
    assert rows == dict(listed)
    return listed


def test_a_sqlite_store_equals_a_duckdb_store(
    weeks: list[tuple[Path, Path]], tmp_path: Path
) -> None:
    lite, duck = _url(tmp_path / "s.sqlite"), tmp_path / "s.duckdb"
    assert_same_history(lite, duck, weeks)
    for day in (D1, D2):  # the stored rows too, in their input order
        assert [t.to_pylist() for t in snapshot_inputs(day, lite)] == [
            t.to_pylist() for t in snapshot_inputs(day, duck)
        ]
    assert not (tmp_path / "s.sqlite-wal").exists()  # the last writer checkpointed the log
    assert _consistent(tmp_path / "s.sqlite") == [("2026-11-13", 3000), ("2026-11-20", 3000)]


def test_existing_dates_replace_and_delete(weeks: list[tuple[Path, Path]], tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    assert_replace_and_delete(_url(path), weeks, lambda _: _consistent(path))


def test_what_is_not_a_store_is_refused(weeks: list[tuple[Path, Path]], tmp_path: Path) -> None:
    store = tmp_path / "s.sqlite"
    with pytest.raises(StoreError, match=f"no store at sqlite://{store}"):
        api.history(_url(store))
    assert not store.exists()  # reading does not create the file
    api.snapshot(*weeks[0], as_of=D1, store=_url(store))
    with closing(sqlite3.connect(store, isolation_level=None)) as con:
        con.execute("UPDATE pipereview_meta SET value = '99'")
    with pytest.raises(StoreError, match="store schema version 99 is newer"):
        api.history(_url(store))
    text = tmp_path / "deals.csv"
    text.write_text("deal_id,rep_id\nD1,R1\n")
    with pytest.raises(StoreError, match="not a SQLite database"):
        api.snapshot(*weeks[0], as_of=D1, store=_url(text))
    assert text.read_text() == "deal_id,rep_id\nD1,R1\n"
    with closing(sqlite3.connect(tmp_path / "other.sqlite", isolation_level=None)) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(StoreError, match=r"not a pipereview store \(no pipereview_meta table\)"):
        api.snapshot(*weeks[0], as_of=D1, store=_url(tmp_path / "other.sqlite"))
    with pytest.raises(StoreError, match=f"no directory {tmp_path / 'nowhere'}"):
        api.snapshot(*weeks[0], as_of=D1, store=_url(tmp_path / "nowhere" / "s.sqlite"))
    with pytest.raises(StoreError, match="is a directory"):
        api.snapshot(*weeks[0], as_of=D1, store=_url(tmp_path))
    with pytest.raises(StoreError, match="a SQLite file, a PostgreSQL database or a MySQL"):
        api.history("mssql://localhost/db")


@settings(max_examples=min(40, settings.default.max_examples), deadline=None)
@given(rows=portable_rows())
def test_values_sqlite_cannot_hold_come_back_exactly(
    rows: list[tuple[object, ...]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Exact decimals (cents, negatives, 18 digits), floats (-0.0, infinities, the shortest
    round-trip text), lists with any text, dates and nulls: written to a SQLite store table
    and brought back into DuckDB, every value equals the one written."""
    engine = Engine("duckdb")
    store = SQLiteFile(engine, tmp_path_factory.mktemp("v") / "v.sqlite", False, 1.0)
    store.open()
    try:
        assert_round_trip(store, engine, rows)
    finally:
        store.close()


def _snapshot_process(store: str, day: str, files: tuple[Path, Path]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "pipereview", "snapshot", "--deals", str(files[0]), "--reps",
         str(files[1]), "--as-of", day, "--store", store],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def test_sigkill_mid_write_leaves_earlier_snapshots_and_no_partial_one(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = _url(path)
    n = 50_000  # deals: the rows take long enough to write for two kills to land in the writing
    files = synthetic.write_csv(*synthetic.generate(n_deals=n, n_reps=200, seed=3), tmp_path)
    watched = StoreFiles(path, path.with_name(path.name + "-wal"))
    first, second_day = dt.date(2026, 11, 1), dt.date(2026, 11, 8)
    peak = peak_growth(watched, lambda: api.snapshot(*files, as_of=first, store=store))
    assert _consistent(path) == [("2026-11-01", n)]

    def committed() -> bool:
        found = _consistent(path)  # the dead writer's uncommitted log pages are not read
        assert found[0] == ("2026-11-01", n)
        assert found[1:] in ([], [("2026-11-08", n)])
        if found[1:]:  # the kill came after the commit: take it out and try again
            api.delete_snapshot(second_day, store)
        return bool(found[1:])

    # kill a second write at several points of its run (writing rows, building, reading)
    second = functools.partial(_snapshot_process, store, "2026-11-08", files)
    landed = kill_writes(second, watched, peak, committed)
    assert landed[0] is False  # killed while writing its rows, before its commit
    api.snapshot(*files, as_of=second_day, store=store)  # the store is still writable
    assert _consistent(path) == [("2026-11-01", n), ("2026-11-08", n)]


def test_two_writers_one_that_cannot_wait_and_a_reader(
    small_files: tuple[Path, Path], tmp_path: Path
) -> None:
    path = tmp_path / "s.sqlite"
    store = _url(path)
    procs = [_snapshot_process(store, day, small_files) for day in ("2026-11-01", "2026-11-08")]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    assert _consistent(path) == [("2026-11-01", 10), ("2026-11-08", 10)]
    holder = sqlite3.connect(path, isolation_level=None)  # another writer, mid-transaction
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("DELETE FROM snapshot_deals")
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "pipereview", "snapshot", "--deals", str(small_files[0]),
             "--reps", str(small_files[1]), "--as-of", "2026-11-15", "--store", store,
             "--wait", "0.5"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        # a reader sees the committed snapshots while the writer holds its lock
        assert [i.deals for i in api.history(store)] == [10, 10]
        stored = api.stored_report(dt.date(2026, 11, 1), store)
        assert stored.pipeline_summary.total_deals == 10
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: {store}: in use by another process (waited 0.5 s) (try again when the other "
        "pipereview command has finished)"
    ]
    assert _consistent(path) == [("2026-11-01", 10), ("2026-11-08", 10)]


def test_dashboard_over_a_sqlite_store(small_files: tuple[Path, Path], tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from pipereview.web import StoreSource, create_app

    store = _url(tmp_path / "s.sqlite")
    api.snapshot(*small_files, as_of=D1, store=store)
    client = TestClient(create_app(StoreSource(store)))
    assert client.get("/api/dates").json() == ["2026-11-13"]
    api.snapshot(*small_files, as_of=D2, store=store)  # a new snapshot shows at once
    assert client.get("/api/dates").json() == ["2026-11-13", "2026-11-20"]
    page = client.get("/")
    assert page.status_code == 200 and "Changes since 2026-11-13" in page.text


def test_backfill_into_a_sqlite_store(backfill_exports: dict[str, Path], tmp_path: Path) -> None:
    """Replaying a field history into a SQLite store gives the report a snapshot of that
    day's export gives in a DuckDB store."""
    replayed, direct = _url(tmp_path / "s.sqlite"), tmp_path / "direct.duckdb"
    test_backfill.replay_and_compare(backfill_exports, replayed, direct)
