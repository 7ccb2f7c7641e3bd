"""Mapping rough edges (issue 35, item 9): an export without a probability, a rates file with
other column names, and every column (or how many more) in "columns found"."""

from __future__ import annotations

from pathlib import Path

from tests.inputs.test_mapping import fails, report, write

NO_PROBABILITY = "Id,Owner,Amount,Status\nA,U1,100,active\nB,U1,50,won\n"
MAPPING = (
    '[deals]\ndeal_id = "Id"\nrep_id = "Owner"\ndeal_value_usd = "Amount"\nstatus = "Status"\n'
)


def test_an_export_without_probability_says_how(tmp_path: Path) -> None:
    err = fails(tmp_path, NO_PROBABILITY, MAPPING)
    assert "the mapping does not name deals.probability and the file has no column " in str(err)
    assert "'probability'" in str(err)
    assert 'probability = { value = "" } in [deals]' in (err.hint or "")
    # and saying so works: every deal weighs 0, a finding says the probability is missing
    out = report(tmp_path, NO_PROBABILITY, MAPPING + 'probability = { value = "" }\n')
    assert out["pipeline_summary"]["weighted_pipeline_value"] == 0
    assert out["pipeline_summary"]["total_pipeline_value"] == 100


def test_columns_found_says_how_many_more(tmp_path: Path) -> None:
    header = ",".join(f"C{i:02d}" for i in range(15))
    deals = header + "\n" + ",".join("x" for _ in range(15)) + "\n"
    err = fails(tmp_path, deals, MAPPING)
    hint = err.hint or ""
    assert "columns found: C00, C01" in hint and "C11 and 3 more" in hint


def test_a_rates_file_with_other_names_says_to_rename(tmp_path: Path) -> None:
    deals = "Id,Owner,Amount,Status,P,Cur\nA,U1,100,active,0.5,EUR\n"
    mapping = MAPPING + 'probability = "P"\namount = "Amount"\ncurrency = "Cur"\n'
    rates = write(tmp_path, "rates.csv", "code,fx\nEUR,1.1\n")
    err = fails(tmp_path, deals, mapping, rates=rates)
    text = f"{err} {err.hint}"
    assert "unknown key" not in text
    assert "currency" in text and "rate" in text
