"""An AST written back as expression text (for explanations and generated conditions)."""

from __future__ import annotations

from decimal import Decimal

from marketing_rules.expressions import ast

_PRECEDENCE = {ast.Or: 1, ast.And: 2, ast.Not: 3, ast.Compare: 4, ast.InList: 4, ast.IsNull: 4}


def literal_text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(literal_text(v) for v in value) + "]"
    return str(value)


def to_text(node: ast.Expr) -> str:
    match node:
        case ast.Literal(value=v):
            return literal_text(v)
        case ast.FactRef(name=n) | ast.Name(name=n) | ast.ConstRef(name=n):
            return n
        case ast.EnumValue(value=v):
            return v
        case ast.ListExpr(items=items):
            return "[" + ", ".join(to_text(i) for i in items) + "]"
        case ast.Neg(operand=x):
            return "-" + _wrapped(x, node)
        case ast.Arith(op=op, left=a, right=b):
            return f"{_arith_operand(a, op, False)} {op} {_arith_operand(b, op, True)}"
        case ast.Compare(op=op, left=a, right=b):
            return f"{to_text(a)} {op} {to_text(b)}"
        case ast.InList(operand=a, container=c, negated=negated):
            return f"{to_text(a)} {'not in' if negated else 'in'} {to_text(c)}"
        case ast.IsNull(operand=a, negated=negated):
            return f"{to_text(a)} is {'not ' if negated else ''}null"
        case ast.And(items=items):
            return " and ".join(_wrapped(i, node) for i in items)
        case ast.Or(items=items):
            return " or ".join(_wrapped(i, node) for i in items)
        case ast.Not(operand=x):
            return "not " + _wrapped(x, node)
        case ast.Call(name=name, args=args):
            return f"{name}({', '.join(to_text(a) for a in args)})"
        case ast.Checked(operand=x):
            return to_text(x)
    raise TypeError(node)


def _wrapped(child: ast.Expr, parent: ast.Expr) -> str:
    inner, outer = _PRECEDENCE.get(type(child), 9), _PRECEDENCE.get(type(parent), 9)
    text = to_text(child)
    return f"({text})" if inner <= outer and inner < 9 else text


def _arith_operand(child: ast.Expr, op: str, right: bool) -> str:
    text = to_text(child)
    if isinstance(child, ast.Arith):
        weaker = child.op in "+-" and op in "*/%"
        if weaker or (right and op in "-/%"):
            return f"({text})"
    return text
