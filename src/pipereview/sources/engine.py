"""Compute engines: where canonical tables live and Ibis expressions run.

DuckDB (in-process) is the default. Spark runs the same expressions on a local or given
SparkSession (``pip install pipereview[spark]``). Nothing else in the package knows which
engine it is talking to.
"""

from __future__ import annotations

import itertools
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from pipereview.errors import EngineError

ENGINES = ("duckdb", "spark")
_names = itertools.count()


class Engine:
    """An Ibis backend plus the few operations the report needs from it."""

    def __init__(self, name: str = "duckdb", *, session: Any = None) -> None:
        if name not in ENGINES:
            raise EngineError(f"unknown engine {name!r}", hint=f"use one of: {', '.join(ENGINES)}")
        self.name = name
        self._spark = None
        if name == "duckdb":
            self.con = ibis.duckdb.connect()
        else:
            self._spark = session or _local_spark()
            self.con = ibis.pyspark.connect(self._spark)

    def load(self, table: pa.Table, prefix: str) -> ir.Table:
        """Put an Arrow table into the engine and return it as an Ibis table."""
        name = f"pipereview_{prefix}_{next(_names)}"
        if self._spark is not None:
            frame = self._spark.createDataFrame(table)
            frame.createOrReplaceTempView(name)
            frame.cache()
            return self.con.table(name)
        return self.con.create_table(name, table, temp=True)

    def rows(self, expr: ir.Table) -> list[dict[str, Any]]:
        """Execute a table expression and return its rows as dicts."""
        return expr.to_pyarrow().to_pylist()

    def one(self, expr: ir.Table) -> dict[str, Any]:
        """Execute an expression that yields exactly one row."""
        rows = self.rows(expr)
        if len(rows) != 1:
            raise EngineError(f"expected one row, got {len(rows)}")
        return rows[0]


def _local_spark() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            "the spark engine needs pyspark", hint="pip install 'pipereview[spark]'"
        ) from None
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("pipereview")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    return spark
