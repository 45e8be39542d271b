"""Expressions to SQL: one sqlglot expression tree per rule-language expression, for every dialect.

The meaning is the reference interpreter's (``expressions/evaluate.py``), expressed with SQL's own
null semantics, which the rule language shares: a null operand makes a comparison unknown, and
``and`` / ``or`` / ``not`` are three-valued. Numbers follow the number contract (``expressions/numbers.py``): a number is a
``DECIMAL(28, 10)`` everywhere in the query (no trip through DOUBLE), an integer a BIGINT.
Arithmetic that may leave the contract is checked: integers are computed exactly in
``DECIMAL(38, 0)`` and kept when within 64 bits; a number's sum, product, quotient or rounding is
computed exactly, rounded to ten places half away from zero (a decimal cast does that) and kept
when below 10^18 in magnitude. Outside, the value is null and the check recorded by
:meth:`ExpressionCompiler.overflows` makes the overflow that row's error. Division by zero is null
(``NULLIF``), ``%`` keeps the dividend's sign, ``round`` rounds half away from zero.

:class:`ExpressionCompiler` is a :class:`~marketing_rules.expressions.compiler.NodeCompiler`: one
method per node, and :data:`SQL_OPERATORS` says how each operator of the language is computed.
Where dialects differ (DuckDB divides decimals as DOUBLE and fails a query on a decimal overflow;
Spark's decimal quotient has its own scale), the product and the quotient are nodes of their own
(:class:`NumberProduct`, :class:`NumberQuotient`) that each dialect of ``backends/sql_dialects.py``
writes its way.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from decimal import Decimal
from typing import Any, cast

from sqlglot import exp

from marketing_rules.backends.sql_dialects import (
    DOUBLE,
    NUM,
    SQL_DIALECTS,
    TEXT,
    CellMessage,
    DecimalText,
    DoubleNumber,
    DoubleText,
    NumberProduct,
    NumberQuotient,
    paren,
)
from marketing_rules.errors import Unsupported
from marketing_rules.expressions import ast
from marketing_rules.expressions.checker import computed, type_of
from marketing_rules.expressions.compiler import NodeCompiler
from marketing_rules.expressions.numbers import INT_MAX, INT_MIN, LIMIT, overflow_reason
from marketing_rules.expressions.text import to_text
from marketing_rules.expressions.types import BOOLEAN, INTEGER, NUMBER, Type

WIDE_INT = exp.DataType.build("DECIMAL(19, 0)")  # an integer entering decimal arithmetic
PRODUCT_SAFE = 10 ** 9  # factors below this in magnitude have a product below LIMIT (10^18)
INT_PRODUCT_SAFE = 2 ** 31  # integer factors within +-2^31 have a product within 64 bits
INT_SUM_SAFE = 2 ** 62 - 1  # integer terms within +-(2^62 - 1) have a sum and a difference within 64 bits
BIGINT = exp.DataType.build("BIGINT")
BOOL = exp.DataType.build("BOOLEAN")



class UnsupportedInSQL(Unsupported):
    """A construct of the rule language that the SQL backend cannot express (yet)."""

    def __init__(self, what: str, text: str = ""):
        super().__init__("SQL", what + (f": {text}" if text else ""))
        self.what = what


def sql_type(kind: Type) -> exp.DataType:
    """How a fact of this type is stored in a column."""
    if kind.kind == "integer":
        return BIGINT
    if kind.kind == "number":
        return NUM
    if kind.kind == "boolean":
        return BOOL
    if kind.kind == "list":
        item = sql_type(kind.item) if kind.item is not None else TEXT
        return exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[item], nested=True)
    return TEXT


def typed_null(kind: Type) -> exp.Expression:
    return exp.cast(exp.null(), sql_type(kind), copy=False)


def literal(value: Any) -> exp.Expression:
    """A constant of the rule file as SQL (a decimal literal as a DECIMAL(28, 10))."""
    if value is None:
        return exp.null()
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int):
        return exp.Literal.number(value)
    if isinstance(value, float):  # a default of the rule file: the decimal it prints as
        value = Decimal(repr(value))
    if isinstance(value, Decimal):
        return exp.cast(exp.Literal.number(format(value, "f")), NUM, copy=False)
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, tuple):
        return exp.Array(expressions=[literal(v) for v in value])
    raise UnsupportedInSQL(f"the constant {value!r}")


class ExpressionCompiler(NodeCompiler[exp.Expression]):
    """Compiles resolved expressions against columns: ``value`` for values, ``truth`` for conditions.

    ``column`` maps a fact name to the SQL expression that holds it at this point of the query.
    Inside :meth:`overflows`, every checked operation records its overflow test, in evaluation
    order (left to right, inner before outer).
    """

    def __init__(self, types: Mapping[str, Type], column: Callable[[str], exp.Expression], dialect: str = "duckdb"):
        self.types = types
        self.column = column
        self.dialect = dialect
        self.checks: list[tuple[exp.Expression, str]] | None = None
        self.unit = ""
        self.shared: Mapping[Hashable, str] = {}  # conditions computed already: shape -> column

    # -- types ---------------------------------------------------------------------------------
    def type_of(self, node: ast.Expr) -> Type:
        return type_of(node, self.types)

    def computed(self, node: ast.Expr) -> bool:
        return computed(node, self.types)

    # -- overflow checks -----------------------------------------------------------------------
    def overflows(self, unit: str, nodes: Iterable[ast.Expr]) -> list[tuple[exp.Expression, str]]:
        """The overflow tests of ``nodes`` evaluated by ``unit``: (condition, reason), in order."""
        saved, self.checks, self.unit = self.checks, [], unit
        try:
            for node in nodes:
                self.truth(node) if isinstance(node, ast.BOOLEAN_NODES) else self.value(node)
            return self.checks
        finally:
            self.checks = saved

    def _check(self, overflow: exp.Expression, node: ast.Expr, kind: str) -> None:
        if self.checks is None:
            return
        reason = overflow_reason(kind, to_text(node), self.unit)
        if all(r != reason for _, r in self.checks):
            self.checks.append((overflow, reason))

    def _beyond(self, value: exp.Expression, operands: list[exp.Expression], node: ast.Expr,
                *conditions: exp.Expression, possible: exp.Expression | None = None) -> exp.Expression:
        """Record ``value`` null while every operand is not (and ``conditions`` hold): the overflow
        of a checked number operation. ``possible``, a cheap test that every overflow passes, comes
        first, so that the exact one is computed only for the rows it lets through."""
        if self.checks is not None:
            present = [exp.Not(this=exp.Is(this=paren(o), expression=exp.null()))
                       for o in operands if o.find(exp.Column) is not None]  # a constant is never null
            test = cast(exp.Expression, exp.and_(*([paren(possible)] if possible is not None else []),
                                                 exp.Is(this=paren(value), expression=exp.null()), *present,
                                                 *conditions, copy=False))
            self._check(test, node, "number")
        return value

    def ranged(self, wide: exp.Expression, node: ast.Expr) -> exp.Expression:
        """A number result computed exactly in a wider decimal: a DECIMAL(28, 10), or an overflow."""
        self._check(exp.GTE(this=exp.Abs(this=wide), expression=exp.Literal.number(LIMIT)), node, "number")
        return exp.TryCast(this=wide, to=NUM)

    def _integer(self, wide: exp.Expression, node: ast.Expr, possible: exp.Expression | None = None) -> exp.Expression:
        """An integer result computed exactly in DECIMAL(38, 0): a BIGINT, or an overflow. ``possible``,
        a cheap test that every overflow passes, comes first, so that the exact one runs only beyond it."""
        inside = exp.Between(this=paren(wide), low=exp.Literal.number(INT_MIN), high=exp.Literal.number(INT_MAX))
        overflow = exp.Not(this=inside)
        self._check(overflow if possible is None else cast(exp.Expression, exp.and_(paren(possible), overflow, copy=False)),
                    node, "integer")
        return exp.TryCast(this=wide, to=BIGINT)

    def _integers(self, node: ast.Arith, operation: type[exp.Add] | type[exp.Sub] | type[exp.Mul], safe: int) -> exp.Expression:
        """``a op b`` on two integers; the overflow test runs only where an operand is beyond +-``safe``."""
        values = [self.value(node.left), self.value(node.right)]
        wide = operation(this=paren(exp.cast(values[0].copy(), WIDE_INT)), expression=paren(exp.cast(values[1].copy(), WIDE_INT)))
        possible = exp.or_(*(exp.Not(this=exp.Between(this=paren(v), low=exp.Literal.number(-safe), high=exp.Literal.number(safe)))
                             for v in values), copy=False)  # no ABS: it overflows at -2^63
        return self._integer(paren(wide), node, possible=cast(exp.Expression, possible))

    def exact(self, node: ast.Expr) -> exp.Expression:
        """A numeric value as an exact decimal: numbers as they are, integers as DECIMAL(19, 0)."""
        value = self.value(node)
        return exp.cast(value, WIDE_INT, copy=False) if self.type_of(node) == INTEGER else value

    # -- values --------------------------------------------------------------------------------
    def value(self, node: ast.Expr) -> exp.Expression:
        """SQL for a value (numbers are DECIMAL(28, 10), integers BIGINT; a condition is a value too)."""
        return self.compile(node)

    def truth(self, node: ast.Expr) -> exp.Expression:
        """A three-valued SQL condition: TRUE, FALSE or NULL (unknown), as the interpreter's."""
        if isinstance(node, (ast.Literal, ast.ConstRef)):
            v = node.value
            return exp.true() if v is True else exp.false() if v is False else exp.cast(exp.null(), BOOL, copy=False)
        if self.shared and self.checks is None and not isinstance(node, ast.And):  # a conjunction: its terms
            column = self.shared.get(shape(node))
            if column is not None:
                return exp.column(column)
        return self.compile(node)

    def visit_Checked(self, node: ast.Checked) -> exp.Expression:
        return self.value(node.operand)

    def visit_FactRef(self, node: ast.FactRef) -> exp.Expression:
        return self.column(node.name)

    def visit_Literal(self, node: ast.Literal) -> exp.Expression:
        return literal(node.value)

    def visit_ConstRef(self, node: ast.ConstRef) -> exp.Expression:
        return literal(node.value)

    def visit_EnumValue(self, node: ast.EnumValue) -> exp.Expression:
        return exp.Literal.string(node.value)

    def visit_ListExpr(self, node: ast.ListExpr) -> exp.Expression:
        return exp.Array(expressions=[self.value(i) for i in node.items])

    def _operate(self, node: ast.Expr) -> exp.Expression:
        """An operator node, as SQL_OPERATORS compiles its operator."""
        operation: Operation = self.operator(node)
        return operation(self, node)

    visit_Neg = visit_Arith = visit_Call = visit_Compare = visit_InList = visit_IsNull = visit_And = visit_Or = \
        visit_Not = _operate

    # -- operators (SQL_OPERATORS) -------------------------------------------------------------
    def negate(self, node: ast.Neg) -> exp.Expression:
        if self.type_of(node) == INTEGER:
            return self._integer(exp.Neg(this=paren(self.exact(node.operand))), node)
        return exp.Neg(this=paren(self.value(node.operand)))

    def additive(self, node: ast.Arith, kind: type[exp.Add] | type[exp.Sub]) -> exp.Expression:
        if self.type_of(node) == INTEGER:
            return self._integers(node, kind, INT_SUM_SAFE)
        operation = kind(this=paren(self.exact(node.left)), expression=paren(self.exact(node.right)))
        return self.ranged(paren(operation), node)

    def product(self, node: ast.Arith) -> exp.Expression:
        if self.type_of(node) == INTEGER:
            return self._integers(node, exp.Mul, INT_PRODUCT_SAFE)
        left, right = paren(self.exact(node.left)), paren(self.exact(node.right))
        # |a|, |b| < 10^9 (at most 10 decimals) keep |a * b| below 10^18: the exact test runs only beyond
        possible = cast(exp.Expression, exp.or_(*(exp.GTE(this=exp.Abs(this=o), expression=exp.Literal.number(PRODUCT_SAFE))
                                                  for o in (left, right)), copy=False))
        return self._beyond(NumberProduct(this=left, expression=right), [left, right], node, possible=possible)

    def quotient(self, node: ast.Arith) -> exp.Expression:
        left, right = paren(self.exact(node.left)), paren(self.exact(node.right))
        quotient = NumberQuotient(this=left, expression=right)
        nonzero = exp.NEQ(this=right, expression=exp.Literal.number(0))  # null (no check) when b is null
        return self._beyond(quotient, [left], node, nonzero)

    def remainder(self, node: ast.Arith) -> exp.Expression:
        left, right = paren(self.exact(node.left)), paren(self.exact(node.right))
        rest = exp.Mod(this=left, expression=exp.Nullif(this=right, expression=exp.Literal.number(0)))
        kind = BIGINT if self.type_of(node) == INTEGER else NUM
        return exp.cast(paren(rest), kind, copy=False)

    def compare(self, node: ast.Compare, kind: type[exp.Expression]) -> exp.Expression:
        return kind(this=paren(self.value(node.left)), expression=paren(self.value(node.right)))

    def is_null(self, node: ast.IsNull) -> exp.Expression:
        test = exp.Is(this=paren(self.value(node.operand)), expression=exp.null())
        return exp.Not(this=test) if node.negated else test

    def all_of(self, node: ast.And) -> exp.Expression:
        return cast(exp.Expression, exp.and_(*(self.truth(i) for i in node.items), wrap=True, copy=False))

    def any_of(self, node: ast.Or) -> exp.Expression:
        return cast(exp.Expression, exp.or_(*(self.truth(i) for i in node.items), wrap=True, copy=False))

    def negation(self, node: ast.Not) -> exp.Expression:
        return exp.Not(this=paren(self.truth(node.operand)))

    def coalesce(self, node: ast.Call) -> exp.Expression:
        result = self.type_of(node)
        args = [self.exact(a) if result == NUMBER else self.value(a) for a in node.args]
        value = exp.Coalesce(this=args[0], expressions=args[1:])
        return self.ranged(value, node) if result == NUMBER and self._mixed(node) else value

    def extreme(self, node: ast.Call, kind: type[exp.Least] | type[exp.Greatest]) -> exp.Expression:
        result = self.type_of(node)
        args = [self.exact(a) if result == NUMBER else self.value(a) for a in node.args]
        chosen = _null_if_any_null(args, kind(this=args[0], expressions=args[1:], ignore_nulls=True))
        return self.ranged(chosen, node) if result == NUMBER and self._mixed(node) else chosen

    def absolute(self, node: ast.Call) -> exp.Expression:
        if self.type_of(node) == INTEGER:
            return self._integer(exp.Abs(this=self.exact(node.args[0])), node)
        return exp.Abs(this=self.value(node.args[0]))

    def rounded(self, node: ast.Call) -> exp.Expression:
        args = [self.value(a) for a in node.args]
        if len(args) == 1:
            if self.type_of(node.args[0]) == INTEGER:  # already whole (DuckDB would round through a DOUBLE)
                return args[0]
            return exp.cast(exp.Round(this=args[0], decimals=exp.Literal.number(0)), BIGINT, copy=False)
        return self.ranged(exp.Round(this=self.exact(node.args[0]), decimals=args[1]), node)

    def whole(self, node: ast.Call, kind: type[exp.Floor] | type[exp.Ceil]) -> exp.Expression:
        value = self.value(node.args[0])
        if self.type_of(node.args[0]) == INTEGER:  # already whole (DuckDB would floor through a DOUBLE)
            return value
        return exp.cast(kind(this=value), BIGINT, copy=False)

    def length(self, node: ast.Call) -> exp.Expression:
        arg = self.value(node.args[0])
        if self.type_of(node.args[0]).kind != "list":
            return exp.Length(this=arg)
        # Spark's size(null) is -1 (without ANSI mode): the length of a null list is null
        return _null_if_any_null([arg], exp.ArraySize(this=arg))

    def _mixed(self, node: ast.Call) -> bool:
        return any(self.type_of(a) == INTEGER for a in node.args)

    # -- membership ----------------------------------------------------------------------------
    def membership(self, node: ast.InList) -> exp.Expression:
        operand = paren(self.value(node.operand))
        container = node.container
        if isinstance(container, ast.ConstRef) and isinstance(container.value, tuple):
            items = [literal(v) for v in container.value]
        elif isinstance(container, ast.ListExpr):
            items = [self.value(i) for i in container.items]
        else:
            return self._in_array(node, operand)
        if not items:  # x in [] is false, or unknown when x is null
            empty = exp.Case().when(exp.Is(this=operand, expression=exp.null()), exp.cast(exp.null(), BOOL, copy=False), copy=False)
            return paren(empty.else_(exp.true() if node.negated else exp.false(), copy=False))
        test = exp.In(this=operand, expressions=items)
        return exp.Not(this=paren(test)) if node.negated else test


    def _in_array(self, node: ast.InList, operand: exp.Expression) -> exp.Expression:
        """``x in f`` over a list-valued fact: true when an item equals x; else unknown when x, the
        list or an item is null (as ``x in (1, null)``). A list whose items have no type holds text:
        x is compared as its text."""
        array = paren(self.value(node.container))
        kind = self.type_of(node.container)
        needle = operand if kind.kind == "list" and kind.item is not None else self.as_text(node.operand)
        x = exp.to_identifier("x")
        kept = exp.ArrayFilter(this=array, expression=exp.Lambda(
            this=exp.Not(this=exp.Is(this=exp.column("x"), expression=exp.null())), expressions=[x]))
        has_null = exp.GT(this=exp.ArraySize(this=array), expression=exp.ArraySize(this=kept))
        unknown = exp.or_(exp.Is(this=operand, expression=exp.null()), exp.Is(this=array, expression=exp.null()), copy=False)
        found, missing = (exp.false(), exp.true()) if node.negated else (exp.true(), exp.false())
        null = exp.cast(exp.null(), BOOL, copy=False)
        return paren(exp.Case().when(unknown, null, copy=False)
                     .when(exp.ArrayContains(this=array, expression=needle), found, copy=False)
                     .when(has_null, null, copy=False).else_(missing, copy=False))

    def as_text(self, node: ast.Expr) -> exp.Expression:
        """An item of a list whose items have no type (a list<string> column): text as it is,
        booleans as true/false, numbers as their decimal without trailing zeros."""
        kind = self.type_of(node)
        if isinstance(node, ast.BOOLEAN_NODES) or kind == BOOLEAN:
            return exp.cast(self.truth(node), TEXT, copy=False)
        if kind == NUMBER:
            digits = exp.cast(exp.TryCast(this=self.value(node), to=NUM), TEXT, copy=False)
            trimmed = exp.Trim(this=digits, expression=exp.Literal.string("0"), position="TRAILING")
            return exp.Trim(this=trimmed, expression=exp.Literal.string("."), position="TRAILING")
        if kind.kind in ("integer", "string", "enum"):
            return exp.cast(self.value(node), TEXT, copy=False)
        return self.value(node)


def shape(node: Any) -> Hashable:
    """A node as a value equal for equal expressions wherever they are written (spans left out):
    two conditions of one program with the same shape compile to the same SQL."""
    if isinstance(node, tuple):
        return tuple(shape(item) for item in node)
    fields = getattr(node, "__dataclass_fields__", None)
    if fields is None:  # a value: 1, True and Decimal("1") are equal in Python, not here
        return type(node).__name__, repr(node)
    return type(node).__name__, tuple(shape(getattr(node, f)) for f in fields if f not in ("span", "type"))


def _null_if_any_null(args: list[exp.Expression], value: exp.Expression) -> exp.Expression:
    """Null when any argument is null (SQL's GREATEST and LEAST skip nulls; ours do not)."""
    any_null = exp.or_(*(exp.Is(this=paren(a), expression=exp.null()) for a in args), copy=False)
    return exp.Case().when(any_null, exp.null(), copy=False).else_(value, copy=False)


Operation = Callable[[ExpressionCompiler, Any], exp.Expression]


def _with(method: Callable[..., exp.Expression], kind: type[exp.Expression]) -> Operation:
    return lambda compiler, node: method(compiler, node, kind)


C = ExpressionCompiler
#: How SQL computes each operator of the language (``expressions/operators.py``).
SQL_OPERATORS: dict[str, Operation] = {
    "+": _with(C.additive, exp.Add), "-": _with(C.additive, exp.Sub), "*": C.product, "/": C.quotient,
    "%": C.remainder, "neg": C.negate,
    "==": _with(C.compare, exp.EQ), "!=": _with(C.compare, exp.NEQ), "<": _with(C.compare, exp.LT),
    "<=": _with(C.compare, exp.LTE), ">": _with(C.compare, exp.GT), ">=": _with(C.compare, exp.GTE),
    "in": C.membership, "not in": C.membership, "is null": C.is_null, "is not null": C.is_null,
    "and": C.all_of, "or": C.any_of, "not": C.negation,
    "min": _with(C.extreme, exp.Least), "max": _with(C.extreme, exp.Greatest), "abs": C.absolute, "round": C.rounded,
    "floor": _with(C.whole, exp.Floor), "ceil": _with(C.whole, exp.Ceil), "len": C.length, "coalesce": C.coalesce,
}
ExpressionCompiler.operators = SQL_OPERATORS
del C

__all__ = ["BIGINT", "BOOL", "DOUBLE", "NUM", "SQL_DIALECTS", "SQL_OPERATORS", "TEXT", "WIDE_INT", "CellMessage", "DecimalText",
           "DoubleNumber", "DoubleText", "ExpressionCompiler", "NumberProduct", "NumberQuotient", "UnsupportedInSQL", "literal", "paren",
           "shape", "sql_type", "typed_null"]
