"""Tests for the deterministic synthetic CRM data generator."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from pipereview import synthetic

DEAL_COLUMNS = [
    ("deal_id", pa.string()),
    ("rep_id", pa.string()),
    ("status", pa.string()),
    ("deal_value_usd", pa.float64()),
    ("probability", pa.float64()),
    ("days_in_stage", pa.int64()),
    ("risk_flags", pa.list_(pa.string())),
    ("stage", pa.string()),
    ("created_date", pa.date32()),
    ("close_date", pa.date32()),
    ("forecast_category", pa.string()),
    ("currency", pa.string()),
    ("amount", pa.float64()),
]
REP_COLUMNS = [
    ("rep_id", pa.string()),
    ("rep_name", pa.string()),
    ("quota_usd", pa.float64()),
    ("year_to_date_revenue_usd", pa.float64()),
    ("close_rate", pa.float64()),
    ("quota_3m", pa.float64()),
    ("closed_won_3m_current", pa.float64()),
    ("current_pipeline_value", pa.float64()),
    ("previous_pipeline_value", pa.float64()),
    ("risk_velocity_flag", pa.string()),
    ("risk_score_current", pa.float64()),
    ("manager_id", pa.string()),
    ("team", pa.string()),
    ("region", pa.string()),
]


@pytest.fixture(scope="module")
def demo() -> tuple[pa.Table, pa.Table]:
    return synthetic.generate()


def _active(deals: pa.Table) -> pa.Table:
    return deals.filter(pc.equal(deals["status"], "active"))


def test_same_seed_is_identical(demo: tuple[pa.Table, pa.Table]) -> None:
    deals, reps = synthetic.generate()
    assert deals.equals(demo[0])
    assert reps.equals(demo[1])


def test_different_seed_differs(demo: tuple[pa.Table, pa.Table]) -> None:
    deals, reps = synthetic.generate(seed=8)
    assert not deals.equals(demo[0])
    assert not reps.equals(demo[1])


def test_columns_and_types(demo: tuple[pa.Table, pa.Table]) -> None:
    deals, reps = demo
    assert [(f.name, f.type) for f in deals.schema] == DEAL_COLUMNS
    assert [(f.name, f.type) for f in reps.schema] == REP_COLUMNS
    assert deals.num_rows == 5000
    assert reps.num_rows == 40


def test_ids(demo: tuple[pa.Table, pa.Table]) -> None:
    deals, reps = demo
    ids = deals["deal_id"].to_pylist()
    assert len(set(ids)) == len(ids)
    assert ids[0] == "D0000001"
    assert reps["rep_id"][0].as_py() == "R0001"
    assert set(deals["rep_id"].to_pylist()) <= set(reps["rep_id"].to_pylist())


def test_deals_spread_unevenly_across_reps(demo: tuple[pa.Table, pa.Table]) -> None:
    counts = pc.value_counts(demo[0]["rep_id"]).field("counts").to_numpy()
    assert counts.max() >= 3 * counts.min()


def test_probability_and_stage(demo: tuple[pa.Table, pa.Table]) -> None:
    deals = demo[0]
    prob = deals["probability"].to_numpy()
    assert ((prob >= 0) & (prob <= 1)).all()
    assert np.allclose(prob, np.round(prob, 2))
    rows = deals.select(["status", "stage", "probability", "forecast_category"]).to_pylist()
    for r in rows:
        if r["status"] == "won":
            assert (r["stage"], r["probability"], r["forecast_category"]) == (
                "Closed Won",
                1.0,
                "Closed",
            )
        elif r["status"] == "lost":
            assert (r["stage"], r["probability"], r["forecast_category"]) == (
                "Closed Lost",
                0.0,
                "Omitted",
            )
        else:
            assert r["stage"] in synthetic.OPEN_STAGES
            assert r["forecast_category"] in {"Pipeline", "Best Case", "Commit"}


def test_status_distribution(demo: tuple[pa.Table, pa.Table]) -> None:
    status = demo[0]["status"].to_numpy(zero_copy_only=False)
    assert set(status) == {"active", "won", "lost"}
    assert 0.50 < (status == "active").mean() < 0.60
    assert 0.20 < (status == "won").mean() < 0.30
    assert 0.15 < (status == "lost").mean() < 0.25


def test_stalled_and_risk_flags(demo: tuple[pa.Table, pa.Table]) -> None:
    active = _active(demo[0])
    days = active["days_in_stage"].to_numpy()
    assert 0.15 <= (days >= 21).mean() <= 0.25
    n_flags = pc.list_value_length(active["risk_flags"]).to_numpy()
    assert 0.08 < (n_flags > 0).mean() < 0.16
    assert n_flags.max() <= 3
    flags = set(pc.list_flatten(demo[0]["risk_flags"]).to_pylist())
    assert flags <= set(synthetic.RISK_FLAGS)
    closed = demo[0].filter(pc.not_equal(demo[0]["status"], "active"))
    assert pc.sum(pc.list_value_length(closed["risk_flags"])).as_py() == 0


def test_dates(demo: tuple[pa.Table, pa.Table]) -> None:
    deals = demo[0]
    assert pc.all(pc.less(deals["created_date"], deals["close_date"])).as_py()
    close = deals["close_date"].to_pylist()
    assert all(abs((d - synthetic.ANCHOR).days) <= 290 for d in close)
    assert deals["amount"].equals(deals["deal_value_usd"])


def test_rep_quota_spread(demo: tuple[pa.Table, pa.Table]) -> None:
    reps = demo[1]
    quota = reps["quota_usd"].to_numpy(zero_copy_only=False)
    ytd = reps["year_to_date_revenue_usd"].to_numpy()
    bad = np.isnan(quota) | (quota == 0)
    assert bad.any()
    ach = ytd[~bad] / quota[~bad]
    assert (ach < 0.7).any()
    assert (ach > 1.0).any()
    assert reps["close_rate"].null_count >= 1
    velocity = {v.strip().lower() for v in reps["risk_velocity_flag"].to_pylist()}
    assert velocity <= {"increasing", "stable", "decreasing"}


def test_batches_match_generate(demo: tuple[pa.Table, pa.Table]) -> None:
    batches = list(synthetic.iter_deal_batches(5000, 40, 7, batch_size=999))
    assert max(b.num_rows for b in batches) == 999
    assert pa.Table.from_batches(batches).equals(demo[0])


def test_csv_round_trip(demo: tuple[pa.Table, pa.Table], tmp_path: Path) -> None:
    deals_path, reps_path = synthetic.write_csv(*demo, tmp_path)
    with deals_path.open(newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == [name for name, _ in DEAL_COLUMNS]
    assert len(rows) == 5001
    flags = demo[0]["risk_flags"].to_pylist()
    col = rows[0].index("risk_flags")
    assert [r[col] for r in rows[1:]] == [";".join(f) for f in flags]
    assert any(";" in r[col] for r in rows[1:])
    assert rows[1][rows[0].index("close_date")] == demo[0]["close_date"][0].as_py().isoformat()
    with reps_path.open(newline="") as f:
        assert next(csv.reader(f)) == [name for name, _ in REP_COLUMNS]
    first = deals_path.read_bytes()
    synthetic.write_csv(*synthetic.generate(), tmp_path)
    assert deals_path.read_bytes() == first


def test_parquet_round_trip(demo: tuple[pa.Table, pa.Table], tmp_path: Path) -> None:
    deals_path, reps_path = synthetic.write_parquet(*demo, tmp_path)
    assert pq.read_table(deals_path).equals(demo[0])
    assert pq.read_table(reps_path).equals(demo[1])
    streamed = synthetic.write_parquet(
        synthetic.iter_deal_batches(5000, 40, 7), demo[1], tmp_path / "s"
    )
    assert pq.read_table(streamed[0]).equals(demo[0])


def test_demo_rep_records_agree_with_their_deals(demo: tuple[pa.Table, pa.Table]) -> None:
    deals, reps = demo
    active = deals.filter(pc.equal(deals["status"], "active"))
    by_rep: dict[str, float] = {}
    for rep_id, value in zip(
        active["rep_id"].to_pylist(), active["deal_value_usd"].to_pylist(), strict=True
    ):
        by_rep[rep_id] = by_rep.get(rep_id, 0.0) + value
    current = dict(
        zip(reps["rep_id"].to_pylist(), reps["current_pipeline_value"].to_pylist(), strict=True)
    )
    assert current == {r: by_rep.get(r, 0.0) for r in current}
    names = reps["rep_name"].to_pylist()
    assert len(set(names)) == len(names)  # distinct people
