"""The benchmark baselines (benchmarks/baselines.py) agree exactly with the test oracle.

A handful of deals and reps with the awkward cases (null probability, zero quota, ties for top
opportunities and benchmark, unknown status, duplicate rep, orphan deal) is written as CSV and
Parquet; ``duckdb_sql``, ``python_onepass`` and ``oracle_report`` must give the same dict.
"""

from __future__ import annotations

import csv
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.oracle import CENT, oracle_report

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from baselines import duckdb_sql, python_onepass

DEALS = [
    ("D01", "R1", "active", 10000.0, 0.5, 30, ["no_champion"]),
    ("D02", "R1", "active", 5000.0, 1.0, 21, []),  # ties D01 on value x probability
    ("D03", "R1", "active", 20000.0, None, 5, None),  # null probability
    ("D04", "R1", "won", 7000.0, 1.0, 2, None),
    ("D05", "R1", "lost", 3000.0, 0.0, 1, None),
    ("D06", "R2", "active", 12345.675, 0.35, 40, ["budget_cut", "legal_review"]),
    ("D07", "R2", "won", 8000.0, 1.0, 0, None),
    ("D08", "R3", "active", None, 0.2, None, ["single_threaded"]),
    ("D09", "R3", "Won", 9999.0, 1.0, 3, None),  # unknown status
    ("D10", "R9", "active", 4000.0, 0.9, 22, None),  # orphan rep
    ("D11", "R4", "active", 20000.0, 0.5, 3, None),
    ("D12", "R4", "active", 2500.0, 0.4, 60, ["no_next_step"]),
    ("D13", "R4", "lost", 1000.0, 0.0, 9, None),
]
REPS = [
    # rep_id, name, quota, ytd, close_rate, q3m, closed3m, cur, prev, velocity, risk
    (
        "R2",
        "Bea",
        100000.0,
        65000.0,
        None,
        25000.0,
        30000.0,
        110000.0,
        100000.0,
        " Increasing ",
        55.9,
    ),
    ("R1", "Al", 0.0, 50000.0, 0.333, 0.0, 10000.0, 100000.0, 102000.0, "stable", 12.0),
    ("R3", "Cy", 200000.0, 150000.0, None, 50000.0, 60000.0, 95000.0, 100000.0, "STABLE", None),
    ("R4", "Di", None, 10.0, 0.5, 10000.0, 12000.0, 1000.0, None, None, 3.2),
    ("R2", "Bea duplicate", 1.0, 1.0, 0.9, 1.0, 1.0, 1.0, 1.0, "increasing", 1.0),
]
DEAL_NAMES = (
    "deal_id",
    "rep_id",
    "status",
    "deal_value_usd",
    "probability",
    "days_in_stage",
    "risk_flags",
)
REP_NAMES = (
    "rep_id",
    "rep_name",
    "quota_usd",
    "year_to_date_revenue_usd",
    "close_rate",
    "quota_3m",
    "closed_won_3m_current",
    "current_pipeline_value",
    "previous_pipeline_value",
    "risk_velocity_flag",
    "risk_score_current",
)


def _dicts(rows, names) -> list[dict]:
    return [dict(zip(names, row, strict=True)) for row in rows]


def _write_csv(path: Path, rows, names) -> None:
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for row in rows:
            writer.writerow(
                ";".join(v) if isinstance(v, list) else "" if v is None else v for v in row
            )


def _write_parquet(path: Path, rows, names) -> None:
    table = pa.Table.from_pylist(_dicts(rows, names))
    if "days_in_stage" in names:
        table = table.set_column(
            names.index("days_in_stage"),
            "days_in_stage",
            table.column("days_in_stage").cast(pa.int64()),
        )
    pq.write_table(table, path)


# Figures added after the reference (won revenue, decisions D40): the baselines leave them out.
WON_SUMMARY = (
    "won_value",
    "won_value_quarter_to_date",
    "won_value_year_to_date",
    "recorded_year_to_date_revenue",
    "average_won_deal_size",
    "sales_cycle_deals",
    "median_sales_cycle_days",
)
WON_REP = ("won_deals", "lost_deals", "won_value")


def _expected(deals: list[dict] | None = None, reps: list[dict] | None = None) -> dict:
    """The oracle's report plus the flag rows the baselines list (value desc, id asc)."""
    deals = _dicts(DEALS, DEAL_NAMES) if deals is None else deals
    reps = _dicts(REPS, REP_NAMES) if reps is None else reps
    report = oracle_report(deals, reps)
    # the baselines compute the reference sections only
    del report["pipeline_by_stage"], report["forecast"]
    for rule in ("past_close_date", "repeatedly_pushed", "low_coverage"):
        del report["flag_counts"][rule]
    for row in report["rep_performance"]:
        for key in ("pace", *WON_REP):
            del row[key]
    for key in WON_SUMMARY:
        del report["pipeline_summary"][key]
    active = [dict(d) for d in deals if d["status"] == "active"]
    for d in active:
        d["value"] = d["deal_value_usd"] or 0.0
    rules = {
        "stalled_deal": lambda d: (d["days_in_stage"] or 0) >= 21,
        "at_risk_deal": lambda d: bool(d["risk_flags"]),
        "stale_high_probability": lambda d: (
            (d["probability"] or 0) >= 0.7 and (d["days_in_stage"] or 0) >= 60
        ),
    }
    report["flag_rows"] = {
        rule: [
            {
                "deal_id": d["deal_id"],
                "days_in_stage": float(d["days_in_stage"] or 0),
                "deal_value_usd": round(d["value"], 2),
                "risk_flags": d["risk_flags"] or [],
            }
            for d in sorted(filter(test, active), key=lambda d: (-d["value"], d["deal_id"]))[:1000]
        ]
        for rule, test in rules.items()
    }
    return report


@pytest.fixture(params=["csv", "parquet"])
def paths(request, tmp_path: Path) -> tuple[str, str]:
    deals, reps = tmp_path / f"deals.{request.param}", tmp_path / f"reps.{request.param}"
    write = _write_csv if request.param == "csv" else _write_parquet
    write(deals, DEALS, DEAL_NAMES)
    write(reps, REPS, REP_NAMES)
    return str(deals), str(reps)


def test_expected_covers_the_awkward_cases() -> None:
    report = _expected()
    perf = {r["rep_id"]: r for r in report["rep_performance"]}
    traj = {r["rep_id"]: r for r in report["rep_trajectory"]}
    assert perf["R1"]["top_opportunities"] == ["D01", "D02", "D03"]  # 5000 tie, then 0
    assert perf["R1"]["quota_achievement"] is None
    assert perf["R2"]["close_rate_source"] == "deals"
    assert traj["R2"]["rep_name"] == "Bea" and traj["R2"]["coaching_candidate"]
    assert traj["R2"]["benchmark"]  # R2, R3 and R4 all reach 1.2: lowest id wins
    assert report["flag_counts"]["benchmark"] == 1
    assert report["pipeline_summary"]["total_deals"] == 13


@pytest.mark.parametrize("impl", [duckdb_sql, python_onepass])
def test_baseline_matches_oracle(impl, paths: tuple[str, str]) -> None:
    result = impl(*paths)
    if impl is duckdb_sql:  # the SQL baseline also runs the checks pipereview reports
        assert result.pop("checks") == {
            "duplicate_deal_ids": 0,
            "duplicate_examples": None,
            "orphan_deals": 1,  # D10 (R9)
            "missing_quota": 2,  # R1 (0.0), R4 (none)
        }
    assert _close(result, _expected())


def _close(got: object, want: object) -> bool:
    """Equal, except that money may be a cent off: the baselines round a double, the oracle
    rounds the exact decimal half-even (12345.675 is 12345.68 exactly, 12345.67 as a double)."""
    if isinstance(want, dict):
        return (
            isinstance(got, dict)
            and got.keys() == want.keys()
            and all(_close(got[k], want[k]) for k in want)
        )
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(_close(g, w) for g, w in zip(got, want, strict=True))
        )
    if isinstance(want, Decimal):
        exact = got if isinstance(got, Decimal) else Decimal(repr(got))
        return isinstance(got, int | float | Decimal) and abs(exact - want) <= CENT
    return got == want


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_baselines_match_oracle_on_synthetic_data(fmt: str, tmp_path: Path) -> None:
    synthetic = pytest.importorskip("pipereview.synthetic")
    deals, reps = synthetic.generate(20_000, 160, 11)
    write = synthetic.write_csv if fmt == "csv" else synthetic.write_parquet
    paths = [str(p) for p in write(deals, reps, tmp_path)]
    expected = _expected(deals.to_pylist(), reps.to_pylist())
    assert len(expected["flag_rows"]["stalled_deal"]) == 1000  # the cap is exercised
    sql = duckdb_sql(*paths)
    assert sql.pop("checks")["duplicate_deal_ids"] == 0
    assert _close(sql, expected)
    assert _close(python_onepass(*paths), expected)
