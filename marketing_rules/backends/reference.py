"""The reference interpreter: what a whole ruleset means, short, slow and obviously correct.

It walks the Program unit by unit in agenda order and evaluates every expression with the
reference meaning of ``expressions/evaluate.py``. It is the oracle of the conformance suite
(``tests/conformance/``): the generated Python, DuckDB, Spark, the event patterns and the z3
checker are held to what it decides. Nothing here is tuned for speed.

The rules it follows, in one place (docs/dsl.md states them for users):

- Units run in agenda order. A unit's condition (a rule's ``when``, every test of every row of a
  table) is evaluated whole whenever the unit is reached, whether or not its group is taken.
- A rule fires when its condition is true and its group (if any) is not yet taken; firing takes
  the group, then applies ``set`` in order (a later value sees an earlier one), the offer's
  amounts and the award.
- Tables: ``first`` applies the first matching row, ``unique`` the only one (two or more is an
  error of the customer), ``priority`` the matching row whose first output ranks best (ties: the
  row nearer the top), ``collect`` every matching row; with an aggregate, ``sum``, ``min`` and
  ``max`` of the non-null values (null when there are none, whatever the default) or their
  ``count``. With no row applying, ``first``, ``unique`` and ``priority`` leave their outputs.
- A value set into a fact takes the fact's type (an integer into a number fact is checked against
  the number range). The first error in agenda order is the customer's error; nothing else of a
  customer in error is decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from marketing_rules.analysis.program import Program, Rule, Table, cond_to_ast
from marketing_rules.expressions import ast
from marketing_rules.expressions.evaluate import Evaluator, Overflow, as_kind, exact
from marketing_rules.expressions.numbers import overflow_reason
from marketing_rules.expressions.text import to_text
from marketing_rules.expressions.types import NUMBER


@dataclass
class Outcome:
    """One customer's decision, or the reason it could not be made (``error``)."""

    facts: dict[str, Any]  # input facts and every derived fact, as contract values
    fired: list[str] = field(default_factory=list)
    offers: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)  # offer id, computed amounts
    awards: list[tuple[str, Any]] = field(default_factory=list)
    error: str | None = None


class CustomerError(Exception):
    """Why a customer could not be decided (an overflow, two rows of a unique table)."""


def decide(program: Program, facts: Mapping[str, Any]) -> Outcome:
    """Decide one customer whose facts are already validated against the program's schema."""
    values = {spec.name: exact(facts.get(spec.name)) for spec in program.schema.facts}
    values.update({name: exact(program.defaults.get(name)) for name in program.derived})
    outcome = Outcome(values)
    taken: set[str] = set()
    try:
        for unit in program.units:
            if isinstance(unit, Rule):
                _rule(program, unit, outcome, taken)
            else:
                _table(program, unit, outcome)
    except CustomerError as error:
        return Outcome(values, error=str(error))
    return outcome


def _evaluator(program: Program, outcome: Outcome) -> Evaluator:
    return Evaluator(outcome.facts, program.fact_types)


def _guarded(unit_id: str, compute: Any, *args: Any) -> Any:
    try:
        return compute(*args)
    except Overflow as overflow:
        raise CustomerError(overflow_reason(overflow.kind, to_text(overflow.node), unit_id)) from None


def _set(program: Program, outcome: Outcome, name: str, value: Any, node: ast.Expr) -> None:
    kind = program.fact_types[name]
    if kind == NUMBER and isinstance(value, list):
        value = [as_kind(v, kind, node) for v in value]
    elif isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        value = as_kind(value, kind, node)
    outcome.facts[name] = list(value) if isinstance(value, tuple) else value


def _rule(program: Program, rule: Rule, outcome: Outcome, taken: set[str]) -> None:
    evaluate = _evaluator(program, outcome)
    holds = rule.when is None or _guarded(rule.id, evaluate.truth, cond_to_ast(rule.when)) is True
    if not holds or (rule.group is not None and rule.group in taken):
        return
    if rule.group is not None:
        taken.add(rule.group)
    outcome.fired.append(rule.id)
    for name, expression in rule.sets:
        value = _guarded(rule.id, evaluate.value, expression.node)
        _guarded(rule.id, _set, program, outcome, name, value, expression.node)
    if rule.offer is not None:
        amounts = tuple(_guarded(rule.id, evaluate.value, e.node) for e in rule.offer.computed)
        outcome.offers.append((rule.offer.id, amounts))
    if rule.award is not None:
        outcome.awards.append((rule.id, _guarded(rule.id, evaluate.value, rule.award.node)))


def _table(program: Program, table: Table, outcome: Outcome) -> None:
    evaluate = _evaluator(program, outcome)
    matched = [row for row in table.rows if _guarded(table.id, evaluate.truth, row.condition()) is True]
    if table.hit == "collect":
        _collect(program, table, matched, outcome, evaluate)
        return
    if table.hit == "unique" and len(matched) > 1:
        numbers = ", ".join(str(row.number) for row in matched)
        raise CustomerError(f"table '{table.id}' has hit policy unique, but rows {numbers} all match")
    if not matched:
        return
    row = matched[0]
    if table.hit == "priority":
        row = min(matched, key=lambda r: (table.ranks[table.rows.index(r)], r.number))
    outcome.fired.append(table.row_id(row))
    for name, expression in zip(table.outputs, row.outputs):
        value = _guarded(table.id, evaluate.value, expression.node)
        _guarded(table.id, _set, program, outcome, name, value, expression.node)


def _collect(program: Program, table: Table, matched: list[Any], outcome: Outcome, evaluate: Evaluator) -> None:
    gathered: list[list[Any]] = [[] for _ in table.outputs]
    for row in matched:
        outcome.fired.append(table.row_id(row))
        for values, expression in zip(gathered, row.outputs):
            values.append(_guarded(table.id, evaluate.value, expression.node))
    for name, values, o in zip(table.outputs, gathered, range(len(table.outputs))):
        present = [v for v in values if v is not None]
        node = table.rows[0].outputs[o].node if table.rows else ast.Literal((0, 0), None)
        if table.aggregate is None:
            result: Any = values
        elif table.aggregate == "count":
            result = len(present)
        elif not present:
            result = None
        else:
            result = sum(present) if table.aggregate == "sum" else (min if table.aggregate == "min" else max)(present)
        _guarded(table.id, _set, program, outcome, name, result, node)


# -- the decision as the output row of SPEC section 5 ---------------------------------------------
def tags(program: Program, fired: list[str]) -> list[str]:
    fired_set = set(fired)
    return sorted({tag for rule in program.rules if rule.id in fired_set for tag in rule.tags})


def access(program: Program, outcome: Outcome) -> dict[str, list[str]]:
    """Service -> modes: the matrix row of the ``by`` fact's value, then the grants of fired rules."""
    result: dict[str, list[str]] = {}
    if program.access is not None:
        by = outcome.facts.get(program.access.by)
        row = program.access.table.get(_text(by), {}) if by is not None else {}
        result = {service: list(a.modes) for service, a in row.items()}
    rules = {rule.id: rule for rule in program.rules}
    for rule_id in outcome.fired:
        for grant in rules[rule_id].grants if rule_id in rules else ():
            modes = result.setdefault(grant.service, [])
            if grant.mode not in modes:
                modes.append(grant.mode)
    return result


def _text(value: Any) -> str:
    return str(value)


def points(outcome: Outcome) -> Any:
    return sum((p for _, p in outcome.awards if p is not None), 0)


def output_row(program: Program, outcome: Outcome) -> dict[str, Any]:
    """The batch output row of a decided customer (SPEC section 5)."""
    if outcome.error is not None:
        return error_row(program, outcome.facts.get("id"), outcome.error)
    return {
        "id": outcome.facts["id"],
        **{name: _column(kind, outcome.facts[name]) for name, kind in program.derived.items()},
        "tags": tags(program, outcome.fired),
        "offers": [offer for offer, _ in outcome.offers],
        "access": access(program, outcome),
        "points": points(outcome),
        "fired": list(outcome.fired),
        "error": None,
    }


def _column(kind: Any, value: Any) -> Any:
    """A derived fact as its output column: the items of a list whose items have no type are text
    (the column is list<string>, batch/output.py)."""
    if kind.kind != "list" or kind.item is not None or value is None:
        return value
    return [None if v is None else _item_text(v) for v in value]


def _item_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value, "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def error_row(program: Program, customer_id: Any, reason: str) -> dict[str, Any]:
    columns = ["id", *program.derived, "tags", "offers", "access", "points", "fired", "error"]
    row: dict[str, Any] = dict.fromkeys(columns)
    row["id"] = None if customer_id is None else str(customer_id)
    row["error"] = reason
    return row
