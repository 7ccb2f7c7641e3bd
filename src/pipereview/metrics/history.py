"""What a deal history says about each deal as of the report date, as Ibis expressions:
the day it entered its current stage (its days in stage when the deals lack them) and how
often its close date was pushed later (slippage).

A history is a field history (its stage and close-date changes), a stage history, or the
consecutive snapshots of a store with the report's own deals as the last one. Changes after
``as_of`` are not yet history and are left out.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from pipereview.inputs.dates import iso_date
from pipereview.metrics.base import deal_value, is_active, is_lost, is_won, money_sum
from pipereview.names import folds_into
from pipereview.policy import Policy
from pipereview.schema import CLOSE_DATE_FIELDS, MONEY_SUM

# The columns a history adds to the report's deals (absent: the pushes are unknown).
PUSHES, DAYS_PUSHED, FIRST_CLOSE = "close_date_pushes", "days_pushed", "first_close_date"


def stage_entered(intervals: ir.Table, as_of: dt.date) -> ir.Table:
    """One row per deal_id (``_hid``) with ``_entered``: the day of its last stage entry on
    or before ``as_of`` (its last stage change; a deal a field history never moved entered
    its stage when it was created). Deals with no known entry have no row."""
    iv = intervals.filter(
        intervals.deal_id.notnull()
        & intervals.entered_at.notnull()
        & (intervals.entered_at <= as_of)
    )
    return iv.group_by(_hid=iv.deal_id).aggregate(_entered=iv.entered_at.max())


def days_since(entered: ir.DateValue, as_of: dt.date) -> ir.FloatingValue:
    """Whole days from ``entered`` to ``as_of`` (days_in_stage's type)."""
    return ibis.literal(as_of).delta(entered, unit="day").cast("float64")


def _day(text: ir.StringValue) -> ir.DateValue:
    """A field history's value as the day it names (ISO text), else null."""
    day, problem = iso_date(text.strip().nullif(""))
    assert problem is not None  # text always has its problem rows
    return ibis.ifelse(problem.fill_null(False), ibis.null("date"), day)


def close_date_changes(f: ir.Table, as_of: dt.date) -> ir.Table:
    """A field history's close-date changes (field CloseDate, closedate or close_date, any
    case) made on or before ``as_of``: deal_id, ``_at`` (changed_at), ``_row``, ``_old`` and
    ``_new`` (the days the values name; null when a value is not an ISO date)."""
    c = f.filter(folds_into(f.field, CLOSE_DATE_FIELDS) & f.deal_id.notnull())
    c = c.filter(c.changed_at <= as_of)
    return c.select(
        "deal_id", _at=c.changed_at, _row=c._row, _old=_day(c.old_value), _new=_day(c.new_value)
    )


def _pushes(moves: ir.Table) -> ir.Table:
    """Per deal_id (``_pid``) from its close-date moves (``_old`` -> ``_new``, ``_seq`` 1
    first): pushes (moved later), days pushed in all, and the first close date known."""
    pushed = (moves._new > moves._old).fill_null(False)
    days = moves._new.delta(moves._old, unit="day")
    return moves.group_by(_pid=moves.deal_id).aggregate(
        **{
            PUSHES: pushed.sum().cast("int64"),
            DAYS_PUSHED: ibis.ifelse(pushed, days, 0).sum().cast("int64"),
            FIRST_CLOSE: ibis.ifelse(moves._seq == 1, moves._old, ibis.null("date")).max(),
        }
    )


def pushes_from_fields(changes: ir.Table) -> ir.Table:
    """Close-date pushes from ``close_date_changes``: each change from one day to a later
    one is a push of the days between; the first close date is the first change's old
    value (changes ordered by changed_at, then input row)."""
    w = ibis.window(group_by=changes.deal_id, order_by=[changes._at, changes._row])
    return _pushes(changes.mutate(_seq=ibis.row_number().over(w) + 1))


def pushes_from_snapshots(snapshots: ir.Table) -> ir.Table:
    """Close-date pushes from consecutive snapshots (``as_of``, deal_id, close_date): each
    snapshot whose close date is later than the deal's previous one with a close date is a
    push; the first close date is the earliest snapshot's. A deal_id listed twice in one
    snapshot counts with its latest close date there."""
    s = snapshots.filter(snapshots.deal_id.notnull() & snapshots.close_date.notnull())
    s = s.group_by(["deal_id", "as_of"]).aggregate(_new=s.close_date.max())
    w = ibis.window(group_by=s.deal_id, order_by=s.as_of)
    s = s.mutate(_old=s._new.lag().over(w), _seq=ibis.row_number().over(w))
    first = s.filter(s._seq == 0).mutate(_old=s._new, _seq=ibis.literal(1, "int64"))
    later = s.filter(s._seq > 0).mutate(_seq=ibis.literal(2, "int64"))
    return _pushes(ibis.union(first, later))


def close_date_pushes(d: ir.Table) -> ir.IntegerValue:
    """The deal's close-date pushes: null when unknown (the deals carry no history)."""
    return d[PUSHES] if PUSHES in d.columns else ibis.null("int64")


def days_pushed(d: ir.Table) -> ir.IntegerValue:
    """The days the deal's close date was pushed in all: null when unknown."""
    return d[DAYS_PUSHED] if DAYS_PUSHED in d.columns else ibis.null("int64")


def first_close_date(d: ir.Table) -> ir.DateValue:
    """The deal's first close date the history shows: null when unknown."""
    return d[FIRST_CLOSE] if FIRST_CLOSE in d.columns else ibis.null("date")


def is_repeatedly_pushed(d: ir.Table, policy: Policy) -> ir.BooleanValue:
    """Active with close-date pushes at or above pipeline.repeatedly_pushed_at; never when
    the pushes are unknown."""
    at = ibis.literal(policy.pipeline.repeatedly_pushed_at, "int64")
    return is_active(d) & (close_date_pushes(d) >= at).fill_null(False)


def _slip(due: ir.BooleanValue, moved: ir.BooleanValue, value: ir.NumericValue) -> dict:
    return {
        "due_deals": due.sum().cast("int64").fill_null(0),
        "due_value": money_sum(value, due, MONEY_SUM),
        "moved_out_deals": (due & moved).sum().cast("int64").fill_null(0),
        "moved_out_value": money_sum(value, due & moved, MONEY_SUM),
    }


def slip_from_fields(deals: ir.Table, changes: ir.Table, start: dt.date, end: dt.date) -> ir.Table:
    """One row: the deals due to close in ``start``..``end`` at ``start`` and those of them
    whose close date is now after ``end`` (count and value: the deal's value now). A deal's
    close date at ``start`` is the new value of its last change before ``start``, else the
    old value of its first change since, else its close date now; it was open then when it
    was created before ``start`` (or its creation is unknown) and is active now, or closed
    on or after ``start``."""
    before = changes.filter(changes._at < start)
    w = ibis.window(
        group_by=before.deal_id, order_by=[ibis.desc(before._at), ibis.desc(before._row)]
    )
    before = before.filter(ibis.row_number().over(w) == 0).select(
        _bid=before.deal_id, _b=before._new
    )
    since = changes.filter(changes._at >= start)
    w = ibis.window(group_by=since.deal_id, order_by=[since._at, since._row])
    since = since.filter(ibis.row_number().over(w) == 0).select(_sid=since.deal_id, _s=since._old)
    j = deals.left_join(before, deals.deal_id == before._bid)
    j = j.left_join(since, j.deal_id == since._sid)
    at_start = j._b.coalesce(j._s, j.close_date)
    existed = j.created_date.isnull() | (j.created_date < start)
    was_open = is_active(j) | ((is_won(j) | is_lost(j)) & (j.close_date >= start))
    due = (existed & was_open & at_start.between(start, end)).fill_null(False)
    return j.aggregate(**_slip(due, (j.close_date > end).fill_null(False), deal_value(j)))


def slip_from_snapshot(then: ir.Table, deals: ir.Table, start: dt.date, end: dt.date) -> ir.Table:
    """One row: the active deals of the snapshot ``then`` (taken on or before ``start``) due
    to close in ``start``..``end``, at their value then, and those of them whose close date
    in ``deals`` (now; a deal_id listed twice: its latest) is after ``end``."""
    keyed = deals.filter(deals.deal_id.notnull())
    now = keyed.group_by(_nid=keyed.deal_id).aggregate(_now=keyed.close_date.max())
    j = then.left_join(now, then.deal_id == now._nid)
    due = (is_active(j) & j.close_date.between(start, end) & j.deal_id.notnull()).fill_null(False)
    return j.aggregate(**_slip(due, (j._now > end).fill_null(False), deal_value(j)))
