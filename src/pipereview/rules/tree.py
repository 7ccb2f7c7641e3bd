"""The parsed form of a user rule's condition: a dozen node kinds, nothing else.

``rules.predicate`` builds it from the text (refusing anything that is not one of these),
``rules.compile`` turns it into an Ibis expression, and the tests interpret it in Python.
Every node keeps its position (a 0-based offset into the text) for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["number", "text", "date", "bool", "null"]


@dataclass(frozen=True)
class Node:
    pos: int


@dataclass(frozen=True)
class Column(Node):
    name: str


@dataclass(frozen=True)
class Const(Node):
    value: Any  # Decimal, str, bool, dt.date or None
    kind: Kind


@dataclass(frozen=True)
class AsOf(Node):
    pass


@dataclass(frozen=True)
class Neg(Node):
    arg: Node


@dataclass(frozen=True)
class Arith(Node):
    op: Literal["+", "-", "*", "/"]
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: Literal["=", "!=", "<", "<=", ">", ">="]
    left: Node
    right: Node


@dataclass(frozen=True)
class Logic(Node):
    op: Literal["and", "or"]
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    arg: Node


@dataclass(frozen=True)
class InList(Node):
    arg: Node
    items: tuple[Node, ...]
    negated: bool


@dataclass(frozen=True)
class Between(Node):
    arg: Node
    low: Node
    high: Node
    negated: bool


@dataclass(frozen=True)
class IsNull(Node):
    arg: Node
    negated: bool


@dataclass(frozen=True)
class Call(Node):
    name: str
    args: tuple[Node, ...]


def walk(node: Node) -> list[Node]:
    """``node`` and every node under it, depth first, left to right."""
    out = [node]
    for value in node.__dict__.values():
        children = value if isinstance(value, tuple) else (value,)
        for child in children:
            if isinstance(child, Node):
                out += walk(child)
    return out


def columns_of(node: Node) -> list[str]:
    """The column names ``node`` reads, in order of first appearance."""
    seen: list[str] = []
    for sub in walk(node):
        if isinstance(sub, Column) and sub.name not in seen:
            seen.append(sub.name)
    return seen
