"""The SQL dialects the batch runs on: sqlglot dialects that also write the number contract's nodes.

The SQL compiler (``backends/sql_expressions.py``) builds one sqlglot tree for every dialect. Where
the engines differ beyond what sqlglot translates (DuckDB divides decimals as DOUBLE and fails a
query on a decimal overflow; Spark's decimal quotient has its own scale; Spark writes DOUBLE and
small DECIMAL values as Java does), the tree holds a node of its own (:class:`NumberProduct`,
:class:`NumberQuotient`, :class:`DoubleText`, :class:`DecimalText`) and each dialect here writes it
its way: the :class:`Exact` mixin gives a dialect its ``product``, ``quotient``, ``double_text``
and ``decimal_text``, and anything else the dialect does differently is a class attribute, never
an ``if dialect == ...`` in the compiler.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.hive import Hive
from sqlglot.dialects.postgres import Postgres
from sqlglot.dialects.spark import Spark
from sqlglot.dialects.trino import Trino
from sqlglot.generator import Generator

from marketing_rules.backends.sql_lists import SQLLists
from marketing_rules.expressions.numbers import PRECISION, SCALE

#: Every number: ten places, magnitudes below 10^18.
NUM = exp.DataType.build(f"DECIMAL({PRECISION}, {SCALE})")
TEXT = exp.DataType.build("VARCHAR")
WIDE = exp.DataType.build("DECIMAL(38, 10)")  # room to tell a value beyond 10^18 from one that is not a number
DOUBLE = exp.DataType.build("DOUBLE")
SHORT = exp.DataType.build("DECIMAL(15, 4)")  # a DOUBLE's value, when it reads back as the DOUBLE
SHORT_BOUND = 10**11

Transform = Callable[..., str]  # (generator, node) -> SQL text


def paren(node: exp.Expression) -> exp.Expression:
    """Parenthesised where an operator could bind it differently (sqlglot prints the tree as built)."""
    return exp.Paren(this=node) if isinstance(node, (exp.Binary, exp.Not, exp.In, exp.Between, exp.Neg)) else node


# -- the nodes of the number contract --------------------------------------------------------------
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


class DoubleNumber(exp.Expression, exp.Func):
    """A finite DOUBLE as the decimal it prints as (its shortest text that reads back as the same
    DOUBLE), a DECIMAL(38, 10) rounded to ten places: null when that has more than 38 digits."""

    arg_types = {"this": True}


class CellMessage(exp.Expression, exp.Func):
    """The message of a cell that is there (``this``, a condition): ``expression``, which is null when
    the cell's ``reason`` is null."""

    arg_types = {"this": True, "expression": True, "reason": True}


class DecimalText(exp.Expression, exp.Func):
    """A DECIMAL in positional notation with its scale (``0.0000000001``), as Python's ``format(d, "f")``."""

    arg_types = {"this": True}


# -- how each engine writes them -------------------------------------------------------------------
def _double_text(self: Generator, e: DoubleText) -> str:
    return self.sql(exp.cast(e.this, TEXT))


def _spark_double_text(self: Generator, e: DoubleText) -> str:
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


def _double_number(self: Generator, e: DoubleNumber) -> str:
    return self.sql(exp.TryCast(this=exp.cast(e.this, TEXT), to=WIDE))


def _duckdb_double_number(self: Generator, e: DoubleNumber) -> str:
    """Below 10^11 with at most 4 places, the decimal a DOUBLE prints as is the DECIMAL(15, 4) that
    reads back as the same DOUBLE (two decimals of at most 15 digits never share a DOUBLE): a cast
    and a comparison, six times cheaper in DuckDB than the text, which the other values take. (In
    Spark the decimal casts cost more than the text.)"""
    raw = paren(e.this)
    short = exp.cast(raw, SHORT)
    fits = exp.and_(exp.LT(this=exp.Abs(this=raw.copy()), expression=exp.Literal.number(SHORT_BOUND)),
                    exp.EQ(this=exp.cast(short.copy(), DOUBLE), expression=raw.copy()))
    text = exp.TryCast(this=exp.cast(raw.copy(), TEXT), to=WIDE)
    return self.sql(exp.Case().when(fits, exp.Cast(this=short, to=WIDE), copy=False).else_(text, copy=False))


def _cell_message(self: Generator, e: CellMessage) -> str:
    return self.sql(exp.Case().when(e.this, e.expression))


def _duckdb_cell_message(self: Generator, e: CellMessage) -> str:
    """DuckDB computes every operand of ``||``, the value shown among them (a DOUBLE's shortest text):
    only for a cell with a reason. (Spark's generated code outgrows its limits with the reason twice.)"""
    reason = exp.Not(this=exp.Is(this=paren(e.args["reason"]), expression=exp.null()))
    return self.sql(exp.Case().when(exp.and_(e.this, reason), e.expression))


def _decimal_text(self: Generator, e: DecimalText) -> str:
    return self.sql(exp.cast(e.this, TEXT))


def _spark_decimal_text(self: Generator, e: DecimalText) -> str:
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


def _duckdb_quotient(self: Generator, e: NumberQuotient) -> str:
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


def _try_product(self: Generator, e: NumberProduct) -> str:
    """A product beyond DECIMAL(38) is an error in DuckDB and Trino: TRY makes it null (an overflow).
    The DECIMAL(38, 20) product is rounded to ten places by a cast that cannot overflow, then narrowed:
    the value of one cast to DECIMAL(28, 10), which DuckDB computes a third slower."""
    product = _try(exp.Mul(this=paren(e.this), expression=paren(e.expression)))
    return self.sql(exp.TryCast(this=exp.cast(product, WIDE), to=NUM))


def _constant(node: exp.Expression) -> Decimal | None:
    """The value of a number literal as the compiler writes it (``CAST(0.8 AS DECIMAL(28, 10))``)."""
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal) and node.this.is_number:
        return Decimal(node.this.name)
    return None


def _duckdb_product(self: Generator, e: NumberProduct) -> str:
    """A column times a literal of at most 7 digits, the column below 10^(8 - digits): the literal at
    its own precision and scale and the column narrowed to DECIMAL(18 - digits, 10) keep the product
    and its rounding in 64-bit integers; DuckDB rescales a DECIMAL(38) by a loop over its bits, some
    30 times slower. Other rows and products take the DECIMAL(38, 20) product."""
    exact = _try_product(self, e)
    for column, other in ((e.this, e.expression), (e.expression, e.this)):
        value = _constant(other)
        if not isinstance(column, exp.Column) or value is None:
            continue
        _, digits, exponent = value.normalize().as_tuple()
        scale = max(0, -int(exponent))
        precision = max(len(digits) + max(0, int(exponent)), scale, 1)
        if precision > 7:
            break
        narrow = exp.cast(column, exp.DataType.build(f"DECIMAL({18 - precision}, {SCALE})"))
        factor = exp.cast(exp.Literal.number(format(value, "f")), exp.DataType.build(f"DECIMAL({precision}, {scale})"))
        product: exp.Expression = exp.Mul(this=narrow, expression=factor)
        if scale:
            product = exp.cast(product, exp.DataType.build(f"DECIMAL(18, {SCALE})"))
        small = exp.LT(this=exp.Abs(this=column.copy()), expression=exp.Literal.number(10 ** (8 - precision)))
        return f"CASE WHEN {self.sql(small)} THEN {self.sql(exp.Cast(this=product, to=NUM))} ELSE {exact} END"
    return exact


def _spark_quotient(self: Generator, e: NumberQuotient) -> str:
    """DECIMAL(29, 0) / DECIMAL(29, 0) is a DECIMAL(38, 19) quotient in Spark (with precision loss
    off), rounded half up, then rounded again to ten places: the two roundings differ from one only
    when the exact quotient's 11th to 19th places are 499999999 and more digits follow."""
    dividend = _scaled(e.this, "DECIMAL(29, 0)")
    divisor = _scaled(e.expression, "DECIMAL(29, 0)")
    return self.sql(exp.TryCast(this=exp.Anonymous(this="TRY_DIVIDE", expressions=[dividend, divisor]), to=NUM))


def _spark_product(self: Generator, e: NumberProduct) -> str:
    """An exact DECIMAL(38, 20) with precision loss off; beyond it null, whatever the ANSI mode."""
    product = exp.Anonymous(this="TRY_MULTIPLY", expressions=[paren(e.this), paren(e.expression)])
    return self.sql(exp.TryCast(this=product, to=NUM))


def _trino_quotient(self: Generator, e: NumberQuotient) -> str:
    """Trino divides DECIMAL(28, 10) by DECIMAL(28, 10) at scale 10, rounding half up."""
    divisor = exp.Nullif(this=paren(e.expression), expression=exp.Literal.number(0))
    return self.sql(exp.TryCast(this=_try(exp.Div(this=paren(e.this), expression=divisor)), to=NUM))


def _plain_quotient(self: Generator, e: NumberQuotient) -> str:
    divisor = exp.Nullif(this=paren(e.expression), expression=exp.Literal.number(0))
    return self.sql(exp.TryCast(this=exp.Div(this=paren(e.this), expression=divisor), to=NUM))


def _plain_product(self: Generator, e: NumberProduct) -> str:
    return self.sql(exp.TryCast(this=exp.Mul(this=paren(e.this), expression=paren(e.expression)), to=NUM))


def _try_cast(self: Generator, e: exp.TryCast) -> str:
    return f"TRY_CAST({self.sql(e, 'this')} AS {self.sql(e, 'to')})"


# -- the dialects ----------------------------------------------------------------------------------
class Exact:
    """Mixin of a sqlglot dialect: the number contract's nodes written the dialect's way.

    A dialect names its ``product`` and ``quotient`` (and its texts, its reading of a DOUBLE, its
    message of a bad cell, and any other generator ``transforms``); defining the class gives it a
    generator that writes them. The sqlglot dialect comes first among the bases (``class ExactX(X,
    Exact)``): sqlglot takes the tokenizer, and so the quoting, from the first base.
    """

    product: ClassVar[Transform] = staticmethod(_plain_product)
    quotient: ClassVar[Transform] = staticmethod(_plain_quotient)
    double_text: ClassVar[Transform] = staticmethod(_double_text)
    decimal_text: ClassVar[Transform] = staticmethod(_decimal_text)
    double_number: ClassVar[Transform] = staticmethod(_double_number)
    cell_message: ClassVar[Transform] = staticmethod(_cell_message)
    transforms: ClassVar[dict[type, Transform]] = {}
    #: The engine replaces ``${...}`` anywhere in a query's text, even inside string literals.
    substitutes_variables: ClassVar[bool] = False
    #: How a decision's ``access`` (service -> modes) is built (``backends/sql_lists.py``).
    access_map: ClassVar[Callable[..., exp.Expression]] = staticmethod(SQLLists.granted_map)
    Generator: ClassVar[type[Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        base = cls.Generator
        cls.Generator = type("Generator", (base,), {"TRANSFORMS": {
            **base.TRANSFORMS, NumberProduct: cls.product, NumberQuotient: cls.quotient,
            DoubleText: cls.double_text, DecimalText: cls.decimal_text, DoubleNumber: cls.double_number,
            CellMessage: cls.cell_message, **cls.transforms}})


class ExactDuckDB(DuckDB, Exact):
    product = staticmethod(_duckdb_product)
    quotient = staticmethod(_duckdb_quotient)
    double_number = staticmethod(_duckdb_double_number)
    cell_message = staticmethod(_duckdb_cell_message)


class ExactSpark(Spark, Exact):
    product = staticmethod(_spark_product)
    quotient = staticmethod(_spark_quotient)
    double_text = staticmethod(_spark_double_text)
    decimal_text = staticmethod(_spark_decimal_text)
    transforms = {exp.TryCast: _try_cast}  # TRY_CAST kept (Spark 3.4+): bad text is null even under ANSI mode
    substitutes_variables = True


class ExactHive(Hive, Exact):
    substitutes_variables = True
    access_map = staticmethod(SQLLists.every_service_map)  # no map built from arrays


class ExactTrino(Trino, Exact):
    product = staticmethod(_try_product)
    quotient = staticmethod(_trino_quotient)


class ExactPostgres(Postgres, Exact):
    access_map = staticmethod(SQLLists.jsonb_object)  # no map type


#: The target dialects by name.
SQL_DIALECTS: dict[str, type[Dialect]] = {
    "duckdb": ExactDuckDB, "spark": ExactSpark, "hive": ExactHive, "trino": ExactTrino, "postgres": ExactPostgres,
}


def exact(name: str) -> type[Exact]:
    """The dialect of this name, as its :class:`Exact` side."""
    dialect = SQL_DIALECTS[name]
    assert issubclass(dialect, Exact)
    return dialect


__all__ = ["SQL_DIALECTS", "DecimalText", "DoubleText", "Exact", "ExactDuckDB", "ExactHive", "ExactPostgres",
           "ExactSpark", "ExactTrino", "NUM", "NumberProduct", "NumberQuotient", "exact", "paren"]
