"""A ruleset as z3 formulas: every customer at once, for proofs and counterexamples.

Input facts become solver variables: numbers are reals in whole cents (integers where the schema
says integer), enums and strings are integer codes, booleans are booleans, and each fact has a
``present`` flag (absent or null otherwise). Conditions are encoded twice, as "is true" and
"is false", which gives SQL's three-valued logic exactly. The agenda is replayed symbolically:
each rule's firing is a formula, group blocking and table hit policies included, and each derived
fact's value is the formula of the rules that can set it.

What the encoding cannot express exactly (a list-valued fact, ``%`` on decimals, ``len``) becomes
a fresh unconstrained variable, an over-approximation: a proof of absence stays a proof, and a
counterexample is checked by really evaluating it before it is reported.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import z3

from marketing_rules.analysis.program import Program, Rule, Table, cond_to_ast
from marketing_rules.expressions import ast
from marketing_rules.expressions.types import Type

Term = Any  # a z3 expression
_OPS = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


@dataclass
class Value:
    """A symbolic value: ``defined`` says it is not null; ``term`` is its value when defined."""

    defined: Term
    term: Term


@dataclass
class RuleTrace:
    """What the encoding knows about one rule: its condition when decided, and whether it fires."""

    rule: Rule
    holds: Term
    fires: Term


@dataclass
class TableTrace:
    table: Table
    matches: list[Term]  # each row's condition, as decided
    chosen: list[Term]  # each row actually chosen (hit policy applied)


@dataclass
class Encoding:
    """The symbolic run of a program, and how to read a model back as a customer."""

    program: Program
    constraints: list[Term] = field(default_factory=list)
    inputs: dict[str, Value] = field(default_factory=dict)
    facts: dict[str, Value] = field(default_factory=dict)  # final value of every fact
    rules: dict[str, RuleTrace] = field(default_factory=dict)
    tables: dict[str, TableTrace] = field(default_factory=dict)
    approximations: list[str] = field(default_factory=list)
    strings: dict[str, int] = field(default_factory=dict)  # string constant -> code

    def customer(self, model: z3.ModelRef) -> dict[str, Any]:
        """The customer a model describes: a valid input for ``rs.evaluate``."""
        names = {code: text for text, code in self.strings.items()}
        customer: dict[str, Any] = {"id": "witness"}
        for spec in self.program.schema.facts:
            if spec.name == "id":
                continue
            var = self.inputs[spec.name]
            if not z3.is_true(model.eval(var.defined, model_completion=True)):
                continue
            value = model.eval(var.term, model_completion=True)
            customer[spec.name] = _python_value(spec.type, value, names)
        return customer


def _python_value(kind: str, value: Term, names: dict[int, str]) -> Any:
    if kind == "boolean":
        return z3.is_true(value)
    if kind in ("enum", "string"):
        code = value.as_long()
        return names.get(code, f"other-{code}")
    fraction = Fraction(value.numerator_as_long(), value.denominator_as_long()) if z3.is_rational_value(value) \
        else Fraction(value.as_long())
    if kind == "integer":
        return int(fraction)
    return float(Decimal(fraction.numerator) / Decimal(fraction.denominator))


class Encoder:
    """Builds the :class:`Encoding` of a program."""

    def __init__(self, program: Program):
        self.program = program
        self.enc = Encoding(program)
        self._fresh = itertools.count()
        self._collect_strings()
        self.state: dict[str, Value] = {}

    def encode(self) -> Encoding:
        for spec in self.program.schema.facts:
            self.state[spec.name] = self.enc.inputs[spec.name] = self._input(spec.name, spec.type, spec.values,
                                                                             spec.ge, spec.le)
        for name, kind in self.program.derived.items():
            self.state[name] = self._literal_value(self.program.defaults.get(name), kind)
        blocked: dict[str, Term] = {}
        for unit in self.program.units:
            if isinstance(unit, Rule):
                self._rule(unit, blocked)
            else:
                self._table(unit)
        self.enc.facts = dict(self.state)
        return self.enc

    # -- inputs and constants -----------------------------------------------------------------
    def _collect_strings(self) -> None:
        texts: list[str] = []
        for spec in self.program.schema.facts:
            texts += spec.values
        for kind in self.program.derived.values():
            texts += kind.values
        for unit in self.program.units:
            for node in _nodes(unit):
                if isinstance(node, (ast.Literal, ast.EnumValue, ast.ConstRef)):
                    values = node.value if isinstance(node.value, tuple) else (node.value,)
                    texts += [v for v in values if isinstance(v, str)]
        for default in self.program.defaults.values():
            if isinstance(default, str):
                texts.append(default)
        self.enc.strings = {text: code for code, text in enumerate(dict.fromkeys(texts))}

    def _input(self, name: str, kind: str, values: tuple[str, ...], ge: float | None, le: float | None) -> Value:
        present = z3.Bool(f"{name}?")
        if name == "id":
            return Value(z3.BoolVal(True), z3.IntVal(len(self.enc.strings) + 1))
        if kind == "boolean":
            return Value(present, z3.Bool(name))
        if kind in ("enum", "string"):
            var = z3.Int(name)
            if kind == "enum":
                self.enc.constraints.append(z3.Or([var == self.enc.strings[v] for v in values]))
            else:
                self.enc.constraints.append(z3.And(var >= 0, var <= len(self.enc.strings) + 3))
            return Value(present, var)
        if kind == "list":
            self.enc.approximations.append(f"list input '{name}'")
            return Value(present, z3.Int(name))
        var = z3.Real(name)
        grain = var if kind == "integer" else var * 100  # numbers in whole cents
        self.enc.constraints.append(z3.IsInt(grain))
        if ge is not None:
            self.enc.constraints.append(var >= z3.RealVal(str(ge)))
        if le is not None:
            self.enc.constraints.append(var <= z3.RealVal(str(le)))
        return Value(present, var)

    def _literal_value(self, value: Any, kind: Type | None = None) -> Value:
        if value is None:
            return Value(z3.BoolVal(False), z3.RealVal(0))
        if isinstance(value, bool):
            return Value(z3.BoolVal(True), z3.BoolVal(value))
        if isinstance(value, str):
            return Value(z3.BoolVal(True), z3.IntVal(self.enc.strings.setdefault(value, len(self.enc.strings))))
        if isinstance(value, (int, Decimal, float)):
            return Value(z3.BoolVal(True), z3.RealVal(str(value)))
        return self._opaque(f"a constant of type {type(value).__name__}")

    def _opaque(self, reason: str, boolean: bool = False) -> Value:
        self.enc.approximations.append(reason)
        n = next(self._fresh)
        return Value(z3.Bool(f"~defined{n}"), z3.Bool(f"~b{n}") if boolean else z3.Real(f"~v{n}"))

    # -- units --------------------------------------------------------------------------------
    def _rule(self, rule: Rule, blocked: dict[str, Term]) -> None:
        holds = self.truth(cond_to_ast(rule.when))[0] if rule.when is not None else z3.BoolVal(True)
        fires = holds
        if rule.group:
            before = blocked.get(rule.group, z3.BoolVal(False))
            fires = z3.And(z3.Not(before), holds)
            blocked[rule.group] = z3.Or(before, fires)
        self.enc.rules[rule.id] = RuleTrace(rule, holds, fires)
        updates = {name: self.value(expression.node) for name, expression in rule.sets}
        for name, new in updates.items():
            self.state[name] = _choose(fires, new, self.state[name])

    def _table(self, table: Table) -> None:
        matches = [self.truth(row.condition())[0] for row in table.rows]
        if table.hit == "collect":
            chosen = matches
            for o, name in enumerate(table.outputs):
                self.state[name] = self._collect(table, o, matches)
        else:
            chosen = self._hit(table, matches)
            for o, name in enumerate(table.outputs):
                result = self.state[name]
                for row, pick in reversed(list(zip(table.rows, chosen))):
                    result = _choose(pick, self.value(row.outputs[o].node), result)
                self.state[name] = result
        self.enc.tables[table.id] = TableTrace(table, matches, chosen)

    def _hit(self, table: Table, matches: list[Term]) -> list[Term]:
        if table.hit == "priority":
            chosen = []
            for i, match in enumerate(matches):
                better = [matches[j] for j in range(len(matches))
                          if table.ranks[j] < table.ranks[i] or (table.ranks[j] == table.ranks[i] and j < i)]
                chosen.append(z3.And(match, z3.Not(z3.Or(better))) if better else match)
            return chosen
        chosen = []
        earlier: list[Term] = []
        for match in matches:  # first and unique: the first matching row
            chosen.append(z3.And(match, *[z3.Not(e) for e in earlier]) if earlier else match)
            earlier.append(match)
        return chosen

    def _collect(self, table: Table, output: int, matches: list[Term]) -> Value:
        if table.aggregate not in ("sum", "count"):
            return self._opaque(f"collect table '{table.id}' without sum or count")
        values = [self.value(row.outputs[output].node) for row in table.rows]
        counted = [z3.And(m, v.defined) for m, v in zip(matches, values)]
        if table.aggregate == "count":
            return Value(z3.BoolVal(True), z3.Sum([z3.If(c, z3.RealVal(1), z3.RealVal(0)) for c in counted]))
        total = z3.Sum([z3.If(c, _real(v.term), z3.RealVal(0)) for c, v in zip(counted, values)])
        return Value(z3.Or(counted), total)

    # -- expressions --------------------------------------------------------------------------
    def value(self, node: ast.Expr) -> Value:
        match node:
            case ast.Literal(value=v) | ast.ConstRef(value=v) if not isinstance(v, tuple):
                return self._literal_value(v)
            case ast.EnumValue(value=v):
                return self._literal_value(v)
            case ast.FactRef(name=name):
                return self.state[name]
            case ast.Neg(operand=x):
                negated = self.value(x)
                return Value(negated.defined, -_real(negated.term))
            case ast.Arith(op=op, left=a, right=b):
                return self._arith(op, self.value(a), self.value(b))
            case ast.Call():
                return self._call(node)
            case ast.Compare() | ast.InList() | ast.IsNull() | ast.And() | ast.Or() | ast.Not():
                true, false = self.truth(node)
                return Value(z3.Or(true, false), true)
        return self._opaque(f"value of {type(node).__name__}")

    def _arith(self, op: str, a: Value, b: Value) -> Value:
        x, y = _real(a.term), _real(b.term)
        defined = z3.And(a.defined, b.defined)
        if op == "+":
            return Value(defined, x + y)
        if op == "-":
            return Value(defined, x - y)
        if op == "*":
            return Value(defined, x * y)
        if op == "/":
            return Value(z3.And(defined, y != 0), x / y)
        if z3.is_int_value(x) or z3.is_int_value(y):
            pass
        return self._opaque("'%' (remainder)")

    def _call(self, node: ast.Call) -> Value:
        args = [self.value(a) for a in node.args]
        defined = z3.And([a.defined for a in args]) if args else z3.BoolVal(True)
        terms = [_real(a.term) if not z3.is_bool(a.term) else a.term for a in args]
        match node.name:
            case "min" | "max":
                result = terms[0]
                for term in terms[1:]:
                    result = z3.If(term < result if node.name == "min" else term > result, term, result)
                return Value(defined, result)
            case "abs":
                return Value(defined, z3.If(terms[0] >= 0, terms[0], -terms[0]))
            case "floor":
                return Value(defined, z3.ToReal(z3.ToInt(terms[0])))
            case "ceil":
                return Value(defined, -z3.ToReal(z3.ToInt(-terms[0])))
            case "round" if len(terms) == 1:
                x = terms[0]
                half = z3.RealVal("1/2")
                return Value(defined, z3.If(x >= 0, z3.ToReal(z3.ToInt(x + half)), -z3.ToReal(z3.ToInt(-x + half))))
            case "coalesce":
                result = args[-1]
                for arg in reversed(args[:-1]):
                    result = _choose(arg.defined, arg, result)
                return result
        return self._opaque(f"function {node.name}()")

    def truth(self, node: ast.Expr) -> tuple[Term, Term]:
        """(is true, is false) of a condition; neither holds when it is unknown."""
        match node:
            case ast.Literal(value=v) | ast.ConstRef(value=v) if v is None or isinstance(v, bool):
                return z3.BoolVal(v is True), z3.BoolVal(v is False)
            case ast.Compare(op=op, left=a, right=b):
                x, y = self.value(a), self.value(b)
                both = z3.And(x.defined, y.defined)
                relation = _compare(op, x.term, y.term)
                return z3.And(both, relation), z3.And(both, z3.Not(relation))
            case ast.InList(operand=a, container=c, negated=negated):
                true, false = self._in(self.value(a), c)
                return (false, true) if negated else (true, false)
            case ast.IsNull(operand=a, negated=negated):
                defined = self.value(a).defined
                return (defined, z3.Not(defined)) if negated else (z3.Not(defined), defined)
            case ast.And(items=items):
                parts = [self.truth(i) for i in items]
                return z3.And([t for t, _ in parts]), z3.Or([f for _, f in parts])
            case ast.Or(items=items):
                parts = [self.truth(i) for i in items]
                return z3.Or([t for t, _ in parts]), z3.And([f for _, f in parts])
            case ast.Not(operand=x):
                true, false = self.truth(x)
                return false, true
        value = self.value(node)
        term = value.term if z3.is_bool(value.term) else value.term != 0
        return z3.And(value.defined, term), z3.And(value.defined, z3.Not(term))

    def _in(self, operand: Value, container: ast.Expr) -> tuple[Term, Term]:
        if isinstance(container, ast.ConstRef):
            items = [self._literal_value(v) for v in container.value]  # type: ignore[union-attr]  # a list constant
        elif isinstance(container, ast.ListExpr):
            items = [self.value(i) for i in container.items]
        else:
            v = self._opaque("'in' over a computed list", boolean=True)
            return z3.And(v.defined, v.term), z3.And(v.defined, z3.Not(v.term))
        equal = [z3.And(i.defined, _compare("==", operand.term, i.term)) for i in items]
        found = z3.And(operand.defined, z3.Or(equal)) if equal else z3.BoolVal(False)
        all_defined = z3.And([i.defined for i in items]) if items else z3.BoolVal(True)
        missing = z3.And(operand.defined, all_defined, z3.Not(z3.Or(equal) if equal else z3.BoolVal(False)))
        return found, missing


def _real(term: Term) -> Term:
    return z3.ToReal(term) if z3.is_int(term) else term


def _compare(op: str, a: Term, b: Term) -> Term:
    if z3.is_bool(a) or z3.is_bool(b):
        return _OPS[op](a, b)
    if z3.is_int(a) and z3.is_int(b):
        return _OPS[op](a, b)
    return _OPS[op](_real(a), _real(b))


def _choose(condition: Term, new: Value, old: Value) -> Value:
    term_new, term_old = new.term, old.term
    if z3.is_bool(term_new) != z3.is_bool(term_old):
        term_old = z3.BoolVal(False) if z3.is_bool(term_new) else term_old
        term_new = term_new if not z3.is_bool(term_new) or z3.is_bool(term_old) else term_new
    if z3.is_int(term_new) and not z3.is_int(term_old) and not z3.is_bool(term_old):
        term_new = z3.ToReal(term_new)
    if z3.is_int(term_old) and not z3.is_int(term_new) and not z3.is_bool(term_new):
        term_old = z3.ToReal(term_old)
    return Value(z3.If(condition, new.defined, old.defined), z3.If(condition, term_new, term_old))


def _nodes(unit: Rule | Table) -> Iterator[ast.Expr]:
    if isinstance(unit, Rule):
        roots = [cond_to_ast(unit.when)] if unit.when is not None else []
        roots += [e.node for _, e in unit.sets]
    else:
        roots = [row.condition() for row in unit.rows] + [o.node for row in unit.rows for o in row.outputs]
    for root in roots:
        yield from ast.walk(root)


def encode(program: Program) -> Encoding:
    return Encoder(program).encode()
