"""Backfill: the canonical deals as they stood on a past day, replayed from a field history.

Today's export says where each deal is now; the field history (Salesforce
OpportunityFieldHistory shape: deal_id, field, old_value, new_value, changed_at) says what
each tracked field was before each change. A field's value on day ``D`` is the ``old_value``
of its first change after ``D``, or today's value when it has not changed since. The fields
replayed: the stage (StageName, stage, dealstage), the value (Amount, deal_value_usd), the
close date (CloseDate, close_date) and the probability (Probability, probability; 0..1 like
the canonical column). A deal created after ``D`` is left out. When the stage changed after
``D``, the status on ``D`` follows the stage then: a won stage is won, a lost stage lost,
any other active (``velocity.won_stages`` / ``lost_stages``). Days in stage on ``D``: when
the stage has not changed since, today's less the days between (a closed deal keeps
today's; unknown when today's is, or when that would be negative); else from the last stage
change on or before ``D``; else from the created date.
Every other column (rep, risk flags, forecast category...) is today's: a field history does
not carry it.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from pipereview.names import fold_case, fold_text, folds_into, one_of
from pipereview.policy import Policy
from pipereview.schema import DEAL_COLUMNS, MONEY, PROBABILITY, ROW_COLUMN, STAGE_FIELDS

# canonical column -> the field names (folded) that carry it in a field history
REPLAYED: dict[str, tuple[str, ...]] = {
    "stage": STAGE_FIELDS,
    "deal_value_usd": ("amount", "deal_value_usd"),
    "close_date": ("closedate", "close_date"),
    "probability": ("probability",),
}
_TYPES = {
    "stage": "string",
    "deal_value_usd": MONEY,
    "close_date": "date",
    "probability": PROBABILITY,
}


def _parsed(text: ir.StringValue, column: str) -> ir.Value:
    """A field history value as the canonical column's type (null when unreadable)."""
    trimmed = text.strip()
    if column == "close_date":
        return trimmed.substr(0, 10).try_cast("date")
    if column == "stage":
        return trimmed.nullif("")
    return trimmed.nullif("").try_cast(_TYPES[column])


def replayed_changes(history: ir.Table) -> ir.Table:
    """The field history's rows for replayed fields, with ``_col`` (the canonical column)."""
    column = ibis.cases(
        *((folds_into(history.field, names), ibis.literal(col)) for col, names in REPLAYED.items())
    )
    rows = history.filter(history.deal_id.notnull() & history.changed_at.notnull())
    return rows.mutate(_col=column.name("_col")).filter(ibis._._col.notnull())


def bad_values(changes: ir.Table) -> ir.Table:
    """Replayed changes whose ``old_value`` cannot be used (refused by the caller): a value,
    close date or probability that ``_parsed`` (the replay's own parse) cannot read, or a
    probability outside 0..1."""
    given = changes.old_value.strip().nullif("").notnull()
    value = {c: _parsed(changes.old_value, c) for c in ("close_date", "deal_value_usd")}
    chance = _parsed(changes.old_value, "probability")
    unusable = ibis.cases(
        (changes._col == "close_date", value["close_date"].isnull()),
        (changes._col == "deal_value_usd", value["deal_value_usd"].isnull()),
        (changes._col == "probability", chance.isnull() | (chance < 0) | (chance > 1)),
        else_=False,
    )
    return changes.filter(given & unusable)


def deals_on(
    deals: ir.Table, changes: ir.Table, day: dt.date, today: dt.date, policy: Policy
) -> ir.Table:
    """The canonical deals as they stood on ``day`` (same columns as ``deals``)."""
    after = changes.filter(changes.changed_at > day)
    w = ibis.window(group_by=[after.deal_id, after._col], order_by=[after.changed_at, after._row])
    first = after.mutate(_n=ibis.row_number().over(w)).filter(ibis._._n == 0)
    then = first.group_by(_tid=first.deal_id).aggregate(
        **{f"_has_{c}": (first._col == c).any() for c in REPLAYED},
        **{f"_then_{c}": first.old_value.max(where=first._col == c) for c in REPLAYED},
    )
    stage_changes = changes.filter(changes._col == "stage")
    entered = stage_changes.filter(stage_changes.changed_at <= day)
    entered = entered.group_by(_eid=entered.deal_id).aggregate(_entered=entered.changed_at.max())
    d = deals.filter(deals.created_date.isnull() | (deals.created_date <= day))
    j = d.left_join(then, d.deal_id == then._tid).left_join(entered, d.deal_id == entered._eid)
    values: dict[str, ir.Value] = {}
    for column in REPLAYED:
        has = j[f"_has_{column}"].fill_null(False)
        values[column] = ibis.ifelse(has, _parsed(j[f"_then_{column}"], column), j[column])
    stage_moved = j._has_stage.fill_null(False)
    stage = fold_case(values["stage"])
    won = [fold_text(s) for s in policy.velocity.won_stages]
    lost = [fold_text(s) for s in policy.velocity.lost_stages]
    status_then = ibis.cases(
        (one_of(stage, won), "won"), (one_of(stage, lost), "lost"), else_="active"
    )
    values["status"] = ibis.ifelse(stage_moved, status_then, j.status)
    since_change = ibis.literal(day).delta(j._entered, unit="day").cast("float64")
    since_created = ibis.literal(day).delta(j.created_date, unit="day").cast("float64")
    carried = j.days_in_stage - (today - day).days
    unknown = ibis.null("float64")
    values["days_in_stage"] = ibis.cases(
        (~stage_moved & (values["status"] != "active"), j.days_in_stage),
        (~stage_moved, ibis.ifelse(carried >= 0, carried, unknown)),
        (j._entered.notnull(), since_change),
        (j.created_date.notnull(), since_created),
        else_=unknown,
    )
    names = [c.name for c in DEAL_COLUMNS] + [ROW_COLUMN]
    names += [n for n in deals.columns if n not in names]  # the row check's column
    return j.select(*(values[n].cast(j[n].type()).name(n) if n in values else j[n] for n in names))
