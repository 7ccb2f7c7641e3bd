"""History benchmark: snapshot, report --store (changes), flow, velocity and backfill.

Usage::

    python benchmarks/history.py [--size 1M] [--store-kind duckdb|sqlite|mysql]
        [--mysql-server mysql://root@127.0.0.1:3306] [--out FILE]

Builds two exports a week apart from the synthetic generator (``--size`` deals, seed 11):
on 2026-11-20 and on 2026-11-27, when 5% of the active deals were won, 5% grew by 10% and
the other active deals aged 7 days; a field history holding exactly those changes (and the
stage entry of each deal that moved), and a stage history (each deal's created date in
Prospecting, then its stage). Data is cached under ``benchmarks/.data/history-<size>/``.

Each command runs in a fresh process (the CLI, as a user runs it); wall time and that
process's peak RSS (``os.wait4``) are reported. The driver itself stays small: the data is
written by a subprocess too. The backfilled snapshot of 2026-11-20 is then compared with
the one taken from the export of that day (they must hold the same rows).

``--store-kind mysql`` keeps both stores in databases ``pipereview_bench_s`` and
``pipereview_bench_b`` (dropped and created again) of ``--mysql-server``; without it, a
MariaDB server is started on 127.0.0.1 for the run (``tests/support/mariadb_server.py``, Debian's
``mariadb-server``: ``make mariadb``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / ".data"
D1, D2 = "2026-11-20", "2026-11-27"

GENERATE = r"""
import sys
from pathlib import Path
import duckdb
from pipereview import synthetic

n, out = int(sys.argv[1]), Path(sys.argv[2])
deals, reps = synthetic.generate(n_deals=n, n_reps=max(40, n // 5000), seed=11)
synthetic.write_parquet(deals, reps, out)
con = duckdb.connect()
con.execute(f"create table v1 as select * from read_parquet('{out}/deals.parquet')")
moved = "status = 'active' and hash(deal_id) % 20 = 0"
grown = "status = 'active' and hash(deal_id) % 20 = 1"
con.execute(f'''create table v2 as select * replace (
  case when {moved} then 'won' else status end as status,
  case when {moved} then 'Closed Won' else stage end as stage,
  case when {moved} then 0 when status = 'active' then days_in_stage + 7
       else days_in_stage end as days_in_stage,
  case when {grown} then round(deal_value_usd * 1.1, 2) else deal_value_usd end
       as deal_value_usd,
  case when {moved} then 1.0 else probability end as probability) from v1''')
con.execute(f"copy v2 to '{out}/deals2.parquet' (format parquet)")
con.execute(f'''copy (
  select deal_id, 'StageName' as field, 'Earlier' as old_value, stage as new_value,
         date '2026-11-20' - cast(days_in_stage as integer) as changed_at
    from v1 where {moved} and days_in_stage is not null
  union all select deal_id, 'StageName', stage, 'Closed Won', date '2026-11-23'
    from v1 where {moved}
  union all select deal_id, 'Probability', cast(probability as varchar), '1.0',
         date '2026-11-23' from v1 where {moved}
  union all select deal_id, 'Amount', cast(deal_value_usd as varchar),
         cast(round(deal_value_usd * 1.1, 2) as varchar), date '2026-11-22'
    from v1 where {grown}
) to '{out}/field_history.csv' (header)''')
con.execute(f'''copy (
  select deal_id, 'Prospecting' as stage, created_date as entered_at from v1
   where created_date is not null and stage <> 'Prospecting'
  union all select deal_id, stage,
         date '2026-11-20' - cast(coalesce(days_in_stage, 0) as integer) from v1
   where stage is not null
) to '{out}/stage_history.csv' (header)''')
"""

COMPARE = r"""
import datetime as dt
import sys
import duckdb
from pipereview.api.snapshots import snapshot_inputs
day = dt.date(2026, 11, 20)
a, b = (snapshot_inputs(day, store)[0] for store in sys.argv[1:3])  # without _row
con = duckdb.connect()
con.execute("set enable_progress_bar = false")
one_way = "select count(*) from ((select * from {}) except all (select * from {}))"
diff = con.sql(f"select ({one_way.format('a', 'b')}) + ({one_way.format('b', 'a')})")
print(diff.fetchone()[0], a.num_rows)
"""


def _size(text: str) -> int:
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)


def ensure_data(label: str) -> Path:
    out = DATA / f"history-{label}"
    if not (out / "stage_history.csv").exists():
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", GENERATE, str(_size(label)), str(out)], check=True)
    return out


def timed(args: list[str]) -> tuple[float, float]:
    """Run ``pipereview ARGS`` in a fresh process: (wall seconds, peak RSS in MB)."""
    cmd = [sys.executable, "-m", "pipereview", *args]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        message = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"failed: {' '.join(args)}\n{message}")
    return wall, usage.ru_maxrss / 1024


@contextlib.contextmanager
def _mariadb() -> Any:
    """A throwaway MariaDB server on 127.0.0.1 (the tests' own), as ``mysql://root@...``."""
    sys.path.insert(0, str(HERE.parent))
    from tests.support.mariadb_server import mariadb_server

    with mariadb_server() as url:
        yield url.rsplit("/", 1)[0]


def _database(server: str, name: str) -> str:
    """A new empty database ``pipereview_<name>`` on ``server``, and its URL."""
    from urllib.parse import unquote, urlsplit

    import pymysql

    parts, database = urlsplit(server), f"pipereview_{name}"
    with pymysql.connect(
        host=parts.hostname or "localhost", port=parts.port or 3306,
        user=unquote(parts.username or "root"), password=unquote(parts.password or ""),
    ) as con, con.cursor() as cur:  # fmt: skip
        cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
        cur.execute(f"CREATE DATABASE `{database}`")
    return f"{server.rstrip('/')}/{database}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1M")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--store-kind", choices=("duckdb", "sqlite", "mysql"), default="duckdb")
    parser.add_argument("--mysql-server", help="mysql://user:password@host:port (no database)")
    options = parser.parse_args()
    data = ensure_data(options.size)
    f = {name: str(data / name) for name in os.listdir(data)}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        if options.store_kind == "sqlite":
            store, backfilled = f"sqlite://{tmp}/s.sqlite", f"sqlite://{tmp}/b.sqlite"
        elif options.store_kind == "mysql":
            server = options.mysql_server or stack.enter_context(_mariadb())
            store, backfilled = (_database(server, n) for n in ("bench_s", "bench_b"))
        else:
            store, backfilled = str(Path(tmp) / "s.duckdb"), str(Path(tmp) / "b.duckdb")
        both = ["--reps", f["reps.parquet"], "--format", "json"]
        steps = [
            ("report (no store)", ["report", "--deals", f["deals2.parquet"], *both,
                                   "--as-of", D2]),
            ("snapshot, first date", ["snapshot", "--deals", f["deals.parquet"], "--reps",
                                      f["reps.parquet"], "--as-of", D1, "--store", store]),
            ("snapshot, with changes", ["snapshot", "--deals", f["deals2.parquet"], "--reps",
                                        f["reps.parquet"], "--as-of", D2, "--store", store]),
            ("report --store (changes)", ["report", "--deals", f["deals2.parquet"], *both,
                                          "--as-of", D2, "--store", store, "--compare-to", D1]),
            ("flow --period this-quarter", ["flow", "--from", D1, "--to", D2, "--store", store,
                                            "--format", "json"]),
            ("velocity --stage-history", ["velocity", "--deals", f["deals.parquet"],
                                          "--stage-history", f["stage_history.csv"],
                                          "--as-of", D1, "--format", "json"]),
            ("velocity --store (2 snapshots)", ["velocity", "--store", store, "--as-of", D2,
                                                "--format", "json"]),
            ("snapshot --backfill (1 date)", ["snapshot", "--backfill", "--deals",
                                              f["deals2.parquet"], "--reps", f["reps.parquet"],
                                              "--field-history", f["field_history.csv"],
                                              "--as-of", D2, "--from", D1, "--to", D1,
                                              "--store", backfilled]),
        ]  # fmt: skip
        lines = [f"| step ({options.size} deals) | wall s | peak RSS MB |", "|---|---:|---:|"]
        for name, args in steps:
            wall, rss = timed(args)
            lines.append(f"| {name} | {wall:.1f} | {rss:.0f} |")
            print(lines[-1], flush=True)
        differ, rows = subprocess.run(
            [sys.executable, "-c", COMPARE, backfilled, store], capture_output=True, text=True,
            check=True,
        ).stdout.split()[-2:]  # fmt: skip
        lines.append("")
        lines.append(
            f"Backfilled {D1} vs the snapshot of that day's export: {differ} of {rows} rows "
            "differ (canonical columns; _row excluded)."
        )
        print(lines[-1])
    if options.out:
        options.out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
