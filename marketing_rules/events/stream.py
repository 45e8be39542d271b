"""``mr.Stream(rs)``: event-triggered offers on durable_rules, wrapped (SPEC section 7).

>>> stream = mr.Stream(rs)                                                      # doctest: +SKIP
>>> stream.set_customer("13800000001", {"id": "13800000001", "status": "active"})  # doctest: +SKIP
>>> stream.post("13800000001", {"type": "bill", "at": "2027-01-01T00:00", "amount": 120.0})  # doctest: +SKIP
[]

How durable_rules is wrapped:

- **Isolated state.** Each stream compiles its ruleset version's triggers into a durable_rules
  ruleset of its own (a unique name, driven through durable's C engine by
  :class:`~marketing_rules.events.durable_engine.DurableRuleset` and never registered in durable's
  global host, so no host timer threads and nothing shared with other streams or versions).
  ``close()`` (or leaving a ``with`` block, or garbage collection) deletes it.
- **Event time.** The stream's clock is the latest ``at`` posted (``advance(to)`` moves it too);
  the watermark is the clock minus ``lateness``. Windows, deadlines and retraction compare the
  events' own timestamps, never the wall clock, so replaying a history gives exactly what live
  posting gave. An event older than the watermark raises :class:`LateEventError`.
- **Nothing raises for nothing.** An event of a type no trigger reads is not sent to
  durable_rules; one that matches no pattern (what durable.engine raises
  ``MessageNotHandledException`` for) is simply not kept.
- **Flat memory.** An event that only single-event triggers read is posted as a durable_rules
  event (consumed when it matches). An event that may start or complete a sequence is asserted
  as a fact and retracted as soon as no window can use it any more: the first event of a pair
  when the watermark passes ``at + within``, the second when the watermark passes its ``at``.
  Facts are spread over a fixed number of durable_rules sessions (``shards``; durable_rules
  holds at most 1024 per ruleset), joined on the customer, so memory depends on the events still
  inside a window, not on how many were posted.
- **Threads.** A stream is safe to share: ``post``, ``advance`` and ``set_customer`` hold the
  stream's lock. Streams are independent of each other (one per thread is fine too).
- **Garbage.** Records are tuples of plain values and the used-up roles live apart, so Python's
  collector stops tracking what a stream holds: full collections stay cheap however long it runs.

Sequence semantics: the second event must be strictly later than the first and at most
``within`` after it. When one posted event completes a trigger with several partners, the trigger
recommends once (the closest pair is reported) and every partner is used up for that trigger.
An absence (``not_followed_by``) recommends when the watermark passes the deadline with no
matching event; the recommendation's ``at`` is the deadline.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from heapq import heappush
from typing import Any, NamedTuple
from zlib import crc32

from pydantic import BaseModel

from marketing_rules.analysis.program import TriggerSpec
from marketing_rules.errors import LateEventError
from marketing_rules.events.clock import from_micros, timestamp
from marketing_rules.events.compiled import ScopeCompiler
from marketing_rules.events.compiled import _always as _true_check
from marketing_rules.events.durable_engine import DurableRuleset, MessageObserved
from marketing_rules.events.patterns import (
    CUSTOMER_KEY,
    ONE_KEY,
    TIME_KEY,
    TYPE_KEY,
    PatternCompiler,
    data_key,
    join,
)
from marketing_rules.events.reader import Event, EventReader
from marketing_rules.i18n import _

_NAMES = itertools.count(1)
_MICROSECOND = dt.timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Recommendation:
    """An offer recommended to a customer by a trigger, on a channel, at a moment of event time."""

    customer: str
    trigger: str
    title: str
    offer: str
    offer_title: str
    channel: str
    at: dt.datetime
    events: tuple[dict[str, Any], ...]  # the events that made the pattern (the start, for an absence)

    def as_dict(self) -> dict[str, Any]:
        return {"customer": self.customer, "trigger": self.trigger, "title": self.title, "offer": self.offer,
                "offer_title": self.offer_title, "channel": self.channel, "at": self.at.isoformat(),
                "events": [dict(e) for e in self.events]}


class _Record(NamedTuple):
    """A posted event the stream still holds (as a durable_rules fact), with what conditions read.

    A tuple of plain values, so that Python's garbage collector stops tracking it: a stream holds
    many, and full collections would otherwise walk them all. What a record has used up lives in
    ``Stream._used``, for the few records that have.
    """

    serial: int
    customer: str
    sid: str
    event: Event
    values: Mapping[str, Any]  # attributes and the customer's facts, by name


@dataclass(frozen=True)
class _Trigger:
    index: int
    spec: TriggerSpec
    first_check: Callable[[Mapping[str, Any]], bool]  # the residual of `when` (Python)
    second_check: Callable[[Mapping[str, Any]], bool]  # the residual of the second step's `when`


@dataclass(frozen=True)
class TriggerProgram:
    """A ruleset's triggers compiled once: durable_rules rule definitions and the Python residuals."""

    triggers: tuple[_Trigger, ...]
    rules: dict[str, tuple[dict[str, Any], int, str]]  # durable rule name -> (definition, trigger, part)
    customer_names: frozenset[str]
    single_only: frozenset[str]  # event types posted as durable events (no window reads them)
    retention: dict[str, int]  # event type -> microseconds a fact stays after its `at` (first events)
    roles: dict[str, frozenset[tuple[int, str]]]  # event type -> (trigger, 'first' | 'second') it may play
    single_types: frozenset[str]  # event types a single-event trigger reads
    first_checks: dict[str, tuple[int, ...]]  # event type -> triggers whose first condition has a Python part
    renamed: frozenset[str]  # names whose durable_rules key differs from the name (id, sid)

    @classmethod
    def build(cls, ruleset: Any) -> TriggerProgram:
        parts = ruleset.program.events
        specs = parts.triggers if parts is not None else ()
        customer = dict(parts.customer) if parts is not None else {}
        non_negative = frozenset(f.name for f in ruleset.program.schema.facts if f.ge is not None and f.ge >= 0)
        triggers, rules = [], {}
        retention: dict[str, int] = {}
        roles: dict[str, set[tuple[int, str]]] = {}
        singles: set[str] = set()
        nodes = []
        for index, spec in enumerate(specs):
            first_event = parts.events[spec.event]
            first_types = {**customer, **first_event.types()}
            first_nonneg = non_negative | {a.name for a in first_event.attributes if a.ge is not None and a.ge >= 0}
            first = PatternCompiler(first_types, first_nonneg).split(spec.when)
            first_check = ScopeCompiler(first_types).predicate(first.residual_node(), f"trigger {spec.id} when")
            nodes.append(spec.when)
            first_pattern = [{TYPE_KEY: spec.event}, *first.pushed]
            second_check: Callable[[Mapping[str, Any]], bool] = _true
            if spec.kind == "single":
                singles.add(spec.event)
                rules[f"t{index}"] = ({"all": [{"m": _and(first_pattern)}]}, index, "single")
            else:
                follow = spec.follow
                assert follow is not None
                second_event = parts.events[follow.event]
                bound = {name: first_event.types()[attr] for name, attr in spec.bind}
                second_types = {**customer, **second_event.types(), **bound}
                second_nonneg = (non_negative | {a.name for a in second_event.attributes if a.ge is not None and a.ge >= 0}
                                 | {name for name, attr in spec.bind if attr in first_nonneg})
                second = PatternCompiler(second_types, second_nonneg, dict(spec.bind)).split(follow.when)
                second_check = ScopeCompiler(second_types).predicate(second.residual_node(),
                                                                     f"trigger {spec.id} second when")
                nodes.append(follow.when)
                tests = [{CUSTOMER_KEY: {"first": CUSTOMER_KEY}}, {TYPE_KEY: follow.event},
                         {"$gt": {TIME_KEY: {"first": TIME_KEY}}},
                         {"$lte": {TIME_KEY: {"$add": {"$l": {"first": TIME_KEY}, "$r": follow.within}}}}]
                guarded_first = first_pattern + [{"$ex": {data_key(a): 1}} for a in sorted(second.first_requires)
                                                  if a not in first_event.required]
                pair = {"all": [{"first": _and(guarded_first)}, {"second": join(tests + second.pushed)}]}
                retention[spec.event] = max(retention.get(spec.event, 0), follow.within)
                roles.setdefault(spec.event, set()).add((index, "first"))
                roles.setdefault(follow.event, set()).add((index, "second"))
                if spec.kind == "sequence":
                    rules[f"t{index}"] = (pair, index, "sequence")
                else:
                    rules[f"t{index}s"] = ({"all": [{"m": _and(first_pattern)}]}, index, "start")
                    rules[f"t{index}c"] = (pair, index, "cancel")
            triggers.append(_Trigger(index, spec, first_check, second_check))
        names = parts.customer_names(nodes) if parts is not None else frozenset()
        single_only = frozenset(singles - set(roles))
        first_checks: dict[str, tuple[int, ...]] = {}
        for trigger in triggers:
            if trigger.spec.kind != "single" and trigger.first_check is not _true_check:
                first_checks[trigger.spec.event] = (*first_checks.get(trigger.spec.event, ()), trigger.index)
        every_name = set(names) | {a.name for e in (parts.events.values() if parts else ()) for a in e.attributes}
        renamed = frozenset(n for n in every_name if data_key(n) != n)
        return cls(tuple(triggers), rules, names, single_only, retention,
                   {kind: frozenset(r) for kind, r in roles.items()}, frozenset(singles), first_checks, renamed)


#: Each ruleset's triggers, compiled once for every stream over it (and let go with the ruleset).
_TRIGGER_PROGRAMS: weakref.WeakKeyDictionary[Any, TriggerProgram] = weakref.WeakKeyDictionary()


class Stream:
    """Events in, recommendations out: the ruleset version's triggers over a live event stream.

    ``customers``: where the customer's facts come from when ``set_customer`` was not called for
    them: a mapping or a function of the customer id (returning facts, or None). Trigger
    conditions read the facts as decided by the ruleset (derived facts too), as they are when the
    event is posted. ``lateness``: how far behind the clock an event may be (default: none).
    """

    def __init__(self, ruleset: Any, *, customers: Mapping[str, Any] | Callable[[str], Any] | None = None,
                 lateness: dt.timedelta = dt.timedelta(0), shards: int = 64):
        if not 1 <= shards <= 1000:
            raise ValueError(_("Expected 1 <= shards <= 1000 (durable_rules holds at most 1024 sessions), got shards={shards}",
                               shards=shards))
        if lateness < dt.timedelta(0):
            raise ValueError(_("Expected a lateness of zero or more, got lateness={lateness}", lateness=lateness))
        self.ruleset = ruleset
        program = _TRIGGER_PROGRAMS.get(ruleset)
        if program is None:
            program = _TRIGGER_PROGRAMS[ruleset] = TriggerProgram.build(ruleset)
        self._program: TriggerProgram = program
        parts = ruleset.program.events
        self._reader = EventReader(parts.events if parts is not None else {})
        self._lookup = customers
        self._lateness = lateness // _MICROSECOND
        self._shards = shards
        self._lock = threading.Lock()
        self._snapshots: dict[str, dict[str, Any]] = {}
        self._records: dict[int, _Record] = {}
        self._used: dict[int, set[tuple[int, str]]] = {}  # serial -> (trigger, 'first' | 'second') the record has used up
        self._expiry: list[tuple[int, int]] = []  # (retract when the watermark passes this, serial)
        self._deadlines: list[tuple[int, int, int]] = []  # (deadline, serial of the start, trigger)
        self._open: dict[tuple[int, int], _Record] = {}  # (trigger, start serial) -> the start
        self._serial = itertools.count(1)
        self._clock: int | None = None
        self._watermark: int | None = None
        self._durable: DurableRuleset | None = None
        self._closed = False
        self.name = f"marketing-rules-{ruleset.id}-{ruleset.version}-{os.getpid()}-{next(_NAMES)}"
        self._sids = _shard_names(shards)
        # per event type a trigger reads: (roles in windows, kept as a fact, retention, first-event checks)
        program = self._program
        self._plans = {kind: (program.roles.get(kind, frozenset()), kind in program.roles,
                              program.retention.get(kind, 0), program.first_checks.get(kind, ()))
                       for kind in set(program.roles) | program.single_types}
        if self._program.rules:
            self._durable = DurableRuleset(self.name, {name: definition for name, (definition, _, _)
                                                       in self._program.rules.items()})
            self._finalizer = weakref.finalize(self, self._durable.delete)

    # -- the public verbs ------------------------------------------------------------------------------
    def post(self, customer_id: str, event: Mapping[str, Any] | BaseModel) -> list[Recommendation]:
        """Take one event of a customer; returns the recommendations it causes, in order.

        The event's ``at`` moves the clock: absences whose deadline has passed come first, then
        what the event itself completes. Raises :class:`EventError` for an invalid event and
        :class:`LateEventError` for one older than the watermark.
        """
        if customer_id.__class__ is not str:
            customer_id = str(customer_id)
        read = self._reader.read(event)
        micros = read.micros
        with self._lock:
            if self._closed:
                self._check_open()
            clock = self._clock  # the clock, inline: most events close no window
            if clock is None or micros > clock:
                self._clock = micros
                watermark = micros - self._lateness
                if (self._expiry and self._expiry[0][0] < watermark) or (
                        self._deadlines and self._deadlines[0][0] < watermark):
                    out = self._close_windows(watermark)
                else:
                    self._watermark = watermark
                    out = []
            elif micros < self._watermark:  # type: ignore[operator]
                out = self._advance(micros, read)  # raises LateEventError
            else:
                out = []
            plan = self._plans.get(read.type)
            if plan is None:
                return out  # no trigger reads this type
            roles, as_fact, retention, checks = plan
            program = self._program
            values = {**self._customer(customer_id), **read.attributes} if program.customer_names else read.attributes
            sid = self._sids[crc32(customer_id.encode()) % self._shards]
            used = None
            if checks:
                for index in checks:  # a first event its own condition rules out can never start
                    if not program.triggers[index].first_check(values):
                        used = used or set()
                        used.add((index, "first"))
                if used and used >= roles:  # no window can use it
                    if read.type not in program.single_types:
                        return out
                    as_fact = False
            record, matches = self._send(customer_id, sid, read, values, as_fact, used)
            if matches:
                out += self._collect(matches)
            serial = record.serial
            if as_fact and matches is not None and serial in self._records:
                heappush(self._expiry, (micros + retention, serial))
                if serial in self._used:
                    self._settle(record)
            else:
                self._forget(serial)  # posted as an event (consumed), or matched nothing
            return out

    def advance(self, to: Any) -> list[Recommendation]:
        """Move the clock to ``to`` (an ISO timestamp or datetime) with no event: due absences come out."""
        _, micros = timestamp(to)
        with self._lock:
            self._check_open()
            return self._advance(micros, None)

    def set_customer(self, customer_id: str, facts: Mapping[str, Any] | BaseModel | None) -> None:
        """The customer's current facts, decided by the ruleset; None forgets them."""
        customer_id = str(customer_id)
        snapshot = self._snapshot(customer_id, facts) if facts is not None else None
        with self._lock:
            if snapshot is None:
                self._snapshots.pop(customer_id, None)
            else:
                self._snapshots[customer_id] = snapshot

    @property
    def clock(self) -> dt.datetime | None:
        """The latest event time seen (None before the first event)."""
        return from_micros(self._clock) if self._clock is not None else None

    @property
    def patterns(self) -> dict[str, dict[str, Any]]:
        """The durable_rules rules this stream runs, by name (``t<n>`` for trigger n; an absence has
        ``t<n>s``, its start, and ``t<n>c``, the event that cancels it): what runs on durable_rules."""
        return {name: definition for name, (definition, _, _) in self._program.rules.items()}

    def stats(self) -> dict[str, int]:
        """What the stream holds: facts in durable_rules, open absences, customer snapshots."""
        with self._lock:
            return {"facts": len(self._records), "open_absences": len(self._open), "customers": len(self._snapshots)}

    def close(self) -> None:
        """Delete the durable_rules ruleset; the stream cannot be used afterwards."""
        with self._lock:
            if self._durable is not None:
                self._finalizer()
                self._durable = None
            self._closed = True

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Stream {self.ruleset.id} {self.ruleset.version}: {len(self._program.triggers)} triggers>"

    # -- customers -------------------------------------------------------------------------------------
    def _snapshot(self, customer_id: str, facts: Mapping[str, Any] | BaseModel) -> dict[str, Any]:
        if isinstance(facts, BaseModel):
            facts = facts.model_dump()
        names = self._program.customer_names
        if not names:
            return {}
        facts = dict(facts)
        facts.setdefault("id", customer_id)
        decided = self.ruleset.evaluate(facts).facts
        return {name: decided[name] for name in names if decided.get(name) is not None}

    def _customer(self, customer_id: str) -> Mapping[str, Any]:
        snapshot = self._snapshots.get(customer_id)
        if snapshot is not None:
            return snapshot
        lookup = self._lookup
        if lookup is None:
            return {}
        facts = lookup.get(customer_id) if isinstance(lookup, Mapping) else lookup(customer_id)
        return self._snapshot(customer_id, facts) if facts is not None else {}

    # -- time --------------------------------------------------------------------------------------------
    def _advance(self, micros: int, event: Event | None) -> list[Recommendation]:
        clock = self._clock
        if clock is not None and micros <= clock:  # the clock stays: only lateness to check
            known = self._watermark
            assert known is not None  # set with the clock
            if micros < known:
                if event is None:
                    return []  # the clock never goes back
                raise LateEventError([{"field": "at", "value": event.at.isoformat(), "message": _(
                    "is before the stream's watermark {watermark} (raise lateness to accept events this late)",
                    watermark=from_micros(known).isoformat())}])
            return []
        self._clock = micros
        watermark = micros - self._lateness
        if self._watermark is not None and watermark <= self._watermark:
            return []
        return self._close_windows(watermark)

    def _close_windows(self, watermark: int) -> list[Recommendation]:
        """Move the watermark: absences past their deadline recommend, facts past use are retracted."""
        self._watermark = watermark
        out = []
        deadlines = self._deadlines
        while deadlines and deadlines[0][0] < watermark:
            deadline, serial, index = heapq.heappop(deadlines)
            start = self._open.pop((index, serial), None)
            if start is not None:
                out.append(self._recommend(index, from_micros(deadline), (start,)))
                self._use(start, index, "first")
                self._settle(start)
        expiry, records, used = self._expiry, self._records, self._used
        retract = self._durable.retract if self._durable is not None else None
        while expiry and expiry[0][0] < watermark:
            _, serial = heapq.heappop(expiry)
            record = records.pop(serial, None)
            if record is not None:  # not retracted already, when its windows were used up
                if used:
                    used.pop(serial, None)
                assert retract is not None  # records exist only while durable_rules holds them
                retract(record.sid, serial)
        return out

    # -- durable_rules ---------------------------------------------------------------------------------
    def _send(self, customer: str, sid: str, event: Event, values: Mapping[str, Any], as_fact: bool,
              used: set[tuple[int, str]] | None) -> tuple[_Record, list[tuple[str, dict[str, Any]]] | None]:
        """Assert (or post) one event as a new record: durable_rules' matches, None when it matched
        nothing (then durable_rules keeps nothing)."""
        durable = self._durable
        fact = {"sid": sid, "id": 0, CUSTOMER_KEY: customer, TYPE_KEY: event.type, TIME_KEY: event.micros, ONE_KEY: 1}
        if self._program.renamed:
            for name, value in values.items():
                fact[data_key(name)] = value
        else:
            fact.update(values)
        records = self._records
        send = durable.assert_fact if as_fact else durable.post_event  # type: ignore[union-attr]
        for _attempt in range(8):
            fact["id"] = serial = next(self._serial)
            record = records[serial] = _new(_Record, (serial, customer, sid, event, values))
            if used:
                self._used[serial] = used
            try:
                return record, send(fact)
            except MessageObserved:
                # durable_rules knows messages by a 32-bit hash of their id: another id, another hash
                self._forget(serial)
        raise RuntimeError("durable_rules refused eight message ids in a row")  # pragma: no cover

    def _use(self, record: _Record, index: int, role: str) -> None:
        used = self._used.get(record.serial)
        if used is None:
            used = self._used[record.serial] = set()
        used.add((index, role))

    def _forget(self, serial: int) -> None:
        self._records.pop(serial, None)
        self._used.pop(serial, None)

    def _settle(self, record: _Record) -> None:
        """Retract a fact at once when every window it could open or close is used up."""
        roles = self._program.roles.get(record.event.type)
        if roles and self._used.get(record.serial, _NOTHING) >= roles and record.serial in self._records:
            self._forget(record.serial)
            self._retract(record)

    def _retract(self, record: _Record) -> None:
        self._durable.retract(record.sid, record.serial)  # type: ignore[union-attr]

    def _collect(self, hits: list[tuple[str, dict[str, Any]]]) -> list[Recommendation]:
        """Turn durable_rules' matches for the event just posted into recommendations."""
        program, records = self._program, self._records
        out: list[Recommendation] = []
        pairs: dict[int, list[tuple[_Record, _Record]]] = {}
        cancels = []
        for rule, message in hits:
            _, index, part = program.rules[rule]
            trigger = program.triggers[index]
            if part == "single":
                record = records[message["m"]["id"]]
                if trigger.first_check(record.values):
                    out.append(self._recommend(index, record.event.at, (record,)))
            elif part == "start":
                record = records[message["m"]["id"]]
                if trigger.first_check(record.values):
                    deadline = record.event.micros + trigger.spec.follow.within  # type: ignore[union-attr]
                    heapq.heappush(self._deadlines, (deadline, record.serial, index))
                    self._open[(index, record.serial)] = record
            else:
                first, second = records[message["first"]["id"]], records[message["second"]["id"]]
                if part == "cancel":
                    cancels.append((index, first, second))
                elif ((index, "first") not in self._used.get(first.serial, _NOTHING)
                      and (index, "second") not in self._used.get(second.serial, _NOTHING)
                      and trigger.first_check(first.values) and trigger.second_check(_bound(trigger, first, second))):
                    pairs.setdefault(index, []).append((first, second))
        touched: dict[int, _Record] = {}
        for index, first, second in cancels:  # after the starts of this same event
            if (index, first.serial) in self._open and program.triggers[index].second_check(
                    _bound(program.triggers[index], first, second)):
                del self._open[(index, first.serial)]
                self._use(first, index, "first")
                self._use(second, index, "second")
                touched[first.serial], touched[second.serial] = first, second
        for index in sorted(pairs):
            matched = pairs[index]
            first, second = min(matched, key=lambda p: (p[1].event.micros - p[0].event.micros, -p[0].serial))
            for a, b in matched:
                self._use(a, index, "first")
                self._use(b, index, "second")
                touched[a.serial], touched[b.serial] = a, b
            out.append(self._recommend(index, second.event.at, (first, second)))
        for record in touched.values():
            if record.serial in records:
                self._settle(record)
        return out

    def _recommend(self, index: int, at: dt.datetime, records: tuple[_Record, ...]) -> Recommendation:
        spec = self._program.triggers[index].spec
        return Recommendation(records[0].customer, spec.id, spec.title, spec.offer, spec.offer_title, spec.channel,
                              at, tuple(r.event.as_dict() for r in records))

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")


_NOTHING: frozenset[Any] = frozenset()
_new = tuple.__new__


def _bound(trigger: _Trigger, first: _Record, second: _Record) -> Mapping[str, Any]:
    if not trigger.spec.bind:
        return second.values
    values = dict(second.values)
    for name, attr in trigger.spec.bind:
        values[name] = first.event.attributes.get(attr)
    return values


def _and(items: list[dict[str, Any]]) -> dict[str, Any]:
    flat = [part for item in items for part in (item["$and"] if list(item) == ["$and"] else [item])]
    return flat[0] if len(flat) == 1 else {"$and": flat}


def _true(values: Mapping[str, Any]) -> bool:
    return True


def _fnv1(text: str) -> int:
    """durable_rules' hash of a session id (it tells sessions apart by this hash alone)."""
    value = 0x811C9DC5
    for byte in text.encode("utf-8"):
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


def _shard_names(count: int) -> list[str]:
    """Session ids for the shards, with distinct durable_rules hashes."""
    names = [str(i) for i in range(count)]
    assert len({_fnv1(n) for n in names}) == count
    return names




