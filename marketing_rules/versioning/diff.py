"""What changed between two versions of a ruleset, and which customers it moves.

``structural`` compares the rule files part by part (rules, offers, tables, services, access,
facts, constants, packages) and names the fields that changed. ``impact`` decides a set of
customers under both versions and counts, per offer, who gains and who loses it, and how derived
facts (the tier, say) and service access move, with sample customer ids for each.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from marketing_rules.engine.decision import Offer
from marketing_rules.engine.ruleset import Ruleset
from marketing_rules.errors import EvaluationError, FactsError
from marketing_rules.i18n import N_, _, fit

SAMPLES = 5

#: The words of a structural change as a line shows them (translated when shown; others as written).
WORDS = {
    "added": N_("added"), "removed": N_("removed"), "changed": N_("changed"),
    "rule": N_("rule"), "offer": N_("offer"), "table": N_("table"), "service": N_("service"),
    "access": N_("access"), "fact": N_("fact"), "constant": N_("constant"), "package": N_("package"),
    "header": N_("header"), "input": N_("input"), "event": N_("event"), "trigger": N_("trigger"), "tag": N_("tag"),
}


def _word(word: str) -> str:
    return _(WORDS[word]) if word in WORDS else word



@dataclass(frozen=True)
class Change:
    part: str  # rule, offer, table, service, access, fact, constant, package, header
    id: str
    change: str  # added, removed, changed
    fields: tuple[str, ...] = ()

    def __str__(self) -> str:
        detail = f" ({', '.join(self.fields)})" if self.fields else ""
        return f"{fit(_word(self.change), 8)} {fit(_word(self.part), 9)} {self.id}{detail}"


def structural(old: Ruleset, new: Ruleset) -> list[Change]:
    """Every part added, removed or changed from ``old`` to ``new``, section by section of the file."""
    a = old.file.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    b = new.file.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    changes: list[Change] = []
    for key in dict.fromkeys(k for k in (*a, *b) if k not in _IDENTITY):
        before, after = a.get(key), b.get(key)
        if before == after:
            continue
        if key == "access":
            changes += _access(before or {}, after or {})
        elif key == "rules":
            changes += _keyed("rule", _by_id(before or []), _by_id(after or []),
                              part_of=lambda r: "offer" if r.get("then", {}).get("offer") else "rule")
        elif isinstance(before or after, list) and all(isinstance(i, dict) and "id" in i for i in (before or after or [])):
            changes += _keyed(_singular(key), _by_id(before or []), _by_id(after or []))
        elif isinstance(before or after, dict) and key not in ("effective", "checks", "codes"):
            changes += _keyed(_singular(key), before or {}, after or {})
        else:
            changes.append(Change("header", key, "changed"))
    return changes


_IDENTITY = ("ruleset", "version")


def _singular(section: str) -> str:
    return {"facts": "fact", "constants": "constant", "packages": "package", "services": "service",
            "tables": "table", "inputs": "input", "events": "event", "triggers": "trigger", "tags": "tag"}.get(section, section)


def _by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def _keyed(part: str, old: Mapping[str, Any], new: Mapping[str, Any],
           part_of: Callable[[Any], str] | None = None) -> list[Change]:
    changes = []
    name: Callable[[Any], str] = part_of if part_of is not None else (lambda item: part)
    for key in old:
        if key not in new:
            changes.append(Change(name(old[key]), key, "removed"))
        elif old[key] != new[key]:
            changes.append(Change(name(new[key]), key, "changed", tuple(_changed_fields(old[key], new[key]))))
    changes += [Change(name(new[key]), key, "added") for key in new if key not in old]
    return changes


def _changed_fields(old: Any, new: Any, prefix: str = "") -> list[str]:
    if not (isinstance(old, dict) and isinstance(new, dict)):
        return [prefix] if prefix and old != new else []
    fields = []
    for key in sorted(set(old) | set(new), key=str):
        if old.get(key) != new.get(key):
            path = f"{prefix}.{key}" if prefix else str(key)
            deeper = _changed_fields(old.get(key), new.get(key), path) if isinstance(old.get(key), dict) else []
            fields += deeper or [path]
    return fields


def _access(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    changes = []
    for value in sorted(set(old) | set(new)):
        if value == "by" or old.get(value) == new.get(value):
            continue
        if value not in old or value not in new:
            changes.append(Change("access", str(value), "added" if value not in old else "removed"))
            continue
        fields = [c for c in sorted(set(old[value]) | set(new[value])) if old[value].get(c) != new[value].get(c)]
        changes.append(Change("access", str(value), "changed", tuple(fields)))
    if old.get("by") != new.get("by"):
        changes.append(Change("access", "by", "changed"))
    return changes


@dataclass
class Movement:
    """How many customers made one move, with a few of their ids."""

    count: int = 0
    samples: list[str] = field(default_factory=list)

    def add(self, customer_id: str) -> None:
        self.count += 1
        if len(self.samples) < SAMPLES:
            self.samples.append(customer_id)


@dataclass
class Impact:
    customers: int = 0
    rejected: int = 0
    gained: dict[str, Movement] = field(default_factory=lambda: defaultdict(Movement))
    lost: dict[str, Movement] = field(default_factory=lambda: defaultdict(Movement))
    facts: dict[str, dict[tuple[Any, Any], Movement]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Movement)))
    access: dict[str, dict[tuple[str, str], Movement]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(Movement)))
    offers_before: Counter[str] = field(default_factory=Counter)
    offers_after: Counter[str] = field(default_factory=Counter)
    changed: int = 0  # customers whose offers, derived facts or access differ
    cost_before: Decimal = Decimal(0)  # yuan of rewards granted (see reward_cost)
    cost_after: Decimal = Decimal(0)

    def render(self) -> str:
        customers = f"{self.customers:,}"
        lines = [_("{customers} customers decided under both versions ({rejected} rejected as invalid)",
                   customers=customers, rejected=f"{self.rejected:,}") if self.rejected else
                 _("{customers} customers decided under both versions", customers=customers)]
        offers = sorted(set(self.offers_before) | set(self.offers_after))
        if offers:
            heads = [fit(_("offer"), 28), fit(_("before"), 9, right=True), fit(_("after"), 9, right=True),
                     fit(_("gain"), 8, right=True), fit(_("lose"), 8, right=True), "  ", _("sample customers")]
            lines.append("\n" + "".join(heads))
            for offer in offers:
                gain, lose = self.gained.get(offer, Movement()), self.lost.get(offer, Movement())
                samples = ", ".join(["+" + s for s in gain.samples[:2]] + ["-" + s for s in lose.samples[:2]])
                lines.append(f"  {offer:<26}{self.offers_before[offer]:>9,}{self.offers_after[offer]:>9,}"
                             f"{gain.count:>8,}{lose.count:>8,}  {samples}")
        for fact, moves in self.facts.items():
            lines.append("\n" + _("{fact} moves", fact=fact))
            for (before, after), move in sorted(moves.items(), key=lambda kv: -kv[1].count):
                lines.append(f"  {before!s:>12} -> {after!s:<12}{move.count:>9,}  "
                             + _("e.g. {samples}", samples=", ".join(move.samples[:3])))
        for service, moves in self.access.items():
            lines.append("\n" + _("access to {service}", service=service))
            for (before, after), move in sorted(moves.items(), key=lambda kv: -kv[1].count):
                lines.append(f"  {before:>20} -> {after:<20}{move.count:>9,}  "
                             + _("e.g. {samples}", samples=", ".join(move.samples[:3])))
        return "\n".join(lines)


def impact(old: Ruleset, new: Ruleset, customers: Iterable[Mapping[str, Any]]) -> Impact:
    """Decide each customer under both versions and count what moves."""
    result = Impact()
    shared = [name for name in new.program.derived if name in old.program.derived]
    for customer in customers:
        try:
            before, after = old.evaluate(customer), new.evaluate(customer)
        except (FactsError, EvaluationError):
            result.rejected += 1
            continue
        result.customers += 1
        who = str(before.inputs["id"])
        had, has = {o.id for o in before.offers}, {o.id for o in after.offers}
        result.offers_before.update(had)
        result.offers_after.update(has)
        result.cost_before += sum((reward_cost(o) for o in before.offers), Decimal(0))
        result.cost_after += sum((reward_cost(o) for o in after.offers), Decimal(0))
        moved = had != has
        for offer in has - had:
            result.gained[offer].add(who)
        for offer in had - has:
            result.lost[offer].add(who)
        for name in shared:
            if before.facts[name] != after.facts[name]:
                result.facts[name][(before.facts[name], after.facts[name])].add(who)
                moved = True
        for service in set(before.access) | set(after.access):
            was, now = _modes(before.access.get(service)), _modes(after.access.get(service))
            if was != now:
                result.access[service][(was, now)].add(who)
                moved = True
        result.changed += moved
    return result


#: The rewards that cost yuan, and the parameter that holds the amount (``months`` multiplies it).
_YUAN = {"bill_credit": "amount", "voucher": "amount", "goods": "value", "handset": "subsidy"}


def reward_cost(offer: Offer) -> Decimal:
    """The yuan an offer's rewards cost: bill credit (times its months), vouchers, goods, handset subsidy."""
    total = Decimal(0)
    for reward in offer.rewards:
        amount = reward.get(_YUAN.get(str(reward["kind"]), ""))
        if isinstance(amount, (int, float, Decimal)):
            months = reward.get("months") if reward["kind"] == "bill_credit" else 1
            total += Decimal(str(amount)) * Decimal(str(months or 1))
    return total


@dataclass
class Gate:
    """The release gate: the impact of a candidate version on a sample, and whether it stays under a threshold."""

    impact: Impact
    fail_over: float | None  # percent of changed decisions that fails the gate

    @property
    def share(self) -> float:
        """Percent of the decided customers whose decision changed."""
        return 100.0 * self.impact.changed / self.impact.customers if self.impact.customers else 0.0

    @property
    def passed(self) -> bool:
        return self.fail_over is None or self.share <= self.fail_over

    def render(self) -> str:
        i = self.impact
        share = f"{self.share:.2f}"
        summary = _("{changed} of {customers} decisions change ({share}%); reward cost {before} -> {after} yuan "
                    "({difference})", changed=f"{i.changed:,}", customers=f"{i.customers:,}", share=share,
                    before=f"{i.cost_before:,.2f}", after=f"{i.cost_after:,.2f}",
                    difference=f"{i.cost_after - i.cost_before:+,.2f}")
        if self.fail_over is not None:
            verdict = _("pass: {share}% changed, threshold {threshold}%", share=share, threshold=f"{self.fail_over:g}") \
                if self.passed else \
                _("FAIL: {share}% changed, threshold {threshold}%", share=share, threshold=f"{self.fail_over:g}")
            summary += "\n" + verdict
        return f"{i.render()}\n\n{summary}"


def release_gate(old: Ruleset, new: Ruleset, customers: Iterable[Mapping[str, Any]], *,
                 fail_over: float | None = None) -> Gate:
    """Replay ``customers`` (logged traffic: :func:`marketing_rules.service.log.logged_customers`) under
    both versions; the gate fails when more than ``fail_over`` percent of the decisions change."""
    return Gate(impact(old, new, customers), fail_over)


def _modes(access: Any) -> str:
    return ",".join(access.modes) if access is not None and access.modes else "denied"
