"""Inputs that crashed a command with a traceback (issue 32, item 4): policy values that
loaded but broke the report, damaged snapshot stores, and a ``--source`` file that is not a
DuckDB database. Each is now one line on stderr naming the input, and exit 1; run through
the CLI in a subprocess, as a user meets it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pipereview import api
from tests.conftest import AS_OF
from tests.faces.test_cli import process as run


def _one_line(proc: object, *expected: str) -> str:
    """The single error line of a failed command, holding each of ``expected``."""
    assert proc.returncode == 1, proc.stderr  # type: ignore[attr-defined]
    err: str = proc.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith("error: "), err
    for text in expected:
        assert text in err, err
    return err


# --- policy values the report cannot run are refused when the policy loads ------------------
@pytest.mark.parametrize(
    ("toml", "key", "said"),
    [
        ("[forecast]\nlow_coverage_below = inf", "forecast.low_coverage_below", "finite"),
        ("[forecast]\nlow_coverage_below = nan", "forecast.low_coverage_below", "finite"),
        ("[forecast]\nlow_coverage_below = 1e300", "forecast.low_coverage_below", "1000"),
        ("[pipeline]\nhigh_probability = nan", "pipeline.high_probability", "finite"),
        ("[trajectory]\nrisk_velocity_band = inf", "trajectory.risk_velocity_band", "finite"),
        (
            "[pipeline]\nstalled_deal_days_in_stage = 100000000000000000000",
            "pipeline.stalled_deal_days_in_stage",
            "2147483647",
        ),
        (
            "[pipeline]\nextreme_days_in_stage = 9223372036854775807",
            "pipeline.extreme_days_in_stage",
            "2147483647",
        ),
        (
            "[pipeline.stalled_days_by_stage]\nProposal = 100000000000000000000",
            "pipeline.stalled_days_by_stage",
            "'Proposal' must be between 0 and 2147483647",
        ),
        ("[flags]\nmax_per_rule = 100000000000000000000", "flags.max_per_rule", "2147483647"),
        ("[flags]\nmax_per_rule = -1", "flags.max_per_rule", "greater than or equal to 0"),
        ("[output]\npdf_rows = 100000000000000000000", "output.pdf_rows", "2147483647"),
        ("[currency.rates]\nEUR = nan", "currency.rates.EUR", "finite"),
        ("[currency.rates]\nEUR = inf", "currency.rates.EUR", "finite"),
        ("[currency.rates]\nEUR = 1e12", "currency.rates", "between 0.00000001 and"),
        ("[currency.rates]\nEUR = 1e-12", "currency.rates", "between 0.00000001 and"),
    ],
)
def test_a_policy_the_report_cannot_run_is_refused_at_load(
    small_files: tuple[Path, Path], tmp_path: Path, toml: str, key: str, said: str
) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text(toml + "\n", encoding="utf-8")
    deals, reps = small_files
    proc = run(
        "report", "--deals", deals, "--reps", reps, "--policy", policy, "--as-of", "2026-11-20"
    )
    _one_line(proc, f"{policy}, key '{key}'", said)


def test_a_negative_zero_threshold_is_zero(small_files: tuple[Path, Path], tmp_path: Path) -> None:
    # -0.0 loaded as it was: "-0.0" in the report's thresholds and another fingerprint
    deals, reps = small_files
    texts = []
    for zero in ("-0.0", "0.0"):
        policy = tmp_path / f"p{zero}.toml"
        policy.write_text(f"[trajectory]\ntrend_band = {zero}\n", encoding="utf-8")
        args = ("--policy", policy, "--as-of", "2026-11-20", "--format", "json")
        proc = run("report", "--deals", deals, "--reps", reps, *args)
        assert proc.returncode == 0, proc.stderr
        texts.append(proc.stdout)
    assert "-0.0" not in texts[0]
    assert json.loads(texts[0])["policy_fingerprint"] == json.loads(texts[1])["policy_fingerprint"]


# --- damaged stores: one line naming the store -----------------------------------------------
EARLIER, LATER = AS_OF - dt.timedelta(days=7), AS_OF


@pytest.fixture(scope="module")
def store(small_files: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with two snapshots, written by pipereview."""
    path = tmp_path_factory.mktemp("store") / "good.duckdb"
    for day in (EARLIER, LATER):
        api.snapshot(*small_files, as_of=day, store=path)
    return path


DAMAGE = {
    "version": ("UPDATE pipereview_meta SET value = '1.5' WHERE key = 'schema_version'", None),
    "two_rows": ("INSERT INTO snapshots SELECT * FROM snapshots WHERE as_of = ?", LATER),
    "not_json": ("UPDATE snapshots SET report = 'not json {' WHERE as_of = ?", LATER),
    "unknown_key": (
        "UPDATE snapshots SET report = json_merge_patch(report, '{\"bogus\": 1}') WHERE as_of = ?",
        LATER,
    ),
}
SAID = {
    "version": "its schema version is '1.5', not a whole number",
    "two_rows": f"with more than one snapshot row ({LATER.isoformat()})",
    "not_json": f"the report stored for {LATER.isoformat()} is not a pipereview report",
    "unknown_key": "(bogus: extra inputs are not permitted)",
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_store_is_one_line_naming_it(
    store: Path, small_files: tuple[Path, Path], tmp_path: Path, damage: str
) -> None:
    damaged = tmp_path / "damaged.duckdb"
    shutil.copy(store, damaged)
    sql, day = DAMAGE[damage]
    with duckdb.connect(str(damaged)) as con:
        con.execute(sql, [] if day is None else [day])
    deals, reps = small_files
    commands = [
        ("history", "show", LATER.isoformat(), "--store", damaged, "--format", "json"),
        ("report", "--deals", deals, "--reps", reps, "--as-of", "2026-11-27", "--store", damaged),
    ]
    if damage in ("version", "two_rows"):
        commands.append(("history", "list", "--store", damaged))
    for command in commands:
        _one_line(run(*command), f"error: {damaged}: damaged store: ", SAID[damage])
    if damage != "version":  # the damaged date can be deleted and taken again
        assert run("history", "delete", LATER.isoformat(), "--store", damaged).returncode == 0
        assert run("history", "list", "--store", damaged).returncode == 0


# --- a --source that is not a DuckDB database -------------------------------------------------
def test_a_source_that_is_not_a_duckdb_database(tmp_path: Path, store: Path) -> None:
    text = tmp_path / "notes.csv"
    text.write_text("a,b\n1,2\n", encoding="utf-8")
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(store.read_bytes()[:4096])  # DuckDB's header, then nothing
    for source, said in (
        ("duckdb:///etc/passwd", "is not a DuckDB database file"),
        (f"duckdb://{text}", "is not a DuckDB database file"),
        (f"duckdb://{cut}", "cannot open as a DuckDB database"),
    ):
        tables = ("--deals-table", "deals", "--reps-table", "reps", "--as-of", "2026-11-20")
        _one_line(run("report", "--source", source, *tables), f"error: {source}: ", said)
