"""The event-driven parts of a rule file resolved (SPEC section 7): event types, points, triggers.

Called from :class:`~marketing_rules.analysis.resolve.Resolver`, whose source map, diagnostics and
expression checking it reuses. Conditions over events are ordinary expressions checked against a
scope of their own: the event's attributes (declared per event type under ``events:``), the
customer's facts (inputs and derived), the constants and, in the second step of a trigger, the
names bound from the first event. Those names must not clash, so every bare name in a condition
means exactly one thing.

The results are plain frozen dataclasses holding resolved ASTs; the runtime in
``marketing_rules.events`` compiles them (to Python for accrual and residual checks, to
durable_rules patterns for triggers).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Protocol

from marketing_rules.analysis.program import (
    Cond,
    EventParts,
    EventSpec,
    Expression,
    FollowSpec,
    MultiplierSpec,
    PointsRuleSpec,
    PointsSpec,
    StateSpec,
    TriggerKind,
    TriggerSpec,
    cond_to_ast,
)
from marketing_rules.errors import DiagnosticSink, did_you_mean
from marketing_rules.expressions import ast
from marketing_rules.expressions.checker import Checker, Scope
from marketing_rules.expressions.types import Type
from marketing_rules.i18n import _
from marketing_rules.load.yaml_source import Path, Source
from marketing_rules.model import ruleset as m
from marketing_rules.model.schema import FactSchema, FactSpec

#: Keys every event has; they cannot be declared as attributes.
EVENT_KEYS = ("type", "at")
MICROSECONDS = {"minute": 60_000_000, "hour": 3_600_000_000, "day": 86_400_000_000, "week": 604_800_000_000}
_UNITS = {"m": "minute", "min": "minute", "minute": "minute", "minutes": "minute", "h": "hour", "hour": "hour",
          "hours": "hour", "d": "day", "day": "day", "days": "day", "w": "week", "week": "week", "weeks": "week"}
_WINDOW = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$")
CHANNELS = ("outbound_call", "sms", "business_hall", "social")


class Resolving(Protocol):
    """What the events resolver shares with the ruleset's :class:`~marketing_rules.analysis.resolve.Resolver`."""

    file: m.RulesetFile
    source: Source
    sink: DiagnosticSink
    schema: FactSchema
    derived: dict[str, Type]
    fact_types: dict[str, Type]
    constants: dict[str, Any]
    checker: Checker
    rule_id: str | None

    def value(self, raw: Any, path: Path, expected: Type | None = None) -> tuple[Expression | None, Type]: ...

    def _error(self, code: str, message: str, path: Path, hint: str | None = None, key: bool = False) -> None: ...

    def _cond(self, raw: Any, path: Path) -> Cond | None: ...


class EventsResolver:
    """Resolves ``events:``, ``points:`` and ``triggers:`` with the resolver's sink and source."""

    def __init__(self, resolver: Resolving):
        self.r = resolver
        self.file = resolver.file
        self.events: dict[str, EventSpec] = {}

    def parts(self) -> EventParts | None:
        file = self.file
        if not (file.events or file.points or file.triggers):
            return None
        for name, decl in file.events.items():
            spec = self._event(name, decl, ("events", name))
            if spec is not None:
                self.events[name] = spec
        points = self._points(file.points) if file.points is not None else None
        triggers = tuple(t for t in (self._trigger(t, ("triggers", i)) for i, t in enumerate(file.triggers)) if t)
        self._duplicates([(("triggers", i, "id"), t.id) for i, t in enumerate(file.triggers)])
        self.r.rule_id = None
        return EventParts(MappingProxyType(self.events), points, triggers, MappingProxyType(dict(self.r.fact_types)))

    # -- event types ------------------------------------------------------------------------------
    def _event(self, name: str, decl: m.EventType, path: Path) -> EventSpec | None:
        if not _is_name(name):
            self.r._error("MR011", _("'{name}' is not a valid event type name", name=name), path,
                          _("use lowercase letters, digits and underscores"), key=True)
            return None
        attributes = []
        for attr, spec in decl.attributes.items():
            attr_path = (*path, "attributes", attr)
            if not _is_name(attr):
                self.r._error("MR011", _("'{name}' is not a valid attribute name", name=attr), attr_path,
                              _("use lowercase letters, digits and underscores"), key=True)
                continue
            clash = self._clash(attr)
            if attr in EVENT_KEYS or clash:
                self.r._error("MR602", _("event attribute '{name}' is a key every event has", name=attr)
                              if attr in EVENT_KEYS else
                              _("event attribute '{name}' has the name of {other}", name=attr, other=clash), attr_path,
                              _("give the attribute a name of its own, e.g. {example}", example=name + "_" + attr),
                              key=True)
                continue
            if spec.type == "enum" and not spec.values:
                self.r._error("MR011", _("an enum needs its values"), attr_path, _("add values: [a, b, c]"))
                continue
            attributes.append(FactSpec(attr, spec.type, tuple(spec.values or ()), spec.ge, spec.le, spec.title))
        required = tuple(a for a, spec in decl.attributes.items() if spec.required)
        return EventSpec(name, decl.title, tuple(attributes), required)

    def _clash(self, name: str) -> str | None:
        if name in self.r.schema:
            return _("the input fact '{name}'", name=name)
        if name in self.r.derived:
            return _("the derived fact '{name}'", name=name)
        if name in self.r.constants:
            return _("the constant '{name}'", name=name)
        return None

    def _event_type(self, name: Any, path: Path) -> EventSpec | None:
        if name in self.events:
            return self.events[name]
        if name in self.file.events:
            return None  # declared but invalid: already reported
        self.r._error("MR601", _("unknown event type '{name}'", name=name), path,
                      did_you_mean(str(name), self.file.events) or _("declare it under events:"))
        return None

    def _attribute(self, event: EventSpec, attr: Any, path: Path, what: str) -> bool:
        if attr in event.types():
            return True
        attributes = ", ".join(event.types())
        self.r._error("MR606", _("event type '{event}' has no attribute '{name}' ({key})", event=event.name, name=attr,
                                 key=what), path,
                      did_you_mean(str(attr), event.types())
                      or (_("its attributes are {names}", names=attributes) if attributes else
                          _("its attributes are none")))
        return False

    # -- conditions in a scope of their own --------------------------------------------------------
    def _scope(self, attributes: Mapping[str, Type], bound: Mapping[str, Type] | None = None) -> Scope:
        return Scope({**self.r.fact_types, **attributes, **(bound or {})}, self.r.constants)

    def _condition(self, raw: Any, path: Path, scope: Scope) -> tuple[ast.Expr | None, bool]:
        """The condition's AST (None: always); the flag says whether it resolved."""
        saved = self.r.checker
        self.r.checker = Checker(scope)
        try:
            before = len(self.r.sink.diagnostics)
            cond: Cond | None = self.r._cond(raw, path)
            ok = len(self.r.sink.diagnostics) == before
        finally:
            self.r.checker = saved
        return (cond_to_ast(cond) if cond is not None else None), ok

    def _value(self, raw: Any, path: Path, scope: Scope) -> Expression | None:
        saved = self.r.checker
        self.r.checker = Checker(scope)
        try:
            expression, kind = self.r.value(raw, path)
        finally:
            self.r.checker = saved
        if expression is not None and not (kind.numeric or kind.kind == "null"):
            self.r._error("MR103", _("points must be a number, but this is {type}", type=kind.article), path)
            return None
        return expression

    # -- points -----------------------------------------------------------------------------------
    def _points(self, points: m.Points) -> PointsSpec | None:
        path: Path = ("points",)
        states = []
        for name, decl in points.states.items():
            state_path = (*path, "states", name)
            self.r.rule_id = None
            if not _is_name(name):
                self.r._error("MR011", _("'{name}' is not a valid state name", name=name), state_path,
                              _("use lowercase letters, digits and underscores"), key=True)
                continue
            event = self._event_type(decl.event, (*state_path, "event"))
            if event is None:
                continue
            when, ok = self._condition(decl.when, (*state_path, "when"), self._scope(event.types()))
            if ok:
                states.append(StateSpec(name, decl.title, event.name, when))
        rules = [r for r in (self._points_rule(rule, (*path, "rules", i)) for i, rule in enumerate(points.rules)) if r]
        self._duplicates([((*path, "rules", i, "id"), rule.id) for i, rule in enumerate(points.rules)])
        multipliers = []
        for i, mult in enumerate(points.multipliers):
            spec = self._multiplier(mult, (*path, "multipliers", i))
            if spec is not None:
                multipliers.append(spec)
        self._duplicates([((*path, "multipliers", i, "id"), x.id) for i, x in enumerate(points.multipliers)])
        return PointsSpec(points.title, points.unit, tuple(states), tuple(rules), tuple(multipliers))

    def _state(self, name: str | None, path: Path) -> bool:
        states = self.file.points.states if self.file.points else {}
        if name is None or name in states:
            return True
        self.r._error("MR605", _("unknown state '{name}'", name=name), path,
                      did_you_mean(name, states) or _("declare it under points: states:"))
        return False

    def _points_rule(self, rule: m.PointsRule, path: Path) -> PointsRuleSpec | None:
        self.r.rule_id = rule.id
        event = self._event_type(rule.event, (*path, "event"))
        ok = self._state(rule.state, (*path, "state"))
        ok = self._state(rule.until, (*path, "until")) and ok
        if rule.credit is not None:
            ok = self._event_type(rule.credit, (*path, "credit")) is not None and ok
        if event is None:
            return None
        if rule.per is not None:
            ok = self._attribute(event, rule.per, (*path, "per"), "per") and ok
        scope = self._scope(event.types())
        when, when_ok = self._condition(rule.when, (*path, "when"), scope)
        points = self._value(rule.points, (*path, "points"), scope)
        if not (ok and when_ok and points is not None):
            return None
        cap = (_number(rule.cap.points), rule.cap.period) if rule.cap is not None else None
        return PointsRuleSpec(rule.id, rule.title, event.name, when, _text(rule.when), points, rule.per, rule.once,
                              rule.skip, cap, rule.state, rule.credit, path, rule.until)

    def _multiplier(self, mult: m.Multiplier, path: Path) -> MultiplierSpec | None:
        self.r.rule_id = mult.id
        ok = self._state(mult.state, (*path, "state"))
        events: list[EventSpec] = []
        for i, name in enumerate(mult.events or []):
            event = self._event_type(name, (*path, "events", i))
            ok = ok and event is not None
            if event is not None:
                events.append(event)
        # the attributes every listed event type has, with the same type, may be read
        shared: dict[str, Type] = {}
        if events:
            shared = dict(events[0].types())
            for event in events[1:]:
                shared = {k: v for k, v in shared.items() if event.types().get(k) == v}
        when, when_ok = self._condition(mult.when, (*path, "when"), self._scope(shared))
        if not (ok and when_ok):
            return None
        names = tuple(e.name for e in events) if mult.events is not None else None
        return MultiplierSpec(mult.id, mult.title, names, mult.state, when, _number(mult.factor))

    # -- triggers ---------------------------------------------------------------------------------
    def _trigger(self, trigger: m.Trigger, path: Path) -> TriggerSpec | None:
        self.r.rule_id = trigger.id
        event = self._event_type(trigger.event, (*path, "event"))
        offer, offer_title = self._offer(trigger.recommend.offer, (*path, "recommend", "offer"))
        if trigger.followed_by is not None and trigger.not_followed_by is not None:
            self.r._error("MR010", _("a trigger has followed_by or not_followed_by, not both"), (*path, "not_followed_by"),
                          _("make two triggers"), key=True)
            return None
        follow_raw = trigger.followed_by or trigger.not_followed_by
        kind = TriggerKind.SINGLE if follow_raw is None else \
            TriggerKind.SEQUENCE if trigger.followed_by is not None else TriggerKind.ABSENCE
        if event is None:
            return None
        when, ok = self._condition(trigger.when, (*path, "when"), self._scope(event.types()))
        bound: dict[str, Type] = {}
        if trigger.bind and follow_raw is None:
            self.r._error("MR010", _("bind names values for a second event, and this trigger has none"), (*path, "bind"),
                          _("add followed_by: or not_followed_by:, or remove bind"), key=True)
            ok = False
        for name, attr in trigger.bind.items():
            bind_path = (*path, "bind", name)
            clash = self._clash(name) or (_("an attribute of '{event}'", event=follow_raw.event)
                                          if follow_raw is not None and
                                          name in self.events.get(follow_raw.event, _NO_EVENT).types() else None)
            if not _is_name(name) or clash:
                self.r._error("MR602", _("bound name '{name}' has the name of {other}", name=name, other=clash) if clash
                              else _("bound name '{name}' is not a valid name", name=name), bind_path,
                              _("choose another name, e.g. {example}", example="first_" + str(attr)), key=True)
                ok = False
            elif self._attribute(event, attr, bind_path, "bind"):
                bound[name] = event.types()[attr]
            else:
                ok = False
        follow = None
        if follow_raw is not None:
            follow_key = "followed_by" if kind == "sequence" else "not_followed_by"
            follow_path = (*path, follow_key)
            second = self._event_type(follow_raw.event, (*follow_path, "event"))
            within = self._window(follow_raw.within, (*follow_path, "within"))
            if second is None or within is None:
                return None
            second_when, second_ok = self._condition(follow_raw.when, (*follow_path, "when"),
                                                     self._scope(second.types(), bound))
            ok = ok and second_ok
            follow = FollowSpec(second.name, within, str(follow_raw.within), second_when)
        if not ok or offer is None:
            return None
        return TriggerSpec(trigger.id, trigger.title or trigger.id, kind, event.name, when, tuple(trigger.bind.items()), follow,
                           offer, offer_title, trigger.recommend.channel, path)

    def _offer(self, offer: str, path: Path) -> tuple[str | None, str]:
        rules = {rule.id: rule for rule in self.file.rules}
        rule = rules.get(offer)
        if rule is not None and rule.then.offer is not None:
            title = rule.then.offer.get("title") if isinstance(rule.then.offer, dict) else None
            return offer, str(title or rule.title or offer)
        offers = [r.id for r in self.file.rules if r.then.offer is not None]
        if rule is not None:
            self.r._error("MR604", _("rule '{rule}' makes no offer", rule=offer), path,
                          _("the offers of this file are {names}", names=", ".join(offers)) if offers else
                          _("give rule '{rule}' an offer: under then:, or recommend another rule's offer", rule=offer))
        else:
            self.r._error("MR604", _("no rule '{rule}' makes an offer", rule=offer), path,
                          did_you_mean(offer, offers) or (_("the offers are {names}", names=", ".join(offers)) if offers
                                                          else _("the offers are none")))
        return None, ""

    def _window(self, raw: Any, path: Path) -> int | None:
        if isinstance(raw, bool):
            raw = None
        unit: str | None
        if isinstance(raw, int):
            count, unit = raw, "day"
        else:
            match = _WINDOW.match(str(raw).lower()) if raw is not None else None
            unit = _UNITS.get(match.group(2)) if match else None
            count = int(match.group(1)) if match else 0
            if unit is None:
                months = match is not None and match.group(2).startswith("month")
                self.r._error("MR603", _("'{window}' is not a time window", window=raw), path,
                              _("months differ in length: write 30 days or 31 days") if months else
                              _("write a number and a unit: 30 days, 12 hours, 2 weeks, 90 minutes"))
                return None
        if count <= 0:
            self.r._error("MR603", _("the window '{window}' is empty", window=raw), path, _("a window is at least 1 minute"))
            return None
        return count * MICROSECONDS[unit]

    def _duplicates(self, items: list[tuple[Path, str]]) -> None:
        seen: dict[str, Path] = {}
        for path, item_id in items:
            if item_id in seen:
                self.r.sink.add(self.r.source.diagnostic(
                    "MR206", _("id '{id}' is used twice", id=item_id), path, rule=item_id,
                    hint=_("it was first used at line {line}", line=self.r.source.line(seen[item_id]))))
            else:
                seen[item_id] = path


_NO_EVENT = EventSpec("", "", (), ())


def _is_name(name: Any) -> bool:
    return isinstance(name, str) and name.isidentifier() and name == name.lower() and not name.startswith("_")


def _number(value: float | int) -> Decimal | int:
    return int(value) if float(value).is_integer() else Decimal(repr(float(value)))


def _text(raw: Any) -> str:
    if raw is True:
        return "true"
    return str(raw)
