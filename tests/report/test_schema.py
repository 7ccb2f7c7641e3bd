"""The JSON Schema in the repo is the Report model's, and real reports validate against it.

Regenerate with ``PIPEREVIEW_UPDATE_GOLDEN=1 pytest tests/report/test_schema.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema

from pipereview.api import build_report
from pipereview.report import Report
from tests.conftest import AS_OF

SCHEMA_FILE = Path(__file__).parents[2] / "src" / "pipereview" / "schemas" / "report.schema.json"


def generated() -> str:
    return json.dumps(Report.model_json_schema(), indent=2, sort_keys=True) + "\n"


def test_schema_file_matches_the_model() -> None:
    if os.environ.get("PIPEREVIEW_UPDATE_GOLDEN"):
        SCHEMA_FILE.write_text(generated())
    assert SCHEMA_FILE.read_text() == generated()


def test_demo_report_validates(demo_files) -> None:
    data = json.loads(build_report(*demo_files, as_of=AS_OF).to_json())
    jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text()))
    assert list(data)[:10] == [
        "schema_version",
        "as_of",
        "currency",
        "policy_fingerprint",
        "input_fingerprint",
        "pipeline_summary",
        "rep_performance",
        "rep_trajectory",
        "flags",
        "flag_counts",
    ]


def test_schema_rejects_a_broken_report(small_files) -> None:
    data = json.loads(build_report(*small_files, as_of=AS_OF).to_json())
    del data["pipeline_summary"]["win_rate"]
    try:
        jsonschema.validate(data, json.loads(SCHEMA_FILE.read_text()))
    except jsonschema.ValidationError as exc:
        assert "win_rate" in exc.message
    else:
        raise AssertionError("schema accepted a report without win_rate")
