"""``canonical.blank``, the "blank text is missing" test every reader's text goes through,
and ``canonical.blank_to_null``, the trim of text a number or a date is parsed from: each trims
only where an end could be trimmed away, and must answer exactly as the plain trim does, on
any text (blanks, control characters, other spaces, NUL)."""

from __future__ import annotations

import ibis
from hypothesis import example, given
from hypothesis import strategies as st

from pipereview.inputs.canonical import blank, blank_to_null

_CHARS = st.sampled_from(
    [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x00", "\x1f", "!", "a", "\u00a0", "\u2003", "é"]
)
_CON = ibis.duckdb.connect()


@given(st.lists(st.one_of(st.none(), st.text(_CHARS, max_size=4)), min_size=1, max_size=20))
@example(["", " ", "\t", "  \n ", " a", "a ", "!", "\x1f", "\u00a0", None])
def test_blank_answers_as_the_trim_does(values: list[str | None]) -> None:
    t = ibis.memtable({"x": values}, schema={"x": "string"})
    rows = _CON.to_pyarrow(t.select(guarded=blank(t.x), trimmed=t.x.strip() == "")).to_pylist()
    assert [r["guarded"] for r in rows] == [r["trimmed"] for r in rows], values
    assert rows[0]["guarded"] is (
        None if values[0] is None else values[0].strip(" \t\n\r\x0b\x0c") == ""
    )


@given(st.lists(st.one_of(st.none(), st.text(_CHARS, max_size=4)), min_size=1, max_size=20))
@example(["1 ", " 1", "\t1\t", "1\x0c", "", " ", "1", "\x1f1", "1\u00a0", "é\n", None])
def test_blank_to_null_trims_as_the_trim_does(values: list[str | None]) -> None:
    t = ibis.memtable({"x": values}, schema={"x": "string"})
    kept = t.select(guarded=blank_to_null(t.x), trimmed=t.x.strip().nullif(""))
    rows = _CON.to_pyarrow(kept).to_pylist()
    assert [r["guarded"] for r in rows] == [r["trimmed"] for r in rows], values
    first = values[0] if values[0] is None else values[0].strip(" \t\n\r\x0b\x0c")
    assert rows[0]["guarded"] == (first or None)
