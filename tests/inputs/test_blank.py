"""``canonical.blank``, the "blank text is missing" test every reader's text goes through:
it trims only where the first character could be trimmed away, and must answer exactly as
``trim(x) = ''`` does, on any text (blanks, control characters, other spaces, NUL)."""

from __future__ import annotations

import ibis
from hypothesis import example, given
from hypothesis import strategies as st

from pipereview.inputs.canonical import blank

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
