"""Why a rule or offer fired, or why not: every condition with the values it saw.

Conditions are re-evaluated with the reference interpreter (``expressions.evaluate``) over the
decision's final facts. Facts are set before anything reads them (SPEC section 4), so these are
the values the rule saw when it was decided.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from marketing_rules.analysis.program import AllOf, AnyOf, Cond, Expression, NotOf, Program, Rule, Table
from marketing_rules.engine.decision import Decision
from marketing_rules.expressions import ast
from marketing_rules.expressions.compiler import NodeCompiler
from marketing_rules.expressions.evaluate import truth_of
from marketing_rules.expressions.text import literal_text, to_text
from marketing_rules.i18n import N_, _, fit, language, messages_in

_WORD = {True: N_("true"), False: N_("false"), None: N_("unknown")}  # shown with _(): translated when shown
_LABELS = {"all of": N_("all of"), "any of": N_("any of"), "not": N_("not")}


@dataclass(frozen=True)
class Check:
    """One condition (or all:/any:/not: node) with its three-valued result and the facts it read."""

    text: str
    result: bool | None
    values: Mapping[str, Any] = field(default_factory=dict)
    children: tuple[Check, ...] = ()

    def lines(self, depth: int = 0) -> list[str]:
        pad = "  " * depth
        values = ", ".join(f"{k} = {literal_text(v)}" for k, v in self.values.items())
        word = _(_WORD[self.result])
        line = f"{pad}[{fit(word, 7, right=True)}] {self.text}" + (f"    ({values})" if values and not self.children else "")
        return [line] + [text for c in self.children for text in c.lines(depth + 1)]

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "result": self.result, "values": dict(self.values),
                "children": [c.as_dict() for c in self.children]}


@dataclass(frozen=True)
class Explanation:
    """The answer to "why (not)?" for one rule, offer or table and one customer."""

    target: str
    kind: str  # rule, offer or table
    title: str
    customer: str | None
    fired: bool
    verdict: str
    condition: Check | None = None
    blocked_by: str | None = None
    rows: tuple[Check, ...] = ()
    decision: Decision | None = field(default=None, repr=False, compare=False)
    lang: str = field(default_factory=language, repr=False, compare=False)  # the words' language

    @property
    def eligible(self) -> bool:
        """For an offer: whether the customer receives it (the rule fired)."""
        return self.fired

    def __str__(self) -> str:
        with messages_in(self.lang):
            return self._text()

    def _text(self) -> str:
        name = _("{id} ({title})", id=self.target, title=self.title) if self.title else self.target
        heading = _HEADINGS.get(self.kind, _HEADINGS["rule"])
        lines = [_(heading, name=name, customer=self.customer, verdict=self.verdict)]
        if self.condition is not None:
            lines += self.condition.lines(1)
        for row in self.rows:
            lines += row.lines(1)
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target, "kind": self.kind, "title": self.title, "customer": self.customer,
            "fired": self.fired, "verdict": self.verdict, "blocked_by": self.blocked_by,
            "condition": self.condition.as_dict() if self.condition else None,
            "rows": [r.as_dict() for r in self.rows],
        }


#: The first line of an explanation, by kind (translated when shown).
_HEADINGS = {
    "rule": N_("rule {name} for customer {customer}: {verdict}"),
    "offer": N_("offer {name} for customer {customer}: {verdict}"),
    "table": N_("table {name} for customer {customer}: {verdict}"),
}


def explain(program: Program, decide: Callable[[Any], Decision], customer: Any, target: str) -> Explanation:
    """Why ``target`` (a rule, offer, table or ``table#row``) fired or not for ``customer``, as ``decide`` decides it."""
    decision = decide(customer)
    unit_id = target.split("#", 1)[0]
    unit = program.unit(unit_id)
    if unit is None:
        from marketing_rules.errors import did_you_mean

        hint = did_you_mean(target, [u.id for u in program.units])
        if hint:
            raise KeyError(_("no rule, offer or table '{target}' in {ruleset} {version}; {hint}", target=target,
                             ruleset=program.ruleset, version=program.version, hint=hint))
        raise KeyError(_("no rule, offer or table '{target}' in {ruleset} {version}", target=target,
                         ruleset=program.ruleset, version=program.version))
    if isinstance(unit, Table):
        return _explain_table(unit, decision)
    return _explain_rule(program, unit, decision)


def _explain_rule(program: Program, rule: Rule, decision: Decision) -> Explanation:
    facts = decision.facts
    fired = rule.id in decision.fired
    check = _check_cond(rule.when, facts) if rule.when is not None else None
    holds = check.result if check is not None else True
    blocked_by = None
    if not fired and holds is True and rule.group:
        blocked_by = next((r for r in decision.fired if _group_of(program, r) == rule.group), None)
    kind = "offer" if rule.offer is not None else "rule"
    if fired:
        verdict = _("eligible") if kind == "offer" else _("fired")
    elif blocked_by:
        verdict = _("not eligible: group '{group}' already gave '{rule}', which fired first", group=rule.group,
                    rule=blocked_by)
    elif holds is None:
        verdict = _("not eligible: a condition is unknown because a fact is missing") if kind == "offer" else \
            _("did not fire: a condition is unknown because a fact is missing")
    else:
        verdict = _("not eligible: a condition is false") if kind == "offer" else \
            _("did not fire: a condition is false")
    return Explanation(rule.id, kind, rule.title, _customer_id(facts), fired, verdict, check, blocked_by,
                       decision=decision)


def _group_of(program: Program, unit_id: str) -> str | None:
    unit = program.unit(unit_id)
    return unit.group if isinstance(unit, Rule) else None


def _explain_table(table: Table, decision: Decision) -> Explanation:
    facts = decision.facts
    fired_rows = [r for r in decision.fired if r.startswith(table.id + "#")]
    rows = []
    for row in table.rows:
        condition = row.condition()
        result = truth_of(condition, facts)
        chosen = table.row_id(row) in fired_rows
        outputs = ", ".join(f"{name} = {o.text}" for name, o in zip(table.outputs, row.outputs))
        shown = {"number": row.number, "cells": " | ".join(row.cells), "outputs": outputs}
        text = _("row {number}: {cells} -> {outputs}   <- chosen", **shown) if chosen else \
            _("row {number}: {cells} -> {outputs}", **shown)
        rows.append(Check(text, result, _facts_of(condition, facts)))
    if fired_rows:
        values = ", ".join(f"{name} = {literal_text(facts.get(name))}" for name in table.outputs)
        verdict = _("hit policy {hit}: {rows} gave {values}", hit=table.hit, rows=", ".join(fired_rows), values=values)
    else:
        verdict = _("hit policy {hit}: no row matched; {outputs} keep their default", hit=table.hit,
                    outputs=", ".join(table.outputs))
    return Explanation(table.id, "table", table.title, _customer_id(facts), bool(fired_rows), verdict,
                       rows=tuple(rows), decision=decision)


def _check_cond(cond: Cond, facts: Mapping[str, Any]) -> Check:
    match cond:
        case AllOf(items=items):
            children = tuple(_check_cond(c, facts) for c in items)
            return Check(_(_LABELS["all of"]), _all(c.result for c in children), children=children)
        case AnyOf(items=items):
            children = tuple(_check_cond(c, facts) for c in items)
            return Check(_(_LABELS["any of"]), _any(c.result for c in children), children=children)
        case NotOf(item=item):
            child = _check_cond(item, facts)
            return Check(_(_LABELS["not"]), None if child.result is None else not child.result, children=(child,))
        case Expression(node=node, text=text) if node.span == (0, 0):
            return Check(text, truth_of(node, facts), _facts_of(node, facts))  # made by the loader
        case Expression(node=node, text=text):
            return _check_node(node, text, facts)
    raise TypeError(cond)


def _check_node(node: ast.Expr, text: str, facts: Mapping[str, Any]) -> Check:
    return ConditionExplainer(text, facts).compile(node)


class ConditionExplainer(NodeCompiler[Check]):
    """A condition as a :class:`Check`, broken down at its and/or/not (``EXPLAIN_OPERATORS``) so
    that each comparison shows its own result, with the facts it read."""

    backend = "explain"

    def __init__(self, text: str, facts: Mapping[str, Any]):
        self.source = text
        self.facts = facts

    def leaf(self, node: ast.Expr) -> Check:
        """A part shown whole: its text as written, its result and the facts it read."""
        return Check(_text_of(node, self.source or ""), truth_of(node, self.facts), _facts_of(node, self.facts))

    def broken_down(self, node: ast.And | ast.Or | ast.Not, label: str) -> Check:
        parts = node.items if isinstance(node, (ast.And, ast.Or)) else (node.operand,)
        return Check(_(_LABELS[label]), truth_of(node, self.facts), children=tuple(self.compile(p) for p in parts))

    def _operate(self, node: ast.Expr) -> Check:
        explain: Callable[[ConditionExplainer, Any], Check] = self.operator(node)
        return explain(self, node)

    visit_Literal = visit_FactRef = visit_ConstRef = visit_EnumValue = visit_ListExpr = visit_Checked = leaf
    visit_Neg = visit_Arith = visit_Compare = visit_InList = visit_IsNull = visit_And = visit_Or = visit_Not = \
        visit_Call = _operate


def _labelled(label: str) -> Callable[[ConditionExplainer, Any], Check]:
    return lambda explainer, node: explainer.broken_down(node, label)


#: How explain shows each operator: and/or/not broken down into their parts, any other whole.
EXPLAIN_OPERATORS: dict[str, Callable[[ConditionExplainer, Any], Check]] = {
    **dict.fromkeys(("+", "-", "*", "/", "%", "neg", "==", "!=", "<", "<=", ">", ">=", "in", "not in", "is null",
                     "is not null", "min", "max", "abs", "round", "floor", "ceil", "len", "coalesce"),
                    ConditionExplainer.leaf),
    "and": _labelled("all of"), "or": _labelled("any of"), "not": _labelled("not"),
}
ConditionExplainer.operators = EXPLAIN_OPERATORS



def _text_of(node: ast.Expr, text: str) -> str:
    start, end = node.span
    if end > start and text[start:end].strip():
        return " ".join(text[start:end].split())
    return to_text(node)


def _facts_of(node: ast.Expr, facts: Mapping[str, Any]) -> dict[str, Any]:
    names = sorted(ast.facts_read(node))
    return {name: facts.get(name) for name in names}


def _all(results: Iterable[bool | None]) -> bool | None:
    values = list(results)
    return False if False in values else (None if None in values else True)


def _any(results: Iterable[bool | None]) -> bool | None:
    values = list(results)
    return True if True in values else (None if None in values else False)


def _customer_id(facts: Mapping[str, Any]) -> str | None:
    value = facts.get("id")
    return None if value is None else str(value)
