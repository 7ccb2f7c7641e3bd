"""Reading risk flags: a list, a JSON-array string or a ';'/','-separated string as a list of
trimmed, non-empty strings, and the text that cannot be read (an unclosed JSON array). Used by
the canonical reader (the error path splits text by the same separators)."""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

FLAG_SEPARATORS = r"[;,]"
FLAGS = dt.Array(dt.string)


def _clean_flags(flags: ir.ArrayValue) -> ir.ArrayValue:
    """Trim every flag and drop empty ones."""
    trimmed = flags.map(lambda flag: flag.strip())
    return trimmed.filter(lambda flag: (flag != "").fill_null(False))


def _json_flags(body: ir.StringValue) -> ir.ArrayValue:
    """The elements of a JSON array's body as text, in plain string functions every engine
    has: quoted elements keep their commas (["budget, cut"] is one flag), unquoted nulls are
    dropped ([null] is no flag). Escaped quotes inside an element are not supported."""
    for _ in range(2):  # two passes drop consecutive nulls too
        body = body.re_replace(r"(^|,)\s*null\s*(,|$)", ",")
    body = body.re_replace(r",(\s*,)+", ",").re_replace(r"^[\s,]+|[\s,]+$", "")
    quoted = body.contains('"')
    inner = body.re_replace(r'^\s*"|"\s*$', "")
    return ibis.ifelse(quoted, inner.re_split(r'"\s*,\s*"'), body.re_split(r"\s*,\s*"))


def flags(value: ir.Value) -> tuple[ir.Value, ir.BooleanValue | None]:
    """A list, a JSON-array string or a ';'/','-separated string -> list of strings."""
    vtype = value.type()
    if vtype.is_array():
        return _clean_flags(value.cast(FLAGS)), None
    if not vtype.is_string():
        return ibis.null(FLAGS), ibis.literal(True)  # a raw type no list is read from
    text = value.strip()
    is_json = text.startswith("[")
    unclosed = is_json & ~text.endswith("]")
    body = text.substr(1, text.length() - 2)
    parts = ibis.ifelse(is_json, _json_flags(body), text.re_split(FLAG_SEPARATORS))
    return _clean_flags(parts), unclosed
