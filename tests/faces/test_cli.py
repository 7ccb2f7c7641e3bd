"""End to end: the CLI — outputs, exit codes, one-line errors.

The end-to-end tests run ``python -m pipereview`` in a subprocess (``process``): the report
written as JSON to a file and validated, every text format on stdout, a missing file and a bad
value as one-line errors with exit code 1, usage errors with exit code 2, ``--help`` importing
no engine, the help and version habits. The other tests (and the other test modules) run the
same command line in this process (``run``, tests/support/cli.py), which gives the same
stdout, stderr and exit code at a fraction of the cost."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema

from pipereview.report import Report
from tests.support.cli import pipereview as run

SCHEMA = Path(__file__).parents[2] / "src" / "pipereview" / "schemas" / "report.schema.json"


def process(
    *args: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``pipereview ARGS`` in a subprocess (``env`` added to this one's environment; a
    terminal table is 120 columns wide unless ``env`` says otherwise)."""
    return subprocess.run(
        [sys.executable, "-m", "pipereview", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "COLUMNS": "120", **(env or {})},
    )


def test_report_json_to_file_validates_against_schema(small_files, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    proc = process(
        "report",
        "--deals",
        small_files[0],
        "--reps",
        small_files[1],
        "--as-of",
        "2026-11-20",
        "--format",
        "json",
        "--output",
        out,
    )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    assert data["pipeline_summary"]["total_deals"] == 10
    assert data["as_of"] == "2026-11-20"
    assert Report.model_validate(data).to_json() == out.read_text()


def test_report_formats_to_stdout(small_files) -> None:
    for fmt, marker in (
        ("table", "Where the quarter will land"),
        ("markdown", "# Pipeline review"),
        ("json", '"schema_version"'),
    ):
        proc = process(
            "report",
            "--deals",
            small_files[0],
            "--reps",
            small_files[1],
            "--as-of",
            "2026-11-20",
            "--format",
            fmt,
        )
        assert proc.returncode == 0, proc.stderr
        assert marker in proc.stdout


def test_missing_file_is_one_line_exit_1(small_files, tmp_path: Path) -> None:
    proc = process("report", "--deals", tmp_path / "nope.csv", "--reps", small_files[1])
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: {tmp_path / 'nope.csv'}: file not found (check the --deals path)"
    ]
    assert "Traceback" not in proc.stderr


def test_bad_value_names_file_row_column(small_files, tmp_path: Path) -> None:
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "deal_id,rep_id,status,deal_value_usd,probability\n"
        "A,R1,active,100,0.5\nB,R1,active,12x,0.5\n"
    )
    proc = process("report", "--deals", deals, "--reps", small_files[1])
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"error: {deals}, line 3, column 'deal_value_usd': not a number: '12x' "
        "(write plain numbers such as 1200.50, without currency signs)"
    )


def test_bad_policy_is_exit_1_with_key(small_files, tmp_path: Path) -> None:
    policy = tmp_path / "p.toml"
    policy.write_text("[pipeline]\nstalled_deal_days = 3\n")
    proc = run("report", "--deals", small_files[0], "--reps", small_files[1], "--policy", policy)
    assert proc.returncode == 1
    assert "key 'pipeline.stalled_deal_days': unknown key" in proc.stderr
    assert "did you mean 'pipeline.stalled_deal_days_in_stage'?" in proc.stderr


def test_usage_errors_exit_2(small_files) -> None:
    assert process("report", "--deals", small_files[0]).returncode == 2
    assert (
        process(
            "report", "--deals", small_files[0], "--reps", small_files[1], "--as-of", "20-11-2026"
        ).returncode
        == 2
    )
    assert (
        process(
            "report", "--deals", small_files[0], "--reps", small_files[1], "--format", "pdfx"
        ).returncode
        == 2
    )


def test_policy_init_writes_loadable_defaults(tmp_path: Path) -> None:
    target = tmp_path / "pipereview.toml"
    assert run("policy", "init", "--output", target).returncode == 0
    from pipereview.policy import Policy, load_policy

    assert load_policy(target) == Policy()
    again = run("policy", "init", "--output", target)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_explain_and_validate(small_files) -> None:
    files = ("--deals", small_files[0], "--reps", small_files[1])
    proc = run("explain", "D1", *files, "--as-of", "2026-11-20")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("D1: 2 of 5 rule verdicts raise a flag\n")
    # D1 closes 2026-12-15: not past it on 2026-11-20, 1 day past it on 2026-12-16
    assert (
        "[ok] Past its close date (past_close_date): Deal D1's close date 2026-12-15 is not "
        "before 2026-11-20"
    ) in proc.stdout
    later = run("explain", "D1", *files, "--as-of", "2026-12-16")
    assert later.stdout.startswith("D1: 3 of 5 rule verdicts raise a flag\n")
    assert "is still active 1 day after its close date 2026-12-15" in later.stdout
    assert "[FLAG warning] Stalled (stalled_deal): Deal D1 in stage Proposal" in proc.stdout
    assert "[FLAG warning] At risk (at_risk_deal): Deal D1 carries 2 risk flags" in proc.stdout
    quiet = run("explain", "R1", "--deals", small_files[0], "--reps", small_files[1])
    assert "[ok] Needs coaching (needs_coaching): " in quiet.stdout
    unknown = run("explain", "NOPE", "--deals", small_files[0], "--reps", small_files[1])
    assert unknown.returncode == 1 and "no deal or rep with id 'NOPE'" in unknown.stderr
    checked = run("validate", "--deals", small_files[0], "--reps", small_files[1])
    assert checked.returncode == 0
    assert "warning: deals.duplicate_deal_id:" in checked.stdout


def test_demo_writes_data_and_reports(tmp_path: Path) -> None:
    proc = run("demo", "--out", tmp_path / "demo")
    assert proc.returncode == 0, proc.stderr
    for name in ("deals.csv", "reps.csv", "report.json", "report.md"):
        assert (tmp_path / "demo" / name).stat().st_size > 0
    data = json.loads((tmp_path / "demo" / "report.json").read_text())
    assert data["pipeline_summary"]["total_deals"] == 5000
    assert len(data["rep_performance"]) == 40


def test_help_imports_no_engine() -> None:
    code = (
        "import sys\nsys.argv = ['pipereview', '--help']\n"
        "from pipereview.cli import app\ntry:\n    app()\nexcept SystemExit:\n    pass\n"
        "heavy = ('ibis', 'polars', 'pyspark', 'pandas', 'duckdb', 'pyarrow')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "[]"


def test_memory_limit_gives_the_same_report(demo_files, tmp_path: Path) -> None:
    args = ("report", "--deals", demo_files[0], "--reps", demo_files[1], "--as-of",
            "2026-11-20", "--format", "json")  # fmt: skip
    plain = run(*args)
    limited = run(*args, "--memory-limit", "512MB")
    assert plain.returncode == limited.returncode == 0, limited.stderr
    assert limited.stdout == plain.stdout


def test_bad_memory_limit_is_one_line(small_files) -> None:
    proc = run("report", "--deals", small_files[0], "--reps", small_files[1],
               "--memory-limit", "lots")  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: cannot start DuckDB:")
    assert "Traceback" not in proc.stderr


def test_too_little_memory_is_an_engine_error(demo_files) -> None:
    proc = run("report", "--deals", demo_files[0], "--reps", demo_files[1],
               "--memory-limit", "16MB")  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith("error: the engine ran out of memory")
    assert proc.stderr.rstrip().endswith("(raise --memory-limit (or leave it unset))")


def test_spark_options_need_the_spark_engine(small_files) -> None:
    proc = run("report", "--deals", small_files[0], "--reps", small_files[1],
               "--spark-master", "spark://127.0.0.1:7077")  # fmt: skip
    assert proc.returncode == 2
    assert "need --engine spark" in " ".join(re.sub("[│╭╮╰╯─]", " ", proc.stderr).split())


def test_memory_limit_beside_a_postgres_store_computes_in_duckdb(tmp_path: Path) -> None:
    # A PostgreSQL store makes its server the default engine; --memory-limit asks for DuckDB
    # (the store then copies the rows over), it is not a refused option of --source.
    import pytest
    import typer

    from pipereview.cli.common import EngineName, engine_for

    url = "postgresql://someone@127.0.0.1:1/nowhere"  # never connected to here
    chosen = engine_for(EngineName.duckdb, "1GB", None, None, store=url)
    assert chosen.name == "duckdb"
    assert engine_for(EngineName.duckdb, None, None, None, store=tmp_path / "s.duckdb").name == (
        "duckdb"
    )
    with pytest.raises(typer.BadParameter, match="leave out --engine, --memory-limit"):
        engine_for(EngineName.duckdb, "1GB", None, None, source=url)


def test_output_problems_fail_before_the_report_is_computed(tmp_path: Path) -> None:
    # the deals file does not exist: a check made after the report would name it instead
    base = ["report", "--deals", tmp_path / "missing.csv", "--reps", tmp_path / "r.csv"]
    wrong = run(*base, "--format", "pdf", "--output", tmp_path / "r.html")
    assert wrong.returncode == 1
    assert wrong.stderr.startswith(f"error: {tmp_path / 'r.html'}: a .html file would get PDF")
    nodir = run(*base, "--format", "md", "--output", tmp_path / "no" / "r.md")
    assert nodir.returncode == 1 and "does not exist" in nodir.stderr
    assert "missing.csv" not in nodir.stderr
    forecast = run("forecast", "--deals", tmp_path / "missing.csv", "--reps", tmp_path / "r.csv",
                   "--format", "json", "--output", tmp_path / "f.pdf")  # fmt: skip
    assert forecast.returncode == 1 and "a .pdf file would get JSON" in forecast.stderr
    full = run(*base, "--format", "json", "--full")
    assert full.returncode == 2 and "--full" in full.stderr


def test_cli_habits(tmp_path: Path) -> None:
    from importlib.metadata import version

    assert process("--version").stdout == f"pipereview {version('pipereview')}\n"
    short, long = process("-h"), process("--help")
    assert short.returncode == 0 and short.stdout == long.stdout
    panel = short.stdout.split("Commands")[1]
    commands = [line.split()[1] for line in panel.splitlines() if line.startswith("│ ")]
    assert commands[:3] == ["report", "validate", "demo"]
    for command in ("report", "forecast", "velocity", "flow", "explain", "serve", "snapshot"):
        shown = process(command, "-h", env={"COLUMNS": "200"}).stdout
        for python_type in ("<str>", "<bool>", "<path>", "<list[str]>", "<int>"):
            assert python_type not in shown, (command, python_type)
    report_help = " ".join(process("report", "-h", env={"COLUMNS": "200"}).stdout.split())
    assert "--deals FILE Deals file" in report_help and "--as-of DATE" in report_help
    assert "Required, unless --source" in report_help
    presets = process("preset", "list")
    assert presets.returncode == 0
    assert [line.split()[0] for line in presets.stdout.splitlines()] == [
        "salesforce",
        "salesforce-report",
        "hubspot",
    ]


def test_the_in_process_runner_gives_what_a_process_gives(small_files, tmp_path: Path) -> None:
    # the runner the other CLI tests use (tests/support/cli.py) against a real process: the
    # same stdout, stderr and exit code for a table, a file written, a user error and a usage
    # error (Click's program name and Rich's panel width in it)
    files = ("--deals", small_files[0], "--reps", small_files[1], "--as-of", "2026-11-20")
    for args in (
        ("report", *files),
        ("report", *files, "--format", "md", "--output", tmp_path / "r.md"),
        ("report", "--deals", tmp_path / "nope.csv", "--reps", small_files[1]),
        ("report", "--deals", small_files[0], "--as-of", "20-11-2026"),
    ):
        here, there = run(*args), process(*args)
        assert (here.returncode, here.stdout, here.stderr) == (
            there.returncode,
            there.stdout,
            there.stderr,
        ), args
