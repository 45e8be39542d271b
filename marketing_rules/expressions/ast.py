"""The expression AST: one tree that every backend compiles (Python, SQL, durable_rules).

Nodes are named after the grammar rules. ``span`` is the (start, end) character range of the node
in its expression text, so that diagnostics point at the right column of the rule file. ``type`` is
the node's type as the checker found it (``expressions/checker.py``); None on a node not checked.
It takes no part in equality, hashing or repr.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Union

if TYPE_CHECKING:
    from marketing_rules.expressions.types import Type

Span = tuple[int, int]
Value = Union[Decimal, int, str, bool, None, tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class Literal:
    span: Span
    value: Value  # numbers are int, or Decimal when written with a fraction
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Name:
    """A bare name before resolution: a fact, a constant or an enum value."""

    span: Span
    name: str
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class FactRef:
    span: Span
    name: str
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ConstRef:
    span: Span
    name: str
    value: Value
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class EnumValue:
    """A bare word resolved to a value of the enum it is compared with."""

    span: Span
    value: str
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ListExpr:
    span: Span
    items: tuple[Expr, ...]
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Neg:
    span: Span
    operand: Expr
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Arith:
    span: Span
    op: str  # + - * / %
    left: Expr
    right: Expr
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Compare:
    span: Span
    op: str  # == != < <= > >=
    left: Expr
    right: Expr
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class InList:
    span: Span
    operand: Expr
    container: Expr
    negated: bool
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class IsNull:
    span: Span
    operand: Expr
    negated: bool
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class And:
    span: Span
    items: tuple[Expr, ...]
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Or:
    span: Span
    items: tuple[Expr, ...]
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Not:
    span: Span
    operand: Expr
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Call:
    span: Span
    name: str
    args: tuple[Expr, ...]
    type: Type | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Checked:
    """Arithmetic whose result may leave the number contract (``expressions/numbers.py``).

    Analysis wraps such a node once; every backend compiles the wrapper as "an overflow here is an
    error of this customer", with the reason ``overflow_reason(kind, text)``. ``kind`` is integer
    or number, ``text`` the operand as written in the rule file.
    """

    span: Span
    operand: Expr
    kind: str
    text: str
    type: Type | None = field(default=None, compare=False, repr=False)


Expr = Union[
    Literal, Name, FactRef, ConstRef, EnumValue, ListExpr, Neg, Arith, Compare, InList, IsNull, And, Or, Not, Call,
    Checked,
]
BOOLEAN_NODES = (Compare, InList, IsNull, And, Or, Not)


def children(node: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of a node."""
    match node:
        case ListExpr(items=items) | And(items=items) | Or(items=items) | Call(args=items):
            return items
        case Neg(operand=x) | Not(operand=x) | IsNull(operand=x) | Checked(operand=x):
            return (x,)
        case Arith(left=a, right=b) | Compare(left=a, right=b):
            return (a, b)
        case InList(operand=a, container=b):
            return (a, b)
    return ()


def walk(node: Expr) -> Iterator[Expr]:
    """Every node of the tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)


def facts_read(node: Expr) -> set[str]:
    """The names of the facts an expression reads."""
    return {n.name for n in walk(node) if isinstance(n, FactRef)}


def conjuncts(node: Expr) -> list[Expr]:
    """The terms of a conjunction (nested ones flattened); any other condition is its own term."""
    if isinstance(node, And):
        return [term for item in node.items for term in conjuncts(item)]
    return [node]

