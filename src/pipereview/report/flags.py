"""Flags: every rule's judged rows, fetched in a stable order, capped, with their evidence
rounded so that each comparison reads as the engine found it, and one sentence each."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.decimals import exact_decimal
from pipereview.engines import Engine
from pipereview.engines.plan import Built, Runner, schema_text
from pipereview.metrics.ratios import carries, exact
from pipereview.metrics.reps import deals_by_rep, rep_performance
from pipereview.metrics.trajectory import rep_trajectory
from pipereview.policy import Policy
from pipereview.report.forecast import forecast_reps, stored_reps
from pipereview.report.forecast_model import Forecast
from pipereview.report.inputs import Inputs
from pipereview.report.model import (
    UNIT_PLACES,
    Flag,
    FlagCount,
    Verdict,
    not_falsely_whole,
    round_value,
    widened,
)
from pipereview.rules import Rule, RuleInputs
from pipereview.rules.base import Compare, in_currency
from pipereview.rules.custom import rules_for


def _evidence(rule: Rule, row: dict[str, Any], thresholds: dict[str, Any]) -> dict[str, Any]:
    """The observed values rounded by unit, once, from their exact values (a ratio from the
    exact parts its row carries); a value the rule compares with a threshold keeps as many
    more decimals as it needs for the comparison to read as the engine found it, whether
    the rule fired or not (0.69996 is shown as 0.69996, not 0.7, beside a threshold of 0.7)."""
    units = dict(rule.observed)
    raw = {name: exact(row, name) if carries(row, name) else row[name] for name in units}
    observed = {name: round_value(units[name], raw[name]) for name in units}
    for compare in rule.compares:
        value, limit = raw.get(compare.observed), thresholds.get(compare.threshold)
        if value is None or limit is None or units[compare.observed] in ("count", "integer"):
            continue  # a whole number reads as the engine compared it
        bound = exact_decimal(limit) * compare.scale
        found = compare.holds(value, bound)  # exact: a Fraction, Decimal or float with it
        places = UNIT_PLACES.get(units[compare.observed], 2)
        observed[compare.observed] = widened(value, places, _reads(compare, bound, found))
    for name, unit in rule.observed:
        observed[name] = not_falsely_whole(unit, raw[name], observed[name])
    return observed


def _reads(compare: Compare, limit: Decimal, found: bool) -> Callable[[Decimal], bool]:
    """True for a shown value that compares with ``limit`` as the engine found the raw one."""
    return lambda shown: compare.holds(shown, limit) == found


def make_flag(rule: Rule, row: dict[str, Any], policy: Policy) -> Flag:
    """A Flag from one judged row: round the observed values, then write the sentence."""
    return Flag(**_judgement(rule, row, policy))


def _judgement(rule: Rule, row: dict[str, Any], policy: Policy) -> dict[str, Any]:
    thresholds = rule.thresholds(policy, row)
    observed = _evidence(rule, row, thresholds)
    subject = str(row["subject_id"])
    sentence = rule.message if row.get("_fired", True) else rule.quiet
    return {
        "rule": rule.id,
        "subject_type": rule.subject_type,
        "subject_id": subject,
        "severity": rule.severity,
        "observed": observed,
        "thresholds": thresholds,
        "message": _sentence(sentence, subject, observed, thresholds, policy),
    }


def _sentence(write: Any, subject: str, observed: Any, thresholds: Any, policy: Policy) -> str:
    """The rule's sentence, its money in the report's currency (``currency.base``)."""
    with in_currency(report_currency(policy)):
        return str(write(subject, observed, thresholds))


def report_currency(policy: Policy) -> str:
    """The report's currency: the policy's currency.base as an ISO code (upper case)."""
    return policy.currency.base.strip().upper()


def shared_inputs(
    inputs: Inputs,
    policy: Policy,
    as_of: dt.date,
    *,
    per_rep: ir.Table | None = None,
    rep_forecast: ir.Table | None = None,
) -> RuleInputs:
    """The tables the rules read, kept in the engine (they are small). ``per_rep`` is
    ``deals_by_rep`` and ``rep_forecast`` the report period's ``forecast_reps`` when the
    caller already has them."""
    engine = inputs.engine
    if per_rep is None:
        per_rep = deals_by_rep(inputs.deals)
    if rep_forecast is None:
        rep_forecast = forecast_reps(inputs, policy, as_of).reps
    return RuleInputs(
        deals=inputs.deals,
        reps=inputs.reps,
        rep_performance=engine.cache(rep_performance(per_rep, inputs.reps, policy, as_of)),
        rep_trajectory=engine.cache(rep_trajectory(inputs.reps, policy, earlier_reps(inputs))),
        rep_forecast=rep_forecast,
        as_of=as_of,
    )


def earlier_reps(inputs: Inputs) -> ir.Table | None:
    return inputs.earlier.reps if inputs.earlier is not None else None


def kept_rule_inputs(
    run: Runner, inputs: Inputs, policy: Policy, rep_forecast: ir.Table
) -> RuleInputs:
    """The tables the rules read in a report's ``run``: the rep performance (from the kept
    ``per_rep`` slot) and the rep trajectory kept as named queries and bound to slots of
    those names, ``rep_forecast`` (and an earlier snapshot's reps) bound to theirs."""
    earlier = earlier_reps(inputs)
    if earlier is not None:
        run.bind("earlier_reps", earlier)
    run.bind("rep_forecast", rep_forecast)
    suffix = rules_suffix(run)

    def performance(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        days = (v["days_elapsed"], v["days_in_year"])
        return rep_performance(t["per_rep"], t["reps"], policy, v["as_of"], days), None

    def trajectory(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
        return rep_trajectory(t["reps"], policy, t.get("earlier_reps")), None

    return RuleInputs(
        deals=inputs.deals,
        reps=inputs.reps,
        rep_performance=run.keep("reps.performance", "rep_performance", performance),
        rep_trajectory=run.keep("reps.trajectory" + suffix, "rep_trajectory", trajectory),
        rep_forecast=rep_forecast,
        as_of=run.values["as_of"],
    )


def rules_suffix(run: Runner) -> str:
    """What the rules' and the trajectory's queries read beyond the plan's key, for their
    names: the rep forecast's column types and, with a store, the earlier snapshot's reps'."""
    suffix = f":{_digest(schema_text(run.tables['rep_forecast']))}"
    if "earlier_reps" in run.tables:
        suffix += f":earlier:{_digest(schema_text(run.tables['earlier_reps']))}"
    return suffix


def _digest(text: Any) -> str:
    return hashlib.sha256(repr(text).encode()).hexdigest()[:16]


def _slot_inputs(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> RuleInputs:
    """RuleInputs over a run's slots and values (``kept_rule_inputs``)."""
    return RuleInputs(
        deals=t["deals"],
        reps=t["reps"],
        rep_performance=t["rep_performance"],
        rep_trajectory=t["rep_trajectory"],
        rep_forecast=t["rep_forecast"],
        as_of=v["as_of"],
        as_of_text=v["as_of_text"],
    )


def _by_priority(table: ir.Table) -> ir.Table:
    """Priority (highest first), then subject_id: the engine's part of the flag order."""
    return table.order_by([ibis.desc("_priority"), "subject_id"])


def _value_key(value: Any) -> tuple[bool, Any]:
    """A sort key for one value: missing last, lists by their items."""
    if value is None:
        return (True, 0)
    return (False, tuple(value) if isinstance(value, list) else value)


def _content_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """Priority (highest first), subject_id, then every other value of the row: a total
    order over the row's content, so rows of a duplicate id list the same way whatever the
    input order. The engine sorts by the first two (a cheap top-k); Python breaks ties."""
    priority = row["_priority"]
    rest = (_value_key(v) for k, v in row.items() if k not in ("_priority", "subject_id"))
    return (priority is None, -priority if priority is not None else 0, row["subject_id"], *rest)


Fetch = Callable[[int], list[dict[str, Any]]]  # a rule's flagged rows by priority (n; 0: all)
Tied = Callable[[tuple[Any, Any]], list[dict[str, Any]]]  # its rows of one priority and subject


def _fetch_ordered(fetch: Fetch, tied: Tied, cap: int) -> list[dict[str, Any]]:
    """The first ``cap`` rows (0 = all) of a rule's rows in ``_content_key`` order. The
    engine cuts at ``cap`` by priority and subject; when the row after the cut ties with
    the last one on both, every row of that tie is fetched, so the cut does not depend on
    the engine's choice among them."""
    rows = fetch(cap + 1 if cap else 0)
    if cap and len(rows) > cap:
        last, next_one = rows[cap - 1], rows[cap]
        key = (last["_priority"], last["subject_id"])
        rows = rows[:cap]
        if (next_one["_priority"], next_one["subject_id"]) == key:  # a tie across the cut
            rows = [r for r in rows if (r["_priority"], r["subject_id"]) != key] + tied(key)
    return sorted(rows, key=_content_key)[: cap or None]


def _first(table: ir.Table, n: int) -> ir.Table:
    """``table``'s first ``n`` rows by priority (all of them when ``n`` is 0)."""
    return _by_priority(table).limit(n) if n else _by_priority(table)


def _of_key(table: ir.Table, key: tuple[Any, Any]) -> ir.Table:
    return table.filter((table._priority == key[0]) & (table.subject_id == key[1]))


def _direct(engine: Engine, table: ir.Table) -> tuple[Fetch, Tied]:
    """Fetching a rule's rows from its expression ``table``."""
    return (lambda n: engine.rows(_first(table, n))), (lambda key: engine.rows(_of_key(table, key)))


def _planned(
    run: Runner, rule: Rule, policy: Policy, shared: RuleInputs, suffix: str
) -> tuple[Fetch, Tied]:
    """Fetching a rule's rows as named queries of ``run`` (``kept_rule_inputs``); a tie
    across the cut, which depends on the data, from the expression."""

    def fetch(n: int) -> list[dict[str, Any]]:
        def build(t: Mapping[str, ir.Table], v: Mapping[str, Any]) -> Built:
            return _first(rule.flagged(_slot_inputs(t, v), policy), n), None

        return run.rows(f"rules.flagged:{rule.id}:{n}{suffix}", build)[0]

    def tied(key: tuple[Any, Any]) -> list[dict[str, Any]]:
        return run.engine.rows(_of_key(rule.flagged(shared, policy), key))

    return fetch, tied


def evaluate_rules(
    inputs: Inputs,
    policy: Policy,
    as_of: dt.date,
    *,
    shared: RuleInputs | None = None,
    totals: dict[str, int] | None = None,
    run: Runner | None = None,
) -> tuple[list[Flag], list[FlagCount]]:
    """Every rule's flags (capped per policy) and counts.

    ``totals`` are rule totals already counted (in the deals scan): such a rule's list is
    fetched only when its total is not zero. Other rules (on the small rep tables) are
    fetched whole and counted here. ``run``: a report's named queries (``kept_rule_inputs``
    made ``shared`` in it), to fetch the lists by.
    """
    shared = shared or shared_inputs(inputs, policy, as_of)
    known = totals or {}
    cap = policy.flags.max_per_rule
    flags: list[Flag] = []
    counts: list[FlagCount] = []
    suffix = rules_suffix(run) if run is not None else ""
    for rule in rules_for(policy):
        if run is None:
            fetch, tied = _direct(inputs.engine, rule.flagged(shared, policy))
        else:
            fetch, tied = _planned(run, rule, policy, shared, suffix)
        if rule.id in known:
            total = int(known[rule.id])
            rows = _fetch_ordered(fetch, tied, cap) if total else []
        else:
            rows = _fetch_ordered(fetch, tied, 0)
            total = len(rows)
            rows = rows[:cap] if cap else rows
        flags.extend(make_flag(rule, row, policy) for row in rows)
        counts.append(
            FlagCount(
                rule=rule.id,
                subject_type=rule.subject_type,
                severity=rule.severity,
                total=total,
                shown=len(rows),
            )
        )
    return flags, counts


def judge_subject(
    inputs: Inputs,
    policy: Policy,
    subject_id: str,
    as_of: dt.date,
    forecast: Forecast | None = None,
) -> list[Verdict]:
    """Every rule's verdict on one subject (a deal id, a "row N" label or a rep id): fired
    or not, with the values and thresholds, uncapped, in rule order. ``forecast``: a
    report's forecast section to judge the forecast rules by (a stored report's, whose quota
    table is not stored), instead of computing it from ``inputs``."""
    rep_forecast = None if forecast is None else stored_reps(forecast)
    shared = shared_inputs(inputs, policy, as_of, rep_forecast=rep_forecast)
    verdicts: list[Verdict] = []
    for rule in rules_for(policy):
        judged = rule.judged(shared, policy)
        rows = _fetch_ordered(
            *_direct(inputs.engine, judged.filter(judged.subject_id == subject_id)), 0
        )
        verdicts.extend(
            Verdict(fired=bool(row["_fired"]), **_judgement(rule, row, policy)) for row in rows
        )
    return verdicts
