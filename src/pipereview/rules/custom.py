"""User rules: a policy's ``[[rules]]`` tables made into rules the report evaluates with the
built-in ones (counted, capped, listed, explained alike).

A rule's ``when`` (``rules.predicate``) reads the columns of its subject listed here, as the
report reads them: a deal's canonical columns (``deal_value_usd``, ``probability`` and
``days_in_stage`` with missing = 0, as every metric counts them) and a few per-deal figures;
a rep's record, its performance and trajectory rows and its forecast for the report's
quarter. The evidence is the columns the rule names (or ``observed``), and the message is
the rule's template filled from that evidence, so text and numbers cannot disagree.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.errors import PolicyError
from pipereview.metrics.base import (
    Unit,
    days_in_stage,
    deal_label,
    deal_value,
    expected_value,
    probability,
    risk_flag_count,
    unique_reps,
)
from pipereview.policy import Policy, UserRule
from pipereview.rules.base import RULES, Compare, Rule, RuleInputs, money, number, percent
from pipereview.rules.compile import compile_to
from pipereview.rules.predicate import (
    Between,
    Column,
    Const,
    Kind,
    Node,
    PredicateError,
    columns_of,
    parse,
    walk,
)
from pipereview.rules.predicate import Compare as Comparison

# name -> (kind in a condition, unit of the evidence)
DEAL_COLUMNS: dict[str, tuple[Kind, Unit]] = {
    "deal_id": ("text", "text"),
    "rep_id": ("text", "text"),
    "status": ("text", "text"),
    "stage": ("text", "text"),
    "forecast_category": ("text", "text"),
    "currency": ("text", "text"),
    "deal_value_usd": ("number", "usd"),
    "probability": ("number", "ratio"),
    "days_in_stage": ("number", "days"),
    "amount": ("number", "number"),
    "created_date": ("date", "text"),
    "close_date": ("date", "text"),
    "expected_value": ("number", "usd"),
    "risk_flag_count": ("number", "count"),
    "days_to_close": ("number", "count"),
}
REP_COLUMNS: dict[str, tuple[Kind, Unit]] = {
    "rep_id": ("text", "text"),
    "rep_name": ("text", "text"),
    "manager_id": ("text", "text"),
    "team": ("text", "text"),
    "region": ("text", "text"),
    "quota_usd": ("number", "usd"),
    "year_to_date_revenue_usd": ("number", "usd"),
    "active_deals": ("number", "count"),
    "pipeline_value": ("number", "usd"),
    "close_rate": ("number", "ratio"),
    "quota_achievement": ("number", "ratio"),
    "pace": ("number", "ratio"),
    "needs_coaching": ("bool", "flag"),
    "quota_3m": ("number", "usd"),
    "closed_won_3m_current": ("number", "usd"),
    "current_pipeline_value": ("number", "usd"),
    "previous_pipeline_value": ("number", "usd"),
    "quota_attainment_pct": ("number", "pct"),
    "pipeline_change_pct": ("number", "pct"),
    "pipeline_trend": ("text", "text"),
    "risk_velocity_flag": ("text", "text"),
    "risk_score_current": ("number", "number"),
    "coaching_candidate": ("bool", "flag"),
    "benchmark": ("bool", "flag"),
    "closed_won": ("number", "usd"),
    "commit_forecast": ("number", "usd"),
    "best_case_forecast": ("number", "usd"),
    "open_pipeline": ("number", "usd"),
    "weighted_open_pipeline": ("number", "usd"),
    "quarter_quota": ("number", "usd"),
    "gap_to_quota": ("number", "usd"),
    "coverage": ("number", "number"),
    "weighted_coverage": ("number", "number"),
    "slipped_deals": ("number", "count"),
    "slipped_value": ("number", "usd"),
}
COLUMNS = {"deal": DEAL_COLUMNS, "rep": REP_COLUMNS}
# Evidence every flag of a subject carries, for the tables people read (owner, stage, value).
BASE: dict[str, tuple[str, ...]] = {
    "deal": ("status", "rep_id", "stage", "deal_value_usd"),
    "rep": ("rep_name",),
}
SUBJECT_FIELD = "subject_id"  # the flag's subject (a deal id or "row N", a rep id)
_FORECAST = (  # rep columns from the rep's forecast row (quarter_quota is its "quota")
    "closed_won",
    "commit_forecast",
    "best_case_forecast",
    "open_pipeline",
    "weighted_open_pipeline",
    "gap_to_quota",
    "coverage",
    "weighted_coverage",
    "slipped_deals",
    "slipped_value",
)


def deal_columns(d: ir.Table, as_of: Any) -> dict[str, ir.Value]:
    """Every deal column a condition may name, as expressions over the deals ``d``."""
    plain = ("deal_id", "rep_id", "status", "stage", "forecast_category", "currency", "amount")
    return {
        **{name: d[name] for name in plain},
        "deal_value_usd": deal_value(d),
        "probability": probability(d),
        "days_in_stage": days_in_stage(d),
        "created_date": d.created_date,
        "close_date": d.close_date,
        "expected_value": expected_value(d),
        "risk_flag_count": risk_flag_count(d),
        "days_to_close": d.close_date.delta(ibis.literal(as_of), unit="day"),
    }


def rep_view(i: RuleInputs) -> ir.Table:
    """One row per rep of the reps input with every rep column a condition may name."""
    perf = i.rep_performance
    traj = i.rep_trajectory
    traj = traj.select(
        _t_rep=traj.rep_id, **{c: traj[c] for c in REP_COLUMNS if c in TRAJECTORY_COLUMNS}
    )
    fc = i.rep_forecast.filter(i.rep_forecast.in_reps)
    fc = fc.select(_f_rep=fc.rep_id, quarter_quota=fc.quota, **{c: fc[c] for c in _FORECAST})
    rec = unique_reps(i.reps)
    rec = rec.select(_r_rep=rec.rep_id, manager_id=rec.manager_id, team=rec.team, region=rec.region)
    t = perf.left_join(traj, perf.rep_id == traj._t_rep)
    t = t.left_join(fc, t.rep_id == fc._f_rep)
    t = t.left_join(rec, t.rep_id == rec._r_rep)
    return t.select(*REP_COLUMNS)


# The rep columns that come from the trajectory row (the others: the performance row, the
# record and the forecast).
TRAJECTORY_COLUMNS = (
    "quota_3m",
    "closed_won_3m_current",
    "current_pipeline_value",
    "previous_pipeline_value",
    "quota_attainment_pct",
    "pipeline_change_pct",
    "pipeline_trend",
    "risk_velocity_flag",
    "risk_score_current",
    "coaching_candidate",
    "benchmark",
)


def check_rules(policy: Policy, source: str = "<policy>") -> None:
    """PolicyError for the first user rule that cannot run: its id taken by a built-in
    rule, a condition that does not parse or names an unknown column (with the position and
    a "did you mean"), a message or observed name that is not one of its columns."""
    built_in = {r.id for r in RULES}
    for i, spec in enumerate(policy.rules):
        key = f"rules[{i}]"
        if spec.id in built_in:
            raise PolicyError(
                f"{spec.id!r} is a built-in rule's id", source=source, key=f"{key}.id",
                hint="give the rule its own id",
            )
        _compiled(spec, source, key)


def user_rules(policy: Policy) -> list[Rule]:
    """The policy's enabled user rules, as Rules (``check_rules`` has passed)."""
    return [_rule(spec) for spec in policy.rules if spec.enabled]


def rules_for(policy: Policy) -> list[Rule]:
    """Every rule the report evaluates: the built-in ones, then the policy's own."""
    return [*RULES, *user_rules(policy)]


def _compiled(spec: UserRule, source: str, key: str) -> tuple[Node, tuple[str, ...]]:
    """The rule's condition and its evidence columns; PolicyError naming the key."""
    columns = COLUMNS[spec.subject]
    kinds = {name: kind for name, (kind, _) in columns.items()}
    try:
        node = parse(spec.when, kinds)
    except PredicateError as exc:
        raise PolicyError(
            f"{exc.message} (at character {exc.pos + 1}: {_excerpt(spec.when, exc.pos)})",
            source=source,
            key=f"{key}.when",
            hint=exc.hint,
        ) from None
    for name in spec.observed or []:
        _known(name, columns, source, f"{key}.observed")
    fields = _template_fields(spec.message, columns, source, f"{key}.message")
    named = [*BASE[spec.subject], *(spec.observed or columns_of(node)), *fields]
    return node, tuple(dict.fromkeys(n for n in named if n != SUBJECT_FIELD))


def _excerpt(text: str, pos: int) -> str:
    shown = text[pos : pos + 20]
    return repr(shown + "…" if len(text) > pos + 20 else shown)


def _known(name: str, columns: Mapping[str, Any], source: str, key: str) -> None:
    if name not in columns:
        close = difflib.get_close_matches(name, list(columns), n=1, cutoff=0.6)
        raise PolicyError(
            f"unknown column {name!r}",
            source=source,
            key=key,
            hint=f"did you mean {close[0]!r}?" if close else None,
        )


def _template_fields(
    template: str, columns: Mapping[str, Any], source: str, key: str
) -> list[str]:
    """The {names} of a message template; each must be a column (or subject_id), plain."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise PolicyError(
            f"is not a message template: {exc}",
            source=source,
            key=key,
            hint="write {column} to put a value in, {{ and }} for a brace",
        ) from None
    fields = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if spec or conversion:
            raise PolicyError(
                f"{{{name}}} may not have a format or conversion",
                source=source,
                key=key,
                hint="values are formatted by their unit: write {" + name.split("!")[0] + "}",
            )
        if name != SUBJECT_FIELD:
            _known(name, columns, source, key)
        fields.append(name)
    return fields


def _rule(spec: UserRule) -> Rule:
    node, observed = _compiled(spec, "<policy>", "rules")
    units = {name: unit for name, (_, unit) in COLUMNS[spec.subject].items()}
    compares, limits = _compares(node)
    evidence = tuple((name, units[name]) for name in observed)
    thresholds = {"when": spec.when, **limits}
    noun = "Deal" if spec.subject == "deal" else "Rep"

    def message(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
        values = {name: _text(units[name], o.get(name)) for name in units if name in o}
        return spec.message.format(**values, subject_id=subject)

    def quiet(subject: str, o: Mapping[str, Any], t: Mapping[str, Any]) -> str:
        # the values of the condition's columns that the evidence keeps
        shown = ", ".join(f"{n} {_text(units[n], o[n])}" for n in columns_of(node) if n in o)
        name = f" ({o['rep_name']})" if o.get("rep_name") else ""
        values = f" ({shown})" if shown else ""
        return (
            f"{noun} {subject}{name} is not flagged by {spec.id}: {spec.when} does not "
            f"hold{values}."
        )

    if spec.subject == "deal":

        def judge(i: RuleInputs, p: Policy) -> ir.Table:
            d = i.deals
            cols = deal_columns(d, i.as_of)
            return d.select(
                subject_id=deal_label(d),
                _priority=deal_value(d),
                _fired=compile_to(node, cols, i.as_of).fill_null(False),
                **{name: _shown(cols[name]) for name, _ in evidence},
            )

        def where(d: ir.Table, p: Policy, as_of: Any) -> ir.BooleanValue:
            return compile_to(node, deal_columns(d, as_of), as_of).fill_null(False)

    else:

        def judge(i: RuleInputs, p: Policy) -> ir.Table:
            v = rep_view(i)
            cols = {name: v[name] for name in REP_COLUMNS}
            return v.select(
                subject_id=v.rep_id,
                _priority=ibis.literal(0),
                _fired=compile_to(node, cols, i.as_of).fill_null(False),
                **{name: _shown(cols[name]) for name, _ in evidence},
            )

        where = None  # type: ignore[assignment]

    return Rule(
        id=spec.id,
        subject_type=spec.subject,
        severity=spec.severity,
        description=f"{spec.subject}: {spec.when}",
        judge=judge,
        observed=evidence,
        thresholds=lambda p, row: dict(thresholds),
        message=message,
        quiet=quiet,
        compares=compares,
        where=where,
    )


def _shown(value: ir.Value) -> ir.Value:
    """A date as its ISO text in the evidence; every other value as it is."""
    return value.cast("string") if value.type().is_date() else value


def _compares(node: Node) -> tuple[tuple[Compare, ...], dict[str, float]]:
    """Each comparison of a column with a number (and each between), so that the evidence
    keeps the decimals that make it read true: probability 0.69996 beside ">= 0.7"."""
    flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
    found: list[tuple[str, str, Any]] = []
    for sub in walk(node):
        if isinstance(sub, Comparison) and sub.op in flipped:
            left, right, op = sub.left, sub.right, str(sub.op)
            if isinstance(left, Const) and isinstance(right, Column):
                left, right, op = right, left, flipped[op]
            if isinstance(left, Column) and isinstance(right, Const) and right.kind == "number":
                found.append((left.name, op, right.value))
        if isinstance(sub, Between) and not sub.negated and isinstance(sub.arg, Column):
            for side, bound in ((">=", sub.low), ("<=", sub.high)):
                if isinstance(bound, Const) and bound.kind == "number":
                    found.append((sub.arg.name, side, bound.value))
    compares, limits = [], {}
    for column, op, value in found:
        key = f"{column} {op} {value}"
        limits[key] = float(value)
        compares.append(Compare(column, op, key))  # type: ignore[arg-type]
    return tuple(compares), limits


def _text(unit: str, value: Any) -> str:
    """A value as a sentence shows it, by its unit."""
    if value is None:
        return "unknown"
    if unit == "usd":
        return money(value)
    if unit == "ratio":
        return percent(value)
    if unit == "pct":
        return percent(value, ratio=False)
    if unit == "flag":
        return "yes" if value else "no"
    if unit in ("count", "days", "number", "integer"):
        return number(value)
    return str(value)
