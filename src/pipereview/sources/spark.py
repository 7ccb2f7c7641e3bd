"""What the engine needs of Spark beyond Ibis: a session whose driver logs to a file, the two
fixes pipereview makes to Ibis's Spark compiler, broadcast frames for values from Python,
and the row hashing run on the executors."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa

from pipereview.errors import EngineError


def fix_spark_compiler() -> None:
    """The two fixes pipereview makes to Ibis's Spark compiler (below); both idempotent."""
    spark_trims_whitespace_only()
    spark_keeps_row_numbers_one_based()


def spark_trims_whitespace_only() -> None:
    """Work around Ibis 12's Spark ``strip()``: it compiles to TRIM(' \\t\\n\\r\\v\\f' FROM x),
    and Spark SQL reads the unknown escapes \\v and \\f in a literal as the letters v and f, so
    "false" was trimmed to "alse" and a stage "Sales Dev" to "Sales De". Trim the whitespace
    Spark's literals spell (space, tab, newline, return; vertical tab and form feed are not
    trimmed on Spark). Only the Spark compiler changes."""
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler

    def visit_strip(self: Any, op: Any, *, arg: Any) -> Any:
        return self.f.trim(arg, " \t\n\r")

    PySparkCompiler.visit_Strip = visit_strip


def spark_keeps_row_numbers_one_based() -> None:
    """Let Spark's window group limit see a top-k. Ibis turns ``row_number()`` 0-based as
    ROW_NUMBER() - 1, and Spark only limits each window group to k rows when the filter
    compares the ROW_NUMBER() itself (rn <= k, rn < k, rn = k). pipereview writes a top-k
    as the 1-based ``row_number() + 1`` filtered with ``<=`` or ``==``; this rewrite drops
    the ``- 1 + 1`` Ibis would compile, so Spark sees ROW_NUMBER() <= k. Only the Spark
    compiler changes, and only that exact shape: the value is the same."""
    from ibis.backends.sql.compilers.pyspark import PySparkCompiler
    from ibis.common.patterns import replace
    from ibis.expr.rewrites import p

    if getattr(PySparkCompiler, "_pipereview_one_based", False):
        return
    shape = p.Add(p.Subtract(p.WindowFunction(p.RowNumber), p.Literal(1)), p.Literal(1))

    @replace(shape)
    def one_based(_: Any, **kwargs: Any) -> Any:
        return _.left.left

    PySparkCompiler.rewrites = (*PySparkCompiler.rewrites, one_based)
    PySparkCompiler._pipereview_one_based = True


def broadcast_frame(session: Any, data: pa.Table) -> Any:
    """A few rows from Python as a DataFrame Spark broadcasts to every join: it cannot size
    a frame made from Arrow, so it would otherwise shuffle and sort the big side."""
    from pyspark.sql import functions as F

    return F.broadcast(session.createDataFrame(data))


def hash_batches(sql: str) -> Any:
    """A mapInArrow function: DuckDB runs ``sql`` over each batch (registered as "batch")."""

    def run(batches: Any) -> Any:
        import duckdb

        con = duckdb.connect()
        total = 0
        for batch in batches:
            con.register("batch", pa.Table.from_batches([batch]))
            (value,) = con.execute(sql).fetchone() or (0,)
            total += int(value or 0)
            con.unregister("batch")
        yield pa.RecordBatch.from_pydict({"h": [str(total)]})

    return run



def spark_session(master: str | None, conf: Mapping[str, str]) -> Any:
    """A SparkSession; a new driver JVM writes its own output to a log file, not stderr."""
    try:
        from pyspark import SparkConf, SparkContext
        from pyspark.java_gateway import launch_gateway
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            "the spark engine needs pyspark", hint="pip install 'pipereview[spark]'"
        ) from None
    # Python workers run PYSPARK_PYTHON (read from the environment when the context starts):
    # by default the interpreter running pipereview, which has pyarrow and duckdb.
    python = os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    settings = {
        "spark.master": master or "local[2]",
        "spark.app.name": "pipereview",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.ansi.enabled": "false",
        "spark.pyspark.python": python,
        "spark.pyspark.driver.python": sys.executable,
        **conf,
    }
    spark_conf = SparkConf().setAll(list(settings.items()))
    log = Path(tempfile.mkdtemp(prefix="pipereview-spark-")) / "driver.log"
    try:
        if SparkContext._active_spark_context is not None:  # one per process: reuse it
            spark = SparkSession.builder.config(conf=spark_conf).getOrCreate()
        else:
            with log.open("ab") as handle:
                gateway = launch_gateway(
                    spark_conf, popen_kwargs={"stdout": handle, "stderr": handle}
                )
            context = SparkContext(conf=spark_conf, gateway=gateway)
            spark = SparkSession(context)
    except Exception as exc:  # py4j / Java errors: one line for the user
        raise EngineError(
            f"cannot start Spark: {str(exc).strip().splitlines()[0]}",
            hint=f"check --spark-master, Java 17 and the driver log {log}",
        ) from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark
