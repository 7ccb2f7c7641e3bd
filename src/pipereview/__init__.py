"""pipereview: rule-based pipeline review for sales leaders.

>>> import datetime, pipereview
>>> report = pipereview.build_report("deals.csv", "reps.csv", as_of=datetime.date(2026, 11, 20))
"""

from pipereview.api import build_report, explain, load_policy, validate
from pipereview.errors import InputError, PipereviewError, PolicyError
from pipereview.policy import Policy
from pipereview.report import Report

__all__ = [
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
