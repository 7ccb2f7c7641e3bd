"""Messages that say what is wrong (issue 32, item 6, the input side) and inputs that leave
nothing to report (item 8): a header with a column without a name, a long quoted field, a
probability just above 1, a policy or mapping saved with a BOM, a mapping's format or
constant, an inline stage table, a header-only file and a preset that leaves every row out.
Run through the CLI (in this process: tests/support/cli.py), as a user meets them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.inputs.test_no_traceback import _one_line as one_line
from tests.support.cli import pipereview as run

DEALS = (FIXTURES / "deals.csv").read_text(encoding="utf-8")
REPS = FIXTURES / "reps.csv"
AS_OF = "2026-11-20"
SALESFORCE = FIXTURES / "crm" / "salesforce"


def _check(command: str, deals: Path, *extra: str | Path, reps: Path = REPS) -> object:
    return run(command, "--deals", deals, "--reps", reps, "--as-of", AS_OF, *extra)


def test_a_trailing_separator_in_the_header_is_named(tmp_path: Path) -> None:
    # was "the header was not read (... money above 10^14 does not fit)"
    path = tmp_path / "deals.csv"
    path.write_text("".join(line + ",\n" for line in DEALS.splitlines()), encoding="utf-8")
    proc = _check("validate", path)
    one_line(proc, "line 1", "column 10 of 10 has no name", "ends with a separator")


def test_a_blank_header_name_is_named(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(DEALS.replace(",stage,", ",,", 1), encoding="utf-8")
    proc = _check("report", path)
    one_line(proc, "line 1", "column 8 of 9 has no name", "name the column")


def test_a_correctly_quoted_long_field_is_read(tmp_path: Path) -> None:
    # a 2.5 MB quoted note was "badly quoted (field larger than field limit (131072))"
    path = tmp_path / "deals.csv"
    note = "x" * 2_500_000
    path.write_text(DEALS + f'D99,R1,active,100,0.5,3,,"{note}",2026-12-01\n', encoding="utf-8")
    proc = _check("report", path, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    stages = {s["stage"] for s in json.loads(proc.stdout)["pipeline_by_stage"]}
    assert note in stages


def test_a_probability_just_above_1_is_not_told_to_divide_by_100(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(DEALS + "D99,R1,active,100,1.0000001,3,,Proposal,2026-12-01\n", "utf-8")
    err = one_line(_check("report", path), "line 12", "must be between 0 and 1")
    assert "divide by 100" not in err and "1 means certain" in err


def test_a_policy_and_a_mapping_saved_with_a_bom_are_read(tmp_path: Path) -> None:
    # "Invalid statement (at line 1, column 1)"
    policy = tmp_path / "policy.toml"
    policy.write_text("\ufeff[pipeline]\nhigh_probability = 0.7\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text('\ufeff[deals]\ndeal_id = "deal_id"\n', encoding="utf-8")
    proc = _check("validate", FIXTURES / "deals.csv", "--policy", policy, "--mapping", mapping)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr


def _mapping(tmp_path: Path, toml: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(toml + "\n", encoding="utf-8")
    return path


def test_a_date_not_in_the_mappings_format_names_the_format(tmp_path: Path) -> None:
    mapping = _mapping(
        tmp_path, '[deals]\nclose_date = { column = "close_date", format = "%d/%m/%Y" }'
    )
    proc = _check("validate", FIXTURES / "deals.csv", "--mapping", mapping)
    one_line(proc, "line 2", "column 'close_date'", "'2026-12-15'", "format '%d/%m/%Y'")


def test_an_unusable_constant_names_the_constant(tmp_path: Path) -> None:
    # was "column '': '?' cannot be used as probability (from the value 'abc')"
    mapping = _mapping(tmp_path, '[deals]\nprobability = { value = "abc" }')
    err = one_line(
        _check("validate", FIXTURES / "deals.csv", "--mapping", mapping),
        "the mapping sets probability to 'abc', which cannot be used",
    )
    assert "column ''" not in err and "'?'" not in err


def test_an_inline_stage_table_names_the_stage(tmp_path: Path) -> None:
    # was "stages (list of dicts), row 1"
    mapping = _mapping(tmp_path, "[stages.values]\nProposal = { probability = 5 }")
    err = one_line(
        _check("validate", FIXTURES / "deals.csv", "--mapping", mapping),
        "the mapping's [stages.values], stage 'Proposal'",
        "column 'probability'",
    )
    assert "list of dicts" not in err


@pytest.mark.parametrize("command", ["validate", "report"])
def test_a_header_only_deals_file_has_nothing_to_report(tmp_path: Path, command: str) -> None:
    path = tmp_path / "deals.csv"
    path.write_text(DEALS.splitlines()[0] + "\n", encoding="utf-8")
    proc = _check(command, path, *(["--format", "json"] if command == "report" else []))
    if command == "validate":  # exit 1: the report would be meaningless
        assert proc.returncode == 1, proc.stderr
        assert "no_deals" in proc.stdout + proc.stderr
    else:  # the report stops as validate does (decisions D43), unless --allow-empty
        assert proc.returncode == 1 and "(no_deals)" in proc.stderr, proc.stderr
        assert "--allow-empty" in proc.stderr and "Traceback" not in proc.stderr
        kept = _check(command, path, "--format", "json", "--allow-empty")
        assert kept.returncode == 0, kept.stderr
        checks = {f["check"]: f for f in json.loads(kept.stdout)["data_quality"]}
        assert checks["no_deals"]["severity"] == "error"


def test_a_preset_that_leaves_every_row_out_warns_naming_the_column(tmp_path: Path) -> None:
    lines = (SALESFORCE / "Opportunity.csv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    at = header.index("IsDeleted")
    rows = [line.split(",") for line in lines[1:]]
    for row in rows:
        row[at] = "true"
    path = tmp_path / "Opportunity.csv"
    path.write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n", "utf-8")
    proc = run(
        "validate", "--preset", "salesforce", "--deals", path, "--reps", SALESFORCE / "User.csv",
        "--as-of", AS_OF, "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    found = {(f["table"], f["check"]): f for f in json.loads(proc.stdout)}
    deleted = found[("deals", "deleted_rows")]
    assert deleted["severity"] == "warning" and "IsDeleted" in deleted["message"]
    assert deleted["count"] == len(rows)
    assert found[("deals", "no_deals")]["severity"] == "error"


def test_reps_from_deals_whose_owners_are_names_are_named() -> None:
    # a report export's "Opportunity Owner" holds names: the reps showed "—" as their name
    proc = run(
        "report", "--preset", "salesforce-report",
        "--deals", SALESFORCE / "opportunity_report.csv", "--as-of", AS_OF, "--format", "json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    reps = {r["rep_id"]: r["rep_name"] for r in json.loads(proc.stdout)["rep_performance"]}
    assert reps == {"Avery Stone": "Avery Stone", "Blake Rivera": "Blake Rivera"}


def test_a_rate_the_engine_cannot_hold_says_the_range(tmp_path: Path) -> None:
    # was "'1e-300' cannot be used as rate (expected rate)"
    rates = tmp_path / "rates.csv"
    rates.write_text("currency,rate\nEUR,1e-300\n", encoding="utf-8")
    lines = DEALS.splitlines()
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "\n".join([lines[0] + ",amount,currency", lines[1] + ",100,EUR"]) + "\n", "utf-8"
    )
    proc = _check("report", deals, "--rates", rates)
    one_line(proc, "line 2", "column 'rate'", "'1e-300'", "from 0.00000001", "8 decimal places")
