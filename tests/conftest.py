"""Shared fixtures: the small hand-made dataset, a generated demo dataset, and one
PostgreSQL server for the whole run (each worker's, under pytest-xdist: the tests that use
it share one ``xdist_group``, so one worker starts it).

Tests live in folders by subject: unit/, inputs/, report/, properties/, engines/ (with the
one parity suite), store/, faces/, and support/ (oracles and servers, no tests). Markers:
``spark`` (a local SparkSession), ``server`` (starts PostgreSQL or MariaDB), ``browser``
(Chromium); ``make check`` runs what needs none of them."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, settings

# Every example builds a report (about a second), so: 40 examples per property by default;
# HYPOTHESIS_PROFILE=dev reports a failing example at once instead of shrinking it (which can
# take minutes); "mutation" (make mutation) runs 10 examples, unshrunk: one failure kills;
# "ci" (.ci/run) draws the same examples on every run, so CI passes or fails the same way
# for the same commit (a local `make test` keeps exploring new ones).
_NO_SHRINK = [Phase.explicit, Phase.reuse, Phase.generate]
settings.register_profile(
    "pipereview",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", settings.get_profile("pipereview"), phases=_NO_SHRINK)
settings.register_profile(
    "mutation", settings.get_profile("pipereview"), max_examples=10, phases=_NO_SHRINK
)
settings.register_profile("ci", settings.get_profile("pipereview"), derandomize=True)
# "quick" (make check): 10 derandomized examples per property, unshrunk.
settings.register_profile(
    "quick",
    settings.get_profile("pipereview"),
    max_examples=10,
    derandomize=True,
    phases=_NO_SHRINK,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "pipereview"))

FIXTURES = Path(__file__).parent / "fixtures"
AS_OF = dt.date(2026, 11, 20)

# A worker's local Spark driver (the "spark" group's tests share one, and test_exact_money
# builds a 4M-deal report in it; the "spark_second" group, the Spark store and cluster tests,
# has its own on another worker) gets 3 GB of heap, not Spark's default 1 GB, which ran out
# of heap in that report and took the Spark tests after it down with the JVM. Set before any
# driver starts; processes the tests start inherit it.
os.environ.setdefault("PYSPARK_SUBMIT_ARGS", "--driver-memory 3g pyspark-shell")


def pytest_collection_finish(session: pytest.Session) -> None:
    """Once the tests are collected, what the imports and the collection made (modules,
    test functions, Hypothesis strategies: most of a worker's objects, all of them kept to
    the end) is frozen out of the garbage collector's walks, and its first pass runs every
    10,000 new objects rather than 700, so a worker's objects are walked far less often
    (docs/decisions.md, D64). Cycles are still collected; only how often changes."""
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, *gc.get_threshold()[1:])


@pytest.fixture(scope="session", autouse=True)
def _query_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The compiled-query cache the CLI keeps (``pipereview.cache``) lives in the run's temp
    directory, never in the user's: shared by the run's processes, gone with the run."""
    before = os.environ.get("PIPEREVIEW_CACHE_DIR")
    os.environ["PIPEREVIEW_CACHE_DIR"] = str(tmp_path_factory.getbasetemp() / "query-cache")
    yield
    if before is None:
        os.environ.pop("PIPEREVIEW_CACHE_DIR", None)
    else:
        os.environ["PIPEREVIEW_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def small_files() -> tuple[Path, Path]:
    """tests/fixtures/deals.csv and reps.csv (10 deals, 3 reps, deliberately messy)."""
    return FIXTURES / "deals.csv", FIXTURES / "reps.csv"


@pytest.fixture(scope="session")
def demo_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The synthetic demo dataset (5,000 deals, 40 reps) written as CSV."""
    from pipereview.api import generate_demo

    return generate_demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="session")
def weeks(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, Path]]:
    """Two exports a week apart (3,000 deals, 30 reps): the same deal ids with other values,
    stages and statuses. A test module may define its own, smaller ``weeks``."""
    from pipereview import synthetic

    root = tmp_path_factory.mktemp("weeks")
    return [
        synthetic.write_csv(*synthetic.generate(n_deals=3000, n_reps=30, seed=seed), root / name)
        for seed, name in ((7, "w1"), (8, "w2"))
    ]


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL server on 127.0.0.1 in a temp directory, stopped after the run."""
    from tests.support.postgres_server import postgres_server

    with postgres_server() as url:
        yield url
