"""``--output`` and ``demo --out`` never overwrite what the user owns (issue 32, item 3): an
input of the run (by name, through a symlink, as a hard link), a file of another kind (even
under a name that claims the format, and through a symlink), and a demo folder that is not
empty. Each refusal comes before the work: given an unreadable deals file as well, the output
is refused first. Run through the CLI (in this process: tests/support/cli.py)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pipereview import api
from tests.conftest import AS_OF
from tests.support.cli import pipereview as run

REPORT_ARGS = ("--as-of", AS_OF.isoformat())


@pytest.fixture()
def files(small_files: tuple[Path, Path], tmp_path: Path) -> Path:
    """A folder with deals.csv, reps.csv and the user's other files, as the user keeps them."""
    for path in small_files:
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "policy.toml").write_text("[flags]\nmax_per_rule = 50\n", encoding="utf-8")
    (tmp_path / "stages.csv").write_text("stage,probability\nProposal,0.4\n", encoding="utf-8")
    (tmp_path / "rates.csv").write_text("currency,rate\nEUR,1.1\n", encoding="utf-8")
    (tmp_path / "quotas.csv").write_text(
        "rep_id,period_start,quota\nR1,2026-10-01,1000\n", encoding="utf-8"
    )
    (tmp_path / "history.csv").write_text(
        "deal_id,stage,entered_at\nD1,Proposal,2026-10-01\n", encoding="utf-8"
    )
    (tmp_path / "fields.csv").write_text(
        "deal_id,field,old_value,new_value,changed_at\nD1,stage,,Proposal,2026-10-01\n",
        encoding="utf-8",
    )
    (tmp_path / "mapping.toml").write_text("# the user's mapping\n", encoding="utf-8")
    return tmp_path


def _untouched(path: Path, before: bytes) -> None:
    assert path.read_bytes() == before, f"{path} was overwritten"


def _refused(proc: subprocess.CompletedProcess[str], *said: str) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr, proc.stderr
    for text in said:
        assert text in proc.stderr, proc.stderr


@pytest.mark.parametrize(
    ("option", "name", "fmt"),
    [
        ("--deals", "deals.csv", "table"),
        ("--reps", "reps.csv", "table"),
        ("--policy", "policy.toml", "markdown"),
        ("--stages", "stages.csv", "table"),
        ("--rates", "rates.csv", "table"),
        ("--quotas", "quotas.csv", "table"),
        ("--stage-history", "history.csv", "table"),
        ("--field-history", "fields.csv", "table"),
        ("--mapping", "mapping.toml", "markdown"),
    ],
)
def test_report_never_writes_over_one_of_its_inputs(
    files: Path, option: str, name: str, fmt: str
) -> None:
    base = ["report", "--deals", "deals.csv", "--reps", "reps.csv", *REPORT_ARGS]
    extra = [] if option in ("--deals", "--reps") else [option, name]
    before = (files / name).read_bytes()
    proc = run(*base, *extra, "--format", fmt, "--output", name, cwd=files)
    _refused(proc, f"error: {name}: is the {option} input of this run ({name})")
    _untouched(files / name, before)


def test_an_input_through_a_symlink_a_hard_link_or_another_spelling(files: Path) -> None:
    before = (files / "deals.csv").read_bytes()
    (files / "link.txt").symlink_to(files / "deals.csv")
    os.link(files / "deals.csv", files / "hard.txt")
    (files / "sub").mkdir()
    base = ["report", "--deals", "deals.csv", "--reps", "reps.csv", *REPORT_ARGS]
    for output in ("link.txt", "hard.txt", "sub/../deals.csv", str(files / "deals.csv")):
        proc = run(*base, "--output", output, cwd=files)
        _refused(proc, f"error: {output}: is the --deals input of this run")
    # the input named through a symlink, the output by its own name
    proc = run("report", "--deals", "link.txt", "--reps", "reps.csv", *REPORT_ARGS,
               "--output", "deals.csv", cwd=files)  # fmt: skip
    _refused(proc, "is the --deals input of this run (link.txt)")
    _untouched(files / "deals.csv", before)


def test_a_store_and_a_source_are_inputs_too(files: Path, small_files: tuple[Path, Path]) -> None:
    store = files / "store.duckdb"
    api.snapshot(*small_files, as_of=AS_OF - dt.timedelta(days=7), store=store)
    before = store.read_bytes()
    base = ["report", "--deals", "deals.csv", "--reps", "reps.csv", *REPORT_ARGS]
    for given in (str(store), f"duckdb://{store}"):
        proc = run(*base, "--store", given, "--output", "store.duckdb", cwd=files)
        _refused(proc, f"error: store.duckdb: is the --store input of this run ({given})")
    proc = run(
        "report", "--source", f"duckdb://{store}", "--deals-table", "snapshot_deals",
        "--reps-table", "snapshot_reps", *REPORT_ARGS, "--output", "store.duckdb", cwd=files,
    )  # fmt: skip
    _refused(proc, "is the --source input of this run")
    # the commands that read only a store
    for command in (
        ("history", "show", AS_OF.isoformat(), "--store", "store.duckdb"),
        ("flow", "--from", "2026-11-01", "--to", AS_OF.isoformat(), "--store", "store.duckdb"),
        ("velocity", "--store", "store.duckdb", *REPORT_ARGS),
    ):
        proc = run(*command, "--output", "store.duckdb", cwd=files)
        _refused(proc, "error: store.duckdb: is the --store input of this run")
    _untouched(store, before)


def test_every_command_with_output_refuses_its_inputs_before_any_work(files: Path) -> None:
    # the deals file does not exist: a command that computed first would say so instead
    before = (files / "reps.csv").read_bytes()
    for command in (
        ("report", "--deals", "missing.csv", "--reps", "reps.csv", *REPORT_ARGS),
        ("forecast", "--deals", "missing.csv", "--reps", "reps.csv", *REPORT_ARGS),
    ):
        proc = run(*command, "--output", "reps.csv", cwd=files)
        _refused(proc, "error: reps.csv: is the --reps input of this run")
    proc = run("velocity", "--deals", "missing.csv", "--stage-history", "history.csv",
               *REPORT_ARGS, "--output", "history.csv", cwd=files)  # fmt: skip
    _refused(proc, "error: history.csv: is the --stage-history input of this run")
    proc = run("velocity", "--deals", "missing.csv", "--stage-history", "history.csv",
               *REPORT_ARGS, "--output", "reps.csv", "--policy", "reps.csv", cwd=files)  # fmt: skip
    _refused(proc, "error: reps.csv: is the --policy input of this run")
    proc = run("flow", "--from", "2026-11-01", "--to", "2026-11-20", "--store", "nothing.duckdb",
               "--policy", "policy.toml", "--output", "policy.toml", cwd=files)  # fmt: skip
    _refused(proc, "error: policy.toml: is the --policy input of this run")
    # a missing directory and a wrong extension fail at once too
    for output, said in (("new/r.md", "the directory new does not exist"),
                         ("r.pdf", "a .pdf file would get text content")):  # fmt: skip
        proc = run("report", "--deals", "missing.csv", "--reps", "reps.csv", *REPORT_ARGS,
                   "--output", output, cwd=files)  # fmt: skip
        _refused(proc, said)
    _untouched(files / "reps.csv", before)


def test_a_file_of_another_kind_is_refused_whatever_its_name(files: Path) -> None:
    base = ["report", "--deals", "deals.csv", "--reps", "reps.csv", *REPORT_ARGS]
    page = b"<!DOCTYPE html><html><body>the user's page</body></html>"
    (files / "report.json").write_bytes(page)  # a .json name holding HTML
    proc = run(*base, "--format", "json", "--output", "report.json", cwd=files)
    _refused(proc, "report.json: exists and holds HTML, not JSON; refusing to overwrite it")
    _untouched(files / "report.json", page)
    # a symlink named for the format, pointing to a text file
    (files / "notes.txt").write_text("my notes\n", encoding="utf-8")
    (files / "report.html").symlink_to(files / "notes.txt")
    proc = run(*base, "--format", "html", "--output", "report.html", cwd=files)
    _refused(proc, "(the file report.html points to): a .txt file would get HTML content")
    # a symlink pointing to an HTML page: refused by the page's name, and by what it holds
    (files / "page.html").write_bytes(page)
    (files / "latest").symlink_to(files / "page.html")
    proc = run(*base, "--format", "json", "--output", "latest", cwd=files)
    _refused(proc, "(the file latest points to): a .html file would get JSON content")
    (files / "page").write_bytes(page)
    (files / "current").symlink_to(files / "page")
    proc = run(*base, "--format", "json", "--output", "current", cwd=files)
    _refused(proc, f"current: exists and holds HTML (through {files / 'page'}), not JSON")
    # an empty file pointed to by a link named for another format
    (files / "empty.pdf").write_bytes(b"")
    (files / "out.md").symlink_to(files / "empty.pdf")
    proc = run(*base, "--format", "md", "--output", "out.md", cwd=files)
    _refused(proc, "(the file out.md points to): a .pdf file would get text content")
    _untouched(files / "notes.txt", b"my notes\n")
    _untouched(files / "page.html", page)
    _untouched(files / "page", page)
    # what may be replaced: the same kind, through a link too
    (files / "mine.md").write_text("# old summary\n", encoding="utf-8")
    (files / "summary.md").symlink_to(files / "mine.md")
    done = run(*base, "--format", "md", "--output", "summary.md", cwd=files)
    assert done.returncode == 0, done.stderr
    assert (files / "mine.md").read_text(encoding="utf-8").startswith("# Pipeline review")


def test_the_other_commands_check_kinds_and_names(files: Path) -> None:
    (files / "shown.pdf").write_bytes(b"%PDF-1.7 the user's")
    _refused(run("preset", "show", "hubspot", "--output", "shown.pdf", cwd=files),
             "a .pdf file would get text content")  # fmt: skip
    (files / "mapping").write_bytes(b"%PDF-1.7 the user's")
    _refused(run("preset", "show", "hubspot", "--output", "mapping", cwd=files),
             "mapping: exists and holds PDF, not text")  # fmt: skip
    _refused(run("policy", "init", "--output", "deals.csv", cwd=files), "already exists")
    _refused(run("policy", "init", "--force", "--output", "p.json", cwd=files),
             "a .json file would get text content")  # fmt: skip
    _untouched(files / "mapping", b"%PDF-1.7 the user's")


def test_demo_refuses_a_folder_that_is_not_empty(files: Path) -> None:
    before = {name: (files / name).read_bytes() for name in ("deals.csv", "reps.csv")}
    (files / "report.html").write_text("<html>mine</html>", encoding="utf-8")
    proc = run("demo", "--out", files, "--deals", "50", "--reps", "3")
    _refused(
        proc,
        f"error: {files}: is not empty: deals.csv, reps.csv, report.html would be overwritten",
        "--force",
    )
    for name, data in before.items():
        _untouched(files / name, data)
    _untouched(files / "report.html", b"<html>mine</html>")
    (files / "plain.txt").write_text("x", encoding="utf-8")
    _refused(run("demo", "--out", files / "plain.txt"), "is not a folder")
    # told: it writes there
    done = run("demo", "--out", files, "--deals", "50", "--reps", "3", "--force")
    assert done.returncode == 0, done.stderr
    assert (files / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    # a new folder and an empty one need no --force
    (files / "empty").mkdir()
    for folder in (files / "empty", files / "new"):
        assert run("demo", "--out", folder, "--deals", "50", "--reps", "3").returncode == 0
