"""Bad input as classes, each with its exact outcome: Excel's CSV flavours, separators, header
names, empty files, overflow, duplicate and undecodable columns, binary files, JSON risk flags,
and data-quality findings that never hide a changed number."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipereview.api import build_report, explain, validate
from pipereview.errors import InputError, PolicyError
from pipereview.policy import policy_from_dict
from tests.inputs.test_bad_input import AS_OF, GOOD_REPS, input_error, quality, write
from tests.support.cli import pipereview

HEADER = "deal_id,rep_id,status,deal_value_usd,probability,days_in_stage,risk_flags,stage"
ROWS = ("D1,R1,active,100,0.5,30,,Négociation", "D2,R2,won,50,1,0,,")


def deals(tmp_path: Path, text: str | bytes, name: str = "deals.csv") -> Path:
    return write(tmp_path, name, text)


def reps(tmp_path: Path) -> Path:
    return write(tmp_path, "reps.csv", GOOD_REPS)


def summary(report) -> tuple:  # type: ignore[no-untyped-def]
    s = report.pipeline_summary
    return (s.total_deals, s.active_deals, s.won_deals, float(s.total_pipeline_value))


# --- Excel's CSV flavours ----------------------------------------------------------------------
def test_utf8_bom_and_crlf(tmp_path: Path) -> None:
    text = "\ufeff" + "\r\n".join((HEADER, *ROWS)) + "\r\n"
    report = build_report(deals(tmp_path, text.encode()), reps(tmp_path), as_of=AS_OF)
    assert summary(report) == (2, 1, 1, 100.0)
    assert [f.observed["stage"] for f in report.flags if f.rule == "stalled_deal"] == [
        "Négociation"
    ]
    assert "read_as" not in {i.check for i in report.data_quality}


def test_windows_1252_is_read_and_noted(tmp_path: Path) -> None:
    text = "\r\n".join((HEADER, *ROWS)) + "\r\n"
    report = build_report(deals(tmp_path, text.encode("cp1252")), reps(tmp_path), as_of=AS_OF)
    assert [f.observed["stage"] for f in report.flags if f.rule == "stalled_deal"] == [
        "Négociation"
    ]
    assert quality(report, "deals")["read_as"] == (1, [])
    item = next(i for i in report.data_quality if i.check == "read_as")
    assert item.message == "The deals file was read as Windows-1252 (it is not UTF-8)."


def test_windows_1252_json(tmp_path: Path) -> None:
    text = '[{"deal_id": "D1", "rep_id": "R1", "status": "active", "deal_value_usd": 10,'
    text += ' "probability": 0.5, "stage": "Négociation"}]'
    report = build_report(
        deals(tmp_path, text.encode("cp1252"), "deals.json"), reps(tmp_path), as_of=AS_OF
    )
    assert summary(report) == (1, 1, 0, 10.0)


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolons"), ("\t", "tabs")])
def test_other_separators_are_detected(tmp_path: Path, sep: str, name: str) -> None:
    text = "\n".join(line.replace(",", sep) for line in (HEADER, *ROWS)) + "\n"
    report = build_report(deals(tmp_path, text), reps(tmp_path), as_of=AS_OF)
    assert summary(report) == (2, 1, 1, 100.0)
    item = next(i for i in report.data_quality if i.check == "read_as")
    assert item.message == f"The deals file was separated by {name} ({sep!r})."


def test_errors_name_the_line_a_spreadsheet_shows(tmp_path: Path) -> None:
    # header = line 1; the quoted stage spans two lines, so data row 3 starts on line 5
    text = (
        HEADER
        + '\nD1,R1,active,1,0.5,1,,"two\nlines"\nD2,R1,active,2,0.5,1,,\nD3,R1,active,x,0.5,1,,\n'
    )
    path = deals(tmp_path, text)
    err = input_error(path, reps(tmp_path))
    assert (err.row, err.line) == (3, 5)
    assert str(err).startswith(f"{path}, line 5, column 'deal_value_usd': not a number: 'x'")


# --- header names --------------------------------------------------------------------------------
def test_header_names_match_case_and_space_insensitively(tmp_path: Path) -> None:
    header = " Deal ID,REP_ID,Status,Deal-Value-USD,probability,days_in_stage,risk_flags,stage"
    report = build_report(deals(tmp_path, "\n".join((header, *ROWS))), reps(tmp_path), as_of=AS_OF)
    assert summary(report) == (2, 1, 1, 100.0)


def test_every_missing_column_at_once_with_a_right_suggestion(tmp_path: Path) -> None:
    path = deals(tmp_path, "deal_id,rep_id,status,value,prob\nD1,R1,active,1,0.5\n")
    err = input_error(path, reps(tmp_path))
    assert str(err) == (
        f"{path}: required columns missing: deal_value_usd, probability "
        "(columns found: deal_id, rep_id, status, value, prob)"
    )
    near = deals(tmp_path, "deal_id,rep_id,status,deal_value,probabilty\nD1,R1,active,1,0.5\n")
    assert str(input_error(near, reps(tmp_path))) == (
        f"{near}: required columns missing: deal_value_usd, probability (did you mean "
        "'deal_value' for deal_value_usd?, 'probabilty' for probability?)"
    )


@pytest.mark.parametrize("header", ["deal_id,deal_id", " deal_id,deal_id", "deal_id,Deal ID"])
def test_duplicate_columns_are_refused(tmp_path: Path, header: str) -> None:
    first, second = header.split(",")
    path = deals(
        tmp_path, f"{header},rep_id,status,deal_value_usd,probability\nD1,D1,R1,active,1,0.5\n"
    )
    err = input_error(path, reps(tmp_path))
    assert str(err) == (
        f"{path}, column 'deal_id': columns {first!r} and {second!r} are the same column "
        "(remove or rename one of them)"
    )


def test_header_only_deals_is_an_empty_pipeline(tmp_path: Path) -> None:
    path = deals(tmp_path, HEADER + "\n")
    report = build_report(path, reps(tmp_path), as_of=AS_OF)
    assert summary(report) == (0, 0, 0, 0.0)
    proc = pipereview(
        "report",
        "--deals",
        str(path),
        "--reps",
        str(reps(tmp_path)),
        "--format",
        "json",
        "--allow-empty",  # without it the report stops, as validate does (D43)
    )
    assert proc.returncode == 0, proc.stderr


# --- values ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "column", "message"),
    [
        ("1e20", "deal_value_usd", "too large for an amount: '1e20'"),
        ("99999999999999999999999", "deal_value_usd", "too large for an amount"),
        ("1e400", "deal_value_usd", "not a finite number: '1e400'"),
        ("NaNx", "deal_value_usd", "not a number: 'NaNx'"),
    ],
)
def test_overflow_is_refused_naming_the_value(
    tmp_path: Path, value: str, column: str, message: str
) -> None:
    path = deals(
        tmp_path, f"deal_id,rep_id,status,deal_value_usd,probability\nD1,R1,active,{value},0.5\n"
    )
    err = input_error(path, reps(tmp_path))
    assert (err.line, err.column) == (2, column)
    assert message in str(err)


def test_infinite_days_and_scores_are_refused(tmp_path: Path) -> None:
    path = deals(
        tmp_path,
        "deal_id,rep_id,status,deal_value_usd,probability,days_in_stage\nD1,R1,active,1,0.5,1e400\n",
    )
    err = input_error(path, reps(tmp_path))
    assert (err.line, err.column) == (2, "days_in_stage")
    assert "not a finite number: '1e400'" in str(err)


def test_ids_that_look_like_numbers_stay_text(tmp_path: Path) -> None:
    path = deals(
        tmp_path, "deal_id,rep_id,status,deal_value_usd,probability\n1e20,R1,active,1,0.5\n"
    )
    report = build_report(path, reps(tmp_path), as_of=AS_OF)
    assert report.rep_performance[0].top_opportunities == ["1e20"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x1f\x8b\x08\x00rest", "is a gzip archive, not a text file (unzip it first)"),
        (b"PK\x03\x04rest", "is a zip archive (an Excel .xlsx is one), not a text file"),
        (b"\x89PNG\r\n\x1a\n", "is a PNG image, not a text file"),
        (b"a,b\x00\x00\x00c", "is a binary file, not text (export the data as UTF-8 CSV)"),
    ],
)
def test_binary_files_get_one_clear_line(tmp_path: Path, content: bytes, message: str) -> None:
    path = deals(tmp_path, content)
    assert str(input_error(path, reps(tmp_path))).startswith(f"{path}: {message}")


def test_unclosed_quote_names_the_line_it_opens_on(tmp_path: Path) -> None:
    rows = 'D1,R1,active,1,0.5,1,,x\nD2,R1,active,1,0.5,1,,"Proposal\nD3,R1,active,1,0.5,1,,x\n'
    path = deals(tmp_path, f"{HEADER}\n{rows}", "d.csv")  # a name without "quote" in it
    assert str(input_error(path, reps(tmp_path))) == (
        f"{path}, line 3: has a quote that is never closed (close the quoted value, or write "
        'a quote inside one as "")'
    )


def test_risk_flags_json_is_parsed_as_json(tmp_path: Path) -> None:
    rows = [
        'D1,R1,active,1,0.5,1,"[""budget, cut""]"',
        "D2,R1,active,1,0.5,1,[null]",
        'D3,R1,active,1,0.5,1,"[""a"", null, ""b""]"',
        "D4,R1,active,1,0.5,1,a;b",
    ]
    path = deals(tmp_path, HEADER.rsplit(",", 1)[0] + "\n" + "\n".join(rows) + "\n")
    verdicts = {
        d: explain(d, path, reps(tmp_path), as_of=AS_OF)[1] for d in ("D1", "D2", "D3", "D4")
    }
    assert {d: v.observed["risk_flags"] for d, v in verdicts.items()} == {
        "D1": ["budget, cut"],
        "D2": [],
        "D3": ["a", "b"],
        "D4": ["a", "b"],
    }
    assert not verdicts["D2"].fired


# --- data quality never hides a changed number ----------------------------------------------------
def test_blank_values_negatives_and_mismatches_are_reported(tmp_path: Path) -> None:
    path = deals(
        tmp_path,
        "deal_id,rep_id,status,deal_value_usd,probability\n"
        "D1,R1,active,,0.5\nD2,R1,active,100,\nD3,R2,active,-5,0.5\nD4,R9,active,1,0.5\nD5,R9,lost,1,0\n",
    )
    found = quality(build_report(path, reps(tmp_path), as_of=AS_OF), "deals")
    assert found["missing_value"] == (1, ["D1"])
    assert found["missing_probability"] == (1, ["D2"])
    assert found["negative_value"] == (1, ["D3"])
    assert found["orphan_deal"] == (2, ["R9 (2 deals)"])


def test_a_finding_lists_its_first_five_examples_by_key(tmp_path: Path) -> None:
    """Seven repeated ids and seven unknown reps: each finding counts all seven and shows
    the first five by key, lowest first."""
    rows = "".join(f"D{i},X{i},active,1,0.5\nD{i},X{i},lost,2,0\n" for i in (7, 3, 5, 1, 6, 2, 4))
    path = deals(tmp_path, "deal_id,rep_id,status,deal_value_usd,probability\n" + rows)
    found = quality(build_report(path, reps(tmp_path), as_of=AS_OF), "deals")
    assert found["duplicate_deal_id"] == (7, [f"D{i} (2 rows)" for i in range(1, 6)])
    assert found["orphan_deal"] == (14, [f"X{i} (2 deals)" for i in range(1, 6)])


def test_validate_exits_1_when_the_report_would_be_meaningless(tmp_path: Path) -> None:
    path = deals(tmp_path, "deal_id,rep_id,status,deal_value_usd,probability\nD1,X1,Open,1,0.5\n")
    items = {i.check: i for i in validate(path, reps(tmp_path))}
    assert items["no_known_status"].severity == "error"
    assert items["no_deal_joins_rep"].severity == "error"
    assert items["no_deal_joins_rep"].examples == ["deal rep_id X1 vs reps rep_id R1"]
    proc = pipereview(
        "validate",
        "--deals",
        str(path),
        "--reps",
        str(reps(tmp_path)),
    )
    assert proc.returncode == 1
    assert "no_deal_joins_rep, no_known_status" in proc.stderr
    assert "Closed Won -> won" in proc.stdout


# --- policy ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "text"),
    [
        (
            {"reps": {"needs_coaching_below": 70}},
            "key 'reps.needs_coaching_below': is a ratio between 0 and 1 (0.7 = 70%), got 70 "
            "(did you mean 0.70?)",
        ),
        (
            {"trajectory": {"trend_band_pct": 2.0}},
            "key 'trajectory.trend_band_pct': was renamed to 'trajectory.trend_band', a ratio "
            "between 0 and 1 (write trend_band = 0.02)",
        ),
        (
            {"trajectory": {"coaching_risk_velocity": "rising"}},
            "key 'trajectory.coaching_risk_velocity': input should be 'increasing', 'stable' or "
            "'decreasing' (got 'rising')",
        ),
    ],
)
def test_policy_ranges_and_enums(data: dict, text: str) -> None:
    with pytest.raises(PolicyError) as info:
        policy_from_dict(data)
    assert text in str(info.value)


def test_policy_as_a_dict_and_per_stage_stalls(tmp_path: Path) -> None:
    path = deals(
        tmp_path,
        "\n".join(
            (HEADER, "D1,R1,active,1,0.5,15,,Negotiation", "D2,R1,active,1,0.5,15,,Proposal")
        ),
    )
    policy = {"pipeline": {"stalled_days_by_stage": {" negotiation ": 14}}}
    report = build_report(path, reps(tmp_path), as_of=AS_OF, policy=policy)
    flags = [f for f in report.flags if f.rule == "stalled_deal"]
    assert [f.subject_id for f in flags] == ["D1"]
    assert flags[0].thresholds == {"stalled_days_by_stage": {" negotiation ": 14}}
    assert "at or above the 14-day threshold for  negotiation " in flags[0].message
    with pytest.raises(PolicyError, match=r"did you mean 'pipeline\.stalled_deal_days_in_stage'"):
        build_report(
            path, reps(tmp_path), as_of=AS_OF, policy={"pipeline": {"stalled_deal_day": 3}}
        )


def test_policy_of_another_type_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        build_report(deals(tmp_path, HEADER + "\n"), reps(tmp_path), as_of=AS_OF, policy=5)  # type: ignore[arg-type]
    assert str(info.value) == (
        "cannot use a int as a policy (pass a Policy, a TOML file path or a mapping of sections)"
    )


def test_memory_input_names_every_missing_column() -> None:
    with pytest.raises(InputError) as info:
        build_report([{"deal_id": "D1"}], [{"rep_id": "R1"}], as_of=AS_OF)
    assert str(info.value) == (
        "deals (list of dicts): required columns missing: rep_id, status, deal_value_usd, "
        "probability (columns found: deal_id)"
    )


def test_capped_flag_list_cuts_duplicate_ids_by_content(tmp_path: Path) -> None:
    # Two rows of deal D1 tie on priority (value) and id; the cap of 1 must keep the same one
    # whatever the row order: the first by content (stage "A" before "B").
    rows = ["D1,R1,active,100,0.5,30,,B", "D1,R1,active,100,0.5,30,,A", "D0,R1,active,50,0.5,30,,C"]
    policy = {"flags": {"max_per_rule": 1}}
    shown = []
    for order in (rows, rows[::-1]):
        path = deals(tmp_path, "\n".join((HEADER, *order)) + "\n", f"d{len(shown)}.csv")
        report = build_report(path, reps(tmp_path), as_of=AS_OF, policy=policy)
        stalled = [f for f in report.flags if f.rule == "stalled_deal"]
        shown.append([(f.subject_id, f.observed["stage"]) for f in stalled])
        assert next(c for c in report.flag_counts if c.rule == "stalled_deal").total == 3
    assert shown == [[("D1", "A")], [("D1", "A")]]


def test_a_sentence_keeps_every_decimal_its_comparison_needs(tmp_path: Path) -> None:
    # 69,999.9999 / 100,000 = 0.699999999: at 6 decimals of a percent it would read
    # "70% ... below the 70% threshold". (Money is shown to the cent, so $70,000.00.)
    path = write(
        tmp_path,
        "reps.csv",
        "rep_id,rep_name,quota_usd,year_to_date_revenue_usd\nR1,Ann,100000,69999.9999\n",
    )
    flags = build_report(deals(tmp_path, HEADER + "\n"), path, as_of=AS_OF).flags
    flag = next(f for f in flags if f.rule == "needs_coaching")
    assert flag.observed["quota_achievement"] == 0.699999999
    assert flag.message == (
        "Rep R1 (Ann) has achieved 69.9999999% of quota ($70,000.00 of $100,000.00 year to "
        "date), below the 70% threshold."
    )


def test_policy_constructors_say_did_you_mean() -> None:
    from pipereview.policy import Policy, RepsPolicy

    for make in (
        lambda: Policy(reps={"needs_coachng_below": 0.5}),
        lambda: RepsPolicy(needs_coachng_below=0.5),
    ):
        with pytest.raises(PolicyError) as info:
            make()
        assert str(info.value) == (
            "<policy>, key 'reps.needs_coachng_below': unknown key "
            "(did you mean 'reps.needs_coaching_below'?)"
        )
    with pytest.raises(PolicyError, match=r"key 'pipelin': unknown key \(did you mean"):
        Policy(pipelin={})  # type: ignore[call-arg]


def test_a_share_never_reads_as_a_whole_100_or_0_percent_when_it_is_not(tmp_path: Path) -> None:
    # 100,000 -> 14.90 is a fall of 99.9851%; rounded to one place it would say "fell 100%".
    path = write(
        tmp_path,
        "reps.csv",
        "rep_id,rep_name,current_pipeline_value,previous_pipeline_value\nR1,Ann,14.90,100000\n",
    )
    flags = build_report(deals(tmp_path, HEADER + "\n"), path, as_of=AS_OF).flags
    flag = next(f for f in flags if f.rule == "pipeline_declining")
    assert flag.observed["pipeline_change_pct"] == -99.99
    assert flag.message == (
        "Rep R1 (Ann)'s pipeline fell 99.99% ($100,000.00 to $14.90), more than the 2% band."
    )
