"""Expressions to SQL: one sqlglot expression tree per rule-language expression, for every dialect.

The meaning is the reference interpreter's (``expressions/evaluate.py``), expressed with SQL's own
null semantics, which the rule language shares: a null operand makes a comparison unknown, and
``and`` / ``or`` / ``not`` are three-valued. Numbers follow the Python backend's rule: a fact is
compared with a literal or another fact as it is stored (DOUBLE: comparing two doubles gives the
same answer as comparing the decimals they print as), and wherever arithmetic is involved both
sides are exact decimals (``DECIMAL(38, 10)``), so that ``arpu < arpu_prev * 0.8`` is decided
exactly at the boundary. Division by zero is null (``NULLIF``), ``%`` keeps the dividend's sign,
``round`` rounds half away from zero: every target dialect does this for DECIMAL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from sqlglot import exp

from marketing_rules.expressions import ast
from marketing_rules.expressions.checker import computed, type_of
from marketing_rules.expressions.types import INTEGER, NUMBER, Type

#: Exact decimals for arithmetic: ten places, magnitudes below 10^18 (validation enforces it).
NUM = exp.DataType.build("DECIMAL(38, 10)")
NUM_SCALE = 10
MAX_SCALE = 20
DOUBLE = exp.DataType.build("DOUBLE")
BIGINT = exp.DataType.build("BIGINT")
TEXT = exp.DataType.build("VARCHAR")
BOOL = exp.DataType.build("BOOLEAN")

_COMPARE: dict[str, type[exp.Expression]] = {
    "==": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE,
}


class UnsupportedInSQL(NotImplementedError):
    """A construct of the rule language that the SQL backend cannot express (yet)."""

    def __init__(self, what: str, text: str = ""):
        super().__init__(f"the SQL backend cannot compile {what}" + (f": {text}" if text else ""))
        self.what = what


def sql_type(kind: Type) -> exp.DataType:
    """How a fact of this type is stored in a column."""
    if kind.kind == "integer":
        return BIGINT
    if kind.kind == "number":
        return DOUBLE
    if kind.kind == "boolean":
        return BOOL
    if kind.kind == "list":
        item = sql_type(kind.item) if kind.item is not None else TEXT
        return exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[item], nested=True)
    return TEXT


def typed_null(kind: Type) -> exp.Expression:
    return exp.cast(exp.null(), sql_type(kind), copy=False)


def literal(value: Any, decimal: bool = False) -> exp.Expression:
    """A constant of the rule file as SQL (a decimal literal carries its own exact precision)."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, Decimal):
        text = format(value, "f")
        if not decimal:
            return exp.Literal.number(text)
        digits = value.as_tuple()
        scale = max(0, -int(digits.exponent))
        precision = max(len(digits.digits), scale + 1)
        return exp.cast(exp.Literal.number(text), exp.DataType.build(f"DECIMAL({precision}, {scale})"), copy=False)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, tuple):
        return exp.Array(expressions=[literal(v, decimal) for v in value])
    raise UnsupportedInSQL(f"the constant {value!r}")


def paren(node: exp.Expression) -> exp.Expression:
    """Parenthesised where an operator could bind it differently (sqlglot prints the tree as built)."""
    return exp.Paren(this=node) if isinstance(node, (exp.Binary, exp.Not, exp.In, exp.Between, exp.Neg)) else node


class ExpressionCompiler:
    """Compiles resolved expressions against columns: ``value`` for values, ``truth`` for conditions.

    ``column`` maps a fact name to the SQL expression that holds it at this point of the query.
    """

    def __init__(self, types: Mapping[str, Type], column: Callable[[str], exp.Expression], dialect: str = "duckdb"):
        self.types = types
        self.column = column
        self.dialect = dialect

    # -- types ---------------------------------------------------------------------------------
    def type_of(self, node: ast.Expr) -> Type:
        return type_of(node, self.types)

    def computed(self, node: ast.Expr) -> bool:
        """Produced by arithmetic or a function, and a number: compared as an exact decimal."""
        return computed(node, self.types)

    # -- values --------------------------------------------------------------------------------
    def value(self, node: ast.Expr, decimal: bool = False) -> exp.Expression:
        """SQL for a value; ``decimal`` asks for an exact DECIMAL where the value is a number."""
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            return self.truth(node)
        return method(node, decimal)

    def visit_FactRef(self, node: ast.FactRef, decimal: bool) -> exp.Expression:
        column = self.column(node.name)
        return exp.cast(column, NUM, copy=False) if decimal and self.types[node.name].kind == "number" else column

    def visit_Literal(self, node: ast.Literal, decimal: bool) -> exp.Expression:
        return literal(node.value, decimal)

    def visit_ConstRef(self, node: ast.ConstRef, decimal: bool) -> exp.Expression:
        return literal(node.value, decimal)

    def visit_EnumValue(self, node: ast.EnumValue, decimal: bool) -> exp.Expression:
        return exp.Literal.string(node.value)

    def visit_ListExpr(self, node: ast.ListExpr, decimal: bool) -> exp.Expression:
        return exp.Array(expressions=[self.value(i, decimal) for i in node.items])

    def visit_Neg(self, node: ast.Neg, decimal: bool) -> exp.Expression:
        return exp.Neg(this=paren(self.value(node.operand, decimal or self.type_of(node) == NUMBER)))

    def visit_Arith(self, node: ast.Arith, decimal: bool) -> exp.Expression:
        integer = self.type_of(node) == INTEGER
        left = paren(self.value(node.left, not integer))
        right = paren(self.value(node.right, not integer))
        if node.op == "%":
            return paren(exp.Mod(this=left, expression=exp.Nullif(this=right, expression=exp.Literal.number(0))))
        if node.op == "/":
            return exp.cast(self.quotient(node), NUM, copy=False)
        operation = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[node.op](this=left, expression=right)
        if integer or node.op != "*":
            return paren(operation)
        if self.dialect == "duckdb":  # a product beyond DECIMAL(38) is null, not an error (Spark: ANSI off)
            operation = exp.Anonymous(this="TRY", expressions=[operation])
        if self.scale(node.left) + self.scale(node.right) > MAX_SCALE:  # keep room for 18 digits
            return exp.cast(operation, NUM, copy=False)
        return operation

    def scale(self, node: ast.Expr) -> int:
        """Decimal places of ``value(node, decimal=True)``: products add them up, and are cut back to
        ten places only past MAX_SCALE (rescaling a 128-bit decimal costs more than the product)."""
        match node:
            case ast.FactRef(name=name):
                return NUM_SCALE if self.types[name].kind == "number" else 0
            case ast.Literal(value=v) | ast.ConstRef(value=v) if isinstance(v, Decimal):
                return max(0, -int(v.as_tuple().exponent))
            case ast.Neg(operand=x):
                return self.scale(x)
            case ast.Arith(op="*", left=a, right=b) if self.type_of(node) == NUMBER:
                total = self.scale(a) + self.scale(b)
                return total if total <= MAX_SCALE else NUM_SCALE
            case ast.Arith(op="/"):
                return NUM_SCALE
            case ast.Arith(left=a, right=b):
                return max(self.scale(a), self.scale(b))
            case ast.Call(name=name, args=args) if name in ("min", "max", "coalesce", "abs"):
                return max(self.scale(a) for a in args)
            case ast.Call(name="round", args=(_, digits)) if isinstance(digits, ast.Literal):
                return NUM_SCALE
        return 0 if self.type_of(node) == INTEGER else NUM_SCALE

    def quotient(self, node: ast.Arith) -> exp.Expression:
        """``a / b`` as a DOUBLE (null when b is 0): stored as it is in a number fact, and rounded to
        ten places where it is compared, so that 24 / 30 compares equal to 0.8."""
        left, right = self.value(node.left), self.value(node.right)
        divisor = exp.Nullif(this=exp.cast(right, DOUBLE, copy=False), expression=exp.Literal.number(0))
        return exp.Div(this=exp.cast(left, DOUBLE, copy=False), expression=divisor, typed=True, safe=False)

    def stored_quotient(self, node: ast.Arith) -> exp.Expression:
        """``a / b`` kept in a number fact: the DOUBLE quotient, or its ten-place value when the two are
        within the rounding of a DOUBLE division (a few ulps), so that 40.6125 / 32.49 keeps 1.25, as the
        exact engine does, not 1.2499999999999998 (which a later ``ratio >= 1.25`` would refuse)."""
        quotient = self.quotient(node)
        rounded = exp.cast(exp.TryCast(this=quotient, to=NUM), DOUBLE, copy=False)
        gap = exp.Abs(this=exp.Sub(this=quotient, expression=rounded))
        near = exp.LTE(this=gap, expression=exp.Mul(this=exp.Literal.number("5e-16"), expression=exp.Abs(this=quotient)))
        return exp.Case().when(near, rounded, copy=False).else_(quotient, copy=False)

    def visit_Call(self, node: ast.Call, decimal: bool) -> exp.Expression:
        result = self.type_of(node)
        args = [self.value(a, self.type_of(a) == NUMBER or (result == NUMBER and self.type_of(a).numeric))
                for a in node.args]
        name = node.name
        if name == "coalesce":
            return exp.Coalesce(this=args[0], expressions=args[1:])
        if name in ("min", "max"):
            kind = exp.Least if name == "min" else exp.Greatest
            chosen = kind(this=args[0], expressions=args[1:], ignore_nulls=True)
            return _null_if_any_null(args, chosen)
        if name == "abs":
            return exp.Abs(this=args[0])
        if name == "round":
            if len(args) == 1:
                return exp.cast(exp.Round(this=args[0], decimals=exp.Literal.number(0)), BIGINT, copy=False)
            return exp.Round(this=args[0], decimals=args[1])
        if name in ("floor", "ceil"):
            return exp.cast((exp.Floor if name == "floor" else exp.Ceil)(this=args[0]), BIGINT, copy=False)
        if name == "len":
            kind = self.type_of(node.args[0])
            return exp.Length(this=args[0]) if kind.kind != "list" else exp.ArraySize(this=args[0])
        raise UnsupportedInSQL(f"the function {name}()")

    # -- conditions ----------------------------------------------------------------------------
    def truth(self, node: ast.Expr) -> exp.Expression:
        """A three-valued SQL condition: TRUE, FALSE or NULL (unknown), as the interpreter's."""
        match node:
            case ast.Literal(value=v) | ast.ConstRef(value=v):
                return exp.true() if v is True else exp.false() if v is False else exp.cast(exp.null(), BOOL, copy=False)
            case ast.FactRef(name=name):
                return self.column(name)
            case ast.Compare(op=op, left=a, right=b):
                decimal = self.computed(a) or self.computed(b)
                exact = _COMPARE[op](this=paren(self.value(a, decimal)), expression=paren(self.value(b, decimal)))
                if decimal and self.float_safe(a) and self.float_safe(b):
                    return self._fast_compare(op, a, b, exact)
                return exact
            case ast.InList():
                return self._in(node)
            case ast.IsNull(operand=x, negated=negated):
                test = exp.Is(this=paren(self.value(x)), expression=exp.null())
                return exp.Not(this=test) if negated else test
            case ast.And(items=items):
                return exp.and_(*(self.truth(i) for i in items), wrap=True, copy=False)
            case ast.Or(items=items):
                return exp.or_(*(self.truth(i) for i in items), wrap=True, copy=False)
            case ast.Not(operand=x):
                return exp.Not(this=paren(self.truth(x)))
        return self.value(node)

    def float_safe(self, node: ast.Expr) -> bool:
        """A fact, a literal, or a product or quotient of two of them: DOUBLE gets within a few ulps."""
        match node:
            case ast.FactRef(name=name):
                return self.types[name].numeric
            case ast.Literal(value=v) | ast.ConstRef(value=v):
                return isinstance(v, (int, Decimal)) and not isinstance(v, bool)
            case ast.Arith(op="*", left=a, right=b):
                simple = (ast.FactRef, ast.Literal, ast.ConstRef)
                return all(isinstance(x, simple) and self.float_safe(x) for x in (a, b))
            case ast.Arith(op="/", left=a, right=ast.Literal(value=v) | ast.ConstRef(value=v)):
                return (self.float_safe(a) and not isinstance(a, ast.Arith) and isinstance(v, (int, Decimal))
                        and not isinstance(v, bool) and v != 0)
        return False

    def _float(self, node: ast.Expr) -> exp.Expression:
        match node:
            case ast.FactRef(name=name):
                return self.column(name)
            case ast.Literal(value=v) | ast.ConstRef(value=v):
                return exp.Literal.number(repr(float(v)))
            case ast.Arith(op=op, left=a, right=b):
                kind = exp.Mul if op == "*" else exp.Div
                return exp.Paren(this=kind(this=self._float(a), expression=self._float(b)))
        raise TypeError(node)

    def _fast_compare(self, op: str, a: ast.Expr, b: ast.Expr, exact: exp.Expression) -> exp.Expression:
        """In DOUBLE where the two sides are clearly apart, exactly in DECIMAL where they are close
        (as the Python backend does): each side is within a few ulps of its exact value, so a gap
        wider than a relative 1e-12 decides; only near-ties pay for decimal arithmetic. A null side
        makes the gap null, and the exact comparison then gives null."""
        x, y = self._float(a), self._float(b)
        gap = exp.Abs(this=exp.Sub(this=x, expression=y))
        scale = exp.Mul(this=exp.Literal.number("1e-12"),
                        expression=exp.Paren(this=exp.Add(this=exp.Abs(this=x), expression=exp.Abs(this=y))))
        apart = exp.GT(this=gap, expression=scale)
        return exp.Case(ifs=[exp.If(this=apart, true=_COMPARE[op](this=x, expression=y))], default=exact)

    def _in(self, node: ast.InList) -> exp.Expression:
        decimal = self.computed(node.operand)
        operand = paren(self.value(node.operand, decimal))
        container = node.container
        if isinstance(container, ast.ConstRef) and isinstance(container.value, tuple):
            items = [literal(v, decimal) for v in container.value]
        elif isinstance(container, ast.ListExpr):
            items = [self.value(i, decimal) for i in container.items]
        else:
            raise UnsupportedInSQL("'in' over a list-valued fact", str(container))
        if not items:  # x in [] is false, or unknown when x is null
            empty = exp.Case().when(exp.Is(this=operand, expression=exp.null()), exp.cast(exp.null(), BOOL, copy=False), copy=False)
            return paren(empty.else_(exp.true() if node.negated else exp.false(), copy=False))
        test = exp.In(this=operand, expressions=items)
        return exp.Not(this=paren(test)) if node.negated else test


def _null_if_any_null(args: list[exp.Expression], value: exp.Expression) -> exp.Expression:
    """Null when any argument is null (SQL's GREATEST and LEAST skip nulls; ours do not)."""
    any_null = exp.or_(*(exp.Is(this=paren(a), expression=exp.null()) for a in args), copy=False)
    return exp.Case().when(any_null, exp.null(), copy=False).else_(value, copy=False)
