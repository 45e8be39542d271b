"""Conditions and amounts over events compiled to Python, by the ruleset's own Python backend.

The same code generator that compiles a ruleset into one ``decide`` function compiles each
condition over an event (its attributes, the customer's facts, names bound from an earlier event)
into a small function of one mapping of names. The semantics are therefore the reference ones:
exact decimals and three-valued logic, a condition holds only when it is true.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from marketing_rules.backends.python import PythonCompiler, _guarded
from marketing_rules.expressions import ast
from marketing_rules.expressions.types import Type

Predicate = Callable[[Mapping[str, Any]], bool]
Amount = Callable[[Mapping[str, Any]], Decimal | int | None]


class _Scope:
    """What :class:`PythonCompiler` reads of a program: the types of the names."""

    def __init__(self, types: Mapping[str, Type]):
        self.fact_types = dict(types)
        self.derived: dict[str, Type] = {}


class ScopeCompiler(PythonCompiler):
    """Compiles expressions over one scope of names into functions ``f(values: Mapping)``."""

    def __init__(self, types: Mapping[str, Type]):
        super().__init__(_Scope(types))  # type: ignore[arg-type]
        self._count = 0

    def _function(self, node: ast.Expr, body: str, label: str) -> Callable[[Mapping[str, Any]], Any]:
        names = sorted(ast.facts_read(node))
        lines = ["def fn(v):"] + [f"    f_{name} = v.get({name!r})" for name in names] + [f"    return {body}"]
        source = "\n".join(lines) + "\n"
        namespace = dict(self.env)
        self._count += 1
        exec(compile(source, f"<{label}>", "exec"), namespace)
        function: Callable[[Mapping[str, Any]], Any] = namespace["fn"]
        function.source = source  # type: ignore[attr-defined]  # shown when debugging
        return function

    def predicate(self, node: ast.Expr | None, label: str = "condition") -> Predicate:
        """A function that is True when the condition is true (False when false or unknown)."""
        if node is None:
            return _always
        true, _ = self.truth(node)
        return self._function(node, f"True if {true} else False", label)

    def amount(self, node: ast.Expr, label: str = "amount") -> Amount:
        """A function giving the value as an exact Decimal (or int), None when it is null."""
        code, guards = self.value(node, True)
        return self._function(node, _guarded(code, guards), label)


def _always(values: Mapping[str, Any]) -> bool:
    return True
