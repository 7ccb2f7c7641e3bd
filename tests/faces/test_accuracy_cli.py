"""`pipereview accuracy` through the CLI: the JSON written to --output, and a bad --by as
one line and exit 1 (the figures are tested by hand in tests/report/test_accuracy.py)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.report.test_accuracy import REPS, deals_on
from tests.support.cli import pipereview as run
from tests.support.snapshot_days import store_days


def test_the_command(tmp_path: Path) -> None:
    (tmp_path / "reps.csv").write_text(REPS)
    days = {}
    for k, day in ((0, dt.date(2026, 10, 1)), (13, dt.date(2026, 12, 31))):
        (tmp_path / f"deals{k}.csv").write_text(deals_on(k))
        days[day] = (tmp_path / f"deals{k}.csv", tmp_path / "reps.csv")
    store = tmp_path / "store.duckdb"
    store_days(store, days)
    out = tmp_path / "accuracy.json"
    done = run(
        "accuracy", "--store", store, "--period", "last-quarter", "--as-of", "2027-01-05",
        "--by", "Manager", "--format", "json", "--output", out,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text())
    assert (data["period"], data["by"], data["actual_status"]) == ("FY2026-Q4", "manager", "final")
    first = data["rows"][0]  # R1 manages R2: $150,000 committed on 2026-10-01, $130,000 won
    assert (first["level"], first["id"], first["as_of"]) == ("manager", "R1", "2026-10-01")
    assert (first["commit_call"], first["actual"], first["commit_bias"]) == (150000, 130000, 20000)
    assert [r["level"] for r in data["rows"]] == ["manager", "manager", "company", "company"]
    bad = run("accuracy", "--store", store, "--period", "FY2026-Q4", "--by", "boss")
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "error: unknown level 'boss' for --by (use one of: rep, manager, team, region, company)"
    ]
