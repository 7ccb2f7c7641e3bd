"""Deal rule repeatedly_pushed: an active deal whose close date was pushed later again and
again (from a history of close dates; decisions D49)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis.expr.types as ir

from pipereview.metrics.history import (
    close_date_pushes,
    days_pushed,
    first_close_date,
    is_repeatedly_pushed,
)
from pipereview.policy import Policy
from pipereview.rules.base import Compare, Rule, RuleInputs, money, number, register
from pipereview.rules.deals import DEAL_OBSERVED, deal_rows, in_stage, inactive

UNKNOWN = (
    "its close-date pushes are unknown (the report was given no history of close dates: "
    "--field-history with CloseDate changes, or --store)"
)


def _judge(i: RuleInputs, p: Policy) -> ir.Table:
    d = i.deals
    return deal_rows(
        i,
        is_repeatedly_pushed(d, p),
        close_date_pushes=close_date_pushes(d),
        days_pushed=days_pushed(d),
        first_close_date=first_close_date(d).cast("string"),
        close_date=d.close_date.cast("string"),
    )


def _times(n: Any) -> str:
    return "once" if n == 1 else f"{number(n)} times"


def _moves(o: Mapping[str, Any]) -> str:
    return (
        f"pushed {_times(o['close_date_pushes'])}, {number(o['days_pushed'])} days in all, "
        f"from {o['first_close_date'] or 'an unknown date'} to {o['close_date'] or 'none'}"
    )


def _message(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    return (
        f"Deal {subject}{in_stage(o)} had its close date {_moves(o)}, at or above "
        f"{number(t['repeatedly_pushed_at'])} pushes (value {money(o['deal_value_usd'])})."
    )


def _quiet(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
    not_active = inactive(subject, o)
    if not_active:
        return not_active
    if o["close_date_pushes"] is None:
        return f"Deal {subject}: {UNKNOWN}."
    return (
        f"Deal {subject}{in_stage(o)} had its close date {_moves(o)}, below "
        f"{number(t['repeatedly_pushed_at'])} pushes."
    )


REPEATEDLY_PUSHED = register(
    Rule(
        id="repeatedly_pushed",
        subject_type="deal",
        severity="warning",
        description="Active deal whose close date was pushed later at least "
        "pipeline.repeatedly_pushed_at times (from a field history's CloseDate changes or a "
        "store's snapshots; never when the pushes are unknown).",
        judge=_judge,
        where=lambda d, p, as_of: is_repeatedly_pushed(d, p),
        observed=(
            *DEAL_OBSERVED,
            ("close_date_pushes", "count"),
            ("days_pushed", "count"),
            ("first_close_date", "text"),
            ("close_date", "text"),
            ("deal_value_usd", "usd"),
        ),
        thresholds=lambda p, row: {"repeatedly_pushed_at": p.pipeline.repeatedly_pushed_at},
        message=_message,
        quiet=_quiet,
        compares=(Compare("close_date_pushes", ">=", "repeatedly_pushed_at"),),
    )
)
