"""Fact schemas: the typed input facts a ruleset reads, validated with pydantic.

The built-in ``telecom-customer`` schema holds every name of SPEC section 3. A ruleset adds
fields of its own under ``inputs:`` (or in a schema file that ``extends`` a built-in one).
Only ``id`` is required; any other fact may be absent or null.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Annotated, Any, NotRequired

from pydantic import PlainValidator, TypeAdapter, ValidationError, WithJsonSchema
from typing_extensions import TypedDict

from marketing_rules.errors import FactsError
from marketing_rules.expressions import types as t
from marketing_rules.model import input_rules as rules

FACT_TYPES = ("integer", "number", "string", "boolean", "enum", "list")


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One fact: its type, allowed values or range, and what it means."""

    name: str
    type: str
    values: tuple[str, ...] = ()
    ge: float | None = None
    le: float | None = None
    title: str = ""

    def as_type(self) -> t.Type:
        if self.type == "enum":
            return t.enum(self.values, self.name)
        if self.type == "list":
            return t.list_of(None)
        return t.Type(t.TypeKind(self.type))


def _spec(name: str, kind: str, title: str, *, values: tuple[str, ...] = (), ge: float | None = None,
          le: float | None = None) -> FactSpec:
    return FactSpec(name, kind, values, ge, le, title)


TELECOM_CUSTOMER: tuple[FactSpec, ...] = (
    _spec("id", "string", "customer number"),
    _spec("arpu", "number", "spend this month (yuan)", ge=0),
    _spec("arpu_prev", "number", "spend last month (yuan)", ge=0),
    _spec("arpu_3m", "number", "3-month average spend (yuan)", ge=0),
    _spec("voice_min", "integer", "billed voice minutes this month", ge=0),
    _spec("voice_min_prev", "integer", "billed voice minutes last month", ge=0),
    _spec("data_mb", "number", "data this month (MB)", ge=0),
    _spec("data_mb_prev", "number", "data last month (MB)", ge=0),
    _spec("sms", "integer", "SMS sent this month", ge=0),
    _spec("tenure_months", "integer", "months in network", ge=0),
    _spec("package", "string", "current package id"),
    _spec("package_fee", "number", "current package's monthly fee (yuan)", ge=0),
    _spec("card", "enum", "VIP card held", values=("none", "silver", "gold", "diamond")),
    _spec("brand", "enum", "brand: 全球通, 动感地带, 神州行", values=("gotone", "mzone", "easyown")),
    _spec("segment", "enum", "market segment", values=("general", "migrant", "enterprise", "campus")),
    _spec("bundle", "enum", "bundling state", values=("none", "soft", "hard")),
    _spec("terminal", "enum", "handset generation", values=("2g", "3g", "4g", "5g")),
    _spec("vas_types", "integer", "value-added service kinds used", ge=0),
    _spec("vas_subscriptions", "integer", "value-added service subscriptions held", ge=0),
    _spec("vas_arpu", "number", "subscription-VAS spend (yuan)", ge=0),
    _spec("uses_data", "boolean", "any data traffic this month"),
    _spec("uses_mms", "boolean", "any MMS this month"),
    _spec("status", "enum", "account state", values=("active", "suspended", "pre_cancel")),
    _spec("balance", "number", "prepaid balance (yuan)"),
    _spec("birthday_month", "integer", "birthday month", ge=1, le=12),
    _spec("club_level", "enum", "experience-club membership", values=("none", "ordinary", "platinum", "diamond")),
)

BUILTIN_SCHEMAS: dict[str, tuple[FactSpec, ...]] = {"telecom-customer": TELECOM_CUSTOMER}


@dataclass(frozen=True)
class FactSchema:
    """A named set of input facts, with a pydantic validator built from it."""

    name: str
    facts: tuple[FactSpec, ...]

    @cached_property
    def _by_name(self) -> dict[str, FactSpec]:
        return {f.name: f for f in self.facts}

    @cached_property
    def _validate(self) -> Callable[[Any], dict[str, Any]]:
        return _adapter(self.facts).validate_python

    @cached_property
    def _already_valid(self) -> Callable[[Any], dict[str, Any] | None]:
        return _identity_check(self.facts)

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> FactSpec:
        return self._by_name[name]

    def types(self) -> dict[str, t.Type]:
        return {f.name: f.as_type() for f in self.facts}

    def validate(self, customer: Mapping[str, Any]) -> dict[str, Any]:
        """The customer's facts, checked and converted; raises :class:`FactsError`."""
        copy = self._already_valid(customer)
        if copy is not None:
            return copy
        try:
            return self._validate(customer)
        except ValidationError as error:
            raise FactsError([_fact_error(e) for e in error.errors()]) from None

    def json_schema(self) -> dict[str, Any]:
        return _adapter(self.facts).json_schema()


def _identity_check(facts: tuple[FactSpec, ...]) -> Callable[[Any], dict[str, Any] | None]:
    """A generated shortcut for the common case: every value already has exactly the type and range
    pydantic would give it, so pydantic's answer would be the input unchanged. It returns a copy of
    such a customer (without the keys that are not facts, which pydantic drops) and None for anything
    else (a conversion to make, an error to explain), which then goes through pydantic, the validator
    of record."""
    env: dict[str, Any] = {"KNOWN": frozenset(f.name for f in facts)}
    lines = ["def already_valid(c):", "    if c.__class__ is not dict:", "        return None",
             "    if not KNOWN.issuperset(c):", "        c = {k: v for k, v in c.items() if k in KNOWN}"]
    for spec in facts:
        lines.append(f"    v = c.get({spec.name!r})")
        if spec.name == "id":
            lines += ["    if v.__class__ is not str or not v:", "        return None"]
            continue
        lines += [f"    if v is not None and ({exact_value_test(spec, 'v', env)}):", "        return None"]
    lines.append("    return dict(c)")
    exec(compile("\n".join(lines), "<fact shortcut>", "exec"), env)
    check: Callable[[Any], dict[str, Any] | None] = env["already_valid"]
    return check


#: Integers are within +-10^18 and numbers below 10^18 in magnitude: exact decimal arithmetic has 18
#: digits before the point, in the Python engine and in SQL alike, so every backend rejects the same values.
LIMIT = 10**18


def exact_value_test(spec: FactSpec, var: str, env: dict[str, Any]) -> str:
    """A Python test that is true when the value of ``var`` is NOT already exactly valid (None included:
    each test starts with the value's class). Constants it needs are added to ``env``.

    A float of a number fact passes when it is in range: its digits beyond the tenth place (rare, and
    costly to look for on this path) are left to the arithmetic that reads it."""
    if spec.type in ("number", "integer"):
        # one chained comparison: out of range, or beyond 10^18, or (for floats) NaN or infinite
        kind = float if spec.type == "number" else int
        ge, le = (b if kind(b) != b else kind(b) for b in _range(spec))  # bounds of the value's type: faster
        if spec.type == "number" and le == LIMIT:
            le = _BELOW_LIMIT  # numbers stay below 10^18
        return f"{var}.__class__ is not {kind.__name__} or not ({ge!r} <= {var} <= {le!r})"
    if spec.type == "boolean":
        return f"{var}.__class__ is not bool"
    if spec.type == "string":
        return f"{var}.__class__ is not str"
    if spec.type == "enum":
        env[f"_E_{spec.name}"] = frozenset(spec.values)
        return f"{var}.__class__ is not str or {var} not in _E_{spec.name}"
    return "True"  # lists and anything else: let pydantic decide


_BELOW_LIMIT = math.nextafter(float(LIMIT), 0.0)


def _range(spec: FactSpec) -> tuple[float, float]:
    """The smallest and largest valid value of a number or integer fact."""
    return (max(spec.ge, -LIMIT) if spec.ge is not None else -LIMIT,
            min(spec.le, LIMIT) if spec.le is not None else LIMIT)


def _annotation(spec: FactSpec) -> Any:
    schema: dict[str, Any] = {"description": spec.title} if spec.title else {}
    if spec.name == "id":
        return Annotated[str, PlainValidator(rules.read_id, json_schema_input_type=str),
                         WithJsonSchema({"type": "string", "minLength": 1, **schema})]
    read = rules.reader(spec)
    types: dict[str, dict[str, Any]] = {"integer": {"type": "integer"}, "number": {"type": "number"},
                                        "string": {"type": "string"}, "boolean": {"type": "boolean"},
                                        "list": {"type": "array"}, "enum": {"enum": list(spec.values)}}
    base = types[spec.type]
    for key, bound in (("minimum", spec.ge), ("maximum", spec.le)):
        if bound is not None:
            base[key] = bound
    nullable = {"anyOf": [base, {"type": "null"}], **schema}
    if read is None:  # lists: taken as they come
        return NotRequired[Annotated[list | None, WithJsonSchema(nullable)]]
    return NotRequired[Annotated[Any, PlainValidator(read), WithJsonSchema(nullable)]]


@cache
def _adapter(facts: tuple[FactSpec, ...]) -> TypeAdapter[Any]:
    annotations = {f.name: _annotation(f) for f in facts}
    customer = TypedDict("Customer", annotations)  # type: ignore[misc]
    return TypeAdapter(customer)


def _fact_error(error: Mapping[str, Any]) -> dict[str, Any]:
    loc = error.get("loc", ())
    field = next((str(p) for p in loc if isinstance(p, str)), "") or "(customer)"
    message = str(error.get("msg", "invalid"))
    value = error.get("input")
    if error.get("type") == "missing":
        message, value = rules.REQUIRED, None  # pydantic passes the whole customer as the input
    elif error.get("type") == "list_type":
        message = rules.NOT_LIST
    return {"field": field, "value": value, "message": message}


def builtin_schema(name: str) -> FactSchema | None:
    facts = BUILTIN_SCHEMAS.get(name)
    return FactSchema(name, facts) if facts is not None else None
