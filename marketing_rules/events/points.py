"""Points accrual (SPEC section 7): a customer's events in, a statement an agent can read out.

The semantics, in the order they apply to each event (events are taken in time order; events
with the same ``at`` keep the order given):

1. Crediting: points held by rules with ``credit: <type>`` become credited at the next event of
   that type (the experience club credits trial coins when the incubation period ends).
2. Earning: every points rule of the event's type whose ``state`` (if any) the customer reached
   at an earlier event, whose ``until`` state (if any) it has not, and whose ``when`` is true counts the event, per value of ``per``. The
   first ``skip`` counted events earn nothing; with ``once`` only the first earning one does.
   The base points (an expression) times the factor (the product of every multiplier that
   applies: its events, its state reached earlier, its ``when``) are the points, cut to what
   the ``cap`` leaves for the calendar period of the event. A line with no points is not kept.
3. States: the event reaches every state of its type whose ``when`` is true; the state counts
   for later events only (a senior member earns double on trials *after* converting).

Numbers are exact decimals (5 coins times 1.5 is 7.5), shown as int when whole.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from marketing_rules.analysis.program import EventParts, PointsRuleSpec, PointsSpec
from marketing_rules.backends.python import to_plain
from marketing_rules.events.clock import period_key
from marketing_rules.events.compiled import ScopeCompiler
from marketing_rules.events.reader import Event, EventReader
from marketing_rules.expressions.types import Type
from marketing_rules.i18n import _

Number = int | float


@dataclass(frozen=True, slots=True)
class Line:
    """One event that earned: which rule, the base points, the factor and the points."""

    event: Mapping[str, Any]  # type, at (ISO text) and the attributes
    at: dt.datetime
    rule: str
    title: str
    base: Number
    factor: Number
    multipliers: tuple[str, ...]  # ids of the multipliers that made the factor
    points: Number
    note: str = ""  # why the points differ from base x factor (a cap)
    credited: dt.datetime | None = None  # when the points were credited; None: still pending

    @property
    def pending(self) -> bool:
        return self.credited is None

    def as_dict(self) -> dict[str, Any]:
        return {"event": dict(self.event), "at": self.at.isoformat(), "rule": self.rule, "title": self.title, "base": self.base,
                "factor": self.factor, "multipliers": list(self.multipliers), "points": self.points,
                "note": self.note, "credited": self.credited.isoformat() if self.credited else None}


@dataclass(frozen=True)
class Statement:
    """What a customer earned from events: ``total`` (credited), ``pending`` and the ``lines``.

    >>> statement = rs.accrue(customer, events)                  # doctest: +SKIP
    >>> statement.total, [(l.rule, l.points) for l in statement.lines]   # doctest: +SKIP
    >>> print(statement)                                          # doctest: +SKIP
    """

    customer: str | None
    ruleset: str
    version: str
    unit: str
    title: str
    lines: tuple[Line, ...]
    multiplier_titles: Mapping[str, str] = field(default_factory=dict)

    @property
    def total(self) -> Number:
        """The points credited."""
        return _plain_sum(line.points for line in self.lines if not line.pending)

    @property
    def pending(self) -> Number:
        """The points earned but not yet credited (held until a crediting event)."""
        return _plain_sum(line.points for line in self.lines if line.pending)

    def as_dict(self) -> dict[str, Any]:
        return {"customer": self.customer, "ruleset": self.ruleset, "version": self.version, "unit": self.unit,
                "total": self.total, "pending": self.pending, "lines": [line.as_dict() for line in self.lines]}

    def __str__(self) -> str:
        head = f"{self.title or self.unit} for {self.customer or 'the customer'} ({self.ruleset} {self.version})"
        rows = []
        for line in self.lines:
            details = " ".join(f"{k}={v}" for k, v in line.event.items() if k not in ("type", "at"))
            factor = ""
            if line.multipliers:
                why = ", ".join(self.multiplier_titles.get(m) or m for m in line.multipliers)
                factor = f" x {line.factor} ({why})"
            status = "pending" if line.pending else (
                "" if line.credited == line.at else f"credited {line.credited:%Y-%m-%d}")
            text = f"{line.at:%Y-%m-%d %H:%M}  {line.event['type']:<14} {details:<22} {line.rule:<16} " \
                   f"{line.base}{factor} = {line.points} {self.unit}"
            rows.append("  " + text + (f"  [{line.note}]" if line.note else "") + (f"  ({status})" if status else ""))
        if not rows:
            rows.append(f"  no {self.unit} earned")
        foot = f"  total {self.total} {self.unit}" + (f"; pending {self.pending}" if self.pending else "")
        return "\n".join([head, *rows, foot])


class Accrual:
    """A ruleset's points rules compiled once: ``accrual.statement(customer_facts, events)``."""

    def __init__(self, parts: EventParts, ruleset: str, version: str):
        points = parts.points
        assert points is not None
        self.spec: PointsSpec = points
        self.ruleset, self.version = ruleset, version
        self.reader = EventReader(parts.events)
        customer: dict[str, Type] = dict(parts.customer)
        self._rules: dict[str, list[tuple[PointsRuleSpec, Any, Any]]] = defaultdict(list)
        for rule in points.rules:
            compiler = ScopeCompiler({**customer, **parts.events[rule.event].types()})
            self._rules[rule.event].append((rule, compiler.predicate(rule.when, f"points {rule.id} when"),
                                            compiler.amount(rule.points.node, f"points {rule.id}")))
        self._multipliers = []
        for mult in points.multipliers:
            types = dict(customer)
            for name in mult.events or ():
                types.update(parts.events[name].types())
            self._multipliers.append((mult, ScopeCompiler(types).predicate(mult.when, f"multiplier {mult.id}")))
        self._states: dict[str, list[tuple[str, Any]]] = defaultdict(list)
        for state in points.states:
            compiler = ScopeCompiler({**customer, **parts.events[state.event].types()})
            self._states[state.event].append((state.name, compiler.predicate(state.when, f"state {state.name}")))
        self._credit_types = frozenset(r.credit for r in points.rules if r.credit)
        self.types = points.event_types

    def statement(self, customer: Mapping[str, Any], events: Iterable[Any]) -> Statement:
        """Accrue the events (any order; taken by ``at``) for a customer whose facts are decided."""
        read = [self.reader.read(raw) for raw in events]
        ordered = sorted((e for e in read if e.type in self.types), key=lambda e: e.micros)
        lines: list[dict[str, Any]] = []
        reached: set[str] = set()
        counted: dict[tuple[str, Any], int] = defaultdict(int)
        earned_once: set[tuple[str, Any]] = set()
        cap_used: dict[tuple[str, Any, tuple[Any, ...]], Decimal] = defaultdict(Decimal)
        held: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for event in ordered:
            if event.type in self._credit_types:
                for waiting in held.pop(event.type, ()):
                    waiting["credited"] = event.at
            values = {**customer, **event.attributes}
            for rule, when, amount in self._rules.get(event.type, ()):
                line = self._earn(rule, when, amount, event, values, reached, counted, earned_once, cap_used)
                if line is not None:
                    lines.append(line)
                    if rule.credit is not None:
                        held[rule.credit].append(line)
            for state, when in self._states.get(event.type, ()):
                if state not in reached and when(values):
                    reached.add(state)
        titles = {m.id: m.title for m in self.spec.multipliers}
        return Statement(customer.get("id"), self.ruleset, self.version, self.spec.unit, self.spec.title,
                         tuple(Line(**line) for line in lines), titles)

    def _earn(self, rule: PointsRuleSpec, when: Callable[[Mapping[str, Any]], bool],
              amount: Callable[[Mapping[str, Any]], Any], event: Event, values: Mapping[str, Any], reached: set[str],
              counted: dict[tuple[str, Any], int], earned_once: set[tuple[str, Any]],
              cap_used: dict[tuple[str, Any, tuple[Any, ...]], Decimal]) -> dict[str, Any] | None:
        if rule.state is not None and rule.state not in reached:
            return None
        if rule.until is not None and rule.until in reached:
            return None
        if not when(values):
            return None
        key = (rule.id, event.attributes.get(rule.per) if rule.per else None)
        counted[key] += 1
        if counted[key] <= rule.skip or (rule.once and key in earned_once):
            return None
        base = amount(values)
        if base is None:
            return None
        factor: Decimal | int = 1
        applied = []
        for mult, applies in self._multipliers:
            if (mult.events is None or event.type in mult.events) and (
                    mult.state is None or mult.state in reached) and applies(values):
                factor *= mult.factor
                applied.append(mult.id)
        points = base * factor
        note = ""
        if rule.cap is not None:
            limit, period = rule.cap
            spent = (*key, period_key(event.at, period))
            room = max(Decimal(limit) - cap_used[spent], Decimal(0))
            if points > room:
                points, note = room, f"capped: at most {to_plain(Decimal(limit))} a {period}"
            cap_used[spent] += points
        if points == 0:
            return None
        earned_once.add(key)
        return {"event": event.as_dict(), "at": event.at, "rule": rule.id, "title": rule.title,
                "base": to_plain(base), "factor": to_plain(factor), "multipliers": tuple(applied),
                "points": to_plain(points), "note": note, "credited": event.at if rule.credit is None else None}


def _plain_sum(values: Iterable[Number]) -> Number:
    total = sum((Decimal(repr(v)) if isinstance(v, float) else Decimal(v) for v in values), Decimal(0))
    plain: Number = to_plain(total)
    return plain


#: Each ruleset's points rules, compiled once (and let go with the ruleset).
_ACCRUALS: weakref.WeakKeyDictionary[Any, Accrual] = weakref.WeakKeyDictionary()


def accrue(ruleset: Any, customer: Any, events: Iterable[Any]) -> Statement:
    """``ruleset.accrue(customer, events)``: decide the customer, then accrue the events."""
    accrual = _ACCRUALS.get(ruleset)
    if accrual is None:
        parts = ruleset.program.events
        if parts is None or parts.points is None:
            raise ValueError(_("ruleset {ruleset} {version} has no points: part; nothing accrues", ruleset=ruleset.id,
                               version=ruleset.version))
        accrual = _ACCRUALS[ruleset] = Accrual(parts, ruleset.id, ruleset.version)
    return accrual.statement(ruleset.evaluate(customer).facts, events)
