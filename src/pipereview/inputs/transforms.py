"""The mapping's transforms as Ibis expressions: finding source columns by a mapping's names,
and one canonical column per ``Field`` (rename, scale, value map, dates, days since a date,
status from two booleans, joined text, a constant)."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from pipereview.errors import InputError
from pipereview.inputs.canonical import boolean, clean_text
from pipereview.inputs.dates import iso_date
from pipereview.inputs.mapping import EPOCH_FORMATS, Field
from pipereview.names import columns_found, fold_case, mapping_key
from pipereview.schema import ACTIVE, LOST, WON, Column


class SourceColumns:
    """The raw table's columns, found by a mapping's names (ignoring case, spaces, ``_``)."""

    def __init__(self, raw: ir.Table, source: str, skip: str | None) -> None:
        self.raw = raw
        self.source = source
        self.parsed: dict[str, tuple[str, str]] = {}  # source column -> its boolean columns
        self.texts: dict[str, str] = {}  # source column -> its cleaned text column
        self.by_key: dict[str, str] = {}
        for name in raw.columns:
            if name == skip:
                continue
            key = mapping_key(name)
            if key in self.by_key:
                raise InputError(
                    f"columns {self.by_key[key]!r} and {name!r} are the same column to a "
                    "mapping (case, spaces and underscores aside)",
                    source=source,
                    hint="remove or rename one of them",
                )
            self.by_key[key] = name

    def prepare(self, booleans: list[str], texts: list[str], csv_text: bool) -> None:
        """Ready these source columns once, each in a select of its own, so that every
        expression using one refers to it by name: inlined, DuckDB evaluated the text
        cleaning once per use."""
        unique = list(dict.fromkeys([*booleans, *texts]))
        if not unique:
            return
        for index, name in enumerate(unique):
            self.texts[name] = f"_m_t{index}"
        cleaned = {self.texts[n]: clean_text(self.raw[n], csv_text) for n in unique}
        prepared = self.raw.mutate(**cleaned)
        extra: dict[str, ir.Value] = {}
        for index, name in enumerate(dict.fromkeys(booleans)):
            value, bad = boolean(prepared[self.texts[name]])
            self.parsed[name] = (f"_m_b{index}", f"_m_bb{index}")
            extra[f"_m_b{index}"] = value
            extra[f"_m_bb{index}"] = bad if bad is not None else ibis.literal(False)
        self.raw = prepared.mutate(**extra) if extra else prepared

    def text(self, name: str, csv_text: bool) -> ir.Value:
        """Source column ``name`` cleaned (trimmed, null spellings and blank as null)."""
        if name in self.texts:
            return self.raw[self.texts[name]]
        return clean_text(self.raw[name], csv_text)

    def boolean(self, name: str, csv_text: bool) -> tuple[ir.BooleanValue, ir.BooleanValue]:
        """Source column ``name`` as a boolean and when it is not one."""
        if name in self.parsed:
            value, bad = self.parsed[name]
            return self.raw[value], self.raw[bad]
        parsed, problem = boolean(clean_text(self.raw[name], csv_text))
        return parsed, problem if problem is not None else ibis.literal(False)

    def find(self, names: str | list[str] | None) -> str | None:
        """The first of ``names`` the source has (its own spelling), or None."""
        for name in [names] if isinstance(names, str) else names or []:
            found = self.by_key.get(mapping_key(name))
            if found is not None:
                return found
        return None

    def missing(self, names: list[str], what: str, named: bool = True) -> InputError:
        """The error for a mapped column the source lacks, with the closest one it has
        (``named``: the mapping names it; else the canonical name was looked for)."""
        close = difflib.get_close_matches(mapping_key(names[0]), list(self.by_key), n=1)
        table, column = what.split(".", 1)
        if table == "rates":  # a rates file is read by its own column names
            hint = "name the rates file's columns currency, rate and (optional) date"
        elif close:
            hint = f"did you mean {self.by_key[close[0]]!r}? (map it in the mapping's [{table}])"
        else:
            hint = columns_found(list(self.by_key.values()))
        if column == "probability":
            hint += '; an export without a probability: probability = { value = "" } in [deals]'
        said = (
            f"the mapping reads {' or '.join(repr(n) for n in names)} for {what}"
            if named
            else f"the mapping does not name {what} and the file has no column {names[0]!r}"
        )
        return InputError(
            f"{said}, which the file lacks" if named else said,
            source=self.source,
            hint=hint,
        )


def status_of(closed: ir.BooleanValue, won: ir.BooleanValue) -> ir.StringValue:
    """Status from two booleans: not closed = active, closed and won = won, closed and not
    won = lost; unknown when either is missing."""
    return ibis.cases(
        (closed.isnull(), ibis.null("string")),
        (~closed, ibis.literal(ACTIVE)),
        (won.isnull(), ibis.null("string")),
        (won, ibis.literal(WON)),
        else_=ibis.literal(LOST),
    )


_STRFTIME = {
    "%Y": r"\d{4}",
    "%y": r"\d{2}",
    "%m": r"\d{1,2}",
    "%d": r"\d{1,2}",
    "%H": r"\d{1,2}",
    "%M": r"\d{1,2}",
    "%S": r"\d{1,2}",
    "%b": r"[A-Za-z]{3}",
    "%f": r"\d+",
    "%p": r"[AaPp][Mm]",
    "%I": r"\d{1,2}",
    "%z": r"[+-]\d{2}:?\d{2}",
}


def _format_pattern(fmt: str) -> str:
    """A regular expression the text of ``fmt`` matches (checked before the engine parses:
    a value that does not fit is the located error, not the engine's)."""
    parts = re.split(r"(%[A-Za-z])", fmt)
    return "^" + "".join(_STRFTIME.get(p, re.escape(p)) for p in parts) + "$"


def date_of(value: ir.Value, fmt: str | None, csv_text: bool) -> tuple[ir.Value, ir.BooleanValue]:
    """A date from a raw value: ISO text or a date/timestamp (no format), epoch seconds or
    milliseconds, or text in a strftime ``fmt``; and when the value is unusable."""
    text = clean_text(value, csv_text)
    vtype = text.type()
    if fmt in EPOCH_FORMATS and not vtype.is_temporal():
        number = text.try_cast("int64") if vtype.is_string() else text.cast("int64")
        # whole seconds either way (a date needs no more; Spark has no millisecond unit)
        seconds = number if fmt == "epoch_s" else number // 1000
        epoch = seconds.as_timestamp("s").date()
        if fmt != "epoch_ms_or_iso" or not vtype.is_string():
            return epoch, text.notnull() & number.isnull()
        iso, iso_bad = date_of(text, None, csv_text=False)
        digits = text.re_search(r"^\d+$")
        return ibis.ifelse(digits, epoch, iso), ibis.ifelse(digits, number.isnull(), iso_bad)
    if not (vtype.is_string() or vtype.is_temporal()):
        return ibis.null("date"), text.notnull()
    if fmt is None or vtype.is_temporal():
        parsed, problem = iso_date(text)
        return parsed, problem if problem is not None else ibis.literal(False)
    fits = text.re_search(_format_pattern(fmt))
    parsed = ibis.ifelse(fits, text.as_date(fmt), ibis.null("date"))
    return parsed, text.notnull() & ~fits


@dataclass(frozen=True)
class Fed:
    """One canonical column as the mapping feeds it."""

    value: ir.Value
    problem: ir.BooleanValue | None
    scale: Decimal | None
    source_column: str  # the (first) source column read, for error messages


def feed(
    spec: Field, column: Column, cols: SourceColumns, as_of: dt.date, csv_text: bool
) -> Fed | None:
    """The expression for ``column`` per ``spec``, or None when a source column is absent."""
    raw = cols.raw
    if spec.value is not None:
        return Fed(ibis.literal(spec.value), None, None, "")
    if spec.columns is not None:
        names = [cols.find(name) for name in spec.columns]
        if None in names:
            return None
        parts = [clean_text(raw[n].cast("string"), csv_text) for n in names if n is not None]
        joined = ibis.literal(spec.separator).join([p.fill_null("") for p in parts]).strip()
        return Fed(
            ibis.ifelse(joined == "", ibis.null("string"), joined), None, None, names[0] or ""
        )
    if spec.closed is not None:
        closed_name, won_name = cols.find(spec.closed), cols.find(spec.won)
        if closed_name is None or won_name is None:
            return None
        closed, closed_bad = cols.boolean(closed_name, csv_text)
        won, won_bad = cols.boolean(won_name, csv_text)
        return Fed(status_of(closed, won), closed_bad | won_bad, None, closed_name)
    if spec.since is not None:
        name = cols.find(spec.since)
        if name is None:
            return None
        day, unusable = date_of(cols.text(name, csv_text), spec.format, csv_text=False)
        return Fed(ibis.literal(as_of).delta(day, unit="day"), unusable, None, name)
    name = cols.find(spec.column)
    if name is None:
        return None
    value: ir.Value = raw[name]
    problem: ir.BooleanValue | None = None
    if spec.values is not None:
        text = fold_case(clean_text(value.cast("string"), csv_text))
        pairs = [(fold_case(ibis.literal(k)), ibis.literal(v)) for k, v in spec.values.items()]
        other = ibis.literal(spec.default) if spec.default is not None else text
        mapped = ibis.cases(*[(text == k, v) for k, v in pairs], else_=other)
        value = ibis.ifelse(text.isnull() | (text == ""), ibis.null("string"), mapped)
    elif spec.format is not None:
        value, problem = date_of(cols.text(name, csv_text), spec.format, csv_text=False)
    scale = Decimal(str(spec.scale)) if spec.scale is not None else None
    return Fed(value, problem, scale, name)
