"""What an evaluation returns: the customer's decision (SPEC section 5)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NoReturn, Protocol

from marketing_rules.analysis.program import Grant, Program, ServiceAccess
from marketing_rules.backends.python import to_plain

if TYPE_CHECKING:
    from marketing_rules.backends.python import RawResult


class Decides(Protocol):
    """What a decision reads from the ruleset that made it (a :class:`~marketing_rules.engine.ruleset.Ruleset`)."""

    id: str
    version: str
    fingerprint: str
    _derived_names: frozenset[str]
    _tags: dict[str, tuple[str, ...]]
    _access_data: AccessData


@dataclass(frozen=True, slots=True)
class Offer:
    """An offer the customer is eligible for, with requirements and rewards evaluated."""

    id: str
    title: str
    group: str | None
    code: str | None
    mode: str | None
    type: str | None
    requires: tuple[Mapping[str, Any], ...]
    rewards: tuple[Mapping[str, Any], ...]
    _data: ReadOnlyDict | None = field(default=None, init=False, repr=False, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "group": self.group, "code": self.code, "mode": self.mode,
            "type": self.type, "requires": [dict(r) for r in self.requires], "rewards": [dict(r) for r in self.rewards],
        }

    def shared_dict(self) -> ReadOnlyDict:
        """:meth:`as_dict`, read-only, built once: an offer without computed amounts is one object
        for every customer, and so is this."""
        if self._data is None:
            data = self.as_dict()
            data["requires"] = ReadOnlyList(ReadOnlyDict(r) for r in data["requires"])
            data["rewards"] = ReadOnlyList(ReadOnlyDict(r) for r in data["rewards"])
            object.__setattr__(self, "_data", ReadOnlyDict(data))
        assert self._data is not None
        return self._data


def _read_only(self: Any, *args: Any, **kwargs: Any) -> NoReturn:
    raise TypeError(f"this {type(self).__name__} is shared between decisions: copy it to change it")


class ReadOnlyDict(dict[str, Any]):
    """A dict that refuses changes: JSON-ready data that decisions share. ``dict(d)`` or
    ``copy.deepcopy(d)`` gives a plain one to change."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _read_only

    def __copy__(self) -> dict[str, Any]:
        return dict(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> dict[str, Any]:
        from copy import deepcopy

        return {key: deepcopy(value, memo) for key, value in self.items()}

    def __reduce__(self) -> tuple[type, tuple[dict[str, Any]]]:
        return dict, (dict(self),)


class ReadOnlyList(list[Any]):
    """A list that refuses changes (see :class:`ReadOnlyDict`)."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = append = extend = insert = remove = pop = clear = \
        sort = reverse = _read_only

    def __copy__(self) -> list[Any]:
        return list(self)

    def __deepcopy__(self, memo: dict[int, Any]) -> list[Any]:
        from copy import deepcopy

        return [deepcopy(value, memo) for value in self]

    def __reduce__(self) -> tuple[type, tuple[list[Any]]]:
        return list, (list(self),)


def with_grants(base: Mapping[str, ServiceAccess], grants: Iterable[Grant]) -> Mapping[str, ServiceAccess]:
    """A row of the access matrix with each granted mode added (its terms over the service's), in
    firing order."""
    merged = dict(base)
    for grant in grants:
        current = merged.get(grant.service, ServiceAccess(()))
        if grant.mode not in current.modes:
            terms = {**dict(current.terms), **dict(grant.terms)}
            merged[grant.service] = ServiceAccess((*current.modes, grant.mode), MappingProxyType(terms))
    return MappingProxyType(merged)


class AccessData:
    """The access of decisions: a row of the access matrix, changed by the grants of the rules that
    fired. Each row (every customer of a tier shares it) and each row with a set of grants (the
    same few sets recur across customers) is merged once and held, as a mapping and as JSON-ready
    data; at most :data:`MERGED_HELD` merged rows are held at a time."""

    def __init__(self, program: Program):
        access = program.access
        self._table: Mapping[str, Mapping[str, ServiceAccess]] = access.table if access is not None else {}
        self._grants: dict[str, tuple[Grant, ...]] = {r.id: r.grants for r in program.rules if r.grants}
        self._rows: dict[int, tuple[Mapping[str, ServiceAccess], ReadOnlyDict]] = {
            id(row): (row, self.build(row)) for row in (EMPTY_ACCESS, *self._table.values())}
        self._merged: dict[tuple[Any, tuple[str, ...]], Mapping[str, ServiceAccess]] = {}
        self._row_data = {key: self._rows[id(row)][1] for key, row in self._table.items()}
        self.constant = not self._table and not self._grants  # every decision's access is empty
        self._empty = self._rows[id(EMPTY_ACCESS)][1]

    def data(self, by_value: Any, fired: list[str]) -> ReadOnlyDict:
        """:meth:`access` as JSON-ready data (shared: read-only)."""
        if not self._grants:  # the row itself, found without the mapping
            return self._row_data.get(str(by_value), self._empty) if by_value is not None else self._empty
        return self.of(self.access(by_value, fired))

    def access(self, by_value: Any, fired: list[str]) -> Mapping[str, ServiceAccess]:
        """Service id -> modes and terms for the access key's value and the rules that fired."""
        base = self._table.get(str(by_value), EMPTY_ACCESS) if by_value is not None else EMPTY_ACCESS
        grants = self._grants
        granting = tuple([rule for rule in fired if rule in grants]) if grants else ()
        if not granting:
            return base
        key = (by_value, granting)
        merged = self._merged.get(key)
        if merged is None:
            merged = with_grants(base, [g for rule in granting for g in grants[rule]])
            if len(self._merged) >= MERGED_HELD:  # a bound on memory: start again
                for held in self._merged.values():
                    self._rows.pop(id(held), None)
                self._merged.clear()
            self._rows[id(merged)] = (merged, self.build(merged))
            self._merged[key] = merged
        return merged

    def of(self, access: Mapping[str, ServiceAccess]) -> ReadOnlyDict:
        known = self._rows.get(id(access))
        return known[1] if known is not None and known[0] is access else self.build(access)

    @staticmethod
    def build(access: Mapping[str, ServiceAccess]) -> ReadOnlyDict:
        return ReadOnlyDict({service: ReadOnlyDict({"modes": ReadOnlyList(a.modes), **dict(a.terms)})
                             for service, a in access.items()})


MERGED_HELD = 4096


class Decision:
    """The outcome of ``rs.evaluate(customer)``.

    >>> d = rs.evaluate({"id": "13900000001", "arpu_3m": 260.0})   # doctest: +SKIP
    >>> d.facts["tier"], [o.id for o in d.offers], d.fired            # doctest: +SKIP

    The generated code hands over the facts, the fired ids and the offers ready-made (plain slots:
    the fastest to read); the rest is derived from them on first access. The generated
    ``evaluate`` (backends/python.py) fills these slots itself, without ``__init__``.
    """

    __slots__ = ("_ruleset", "facts", "fired", "offers", "_awards", "_by", "_access", "_inputs")
    facts: dict[str, Any]  # the input facts and, beside them, every derived fact (null where no rule set it)
    fired: list[str]  # ids of the rules and table rows (``table#row``) that fired, in firing order
    offers: list[Offer]  # the eligible offers, in firing order

    def __init__(self, ruleset: Decides, raw: RawResult) -> None:
        self._ruleset = ruleset
        self.facts, self.fired, self.offers, self._awards, self._by = raw
        self._access: Mapping[str, ServiceAccess] | None = None
        self._inputs: dict[str, Any] | None = None

    @classmethod
    def of_ruleset(cls, ruleset: Decides) -> type[Decision]:
        """A class of the decisions of one ruleset: its id, version and fingerprint are plain class
        attributes there (read as fast as a slot, and stored nowhere per decision)."""
        namespace: dict[str, Any] = {"__slots__": (), "__doc__": cls.__doc__, "__module__": cls.__module__,
                                     "ruleset": ruleset.id, "version": ruleset.version,
                                     "fingerprint": ruleset.fingerprint}
        if not ruleset._tags:  # what a ruleset that cannot tag, or grant, answers without looking
            namespace["tags"] = property(_no_tags, doc=cls.tags.__doc__)
        if ruleset._access_data.constant:
            namespace["access"] = property(_no_access, doc=cls.access.__doc__)
        return type(cls.__name__, (cls,), namespace)

    @property
    def ruleset(self) -> str:
        return self._ruleset.id

    @property
    def version(self) -> str:
        return self._ruleset.version

    @property
    def fingerprint(self) -> str:
        return self._ruleset.fingerprint

    @property
    def inputs(self) -> dict[str, Any]:
        """The validated input facts (the facts without the derived ones)."""
        if self._inputs is None:
            inputs = self._inputs = dict(self.facts)  # a copy, then without the derived facts: the fastest
            for name in self._ruleset._derived_names:
                del inputs[name]
        return self._inputs

    @property
    def tags(self) -> set[str]:
        tags = self._ruleset._tags
        tagged = [rule for rule in self.fired if rule in tags] if tags else None
        return {tag for rule in tagged for tag in tags[rule]} if tagged else set()

    @property
    def access(self) -> Mapping[str, ServiceAccess]:
        """Service id -> modes and terms; a service not listed is denied."""
        if self._access is None:
            self._access = self._ruleset._access_data.access(self._by, self.fired)
        return self._access

    @property
    def points(self) -> int | float:
        """Points awarded by ``award`` effects, summed exactly (int when whole)."""
        if not self._awards:
            return 0
        total: int | float = to_plain(sum(points for _, points in self._awards if points is not None))
        return total

    @property
    def awards(self) -> list[tuple[str, Any]]:
        """(rule id, points) for each ``award`` that fired."""
        return [(rule, to_plain(points)) for rule, points in self._awards] if self._awards else []

    def as_dict(self) -> dict[str, Any]:
        """The decision as plain JSON-ready data. The offers and the access are read-only dicts and
        lists shared between decisions (built once, not per customer): ``copy.deepcopy`` gives
        plain ones to change."""
        ruleset = self._ruleset
        tags = ruleset._tags
        fired = self.fired
        tagged = {tag for rule in fired if rule in tags for tag in tags[rule]} if tags else None
        access = self._access
        offers = self.offers
        return {
            "ruleset": ruleset.id,
            "version": ruleset.version,
            "fingerprint": ruleset.fingerprint,
            "facts": self.facts,
            "tags": sorted(tagged) if tagged else [],
            "offers": [o._data or o.shared_dict() for o in offers] if offers else [],
            "access": ruleset._access_data.data(self._by, fired) if access is None else ruleset._access_data.of(access),
            "points": self.points if self._awards else 0,
            "fired": fired.copy(),
        }

    def __repr__(self) -> str:
        offers = [o.id for o in self.offers]
        return f"Decision({self.ruleset} {self.version}: id={self.facts.get('id')!r}, offers={offers}, fired={self.fired})"


EMPTY_ACCESS: Mapping[str, ServiceAccess] = MappingProxyType({})


def _no_tags(decision: Decision) -> set[str]:
    return set()


def _no_access(decision: Decision) -> Mapping[str, ServiceAccess]:
    return EMPTY_ACCESS
