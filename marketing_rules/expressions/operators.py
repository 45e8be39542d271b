"""The operators of the rule language, once: their symbol, arity and result type.

The type checker (``expressions/checker.py``) reads a node's result type here, and every backend
compiler (``expressions/compiler.py``) keeps an operator table with one entry per name of
:data:`OPERATORS`, either how it compiles the operator or why it cannot. A test holds each
compiler's table to this one, so an operator added here without a way to compile it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from marketing_rules.expressions import ast
from marketing_rules.expressions.functions import FUNCTIONS
from marketing_rules.expressions.types import BOOLEAN, INTEGER, NUMBER, Type


class OpKind(Enum):
    ARITHMETIC = "arithmetic"  # + - * / % and unary minus: numbers to a number
    EQUALITY = "equality"  # == != : any two comparable values
    ORDER = "order"  # < <= > >= : numbers only
    MEMBERSHIP = "membership"  # in, not in
    NULL_TEST = "null test"  # is null, is not null
    LOGIC = "logic"  # and, or, not: three-valued
    FUNCTION = "function"  # a call of FUNCTIONS


@dataclass(frozen=True, slots=True)
class Operator:
    name: str  # the key of OPERATORS and of every compiler's table
    symbol: str  # as written in a rule file
    kind: OpKind
    node: type[ast.Expr]  # the AST node that carries it
    arity: tuple[int, int | None]  # fewest and most operands (None: any number)
    result: Callable[[list[Type]], Type]  # the result type from the operands' types


def _numeric(operands: list[Type]) -> Type:
    """Integers stay integers; anything else (a number, or null) makes a number."""
    return INTEGER if all(t.kind == "integer" for t in operands) else NUMBER


def _boolean(operands: list[Type]) -> Type:
    return BOOLEAN


def _same(operands: list[Type]) -> Type:
    return operands[0]


def _arithmetic(symbol: str) -> Operator:
    result = (lambda operands: NUMBER) if symbol == "/" else _numeric  # a quotient is always a number
    return Operator(symbol, symbol, OpKind.ARITHMETIC, ast.Arith, (2, 2), result)


def _table() -> dict[str, Operator]:
    ops = [_arithmetic(s) for s in ("+", "-", "*", "/", "%")]
    ops.append(Operator("neg", "-", OpKind.ARITHMETIC, ast.Neg, (1, 1), _same))
    ops += [Operator(s, s, OpKind.EQUALITY, ast.Compare, (2, 2), _boolean) for s in ("==", "!=")]
    ops += [Operator(s, s, OpKind.ORDER, ast.Compare, (2, 2), _boolean) for s in ("<", "<=", ">", ">=")]
    ops += [Operator(s, s, OpKind.MEMBERSHIP, ast.InList, (2, 2), _boolean) for s in ("in", "not in")]
    ops += [Operator(s, s, OpKind.NULL_TEST, ast.IsNull, (1, 1), _boolean) for s in ("is null", "is not null")]
    ops += [Operator("and", "and", OpKind.LOGIC, ast.And, (2, None), _boolean),
            Operator("or", "or", OpKind.LOGIC, ast.Or, (2, None), _boolean),
            Operator("not", "not", OpKind.LOGIC, ast.Not, (1, 1), _boolean)]
    ops += [Operator(f.name, f"{f.name}()", OpKind.FUNCTION, ast.Call, (f.min_args, f.max_args), f.result)
            for f in FUNCTIONS.values()]
    return {op.name: op for op in ops}


#: Every operator of the rule language, by name.
OPERATORS: dict[str, Operator] = _table()


def operator_name(node: ast.Expr) -> str | None:
    """The name in :data:`OPERATORS` of the operator a node applies; None for a leaf, a list or a
    checked wrapper."""
    match node:
        case ast.Arith(op=op) | ast.Compare(op=op):
            return op
        case ast.Neg():
            return "neg"
        case ast.InList(negated=negated):
            return "not in" if negated else "in"
        case ast.IsNull(negated=negated):
            return "is not null" if negated else "is null"
        case ast.And():
            return "and"
        case ast.Or():
            return "or"
        case ast.Not():
            return "not"
        case ast.Call(name=name):
            return name
    return None


def result_type(node: ast.Expr, operands: list[Type]) -> Type:
    """The type of an operator node, from its operands' types."""
    name = operator_name(node)
    if name is None:
        raise ValueError(f"{type(node).__name__} applies no operator")
    return OPERATORS[name].result(operands)


__all__ = ["OPERATORS", "OpKind", "Operator", "operator_name", "result_type"]
