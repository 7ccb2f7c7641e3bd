"""User rules: a policy's ``[[rules]]`` tables made into rules the report evaluates with the
built-in ones (counted, capped, listed, explained alike).

A rule's ``when`` (``rules.predicate``) reads the columns of its subject (``rules.catalog``),
as the report reads them. The evidence is the columns the rule names (or ``observed``), and
the message is the rule's template filled from that evidence, so text and numbers cannot
disagree.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from pipereview.decimals import plain
from pipereview.errors import PolicyError
from pipereview.inputs.canonical import deal_label
from pipereview.metrics.base import deal_value
from pipereview.metrics.ratios import part_columns
from pipereview.policy import Policy, UserRule
from pipereview.rules.base import RULES, Compare, Rule, RuleInputs, money, number, percent
from pipereview.rules.catalog import (  # noqa: F401  (DEAL_COLUMNS, REP_COLUMNS re-exported)
    BASE,
    COLUMNS,
    DEAL_COLUMNS,
    REP_COLUMNS,
    SUBJECT_FIELD,
    deal_columns,
    probe,
    ratio_parts_of,
    rep_view,
)
from pipereview.rules.compile import CompileError, compile_to
from pipereview.rules.predicate import (
    Between,
    Column,
    Const,
    Node,
    PredicateError,
    columns_of,
    parse,
    walk,
)
from pipereview.rules.predicate import Compare as Comparison


def check_rules(policy: Policy, source: str = "<policy>") -> None:
    """PolicyError for the first user rule that cannot run: its id taken by a built-in
    rule, a condition that does not parse or names an unknown column (with the position and
    a "did you mean"), a message or observed name that is not one of its columns."""
    built_in = {r.id for r in RULES}
    for i, spec in enumerate(policy.rules):
        key = f"rules[{i}]"
        if spec.id in built_in:
            raise PolicyError(
                f"{spec.id!r} is a built-in rule's id",
                source=source,
                key=f"{key}.id",
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
    try:
        compile_to(node, *probe(spec.subject))  # against the columns' types, no data
    except CompileError as exc:
        raise PolicyError(
            f"{exc.message} (at character {exc.pos + 1}: {_excerpt(spec.when, exc.pos)})",
            source=source,
            key=f"{key}.when",
            hint="multiply or divide fewer values, or use literals with fewer places",
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


def _template_fields(template: str, columns: Mapping[str, Any], source: str, key: str) -> list[str]:
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
            fired = compile_to(node, cols, i.as_of, ratio_parts_of(v)).fill_null(False)
            parts = part_columns([name for name, _ in evidence], v.columns)
            return v.select(
                subject_id=v.rep_id,
                _priority=ibis.literal(0),
                _fired=fired,
                **{name: _shown(cols[name]) for name, _ in evidence},
                **{part: v[part] for part in parts},
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


def _compares(node: Node) -> tuple[tuple[Compare, ...], dict[str, float | Decimal]]:
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
        limits[key] = plain(value)  # the literal as written (a float when one shows it)
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
