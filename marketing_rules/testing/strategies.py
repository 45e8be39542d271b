"""Hypothesis strategies for a ruleset's customers, reaching every band and boundary it mentions.

>>> from hypothesis import given
>>> from marketing_rules.testing import customers, properties
>>> @given(customers(rs, status="active"))                      # doctest: +SKIP
... def test_groups(customer): properties.groups_respected(rs, customer)

Numbers are drawn mostly at the thresholds the ruleset's conditions compare them with, one step
below and above (a cent for amounts, one for counts), and between thresholds; a relation such as
``arpu < arpu_prev * 0.8`` is hit exactly by drawing ``arpu_prev`` first and placing ``arpu`` on it.
Enums take each of their values, strings the literals they are compared with, and any fact may be
absent or null.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from marketing_rules.analysis.program import Rule, cond_to_ast
from marketing_rules.errors import FactsError, did_you_mean
from marketing_rules.expressions import ast

if TYPE_CHECKING:
    from marketing_rules.engine.ruleset import Ruleset
    from marketing_rules.model.schema import FactSpec

CENT = Decimal("0.01")


def customers(ruleset: Ruleset, *, null_probability: float = 0.1, **fixed: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Valid customers for ``ruleset``; facts named in ``fixed`` always take the given value."""
    if not isinstance(null_probability, (int, float)) or not 0 <= null_probability <= 1:
        raise InvalidArgument(f"Expected null_probability between 0 and 1 but got null_probability={null_probability!r}")
    schema = ruleset.program.schema
    for name, value in fixed.items():
        if name not in schema:
            hint = did_you_mean(name, [f.name for f in schema.facts])
            raise InvalidArgument(f"Expected an input fact of {schema.name} but got {name}={value!r}"
                                  + (f"; {hint}" if hint else ""))
        try:
            schema.validate({"id": "x", name: value})
        except FactsError as error:
            raise InvalidArgument(f"Expected a valid {name} but got {name}={value!r}: {error}") from None
    points = _thresholds(ruleset)
    relations = _relations(ruleset)
    fields = {spec.name: _fact(spec, points.get(spec.name, set()), null_probability)
              for spec in schema.facts if spec.name != "id" and spec.name not in fixed}

    @st.composite
    def draw_customer(draw: st.DrawFn) -> dict[str, Any]:
        customer: dict[str, Any] = {"id": draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))}
        for name, strategy in fields.items():
            value = draw(strategy)
            if value is not _ABSENT:
                customer[name] = value
        for target, source, factor, grain in relations:
            if target in fields and customer.get(source) is not None and draw(st.integers(0, 3)) == 0:
                exact = Decimal(repr(customer[source])) * factor + draw(st.sampled_from([-grain, Decimal(0), grain]))
                if exact >= 0:
                    customer[target] = int(exact) if grain == 1 else float(exact.quantize(CENT))
        customer.update(fixed)
        return customer

    return draw_customer()


_ABSENT = object()


def _fact(spec: FactSpec, points: set[Any], null_probability: float) -> st.SearchStrategy[Any]:
    missing = st.sampled_from([_ABSENT, None])
    present = _present(spec, points)
    if null_probability == 0:
        return present
    weight = max(1, round(null_probability * 20))
    return st.one_of(*([missing] * weight), *([present] * (20 - weight))) if weight < 20 else missing


def _present(spec: FactSpec, points: set[Any]) -> st.SearchStrategy[Any]:
    low = Decimal(str(spec.ge)) if spec.ge is not None else Decimal(-1000)
    high = Decimal(str(spec.le)) if spec.le is not None else Decimal(100_000)
    if spec.type == "boolean":
        return st.booleans()
    if spec.type == "enum":
        return st.sampled_from(spec.values)
    if spec.type == "string":
        words = sorted(p for p in points if isinstance(p, str))
        return st.one_of(st.sampled_from(words), st.text("abcdefgh-0123456789", min_size=1, max_size=12)) \
            if words else st.text("abcdefgh-0123456789", min_size=1, max_size=12)
    if spec.type == "list":
        return st.just([])
    grain = Decimal(1) if spec.type == "integer" else CENT
    edges = sorted({e for p in points if isinstance(p, Decimal) for e in (p - grain, p, p + grain)
                    if low <= e <= high})
    convert: Callable[[Any], Any] = int if spec.type == "integer" else (lambda d: float(d.quantize(CENT)))
    spread: st.SearchStrategy[Any] = st.integers(int(low), int(min(high, Decimal(5000)))) \
        if spec.type == "integer" else st.decimals(low, min(high, Decimal(5000)), places=2)
    if not edges:
        return spread.map(convert)
    return st.one_of(st.sampled_from(edges), st.sampled_from(edges), spread).map(convert)


def _conditions(ruleset: Ruleset) -> list[ast.Expr]:
    nodes: list[ast.Expr] = []
    for unit in ruleset.program.units:
        if isinstance(unit, Rule):
            nodes += [cond_to_ast(unit.when)] if unit.when is not None else []
        else:
            nodes += [row.condition() for row in unit.rows]
    checks = ruleset.program.checks
    if checks is not None and checks.coverage_among is not None:
        nodes.append(checks.coverage_among.node)
    return nodes


def _thresholds(ruleset: Ruleset) -> dict[str, set[Any]]:
    """Per fact, the constants it is compared with."""
    points: dict[str, set[Any]] = {}
    for root in _conditions(ruleset):
        for node in ast.walk(root):
            if isinstance(node, ast.Compare):
                for side, other in ((node.left, node.right), (node.right, node.left)):
                    if isinstance(side, ast.FactRef) and isinstance(other, (ast.Literal, ast.ConstRef, ast.EnumValue)):
                        points.setdefault(side.name, set()).add(_point(other.value))
            elif isinstance(node, ast.InList) and isinstance(node.operand, ast.FactRef):
                values: Any = node.container.value if isinstance(node.container, ast.ConstRef) else [
                    getattr(i, "value", None) for i in getattr(node.container, "items", ())]
                points.setdefault(node.operand.name, set()).update(_point(v) for v in values if v is not None)
    return points


def _point(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, Decimal, float)):
        return Decimal(str(value))
    return value


def _relations(ruleset: Ruleset) -> list[tuple[str, str, Decimal, Decimal]]:
    """``a op b * k`` comparisons between two input facts: (a, b, k, grain of a)."""
    schema = ruleset.program.schema
    found: list[tuple[str, str, Decimal, Decimal]] = []
    for root in _conditions(ruleset):
        for node in ast.walk(root):
            if not isinstance(node, ast.Compare):
                continue
            for side, other in ((node.left, node.right), (node.right, node.left)):
                factor, source = _scaled_fact(other)
                if isinstance(side, ast.FactRef) and source and side.name in schema and source in schema:
                    grain = Decimal(1) if schema[side.name].type == "integer" else CENT
                    found.append((side.name, source, factor, grain))
    return found


def _scaled_fact(node: ast.Expr) -> tuple[Decimal, str | None]:
    if isinstance(node, ast.FactRef):
        return Decimal(1), node.name
    if isinstance(node, ast.Arith) and node.op == "*":
        for fact, k in ((node.left, node.right), (node.right, node.left)):
            if isinstance(fact, ast.FactRef) and isinstance(k, (ast.Literal, ast.ConstRef)) and \
                    isinstance(k.value, (int, Decimal)):
                return Decimal(str(k.value)), fact.name
    return Decimal(1), None
