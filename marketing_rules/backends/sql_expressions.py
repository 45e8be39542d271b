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

Where dialects differ (DuckDB divides decimals as DOUBLE and fails a query on a decimal
overflow; Spark's decimal quotient has its own scale), the product and the quotient are nodes of
their own (:class:`NumberProduct`, :class:`NumberQuotient`) that each dialect of ``SQL_DIALECTS``
writes its way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.hive import Hive
from sqlglot.dialects.postgres import Postgres
from sqlglot.dialects.spark import Spark
from sqlglot.dialects.trino import Trino

from marketing_rules.expressions import ast
from marketing_rules.expressions.checker import computed, type_of
from marketing_rules.expressions.numbers import INT_MAX, INT_MIN, LIMIT, PRECISION, SCALE, overflow_reason
from marketing_rules.expressions.text import to_text
from marketing_rules.expressions.types import BOOLEAN, INTEGER, NUMBER, Type

#: Every number: ten places, magnitudes below 10^18.
NUM = exp.DataType.build(f"DECIMAL({PRECISION}, {SCALE})")
WIDE_INT = exp.DataType.build("DECIMAL(19, 0)")  # an integer entering decimal arithmetic
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


def paren(node: exp.Expression) -> exp.Expression:
    """Parenthesised where an operator could bind it differently (sqlglot prints the tree as built)."""
    return exp.Paren(this=node) if isinstance(node, (exp.Binary, exp.Not, exp.In, exp.Between, exp.Neg)) else node


class NumberProduct(exp.Expression, exp.Func):
    """``a * b`` on exact decimals, rounded to ten places half away from zero: null when the
    result is 10^18 or more in magnitude (an overflow; the compiler records the check)."""

    arg_types = {"this": True, "expression": True}


class NumberQuotient(exp.Expression, exp.Func):
    """``a / b`` on exact decimals (scale 10), rounded to ten places half away from zero: null when
    ``b`` is 0 or the quotient is 10^18 or more in magnitude."""

    arg_types = {"this": True, "expression": True}


class DoubleText(exp.Expression, exp.Func):
    """A finite DOUBLE as Python's ``repr`` writes it (the shortest digits that read back as the
    same DOUBLE; positional from 1e-4 to below 1e16, else ``1.5e-05``): DuckDB's cast does so."""

    arg_types = {"this": True}


def _double_text(self: Any, e: DoubleText) -> str:
    return self.sql(exp.cast(e.this, TEXT))


def _spark_double_text(self: Any, e: DoubleText) -> str:
    """Spark casts as Java does (``-1.0E7``, and Java 17's digits are not always the shortest): the
    shortest of Java's ``%.{n}e`` texts that reads back as the same DOUBLE, positional in Python's
    range. Shown in reasons only, so its cost falls on rejected rows."""
    x = self.sql(paren(e.this))
    text = f"format_string(concat('%.', n - 1, 'e'), {x})"
    shortest = (f"aggregate(sequence(1, 17), CAST(NULL AS STRING), (s, n) -> "
                f"CASE WHEN s IS NULL AND CAST({text} AS DOUBLE) = {x} THEN {text} ELSE s END)")
    plain = f"regexp_replace(regexp_replace(CAST(CAST({shortest} AS DECIMAL(38, 22)) AS STRING), '0+$', ''), '[.]$', '.0')"
    return (f"CASE WHEN {x} = 0 THEN CAST({x} AS STRING) "
            f"WHEN ABS({x}) >= 0.0001D AND ABS({x}) < 1e16D THEN {plain} ELSE {shortest} END")


class DecimalText(exp.Expression, exp.Func):
    """A DECIMAL in positional notation with its scale (``0.0000000001``), as Python's ``format(d, "f")``."""

    arg_types = {"this": True}


def _decimal_text(self: Any, e: DecimalText) -> str:
    return self.sql(exp.cast(e.this, TEXT))


def _spark_decimal_text(self: Any, e: DecimalText) -> str:
    """Java writes a decimal below 10^-6 as ``1.00E-8``: the same digits, the point moved back."""
    text = f"CAST({self.sql(paren(e.this))} AS STRING)"
    sign, first, rest, power = (f"regexp_extract({text}, '^(-?)([0-9])[.]?([0-9]*)E-([0-9]+)$', {k})" for k in (1, 2, 3, 4))
    plain = f"concat({sign}, '0.', repeat('0', CAST({power} AS INT) - 1), {first}, {rest})"
    return f"CASE WHEN {text} RLIKE 'E-' THEN {plain} ELSE {text} END"


def _scaled(value: exp.Expression, to: str) -> exp.Expression:
    """A decimal of scale 10 as the integer of its 10^-10 units."""
    return exp.cast(exp.Mul(this=paren(value), expression=exp.Literal.number(10**SCALE)), exp.DataType.build(to), copy=False)


def _try(value: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this="TRY", expressions=[value])


def _duckdb_quotient(self: Any, e: NumberQuotient) -> str:
    """DuckDB divides decimals as DOUBLE: here the quotient is an exact HUGEINT division of the two
    numbers' 10^-10 units (times 10^10), rounded half away from zero from its remainder."""
    huge = exp.DataType.build("HUGEINT")
    dividend = exp.Mul(this=_try(_scaled(e.this, "HUGEINT")), expression=exp.cast(exp.Literal.number(10**SCALE), huge))
    divisor = exp.Nullif(this=_scaled(e.expression, "HUGEINT"), expression=exp.Literal.number(0))
    whole = exp.IntDiv(this=paren(dividend), expression=divisor)
    rest = exp.Mod(this=paren(dividend.copy()), expression=divisor.copy())
    away = exp.Mul(this=exp.Sign(this=dividend.copy()), expression=exp.Sign(this=divisor.copy()))
    half = exp.GTE(this=exp.Mul(this=exp.Literal.number(2), expression=exp.Abs(this=rest)), expression=exp.Abs(this=divisor.copy()))
    units = exp.Add(this=whole, expression=exp.Case().when(half, away, copy=False).else_(exp.Literal.number(0), copy=False))
    digits = exp.TryCast(this=paren(units), to=exp.DataType.build(f"DECIMAL({PRECISION}, 0)"))
    unit = exp.cast(exp.Literal.number(f"0.{'0' * (SCALE - 1)}1"), exp.DataType.build(f"DECIMAL({SCALE + 1}, {SCALE})"))
    return self.sql(exp.cast(exp.Mul(this=digits, expression=unit), NUM, copy=False))


def _duckdb_product(self: Any, e: NumberProduct) -> str:
    """A product beyond DECIMAL(38) is an error in DuckDB: TRY makes it null (an overflow)."""
    return self.sql(exp.TryCast(this=_try(exp.Mul(this=paren(e.this), expression=paren(e.expression))), to=NUM))


def _spark_quotient(self: Any, e: NumberQuotient) -> str:
    """DECIMAL(29, 0) / DECIMAL(29, 0) is a DECIMAL(38, 19) quotient in Spark (with precision loss
    off), rounded half up, then rounded again to ten places: the two roundings differ from one only
    when the exact quotient's 11th to 19th places are 499999999 and more digits follow."""
    dividend = _scaled(e.this, "DECIMAL(29, 0)")
    divisor = _scaled(e.expression, "DECIMAL(29, 0)")
    return self.sql(exp.TryCast(this=exp.Anonymous(this="TRY_DIVIDE", expressions=[dividend, divisor]), to=NUM))


def _spark_product(self: Any, e: NumberProduct) -> str:
    """An exact DECIMAL(38, 20) with precision loss off; beyond it null, whatever the ANSI mode."""
    product = exp.Anonymous(this="TRY_MULTIPLY", expressions=[paren(e.this), paren(e.expression)])
    return self.sql(exp.TryCast(this=product, to=NUM))


def _trino_quotient(self: Any, e: NumberQuotient) -> str:
    """Trino divides DECIMAL(28, 10) by DECIMAL(28, 10) at scale 10, rounding half up."""
    divisor = exp.Nullif(this=paren(e.expression), expression=exp.Literal.number(0))
    return self.sql(exp.TryCast(this=_try(exp.Div(this=paren(e.this), expression=divisor)), to=NUM))


def _plain_quotient(self: Any, e: NumberQuotient) -> str:
    divisor = exp.Nullif(this=paren(e.expression), expression=exp.Literal.number(0))
    return self.sql(exp.TryCast(this=exp.Div(this=paren(e.this), expression=divisor), to=NUM))


def _plain_product(self: Any, e: NumberProduct) -> str:
    return self.sql(exp.TryCast(this=exp.Mul(this=paren(e.this), expression=paren(e.expression)), to=NUM))


def _numbers(base: Any, product: Callable[..., str], quotient: Callable[..., str],
             transforms: Mapping[type, Callable[..., str]] | None = None) -> type[Dialect]:
    """``base`` with the number contract's products and quotients (and any other ``transforms``)."""
    generator = type("Generator", (base.Generator,), {"TRANSFORMS": {
        **base.Generator.TRANSFORMS, NumberProduct: product, NumberQuotient: quotient, DoubleText: _double_text,
        DecimalText: _decimal_text,
        **(transforms or {})}})
    return type(f"Exact{base.__name__}", (base,), {"Generator": generator})


def _try_cast(self: Any, e: exp.TryCast) -> str:
    return f"TRY_CAST({self.sql(e, 'this')} AS {self.sql(e, 'to')})"


#: The target dialects, each a sqlglot dialect with the number contract's operations.
SQL_DIALECTS: dict[str, type[Dialect]] = {
    "duckdb": _numbers(DuckDB, _duckdb_product, _duckdb_quotient),
    # TRY_CAST kept (Spark 3.4+): casts of bad text are null even under ANSI mode
    "spark": _numbers(Spark, _spark_product, _spark_quotient, {exp.TryCast: _try_cast, DoubleText: _spark_double_text,
                                                             DecimalText: _spark_decimal_text}),
    "hive": _numbers(Hive, _plain_product, _plain_quotient),
    "trino": _numbers(Trino, _duckdb_product, _trino_quotient),
    "postgres": _numbers(Postgres, _plain_product, _plain_quotient),
}


class ExpressionCompiler:
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
                *conditions: exp.Expression) -> exp.Expression:
        """Record ``value`` null while every operand is not (and ``conditions`` hold): the overflow
        of a checked number operation."""
        if self.checks is not None:
            present = [exp.Not(this=exp.Is(this=paren(o), expression=exp.null()))
                       for o in operands if o.find(exp.Column) is not None]  # a constant is never null
            test = exp.and_(exp.Is(this=paren(value), expression=exp.null()), *present, *conditions, copy=False)
            self._check(test, node, "number")
        return value

    def ranged(self, wide: exp.Expression, node: ast.Expr) -> exp.Expression:
        """A number result computed exactly in a wider decimal: a DECIMAL(28, 10), or an overflow."""
        self._check(exp.GTE(this=exp.Abs(this=wide), expression=exp.Literal.number(LIMIT)), node, "number")
        return exp.TryCast(this=wide, to=NUM)

    def _integer(self, wide: exp.Expression, node: ast.Expr) -> exp.Expression:
        """An integer result computed exactly in DECIMAL(38, 0): a BIGINT, or an overflow."""
        inside = exp.Between(this=paren(wide), low=exp.Literal.number(INT_MIN), high=exp.Literal.number(INT_MAX))
        self._check(exp.Not(this=inside), node, "integer")
        return exp.TryCast(this=wide, to=BIGINT)

    def exact(self, node: ast.Expr) -> exp.Expression:
        """A numeric value as an exact decimal: numbers as they are, integers as DECIMAL(19, 0)."""
        value = self.value(node)
        return exp.cast(value, WIDE_INT, copy=False) if self.type_of(node) == INTEGER else value

    # -- values --------------------------------------------------------------------------------
    def value(self, node: ast.Expr) -> exp.Expression:
        """SQL for a value (numbers are DECIMAL(28, 10), integers BIGINT)."""
        method = getattr(self, f"visit_{type(node).__name__}", None)
        if method is None:
            return self.truth(node)
        return method(node)

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

    def visit_Neg(self, node: ast.Neg) -> exp.Expression:
        if self.type_of(node) == INTEGER:
            return self._integer(exp.Neg(this=paren(self.exact(node.operand))), node)
        return exp.Neg(this=paren(self.value(node.operand)))

    def visit_Arith(self, node: ast.Arith) -> exp.Expression:
        left, right = paren(self.exact(node.left)), paren(self.exact(node.right))
        if node.op == "%":
            rest = exp.Mod(this=left, expression=exp.Nullif(this=right, expression=exp.Literal.number(0)))
            kind = BIGINT if self.type_of(node) == INTEGER else NUM
            return exp.cast(paren(rest), kind, copy=False)
        if self.type_of(node) == INTEGER:
            operation = {"+": exp.Add, "-": exp.Sub, "*": exp.Mul}[node.op](this=left, expression=right)
            return self._integer(paren(operation), node)
        if node.op == "/":
            quotient = NumberQuotient(this=left, expression=right)
            nonzero = exp.NEQ(this=right, expression=exp.Literal.number(0))  # null (no check) when b is null
            return self._beyond(quotient, [left], node, nonzero)
        if node.op == "*":
            return self._beyond(NumberProduct(this=left, expression=right), [left, right], node)
        return self.ranged(paren({"+": exp.Add, "-": exp.Sub}[node.op](this=left, expression=right)), node)

    def visit_Call(self, node: ast.Call) -> exp.Expression:
        result = self.type_of(node)
        name = node.name
        if name == "coalesce":
            args = [self.exact(a) if result == NUMBER else self.value(a) for a in node.args]
            value = exp.Coalesce(this=args[0], expressions=args[1:])
            return self.ranged(value, node) if result == NUMBER and self._mixed(node) else value
        if name in ("min", "max"):
            args = [self.exact(a) if result == NUMBER else self.value(a) for a in node.args]
            kind = exp.Least if name == "min" else exp.Greatest
            chosen = _null_if_any_null(args, kind(this=args[0], expressions=args[1:], ignore_nulls=True))
            return self.ranged(chosen, node) if result == NUMBER and self._mixed(node) else chosen
        args = [self.value(a) for a in node.args]
        if name == "abs":
            if result == INTEGER:
                return self._integer(exp.Abs(this=self.exact(node.args[0])), node)
            return exp.Abs(this=args[0])
        if name == "round":
            if len(args) == 1:
                return exp.cast(exp.Round(this=args[0], decimals=exp.Literal.number(0)), BIGINT, copy=False)
            return self.ranged(exp.Round(this=self.exact(node.args[0]), decimals=args[1]), node)
        if name in ("floor", "ceil"):
            return exp.cast((exp.Floor if name == "floor" else exp.Ceil)(this=args[0]), BIGINT, copy=False)
        if name == "len":
            kind = self.type_of(node.args[0])
            if kind.kind != "list":
                return exp.Length(this=args[0])
            # Spark's size(null) is -1 (without ANSI mode): the length of a null list is null
            return _null_if_any_null([args[0]], exp.ArraySize(this=args[0]))
        raise UnsupportedInSQL(f"the function {name}()")

    def _mixed(self, node: ast.Call) -> bool:
        return any(self.type_of(a) == INTEGER for a in node.args)

    # -- conditions ----------------------------------------------------------------------------
    def truth(self, node: ast.Expr) -> exp.Expression:
        """A three-valued SQL condition: TRUE, FALSE or NULL (unknown), as the interpreter's."""
        match node:
            case ast.Literal(value=v) | ast.ConstRef(value=v):
                return exp.true() if v is True else exp.false() if v is False else exp.cast(exp.null(), BOOL, copy=False)
            case ast.FactRef(name=name):
                return self.column(name)
            case ast.Checked():
                return self.visit_Checked(node)
            case ast.Compare(op=op, left=a, right=b):
                return _COMPARE[op](this=paren(self.value(a)), expression=paren(self.value(b)))
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

    def _in(self, node: ast.InList) -> exp.Expression:
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


def _null_if_any_null(args: list[exp.Expression], value: exp.Expression) -> exp.Expression:
    """Null when any argument is null (SQL's GREATEST and LEAST skip nulls; ours do not)."""
    any_null = exp.or_(*(exp.Is(this=paren(a), expression=exp.null()) for a in args), copy=False)
    return exp.Case().when(any_null, exp.null(), copy=False).else_(value, copy=False)
