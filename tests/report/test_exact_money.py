"""Exact money at a size where engines run in parallel.

4M deals (1M under the ``quick`` Hypothesis profile of ``make check``) whose cent amounts
(up to $999,999,999.99 on 4M) defeat float summation: the totals must equal the exact
decimal sums, rounded half-even once; the JSON must be byte-identical across runs, across
DuckDB with 1 and 2 threads, and on Spark; per-rep values must add up to the company total
exactly; and no float may reach a money field of the report.
"""

from __future__ import annotations

import datetime as dt
import os
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview.api import build_report
from pipereview.engines import Engine
from pipereview.report import Report, decimal_text, round_value

# make check runs the same tests on a quarter of the deals: still eight of DuckDB's row
# groups, run in parallel, and still sums a float gets wrong (the first test checks it)
N_DEALS = 1_000_000 if os.environ.get("HYPOTHESIS_PROFILE") == "quick" else 4_000_000
N_REPS = 50
AS_OF = dt.date(2026, 11, 20)
CENT = Decimal("0.01")
# the tests that read the big data run on one worker, which makes it once (Spark's apart)
_BIG = pytest.mark.xdist_group("exact_money")


@pytest.fixture(scope="module")
def cents(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The files, plus the exact expected totals computed with Python integers."""
    rng = np.random.default_rng(2026)
    # up to $999,999,999.99 on 4M deals; as much more on fewer, for totals of the same size
    amount_cents = rng.integers(1, 100_000_000_000 * (4_000_000 // N_DEALS), N_DEALS)
    percent = rng.integers(0, 101, N_DEALS)
    status = rng.choice(np.array(["active", "won", "lost"]), N_DEALS, p=[0.6, 0.2, 0.2])
    rep = rng.integers(0, N_REPS, N_DEALS)
    rep_ids = [f"R{i:02d}" for i in range(N_REPS)]
    deals = pa.table(
        {
            "deal_id": pc.binary_join_element_wise(
                "D", pa.array(np.arange(N_DEALS)).cast(pa.string()), ""
            ),
            "rep_id": pa.array(rep_ids).take(pa.array(rep)),
            "status": pa.array(status),
            "deal_value_usd": pa.array(amount_cents / 100),  # doubles, as exports have them
            "probability": pa.array(percent / 100),
            "days_in_stage": pa.array(np.zeros(N_DEALS)),
        }
    )
    reps = pa.table(
        {
            "rep_id": rep_ids,
            "rep_name": [f"Rep {i}" for i in range(N_REPS)],
            "quota_usd": [1_000_000.0] * N_REPS,
            "year_to_date_revenue_usd": [500_000.0] * N_REPS,
        }
    )
    folder = tmp_path_factory.mktemp("cents")
    pq.write_table(deals, folder / "deals.parquet")
    pq.write_table(reps, folder / "reps.parquet")
    shuffled = deals.take(pa.array(np.random.default_rng(7).permutation(N_DEALS)))
    pq.write_table(shuffled, folder / "deals_shuffled.parquet")
    active = status == "active"
    total_cents = int(amount_cents[active].sum())  # < 2**63: exact in int64
    # each product < 2**46, a chunk of under 2**15 of them sums below 2**63: exact in int64;
    # the chunks' sums add up in Python integers
    products = amount_cents[active] * percent[active]
    chunks = np.array_split(products, len(products) // 2**15 + 1)
    weighted = sum(int(chunk.sum()) for chunk in chunks)
    return {
        "paths": (folder / "deals.parquet", folder / "reps.parquet"),
        "shuffled": (folder / "deals_shuffled.parquet", folder / "reps.parquet"),
        "total": (Decimal(total_cents) / 100).quantize(CENT, rounding=ROUND_HALF_EVEN),
        "weighted": (Decimal(weighted) / 10_000).quantize(CENT, rounding=ROUND_HALF_EVEN),
        "float_total": float(np.sum(amount_cents[active] / 100)),
    }


def _report(cents: dict, engine: Engine | str = "duckdb") -> Report:
    return build_report(*cents["paths"], as_of=AS_OF, engine=engine)


@pytest.fixture(scope="module")
def report(cents: dict) -> Report:
    """The report on the default engine, built once for the tests that only read it."""
    return _report(cents)


@pytest.fixture(scope="module")
def duck_json(report: Report) -> str:
    return report.to_json()


@_BIG
def test_the_data_defeats_float_summation(cents: dict) -> None:
    assert Decimal(repr(cents["float_total"])) != cents["total"]


@_BIG
def test_totals_are_the_exact_decimal_sums(cents: dict, report: Report) -> None:
    summary = report.pipeline_summary
    assert summary.total_pipeline_value == cents["total"]
    assert summary.weighted_pipeline_value == cents["weighted"]


@_BIG
def test_same_bytes_across_runs_and_thread_counts(cents: dict, duck_json: str) -> None:
    assert _report(cents, Engine("duckdb", threads=2)).to_json() == duck_json
    assert _report(cents, Engine("duckdb", threads=1)).to_json() == duck_json
    assert f'"total_pipeline_value": {decimal_text(cents["total"])},' in duck_json


@_BIG
def test_shuffled_rows_give_the_same_bytes(cents: dict, duck_json: str) -> None:
    shuffled = build_report(*cents["shuffled"], as_of=AS_OF, engine=Engine("duckdb", threads=2))
    assert shuffled.to_json() == duck_json


@_BIG
def test_rep_values_add_up_to_the_company_total_exactly(report: Report) -> None:
    assert sum(r.pipeline_value for r in report.rep_performance) == (
        report.pipeline_summary.total_pipeline_value
    )
    assert sum(r.active_deals for r in report.rep_performance) == (
        report.pipeline_summary.active_deals
    )


@_BIG
def test_no_float_reaches_a_money_field(report: Report) -> None:
    money = [report.pipeline_summary.total_pipeline_value]
    money += [report.pipeline_summary.weighted_pipeline_value]
    money += [report.pipeline_summary.average_deal_size]
    money += [r.pipeline_value for r in report.rep_performance]
    money += [f.observed["deal_value_usd"] for f in report.flags if "deal_value_usd" in f.observed]
    assert money and all(isinstance(value, Decimal) for value in money)
    with pytest.raises(TypeError, match="float"):
        round_value("usd", 1.5)


@pytest.mark.spark
@pytest.mark.xdist_group("spark")
def test_spark_gives_the_same_bytes(cents: dict, duck_json: str) -> None:
    pytest.importorskip("pyspark")
    assert _report(cents, "spark").to_json() == duck_json


def test_money_json_keeps_exact_digits(tmp_path: Path) -> None:
    rows = [{"deal_id": "D1", "rep_id": "R1", "status": "active", "deal_value_usd": "0.005",
             "probability": 1}]  # fmt: skip
    report = build_report(rows, [{"rep_id": "R1"}], as_of=AS_OF)
    # 0.005 is exactly half a cent: half-even gives 0.00 (a float round() would too, by luck
    # of the binary value); 0.015 -> 0.02 and 0.025 -> 0.02 show the rule itself.
    assert report.pipeline_summary.total_pipeline_value == Decimal("0.00")
    for text, expected in (("0.015", "0.02"), ("0.025", "0.02"), ("2.675", "2.68")):
        rows[0]["deal_value_usd"] = text
        value = build_report(rows, [{"rep_id": "R1"}], as_of=AS_OF).pipeline_summary
        assert value.total_pipeline_value == Decimal(expected), text


_cents = st.integers(-(10**13), 10**13)  # up to $100 billion either way, in cents
_micro = st.integers(0, 1_000_000)  # probability in millionths


@settings()  # the profile in conftest.py
@given(
    st.lists(
        st.tuples(_cents, _micro, st.sampled_from(["active", "won", "lost", "open"]),
                  st.sampled_from(["R1", "R2", "R3"])),
        min_size=1, max_size=60,
    )
)  # fmt: skip
def test_money_sums_are_exact_on_random_cents(rows: list[tuple[int, int, str, str]]) -> None:
    deals = [
        {"deal_id": f"D{i}", "rep_id": rep, "status": status,
         "deal_value_usd": cents / 100, "probability": micro / 1_000_000}
        for i, (cents, micro, status, rep) in enumerate(rows)
    ]  # fmt: skip
    reps = [{"rep_id": r} for r in ("R1", "R2", "R3")]
    report = build_report(deals, reps, as_of=AS_OF)
    active = [(c, m, rep) for c, m, status, rep in rows if status == "active"]
    total = Decimal(sum(c for c, _, _ in active)) / 100
    weighted = Decimal(sum(c * m for c, m, _ in active)) / 10**8
    summary = report.pipeline_summary
    assert summary.total_pipeline_value == total.quantize(CENT, rounding=ROUND_HALF_EVEN)
    assert summary.weighted_pipeline_value == weighted.quantize(CENT, rounding=ROUND_HALF_EVEN)
    assert sum(r.pipeline_value for r in report.rep_performance) == summary.total_pipeline_value
    if active:
        average = total / len(active)
        assert summary.average_deal_size == average.quantize(CENT, rounding=ROUND_HALF_EVEN)
