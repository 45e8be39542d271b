"""Expression text to AST, with lark and the grammar in ``grammar.lark``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, fields, is_dataclass
from decimal import Decimal
from functools import cache
from importlib.resources import files
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.tree import Meta

from marketing_rules.expressions import ast
from marketing_rules.i18n import N_, _


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
            expected = _("write values that start with a digit in quotes, e.g. '4g'")
        elif token.type == "COMP_OP":
            expected = _("compare one pair at a time: write '1 < x and x < 3', not '1 < x < 3'")
        percent = _PERCENT.search(text if token.type == "$END" else before)
        if percent:
            return _unit_issue(percent)
        if token.type == "$END":
            return ExprIssue("MR105", _("the expression ends too early"), len(text), len(text) + 1, expected)
        position = token.start_pos if token.start_pos is not None else len(text)
        return ExprIssue("MR105", _("unexpected '{token}'", token=str(token)), position,
                         position + max(1, len(str(token))), expected)
    if isinstance(error, UnexpectedCharacters):
        char = text[position] if position is not None and position < len(text) else ""
        plain = _plain_words(text, position or 0)
        if plain is not None:
            return plain
        hint = _("quote strings with ' or \"; write enum values with digits first as '4g'") \
            if char.isdigit() or char in "-'\"" else None
        return ExprIssue("MR105", _("unexpected character {char}", char=repr(char)), position or 0, (position or 0) + 1,
                         hint)
    if isinstance(error, UnexpectedEOF):
        return ExprIssue("MR105", _("the expression ends too early"), len(text), len(text) + 1)
    return ExprIssue("MR105", str(error).splitlines()[0], position or 0, (position or 0) + 1)


#: Punctuation typed with a Chinese input method, and what to type instead.
_FULL_WIDTH = {"“": '"', "”": '"', "‘": "'", "’": "'", "。": ".", "、": ","}
_MULTIPLIERS = {"百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}
_NUMBER_BEFORE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)$")
_PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(%)\s*$")


def _plain_words(text: str, position: int) -> ExprIssue | None:
    """A character the grammar does not know, when it is a common slip: full-width punctuation
    (``，`` for ``,``) or a unit after a number (``120元``)."""
    char = text[position:position + 1]
    half = _FULL_WIDTH.get(char) or unicodedata.normalize("NFKC", char)
    if char and half != char and half.isascii() and half.strip():
        return ExprIssue("MR105", _("a full-width {char} in the expression", char=repr(char)), position, position + 1,
                         _("type the half-width {char} (switch the input method to English)", char=repr(half)))
    number = _NUMBER_BEFORE.search(text[:position])
    if number and char and not char.isascii():
        unit = re.match(r"[^\x00-\x7f\s]+", text[position:])
        assert unit is not None
        found = re.match(r"(\d+(?:\.\d+)?)(\S+)", text[number.start():position + unit.end()])
        return _unit_issue(found, number.start()) if found else None
    return None


def _unit_issue(found: re.Match[str], offset: int = 0) -> ExprIssue:
    number, unit = found.group(1), found.group(2)
    start = offset + found.start()
    if unit == "%":
        written = str(Decimal(number) / 100)
        return ExprIssue("MR105", _("a percentage {number}%", number=number), start, start + len(number) + 1,
                         _("write {written}, not {number}%: numbers carry no unit", written=written, number=number))
    value = Decimal(number) * _MULTIPLIERS.get(unit[0], 1)
    written = format(value.normalize(), "f") if value != Decimal(number) else number
    return ExprIssue("MR105", _("a unit after the number {number}", number=number), start,
                     start + len(number) + len(unit),
                     _("write {written}, not {number}{unit}: numbers carry no unit", written=written, number=number,
                       unit=unit))


#: Lark's terminals in words (translated where shown); keywords are shown as written ('and', 'in').
_TERMINAL_NAMES = {
    "NAME": N_("a name"), "NUMBER": N_("a number"), "STRING": N_("a string"), "COMP_OP": N_("a comparison"),
    "ADD_OP": N_("'+' or '-'"), "MUL_OP": N_("'*', '/' or '%'"), "LPAR": "'('", "RPAR": "')'",
    "LSQB": "'['", "RSQB": "']'", "COMMA": "','", "MINUS": "'-'",
}


def _readable(terminal: str) -> str:
    return terminal.lower() if terminal not in _TERMINAL_NAMES else _(_TERMINAL_NAMES[terminal])


def _expected(terminals: set[str]) -> str | None:
    if terminals & {"NAME", "NUMBER", "STRING"}:
        return _("expected a value here: a name, a number, a 'string', a [list] or a (parenthesised expression)")
    names = sorted((t for t in terminals if not t.startswith("__") and t != "$END"), key=lambda t: _readable_en(t))
    # the English order kept in every language; the items joined as the language joins a list
    return _("expected {items}", items=_(", ").join(_readable(t) for t in names[:6])) if names else None


def _readable_en(terminal: str) -> str:
    return _TERMINAL_NAMES.get(terminal, terminal.lower())


#: Bounds that keep every later stage (generated Python, SQL, the checker) within its limits.
MAX_TEXT = 200_000  # characters in one expression
MAX_DEPTH = 220  # nested operations and parentheses in one expression
MAX_NESTED = {"call": 10, "minmax": 6, "neg": 64}  # calls, min/max calls and signs nested in one another
_NESTED = {"call": N_("the expression nests more than {count} function calls deep"),
           "minmax": N_("the expression nests more than {count} min() or max() calls deep"),
           "neg": N_("the expression nests more than {count} minus signs deep")}
MAX_NUMBER = 40  # characters in a number literal
MAX_STRING = 10_000  # characters in a string literal
ROUND_DIGITS = range(-10, 11)  # round(x, digits): numbers have 10 decimal places


def _parse(text: str, start: str) -> Tree[Token]:
    if not text.strip():
        raise ExpressionSyntaxError(ExprIssue("MR105", _("the expression is empty"), 0, 1))
    if len(text) > MAX_TEXT:
        raise ExpressionSyntaxError(ExprIssue(
            "MR108", _("the expression is {length} characters long, more than {limit}", length=len(text), limit=MAX_TEXT),
            0, 1, _("split it into facts set by separate rules")))
    try:
        tree = _parser().parse(text, start=start)
    except UnexpectedInput as error:
        raise ExpressionSyntaxError(_syntax_issue(text, error)) from None
    _check_bounds(tree)
    return tree


def _check_bounds(tree: Tree[Token]) -> None:
    """Refuse nesting deeper than MAX_DEPTH and literals too long, without recursion."""
    stack: list[tuple[Tree[Token] | Token, int, dict[str, int]]] = [(tree, 1, {})]
    while stack:
        node, depth, nested = stack.pop()
        if isinstance(node, Token):
            _check_literal(node)
            continue
        nested = _nest(node, nested)
        over = [kind for kind, count in nested.items() if count > MAX_NESTED[kind]]
        if depth > MAX_DEPTH or over:
            start, end = _span(node.meta)
            message = _("the expression nests more than {count} operations deep", count=MAX_DEPTH) if not over else \
                _(_NESTED[over[0]], count=MAX_NESTED[over[0]])
            raise ExpressionSyntaxError(ExprIssue(
                "MR108", message, start, max(end, start + 1), _("split it into facts set by separate rules")))
        stack.extend((child, depth + 1, nested) for child in node.children)


def _nest(node: Tree[Token], nested: dict[str, int]) -> dict[str, int]:
    kinds = ["neg"] if node.data == "neg" else ["call"] if node.data == "call" else []
    if kinds and str(node.children[0]) in ("min", "max"):
        kinds.append("minmax")
    return {**nested, **{kind: nested.get(kind, 0) + 1 for kind in kinds}} if kinds else nested


def _check_literal(token: Token) -> None:
    start, end = _span(token)
    if token.type == "NUMBER" and (len(token) > MAX_NUMBER or not _in_range(str(token))):
        raise ExpressionSyntaxError(ExprIssue(
            "MR109", _("the number {number} is out of range", number=_shorten(str(token))), start, end,
            _("integers are 64-bit, other numbers below 10^18; a literal has at most {count} characters",
              count=MAX_NUMBER)))
    if token.type == "STRING" and len(token) > MAX_STRING:
        raise ExpressionSyntaxError(ExprIssue(
            "MR109", _("the text literal is {length} characters long, more than {limit}", length=len(token),
                       limit=MAX_STRING), start, start + 1))


_NUMBER_BOUND = Decimal(10) ** 18
_INTEGER_BOUND = 2**63  # integers are 64-bit (docs/dsl.md, the number rules)


def _in_range(text: str) -> bool:
    return abs(int(text)) < _INTEGER_BOUND if "." not in text else abs(Decimal(text)) < _NUMBER_BOUND


def _shorten(text: str) -> str:
    return text if len(text) <= 24 else _("{start}...{end} ({count} digits)", start=text[:10], end=text[-10:],
                                          count=len(text))


def _check_calls(node: ast.Expr) -> None:
    """round(x, digits) takes digits as a literal from -10 to 10, decided at load."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Call) and current.name == "round" and len(current.args) == 2:
            digits = current.args[1]
            value = digits.value if isinstance(digits, ast.Literal) else None
            if not isinstance(value, int) or isinstance(value, bool) or value not in ROUND_DIGITS:
                start, end = digits.span
                raise ExpressionSyntaxError(ExprIssue(
                    "MR110", _("round() takes its digits as a whole number from -10 to 10"), start,
                    max(end, start + 1), _("write e.g. round(arpu, 2); numbers keep 10 decimal places")))
        stack.extend(child for child in _children(current))


def _children(node: object) -> list[Any]:
    found: list[Any] = []
    for item in fields(node):  # type: ignore[arg-type]
        value = getattr(node, item.name)
        values = value if isinstance(value, tuple) else (value,)
        found.extend(v for v in values if is_dataclass(v))
    return found


def parse_expression(text: str) -> ast.Expr:
    """Parse a condition or value expression; raises :class:`ExpressionSyntaxError`."""
    node: ast.Expr = _ToAst().transform(_parse(text, "expression"))
    _check_calls(node)
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
    _check_calls(condition)
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
