"""`pipereview validate`: every finding with its code, severity, count, examples and fix, as
lines, a table or JSON; exit 1 on an error finding or unusable data, 0 otherwise."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pipereview.checks import CHECKS
from pipereview.checks.fixes import FIXES
from pipereview.inputs.mapping import INTAKE_CHECKS
from pipereview.metrics.hierarchy import MANAGER_LOOP
from pipereview.report.history import HISTORY_CHECKS
from tests.support.cli import pipereview

HS = Path(__file__).parents[1] / "fixtures" / "crm" / "hubspot"


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return pipereview("validate", *args)


def test_every_check_has_a_fix() -> None:
    ids = [c.id for c in CHECKS] + ["read_as", "absent_column", MANAGER_LOOP, *INTAKE_CHECKS]
    ids += list(HISTORY_CHECKS)
    assert sorted(set(ids) - set(FIXES)) == []
    assert sorted(set(FIXES) - set(ids)) == []


def test_json_lists_findings_with_fixes() -> None:
    proc = _cli(
        "--preset", "hubspot", "--deals", HS / "deals.csv", "--reps", HS / "owners.csv",
        "--stages", HS / "pipeline_stages.csv", "--as-of", "2026-11-22", "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    rows = {(r["table"], r["check"]): r for r in json.loads(proc.stdout)}
    stage = rows[("deals", "unknown_stage")]
    assert (stage["severity"], stage["count"], stage["examples"]) == ("warning", 1, ["mystagexyz"])
    assert stage["fix"] == FIXES["unknown_stage"]


def test_lines_carry_the_fix_and_errors_exit_1(tmp_path: Path) -> None:
    deals = tmp_path / "d.csv"
    deals.write_text("deal_id,rep_id,status,deal_value_usd,probability\nA,U1,open,1,0.5\n")
    reps = tmp_path / "r.csv"
    reps.write_text("rep_id\nU1\n")
    proc = _cli("--deals", deals, "--reps", reps)
    assert proc.returncode == 1
    assert "error: deals.no_known_status:" in proc.stdout
    assert f"    fix: {FIXES['no_known_status']}" in proc.stdout
    assert "the report would be meaningless (no_known_status)" in proc.stderr
