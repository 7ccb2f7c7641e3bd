"""Order-independent fingerprint of canonical rows, computed in the engine (decisions D9).

Each canonical row is written as text the same way on every engine (decimals with their
scale, doubles through a fixed decimal, dates in ISO, flag lists joined), hashed with MD5, and
the first 60 bits of the hashes are summed exactly. The sum, the row count and the column
names go through sha256 in Python. No row leaves the engine, shuffling rows changes nothing,
and DuckDB and Spark give the same fingerprint for the same data.
"""

from __future__ import annotations

import hashlib

import ibis
import ibis.expr.types as ir

from pipereview.schema import TABLES
from pipereview.sources.engine import Engine

_NULL = "\\N"
_SEP = "\x1f"


def _text(value: ir.Value) -> ir.StringValue:
    vtype = value.type()
    if vtype.is_array():  # a missing list and an empty one both mean "no flags"
        return ibis.ifelse(value.length() > 0, value.join(_SEP), "").fill_null("")
    elif vtype.is_floating():
        text = value.cast("decimal(38,6)").cast("string")
    else:
        text = value.cast("string")
    return text.fill_null(_NULL)


def row_hash(engine: Engine, t: ir.Table, table: str) -> ir.NumericValue:
    """Per row: the first 60 bits of the MD5 of its canonical text, as an exact decimal."""
    parts: list[ir.StringValue] = []
    for column in TABLES[table]:
        parts.append(_text(t[column.name]))
    text = ibis.literal(_SEP).join(parts)
    return engine.hex_to_int(text.hexdigest("md5").substr(0, 15)).cast("decimal(38,0)")


def hash_sum(engine: Engine, t: ir.Table, table: str) -> ir.NumericScalar:
    """The aggregate to fuse into a scan of ``t``: the exact sum of the row hashes."""
    return row_hash(engine, t, table).sum().fill_null(0)


def digest(table: str, rows: int, total: object) -> str:
    """sha256 over the row count, the canonical column names and the hash sum."""
    header = ";".join(c.name for c in TABLES[table])
    return hashlib.sha256(f"{rows}|{header}|{total}".encode()).hexdigest()


def input_fingerprint(*digests: str) -> str:
    """One fingerprint over several table digests, in the given order."""
    return "sha256:" + hashlib.sha256("|".join(digests).encode()).hexdigest()
