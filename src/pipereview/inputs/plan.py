"""A mapping applied in the engine: a raw table -> the canonical table, as Ibis expressions.

Each canonical column is fed by its ``Field`` (``mapping.py``): a source column (renamed),
scaled, value-mapped, a parsed date, days since a date, a status from two booleans, text
joined from columns, or a constant. Canonical columns the mapping does not name are taken
from a source column of that name, as without a mapping. The result is parsed and checked
by ``canonical.py`` like any input; the mapping's own unusable values (a date that does not
fit its format, a boolean that is not one) join the same ``_bad`` flag.

Then, in the engine: rows marked deleted are left out (and counted), and deals take
probability, status and the stage label from the stage table where they lack them. An
unusable value is located from the engine (which column, which row) and the raw value read
back from the source on that error path only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.engines import Engine, count_if
from pipereview.inputs.canonical import BAD_OF, HIDDEN, canonical, clean_text
from pipereview.inputs.loaded import Finding, Loaded, run_checked
from pipereview.inputs.locate.mapped import DELETED_FIELD, locator
from pipereview.inputs.mapping import Field, TableMapping
from pipereview.inputs.transforms import SourceColumns, feed, status_of
from pipereview.names import fold_case
from pipereview.schema import TABLES, Column

STAGE_KEY = HIDDEN + "stage_key"
DELETED = HIDDEN + "deleted"
ALL_LEFT_OUT = "every_deal_left_out"  # the finding: a deals export of deleted rows only


@dataclass
class MappingPlan:
    """How one input is mapped: its table mapping, the report day (for ``since``), and for
    deals the canonical stage table and the field naming a deal's stage in it."""

    spec: TableMapping
    as_of: dt.date
    stages: ir.Table | None = None
    stage_key: Field | None = None
    described: dict[str, str] = field(default_factory=dict)
    unfed: list[str] = field(default_factory=list)  # mapped from a column the source lacks
    needs: dict[str, str] = field(default_factory=dict)  # what a value must be, when not its kind

    def build(
        self,
        engine: Engine,
        raw: ir.Table,
        obj: Any,
        table: str,
        source: str,
        kind: str,
        notes: tuple[str, ...],
        delimiter: str | None,
    ) -> Loaded:
        """The canonical, checked table for ``raw`` under this plan."""
        row_column = engine.row_column(raw)
        csv_text = kind in ("csv", "tsv")
        cols = SourceColumns(raw, source, row_column)
        cols.prepare(*self._prepared_sources(cols), csv_text)
        exprs, scales, sources, findings = self._columns(cols, table, csv_text)
        required = [c.name for c in TABLES[table] if c.required and c.name not in exprs]
        if len(required) == len([c for c in TABLES[table] if c.required]) and not any(
            c.name in exprs for c in TABLES[table]
        ):  # not one canonical column: say which is missing, not an empty projection
            raise cols.missing(required[:1], f"{table}.{required[0]}", named=False)
        if row_column is not None:
            exprs[row_column] = cols.raw[row_column]
        parsed = canonical(
            cols.raw.select(**exprs),
            table,
            csv_text=csv_text,
            row_column=row_column,
            scales=scales,
            per_column=True,
        )
        if parsed.missing_required:
            raise cols.missing(
                list(parsed.missing_required),
                f"{table}.{parsed.missing_required[0]}",
                named=False,
            )
        # said once: by the mapping's finding, or filled from the stage table
        filled = ("stage",) if self.stages is not None else ()
        absent = tuple(c for c in parsed.absent if c not in self.unfed and c not in filled)
        loaded = Loaded(
            engine,
            obj,
            table,
            parsed.table,
            source,
            absent,
            notes=notes,
            delimiter=delimiter,
        )
        # Kept even for a large Parquet file (which canonical inputs scan in place): the mapping's
        # transforms, stage join and deleted filter would otherwise run in every query.
        kept = run_checked(loaded, lambda: engine.materialize(parsed.table))
        live = kept.filter(~kept[DELETED]) if DELETED in kept.columns else kept
        loaded.locate = locator(
            engine, live, obj, table, source, delimiter, sources, self.described, self.needs, raw
        )
        if self.stages is not None and STAGE_KEY in live.columns:
            live = self._with_stages(live)
        findings += run_checked(loaded, lambda: _counts(engine, kept, live, table, self))
        hidden = [c for c in live.columns if c.startswith(HIDDEN)]
        loaded.table = engine.named(live.drop(*hidden))  # a table the plans can bind
        loaded.findings = tuple(findings)
        loaded.ensure_checked()
        return loaded

    def _prepared_sources(self, cols: SourceColumns) -> tuple[list[str], list[str]]:
        """The source columns this plan reads as booleans (statuses, deleted markers) and as
        dates it parses itself (``since``, a ``format``): each is cleaned once."""
        booleans = [cols.find(n) for n in self.spec.deleted]
        dates = []
        for spec in self.spec.fields.values():
            if spec.closed is not None:
                booleans += [cols.find(spec.closed), cols.find(spec.won)]
            elif spec.since is not None:
                dates.append(cols.find(spec.since))
            elif spec.format is not None:
                dates.append(cols.find(spec.column))
        return [n for n in booleans if n is not None], [n for n in dates if n is not None]

    def _columns(
        self, cols: SourceColumns, table: str, csv_text: bool
    ) -> tuple[dict[str, ir.Value], dict[str, Decimal], dict[str, str], list[Finding]]:
        exprs: dict[str, ir.Value] = {}
        scales: dict[str, Decimal] = {}
        sources: dict[str, str] = {}
        absent_sources: list[str] = []
        for column in TABLES[table]:
            spec = self.spec.fields.get(column.name)
            if spec is None:
                name = cols.find(column.name)
                if name is not None:
                    exprs[column.name] = cols.raw[name]
                    sources[column.name] = name
                continue
            fed = feed(spec, column, cols, self.as_of, csv_text)
            if fed is None:
                needed = column.required and not (
                    self.stages is not None and column.name in ("probability", "status")
                )
                if needed:
                    raise cols.missing(spec.sources()[0], f"{table}.{column.name}")
                absent_sources.append(f"{column.name} ({spec.describe()})")
                self.unfed.append(column.name)
                continue
            exprs[column.name] = fed.value
            sources[column.name] = fed.source_column
            self.described[column.name] = spec.describe()
            if spec.closed is not None:
                self.needs[column.name] = "boolean"
            elif spec.since is not None:
                self.needs[column.name] = "since"
            elif spec.format is not None:  # not "YYYY-MM-DD": the format the mapping gave
                self.needs[column.name] = f"a date in the mapping's format {spec.format!r}"
            if fed.problem is not None:
                exprs[BAD_OF + column.name] = fed.problem
            if fed.scale is not None:
                scales[column.name] = fed.scale
        if self.stages is not None:
            for name in ("probability", "status"):
                exprs.setdefault(name, ibis.null("string"))
            key = (
                feed(self.stage_key, Column("stage", "text", False, ""), cols, self.as_of, csv_text)
                if self.stage_key is not None
                else None
            )
            if self.stage_key is not None and key is None:
                raise cols.missing(self.stage_key.sources()[0], "stages.deals_column")
            key_value = key.value if key is not None else exprs.get("stage")
            exprs[STAGE_KEY] = (
                clean_text(key_value.cast("string"), csv_text)
                if key_value is not None
                else ibis.null("string")
            )
        deleted = [name for name in (cols.find(n) for n in self.spec.deleted) if name is not None]
        if deleted:
            flag, problem = ibis.literal(False), ibis.literal(False)
            for name in deleted:
                value, bad = cols.boolean(name, csv_text)
                flag = flag | value.fill_null(False)
                problem = problem | bad
            exprs[DELETED] = flag
            exprs[BAD_OF + DELETED_FIELD] = problem
            sources[DELETED_FIELD] = deleted[0]
            self.described[DELETED_FIELD] = " or ".join(deleted)
        findings = []
        if absent_sources:
            findings.append(
                Finding(
                    "mapped_column_absent",
                    "info",
                    len(absent_sources),
                    f"The mapping names source columns the {table} file lacks; these canonical "
                    f"columns are empty: {'; '.join(absent_sources)}.",
                )
            )
        return exprs, scales, sources, findings

    def _with_stages(self, deals: ir.Table) -> ir.Table:
        """Deals with probability, status and the stage label from the stage table where
        they lack them (a deal's own value wins)."""
        assert self.stages is not None
        s = self.stages
        lookup = s.select(
            _m_sk=fold_case(s.stage),
            _m_label=s.label,
            _m_prob=s.probability,
            # a closed stage without a won value is won when its probability is 1
            _m_status=status_of(s.closed, s.won.coalesce(s.probability == 1)),
        )
        keyed = deals.mutate(_m_dk=fold_case(deals[STAGE_KEY]))
        joined = keyed.left_join(lookup, keyed._m_dk == lookup._m_sk)
        return joined.mutate(
            probability=joined.probability.coalesce(joined._m_prob),
            status=joined.status.coalesce(joined._m_status),
            stage=ibis.coalesce(joined._m_label, joined.stage, joined[STAGE_KEY]),
            _m_matched=joined._m_sk.notnull(),
        ).drop("_m_dk", "_m_sk", "_m_label", "_m_prob", "_m_status")


def _counts(
    engine: Engine, kept: ir.Table, live: ir.Table, table: str, plan: MappingPlan
) -> list[Finding]:
    """Rows left out as deleted, and deals whose stage the stage table lacks."""
    findings = []
    if DELETED in kept.columns:
        row = engine.one(kept.aggregate(n=count_if(kept, kept[DELETED]), total=kept.count()))
        n, described = int(row["n"]), plan.described[DELETED_FIELD]
        if n and n == int(row["total"]):  # nothing is left: say so louder (decisions D39)
            findings.append(
                Finding(
                    "deleted_rows",
                    "warning",
                    n,
                    f"every {table} row ({n}) is marked deleted by {described}, so none is "
                    "left: check that column (is the export of deleted records only?).",
                )
            )
        elif n:
            findings.append(
                Finding(
                    "deleted_rows",
                    "info",
                    n,
                    f"{n} {table} row(s) marked deleted ({described}) were left out; they "
                    "count nowhere in the report.",
                )
            )
        if n and n == int(row["total"]) and table == "deals":
            findings.append(
                Finding(
                    ALL_LEFT_OUT,
                    "error",
                    n,
                    f"every one of the {n} deal row(s) is marked deleted ({described}), so "
                    "there are no deals to review.",
                )
            )
    if "_m_matched" in live.columns:
        unmatched = live.filter(~live._m_matched & live[STAGE_KEY].notnull())
        n = int(engine.one(unmatched.aggregate(n=unmatched.count()))["n"])
        if n:
            examples = engine.rows(
                unmatched.select(key=unmatched[STAGE_KEY]).distinct().order_by("key").limit(5)
            )
            findings.append(
                Finding(
                    "unknown_stage",
                    "warning",
                    n,
                    f"{n} deals name a stage the stage table lacks; they have no probability "
                    "or status from it.",
                    tuple(str(r["key"]) for r in examples),
                )
            )
    return findings
