"""A ruleset after analysis: resolved, type-checked and ordered, ready for any backend.

Every backend (the Python code generator, the explainer, SQL, durable_rules) reads this one
representation; none of them looks at YAML again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Union

from marketing_rules.expressions import ast
from marketing_rules.expressions.types import Type
from marketing_rules.load.yaml_source import Path
from marketing_rules.model.schema import FactSchema, FactSpec


class HitPolicy(StrEnum):
    """How a decision table chooses among the rows that match (DMN)."""

    FIRST = "first"  # the first matching row
    UNIQUE = "unique"  # at most one row may match; two is an error on that customer
    PRIORITY = "priority"  # the matching row whose output ranks best
    COLLECT = "collect"  # every matching row, optionally aggregated


class Aggregate(StrEnum):
    """What a collect table makes of the outputs of its matching rows."""

    SUM = "sum"
    MIN = "min"
    MAX = "max"
    COUNT = "count"


class TriggerKind(StrEnum):
    SINGLE = "single"  # one event
    SEQUENCE = "sequence"  # followed_by: a second event within the window
    ABSENCE = "absence"  # not_followed_by: no second event within the window


@dataclass(frozen=True, slots=True)
class Expression:
    """A resolved expression with the text it was written as and where it stands."""

    node: ast.Expr
    text: str
    path: Path


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Cond, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Cond, ...]


@dataclass(frozen=True, slots=True)
class NotOf:
    item: Cond


Cond = Union[Expression, AllOf, AnyOf, NotOf]


def cond_to_ast(cond: Cond) -> ast.Expr:
    """The condition tree as one boolean expression."""
    match cond:
        case Expression(node=node):
            return node
        case AllOf(items=items):
            return ast.And((0, 0), tuple(cond_to_ast(c) for c in items))
        case AnyOf(items=items):
            return ast.Or((0, 0), tuple(cond_to_ast(c) for c in items))
        case NotOf(item=item):
            return ast.Not((0, 0), cond_to_ast(item))
    raise TypeError(cond)


@dataclass(frozen=True, slots=True)
class Term:
    """A requirement or reward of an offer: fixed parameters and parameters computed per customer."""

    kind: str
    fixed: Mapping[str, object]
    computed: tuple[tuple[str, Expression], ...] = ()


#: The parameter that is a reward's money face value, for the kinds that have one (campaign costs).
MONEY_FACE: Mapping[str, str] = MappingProxyType(
    {"bill_credit": "amount", "voucher": "amount", "goods": "value", "handset": "subsidy"})


@dataclass(frozen=True, slots=True)
class Budget:
    """At most ``takers`` contacted and at most ``cost`` yuan of rewards (None: no limit)."""

    takers: int | None
    cost: Decimal | int | None


@dataclass(frozen=True, slots=True)
class OfferCampaign:
    """What an offer declares for campaigns (docs/campaigns.md)."""

    holdout: float | None  # None: the campaign's share
    budget: Budget | None
    stacking: str  # stackable | exclusive


@dataclass(frozen=True, slots=True)
class CampaignSpec:
    """The ruleset's campaign section, resolved: a layer after deciding, read by ``campaign run``."""

    holdout: float  # 0 when none is declared
    budget: Budget | None
    score: Expression | None
    lock_in_months: int
    locked: Expression | None  # the facts show a running commitment
    channel: str


@dataclass(frozen=True, slots=True)
class OfferSpec:
    id: str
    title: str
    group: str | None
    code: str | None
    mode: str | None
    type: str | None
    requires: tuple[Term, ...]
    rewards: tuple[Term, ...]
    campaign: OfferCampaign | None = None  # hold-out, budget and stacking for campaigns

    @property
    def computed(self) -> tuple[Expression, ...]:
        """Every per-customer amount, requirements first, in order."""
        return tuple(e for term in (*self.requires, *self.rewards) for _, e in term.computed)


@dataclass(frozen=True, slots=True)
class Grant:
    service: str
    mode: str
    terms: Mapping[str, object]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    title: str
    index: int  # position among the file's rules and tables
    priority: int
    group: str | None
    when: Cond | None  # None: always
    sets: tuple[tuple[str, Expression], ...]
    tags: tuple[str, ...]
    offer: OfferSpec | None
    grants: tuple[Grant, ...]
    award: Expression | None
    path: Path

    @property
    def writes(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.sets)

    @property
    def reads(self) -> frozenset[str]:
        exprs: list[ast.Expr] = [cond_to_ast(self.when)] if self.when is not None else []
        exprs += [e.node for _, e in self.sets]
        exprs += [e.node for e in (self.offer.computed if self.offer else ())]
        exprs += [self.award.node] if self.award else []
        return frozenset().union(*(ast.facts_read(e) for e in exprs)) if exprs else frozenset()


@dataclass(frozen=True, slots=True)
class Row:
    number: int  # 1-based
    tests: tuple[ast.Expr | None, ...]  # one per input; None is '-'
    cells: tuple[str, ...]  # the input cells as written
    outputs: tuple[Expression, ...]

    def condition(self) -> ast.Expr:
        tests = tuple(t for t in self.tests if t is not None)
        if not tests:
            return ast.Literal((0, 0), True)
        return tests[0] if len(tests) == 1 else ast.And((0, 0), tests)


@dataclass(frozen=True, slots=True)
class Table:
    id: str
    title: str
    index: int
    priority: int
    hit: HitPolicy
    aggregate: Aggregate | None
    inputs: tuple[Expression, ...]
    outputs: tuple[str, ...]
    rows: tuple[Row, ...]
    ranks: tuple[int, ...]  # priority hit policy: each row's output rank (lower wins)
    path: Path

    @property
    def writes(self) -> frozenset[str]:
        return frozenset(self.outputs)

    @property
    def reads(self) -> frozenset[str]:
        nodes = [e.node for e in self.inputs] + [row.condition() for row in self.rows]
        nodes += [o.node for row in self.rows for o in row.outputs]
        return frozenset().union(*(ast.facts_read(n) for n in nodes))

    def row_id(self, row: Row) -> str:
        return f"{self.id}#{row.number}"


Unit = Union[Rule, Table]


@dataclass(frozen=True, slots=True)
class ServiceAccess:
    """How one service is available to a customer: the modes, and the terms of each."""

    modes: tuple[str, ...]
    terms: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def __contains__(self, mode: object) -> bool:
        return mode in self.modes

    def as_dict(self) -> dict[str, object]:
        return {"modes": list(self.modes), **dict(self.terms)}


@dataclass(frozen=True, slots=True)
class Access:
    """The access matrix: per value of ``by``, every service available and how."""

    by: str
    table: Mapping[str, Mapping[str, ServiceAccess]]


@dataclass(frozen=True, slots=True)
class Checks:
    """The ruleset's declared consistency requirements, resolved."""

    coverage_among: Expression | None  # None with coverage: every customer
    coverage: bool
    exclusive: tuple[str, ...]
    monotonic_fact: str | None
    monotonic_order: tuple[str, ...]


@dataclass(frozen=True)
class Program:
    """A ruleset ready to run: units in agenda order, and everything the decision needs."""

    ruleset: str
    version: str
    schema: FactSchema
    derived: dict[str, Type]  # derived facts and their types, in declaration order
    defaults: dict[str, object]
    fact_types: dict[str, Type]  # inputs and derived
    units: tuple[Unit, ...]  # agenda order
    services: Mapping[str, Mapping[str, object]]
    access: Access | None
    constants: Mapping[str, object]
    checks: Checks | None = None
    events: EventParts | None = None  # event types, points and triggers (SPEC section 7)
    campaign: CampaignSpec | None = None  # the campaign section (docs/campaigns.md)

    def unit(self, unit_id: str) -> Unit | None:
        return next((u for u in self.units if u.id == unit_id), None)

    @property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(u for u in self.units if isinstance(u, Rule))

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(u for u in self.units if isinstance(u, Table))


# -- the event-driven parts (SPEC section 7), resolved by analysis/events.py --------------------------
@dataclass(frozen=True, slots=True)
class EventSpec:
    """An event type and its typed attributes."""

    name: str
    title: str
    attributes: tuple[FactSpec, ...]
    required: tuple[str, ...]

    def types(self) -> dict[str, Type]:
        return {a.name: a.as_type() for a in self.attributes}


@dataclass(frozen=True, slots=True)
class StateSpec:
    """A state reached at the first event of ``event`` meeting ``when`` (kept from then on)."""

    name: str
    title: str
    event: str
    when: ast.Expr | None


@dataclass(frozen=True, slots=True)
class PointsRuleSpec:
    id: str
    title: str
    event: str
    when: ast.Expr | None
    when_text: str
    points: Expression
    per: str | None
    once: bool
    skip: int
    cap: tuple[Decimal | int, str] | None  # (points, period)
    state: str | None
    credit: str | None
    path: Path
    until: str | None = None  # only events before this state count


@dataclass(frozen=True, slots=True)
class MultiplierSpec:
    id: str
    title: str
    events: tuple[str, ...] | None  # None: every event type
    state: str | None
    when: ast.Expr | None
    factor: Decimal | int


@dataclass(frozen=True, slots=True)
class PointsSpec:
    title: str
    unit: str
    states: tuple[StateSpec, ...]
    rules: tuple[PointsRuleSpec, ...]
    multipliers: tuple[MultiplierSpec, ...]

    @property
    def event_types(self) -> frozenset[str]:
        """Every event type accrual reads: earning, crediting, and reaching states."""
        return frozenset({r.event for r in self.rules} | {r.credit for r in self.rules if r.credit}
                         | {s.event for s in self.states})


@dataclass(frozen=True, slots=True)
class FollowSpec:
    """The second step of a trigger: the event that must (or must not) follow within the window."""

    event: str
    within: int  # microseconds
    within_text: str
    when: ast.Expr | None


@dataclass(frozen=True, slots=True)
class TriggerSpec:
    id: str
    title: str
    kind: TriggerKind
    event: str
    when: ast.Expr | None
    bind: tuple[tuple[str, str], ...]  # (name, attribute of the first event)
    follow: FollowSpec | None
    offer: str
    offer_title: str
    channel: str
    path: Path


@dataclass(frozen=True)
class EventParts:
    """The event-driven parts of a ruleset, resolved."""

    events: Mapping[str, EventSpec]
    points: PointsSpec | None
    triggers: tuple[TriggerSpec, ...]
    customer: Mapping[str, Type]  # the customer facts conditions may read (inputs and derived)

    def customer_names(self, nodes: Iterable[ast.Expr | None]) -> frozenset[str]:
        """The customer facts that these conditions read."""
        names: set[str] = set()
        for node in nodes:
            if node is not None:
                names |= {n for n in ast.facts_read(node) if n in self.customer}
        return frozenset(names)
