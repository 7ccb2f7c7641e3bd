"""``duckdb_sql_full``: an equal-work cost baseline for the benchmark, in hand-written DuckDB SQL.

Not an oracle. It computes every section of pipereview's report JSON (pipeline summary, rep
performance and trajectory, the ten flag rules' listed flags and counts, data quality, pipeline
by stage, deal details, the forecast of the quarter holding ``AS_OF`` at every level, roll-ups)
the way an analyst would by hand: one DuckDB connection, a temp table of the typed deals, a few
aggregate temp tables, then one query per section; Python only shapes the fetched rows (bounded
by reps, levels and ``MAX_PER_RULE`` flags, never by deals) and rounds. Default policy only,
thresholds as constants. So "library time / this time" compares like with like.
Run ``python benchmarks/full_sql.py [10k,100k]`` to compare its JSON with the library's.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from baselines import (
    EXTREME_DAYS,
    HIGH_PROBABILITY,
    MAX_PER_RULE,
    NEEDS_COACHING_BELOW,
    STALLED_DAYS,
    TOP_OPPORTUNITIES,
    _records,
    _sql_source,
)
from full_sql_shape import (
    AS_OF,
    COACHING_BELOW,
    COACHING_VELOCITY,
    FY_START_MONTH,
    LOW_COVERAGE_BELOW,
    TREND_BAND,
    _shape,
)

CATS = ("commit", "best_case", "pipeline", "omitted")
FOLD = {"commit": "commit", "forecast": "commit", "bestcase": "best_case",
        "mostlikely": "best_case", "pipeline": "pipeline", "omitted": "omitted",
        "omit": "omitted", "notforecasted": "omitted"}  # fmt: skip
TYPES = {
    "deal_value_usd": "DECIMAL(18,4)",
    "amount": "DECIMAL(18,4)",
    "quota_usd": "DECIMAL(18,4)",
    "year_to_date_revenue_usd": "DECIMAL(18,4)",
    "quota_3m": "DECIMAL(18,4)",
    "closed_won_3m_current": "DECIMAL(18,4)",
    "current_pipeline_value": "DECIMAL(18,4)",
    "previous_pipeline_value": "DECIMAL(18,4)",
    "probability": "DECIMAL(18,6)",
    "close_rate": "DECIMAL(18,6)",
    "days_in_stage": "DOUBLE",
    "risk_score_current": "DOUBLE",
    "created_date": "DATE",
    "close_date": "DATE",
}  # fmt: skip (else VARCHAR)
DEALS = ("deal_id", "rep_id", "status", "stage", "forecast_category", "currency", "amount",
         "deal_value_usd", "probability", "days_in_stage", "created_date", "close_date",
         "risk_flags")  # fmt: skip
REPS = ("rep_id", "rep_name", "quota_usd", "year_to_date_revenue_usd", "close_rate", "quota_3m",
        "closed_won_3m_current", "current_pipeline_value", "previous_pipeline_value",
        "risk_velocity_flag", "risk_score_current", "manager_id", "team", "region")  # fmt: skip


def _add_months(day: dt.date, months: int) -> dt.date:
    n = day.year * 12 + day.month - 1 + months
    return dt.date(n // 12, n % 12 + 1, 1)


def periods(as_of: dt.date = AS_OF) -> dict[str, Any]:
    """The fiscal year and quarter holding ``as_of`` (``calendar.fiscal_year_start_month``)."""
    fy = _add_months(dt.date(as_of.year, FY_START_MONTH, 1), -12 * (as_of.month < FY_START_MONTH))
    q_index = (as_of.month - FY_START_MONTH) % 12 // 3
    q_start = _add_months(fy, 3 * q_index)
    day = dt.timedelta(days=1)
    return {"fy": fy, "q_start": q_start, "q_end": _add_months(q_start, 3) - day,
            "next_end": _add_months(q_start, 6) - day, "days_elapsed": (as_of - fy).days + 1,
            "days_in_year": (_add_months(fy, 12) - fy).days,
            "label": f"FY{(_add_months(fy, 12) - day).year}-Q{q_index + 1}"}  # fmt: skip


def _source(path: str, columns: tuple[str, ...]) -> str:
    """SELECT of the canonical ``columns`` typed from a Parquet or CSV file, plus ``rn`` (the
    row's number from 1)."""
    return _sql_source(
        path, columns, row_number=True, kind=lambda c: TYPES.get(c, "VARCHAR"), first_row=1
    )


def _setup_sql(deals: str, reps: str, per: dict) -> list[str]:
    """Temp tables: d (typed deals), rr/r (reps, r one per rep_id), a (per rep_id deal sums),
    top, u (units: reps plus deal-only rep ids), lvl (every level's sums), fl (listed flags)."""
    q_in = f"close_date BETWEEN DATE '{per['q_start']}' AND DATE '{per['q_end']}'"
    known = ", ".join(f"'{k}'" for k in FOLD)
    cat_case = " ".join(f"WHEN '{k}' THEN '{c}'" for k, c in FOLD.items())
    sums = [
        "count(*) FILTER (status = 'active') AS active_deals",
        "COALESCE(sum(v) FILTER (status = 'active'), 0) AS pipeline_value",
        "COALESCE(sum(ev) FILTER (status = 'active'), 0) AS weighted_pipeline_value",
        "count(*) FILTER (status = 'won') AS won_deals",
        "count(*) FILTER (status = 'lost') AS lost_deals",
        "COALESCE(sum(v) FILTER (status = 'won'), 0) AS won_value",
        f"count(*) FILTER (status = 'active' AND days >= {STALLED_DAYS}) AS stalled_deals",
        "count(*) FILTER (status = 'active' AND len(risk_flags) > 0) AS at_risk_deals",
        f"count(*) FILTER (cat = 'closed' AND {q_in}) AS closed_won_deals",
        f"COALESCE(sum(v) FILTER (cat = 'closed' AND {q_in}), 0) AS closed_won",
        *(f"count(*) FILTER (cat = '{c}' AND {q_in}) AS {c}_deals" for c in CATS),
        *(f"COALESCE(sum(v) FILTER (cat = '{c}' AND {q_in}), 0) AS {c}" for c in CATS),
        "COALESCE(sum(ev) FILTER (cat IN ('commit', 'best_case', 'pipeline') "
        f"AND {q_in}), 0) AS weighted_open_pipeline",
        f"count(*) FILTER (status = 'active' AND close_date < DATE '{AS_OF}') AS slipped_deals",
        f"COALESCE(sum(v) FILTER (status = 'active' AND close_date < DATE '{AS_OF}'), 0) "
        "AS slipped_value",
        "count(*) FILTER (status = 'active' AND close_date IS NULL) AS deals_without_close_date",
        f"count(*) FILTER (by_default AND {q_in}) AS categorized_by_default",
    ]
    names = [s.rsplit(" AS ", 1)[1] for s in sums]
    rep_order = ", ".join(f"{c} ASC NULLS LAST" for c in REPS[1:])
    level_sums = ", ".join(f"sum({n}) AS {n}" for n in names)
    return [
        f"""CREATE TEMP TABLE d AS SELECT *,
          CASE WHEN status = 'won' THEN 'closed' WHEN status = 'active'
               THEN CASE fc {cat_case} ELSE 'pipeline' END END AS cat,
          status = 'active' AND (fc IS NULL OR fc NOT IN ({known})) AS by_default
        FROM (SELECT rn, deal_id, rep_id, NULLIF(lower(trim(status)), '') AS status,
          status AS raw_status, stage, COALESCE(deal_value_usd, 0) AS v,
          COALESCE(probability, 0) AS p,
          (COALESCE(deal_value_usd, 0) * COALESCE(probability, 0))::DECIMAL(38,10) AS ev,
          COALESCE(days_in_stage, 0) AS days, risk_flags, created_date, close_date,
          deal_value_usd IS NULL AS v_missing, probability IS NULL AS p_missing,
          regexp_replace(lower(forecast_category), '[ _-]', '', 'g') AS fc
        FROM ({deals}))""",
        f"""CREATE TEMP TABLE rr AS SELECT * REPLACE (NULLIF(trim(manager_id), '') AS manager_id,
          NULLIF(trim(team), '') AS team, NULLIF(trim(region), '') AS region) FROM ({reps})""",
        f"""CREATE TEMP TABLE r AS SELECT * REPLACE (
          CASE WHEN manager_id <> rep_id THEN manager_id END AS manager_id,
          lower(trim(risk_velocity_flag)) AS risk_velocity_flag)
        FROM rr WHERE rep_id IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY rep_id ORDER BY {rep_order}) = 1""",
        f"CREATE TEMP TABLE a AS SELECT rep_id, {', '.join(sums)} FROM d GROUP BY rep_id",
        f"""CREATE TEMP TABLE top AS SELECT rep_id, list(deal_id ORDER BY ev DESC, deal_id) AS top
        FROM (SELECT rep_id, deal_id, ev FROM d SEMI JOIN r USING (rep_id)
              WHERE status = 'active' QUALIFY row_number() OVER (
                PARTITION BY rep_id ORDER BY ev DESC, deal_id, rn) <= {TOP_OPPORTUNITIES})
        GROUP BY rep_id""",
        f"""CREATE TEMP TABLE u AS SELECT row_number() OVER () AS uid,
          COALESCE(r.rep_id, a.rep_id) AS rep_id, r.rep_name, r.manager_id, r.team, r.region,
          (r.rep_id IS NOT NULL)::INT AS in_reps,
          CASE WHEN r.quota_usd > 0 THEN r.quota_usd END AS pos_quota, r.quota_usd * 0.25 AS rec_q,
          CASE WHEN r.quota_usd > 0 THEN COALESCE(r.year_to_date_revenue_usd, 0) END AS q_rev,
          {", ".join(f"COALESCE(a.{n}, 0) AS {n}" for n in names)}
        FROM r FULL JOIN a ON r.rep_id = a.rep_id""",
        f"""CREATE TEMP TABLE lvl AS
        WITH RECURSIVE below(mgr, rep_id) AS (
          SELECT manager_id, rep_id FROM r WHERE manager_id IS NOT NULL
          UNION SELECT r.manager_id, b.rep_id FROM below b JOIN r ON r.rep_id = b.mgr
          WHERE r.manager_id IS NOT NULL),
        lv AS (
          SELECT 0 AS lo, NULL::VARCHAR AS id, uid FROM u
          UNION ALL SELECT 1, region, uid FROM u UNION ALL SELECT 2, team, uid FROM u
          UNION ALL SELECT 3, m.mgr, u.uid FROM (SELECT * FROM below UNION
            SELECT DISTINCT manager_id, manager_id FROM r WHERE manager_id IS NOT NULL) m
            JOIN u ON u.rep_id = m.rep_id
          UNION ALL SELECT 4, rep_id, uid FROM u)
        SELECT lo, id, sum(in_reps) AS reps, sum(pos_quota) AS quota, sum(q_rev) AS quota_revenue,
          count(*) FILTER (in_reps = 1 AND pos_quota IS NULL) AS reps_without_quota,
          CASE WHEN lo = 4 THEN any_value(rec_q) ELSE sum(pos_quota * 0.25) END AS fq, {level_sums},
          any_value(rep_name) AS rep_name, any_value(manager_id) AS manager_id,
          any_value(team) AS team, any_value(region) AS region
        FROM lv JOIN u USING (uid) GROUP BY lo, id""",
        f"""CREATE TEMP TABLE fl AS SELECT *, count(*) OVER (PARTITION BY rule) AS total FROM (
          SELECT 0 AS ro, 'stalled_deal' AS rule, * FROM d
            WHERE status = 'active' AND days >= {STALLED_DAYS}
          UNION ALL SELECT 1, 'at_risk_deal', * FROM d
            WHERE status = 'active' AND len(risk_flags) > 0
          UNION ALL SELECT 2, 'stale_high_probability', * FROM d WHERE status = 'active'
            AND p >= {HIGH_PROBABILITY} AND days >= {EXTREME_DAYS}
          UNION ALL SELECT 3, 'past_close_date', * FROM d
            WHERE status = 'active' AND close_date < DATE '{AS_OF}')
        QUALIFY row_number() OVER (PARTITION BY rule ORDER BY v DESC, deal_id, rn)
          <= {MAX_PER_RULE}""",
    ]


def _sections_sql(per: dict) -> dict[str, str]:
    """One query per report section, over the temp tables."""
    ratio = lambda n, d: f"CASE WHEN ({d}) > 0 THEN ({n}) / ({d}) END"  # noqa: E731
    return {
        "summary": f"""SELECT count(*) AS total_deals,
          count(*) FILTER (status = 'active') AS active_deals,
          count(*) FILTER (status = 'won') AS won_deals,
          count(*) FILTER (status = 'lost') AS lost_deals,
          COALESCE(sum(v) FILTER (status = 'active'), 0) AS total_pipeline_value,
          COALESCE(sum(ev) FILTER (status = 'active'), 0) AS weighted_pipeline_value,
          count(*) FILTER (status = 'active' AND days >= {STALLED_DAYS}) AS stalled_deals_count,
          count(*) FILTER (status = 'active' AND len(risk_flags) > 0) AS at_risk_deals_count,
          COALESCE(sum(v) FILTER (status = 'won'), 0) AS won_value,
          COALESCE(sum(v) FILTER (status = 'won' AND close_date BETWEEN DATE '{per["q_start"]}'
            AND DATE '{AS_OF}'), 0) AS won_value_quarter_to_date,
          COALESCE(sum(v) FILTER (status = 'won' AND close_date BETWEEN DATE '{per["fy"]}'
            AND DATE '{AS_OF}'), 0) AS won_value_year_to_date,
          count(*) FILTER (status = 'won' AND close_date >= created_date) AS sales_cycle_deals,
          (SELECT sum(year_to_date_revenue_usd) FROM r) AS recorded_year_to_date_revenue,
          quantile_cont(close_date - created_date, 0.5)
            FILTER (status = 'won' AND close_date >= created_date) AS median_sales_cycle_days
        FROM d""",
        "reps": f"""SELECT r.*, top.top, COALESCE(a.active_deals, 0) AS active_deals,
          COALESCE(a.pipeline_value, 0) AS pipeline_value, COALESCE(a.won_deals, 0) AS won_deals,
          COALESCE(a.lost_deals, 0) AS lost_deals, COALESCE(a.won_value, 0) AS won_value,
          COALESCE(r.close_rate, {ratio("a.won_deals", "a.won_deals + a.lost_deals")})
            AS close_rate,
          CASE WHEN r.close_rate IS NOT NULL THEN 'record'
               WHEN a.won_deals + a.lost_deals > 0 THEN 'deals' ELSE 'none' END AS cr_source,
          {ratio("year_to_date_revenue_usd", "quota_usd")} AS achievement,
          {
            ratio(
                "year_to_date_revenue_usd",
                f"quota_usd * {per['days_elapsed']} / {per['days_in_year']}",
            )
        } AS pace,
          COALESCE(year_to_date_revenue_usd < quota_usd * {NEEDS_COACHING_BELOW}
                   AND quota_usd > 0, false) AS needs_coaching,
          {ratio("closed_won_3m_current * 100", "quota_3m")} AS attainment_pct,
          CASE WHEN previous_pipeline_value > 0 THEN (current_pipeline_value
            - previous_pipeline_value) * 100 / previous_pipeline_value END AS change_pct,
          CASE WHEN NOT previous_pipeline_value > 0 THEN 'stable'
               WHEN current_pipeline_value - previous_pipeline_value
                 > {TREND_BAND} * previous_pipeline_value THEN 'improving'
               WHEN current_pipeline_value - previous_pipeline_value
                 < -{TREND_BAND} * previous_pipeline_value THEN 'declining'
               ELSE 'stable' END AS trend,
          COALESCE(risk_velocity_flag = '{COACHING_VELOCITY}', false) AS velocity_matches,
          COALESCE(quota_3m > 0 AND closed_won_3m_current < quota_3m * {COACHING_BELOW}, false)
            AS attainment_below,
          quota_3m > 0 AND closed_won_3m_current IS NOT NULL AND row_number() OVER (
            ORDER BY {ratio("closed_won_3m_current", "quota_3m")} DESC NULLS LAST, r.rep_id)
            = 1 AS benchmark
        FROM r LEFT JOIN a USING (rep_id) LEFT JOIN top USING (rep_id) ORDER BY r.rep_id""",
        "levels": f"""SELECT lvl.*, lvl.manager_id AS parent, m.rep_name AS m_name,
          m.manager_id AS m_parent,
          closed_won + commit AS commit_forecast, closed_won_deals + commit_deals
            AS commit_forecast_deals, closed_won + commit + best_case AS best_case_forecast,
          closed_won_deals + commit_deals + best_case_deals AS best_case_forecast_deals,
          commit + best_case + pipeline AS open_pipeline,
          commit_deals + best_case_deals + pipeline_deals AS open_pipeline_deals,
          fq - closed_won AS gap, {ratio("commit + best_case + pipeline", "fq - closed_won")}
            AS coverage, {ratio("weighted_open_pipeline", "fq - closed_won")} AS w_coverage,
          COALESCE(fq - closed_won > 0 AND commit + best_case + pipeline
                   < {LOW_COVERAGE_BELOW} * (fq - closed_won), false) AS low_coverage
        FROM lvl LEFT JOIN (SELECT 3 AS lo, rep_id, rep_name, manager_id FROM r) m
          ON m.lo = lvl.lo AND m.rep_id = lvl.id
        ORDER BY lo, id NULLS LAST""",
        "by_stage": """SELECT stage, count(*) AS active_deals, sum(v) AS pipeline_value,
          sum(ev) AS weighted_pipeline_value FROM d WHERE status = 'active'
        GROUP BY stage ORDER BY pipeline_value DESC, stage NULLS LAST""",
        "by_month": f"""SELECT m.month, {
            ", ".join(
                f"COALESCE(sum(v) FILTER (cat = '{c}'), 0) AS {c}, count(*) FILTER (cat = '{c}') "
                f"AS {c}_deals"
                for c in CATS[:3]
            )
        },
          COALESCE(sum(v) FILTER (cat IN ('commit', 'best_case', 'pipeline')), 0)
            AS open_pipeline,
          count(*) FILTER (cat IN ('commit', 'best_case', 'pipeline')) AS open_pipeline_deals
        FROM (SELECT unnest(generate_series(DATE '{per["q_start"]}',
                DATE '{per["next_end"]}', INTERVAL 1 MONTH))::DATE AS month) m
        LEFT JOIN d ON d.status = 'active' AND date_trunc('month', d.close_date) = m.month
        GROUP BY m.month ORDER BY m.month""",
        "deal_flags": """SELECT fl.rule, fl.total, fl.deal_id, fl.rep_id, fl.stage, fl.days,
          fl.v, fl.p, fl.risk_flags, fl.close_date FROM fl ORDER BY ro, v DESC, deal_id, rn""",
        "details": """SELECT d.deal_id, d.rep_id, r.rep_name, d.stage, d.status, d.v, d.p, d.ev,
          d.days, d.close_date, d.risk_flags FROM d LEFT JOIN r USING (rep_id)
        WHERE d.deal_id IN (SELECT deal_id FROM fl UNION ALL SELECT unnest(top) FROM top)
        ORDER BY d.deal_id, d.rn""",
        "quality": _QUALITY_SQL,
    }


def _check(name: str, table: str, sev: str, src: str, where: str, ex: str | None) -> str:
    examples = f"min({ex}, 5)" if ex else "[]::VARCHAR[]"
    return (f"SELECT '{name}' AS check, '{table}' AS tbl, '{sev}' AS severity, "
            f"count(*) AS n, {examples} AS examples FROM {src} WHERE {where}")  # fmt: skip


_QUALITY_SQL = " UNION ALL ".join(
    [
        _check("duplicate_deal_id", "deals", "warning",
               "(SELECT deal_id, count(*) OVER (PARTITION BY deal_id) AS k FROM d)",
               "deal_id IS NOT NULL AND k > 1", "DISTINCT deal_id"),
        _check("missing_deal_id", "deals", "warning", "d", "deal_id IS NULL", "'row ' || rn"),
        _check("unknown_status", "deals", "warning", "d",
               "status IS NOT NULL AND status NOT IN ('active', 'won', 'lost')",
               "DISTINCT raw_status"),
        _check("missing_value", "deals", "warning", "d", "status = 'active' AND v_missing",
               "deal_id"),
        _check("missing_probability", "deals", "warning", "d",
               "status = 'active' AND p_missing", "deal_id"),
        _check("negative_value", "deals", "warning", "d", "v < 0", "deal_id"),
        _check("orphan_deal", "deals", "warning",
               "(SELECT rep_id, count(*) OVER (PARTITION BY rep_id) AS k FROM d ANTI JOIN r "
               "USING (rep_id) WHERE rep_id IS NOT NULL)", "true",
               "DISTINCT rep_id || ' (' || k || ' deals)'"),
        _check("deal_without_rep", "deals", "warning", "d", "rep_id IS NULL", "'row ' || rn"),
        _check("duplicate_rep_id", "reps", "warning",
               "(SELECT rep_id, count(*) OVER (PARTITION BY rep_id) AS k FROM rr)",
               "rep_id IS NOT NULL AND k > 1", "DISTINCT rep_id"),
        _check("duplicate_rep_name", "reps", "warning",
               "(SELECT min(rep_name) AS nm, count(*) AS k FROM r WHERE rep_name IS NOT NULL "
               "GROUP BY lower(trim(rep_name)))", "k > 1", "nm || ' (' || k || ' rep ids)'"),
        _check("negative_rep_amount", "reps", "warning", "r",
               "least(quota_usd, year_to_date_revenue_usd, quota_3m, closed_won_3m_current, "
               "current_pipeline_value, previous_pipeline_value) < 0", "rep_id"),
        _check("pipeline_mismatch", "reps", "warning",
               "(SELECT r.rep_id, current_pipeline_value AS cur, a.pipeline_value "
               "AS pv FROM r JOIN a USING (rep_id))", "round(cur, 2) <> round(pv, 2)",
               "rep_id || ' (record ' || round(cur, 2) || ', active deals ' || round(pv, 2) "
               "|| ')'"),
        _check("missing_rep_id", "reps", "warning", "rr", "rep_id IS NULL", "'row ' || rn"),
        _check("missing_quota", "reps", "warning", "r", "NOT COALESCE(quota_usd > 0, false)",
               "rep_id"),
        _check("missing_quota_3m", "reps", "warning", "r", "NOT COALESCE(quota_3m > 0, false)",
               "rep_id"),
        _check("missing_ytd_revenue", "reps", "warning", "r",
               "year_to_date_revenue_usd IS NULL", "rep_id"),
        _check("missing_close_rate", "reps", "info", "r", "close_rate IS NULL", "rep_id"),
        _check("missing_previous_pipeline", "reps", "info", "r",
               "previous_pipeline_value IS NULL", "rep_id"),
        _check("pushes_unknown", "deals", "info", "d", "status = 'active'", None),
        _check("no_known_status", "deals", "error",
               "(SELECT count(*) FILTER (status IN ('active', 'won', 'lost')) AS k FROM d)",
               "k = 0", None),
        _check("no_deal_joins_rep", "deals", "error",
               "(SELECT count(*) FILTER (rep_id IS NOT NULL) AS k, count(*) FILTER (rep_id IN "
               "(SELECT rep_id FROM r)) AS j FROM d)", "k > 0 AND j = 0", None),
    ]
)  # fmt: skip


def duckdb_sql_full(deals_path: str, reps_path: str) -> dict:
    """Every section of the report in hand-written DuckDB SQL on one connection."""
    import duckdb

    per = periods()
    con = duckdb.connect()
    try:
        for sql in _setup_sql(_source(str(deals_path), DEALS), _source(str(reps_path), REPS), per):
            con.execute(sql)
        rows = {name: _records(con, sql) for name, sql in _sections_sql(per).items()}
    finally:
        con.close()
    return _shape(rows, per)


# --------------------------------------------------------------------------- check


def _diff(lib: Any, sql: Any, path: str, out: list[str]) -> None:
    """Collect the paths where two JSON values differ (lists compared item by item)."""
    if isinstance(lib, dict) and isinstance(sql, dict):
        for key in lib.keys() | sql.keys():
            _diff(lib.get(key, "<absent>"), sql.get(key, "<absent>"), f"{path}.{key}", out)
    elif isinstance(lib, list) and isinstance(sql, list) and len(lib) == len(sql):
        for i, (a, b) in enumerate(zip(lib, sql, strict=True)):
            _diff(a, b, f"{path}[{i}]", out)
    elif lib != sql and not (isinstance(lib, float | int) and isinstance(sql, float | int)
                             and abs(lib - sql) < 1e-9):  # fmt: skip
        out.append(f"{path}: {str(lib)[:70]!r} vs {str(sql)[:70]!r}")


def check(sizes: list[str]) -> None:
    """Build the library's report and duckdb_sql_full's for each size and compare them."""
    import json
    import re
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import pipereview

    for size in sizes:
        deals, reps = (str(Path(__file__).parent / ".data" / size / f) for f in
                       ("deals.parquet", "reps.parquet"))  # fmt: skip
        lib = json.loads(pipereview.build_report(deals, reps, as_of=AS_OF).to_json())
        sql = json.loads(json.dumps(duckdb_sql_full(deals, reps), default=str))
        print(
            f"\n## {size}\n\n| section | library rows | duckdb_sql_full rows | fields differing |"
        )
        print("|---|---:|---:|---:|")
        lists = [(k, lib[k], sql.get(k)) for k in lib if isinstance(lib[k], list)]
        lists += [(f"forecast.{k}", v, sql["forecast"].get(k)) for k, v in lib["forecast"].items()
                  if isinstance(v, list)]  # fmt: skip
        diffs: list[str] = []
        for name, a, b in lists:
            found: list[str] = []
            _diff(a, b, name, found)
            diffs += found
            print(f"| {name} | {len(a)} | {len(b or [])} | {len(found)} |")
        print("\n| figure | library | duckdb_sql_full |\n|---|---:|---:|")
        for name, a, b in [("pipeline_summary", lib["pipeline_summary"], sql["pipeline_summary"]),
                           ("forecast.company", lib["forecast"]["company"],
                            sql["forecast"]["company"]),
                           ("rollups company", lib["rollups"][0], sql["rollups"][0])]:  # fmt: skip
            for key, value in a.items():
                mark = "" if value == b.get(key, "<absent>") else " **differs**"
                print(f"| {name}.{key} | {value} | {b.get(key, '<absent>')}{mark} |")
        # differences by field name (list indices folded), for a summary of what differs
        kinds: dict[str, int] = {}
        for d in diffs:
            key = re.sub(r"\[\d+\]", "[]", d.split(":")[0])
            kinds[key] = kinds.get(key, 0) + 1
        print("\nfields differing (count):", json.dumps(kinds, indent=1) if kinds else "none")
        for d in diffs[:15]:
            print("  e.g.", d)


if __name__ == "__main__":
    import sys

    check((sys.argv[1] if len(sys.argv) > 1 else "10k,100k").split(","))
