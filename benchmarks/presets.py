"""What reading through a mapping costs: the same deals as a canonical file and as a
Salesforce export (API names, Probability 0-100, IsClosed/IsWon, IsDeleted, date-times,
LastStageChangeDate), reported with and without ``--preset salesforce``.

Usage::

    python benchmarks/presets.py [--size 1M] [--format csv|parquet] [--runs 3]

The Salesforce files are derived from the benchmark data (``run.py``'s cache, generated when
missing) with DuckDB and cached beside it. Each run is a fresh ``pipereview report`` process
(wall time of the whole command, JSON to /dev/null); the two reports' numbers must agree.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import AS_OF, DATA_DIR, _label, ensure_data, parse_size  # noqa: E402

DAY = "{:04d}-{:02d}-{:02d}".format(*AS_OF)


def salesforce_files(size: str, fmt: str) -> tuple[Path, Path, Path, Path]:
    """(canonical deals, canonical reps, Opportunity, User) for ``size``, in ``fmt``."""
    n = parse_size(size)
    deals, reps = ensure_data(n, [fmt])[fmt]
    out = DATA_DIR / _label(n) / "salesforce"
    out.mkdir(exist_ok=True)
    opp, user = out / f"Opportunity.{fmt}", out / f"User.{fmt}"
    if not opp.exists():
        con = duckdb.connect()
        options = "(HEADER)" if fmt == "csv" else "(FORMAT PARQUET)"
        con.execute(
            f"""COPY (SELECT deal_id AS Id, rep_id AS OwnerId, stage AS StageName,
                deal_value_usd AS Amount, probability * 100 AS Probability,
                CASE WHEN status = 'active' THEN 'false' ELSE 'true' END AS IsClosed,
                CASE WHEN status = 'won' THEN 'true' ELSE 'false' END AS IsWon,
                'false' AS IsDeleted,
                strftime(close_date, '%Y-%m-%dT00:00:00.000+0000') AS CloseDate,
                strftime(DATE '{DAY}' - CAST(coalesce(days_in_stage, 0) AS INTEGER),
                         '%Y-%m-%dT12:00:00.000+0000') AS LastStageChangeDate
            FROM '{deals}') TO '{opp}' {options}"""
        )
        con.execute(
            f"""COPY (SELECT rep_id AS Id, rep_name AS Name, 'false' AS IsDeleted,
                quota_usd AS quota_usd FROM '{reps}') TO '{user}' {options}"""
        )
    return deals, reps, opp, user


def timed(args: list[str]) -> tuple[float, dict[str, object]]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pipereview", "report", *args, "--as-of", DAY, "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    return time.perf_counter() - start, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1M")
    parser.add_argument("--format", default="csv", choices=["csv", "parquet"])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    deals, reps, opp, user = salesforce_files(args.size, args.format)
    plain = ["--deals", str(deals), "--reps", str(reps)]
    mapped = ["--deals", str(opp), "--reps", str(user), "--preset", "salesforce"]
    times: dict[str, list[float]] = {"canonical": [], "preset salesforce": []}
    summaries = {}
    for _ in range(args.runs):
        for name, cli in (("canonical", plain), ("preset salesforce", mapped)):
            seconds, report = timed(cli)
            times[name].append(seconds)
            summaries[name] = report["pipeline_summary"]
    # a Salesforce export has no risk flags; every other figure must agree
    same = {k: v for k, v in summaries["canonical"].items() if k != "at_risk_deals_count"}
    assert same == {k: v for k, v in summaries["preset salesforce"].items() if k in same}
    print(f"{args.size} deals, {args.format}, median of {args.runs} runs (whole command):")
    for name, values in times.items():
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:<18} {statistics.median(values):6.2f} s  (runs: {runs})")


if __name__ == "__main__":
    main()
