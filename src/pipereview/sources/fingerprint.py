"""Order-independent fingerprint of canonical input rows (decisions D9)."""

from __future__ import annotations

import hashlib

import numpy as np
import polars as pl
import pyarrow as pa

from pipereview.schema import ROW_COLUMN

_SEED = 20261122


def table_fingerprint(table: pa.Table) -> str:
    """sha256 over row count, column names and types, and the wrapping sum of row hashes."""
    data = table.drop_columns([ROW_COLUMN]) if ROW_COLUMN in table.column_names else table
    frame = pl.from_arrow(data)
    assert isinstance(frame, pl.DataFrame)
    hashes = frame.hash_rows(seed=_SEED).to_numpy()
    total = int(np.sum(hashes, dtype=np.uint64)) if len(hashes) else 0
    header = ";".join(data.column_names)  # types are canonical by construction
    digest = hashlib.sha256(f"{data.num_rows}|{header}|{total}".encode())
    return digest.hexdigest()


def input_fingerprint(*tables: pa.Table) -> str:
    """One fingerprint over several canonical tables, in the given order."""
    combined = hashlib.sha256("|".join(table_fingerprint(t) for t in tables).encode())
    return "sha256:" + combined.hexdigest()
