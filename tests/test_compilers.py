"""Backends as compilers over one operator table (expressions/operators.py, expressions/compiler.py).

Each compiler has a method for every node class of the AST and an entry for every operator of the
language; what it cannot express raises Unsupported naming the backend and the node, at compile
time. The SQL dialects are sqlglot dialect subclasses that write the number contract's nodes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import z3
from sqlglot import exp

from marketing_rules.analysis.symbolic import Z3_OPERATORS, Encoder, UnsupportedNode
from marketing_rules.backends.python import PYTHON_OPERATORS, PythonCompiler, Truth
from marketing_rules.backends.sql_dialects import (
    SQL_DIALECTS,
    Exact,
    ExactDuckDB,
    ExactPostgres,
    ExactSpark,
    NumberProduct,
    NumberQuotient,
)
from marketing_rules.backends.sql_expressions import SQL_OPERATORS, ExpressionCompiler
from marketing_rules.engine.explain import EXPLAIN_OPERATORS, ConditionExplainer
from marketing_rules.errors import Unsupported
from marketing_rules.events.patterns import DURABLE_OPERATORS, PatternCompiler
from marketing_rules.expressions import ast
from marketing_rules.expressions.checker import Checker, Scope, type_of
from marketing_rules.expressions.compiler import NODES, NodeCompiler, missing_operators
from marketing_rules.expressions.operators import OPERATORS, Operator, OpKind, operator_name
from marketing_rules.expressions.parser import parse_expression
from marketing_rules.expressions.types import INTEGER, NUMBER
from tests.conftest import ruleset_from

RULESET = ruleset_from("""
    ruleset: compilers
    version: 1.0.0
    rules:
      - {id: a, when: arpu > 5, then: {tag: y}}
""")
PROGRAM = RULESET.program

#: One expression per operator of the language, over facts of the default schema.
SAMPLES: dict[str, str] = {
    "+": "sms + 1", "-": "arpu - 1", "*": "arpu * 2", "/": "arpu / 3", "%": "sms % 7", "neg": "-arpu",
    "==": "card == gold", "!=": "package != 'x'", "<": "arpu < 1", "<=": "sms <= 2", ">": "arpu > 3",
    ">=": "arpu >= 4", "in": "card in [gold, silver]", "not in": "card not in [gold]", "is null": "arpu is null",
    "is not null": "arpu is not null", "and": "uses_data and arpu > 1", "or": "uses_data or sms > 1",
    "not": "not uses_data", "min": "min(arpu, 3)", "max": "max(sms, 2)", "abs": "abs(arpu)",
    "round": "round(arpu, 2)", "floor": "floor(arpu)", "ceil": "ceil(arpu)", "len": "len(package)",
    "coalesce": "coalesce(arpu, 0)",
}
#: Which operators each backend cannot express (the rest it must).
NOT_EXPRESSIBLE = {"sql": set(), "z3": {"len"}, "explain": set(), "python": set(),
                   "durable_rules": {n for n, op in OPERATORS.items() if op.kind in (OpKind.ARITHMETIC, OpKind.FUNCTION)}}


def checked(text: str) -> ast.Expr:
    checker = Checker(Scope(dict(PROGRAM.fact_types)))
    node, _ = checker.value(parse_expression(text))
    assert not checker.issues, checker.issues
    return node


def sql_compiler() -> ExpressionCompiler:
    return ExpressionCompiler(PROGRAM.fact_types, lambda name: exp.column(name, quoted=True))


def z3_compiler() -> Encoder:
    encoder = Encoder(PROGRAM)
    encoder.encode()
    return encoder


def explainer() -> ConditionExplainer:
    return ConditionExplainer("", {"arpu": Decimal("4"), "sms": 3, "card": "gold", "package": "x", "uses_data": True})


def python_compiler() -> PythonCompiler:
    return PythonCompiler(PROGRAM)


def patterns() -> PatternCompiler:
    return PatternCompiler(PROGRAM.fact_types, frozenset())


COMPILERS: dict[str, Any] = {"sql": sql_compiler, "z3": z3_compiler, "explain": explainer, "python": python_compiler,
                             "durable_rules": patterns}
TABLES = {"sql": SQL_OPERATORS, "z3": Z3_OPERATORS, "explain": EXPLAIN_OPERATORS, "python": PYTHON_OPERATORS,
          "durable_rules": DURABLE_OPERATORS}


# -- one operator table ------------------------------------------------------------------------------
def test_the_table_holds_every_operator_once_with_its_node() -> None:
    assert set(SAMPLES) == set(OPERATORS)
    for name, text in SAMPLES.items():
        node = checked(text)
        assert operator_name(node) == name
        assert isinstance(node, OPERATORS[name].node)


@pytest.mark.parametrize("backend", sorted(COMPILERS))
def test_every_compiler_has_an_entry_for_every_operator(backend: str) -> None:
    compiler = type(COMPILERS[backend]())
    assert compiler.operators is TABLES[backend]
    assert missing_operators(compiler) == []


@pytest.mark.parametrize("backend", sorted(COMPILERS))
def test_an_operator_added_without_a_compiler_entry_is_caught(backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = Operator("xor", "xor", OpKind.LOGIC, ast.And, (2, 2), lambda operands: operands[0])
    monkeypatch.setitem(OPERATORS, "xor", extra)
    assert missing_operators(type(COMPILERS[backend]())) == ["xor"]


def test_the_checker_types_every_operator_by_the_table() -> None:
    facts = dict(PROGRAM.fact_types)
    for text in SAMPLES.values():
        node = checked(text)
        operands = [type_of(child, facts) for child in ast.children(node)]
        if isinstance(node, ast.InList):
            operands = operands[:1]
        assert node.type == OPERATORS[operator_name(node) or ""].result(operands) == type_of(node, facts), text
    assert checked("sms * 2").type == INTEGER and checked("sms / 2").type == NUMBER


# -- every operator compiles, or is unsupported by name ---------------------------------------------
@pytest.mark.parametrize("backend", sorted(COMPILERS))
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_compiler_compiles_each_operator_or_names_it_unsupported(backend: str, name: str) -> None:
    compiler = COMPILERS[backend]()
    node = checked(SAMPLES[name])
    if name in NOT_EXPRESSIBLE[backend]:
        with pytest.raises(Unsupported) as caught:
            compiler.compile(node)
        assert caught.value.backend == compiler.backend and caught.value.node == type(node).__name__
        assert caught.value.span == node.span
    else:
        assert compiler.compile(node) is not None


def test_z3_len_is_unsupported_at_encode_time_never_an_unconstrained_variable() -> None:
    with pytest.raises(UnsupportedNode) as caught:
        z3_compiler().value(checked("len(package) > 3"))
    assert caught.value.reason == "the function len()"
    assert "the z3 backend cannot compile the function len()" in str(caught.value)


def test_z3_compiles_operators_with_their_meaning() -> None:
    encoder = z3_compiler()
    for text, expected in (("ceil(arpu)", 3), ("floor(arpu)", 2), ("round(arpu, 0)", 3), ("-arpu", Decimal("-2.5"))):
        result = encoder.value(checked(text))
        solver = z3.Solver()
        solver.add(encoder.enc.inputs["arpu"].term == z3.RealVal("5/2"), encoder.enc.inputs["arpu"].defined)
        assert solver.check() == z3.sat
        value = solver.model().eval(result.term, model_completion=True)
        assert Decimal(value.numerator_as_long()) / Decimal(value.denominator_as_long()) == expected, text


# -- every node class dispatches ----------------------------------------------------------------------
NODE_SAMPLES: dict[type, ast.Expr] = {
    ast.Literal: ast.Literal((0, 1), 1),
    ast.Name: ast.Name((0, 7), "unknown"),
    ast.FactRef: ast.FactRef((0, 4), "arpu"),
    ast.ConstRef: ast.ConstRef((0, 3), "TOP", 5),
    ast.EnumValue: ast.EnumValue((0, 4), "gold"),
    ast.ListExpr: ast.ListExpr((0, 3), (ast.Literal((1, 2), 1),)),
    ast.Checked: ast.Checked((0, 8), checked("arpu * 2"), "number", "arpu * 2"),
}
#: The node classes a backend cannot compile (as a value), by backend.
UNSUPPORTED_NODES = {"sql": {ast.Name}, "z3": {ast.Name, ast.ListExpr}, "explain": {ast.Name}, "python": {ast.Name},
                     # durable_rules tests conditions: comparisons, membership, null tests, logic
                     "durable_rules": set(NODES) - {ast.Compare, ast.InList, ast.IsNull, ast.And, ast.Or, ast.Not}}


def node_sample(kind: type) -> ast.Expr:
    if kind in NODE_SAMPLES:
        return NODE_SAMPLES[kind]
    return next(checked(text) for name, text in SAMPLES.items()
                if OPERATORS[name].node is kind and name not in ("len",))


def test_the_compiler_base_knows_every_node_class() -> None:
    assert set(NODES) == {*NODE_SAMPLES, *(op.node for op in OPERATORS.values())}
    for kind in NODES:
        assert kind in NodeCompiler._methods or hasattr(NodeCompiler, f"visit_{kind.__name__}")


@pytest.mark.parametrize("backend", sorted(COMPILERS))
@pytest.mark.parametrize("kind", NODES, ids=[k.__name__ for k in NODES])
def test_each_compiler_dispatches_every_node_class_or_raises_unsupported_naming_it(backend: str, kind: type) -> None:
    compiler = COMPILERS[backend]()
    node = node_sample(kind)
    if kind in UNSUPPORTED_NODES[backend]:
        with pytest.raises(Unsupported) as caught:
            compiler.compile(node)
        assert caught.value.node == kind.__name__ and caught.value.backend == compiler.backend
    else:
        assert compiler.compile(node) is not None


def test_unsupported_points_at_the_node_in_the_expression_text() -> None:
    compiler = z3_compiler()
    compiler.source = "1 + len(package)"
    with pytest.raises(Unsupported) as caught:
        compiler.compile(ast.Call((4, 16), "len", (ast.FactRef((8, 15), "package"),)))
    assert str(caught.value) == ("the z3 backend cannot compile the function len() "
                                 "(column 5 of `1 + len(package)`: `len(package)`)")


# -- SQL dialects as sqlglot dialect subclasses ------------------------------------------------------
@pytest.mark.parametrize("name", sorted(SQL_DIALECTS))
def test_each_dialect_is_its_sqlglot_dialect_with_the_number_contract(name: str) -> None:
    dialect = SQL_DIALECTS[name]
    assert issubclass(dialect, Exact)
    base = dialect.__mro__[1]
    assert base.__module__.startswith("sqlglot.dialects.")
    column = exp.column("a b", quoted=True)
    assert column.sql(dialect=dialect) == column.sql(dialect=base)  # quoting as the engine's own
    product = exp.select(NumberProduct(this=exp.column("x"), expression=exp.column("y")))
    assert "NumberProduct".upper() not in product.sql(dialect=dialect).upper()


def test_dialects_write_products_and_quotients_their_own_way() -> None:
    product = NumberProduct(this=exp.column("x"), expression=exp.column("y"))
    quotient = NumberQuotient(this=exp.column("x"), expression=exp.column("y"))
    assert "TRY(" in product.sql(dialect=ExactDuckDB) and "TRY(" not in product.sql(dialect=ExactPostgres)
    assert "TRY_MULTIPLY" in product.sql(dialect=ExactSpark)
    assert "INT128" in quotient.sql(dialect=ExactDuckDB) and "TRY_DIVIDE" in quotient.sql(dialect=ExactSpark)
    assert ExactSpark.substitutes_variables and not ExactDuckDB.substitutes_variables


def test_the_architecture_doc_names_modules_and_tables_that_exist() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "architecture.md").read_text(encoding="utf-8")
    for path in re.findall(r"`([a-z_/]+\.py)`", text):
        assert (root / "marketing_rules" / path).exists() or (root / path).exists(), path
    for table in re.findall(r"`([A-Z0-9_]+_OPERATORS|OPERATORS)`", text):
        assert table in {"OPERATORS", "SQL_OPERATORS", "Z3_OPERATORS", "EXPLAIN_OPERATORS", "PYTHON_OPERATORS",
                         "DURABLE_OPERATORS"}, table
    for dialect in SQL_DIALECTS.values():
        assert f"`{dialect.__name__}`" in text


# -- the Python backend: values and conditions, each a NodeCompiler ---------------------------------
@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_python_compiles_each_operator_as_a_value_and_as_a_condition(name: str) -> None:
    compiler = python_compiler()
    node = checked(SAMPLES[name])
    code, guards = compiler.value(node)
    true, false = compiler.truth(node)
    assert isinstance(compiler.conditions, Truth) and isinstance(code, str) and isinstance(guards, tuple)
    assert true and false and true != false


def test_python_names_an_unresolved_name_unsupported() -> None:
    node = ast.Name((0, 4), "arpu")
    for compile_ in (python_compiler().compile, python_compiler().conditions.compile):
        with pytest.raises(Unsupported) as caught:
            compile_(node)
        assert caught.value.backend == "Python" and caught.value.node == "Name"
