"""Fact validation in SQL: each input column checked against the fact schema inside the engine.

For every fact of the schema that the input has, the query computes the fact's typed value and
the reasons it is not valid (``arpu: must be >= 0 (got -5.0)``), and joins the reasons of a row
into one ``error`` text, or null. The checks follow the per-customer engine's pydantic validation,
lax mode included: numbers may arrive as text (``" 12.5 "``), a whole float is a valid integer,
booleans may be written ``yes``/``no``/``1``/``0``. What a source column holds is known from its
type (``SourceKind``); ``to_sql`` without a source assumes each column already has its fact's type.

Two checks are the SQL backends' own: a number must be finite and below 10^18 in magnitude (exact
decimal arithmetic has 18 digits before the point), and an ``id`` of an integer column is read as
its digits, so that customer numbers stored as BIGINT are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from sqlglot import exp

from marketing_rules.backends.sql_expressions import BIGINT, BOOL, DOUBLE, TEXT, paren, sql_type, typed_null
from marketing_rules.model.schema import LIMIT, FactSchema, FactSpec

SourceKind = Literal["integer", "float", "string", "boolean", "other"]
TRUE_WORDS = ("1", "on", "t", "true", "y", "yes")
FALSE_WORDS = ("0", "off", "f", "false", "n", "no")


@dataclass(frozen=True)
class ValidatedFact:
    """One fact after validation: its typed value, and (condition, reason) pairs for bad values."""

    name: str
    value: exp.Expression
    problems: tuple[tuple[exp.Expression, str], ...]


def natural_kind(spec: FactSpec) -> SourceKind:
    """The column kind a fact has when its table was built for it."""
    return {"integer": "integer", "number": "float", "boolean": "boolean"}.get(spec.type, "string")  # type: ignore[return-value]


def _is_null(value: exp.Expression) -> exp.Expression:
    return exp.Is(this=paren(value), expression=exp.null())


def _not_null(value: exp.Expression) -> exp.Expression:
    return exp.Not(this=_is_null(value))


def _try_cast(value: exp.Expression, to: exp.DataType) -> exp.Expression:
    return exp.TryCast(this=value, to=to)


def _finite(number: exp.Expression) -> exp.Expression:
    """Outside +-10^18, NaN or infinite: NaN sorts above every number in the target dialects."""
    bound = exp.Literal.number(f"{LIMIT}.0")
    return exp.Not(this=exp.Between(this=paren(number), low=exp.Neg(this=bound), high=bound))


def _number_problems(spec: FactSpec, raw: exp.Expression, number: exp.Expression, kind: SourceKind,
                     integer: bool) -> list[tuple[exp.Expression, str]]:
    problems: list[tuple[exp.Expression, str]] = []
    if kind == "string":
        problems.append((exp.and_(_not_null(raw), _is_null(number), copy=False), "is not a number"))
    present = _not_null(number)
    problems.append((exp.and_(present, _finite(number), copy=False), "is not a finite number below 10^18"))
    if integer and kind != "integer":
        whole = exp.EQ(this=paren(number), expression=exp.Floor(this=number))
        problems.append((exp.and_(present, exp.Not(this=paren(whole)), copy=False), "is not a whole number"))
    if spec.ge is not None:
        problems.append((exp.LT(this=paren(number), expression=_bound(spec.ge)), f"must be >= {_text(spec.ge)}"))
    if spec.le is not None:
        problems.append((exp.GT(this=paren(number), expression=_bound(spec.le)), f"must be <= {_text(spec.le)}"))
    return problems


def _bound(value: float) -> exp.Expression:
    return exp.Literal.number(_text(value))


def _text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _numeric(spec: FactSpec, raw: exp.Expression, kind: SourceKind) -> ValidatedFact:
    integer = spec.type == "integer"
    if kind == "string":
        number = _try_cast(exp.Trim(this=raw), DOUBLE)
    elif kind == "boolean":
        number = exp.cast(exp.cast(raw, exp.DataType.build("INT"), copy=False), DOUBLE, copy=False)
    elif kind in ("integer", "float"):
        number = raw
    else:
        return _wrong_kind(spec, raw, "is not a number")
    problems = _number_problems(spec, raw, number, kind, integer)
    if integer:
        value = raw if kind == "integer" else _try_cast(_guarded(number), BIGINT)
    else:
        value = exp.cast(raw, DOUBLE, copy=False) if kind != "string" else number
        if kind != "integer":  # a value that is not finite is null for the rest of the query, never an error
            value = exp.Case(ifs=[exp.If(this=exp.Not(this=_finite(number)), true=value)])
    return ValidatedFact(spec.name, value, tuple(problems))


def _guarded(number: exp.Expression) -> exp.Expression:
    """A number that can be cast to BIGINT without error (others become null, and are reported)."""
    limit = exp.Literal.number(f"{LIMIT}.0")
    safe = exp.and_(exp.GT(this=paren(number), expression=exp.Neg(this=limit)), exp.LT(this=paren(number), expression=limit), copy=False)
    return exp.Case().when(safe, number, copy=False)


def _boolean(spec: FactSpec, raw: exp.Expression, kind: SourceKind) -> ValidatedFact:
    if kind == "boolean":
        return ValidatedFact(spec.name, raw, ())
    if kind in ("integer", "float"):
        valid = exp.In(this=paren(raw), expressions=[exp.Literal.number(0), exp.Literal.number(1)])
        value = exp.Case().when(valid, exp.NEQ(this=paren(raw), expression=exp.Literal.number(0)), copy=False)
        return ValidatedFact(spec.name, value, ((exp.Not(this=paren(valid)), "is not true or false"),))
    word = exp.Lower(this=exp.Trim(this=exp.cast(raw, TEXT, copy=False)))
    true = exp.In(this=word, expressions=[exp.Literal.string(w) for w in TRUE_WORDS])
    false = exp.In(this=word, expressions=[exp.Literal.string(w) for w in FALSE_WORDS])
    value = exp.Case().when(true, exp.true(), copy=False).when(false, exp.false(), copy=False).else_(exp.cast(exp.null(), BOOL, copy=False), copy=False)
    bad = exp.and_(_not_null(raw), exp.Not(this=paren(exp.or_(true, false, copy=False))), copy=False)
    return ValidatedFact(spec.name, value, ((bad, "is not true or false"),))


def _text_fact(spec: FactSpec, raw: exp.Expression, kind: SourceKind) -> ValidatedFact:
    if spec.name == "id":
        text = exp.cast(raw, TEXT, copy=False) if kind in ("integer", "string") else raw
        problems: list[tuple[exp.Expression, str]] = [(_is_null(raw), "is required")]
        if kind in ("integer", "string"):
            problems.append((exp.EQ(this=exp.Length(this=text), expression=exp.Literal.number(0)), "must not be empty"))
        else:
            problems.append((_not_null(raw), "is not text"))
        return ValidatedFact(spec.name, text, tuple(problems))
    if kind != "string":
        reason = "is not text" if spec.type == "string" else f"must be one of {', '.join(spec.values)}"
        return _wrong_kind(spec, raw, reason)
    if spec.type == "enum":
        valid = exp.In(this=paren(raw), expressions=[exp.Literal.string(v) for v in spec.values])
        return ValidatedFact(spec.name, raw, ((exp.Not(this=paren(valid)), f"must be one of {', '.join(spec.values)}"),))
    return ValidatedFact(spec.name, raw, ())


def _wrong_kind(spec: FactSpec, raw: exp.Expression, reason: str) -> ValidatedFact:
    return ValidatedFact(spec.name, exp.cast(exp.null(), sql_type(spec.as_type()), copy=False), ((_not_null(raw), reason),))


def validate_fact(spec: FactSpec, raw: exp.Expression, kind: SourceKind) -> ValidatedFact:
    """The typed value of one input column and the checks of its values."""
    if spec.type in ("integer", "number"):
        return _numeric(spec, raw, kind)
    if spec.type == "boolean":
        return _boolean(spec, raw, kind)
    if spec.type in ("string", "enum"):
        return _text_fact(spec, raw, kind)
    return ValidatedFact(spec.name, raw, ())  # lists: taken as they come


def error_text(facts: list[ValidatedFact], raw: Mapping[str, exp.Expression]) -> exp.Expression:
    """Every reason a row is rejected, ``field: reason (got value)``, joined by '; '; null if none."""
    pieces: list[exp.Expression] = []
    for fact in facts:
        for condition, reason in fact.problems:
            got = raw[fact.name]
            message: exp.Expression = exp.Literal.string(f"{fact.name}: {reason}")
            if reason != "is required":
                message = exp.Concat(expressions=[message, exp.Literal.string(" (got "), exp.cast(got, TEXT, copy=False),
                                                  exp.Literal.string(")")], safe=True, coalesce=True)
            pieces.append(exp.Case().when(condition, message, copy=False))
    if not pieces:
        return exp.cast(exp.null(), TEXT, copy=False)
    joined = exp.ConcatWs(expressions=[exp.Literal.string("; "), *pieces], coalesce=True)
    return exp.Nullif(this=joined, expression=exp.Literal.string(""))


def validated(schema: FactSchema, wanted: set[str], source: Mapping[str, SourceKind] | None,
              column=exp.column) -> tuple[list[ValidatedFact], exp.Expression]:
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
                missing = ValidatedFact("id", exp.cast(exp.null(), TEXT, copy=False), ((exp.true(), "is required"),))
                checked.append(missing)
                raws["id"] = exp.null()
                facts.append(missing)
            elif spec.name in wanted:
                facts.append(ValidatedFact(spec.name, typed_null(spec.as_type()), ()))
            continue
        raw = column(spec.name, quoted=True)
        raws[spec.name] = raw
        fact = validate_fact(spec, raw, kind)
        checked.append(fact)
        if spec.name in wanted or spec.name == "id":
            facts.append(fact)
    return facts, error_text(checked, raws)
