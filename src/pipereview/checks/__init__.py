"""Data-quality checks: the ordered registry (deal checks, then rep checks), like ``rules/``.

``base.py`` says what a check is and holds the registry; ``deals.py`` and ``reps.py``
register the built-in checks; ``fixes.py`` says what to do about each finding (``validate``).
The report's data-quality section (``report/quality.py``) runs them.
"""

from pipereview.checks import deals as _deals  # noqa: F401  (registers the deal checks)
from pipereview.checks import reps as _reps  # noqa: F401  (registers the rep checks)
from pipereview.checks.base import CHECKS, Check, Facts, register

__all__ = ["CHECKS", "Check", "Facts", "register"]
