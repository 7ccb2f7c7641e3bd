"""The Report: its model (``model.py``) and how it is built from engine tables (``build.py``)."""

from pipereview.report.build import (
    Progress,
    build_report,
    evaluate_rules,
    judge_subject,
    make_flag,
)
from pipereview.report.inputs import Earlier, Inputs
from pipereview.report.model import (
    SCHEMA_VERSION,
    Changes,
    DataQualityItem,
    Flag,
    FlagCount,
    Money,
    PipelineSummary,
    Report,
    RepPerformance,
    RepTrajectory,
    Verdict,
    decimal_text,
    dumps,
    round_value,
)
from pipereview.report.quality import data_quality

__all__ = [
    "SCHEMA_VERSION",
    "Changes",
    "DataQualityItem",
    "Earlier",
    "Flag",
    "FlagCount",
    "Inputs",
    "Money",
    "PipelineSummary",
    "Progress",
    "RepPerformance",
    "RepTrajectory",
    "Report",
    "Verdict",
    "build_report",
    "data_quality",
    "decimal_text",
    "dumps",
    "evaluate_rules",
    "judge_subject",
    "make_flag",
    "round_value",
]
