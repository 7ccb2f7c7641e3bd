"""Order-independent fingerprint of canonical rows, computed in the engine (decisions D9).

Each canonical row (flag lists normalised so that a missing and an empty list agree) is
hashed with DuckDB's ``hash`` and the 64-bit hashes are summed exactly. On DuckDB that sum is
one more aggregate in the scan the report makes anyway; on Spark, DuckDB computes the same
sum on each Arrow batch on the executors. The sum, the row count and the column names go
through sha256 in Python. No row leaves the engine, shuffling rows changes nothing, and
DuckDB and Spark give the same fingerprint for the same data (with the same DuckDB version).
"""

from __future__ import annotations

import hashlib

import ibis
import ibis.expr.types as ir

from pipereview.schema import TABLES


def _value(t: ir.Table, name: str) -> ir.Value:
    value = t[name]
    if value.type().is_array():  # a missing list and an empty one both mean "no flags"
        return ibis.ifelse(value.length() > 0, value, ibis.null(value.type()))
    return value


def row_hash(t: ir.Table, table: str) -> ir.IntegerValue:
    """DuckDB's 64-bit hash of the row's canonical columns (as a struct)."""
    return ibis.struct({c.name: _value(t, c.name) for c in TABLES[table]}).hash()


def hash_sum(t: ir.Table, table: str) -> ir.Scalar:
    """The aggregate to fuse into a scan of ``t``: the exact sum of the row hashes."""
    return row_hash(t, table).sum().cast("decimal(38,0)").fill_null(0)


def batch_sql(table: str) -> str:
    """DuckDB SQL computing ``hash_sum`` over a table named ``batch`` of canonical rows."""
    batch = ibis.table({c.name: c.dtype for c in TABLES[table]}, name="batch")
    return str(ibis.to_sql(batch.aggregate(h=hash_sum(batch, table)), dialect="duckdb"))


def digest(table: str, rows: int, total: object) -> str:
    """sha256 over the row count, the canonical column names and the hash sum."""
    header = ";".join(c.name for c in TABLES[table])
    return hashlib.sha256(f"{rows}|{header}|{int(str(total))}".encode()).hexdigest()


def input_fingerprint(*digests: str) -> str:
    """One fingerprint over several table digests, in the given order."""
    return "sha256:" + hashlib.sha256("|".join(digests).encode()).hexdigest()
