"""The Report: its model (``model.py``) and how it is built from engine tables (``build.py``)."""

from pipereview.report.build import (
    Inputs,
    Progress,
    build_report,
    data_quality,
    evaluate_rules,
    make_flag,
)
from pipereview.report.model import (
    SCHEMA_VERSION,
    DataQualityItem,
    Flag,
    FlagCount,
    Money,
    PipelineSummary,
    Report,
    RepPerformance,
    RepTrajectory,
    decimal_text,
    dumps,
    round_value,
)

__all__ = [
    "SCHEMA_VERSION",
    "DataQualityItem",
    "Flag",
    "FlagCount",
    "Inputs",
    "Money",
    "PipelineSummary",
    "Progress",
    "RepPerformance",
    "RepTrajectory",
    "Report",
    "build_report",
    "data_quality",
    "decimal_text",
    "dumps",
    "evaluate_rules",
    "make_flag",
    "round_value",
]
