"""Warehouse tables read in place: a DuckDB database file (attached read-only) gives the same
report as the files its tables came from; errors name the table, row and column; sources
pipereview cannot read in place are refused with what to do instead."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from pipereview.api import build_report, table
from pipereview.errors import InputError
from tests.support.cli import pipereview

AS_OF = dt.date(2026, 11, 22)
CRM = Path(__file__).parents[1] / "fixtures" / "crm" / "salesforce"


def _database(tmp_path: Path, deals: Path, reps: Path, schema: str = "main") -> Path:
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for name, csv in (("deals", deals), ("reps", reps)):
            con.execute(
                f"CREATE TABLE {schema}.{name} AS SELECT * FROM read_csv('{csv}', all_varchar=true)"
            )
    return path


def _numbers(report: object) -> dict[str, object]:
    data = json.loads(report.to_json())  # type: ignore[attr-defined]
    data["data_quality"] = [(i["check"], i["count"]) for i in data["data_quality"]]
    return data


def test_duckdb_tables_equal_the_files(tmp_path: Path, small_files: tuple[Path, Path]) -> None:
    db = _database(tmp_path, *small_files)
    files = build_report(*small_files, as_of=AS_OF)
    source = f"duckdb://{db}"
    tables = build_report(table("deals", source), table("reps", source), as_of=AS_OF)
    assert _numbers(tables) == _numbers(files)


def test_preset_over_warehouse_tables(tmp_path: Path) -> None:
    db = _database(tmp_path, CRM / "Opportunity.csv", CRM / "User.csv", schema="salesforce")
    source = str(db)  # a plain path to a .duckdb file works too
    files = build_report(
        CRM / "Opportunity.csv", CRM / "User.csv", as_of=AS_OF, preset="salesforce"
    )
    tables = build_report(
        table("salesforce.deals", source),
        table("salesforce.reps", source),
        as_of=AS_OF,
        preset="salesforce",
    )
    assert _numbers(tables) == _numbers(files)


def test_bad_value_in_a_table_is_located(tmp_path: Path, small_files: tuple[Path, Path]) -> None:
    bad = tmp_path / "deals.csv"
    lines = small_files[0].read_text().splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("probability")] = "45"
    bad.write_text("\n".join([lines[0], *lines[1:3], ",".join(row), *lines[4:]]) + "\n")
    db = _database(tmp_path, bad, small_files[1])
    with pytest.raises(InputError) as caught:
        build_report(table("deals", str(db)), table("reps", str(db)), as_of=AS_OF)
    err = caught.value
    assert (err.source, err.row, err.column) == (f"{db} table deals", 3, "probability")
    assert "'45' cannot be used as probability" in str(err)


def test_missing_table_and_unsupported_sources(
    tmp_path: Path, small_files: tuple[Path, Path]
) -> None:
    db = _database(tmp_path, *small_files)
    with pytest.raises(InputError, match=r"no table 'opportunities' \(tables: deals, reps\)"):
        build_report(table("opportunities", str(db)), table("reps", str(db)), as_of=AS_OF)
    with pytest.raises(InputError, match="snowflake:// sources are not supported yet"):
        table("deals", "snowflake://user@account/crm")
    with pytest.raises(InputError, match="database file not found"):
        table("deals", f"duckdb://{tmp_path / 'nope.duckdb'}")


def test_cli_source_options(tmp_path: Path, small_files: tuple[Path, Path]) -> None:
    db = _database(tmp_path, *small_files)

    run = pipereview
    ok = run(
        "report", "--source", f"duckdb://{db}", "--deals-table", "deals", "--reps-table", "reps",
        "--as-of", "2026-11-22", "--format", "json",
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert (
        json.loads(ok.stdout)["pipeline_summary"]
        == _numbers(build_report(*small_files, as_of=AS_OF))["pipeline_summary"]
    )
    mixed = run("validate", "--deals", str(small_files[0]), "--source", str(db))
    assert mixed.returncode == 2
    assert "give files (--deals, --reps) or tables" in mixed.stderr
    missing = run("report", "--reps", str(small_files[1]))
    assert missing.returncode == 2
    assert "--deals is required" in missing.stderr
