"""The snapshot store: what it keeps, what it refuses, the CLI, SIGKILL mid-write, two
writers at once."""

from __future__ import annotations

import datetime as dt
import functools
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import ibis
import pytest

from pipereview import api, synthetic
from pipereview.engines import Engine
from pipereview.errors import StoreError
from pipereview.store.snapshots import STORE_SCHEMA_VERSION, Store
from tests.conftest import AS_OF
from tests.support.cli import pipereview as run
from tests.support.kill import StoreFiles, kill_writes, peak_growth

D1, D2 = dt.date(2026, 11, 1), dt.date(2026, 11, 8)


def process(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``pipereview ARGS`` in a process of its own: for the tests of other processes' locks
    (the other tests run the command line in this process: tests/support/cli.py)."""
    return subprocess.run(
        [sys.executable, "-m", "pipereview", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_snapshot_keeps_the_inputs_and_the_report(small_files, tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    info = api.snapshot(*small_files, as_of=AS_OF, store=store)
    direct = api.build_report(*small_files, as_of=AS_OF)
    assert (info.as_of, info.deals, info.reps) == (AS_OF, 10, 3)
    assert info.input_fingerprint == direct.input_fingerprint
    assert api.stored_report(AS_OF, store).to_json() == direct.to_json()
    # the stored canonical tables give the same report again, to the byte
    with Store(Engine("duckdb"), store, read_only=True) as opened:
        deals = opened.engine.rows(opened.table("deals", AS_OF).order_by("_row"))
        reps = opened.engine.rows(opened.table("reps", AS_OF).order_by("_row"))
    assert [d["deal_id"] for d in deals][:3] == ["D1", "D2", "D3"]
    for rows in (deals, reps):
        for row in rows:
            del row["_row"]
    again = api.build_report(deals, reps, as_of=AS_OF)
    assert again.pipeline_summary == direct.pipeline_summary
    assert again.flags == direct.flags


def test_replace_delete_and_list(small_files, tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    api.snapshot(*small_files, as_of=D2, store=store)
    api.snapshot(*small_files, as_of=D1, store=store)
    with pytest.raises(StoreError) as info:
        api.snapshot(*small_files, as_of=D1, store=store)
    assert str(info.value) == (
        f"{store}: a snapshot for 2026-11-01 exists (pass --replace to overwrite it, or pick "
        "another --as-of)"
    )
    api.snapshot(*small_files, as_of=D1, store=store, replace=True)
    assert [s.as_of for s in api.history(store)] == [D1, D2]  # oldest first, no duplicate
    with Store(Engine("duckdb"), store, read_only=True) as opened:
        assert opened.engine.one(opened.table("deals", D1).aggregate(n=ibis._.count()))["n"] == 10
    api.delete_snapshot(D1, store)
    assert [s.as_of for s in api.history(store)] == [D2]
    with pytest.raises(StoreError, match="no snapshot for 2026-11-01"):
        api.delete_snapshot(D1, store)


def test_what_the_store_refuses(small_files, tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    with pytest.raises(StoreError, match=r"no store at .*write a snapshot first"):
        api.history(missing)
    text = tmp_path / "notes.duckdb"
    text.write_text("hello\n")
    with pytest.raises(StoreError, match="cannot open as a pipereview store"):
        api.history(text)
    # DuckDB would attach an existing CSV as a database in memory: the snapshot would vanish
    deals_csv = tmp_path / "deals.csv"
    deals_csv.write_bytes(small_files[0].read_bytes())
    with pytest.raises(StoreError, match="cannot open as a pipereview store: not a DuckDB"):
        api.snapshot(*small_files, as_of=D1, store=deals_csv)
    assert deals_csv.read_bytes() == small_files[0].read_bytes()
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INT)")
    con.close()
    with pytest.raises(StoreError, match=r"not a pipereview store \(no pipereview_meta table\)"):
        api.snapshot(*small_files, as_of=D1, store=other)
    newer = tmp_path / "newer.duckdb"
    api.snapshot(*small_files, as_of=D1, store=newer)
    con = duckdb.connect(str(newer))
    con.execute("UPDATE pipereview_meta SET value = ?", [str(STORE_SCHEMA_VERSION + 1)])
    con.close()
    with pytest.raises(StoreError, match="schema version 2 is newer than this pipereview reads"):
        api.history(newer)
    with pytest.raises(StoreError, match="a store is a DuckDB file, a SQLite file, a PostgreSQL"):
        api.history("snowflake://account/db")
    by_url = tmp_path / "url.duckdb"
    api.snapshot(*small_files, as_of=D1, store=f"duckdb://{by_url}")
    assert [s.as_of for s in api.history(by_url)] == [D1]


def test_the_cli_round_trip(demo_files, small_files, tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    deals, reps = demo_files
    for day in ("2026-11-01", "2026-11-20"):
        proc = run("snapshot", "--deals", deals, "--reps", reps, "--as-of", day, "--store", store)
        assert proc.returncode == 0, proc.stderr
        assert f"stored snapshot {day} in {store}: 5,000 deals, 40 reps" in proc.stderr
    again = run("snapshot", "--deals", deals, "--reps", reps, "--as-of", "2026-11-01",
                "--store", store)  # fmt: skip
    assert again.returncode == 1
    assert again.stderr.strip().splitlines() == [
        f"error: {store}: a snapshot for 2026-11-01 exists (pass --replace to overwrite it, "
        "or pick another --as-of)"
    ]
    listed = json.loads(run("history", "list", "--store", store, "--json").stdout)
    assert [s["as_of"] for s in listed] == ["2026-11-01", "2026-11-20"]
    shown = run("history", "show", "2026-11-20", "--store", store, "--format", "json")
    assert json.loads(shown.stdout)["as_of"] == "2026-11-20"
    flow = run("flow", "--from", "2026-11-01", "--to", "2026-11-20", "--store", store,
               "--format", "json")  # fmt: skip
    assert flow.returncode == 0, flow.stderr
    data = json.loads(flow.stdout)
    assert data["start_open_pipeline"] == data["end_open_pipeline"] > 0  # same data twice
    assert data["deal_counts"]["unchanged"] == len(data["deals"]) > 0
    table = run("flow", "--from", "2026-11-01", "--to", "2026-11-20", "--store", store)
    assert "Open pipeline at end" in table.stdout
    # the small fixture repeats a deal id: the flow cannot match deals, and says so
    small = run("snapshot", "--deals", small_files[0], "--reps", small_files[1],
                "--as-of", "2026-11-25", "--store", store)  # fmt: skip
    assert small.returncode == 0, small.stderr
    dup = run("flow", "--from", "2026-11-20", "--to", "2026-11-25", "--store", store)
    assert dup.returncode == 1
    assert dup.stderr.strip().splitlines() == [
        f"error: snapshot 2026-11-25 in {store}, column 'deal_id': deal_id 'D9' is on 2 rows; "
        "the flow matches deals by deal_id (remove the duplicate rows from the export, then "
        "take the snapshot again)"
    ]
    assert run("history", "delete", "2026-11-01", "--store", store).returncode == 0
    gone = run("flow", "--from", "2026-11-01", "--to", "2026-11-20", "--store", store)
    assert gone.returncode == 1
    assert gone.stderr.startswith(f"error: {store}: no snapshot for 2026-11-01 (snapshots: ")
    bad = run("flow", "--from", "2026-11-01", "--to", "2026-11-20", "--period", "soon")
    assert bad.returncode == 1 and "unknown period 'soon'" in bad.stderr


# --- SIGKILL in the middle of a large write --------------------------------------------------
BIG = 200_000  # deals: the rows take long enough to write for two kills to land in the writing


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    deals, reps = synthetic.generate(n_deals=BIG, n_reps=200, seed=11)
    return synthetic.write_parquet(deals, reps, tmp_path_factory.mktemp("big"))


def _snapshot_process(files: tuple[Path, Path], store: Path, day: str) -> subprocess.Popen:
    deals, reps = files
    return subprocess.Popen(
        [sys.executable, "-m", "pipereview", "snapshot", "--deals", str(deals), "--reps",
         str(reps), "--as-of", day, "--store", str(store)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def _consistent(store: Path) -> list[tuple[str, int]]:
    """Every snapshot listed has exactly its rows, and no rows exist without a listing."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        listed = con.execute("SELECT as_of, deals FROM snapshots ORDER BY as_of").fetchall()
        rows = dict(con.execute("SELECT as_of, count(*) FROM snapshot_deals GROUP BY 1").fetchall())
    finally:
        con.close()
    assert rows == {as_of: n for as_of, n in listed}
    return [(as_of.isoformat(), n) for as_of, n in listed]


def test_sigkill_mid_write_leaves_earlier_snapshots_and_no_partial_one(
    big: tuple[Path, Path], tmp_path: Path
) -> None:
    store = tmp_path / "big.duckdb"
    files = StoreFiles(store, store.with_name(store.name + ".wal"))
    peak = peak_growth(files, lambda: api.snapshot(*big, as_of=D1, store=store))
    assert _consistent(store) == [("2026-11-01", BIG)]

    def committed() -> bool:
        found = _consistent(store)
        assert found[0] == ("2026-11-01", BIG)
        assert found[1:] in ([], [("2026-11-08", BIG)])
        if found[1:]:  # the kill came after the commit: take it out and try again
            api.delete_snapshot(D2, store)
        return bool(found[1:])

    # kill a second write at several points of its run (writing, building, reading)
    second = functools.partial(_snapshot_process, big, store, "2026-11-08")
    landed = kill_writes(second, files, peak, committed)
    assert landed[0] is False  # killed while writing its rows, before its commit
    # the store is still writable
    api.snapshot(*big, as_of=D2, store=store)
    assert _consistent(store) == [("2026-11-01", BIG), ("2026-11-08", BIG)]


def test_two_writers_at_once_never_corrupt_the_store(small_files, tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    procs = [_snapshot_process(small_files, store, day) for day in ("2026-11-01", "2026-11-08")]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in results] == [0, 0], results  # the second one waited
    assert _consistent(store) == [("2026-11-01", 10), ("2026-11-08", 10)]


def test_a_writer_that_cannot_wait_fails_with_one_line(small_files, tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    api.snapshot(*small_files, as_of=D1, store=store)
    holder = duckdb.connect(str(store))  # another process's lock, from this test process
    try:
        deals, reps = small_files
        proc = process("snapshot", "--deals", deals, "--reps", reps, "--as-of", "2026-11-08",
                       "--store", store, "--wait", "0.5")  # fmt: skip
    finally:
        holder.close()
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: {store}: in use by another process (waited 0.5 s) (try again when the other "
        "pipereview command has finished)"
    ]
    assert _consistent(store) == [("2026-11-01", 10)]
