"""The engines: where inputs are read, canonical tables live and Ibis expressions run.

This is the only package that names an engine; everything above it asks an ``Engine`` what it
can do (``base.py``: capability flags and methods). Every engine, in the order messages list
them:

- ``duckdb.py``: DuckDB in this process (the default), out-of-core under a memory limit.
- ``spark.py``: Spark, a local session, a cluster or the caller's own session (its
  compiler: ``spark_compiler.py``).
- ``postgres.py``: a PostgreSQL server computing the tables it holds (its compiler:
  ``postgres_compiler.py``).

A compiler module is imported when its engine connects, so a run on one engine does not
build the others' compilers; ``compilers.py`` makes Ibis's own package of SQL compilers
import each of them on first use too.

``choose_engine`` is the one rule for which engine runs, given the inputs, the store and
the options; ``engine_for_store`` says which engine reads and writes a store.
``fingerprint.py`` is the input fingerprint's row hash that every engine sums as DuckDB does.
``plan.py`` compiles the report's queries once per process (named queries with the report
date as a parameter, and a memo of every other query's text) for engines that run SQL text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pipereview.engines.base import Engine, count_if
from pipereview.engines.duckdb import DuckDBEngine
from pipereview.engines.postgres import PostgresEngine
from pipereview.engines.spark import SparkEngine
from pipereview.errors import InputError, UsageError
from pipereview.locations import SourceTable, postgres_describe

DEFAULT_ENGINE = DuckDBEngine.name
ENGINES = tuple(Engine._registry)  # every engine's name, in the order above

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "DuckDBEngine",
    "Engine",
    "PostgresEngine",
    "SparkEngine",
    "choose_engine",
    "count_if",
    "engine_for_store",
]


def choose_engine(
    engine: Engine | str | Any = DEFAULT_ENGINE,
    *,
    inputs: Iterable[Any] = (),
    source: str | None = None,
    store: str | Path | None = None,
    memory_limit: str | None = None,
    spark_master: str | None = None,
    spark_conf: Mapping[str, str] | Sequence[str] | None = None,
) -> Engine:
    """The engine to run on, in this order:

    1. Tables in a database server are computed in that server: a ``source`` URL naming one
       (the CLI's ``--source``), or ``SourceTable`` inputs in one. Asking for another engine
       is refused (with ``source``, as options that do not go together).
    2. A store kept by a database server makes that server the default engine (files are
       then sent to it), unless another engine is asked for (the store then copies rows).
    3. Else ``engine`` as given: a name with its options (``memory_limit`` for DuckDB,
       ``spark_master`` and ``spark_conf``, a mapping or ``KEY=VALUE`` items, for Spark), an
       ``Engine``, or a session an engine accepts (a pyspark SparkSession).
    """
    asked = not _default(engine) or bool(memory_limit or spark_master or spark_conf)
    server = _server_for(source) if source is not None else None
    if server is not None:
        assert source is not None
        if asked:
            raise UsageError(
                "PostgreSQL tables are computed in their own server: leave out --engine, "
                "--memory-limit and the Spark options",
                option="--source",
            )
        return Engine(server.name, postgres_url=source)
    if source is None and store is not None and not asked:
        kept_by = _server_for(str(store))
        if kept_by is not None:
            engine = Engine(kept_by.name, postgres_url=str(store))
    servers = {
        obj.source.strip(): kind
        for obj in inputs
        if isinstance(obj, SourceTable) and (kind := _server_for(obj.source)) is not None
    }
    if servers:
        urls = set(servers)
        url = urls.pop()
        if isinstance(engine, Engine) and engine.holds(url):
            return engine
        if not _default(engine) or urls:
            raise InputError(
                "PostgreSQL tables are computed in their own server, from one database",
                source=postgres_describe(url),
                hint="leave the engine at its default and read both tables from one database",
            )
        return Engine(servers[url].name, postgres_url=url)
    if not isinstance(engine, str):
        return Engine.of(engine)
    settings = _settings(spark_conf)
    if engine == DuckDBEngine.name and (spark_master or settings):
        raise UsageError("--spark-master and --spark-conf need --engine spark", option="--engine")
    if engine == SparkEngine.name and memory_limit:
        raise UsageError(
            "--memory-limit is for --engine duckdb; use --spark-conf for Spark memory",
            option="--memory-limit",
        )
    return Engine(engine, memory_limit=memory_limit, spark_master=spark_master, spark_conf=settings)


def engine_for_store(compute: Engine, location: str | Path) -> Engine:
    """The engine that reads and writes the store at ``location``: ``compute`` when its own
    connection reaches the store (a DuckDB engine for a store file or a MySQL store, the
    PostgreSQL engine for a store in its own database), else the store's own (its server,
    or a DuckDB in this process); the store then copies rows between the two."""
    if compute.reaches_store(str(location)):
        return compute
    return choose_engine(store=location)


def _default(engine: Any) -> bool:
    return isinstance(engine, str) and engine == DEFAULT_ENGINE


def _server_for(url: str) -> type[Engine] | None:
    """The engine that computes the tables at ``url`` in their server, if one does."""
    return next((kind for kind in Engine._registry.values() if kind.computes_in(url)), None)


def _settings(conf: Mapping[str, str] | Sequence[str] | None) -> dict[str, str]:
    """Spark settings from a mapping or from ``KEY=VALUE`` items (``--spark-conf``)."""
    if isinstance(conf, Mapping):
        return dict(conf)
    settings = {}
    for item in conf or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{item!r} is not KEY=VALUE", option="--spark-conf")
        settings[key.strip()] = value.strip()
    return settings
