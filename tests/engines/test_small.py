"""``Engine.small`` on DuckDB: Python values as a table, written as SQL list literals (no
pandas import), equal to the Arrow path in values, order and types."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from pipereview import synthetic
from pipereview.engines import Engine
from pipereview.engines.base import Engine as BaseEngine

SCHEMA = {"_id": "string", "_n": "int64"}
TEXT = st.none() | st.text(max_size=8)  # quotes, backslashes, any Unicode, NUL included


def _both(engine: Engine, columns: dict[str, list[object]], schema: dict[str, str]) -> tuple:
    literal = engine.small(columns, schema)
    arrow = BaseEngine.small(engine, columns, schema)  # what other engines do
    return literal, arrow


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(TEXT, st.none() | st.integers(min_value=-(2**63), max_value=2**63 - 1)),
        max_size=12,
    )
)
def test_small_tables_are_the_arrow_ones(rows: list[tuple[str | None, int | None]]) -> None:
    engine = Engine("duckdb")
    columns = {"_id": [r[0] for r in rows], "_n": [r[1] for r in rows]}
    literal, arrow = _both(engine, columns, SCHEMA)
    assert literal.schema() == arrow.schema()
    assert literal.to_pyarrow().to_pylist() == arrow.to_pyarrow().to_pylist()  # in order


def test_quotes_and_an_empty_table() -> None:
    engine = Engine("duckdb")
    ids = ["O'Brien", "''", "a\\'b", "é 中", None]
    table = engine.small({"_id": ids, "_n": [1, 2, 3, 4, None]}, SCHEMA)
    assert table.to_pyarrow().column("_id").to_pylist() == ids
    empty = engine.small({"_id": [], "_n": []}, SCHEMA)
    assert empty.to_pyarrow().num_rows == 0 and empty.schema() == table.schema()


def test_many_values_go_through_arrow_alike() -> None:
    """Past the literal's size (DuckDB parses a long literal slowly) the values go through
    Arrow: the same table."""
    engine = Engine("duckdb")
    ids = [f"D{i}'" for i in range(5_000)]
    literal, arrow = _both(engine, {"_id": ids, "_n": list(range(5_000))}, SCHEMA)
    assert literal.schema() == arrow.schema()
    assert literal.to_pyarrow().to_pylist() == arrow.to_pyarrow().to_pylist()


def test_a_report_on_parquet_imports_no_pandas_and_one_compiler(tmp_path: Path) -> None:
    """pyarrow and DuckDB import pandas to ask whether a Python value is a pandas object;
    a report on Parquet never gives them one (pandas costs a fifth of a second of every
    CLI run). Of Ibis's SQL compilers only DuckDB's is imported (``engines/compilers.py``)."""
    deals, reps = synthetic.generate(n_deals=60, n_reps=6, seed=2)
    pq.write_table(deals, tmp_path / "d.parquet")
    pq.write_table(reps, tmp_path / "r.parquet")
    code = """
import sys
from pipereview import synthetic
from pipereview.api import build_report
build_report(sys.argv[1] + "/d.parquet", sys.argv[1] + "/r.parquet", as_of=synthetic.ANCHOR)
print("pandas" in sys.modules)
print(sorted(m for m in sys.modules if m.startswith("ibis.backends.sql.compilers.")))
"""
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True
    )
    pandas, compilers = out.stdout.strip().splitlines()
    assert pandas == "False"
    # Ibis's package of compilers imports the one DuckDB needs, not all twenty
    prefix = "ibis.backends.sql.compilers."
    assert compilers == str([prefix + m for m in ("_compat", "base", "duckdb")])


def test_the_lazy_compilers_give_ibis_what_it_asks_for() -> None:
    """In a new process whose engine connected, Ibis's package of compilers is the lazy one
    and still gives each compiler class and module by name (as ``ibis.to_sql`` asks), and
    names nothing else; a package that does more than import its compilers is left as is."""
    code = """
import ibis, pytest
from pipereview.engines import Engine
Engine("duckdb")
import ibis.backends.sql.compilers as sc
assert "__getattr__" in vars(sc) and "PostgresCompiler" not in vars(sc)
assert sc.PostgresCompiler.__name__ == "PostgresCompiler"
assert sc.postgres.compiler.dialect.__name__ == "Postgres"
assert "MySQLCompiler" in sc.__all__
table = ibis.table({"a": "int64"}, name="t")
assert '"t0"."a" > 1' in ibis.to_sql(table.filter(table.a > 1), dialect="postgres")
for name in ("NoSuchCompiler", "__wrapped__"):
    with pytest.raises(AttributeError):
        getattr(sc, name)
print("ok")
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
    from pipereview.engines.compilers import _defined_in

    source = "from __future__ import annotations\n__all__ = ['X']\n"
    assert _defined_in(source + "from ibis.backends.sql.compilers.x import X\n") == (
        {"X": "ibis.backends.sql.compilers.x"},
        ["X"],
    )
    assert _defined_in(source + "X = 1\n") is None
