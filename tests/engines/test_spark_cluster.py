"""Spark for real: a standalone master and worker on 127.0.0.1, driven through the CLI.

The report built on the cluster (files read by ``spark.read`` on the executors) must equal
the DuckDB report byte for byte, and Spark's log noise must stay off stderr.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from pipereview import synthetic
from tests.support.spark_cluster import spark_env, standalone_cluster

pytest.importorskip("pyspark")
# its own cluster and CLI processes: beside the "spark" group, with the Spark store tests
pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("spark_second")]


def _cli(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pipereview", *map(str, args)],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )  # fmt: skip


def test_cluster_report_equals_duckdb(tmp_path_factory: pytest.TempPathFactory) -> None:
    tmp = tmp_path_factory.mktemp("spark-cluster")
    deals, reps = synthetic.generate(n_deals=20_000, n_reps=60, seed=23)
    parquet = synthetic.write_parquet(deals, reps, tmp / "pq")
    csv = synthetic.write_csv(deals, reps, tmp / "csv")
    common = ("--as-of", "2026-11-20", "--format", "json")
    env = spark_env(tmp)
    duck = _cli(env, "report", "--deals", parquet[0], "--reps", parquet[1], *common)
    assert duck.returncode == 0, duck.stderr
    with standalone_cluster(tmp) as (url, cluster_env):
        for deals_path, reps_path in (parquet, csv):
            out = tmp / f"spark-{deals_path.suffix[1:]}.json"
            proc = _cli(
                cluster_env, "report", "--deals", deals_path, "--reps", reps_path, *common,
                "--engine", "spark", "--spark-master", url,
                "--spark-conf", "spark.executor.memory=1g",
                "--spark-conf", "spark.cores.max=2",
                "--output", out,
            )  # fmt: skip
            assert proc.returncode == 0, proc.stderr[-3000:]
            assert out.read_text() == duck.stdout
            noise = [line for line in proc.stderr.splitlines() if not line.startswith("wrote ")]
            assert noise == []


def test_bad_spark_conf_is_a_usage_error(small_files) -> None:
    proc = _cli(
        spark_env(Path("/tmp")), "report", "--deals", small_files[0], "--reps", small_files[1],
        "--engine", "spark", "--spark-conf", "novalue",
    )  # fmt: skip
    assert proc.returncode == 2
    assert "is not KEY=VALUE" in " ".join(proc.stderr.replace("│", " ").split())
