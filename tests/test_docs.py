"""docs/metrics.md defines every metric, flag rule, data-quality check and policy key."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

from pipereview.checks import CHECKS
from pipereview.inputs.mapping import DERIVED, INTAKE_CHECKS, STAGE_FIELDS, Field, TableMapping
from pipereview.metrics.hierarchy import MANAGER_LOOP
from pipereview.metrics.pipeline import DERIVED_PIPELINE_METRICS, PIPELINE_METRICS
from pipereview.metrics.reps import REP_PERFORMANCE_METRICS
from pipereview.metrics.trajectory import BENCHMARK, TRAJECTORY_METRICS
from pipereview.policy import Policy, UserRule
from pipereview.report.forecast_model import Forecast, ForecastRow
from pipereview.rules import RULES
from pipereview.rules.custom import DEAL_COLUMNS, REP_COLUMNS
from pipereview.rules.predicate import FUNCTIONS

DOC = (Path(__file__).parents[1] / "docs" / "metrics.md").read_text()


def _policy_keys() -> list[str]:
    keys = []
    for section, field in Policy.model_fields.items():
        model = field.annotation
        if section == "rules":  # a list of [[rules]] tables
            model = UserRule
        assert isinstance(model, type) and issubclass(model, BaseModel)
        keys += [f"{section}.{key}" for key in model.model_fields]
    return keys


def _names() -> list[str]:
    metrics = (
        *PIPELINE_METRICS,
        *DERIVED_PIPELINE_METRICS,
        *REP_PERFORMANCE_METRICS,
        *TRAJECTORY_METRICS,
        BENCHMARK,
    )
    return (
        [m.name for m in metrics]
        + [r.id for r in RULES]
        + [c.id for c in CHECKS]
        + ["absent_column", MANAGER_LOOP, *INTAKE_CHECKS]
        + _policy_keys()
        + list(Field.model_fields)
        + [k for k in TableMapping.model_fields if k != "fields"]
        + ["deals_column", *DERIVED, *STAGE_FIELDS, "period_start", "quota"]
        + [f for f in ForecastRow.model_fields if f not in ("level", "id", "name", "parent")]
        + [f for f in Forecast.model_fields if f.startswith("by_")]
        + [*DEAL_COLUMNS, *REP_COLUMNS, *FUNCTIONS]
    )


def test_everything_is_documented() -> None:
    missing = [name for name in _names() if f"`{name}`" not in DOC]
    assert missing == []


def test_the_check_sees_policy_keys() -> None:
    assert "pipeline.stalled_deal_days_in_stage" in _policy_keys()
    assert len(_names()) > 30
