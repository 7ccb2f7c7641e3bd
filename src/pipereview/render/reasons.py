"""Short reasons: why a flag fired, in a few words made from its evidence, for a table row
or a bullet that already shows the subject (a deal's id, owner, stage and value; a rep's
name). The JSON keeps each flag's full sentence; this never cuts that sentence up, it
writes the reason again from the same observed values and thresholds, so the two agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pipereview.render.glossary import label, rule_label, words
from pipereview.render.numbers import (
    DEFAULT_CURRENCY,
    compact_money,
    days,
    multiple,
    percent,
    rate,
    text,
    times,
)
from pipereview.report.model import Flag

# What a deal row or a rep row already shows: a user rule's reason leaves these out.
DEAL_ROW = frozenset(
    {"deal_id", "rep_id", "rep_name", "status", "stage", "deal_value_usd", "probability"}
)
REP_ROW = frozenset({"rep_id", "rep_name"})

Evidence = Mapping[str, Any]
Reason = Callable[[Evidence, Evidence, str], str]


def _stall_limit(t: Evidence) -> Any:
    by_stage = t.get("stalled_days_by_stage")
    return next(iter(by_stage.values())) if by_stage else t["stalled_deal_days_in_stage"]


def _stalled(o: Evidence, t: Evidence, cur: str) -> str:
    return f"{days(o['days_in_stage'])} days in stage (stalled from {days(_stall_limit(t))})"


def _at_risk(o: Evidence, t: Evidence, cur: str) -> str:
    flags = [words(str(f)).lower() for f in o.get("risk_flags") or []]
    return "risk: " + text(", ".join(flags), 80) if flags else "risk flagged"


def _stale(o: Evidence, t: Evidence, cur: str) -> str:
    return (
        f"{days(o['days_in_stage'])} days in stage at a high probability (stale from "
        f"{rate(t['high_probability'])} and {days(t['extreme_days_in_stage'])} days)"
    )


def _past(o: Evidence, t: Evidence, cur: str) -> str:
    n = o["days_past_close_date"]
    return f"{days(n)} {'day' if n == 1 else 'days'} past its close date"


def _coaching(o: Evidence, t: Evidence, cur: str) -> str:
    basis = t.get("needs_coaching_basis")
    below = rate(t["needs_coaching_below"])
    if basis == "pace":
        return f"{rate(o['pace'])} of pace year to date (coaching below {below})"
    return f"{rate(o['quota_achievement'])} of annual quota (coaching below {below})"


def _candidate(o: Evidence, t: Evidence, cur: str) -> str:
    parts = []
    if o.get("velocity_matches"):
        since = " since the last snapshot" if o.get("risk_velocity_source") == "history" else ""
        parts.append(f"risk velocity {text(o['risk_velocity_flag'], 30)}{since}")
    if o.get("attainment_below"):
        parts.append(
            f"3-month attainment {percent(o['quota_attainment_pct'])} "
            f"(below {rate(t['coaching_attainment_below'])})"
        )
    return "; ".join(parts) or "coaching candidate"


def _benchmark(o: Evidence, t: Evidence, cur: str) -> str:
    return f"highest 3-month attainment ({percent(o['quota_attainment_pct'])})"


def _declining(o: Evidence, t: Evidence, cur: str) -> str:
    before = compact_money(o["previous_pipeline_value"], cur)
    now = compact_money(o["current_pipeline_value"], cur)
    return f"pipeline down {percent(abs(o['pipeline_change_pct']))} ({before} to {now})"


def _low_coverage(o: Evidence, t: Evidence, cur: str) -> str:
    return (
        f"coverage {multiple(o['coverage'])} of a {compact_money(o['gap_to_quota'], cur)} gap "
        f"(low below {times(t['low_coverage_below'])})"
    )


REASONS: dict[str, Reason] = {
    "stalled_deal": _stalled,
    "at_risk_deal": _at_risk,
    "stale_high_probability": _stale,
    "past_close_date": _past,
    "needs_coaching": _coaching,
    "coaching_candidate": _candidate,
    "benchmark": _benchmark,
    "pipeline_declining": _declining,
    "low_coverage": _low_coverage,
}


def _user_rule(flag: Flag, cur: str) -> str:
    """A rule without a reason of its own: its label and the evidence the row lacks."""
    shown = DEAL_ROW if flag.subject_type == "deal" else REP_ROW
    values = [
        f"{label(k).lower()} {_value(v, cur)}" for k, v in flag.observed.items() if k not in shown
    ]
    return rule_label(flag.rule) + (f" ({', '.join(values[:3])})" if values else "")


def _value(value: Any, cur: str) -> str:
    from decimal import Decimal

    if isinstance(value, Decimal):
        return compact_money(value, cur)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, list):
        return text(", ".join(str(v) for v in value), 40)
    return text(value, 40)


# A reason, when its row already shows these figures, in fewer words.
SHORTER: dict[tuple[str, str], Reason] = {
    ("low_coverage", "coverage"): lambda o, t, cur: (
        f"coverage low (below {times(t['low_coverage_below'])})"
    ),
}


def reason(
    flag: Flag, currency: str = DEFAULT_CURRENCY, shown: frozenset[str] = frozenset()
) -> str:
    """Why ``flag`` fired, in words that do not repeat its row (nor the ``shown`` figures)."""
    write = next(
        (w for (rule, name), w in SHORTER.items() if rule == flag.rule and name in shown),
        REASONS.get(flag.rule),
    )
    if write is not None:
        try:
            return write(flag.observed, flag.thresholds, currency)
        except (KeyError, TypeError, AttributeError, StopIteration):
            pass  # evidence of another shape (a stored report): the rule's label says it
    return _user_rule(flag, currency)


def reasons(
    flags: Iterable[Flag], currency: str = DEFAULT_CURRENCY, shown: frozenset[str] = frozenset()
) -> str:
    """The reasons of several flags on one subject, in rule order, joined by "; "."""
    return "; ".join(dict.fromkeys(reason(f, currency, shown) for f in flags))


MULTIPLES = frozenset({"coverage", "weighted_coverage", "low_coverage_below"})
RATIO_THRESHOLDS = frozenset(
    {"needs_coaching_below", "coaching_attainment_below", "high_probability", "trend_band"}
)


def _unit(rule: str, name: str) -> str:
    """The unit a rule declares for one of its values (a user rule: its column's)."""
    from pipereview.rules import RULES
    from pipereview.rules.custom import DEAL_COLUMNS, REP_COLUMNS

    for r in RULES:
        if r.id == rule:
            return dict(r.observed).get(name, "text")
    column = DEAL_COLUMNS.get(name) or REP_COLUMNS.get(name)
    return column[1] if column else "text"


def evidence_rows(rule: str, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A verdict's values as (label, text), each with every decimal the rule compared
    (an achievement of 0.6999999 reads 69.99999%, never 70%)."""
    from pipereview.rules.base import money, number, percent

    out = []
    for key, value in values.items():
        unit = _unit(rule, key)
        if value is None:
            shown = "—"
        elif isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, dict):  # a threshold by stage
            shown = ", ".join(f"{text(k, 30)}: {number(v)}" for k, v in value.items())
        elif unit == "usd" or key.endswith("_usd"):
            shown = money(value)
        elif key in MULTIPLES and isinstance(value, int | float):
            shown = number(value) + "x"
        elif (unit == "ratio" or key in RATIO_THRESHOLDS) and isinstance(value, int | float):
            shown = percent(value)
        elif unit == "pct" and isinstance(value, int | float):
            shown = percent(value, ratio=False)
        elif isinstance(value, int | float):
            shown = number(value)
        elif isinstance(value, list):
            shown = text(", ".join(str(v) for v in value), 200)
        else:
            shown = text(value, 200)
        out.append((label(key), shown))
    return out
