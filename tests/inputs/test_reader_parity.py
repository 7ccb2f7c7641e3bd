"""One dataset, every reader, one report (issue 32, item 8): the fixture's deals and reps,
with a blank stage and a blank risk_velocity_flag held as '' (not null) wherever the format
can hold it, read from CSV, JSON, Parquet, Excel, a list of dicts, a pandas DataFrame, a
DuckDB table and a PostgreSQL table give the same JSON byte for byte. A blank was missing in
a CSV and '' (a "record" velocity flag) everywhere else. (Spark reads files and tables
through the same canonical step: test_spark.py compares its reports with DuckDB's.)"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipereview.api import build_report, table
from pipereview.engines import Engine
from pipereview.engines.duckdb import DuckDBEngine
from pipereview.errors import InputError
from tests.conftest import FIXTURES

AS_OF = dt.date(2026, 11, 20)
Rows = list[dict[str, str]]


def _rows(name: str) -> Rows:
    with (FIXTURES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _data() -> tuple[Rows, Rows]:
    """The fixture's rows as text, blanks as '': D8 without a stage, R2 without a flag."""
    deals, reps = _rows("deals.csv"), _rows("reps.csv")
    next(d for d in deals if d["deal_id"] == "D8")["stage"] = ""
    next(r for r in reps if r["rep_id"] == "R2")["risk_velocity_flag"] = ""
    return deals, reps


def _csv(rows: Rows, path: Path) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _arrow(rows: Rows) -> pa.Table:
    return pa.table({c: pa.array([r[c] for r in rows], pa.string()) for c in rows[0]})


def _json(rows: Rows, path: Path) -> Path:
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def _parquet(rows: Rows, path: Path) -> Path:
    pq.write_table(_arrow(rows), path)
    return path


def _excel(rows: Rows, path: Path) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(rows[0]))
    for row in rows:
        sheet.append(list(row.values()))
    book.save(path)
    return path


def _duckdb(tmp_path: Path, deals: Rows, reps: Rows) -> tuple[Any, Any]:
    path = tmp_path / "crm.duckdb"
    with duckdb.connect(str(path)) as con:
        for name, rows in (("deals", deals), ("reps", reps)):
            data = _arrow(rows)  # noqa: F841  (read by name in the SQL)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM data")
    url = f"duckdb:///{path}"
    return table("deals", url), table("reps", url)


def _postgres(url: str, deals: Rows, reps: Rows) -> tuple[Any, Any]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        for name, rows in (("deals", deals), ("reps", reps)):
            columns = list(rows[0])
            named = f"readers_{name}"  # the server is shared with other tests
            con.execute(f'DROP TABLE IF EXISTS "{named}"')
            con.execute(f'CREATE TABLE "{named}" ({", ".join(f"{c} text" for c in columns)})')
            with con.cursor() as cur, cur.copy(f'COPY "{named}" FROM STDIN') as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
    return table("readers_deals", url), table("readers_reps", url)


READERS: dict[str, Callable[[Path, Rows, Rows], tuple[Any, Any]]] = {
    "json": lambda p, d, r: (_json(d, p / "d.json"), _json(r, p / "r.json")),
    "parquet": lambda p, d, r: (_parquet(d, p / "d.parquet"), _parquet(r, p / "r.parquet")),
    "excel": lambda p, d, r: (_excel(d, p / "d.xlsx"), _excel(r, p / "r.xlsx")),
    "list of dicts": lambda p, d, r: (d, r),
    "pandas": lambda p, d, r: (_arrow(d).to_pandas(), _arrow(r).to_pandas()),
    "duckdb table": _duckdb,
}


@pytest.fixture(scope="module")
def from_csv(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("csv")
    deals, reps = _data()
    report = build_report(_csv(deals, root / "d.csv"), _csv(reps, root / "r.csv"), as_of=AS_OF)
    trajectory = {t.rep_id: t for t in report.rep_trajectory}
    assert trajectory["R2"].risk_velocity_flag is None  # blank is missing
    return report.to_json()


@pytest.mark.parametrize("reader", list(READERS))
def test_every_reader_gives_the_csv_report(tmp_path: Path, from_csv: str, reader: str) -> None:
    deals, reps = READERS[reader](tmp_path, *_data())
    assert build_report(deals, reps, as_of=AS_OF).to_json() == from_csv


@pytest.mark.server
@pytest.mark.xdist_group("postgres")
def test_a_postgresql_table_gives_the_csv_report(pg_url: str, from_csv: str) -> None:
    deals, reps = _postgres(pg_url, *_data())
    assert build_report(deals, reps, as_of=AS_OF).to_json() == from_csv


def _canonical_kinds(engine: Engine) -> set[str]:
    """How the run's canonical tables are held: 'view' (scanned in place) or 'table'."""
    sql = (
        "SELECT 'view' FROM duckdb_views() WHERE view_name LIKE 'pipereview_canonical%' "
        "UNION ALL SELECT 'table' FROM duckdb_tables() "
        "WHERE table_name LIKE 'pipereview_canonical%'"
    )
    return {row[0] for row in engine.con.con.sql(sql).fetchall()}


@pytest.mark.parametrize("above", [None, 0])
def test_parquet_kept_or_scanned_in_place_gives_the_csv_report(
    tmp_path: Path, from_csv: str, monkeypatch: pytest.MonkeyPatch, above: int | None
) -> None:
    """A Parquet file of more rows than ``keeps_in_place_above`` stays a view over the file
    (0: every file); fewer are parsed once into a kept table. Both read alike."""
    if above is not None:
        monkeypatch.setattr(DuckDBEngine, "keeps_in_place_above", above)
    deals, reps = READERS["parquet"](tmp_path, *_data())
    engine = Engine("duckdb")
    assert build_report(deals, reps, as_of=AS_OF, engine=engine).to_json() == from_csv
    assert _canonical_kinds(engine) == ({"table"} if above is None else {"view"})


def test_a_bad_parquet_value_is_named_alike_kept_or_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deals, reps = _data()
    deals[2]["probability"] = "1.5"  # the third deal: row 3 of the file
    paths = READERS["parquet"](tmp_path, deals, reps)
    messages = []
    for above in (DuckDBEngine.keeps_in_place_above, 0):
        monkeypatch.setattr(DuckDBEngine, "keeps_in_place_above", above)
        with pytest.raises(InputError) as err:
            build_report(*paths, as_of=AS_OF)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert "row 3" in messages[0] and "probability" in messages[0], messages[0]
