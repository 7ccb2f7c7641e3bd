"""Hand-written Spark SQL computing the report sections (default policy), for the benchmark.

The same sections as ``baselines.duckdb_sql``: pipeline summary, rep rows with top-3,
trajectory, the stalled, at-risk and stale high-probability deal lists (capped), the
duplicate, orphan and
missing-quota checks; money as decimals. Files are read with ``spark.read`` on a local[2]
session configured like pipereview's.
"""

from __future__ import annotations

from typing import Any

from baselines import MAX_PER_RULE, STALLED_DAYS, TOP_OPPORTUNITIES

_DEALS = """
SELECT deal_id, rep_id, status,
  COALESCE(CAST(deal_value_usd AS DECIMAL(18,4)), 0) AS v,
  COALESCE(CAST(probability AS DECIMAL(18,6)), 0) AS p,
  COALESCE(CAST(days_in_stage AS DOUBLE), 0) AS days,
  COALESCE(risk_flags, array()) AS risk_flags
FROM raw_deals
"""
_SUMMARY = f"""
SELECT count(*) AS total_deals,
  count_if(status = 'active') AS active_deals,
  count_if(status = 'won') AS won_deals,
  count_if(status = 'lost') AS lost_deals,
  COALESCE(sum(v) FILTER (WHERE status = 'active'), 0) AS total_pipeline_value,
  COALESCE(sum(CAST(CAST(v AS DECIMAL(38,4)) * CAST(p AS DECIMAL(38,6)) AS DECIMAL(38,10)))
    FILTER (WHERE status = 'active'), 0) AS weighted_pipeline_value,
  count_if(status = 'active' AND days >= {STALLED_DAYS}) AS stalled_deals_count,
  count_if(status = 'active' AND size(risk_flags) > 0) AS at_risk_deals_count,
  count_if(status = 'active' AND p >= 0.7 AND days >= 60) AS stale_count
FROM d
"""
_PER_REP = """
SELECT rep_id, count_if(status = 'active') AS active_deals,
  COALESCE(sum(v) FILTER (WHERE status = 'active'), 0) AS pipeline_value,
  count_if(status = 'won') AS won, count_if(status = 'lost') AS lost
FROM d WHERE rep_id IS NOT NULL GROUP BY rep_id
"""
_TOP = f"""
SELECT rep_id, deal_id FROM (
  SELECT rep_id, deal_id, row_number() OVER (PARTITION BY rep_id
    ORDER BY CAST(CAST(v AS DECIMAL(38,4)) * CAST(p AS DECIMAL(38,6)) AS DECIMAL(38,10)) DESC,
             deal_id ASC) AS rn
  FROM d WHERE status = 'active' AND rep_id IS NOT NULL)
WHERE rn <= {TOP_OPPORTUNITIES}
"""
_REPS = """
SELECT * FROM (
  SELECT *, row_number() OVER (PARTITION BY rep_id ORDER BY rn) AS first
  FROM (SELECT *, monotonically_increasing_id() AS rn FROM raw_reps) WHERE rep_id IS NOT NULL)
WHERE first = 1
"""
_FLAGS = """
SELECT deal_id, days, v, risk_flags FROM d WHERE status = 'active' AND {cond}
ORDER BY v DESC, deal_id ASC LIMIT {limit}
"""
_CHECKS = """
SELECT
  (SELECT count(*) FROM (SELECT deal_id FROM d WHERE deal_id IS NOT NULL
     GROUP BY deal_id HAVING count(*) > 1)) AS duplicate_deal_ids,
  (SELECT count(*) FROM d LEFT ANTI JOIN r ON d.rep_id = r.rep_id WHERE d.rep_id IS NOT NULL)
     AS orphan_deals,
  (SELECT count(*) FROM r WHERE quota_usd IS NULL OR quota_usd <= 0) AS missing_quota
"""


def spark_sql(deals_path: str, reps_path: str) -> dict[str, Any]:
    """Every section with hand-written Spark SQL; returns plain Python values."""
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.read.parquet(deals_path).createOrReplaceTempView("raw_deals")
    spark.read.parquet(reps_path).createOrReplaceTempView("raw_reps")
    spark.sql(_DEALS).cache().createOrReplaceTempView("d")
    spark.sql(_REPS).cache().createOrReplaceTempView("r")
    out: dict[str, Any] = {"summary": spark.sql(_SUMMARY).collect()[0].asDict()}
    per_rep = {row["rep_id"]: row.asDict() for row in spark.sql(_PER_REP).collect()}
    tops: dict[str, list[str]] = {}
    for row in spark.sql(_TOP).collect():
        tops.setdefault(row["rep_id"], []).append(row["deal_id"])
    reps = [row.asDict() for row in spark.sql("SELECT * FROM r ORDER BY rep_id").collect()]
    for rep in reps:
        rep.update(per_rep.get(rep["rep_id"], {}), top=sorted(tops.get(rep["rep_id"], [])))
    out["reps"] = reps
    out["flags"] = {
        rule: [r.asDict() for r in spark.sql(_FLAGS.format(cond=c, limit=MAX_PER_RULE)).collect()]
        for rule, c in (
            ("stalled", f"days >= {STALLED_DAYS}"),
            ("at_risk", "size(risk_flags) > 0"),
            ("stale", "p >= 0.7 AND days >= 60"),
        )
    }
    out["checks"] = spark.sql(_CHECKS).collect()[0].asDict()
    return out
