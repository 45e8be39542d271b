"""What an evaluation returns: the customer's decision (SPEC section 5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from marketing_rules.analysis.program import ServiceAccess
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

    def _access(self, by_value: Any, fired: list[str]) -> Mapping[str, ServiceAccess]: ...


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "title": self.title, "group": self.group, "code": self.code, "mode": self.mode,
            "type": self.type, "requires": [dict(r) for r in self.requires], "rewards": [dict(r) for r in self.rewards],
        }


class Decision:
    """The outcome of ``rs.evaluate(customer)``.

    >>> d = rs.evaluate({"id": "13900000001", "arpu_3m": 260.0})   # doctest: +SKIP
    >>> d.facts["tier"], [o.id for o in d.offers], d.fired            # doctest: +SKIP

    The generated code hands over the facts, the fired ids and the offers ready-made (plain slots:
    the fastest to read); the rest is derived from them on first access.
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
            derived = self._ruleset._derived_names
            self._inputs = {name: value for name, value in self.facts.items() if name not in derived}
        return self._inputs

    @property
    def tags(self) -> set[str]:
        tags = self._ruleset._tags
        return {tag for rule in self.fired if rule in tags for tag in tags[rule]} if tags else set()

    @property
    def access(self) -> Mapping[str, ServiceAccess]:
        """Service id -> modes and terms; a service not listed is denied."""
        if self._access is None:
            self._access = self._ruleset._access(self._by, self.fired)
        return self._access

    @property
    def points(self) -> int | float:
        """Points awarded by ``award`` effects, summed exactly (int when whole)."""
        total: int | float = to_plain(sum(points for _, points in self._awards or () if points is not None))
        return total

    @property
    def awards(self) -> list[tuple[str, Any]]:
        """(rule id, points) for each ``award`` that fired."""
        return [(rule, to_plain(points)) for rule, points in self._awards or ()]

    def as_dict(self) -> dict[str, Any]:
        """The decision as plain JSON-ready data."""
        return {
            "ruleset": self.ruleset,
            "version": self.version,
            "fingerprint": self.fingerprint,
            "facts": self.facts,
            "tags": sorted(self.tags),
            "offers": [o.as_dict() for o in self.offers],
            "access": {service: a.as_dict() for service, a in self.access.items()},
            "points": self.points,
            "fired": list(self.fired),
        }

    def __repr__(self) -> str:
        offers = [o.id for o in self.offers]
        return f"Decision({self.ruleset} {self.version}: id={self.facts.get('id')!r}, offers={offers}, fired={self.fired})"


EMPTY_ACCESS: Mapping[str, ServiceAccess] = MappingProxyType({})
