"""Deals that leave nothing to review stop report, forecast and snapshot as validate does
(exit 1, the finding's sentence and fix), unless --allow-empty (decisions D43)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import pipereview as run

REPS = "rep_id,rep_name\nU1,Ann\n"
UNKNOWN = "deal_id,rep_id,status,deal_value_usd,probability\nA,U1,open,10,0.5\nB,U1,,5,0.1\n"
DELETED = (
    "deal_id,rep_id,status,deal_value_usd,probability,gone\n"
    "A,U1,active,10,0.5,true\nB,U1,won,5,1,true\n"
)


def _files(tmp_path: Path, deals: str) -> list[str | Path]:
    (tmp_path / "deals.csv").write_text(deals)
    (tmp_path / "reps.csv").write_text(REPS)
    (tmp_path / "map.toml").write_text('[deals]\ndeleted = ["gone"]\n')
    args: list[str | Path] = ["--deals", tmp_path / "deals.csv", "--reps", tmp_path / "reps.csv"]
    if "gone" in deals:
        args += ["--mapping", tmp_path / "map.toml"]
    return [*args, "--as-of", "2026-11-20"]


COMMANDS = [
    ["report", "--format", "json"],
    ["forecast", "--format", "json"],
    ["snapshot", "--store", "STORE"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_no_known_status_stops_like_validate(tmp_path: Path, command: list[str]) -> None:
    args = _files(tmp_path, UNKNOWN)
    command = [str(tmp_path / "store.duckdb") if a == "STORE" else a for a in command]
    done = run(*command, *args)
    assert done.returncode == 1, done.stdout
    assert "the report would be meaningless (no_known_status)" in done.stderr
    assert "none of the 2 deal(s) has status active, won or lost" in done.stderr
    assert "Map the CRM's statuses onto active/won/lost" in done.stderr  # validate's fix
    assert "--allow-empty" in done.stderr and "Traceback" not in done.stderr
    checked = run("validate", *args)
    assert checked.returncode == 1 and "no_known_status" in checked.stdout + checked.stderr
    going = run(*command, *args, "--allow-empty")
    assert going.returncode == 0, going.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_every_row_deleted_stops_like_validate(tmp_path: Path, command: list[str]) -> None:
    args = _files(tmp_path, DELETED)
    command = [str(tmp_path / "store.duckdb") if a == "STORE" else a for a in command]
    done = run(*command, *args)
    assert done.returncode == 1, done.stdout
    assert "the report would be meaningless (every_deal_left_out)" in done.stderr
    assert "every one of the 2 deal row(s) is marked deleted" in done.stderr
    checked = run("validate", *args)
    assert checked.returncode == 1 and "every_deal_left_out" in checked.stdout + checked.stderr
    going = run(*command, *args, "--allow-empty")
    assert going.returncode == 0, going.stderr
    if command[0] == "report":
        assert json.loads(going.stdout)["pipeline_summary"]["total_deals"] == 0
