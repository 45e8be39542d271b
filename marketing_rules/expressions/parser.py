"""Expression text to AST, with lark and the grammar in ``grammar.lark``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.tree import Meta

from marketing_rules.expressions import ast


@dataclass(frozen=True, slots=True)
class ExprIssue:
    """A problem inside one expression, at character offsets of its text."""

    code: str
    message: str
    start: int
    end: int
    hint: str | None = None


class ExpressionSyntaxError(Exception):
    def __init__(self, issue: ExprIssue):
        self.issue = issue
        super().__init__(issue.message)


@cache
def _parser() -> Lark:
    grammar = files("marketing_rules.expressions").joinpath("grammar.lark").read_text(encoding="utf-8")
    return Lark(
        grammar,
        start=["expression", "unary_tests"],
        parser="lalr",
        propagate_positions=True,
        maybe_placeholders=False,
    )


def _span(meta_or_token: object) -> ast.Span:
    if isinstance(meta_or_token, Token):
        return (meta_or_token.start_pos or 0, meta_or_token.end_pos or 0)
    return (getattr(meta_or_token, "start_pos", 0), getattr(meta_or_token, "end_pos", 0))


_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"'}


def _unquote(text: str) -> str:
    """A string literal's text: \\n, \\t, \\\\ and escaped quotes; every other character as written."""
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text[1:-1])


@v_args(meta=True)
class _ToAst(Transformer[Token, ast.Expr]):
    """One method per grammar rule: lark trees become AST nodes."""

    def number(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        text = str(children[0])
        value = Decimal(text) if "." in text else int(text)
        return ast.Literal(_span(children[0]), value)

    def string(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.Literal(_span(children[0]), _unquote(str(children[0])))

    def true(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.Literal(_span(meta), True)

    def false(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.Literal(_span(meta), False)

    def null(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.Literal(_span(meta), None)

    def name(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.Name(_span(children[0]), str(children[0]))

    def call(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        name, *args = children
        return ast.Call(_span(meta), str(name), tuple(args))

    def list(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.ListExpr(_span(meta), tuple(children))

    def neg(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        (operand,) = children
        if isinstance(operand, ast.Literal) and isinstance(operand.value, (int, Decimal)) and not isinstance(operand.value, bool):
            return ast.Literal(_span(meta), -operand.value)
        return ast.Neg(_span(meta), operand)

    def arith(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        left, op, right = children
        return ast.Arith(_span(meta), str(op), left, right)

    def compare(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        left, op, right = children
        return ast.Compare(_span(meta), str(op), left, right)

    def in_op(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.InList(_span(meta), children[0], children[1], negated=False)

    def not_in_op(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.InList(_span(meta), children[0], children[1], negated=True)

    def is_null(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.IsNull(_span(meta), children[0], negated=False)

    def is_not_null(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.IsNull(_span(meta), children[0], negated=True)

    def and_op(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.And(_span(meta), _flatten(ast.And, children))

    def or_op(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.Or(_span(meta), _flatten(ast.Or, children))

    def not_op(self, meta: Meta, children: Sequence[Any]) -> ast.Expr:
        return ast.Not(_span(meta), children[0])


def _flatten(kind: type[ast.And] | type[ast.Or], children: Sequence[ast.Expr]) -> tuple[ast.Expr, ...]:
    items: list[ast.Expr] = []
    for child in children:
        items.extend(child.items if isinstance(child, kind) else (child,))
    return tuple(items)


def _syntax_issue(text: str, error: UnexpectedInput) -> ExprIssue:
    position = getattr(error, "pos_in_stream", None)
    if isinstance(error, UnexpectedToken):
        token = error.token
        expected = _expected(error.expected)
        before = text[: token.start_pos or 0]
        if token.type == "NAME" and before[-1:].isdigit():
            expected = "write values that start with a digit in quotes, e.g. '4g'"
        elif token.type == "COMP_OP":
            expected = "compare one pair at a time: write '1 < x and x < 3', not '1 < x < 3'"
        if token.type == "$END":
            return ExprIssue("MR105", "the expression ends too early", len(text), len(text) + 1, expected)
        position = token.start_pos if token.start_pos is not None else len(text)
        return ExprIssue("MR105", f"unexpected '{token}'", position, position + max(1, len(str(token))), expected)
    if isinstance(error, UnexpectedCharacters):
        char = text[position] if position is not None and position < len(text) else ""
        hint = "quote strings with ' or \"; write enum values with digits first as '4g'" if char.isdigit() or char in "-'\"" else None
        return ExprIssue("MR105", f"unexpected character {char!r}", position or 0, (position or 0) + 1, hint)
    if isinstance(error, UnexpectedEOF):
        return ExprIssue("MR105", "the expression ends too early", len(text), len(text) + 1)
    return ExprIssue("MR105", str(error).splitlines()[0], position or 0, (position or 0) + 1)


_TERMINAL_NAMES = {
    "NAME": "a name", "NUMBER": "a number", "STRING": "a string", "COMP_OP": "a comparison",
    "ADD_OP": "'+' or '-'", "MUL_OP": "'*', '/' or '%'", "LPAR": "'('", "RPAR": "')'",
    "LSQB": "'['", "RSQB": "']'", "COMMA": "','", "MINUS": "'-'",
}


def _readable(terminal: str) -> str:
    return _TERMINAL_NAMES.get(terminal, terminal.lower())


def _expected(terminals: set[str]) -> str | None:
    if terminals & {"NAME", "NUMBER", "STRING"}:
        return "expected a value here: a name, a number, a 'string', a [list] or a (parenthesised expression)"
    names = sorted(_readable(t) for t in terminals if not t.startswith("__") and t != "$END")
    return f"expected {', '.join(names[:6])}" if names else None


def _parse(text: str, start: str) -> Tree[Token]:
    if not text.strip():
        raise ExpressionSyntaxError(ExprIssue("MR105", "the expression is empty", 0, 1))
    try:
        return _parser().parse(text, start=start)
    except UnexpectedInput as error:
        raise ExpressionSyntaxError(_syntax_issue(text, error)) from None


def parse_expression(text: str) -> ast.Expr:
    """Parse a condition or value expression; raises :class:`ExpressionSyntaxError`."""
    node: ast.Expr = _ToAst().transform(_parse(text, "expression"))
    return node


def parse_unary_tests(text: str, subject: ast.Expr) -> ast.Expr | None:
    """A decision-table input cell as a condition on ``subject``; None for '-' (any value)."""
    tree = _parse(text, "unary_tests")
    if tree.data == "any_test":
        return None
    negated = tree.data == "not_tests"
    positive = _tree(tree.children[0])
    tests = tuple(_unary_test(_tree(test), subject) for test in positive.children)
    span = _span(tree.meta)
    condition = tests[0] if len(tests) == 1 else ast.Or(span, tests)
    return ast.Not(span, condition) if negated else condition


_INTERVALS = {
    "closed_closed": (">=", "<="),
    "closed_open": (">=", "<"),
    "open_closed": (">", "<="),
    "open_open": (">", "<"),
}


def _tree(child: Tree[Token] | Token) -> Tree[Token]:
    assert isinstance(child, Tree), child  # the grammar's unary tests are rules, not tokens
    return child


def _unary_test(test: Tree[Token], subject: ast.Expr) -> ast.Expr:
    span = _span(test.meta)

    def transform(child: Tree[Token] | Token) -> ast.Expr:
        node: ast.Expr = _ToAst().transform(_tree(child))
        return node

    if test.data == "compare_test":
        op, operand = test.children
        return ast.Compare(span, str(op), subject, transform(operand))
    if test.data == "equal_test":
        value = transform(test.children[0])
        if isinstance(value, ast.ListExpr):
            return ast.InList(span, subject, value, negated=False)
        return ast.Compare(span, "==", subject, value)
    low_op, high_op = _INTERVALS[str(test.data)]
    low, high = (transform(child) for child in test.children)
    return ast.And(span, (ast.Compare(span, low_op, subject, low), ast.Compare(span, high_op, subject, high)))
