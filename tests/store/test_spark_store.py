"""The history commands on Spark: snapshots computed on a SparkSession and kept in a DuckDB
store file or a SQLite one (their rows streamed into it as Arrow batches), the report's
changes against a snapshot of that file, and a backfill; each equal to the same run on
DuckDB, byte for byte.
Runs a local SparkSession (pyspark is in the dev extras; Java 17 must be on the machine)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipereview import api, synthetic
from pipereview.store.snapshots import describe
from tests.store import test_backfill
from tests.store.test_backfill import THEN, TODAY

pytest.importorskip("pyspark")
# a Spark driver of its own, on another worker than the "spark" group's (with the cluster
# test): the Spark tests are the longest part of the suite, and one worker ran them all
pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark_second")]

backfill_exports = test_backfill.files  # test_backfill's exports and field history
D1, D2, D3 = dt.date(2026, 11, 13), dt.date(2026, 11, 20), dt.date(2026, 11, 27)


@pytest.fixture(scope="module")
def spark_engine():  # type: ignore[no-untyped-def]
    from pipereview.engines import Engine

    return Engine("spark")


@pytest.fixture(scope="module")
def weeks(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, Path]]:
    """Two exports a week apart: the same deal ids with other values, stages and statuses."""
    root = tmp_path_factory.mktemp("weeks")
    return [
        synthetic.write_csv(*synthetic.generate(n_deals=800, n_reps=12, seed=seed), root / name)
        for seed, name in ((7, "w1"), (8, "w2"))
    ]


def _rows(store: Path) -> list[tuple[Any, ...]]:
    """Every stored row of both canonical tables, in a fixed order."""
    with duckdb.connect(str(store), read_only=True) as con:
        return [
            *con.execute("select * from snapshot_deals order by as_of, _row").fetchall(),
            *con.execute("select * from snapshot_reps order by as_of, _row").fetchall(),
        ]


def test_spark_snapshots_in_a_duckdb_store_equal_duckdb_ones(
    spark_engine: Any, weeks: list[tuple[Path, Path]], tmp_path: Path
) -> None:
    duck, spark = tmp_path / "duck.duckdb", tmp_path / "spark.duckdb"
    for store, engine in ((duck, "duckdb"), (spark, spark_engine)):
        api.snapshot(*weeks[0], as_of=D1, store=store, engine=engine)
        api.snapshot(*weeks[1], as_of=D2, store=store, engine=engine)
    assert [describe(i) for i in api.history(spark)] == [describe(i) for i in api.history(duck)]
    assert [i.deals for i in api.history(spark)] == [800, 800]
    for day in (D1, D2):
        assert api.stored_report(day, spark).to_json() == api.stored_report(day, duck).to_json()
    assert api.stored_report(D2, spark).changes is not None  # compared with D1's snapshot
    assert _rows(spark) == _rows(duck)
    # the report on Spark against the file's latest snapshot, as on DuckDB
    on_spark = api.build_report(*weeks[1], as_of=D3, store=spark, engine=spark_engine)
    assert on_spark.changes is not None and on_spark.changes.compared_to == D2
    assert on_spark.to_json() == api.build_report(*weeks[1], as_of=D3, store=duck).to_json()
    # what reads the store alone does not care which engine wrote it
    flows = [api.flow(D1, D2, store=s, period="all").to_json() for s in (spark, duck)]
    assert flows[0] == flows[1]
    velocities = [api.velocity(as_of=D2, store=s, engine=spark_engine) for s in (spark, duck)]
    assert velocities[0].model_dump_json() == velocities[1].model_dump_json()


def test_spark_snapshots_in_a_sqlite_store_equal_duckdb_ones(
    spark_engine: Any, weeks: list[tuple[Path, Path]], tmp_path: Path
) -> None:
    """A SQLite store is never an engine: Spark's rows are encoded into it, and read back
    into a DuckDB engine of the store's own."""
    duck, lite = tmp_path / "duck.duckdb", f"sqlite://{tmp_path / 'spark.sqlite'}"
    for store, engine in ((duck, "duckdb"), (lite, spark_engine)):
        api.snapshot(*weeks[0], as_of=D1, store=store, engine=engine)
        api.snapshot(*weeks[1], as_of=D2, store=store, engine=engine)
    assert [describe(i) for i in api.history(lite)] == [describe(i) for i in api.history(duck)]
    assert api.stored_report(D2, lite).to_json() == api.stored_report(D2, duck).to_json()
    on_spark = api.build_report(*weeks[1], as_of=D3, store=lite, engine=spark_engine)
    assert on_spark.changes is not None and on_spark.changes.compared_to == D2
    assert on_spark.to_json() == api.build_report(*weeks[1], as_of=D3, store=duck).to_json()
    flows = [api.flow(D1, D2, store=s, period="all").to_json() for s in (lite, duck)]
    assert flows[0] == flows[1]


def test_spark_backfill_equals_duckdb_backfill(
    spark_engine: Any, backfill_exports: dict[str, Path], tmp_path: Path
) -> None:
    stores = (tmp_path / "duck.duckdb", tmp_path / "spark.duckdb")
    for store, engine in zip(stores, ("duckdb", spark_engine), strict=True):
        api.backfill(
            backfill_exports["now"],
            backfill_exports["reps"],
            field_history=backfill_exports["history"],
            dates=[THEN, TODAY],
            as_of=TODAY,
            store=store,
            engine=engine,
        )
    duck, spark = stores
    assert [(i.as_of, i.deals) for i in api.history(spark)] == [(THEN, 5), (TODAY, 6)]
    assert _rows(spark) == _rows(duck)
    for day in (THEN, TODAY):
        assert api.stored_report(day, spark).to_json() == api.stored_report(day, duck).to_json()


def test_cli_snapshot_on_spark(small_files: tuple[Path, Path], tmp_path: Path) -> None:
    store = tmp_path / "s.duckdb"
    deals, reps = (str(p) for p in small_files)
    command = [sys.executable, "-m", "pipereview", "snapshot", "--deals", deals, "--reps", reps,
               "--as-of", "2026-11-20", "--store", str(store)]  # fmt: skip
    spark = subprocess.run([*command, "--engine", "spark"], capture_output=True, text=True)
    assert spark.returncode == 0, spark.stderr
    assert f"stored snapshot 2026-11-20 in {store}: 10 deals, 3 reps" in spark.stderr
    assert "WARN" not in spark.stderr  # Spark's log noise stays off stderr
    duck = tmp_path / "d.duckdb"
    command[command.index(str(store))] = str(duck)
    assert subprocess.run(command, capture_output=True, text=True).returncode == 0
    assert _rows(store) == _rows(duck)
    day = dt.date(2026, 11, 20)
    assert api.stored_report(day, store).to_json() == api.stored_report(day, duck).to_json()
