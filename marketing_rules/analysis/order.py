"""Dependencies between rules through facts, and the agenda order (SPEC section 4).

A unit (rule or table) that reads a fact waits until every unit that can set that fact has been
decided. Among units that are ready, higher priority goes first, then file order. Because
readiness depends only on the static graph, the whole agenda is known at load time.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from marketing_rules.analysis.program import Rule, Table, Unit
from marketing_rules.i18n import _


@dataclass(frozen=True, slots=True)
class OrderIssue:
    code: str
    message: str
    unit: Unit
    hint: str | None = None


def setters(units: Sequence[Unit]) -> dict[str, list[Unit]]:
    result: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        for fact in sorted(unit.writes):
            result[fact].append(unit)
    return result


def check_setters(units: Sequence[Unit]) -> list[OrderIssue]:
    """Two units that set one fact must be rules of one group (a table is one unit already)."""
    issues = []
    for fact, owners in setters(units).items():
        if len(owners) < 2:
            continue
        groups = {u.group if isinstance(u, Rule) else None for u in owners}
        if any(isinstance(u, Table) for u in owners) or len(groups) != 1 or None in groups:
            first, *others = owners
            names = ", ".join(f"'{u.id}'" for u in owners)
            for unit in others:
                issues.append(OrderIssue(
                    "MR202", _("fact '{fact}' is set by {names}, which are not in one group", fact=fact, names=names),
                    unit, _("put the rules in one group (group: ...) so that only one of them can set '{fact}'",
                            fact=fact)))
    return issues


def agenda(units: Sequence[Unit]) -> tuple[list[Unit], list[OrderIssue]]:
    """The units in firing order, or the cycles that prevent one."""
    by_fact = setters(units)
    waits_for: dict[int, set[int]] = {}
    position = {id(u): i for i, u in enumerate(units)}
    for i, unit in enumerate(units):
        waits_for[i] = {position[id(s)] for fact in unit.reads for s in by_fact.get(fact, ())}
    cycles = _cycles(units, waits_for)
    if cycles:
        return list(units), cycles
    dependants: dict[int, list[int]] = defaultdict(list)
    remaining = {i: len(deps) for i, deps in waits_for.items()}
    for i, deps in waits_for.items():
        for d in deps:
            dependants[d].append(i)
    ready = [(-units[i].priority, i) for i, n in remaining.items() if n == 0]
    heapq.heapify(ready)
    order: list[Unit] = []
    while ready:
        _priority, i = heapq.heappop(ready)
        order.append(units[i])
        for j in dependants[i]:
            remaining[j] -= 1
            if remaining[j] == 0:
                heapq.heappush(ready, (-units[j].priority, j))
    return order, []


def _fact_cycle(members: Sequence[Unit]) -> list[str]:
    """One cycle of facts through the members, in the direction it runs: 'a -> b -> a'."""
    follows: dict[str, list[str]] = defaultdict(list)  # fact -> facts derived from it
    for unit in members:
        for read in sorted(unit.reads):
            follows[read] += sorted(unit.writes)
    start = min(f for u in members for f in u.writes)
    path, seen = [start], {start}
    while True:
        nxt = next((f for f in follows[path[-1]] if f == start or f not in seen), None)
        if nxt is None:
            return [*path, "?"]
        path.append(nxt)
        if nxt == start:
            return path
        seen.add(nxt)


def _cycles(units: Sequence[Unit], waits_for: dict[int, set[int]]) -> list[OrderIssue]:
    """Each strongly connected group of units that wait on each other, named by its facts."""
    index_of: dict[int, int] = {}
    low: dict[int, int] = {}
    stack: list[int] = []
    on_stack: set[int] = set()
    components: list[list[int]] = []
    counter = 0

    def visit(v: int) -> None:  # Tarjan's algorithm; rulesets are small, recursion is fine
        nonlocal counter
        index_of[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(waits_for[v]):
            if w not in index_of:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index_of[w])
        if low[v] == index_of[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            components.append(sorted(component))

    for v in range(len(units)):
        if v not in index_of:
            visit(v)
    issues = []
    for component in components:
        if len(component) == 1 and component[0] not in waits_for[component[0]]:
            continue
        members = [units[i] for i in component]
        path = " -> ".join(_fact_cycle(members))
        ids = ", ".join(f"'{u.id}'" for u in members)
        issues.append(OrderIssue(
            "MR201", _("facts depend on each other in a cycle: {cycle} (through {ids})", cycle=path, ids=ids),
            members[0],
            _("a fact may not depend, directly or through other facts, on itself; split it into two facts")))
    return issues
