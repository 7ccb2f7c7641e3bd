"""PostgreSQL tables read in place: the report is computed in a real PostgreSQL server (started
on 127.0.0.1 in a temporary directory) and equals DuckDB's report of the same data byte for
byte: text tables as a CSV loader leaves them, typed tables (numeric, double, date, boolean,
text[]) as a warehouse keeps them, a CRM preset, empty tables, non-ASCII text and ties.
Errors name the table, row and column; a wrong URL or table is one clear line."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pipereview.api import build_report, table, validate
from pipereview.engines import Engine
from pipereview.errors import EngineError, InputError, StoreError
from tests.support.cli import pipereview
from tests.support.postgres_server import TYPED, load_csv

pytestmark = [pytest.mark.server, pytest.mark.xdist_group("postgres")]

AS_OF = dt.date(2026, 11, 22)
CRM = Path(__file__).parents[1] / "fixtures" / "crm" / "salesforce"
DEMO_AS_OF = dt.date(2026, 11, 20)

# User rules compile to the server's SQL too (functions, arithmetic, dates, text).
RULES = {
    "rules": [
        {
            "id": "big_and_late",
            "subject": "deal",
            "when": "deal_value_usd > 50000 and lower(stage) in ('negotiation', 'proposal') "
            "and close_date < as_of and coalesce(probability, 0) between 0.1 and 0.9 "
            "and upper(trim(status)) = 'ACTIVE' "
            "and abs(days_in_stage - 10) / 2 >= least(3, greatest(1, probability))",
            "severity": "warning",
            "message": "Deal {deal_id} is big and late",
        },
        {
            "id": "lagging_rep",
            "subject": "rep",
            "when": "year_to_date_revenue_usd / quota_usd < 0.5 and team is not null",
            "severity": "info",
            "message": "Rep {rep_id} lags",
        },
    ]
}


def _tables(url: str, prefix: str = "", schema: str = "public") -> tuple[Any, Any]:
    where = "" if schema == "public" else f"{schema}."
    return table(f"{where}{prefix}deals", url), table(f"{where}{prefix}reps", url)


def test_text_tables_equal_the_files_byte_for_byte(
    pg_url: str, small_files: tuple[Path, Path]
) -> None:
    load_csv(pg_url, "deals", small_files[0])
    load_csv(pg_url, "reps", small_files[1])
    files = build_report(*small_files, as_of=AS_OF)
    tables = build_report(*_tables(pg_url), as_of=AS_OF)
    assert tables.to_json() == files.to_json()


def test_typed_warehouse_tables_equal_duckdb(pg_url: str, demo_files: tuple[Path, Path]) -> None:
    """5,000 demo deals in numeric, double, date and text[] columns: every section, the
    forecast and the fingerprint equal DuckDB's report of the CSV files."""
    deals, reps = demo_files
    text = deals.read_text()
    assert ";" in text  # risk flags are lists here
    load_csv(pg_url, "typed_deals", deals, TYPED)
    load_csv(pg_url, "typed_reps", reps, TYPED)
    files = build_report(deals, reps, as_of=DEMO_AS_OF, policy=RULES)
    tables = build_report(*_tables(pg_url, "typed_"), as_of=DEMO_AS_OF, policy=RULES)
    assert tables.to_json() == files.to_json()
    assert tables.forecast is not None and len(tables.forecast.by_rep) == 40
    counts = {c.rule: c.total for c in tables.flag_counts}
    assert counts["big_and_late"] > 0 and counts["lagging_rep"] > 0


def test_preset_over_postgres_tables(pg_url: str) -> None:
    load_csv(pg_url, "deals", CRM / "Opportunity.csv", schema="salesforce")
    load_csv(pg_url, "reps", CRM / "User.csv", schema="salesforce")
    files = build_report(
        CRM / "Opportunity.csv", CRM / "User.csv", as_of=AS_OF, preset="salesforce"
    )
    tables = build_report(*_tables(pg_url, schema="salesforce"), as_of=AS_OF, preset="salesforce")
    assert tables.to_json() == files.to_json()
    # side files (a quota table, a stage table) are sent to the server next to the tables
    quotas = CRM / "ForecastingQuota.csv"
    files = build_report(
        CRM / "Opportunity.csv", CRM / "User.csv", as_of=AS_OF, preset="salesforce", quotas=quotas
    )
    tables = build_report(
        *_tables(pg_url, schema="salesforce"), as_of=AS_OF, preset="salesforce", quotas=quotas
    )
    assert tables.to_json() == files.to_json()
    # a report export: labels, owner names, US dates (a strftime format in the mapping)
    report = (CRM / "opportunity_report.csv", CRM / "users_report.csv")
    load_csv(pg_url, "report_deals", report[0], schema="salesforce")
    load_csv(pg_url, "report_reps", report[1], schema="salesforce")
    files = build_report(*report, as_of=AS_OF, preset="salesforce-report")
    tables = build_report(
        *_tables(pg_url, "report_", schema="salesforce"), as_of=AS_OF, preset="salesforce-report"
    )
    assert tables.to_json() == files.to_json()
    hubspot = CRM.parent / "hubspot"
    load_csv(pg_url, "deals", hubspot / "deals.csv", schema="hubspot")
    load_csv(pg_url, "reps", hubspot / "owners.csv", schema="hubspot")
    stages = hubspot / "pipeline_stages.csv"
    files = build_report(
        hubspot / "deals.csv", hubspot / "owners.csv", as_of=AS_OF, preset="hubspot", stages=stages
    )
    tables = build_report(
        *_tables(pg_url, schema="hubspot"), as_of=AS_OF, preset="hubspot", stages=stages
    )
    assert tables.to_json() == files.to_json()


def test_non_ascii_ties_and_case(pg_url: str, tmp_path: Path) -> None:
    """Statuses and categories in any case, non-ASCII ids and names, equal values: folded
    and ordered as DuckDB does, whatever the database's collation."""
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "deal_id,rep_id,status,deal_value_usd,probability,days_in_stage,risk_flags,stage,"
        "close_date,forecast_category\n"
        "Éclair,R1,ACTIVE,500,0.5,3,,Proposal,2026-12-10,BEST CASE\n"
        "apple,R1, Active ,500,0.5,3,late;no_champion,Proposal,2026-12-11,Commit\n"
        "Zebra,R1,active,500,0.5,3,,Proposal,2026-12-12,commit\n"
        "zèbre,R1,WON,500,1,3,,Closed Won,2026-11-02,Closed\n"
        "ß-deal,Ünal,active,900,0.9,95,,Negotiation,2026-10-01,MOST LIKELY\n"
        "b,Ünal,Lost,100,0,3,,Closed Lost,2026-11-01,Omitted\n"
    )
    reps = tmp_path / "reps.csv"
    reps.write_text(
        "rep_id,rep_name,quota_usd,year_to_date_revenue_usd,close_rate\n"
        "R1,Åsa Öberg,10000,2000,0.3\n"
        "Ünal,ünal çelik,8000,9000,0.5\n"
    )
    load_csv(pg_url, "intl_deals", deals)
    load_csv(pg_url, "intl_reps", reps)
    files = build_report(deals, reps, as_of=AS_OF)
    tables = build_report(*_tables(pg_url, "intl_"), as_of=AS_OF)
    assert tables.to_json() == files.to_json()
    tops = {r.rep_id: r.top_opportunities for r in tables.rep_performance}
    assert tops["R1"] == ["Zebra", "apple", "Éclair"]  # equal values: ids in byte order


def test_empty_tables(pg_url: str, tmp_path: Path, small_files: tuple[Path, Path]) -> None:
    for path, source in ((tmp_path / "deals.csv", small_files[0]), (tmp_path / "reps.csv",
                                                                      small_files[1])):  # fmt: skip
        path.write_text(source.read_text().splitlines()[0] + "\n")
    load_csv(pg_url, "empty_deals", tmp_path / "deals.csv")
    load_csv(pg_url, "empty_reps", tmp_path / "reps.csv")
    files = build_report(tmp_path / "deals.csv", tmp_path / "reps.csv", as_of=AS_OF)
    tables = build_report(*_tables(pg_url, "empty_"), as_of=AS_OF)
    assert tables.to_json() == files.to_json()
    assert tables.pipeline_summary.total_deals == 0


def test_bad_value_is_located(pg_url: str, tmp_path: Path, small_files: tuple[Path, Path]) -> None:
    lines = small_files[0].read_text().splitlines()
    header = lines[0].split(",")
    row = lines[3].split(",")
    row[header.index("probability")] = "45"
    bad = tmp_path / "deals.csv"
    bad.write_text("\n".join([lines[0], *lines[1:3], ",".join(row), *lines[4:]]) + "\n")
    load_csv(pg_url, "bad_deals", bad)
    load_csv(pg_url, "reps", small_files[1])
    with pytest.raises(InputError) as caught:
        build_report(table("bad_deals", pg_url), table("reps", pg_url), as_of=AS_OF)
    err = caught.value
    assert (err.row, err.column) == (3, "probability")
    assert err.source is not None and err.source.endswith("table bad_deals")
    assert "'45' cannot be used as probability" in str(err)
    # a value no cast can read (not a number at all) is refused the same way, not crashed
    row[header.index("probability")] = "half"
    bad.write_text("\n".join([lines[0], *lines[1:3], ",".join(row), *lines[4:]]) + "\n")
    load_csv(pg_url, "bad_deals", bad)
    with pytest.raises(InputError, match="'half' cannot be used as probability"):
        build_report(table("bad_deals", pg_url), table("reps", pg_url), as_of=AS_OF)


def test_validate_runs_in_the_server(pg_url: str, small_files: tuple[Path, Path]) -> None:
    load_csv(pg_url, "deals", small_files[0])
    load_csv(pg_url, "reps", small_files[1])
    files = validate(*small_files, as_of=AS_OF)
    tables = validate(*_tables(pg_url), as_of=AS_OF)
    assert [i.model_dump() for i in tables] == [i.model_dump() for i in files]


def test_wrong_url_table_and_engine(pg_url: str, small_files: tuple[Path, Path]) -> None:
    load_csv(pg_url, "reps", small_files[1])
    with pytest.raises(InputError, match=r"no table 'opportunities' \(tables: .*reps"):
        build_report(table("opportunities", pg_url), table("reps", pg_url), as_of=AS_OF)
    dead = "postgresql://pipereview@127.0.0.1:1/postgres"
    with pytest.raises(EngineError, match=r"cannot connect to postgresql://pipereview@127"):
        build_report(table("deals", dead), table("reps", dead), as_of=AS_OF)
    with pytest.raises(InputError, match="computed in their own server"):
        build_report(table("deals", pg_url), table("reps", pg_url), as_of=AS_OF, engine="spark")
    with pytest.raises(InputError, match="computed in their own server"):
        build_report(table("deals", pg_url), small_files[1], as_of=AS_OF, engine=Engine())
    with pytest.raises(InputError, match="a postgres table is read with --engine postgres"):
        Engine().read_table(table("deals", pg_url))
    other = pg_url.rsplit("/", 1)[0] + "/template1"
    with pytest.raises(InputError, match="from one database"):
        build_report(table("deals", pg_url), table("reps", other), as_of=AS_OF)
    with pytest.raises(StoreError, match=r"no store at x\.duckdb"):  # a DuckDB store may serve
        build_report(*_tables(pg_url), as_of=AS_OF, store="x.duckdb")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return pipereview(*args)


def test_cli_report_equals_duckdb_byte_for_byte(
    pg_url: str, small_files: tuple[Path, Path]
) -> None:
    load_csv(pg_url, "deals", small_files[0])
    load_csv(pg_url, "reps", small_files[1])
    common = ("--as-of", "2026-11-22", "--format", "json")
    files = _cli("report", "--deals", str(small_files[0]), "--reps", str(small_files[1]), *common)
    tables = _cli(
        "report", "--source", pg_url, "--deals-table", "deals", "--reps-table", "reps", *common
    )
    assert files.returncode == 0 and tables.returncode == 0, tables.stderr
    assert tables.stdout == files.stdout
    assert json.loads(tables.stdout)["input_fingerprint"].startswith("sha256:")
    spark = _cli(
        "report", "--source", pg_url, "--deals-table", "deals", "--reps-table", "reps",
        "--engine", "spark", *common,
    )  # fmt: skip
    assert spark.returncode == 2
    assert "computed in their own server" in " ".join(spark.stderr.replace("│", " ").split())
    refused = _cli(
        "report", "--source", "postgresql://pipereview@127.0.0.1:1/postgres",
        "--deals-table", "deals", "--reps-table", "reps", *common,
    )  # fmt: skip
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "cannot connect to postgresql://pipereview@127.0.0.1:1/postgres" in refused.stderr


TEXTS = [
    " 12 ", "+5", "5.", ".5", "1e5", "1E-2", "-0.00005", "0.00015", "NaN", "inf", "-Infinity",
    "1_000", "12,5", "\t7\n", "", "abc", "99999999999999.9999", "100000000000000", "1e400",
    "0x10", "--1", "1.2.3",
]  # fmt: skip
DATES = [
    "2026-1-5", "2026/01/05", "01/05/2026", "Jan 5 2026", " 2026-01-05 ", "2026-02-30",
    "2024-02-29", "20260105", "2026-13-01", "", "x",
]  # fmt: skip


@pytest.mark.parametrize(
    ("texts", "target"),
    [
        (TEXTS, "decimal(18,4)"),
        (TEXTS, "decimal(18,6)"),
        (TEXTS, "float64"),
        ([t for t in TEXTS if t not in ("1e5", "1E-2", ".5", "1_000")], "int64"),
        (DATES, "date"),
    ],
)
def test_try_cast_reads_text_as_duckdb_does(pg_url: str, texts: list[str], target: str) -> None:
    """Every text either engine can or cannot read as ``target`` gives the same value (the
    int64 exceptions: DuckDB rounds '1e5', '.5' and reads '1_000' as whole numbers, which
    PostgreSQL refuses; pipereview reads integers only from whole-number text)."""
    import pyarrow as pa

    data = pa.table({"i": list(range(len(texts))), "s": texts})
    results = []
    for engine in (Engine("duckdb"), Engine("postgres", postgres_url=pg_url)):
        t = engine.from_arrow(data)
        rows = engine.rows(t.select("i", v=t.s.try_cast(target)).order_by("i"))
        results.append([_comparable(r["v"]) for r in rows])
    duck, pg = results
    assert pg == duck, [(t, d, p) for t, d, p in zip(texts, duck, pg, strict=True) if d != p]


def _comparable(value: Any) -> Any:
    return "nan" if isinstance(value, float) and math.isnan(value) else value


def test_databases_pipereview_cannot_use(pg_url: str) -> None:
    """A database that does not store UTF8, and a user who may not create temporary
    objects, are refused in one line before any table is read."""
    base = pg_url.rsplit("/", 1)[0]
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("DROP DATABASE IF EXISTS latin")
        con.execute("CREATE DATABASE latin ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' "
                    "TEMPLATE template0")  # fmt: skip
        con.execute("DROP DATABASE IF EXISTS locked")
        con.execute("CREATE DATABASE locked")
        con.execute("REVOKE TEMPORARY ON DATABASE locked FROM PUBLIC")
        con.execute("DROP ROLE IF EXISTS reader")
        con.execute("CREATE ROLE reader LOGIN")
    with pytest.raises(EngineError, match="stores text as LATIN1, not UTF8"):
        Engine("postgres", postgres_url=f"{base}/latin")
    reader = base.replace("pipereview@", "reader@") + "/locked"
    with pytest.raises(EngineError, match="cannot set up a session on postgresql://reader@"):
        Engine("postgres", postgres_url=reader)
