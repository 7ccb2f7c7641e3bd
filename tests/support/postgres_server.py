"""A throwaway PostgreSQL server on 127.0.0.1, for tests (stopped by the caller).

Debian's ``postgresql`` package provides the binaries (``make postgres`` installs it; CI
does the same). The cluster lives in a temporary directory, listens on a free port on
loopback only (and on a Unix socket in that directory), trusts local connections, and is
stopped and removed after the tests. As root, the server runs as the ``postgres`` user,
since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import psycopg

from tests.support.spark_cluster import free_port

USER = "pipereview"

# How a warehouse types the canonical columns (anything not listed stays text).
TYPED = {
    "deal_value_usd": "numeric(14,2)",
    "amount": "numeric(14,2)",
    "probability": "double precision",
    "days_in_stage": "integer",
    "created_date": "date",
    "close_date": "date",
    "risk_flags": "text[]",
    "quota_usd": "numeric",
    "year_to_date_revenue_usd": "numeric(16,2)",
    "close_rate": "real",
    "quota_3m": "numeric",
    "closed_won_3m_current": "numeric",
    "current_pipeline_value": "numeric",
    "previous_pipeline_value": "numeric",
    "risk_score_current": "double precision",
}


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin directory, if any."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    return found[-1].parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", "postgres", "--", *command]


def _run(command: list[str]) -> None:
    done = subprocess.run(_as_server_user(command), capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise RuntimeError(f"{command[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yield the URL of a fresh server's ``postgres`` database; stop the server after."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL is not installed: run `make postgres` (Debian's package)")
    tmp = Path(tempfile.mkdtemp(prefix="pipereview-pg-"))
    data = tmp / "data"
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
    port = free_port()
    initdb = [str(bin_dir / "initdb"), "-D", str(data), "-U", USER, "--auth=trust"]
    _run([*initdb, "--encoding=UTF8", "--locale=C"])
    options = f"-h 127.0.0.1 -p {port} -k {tmp} -c fsync=off -c full_page_writes=off"
    pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(data)]
    _run([*pg_ctl, "-o", options, "-l", str(tmp / "log"), "-w", "start"])
    try:
        yield f"postgresql://{USER}@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_server_user([*pg_ctl, "-m", "fast", "stop"]), timeout=120)
        shutil.rmtree(tmp, ignore_errors=True)


def load_csv(
    url: str, name: str, csv: Path, types: dict[str, str] | None = None, schema: str = "public"
) -> None:
    """``csv`` as table ``schema.name``: every column text, or typed by ``types``."""
    types = types or {}
    rel = duckdb.sql(f"SELECT * FROM read_csv('{csv}', all_varchar=true, header=true)")
    columns = rel.columns
    flags = [i for i, c in enumerate(columns) if types.get(c) == "text[]"]
    rows = []
    for row in rel.fetchall():
        values = list(row)
        for i in flags:  # "a;b" -> {a,b}; blank -> no flags
            values[i] = [f for f in (values[i] or "").split(";") if f] or None
        rows.append(values)
    ddl = ", ".join(f'"{c}" {types.get(c, "text")}' for c in columns)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        con.execute(f'DROP TABLE IF EXISTS "{schema}"."{name}"')
        con.execute(f'CREATE TABLE "{schema}"."{name}" ({ddl})')
        quoted = ", ".join(f'"{c}"' for c in columns)
        with (
            con.cursor() as cur,
            cur.copy(f'COPY "{schema}"."{name}" ({quoted}) FROM STDIN') as copy,
        ):
            for values in rows:
                copy.write_row(values)


def load_arrow(url: str, name: str, data: Any) -> None:
    """A pyarrow table as table ``public.name`` in the server, each column in the type a
    warehouse would give it (numeric, double, bigint, date, boolean, text, text[])."""
    import pyarrow as pa

    def kind(t: Any) -> str:
        if pa.types.is_decimal(t):
            return "numeric"
        if pa.types.is_floating(t):
            return "double precision"
        if pa.types.is_integer(t):
            return "bigint"
        if pa.types.is_date(t):
            return "date"
        if pa.types.is_boolean(t):
            return "boolean"
        if pa.types.is_timestamp(t):
            return "timestamptz" if t.tz else "timestamp"
        if pa.types.is_list(t) or pa.types.is_large_list(t):
            return "text[]"
        return "text"

    ddl = ", ".join(f'"{f.name}" {kind(f.type)}' for f in data.schema)
    quoted = ", ".join(f'"{c}"' for c in data.column_names)
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'DROP TABLE IF EXISTS "{name}"')
        con.execute(f'CREATE TABLE "{name}" ({ddl})')
        with con.cursor() as cur, cur.copy(f'COPY "{name}" ({quoted}) FROM STDIN') as copy:
            for row in data.to_pylist():
                copy.write_row([row[c] for c in data.column_names])
