"""The reference meaning of an expression: a tree-walking interpreter.

This is the semantics every backend must reproduce: numbers are exact decimals (a float fact is
the decimal it prints as), a null fact makes a comparison unknown (None), and ``and`` / ``or`` /
``not`` follow three-valued logic. The compiled Python backend is tested against it, and
explanations use it to show each condition with its value.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from decimal import Decimal, DivisionByZero, InvalidOperation
from typing import Any

from marketing_rules.expressions import ast
from marketing_rules.expressions.functions import FUNCTIONS

_COMPARE = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def exact(value: Any) -> Any:
    """A number as an exact decimal (floats as the decimal they print as); other values unchanged."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, tuple):
        return tuple(exact(v) for v in value)
    return value


def value_of(node: ast.Expr, facts: Mapping[str, Any]) -> Any:
    """The value of an expression for these facts; None is null."""
    match node:
        case ast.Literal(value=v) | ast.ConstRef(value=v):
            return exact(v)
        case ast.FactRef(name=name):
            return exact(facts.get(name))
        case ast.EnumValue(value=v):
            return v
        case ast.ListExpr(items=items):
            return tuple(value_of(i, facts) for i in items)
        case ast.Neg(operand=x):
            v = value_of(x, facts)
            return None if v is None else -v
        case ast.Arith(op=op, left=a, right=b):
            return _arith(op, value_of(a, facts), value_of(b, facts))
        case ast.Call(name=name, args=args):
            values = [value_of(a, facts) for a in args]
            function = FUNCTIONS[name]
            if not function.null_absorbing and any(v is None for v in values):
                return None
            return exact(function.impl(*values))
    return truth_of(node, facts)


def _arith(op: str, a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if op in _ARITH:
        return _ARITH[op](a, b)
    if b == 0:
        return None  # division by zero is null, as in SQL engines with ANSI mode off
    try:
        return a / b if op == "/" else a % b  # Decimal % keeps the dividend's sign, as SQL does
    except (DivisionByZero, InvalidOperation):
        return None


def truth_of(node: ast.Expr, facts: Mapping[str, Any]) -> bool | None:
    """Three-valued truth of a condition: True, False, or None for unknown."""
    match node:
        case ast.Compare(op=op, left=a, right=b):
            x, y = value_of(a, facts), value_of(b, facts)
            return None if x is None or y is None else _COMPARE[op](x, y)
        case ast.InList(operand=a, container=c, negated=negated):
            return _in(value_of(a, facts), value_of(c, facts), negated)
        case ast.IsNull(operand=a, negated=negated):
            return (value_of(a, facts) is None) != negated
        case ast.And(items=items):
            results = [truth_of(i, facts) for i in items]
            return False if False in results else (None if None in results else True)
        case ast.Or(items=items):
            results = [truth_of(i, facts) for i in items]
            return True if True in results else (None if None in results else False)
        case ast.Not(operand=x):
            v = truth_of(x, facts)
            return None if v is None else not v
    v = value_of(node, facts)
    return v if v is None or isinstance(v, bool) else bool(v)


def _in(value: Any, container: Any, negated: bool) -> bool | None:
    if value is None or container is None:
        return None
    found = any(item is not None and item == value for item in container)
    if not found and any(item is None for item in container):
        return None  # x in (1, null) is unknown when x is not 1, as in SQL
    return found != negated
