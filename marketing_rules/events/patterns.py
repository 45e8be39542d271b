"""Trigger conditions compiled to durable_rules patterns, from the same resolved AST as every backend.

durable_rules matches JSON messages against patterns such as ``{"$lt": {"amount": 100}}``. Each
trigger becomes one durable_rules rule (two for an absence: the start, and the event that cancels
it) over the facts a :class:`~marketing_rules.events.stream.Stream` asserts, one per event::

    {"sid": <shard>, "id": <serial>, "~c": <customer>, "~t": <type>, "~at": <microseconds>,
     <attribute>: value, ..., <customer fact>: value, ...}

What runs where:

- durable_rules: the event type, each top-level conjunct of a condition that compares an
  attribute or a customer fact with a value or with another attribute or fact (``==``, ``!=``,
  ``<``, ``<=``, ``>``, ``>=``), ``in`` / ``not in`` a list of values, ``is null``, boolean
  attributes, and ``and`` / ``or`` / ``not`` of those; for two events: same customer (an indexed
  equality join), strict time order and the window on ``~at`` (integer microseconds: exact).
- Python (the residual, compiled by the Python backend): conjuncts with arithmetic or functions,
  since money is compared as exact decimals and durable_rules computes in C doubles. A
  comparison with a non-negative attribute scaled by a positive constant (``amount < last_bill
  * 0.7``, the spend-drop shape) is also pre-filtered in durable_rules with the constant widened
  by one part in a billion, so that durable_rules only reports candidates (a superset, whatever
  the rounding) and the exact comparison in Python decides.

Null: an attribute that is null is left out of the fact, and durable_rules does not match a
comparison (or arithmetic) whose attribute is missing, as the reference semantics (unknown is not
true) wants, except on the right of a plain comparison between two attributes of the event,
which is therefore guarded with ``$ex``. The first event of a join is different again: durable_rules raises when a joined
attribute is missing, so a bound name read by a pushed conjunct makes the first pattern require
that attribute (``$ex``), unless it is declared ``required``; such a conjunct can never be true
without it anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from marketing_rules.errors import Unsupported
from marketing_rules.expressions import ast
from marketing_rules.expressions.compiler import NodeCompiler, NotExpressible
from marketing_rules.expressions.operators import OPERATORS, OpKind
from marketing_rules.expressions.types import Type
from marketing_rules.i18n import N_, _

TYPE_KEY, TIME_KEY, CUSTOMER_KEY, ONE_KEY = "~t", "~at", "~c", "~k"
#: Closes the join of a second event: an always-true comparison with the first event (see ``join``).
JOIN_END = {"$lte": {ONE_KEY: {"first": ONE_KEY}}}
_MIRROR = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
#: The relative widening of the constant in a pre-filtered scaled comparison (far above double rounding).
MARGIN = Decimal("1e-9")


def data_key(name: str) -> str:
    """The key of an attribute or customer fact in a durable_rules fact (``id`` and ``sid`` are durable's)."""
    return f"~{name}" if name in ("id", "sid") else name


@dataclass
class Split:
    """A condition split between durable_rules (``pushed``) and Python (``residual``)."""

    pushed: list[dict[str, Any]] = field(default_factory=list)
    residual: list[ast.Expr] = field(default_factory=list)
    first_requires: set[str] = field(default_factory=set)  # attributes of the first event that must exist

    def residual_node(self) -> ast.Expr | None:
        if not self.residual:
            return None
        return self.residual[0] if len(self.residual) == 1 else ast.And((0, 0), tuple(self.residual))


#: What durable_rules can test: comparisons, membership, null tests and logic; arithmetic and
#: functions are left to Python, which computes money exactly (durable_rules uses C doubles).
_IN_PYTHON = NotExpressible(N_("arithmetic and functions, which Python decides exactly"))
DURABLE_OPERATORS: dict[str, Any] = {
    **{name: _IN_PYTHON for name, op in OPERATORS.items() if op.kind in (OpKind.ARITHMETIC, OpKind.FUNCTION)},
    "==": "", "!=": "$neq", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte",  # "": {key: value}, equality
    "in": "$or", "not in": "$and", "is null": "$nex", "is not null": "$ex", "and": "$and", "or": "$or", "not": "not",
}


class PatternCompiler(NodeCompiler[dict[str, Any]]):
    """Compiles conditions over one event (``m``) and names bound from a first event (``first``) to
    the durable_rules pattern that matches exactly when the condition is true (or, ``negated``, when
    it is false: not when it is unknown). A node durable_rules cannot test raises
    :class:`~marketing_rules.errors.Unsupported`, and :meth:`split` leaves that conjunct to Python.

    ``types`` gives every name's type, ``non_negative`` the names known to be >= 0 (declared with
    ``ge: 0``), ``bound`` maps a bound name to the first event's attribute.
    """

    backend = "durable_rules"
    operators = DURABLE_OPERATORS

    def __init__(self, types: Mapping[str, Type], non_negative: frozenset[str], bound: Mapping[str, str] | None = None,
                 *, negated: bool = False):
        self.types = types
        self.non_negative = non_negative
        self.bound = dict(bound or {})
        self.negated = negated
        self._opposite: PatternCompiler | None = None

    # -- the top: conjuncts ---------------------------------------------------------------------------
    def split(self, node: ast.Expr | None) -> Split:
        result = Split()
        for conjunct in _conjuncts(node):
            pattern = self.truth(conjunct)
            if pattern is not None:
                result.pushed.append(pattern)
                result.first_requires |= self._bound_read(conjunct)
                continue
            prefilter = self._prefilter(conjunct)
            if prefilter is not None:
                result.pushed.append(prefilter)
                result.first_requires |= self._bound_read(conjunct)
            result.residual.append(conjunct)
        return result

    def truth(self, node: ast.Expr) -> dict[str, Any] | None:
        """A pattern that matches exactly when the condition is true; None if durable_rules cannot say it."""
        return _pattern(self.opposite() if self.negated else self, node)

    def falsity(self, node: ast.Expr) -> dict[str, Any] | None:
        """A pattern that matches exactly when the condition is false (not when it is unknown)."""
        return _pattern(self if self.negated else self.opposite(), node)

    def opposite(self) -> PatternCompiler:
        """The compiler of the other polarity (falsity for truth, and back)."""
        if self._opposite is None:
            self._opposite = PatternCompiler(self.types, self.non_negative, self.bound, negated=not self.negated)
            self._opposite._opposite = self
        return self._opposite

    def _bound_read(self, node: ast.Expr) -> set[str]:
        return {self.bound[n] for n in ast.facts_read(node) if n in self.bound}

    # -- operands ---------------------------------------------------------------------------------------
    def _operand(self, node: ast.Expr) -> tuple[str, Any] | None:
        """('m', key), ('first', attribute) or ('value', json value); None: not an operand durable_rules has."""
        match node:
            case ast.FactRef(name=name):
                if name in self.bound:
                    return "first", self.bound[name]
                return "m", data_key(name)
            case ast.Literal(value=v) | ast.ConstRef(value=v) if _scalar(v):
                return "value", _json(v)
            case ast.EnumValue(value=v):
                return "value", v
        return None

    # -- one method per node: the pattern when true (or, negated, when false) ---------------------------
    def _expressed(self, node: ast.Expr, pattern: dict[str, Any] | None) -> dict[str, Any]:
        if pattern is None:
            self.unsupported(node, _("a test durable_rules cannot make exactly"))
        return pattern

    def visit_Compare(self, node: ast.Compare) -> dict[str, Any]:
        self.operator(node)
        return self._expressed(node, self._compare(_NEGATED[node.op] if self.negated else node.op,
                                                   node.left, node.right))

    def visit_InList(self, node: ast.InList) -> dict[str, Any]:
        self.operator(node)
        if self.negated and _has_null(node.container):
            self.unsupported(node, _("a list with a null, whose test can be unknown"))
        return self._expressed(node, self._in(node.operand, node.container, node.negated != self.negated))

    def visit_IsNull(self, node: ast.IsNull) -> dict[str, Any]:
        self.operator(node)
        operand = node.operand
        if not isinstance(operand, ast.FactRef) or operand.name in self.bound:
            self.unsupported(node, _("a null test of anything but an attribute of the event"))
        return {"$ex" if node.negated != self.negated else "$nex": {data_key(operand.name): 1}}

    def visit_FactRef(self, node: ast.FactRef) -> dict[str, Any]:
        if node.name in self.bound or self.types[node.name].kind != "boolean":
            self.unsupported(node, _("a value that is not a boolean attribute of the event"))
        return {data_key(node.name): not self.negated}

    def visit_And(self, node: ast.And) -> dict[str, Any]:
        return self._group(node, node.items, "$or" if self.negated else "$and")

    def visit_Or(self, node: ast.Or) -> dict[str, Any]:
        return self._group(node, node.items, "$and" if self.negated else "$or")

    def visit_Not(self, node: ast.Not) -> dict[str, Any]:
        self.operator(node)
        return self.opposite().compile(node.operand)

    def _group(self, node: ast.And | ast.Or, items: tuple[ast.Expr, ...], joined: str) -> dict[str, Any]:
        self.operator(node)
        if self._crosses(node):
            self.unsupported(node, _("a group that reads a name bound from the first event"))
        return self._expressed(node, _join(joined, [self.compile(i) for i in items]))

    def _crosses(self, node: ast.Expr) -> bool:
        """Whether a group reads a name bound from the first event: durable_rules gets such groups
        wrong (it skips what follows a nested group in a join), so Python decides them."""
        return bool(self.bound) and any(n in self.bound for n in ast.facts_read(node))

    def _compare(self, op: str, a: ast.Expr, b: ast.Expr) -> dict[str, Any] | None:
        left, right = self._operand(a), self._operand(b)
        if left is None or right is None:
            return None
        if left[0] != "m":  # durable_rules puts the message's own attribute on the left
            if right[0] != "m":
                return None
            left, right, op = right, left, _MIRROR[op]
        return self._comparison(op, left[1], right)

    def _comparison(self, op: str, key: str, right: tuple[str, Any]) -> dict[str, Any]:
        kind, value = right
        if kind == "m":
            value = {"$m": value}  # the message's own attribute (durable_rules' name for it)
        elif kind == "first":
            value = {"first": value}
        name = DURABLE_OPERATORS[op]
        test: dict[str, Any] = {name: {key: value}} if name else {key: value}
        if kind == "m":  # durable_rules compares a missing right-hand attribute as if it were there
            return {"$and": [{"$ex": {value["$m"]: 1}}, test]}
        return test

    def _in(self, operand: ast.Expr, container: ast.Expr, negated: bool) -> dict[str, Any] | None:
        subject = self._operand(operand)
        if subject is None or subject[0] != "m":
            return None
        if isinstance(container, ast.ConstRef) and isinstance(container.value, tuple):
            values = list(container.value)
        elif isinstance(container, ast.ListExpr):
            operands = [self._operand(i) for i in container.items]
            if any(o is None or o[0] != "value" for o in operands):
                return None
            values = [o[1] for o in operands]  # type: ignore[index]
        else:
            return None
        if not values or any(v is None for v in values):
            return None  # x in [] is false and x in [1, null] unknown: Python decides
        values = [_json(v) for v in values]
        if negated:
            return _join("$and", [{"$neq": {subject[1]: v}} for v in values])
        return _join("$or", [{subject[1]: v} for v in values])

    # -- scaled comparisons: a superset in durable_rules, decided exactly in Python --------------------
    def _prefilter(self, node: ast.Expr) -> dict[str, Any] | None:
        if not isinstance(node, ast.Compare) or node.op not in ("<", "<=", ">", ">="):
            return None
        op, a, b = node.op, node.left, node.right
        if self._operand(a) is None:  # the scaled side on the left: mirror it
            op, a, b = _MIRROR[op], b, a
        subject, scaled = self._operand(a), self._scaled(b)
        if subject is None or subject[0] != "m" or scaled is None or scaled[1][0] == "value":
            return None
        factor, (kind, ref) = scaled
        widened = factor * (1 + MARGIN) if op in ("<", "<=") else factor * (1 - MARGIN)
        ref_value = {"$m" if kind == "m" else kind: ref}
        return {DURABLE_OPERATORS[op]: {subject[1]: {"$mul": {"$l": ref_value, "$r": float(widened)}}}}

    def _scaled(self, node: ast.Expr) -> tuple[Decimal, tuple[str, Any]] | None:
        """``ref * c``, ``c * ref`` or ``ref / c`` with ``ref`` non-negative and ``c`` a positive constant."""
        if not isinstance(node, ast.Arith) or node.op not in ("*", "/"):
            return None
        ref, constant = node.left, node.right
        if node.op == "*" and not isinstance(ref, ast.FactRef):
            ref, constant = constant, ref
        if not isinstance(ref, ast.FactRef) or not isinstance(constant, (ast.Literal, ast.ConstRef)):
            return None
        value = constant.value
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or value <= 0:
            return None
        if ref.name not in self.non_negative:
            return None
        factor = Decimal(value) if node.op == "*" else Decimal(1) / Decimal(value)
        operand = self._operand(ref)
        assert operand is not None
        return factor, operand


def _pattern(compiler: PatternCompiler, node: ast.Expr) -> dict[str, Any] | None:
    try:
        return compiler.compile(node)
    except Unsupported:
        return None


def join(tests: list[dict[str, Any]]) -> dict[str, Any]:
    """The pattern of a second event, its tests ordered around two durable_rules 2.0.28 faults.

    In a join, durable_rules evaluates the comparisons with the first event as a sequence: after
    a nested group (``$and`` / ``$or``) it stops evaluating the rest, and when the last comparison
    is false it reads past the end of the sequence (a crash, or a wrong answer). So the flat
    comparisons come first, then ``JOIN_END`` (always true), then the nested groups (which never
    read the first event: those are left to Python).
    """
    flat: list[dict[str, Any]] = []
    nested: list[dict[str, Any]] = []
    for test in tests:
        for part in test["$and"] if list(test) == ["$and"] else [test]:
            (nested if list(part)[0] in ("$and", "$or") else flat).append(part)
    return {"$and": [*flat, JOIN_END, *nested]}


def _conjuncts(node: ast.Expr | None) -> list[ast.Expr]:
    if node is None:
        return []
    if isinstance(node, ast.And):
        return [c for item in node.items for c in _conjuncts(item)]
    if isinstance(node, ast.Literal) and node.value is True:
        return []
    return [node]


def _join(operator: str, parts: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    if any(p is None for p in parts):
        return None
    return parts[0] if len(parts) == 1 else {operator: parts}


def _scalar(value: Any) -> bool:
    return value is not None and not isinstance(value, tuple)


def _has_null(container: ast.Expr) -> bool:
    if isinstance(container, ast.ListExpr):
        return any(isinstance(i, ast.Literal) and i.value is None for i in container.items)
    return isinstance(container, ast.ConstRef) and isinstance(container.value, tuple) and None in container.value


def _json(value: Any) -> Any:
    """A value as durable_rules reads it: decimals as floats (a number against a number is monotonic)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
