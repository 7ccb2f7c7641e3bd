"""The `when` of a user rule: a small, safe condition language, parsed with sqlglot.

A predicate reads like a SQL condition over one subject's columns: comparisons (= != <> < <=
> >=), and / or / not, arithmetic (+ - * /), in (...), between, is [not] null, numbers,
'text', true / false / null, DATE 'YYYY-MM-DD', the report date ``as_of``, column names and
the functions in ``FUNCTIONS``. sqlglot parses the text; the result is translated into the
small tree below, node by node, and anything else (a subquery, a statement, a comment, an
unknown column or function, a cast, LIKE, CASE...) is refused with its position and, for a
name, a "did you mean". The tree is type-checked (a number is not compared with text) and
compiled to an Ibis expression, so a rule runs on every engine; SQL's three-valued logic
holds (a comparison with a missing value is unknown, and a rule fires only when its
condition is true).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokens import Token, Tokenizer, TokenType

from pipereview.rules.tree import (  # noqa: F401  (re-exported: the tree a parse gives)
    Arith,
    AsOf,
    Between,
    Call,
    Column,
    Compare,
    Const,
    InList,
    IsNull,
    Kind,
    Logic,
    Neg,
    Node,
    Not,
    columns_of,
    walk,
)

AS_OF = "as_of"  # the report date, usable in any predicate


class PredicateError(ValueError):
    """A predicate that cannot be used: what is wrong, where (0-based offset), a hint."""

    def __init__(self, message: str, pos: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.pos, self.hint = message, pos, hint


# name -> (kinds of the arguments, None = any number of one kind; the result's kind, None
# = the arguments')
FUNCTIONS: dict[str, tuple[tuple[Kind, ...] | None, Kind | None]] = {
    "lower": (("text",), "text"),
    "upper": (("text",), "text"),
    "trim": (("text",), "text"),
    "abs": (("number",), "number"),
    "coalesce": (None, None),
    "least": (None, None),
    "greatest": (None, None),
}
_SQLGLOT_FUNCTIONS: dict[type[exp.Expression], str] = {
    exp.Lower: "lower",
    exp.Upper: "upper",
    exp.Trim: "trim",
    exp.Abs: "abs",
    exp.Coalesce: "coalesce",
    exp.Least: "least",
    exp.Greatest: "greatest",
}
_COMPARE: dict[type[exp.Expression], Any] = {
    exp.EQ: "=",
    exp.NEQ: "!=",
    exp.LT: "<",
    exp.LTE: "<=",
    exp.GT: ">",
    exp.GTE: ">=",
}
_ARITH: dict[type[exp.Expression], Any] = {exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/"}
# A refused node: how the message names it, and the keyword its position points at.
_REFUSED: dict[type[exp.Expression], tuple[str, str]] = {
    exp.Select: ("a query", "select"),
    exp.Subquery: ("a subquery", "select"),
    exp.Exists: ("a subquery", "exists"),
    exp.Any: ("a subquery", "any"),
    exp.All: ("a subquery", "all"),
    exp.Cast: ("a cast (only DATE 'YYYY-MM-DD' is allowed)", "cast"),
    exp.Like: ("LIKE", "like"),
    exp.ILike: ("ILIKE", "ilike"),
    exp.Case: ("CASE", "case"),
    exp.If: ("IF", "if"),
    exp.DPipe: ("||", "||"),
    exp.Mod: ("%", "%"),
    exp.Star: ("*", "*"),
}


# How deep and how long a condition may be: parsing, compiling and running recurse once per
# level, and a 40-deep or 3,000-term condition overflowed Python's stack (decisions D37).
MAX_DEPTH = 20
MAX_OPERATORS = 200
_OPERATORS = {
    TokenType.AND,
    TokenType.OR,
    TokenType.NOT,
    TokenType.PLUS,
    TokenType.DASH,
    TokenType.STAR,
    TokenType.SLASH,
    TokenType.EQ,
    TokenType.NEQ,
    TokenType.LT,
    TokenType.LTE,
    TokenType.GT,
    TokenType.GTE,
    TokenType.COMMA,
}


def parse(text: str, columns: Mapping[str, Kind]) -> Node:
    """The checked tree of ``text``, a condition over ``columns`` (name -> kind)."""
    if not text.strip():
        raise PredicateError("is empty", 0, "write a condition, e.g. days_in_stage >= 30")
    _check_tokens(text)
    try:
        return _parse(text, columns)
    except RecursionError:  # bounded above; this is the last guard
        raise PredicateError("is nested too deeply", 0, "split it into simpler rules") from None


def _parse(text: str, columns: Mapping[str, Kind]) -> Node:
    try:
        parsed = sqlglot.parse(text, read="duckdb")
    except (ParseError, TokenError) as exc:
        errors = getattr(exc, "errors", None) or [{}]
        where = _offset(text, errors[0].get("line"), errors[0].get("col"))
        raise PredicateError("is not a condition pipereview can read", where) from None
    if len(parsed) != 1 or parsed[0] is None:
        raise PredicateError("must be one condition", 0)
    parsed[0].meta["text"] = text
    node = _node(parsed[0], columns)
    if not columns_of(node):
        raise PredicateError(
            "names no column, so it would flag every subject or none", 0, "name a column"
        )
    if _kind(node, columns) != "bool":
        raise PredicateError(
            "is not a condition (true or false)", node.pos, "compare it, e.g. ... > 0"
        )
    return node


def _check_tokens(text: str) -> None:
    try:
        tokens = Tokenizer().tokenize(text)
    except TokenError:
        raise PredicateError("is not a condition pipereview can read", 0) from None
    _check_size(tokens)
    for token in tokens:
        if token.comments:
            raise PredicateError("may not contain a comment", _comment_at(text, tokens))
        if token.token_type == TokenType.SEMICOLON:
            raise PredicateError("must be one condition, without ';'", token.start)


def _check_size(tokens: list[Token]) -> None:
    """At most ``MAX_DEPTH`` parentheses deep and ``MAX_OPERATORS`` operators."""
    depth = operators = 0
    for token in tokens:
        if token.token_type == TokenType.L_PAREN:
            depth += 1
            if depth > MAX_DEPTH:
                raise PredicateError(
                    f"is nested more than {MAX_DEPTH} parentheses deep",
                    token.start,
                    "remove parentheses that group nothing, or split it into simpler rules",
                )
        elif token.token_type == TokenType.R_PAREN:
            depth -= 1
        elif token.token_type in _OPERATORS:
            operators += 1
            if operators > MAX_OPERATORS:
                raise PredicateError(
                    f"has more than {MAX_OPERATORS} operators (and, or, not, comparisons, "
                    "arithmetic, commas)",
                    token.start,
                    "use in (...) for a list of values, or split it into several rules",
                )


def _comment_at(text: str, tokens: list[Token]) -> int:
    """Where the first comment starts: a "--" or "/*" outside every token (one inside a
    quoted string or name is text, not a comment)."""
    inside = {i for t in tokens for i in range(t.start, t.end + 1)}
    markers = (i for i in range(len(text)) if text.startswith(("--", "/*"), i) and i not in inside)
    return next(markers, 0)


def _offset(text: str, line: int | None, col: int | None) -> int:
    if not line or not col:
        return 0
    lines = text.split("\n")
    return min(len(text), sum(len(lines[i]) + 1 for i in range(line - 1)) + max(col - 1, 0))


def _pos(e: exp.Expression) -> int:
    starts = [
        n.meta["start"] for n in e.walk() if isinstance(n, exp.Expression) and "start" in n.meta
    ]
    return min(starts) if starts else 0


def _node(e: exp.Expression, columns: Mapping[str, Kind]) -> Node:
    pos = _pos(e)
    if isinstance(e, exp.Paren):
        return _node(e.this, columns)
    if isinstance(e, exp.And | exp.Or):
        op: Literal["and", "or"] = "and" if isinstance(e, exp.And) else "or"
        parts = [_node(e.this, columns), _node(e.expression, columns)]
        flat = [a for p in parts for a in (p.args if isinstance(p, Logic) and p.op == op else (p,))]
        return Logic(pos, op, tuple(flat))
    if isinstance(e, exp.Not):
        inner = e.this
        if isinstance(inner, exp.Is | exp.In | exp.Between):
            negated = _node(inner, columns)
            assert isinstance(negated, IsNull | InList | Between)
            return type(negated)(**{**negated.__dict__, "negated": True})
        return Not(pos, _node(inner, columns))
    if type(e) in _COMPARE:
        return Compare(pos, _COMPARE[type(e)], _node(e.this, columns), _node(e.expression, columns))
    if type(e) in _ARITH:
        return Arith(pos, _ARITH[type(e)], _node(e.this, columns), _node(e.expression, columns))
    if isinstance(e, exp.Neg):
        return Neg(pos, _node(e.this, columns))
    if isinstance(e, exp.In):
        query = e.args.get("query")
        if query is not None or e.args.get("unnest") is not None:
            where = _keyword_pos(query, pos) if query is not None else pos
            raise PredicateError("may not contain a subquery", where)
        items = tuple(_node(i, columns) for i in e.expressions)
        return InList(pos, _node(e.this, columns), items, False)
    if isinstance(e, exp.Between):
        low, high = _node(e.args["low"], columns), _node(e.args["high"], columns)
        return Between(pos, _node(e.this, columns), low, high, False)
    if isinstance(e, exp.Is):
        if not isinstance(e.expression, exp.Null):
            raise PredicateError("only IS NULL and IS NOT NULL are allowed", pos)
        return IsNull(pos, _node(e.this, columns), False)
    if isinstance(e, exp.Column):
        return _column(e, pos, columns)
    if isinstance(e, exp.Literal):
        return _literal(e, pos)
    if isinstance(e, exp.Boolean):
        return Const(pos, bool(e.this), "bool")
    if isinstance(e, exp.Null):
        return Const(pos, None, "null")
    if isinstance(e, exp.Cast):
        return _date(e, pos)
    if isinstance(e, exp.Alias):  # "x > 1 stage": a name after a whole condition
        raise PredicateError(
            f"has {e.alias!r} after a whole condition",
            e.args["alias"].meta.get("start", pos),
            "join conditions with and / or",
        )
    refused = next((v[0] for k, v in _REFUSED.items() if isinstance(e, k)), None)
    if refused is not None:
        raise PredicateError(f"may not contain {refused}", _keyword_pos(e, pos))
    if type(e) in _SQLGLOT_FUNCTIONS:
        if isinstance(e, exp.Trim) and any(e.args.get(k) for k in ("position", "expression")):
            raise PredicateError("trim takes one argument", pos)
        args = [a for a in (e.this, *e.expressions) if a is not None]
        return Call(pos, _SQLGLOT_FUNCTIONS[type(e)], tuple(_node(a, columns) for a in args))
    if isinstance(e, exp.Anonymous | exp.Func):
        name = e.name if isinstance(e, exp.Anonymous) else e.sql_name().lower()
        hint = _did_you_mean(name, FUNCTIONS)
        raise PredicateError(f"unknown function {name.lower()!r}", pos, hint)
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", type(e).__name__).lower()  # BitwiseXor
    raise PredicateError(f"may not contain {words} ({e.sql('duckdb')[:30]!r})", pos)


_PREFIX = (exp.Subquery, exp.Select, exp.Exists, exp.Any, exp.All, exp.Case, exp.If, exp.Cast)


def _keyword_pos(e: exp.Expression, pos: int) -> int:
    """Where a refused construct is: its keyword (SELECT, CASE, LIKE, %...), looked for
    before its first value for a prefix construct and after it for an infix one."""
    text: str = e.root().meta["text"]
    word = next(v[1] for k, v in _REFUSED.items() if isinstance(e, k))
    # the keyword's own tokens: a quoted 'select' or "like" spans its quotes, so never matches
    starts = [
        t.start for t in Tokenizer().tokenize(text) if text[t.start : t.end + 1].lower() == word
    ]
    before = [s for s in starts if s <= pos] if isinstance(e, _PREFIX) else []
    after = [s for s in starts if s >= pos]
    return before[-1] if before else after[0] if after else pos


def _column(e: exp.Column, pos: int, columns: Mapping[str, Kind]) -> Node:
    if e.table or e.args.get("db") or e.args.get("catalog"):
        raise PredicateError(f"{e.sql()!r}: name a column without a table", pos)
    name = e.name
    if name == AS_OF:
        return AsOf(pos)
    if name not in columns:
        raise PredicateError(
            f"unknown column {name!r}", pos, _did_you_mean(name, [*columns, AS_OF])
        )
    return Column(pos, name)


def _literal(e: exp.Literal, pos: int) -> Const:
    if e.is_string:
        return Const(pos, e.this, "text")
    try:
        return Const(pos, Decimal(e.this), "number")
    except InvalidOperation:
        raise PredicateError(f"{e.this!r} is not a number", pos) from None


def _date(e: exp.Cast, pos: int) -> Const:
    if not (e.to.is_type("date") and isinstance(e.this, exp.Literal) and e.this.is_string):
        raise PredicateError(
            "may not contain a cast (only DATE 'YYYY-MM-DD' is allowed)", _keyword_pos(e, pos)
        )
    try:
        return Const(pos, dt.date.fromisoformat(e.this.this), "date")
    except ValueError:
        raise PredicateError(f"{e.this.this!r} is not a date (YYYY-MM-DD)", pos) from None


def _did_you_mean(name: str, choices: Any) -> str | None:
    close = difflib.get_close_matches(name.lower(), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _kind(node: Node, columns: Mapping[str, Kind]) -> Kind:
    """The kind of ``node``'s value; PredicateError when its parts do not fit."""
    if isinstance(node, Column):
        return columns[node.name]
    if isinstance(node, Const):
        return node.kind
    if isinstance(node, AsOf):
        return "date"
    if isinstance(node, Neg | Arith):
        for part in (node.arg,) if isinstance(node, Neg) else (node.left, node.right):
            if _kind(part, columns) not in ("number", "null"):
                raise PredicateError("arithmetic needs numbers", part.pos)
        return "number"
    if isinstance(node, Logic | Not):
        for part in node.args if isinstance(node, Logic) else (node.arg,):
            if _kind(part, columns) not in ("bool", "null"):
                raise PredicateError("and / or / not need conditions", part.pos)
        return "bool"
    if isinstance(node, Compare):
        _same((node.left, node.right), columns, node.pos)
        return "bool"
    if isinstance(node, InList):
        _same((node.arg, *node.items), columns, node.pos)
        return "bool"
    if isinstance(node, Between):
        _same((node.arg, node.low, node.high), columns, node.pos)
        return "bool"
    if isinstance(node, IsNull):
        _kind(node.arg, columns)
        return "bool"
    assert isinstance(node, Call)
    wanted, result = FUNCTIONS[node.name]
    if wanted is not None and len(node.args) != len(wanted):
        raise PredicateError(f"{node.name} takes {len(wanted)} argument", node.pos)
    if wanted is None and len(node.args) < 2:
        raise PredicateError(f"{node.name} takes two or more arguments", node.pos)
    kinds = [_kind(a, columns) for a in node.args]
    for arg, kind, want in zip(node.args, kinds, wanted or [None] * len(kinds), strict=True):
        if want is not None and kind not in (want, "null"):
            raise PredicateError(f"{node.name} needs {want}, got {kind}", arg.pos)
    if node.name in ("least", "greatest") and any(k not in ("number", "null") for k in kinds):
        raise PredicateError(f"{node.name} needs numbers", node.pos)
    return result or _same(node.args, columns, node.pos)


def _same(parts: tuple[Node, ...], columns: Mapping[str, Kind], pos: int) -> Kind:
    """The one kind ``parts`` share (missing values fit any)."""
    kinds = {k for k in (_kind(p, columns) for p in parts) if k != "null"}
    if len(kinds) > 1:
        raise PredicateError(f"compares {' with '.join(sorted(kinds))}", pos)
    return kinds.pop() if kinds else "null"
