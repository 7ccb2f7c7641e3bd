"""The shape of the canonical reader's statement, which every CSV, JSON and Parquet read runs:
each parsed value is computed once and its checks refer to it by name, and a short list of
values is compared as equalities, never planned as a join (``names.one_of``)."""

from __future__ import annotations

import ibis
import ibis.expr.operations as ops
from hypothesis import example, given
from hypothesis import strategies as st

from pipereview.inputs.canonical import BAD, canonical
from pipereview.names import ONE_OF_LIMIT, one_of
from pipereview.schema import TABLES

_CON = ibis.duckdb.connect()


def _raw(table: str) -> ibis.Table:
    """A CSV's raw table: every canonical column, as text."""
    return ibis.table({c.name: "string" for c in TABLES[table]}, name="raw")


def test_each_parsed_value_is_computed_once() -> None:
    parsed = canonical(_raw("deals"), "deals", csv_text=True).table.op()
    assert isinstance(parsed, ops.Project)
    # the output columns and the checks read the parse's own select by name
    for name in ("close_date", "created_date", "deal_value_usd", "probability", "status"):
        value = parsed.values[name]
        assert isinstance(value, ops.Field) and value.name.startswith("_p_"), name
    # the date parse (a cast of the text's first ten characters) is not repeated in the checks
    bad = parsed.values[BAD]  # (its expression only, not the selects below it)
    dates = bad.find(lambda n: isinstance(n, ops.TryCast) and n.to.is_date(), filter=ops.Value)
    assert dates == []
    read = {field.name for field in bad.find(ops.Field, filter=ops.Value)}
    assert {"_p_close_date", "_p_created_date", "_p_deal_value_usd"} <= read


def test_the_canonical_statement_joins_nothing() -> None:
    """DuckDB plans ``x IN (five or more values)`` as a join against the list: the null
    spellings of every CSV column were 26 joins to plan for a ten-row file."""
    for table in ("deals", "reps"):
        raw = _raw(table)
        _CON.create_table("raw", schema=raw.schema(), overwrite=True)
        sql = _CON.compile(canonical(raw, table, csv_text=True).table)
        plan = "\n".join(row[1] for row in _CON.raw_sql(f"EXPLAIN {sql}").fetchall())
        assert "JOIN" not in plan, table


_VALUES = st.sampled_from(["a", "b", "", "A", "null", " a"])


@given(
    st.lists(st.one_of(st.none(), _VALUES), min_size=1, max_size=12),
    st.lists(st.one_of(st.none(), _VALUES), max_size=ONE_OF_LIMIT + 2),
)
@example(["a", None, "b"], ["a", None])  # a null in the list: unknown unless found
@example(["a", None], ["a", "b", "c", "d", "e"])
def test_one_of_answers_as_in_does(values: list[str | None], items: list[str | None]) -> None:
    t = ibis.memtable({"x": values}, schema={"x": "string"})
    listed = [ibis.null("string") if item is None else item for item in items]
    query = t.select(ours=one_of(t.x, listed), theirs=t.x.isin(listed))
    rows = _CON.to_pyarrow(query).to_pylist()
    assert [r["ours"] for r in rows] == [r["theirs"] for r in rows]
    if items and None not in items and len(items) <= ONE_OF_LIMIT:
        assert " IN " not in _CON.compile(t.select(ours=one_of(t.x, listed)))  # equalities
