"""Offers and the access matrix: which services an offer gives, and whether a tier may use them.

One definition shared by the load-time check (``resolve``: an offer that certainly reaches only
tiers the matrix denies) and the checker (``consistency``: any customer the offer reaches whom the
matrix denies, proved with z3).
"""

from __future__ import annotations

from collections.abc import Mapping

from marketing_rules.analysis.program import AllOf, Cond, Expression, Rule, ServiceAccess
from marketing_rules.expressions import ast
from marketing_rules.model.ruleset import ACCESS_MODES


def services_given(rule: Rule) -> list[str]:
    """The services a rule's offer gives as a reward, in order."""
    if rule.offer is None:
        return []
    named = (term.fixed.get("service") for term in rule.offer.rewards if term.kind == "service")
    return list(dict.fromkeys(str(s) for s in named if s is not None))


def access_mode(rule: Rule) -> str | None:
    """The offer's mode when it is also an access mode (``trial``): the service is needed under it."""
    mode = rule.offer.mode if rule.offer is not None else None
    return mode if mode in ACCESS_MODES else None


def allowed(row: Mapping[str, ServiceAccess], rule: Rule, service: str) -> bool:
    """Whether a customer with this row of the access matrix, and the rule's own grants, may use the
    service the way the rule's offer gives it."""
    modes = set(row[service].modes) if service in row else set()
    modes |= {grant.mode for grant in rule.grants if grant.service == service}
    wanted = access_mode(rule)
    return bool(modes) and (wanted is None or wanted in modes or "free" in modes)


def targeted(when: Cond | None, fact: str) -> frozenset[str] | None:
    """The values of ``fact`` a rule can fire for, when its condition names them outright
    (``tier == 'gold'`` or ``tier in ['gold', 'diamond']`` as the whole condition or one of its
    ``all`` items); None when the condition does not say."""
    items = when.items if isinstance(when, AllOf) else (when,)
    found = [values for item in items if isinstance(item, Expression)
             for values in [_values(item.node, fact)] if values is not None]
    return frozenset.intersection(*found) if found else None


def _values(node: ast.Expr, fact: str) -> frozenset[str] | None:
    if isinstance(node, ast.And):
        found = [v for item in node.items if (v := _values(item, fact)) is not None]
        return frozenset.intersection(*found) if found else None
    if isinstance(node, ast.Compare) and node.op == "==":
        for one, other in ((node.left, node.right), (node.right, node.left)):
            if _is_fact(one, fact) and (value := _text(other)) is not None:
                return frozenset({value})
    if isinstance(node, ast.InList) and not node.negated and _is_fact(node.operand, fact) \
            and isinstance(node.container, ast.ListExpr):
        texts = [_text(item) for item in node.container.items]
        if all(t is not None for t in texts):
            return frozenset(t for t in texts if t is not None)
    return None


def _is_fact(node: ast.Expr, fact: str) -> bool:
    return isinstance(node, ast.FactRef) and node.name == fact


def _text(node: ast.Expr) -> str | None:
    if isinstance(node, ast.EnumValue):
        return node.value
    if isinstance(node, ast.Literal | ast.ConstRef) and isinstance(node.value, str):
        return node.value
    return None
