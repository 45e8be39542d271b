"""Fact validation in SQL: each input column checked against the fact schema inside the engine.

The rules are those of :mod:`marketing_rules.model.input_rules` (the per-customer engine reads
cells with its functions), built here from the same patterns, words and reasons, so that DuckDB
and Spark accept the same rows, with the same values, and reject the others with the same text:

- a text cell of an integer, number or boolean fact is trimmed of spaces and must match the
  rule's pattern (``[+-]?[0-9]+`` for integers; digits with one optional point for numbers; the
  true and false words, in any case, for booleans); strings, enums and ids are taken as written;
- numbers are read exactly: text and decimal columns are cast to ``DECIMAL(38, 10)`` (rounded half
  away from zero), a DOUBLE column through its shortest text (as Python's ``repr``), never by a
  DOUBLE to DECIMAL cast (inexact from about 3x10^5); the value is a ``DECIMAL(28, 10)``;
- integers are within +-10^18, numbers below 10^18 in magnitude; then the bounds ``ge``/``le``.

For every fact of the schema that the input has, the query computes the fact's typed value and
its reason (one per cell, the first that applies), and joins the reasons of a row into one
``error`` text, ``field: reason (got value)`` joined by ``; ``, or null. What a source column
holds is known from its type (``SourceKind``); ``to_sql`` without a source assumes each column
already has its fact's type.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from sqlglot import exp

from marketing_rules.backends.sql_dialects import WIDE
from marketing_rules.backends.sql_expressions import (
    BIGINT,
    BOOL,
    TEXT,
    CellMessage,
    DecimalText,
    DoubleNumber,
    DoubleText,
    paren,
    typed_null,
)
from marketing_rules.model import input_rules as rules
from marketing_rules.model.schema import LIMIT, FactSchema, FactSpec

SourceKind = Literal["integer", "float", "decimal", "string", "boolean", "other"]
NUMBER = exp.DataType.build("DECIMAL(28, 10)")  # a number fact's value: 18 digits before the point, 10 after
WHOLE = exp.DataType.build("DECIMAL(38, 0)")


@dataclass(frozen=True)
class ValidatedFact:
    """One fact after validation: its typed value, its reason when the value is bad (null when it is
    good or null), and the value as the reason shows it."""

    name: str
    value: exp.Expression
    reason: exp.Expression | None
    shown: exp.Expression


def natural_kind(spec: FactSpec) -> SourceKind:
    """The column kind a fact has when its table was built for it."""
    return {"integer": "integer", "number": "decimal", "boolean": "boolean"}.get(spec.type, "string")  # type: ignore[return-value]


def _is_null(value: exp.Expression) -> exp.Expression:
    return exp.Is(this=paren(value), expression=exp.null())


def _text(reason: str) -> exp.Expression:
    return exp.Literal.string(reason)


def _number(value: int | float | str) -> exp.Expression:
    return exp.Literal.number(value if isinstance(value, (int, str)) else rules.bound_text(value))


def _first(*cases: tuple[exp.Expression, str]) -> exp.Expression:
    """The reason of the first condition that holds (conditions in SQL's three-valued logic: a null
    condition does not hold), or null."""
    case = exp.Case()
    for condition, reason in cases:
        case = case.when(condition, _text(reason), copy=False)
    return case


def _matches(text: exp.Expression, pattern: str) -> exp.Expression:
    return exp.RegexpLike(this=text, expression=exp.Literal.string(f"^(?:{pattern})\\z"))


def _trimmed(raw: exp.Expression) -> exp.Expression:
    return exp.Trim(this=raw, expression=exp.Literal.string(rules.SPACE))


def _bounds(spec: FactSpec, value: exp.Expression) -> list[tuple[exp.Expression, str]]:
    found: list[tuple[exp.Expression, str]] = []
    if spec.ge is not None:
        found.append((exp.LT(this=paren(value), expression=_number(spec.ge)), rules.at_least(spec.ge)))
    if spec.le is not None:
        found.append((exp.GT(this=paren(value), expression=_number(spec.le)), rules.at_most(spec.le)))
    return found


def _finite(value: exp.Expression) -> exp.Expression:
    """True for a finite DOUBLE: x - x is NaN for NaN and the infinities."""
    return exp.EQ(this=exp.Sub(this=paren(value), expression=paren(value)), expression=exp.Literal.number(0))


def _beyond(value: exp.Expression, inclusive: bool) -> exp.Expression:
    """Numbers: 10^18 or more in magnitude; integers: beyond +-10^18 (no ABS: it overflows at -2^63)."""
    if inclusive:
        return exp.GTE(this=exp.Abs(this=value), expression=exp.Literal.number(LIMIT))
    low = exp.LT(this=paren(value), expression=exp.Literal.number(-LIMIT))
    high = exp.GT(this=paren(value), expression=exp.Literal.number(LIMIT))
    return exp.Or(this=low, expression=high)


def _within(value: exp.Expression, kind: exp.DataType, inclusive: bool) -> exp.Expression:
    """The value cast to ``kind`` where it is in range, else null."""
    return exp.Case().when(exp.Not(this=paren(_beyond(value, inclusive))), exp.cast(value, kind, copy=False), copy=False)


def shown(raw: exp.Expression, kind: SourceKind) -> exp.Expression:
    """A column's value as a reason shows it: as :func:`marketing_rules.errors.shown` does."""
    if kind == "boolean":
        return exp.Case().when(raw, _text("true"), copy=False).else_(_text("false"), copy=False)
    if kind == "float":  # NaN equals itself in DuckDB: told apart by x - x, which is NaN for it and the infinities
        infinity = exp.cast(_text("inf"), exp.DataType.build("DOUBLE"))
        return (exp.Case().when(_finite(raw), DoubleText(this=raw), copy=False)
                .when(exp.EQ(this=paren(raw), expression=infinity), _text("inf"), copy=False)
                .when(exp.EQ(this=paren(raw), expression=exp.Neg(this=infinity)), _text("-inf"), copy=False)
                .else_(_text("nan"), copy=False))
    if kind == "decimal":
        return DecimalText(this=raw)
    return raw if kind == "string" else exp.cast(raw, TEXT, copy=False)


def _integer(spec: FactSpec, raw: exp.Expression, kind: SourceKind) -> tuple[exp.Expression, exp.Expression]:
    number: exp.Expression
    if kind == "string":
        text = _trimmed(raw)
        number = exp.TryCast(this=text, to=WHOLE)
        bad = exp.Not(this=paren(_matches(text, rules.INTEGER_TEXT)))
        reason = _first((bad, rules.NOT_INTEGER), (_is_null(number), rules.INTEGER_RANGE),
                        (_beyond(number, False), rules.INTEGER_RANGE), *_bounds(spec, number))
    elif kind == "integer":
        number = raw
        reason = _first((_beyond(number, False), rules.INTEGER_RANGE), *_bounds(spec, number))
    elif kind in ("float", "decimal"):
        whole = exp.EQ(this=exp.Mod(this=paren(raw), expression=exp.Literal.number(1)), expression=exp.Literal.number(0))
        bad = exp.Not(this=paren(exp.And(this=_finite(raw), expression=whole) if kind == "float" else whole))
        # a whole decimal of any scale as DECIMAL(38, 0), so that 10^18 can be compared with it
        number = exp.Case().when(exp.Not(this=paren(bad)), raw if kind == "float" else exp.TryCast(this=raw, to=WHOLE), copy=False)
        reason = _first((bad, rules.NOT_INTEGER), (_beyond(number, False), rules.INTEGER_RANGE), *_bounds(spec, number))
    else:
        return typed_null(spec.as_type()), _first((exp.true(), rules.NOT_INTEGER))
    return _within(number, BIGINT, False), reason


def _decimal(spec: FactSpec, raw: exp.Expression, kind: SourceKind) -> tuple[exp.Expression, exp.Expression]:
    bad: tuple[exp.Expression, str]
    number: exp.Expression
    if kind == "string":
        text = _trimmed(raw)
        number = exp.TryCast(this=text, to=WIDE)
        bad = (exp.Not(this=paren(_matches(text, rules.NUMBER_TEXT))), rules.NOT_NUMBER)
    elif kind == "float":
        number = DoubleNumber(this=raw)  # the decimal it prints as (backends/sql_dialects.py)
        bad = (exp.Not(this=paren(_finite(raw))), rules.NOT_FINITE)
    elif kind in ("integer", "decimal"):
        number = exp.TryCast(this=raw, to=WIDE)
        bad = (exp.false(), "")
    else:
        return typed_null(spec.as_type()), _first((exp.true(), rules.NOT_NUMBER))
    reason = _first(bad, (_is_null(number), rules.NUMBER_RANGE), (_beyond(number, True), rules.NUMBER_RANGE),
                    *_bounds(spec, number))
    return _within(number, NUMBER, True), reason


def _boolean(raw: exp.Expression, kind: SourceKind) -> tuple[exp.Expression, exp.Expression | None]:
    if kind == "boolean":
        return raw, None
    if kind == "integer":
        valid = exp.In(this=paren(raw), expressions=[exp.Literal.number(0), exp.Literal.number(1)])
        value = exp.Case().when(valid, exp.EQ(this=paren(raw), expression=exp.Literal.number(1)), copy=False)
        return value, _first((exp.Not(this=paren(valid)), rules.NOT_BOOLEAN))
    if kind != "string":
        return exp.cast(exp.null(), BOOL), _first((exp.true(), rules.NOT_BOOLEAN))
    word = exp.Lower(this=_trimmed(raw))
    true = exp.In(this=word, expressions=[_text(w) for w in rules.TRUE_WORDS])
    false = exp.In(this=word, expressions=[_text(w) for w in rules.FALSE_WORDS])
    value = exp.Case().when(true, exp.true(), copy=False).when(false, exp.false(), copy=False)
    return value, _first((exp.Not(this=paren(exp.Or(this=true, expression=false))), rules.NOT_BOOLEAN))


def _text_fact(spec: FactSpec, raw: exp.Expression, kind: SourceKind) -> tuple[exp.Expression, exp.Expression | None]:
    if spec.name == "id":
        if kind not in ("integer", "string"):
            return exp.cast(exp.null(), TEXT), _first((exp.true(), rules.NOT_TEXT))
        text = exp.cast(raw, TEXT, copy=False) if kind == "integer" else raw
        return text, _first((exp.EQ(this=exp.Length(this=text), expression=exp.Literal.number(0)), rules.EMPTY))
    reason = rules.NOT_TEXT if spec.type == "string" else rules.one_of(spec.values)
    if kind != "string":
        return typed_null(spec.as_type()), _first((exp.true(), reason))
    if spec.type == "enum":
        valid = exp.In(this=paren(raw), expressions=[_text(v) for v in spec.values])
        return raw, _first((exp.Not(this=paren(valid)), reason))
    return raw, None


def validate_fact(spec: FactSpec, raw: exp.Expression, kind: SourceKind) -> ValidatedFact:
    """The typed value of one input column and the reason of a bad value."""
    reason: exp.Expression | None
    if spec.type == "integer":
        value, reason = _integer(spec, raw, kind)
    elif spec.type == "number":
        value, reason = _decimal(spec, raw, kind)
    elif spec.type == "boolean":
        value, reason = _boolean(raw, kind)
    elif spec.type in ("string", "enum"):
        value, reason = _text_fact(spec, raw, kind)
    else:
        value, reason = raw, None  # lists: taken as they come
    return ValidatedFact(spec.name, value, reason, shown(raw, kind))


def _message(fact: ValidatedFact, raw: exp.Expression) -> exp.Expression | None:
    """``field: reason (got value)`` of a bad cell, else null; an id that is null is required."""
    pieces: list[exp.Expression] = []
    if fact.reason is not None:
        got: exp.Expression = _text(f"{fact.name}: ")
        for piece in (fact.reason, _text(" (got "), fact.shown, _text(")")):
            got = exp.DPipe(this=got, expression=piece.copy(), safe=False)
        pieces.append(CellMessage(this=exp.Not(this=_is_null(raw)), expression=got, reason=fact.reason.copy()))
    if fact.name == "id":
        pieces.insert(0, exp.Case().when(_is_null(raw), _text(f"id: {rules.REQUIRED}"), copy=False))
    if not pieces:
        return None
    return pieces[0] if len(pieces) == 1 else exp.Coalesce(this=pieces[0], expressions=pieces[1:])


def error_text(facts: list[ValidatedFact], raw: Mapping[str, exp.Expression]) -> exp.Expression:
    """Every reason a row is rejected, joined by '; '; null if none."""
    pieces = [m for fact in facts if (m := _message(fact, raw[fact.name])) is not None]
    if not pieces:
        return exp.cast(exp.null(), TEXT, copy=False)
    joined = exp.ConcatWs(expressions=[_text("; "), *pieces], coalesce=True)
    return exp.Nullif(this=joined, expression=_text(""))


def validated(schema: FactSchema, wanted: set[str], source: Mapping[str, SourceKind] | None,
              column: Callable[..., exp.Expression] = exp.column) -> tuple[list[ValidatedFact], exp.Expression]:
    """The typed facts a program reads, and the error text of a row.

    ``source`` maps the input's column names to their kinds; None assumes every wanted fact is a
    column of its natural kind. Facts the program reads but the input lacks are null; every
    schema fact the input has is validated, read or not, as the per-customer engine does.
    """
    if source is None:
        source = {spec.name: natural_kind(spec) for spec in schema.facts if spec.name in wanted or spec.name == "id"}
    facts: list[ValidatedFact] = []
    checked: list[ValidatedFact] = []
    raws: dict[str, exp.Expression] = {}
    for spec in schema.facts:
        kind = source.get(spec.name)
        if kind is None:
            if spec.name == "id":
                missing = ValidatedFact("id", exp.cast(exp.null(), TEXT, copy=False), None, exp.null())
                checked.append(missing)
                raws["id"] = exp.null()
                facts.append(missing)
            elif spec.name in wanted:
                facts.append(ValidatedFact(spec.name, _null_of(spec), None, exp.null()))
            continue
        raw = column(spec.name, quoted=True)
        raws[spec.name] = raw
        fact = validate_fact(spec, raw, kind)
        checked.append(fact)
        if spec.name in wanted or spec.name == "id":
            facts.append(fact)
    return facts, error_text(checked, raws)


def _null_of(spec: FactSpec) -> exp.Expression:
    return exp.cast(exp.null(), NUMBER, copy=False) if spec.type == "number" else typed_null(spec.as_type())
