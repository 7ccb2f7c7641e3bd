"""Raw engine tables -> canonical columns, as Ibis expressions that run where the data is.

Every canonical column is parsed by its ``kind`` (schema.py): text stays text, numbers become
exact decimals (money, probability) or doubles, dates become dates, risk flags a list of
strings. A value that cannot be used is not fixed: it sets the row's ``_bad`` column, the
engine counts those rows, and when the count is not zero ``locate/`` names the first one.
Nothing here changes a number; missing stays null.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.types as ir

from pipereview.inputs.dates import iso_date
from pipereview.inputs.flags import flags
from pipereview.inputs.precision import (
    DOUBLE_DIGITS,
    PLACES,
    WIDE,
    from_double,
    places_beyond_decimal,
    places_beyond_double,
    places_beyond_text,
)
from pipereview.names import column_key, fold_case, one_of
from pipereview.schema import MONEY, ROW_COLUMN, STATUSES, TABLES, Column

BAD = "_bad"
# What a CSV field that means "missing" looks like (the error path's Arrow reader uses it too).
# The patterns below are shared with the error path (locate/values.py): both judge alike.
CSV_NULLS = ("", "NULL", "null", "NaN", "nan", "N/A", "n/a", "None")
NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
# Date columns of one row that must come in this order (a stage left before it was entered
# made velocity's stay negative): the later one is the unusable value.
ORDERED = {"stage_history": (("entered_at", "exited_at"),)}
ID_DOUBLE_LIMIT = 2**53  # a double holds every whole number up to here, and not all beyond


@dataclass(frozen=True)
class Canonical:
    """The canonical expression (with ``_bad``) and what the source lacked."""

    table: ir.Table
    absent: tuple[str, ...]
    missing_required: tuple[str, ...]


def stripped_names(raw: ir.Table) -> ir.Table:
    """Column names as matched (``names.column_key``: " Deal ID" is deal_id). Readers refuse
    two names with one key before this runs; here the first would win."""
    seen: dict[str, str] = {}
    for name in raw.columns:
        seen.setdefault(column_key(name), name)
    return raw.select(**{new: raw[old] for new, old in seen.items()})


# Columns a mapping adds for the steps after parsing (``plan.py``): passed through
# as they are; ``_m_bad_<column>`` ones are the mapping's own unusable values.
HIDDEN = "_m_"
BAD_OF = "_m_bad_"


def canonical(
    raw: ir.Table,
    table: str,
    *,
    csv_text: bool,
    row_column: str | None = None,
    scales: dict[str, Decimal] | None = None,
    per_column: bool = False,
) -> Canonical:
    """Parse ``raw`` into the canonical ``table`` columns plus ``_bad`` (and ``_row`` when
    the reader gives a 0-based input row number in ``row_column``).

    ``csv_text``: every column is CSV text, so the CSV null spellings mean missing.
    ``scales``: numbers multiplied after parsing, before the range check (a 0-100
    probability times 0.01). ``per_column``: keep each column's unusable-value condition as
    ``_m_bad_<column>``, so that an error can name the column from the engine alone.
    """
    raw = _prepared(stripped_names(raw), table, csv_text=csv_text)
    present = set(raw.columns)
    columns: dict[str, ir.Value] = {}
    bad: dict[str, ir.BooleanValue] = {}
    absent: list[str] = []
    missing: list[str] = []
    for column in TABLES[table]:
        if column.name not in present:
            (missing if column.required else absent).append(column.name)
            columns[column.name] = ibis.null(column.dtype)
            continue
        scale = (scales or {}).get(column.name)
        parsed, problem = _parse(raw[column.name], column, scale)
        columns[column.name] = parsed
        if problem is not None:
            bad[column.name] = problem.fill_null(False)
    for first, then in ORDERED.get(table, ()):
        if first in present and then in present:  # a stay that ends before it starts
            before = (columns[then] < columns[first]).fill_null(False)
            bad[then] = bad[then] | before if then in bad else before
    for name in raw.columns:
        if name.startswith(BAD_OF):
            bad[name.removeprefix(BAD_OF)] = raw[name].fill_null(False) | bad.get(
                name.removeprefix(BAD_OF), ibis.literal(False)
            )
        elif name.startswith(HIDDEN):
            columns[name] = raw[name]
    flag = ibis.literal(False)
    for problem in bad.values():
        flag = flag | problem
    columns[BAD] = flag
    if per_column:
        columns.update({BAD_OF + name: problem for name, problem in bad.items()})
    if row_column is not None:
        columns[ROW_COLUMN] = raw[row_column] + 1
    return Canonical(_staged(raw, columns), tuple(absent), tuple(missing))


STAGED = "_p_"


def _staged(raw: ir.Table, columns: dict[str, ir.Value]) -> ir.Table:
    """``raw.select(**columns)`` with each parsed value computed once, in a select of its
    own, and referred to by name where the unusable-value checks use it again (a date's
    parse appears in four of its checks). Inlined, the statement is twice as long, and an
    engine takes longer to parse, bind and optimise it than to run it on a small file
    (decisions D61). Ibis keeps the two selects apart: merged, they would be more complex."""
    parsed = {
        name: value
        for name, value in columns.items()
        if name != BAD
        and not isinstance(value.op(), ops.Field | ops.Literal)
        and STAGED + name not in raw.columns
    }
    if not parsed:
        return raw.select(**columns)
    stage = raw.mutate(**{STAGED + name: value for name, value in parsed.items()})
    subs: dict[ops.Node, ops.Node] = {raw[name].op(): stage[name].op() for name in raw.columns}
    subs.update({value.op(): stage[STAGED + name].op() for name, value in parsed.items()})
    return stage.select(
        **{name: value.op().replace(subs).to_expr() for name, value in columns.items()}
    )


def _prepared(raw: ir.Table, table: str, *, csv_text: bool) -> ir.Table:
    """Values made ready for parsing, once per value: CSV null spellings to null and, for
    columns parsed from text, surrounding blanks trimmed (blank is missing); a NaN double
    of a number column is missing (pandas writes missing as NaN), and a 32-bit float is
    read as its shortest text. A separate
    select, so the parsing below refers to each prepared value by name: inlined, the same
    CASE would be repeated in every cast and check, and DuckDB allocates working memory per
    expression node (a 10-row CSV took a second to plan and run)."""
    kinds = {c.name: c.kind for c in TABLES[table]}
    if csv_text:  # a select of its own: the trim and the blank test read the value by name
        raw = raw.select(
            **{n: _csv_null(raw[n]) if raw[n].type().is_string() else raw[n] for n in raw.columns}
        )
    columns: dict[str, ir.Value] = {}
    for name in raw.columns:
        value = raw[name]
        if value.type().is_string() and kinds.get(name) in _TRIMMED:
            value = blank_to_null(value)
        elif value.type().is_string() and kinds.get(name) in _TEXT:
            # blank text is missing whatever holds it, as a blank CSV cell is (D39)
            value = ibis.ifelse(blank(value), ibis.null("string"), value)
        if value.type().is_floating() and kinds.get(name) in _NUMBERS:
            kind = value.type().copy(nullable=True)  # a workbook's column may say not null
            value = ibis.ifelse(value.isnan(), ibis.null(kind), value)  # pandas' missing
            if kind == dt.float32:  # a float means its shortest text: "0.33", not
                value = value.cast("string")  # 0.33000001311302185 (its value as a double)
        columns[name] = value
    return raw.select(**columns)


def clean_text(value: ir.Value, csv_text: bool) -> ir.Value:
    """A raw value as the parsers read text: CSV null spellings (for CSV text) and blank as
    null, surrounding blanks trimmed; other types as they are (``_prepared``, per value)."""
    if not value.type().is_string():
        return value
    # The plain trim: with the guard of ``blank_to_null``, the null spellings' CASE would be
    # written out four times per value here, and a preset's input took longer to plan.
    return (_csv_null(value) if csv_text else value).strip().nullif("")


def _csv_null(value: ir.StringValue) -> ir.StringValue:
    return ibis.ifelse(one_of(value, CSV_NULLS), ibis.null("string"), value)


# The kinds ``_number`` and ``iso_date`` parse from text: they read the prepared value as is.
_NUMBERS = ("money", "probability", "number", "integer", "rate")
_TRIMMED = (*_NUMBERS, "date")
_TEXT = ("id", "text", "status")


def _parse(
    value: ir.Value, column: Column, scale: Decimal | None = None
) -> tuple[ir.Value, ir.BooleanValue | None]:
    """The canonical value and the condition under which the raw value is unusable."""
    kind, vtype = column.kind, value.type()
    if vtype.is_null():
        return ibis.null(column.dtype), None
    if kind in ("id", "text"):
        return _text(value)
    if kind == "status":
        text, problem = _text(value)
        return _status(text), problem
    if kind == "date":
        return iso_date(value)
    if kind == "flags":
        return flags(value)
    if kind == "boolean":
        return boolean(value)
    return _number(value, column, scale)


def _unusable(column: Column) -> tuple[ir.Value, ir.BooleanValue]:
    """A raw type that cannot hold this column: every row is bad (the error path explains)."""
    return ibis.null(column.dtype), ibis.literal(True)


def _text(value: ir.Value) -> tuple[ir.Value, ir.BooleanValue | None]:
    vtype = value.type()
    if vtype.is_string():
        return value, None
    if vtype.is_integer():
        return value.cast("string"), None
    if vtype.is_floating():
        # a whole double is an id only where it is exact: beyond 2^53 (and for NaN or an
        # infinity) it is refused, not cast (the cast overflowed on 1e20)
        # (Ibis floors a double into a BIGINT: only a value that fits is floored)
        nullable = value.type().copy(nullable=True)  # a workbook's column may say not null
        small = ibis.ifelse(value.abs() <= ID_DOUBLE_LIMIT, value, ibis.null(nullable))
        whole = small == small.floor()
        kept = ibis.ifelse(whole, small, ibis.null(nullable)).cast("int64").cast("string")
        return kept, value.notnull() & ~whole.fill_null(False)
    return _unusable(Column("_", "text", False, ""))


def _status(text: ir.StringValue) -> ir.StringValue:
    """Folded (" Active " is active); blank is missing. A status already canonical (the
    usual case) is kept as it is, so the fold runs only on the others."""
    folded = fold_case(text)
    folded = ibis.ifelse(folded == "", ibis.null("string"), folded)
    return ibis.ifelse(text.isin(STATUSES), text, folded)


def _strippable(text: ir.StringValue) -> ir.BooleanValue:
    """Whether ``text``'s first character could be one ``strip`` removes: a blank or a
    control character, code 32 or below, as every character ``strip`` removes is."""
    return text.ascii_str() <= 32


def blank(value: ir.StringValue) -> ir.BooleanValue:
    """Empty, or only the blanks ``strip`` removes. The trim runs only where the first
    character could be trimmed: on a view every query reads again, trimming every id cost
    four times reading it."""
    return (value == "") | (_strippable(value) & (value.strip() == ""))


def blank_to_null(value: ir.StringValue) -> ir.StringValue:
    """Trimmed, blank as null. The trim runs only where the first or the last character
    could be trimmed (elsewhere it would change nothing): a trim by a set of characters
    costs more than reading the value, on every number and date of a CSV file."""
    edge = _strippable(value) | _strippable(value.right(1))
    return ibis.ifelse(edge, value.strip(), value).nullif("")


def _scaled(
    number: ir.NumericValue, target: str, scale: Decimal | None
) -> tuple[ir.NumericValue, ir.BooleanValue | None]:
    """``number`` (read at ``WIDE`` when scaled) times the mapping's ``scale``, exactly, in
    ``target``; and whether the exact product has digits ``target`` does not keep."""
    if scale is None:
        return number, None
    if target == "float64":
        return number * ibis.literal(float(scale)), None
    # Ibis types the product as the wide type and would drop a cast to it as a no-op, but
    # the engines compute it with 6 more places: cast through a wider type to say so.
    product = (number * ibis.literal(scale, "decimal(18,6)")).cast("decimal(38,18)")
    kept = product.try_cast(target)
    return kept, product.notnull() & (kept.isnull() | (product != kept))


def _number(
    value: ir.Value, column: Column, scale: Decimal | None = None
) -> tuple[ir.Value, ir.BooleanValue | None]:
    """The value in the column's type and when it is unusable: not a number, out of range,
    or with digits the column does not keep (decisions D34; ``WIDE`` first when scaled)."""
    vtype, target = value.type(), column.dtype
    read = WIDE if scale is not None and target in PLACES else target
    if vtype.is_string():
        text = value  # trimmed, blank as null (``_prepared``)
        exact = text.try_cast(read)
        if read in PLACES:  # exponent forms ("1e3") go through a double
            exact = exact.coalesce(from_double(text.try_cast("float64"), read))
        problem = text.notnull() & (~text.re_search(NUMBER) | exact.isnull())
        if read in PLACES:
            problem = problem | places_beyond_text(text, PLACES[read])
        else:  # a double holds 15 significant digits: "20.9999999999999999" is not 21 days
            problem = problem | text.re_search(DOUBLE_DIGITS)
        number, inexact = _scaled(exact, target, scale)
    elif vtype.is_floating():
        # Checked on the double itself (a comparison, no second cast): finite and, for a
        # decimal column, below 10^(precision - scale) so that the cast fits. (NaN is
        # missing already: ``_prepared``.)
        finite = value
        number, inexact = _scaled(from_double(finite, read), target, scale)
        bound = _DECIMAL_BOUNDS.get(read)
        fits = ~finite.isinf() if bound is None else finite.abs() < bound
        checked = finite if scale is None else number
        problem = ~fits | _out_of_range(checked, column) | _or_false(inexact)
        if read in PLACES:
            problem = problem | places_beyond_double(finite, read)
        return number, finite.notnull() & problem
    elif vtype.is_integer() or vtype.is_decimal():
        number, inexact = _scaled(value.try_cast(read), target, scale)
        problem = value.notnull() & number.isnull()
        if read in PLACES and vtype.is_decimal():
            problem = problem | places_beyond_decimal(value, read)
    else:
        return _unusable(column)
    return number, problem | _out_of_range(number, column) | _or_false(inexact)


def _or_false(condition: ir.BooleanValue | None) -> ir.BooleanValue:
    return ibis.literal(False) if condition is None else condition.fill_null(False)


# A double at or above these cannot fit the canonical decimal types: 10^(precision - scale),
# less half the last place a double that large keeps (it would round up to 10^14).
MONEY_DOUBLE_BOUND = 1e14 - 0.05
_DECIMAL_BOUNDS = {
    MONEY: MONEY_DOUBLE_BOUND,
    "decimal(18,6)": 1e12,
    "decimal(18,8)": 1e10,
    WIDE: 1e26,
}


def _out_of_range(number: ir.NumericValue, column: Column) -> ir.BooleanValue:
    """Negative days; a probability outside [0, 1] (checked before any rounding); an
    infinite double ("1e400" parses as one)."""
    if column.kind == "integer":
        return (number < 0) | number.isinf()
    if column.kind == "number":
        return number.isinf()
    if column.kind == "probability":
        return (number < 0) | (number > 1)
    if column.kind == "rate":
        return number <= 0
    return ibis.literal(False)


TRUE_TEXT = ("true", "t", "yes", "y", "1")
FALSE_TEXT = ("false", "f", "no", "n", "0")


def boolean(value: ir.Value) -> tuple[ir.Value, ir.BooleanValue | None]:
    """A boolean from a boolean, a number (0 is false) or text (true/false, t/f, yes/no,
    y/n, 1/0; trimmed, A-Z case-insensitive; blank is missing). Other text is unusable."""
    vtype = value.type()
    if vtype.is_boolean():
        return value, None
    if vtype.is_integer() or vtype.is_floating() or vtype.is_decimal():
        return value != 0, None
    if not vtype.is_string():
        return _unusable(Column("_", "boolean", False, ""))
    # lower() decides here exactly as the A-Z fold would (decisions D16): the only capitals
    # outside A-Z that lower into ASCII become i, k or a-ring, and no boolean word has
    # them. The per-row translate of fold_case is costly on every row of a large export.
    folded = value.strip().lower()
    known = one_of(folded, TRUE_TEXT + FALSE_TEXT)
    parsed = ibis.ifelse(known, one_of(folded, TRUE_TEXT), ibis.null("boolean"))
    return parsed, value.notnull() & (folded != "") & ~known


def deal_label(d: ir.Table) -> ir.StringValue:
    """A deal's name in flags and examples: its deal_id, or "row N" when it has none."""
    return d.deal_id.fill_null(ibis.literal("row ") + d[ROW_COLUMN].cast("string"))
