"""Spark as an engine: the same expressions on a local session, a cluster (``spark_master``)
or a session the caller owns. What the engine needs of Spark beyond Ibis: a session whose
driver logs to a file, pipereview's own Spark compiler (``spark_compiler.py``: two fixes
to Ibis's, installed on this engine's connection only), broadcast frames for values from
Python, rows numbered in input order, and the fingerprint's row hashing run on the
executors.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from pipereview.drivers import missing
from pipereview.engines.base import Engine, _name, last_line
from pipereview.errors import EngineError, InputError
from pipereview.locations import SourceTable
from pipereview.schema import ROW_COLUMN


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
        raise missing("pyspark", "the spark engine") from None
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


class SparkEngine(Engine):
    """Spark: a local session, a cluster (``spark_master``, ``spark_conf``) or the caller's
    own ``session``."""

    name = "spark"
    source_label = "Spark catalog"

    def _connect(
        self,
        *,
        session: Any = None,
        spark_master: str | None = None,
        spark_conf: Mapping[str, str] | None = None,
        **_: Any,
    ) -> Any:
        self._spark = session or spark_session(spark_master, spark_conf or {})
        # Exact decimal arithmetic: a product keeps its full scale (or fails) rather
        # than being rounded to fit 38 digits.
        self._spark.conf.set("spark.sql.decimalOperations.allowPrecisionLoss", "false")
        from pipereview.engines.spark_compiler import SparkCompiler  # when Spark is used

        con = ibis.pyspark.connect(self._spark)
        con.compiler = SparkCompiler()  # this connection's own; Ibis reads self.compiler
        return con

    def _data_errors(self) -> tuple[type[BaseException], ...]:
        from py4j.protocol import Py4JJavaError
        from pyspark.errors import PySparkException

        return (PySparkException, Py4JJavaError)

    @classmethod
    def accepts_session(cls, session: Any) -> bool:
        return type(session).__name__ == "SparkSession"

    def read_file(self, path: Path, kind: str, delimiter: str = ",") -> ir.Table:
        reader = self._spark.read
        if kind == "csv":
            frame = (
                reader.option("header", True)
                .option("sep", delimiter)
                .option("quote", '"')
                .option("escape", '"')
                .option("mode", "FAILFAST")
                .option("enforceSchema", False)
                .csv(str(path))
            )
        elif kind == "parquet":
            frame = reader.parquet(str(path))
        else:
            multiline = _starts_with_bracket(path)
            frame = reader.option("multiLine", multiline).option("mode", "FAILFAST").json(str(path))
        return self._view(frame)

    def _read_table(
        self, source: SourceTable, location: str, name: str, schema: str | None
    ) -> ir.Table:
        """A table of the Spark session's catalog."""
        try:
            return self._view(self._spark.table(source.name))
        except Exception as exc:  # pyspark's AnalysisException: no such table
            raise InputError(
                f"no table {source.name!r} in the Spark catalog ({last_line(exc)})",
                source=source.source,
            ) from None

    def _from_arrow(self, table: pa.Table) -> ir.Table:
        return self._view(self._spark.createDataFrame(table))

    def small(self, columns: dict[str, list[Any]], schema: dict[str, str]) -> ir.Table:
        """A broadcast view, so the join never shuffles the big side (Spark cannot size a
        table made from Arrow and would sort-merge join it)."""
        arrow = pa.table(columns, schema=ibis.schema(schema).to_pyarrow())
        return self._view(broadcast_frame(self._spark, arrow))

    def _view(self, frame: Any) -> ir.Table:
        name = _name("raw")
        frame.createOrReplaceTempView(name)
        return self.con.table(name)

    def _frame(self, expr: ir.Table) -> Any:
        """A DataFrame computing ``expr``, compiled by this engine's own compiler."""
        return self._spark.sql(self.con.compile(expr))

    def materialize(self, expr: ir.Table) -> ir.Table:
        """Spark numbers rows by partition (a file's partitions are in file order) plus the
        row's index in it."""
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        frame = self._frame(expr)
        frame = frame.withColumn("_mid", F.monotonically_increasing_id())
        frame = frame.withColumn("_part", F.shiftright(F.col("_mid"), 33))
        # kept before the partitions are counted: the count computes the canonical rows
        # once, and every later query (the numbering included) reads them from the cache
        frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
        counts = sorted(
            (row["_part"], row["n"])
            for row in frame.groupBy("_part").agg(F.count(F.lit(1)).alias("n")).collect()
        )
        offset, start = 0, F.lit(0)
        for part, n in counts:
            start = F.when(F.col("_part") == part, F.lit(offset)).otherwise(start)
            offset += n
        low = F.col("_mid").bitwiseAND(F.lit((1 << 33) - 1))
        frame = frame.withColumn(ROW_COLUMN, (start + low + 1).cast("long")).drop("_mid", "_part")
        return self._view(frame)

    def cache(self, expr: ir.Table) -> ir.Table:
        return expr.cache()

    def release(self, kept: ir.Table) -> None:
        kept.release()  # an Ibis CachedTable (from cache())

    def out_of_memory(self, exc: BaseException) -> bool:
        return "OutOfMemoryError" in str(exc)

    def hash_sum_apart(self, t: ir.Table, batch_sql: str) -> int:
        """The same DuckDB row-hash sum, computed by DuckDB on each Arrow batch on the
        executors (``mapInArrow``), so the fingerprint equals DuckDB's."""
        try:
            parts = self._frame(t).mapInArrow(hash_batches(batch_sql), "h string").collect()
        except self.data_errors as exc:
            raise EngineError(
                f"Spark could not hash the rows: {last_line(exc)}",
                hint="the executors need Python with pyarrow and duckdb (PYSPARK_PYTHON)",
            ) from None
        return sum(int(row["h"]) for row in parts)


def _starts_with_bracket(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[")
