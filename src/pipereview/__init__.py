"""pipereview: rule-based pipeline review for sales leaders.

>>> import datetime, pipereview
>>> report = pipereview.build_report("deals.csv", "reps.csv", as_of=datetime.date(2026, 11, 20))

The engine-facing names are imported on first use, so ``import pipereview`` (and
``pipereview --help``) stays light: no Ibis, DuckDB, Spark or pandas until a report is built.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from pipereview.errors import InputError, PipereviewError, PolicyError

__all__ = [
    "Engine",
    "InputError",
    "PipereviewError",
    "Policy",
    "PolicyError",
    "Report",
    "build_report",
    "explain",
    "load_policy",
    "validate",
]
__version__ = "0.1.0"

_LAZY = {
    "build_report": "pipereview.api",
    "explain": "pipereview.api",
    "load_policy": "pipereview.api",
    "validate": "pipereview.api",
    "Policy": "pipereview.policy",
    "Report": "pipereview.report",
    "Engine": "pipereview.engines",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pipereview' has no attribute {name!r}")
