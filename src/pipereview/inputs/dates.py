"""Reading dates: a date, a timestamp or ISO text as the day it names, the UTC day of a
date-time with an offset, and the days pipereview refuses (outside years 1 to 9999,
decisions D36). Used by the canonical reader and the mappings' transforms."""

from __future__ import annotations

from datetime import date

import ibis
import ibis.expr.types as ir

# A date, or a date-time: hours and minutes, optional seconds and fraction, and an optional
# UTC offset (Z, +05, +0500, +05:00); nothing else may follow the date (decisions D36).
DATE_SHAPE = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)? ?(Z|[+-]\d{2}(:?\d{2})?)?)?$"
# The dates Python (and so the report) can hold: an engine's year 0 or negative year is refused.
EARLIEST_DATE, LATEST_DATE = date(1, 1, 1), date(9999, 12, 31)


def iso_date(value: ir.Value) -> tuple[ir.Value, ir.BooleanValue | None]:
    """A date from a date, a timestamp, or prepared ISO text; and when the value is unusable.
    A date-time is read as its UTC date: "2026-11-30T23:30-05:00" is 2026-12-01, as a
    timestamp with a time zone is (the engines' sessions run in UTC). A date outside years
    1 to 9999 is unusable (decisions D36)."""
    vtype = value.type()
    if vtype.is_date():
        return value, _outside(value)
    if vtype.is_timestamp():
        day = value.date()
        return day, _outside(day)
    if not vtype.is_string():
        return ibis.null("date"), ibis.literal(True)  # a raw type no date is read from
    text = value  # trimmed, blank as null (``_prepared``)
    parsed = _utc_day(text, text.substr(0, 10).try_cast("date"))
    problem = text.notnull() & (~text.re_search(DATE_SHAPE) | parsed.isnull() | _outside(parsed))
    return parsed, problem


def _outside(day: ir.DateValue) -> ir.BooleanValue:
    return day.notnull() & ((day < EARLIEST_DATE) | (day > LATEST_DATE))


def _utc_day(text: ir.StringValue, day: ir.DateValue) -> ir.DateValue:
    """``day`` moved to the UTC date of a date-time with an offset, in plain string
    functions every engine has; null when the time is not a time of day."""
    hours = text.substr(11, 2).try_cast("int32")
    minutes = text.substr(14, 2).try_cast("int32")
    offset = text.substr(16).re_extract(r"([+-]\d{2}(:?\d{2})?)$", 1)
    has_offset = text.substr(16).re_search(r"[+-]\d{2}(:?\d{2})?$")
    sign = ibis.ifelse(offset.startswith("-"), -1, 1)
    offset_minutes = sign * (
        offset.substr(1, 2).try_cast("int32") * 60
        + offset.replace(":", "").substr(3, 2).nullif("").try_cast("int32").fill_null(0)
    )
    utc = hours * 60 + minutes - ibis.ifelse(has_offset, offset_minutes, 0)
    timed = text.length() > 10
    as_time = day.cast("timestamp")
    return ibis.cases(
        (~timed, day),
        ((hours > 23) | (minutes > 59) | hours.isnull() | minutes.isnull(), ibis.null("date")),
        (utc < 0, (as_time - ibis.interval(days=1)).date()),
        (utc >= 24 * 60, (as_time + ibis.interval(days=1)).date()),
        else_=day,
    )
