"""The library's front door. The CLI, the dashboard and ``compat`` all call these functions.

Nothing here reads the clock: ``as_of`` is always an argument. ``reports`` builds reports and
velocity; ``history`` keeps snapshots and reads them back; ``common`` is what both share.
"""

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
from pipereview.api.history import (
    backfill,
    delete_snapshot,
    flow,
    history,
    snapshot,
    stored_report,
)
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
from pipereview.engines import ENGINES, Engine, choose_engine
from pipereview.inputs.mapping import Mapping, load_mapping, load_preset, preset_text
from pipereview.locations import SourceTable, table
from pipereview.policy import Policy, default_policy_toml
from pipereview.report import Report
from pipereview.report.flow import Flow
from pipereview.report.forecast_model import Forecast
from pipereview.report.model import Velocity
from pipereview.store.snapshots import SnapshotInfo

__all__ = [
    "DEMO_AS_OF",
    "ENGINES",
    "Engine",
    "EngineLike",
    "Flow",
    "Forecast",
    "Intake",
    "Mapping",
    "MappingLike",
    "Policy",
    "PolicyLike",
    "Report",
    "SnapshotInfo",
    "SourceTable",
    "StoreLike",
    "Velocity",
    "backfill",
    "build_report",
    "choose_engine",
    "default_policy_toml",
    "delete_snapshot",
    "explain",
    "flow",
    "forecast",
    "generate_demo",
    "history",
    "list_rules",
    "load_inputs",
    "load_mapping",
    "load_policy",
    "load_preset",
    "preset_text",
    "snapshot",
    "stored_report",
    "table",
    "test_rules",
    "validate",
    "velocity",
]
