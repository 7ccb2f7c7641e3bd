"""The snapshot store in a MySQL/MariaDB database (``--store mysql://...``), against a real
MariaDB server on 127.0.0.1: the same snapshots, stored reports, changes, flow and velocity
as a DuckDB store, byte for byte; values MySQL cannot keep as they are (exact decimals,
lists, -0.0, any text) come back exactly; a writer killed mid-write leaves the earlier
snapshots and no partial one; two writers at once both land, one that cannot wait fails
with one line while a reader reads; a first write killed between its tables is completed;
what is not a store is refused."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pymysql
import pytest
from hypothesis import example, given, settings

from pipereview import api, synthetic
from pipereview.api.snapshots import snapshot_inputs
from pipereview.engines import Engine
from pipereview.errors import StoreError
from pipereview.store.mysql_db import MySQLDatabase
from pipereview.store.snapshots import SNAPSHOT_SCHEMA, SNAPSHOTS
from tests.store import test_backfill
from tests.support.mariadb_server import mariadb_server
from tests.support.store_checks import (
    D1,
    D2,
    assert_dashboard_reads,
    assert_replace_and_delete,
    assert_round_trip,
    assert_same_history,
    portable_rows,
)

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("mariadb")]

backfill_exports = test_backfill.files  # test_backfill's exports and field history, as a fixture


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The URL of the ``pipereview`` database of a MariaDB server started for this module."""
    with mariadb_server() as url:
        yield url


def _connect(url: str, database: str | None = None) -> Any:
    parts = urlsplit(url)
    return pymysql.connect(
        host=parts.hostname, port=parts.port, user="root", autocommit=True, charset="utf8mb4",
        database=database if database is not None else parts.path.lstrip("/"),
    )  # fmt: skip


def _fresh(url: str, name: str = "pipereview") -> str:
    """A new empty database ``name`` on the test server, and its URL."""
    with _connect(url, "") as con, con.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}`")
    return url.rsplit("/", 1)[0] + f"/{name}"


def _consistent(url: str) -> list[tuple[str, int]]:
    """Every snapshot listed has exactly its rows, and no rows exist without a listing."""
    with _connect(url) as con, con.cursor() as cur:
        cur.execute("SELECT as_of, deals FROM snapshots ORDER BY as_of")
        listed = cur.fetchall()
        cur.execute("SELECT as_of, count(*) FROM snapshot_deals GROUP BY 1")
        rows = dict(cur.fetchall())
    assert rows == dict(listed)
    return [(as_of.isoformat(), n) for as_of, n in listed]


def test_a_mysql_store_equals_a_duckdb_store(
    server: str, weeks: list[tuple[Path, Path]], tmp_path: Path
) -> None:
    my, duck = _fresh(server), tmp_path / "s.duckdb"
    assert_same_history(my, duck, weeks)
    for day in (D1, D2):  # the stored rows too, in their input order
        assert [t.to_pylist() for t in snapshot_inputs(day, my)] == [
            t.to_pylist() for t in snapshot_inputs(day, duck)
        ]
    assert _consistent(my) == [("2026-11-13", 3000), ("2026-11-20", 3000)]


def test_existing_dates_replace_and_delete(server: str, weeks: list[tuple[Path, Path]]) -> None:
    assert_replace_and_delete(_fresh(server), weeks, _consistent)


def test_what_is_not_a_store_is_refused(server: str, small_files: tuple[Path, Path]) -> None:
    store = _fresh(server)
    with pytest.raises(StoreError, match=f"no store in {store}"):
        api.history(store)
    api.snapshot(*small_files, as_of=D1, store=store)
    with _connect(store) as con, con.cursor() as cur:
        cur.execute("UPDATE pipereview_meta SET value = '99'")
    with pytest.raises(StoreError, match="store schema version 99 is newer"):
        api.history(store)
    other = _fresh(server, "crm")  # a database with tables of its own is not taken over
    with _connect(other) as con, con.cursor() as cur:
        cur.execute("CREATE TABLE accounts (id INT)")
    with pytest.raises(StoreError, match=r"not a pipereview store \(no pipereview_meta table\)"):
        api.snapshot(*small_files, as_of=D1, store=other)
    with _connect(other) as con, con.cursor() as cur:
        cur.execute("SHOW TABLES")
        assert cur.fetchall() == (("accounts",),)
    with pytest.raises(StoreError, match="Unknown database 'nowhere'"):
        api.snapshot(*small_files, as_of=D1, store=server.rsplit("/", 1)[0] + "/nowhere")
    with pytest.raises(StoreError, match="names no database"):
        api.history(server.rsplit("/", 1)[0])
    with _connect(store) as con, con.cursor() as cur:
        cur.execute("UPDATE pipereview_meta SET value = '1'")
        cur.execute("DROP TABLE snapshot_deals")  # what the server says comes out in one line
    done = subprocess.run(
        [sys.executable, "-m", "pipereview", "velocity", "--as-of", D1.isoformat(),
         "--store", store],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        f"error: {store}: Table 'pipereview.snapshot_deals' doesn't exist (the database "
        "refused the work or the connection was lost; a snapshot is written whole or not at "
        "all)"
    ]
    secret = server.replace("root@", "root:s3cret@") + "x"
    with pytest.raises(StoreError) as refused:
        api.history(secret)
    assert "s3cret" not in str(refused.value)  # the password is never shown


def test_a_first_write_killed_between_its_tables_is_completed(
    server: str, small_files: tuple[Path, Path]
) -> None:
    """MySQL commits each CREATE TABLE on its own: a first writer killed after some of the
    store's tables, or after the meta table but before its version row, leaves a store the
    next writer completes (and a reader sees no store, or an empty one)."""
    store = _fresh(server)
    part = MySQLDatabase(Engine("duckdb"), store, False, 5.0)  # as a killed writer left it
    part.open()
    part.create_table(SNAPSHOTS, SNAPSHOT_SCHEMA)
    part.close()
    with pytest.raises(StoreError, match=f"no store in {store}"):
        api.history(store)
    api.snapshot(*small_files, as_of=D1, store=store)  # completes the store, then writes
    assert _consistent(store) == [("2026-11-13", 10)]
    with _connect(store) as con, con.cursor() as cur:
        cur.execute("DELETE FROM pipereview_meta")  # killed before the version row
    assert [i.deals for i in api.history(store)] == [10]  # readers read it as it is
    api.snapshot(*small_files, as_of=D2, store=store)
    with _connect(store) as con, con.cursor() as cur:
        cur.execute("SELECT `key`, value FROM pipereview_meta")
        assert cur.fetchall() == (("schema_version", "1"),)


@settings(max_examples=min(40, settings.default.max_examples), deadline=None)
@given(rows=portable_rows(dt.date(1000, 1, 1)))  # MySQL's DATE starts in the year 1000
@example(rows=[(None, -0.0, ["'", "\\", "\x00", "É"], dt.date(1000, 1, 1), "O'Re \\' \x00  ")])
def test_values_mysql_cannot_hold_come_back_exactly(
    server: str, rows: list[tuple[object, ...]]
) -> None:
    """Exact decimals (cents, negatives, 18 digits), floats (-0.0, infinities), lists with
    any text, dates, text with trailing blanks, NUL, quotes, backslashes, emoji and letters
    a case-insensitive collation would fold, and nulls: written to a MySQL store table and
    brought back into DuckDB, every value equals the one written."""
    engine = Engine("duckdb")
    store = MySQLDatabase(engine, _fresh(server, "values"), False, 5.0)
    store.open()
    try:
        assert_round_trip(store, engine, rows)
    finally:
        store.close()


def _snapshot_process(store: str, day: str, files: tuple[Path, Path], *extra: str) -> Any:
    return subprocess.Popen(
        [sys.executable, "-m", "pipereview", "snapshot", "--deals", str(files[0]), "--reps",
         str(files[1]), "--as-of", day, "--store", store, *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def test_sigkill_mid_write_leaves_earlier_snapshots_and_no_partial_one(
    server: str, tmp_path: Path
) -> None:
    store = _fresh(server)
    files = synthetic.write_csv(*synthetic.generate(n_deals=200_000, n_reps=200, seed=3), tmp_path)
    start = time.monotonic()
    first = _snapshot_process(store, "2026-11-01", files)
    assert first.wait(timeout=900) == 0, first.stderr.read() if first.stderr else ""
    took = time.monotonic() - start
    assert _consistent(store) == [("2026-11-01", 200_000)]
    for fraction in (0.3, 0.6, 0.8, 0.9, 0.97):  # reading, building, writing rows
        proc = _snapshot_process(store, "2026-11-08", files)
        time.sleep(took * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        deadline = time.monotonic() + 60
        while True:  # the server rolls the dead session's transaction back
            found = _consistent(store)
            if found[1:] in ([], [("2026-11-08", 200_000)]) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert found[0] == ("2026-11-01", 200_000)
        assert found[1:] in ([], [("2026-11-08", 200_000)])
        if found[1:]:  # the kill came after the commit: take it out and try again
            api.delete_snapshot(dt.date(2026, 11, 8), store)
    last = _snapshot_process(store, "2026-11-08", files)
    assert last.wait(timeout=900) == 0, last.stderr.read() if last.stderr else ""
    assert _consistent(store) == [("2026-11-01", 200_000), ("2026-11-08", 200_000)]


def test_two_writers_one_that_cannot_wait_and_a_reader(
    server: str, small_files: tuple[Path, Path]
) -> None:
    store = _fresh(server)
    procs = [_snapshot_process(store, day, small_files) for day in ("2026-11-01", "2026-11-08")]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    assert _consistent(store) == [("2026-11-01", 10), ("2026-11-08", 10)]
    with _connect(store) as holder, holder.cursor() as cur:  # another writer, mid-transaction
        cur.execute("SELECT GET_LOCK('pipereview:pipereview', 0)")
        assert cur.fetchone() == (1,)
        cur.execute("START TRANSACTION")
        cur.execute("DELETE FROM snapshot_deals")
        proc = _snapshot_process(store, "2026-11-15", small_files, "--wait", "0.5")
        proc.wait(timeout=300)
        # a reader sees the committed snapshots while the writer holds its lock
        assert [i.deals for i in api.history(store)] == [10, 10]
        stored = api.stored_report(dt.date(2026, 11, 1), store)
        assert stored.pipeline_summary.total_deals == 10
        cur.execute("ROLLBACK")
    assert proc.returncode == 1
    assert proc.stderr.read().strip().splitlines() == [
        f"error: {store}: in use by another process (waited 0.5 s) (try again when the other "
        "pipereview command has finished)"
    ]
    assert _consistent(store) == [("2026-11-01", 10), ("2026-11-08", 10)]


def test_dashboard_over_a_mysql_store(server: str, small_files: tuple[Path, Path]) -> None:
    assert_dashboard_reads(_fresh(server), small_files)


def test_backfill_into_a_mysql_store(server: str, backfill_exports: dict[str, Path]) -> None:
    """Replaying a field history into a MySQL store gives the report a snapshot of that
    day's export gives in a DuckDB store."""
    replayed = _fresh(server)
    direct = backfill_exports["now"].parent / "direct-for-mysql.duckdb"
    test_backfill.replay_and_compare(backfill_exports, replayed, direct)
