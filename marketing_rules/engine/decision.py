"""What an evaluation returns: the customer's decision (SPEC section 5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from marketing_rules.analysis.program import ServiceAccess

if TYPE_CHECKING:
    from marketing_rules.engine.ruleset import Ruleset


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

    The parts are assembled from the generated code's raw result on first access.
    """

    __slots__ = ("_ruleset", "inputs", "_raw", "_facts", "_offers", "_access")

    def __init__(self, ruleset: Ruleset, inputs: dict[str, Any], raw: tuple) -> None:
        self._ruleset = ruleset
        self.inputs = inputs
        self._raw = raw
        self._facts: dict[str, Any] | None = None
        self._offers: list[Offer] | None = None
        self._access: Mapping[str, ServiceAccess] | None = None

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
    def facts(self) -> dict[str, Any]:
        """The input facts and, beside them, every derived fact (null where no rule set it)."""
        if self._facts is None:
            self._facts = facts = dict(self.inputs)
            facts.update(zip(self._ruleset._derived_names, self._raw[4:]))
        return self._facts

    @property
    def fired(self) -> list[str]:
        """Ids of the rules and table rows (``table#row``) that fired, in firing order."""
        return self._raw[0]

    @property
    def offers(self) -> list[Offer]:
        """The eligible offers, in firing order."""
        if self._offers is None:
            self._offers = self._ruleset._offers(self._raw[0], self._raw[1])
        return self._offers

    @property
    def tags(self) -> set[str]:
        tags = self._ruleset._tags
        return {tag for rule in self._raw[0] if rule in tags for tag in tags[rule]} if tags else set()

    @property
    def access(self) -> Mapping[str, ServiceAccess]:
        """Service id -> modes and terms; a service not listed is denied."""
        if self._access is None:
            self._access = self._ruleset._access(self._raw[3], self._raw[0])
        return self._access

    @property
    def points(self) -> int | float:
        """Points awarded by ``award`` effects."""
        return sum(points for _, points in self.awards if points is not None)

    @property
    def awards(self) -> list[tuple[str, Any]]:
        """(rule id, points) for each ``award`` that fired."""
        return list(self._raw[2] or ())

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
        return f"Decision({self.ruleset} {self.version}: id={self.inputs.get('id')!r}, offers={offers}, fired={self.fired})"


EMPTY_ACCESS: Mapping[str, ServiceAccess] = MappingProxyType({})
