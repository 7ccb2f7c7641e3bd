"""Excel input: the first sheet or a named one, cell types kept, read through a mapping too,
and errors that name the workbook, sheet, row and column."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from pipereview.api import build_report
from pipereview.errors import InputError

AS_OF = dt.date(2026, 11, 22)


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


DEALS = [
    ["deal_id", "rep_id", "status", "deal_value_usd", "probability", "close_date"],
    [1001, "R1", "active", 1000.5, 0.4, dt.datetime(2026, 12, 1)],
    [1002, "R1", "won", 250, 1, dt.datetime(2026, 10, 1)],
    [1003, "R2", "active", 99.99, 0.5, None],
]
REPS = [["rep_id", "rep_name"], ["R1", "Ann"], ["R2", "Bob"]]


def test_first_sheet_and_named_sheets(tmp_path: Path) -> None:
    book = _workbook(tmp_path / "crm.xlsx", {"Deals": DEALS, "Reps": REPS})
    report = build_report(f"{book}#Deals", f"{book}#Reps", as_of=AS_OF)
    out = json.loads(report.to_json())
    assert out["pipeline_summary"]["total_pipeline_value"] == 1100.49  # 1000.50 + 99.99
    assert out["pipeline_summary"]["weighted_pipeline_value"] == 450.2  # 450.195 half-even
    details = {d["deal_id"]: d for d in out["deal_details"]}
    assert details["1001"]["close_date"] == "2026-12-01"  # a whole-number id reads as text
    first = build_report(book, f"{book}#Reps", as_of=AS_OF)  # the first sheet is Deals
    assert first.to_json() == report.to_json()


def test_sheet_option_and_missing_sheet(tmp_path: Path) -> None:
    deals = _workbook(tmp_path / "deals.xlsx", {"Export": DEALS})
    reps = _workbook(tmp_path / "reps.xlsx", {"Export": REPS})
    assert build_report(deals, reps, as_of=AS_OF, sheet="Export").pipeline_summary.total_deals == 3
    with pytest.raises(InputError) as caught:
        build_report(deals, reps, as_of=AS_OF, sheet="Deals")
    assert str(caught.value) == (
        f"{deals}: has no sheet named 'Deals' (sheets: Export; pass one with --sheet)"
    )


def test_bad_cell_names_sheet_row_and_column(tmp_path: Path) -> None:
    rows = [list(r) for r in DEALS]
    rows[2][4] = 45  # a percentage in a 0-1 column
    book = _workbook(tmp_path / "deals.xlsx", {"Deals": rows})
    reps = _workbook(tmp_path / "reps.xlsx", {"Reps": REPS})
    with pytest.raises(InputError) as caught:
        build_report(book, reps, as_of=AS_OF)
    err = caught.value
    assert (err.source, err.row, err.column) == (f"{book} (sheet 'Deals')", 2, "probability")


def test_excel_through_a_mapping(tmp_path: Path) -> None:
    rows = [
        ["Id", "Owner", "Amount", "Probability (%)", "Closed", "Won"],
        ["A", "R1", 100, 40, False, False],
        ["B", "R2", 50, 100, True, True],
    ]
    book = _workbook(tmp_path / "opps.xlsx", {"Opportunities": rows})
    reps = _workbook(tmp_path / "reps.xlsx", {"Reps": REPS})
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[deals]\ndeal_id = "Id"\nrep_id = "Owner"\ndeal_value_usd = "Amount"\n'
        'probability = { column = "Probability (%)", scale = 0.01 }\n'
        'status = { closed = "Closed", won = "Won" }\n'
    )
    report = build_report(book, reps, as_of=AS_OF, mapping=mapping)
    summary = report.pipeline_summary
    assert (summary.active_deals, summary.won_deals) == (1, 1)
    assert str(summary.weighted_pipeline_value) == "40.00"
