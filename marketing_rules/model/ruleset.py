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

    @field_validator("version", mode="before")
    @classmethod
    def _version_text(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError(f"version {value} was read as a number; write MAJOR.MINOR.PATCH, e.g. '{value}.0'")
        return value
