"""Optional drivers: installed with pipereview's extras, named in one line when missing.

The base install reads files and computes in DuckDB. The other engines and stores need a
driver of their own, which ``pip install 'pipereview[EXTRA]'`` adds: PostgreSQL (psycopg),
a MySQL/MariaDB store (PyMySQL), Spark (pyspark). A driver is imported only when its engine
or store is used.
"""

from __future__ import annotations

from importlib import import_module
from types import ModuleType

from pipereview.errors import EngineError

EXTRAS = {"psycopg": "postgres", "pymysql": "mysql", "pyspark": "spark"}  # driver -> extra


def missing(driver: str, needed_by: str) -> EngineError:
    """The error for a driver that is not installed: ``needed_by`` needs it, and the extra
    that installs it."""
    return EngineError(
        f"{needed_by} needs {driver}", hint=f"pip install 'pipereview[{EXTRAS[driver]}]'"
    )


def require(driver: str, needed_by: str) -> ModuleType:
    """Import ``driver``, or raise ``missing(driver, needed_by)``."""
    try:
        return import_module(driver)
    except ImportError:
        raise missing(driver, needed_by) from None
