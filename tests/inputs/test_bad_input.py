"""Bad and suspect input: every case asserts the exact outcome.

Unusable input must stop the run with an ``InputError`` (or ``PolicyError``) naming the source,
the 1-based record number (first data row = row 1) and the column. Usable but suspect input
must produce a report whose ``data_quality`` section lists the exact check, count and examples,
while the numbers stay what DESIGN.md and docs/decisions.md say they are.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipereview.api import build_report, validate
from pipereview.errors import InputError, PolicyError
from pipereview.policy import load_policy, policy_from_dict

AS_OF = dt.date(2026, 1, 15)

DEAL_HEADER = "deal_id,rep_id,status,deal_value_usd,probability,days_in_stage,risk_flags"
ALL_DEAL_COLUMNS = (
    "deal_id,rep_id,status,deal_value_usd,probability,days_in_stage,risk_flags,stage,"
    "created_date,close_date,forecast_category,currency,amount"
)
ALL_REP_COLUMNS = (
    "rep_id,rep_name,quota_usd,year_to_date_revenue_usd,close_rate,quota_3m,"
    "closed_won_3m_current,current_pipeline_value,previous_pipeline_value,risk_velocity_flag,"
    "risk_score_current,manager_id,team,region"
)
GOOD_DEAL = "D1,R1,active,100,0.5,3,"
# Two complete reps: R1 achieves 0.5 (needs coaching), R2 achieves 0.8.
GOOD_REPS = (
    ALL_REP_COLUMNS + "\n"
    "R1,Ann,1000,500,0.5,300,300,100,100,stable,1,M1,T1,EU\n"
    "R2,Bob,1000,800,0.5,300,300,100,100,stable,1,M1,T1,EU\n"
)


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def deals_csv(
    tmp_path: Path, *rows: str, header: str = DEAL_HEADER, name: str = "deals.csv"
) -> Path:
    return write(tmp_path, name, "\n".join((header, *rows)) + "\n")


def full_deals_csv(tmp_path: Path, *rows: str, name: str = "deals.csv") -> Path:
    """Deals with every canonical column, so no absent_column item is reported."""
    return deals_csv(tmp_path, *rows, header=ALL_DEAL_COLUMNS, name=name)


def reps_csv(tmp_path: Path, text: str = GOOD_REPS, name: str = "reps.csv") -> Path:
    return write(tmp_path, name, text)


def input_error(deals: Any, reps: Any) -> InputError:
    with pytest.raises(InputError) as info:
        build_report(deals, reps, as_of=AS_OF)
    return info.value


def assert_where(err: InputError, source: Any, row: int | None, column: str | None) -> None:
    assert (err.source, err.row, err.column) == (
        None if source is None else str(source),
        row,
        column,
    )


def quality(report: Any, table: str | None = None) -> dict[str, tuple[int, list[str]]]:
    """check -> (count, examples); absent_column items are keyed by table. Leaves out the
    note every report without a history carries (``pushes_unknown``, D49; its own tests are
    in tests/report/test_deal_history.py)."""
    out = {}
    for item in report.data_quality:
        if (table is not None and item.table != table) or item.check == "pushes_unknown":
            continue
        key = f"absent_column:{item.table}" if item.check == "absent_column" else item.check
        out[key] = (item.count, item.examples)
    return out


def perf(report: Any, rep_id: str) -> dict[str, Any]:
    return next(r.model_dump() for r in report.rep_performance if r.rep_id == rep_id)


# --- files that cannot be read -------------------------------------------------------------
def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, None, None)
    assert str(err) == f"{path}: file not found (check the --deals path)"


def test_missing_reps_file_names_the_reps_flag(tmp_path: Path) -> None:
    path = tmp_path / "reps_missing.csv"
    err = input_error(deals_csv(tmp_path, GOOD_DEAL), path)
    assert_where(err, path, None, None)
    assert str(err) == f"{path}: file not found (check the --reps path)"


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "deals.csv", b"")
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, None, None)
    assert str(err) == f"{path}: file is empty (export the deals with a header row)"


def test_header_only_csv_is_an_empty_pipeline(tmp_path: Path) -> None:
    report = build_report(deals_csv(tmp_path), reps_csv(tmp_path), as_of=AS_OF)
    assert report.pipeline_summary.total_deals == 0
    assert report.pipeline_summary.total_pipeline_value == 0


def test_empty_json_array_has_no_records(tmp_path: Path) -> None:
    path = write(tmp_path, "deals.json", "[]")
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, None, None)
    assert "has no records" in str(err)


def test_blank_json_lines_file_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "deals.jsonl", "  \n\n")
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, None, None)
    assert str(err) == f"{path}: file is empty"


def test_empty_list_of_dicts_has_no_records(tmp_path: Path) -> None:
    err = input_error([], reps_csv(tmp_path))
    assert_where(err, "deals (list of dicts)", None, None)
    assert "has no records" in str(err)


@pytest.mark.parametrize(
    ("name", "shown"), [("deals.numbers", "'.numbers'"), ("deals", "'(none)'")]
)
def test_unsupported_extension(tmp_path: Path, name: str, shown: str) -> None:
    path = write(tmp_path, name, "deal_id\nD1\n")
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, None, None)
    assert f"unsupported file type {shown}" in str(err)
    assert ".csv, .parquet, .json" in str(err)


def test_directory_instead_of_file(tmp_path: Path) -> None:
    err = input_error(tmp_path, reps_csv(tmp_path))
    assert_where(err, tmp_path, None, None)
    assert str(err) == f"{tmp_path}: is a directory, not a file"


def test_unreadable_object(tmp_path: Path) -> None:
    err = input_error({"deal_id": ["D1"]}, reps_csv(tmp_path))
    assert_where(err, None, None, None)
    assert str(err).startswith("cannot read dict as deals")


def test_not_a_parquet_file(tmp_path: Path) -> None:
    path = write(tmp_path, "deals.parquet", "deal_id\nD1\n")
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, None, None)
    assert "not a readable Parquet file" in str(err)


def test_csv_not_utf8(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "deals.csv",
        f"{ALL_DEAL_COLUMNS}\nD1,R1,active,100,0.5,3,,Caf\xe9,,,,,\n".encode("latin-1")
        + b"\x81\n",  # 0x81 is not a Windows-1252 character either
    )
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, None, None)
    assert "is neither UTF-8 nor Windows-1252 text" in str(err)
    assert "re-export the file as UTF-8" in str(err)


# --- required columns ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "column", "hint"),
    [
        ("dealid,rep_id,status,deal_value_usd,probability", "deal_id", "'dealid' for deal_id?"),
        ("deal_id,rep_id,state,deal_value_usd,probability", "status", "'state' for status?"),
        (
            "deal_id,rep_id,status,deal_value,probability",
            "deal_value_usd",
            "'deal_value' for deal_value_usd?",
        ),
    ],
)
def test_missing_required_deal_column(tmp_path: Path, header: str, column: str, hint: str) -> None:
    path = deals_csv(tmp_path, "D1,R1,active,100,0.5", header=header)
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, None, column)
    assert (
        str(err)
        == f"{path}, column {column!r}: required column missing: {column} (did you mean {hint})"
    )


def test_missing_required_column_without_a_near_name(tmp_path: Path) -> None:
    path = deals_csv(
        tmp_path, "D1,R1,active,100,0.5", header="deal_id,rep_id,status,deal_value_usd,chance"
    )
    assert str(input_error(path, reps_csv(tmp_path))) == (
        f"{path}, column 'probability': required column missing: probability (columns found: "
        "deal_id, rep_id, status, deal_value_usd, chance)"
    )


def test_missing_rep_id_in_reps(tmp_path: Path) -> None:
    path = reps_csv(tmp_path, "repid,rep_name\nR1,Ann\n")
    err = input_error(deals_csv(tmp_path, GOOD_DEAL), path)
    assert_where(err, path, None, "rep_id")
    assert str(err) == (
        f"{path}, column 'rep_id': required column missing: rep_id "
        "(did you mean 'repid' for rep_id?)"
    )


def test_header_whitespace_is_ignored(tmp_path: Path) -> None:
    path = deals_csv(
        tmp_path,
        "D1,R1,active,100,0.5",
        header=" deal_id , rep_id,status ,deal_value_usd,probability",
    )
    report = build_report(path, reps_csv(tmp_path), as_of=AS_OF)
    assert report.pipeline_summary.total_pipeline_value == 100.0


# --- values that cannot be used ------------------------------------------------------------
@pytest.mark.parametrize(("value", "shown"), [('"$1,200"', "'$1,200'"), ("abc", "'abc'")])
def test_unparseable_deal_value(tmp_path: Path, value: str, shown: str) -> None:
    path = deals_csv(tmp_path, GOOD_DEAL, f"D2,R1,active,{value},0.5,3,")
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, 2, "deal_value_usd")
    assert str(err) == (
        f"{path}, line 3, column 'deal_value_usd': not a number: {shown} "
        "(write plain numbers such as 1200.50, without currency signs)"
    )


def test_unparseable_value_in_list_of_dicts(tmp_path: Path) -> None:
    deals = [
        {
            "deal_id": "D1",
            "rep_id": "R1",
            "status": "active",
            "deal_value_usd": 100,
            "probability": 0.5,
        },
        {
            "deal_id": "D2",
            "rep_id": "R1",
            "status": "active",
            "deal_value_usd": "abc",
            "probability": 0.5,
        },
    ]
    err = input_error(deals, reps_csv(tmp_path))
    assert_where(err, "deals (list of dicts)", 2, "deal_value_usd")
    assert "not a number: 'abc'" in str(err)


@pytest.mark.parametrize(
    ("rows", "row", "shown"),
    [
        (
            ("D1,R1,active,100,0.5,3,,,,2026-02-01,,,", "D2,R1,active,100,0.5,3,,,,2026-13-01,,,"),
            2,
            "'2026-13-01'",
        ),
        (("D1,R1,active,100,0.5,3,,,,13/01/2026,,,",), 1, "'13/01/2026'"),
    ],
)
def test_unparseable_close_date(
    tmp_path: Path, rows: tuple[str, ...], row: int, shown: str
) -> None:
    path = full_deals_csv(tmp_path, *rows)
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, row, "close_date")
    assert str(err) == (
        f"{path}, line {row + 1}, column 'close_date': not a date: {shown} "
        "(write dates as YYYY-MM-DD, date-times as YYYY-MM-DDTHH:MM with an optional offset "
        "such as +05:00)"
    )


PERCENT_HINT = "this looks like a 0-100 scale; divide by 100"
ABOVE_ONE_HINT = "1 means certain (100%): a value above 1 or below 0 is an error in the data"


@pytest.mark.parametrize(
    ("rows", "row", "shown", "hint"),
    [
        ((GOOD_DEAL, "D2,R1,active,100,55,3,"), 2, "'55'", True),
        (("D1,R1,active,100,1.5,3,",), 1, "'1.5'", True),  # 1 < p <= 100 (decisions D3)
        (("D1,R1,active,100,150,3,",), 1, "'150'", False),
        (("D1,R1,active,100,1.0000001,3,",), 1, "'1.0000001'", False),  # a slip, not 1%
    ],
)
def test_probability_out_of_range(
    tmp_path: Path, rows: tuple[str, ...], row: int, shown: str, hint: bool
) -> None:
    path = deals_csv(tmp_path, *rows)
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, row, "probability")
    expected = f"{path}, line {row + 1}, column 'probability': must be between 0 and 1: {shown}"
    assert str(err) == f"{expected} ({PERCENT_HINT if hint else ABOVE_ONE_HINT})"


def test_negative_probability_is_rejected(tmp_path: Path) -> None:
    path = deals_csv(tmp_path, "D1,R1,active,100,-0.1,3,")
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, 1, "probability")
    assert str(err).startswith(
        f"{path}, line 2, column 'probability': must be between 0 and 1: '-0.1'"
    )


def test_negative_probability_gets_no_percent_hint(tmp_path: Path) -> None:
    err = input_error(deals_csv(tmp_path, "D1,R1,active,100,-0.1,3,"), reps_csv(tmp_path))
    assert PERCENT_HINT not in str(err)


def test_negative_days_in_stage(tmp_path: Path) -> None:
    path = deals_csv(tmp_path, GOOD_DEAL, "D2,R1,active,100,0.5,-4,")
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, 2, "days_in_stage")
    assert str(err) == f"{path}, line 3, column 'days_in_stage': must not be negative: '-4'"


def test_infinite_value(tmp_path: Path) -> None:
    path = deals_csv(tmp_path, GOOD_DEAL, "D2,R1,active,inf,0.5,3,")
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, 2, "deal_value_usd")
    assert "not a number: 'inf'" in str(err)  # inf, NaN, Infinity are not amounts


def test_unclosed_json_array_in_risk_flags(tmp_path: Path) -> None:
    path = deals_csv(tmp_path, GOOD_DEAL, 'D2,R1,active,100,0.5,3,"[""a"""')
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, 2, "risk_flags")
    assert "not a JSON array: '[\"a\"'" in str(err)


def test_unparseable_rep_quota(tmp_path: Path) -> None:
    path = reps_csv(tmp_path, "rep_id,quota_usd\nR1,1000\nR2,lots\n")
    err = input_error(deals_csv(tmp_path, GOOD_DEAL), path)
    assert_where(err, path, 2, "quota_usd")
    assert "not a number: 'lots'" in str(err)


# --- malformed records ---------------------------------------------------------------------
def test_csv_row_with_too_many_fields(tmp_path: Path) -> None:
    path = deals_csv(tmp_path, GOOD_DEAL, "D2,R1,active,100,0.5,3,,extra")
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, 2, None)
    assert str(err) == (
        f"{path}, line 3: has 8 fields, the header has 7 "
        "(check for a separator inside an unquoted value, or a quote that is never closed)"
    )


def test_csv_row_with_too_few_fields(tmp_path: Path) -> None:
    path = deals_csv(tmp_path, GOOD_DEAL, GOOD_DEAL, "D3,R1")
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, 3, None)
    assert "has 2 fields, the header has 7" in str(err)


def test_invalid_json(tmp_path: Path) -> None:
    path = write(tmp_path, "deals.json", '[{"deal_id": "D1",}]')
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, None, None)
    assert str(err) == (
        f"{path}: not valid JSON at line 1 (Expecting property name enclosed in double quotes)"
    )


def test_json_lines_with_a_bad_line(tmp_path: Path) -> None:
    good = json.dumps(
        {
            "deal_id": "D1",
            "rep_id": "R1",
            "status": "active",
            "deal_value_usd": 1,
            "probability": 0.1,
        }
    )
    path = write(tmp_path, "deals.jsonl", f'{good}\n\n{good}\n{{"deal_id": \n')
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, 3, None)  # blank lines are not records
    assert str(err) == (
        f"{path}, row 3: not valid JSON (Expecting value) "
        "(JSON lines files hold one object per line)"
    )


def test_json_array_with_non_object(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "deals.json",
        '[{"deal_id": "D1", "rep_id": "R1", "status": "active", '
        '"deal_value_usd": 1, "probability": 0.1}, 5]',
    )
    err = input_error(path, reps_csv(tmp_path))
    assert_where(err, path, 2, None)
    assert str(err) == f"{path}, row 2: is not a JSON object"


def test_list_of_dicts_with_non_dict(tmp_path: Path) -> None:
    deals = [
        {
            "deal_id": "D1",
            "rep_id": "R1",
            "status": "active",
            "deal_value_usd": 1,
            "probability": 0.1,
        },
        "D2",
    ]
    err = input_error(deals, reps_csv(tmp_path))
    assert_where(err, "deals (list of dicts)", 2, None)
    assert str(err) == "deals (list of dicts), row 2: is a str, not a mapping"


# --- policy --------------------------------------------------------------------------------
def test_policy_unknown_key_did_you_mean() -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_dict({"pipeline": {"stalled_deal_days": 10}})
    assert info.value.key == "pipeline.stalled_deal_days"
    assert str(info.value) == (
        "<policy>, key 'pipeline.stalled_deal_days': unknown key "
        "(did you mean 'pipeline.stalled_deal_days_in_stage'?)"
    )


def test_policy_unknown_section_did_you_mean() -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_dict({"pipelin": {}})
    assert info.value.key == "pipelin"
    assert "did you mean 'pipeline'?" in str(info.value)


@pytest.mark.parametrize(
    ("data", "key", "text"),
    [
        (
            {"pipeline": {"stalled_deal_days_in_stage": "10"}},
            "pipeline.stalled_deal_days_in_stage",
            "input should be a valid integer (got '10')",
        ),
        (
            {"flags": {"max_per_rule": -1}},
            "flags.max_per_rule",
            "input should be greater than or equal to 0 (got -1)",
        ),
        ({"pipeline": 5}, "pipeline", "must be a [pipeline] table, got int"),
    ],
)
def test_policy_wrong_type_names_key(data: dict[str, Any], key: str, text: str) -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_dict(data)
    assert info.value.key == key
    assert text in str(info.value)


def test_policy_file_bad_key_through_build_report(tmp_path: Path) -> None:
    policy = write(tmp_path, "policy.toml", "[reps]\nneeds_coaching_belo = 0.5\n")
    with pytest.raises(PolicyError) as info:
        build_report(deals_csv(tmp_path, GOOD_DEAL), reps_csv(tmp_path), as_of=AS_OF, policy=policy)
    assert (info.value.source, info.value.key) == (str(policy), "reps.needs_coaching_belo")
    assert "did you mean 'reps.needs_coaching_below'?" in str(info.value)


def test_policy_file_not_toml(tmp_path: Path) -> None:
    policy = write(tmp_path, "policy.toml", "[pipeline\n")
    with pytest.raises(PolicyError) as info:
        load_policy(policy)
    assert (info.value.source, info.value.key) == (str(policy), None)
    assert "not valid TOML" in str(info.value)


# --- suspect data: the report runs and says so ---------------------------------------------
def test_duplicate_deal_ids_all_count(tmp_path: Path) -> None:
    deals = full_deals_csv(
        tmp_path,
        "D1,R1,active,100,0.5,3,,,,,,,",
        "D1,R1,active,200,0.5,3,,,,,,,",
        "D2,R2,won,50,1,0,,,,,,,",
    )
    report = build_report(deals, reps_csv(tmp_path), as_of=AS_OF)
    assert quality(report, "deals") == {"duplicate_deal_id": (1, ["D1 (2 rows)"])}
    summary = report.pipeline_summary
    assert (summary.total_deals, summary.active_deals, summary.won_deals) == (3, 2, 1)
    assert summary.total_pipeline_value == 300.0  # 100 + 200, both rows
    assert summary.weighted_pipeline_value == 150.0  # 50 + 100
    assert perf(report, "R1")["active_deals"] == 2


def test_orphan_deal(tmp_path: Path) -> None:
    deals = full_deals_csv(
        tmp_path, "D1,R1,active,100,0.5,3,,,,,,,", "D2,R9,active,200,0.5,30,x,,,,,,"
    )
    report = build_report(deals, reps_csv(tmp_path), as_of=AS_OF)
    assert quality(report, "deals") == {"orphan_deal": (1, ["R9 (1 deal)"])}
    summary = report.pipeline_summary
    assert (summary.total_deals, summary.active_deals) == (2, 2)
    assert summary.total_pipeline_value == 300.0  # the orphan counts in the pipeline
    assert (summary.stalled_deals_count, summary.at_risk_deals_count) == (1, 1)
    assert [r.rep_id for r in report.rep_performance] == ["R1", "R2"]
    assert (perf(report, "R1")["pipeline_value"], perf(report, "R2")["pipeline_value"]) == (
        100.0,
        0.0,
    )


def test_deal_without_rep(tmp_path: Path) -> None:
    deals = full_deals_csv(
        tmp_path, "D1,R1,active,100,0.5,3,,,,,,,", "D3,,active,300,0.5,3,x,,,,,,"
    )
    report = build_report(deals, reps_csv(tmp_path), as_of=AS_OF)
    assert quality(report, "deals")["deal_without_rep"] == (1, ["D3"])
    summary = report.pipeline_summary
    assert (summary.total_deals, summary.total_pipeline_value) == (2, 400.0)
    assert summary.at_risk_deals_count == 1
    assert sum(r.active_deals for r in report.rep_performance) == 1


def test_deal_without_rep_is_not_also_an_orphan(tmp_path: Path) -> None:
    deals = full_deals_csv(
        tmp_path,
        "D1,R1,active,100,0.5,3,,,,,,,",
        "D2,R9,active,200,0.5,3,,,,,,,",
        "D3,,active,300,0.5,3,,,,,,,",
    )
    report = build_report(deals, reps_csv(tmp_path), as_of=AS_OF)
    assert quality(report, "deals") == {
        "deal_without_rep": (1, ["D3"]),
        "orphan_deal": (1, ["R9 (1 deal)"]),
    }


def test_duplicate_rep_id_first_row_by_content(tmp_path: Path) -> None:
    reps = reps_csv(
        tmp_path,
        ALL_REP_COLUMNS + "\n"
        "R1,First,1000,500,0.5,300,300,100,100,stable,1,,,\n"
        "R1,Second,2000,2000,0.9,300,300,100,100,stable,1,,,\n",
    )
    report = build_report(
        full_deals_csv(tmp_path, "D1,R1,active,100,0.5,3,,,,,,,"), reps, as_of=AS_OF
    )
    assert quality(report, "reps")["duplicate_rep_id"] == (1, ["R1 (2 rows)"])
    assert [r.rep_id for r in report.rep_performance] == ["R1"]
    assert [r.rep_id for r in report.rep_trajectory] == ["R1"]
    row = perf(report, "R1")
    assert (row["rep_name"], row["close_rate"], row["quota_achievement"]) == ("First", 0.5, 0.5)
    assert row["active_deals"] == 1  # the deal is not counted once per duplicate
    swapped = reps_csv(
        tmp_path,
        ALL_REP_COLUMNS + "\n"
        "R1,Second,2000,2000,0.9,300,300,100,100,stable,1,,,\n"
        "R1,First,1000,500,0.5,300,300,100,100,stable,1,,,\n",
    )
    again = build_report(
        full_deals_csv(tmp_path, "D1,R1,active,100,0.5,3,,,,,,,"), swapped, as_of=AS_OF
    )
    assert perf(again, "R1")["rep_name"] == "First"  # by content, not by row order


def test_zero_and_missing_quota(tmp_path: Path) -> None:
    reps = reps_csv(
        tmp_path,
        ALL_REP_COLUMNS + "\n"
        "R1,Ann,0,500,0.5,300,300,100,100,stable,1,,,\n"
        "R2,Bob,,500,0.5,300,300,100,100,stable,1,,,\n",
    )
    report = build_report(
        full_deals_csv(tmp_path, "D1,R1,active,100,0.5,3,,,,,,,"), reps, as_of=AS_OF
    )
    assert quality(report, "reps") == {"missing_quota": (2, ["R1", "R2"])}
    for rep_id in ("R1", "R2"):
        row = perf(report, rep_id)
        assert (row["quota_achievement"], row["needs_coaching"]) == (None, False)
    assert [f.rule for f in report.flags if f.rule == "needs_coaching"] == []


def test_statuses_are_trimmed_and_case_folded(tmp_path: Path) -> None:
    deals = full_deals_csv(
        tmp_path,
        "D1,R1,Won,100,0.5,3,,,,,,,",
        "D2,R1, WON ,100,0.5,3,,,,,,,",
        "D3,R1,active,100,0.5,3,,,,,,,",
        "D4,R1, Active,100,0.5,3,,,,,,,",
        "D5,R1,Open,100,0.5,3,,,,,,,",
    )
    report = build_report(deals, reps_csv(tmp_path), as_of=AS_OF)
    assert quality(report, "deals") == {"unknown_status": (1, ["open"])}
    assert report.pipeline_summary.model_dump() == {
        "total_deals": 5,
        "active_deals": 2,  # active, " Active"
        "won_deals": 2,  # Won, " WON "
        "lost_deals": 0,
        "total_pipeline_value": 200.0,
        "weighted_pipeline_value": 100.0,
        "average_deal_size": 100.0,
        "win_rate": 1.0,
        "stalled_deals_count": 0,
        "at_risk_deals_count": 0,
        "won_value": 200.0,  # D1, D2
        "won_value_quarter_to_date": 0.0,  # no close dates: in no period
        "won_value_year_to_date": 0.0,
        "sales_cycle_deals": 0,
        "recorded_year_to_date_revenue": 1300.0,  # the reps file's records
        "average_won_deal_size": 100.0,
        "median_sales_cycle_days": None,
    }


def test_unknown_status_reports_row_count(tmp_path: Path) -> None:
    deals = full_deals_csv(
        tmp_path,
        "D1,R1,Pending,100,0.5,3,,,,,,,",
        "D2,R1,pending ,100,0.5,3,,,,,,,",
        "D3,R1,active,100,0.5,3,,,,,,,",
    )
    report = build_report(deals, reps_csv(tmp_path), as_of=AS_OF)
    item = next(i for i in report.data_quality if i.check == "unknown_status")
    assert (item.count, item.examples) == (2, ["pending (2 rows)"])
    assert item.message.startswith("2 deal(s) have a status other than active, won or lost")


def test_absent_days_in_stage(tmp_path: Path) -> None:
    header = ALL_DEAL_COLUMNS.replace("days_in_stage,", "")
    deals = deals_csv(tmp_path, "D1,R1,active,100,0.5,x,,,,,,", header=header)
    report = build_report(deals, reps_csv(tmp_path), as_of=AS_OF)
    assert quality(report) == {"absent_column:deals": (1, ["days_in_stage"])}
    item = next(i for i in report.data_quality if i.check == "absent_column")
    assert item.message == (
        "The deals input has no days_in_stage column(s); they are treated as missing on every row."
    )
    assert report.pipeline_summary.stalled_deals_count == 0
    assert report.pipeline_summary.at_risk_deals_count == 1


def test_clean_input_has_no_data_quality_items(tmp_path: Path) -> None:
    report = build_report(
        full_deals_csv(tmp_path, "D1,R1,active,100,0.5,3,,,,,,,"), reps_csv(tmp_path), as_of=AS_OF
    )
    # only the note that close-date pushes are unknown without a history (D49): info
    assert [(i.check, i.severity) for i in report.data_quality] == [("pushes_unknown", "info")]
    assert (
        validate(full_deals_csv(tmp_path, "D1,R1,active,100,0.5,3,,,,,,,"), reps_csv(tmp_path))
        == []
    )


def test_active_deal_without_deal_id(tmp_path: Path) -> None:
    deals = full_deals_csv(tmp_path, "D1,R1,active,100,0.5,3,,,,,,,", ",R1,active,300,0.5,3,,,,,,,")
    report = build_report(deals, reps_csv(tmp_path), as_of=AS_OF)
    assert quality(report, "deals") == {"missing_deal_id": (1, ["2"])}
    assert report.pipeline_summary.total_pipeline_value == 400.0
    assert perf(report, "R1")["top_opportunities"] == ["row 2", "D1"]


def test_closed_deal_without_deal_id_is_reported(tmp_path: Path) -> None:
    deals = full_deals_csv(tmp_path, "D1,R1,active,100,0.5,3,,,,,,,", ",R1,won,300,1,3,,,,,,,")
    report = build_report(deals, reps_csv(tmp_path), as_of=AS_OF)
    assert quality(report, "deals") == {"missing_deal_id": (1, ["2"])}
    assert (report.pipeline_summary.total_deals, report.pipeline_summary.win_rate) == (2, 1.0)


# --- risk_flags in every accepted shape give the same counts -------------------------------
FLAG_SHAPES = {
    "list": [["a", "b"], [], ["c"], None],
    "json_string": ['["a", "b"]', "[]", '["c"]', None],
    "semicolon_string": ["a;b", "", "c", None],
    "mixed": [["a", "b"], "", "c", "[]"],
    "padded": [" a ; b ", "  ", "c;", ";"],
}


def _flag_deals(flags: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "deal_id": f"D{i}",
            "rep_id": "R1",
            "status": "active",
            "deal_value_usd": 10.0 * (i + 1),
            "probability": 0.5,
            "risk_flags": value,
        }
        for i, value in enumerate(flags)
    ]


def _at_risk(report: Any) -> tuple[int, list[tuple[str, Any]]]:
    return report.pipeline_summary.at_risk_deals_count, [
        (f.subject_id, f.observed["risk_flags"]) for f in report.flags if f.rule == "at_risk_deal"
    ]


# D0 (value 10, flags a, b) and D2 (value 30, flag c) are at risk; ordered by value desc.
EXPECTED_AT_RISK = (2, [("D2", ["c"]), ("D0", ["a", "b"])])


@pytest.mark.parametrize("shape", sorted(FLAG_SHAPES))
def test_risk_flag_shapes_list_of_dicts(tmp_path: Path, shape: str) -> None:
    report = build_report(_flag_deals(FLAG_SHAPES[shape]), reps_csv(tmp_path), as_of=AS_OF)
    assert _at_risk(report) == EXPECTED_AT_RISK


def test_risk_flag_shapes_csv(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "deals.csv",
        "deal_id,rep_id,status,deal_value_usd,probability,risk_flags\n"
        'D0,R1,active,10,0.5,"[""a"",""b""]"\nD1,R1,active,20,0.5,\n'
        "D2,R1,active,30,0.5,c\nD3,R1,active,40,0.5,[]\n",
    )
    assert _at_risk(build_report(path, reps_csv(tmp_path), as_of=AS_OF)) == EXPECTED_AT_RISK


@pytest.mark.parametrize("suffix", ["jsonl", "json", "parquet"])
def test_risk_flag_lists_in_files(tmp_path: Path, suffix: str) -> None:
    records = _flag_deals(FLAG_SHAPES["list"])
    path = tmp_path / f"deals.{suffix}"
    if suffix == "jsonl":
        path.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    elif suffix == "json":
        path.write_text(json.dumps(records))
    else:
        pq.write_table(pa.Table.from_pylist(records), path)
    assert _at_risk(build_report(path, reps_csv(tmp_path), as_of=AS_OF)) == EXPECTED_AT_RISK


def test_integer_ids_in_parquet_and_json_join(tmp_path: Path) -> None:
    deals = tmp_path / "deals.parquet"
    pq.write_table(
        pa.table(
            {
                "deal_id": [1, 2],
                "rep_id": [7, 7],
                "status": ["active", "won"],
                "deal_value_usd": [100.0, 50.0],
                "probability": [0.5, 1.0],
            }
        ),
        deals,
    )
    reps = write(tmp_path, "reps.json", json.dumps([{"rep_id": 7, "rep_name": "Ann"}]))
    report = build_report(deals, reps, as_of=AS_OF)
    row = perf(report, "7")
    assert (
        row["active_deals"],
        row["close_rate"],
        row["close_rate_source"],
        row["top_opportunities"],
    ) == (1, 1.0, "deals", ["1"])
