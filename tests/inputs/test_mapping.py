"""Mappings written by users: every transform on a hand-made export, and every way a mapping
or the data it reads can be wrong (one exact error each: file, line, column, key, fix)."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipereview.api import build_report, validate
from pipereview.errors import InputError, PolicyError
from pipereview.inputs.mapping import load_mapping, mapping_from_dict, resolve_mapping
from tests.support.cli import pipereview

AS_OF = dt.date(2026, 11, 22)
REPS = "Owner,Owner Name\nU1,Ann\nU2,Bob\n"
REP_MAP = '[reps]\nrep_id = "Owner"\nrep_name = "Owner Name"\n'


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def report(tmp_path: Path, deals: str, mapping: str, **kw: Any) -> dict[str, Any]:
    result = build_report(
        write(tmp_path, "deals.csv", deals),
        write(tmp_path, "reps.csv", REPS),
        as_of=AS_OF,
        mapping=write(tmp_path, "map.toml", mapping + REP_MAP),
        **kw,
    )
    return json.loads(result.to_json())


def fails(tmp_path: Path, deals: str, mapping: str, **kw: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        report(tmp_path, deals, mapping, **kw)
    return caught.value


# --- transforms, numbers by hand ----------------------------------------------------------

STAGE_EXPORT = (
    "Opp,Owner,Stage,Value,Closes\n"
    "O1,U1,Discovery,1000,11/30/2026\n"
    "O2,U1,Proposal,2000.50,12/15/2026\n"
    "O3,U2,Closed Won,500,10/01/2026\n"
    "O4,U2,closed lost,700,09/01/2026\n"
)
STAGE_MAP = """
[deals]
deal_id = "Opp"
rep_id = "Owner"
stage = "Stage"
deal_value_usd = "Value"
close_date = { column = "Closes", format = "%m/%d/%Y" }

[deals.status]
column = "Stage"
values = { "Closed Won" = "won", "Closed Lost" = "lost" }
default = "active"

[stages.values]
Discovery = { probability = 0.1 }
Proposal = { probability = 0.6 }
"Closed Won" = { probability = 1.0 }
"Closed Lost" = { probability = 0.0 }
"""


def test_value_map_inline_stages_and_date_format(tmp_path: Path) -> None:
    out = report(tmp_path, STAGE_EXPORT, STAGE_MAP)
    summary = out["pipeline_summary"]
    assert summary["active_deals"] == 2  # O1, O2 (default active)
    assert summary["won_deals"] == 1  # O3
    assert summary["lost_deals"] == 1  # "closed lost" folds onto "Closed Lost"
    assert summary["total_pipeline_value"] == 3000.5
    assert summary["weighted_pipeline_value"] == 1300.3  # 1000 x 0.1 + 2000.50 x 0.6
    details = {d["deal_id"]: d for d in out["deal_details"]}
    assert details["O2"]["close_date"] == "2026-12-15"
    assert details["O2"]["probability"] == 0.6


def test_status_from_booleans_scale_and_since(tmp_path: Path) -> None:
    deals = (
        "Id,Owner,Amount,Pct,Closed,Won,Changed\n"
        "A,U1,100,50,false,false,2026-11-01\n"
        "B,U1,200,100,TRUE,True,2026-10-01\n"
        "C,U2,300,0,1,0,2026-10-01\n"
        "D,U2,400,25,0,,2026-11-22\n"
    )
    mapping = """
[deals]
deal_id = "Id"
rep_id = "Owner"
deal_value_usd = "Amount"
probability = { column = "Pct", scale = 0.01 }
status = { closed = "Closed", won = "Won" }
days_in_stage = { since = "Changed" }
"""
    out = report(tmp_path, deals, mapping)
    summary = out["pipeline_summary"]
    assert (summary["active_deals"], summary["won_deals"], summary["lost_deals"]) == (2, 1, 1)
    assert summary["weighted_pipeline_value"] == 150.0  # 100 x 0.50 + 400 x 0.25
    assert summary["stalled_deals_count"] == 1  # A: 21 days since 2026-11-01; D: 0


def test_columns_joined_constant_and_pass_through(tmp_path: Path) -> None:
    deals = "deal_id,rep_id,status,deal_value_usd,probability,First,Last\nX,U1,active,10,0.5,a,b\n"
    mapping = """
[deals]
forecast_category = { value = "Pipeline" }
stage = { columns = ["First", "Last"], separator = "-" }
"""
    out = report(tmp_path, deals, mapping)
    (detail,) = out["deal_details"]
    assert detail["stage"] == "a-b"
    assert out["pipeline_summary"]["weighted_pipeline_value"] == 5.0


def test_parquet_and_memory_inputs_map_alike(tmp_path: Path) -> None:
    rows = [
        {"Id": "A", "Owner": "U1", "Amount": 100.25, "Pct": 40, "Closed": False, "Won": False},
        {"Id": "B", "Owner": "U2", "Amount": 50.0, "Pct": 100, "Closed": True, "Won": True},
    ]
    mapping = mapping_from_dict(
        {
            "deals": {
                "deal_id": "Id",
                "rep_id": "Owner",
                "deal_value_usd": "Amount",
                "probability": {"column": "Pct", "scale": 0.01},
                "status": {"closed": "Closed", "won": "Won"},
            },
            "reps": {"rep_id": "Owner", "rep_name": "Owner Name"},
        }
    )
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "deals.parquet")
    reps = write(tmp_path, "reps.csv", REPS)
    from_parquet = build_report(tmp_path / "deals.parquet", reps, as_of=AS_OF, mapping=mapping)
    from_memory = build_report(rows, reps, as_of=AS_OF, mapping=mapping)
    assert from_parquet.pipeline_summary == from_memory.pipeline_summary
    assert str(from_memory.pipeline_summary.weighted_pipeline_value) == "40.10"


# --- errors in the data a mapping reads -----------------------------------------------------


def test_percent_probability_without_scale_names_the_fix(tmp_path: Path) -> None:
    deals = "Id,Owner,Amount,Prob,Status\nA,U1,1,0.5,active\nB,U1,1,45,active\n"
    mapping = '[deals]\ndeal_id = "Id"\nrep_id = "Owner"\ndeal_value_usd = "Amount"\n'
    mapping += 'probability = "Prob"\n'
    err = fails(tmp_path, deals, mapping)
    assert (err.line, err.row, err.column) == (3, 2, "Prob")
    assert "'45' cannot be used as probability" in str(err)
    assert 'probability = { column = "Prob", scale = 0.01 }' in str(err)


def test_bad_boolean_is_located(tmp_path: Path) -> None:
    deals = "Id,Owner,Amount,P,Closed,Won\nA,U1,1,0.5,false,false\nB,U1,1,0.5,maybe,false\n"
    mapping = """
[deals]
deal_id = "Id"
rep_id = "Owner"
deal_value_usd = "Amount"
probability = "P"
status = { closed = "Closed", won = "Won" }
"""
    err = fails(tmp_path, deals, mapping)
    assert (err.line, err.column) == (3, "Closed")
    assert "'maybe' cannot be used as status (from Closed and Won)" in str(err)
    assert "true or false" in str(err)


def test_since_after_as_of_is_located(tmp_path: Path) -> None:
    deals = (
        "deal_id,rep_id,status,deal_value_usd,probability,Changed\nA,U1,active,1,0.5,2026-12-01\n"
    )
    err = fails(tmp_path, deals, '[deals]\ndays_in_stage = { since = "Changed" }\n')
    assert (err.line, err.column) == (2, "Changed")
    assert "on or before --as-of" in str(err)


def test_locale_date_without_format_suggests_one(tmp_path: Path) -> None:
    deals = (
        "deal_id,rep_id,status,deal_value_usd,probability,Closes\nA,U1,active,1,0.5,11/20/2026\n"
    )
    err = fails(tmp_path, deals, '[deals]\nclose_date = "Closes"\n')
    assert (err.line, err.column) == (2, "Closes")
    assert "format" in str(err)
    bad = "deal_id,rep_id,status,deal_value_usd,probability,Closes\nA,U1,active,1,0.5,2026-11-20\n"
    err = fails(tmp_path, bad, '[deals]\nclose_date = { column = "Closes", format = "%m/%d/%Y" }\n')
    assert (err.line, err.column) == (2, "Closes")


def test_deleted_rows_are_not_checked(tmp_path: Path) -> None:
    deals = "deal_id,rep_id,status,deal_value_usd,probability,gone\nA,U1,active,1,0.5,false\n"
    deals += "B,U1,active,oops,7,true\n"
    out = report(tmp_path, deals, '[deals]\ndeleted = ["gone", "not_there"]\n')
    assert out["pipeline_summary"]["total_deals"] == 1
    bad = deals.replace("A,U1,active,1,0.5,false", "A,U1,active,1,0.5,perhaps")
    err = fails(tmp_path, bad, '[deals]\ndeleted = ["gone"]\n')
    assert (err.line, err.column) == (2, "gone")
    assert "the deleted marker" in str(err)


def test_mapped_column_missing_suggests_the_close_one(tmp_path: Path) -> None:
    deals = "Id,Owner,Amount,P,S\nA,U1,1,0.5,active\n"
    mapping = '[deals]\ndeal_id = "Id"\nrep_id = "Owner"\ndeal_value_usd = "Amout"\n'
    err = fails(tmp_path, deals, mapping + 'probability = "P"\nstatus = "S"\n')
    assert "the mapping reads 'Amout' for deals.deal_value_usd, which the file lacks" in str(err)
    assert "did you mean 'Amount'?" in str(err)


def test_repeated_stage_is_refused(tmp_path: Path) -> None:
    stages = write(tmp_path, "stages.csv", "stage,probability\nWon,1\nwon ,1\n")
    deals = "deal_id,rep_id,deal_value_usd,stage\nA,U1,1,Won\n"
    err = fails(tmp_path, deals, "", stages=stages)
    assert "is listed 2 times" in str(err)


def test_stage_table_file_fills_probability_and_status(tmp_path: Path) -> None:
    stages = write(
        tmp_path,
        "stages.csv",
        "Name,Chance,IsClosed,IsWon\nOpen,0.25,no,no\nWon,1,yes,yes\nLost,0,yes,no\n",
    )
    deals = "deal_id,rep_id,deal_value_usd,stage,probability\nA,U1,100,Open,\nB,U1,50,Open,0.5\n"
    deals += "C,U2,10,Won,\nD,U2,10,Lost,\n"
    mapping = """
[stages]
stage = "Name"
probability = "Chance"
closed = "IsClosed"
won = "IsWon"
"""
    out = report(tmp_path, deals, mapping, stages=stages)
    summary = out["pipeline_summary"]
    assert (summary["active_deals"], summary["won_deals"], summary["lost_deals"]) == (2, 1, 1)
    assert summary["weighted_pipeline_value"] == 50.0  # 100 x 0.25 + 50 x 0.5 (its own)


# --- errors in the mapping itself -----------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "key", "words"),
    [
        (
            '[deals]\ndeal_valu_usd = "Amount"\n',
            "deals.deal_valu_usd",
            "did you mean 'deal_value_usd'",
        ),
        (
            '[deals]\nprobability = { column = "P", scal = 0.01 }\n',
            "deals.probability.scal",
            "did you mean 'scale'",
        ),
        (
            '[deals]\nprobability = { column = "P", scale = "x" }\n',
            "deals.probability.scale",
            "valid number",
        ),
        (
            '[deals]\nprobability = { column = "P", value = 1 }\n',
            "deals.probability",
            "exactly one of",
        ),
        ('[deals]\nstatus = { closed = "C" }\n', "deals.status", "closed and won go together"),
        ('[reps]\nderive = ["pipeline"]\n', "reps.derive.0", "year_to_date_revenue_usd"),
        ('[deal]\ndeal_id = "Id"\n', "deal", "did you mean 'deals'"),
    ],
)
def test_mapping_errors_name_the_key(tmp_path: Path, toml: str, key: str, words: str) -> None:
    with pytest.raises(PolicyError) as caught:
        load_mapping(write(tmp_path, "m.toml", toml))
    assert caught.value.key == key
    assert words in str(caught.value)


def test_preset_and_mapping_choices(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not both"):
        resolve_mapping("salesforce", write(tmp_path, "m.toml", ""))
    with pytest.raises(PolicyError, match="did you mean 'hubspot'"):
        resolve_mapping("hubspt", None)
    with pytest.raises(PolicyError, match="not found"):
        load_mapping(tmp_path / "nope.toml")


def test_mapping_needs_as_of_in_the_library(tmp_path: Path) -> None:
    deals = write(
        tmp_path, "d.csv", "deal_id,rep_id,status,deal_value_usd,probability\nA,U1,active,1,0.5\n"
    )
    with pytest.raises(InputError, match="needs the report date"):
        validate(deals, write(tmp_path, "r.csv", "rep_id\nU1\n"), preset="salesforce")


# --- the CLI ------------------------------------------------------------------------------


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return pipereview(*args)


def test_cli_preset_show_and_errors(tmp_path: Path) -> None:
    shown = _cli("preset", "show", "salesforce")
    assert shown.returncode == 0
    assert load_mapping(write(tmp_path, "copy.toml", shown.stdout)).name == "salesforce"
    unknown = _cli("preset", "show", "zoho")
    assert unknown.returncode == 1
    assert unknown.stderr.strip().splitlines() == [
        "error: no preset named 'zoho' (presets: salesforce, salesforce-report, hubspot)"
    ]
    crm = Path(__file__).parents[1] / "fixtures" / "crm" / "salesforce"
    bad_map = write(tmp_path, "bad.toml", "[deals]\nammount = 'Amount'\n")
    failed = _cli(
        "report", "--deals", crm / "Opportunity.csv", "--reps", crm / "User.csv",
        "--mapping", bad_map, "--as-of", "2026-11-22",
    )  # fmt: skip
    assert failed.returncode == 1
    assert "key 'deals.ammount': unknown key (did you mean 'amount'?)" in failed.stderr
    assert "Traceback" not in failed.stderr


def test_no_reps_input_takes_the_deals_owners(tmp_path: Path) -> None:
    """An opportunities export alone (no users export): reps are its owners, and the rep
    figures come from the deals (the 44 lines of pandas a user once wrote for this)."""
    deals = write(
        tmp_path,
        "opps.csv",
        "opportunity_id,owner,stage,amount,is_closed,is_won,close_date\n"
        "O1,Zara Ito,Proposal,1000,False,False,2026-12-01\n"
        "O2,Zara Ito,Closed Won,500,True,True,2026-10-01\n"
        "O3,Ethan Sharma,Closed Won,700,True,True,2026-02-01\n"
        "O4,Ethan Sharma,Closed Lost,300,True,False,2026-09-15\n",
    )
    mapping = write(
        tmp_path,
        "m.toml",
        '[deals]\ndeal_id = "opportunity_id"\nrep_id = "owner"\nstage = "stage"\n'
        'deal_value_usd = "amount"\nstatus = { closed = "is_closed", won = "is_won" }\n'
        'close_date = "close_date"\n'
        "[stages.values]\nProposal = { probability = 0.5 }\n"
        '[reps]\nderive = ["year_to_date_revenue_usd", "closed_won_3m_current", '
        '"current_pipeline_value"]\n',
    )
    report = build_report(deals, None, as_of=AS_OF, mapping=mapping)
    assert [r.rep_id for r in report.rep_performance] == ["Ethan Sharma", "Zara Ito"]
    trajectory = {r.rep_id: r for r in report.rep_trajectory}
    assert str(trajectory["Zara Ito"].closed_won_3m_current) == "500.00"
    assert str(trajectory["Ethan Sharma"].closed_won_3m_current) == "0.00"  # Feb: too early
    assert str(trajectory["Zara Ito"].current_pipeline_value) == "1000.00"
    (owners,) = [i for i in report.data_quality if i.check == "reps_from_deals"]
    assert owners.count == 2
    cli = _cli("report", "--deals", deals, "--mapping", mapping, "--as-of", "2026-11-22", "--full")
    assert cli.returncode == 0, cli.stderr
    assert "Zara Ito" in cli.stdout  # the reps section lists every rep


def test_parquet_error_row_and_a_dict_mapping(tmp_path: Path) -> None:
    rows = [{"Id": f"A{i}", "Owner": "U1", "Amount": 10.0, "P": 0.5} for i in range(5)]
    rows[3]["P"] = 45.0
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "deals.parquet")
    mapping = {
        "deals": {
            "deal_id": "Id",
            "rep_id": "Owner",
            "deal_value_usd": "Amount",
            "probability": "P",
            "status": {"value": "active"},
        }
    }
    with pytest.raises(InputError) as caught:
        build_report(tmp_path / "deals.parquet", None, as_of=AS_OF, mapping=mapping)
    assert (caught.value.row, caught.value.column) == (4, "P")
