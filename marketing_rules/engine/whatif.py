"""What would it take: the smallest change of a customer's numeric facts that makes an offer eligible.

Conditions over numbers are piecewise constant between their thresholds, so the smallest change
lies at a threshold or one step past it. We gather the thresholds of every comparison that can
matter to the offer (its own condition, the rules and tables deriving the facts it reads, and the
rivals in its group), try single-fact changes nearest first, then pairs, each time re-deciding
the whole customer, and keep the smallest change that qualifies.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from marketing_rules.analysis.program import Program, Rule, Table, Unit, cond_to_ast
from marketing_rules.engine.decision import Decision
from marketing_rules.engine.explain import Check, explain
from marketing_rules.expressions import ast
from marketing_rules.expressions.evaluate import value_of
from marketing_rules.expressions.text import literal_text
from marketing_rules.i18n import _, language, messages_in

MAX_PAIR_TRIALS = 20_000
_INVERSE = {"+": "-", "-": "+", "*": "/", "/": "*"}


@dataclass(frozen=True)
class Change:
    fact: str
    before: Any
    after: Any

    def __str__(self) -> str:
        return f"{self.fact} {literal_text(self.before)} -> {literal_text(self.after)}"


@dataclass(frozen=True)
class WhatItTakes:
    """The answer: ``changes`` (empty when already eligible), or ``possible`` False with the reason."""

    offer: str
    customer: str | None
    already: bool
    possible: bool
    changes: tuple[Change, ...] = ()
    reason: str = ""
    lang: str = field(default_factory=language, repr=False, compare=False)  # the words' language

    def __str__(self) -> str:
        with messages_in(self.lang):
            return self._text()

    def _text(self) -> str:
        if self.already:
            return _("customer {customer} is already eligible for '{offer}'", customer=self.customer, offer=self.offer)
        if not self.possible:
            return _("no change of numeric facts makes customer {customer} eligible for '{offer}': {reason}",
                     customer=self.customer, offer=self.offer, reason=self.reason)
        return ", ".join(str(c) for c in self.changes)


def what_would_it_take(program: Program, decide: Callable[[dict[str, Any]], Decision],
                       validate: Callable[[Any], dict[str, Any]], customer: Any, offer_id: str) -> WhatItTakes:
    """The smallest change of ``customer``'s numeric facts that fires ``offer_id``.

    ``validate`` checks the customer's facts; ``decide`` decides facts that are already valid.
    """
    rule = program.unit(offer_id)
    if not isinstance(rule, Rule):
        raise KeyError(_("no rule or offer '{offer}' in {ruleset} {version}", offer=offer_id, ruleset=program.ruleset,
                         version=program.version))
    facts = validate(customer)
    who = str(facts.get("id"))
    if offer_id in decide(facts).fired:
        return WhatItTakes(offer_id, who, already=True, possible=True)
    units = _relevant_units(program.units, rule)
    numeric = {name: t.kind == "integer" for name, t in program.schema.types().items() if t.numeric}
    candidates = _candidates(units, facts, numeric, program)

    def qualifies(changed: dict[str, Any]) -> bool:
        return offer_id in decide({**facts, **changed}).fired


    best: tuple[float, dict[str, Any]] | None = None
    for name, values in candidates.items():
        for value in values:
            if qualifies({name: value}):
                cost = _cost(facts.get(name), value)
                if best is None or cost < best[0]:
                    best = (cost, {name: value})
                break
    if best is None:
        trials = 0
        for (a, va), (b, vb) in itertools.combinations(candidates.items(), 2):
            for x, y in itertools.product(va, vb):
                trials += 1
                if trials > MAX_PAIR_TRIALS:
                    break
                cost = _cost(facts.get(a), x) + _cost(facts.get(b), y)
                if (best is None or cost < best[0]) and qualifies({a: x, b: y}):
                    best = (cost, {a: x, b: y})
    if best is None:
        reason = _blocking_reason(program, decide, facts, rule)
        return WhatItTakes(offer_id, who, already=False, possible=False, reason=reason)
    changes = tuple(Change(name, facts.get(name), value) for name, value in best[1].items())
    return WhatItTakes(offer_id, who, already=False, possible=True, changes=changes)


def _relevant_units(units: tuple[Unit, ...], rule: Rule) -> list[Unit]:
    """The rule, its group rivals, and every unit deriving a fact they read (transitively)."""
    rivals = (u for u in units if isinstance(u, Rule) and rule.group and u.group == rule.group and u is not rule)
    chosen: list[Unit] = [rule, *rivals]
    reads: set[str] = set().union(*(u.reads for u in chosen))
    changed = True
    while changed:
        changed = False
        for unit in units:
            if unit not in chosen and unit.writes & reads:
                chosen.append(unit)
                reads |= unit.reads
                changed = True
    return chosen


def _conditions(unit: Unit) -> list[ast.Expr]:
    if isinstance(unit, Table):
        return [row.condition() for row in unit.rows]
    return [cond_to_ast(unit.when)] if unit.when is not None else []


def _candidates(units: list[Unit], facts: dict[str, Any], numeric: dict[str, bool], program: Program) -> dict[str, list[Any]]:
    """Per input fact, the values worth trying, nearest to the current value first."""
    found: dict[str, set[Any]] = {}
    for unit in units:
        for condition in _conditions(unit):
            for node in ast.walk(condition):
                if isinstance(node, ast.Compare) and node.span != (0, 0):  # not the loader's upgrade test
                    for side, other in ((node.left, node.right), (node.right, node.left)):
                        _thresholds(side, other, facts, numeric, found)
    result = {}
    schema = program.schema
    for name, values in found.items():
        spec = schema[name]
        allowed = [v for v in values if (spec.ge is None or v >= spec.ge) and (spec.le is None or v <= spec.le)]
        current = facts.get(name)
        origin = float(current) if current is not None else 0.0
        result[name] = sorted((v for v in allowed if v != current), key=lambda v: (abs(float(v) - origin), v))
    return {k: v for k, v in result.items() if v}


def _thresholds(side: ast.Expr, other: ast.Expr, facts: dict[str, Any], numeric: dict[str, bool],
                found: dict[str, set[Any]]) -> None:
    """If ``side`` is a fact (or a fact with one constant operation), the values at its boundary."""
    target = _decimal(value_of(other, facts))
    if target is None:
        return
    while isinstance(side, ast.Arith):  # undo x * k, x + k, ... to find x's threshold
        if isinstance(side.right, (ast.Literal, ast.ConstRef)) and side.op in _INVERSE:
            k = _decimal(value_of(side.right, facts))
            if k is None or k == 0 and side.op in "*/":
                return
            target = _apply(_INVERSE[side.op], target, k)
            side = side.left
        elif isinstance(side.left, (ast.Literal, ast.ConstRef)) and side.op in "+*":
            k = _decimal(value_of(side.left, facts))
            if k is None or k == 0:
                return
            target = _apply(_INVERSE[side.op], target, k)
            side = side.right
        else:
            return
    if not isinstance(side, ast.FactRef) or side.name not in numeric or target is None:
        return
    integer = numeric[side.name]
    step = Decimal(1) if integer else Decimal("0.01")
    for delta in (-step, Decimal(0), step):
        value = (target + delta).quantize(step) if not integer else (target + delta).to_integral_value()
        found.setdefault(side.name, set()).add(int(value) if integer else float(value))


def _decimal(value: Any) -> Decimal | None:
    """A number as a Decimal (integers included); None for anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    return Decimal(value)


def _apply(op: str, a: Decimal, b: Decimal) -> Decimal:
    return {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]


def _cost(before: Any, after: Any) -> float:
    base = abs(float(before)) if before is not None else 0.0
    return abs(float(after) - (float(before) if before is not None else 0.0)) / max(base, 1.0)


def _blocking_reason(program: Program, decide: Callable[[dict[str, Any]], Decision], facts: dict[str, Any],
                     rule: Rule) -> str:
    explanation = explain(program, decide, facts, rule.id)
    if explanation.blocked_by:
        return _("group '{group}' already gave '{rule}', which fired first", group=rule.group,
                 rule=explanation.blocked_by)
    failing: list[str] = []

    def visit(check: Check) -> None:
        if check.children:
            for child in check.children:
                visit(child)
        elif check.result is not True:
            failing.append(check.text)

    if explanation.condition is not None:
        visit(explanation.condition)
    return _("it also needs {conditions}", conditions="; ".join(failing)) if failing else \
        _("its conditions cannot all hold")
