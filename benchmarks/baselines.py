"""The two comparison implementations for the benchmark (default policy only).

* ``duckdb_sql``: hand-written DuckDB SQL over the input files on one connection.
* ``python_onepass``: plain Python reading the deals file once, row by row, no pandas.

Both return the shape of ``tests/support/oracle.py::oracle_report`` plus ``flag_rows``: the stalled,
at-risk and stale high-probability active deals, at most ``MAX_PER_RULE`` per rule, by
deal_value_usd desc, deal_id asc.
Thresholds compare unrounded values; rounding happens once, in Python, in ``_finish``.
Files are chosen by extension: ``.parquet`` (risk_flags list<string>) or ``.csv`` (risk_flags
a ';'-joined string, empty = none; empty fields are null).
"""

from __future__ import annotations

import csv
import heapq
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

STALLED_DAYS = 21.0
HIGH_PROBABILITY = 0.7
EXTREME_DAYS = 60.0
STALE_SQL = f"p >= {HIGH_PROBABILITY} AND days >= {EXTREME_DAYS}::DOUBLE"
NEEDS_COACHING_BELOW = 0.7
TOP_OPPORTUNITIES = 3
TREND_BAND_PCT = 2.0
COACHING_BELOW_PCT = 90.0
MAX_PER_RULE = 1000

DEAL_COLUMNS = (
    "deal_id",
    "rep_id",
    "status",
    "deal_value_usd",
    "probability",
    "days_in_stage",
    "risk_flags",
)
REP_COLUMNS = (
    "rep_id",
    "rep_name",
    "quota_usd",
    "year_to_date_revenue_usd",
    "close_rate",
    "quota_3m",
    "closed_won_3m_current",
    "current_pipeline_value",
    "previous_pipeline_value",
    "risk_velocity_flag",
    "risk_score_current",
)
_TEXT = {"deal_id", "rep_id", "status", "rep_name", "risk_velocity_flag"}
_PROBABILITY = {"probability", "close_rate"}
_MONEY = {
    "deal_value_usd",
    "quota_usd",
    "year_to_date_revenue_usd",
    "quota_3m",
    "closed_won_3m_current",
    "current_pipeline_value",
    "previous_pipeline_value",
}
_ECHO = ("quota_3m", "closed_won_3m_current", "current_pipeline_value", "previous_pipeline_value")


def _r(value: Any, places: int = 2) -> float | None:
    return None if value is None else round(float(value), places)


def _finish(summary: dict, reps: list[dict], flag_rows: dict[str, list[dict]]) -> dict:
    """Round once and shape the output; ``reps`` are unrounded rows ordered by rep_id."""
    performance, trajectory = [], []
    for rep in reps:
        performance.append(
            {
                "rep_id": rep["rep_id"],
                "rep_name": rep["rep_name"],
                "active_deals": int(rep["active_deals"]),
                "pipeline_value": _r(rep["pipeline_value"]),
                "close_rate": _r(rep["close_rate"]),
                "close_rate_source": rep["close_rate_source"],
                "quota_achievement": _r(rep["achievement"]),
                "needs_coaching": bool(rep["needs_coaching"]),
                "top_opportunities": list(rep["top_opportunities"] or []),
            }
        )
        score = rep["risk_score_current"]
        trajectory.append(
            {
                "rep_id": rep["rep_id"],
                "rep_name": rep["rep_name"],
                **{name: _r(rep[name]) for name in _ECHO[:2]},
                "quota_attainment_pct": _r(rep["attainment_pct"], 1),
                **{name: _r(rep[name]) for name in _ECHO[2:]},
                "pipeline_trend": rep["pipeline_trend"],
                "risk_velocity_flag": rep["risk_velocity_flag"],
                "coaching_candidate": bool(rep["coaching_candidate"]),
                "benchmark": bool(rep["benchmark"]),
                "risk_score_current": None if score is None else int(score),
            }
        )
    out_summary = {
        key: (int(summary[key]) if key.endswith(("_deals", "_count")) else _r(summary[key]))
        for key in (
            "total_deals",
            "active_deals",
            "won_deals",
            "lost_deals",
            "total_pipeline_value",
            "weighted_pipeline_value",
            "average_deal_size",
            "win_rate",
            "stalled_deals_count",
            "at_risk_deals_count",
        )
    }
    flag_counts = {
        "stalled_deal": out_summary["stalled_deals_count"],
        "at_risk_deal": out_summary["at_risk_deals_count"],
        "stale_high_probability": int(summary["stale_count"]),
        "needs_coaching": sum(r["needs_coaching"] for r in performance),
        "coaching_candidate": sum(r["coaching_candidate"] for r in trajectory),
        "benchmark": sum(r["benchmark"] for r in trajectory),
        "pipeline_declining": sum(r["pipeline_trend"] == "declining" for r in trajectory),
    }
    rows = {
        rule: [
            {
                "deal_id": row["deal_id"],
                "days_in_stage": float(row["days_in_stage"]),
                "deal_value_usd": _r(row["deal_value_usd"]),
                "risk_flags": list(row["risk_flags"]),
            }
            for row in found
        ]
        for rule, found in flag_rows.items()
    }
    return {
        "pipeline_summary": out_summary,
        "rep_performance": performance,
        "rep_trajectory": trajectory,
        "flag_counts": flag_counts,
        "flag_rows": rows,
    }


# --------------------------------------------------------------------------- DuckDB SQL


def _kind(col: str) -> str:
    """A column's canonical type: ids and text VARCHAR, money DECIMAL(18,4), probabilities
    DECIMAL(18,6), other numbers DOUBLE (as pipereview)."""
    if col in _TEXT:
        return "VARCHAR"
    if col in _PROBABILITY:
        return "DECIMAL(18,6)"
    return "DECIMAL(18,4)" if col in _MONEY else "DOUBLE"


def _sql_source(
    path: str,
    columns: tuple[str, ...],
    *,
    row_number: bool,
    kind: Callable[[str], str] = _kind,
    first_row: int = 0,
) -> str:
    """A SELECT over the file with each column cast to ``kind(column)``, and with
    ``row_number`` the row's number from ``first_row`` as ``rn``."""
    quoted = path.replace("'", "''")
    csv_input = Path(path).suffix.lower() == ".csv"
    exprs = []
    for col in columns:
        if col == "risk_flags":
            exprs.append(
                "CASE WHEN risk_flags IS NULL OR risk_flags = '' THEN []::VARCHAR[] "
                "ELSE string_split(risk_flags, ';') END AS risk_flags"
                if csv_input
                else "COALESCE(risk_flags, []::VARCHAR[]) AS risk_flags"
            )
        else:
            exprs.append(f"CAST({col} AS {kind(col)}) AS {col}")
    if csv_input:
        scan = f"read_csv('{quoted}', header = true, all_varchar = true)"
        if row_number:  # CSV has no file_row_number; a scan keeps insertion order
            exprs.append(f"row_number() OVER () - 1 + {first_row} AS rn")
    else:
        scan = f"read_parquet('{quoted}', file_row_number = {str(row_number).lower()})"
        if row_number:
            exprs.append(f"file_row_number + {first_row} AS rn")
    return f"SELECT {', '.join(exprs)} FROM {scan}"


_SUMMARY_SQL = f"""
WITH s AS (
  SELECT count(*) AS total_deals,
         count(*) FILTER (status = 'active') AS active_deals,
         count(*) FILTER (status = 'won') AS won_deals,
         count(*) FILTER (status = 'lost') AS lost_deals,
         COALESCE(sum(v) FILTER (status = 'active'), 0) AS total_pipeline_value,
         COALESCE(sum((v * p)::DECIMAL(38,10)) FILTER (status = 'active'), 0)
           AS weighted_pipeline_value,
         count(*) FILTER (status = 'active' AND days >= {STALLED_DAYS}::DOUBLE)
           AS stalled_deals_count,
         count(*) FILTER (status = 'active' AND len(risk_flags) > 0) AS at_risk_deals_count,
         count(*) FILTER (status = 'active' AND {STALE_SQL}) AS stale_count
  FROM d)
SELECT *,
  CASE WHEN active_deals > 0 THEN total_pipeline_value / active_deals ELSE 0 END
    AS average_deal_size,
  CASE WHEN won_deals + lost_deals > 0
       THEN won_deals::DOUBLE / (won_deals + lost_deals) ELSE 0 END AS win_rate
FROM s
"""

_FLAG_SQL = """
SELECT deal_id, days AS days_in_stage, v AS deal_value_usd, risk_flags FROM d
WHERE status = 'active' AND {cond}
ORDER BY v DESC, deal_id ASC LIMIT {limit}
"""

_REPS_SQL = f"""
WITH r AS (
  SELECT * FROM ({{reps}}) WHERE rep_id IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY rep_id ORDER BY rn) = 1),
agg AS (
  SELECT rep_id,
         count(*) FILTER (status = 'active') AS active_deals,
         COALESCE(sum(v) FILTER (status = 'active'), 0) AS pipeline_value,
         count(*) FILTER (status = 'won') AS won,
         count(*) FILTER (status = 'lost') AS lost
  FROM d WHERE rep_id IS NOT NULL GROUP BY rep_id),
ranked AS (
  SELECT rep_id, deal_id, (v * p)::DECIMAL(38,10) AS score FROM d
  WHERE status = 'active' AND rep_id IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY rep_id ORDER BY score DESC, deal_id ASC)
          <= {TOP_OPPORTUNITIES}),
top AS (
  SELECT rep_id, list(deal_id ORDER BY score DESC, deal_id ASC) AS top_opportunities
  FROM ranked GROUP BY rep_id),
base AS (
  SELECT r.*, COALESCE(agg.active_deals, 0) AS active_deals,
    COALESCE(agg.pipeline_value, 0) AS pipeline_value, top.top_opportunities,
    CASE WHEN r.close_rate IS NOT NULL THEN r.close_rate
         WHEN agg.won + agg.lost > 0 THEN agg.won::DOUBLE / (agg.won + agg.lost) END AS cr,
    CASE WHEN r.close_rate IS NOT NULL THEN 'record'
         WHEN agg.won + agg.lost > 0 THEN 'deals' ELSE 'none' END AS close_rate_source,
    CASE WHEN quota_usd <> 0 THEN year_to_date_revenue_usd / quota_usd END AS achievement,
    CASE WHEN quota_3m <> 0 THEN closed_won_3m_current / quota_3m * 100 END
      AS attainment_pct,
    CASE WHEN previous_pipeline_value IS NULL OR previous_pipeline_value = 0
              OR current_pipeline_value IS NULL THEN 'stable'
         WHEN (current_pipeline_value - previous_pipeline_value) / previous_pipeline_value
              * 100 > {TREND_BAND_PCT}::DOUBLE THEN 'improving'
         WHEN (current_pipeline_value - previous_pipeline_value) / previous_pipeline_value
              * 100 < -{TREND_BAND_PCT}::DOUBLE THEN 'declining'
         ELSE 'stable' END AS pipeline_trend,
    lower(trim(r.risk_velocity_flag)) AS velocity,
    CASE WHEN quota_3m > 0 THEN closed_won_3m_current / quota_3m END AS bench_ratio
  FROM r LEFT JOIN agg USING (rep_id) LEFT JOIN top USING (rep_id))
SELECT rep_id, rep_name, active_deals, pipeline_value, cr AS close_rate, close_rate_source,
  achievement, COALESCE(achievement < {NEEDS_COACHING_BELOW}::DOUBLE, false) AS needs_coaching,
  top_opportunities, quota_3m, closed_won_3m_current, attainment_pct, current_pipeline_value,
  previous_pipeline_value, pipeline_trend, velocity AS risk_velocity_flag,
  COALESCE(velocity = 'increasing', false)
    OR COALESCE(quota_3m > 0 AND closed_won_3m_current
                < quota_3m * ({COACHING_BELOW_PCT}::DOUBLE / 100), false) AS coaching_candidate,
  bench_ratio IS NOT NULL
    AND row_number() OVER (ORDER BY bench_ratio DESC NULLS LAST, rep_id ASC) = 1 AS benchmark,
  risk_score_current
FROM base ORDER BY rep_id
"""


# The data-quality checks pipereview also reports: duplicate deal ids (count and examples),
# deals whose rep is not in the reps input, reps with a missing or zero quota.
_CHECKS_SQL = """
WITH r AS (
  SELECT * FROM ({reps}) WHERE rep_id IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY rep_id ORDER BY rn) = 1),
dup AS (
  SELECT deal_id, count(*) AS n FROM d WHERE deal_id IS NOT NULL
  GROUP BY deal_id HAVING count(*) > 1)
SELECT
  (SELECT count(*) FROM dup) AS duplicate_deal_ids,
  (SELECT list(deal_id ORDER BY deal_id) FROM (SELECT deal_id FROM dup ORDER BY deal_id LIMIT 5))
    AS duplicate_examples,
  (SELECT count(*) FROM d ANTI JOIN r USING (rep_id) WHERE d.rep_id IS NOT NULL)
    AS orphan_deals,
  (SELECT count(*) FROM r WHERE quota_usd IS NULL OR quota_usd <= 0) AS missing_quota
"""


def _records(con: Any, sql: str) -> list[dict]:
    cur = con.execute(sql)
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def duckdb_sql(deals_path: str, reps_path: str) -> dict:
    """Compute the report sections with hand-written DuckDB SQL on one connection."""
    import duckdb

    con = duckdb.connect()
    try:
        src = _sql_source(str(deals_path), DEAL_COLUMNS, row_number=False)
        con.execute(
            "CREATE TEMP TABLE d AS SELECT deal_id, rep_id, "
            "NULLIF(lower(trim(status)), '') AS status, "
            "COALESCE(deal_value_usd, 0) AS v, COALESCE(probability, 0) AS p, "
            f"COALESCE(days_in_stage, 0) AS days, risk_flags FROM ({src})"
        )
        summary = _records(con, _SUMMARY_SQL)[0]
        reps_src = _sql_source(str(reps_path), REP_COLUMNS, row_number=True)
        reps = _records(con, _REPS_SQL.format(reps=reps_src))
        checks = _records(con, _CHECKS_SQL.format(reps=reps_src))[0]
        flag_rows = {
            rule: _records(con, _FLAG_SQL.format(cond=cond, limit=MAX_PER_RULE))
            for rule, cond in (
                ("stalled_deal", f"days >= {STALLED_DAYS}::DOUBLE"),
                ("at_risk_deal", "len(risk_flags) > 0"),
                ("stale_high_probability", STALE_SQL),
            )
        }
    finally:
        con.close()
    result = _finish(summary, reps, flag_rows)
    result["checks"] = checks
    return result


# --------------------------------------------------------------------------- one-pass Python


def _iter_rows(path: str, columns: tuple[str, ...]) -> Iterator[dict]:
    """Yield rows as dicts of ``columns``; CSV fields are parsed, empty fields are None."""
    if Path(path).suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            index = [(col, header.index(col)) for col in columns]
            for fields in reader:
                row: dict[str, Any] = {}
                for col, i in index:
                    raw = fields[i]
                    if col == "risk_flags":
                        row[col] = raw.split(";") if raw else []
                    elif raw == "":
                        row[col] = None
                    else:
                        row[col] = raw if col in _TEXT else float(raw)
                yield row
    else:
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=65_536, columns=list(columns)):
            yield from batch.to_pylist()


class _Desc:
    """Wraps a string so that it orders descending (for min-heaps keeping the smallest ids)."""

    __slots__ = ("s",)

    def __init__(self, s: str) -> None:
        self.s = s

    def __lt__(self, other: _Desc) -> bool:
        return self.s > other.s

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.s == other.s

    def __hash__(self) -> int:
        return hash(self.s)


def _push(heap: list, k: int, item: tuple) -> None:
    """Keep the k largest items in a min-heap."""
    if len(heap) < k:
        heapq.heappush(heap, item)
    elif item > heap[0]:
        heapq.heapreplace(heap, item)


def _rep_row(rep: dict, state: list | None) -> dict:
    active, pipeline, won, lost, heap = state or [0, 0.0, 0, 0, []]
    if rep["close_rate"] is not None:
        close_rate, source = rep["close_rate"], "record"
    elif won + lost > 0:
        close_rate, source = won / (won + lost), "deals"
    else:
        close_rate, source = None, "none"
    quota, ytd = rep["quota_usd"], rep["year_to_date_revenue_usd"]
    achievement = ytd / quota if quota and ytd is not None else None
    q3, closed = rep["quota_3m"], rep["closed_won_3m_current"]
    attainment = closed / q3 * 100 if q3 and closed is not None else None
    cur, prev = rep["current_pipeline_value"], rep["previous_pipeline_value"]
    trend = "stable"
    if prev and cur is not None:
        change = (cur - prev) / prev * 100
        trend = (
            "improving"
            if change > TREND_BAND_PCT
            else "declining"
            if change < -TREND_BAND_PCT
            else "stable"
        )
    velocity = rep["risk_velocity_flag"]
    velocity = None if velocity is None else velocity.strip().lower()
    eligible = q3 is not None and q3 > 0 and closed is not None
    return {
        **rep,
        "active_deals": active,
        "pipeline_value": pipeline,
        "close_rate": close_rate,
        "close_rate_source": source,
        "achievement": achievement,
        "needs_coaching": achievement is not None and achievement < NEEDS_COACHING_BELOW,
        "top_opportunities": [item[1].s for item in sorted(heap, reverse=True)],
        "attainment_pct": attainment,
        "pipeline_trend": trend,
        "risk_velocity_flag": velocity,
        "coaching_candidate": velocity == "increasing"
        or (eligible and closed < q3 * (COACHING_BELOW_PCT / 100)),
        "bench_ratio": closed / q3 if eligible else None,
        "benchmark": False,
    }


def python_onepass(deals_path: str, reps_path: str) -> dict:
    """Compute the report sections in plain Python, reading the deals file once."""
    total = active = won = lost = stalled = at_risk = stale = 0
    total_value = weighted = 0.0
    per_rep: dict[str, list] = {}  # rep_id -> [active, pipeline, won, lost, top-k heap]
    flag_heaps: dict[str, list] = {
        "stalled_deal": [],
        "at_risk_deal": [],
        "stale_high_probability": [],
    }
    for seq, d in enumerate(_iter_rows(str(deals_path), DEAL_COLUMNS)):
        total += 1
        status, rep_id = d["status"], d["rep_id"]
        status = status.strip().lower() or None if isinstance(status, str) else status
        state = None
        if rep_id is not None:
            state = per_rep.get(rep_id)
            if state is None:
                state = per_rep[rep_id] = [0, 0.0, 0, 0, []]
        if status == "won":
            won += 1
            if state is not None:
                state[2] += 1
        elif status == "lost":
            lost += 1
            if state is not None:
                state[3] += 1
        elif status == "active":
            value = d["deal_value_usd"] or 0.0
            prob = d["probability"] or 0.0
            days = d["days_in_stage"] or 0
            flags = d["risk_flags"] or []
            active += 1
            total_value += value
            weighted += value * prob
            if state is not None:
                state[0] += 1
                state[1] += value
                _push(state[4], TOP_OPPORTUNITIES, (value * prob, _Desc(d["deal_id"])))
            row = (value, _Desc(d["deal_id"]), -seq, days, flags)
            if days >= STALLED_DAYS:
                stalled += 1
                _push(flag_heaps["stalled_deal"], MAX_PER_RULE, row)
            if len(flags) > 0:
                at_risk += 1
                _push(flag_heaps["at_risk_deal"], MAX_PER_RULE, row)
            if prob >= HIGH_PROBABILITY and days >= EXTREME_DAYS:
                stale += 1
                _push(flag_heaps["stale_high_probability"], MAX_PER_RULE, row)

    summary = {
        "total_deals": total,
        "active_deals": active,
        "won_deals": won,
        "lost_deals": lost,
        "total_pipeline_value": total_value,
        "weighted_pipeline_value": weighted,
        "average_deal_size": total_value / active if active else 0.0,
        "win_rate": won / (won + lost) if won + lost else 0.0,
        "stalled_deals_count": stalled,
        "at_risk_deals_count": at_risk,
        "stale_count": stale,
    }
    first: dict[str, dict] = {}
    for rep in _iter_rows(str(reps_path), REP_COLUMNS):
        if rep["rep_id"] is not None and rep["rep_id"] not in first:
            first[rep["rep_id"]] = rep
    reps = [_rep_row(first[rep_id], per_rep.get(rep_id)) for rep_id in sorted(first)]
    best = None
    for rep in reps:  # ordered by rep_id: ties keep the lowest id
        if rep["bench_ratio"] is not None and (best is None or rep["bench_ratio"] > best[0]):
            best = (rep["bench_ratio"], rep)
    if best is not None:
        best[1]["benchmark"] = True

    flag_rows = {
        rule: [
            {
                "deal_id": item[1].s,
                "days_in_stage": item[3],
                "deal_value_usd": item[0],
                "risk_flags": item[4],
            }
            for item in sorted(heap, reverse=True)
        ]
        for rule, heap in flag_heaps.items()
    }
    return _finish(summary, reps, flag_rows)
