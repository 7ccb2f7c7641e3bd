"""The slippage sentence every human format shows with the forecast: the open deals'
close-date pushes and the quarter's slip rate (report.slippage, with a history)."""

from __future__ import annotations

from pipereview.render.executive import currency_of
from pipereview.render.numbers import money, rate
from pipereview.report.model import Report


def _times(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


def slippage_sentence(report: Report) -> str | None:
    """One sentence on slippage, or None when the report has no history of close dates."""
    s = report.slippage
    if s is None:
        return None
    cur = currency_of(report)
    pushed = (
        f"Slippage ({s.period}): {_times(s.pushed_deals, 'open deal', 'open deals')} pushed "
        f"{_times(s.pushes, 'time', 'times')} ({s.days_pushed:,} days in all)"
    )
    if s.due_value is None or s.moved_out_value is None or s.moved_out_deals is None:
        return f"{pushed}; the history does not reach the quarter's start: no slip rate."
    if not s.due_value:
        return f"{pushed}; nothing was due to close in the quarter at its start."
    return (
        f"{pushed}; of {money(s.due_value, cur)} due to close in the quarter at its start, "
        f"{money(s.moved_out_value, cur)} ({_times(s.moved_out_deals, 'deal', 'deals')}) has "
        f"moved out: a slip rate of {rate(s.slip_rate)}."
    )
