"""Name resolution and type checking of expressions against a ruleset's facts and constants.

Bare names become fact references, constants, or enum values where the other side of the
comparison is an enum. Every problem is collected as an :class:`ExprIssue`; a node that failed
gets the type ``error`` so that one mistake is not reported again by the nodes around it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from marketing_rules.errors import did_you_mean
from marketing_rules.expressions import ast
from marketing_rules.expressions.functions import FUNCTIONS
from marketing_rules.expressions.operators import OPERATORS, OpKind, result_type
from marketing_rules.expressions.parser import ExprIssue
from marketing_rules.expressions.types import (
    BOOLEAN,
    INTEGER,
    NULL,
    NUMBER,
    STRING,
    Type,
    TypeKind,
    comparable,
    list_of,
    ordered,
    unify,
)
from marketing_rules.i18n import _, n_

ERROR = Type(TypeKind.ERROR)

#: A checked node (names resolved) and its type.
Checked = tuple[ast.Expr, Type]


def literal_type(value: object) -> Type:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, (Decimal, float)):
        return NUMBER
    if isinstance(value, (list, tuple)):
        item: Type = NULL
        for element in value:
            item = unify(item, literal_type(element))
        return list_of(item if value else None)
    return STRING


@dataclass
class Scope:
    """What names an expression may use: facts with their types, and constants with values."""

    facts: dict[str, Type]
    constants: dict[str, ast.Value] = field(default_factory=dict)

    def names(self) -> list[str]:
        return [*self.facts, *self.constants]


class Checker:
    """Resolves and type-checks expressions; read ``issues`` afterwards."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self.issues: list[ExprIssue] = []

    # -- entry points -------------------------------------------------------------------------
    def condition(self, node: ast.Expr) -> ast.Expr:
        """A condition: must be boolean."""
        resolved, kind = self.check(node)
        if kind not in (BOOLEAN, ERROR, NULL):
            self._issue("MR103", _("a condition must be true or false, but this is {type}", type=kind.article), node,
                        _("compare it with something, for example 'x > 0'"))
        return resolved

    def value(self, node: ast.Expr, expected: Type | None = None) -> tuple[ast.Expr, Type]:
        """A value, resolved with the type it is assigned to (so bare enum words work)."""
        return self.check(node, expected)

    # -- the walk -----------------------------------------------------------------------------
    def check(self, node: ast.Expr, expected: Type | None = None) -> Checked:
        """The node resolved, carrying its type (``node.type``), and the type."""
        method: Callable[[ast.Expr, Type | None], Checked] = getattr(self, f"visit_{type(node).__name__}")
        resolved, kind = method(node, expected)
        return (resolved if resolved.type == kind else replace(resolved, type=kind)), kind

    def visit_Literal(self, node: ast.Literal, expected: Type | None) -> Checked:
        if isinstance(node.value, str) and expected is not None and expected.kind == "enum":
            if node.value not in expected.values:
                self._unknown_enum(node.value, expected, node)
                return node, ERROR
            return node, expected
        return node, literal_type(node.value)

    def visit_Name(self, node: ast.Name, expected: Type | None) -> Checked:
        if expected is not None and expected.kind == "enum" and node.name in expected.values and (
                node.name not in self.scope.facts or not comparable(self.scope.facts[node.name], expected)):
            return ast.EnumValue(node.span, node.name), expected  # 'sms' the channel, not the fact sms
        if node.name in self.scope.facts:
            return ast.FactRef(node.span, node.name), self.scope.facts[node.name]
        if node.name in self.scope.constants:
            value = self.scope.constants[node.name]
            return ast.ConstRef(node.span, node.name, value), literal_type(value)
        if expected is not None and expected.kind == "enum":
            if node.name in expected.values:
                return ast.EnumValue(node.span, node.name), expected
            self._unknown_enum(node.name, expected, node)
            return node, ERROR
        hint = did_you_mean(node.name, self.scope.names())
        if hint is None and expected is not None and expected.kind == "string":
            hint = _("to compare with the text, quote it: '{name}'", name=node.name)
        self._issue("MR101", _("unknown name '{name}'", name=node.name), node, hint)
        return node, ERROR

    def visit_FactRef(self, node: ast.FactRef, expected: Type | None) -> Checked:
        return node, self.scope.facts[node.name]

    def visit_ConstRef(self, node: ast.ConstRef, expected: Type | None) -> Checked:
        return node, literal_type(node.value)

    def visit_EnumValue(self, node: ast.EnumValue, expected: Type | None) -> Checked:
        return node, expected or STRING

    def visit_ListExpr(self, node: ast.ListExpr, expected: Type | None) -> Checked:
        item_expected = expected.item if expected is not None and expected.kind == "list" else None
        items: list[ast.Expr] = []
        item_type = NULL
        for item in node.items:
            resolved, kind = self.check(item, item_expected)
            items.append(resolved)
            item_type = unify(item_type, kind) if kind is not ERROR else item_type
        return ast.ListExpr(node.span, tuple(items)), list_of(item_type if items else None)

    def visit_Neg(self, node: ast.Neg, expected: Type | None) -> Checked:
        operand, kind = self.check(node.operand)
        if kind not in (ERROR, NULL) and not kind.numeric:
            self._issue("MR103", _("'-' needs a number, not {type}", type=kind.article), node)
            return node, ERROR
        return ast.Neg(node.span, operand), result_type(node, [kind])

    def visit_Arith(self, node: ast.Arith, expected: Type | None) -> Checked:
        left, lt = self.check(node.left)
        right, rt = self.check(node.right)
        for side, kind in ((node.left, lt), (node.right, rt)):
            if kind not in (ERROR, NULL) and not kind.numeric:
                self._issue("MR103", _("'{op}' needs numbers, but this is {type}", op=node.op, type=kind.article), side)
                return node, ERROR
        if ERROR in (lt, rt):
            return node, ERROR
        return ast.Arith(node.span, node.op, left, right), result_type(node, [lt, rt])

    def visit_Compare(self, node: ast.Compare, expected: Type | None) -> Checked:
        if _is_null(node.left) or _is_null(node.right):
            subject = node.right if _is_null(node.left) else node.left
            self._issue("MR107", _("a comparison with null is never true"), node,
                        _("write '... is null' to test for a missing value") if node.op == "==" else
                        _("write '... is not null' to test for a missing value") if node.op == "!=" else
                        _("a missing value is unknown; test it with 'is null'"))
            self.check(subject)
            return node, ERROR
        left, right, lt, rt = self._pair(node.left, node.right)
        if ERROR in (lt, rt):
            return node, ERROR
        if OPERATORS[node.op].kind is OpKind.ORDER:
            for side, kind in ((node.left, lt), (node.right, rt)):
                if not ordered(kind):
                    self._issue("MR103", _("'{op}' compares numbers, but this is {type}", op=node.op, type=kind.article),
                                side, _("enum values and strings can only be compared with ==, != or in"))
                    return node, ERROR
        elif not comparable(lt, rt):
            self._issue("MR103", _("cannot compare {left} with {right}", left=lt.article, right=rt.article), node,
                        _bare_fact(node, lt, rt))
            return node, ERROR
        return ast.Compare(node.span, node.op, left, right), BOOLEAN

    def visit_InList(self, node: ast.InList, expected: Type | None) -> Checked:
        operand, kind = self.check(node.operand)
        container, container_type = self.check(node.container, list_of(kind) if kind is not ERROR else None)
        if ERROR in (kind, container_type):
            return node, ERROR
        if container_type.kind != "list":
            self._issue("MR103", _("'in' needs a list on its right, not {type}", type=container_type.article),
                        node.container, _("write the values in brackets: x in [a, b]"))
            return node, ERROR
        if container_type.item is not None and not comparable(kind, container_type.item):
            self._issue("MR103", _("cannot look for {item} in {container}", item=kind.article,
                                   container=container_type.article), node)
            return node, ERROR
        return ast.InList(node.span, operand, container, node.negated), BOOLEAN

    def visit_IsNull(self, node: ast.IsNull, expected: Type | None) -> Checked:
        operand, kind = self.check(node.operand)
        return ast.IsNull(node.span, operand, node.negated), BOOLEAN if kind is not ERROR else ERROR

    def visit_And(self, node: ast.And, expected: Type | None) -> Checked:
        return self._logical(node, ast.And, "and")

    def visit_Or(self, node: ast.Or, expected: Type | None) -> Checked:
        return self._logical(node, ast.Or, "or")

    def visit_Not(self, node: ast.Not, expected: Type | None) -> Checked:
        operand, kind = self.check(node.operand)
        if kind not in (BOOLEAN, ERROR, NULL):
            self._issue("MR103", _("'not' needs a condition, but this is {type}", type=kind.article), node.operand)
            return node, ERROR
        return ast.Not(node.span, operand), BOOLEAN if kind is not ERROR else ERROR

    def visit_Call(self, node: ast.Call, expected: Type | None) -> Checked:
        function = FUNCTIONS.get(node.name)
        if function is None:
            self._issue("MR102", _("unknown function '{name}'", name=node.name), node,
                        did_you_mean(node.name, FUNCTIONS) or _("the functions are {names}", names=", ".join(FUNCTIONS)))
            return node, ERROR
        count = len(node.args)
        if count < function.min_args or (function.max_args is not None and count > function.max_args):
            if function.max_args == function.min_args:
                message = n_("{name}() takes {count} argument, not {given}", "{name}() takes {count} arguments, not {given}",
                             function.min_args, name=node.name, given=count)
            elif function.max_args is None:
                message = _("{name}() takes at least {count} arguments, not {given}", name=node.name,
                            count=function.min_args, given=count)
            else:
                message = _("{name}() takes {low} to {high} arguments, not {given}", name=node.name,
                            low=function.min_args, high=function.max_args, given=count)
            self._issue("MR106", message, node)
            return node, ERROR
        args: list[ast.Expr] = []
        types: list[Type] = []
        for arg in node.args:
            resolved, kind = self.check(arg, expected if function.accepts == "any" else None)
            if kind is ERROR:
                return node, ERROR
            if function.accepts == "numeric" and not (kind.numeric or kind is NULL):
                self._issue("MR103", _("{name}() needs numbers, but this is {type}", name=node.name, type=kind.article),
                            arg)
                return node, ERROR
            if function.accepts == "sized" and kind.kind not in ("list", "string", "enum", "null"):
                self._issue("MR103", _("{name}() needs a list or a string, not {type}", name=node.name,
                                       type=kind.article), arg)
                return node, ERROR
            args.append(resolved)
            types.append(kind)
        return ast.Call(node.span, node.name, tuple(args)), result_type(node, types)

    # -- helpers ------------------------------------------------------------------------------
    def _pair(self, a: ast.Expr, b: ast.Expr) -> tuple[ast.Expr, ast.Expr, Type, Type]:
        """Check two operands; a bare word is resolved against the other side's type."""
        if self._bare_word(a) and not self._bare_word(b):
            right, rt = self.check(b)
            left, lt = self.check(a, rt if rt is not ERROR else None)
        else:
            left, lt = self.check(a)
            right, rt = self.check(b, lt if lt is not ERROR else None)
        return left, right, lt, rt

    def _bare_word(self, node: ast.Expr) -> bool:
        return isinstance(node, ast.Name) and node.name not in self.scope.facts and node.name not in self.scope.constants

    def _logical(self, node: ast.And | ast.Or, kind: type[ast.And] | type[ast.Or], word: str) -> Checked:
        items: list[ast.Expr] = []
        failed = False
        for item in node.items:
            resolved, item_type = self.check(item)
            if item_type is ERROR:
                failed = True
            elif item_type not in (BOOLEAN, NULL):
                self._issue("MR103", _("'{word}' joins conditions, but this is {type}", word=word, type=item_type.article),
                            item)
                failed = True
            items.append(resolved)
        return (node, ERROR) if failed else (kind(node.span, tuple(items)), BOOLEAN)

    def _unknown_enum(self, word: str, enum_type: Type, node: ast.Expr) -> None:
        hint = did_you_mean(word, enum_type.values) or _("the values are {values}", values=", ".join(enum_type.values))
        message = _("'{word}' is not a value of {enum}", word=word, enum=enum_type.name) if enum_type.name else \
            _("'{word}' is not a value", word=word)
        self._issue("MR104", message, node, hint)

    def _issue(self, code: str, message: str, node: ast.Expr, hint: str | None = None) -> None:
        self.issues.append(ExprIssue(code, message, node.span[0], node.span[1], hint))


def _is_null(node: ast.Expr) -> bool:
    return isinstance(node, ast.Literal) and node.value is None


def _bare_fact(node: ast.Compare, lt: Type, rt: Type) -> str | None:
    """A bare word compared with text that names a fact: the author meant the text."""
    for side, other in ((node.right, lt), (node.left, rt)):
        if isinstance(side, ast.Name) and other.kind in ("string", "enum"):
            return _("`{name}` here is the fact {name}; write '{name}' for the text", name=side.name)
    return None


def type_of(node: ast.Expr, facts: Mapping[str, Type]) -> Type:
    """The type of a resolved expression, given the types of the facts it reads."""
    match node:
        case ast.FactRef(name=name):
            return facts[name]
        case ast.Literal(value=v) | ast.ConstRef(value=v):
            return literal_type(v)
        case ast.EnumValue():
            return STRING
        case ast.ListExpr():
            return list_of(None)
        case ast.Neg(operand=x):
            return result_type(node, [type_of(x, facts)])
        case ast.Arith(left=a, right=b):
            return result_type(node, [type_of(a, facts), type_of(b, facts)])
        case ast.Call(args=args):
            return result_type(node, [type_of(a, facts) for a in args])
    return BOOLEAN


def computed(node: ast.Expr, facts: Mapping[str, Type]) -> bool:
    """A number produced by arithmetic or a function: backends compare it as an exact decimal."""
    return isinstance(node, (ast.Arith, ast.Neg, ast.Call)) and type_of(node, facts) == NUMBER


__all__ = ["Checker", "Scope", "ERROR", "computed", "literal_type", "type_of"]
