"""The library's front door. The CLI, the dashboard and ``compat`` all call these functions.

Nothing here reads the clock: ``as_of`` is always an argument. ``reports`` builds reports and
velocity; ``snapshots`` keeps snapshots and reads them back; ``common`` is what both share.
The faces (``cli/``, ``web/``) reach the rest of the library only through here (and the
report models and renderers).

Every name but the store's defaults is imported on first use, so the CLI can read those
defaults (and ``pipereview --help`` can run) without importing the engine.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from pipereview.store import DEFAULT_STORE, DEFAULT_WAIT

if TYPE_CHECKING:
    from pipereview.api.common import (
        DEMO_AS_OF,
        EngineLike,
        Intake,
        MappingLike,
        PolicyLike,
        StoreLike,
        load_inputs,
        load_policy,
    )
    from pipereview.api.forecast_accuracy import accuracy, last_period_accuracy
    from pipereview.api.reports import (
        build_report,
        explain,
        forecast,
        generate_demo,
        list_rules,
        test_rules,
        validate,
        velocity,
    )
    from pipereview.api.snapshots import (
        backfill,
        delete_snapshot,
        flow,
        history,
        snapshot,
        snapshot_inputs,
        stored_report,
    )
    from pipereview.cache import query_cache_dir, use_query_cache
    from pipereview.checks.fixes import fix_for
    from pipereview.engines import ENGINES, Engine, choose_engine
    from pipereview.fiscal import PERIODS, STEPS, every
    from pipereview.inputs.mapping import (
        PRESETS,
        Mapping,
        load_mapping,
        load_preset,
        preset_text,
    )
    from pipereview.locations import SourceTable, on_a_server, store_label, store_path, table
    from pipereview.policy import Policy, default_policy_toml
    from pipereview.report import Progress, Report
    from pipereview.report.accuracy_model import Accuracy
    from pipereview.report.flow import Flow
    from pipereview.report.forecast_model import Forecast
    from pipereview.report.model import Velocity
    from pipereview.store.snapshots import SnapshotInfo
    from pipereview.store.snapshots import describe as describe_snapshot

# Where each name comes from: (module, the name there).
_SOURCES: dict[str, tuple[str, str]] = {
    "accuracy": ("pipereview.api.forecast_accuracy", "accuracy"),
    "last_period_accuracy": ("pipereview.api.forecast_accuracy", "last_period_accuracy"),
    "Accuracy": ("pipereview.report.accuracy_model", "Accuracy"),
    **{
        name: ("pipereview.api.common", name)
        for name in (
            "DEMO_AS_OF",
            "EngineLike",
            "Intake",
            "MappingLike",
            "PolicyLike",
            "StoreLike",
            "load_inputs",
            "load_policy",
        )
    },
    **{
        name: ("pipereview.api.reports", name)
        for name in (
            "build_report",
            "explain",
            "forecast",
            "generate_demo",
            "list_rules",
            "test_rules",
            "validate",
            "velocity",
        )
    },
    **{
        name: ("pipereview.api.snapshots", name)
        for name in (
            "backfill",
            "delete_snapshot",
            "flow",
            "history",
            "snapshot",
            "snapshot_inputs",
            "stored_report",
        )
    },
    "fix_for": ("pipereview.checks.fixes", "fix_for"),
    **{name: ("pipereview.cache", name) for name in ("query_cache_dir", "use_query_cache")},
    **{name: ("pipereview.engines", name) for name in ("ENGINES", "Engine", "choose_engine")},
    **{name: ("pipereview.fiscal", name) for name in ("PERIODS", "STEPS", "every")},
    **{
        name: ("pipereview.inputs.mapping", name)
        for name in ("PRESETS", "Mapping", "load_mapping", "load_preset", "preset_text")
    },
    **{
        name: ("pipereview.locations", name)
        for name in ("SourceTable", "on_a_server", "store_label", "store_path", "table")
    },
    **{name: ("pipereview.policy", name) for name in ("Policy", "default_policy_toml")},
    **{name: ("pipereview.report", name) for name in ("Progress", "Report")},
    "Flow": ("pipereview.report.flow", "Flow"),
    "Forecast": ("pipereview.report.forecast_model", "Forecast"),
    "Velocity": ("pipereview.report.model", "Velocity"),
    "SnapshotInfo": ("pipereview.store.snapshots", "SnapshotInfo"),
    "describe_snapshot": ("pipereview.store.snapshots", "describe"),
}

__all__ = [
    "DEFAULT_STORE",
    "DEFAULT_WAIT",
    "DEMO_AS_OF",
    "ENGINES",
    "PERIODS",
    "PRESETS",
    "STEPS",
    "Accuracy",
    "Engine",
    "EngineLike",
    "Flow",
    "Forecast",
    "Intake",
    "Mapping",
    "MappingLike",
    "Policy",
    "PolicyLike",
    "Progress",
    "Report",
    "SnapshotInfo",
    "SourceTable",
    "StoreLike",
    "Velocity",
    "accuracy",
    "backfill",
    "build_report",
    "choose_engine",
    "default_policy_toml",
    "delete_snapshot",
    "describe_snapshot",
    "every",
    "explain",
    "fix_for",
    "flow",
    "forecast",
    "generate_demo",
    "history",
    "last_period_accuracy",
    "list_rules",
    "load_inputs",
    "load_mapping",
    "load_policy",
    "load_preset",
    "on_a_server",
    "preset_text",
    "query_cache_dir",
    "snapshot",
    "snapshot_inputs",
    "store_label",
    "store_path",
    "stored_report",
    "table",
    "test_rules",
    "use_query_cache",
    "validate",
    "velocity",
]


def __getattr__(name: str) -> Any:
    if name not in _SOURCES:
        raise AttributeError(f"module 'pipereview.api' has no attribute {name!r}")
    module, attribute = _SOURCES[name]
    value = getattr(import_module(module), attribute)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return __all__
