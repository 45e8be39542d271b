"""A ruleset as z3 formulas: every customer at once, for proofs and counterexamples.

Input facts become solver variables: numbers are reals on the contract's grid of 10^-10 (integers
where the schema says integer), within the contract's range; enums and strings are integer codes,
booleans are booleans, and each fact has a ``present`` flag (absent or null otherwise). Conditions
are encoded twice, as "is true" and "is false", which gives SQL's three-valued logic exactly. The
agenda is replayed symbolically: each rule's firing is a formula, group blocking and table hit
policies included, and each derived fact's value is the formula of the rules that can set it.
Arithmetic follows the number contract (``expressions/numbers.py``): products and quotients are
rounded to 10 places half away from zero, ``x / 0`` and ``x % 0`` are null.

What the encoding cannot express (a list-valued fact, ``len``, ``round`` to a computed number of
places) raises :class:`UnsupportedNode` while a unit is encoded. The unit's result (its condition,
or the value it sets) is then a named *unsupported* placeholder, listed in
``Encoding.unsupported`` with the reason; every question whose formula mentions one is answered
"unknown" with that reason by the checker, never a proof and never a witness.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from functools import partial
from typing import Any, NoReturn

import z3

from marketing_rules.analysis.program import Program, Rule, Table, cond_to_ast
from marketing_rules.errors import Unsupported
from marketing_rules.expressions import ast
from marketing_rules.expressions.compiler import NodeCompiler, NotExpressible
from marketing_rules.expressions.numbers import LIMIT, SCALE
from marketing_rules.expressions.types import Type
from marketing_rules.i18n import N_, _

Term = Any  # a z3 expression
_OPS = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}
GRID = 10**SCALE  # numbers are whole multiples of 1/GRID
UNSUPPORTED = "unsupported#"  # the name prefix of a placeholder for what the encoding cannot express


class UnsupportedNode(Unsupported):
    """A node the z3 encoding cannot express; ``reason`` says which, for the checker's "unknown"."""

    def __init__(self, reason: str, node: ast.Expr | None = None, text: str | None = None):
        super().__init__("z3", reason, type(node).__name__ if node is not None else None,
                         node.span if node is not None else None, text)


@dataclass
class Value:
    """A symbolic value: ``defined`` says it is not null; ``term`` is its value when defined;
    ``places`` bounds its decimal places (0 for integers), to round only what needs rounding."""

    defined: Term
    term: Term
    places: int = SCALE


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
    before: list[Term] = field(default_factory=list)  # per row: a row ahead of it in hit order matched


@dataclass
class Encoding:
    """The symbolic run of a program, and how to read a model back as a customer.

    ``constraints`` bound the inputs; ``definitions`` define, per unit, the auxiliary variables its
    encoding introduces (``aux == formula``: "an earlier row matched", a table's outputs), so that
    formulas stay linear in the rows and later units mention a variable, not the whole table. A
    question needs the constraints and the definitions of the units it reaches (:meth:`background`)."""

    program: Program
    constraints: list[Term] = field(default_factory=list)
    definitions: dict[str, list[Term]] = field(default_factory=dict)  # unit id -> aux == formula
    inputs: dict[str, Value] = field(default_factory=dict)
    facts: dict[str, Value] = field(default_factory=dict)  # final value of every fact
    rules: dict[str, RuleTrace] = field(default_factory=dict)
    tables: dict[str, TableTrace] = field(default_factory=dict)
    unsupported: dict[str, str] = field(default_factory=dict)  # placeholder name -> why
    hidden: dict[str, set[str]] = field(default_factory=dict)  # aux name -> the placeholders it stands for
    owner: dict[str, str] = field(default_factory=dict)  # aux name -> the unit defining it
    requires: dict[str, frozenset[str]] = field(default_factory=dict)  # unit -> units whose definitions it needs
    equal: list[tuple[Term, Term]] = field(default_factory=list)  # (aux, the formula it equals), in order
    _cone: dict[int, frozenset[str]] = field(default_factory=dict, repr=False)  # term id -> needs(term)
    _kept: list[Term] = field(default_factory=list, repr=False)
    undecided: list[Term] = field(default_factory=list)  # how evaluation fails: a unique row matches after another
    strings: dict[str, int] = field(default_factory=dict)  # string constant -> code

    def background(self, units: Iterable[str] | None = None) -> list[Term]:
        """The input constraints and the definitions of ``units`` (every unit when None)."""
        chosen = self.definitions if units is None else {u: self.definitions.get(u, []) for u in units}
        return [*self.constraints, *itertools.chain.from_iterable(chosen.values())]

    def customer(self, model: z3.ModelRef) -> dict[str, Any]:
        """The customer a model describes: a valid input for ``rs.evaluate``."""
        names = {code: text for text, code in self.strings.items()}
        customer: dict[str, Any] = {"id": "witness"}
        for spec in self.program.schema.facts:
            if spec.name == "id" or spec.name not in self.inputs:
                continue
            var = self.inputs[spec.name]
            if not z3.is_true(model.eval(var.defined, model_completion=True)):
                continue
            value = model.eval(var.term, model_completion=True)
            customer[spec.name] = _python_value(spec.type, value, names)
        return customer

    def aux_values(self, pinned: list[tuple[Term, Term]]) -> list[tuple[Term, Term]]:
        """The auxiliary variables' values once the inputs are pinned to constants (``(var, value)``
        pairs): to evaluate the encoding on one customer by substitution."""
        values = list(pinned)
        for aux, formula in self.equal:
            values.append((aux, z3.simplify(z3.substitute(formula, *values))))
        return values[len(pinned):]

    def needs(self, *goal: Term) -> frozenset[str]:
        """The units whose definitions a question about these formulas needs (its cone)."""
        return frozenset().union(*(self._needs(term) for term in goal))

    def _needs(self, term: Term) -> frozenset[str]:
        key = term.get_id()
        found = self._cone.get(key)
        if found is None:
            units = {self.owner[name] for name in _constants(term) if name in self.owner}
            found = self._cone[key] = frozenset().union(*(self.requires[u] for u in units))
            self._kept.append(term)  # the id stays this term's while the cache holds it
        return found

    def unsupported_in(self, *goal: Term) -> list[str]:
        """Why a question cannot be decided: the reasons of the placeholders its formulas mention,
        directly or through an auxiliary variable."""
        if not self.unsupported:
            return []
        found: set[str] = set()
        for name in _constants(*goal):
            if name.startswith(UNSUPPORTED):
                found.add(name)
            found |= self.hidden.get(name, set())
        return sorted({self.unsupported[name] for name in found})


def _constants(*terms: Term) -> set[str]:
    """The names of the uninterpreted constants in formulas (through z3's C interface: this walk
    runs for every question)."""
    names: set[str] = set()
    if not terms:
        return names
    ctx = terms[0].ctx_ref()
    seen: set[int] = set()
    stack = [t.as_ast() for t in terms]
    while stack:
        node = stack.pop()
        key = z3.Z3_get_ast_id(ctx, node)
        if key in seen:
            continue
        seen.add(key)
        if z3.Z3_get_ast_kind(ctx, node) != z3.Z3_APP_AST:
            continue
        count = z3.Z3_get_app_num_args(ctx, node)
        if count:
            stack += [z3.Z3_get_app_arg(ctx, node, i) for i in range(count)]
            continue
        decl = z3.Z3_get_app_decl(ctx, node)
        if z3.Z3_get_decl_kind(ctx, decl) == z3.Z3_OP_UNINTERPRETED:
            names.add(z3.Z3_get_symbol_string(ctx, z3.Z3_get_decl_name(ctx, decl)))
    return names


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
    exact = Decimal(fraction.numerator) / Decimal(fraction.denominator)  # on the grid: a finite decimal
    return float(exact) if Decimal(repr(float(exact))) == exact else exact


class Encoder(NodeCompiler[Value]):
    """Builds the :class:`Encoding` of a program."""

    def __init__(self, program: Program):
        self.program = program
        self.enc = Encoding(program)
        self._fresh = itertools.count()
        self._collect_strings()
        self.state: dict[str, Value] = {}
        self.unit = ""  # the table being encoded
        self.lists = {name for name, kind in program.derived.items() if kind.kind == "list"}
        self.lists |= {spec.name for spec in program.schema.facts if spec.type == "list"}

    def encode(self) -> Encoding:
        for spec in self.program.schema.facts:
            if spec.type == "list":
                continue
            self.state[spec.name] = self.enc.inputs[spec.name] = self._input(spec.name, spec.type, spec.values,
                                                                             spec.ge, spec.le)
        for name, kind in self.program.derived.items():
            if name not in self.lists:
                default = self.program.defaults.get(name)
                self.state[name] = _null(kind) if default is None else self._literal_value(default)
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
        var = z3.Real(name)
        integer = kind == "integer"
        self.enc.constraints.append(z3.IsInt(var if integer else var * GRID))
        low, high = (var >= -LIMIT, var <= LIMIT) if integer else (var > -LIMIT, var < LIMIT)
        self.enc.constraints += [low, high]
        if ge is not None:
            self.enc.constraints.append(var >= z3.RealVal(str(ge)))
        if le is not None:
            self.enc.constraints.append(var <= z3.RealVal(str(le)))
        return Value(present, var, 0 if integer else SCALE)

    def _literal_value(self, value: Any) -> Value:
        if value is None:
            return Value(z3.BoolVal(False), z3.RealVal(0), 0)
        if isinstance(value, bool):
            return Value(z3.BoolVal(True), z3.BoolVal(value), 0)
        if isinstance(value, str):
            return Value(z3.BoolVal(True), z3.IntVal(self.enc.strings.setdefault(value, len(self.enc.strings))), 0)
        if isinstance(value, (int, Decimal, float)):
            number = Decimal(str(value))
            exact = Fraction(number)
            places = max(0, -int(number.normalize().as_tuple().exponent))
            return Value(z3.BoolVal(True), z3.RealVal(f"{exact.numerator}/{exact.denominator}"), places)
        raise UnsupportedNode(_("a constant of type {type}", type=type(value).__name__))

    def _placeholder(self, reason: str, kind: Type | None = None, boolean: bool = False) -> Value:
        """What an unsupported node stands for: a named placeholder every question mentioning fails on."""
        name = f"{UNSUPPORTED}{next(self._fresh)}"
        self.enc.unsupported[name] = self.enc.unsupported[f"{name}?"] = reason
        if boolean or (kind is not None and kind.kind == "boolean"):
            term = z3.Bool(name)
        elif kind is not None and kind.kind in ("enum", "string"):
            term = z3.Int(name)
        else:
            term = z3.Real(name)
        return Value(z3.Bool(f"{name}?"), term)

    def _guarded(self, build: Callable[[], Value], kind: Type | None = None, boolean: bool = False) -> Value:
        try:
            return build()
        except UnsupportedNode as unsupported:
            return self._placeholder(unsupported.reason, kind, boolean)
        except z3.Z3Exception as error:  # mixed sorts: never a crash, never a guess
            return self._placeholder(_("an expression of mixed types ({error})", error=error), kind, boolean)

    def _condition(self, node: ast.Expr) -> Term:
        """A unit's condition as "is true", or a placeholder when it cannot be expressed."""
        try:
            return self.truth(node)[0]
        except UnsupportedNode as unsupported:
            return self._placeholder(unsupported.reason, boolean=True).term
        except z3.Z3Exception as error:  # mixed sorts: never a crash, never a guess
            return self._placeholder(_("an expression of mixed types ({error})", error=error), boolean=True).term

    # -- units --------------------------------------------------------------------------------
    def _rule(self, rule: Rule, blocked: dict[str, Term]) -> None:
        holds = self._condition(cond_to_ast(rule.when)) if rule.when is not None else z3.BoolVal(True)
        fires = holds
        if rule.group:
            before = blocked.get(rule.group, z3.BoolVal(False))
            fires = z3.And(z3.Not(before), holds)
            blocked[rule.group] = z3.Or(before, fires)
        self.enc.rules[rule.id] = RuleTrace(rule, holds, fires)
        for name, expression in rule.sets:  # in order: a later value sees an earlier one
            if name not in self.lists:
                new = self._guarded(partial(self.value, expression.node), self.program.derived[name])
                self.state[name] = _choose(fires, new, self.state[name])

    def _table(self, table: Table) -> None:
        self.unit = table.id
        matches = [self._condition(row.condition()) for row in table.rows]
        definitions = self.enc.definitions.setdefault(table.id, [])
        chosen, before, order = matches, [z3.BoolVal(False)] * len(matches), list(range(len(matches)))
        if table.hit != "collect":
            order = sorted(range(len(matches)), key=lambda i: (table.ranks[i], i)) if table.hit == "priority" \
                else list(range(len(matches)))
            earlier = self._earlier(table.id, [matches[i] for i in order], definitions)
            chosen = [z3.BoolVal(False)] * len(matches)
            for position, i in enumerate(order):
                chosen[i] = z3.And(matches[i], z3.Not(earlier[position])) if position else matches[i]
                before[i] = earlier[position]
            if table.hit == "unique":
                self.enc.undecided += [z3.And(matches[i], earlier[p]) for p, i in enumerate(order) if p]
        for o, name in enumerate(table.outputs):
            if name in self.lists:
                continue
            kind = self.program.derived[name]
            if table.hit == "collect":
                result = self._guarded(partial(self._collect, table, o, matches), kind)
            else:
                old = self.state[name]
                picks = [(pick, self._guarded(partial(self.value, row.outputs[o].node), kind))
                         for row, pick in zip(table.rows, chosen)]
                none = z3.Not(z3.Or(before[order[-1]], matches[order[-1]])) if order else z3.BoolVal(True)
                flat = self._flat(f"{name}@{table.id}", picks, none, old, definitions)
                if flat is not None:
                    self.state[name] = flat
                    continue
                result = old
                for pick, new in reversed(picks):
                    result = _choose(pick, new, result)
            self.state[name] = self._named(f"{name}@{table.id}", result, definitions)
        self.enc.tables[table.id] = TableTrace(table, matches, chosen, before)
        self._own(table.id, definitions)

    def _own(self, unit: str, definitions: list[Term]) -> None:
        """Record which units' definitions the unit's own need (itself included)."""
        needed = {self.enc.owner[name] for name in _constants(*definitions) if name in self.enc.owner} - {unit}
        self.enc.requires[unit] = frozenset({unit}).union(*(self.enc.requires[u] for u in needed))

    def _earlier(self, unit: str, matches: list[Term], definitions: list[Term]) -> list[Term]:
        """Per row in hit order, "an earlier row matched": one auxiliary variable per row, defined by
        the one before it, so that a first-hit table of n rows is encoded in size linear in n."""
        earlier: list[Term] = [z3.BoolVal(False)]
        for i in range(1, len(matches)):
            aux = z3.Bool(f"{unit}#earlier{i}")
            self.enc.owner[aux.decl().name()] = unit
            definitions.append(aux == z3.Or(earlier[-1], matches[i - 1]))
            self.enc.equal.append((aux, definitions[-1].arg(1)))
            self._hide(aux, earlier[-1], matches[i - 1])
            earlier.append(aux)
        return earlier

    def _flat(self, name: str, picks: list[tuple[Term, Value]], none: Term, old: Value,
              definitions: list[Term]) -> Value | None:
        """A hit table's output as auxiliary variables: the chosen row's value, or the old one when no
        row is chosen (one implication per row: the rows chosen exclude each other). None when the
        values' sorts differ (then a chain of if-then-else)."""
        sort = old.term.sort() if not picks else picks[0][1].term.sort()
        values = [v for _, v in picks] + [old]
        if any(v.term.sort() != sort for v in values):
            return None
        defined, term = z3.Bool(f"{name}?"), z3.Const(name, sort)
        self.enc.owner.update(dict.fromkeys((f"{name}?", name), self.unit))
        for pick, value in [*picks, (none, old)]:
            definitions.append(z3.Implies(pick, z3.And(defined == value.defined, term == value.term)))
        chain = old
        for pick, value in reversed(picks):
            chain = Value(z3.If(pick, value.defined, chain.defined), z3.If(pick, value.term, chain.term))
        self.enc.equal += [(defined, chain.defined), (term, chain.term)]
        self._hide(defined, *(v.defined for v in values))
        self._hide(term, *(v.term for v in values))
        return Value(defined, term, max(v.places for v in values))

    def _named(self, name: str, value: Value, definitions: list[Term]) -> Value:
        """A table's output as auxiliary variables, so that every later unit mentions two variables."""
        defined = z3.Bool(f"{name}?")
        term = z3.Const(name, value.term.sort())
        self.enc.owner.update(dict.fromkeys((f"{name}?", name), self.unit))
        definitions += [defined == value.defined, term == value.term]
        self.enc.equal += [(defined, value.defined), (term, value.term)]
        self._hide(defined, value.defined)
        self._hide(term, value.term)
        return Value(defined, term, value.places)

    def _hide(self, aux: Term, *formula: Term) -> None:
        """Record the placeholders an auxiliary variable stands for (its question is then unknown)."""
        if not self.enc.unsupported:
            return
        hidden: set[str] = set()
        for name in _constants(*formula):
            if name.startswith(UNSUPPORTED):
                hidden.add(name)
            hidden |= self.enc.hidden.get(name, set())
        if hidden:
            self.enc.hidden[aux.decl().name()] = hidden

    def _collect(self, table: Table, output: int, matches: list[Term]) -> Value:
        """An aggregate over the matching rows' non-null values; null over none, whatever the default."""
        values = [self.value(row.outputs[output].node) for row in table.rows]
        counted = [z3.And(m, v.defined) for m, v in zip(matches, values)]
        if table.aggregate == "count":
            return Value(z3.BoolVal(True), z3.Sum([z3.If(c, z3.RealVal(1), z3.RealVal(0)) for c in counted]), 0)
        places = max(v.places for v in values)
        if table.aggregate == "sum":
            total = z3.Sum([z3.If(c, _real(v.term), z3.RealVal(0)) for c, v in zip(counted, values)])
            return Value(z3.Or(counted), total, places)
        if table.aggregate not in ("min", "max"):
            raise UnsupportedNode(_("collect table '{table}' with aggregate {aggregate}", table=table.id,
                                    aggregate=table.aggregate))
        better: Callable[[Any, Any], Any] = (lambda a, b: a < b) if table.aggregate == "min" else (lambda a, b: a > b)
        defined, term = z3.BoolVal(False), z3.RealVal(0)
        for c, v in zip(counted, values):
            x = _real(v.term)
            term = z3.If(c, z3.If(z3.And(defined, z3.Not(better(x, term))), term, x), term)
            defined = z3.Or(defined, c)
        return Value(defined, term, places)

    # -- expressions (a NodeCompiler: one method per node, Z3_OPERATORS per operator) -------------
    backend = "z3"

    def value(self, node: ast.Expr) -> Value:
        return self.compile(node)

    def unsupported(self, node: ast.Expr, reason: str | None = None) -> NoReturn:
        # ``reason`` is translated here: it may come from the operator table, marked at import
        text = _(reason) if reason else _("the value of {node}", node=type(node).__name__)
        raise UnsupportedNode(text, node, self.source)

    def visit_Literal(self, node: ast.Literal) -> Value:
        if isinstance(node.value, tuple):
            self.unsupported(node)
        return self._literal_value(node.value)

    def visit_ConstRef(self, node: ast.ConstRef) -> Value:
        if isinstance(node.value, tuple):
            self.unsupported(node)
        return self._literal_value(node.value)

    def visit_EnumValue(self, node: ast.EnumValue) -> Value:
        return self._literal_value(node.value)

    def visit_FactRef(self, node: ast.FactRef) -> Value:
        if node.name in self.lists:
            self.unsupported(node, _("the list fact '{name}'", name=node.name))
        return self.state[node.name]

    def visit_Checked(self, node: ast.Checked) -> Value:
        return self.value(node.operand)  # an overflow is an error of the customer: outside every question

    def _operate(self, node: ast.Expr) -> Value:
        """A number or function node, as Z3_OPERATORS encodes its operator."""
        operation: Callable[[Encoder, Any], Value] = self.operator(node)
        return operation(self, node)

    def _condition_value(self, node: ast.Expr) -> Value:
        """A condition used as a value: defined when it is true or false."""
        true, false = self.truth(node)
        return Value(z3.Or(true, false), true, 0)

    visit_Neg = visit_Arith = visit_Call = _operate
    visit_Compare = visit_InList = visit_IsNull = visit_And = visit_Or = visit_Not = _condition_value

    def truth(self, node: ast.Expr) -> tuple[Term, Term]:
        """(is true, is false) of a condition; neither holds when it is unknown."""
        if isinstance(node, (ast.Literal, ast.ConstRef)) and (node.value is None or isinstance(node.value, bool)):
            return z3.BoolVal(node.value is True), z3.BoolVal(node.value is False)
        if isinstance(node, ast.BOOLEAN_NODES):
            condition: Callable[[Encoder, Any], tuple[Term, Term]] = self.operator(node)
            return condition(self, node)
        value = self.value(node)
        term = value.term if z3.is_bool(value.term) else value.term != 0
        return z3.And(value.defined, term), z3.And(value.defined, z3.Not(term))

    # -- operators (Z3_OPERATORS) --------------------------------------------------------------
    def _negated(self, node: ast.Neg) -> Value:
        negated = self.value(node.operand)
        return Value(negated.defined, -_real(negated.term), negated.places)

    def _arith(self, node: ast.Arith) -> Value:
        a, b = self.value(node.left), self.value(node.right)
        x, y = _real(a.term), _real(b.term)
        defined = z3.And(a.defined, b.defined)
        places = max(a.places, b.places)
        op = node.op
        if op == "+":
            return Value(defined, x + y, places)
        if op == "-":
            return Value(defined, x - y, places)
        if op == "*":
            product = Value(defined, x * y, a.places + b.places)
            return _rounded(product, SCALE) if product.places > SCALE else product
        if op == "/":
            return _rounded(Value(z3.And(defined, y != 0), x / y, SCALE + 1), SCALE)  # always rounded
        # %: the dividend's sign, as SQL: x - y * trunc(x / y); exact on the grid
        q = x / y
        whole = z3.If(q >= 0, z3.ToReal(z3.ToInt(q)), -z3.ToReal(z3.ToInt(-q)))
        return Value(z3.And(defined, y != 0), x - y * whole, places)

    def _coalesce(self, node: ast.Call) -> Value:
        args = [self.value(a) for a in node.args]
        result = args[-1]
        for arg in reversed(args[:-1]):
            result = _choose(arg.defined, arg, result)
        return result

    def _call(self, node: ast.Call) -> Value:
        """A function that is null when any argument is."""
        args = [self.value(a) for a in node.args]
        defined = z3.And([a.defined for a in args]) if args else z3.BoolVal(True)
        terms = [_real(a.term) for a in args]
        places = max(a.places for a in args)
        match node.name:
            case "min" | "max":
                result = terms[0]
                for term in terms[1:]:
                    result = z3.If(term < result if node.name == "min" else term > result, term, result)
                return Value(defined, result, places)
            case "abs":
                return Value(defined, z3.If(terms[0] >= 0, terms[0], -terms[0]), places)
            case "floor":
                return Value(defined, z3.ToReal(z3.ToInt(terms[0])), 0)
            case "ceil":
                return Value(defined, -z3.ToReal(z3.ToInt(-terms[0])), 0)
        digits = _digits(node.args[1]) if len(node.args) == 2 else 0  # round
        return _rounded(Value(defined, terms[0], places), digits)

    def _compare(self, node: ast.Compare) -> tuple[Term, Term]:
        x, y = self.value(node.left), self.value(node.right)
        both = z3.And(x.defined, y.defined)
        relation = _compare(node.op, x.term, y.term)
        return z3.And(both, relation), z3.And(both, z3.Not(relation))

    def _membership(self, node: ast.InList) -> tuple[Term, Term]:
        true, false = self._in(self.value(node.operand), node.container)
        return (false, true) if node.negated else (true, false)

    def _is_null(self, node: ast.IsNull) -> tuple[Term, Term]:
        defined = self.value(node.operand).defined
        return (defined, z3.Not(defined)) if node.negated else (z3.Not(defined), defined)

    def _all_of(self, node: ast.And) -> tuple[Term, Term]:
        parts = [self.truth(i) for i in node.items]
        return z3.And([t for t, _ in parts]), z3.Or([f for _, f in parts])

    def _any_of(self, node: ast.Or) -> tuple[Term, Term]:
        parts = [self.truth(i) for i in node.items]
        return z3.Or([t for t, _ in parts]), z3.And([f for _, f in parts])

    def _not(self, node: ast.Not) -> tuple[Term, Term]:
        true, false = self.truth(node.operand)
        return false, true

    def _in(self, operand: Value, container: ast.Expr) -> tuple[Term, Term]:
        if isinstance(container, ast.ConstRef) and isinstance(container.value, tuple):
            items = [self._literal_value(v) for v in container.value]
        elif isinstance(container, ast.ListExpr):
            items = [self.value(i) for i in container.items]
        else:
            self.unsupported(container, N_("'in' over a computed list"))
        equal = [z3.And(i.defined, _compare("==", operand.term, i.term)) for i in items]
        found = z3.And(operand.defined, z3.Or(equal)) if equal else z3.BoolVal(False)
        all_defined = z3.And([i.defined for i in items]) if items else z3.BoolVal(True)
        missing = z3.And(operand.defined, all_defined, z3.Not(z3.Or(equal) if equal else z3.BoolVal(False)))
        return found, missing


E = Encoder
#: How the encoding expresses each operator of the language (``expressions/operators.py``).
Z3_OPERATORS: dict[str, Any] = {
    "+": E._arith, "-": E._arith, "*": E._arith, "/": E._arith, "%": E._arith, "neg": E._negated,
    "==": E._compare, "!=": E._compare, "<": E._compare, "<=": E._compare, ">": E._compare, ">=": E._compare,
    "in": E._membership, "not in": E._membership, "is null": E._is_null, "is not null": E._is_null,
    "and": E._all_of, "or": E._any_of, "not": E._not,
    "min": E._call, "max": E._call, "abs": E._call, "floor": E._call, "ceil": E._call, "round": E._call,
    "coalesce": E._coalesce, "len": NotExpressible(N_("the function len()")),
}
Encoder.operators = Z3_OPERATORS
del E


def _null(kind: Type) -> Value:
    """Null of a fact's type (its term is never read, but has the sort its values have)."""
    if kind.kind == "boolean":
        return Value(z3.BoolVal(False), z3.BoolVal(False), 0)
    if kind.kind in ("enum", "string"):
        return Value(z3.BoolVal(False), z3.IntVal(0), 0)
    return Value(z3.BoolVal(False), z3.RealVal(0), 0)


def _digits(node: ast.Expr) -> int:
    value = node.value if isinstance(node, (ast.Literal, ast.ConstRef)) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= SCALE:
        return value
    raise UnsupportedNode(_("round() to a number of places that is not a constant from 0 to 10"))


def _rounded(v: Value, places: int) -> Value:
    """``v`` rounded to ``places`` decimals, half away from zero (the number contract's rounding)."""
    if v.places <= places:
        return Value(v.defined, v.term, v.places)
    scale = z3.RealVal(10**places)
    x, half = _real(v.term) * scale, z3.RealVal("1/2")
    whole = z3.If(x >= 0, z3.ToReal(z3.ToInt(x + half)), -z3.ToReal(z3.ToInt(-x + half)))
    return Value(v.defined, whole / scale, places)


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
    return Value(z3.If(condition, new.defined, old.defined), z3.If(condition, term_new, term_old),
                 max(new.places, old.places))


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
