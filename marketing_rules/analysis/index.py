"""A per-fact index of a stratum's rules (or of a first-hit table's rows, ``TableIndex``): for each
value of a fact, the rules its tests let through.

A rule is indexable when its condition is a conjunction of tests that each read one fact and
compare it with literals only (``arpu_3m >= 120``, ``status in [active, suspended]``,
``band != low``, ``card is null``). Such a test has one truth value between two consecutive
literals it names, so the values of a fact fall into a few *cells*:

- cell 0: the fact is missing (null);
- a number or an integer: 1 below the first literal, 2 at it, 3 between it and the next, and so
  on (``1 + 2 * (literals below) + (1 if the value is one of them)``);
- any other kind (text, enum, boolean): 1 for a value no test names, 2 + i for the i-th named one.

For each cell the index holds the rules whose tests on that fact are true there, taken from the
reference interpreter (``expressions/evaluate.py``) at one value of the cell, never worked out
again. A rule's condition holds exactly when it is let through by the cells of every fact, so a
batch backend decides a stratum by intersecting one set per fact instead of testing every rule
(``batch/indexed.py``). The cells themselves are computed by the backend's own comparisons, or,
for a number whose literals are whole numbers of 10^-10 (``FactCells.scaled``), from its exact value.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from marketing_rules.analysis.program import Program, Row, Rule, cond_to_ast
from marketing_rules.expressions import ast
from marketing_rules.expressions.evaluate import truth_of
from marketing_rules.expressions.numbers import SCALE, to_number
from marketing_rules.expressions.types import INTEGER, NUMBER, Type

_ORDER_OPS = ("<", "<=", ">", ">=")
_NOWHERE = (0, 0)  # where a literal the index adds stands in the rule file: nowhere


@dataclass(frozen=True)
class FactCells:
    """One fact's cells: the literals its tests name (sorted when the fact is ordered), as the AST
    nodes the cells are computed with, and for each rule that tests the fact the runs of cells
    (``start``, ``stop``) where all its tests on the fact are true. A rule that does not test the
    fact is let through by every cell."""

    fact: str
    kind: Type
    points: tuple[ast.Expr, ...]
    runs: tuple[tuple[int, tuple[tuple[int, int], ...]], ...]  # (rule position, its true runs)

    @property
    def ordered(self) -> bool:
        return self.kind.numeric

    @property
    def cells(self) -> int:
        return 2 * len(self.points) + 2 if self.ordered else len(self.points) + 2

    @cached_property
    def scaled(self) -> tuple[int, ...] | None:
        """The points as whole numbers of 10^-SCALE within 64 bits, when the fact is numeric and
        every point is one: a backend may then compute the cells from the value itself, exactly.
        Else None."""
        if not self.ordered:
            return None
        scaled = [Decimal(_value(p)).scaleb(SCALE) for p in self.points]
        if any(v != v.to_integral_value() or not -2**63 <= v < 2**63 for v in scaled):
            return None
        return tuple(int(v) for v in scaled)

    def cell(self, value: Any) -> int:
        """The cell of ``value`` (the cells' definition, for tests)."""
        if value is None:
            return 0
        points = [_value(p) for p in self.points]
        if self.ordered:
            value = to_number(value)  # as the engine reads a number (a float by its shortest text)
            return 1 + 2 * sum(1 for p in points if p < value) + (1 if value in points else 0)
        return 2 + points.index(value) if value in points else 1

    def passes(self, cell: int, count: int) -> int:
        """The rules (bit i: the i-th of ``count``) that the cell lets through."""
        through = (1 << count) - 1
        for i, runs in self.runs:
            if not any(start <= cell < stop for start, stop in runs):
                through &= ~(1 << i)
        return through


@dataclass(frozen=True)
class RuleIndex:
    """A stratum's rules (in agenda order), the cells of each fact they test, and the stratum's
    groups, each as the positions of its rules in agenda order (a rule fires only if no rule
    before it in its group does)."""

    rules: tuple[Rule, ...]
    facts: tuple[FactCells, ...]
    groups: tuple[tuple[int, ...], ...]

    @property
    def name(self) -> str:
        """A name for the index that changes whenever what it decides changes."""
        return _name("mr_index_", [[r.id for r in self.rules], _described(self.facts), self.groups])

    def fires(self, cells: Sequence[int]) -> list[int]:
        """The positions of the rules that fire for one customer's cells, in agenda order."""
        let_through = _let_through(self.facts, cells, len(self.rules))
        for group in self.groups:
            first = next((i for i in group if let_through >> i & 1), None)
            for i in group:
                if i != first:
                    let_through &= ~(1 << i)
        return [i for i in range(len(self.rules)) if let_through >> i & 1]


@dataclass(frozen=True)
class TableIndex:
    """A first-hit or priority table's rows, as their numbers, in the order they are tried, and the
    cells of each fact their tests read: the hit is the first row that every fact's cell lets through."""

    rows: tuple[int, ...]
    facts: tuple[FactCells, ...]

    @property
    def name(self) -> str:
        """A name for the index that changes whenever what it decides changes."""
        return _name("mr_table_", [self.rows, _described(self.facts)])

    def hit(self, cells: Sequence[int]) -> int | None:
        """The number of the row one customer's cells hit, or None (the definition, for tests)."""
        let_through = _let_through(self.facts, cells, len(self.rows))
        return next((number for i, number in enumerate(self.rows) if let_through >> i & 1), None)


def _let_through(facts: Sequence[FactCells], cells: Sequence[int], count: int) -> int:
    """The lines (bit i: the i-th of ``count``) that every fact's cell lets through."""
    through = (1 << count) - 1
    for cells_of, cell in zip(facts, cells, strict=True):
        through &= cells_of.passes(cell, count)
    return through


def rule_index(program: Program, rules: Sequence[Rule]) -> RuleIndex | None:
    """The index of ``rules`` (a stratum's, in agenda order), or None when one of them is not
    indexable."""
    facts = _fact_cells(program, [cond_to_ast(rule.when) if rule.when is not None else None for rule in rules])
    if facts is None:
        return None
    positions = {id(rule): i for i, rule in enumerate(rules)}
    groups: dict[str, list[int]] = {}
    for rule in rules:
        if rule.group is not None:
            groups.setdefault(rule.group, []).append(positions[id(rule)])
    return RuleIndex(tuple(rules), facts, tuple(tuple(g) for g in groups.values() if len(g) > 1))


def table_index(program: Program, rows: Sequence[Row]) -> TableIndex | None:
    """The index of a table's ``rows`` (in the order they are tried), or None when one of them is not
    indexable."""
    facts = _fact_cells(program, [row.condition() for row in rows])
    return TableIndex(tuple(row.number for row in rows), facts) if facts is not None else None


def _fact_cells(program: Program, conditions: Sequence[ast.Expr | None]) -> tuple[FactCells, ...] | None:
    """The cells of each fact the conditions test (a missing condition, or ``true``, holds
    everywhere), or None when a condition is not a conjunction of one-fact tests against literals."""
    tests: dict[str, list[tuple[int, ast.Expr]]] = {}
    for i, condition in enumerate(conditions):
        for term in ast.conjuncts(condition) if condition is not None else []:
            if isinstance(term, ast.Literal) and term.value is True:
                continue
            fact = one_fact_test(term, program.fact_types)
            if fact is None:
                return None
            tests.setdefault(fact, []).append((i, term))
    return tuple(_cells(fact, program.fact_types[fact], on, program.fact_types) for fact, on in sorted(tests.items()))


def _described(facts: Sequence[FactCells]) -> list[Any]:
    return [(f.fact, [repr(_value(p)) for p in f.points], f.runs) for f in facts]


def _name(prefix: str, parts: list[Any]) -> str:
    return prefix + hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def one_fact_test(term: ast.Expr, types: dict[str, Type]) -> str | None:
    """The fact ``term`` tests against literals only, or None when it is not such a test."""
    facts = ast.facts_read(term)
    if len(facts) != 1:
        return None
    (fact,) = facts
    return fact if _literal_test(term, fact, types[fact]) else None


def _literal_test(node: ast.Expr, fact: str, kind: Type) -> bool:
    match node:
        case ast.FactRef(name=name):
            return name == fact and kind.kind == "boolean"
        case ast.Compare(op=op, left=left, right=right):
            sides = {type(left), type(right)}
            return (ast.FactRef in sides and any(_literal(s) for s in (left, right))
                    and (op not in _ORDER_OPS or kind.numeric))
        case ast.InList(operand=ast.FactRef(), container=ast.ListExpr(items=items)):
            return all(_literal(item) for item in items)
        case ast.IsNull(operand=ast.FactRef()):
            return True
        case ast.And(items=items) | ast.Or(items=items):
            return all(_literal_test(item, fact, kind) for item in items)
        case ast.Not(operand=operand):
            return _literal_test(operand, fact, kind)
    return False


def _literal(node: ast.Expr) -> bool:
    return isinstance(node, (ast.Literal, ast.ConstRef, ast.EnumValue)) and _value(node) is not None


def _value(node: ast.Expr) -> Any:
    return getattr(node, "value", None)


def _cells(fact: str, kind: Type, tests: list[tuple[int, ast.Expr]], types: dict[str, Type]) -> FactCells:
    nodes: dict[Any, ast.Expr] = {}
    if kind.kind == "boolean":  # a bare ``uses_data`` names no literal: both values are points
        nodes = {value: ast.Literal(_NOWHERE, value) for value in (False, True)}
    for _, term in tests:
        for node in _literals(term):
            nodes.setdefault(_key(_value(node)), node)
    keys = sorted(nodes) if kind.numeric else sorted(nodes, key=repr)
    place = {key: g for g, key in enumerate(keys)}
    by_rule: dict[int, list[ast.Expr]] = {}
    for i, term in tests:
        by_rule.setdefault(i, []).append(term)
    runs = []
    for i, terms in by_rule.items():
        own = _own_points(terms, place, kind)
        truth = [value is not _EMPTY and all(truth_of(t, {fact: value}, types) is True for t in terms)
                 for value in _local_values([keys[g] for g in own], keys, kind)]
        runs.append((i, _runs(_spans(own, len(keys), kind), truth)))
    return FactCells(fact, kind, tuple(nodes[k] for k in keys), tuple(runs))


def _own_points(terms: list[ast.Expr], place: dict[Any, int], kind: Type) -> list[int]:
    """The positions among the fact's points of the literals the rule's own tests name, in order (a
    boolean's both values: a bare ``uses_data`` names none)."""
    if kind.kind == "boolean":
        return list(range(len(place)))
    return sorted({place[_key(_value(node))] for term in terms for node in _literals(term)})


def _local_values(own: list[Any], keys: list[Any], kind: Type) -> list[Any]:
    """A value per cell of the rule's own points: null, then (ordered) below, at and between them
    and above; (unordered) a value none of them is, then each of them."""
    if kind.numeric:
        return _representatives(own, kind)
    return [None, _other(keys, kind), *own]


def _spans(own: list[int], points: int, kind: Type) -> list[list[tuple[int, int]]]:
    """Per cell of the rule's own points (as ``_local_values`` lists them), the fact's cells it
    covers, as spans (``start``, ``stop``): between two of its own points its tests do not change.
    As many spans as the rule names points, however many the fact has."""
    if kind.numeric:
        at = [2 + 2 * g for g in own]  # the fact's cell at each own point
        spans = [[(0, 1)], [(1, at[0] if at else 2 * points + 2)]]
        for k, cell in enumerate(at):
            spans += [[(cell, cell + 1)], [(cell + 1, at[k + 1] if k + 1 < len(at) else 2 * points + 2)]]
        return spans
    other = [(1, 2)] + [(3 + a, 2 + b) for a, b in zip([-1, *own], [*own, points]) if b > a + 1]
    return [[(0, 1)], other, *([(2 + g, 3 + g)] for g in own)]


def _runs(spans: list[list[tuple[int, int]]], truth: list[bool]) -> tuple[tuple[int, int], ...]:
    """The runs of consecutive cells where the rule's tests are true."""
    runs: list[tuple[int, int]] = []
    for start, stop in sorted(span for cell, holds in zip(spans, truth, strict=True) if holds for span in cell):
        if runs and runs[-1][1] == start:
            runs[-1] = (runs[-1][0], stop)
        else:
            runs.append((start, stop))
    return tuple(runs)


def _literals(node: ast.Expr) -> list[ast.Expr]:
    match node:
        case ast.Compare(left=left, right=right):
            return [n for n in (left, right) if _literal(n)]
        case ast.InList(container=ast.ListExpr(items=items)):
            return list(items)
        case ast.And(items=items) | ast.Or(items=items):
            return [n for item in items for n in _literals(item)]
        case ast.Not(operand=operand):
            return _literals(operand)
    return []


def _key(value: Any) -> Any:
    """Literals equal as values are one point (``1`` and ``1.0``)."""
    return Decimal(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else value


class _Empty:
    """A cell no value falls in (between two consecutive integers)."""


_EMPTY: Any = _Empty()


def _representatives(points: list[Any], kind: Type) -> list[Any]:
    """One value per cell of an ordered fact: null, below the first point, each point and between
    consecutive points, above the last."""
    if not points:
        return [None, Decimal(0) if kind == NUMBER else 0]
    values: list[Any] = [None, _step(points[0], -1, kind)]
    for k, point in enumerate(points):
        values.append(point)
        values.append(_between(point, points[k + 1], kind) if k + 1 < len(points) else _step(point, 1, kind))
    return values


def _step(point: Any, direction: int, kind: Type) -> Any:
    """A value beyond ``point``: below it (``direction`` -1) or above it (1)."""
    if kind == INTEGER:
        return math.ceil(point) - 1 if direction < 0 else math.floor(point) + 1
    return Decimal(point) + direction


def _between(low: Any, high: Any, kind: Type) -> Any:
    """A value strictly between two consecutive points, or _EMPTY when there is none."""
    if kind == INTEGER:
        above = math.floor(low) + 1
        return above if above < high else _EMPTY
    return (Decimal(low) + Decimal(high)) / 2


def _other(points: list[Any], kind: Type) -> Any:
    """A value of the fact that no test names, or _EMPTY when every value is named."""
    if kind.kind in ("boolean", "enum"):
        rest = [v for v in ((False, True) if kind.kind == "boolean" else kind.values) if v not in points]
        return rest[0] if rest else _EMPTY
    return "\x00" + "".join(str(p) for p in points)
