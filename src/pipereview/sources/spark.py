"""Starting Spark for the engine: a session whose driver logs to a file, and the one fix
pipereview makes to Ibis's Spark compiler."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pipereview.errors import EngineError


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
