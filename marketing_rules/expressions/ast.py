"""The expression AST: one tree that every backend compiles (Python, SQL, durable_rules).

Nodes are named after the grammar rules. ``span`` is the (start, end) character range of the node
in its expression text, so that diagnostics point at the right column of the rule file.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Union

Span = tuple[int, int]
Value = Union[Decimal, int, str, bool, None, tuple]


@dataclass(frozen=True, slots=True)
class Literal:
    span: Span
    value: Value  # numbers are int, or Decimal when written with a fraction


@dataclass(frozen=True, slots=True)
class Name:
    """A bare name before resolution: a fact, a constant or an enum value."""

    span: Span
    name: str


@dataclass(frozen=True, slots=True)
class FactRef:
    span: Span
    name: str


@dataclass(frozen=True, slots=True)
class ConstRef:
    span: Span
    name: str
    value: Value


@dataclass(frozen=True, slots=True)
class EnumValue:
    """A bare word resolved to a value of the enum it is compared with."""

    span: Span
    value: str


@dataclass(frozen=True, slots=True)
class ListExpr:
    span: Span
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Neg:
    span: Span
    operand: Expr


@dataclass(frozen=True, slots=True)
class Arith:
    span: Span
    op: str  # + - * / %
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Compare:
    span: Span
    op: str  # == != < <= > >=
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class InList:
    span: Span
    operand: Expr
    container: Expr
    negated: bool


@dataclass(frozen=True, slots=True)
class IsNull:
    span: Span
    operand: Expr
    negated: bool


@dataclass(frozen=True, slots=True)
class And:
    span: Span
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    span: Span
    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Not:
    span: Span
    operand: Expr


@dataclass(frozen=True, slots=True)
class Call:
    span: Span
    name: str
    args: tuple[Expr, ...]


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


def walk(node: Expr):
    """Every node of the tree, parents before children."""
    yield node
    for child in children(node):
        yield from walk(child)


def facts_read(node: Expr) -> set[str]:
    """The names of the facts an expression reads."""
    return {n.name for n in walk(node) if isinstance(n, FactRef)}


_PRECEDENCE = {Or: 1, And: 2, Not: 3, Compare: 4, InList: 4, IsNull: 4, Neg: 7}
_ARITH_PRECEDENCE = {"+": 5, "-": 5, "*": 6, "/": 6, "%": 6}


def _precedence(node: Expr) -> int:
    if isinstance(node, Arith):
        return _ARITH_PRECEDENCE[node.op]
    return _PRECEDENCE.get(type(node), 8)


def render(node: Expr) -> str:
    """The expression in the rule language's own syntax, parenthesised only where needed.

    Every backend names an expression in a message by this text (an overflow's reason, say), so
    that the same rule gives the same words everywhere.
    """
    def sub(child: Expr, minimum: int) -> str:
        text = render(child)
        return f"({text})" if _precedence(child) < minimum else text

    match node:
        case Literal(value=v) | ConstRef(value=v) if isinstance(v, tuple):
            return "[" + ", ".join(_literal_text(x) for x in v) + "]"
        case ConstRef(name=name):
            return name
        case Literal(value=v):
            return _literal_text(v)
        case FactRef(name=name) | Name(name=name):
            return name
        case EnumValue(value=v):
            return v
        case ListExpr(items=items):
            return "[" + ", ".join(render(i) for i in items) + "]"
        case Neg(operand=x):
            return "-" + sub(x, 8)
        case Arith(op=op, left=a, right=b):
            p = _ARITH_PRECEDENCE[op]
            return f"{sub(a, p)} {op} {sub(b, p + 1)}"
        case Compare(op=op, left=a, right=b):
            return f"{sub(a, 5)} {op} {sub(b, 5)}"
        case InList(operand=a, container=c, negated=negated):
            return f"{sub(a, 5)} {'not in' if negated else 'in'} {sub(c, 5)}"
        case IsNull(operand=a, negated=negated):
            return f"{sub(a, 5)} is {'not ' if negated else ''}null"
        case And(items=items):
            return " and ".join(sub(i, 3) for i in items)
        case Or(items=items):
            return " or ".join(sub(i, 2) for i in items)
        case Not(operand=x):
            return "not " + sub(x, 3)
        case Call(name=name, args=args):
            return f"{name}({', '.join(render(a) for a in args)})"
        case Checked(operand=x):
            return render(x)
    raise TypeError(node)


def _literal_text(value: Value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)
