"""Flag rules: the ordered registry (deal rules, then rep rules) and the Rule type."""

from pipereview.rules import deals as _deals  # noqa: F401  (registers the deal rules)
from pipereview.rules import pushes as _pushes  # noqa: F401  (registers repeatedly_pushed)
from pipereview.rules import reps as _reps  # noqa: F401  (registers the rep rules)
from pipereview.rules.base import RULES, Rule, RuleInputs, register

__all__ = ["RULES", "Rule", "RuleInputs", "register"]
