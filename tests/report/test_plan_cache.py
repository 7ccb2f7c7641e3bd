"""The compiled-query cache on disk (engines/plan_cache.py): a report read from it is the
report compiled afresh, byte for byte; a later process compiles nothing it keeps; anything
the SQL depends on (the policy, a column's type, a library version, pipereview's own code)
misses it; a damaged or half-written file is a miss, never an error; the CLI keeps it where
it says, and ``--no-cache`` keeps nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import ibis
import pytest

from pipereview import synthetic
from pipereview.api import build_report, query_cache_dir, use_query_cache
from pipereview.engines import plan_cache, template
from pipereview.engines.plan import clear_plans


@pytest.fixture(scope="module")
def data() -> tuple[object, object]:
    return synthetic.generate(n_deals=200, n_reps=5, seed=4)


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[Path]:
    """The cache on disk in a fresh directory, with nothing compiled in this process."""
    before = query_cache_dir()
    use_query_cache(True, tmp_path / "plans")
    clear_plans()
    yield tmp_path / "plans"
    use_query_cache(before is not None, before)
    clear_plans()


def _entries(directory: Path) -> set[Path]:
    return set(directory.rglob("*.json"))


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Counts every statement compiled from here on."""
    seen: list[object] = []
    real = template.compile_query

    def counted(*args: object, **kwargs: object) -> template.Compiled:
        seen.append(args[1])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(template, "compile_query", counted)
    return seen


def test_a_later_process_compiles_nothing_and_gets_the_same_bytes(
    data, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_query_cache(False)
    clear_plans()
    alone = build_report(*data, as_of=synthetic.ANCHOR).to_json()  # no cache at all
    use_query_cache(True, cache)
    clear_plans()
    first = build_report(*data, as_of=synthetic.ANCHOR).to_json()
    kept = _entries(cache)
    assert first == alone and len(kept) > 20
    clear_plans()  # a new process: only the files remain
    compiled = _compiles(monkeypatch)
    again = build_report(*data, as_of=synthetic.ANCHOR).to_json()
    assert again == alone
    assert compiled == []  # every statement came from the files
    assert _entries(cache) == kept
    other_day = build_report(*data, as_of=synthetic.ANCHOR.replace(day=1)).to_json()
    # every statement that reads the report date takes it as a value: none is compiled again
    assert compiled == []
    use_query_cache(False)
    clear_plans()
    assert other_day == build_report(*data, as_of=synthetic.ANCHOR.replace(day=1)).to_json()


def test_a_changed_policy_or_column_type_misses(data, cache: Path) -> None:
    build_report(*data, as_of=synthetic.ANCHOR)
    kept = _entries(cache)
    clear_plans()
    build_report(
        *data, as_of=synthetic.ANCHOR, policy={"pipeline": {"stalled_deal_days_in_stage": 30}}
    )
    changed = _entries(cache) - kept
    assert changed  # the threshold is in the statements that read it
    deals, reps = data
    narrower = deals.set_column(  # type: ignore[attr-defined]
        deals.schema.get_field_index("days_in_stage"),  # type: ignore[attr-defined]
        "days_in_stage",
        deals["days_in_stage"].cast("int32"),  # type: ignore[index]
    )
    clear_plans()
    before = _entries(cache)
    build_report(narrower, reps, as_of=synthetic.ANCHOR)
    assert _entries(cache) - before  # another input type: other statements


def test_a_library_version_or_pipereview_code_change_misses(monkeypatch) -> None:
    key = plan_cache.entry_key("duckdb", "some statement")
    name = plan_cache.file_name(key)
    monkeypatch.setitem(plan_cache._state, "code", "another pipereview or Ibis")
    assert plan_cache.file_name(key) != name
    monkeypatch.setitem(plan_cache._state, "code", None)
    real = plan_cache.importlib.metadata.version
    monkeypatch.setattr(
        plan_cache.importlib.metadata,
        "version",
        lambda name: "0.0.1" if name == "sqlglot" else real(name),
    )
    assert plan_cache.file_name(key) != name
    assert plan_cache.entry_key("postgres", "some statement") != key


def test_the_shape_tells_statements_apart_and_names_tables_by_slot() -> None:
    def query(kind: str, name: str) -> ibis.Table:
        t = ibis.table({"a": kind, "b": "int64"}, name=name)
        return t.filter(t.b > 3).select("a")

    def text(expr: ibis.Table) -> str:
        op = expr.op()
        leaves = list(dict.fromkeys(op.find(ibis.expr.operations.PhysicalTable)))
        return plan_cache.shape(op, {leaf: i for i, leaf in enumerate(leaves)})

    assert text(query("string", "x")) == text(query("string", "another_name"))
    assert text(query("string", "x")) != text(query("int32", "x"))
    t = ibis.table({"a": "string", "b": "int64"}, name="x")
    assert text(t.filter(t.b > 3)) != text(t.filter(t.b > 4))
    assert text(t.filter(t.b > 3)) != text(t.filter(t.b >= 3))
    one, two = t.view(), t.view()  # two self-references: two identifiers, one statement
    assert text(one.filter(one.b > 3)) == text(two.filter(two.b > 3))


def test_a_damaged_or_foreign_file_is_a_miss(data, cache: Path) -> None:
    first = build_report(*data, as_of=synthetic.ANCHOR).to_json()
    files = sorted(_entries(cache))
    files[0].write_text('{"format": 1, "parts": [')  # half written
    files[1].write_text(json.dumps({**json.loads(files[1].read_text()), "key": "another"}))
    files[2].write_text(json.dumps({**json.loads(files[2].read_text()), "format": 0}))
    clear_plans()
    assert build_report(*data, as_of=synthetic.ANCHOR).to_json() == first
    assert json.loads(files[0].read_text())["key"] == files[0].stem  # written again whole


def test_an_unwritable_directory_is_skipped(data, tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    before = query_cache_dir()
    use_query_cache(True, blocked / "plans")
    clear_plans()
    try:
        assert build_report(*data, as_of=synthetic.ANCHOR).pipeline_summary.total_deals == 200
    finally:
        use_query_cache(before is not None, before)
        clear_plans()


def test_the_cli_keeps_the_cache_where_it_says_and_no_cache_keeps_none(
    small_files, tmp_path: Path
) -> None:
    def run(*args: str, directory: Path) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PIPEREVIEW_CACHE_DIR": str(directory)}
        env.pop("PIPEREVIEW_NO_CACHE", None)
        deals, reps = (str(p) for p in small_files)
        return subprocess.run(
            [sys.executable, "-m", "pipereview", *args, "report", "--deals", deals, "--reps",
             reps, "--as-of", "2026-11-20", "--format", "json"],
            capture_output=True, text=True, env=env, timeout=300,
        )  # fmt: skip

    kept = run(directory=tmp_path / "kept")
    assert kept.returncode == 0, kept.stderr
    assert len(_entries(tmp_path / "kept")) > 20
    again = run(directory=tmp_path / "kept")
    assert again.stdout == kept.stdout
    none = run("--no-cache", directory=tmp_path / "none")
    assert none.returncode == 0 and none.stdout == kept.stdout
    assert not (tmp_path / "none").exists()
