"""Inputs that crashed a command or were read wrong (issue 32, items 4 and 5, the input
side): dates outside years 1-9999 and text after a date, a date-time's UTC date on every
reader, rule conditions too deep or too long, a mapping's scale that cannot be applied
exactly and value-map keys that collide. Each refusal is one line naming the input, exit 1,
run through the CLI (in this process: tests/support/cli.py), as a user meets it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import FIXTURES
from tests.inputs.test_no_traceback import _one_line as one_line
from tests.support.cli import pipereview as run

DEALS = (FIXTURES / "deals.csv").read_text(encoding="utf-8")
HEADER = DEALS.splitlines()[0]
REPS = FIXTURES / "reps.csv"
AS_OF = "2026-11-20"
VALUES = ["D99", "R1", "active", "100", "0.5", "3", "", "Proposal", "2026-12-01"]
ONE = dict(zip(HEADER.split(","), VALUES, strict=True))


def deals_csv(tmp_path: Path, **values: str) -> Path:
    """The fixture's deals plus one row (D99) with ``values``."""
    row = {**ONE, **values}
    path = tmp_path / "deals.csv"
    path.write_text(DEALS + ",".join(row[c] for c in HEADER.split(",")) + "\n", encoding="utf-8")
    return path


def report_json(deals: Path, *extra: str | Path, env: dict[str, str] | None = None) -> dict:
    proc = run(
        "report",
        "--deals",
        deals,
        "--reps",
        REPS,
        "--as-of",
        AS_OF,
        "--format",
        "json",
        *extra,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def close_date_of(report: dict, deal_id: str) -> str:
    return next(d["close_date"] for d in report["deal_details"] if d["deal_id"] == deal_id)


# --- dates ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    ["0000-01-01", "2026-11-01 not a date", "2026-02-30", "2026-11-30T24:00", "2026-11-30T23:30 x"],
)
@pytest.mark.parametrize("command", ["report", "validate"])
def test_a_date_that_is_no_day_is_refused_naming_column_and_value(
    tmp_path: Path, value: str, command: str
) -> None:
    # year 0 crashed the report (OverflowError) while validate said 0; text after the date
    # was dropped; 2026-02-30 named no column and blamed money
    deals = deals_csv(tmp_path, close_date=value)
    proc = run(command, "--deals", deals, "--reps", REPS, "--as-of", AS_OF)
    one_line(proc, "line 12", "column 'close_date'", f"not a date: {value!r}", "YYYY-MM-DD")


@pytest.mark.parametrize(
    "values",
    [pa.array([-800_000], pa.date32()), pa.array([-(2**62)], pa.timestamp("us"))],
    ids=["date32", "timestamp"],
)
def test_a_typed_date_outside_years_1_to_9999_is_refused(tmp_path: Path, values: pa.Array) -> None:
    table = {k: [v] for k, v in ONE.items()} | {"deal_value_usd": [100], "probability": [0.5]}
    path = tmp_path / "deals.parquet"
    pq.write_table(pa.table({**table, "close_date": values}), path)
    proc = run("report", "--deals", path, "--reps", REPS, "--as-of", AS_OF)
    one_line(proc, "row 1", "column 'close_date'", "outside years 1 to 9999")


def test_one_instant_is_one_utc_date_on_every_reader(tmp_path: Path) -> None:
    # 2026-11-30T23:30-05:00 is 2026-12-01T04:30Z: the CSV reader took 2026-11-30, a
    # DuckDB session in the machine's zone took a timestamp's local date
    instant = "2026-11-30T23:30-05:00"
    utc = "2026-12-01"
    csv = deals_csv(tmp_path, deal_id="D1", close_date=instant)
    mapping = tmp_path / "m.toml"
    mapping.write_text('[deals]\nclose_date = "close_date"\n', encoding="utf-8")
    moment = dt.datetime(2026, 12, 1, 4, 30, tzinfo=dt.UTC)
    table = {k: [v] for k, v in ONE.items()} | {"deal_value_usd": [100], "probability": [0.5]}
    table["deal_id"] = ["D1"]
    parquet = tmp_path / "deals.parquet"
    pq.write_table(
        pa.table({**table, "close_date": pa.array([moment], pa.timestamp("us", "UTC"))}), parquet
    )
    new_york = {"TZ": "America/New_York"}
    dates = {
        "csv": close_date_of(report_json(csv, env=new_york), "D1"),
        "mapping": close_date_of(report_json(csv, "--mapping", mapping, env=new_york), "D1"),
        "parquet": close_date_of(report_json(parquet, env=new_york), "D1"),
    }
    assert dates == {"csv": utc, "mapping": utc, "parquet": utc}


# --- rule conditions -----------------------------------------------------------------------
def _rule_policy(tmp_path: Path, when: str) -> Path:
    policy = tmp_path / "policy.toml"
    policy.write_text(
        f'[[rules]]\nid = "r1"\nsubject = "deal"\nwhen = """{when}"""\nmessage = "x"\n',
        encoding="utf-8",
    )
    return policy


@pytest.mark.parametrize(
    ("when", "said"),
    [
        ("(" * 40 + "probability >= 0.5" + ")" * 40, "nested more than 20 parentheses deep"),
        (" and ".join(["probability >= 0.5"] * 3000), "more than 200 operators"),
        (" or ".join(["probability >= 0.5"] * 3000), "more than 200 operators"),
        ("not " * 3000 + "probability >= 0.5", "more than 200 operators"),
    ],
    ids=["40-deep", "and-chain", "or-chain", "not-chain"],
)
@pytest.mark.parametrize("command", ["report", "rules"])
def test_a_condition_too_deep_or_too_long_is_refused_at_load(
    tmp_path: Path, when: str, said: str, command: str
) -> None:
    policy = _rule_policy(tmp_path, when)
    args = (
        ("rules", "list") if command == "rules" else ("report", "--deals", FIXTURES / "deals.csv")
    )
    extra = () if command == "rules" else ("--reps", REPS, "--as-of", AS_OF)
    proc = run(*args, *extra, "--policy", policy)
    one_line(proc, str(policy), "rules[0].when", said)


def test_the_longest_condition_allowed_runs(tmp_path: Path) -> None:
    deep = "(" * 20 + "probability >= 0.5" + ")" * 20
    chain = " or ".join(["(((deal_value_usd + 1) * 2) >= probability)"] * 40)
    policy = _rule_policy(tmp_path, f"{deep} and ({chain})")
    report = report_json(FIXTURES / "deals.csv", "--policy", policy)
    counts = {c["rule"]: c["total"] for c in report["flag_counts"]}
    assert counts["r1"] == 5  # D1, D2, D3, D9 twice: probability >= 0.5


# --- mappings ------------------------------------------------------------------------------
def _mapped(tmp_path: Path, command: str, toml: str) -> tuple[Path, object]:
    """``command`` on the fixture's files through a mapping of ``toml``."""
    mapping = tmp_path / "m.toml"
    mapping.write_text(toml + "\n", encoding="utf-8")
    deals = FIXTURES / "deals.csv"
    proc = run(command, "--mapping", mapping, "--deals", deals, "--reps", REPS, "--as-of", AS_OF)
    return mapping, proc


@pytest.mark.parametrize("scale", ["nan", "inf", "-inf", "1e-7", "0.333333333", "0", "-0.01"])
def test_a_scale_that_cannot_be_applied_exactly_is_refused(tmp_path: Path, scale: str) -> None:
    mapping, proc = _mapped(
        tmp_path, "report", f'[deals]\nprobability = {{ column = "probability", scale = {scale} }}'
    )
    one_line(proc, str(mapping), "deals.probability", "scale must be a number above 0")


def test_colliding_value_map_keys_are_refused_naming_both(tmp_path: Path) -> None:
    mapping, proc = _mapped(
        tmp_path,
        "validate",
        '[deals]\nstatus = { column = "status", values = { "Won" = "won", " won " = "lost" } }',
    )
    one_line(proc, str(mapping), "deals.status", "'Won' and ' won ' are the same key")


# --- numbers an id or the error path could not hold ------------------------------------------
def _json(tmp_path: Path, *records: dict) -> Path:
    path = tmp_path / "deals.json"
    rows = [{**ONE, "deal_value_usd": 100, "probability": 0.5, **r} for r in records]
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("deal_id", [2**70, 1e20, 2.5], ids=["2^70", "1e20", "fraction"])
def test_a_numeric_id_that_is_not_exact_is_refused_naming_it(
    tmp_path: Path, deal_id: object
) -> None:
    # 2^70 and 1e20 stopped DuckDB's cast to BIGINT: "cannot be used: Conversion Error"
    proc = run(
        "report", "--deals", _json(tmp_path, {"deal_id": deal_id}), "--reps", REPS, "--as-of", AS_OF
    )
    one_line(proc, "row 1", "column 'deal_id'", "is a number that is not an exact whole id")


def test_an_integer_beyond_2_53_is_located_not_a_traceback(tmp_path: Path) -> None:
    # ArrowInvalid "Integer value ... not in range" on the error path's cast to double, when
    # another row (D2's close date) sent the run there
    deals = _json(tmp_path, {"days_in_stage": 2**53 + 1}, {"deal_id": "D2", "close_date": "x"})
    proc = run("report", "--deals", deals, "--reps", REPS, "--as-of", AS_OF)
    one_line(proc, "row 1", "column 'days_in_stage'", "'9007199254740993'")


def test_two_json_keys_meaning_one_column_are_refused(tmp_path: Path) -> None:
    # the second was dropped silently, where CSV, Parquet and Excel refuse
    deals = _json(tmp_path, {"Deal Value USD": 5})
    proc = run("report", "--deals", deals, "--reps", REPS, "--as-of", AS_OF)
    one_line(proc, "'deal_value_usd' and 'Deal Value USD' are the same column")


# --- wrong readings refused or noted (item 5) ------------------------------------------------
def test_a_stage_left_before_it_was_entered_is_refused(tmp_path: Path) -> None:
    # velocity counted a negative stay
    history = tmp_path / "stages.csv"
    history.write_text(
        "deal_id,stage,entered_at,exited_at\nD1,Proposal,2026-10-01,2026-09-01\n"
        "D1,Negotiation,2026-10-05,\n",
        encoding="utf-8",
    )
    proc = run(
        "velocity", "--deals", FIXTURES / "deals.csv", "--stage-history", history,
        "--as-of", AS_OF,
    )  # fmt: skip
    one_line(proc, "line 2", "column 'exited_at'", "2026-09-01 is before entered_at 2026-10-01")


def test_an_excel_time_only_cell_is_refused(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["deal_id", "rep_id", "status", "deal_value_usd", "probability", "close_date"])
    sheet.append(["D1", "R1", "active", 100, 0.5, dt.date(2026, 12, 1)])
    sheet.append(["D2", "R1", "active", 100, 0.5, dt.time(10, 30)])
    path = tmp_path / "deals.xlsx"
    book.save(path)
    proc = run("report", "--deals", path, "--reps", REPS, "--as-of", AS_OF)
    one_line(proc, "row 2", "column 'close_date'", "a time of day without a date: 10:30:00")


def test_a_file_mixing_utf8_and_windows_1252_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes(
        DEALS.encode()
        + "D98,R1,active,100,0.5,3,,Señor,2026-12-01\n".encode()
        + "D99,R1,active,100,0.5,3,,Café,2026-12-01\n".encode("cp1252")
    )
    proc = run("validate", "--deals", path, "--reps", REPS, "--as-of", AS_OF)
    one_line(proc, "line 13", "not UTF-8", "line 12 is", "mixes encodings")


def test_a_windows_1252_file_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "deals.csv"
    path.write_bytes((DEALS + "D99,R1,active,100,0.5,3,,Café,2026-12-01\n").encode("cp1252"))
    report = report_json(path)
    assert "Café" in {s["stage"] for s in report["pipeline_by_stage"]}


def test_other_currencies_without_rates_are_a_warning(tmp_path: Path) -> None:
    lines = DEALS.splitlines()
    rows = [lines[0] + ",amount,currency"]
    rows += [line + (",100,EUR" if i < 3 else ",,USD") for i, line in enumerate(lines[1:])]
    path = tmp_path / "deals.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    quality = report_json(path)["data_quality"]
    found = [f for f in quality if f["check"] == "unconverted_currency"]
    assert len(found) == 1 and found[0]["severity"] == "warning" and found[0]["count"] == 3
    assert "EUR (3)" in found[0]["message"]


def test_json_nested_thousands_deep_is_refused(tmp_path: Path) -> None:
    # RecursionError in the engine's JSON reader
    path = tmp_path / "deals.json"
    path.write_text("[" * 5000 + "]" * 5000, encoding="utf-8")
    proc = run("report", "--deals", path, "--reps", REPS, "--as-of", AS_OF)
    one_line(proc, str(path), "is nested too deeply to read")


def test_an_empty_columns_list_is_refused_at_load(tmp_path: Path) -> None:
    # IndexError while the report read the mapping
    mapping, proc = _mapped(tmp_path, "report", "[deals]\nstage = { columns = [] }")
    one_line(proc, str(mapping), "deals.stage", "columns needs at least one column")
