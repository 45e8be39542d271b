"""The base of every backend that compiles an expression: one method per AST node, one operator table.

A backend subclasses :class:`NodeCompiler` with the type it produces (a sqlglot tree, a z3 term, a
check of an explanation) and overrides ``visit_<Node>`` for the nodes it can express. The dispatch
from a node's class to its method is built once, when the subclass is defined. A node without a
method, or an operator whose entry in the backend's table is :class:`NotExpressible`, raises
:class:`~marketing_rules.errors.Unsupported` naming the backend and the node when it is compiled:
never a silently wrong result, and never a z3 variable left unconstrained.

Each backend's ``operators`` has one entry per name of :data:`~marketing_rules.expressions.operators.OPERATORS`
(``tests/test_compilers.py`` holds it to that).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, NoReturn, TypeVar, get_args

from marketing_rules.errors import Unsupported
from marketing_rules.expressions import ast
from marketing_rules.expressions.operators import OPERATORS, OpKind, operator_name
from marketing_rules.i18n import _

T = TypeVar("T")

#: Every class of node an expression tree can hold.
NODES: tuple[type[ast.Expr], ...] = get_args(ast.Expr)


@dataclass(frozen=True, slots=True)
class NotExpressible:
    """An operator table's entry for an operator the backend cannot express, with the reason."""

    reason: str


class NodeCompiler(Generic[T]):
    """Compiles an expression tree node by node; subclasses override ``visit_<Node>``."""

    #: The backend's name, as :class:`Unsupported` shows it.
    backend: ClassVar[str] = "expression"
    #: Operator name -> how this backend compiles it (or :class:`NotExpressible`).
    operators: ClassVar[Mapping[str, Any]] = {}
    #: The expression's text, when known: an :class:`Unsupported` then points at the node in it.
    source: str | None = None
    _methods: ClassVar[dict[type, Callable[[Any, Any], Any]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._methods = {node: getattr(cls, f"visit_{node.__name__}") for node in NODES}

    def compile(self, node: ast.Expr) -> T:
        """The node compiled by its class's method."""
        method = self._methods.get(type(node))
        if method is None:
            self.unsupported(node)
        result: T = method(self, node)
        return result

    def operator(self, node: ast.Expr) -> Any:
        """This backend's table entry for the operator ``node`` applies."""
        name = operator_name(node)
        entry = self.operators.get(name) if name is not None else None
        if entry is None:
            self.unsupported(node, _shown(name) if name is not None else None)
        if isinstance(entry, NotExpressible):
            self.unsupported(node, _(entry.reason))
        return entry

    def unsupported(self, node: ast.Expr, reason: str | None = None) -> NoReturn:
        raise Unsupported(self.backend, reason or _("the {node} node", node=type(node).__name__), type(node).__name__,
                          node.span, self.source)

    # -- one method per node: each raises Unsupported until a backend overrides it --------------
    def visit_Literal(self, node: ast.Literal) -> T:
        self.unsupported(node)

    def visit_Name(self, node: ast.Name) -> T:
        self.unsupported(node, _("the unresolved name '{name}'", name=node.name))

    def visit_FactRef(self, node: ast.FactRef) -> T:
        self.unsupported(node)

    def visit_ConstRef(self, node: ast.ConstRef) -> T:
        self.unsupported(node)

    def visit_EnumValue(self, node: ast.EnumValue) -> T:
        self.unsupported(node)

    def visit_ListExpr(self, node: ast.ListExpr) -> T:
        self.unsupported(node)

    def visit_Neg(self, node: ast.Neg) -> T:
        self.unsupported(node)

    def visit_Arith(self, node: ast.Arith) -> T:
        self.unsupported(node)

    def visit_Compare(self, node: ast.Compare) -> T:
        self.unsupported(node)

    def visit_InList(self, node: ast.InList) -> T:
        self.unsupported(node)

    def visit_IsNull(self, node: ast.IsNull) -> T:
        self.unsupported(node)

    def visit_And(self, node: ast.And) -> T:
        self.unsupported(node)

    def visit_Or(self, node: ast.Or) -> T:
        self.unsupported(node)

    def visit_Not(self, node: ast.Not) -> T:
        self.unsupported(node)

    def visit_Call(self, node: ast.Call) -> T:
        self.unsupported(node)

    def visit_Checked(self, node: ast.Checked) -> T:
        self.unsupported(node)


def _shown(name: str) -> str:
    operator = OPERATORS.get(name)
    if operator is not None and operator.kind is OpKind.FUNCTION:
        return _("the function {name}()", name=name)
    return _("the operator '{op}'", op=operator.symbol if operator is not None else name)


def missing_operators(compiler: type[NodeCompiler[Any]]) -> list[str]:
    """The operators of the language that ``compiler``'s table has no entry for (none, or it is
    out of date), and the entries that name no operator."""
    table = compiler.operators
    return sorted(set(OPERATORS) ^ set(table))


__all__ = ["NODES", "NodeCompiler", "NotExpressible", "missing_operators"]
