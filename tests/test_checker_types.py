"""The checker records each node's type on the node: every node of every expression of a loaded
ruleset carries the type the checker gave it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import marketing_rules as mr
from marketing_rules.analysis.program import AllOf, AnyOf, Cond, Expression, NotOf, Rule, Table
from marketing_rules.expressions import ast
from marketing_rules.expressions.types import BOOLEAN, INTEGER, NUMBER
from marketing_rules.versioning.registry import rule_files
from tests.conftest import ROOT, ruleset_from

SHIPPED = sorted(rule_files(ROOT / "rulesets"))


def conditions(cond: Cond | None) -> Iterator[ast.Expr]:
    match cond:
        case Expression(node=node):
            yield node
        case AllOf(items=items) | AnyOf(items=items):
            for item in items:
                yield from conditions(item)
        case NotOf(item=item):
            yield from conditions(item)


def expressions(rs: mr.Ruleset) -> Iterator[ast.Expr]:
    for unit in rs.program.units:
        if isinstance(unit, Rule):
            yield from conditions(unit.when)
            yield from (e.node for _, e in unit.sets)
            yield from (e.node for e in (unit.offer.computed if unit.offer else ()))
            yield from ([unit.award.node] if unit.award else [])
        elif isinstance(unit, Table):
            yield from (e.node for e in unit.inputs)
            for row in unit.rows:
                yield from (t for t in row.tests if t is not None)
                yield from (e.node for e in row.outputs)


@pytest.mark.parametrize("path", SHIPPED, ids=[f"{p.parent.name}-{p.stem}" for p in SHIPPED])
def test_every_checked_node_of_a_shipped_ruleset_has_its_type(path) -> None:
    nodes = [n for root in expressions(mr.load_ruleset(path)) for n in ast.walk(root)]
    assert nodes and [n for n in nodes if n.type is None] == []


def test_the_recorded_types() -> None:
    rs = ruleset_from("""\
        ruleset: typed
        version: 1.0.0
        packages:
          gotone-188: {fee: 188}
        facts:
          tier: {type: enum, values: [gold, silver]}
          bonus: {type: number}
        rules:
          - id: gold
            when: arpu * 2 > tenure_months and card in [gold, diamond]
            then:
              set:
                tier: gold
                bonus: round(arpu / 3, 1)
              offer: {requires: [{upgrade: gotone-188}]}
        """)
    rule = rs.program.units[0]
    assert isinstance(rule, Rule)
    when = [n for root in conditions(rule.when) for n in ast.walk(root)]
    by_text = {(type(n).__name__, getattr(n, "name", getattr(n, "op", None))): n.type for n in when}
    assert by_text[("And", None)] == BOOLEAN
    assert by_text[("Compare", ">")] == BOOLEAN and by_text[("Arith", "*")] == NUMBER
    assert by_text[("FactRef", "arpu")] == NUMBER and by_text[("FactRef", "tenure_months")] == INTEGER
    card = next(n for n in when if isinstance(n, ast.FactRef) and n.name == "card")
    assert card.type is not None and card.type.kind == "enum"
    assert all(n.type == card.type for n in when if isinstance(n, ast.EnumValue))  # the enum compared with
    (tier, bonus) = (e.node for _, e in rule.sets)
    assert tier.type is not None and tier.type.kind == "enum" and bonus.type == NUMBER
    fee = next(n for n in when if isinstance(n, ast.FactRef) and n.name == "package_fee")  # added by the upgrade
    assert fee.type == NUMBER


def test_the_type_takes_no_part_in_equality() -> None:
    assert ast.Literal((0, 0), 1, INTEGER) == ast.Literal((0, 0), 1)
    assert hash(ast.FactRef((0, 0), "arpu", NUMBER)) == hash(ast.FactRef((0, 0), "arpu"))
