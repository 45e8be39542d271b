"""The reference meaning of an expression: a tree-walking interpreter.

This is the semantics every backend must reproduce. Numbers follow the number contract of
``expressions/numbers.py``: integers are Python ints within 64 bits, numbers are decimals rounded
to 10 places (a float fact is the decimal it prints as), and a result outside the contract raises
:class:`Overflow`. A null fact makes a comparison unknown (None), and ``and`` / ``or`` / ``not``
follow three-valued logic. Every sub-expression is evaluated (no short-circuit), so that an
overflow anywhere in a condition is found whatever the other operands are.

With ``types`` (the program's fact types) each result takes its static type; without, the types
are read off the values (ints are integers, floats and decimals numbers), which is the same for
validated facts except where ``coalesce`` mixes the two.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from marketing_rules.expressions import ast
from marketing_rules.expressions.checker import type_of
from marketing_rules.expressions.functions import FUNCTIONS
from marketing_rules.expressions.numbers import (
    CONTEXT,
    NumberOverflow,
    integer_result,
    number_result,
    quotient,
    remainder,
    to_number,
)
from marketing_rules.expressions.text import to_text
from marketing_rules.expressions.types import INTEGER, NUMBER, Type

_COMPARE = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}
_EXACT = {"+": CONTEXT.add, "-": CONTEXT.subtract, "*": CONTEXT.multiply}


class Overflow(NumberOverflow):
    """A result outside the number contract, with the expression that produced it."""

    def __init__(self, kind: str, node: ast.Expr):
        super().__init__(f"{kind} overflow in {to_text(node)}")
        self.kind = kind
        self.node = node


def exact(value: Any) -> Any:
    """A number as a contract value (floats as the decimal they print as, rounded to 10 places)."""
    if isinstance(value, bool) or value is None or isinstance(value, int):
        return value
    if isinstance(value, (float, Decimal)):
        return to_number(value)
    if isinstance(value, (tuple, list)):
        return tuple(exact(v) for v in value)
    return value


def as_kind(value: Any, kind: Type | None, node: ast.Expr) -> Any:
    """``value`` as a value of ``kind``: an integer result within 64 bits, a number within 10^18."""
    if value is None or isinstance(value, bool) or kind is None:
        return value
    try:
        if kind == INTEGER and isinstance(value, int):
            return integer_result(value)
        if kind == NUMBER and isinstance(value, (int, Decimal)):
            return number_result(Decimal(value))
    except NumberOverflow:
        raise Overflow(kind.kind, node) from None
    return value


class Evaluator:
    """Values and truths of expressions over one customer's facts."""

    def __init__(self, facts: Mapping[str, Any], types: Mapping[str, Type] | None = None):
        self.facts = facts
        self.types = types

    def kind(self, node: ast.Expr, value: Any) -> Type | None:
        """The numeric type of a computed node: static with ``types``, else read off the value."""
        if self.types is not None:
            kind = type_of(node, dict(self.types))
            return kind if kind.numeric else None
        if isinstance(value, bool) or value is None:
            return None
        return INTEGER if isinstance(value, int) else NUMBER if isinstance(value, Decimal) else None

    def fact(self, name: str) -> Any:
        value = exact(self.facts.get(name))
        declared = self.types.get(name) if self.types is not None else None
        if declared == NUMBER and isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value)
        return value

    def value(self, node: ast.Expr) -> Any:
        """The value of an expression; None is null."""
        match node:
            case ast.Literal(value=v) | ast.ConstRef(value=v):
                return exact(v)
            case ast.FactRef(name=name):
                return self.fact(name)
            case ast.EnumValue(value=v):
                return v
            case ast.ListExpr(items=items):
                return tuple(self.value(i) for i in items)
            case ast.Checked(operand=x):
                return self.value(x)
            case ast.Neg(operand=x):
                v = self.value(x)
                return None if v is None else self.checked(-v, node)
            case ast.Arith(op=op, left=a, right=b):
                x, y = self.value(a), self.value(b)
                if x is None or y is None:
                    return None
                try:
                    result = self._arith(op, x, y)
                except NumberOverflow:  # a quotient or a remainder of numbers beyond the contract
                    raise Overflow(NUMBER.kind, node) from None
                return self.checked(result, node)
            case ast.Call(name=name, args=args):
                values = [self.value(a) for a in args]
                function = FUNCTIONS[name]
                if not function.null_absorbing and any(v is None for v in values):
                    return None
                return self.checked(function.impl(*values), node)
        return self.truth(node)

    def checked(self, value: Any, node: ast.Expr) -> Any:
        return as_kind(value, self.kind(node, value), node)

    def _arith(self, op: str, x: Any, y: Any) -> Any:
        if op in _ARITH:
            if isinstance(x, int) and isinstance(y, int):
                return _ARITH[op](x, y)
            return _EXACT[op](Decimal(x), Decimal(y))  # exact: rounded once, to 10 places, by checked()
        if op == "/":
            return quotient(Decimal(x), Decimal(y))
        return remainder(x, y)

    def truth(self, node: ast.Expr) -> bool | None:
        """Three-valued truth of a condition: True, False, or None for unknown."""
        match node:
            case ast.Compare(op=op, left=a, right=b):
                x, y = self.value(a), self.value(b)
                return None if x is None or y is None else _COMPARE[op](x, y)
            case ast.InList(operand=a, container=c, negated=negated):
                return _in(self.value(a), self.value(c), negated)
            case ast.IsNull(operand=a, negated=negated):
                return (self.value(a) is None) != negated
            case ast.And(items=items):
                results = [self.truth(i) for i in items]
                return False if False in results else (None if None in results else True)
            case ast.Or(items=items):
                results = [self.truth(i) for i in items]
                return True if True in results else (None if None in results else False)
            case ast.Not(operand=x):
                v = self.truth(x)
                return None if v is None else not v
        v = self.value(node)
        return v if v is None or isinstance(v, bool) else bool(v)


def value_of(node: ast.Expr, facts: Mapping[str, Any], types: Mapping[str, Type] | None = None) -> Any:
    """The value of an expression for these facts; None is null."""
    return Evaluator(facts, types).value(node)


def truth_of(node: ast.Expr, facts: Mapping[str, Any], types: Mapping[str, Type] | None = None) -> bool | None:
    """Three-valued truth of a condition: True, False, or None for unknown."""
    return Evaluator(facts, types).truth(node)


def _in(value: Any, container: Any, negated: bool) -> bool | None:
    if value is None or container is None:
        return None
    found = any(item is not None and item == value for item in container)
    if not found and any(item is None for item in container):
        return None  # x in (1, null) is unknown when x is not 1, as in SQL
    return found != negated
