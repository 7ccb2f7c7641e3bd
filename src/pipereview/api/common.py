"""What the report and history functions share: input types, loading, the earlier
snapshot and the velocity inputs."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import ibis
import ibis.expr.types as ir
from pydantic import ValidationError
from typing_extensions import Unpack

from pipereview import synthetic
from pipereview.engines import DEFAULT_ENGINE, Engine, choose_engine
from pipereview.errors import InputError, StoreError
from pipereview.fiscal import FIRST_YEAR, LAST_YEAR, in_calendar
from pipereview.inputs.crm import load_mapped
from pipereview.inputs.currency import convert, load_rates, unconverted
from pipereview.inputs.figures import derive, quotas_from_table
from pipereview.inputs.mapping import Mapping, resolve_mapping
from pipereview.inputs.plan import MappingPlan
from pipereview.inputs.read import load
from pipereview.locations import SourceTable
from pipereview.metrics.history import close_date_changes, pushes_from_fields, pushes_from_snapshots
from pipereview.metrics.velocity import from_field_history, from_snapshots, from_stage_history
from pipereview.policy import Policy
from pipereview.policy import load_policy as _load_policy
from pipereview.report import Earlier, Inputs, Progress, Report
from pipereview.report.history import DealHistory
from pipereview.report.model import Velocity
from pipereview.report.velocity import build_velocity
from pipereview.rules.custom import check_rules

if TYPE_CHECKING:  # the store stack is imported only when a store is opened
    from pipereview.store.snapshots import Store

PolicyLike = Policy | str | Path | dict[str, Any] | None
EngineLike = Engine | str | Any  # a name (engines.ENGINES), an Engine, a SparkSession
MappingLike = str | Path | Mapping | dict[str, Any] | None  # TOML path, Mapping or dict
DEMO_AS_OF = synthetic.ANCHOR  # the demo data is dated relative to this day


def load_policy(path: str | Path | dict[str, Any] | None = None) -> Policy:
    """A TOML policy file (or a mapping) validated, user rules included: each rule's
    condition and message are checked against its subject's columns, so a bad rule is
    refused before any data is read. ``None`` gives the defaults."""
    loaded = _load_policy(path)
    check_rules(loaded, str(path) if isinstance(path, str | Path) else "<policy>")
    return loaded


def resolve_policy(policy: PolicyLike) -> Policy:
    """A Policy as given (its user rules checked), or loaded from a TOML path or a mapping
    (None: the defaults)."""
    if isinstance(policy, Policy):
        check_rules(policy)
        return policy
    return load_policy(policy)


class Intake(TypedDict, total=False):
    """How CRM exports are read; every key is optional (the keyword arguments that
    ``build_report``, ``validate``, ``explain``, ``snapshot`` and ``velocity`` pass on).

    ``preset`` (a shipped mapping: "salesforce", "hubspot") or ``mapping`` (a TOML path or a
    ``Mapping``) says how CRM columns feed the canonical ones; ``stages`` is the stage table
    the mapping describes; ``quotas`` (rep_id, period_start, quota) fills reps' missing
    ``quota_usd`` and ``quota_3m``; ``rates`` (currency, rate, optional date) converts
    amounts in other currencies into the policy's base currency (as the policy's
    ``[currency.rates]`` does); ``sheet`` names the sheet of Excel inputs.
    """

    preset: str | None
    mapping: MappingLike
    stages: Any
    quotas: Any
    rates: Any
    sheet: str | None


def load_inputs(
    deals: Any,
    reps: Any,
    *,
    engine: EngineLike = DEFAULT_ENGINE,
    progress: Progress | None = None,
    as_of: dt.date | None = None,
    policy: Policy | None = None,
    store: Any = None,
    **intake: Unpack[Intake],
) -> Inputs:
    """Read, check and canonicalise both inputs inside the engine.

    Files are opened by the engine's own readers; no row passes through Python unless a
    value is unusable (then the error names file, row and column). ``None`` for either
    input means "no records" (used by ``compat`` for functions that take only one). A
    ``SourceTable`` (``api.table(name, source)``) is a warehouse table read in place. The
    engine is chosen by ``engines.choose_engine`` from ``engine``, the inputs and the
    snapshot ``store`` the report will be compared with or written to.
    ``intake`` (see ``Intake``) says how CRM exports are read; ``as_of`` is needed with a
    mapping or rates (``since`` columns, derived rep figures and dated rates count to it).
    """
    if as_of is not None and not in_calendar(as_of):
        raise InputError(
            f"the report date {as_of.isoformat()} is outside the years pipereview reports on "
            f"({FIRST_YEAR:04d} to {LAST_YEAR})",
            hint="pass the date the data was exported (--as-of YYYY-MM-DD)",
        )
    preset, mapping = intake.get("preset"), intake.get("mapping")
    stages, quotas, rates = intake.get("stages"), intake.get("quotas"), intake.get("rates")
    sheet = intake.get("sheet")
    step = progress or (lambda _: None)
    runner = choose_engine(engine, inputs=(deals, reps), store=store)
    chosen = resolve_mapping(preset, mapping)
    in_place = isinstance(deals, SourceTable) or isinstance(reps, SourceTable)
    if chosen is None and (stages is not None or quotas is not None or in_place):
        chosen = Mapping()  # these are read through plans (and located from the engine)
    resolved = policy or Policy()
    converting = rates is not None or bool(resolved.currency.rates)
    if as_of is None and (chosen is not None or converting):
        raise InputError(
            "reading through a mapping or converting currencies needs the report date",
            hint="pass as_of (days in stage, derived rep figures and dated rates count to it)",
        )
    if chosen is not None:
        assert as_of is not None
        step("read through the mapping")
        loaded_deals, loaded_reps = load_mapped(runner, deals, reps, chosen, stages, as_of, sheet)
    else:
        step("read deals")
        loaded_deals = load(runner, deals, "deals", sheet=sheet)
        step("read reps")
        loaded_reps = load(runner, reps, "reps", sheet=sheet)
    if converting:
        assert as_of is not None
        step("convert currencies")
        found = load_rates(runner, rates, resolved.currency.rates, as_of)
        if found is not None:
            convert(runner, loaded_deals, *found, resolved.currency.base)
    else:
        unconverted(runner, loaded_deals, resolved.currency.base)
    start_month = resolved.calendar.fiscal_year_start_month
    if chosen is not None and chosen.reps.derive:
        assert as_of is not None
        derive(runner, loaded_reps, loaded_deals, chosen.reps.derive, as_of, start_month)
    loaded_quotas = None
    if quotas is not None:
        assert as_of is not None and chosen is not None
        step("read quotas")
        loaded_quotas = load(runner, quotas, "quotas", MappingPlan(chosen.quotas, as_of), sheet)
        quotas_from_table(runner, loaded_reps, loaded_quotas, as_of, start_month)
    return Inputs(
        engine=runner,
        loaded_deals=loaded_deals,
        loaded_reps=loaded_reps,
        loaded_quotas=loaded_quotas,
    )


StoreLike = str | Path


def with_earlier(
    inputs: Inputs, opened: Store, as_of: dt.date, compare_to: dt.date | None
) -> Inputs:
    """``inputs`` with the snapshot to compare with: ``compare_to`` (which must exist and be
    before ``as_of``), else the latest before ``as_of``, else none."""
    if compare_to is not None:
        if compare_to >= as_of:
            raise StoreError(
                f"--compare-to {compare_to.isoformat()} is not before --as-of {as_of.isoformat()}",
                hint="compare with an earlier snapshot (pipereview history list)",
            )
        opened.require(compare_to)
        day = compare_to
    else:
        earlier = [d for d in opened.dates() if d < as_of]
        if not earlier:
            return inputs
        day = earlier[-1]
    return dataclasses.replace(
        inputs,
        earlier=Earlier(
            as_of=day,
            deals=opened.table_in(inputs.engine, "deals", day),
            reps=opened.table_in(inputs.engine, "reps", day),
            report_json=read_report(opened, day)[0],
        ),
    )


def read_report(opened: Store, as_of: dt.date) -> tuple[str, Report]:
    """The report stored for ``as_of``, as its JSON text and as the model; StoreError naming
    the store when it is not a report this pipereview reads (not JSON, unknown keys)."""
    text = opened.report_json(as_of)
    try:
        return text, Report.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "its text"
        raise opened.damaged(
            f"the report stored for {as_of.isoformat()} is not a pipereview report "
            f"({where}: {first['msg'].lower()})",
            as_of,
        ) from None


def one_history(**given: Any) -> None:
    """InputError unless exactly one of the velocity sources (named by their CLI flags:
    stage_history, field_history, store) is given."""
    if sum(v is not None for v in given.values()) != 1:
        flags = [f"--{name.replace('_', '-')}" for name in given]
        kinds = [name.replace("_", " ") for name in given]
        raise InputError(
            f"velocity needs one history: a {', a '.join(kinds[:-1])} or a {kinds[-1]}",
            hint=f"pass one of {', '.join(flags)} (not several)",
        )


def read_history(
    runner: Engine,
    deals: ir.Table,
    stage_history: Any,
    field_history: Any,
    as_of: dt.date,
    mapping: Mapping | None = None,
) -> DealHistory:
    """Read the one history file given (through ``mapping``'s ``[stage_history]`` or
    ``[field_history]`` when there is one): its stage intervals over the canonical
    ``deals`` and, for a field history with close-date changes, each deal's pushes."""
    if stage_history is not None:
        plan = MappingPlan(mapping.stage_history, as_of) if mapping is not None else None
        history_input = load(runner, stage_history, "stage_history", plan)
        history_input.ensure_checked()
        return DealHistory("stage_history", from_stage_history(history_input.table), None)
    plan = MappingPlan(mapping.field_history, as_of) if mapping is not None else None
    history_input = load(runner, field_history, "field_history", plan)
    history_input.ensure_checked()
    fields = history_input.table
    changes = close_date_changes(fields, as_of)
    closes = runner.one(changes.aggregate(n=changes.count()))["n"]
    if not closes:
        return DealHistory("field_history", from_field_history(fields, deals), None)
    return DealHistory(
        "field_history",
        from_field_history(fields, deals),
        pushes_from_fields(changes),
        changes=changes,
    )


def snapshot_history(opened: Store, inputs: Inputs, as_of: dt.date) -> DealHistory | None:
    """The store's snapshots before ``as_of`` and the report's own deals as of ``as_of``,
    as a history of the deals (None when the store has no earlier snapshot)."""
    earlier = [day for day in opened.dates() if day < as_of]
    if not earlier:
        return None
    names = ["as_of", "deal_id", "status", "deal_value_usd", "stage", "days_in_stage", "close_date"]
    stored = opened.deals_through(earlier[-1]).select(*names)
    if opened.engine is not inputs.engine:
        stored = inputs.engine.from_arrow(stored.to_pyarrow())
    now = inputs.deals.mutate(as_of=ibis.literal(as_of, "date")).select(*names)
    snapshots = ibis.union(stored, now)
    return DealHistory(
        "snapshots",
        from_snapshots(snapshots),
        pushes_from_snapshots(snapshots),
        snapshots=snapshots,
        dates=(*earlier, as_of),
    )


def velocity_of(
    runner: Engine,
    deals: Any,
    stage_history: Any,
    field_history: Any,
    as_of: dt.date,
    policy: Policy,
    mapping: Mapping | None = None,
    history: DealHistory | None = None,
) -> Velocity:
    """Build the Velocity over the canonical ``deals`` from ``history`` (else from the one
    history file given, read by ``read_history``)."""
    if history is None:
        history = read_history(runner, deals, stage_history, field_history, as_of, mapping)
    return build_velocity(
        runner, history.intervals, deals, as_of=as_of, policy=policy, source=history.source
    )
