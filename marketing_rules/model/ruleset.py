"""The rule file format as pydantic models (SPEC section 3).

These models check the file's shape: which keys exist, which are required, the type of each
value. Expressions stay text here; ``analysis.resolve`` parses and type-checks them with the
positions kept by the YAML loader. ``marketing-rules schema`` publishes these models as JSON
Schema, so the titles and descriptions below are what an editor shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9-]*$"
NAME_PATTERN = r"^[a-z_][a-z0-9_]*$"
VERSION_PATTERN = r"^\d+\.\d+\.\d+$"

Scalar = str | int | float | bool | None
Condition = str | bool | int | float | dict[str, Any] | list[Any]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Effective(_Part):
    """The dates between which a version is in force; ``until`` is exclusive and optional."""

    from_: dt.date = Field(alias="from", description="first day in force")
    until: dt.date | None = Field(None, description="first day no longer in force (exclusive)")

    @model_validator(mode="after")
    def _ordered(self) -> Effective:
        if self.until is not None and self.until <= self.from_:
            raise ValueError(f"the window ends ({self.until}) before it starts ({self.from_})")
        return self


class FactDecl(_Part):
    """A fact the ruleset derives or adds to its inputs."""

    type: Literal["integer", "number", "string", "boolean", "enum", "list"]
    values: list[str] | None = Field(None, description="the allowed values of an enum, highest priority first")
    default: Scalar = Field(None, description="the value when no rule sets the fact")
    ge: float | None = Field(None, description="smallest allowed value (inputs)")
    le: float | None = Field(None, description="largest allowed value (inputs)")
    title: str = ""


class Package(_Part):
    """A package of the operator's catalogue, which `upgrade` requirements refer to."""

    fee: float = Field(ge=0, description="monthly fee in yuan")
    title: str = ""


class Table(_Part):
    """A decision table; sugar for rules, with a DMN hit policy."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = ""
    hit: Literal["first", "unique", "priority", "collect"] = Field(
        "first", description="first: the first matching row; unique: at most one row may match; "
        "priority: the matching row whose output comes first in the output fact's values; collect: every match")
    aggregate: Literal["sum", "min", "max", "count"] | None = Field(None, description="with hit: collect")
    priority: int = 0
    inputs: list[str] = Field(min_length=1, description="expressions whose values the input cells test")
    outputs: list[str] = Field(min_length=1, description="the facts the table sets")
    rows: list[list[Scalar | list[Scalar]]] = Field(min_length=1, description="input cells then output cells")

    @field_validator("inputs", mode="before")
    @classmethod
    def _inputs_as_text(cls, value: Any) -> Any:
        return [str(v) if isinstance(v, (int, float)) else v for v in value] if isinstance(value, list) else value


class Then(_Part):
    """The effects of a rule that fires."""

    set: dict[str, Scalar | list[Scalar]] | None = Field(None, description="derived facts: fact -> expression")
    tag: str | list[str] | None = Field(None, description="tags given to the customer")
    offer: dict[str, Any] | None = Field(None, description="an offer: requires, rewards, code, mode")
    grant: str | dict[str, Any] | list[str | dict[str, Any]] | None = Field(
        None, description="services granted: an id, or {service, mode, terms}")
    award: int | float | str | dict[str, Any] | None = Field(None, description="points awarded")


class Rule(_Part):
    """A rule: when its condition is true it fires, once, and its effects apply."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = ""
    description: str = ""
    priority: int = Field(0, description="higher fires first among rules that are ready; ties keep file order")
    group: str | None = Field(None, description="at most one rule of a group fires per customer")
    when: Condition = Field(True, description="an expression, or a tree of all:/any:/not:")
    then: Then


class Service(_Part):
    """A club service of one of the three classes."""

    class_: Literal["restricted", "semi-open", "open"] = Field(alias="class")
    title: str = ""
    price: float | None = Field(None, ge=0, description="price in yuan under the paid mode")
    prestore: float | None = Field(None, ge=0, description="prestore in yuan under the prestore mode")
    trial_days: int | None = Field(None, ge=1, description="length of a free trial")


class Coverage(_Part):
    """Every customer matching ``among`` must receive at least one offer."""

    offers: bool = True
    among: str | None = Field(None, description="a condition: the customers the coverage check is about")


class Monotonic(_Part):
    """Along ``order`` (lowest first), a higher value never loses a service or mode a lower one has."""

    fact: str
    order: list[str] = Field(min_length=2)
    over: Literal["access"] = "access"


class Checks(_Part):
    """Consistency requirements that ``marketing-rules check`` proves or refutes with a witness."""

    coverage: Coverage | None = None
    exclusive: list[str] = Field(default_factory=list, description="groups whose offers must not overlap")
    monotonic: Monotonic | None = None


# -- events (SPEC section 7) ---------------------------------------------------------------------
class Attribute(_Part):
    """An attribute of an event type, beside its ``type`` and ``at``."""

    type: Literal["integer", "number", "string", "boolean", "enum"]
    values: list[str] | None = Field(None, description="the allowed values of an enum")
    ge: float | None = Field(None, description="smallest allowed value")
    le: float | None = Field(None, description="largest allowed value")
    required: bool = Field(False, description="an event without this attribute is rejected")
    title: str = ""


class EventType(_Part):
    """An event type the ruleset reads: its attributes, typed, for conditions over events."""

    title: str = ""
    attributes: dict[str, Attribute] = Field(default_factory=dict)


class PointsState(_Part):
    """A state a customer reaches at an event and keeps (a senior member after converting)."""

    event: str = Field(description="the event type that reaches the state")
    when: Condition = Field(True, description="a condition over the event and the customer")
    title: str = ""


class Cap(_Part):
    """At most ``points`` from one earning rule per calendar ``period`` (by the events' ``at``)."""

    points: float = Field(gt=0)
    period: Literal["day", "week", "month", "year"]


class PointsRule(_Part):
    """An earning rule: events of one type that meet ``when`` earn ``points`` (times the multipliers)."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = ""
    event: str = Field(description="the event type that earns")
    when: Condition = Field(True, description="a condition over the event's attributes and the customer")
    points: int | float | str = Field(description="base points: a number or an expression")
    per: str | None = Field(None, description="an attribute: skip, once and cap count per value of it")
    once: bool = Field(False, description="earn at most once (per value of `per`)")
    skip: int = Field(0, ge=0, description="the first N matching events earn nothing")
    cap: Cap | None = None
    state: str | None = Field(None, description="only events after the customer reached this state count")
    until: str | None = Field(None, description="only events before the customer reached this state count")
    credit: str | None = Field(None, description="an event type: the points stay pending until the next one")


class Multiplier(_Part):
    """A factor on earned points; the factors of every multiplier that applies are multiplied."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = ""
    events: list[str] | None = Field(None, description="the event types it applies to (default: all)")
    state: str | None = Field(None, description="applies only once the customer reached this state")
    when: Condition = Field(True, description="a condition over the customer (and the attributes its events share)")
    factor: float = Field(gt=0)


class Points(_Part):
    """Points (the club's gold coins) accrued from a customer's events."""

    title: str = ""
    unit: str = Field("points", description="what the points are called in statements, e.g. coins")
    states: dict[str, PointsState] = Field(default_factory=dict)
    rules: list[PointsRule] = Field(min_length=1)
    multipliers: list[Multiplier] = Field(default_factory=list)


class FollowedBy(_Part):
    """The second event of a trigger: it must come (followed_by) or not come (not_followed_by) in time."""

    event: str
    within: str | int = Field(description="a window after the first event: '30 days', '12 hours' (a number: days)")
    when: Condition = Field(True, description="a condition over this event, the names bound from the first, the customer")


class Recommend(_Part):
    """What a trigger recommends: an offer of the ruleset, on a channel."""

    offer: str = Field(description="the id of a rule of this file that makes an offer")
    channel: Literal["outbound_call", "sms", "business_hall", "social"]


class Trigger(_Part):
    """An event-triggered offer: one event, two in sequence, or one event not followed by another."""

    id: str = Field(pattern=ID_PATTERN)
    title: str = ""
    description: str = ""
    event: str = Field(description="the (first) event type")
    when: Condition = Field(True, description="a condition over the event and the customer")
    bind: dict[str, str] = Field(default_factory=dict,
                                 description="name -> attribute of the first event, for the second's condition")
    followed_by: FollowedBy | None = None
    not_followed_by: FollowedBy | None = None
    recommend: Recommend


class RulesetFile(_Part):
    """One version of a ruleset: ``rulesets/<ruleset>/<version>.yaml``."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True,
                              title="marketing_rules rule file")

    ruleset: str = Field(pattern=ID_PATTERN, description="id: lowercase letters, digits, dashes")
    version: str = Field(pattern=VERSION_PATTERN, description="MAJOR.MINOR.PATCH")
    effective: Effective | None = None
    title: str = ""
    description: str = ""
    schema_: str = Field("telecom-customer", alias="schema", description="built-in fact schema")
    inputs: dict[str, FactDecl] = Field(default_factory=dict, description="input facts added to the schema")
    facts: dict[str, FactDecl] = Field(default_factory=dict, description="facts this ruleset derives")
    constants: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)
    packages: dict[str, Package] = Field(default_factory=dict)
    tables: list[Table] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    services: dict[str, Service] = Field(default_factory=dict)
    access: dict[str, Any] | None = Field(None, description="by: a fact; then per value, class -> modes")
    checks: Checks | None = Field(None, description="consistency requirements (marketing-rules check)")
    events: dict[str, EventType] = Field(default_factory=dict, description="event types, with typed attributes")
    points: Points | None = Field(None, description="points accrued from events (gold coins)")
    triggers: list[Trigger] = Field(default_factory=list, description="event-triggered offers")

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError(f"version {value} was read as a number; write MAJOR.MINOR.PATCH, e.g. '{value}.0'")
        return value
