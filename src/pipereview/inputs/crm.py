"""A CRM export's tables read through a mapping: the stage table first, then the deals
(which take probability, status and stage from it), then the reps, or, when there is no
reps input, the deals' owners. The rep figures the mapping derives from the deals come
later (``figures.py``), after any currency conversion.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.engines import Engine
from pipereview.errors import InputError
from pipereview.inputs.canonical import canonical
from pipereview.inputs.loaded import Finding, Loaded
from pipereview.inputs.mapping import Field, Mapping, TableMapping
from pipereview.inputs.plan import MappingPlan
from pipereview.inputs.read import load
from pipereview.names import fold_case


def load_stages(engine: Engine, mapping: Mapping, stages: Any, as_of: dt.date) -> ir.Table | None:
    """The canonical stage table: the ``stages`` input (columns per ``[stages]``) or the
    mapping's inline ``[stages.values]``; None when there is neither."""
    spec = mapping.stages
    if stages is None and (spec is None or spec.values is None):
        if spec is not None and spec.fields:
            raise InputError(
                "the mapping describes a stage table, but none was given",
                hint="pass the pipeline stages export with --stages FILE",
            )
        return None
    if stages is not None:
        plan = MappingPlan(
            TableMapping(fields=spec.fields, deleted=spec.deleted) if spec else TableMapping(),
            as_of,
        )
        loaded = load(engine, stages, "stages", plan)
    else:
        assert spec is not None and spec.values is not None
        rows = [{"stage": key, **values} for key, values in spec.values.items()]
        columns = sorted({k for row in rows for k in row})
        records = [{c: row.get(c) for c in columns} for row in rows]
        inline = "the mapping's [stages.values]"
        try:
            loaded = load(engine, records, "stages", MappingPlan(TableMapping(), as_of))
        except InputError as err:  # name the stage, not "stages (list of dicts), row 1"
            stage = rows[err.row - 1]["stage"] if err.row is not None else None
            where = f"{inline}, stage {stage!r}" if stage is not None else inline
            raise InputError(err.detail, source=where, column=err.column, hint=err.hint) from None
        loaded.source = inline
    loaded.ensure_checked()
    table = loaded.table
    twice = (
        table.group_by(key=fold_case(table.stage))
        .aggregate(n=table.count())
        .filter(lambda t: t.n > 1)
    )
    repeated = engine.rows(twice.order_by("key").limit(1))
    if repeated:
        raise InputError(
            f"stage {repeated[0]['key']!r} is listed {repeated[0]['n']} times",
            source=loaded.source,
            column="stage",
            hint="a stage table has one row per stage (names compared trimmed and A-Z "
            "case-insensitively)",
        )
    return table


def reps_from_deals(
    engine: Engine, deals: Loaded, carried: tuple[Loaded, tuple[str, ...]] | None = None
) -> Loaded:
    """With no reps input, the reps are the deals' distinct owners (by ``rep_id``), every
    other rep column missing (a mapping's ``derive`` then fills the figures); an owner that
    is a person's name (it has a space: "Ada Lovelace", where CRM ids have none) is also
    the rep's name. ``carried``: the deals file read as reps through ``[reps.from_deals]``
    and the columns it carries; each gives every owner its one value (``one_per_owner``)."""
    deals.ensure_checked()
    d = deals.table
    owners = d.filter(d.rep_id.notnull()).select("rep_id").distinct()
    named = owners.rep_id.strip().contains(" ")
    owners = owners.mutate(rep_name=ibis.ifelse(named, owners.rep_id, ibis.null("string")))
    parsed = canonical(owners, "reps", csv_text=False)
    table, absent, said = parsed.table, parsed.absent, ""
    if carried is not None:
        columns = carried[1]
        table = one_per_owner(engine, table, *carried)
        absent = tuple(c for c in absent if c not in columns)
        said = f" Their {', '.join(columns)} come from the deals (one value per owner)."
    table = engine.materialize(table.order_by("rep_id"))
    n = int(engine.one(table.aggregate(n=table.count()))["n"])
    loaded = Loaded(engine, None, "reps", table, "the deals' owners", absent, checked=True)
    loaded.findings = (
        Finding(
            "reps_from_deals",
            "info",
            n,
            f"No reps input: the reps are the {n} distinct owners (rep_id) of the deals; "
            "an owner that is a name (with a space) is the rep's name." + said,
        ),
    )
    return loaded


def one_per_owner(
    engine: Engine, owners: ir.Table, carried: Loaded, columns: tuple[str, ...]
) -> ir.Table:
    """``owners`` with the ``carried`` columns filled: each owner's one value among its
    deals' rows (blanks aside; text compared trimmed and A-Z case-insensitively). An owner
    with two values is refused: a rep has one region, one manager."""
    carried.ensure_checked()
    c = carried.table
    key = {name: fold_case(c[name]) if c[name].type().is_string() else c[name] for name in columns}
    per_owner = c.filter(c.rep_id.notnull()).group_by(rep_id=c.rep_id)
    values = engine.cache(  # one row per owner, read twice below: computed once
        per_owner.aggregate(
            **{f"_one_{name}": c[name].min() for name in columns},
            **{f"_n_{name}": key[name].nunique() for name in columns},
        )
    )
    firsts = engine.one(  # per column, the first owner (by id) with two values: one query
        values.aggregate(
            **{
                f"_two_{name}": values.rep_id.min(where=values[f"_n_{name}"] > 1)
                for name in columns
            }
        )
    )
    for name in columns:
        rep = firsts[f"_two_{name}"]
        if rep is not None:
            seen = c.filter(c.rep_id == rep).select(v=c[name]).distinct().order_by("v").limit(3)
            shown = ", ".join(repr(r["v"]) for r in engine.rows(seen))
            raise InputError(
                f"owner {rep!r} has more than one {name} among its deals ({shown}); a rep has one",
                source=carried.source,
                column=name,
                hint=f"pass a reps file, or drop {name} from the mapping's [reps.from_deals]",
            )
    joined = owners.left_join(values, "rep_id")
    chosen = {
        name: (
            joined[f"_one_{name}"].cast(owners[name].type())
            if name != "rep_name"
            else joined[f"_one_{name}"].coalesce(joined.rep_name)
        )
        for name in columns
    }
    return joined.select(*[chosen.get(n, joined[n]).name(n) for n in owners.columns])


def load_mapped(
    engine: Engine,
    deals: Any,
    reps: Any,
    mapping: Mapping,
    stages: Any,
    as_of: dt.date,
    sheet: str | None = None,
) -> tuple[Loaded, Loaded]:
    """Deals and reps read through ``mapping``, with the stage table (the rep figures it
    derives come after any currency conversion: ``derive``)."""
    loaded_deals = load_mapped_deals(engine, deals, mapping, stages, as_of, sheet)
    if reps is None:
        carried = _carried(engine, deals, mapping, as_of, sheet)
        return loaded_deals, reps_from_deals(engine, loaded_deals, carried)
    if mapping.reps.from_deals:
        raise InputError(
            "the mapping's [reps.from_deals] reads the reps from the deals, but a reps input "
            "was given too",
            column=", ".join(mapping.reps.from_deals),
            hint="leave out the reps input, or map those columns under [reps]",
        )
    loaded_reps = load(engine, reps, "reps", MappingPlan(mapping.reps, as_of), sheet)
    return loaded_deals, loaded_reps


def _carried(
    engine: Engine, deals: Any, mapping: Mapping, as_of: dt.date, sheet: str | None
) -> tuple[Loaded, tuple[str, ...]] | None:
    """The deals file read as reps through ``[reps.from_deals]`` (its rows the deals' rows,
    less those the mapping leaves out) and the columns it carries, or None when the mapping
    carries nothing."""
    carried = mapping.reps.from_deals
    if not carried:
        return None
    fields = dict(carried)
    if "rep_id" in mapping.deals.fields:
        fields["rep_id"] = mapping.deals.fields["rep_id"]
    spec = TableMapping(fields=fields, deleted=mapping.deals.deleted)
    return load(engine, deals, "reps", MappingPlan(spec, as_of), sheet), tuple(carried)


def load_mapped_deals(
    engine: Engine,
    deals: Any,
    mapping: Mapping,
    stages: Any,
    as_of: dt.date,
    sheet: str | None = None,
) -> Loaded:
    """The deals alone read through ``mapping`` (with its stage table)."""
    stage_table = load_stages(engine, mapping, stages, as_of)
    deals_column = mapping.stages.deals_column if mapping.stages is not None else None
    key = Field(column=deals_column) if deals_column is not None else None
    return load(engine, deals, "deals", MappingPlan(mapping.deals, as_of, stage_table, key), sheet)
