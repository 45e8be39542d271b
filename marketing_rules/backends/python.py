"""The Python backend: a whole ruleset compiled, once at load, into one generated function.

The function ``decide(c, check=False)`` takes a customer's facts (a dict) and runs every rule and
table in agenda order as straight-line code. With ``check`` it validates them in the same pass that
reads them, and returns None unless every value already has exactly the type and range the schema
gives it (pydantic, the validator of record, then takes the customer: see ``model/schema.py``).
Beside it, ``make_evaluate(ruleset, Decision, validate)`` gives the ruleset's ``evaluate``: a dict
whose every input is exactly valid and not null is decided inline and its Decision built there;
anything else goes through ``decide(c, True)``, then pydantic.

Identifiers in the generated source are ours (``f_<fact>``, ``_k<n>`` for constants); every value
from the rule file enters as a constant in the function's globals, never as source text, so a rule
file cannot inject code.

Three-valued logic costs nothing here: each condition is compiled twice, as "is true" and "is
false", both plain Python booleans, with null guards (``f_x is not None``) in front of each
comparison. Numbers are compared as floats where that is exact (a fact against a literal, or two
facts: rounding is monotonic) and as Decimals wherever arithmetic is involved.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Protocol, overload

from marketing_rules.analysis.program import Expression, OfferSpec, Program, Row, Rule, Table, cond_to_ast
from marketing_rules.errors import EvaluationError
from marketing_rules.expressions import ast
from marketing_rules.expressions.checker import computed, type_of
from marketing_rules.expressions.compiler import NodeCompiler
from marketing_rules.expressions.functions import FUNCTIONS
from marketing_rules.expressions.numbers import CONTEXT, INT_MAX, INT_MIN, LIMIT, QUANTUM, SCALE, overflow_reason
from marketing_rules.expressions.text import to_text
from marketing_rules.expressions.types import BOOLEAN, INTEGER, NUMBER, Type
from marketing_rules.model.schema import exact_value_test

# (facts with the derived ones, fired ids, offers, awards or None, the access key's value)
RawResult = tuple[dict[str, Any], list[str], list[Any], list[tuple[str, Any]] | None, Any]
MakeOffer = Callable[[OfferSpec, tuple[Any, ...]], Any]  # an offer spec and its computed amounts -> the offer


class Decide(Protocol):
    """The generated ``decide(c, check=False)``: a customer's facts to a :data:`RawResult`.

    With ``check``, it first tests that every value is exactly valid, and returns None otherwise.
    """

    source: str  # the generated code
    # make_evaluate(ruleset, Decision, validate) -> the ruleset's evaluate(customer) -> a Decision
    make_evaluate: Callable[..., Any]

    @overload
    def __call__(self, c: dict[str, Any], /) -> RawResult: ...

    @overload
    def __call__(self, c: object, check: bool, /) -> RawResult | None: ...

_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
Code = tuple[str, tuple[str, ...]]  # an expression's code, and the guards under which it is not null


def to_decimal(value: Any) -> Decimal:
    """A fact's number as a contract number: a float is the decimal it prints as, rounded to 10 places
    (only when it has more); a Decimal as it is."""
    if value.__class__ is float:
        text = repr(value)
        if "e" in text or len(text) - text.find(".") > SCALE + 1:
            return Decimal(text).quantize(QUANTUM, context=CONTEXT)
        return Decimal(text)
    return value if value.__class__ is Decimal else Decimal(value)


def to_plain(value: Any) -> Any:
    """A computed number as it appears in a decision: int when whole, float otherwise."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def item_text(value: Any) -> str:
    """An item of a list whose items have no type, as the list<string> column writes it: booleans as
    true/false, numbers as their decimal without trailing zeros."""
    if value.__class__ is bool:
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return str(value)
    text = format(to_decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _int_mod(a: int, b: int) -> int:
    """Integer remainder with the dividend's sign, as SQL's %."""
    r = abs(a) % abs(b)
    return -r if a < 0 else r


def _in3(value: Any, items: tuple[Any, ...]) -> bool | None:
    if value.__class__ is float or value.__class__ is Decimal:  # the items may be floats or Decimals
        value = to_decimal(value)
        items = tuple(to_decimal(i) if i.__class__ is float else i for i in items)
    if any(item is not None and item == value for item in items):
        return True
    return None if None in items else False


# -- the number contract at run time (expressions/numbers.py): each result as the contract gives it --
_LIMIT = Decimal(LIMIT)
_INT_BOUND = Decimal(2**63)  # the magnitude of the smallest 64-bit integer
_NUMBER_BOUND = Decimal(LIMIT) - QUANTUM  # the largest number
_FLOAT_SAFE_LIMIT = 9.9999999e17  # a float this far below 10^18 is no overflow, whatever its last bits
_ELIF_ROWS = 100  # a first-hit table up to this many rows is an if/elif chain (the compiler recurses per elif)
_INLINE_LINES = 20_000  # the generated evaluate holds its own copy of the rules up to this many lines


def _mul(a: Decimal, b: Decimal) -> Decimal:
    """The exact product, rounded to 10 places half away from zero."""
    return CONTEXT.multiply(a, b).quantize(QUANTUM, context=CONTEXT)


def _div(a: Decimal, b: Decimal) -> Decimal:
    """The quotient (b is not 0), rounded to 10 places half away from zero."""
    return CONTEXT.divide(a, b).quantize(QUANTUM, context=CONTEXT)


def _rem(a: Decimal, b: Decimal) -> Decimal:
    """The remainder with the dividend's sign (b is not 0), rounded to 10 places."""
    return CONTEXT.remainder(a, b).quantize(QUANTUM, context=CONTEXT)


def _number(value: Decimal, reason: tuple[str, str]) -> Decimal:
    """A number result within the contract; an overflow is an error of the customer."""
    if -_LIMIT < value < _LIMIT:
        return value
    raise EvaluationError(reason[0], rule=reason[1])


def _integer(value: int, reason: tuple[str, str]) -> int:
    """An integer result within 64 bits; an overflow is an error of the customer."""
    if INT_MIN <= value <= INT_MAX:
        return value
    raise EvaluationError(reason[0], rule=reason[1])


def _round10(value: Decimal | int) -> Decimal | int:
    return value if isinstance(value, int) else value.quantize(QUANTUM, context=CONTEXT)


def _number_sum(values: list[Any], reason: tuple[str, str]) -> Decimal:
    """The exact sum of a collect table's numbers."""
    total = Decimal(0)
    for value in values:
        total = CONTEXT.add(total, to_decimal(value))
    return _number(total, reason)


def _has_decimal(facts: dict[str, Any]) -> bool:
    """Whether a value is a Decimal (a number input that no float holds exactly)."""
    for value in facts.values():
        if value.__class__ is Decimal:
            return True
    return False


def _floats(facts: dict[str, Any]) -> None:
    """A decision shows numbers as floats: the Decimal inputs as the floats nearest them."""
    for name, value in facts.items():
        if value.__class__ is Decimal:
            facts[name] = float(value)


def _float_exact(value: Any) -> bool:
    """Whether a float holds this number exactly as written (so float comparisons with it are exact)."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return True
    if isinstance(value, int):
        return abs(value) <= 2**53
    return Decimal(repr(float(value))) == value


def _unique_violation(table: str, rows: list[int]) -> None:
    numbers = ", ".join(str(r) for r in rows)
    raise EvaluationError(f"table '{table}' has hit policy unique, but rows {numbers} all match", rule=table)


class PythonCompiler(NodeCompiler[Code]):
    """Generates the source of ``decide(c, check=False)`` for a program, then compiles it (:meth:`build`).

    Its expressions compile as the other backends' do: values by this
    :class:`~marketing_rules.expressions.compiler.NodeCompiler` (one method per node,
    :data:`PYTHON_OPERATORS` per operator), conditions by :class:`Truth`, its companion.
    """

    backend = "Python"

    def __init__(self, program: Program, make_offer: MakeOffer | None = None):
        self.program = program
        self.make_offer = make_offer
        self.types = program.fact_types
        self.env: dict[str, Any] = {
            "_D": to_decimal, "_P": to_plain, "_imod": _int_mod, "_in3": _in3, "_unique": _unique_violation,
            "_mul": _mul, "_div": _div, "_rem": _rem, "_N": _number, "_I": _integer, "_Q": _round10,
            "_nsum": _number_sum, "_has_decimal": _has_decimal, "_floats": _floats,
            **{f"_fn_{name}": f.impl for name, f in FUNCTIONS.items()},
        }
        self._constants: dict[tuple[type, Any], str] = {}
        self._vars: dict[str, str] = {}
        self.lines: list[str] = []
        self._groups: dict[str, str] = {}
        self._offers: dict[str, str] = {}  # rule id -> the name of its offer (or offer spec)
        self.present: frozenset[str] = frozenset()  # facts known not to be null where code is emitted
        self.exact = False  # number inputs may be Decimals where code is emitted: never read as floats
        # the number contract: where a result may leave it, and what was already checked in this unit
        self._bounds: dict[int, tuple[Decimal, bool]] = {}
        self.unit_id = ""
        self.temps: dict[int, Code] = {}  # id(node) -> a variable holding its checked value
        self.float_temps: dict[int, str] = {}  # id(node) -> a variable holding its value as a float
        self.checked: set[int] = set()
        self._ntemp = 0
        self.decimal = False  # the value being compiled is wanted as a Decimal wherever it is a number
        self.conditions = Truth(self)

    def var(self, name: str) -> str:
        """The variable of a fact: its name when ASCII, else a name of its own (Python would NFKC-normalise
        ``ａrpu`` into ``arpu``, another fact)."""
        var = self._vars.get(name)
        if var is None:
            var = self._vars[name] = f"f_{name}" if name.isascii() else f"fx{len(self._vars)}"
        return var

    # -- the function ----------------------------------------------------------------------------
    def build(self) -> Decide:
        source = self.decide_source() + "\n" + self.evaluate_source()
        namespace = dict(self.env)
        exec(compile(source, f"<ruleset {self.program.ruleset} {self.program.version}>", "exec"), namespace)
        decide: Decide = namespace["decide"]
        decide.source = source
        decide.make_evaluate = namespace["make_evaluate"]
        return decide

    def inputs(self) -> list[str]:
        """The input facts the rules read (and the access key), sorted."""
        program = self.program
        read = sorted(set().union(*(u.reads for u in program.units)) if program.units else set())
        by = program.access.by if program.access else None
        inputs = [name for name in read if name not in program.derived]
        if by and by not in program.derived and by not in inputs:
            inputs.append(by)
        return inputs

    def decide_source(self) -> str:
        program = self.program
        by = program.access.by if program.access else None
        inputs = self.inputs()
        var = self.var
        body = ["if check:", *_indent(self._checks(inputs)), "else:"]
        body += [f"    {var(name)} = c.get({name!a})" for name in inputs]
        # a number input read digit for digit beyond what a float holds is a Decimal (model/input_rules.py)
        body.append("    _x = _has_decimal(c)")
        body.append("    _p = " + " and ".join(["not _x", *(f"{var(name)} is not None" for name in inputs)]))
        body += self._start()
        # Most customers have every fact the rules read, each number a float (_p): for them the same
        # rules run without the null guard in front of each comparison. A customer with a number
        # input held as a Decimal (_x) takes rules that compare and compute every number exactly.
        if inputs and program.units:
            body += ["if _p:", *_indent(self._units(frozenset(inputs)))]
            if any(self.types[name] == NUMBER for name in inputs):
                body += ["elif _x:", *_indent(self._units(frozenset(), exact=True))]
            body += ["else:", *_indent(self._units(frozenset()))]
        else:
            body += self._units(frozenset())
        body += ["facts = dict(c)", "if _x:", "    _floats(facts)", *self._derived_facts()]
        awards = "awards" if self.has_awards else "None"
        body.append(f"return facts, fired, offers, {awards}, {var(by) if by else 'None'}")
        return "def decide(c, check=False):\n" + "\n".join(_indent(body)) + "\n"

    def _start(self) -> list[str]:
        """Derived facts at their defaults, and the lists and group markers a decision fills."""
        program = self.program
        lines = [f"{self.var(name)} = {self.constant(program.defaults.get(name))}" for name in program.derived]
        # Only what varies per customer leaves the function: the facts, the fired list, the offers
        # (built as their rules fire) and points. Tags and grants follow from the fired ids.
        self.has_awards = any(r.award is not None for r in program.rules)
        lines += ["fired = []", "offers = []"] + (["awards = []"] if self.has_awards else [])
        for group in dict.fromkeys(u.group for u in program.rules if u.group):
            self._groups.setdefault(group, f"_g{len(self._groups)}")
            lines.append(f"{self._groups[group]} = None")
        return lines

    def _derived_facts(self) -> list[str]:
        """The derived facts into ``facts``: a derived number is held exactly (a Decimal where it was
        computed); a decision shows floats."""
        var = self.var
        return [f"facts[{name!a}] = " + (f"(None if {var(name)} is None else float({var(name)}))"
                                         if kind == NUMBER else var(name))
                for name, kind in self.program.derived.items()]

    def evaluate_source(self) -> str:
        """``make_evaluate(ruleset, Decision, validate)``: the ruleset's ``evaluate(customer)``.

        A dict holding every input the rules read, each exactly valid and not null (one combined
        test), is decided inline and its Decision built here, without ``__init__`` (the generated
        code made every value). Anything else takes ``decide(c, True)``, then pydantic."""
        program, var = self.program, self.var
        by = program.access.by if program.access else None
        quick = sorted(self.env["_QUICK"], key=lambda name: (name != "id", name))
        lines = [*self._only_facts(), "", "def make_evaluate(_rs, _Decision, _validate):", "    _new = object.__new__",
                  "    _Decision = _Decision.of_ruleset(_rs)"]
        fast: list[str] = []
        units = self._units(frozenset(quick[1:])) if program.units else []
        if len(units) <= _INLINE_LINES:  # a very large ruleset: one copy of its rules is enough
            tests = " and ".join(f"not ({exact_value_test(program.schema[n], var(n), self.env)})" if n != "id"
                                 else f"{var('id')}.__class__ is str and {var('id')}" for n in quick)
            fast = ["if c.__class__ is dict:", "    try:", *(f"        {var(n)} = c[{n!a}]" for n in quick),
                    "    except KeyError:", "        pass",
                    # more keys than the rules read: go on with only the facts (c rebound only when they are valid)
                    "    else:", f"        if {tests} and (len(c) == {len(quick)} or (_c := _only_facts(c)) is not None "
                    "and (c := _c) is _c):",
                    *_indent(_indent(_indent([*self._start(), *units, "facts = dict(c)", *self._derived_facts(),
                                              "d = _new(_Decision)", "d._ruleset = _rs", "d.facts = facts",
                                              "d.fired = fired", "d.offers = offers",
                                              f"d._awards = {'awards' if self.has_awards else 'None'}",
                                              f"d._by = {var(by) if by else 'None'}",
                                              "d._access = d._inputs = None", "return d"])))]
        body = [*fast, "raw = decide(c, True)", "if raw is None:", "    raw = decide(_validate(c))",
                "d = _new(_Decision)", "d._ruleset = _rs", "d.facts, d.fired, d.offers, d._awards, d._by = raw",
                "d._access = d._inputs = None", "return d"]
        lines += ["    def evaluate(c):", *_indent(_indent(body)),
                  "    evaluate.__doc__ = getattr(type(_rs), 'evaluate', evaluate).__doc__", "    return evaluate"]
        return "\n".join(lines) + "\n"

    def _other_tests(self, fail: str, every: bool = False) -> list[str]:
        """The one test of the facts of the schema the rules do not read (outside ``_QUICK``), which
        ``decide(c, True)`` and ``_only_facts`` (``evaluate``'s) both hold: each read into ``_v``
        (``every``: all facts are there, read without .get), and ``fail`` when neither null nor
        exactly valid."""
        lines: list[str] = []
        for spec in self.program.schema.facts:
            if spec.name not in self.env["_QUICK"]:
                lines += [f"_v = c[{spec.name!a}]" if every else f"_v = c.get({spec.name!a})",
                          f"if _v is not None and ({exact_value_test(spec, '_v', self.env)}):", f"    {fail}"]
        return lines

    def _only_facts(self) -> list[str]:
        """``_only_facts(c)``: ``c`` without the keys that are not facts (dropped, as pydantic drops
        them) when each fact the rules do not read is null or exactly valid, else None (``evaluate``
        decides inline only then)."""
        return ["def _only_facts(c):", "    if not _KNOWN.issuperset(c):", "        c = dict(c)",
                "        for k in c.keys() - _KNOWN:", "            del c[k]",
                f"    if len(c) == {len(self.env['_KNOWN'])}:",
                *_indent(_indent([*self._other_tests("return None", every=True), "return c"])),
                *_indent([*self._other_tests("return None"), "return c"])]

    def _checks(self, inputs: list[str]) -> list[str]:
        """Validation in the pass that reads the inputs; ``_p`` is left true when none of them is null."""
        schema = self.program.schema
        quick = ["id", *(name for name in inputs if name != "id")]
        self.env["_KNOWN"], self.env["_QUICK"] = frozenset(f.name for f in schema.facts), frozenset(quick)
        lines = ["if c.__class__ is not dict:", "    return None", "_x = False",
                 f"{self.var('id')} = c.get('id')", f"if {self.var('id')}.__class__ is not str or not {self.var('id')}:",
                 "    return None", "_p = True"]
        for name in quick[1:]:  # each test is true for None too: one test both validates and finds nulls
            v = self.var(name)
            lines += [f"{v} = c.get({name!a})", f"if {exact_value_test(schema[name], v, self.env)}:",
                      f"    if {v} is not None:", "        return None", "    _p = False"]
        # no null among the inputs: every key of _QUICK is there, so a longer dict has other keys
        lines += [f"if len(c) != {len(quick)} if _p else not _QUICK.issuperset(c):",
                  "    if not _KNOWN.issuperset(c):  # keys that are not facts: dropped, as pydantic drops them",
                  "        c = {k: v for k, v in c.items() if k in _KNOWN}"]
        return lines + _indent(self._other_tests("return None"))

    def _units(self, present: frozenset[str], exact: bool = False) -> list[str]:
        """The code of every unit in agenda order, with no null guard for the facts in ``present``
        (``exact``: number inputs compared and computed as Decimals only, never as floats)."""
        outer, self.lines, self.present, self.exact = self.lines, [], present, exact
        for unit in self.program.units:
            self.lines.append(f"# {type(unit).__name__.lower()} {unit.id}")
            self.unit_id, self.temps, self.float_temps, self.checked = unit.id, {}, {}, set()
            if isinstance(unit, Rule):
                self.rule(unit)
            else:
                self.table(unit)
        lines, self.lines = self.lines, outer
        return lines

    def emit(self, line: str, depth: int) -> None:
        self.lines.append("    " * depth + line)

    def constant(self, value: Any) -> str:
        """A name in the function's globals bound to ``value`` (literals never enter the source)."""
        if value is None or isinstance(value, bool):
            return repr(value)
        key = (type(value), value if not isinstance(value, (list, dict, set)) else repr(value))
        if key not in self._constants:
            name = f"_k{len(self._constants)}"
            self._constants[key] = name
            self.env[name] = value
        return self._constants[key]

    # -- rules and tables ---------------------------------------------------------------------
    def rule(self, rule: Rule) -> None:
        if rule.when is not None:
            when = cond_to_ast(rule.when)
            self.hoist([when], 0)  # a condition is evaluated whole, whether or not its group is taken
            condition = self.truth(when)[0]
        else:
            condition = "True"
        group = self._groups.get(rule.group) if rule.group else None
        if group:
            condition = f"{group} is None and {condition}"
        self.emit(f"if {condition}:", 0)
        if group:
            self.emit(f"{group} = {rule.id!r}", 1)
        self.emit(f"fired.append({rule.id!r})", 1)
        for name, expression in rule.sets:
            self.assign(name, expression, 1)
        if rule.offer is not None:
            self.hoist([e.node for e in rule.offer.computed], 1)
            self.emit(f"offers.append({self._offer(rule)})", 1)
        if rule.award is not None:
            self.hoist([rule.award.node], 1)
            self.emit(f"awards.append(({rule.id!r}, {self.points(rule.award)}))", 1)

    def _offer(self, rule: Rule) -> str:
        """Code for the rule's offer: built once at load when it is fixed, else from its amounts."""
        spec = rule.offer
        assert spec is not None and self.make_offer is not None
        name = self._offers.get(rule.id)
        if name is None:
            name = self._offers[rule.id] = f"_o{len(self._offers)}"
            self.env[name] = spec if spec.computed else self.make_offer(spec, ())
        if not spec.computed:
            return name
        self.env["_make_offer"] = self.make_offer
        amounts = "".join(self.plain(e) + ", " for e in spec.computed)
        return f"_make_offer({name}, ({amounts}))"

    def table(self, table: Table) -> None:
        # every row test is evaluated whole when the table is reached
        self.hoist([row.condition() for row in table.rows], 0)
        conditions = [self.truth(row.condition())[0] for row in table.rows]
        if table.hit == "first" and len(table.rows) <= _ELIF_ROWS:
            for i, (row, condition) in enumerate(zip(table.rows, conditions)):
                self.emit(f"{'if' if i == 0 else 'elif'} {condition}:", 0)
                self._row(table, row, 1)
            return
        if table.hit == "first":  # flat ifs, not an elif chain: Python's compiler recurses per elif
            self.emit("_done = False", 0)
            for i, (row, condition) in enumerate(zip(table.rows, conditions)):
                self.emit(f"if {condition}:" if i == 0 else f"if not _done and ({condition}):", 0)
                self.emit("_done = True", 1)
                self._row(table, row, 1)
            return
        if table.hit == "collect":
            self._collect(table, conditions)
            return
        self.emit(f"_matched = ({''.join(c + ', ' for c in conditions)})", 0)
        self.emit("_hits = [n for n, c in enumerate(_matched, start=1) if c]", 0)
        if table.hit == "unique":
            self.emit(f"if len(_hits) > 1: _unique({table.id!r}, _hits)", 0)
            self.emit("_row = _hits[0] if _hits else 0", 0)
        else:
            ranks = self.constant(tuple(table.ranks))
            self.emit(f"_row = min(_hits, key=lambda n: {ranks}[n - 1]) if _hits else 0", 0)
        for row in table.rows:
            self.emit(f"if _row == {row.number}:", 0)
            self._row(table, row, 1)

    def _row(self, table: Table, row: Row, depth: int) -> None:
        self.emit(f"fired.append({table.row_id(row)!r})", depth)
        for name, expression in zip(table.outputs, row.outputs):
            self.assign(name, expression, depth)

    def _collect(self, table: Table, conditions: list[str]) -> None:
        for o in range(len(table.outputs)):
            self.emit(f"_acc{o} = []", 0)
        for row, condition in zip(table.rows, conditions):
            self.emit(f"if {condition}:", 0)
            self.emit(f"fired.append({table.row_id(row)!r})", 1)
            self.hoist([e.node for e in row.outputs], 1)
            for o, expression in enumerate(row.outputs):
                value = self.typed_value(table.outputs[o], expression, checked=table.aggregate is None)
                self.emit(f"_acc{o}.append({value})", 1)
        for o, name in enumerate(table.outputs):
            target = self.var(name)
            if table.aggregate is None:
                self.emit(f"{target} = _acc{o}", 0)
                continue
            values = f"[v for v in _acc{o} if v is not None]"
            if table.aggregate == "count":
                self.emit(f"{target} = len({values})", 0)
                continue
            # sum, min and max of no value are null, whatever the fact's default (docs/dsl.md, "Hit policies")
            number = self.program.derived[name] == NUMBER
            first = table.rows[0].outputs[o].node if table.rows else ast.Literal((0, 0), None)  # as the reference
            reason = self._reason("number" if number else "integer", self._text(first))
            aggregate = {  # the result is checked as a value of the fact, named by the first row's cell
                "sum": f"_nsum(_vals, {reason})" if number else f"_I(sum(_vals), {reason})",
                "min": f"_N(min(map(_D, _vals)), {reason})" if number else "min(_vals)",
                "max": f"_N(max(map(_D, _vals)), {reason})" if number else "max(_vals)",
            }[table.aggregate]
            self.emit(f"_vals = {values}", 0)
            self.emit(f"{target} = {aggregate} if _vals else None", 0)

    def assign(self, name: str, expression: Expression, depth: int) -> None:
        self.hoist([expression.node], depth)
        self.emit(f"{self.var(name)} = {self.typed_value(name, expression)}", depth)

    def typed_value(self, name: str, expression: Expression, checked: bool = True) -> str:
        """A value for fact ``name``: int, str, bool or list as input facts are, a number exactly
        (``checked``: an integer set into a number fact is checked against the number range)."""
        node = expression.node
        if self.type_of(node) == BOOLEAN or isinstance(node, ast.BOOLEAN_NODES):
            true, false = self.truth(node)
            return f"(True if {true} else False if {false} else None)"
        if isinstance(node, ast.ListExpr):
            code, guards = self.value(node)
            return _guarded(f"list({code})", guards)
        kind = self.program.derived.get(name)
        if kind == NUMBER and self.type_of(node).numeric and not (
                isinstance(node, ast.FactRef) and self.type_of(node) == NUMBER):
            code, guards = self.value(node, True)  # a Decimal: the contract number itself
            if checked and self.type_of(node) == INTEGER and self._bound(node) >= LIMIT:  # beyond 18 digits
                code = f"_N({code}, {self._reason('number', self._text(node))})"
            return _guarded(code, guards)
        code, guards = self.value(node)
        return _guarded(code, guards)

    def plain(self, expression: Expression) -> str:
        code, guards = self.value(expression.node)
        return _guarded(f"_P({code})", guards)

    def points(self, expression: Expression) -> str:
        """An award exactly: an int, or a number as a Decimal (a decision sums them exactly)."""
        code, guards = self.value(expression.node, self.type_of(expression.node) == NUMBER)
        return _guarded(code, guards)

    # -- the number contract: where a result can leave it ----------------------------------------------
    def _bound(self, node: ast.Expr) -> Decimal:
        """An upper bound of the magnitude of a numeric value (a result that is checked: the limit)."""
        return self._bounded(node)[0]

    def _needs_check(self, node: ast.Expr) -> bool:
        """Whether arithmetic here can leave the contract: 64 bits for integers, 10^18 for numbers."""
        return self._bounded(node)[1]

    def _bounded(self, node: ast.Expr) -> tuple[Decimal, bool]:
        known = self._bounds.get(id(node))
        if known is None:
            known = self._bounds[id(node)] = self._raw_bound(node)
        return known

    def _raw_bound(self, node: ast.Expr) -> tuple[Decimal, bool]:
        bound = self._bound
        if not isinstance(node, ast.Checked) and not self.type_of(node).numeric:
            return _INT_BOUND, False
        match node:
            case ast.Checked(operand=x):
                return self._bounded(x)
            case ast.FactRef(name=name):
                return self._fact_bound(name), False
            case ast.Literal(value=v) | ast.ConstRef(value=v) if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
                return abs(Decimal(v)), False
            case ast.Neg(operand=x):
                raw = bound(x)
            case ast.Arith(op=op, left=a, right=b):
                raw = self._arith_bound(op, bound(a), b)
            case ast.Call(name="len"):
                return _INT_BOUND, False  # not reached by any list or text
            case ast.Call(name=name, args=args):
                raw = max(bound(a) for a in args)
                if name in ("round", "floor", "ceil"):
                    raw = CONTEXT.add(raw, 1)
            case _:
                return _INT_BOUND, False
        integer = self.type_of(node) == INTEGER
        if integer and raw > INT_MAX:
            return _INT_BOUND, True
        if not integer and raw >= LIMIT:
            return _NUMBER_BOUND, True
        return raw, False

    def _arith_bound(self, op: str, left: Decimal, right_node: ast.Expr) -> Decimal:
        right = self._bound(right_node)
        if op in "+-":
            return CONTEXT.add(left, right)
        if op == "*":
            return CONTEXT.multiply(left, right) if left and right else Decimal(0)
        if op == "%":
            return min(left, right)
        divisor = right_node.value if isinstance(right_node, (ast.Literal, ast.ConstRef)) else None
        if isinstance(divisor, (int, Decimal)) and not isinstance(divisor, bool) and divisor != 0:
            return CONTEXT.add(CONTEXT.divide(left, abs(Decimal(divisor))), QUANTUM)
        return Decimal("Infinity")  # a divisor near zero: any size

    def _fact_bound(self, name: str) -> Decimal:
        kind = self.types[name]
        if name in self.program.derived:
            return _INT_BOUND if kind == INTEGER else _NUMBER_BOUND
        limit = Decimal(LIMIT) if kind == INTEGER else _NUMBER_BOUND
        schema = getattr(self.program, "schema", None)  # an event scope has none: its names are attributes
        spec = schema[name] if schema is not None and name in schema else None
        if spec is None:
            return _INT_BOUND if kind == INTEGER else _NUMBER_BOUND
        ends = [abs(Decimal(repr(b) if isinstance(b, float) else b)) for b in (spec.ge, spec.le) if b is not None]
        return min(max(ends), limit) if len(ends) == 2 else limit

    def _reason(self, kind: str, text: str) -> str:
        return self.constant((overflow_reason(kind, text, self.unit_id), self.unit_id))

    @staticmethod
    def _text(node: ast.Expr) -> str:
        return to_text(node)  # the words every backend uses for this expression

    def _check(self, node: ast.Expr, code: str) -> str:
        kind = "integer" if self.type_of(node) == INTEGER else "number"
        return f"{'_I' if kind == 'integer' else '_N'}({code}, {self._reason(kind, self._text(node))})"

    def hoist(self, roots: list[ast.Expr], depth: int) -> None:
        """Compute every result of ``roots`` that may overflow, before anything else, in evaluation order
        (left to right, inner before outer) and whatever short-circuits later: the first overflow is the
        customer's error, as in the reference interpreter. Later code reads the variables."""
        nodes: list[ast.Expr] = []
        for root in roots:
            self._checked_nodes(root, nodes)
        for node in nodes:
            if id(node) in self.temps or id(node) in self.float_temps:
                continue
            name = f"_t{self._ntemp}"
            self._ntemp += 1
            if self.type_of(node) == NUMBER and self._float_safe(node):
                # kept as a float for the fast comparison; the exact value only where it may overflow
                exact, guards = self.value(node, True)
                self.emit(f"{name} = {_guarded(self._float_code(node), guards)}", depth)
                known = f"{name} is not None and " if guards else ""
                limit = repr(_FLOAT_SAFE_LIMIT)
                self.emit(f"if {known}not -{limit} < {name} < {limit}: {exact}", depth)
                self.float_temps[id(node)] = name
                self.checked.add(id(node))
                continue
            code, guards = self.value(node)
            self.emit(f"{name} = {_guarded(code, guards)}", depth)
            self.temps[id(node)] = (name, (f"{name} is not None",) if guards else ())

    def _checked_nodes(self, node: ast.Expr, found: list[ast.Expr]) -> None:
        for child in ast.children(node):
            self._checked_nodes(child, found)
        if isinstance(node, (ast.Arith, ast.Neg, ast.Call)) and self._needs_check(node):
            found.append(node)

    # -- expressions ------------------------------------------------------------------------
    def type_of(self, node: ast.Expr) -> Type:
        while isinstance(node, ast.Checked):
            node = node.operand
        return type_of(node, self.types)

    def _computed(self, node: ast.Expr) -> bool:
        """Whether the value is produced by arithmetic or a function (a Decimal for numbers)."""
        while isinstance(node, ast.Checked):
            node = node.operand
        return computed(node, self.types)

    def _exact_only(self, node: ast.Expr) -> bool:
        """A value compared only as a Decimal: computed, a derived number (held exactly), or a number
        literal that no float holds exactly."""
        match node:
            case ast.FactRef(name=name):
                return self.types[name] == NUMBER and (self.exact or name in self.program.derived)
            case ast.Literal(value=v) | ast.ConstRef(value=v):
                return not _float_exact(v)
        return self._computed(node)

    # -- values: a NodeCompiler, one method per node; PYTHON_OPERATORS per operator ------------------
    def value(self, node: ast.Expr, decimal: bool = False) -> Code:
        """Code for a value; ``decimal`` asks for a Decimal wherever the value is a number."""
        while isinstance(node, ast.Checked):
            node = node.operand
        temp = self.temps.get(id(node))
        if temp is not None:
            code, guards = temp
        else:
            outer, self.decimal = self.decimal, decimal
            try:
                code, guards = self.compile(node)
            finally:
                self.decimal = outer
            if id(node) not in self.checked and isinstance(node, (ast.Arith, ast.Neg, ast.Call)) \
                    and self._needs_check(node):
                code = self._check(node, code)
        if decimal and isinstance(node, (ast.Arith, ast.Call, ast.Neg)) and self.type_of(node) == INTEGER:
            code = f"_D({code})"  # an int result joins decimal arithmetic as a Decimal, never as a float
        return code, guards

    def visit_Checked(self, node: ast.Checked) -> Code:
        return self.value(node.operand, self.decimal)

    def visit_FactRef(self, node: ast.FactRef) -> Code:
        var = self.var(node.name)
        code = f"_D({var})" if self.decimal and self.types[node.name].numeric else var
        return code, () if node.name in self.present else (f"{var} is not None",)

    def visit_Literal(self, node: ast.Literal) -> Code:
        return self._literal(node.value, self.decimal), ()

    def visit_ConstRef(self, node: ast.ConstRef) -> Code:
        return self._literal(node.value, self.decimal), ()

    def visit_EnumValue(self, node: ast.EnumValue) -> Code:
        return self.constant(node.value), ()

    def visit_ListExpr(self, node: ast.ListExpr) -> Code:
        codes = [self.value(i, self.decimal) for i in node.items]  # a null item stays a None in the tuple
        return "(" + "".join(_guarded(c, g) + ", " for c, g in codes) + ")", ()

    def _operate(self, node: ast.Expr) -> Code:
        """An operator node, as PYTHON_OPERATORS compiles its operator."""
        operation: Callable[[PythonCompiler, Any], Code] = self.operator(node)
        return operation(self, node)

    visit_Neg = visit_Arith = visit_Call = visit_Compare = visit_InList = visit_IsNull = visit_And = visit_Or = \
        visit_Not = _operate

    def _literal(self, value: Any, decimal: bool) -> str:
        if decimal and isinstance(value, int) and not isinstance(value, bool):
            return self.constant(Decimal(value))
        if isinstance(value, Decimal):
            return self.constant(value if decimal else float(value))
        if isinstance(value, tuple):
            return self.constant(tuple(Decimal(v) if decimal and isinstance(v, Decimal) else
                                       float(v) if isinstance(v, Decimal) else v for v in value))
        if isinstance(value, str):
            return self.constant(value)
        return repr(value)

    # -- operators (PYTHON_OPERATORS) ---------------------------------------------------------------
    def _negate(self, node: ast.Neg) -> Code:
        code, guards = self.value(node.operand, self.decimal or self.type_of(node) == NUMBER)
        return f"(-{code})", guards

    def _arith(self, node: ast.Arith) -> Code:
        integer = self.type_of(node) == INTEGER
        left, lg = self.value(node.left, not integer)
        right, rg = self.value(node.right, not integer)
        guards = _merge(lg, rg)
        if node.op in "/%":
            guards = _merge(guards, (f"{right} != 0",))
        if integer:
            return (f"_imod({left}, {right})" if node.op == "%" else f"({left} {node.op} {right})"), guards
        # sums and differences of numbers of 10 places are exact; the rest is rounded to 10 places
        function = {"*": "_mul", "/": "_div", "%": "_rem"}.get(node.op)
        return (f"{function}({left}, {right})" if function else f"({left} {node.op} {right})"), guards

    def _call(self, node: ast.Call) -> Code:
        function = FUNCTIONS[node.name]
        args = [self.value(a, self.type_of(a) == NUMBER) for a in node.args]
        if function.null_absorbing:
            code = args[-1][0]
            for arg_code, guards in reversed(args[:-1]):
                code = f"({arg_code} if {_all(guards)} else {code})" if guards else arg_code
            any_guard = " or ".join(_all(g) if g else "True" for _, g in args)
            return code, ((f"({any_guard})",) if all(g for _, g in args) else ())
        call = f"_fn_{node.name}({', '.join(c for c, _ in args)})"
        if node.name == "round" and len(node.args) == 2:
            call = f"_Q({call})"  # round(x, 12) is a number of 10 places too
        return call, _merge(*(g for _, g in args))

    def _condition_value(self, node: ast.Expr) -> Code:
        """A condition as a value: True, False or None."""
        true, false = self.truth(node)
        return f"(True if {true} else False if {false} else None)", ()

    # -- conditions: a NodeCompiler of their own (Truth), one method per node ---------------------------
    def truth(self, node: ast.Expr) -> tuple[str, str]:
        """Two Python conditions: the expression is true; the expression is false."""
        return self.conditions.compile(node)

    def _constant_truth(self, value: Any) -> tuple[str, str]:
        return ("True", "False") if value is True else ("False", "True") if value is False else ("False", "False")

    def _fact_truth(self, node: ast.FactRef) -> tuple[str, str]:
        return f"{self.var(node.name)} is True", f"{self.var(node.name)} is False"

    def _compare(self, node: ast.Compare) -> tuple[str, str]:
        a, b = node.left, node.right
        if self._float_safe(a) and self._float_safe(b) and (self._computed(a) or self._computed(b)):
            return self._fast_compare(node)
        (x, xg), (y, yg) = self._sides(node)
        guards = _merge(xg, yg)
        true_guards = () if self._null_safe_equality(node) else guards
        op = node.op
        return _guarded_bool(f"{x} {op} {y}", true_guards), _guarded_bool(f"{x} {_NEGATED[op]} {y}", guards)

    def _is_null(self, node: ast.IsNull) -> tuple[str, str]:
        _, guards = self.value(node.operand)
        present = _all(guards) if guards else "True"
        null = f"not ({present})" if guards else "False"
        return (present, null) if node.negated else (null, present)

    def _all_of(self, node: ast.And) -> tuple[str, str]:
        items = node.items
        parts = [self.truth(i) for i in items]
        trues: list[str] = []
        for item, (true, _) in zip(items, parts):
            guards = self._guards(item)
            if guards:  # each null guard once, just before the first comparison that needs it
                assert isinstance(item, ast.Compare)  # only comparisons have guards
                trues += [g for g in guards if g not in trues]
                trues.append(self._bare(item))
            else:
                trues.append(true)
        return _join(" and ", trues), _join(" or ", [f for _, f in parts])

    def _any_of(self, node: ast.Or) -> tuple[str, str]:
        parts = [self.truth(i) for i in node.items]
        return _join(" or ", [t for t, _ in parts]), _join(" and ", [f for _, f in parts])

    def _negation(self, node: ast.Not) -> tuple[str, str]:
        true, false = self.truth(node.operand)
        return false, true

    def _value_truth(self, node: ast.Expr) -> tuple[str, str]:
        """A value as a condition: true when it is True, false when it is False."""
        code, guards = self.value(node)
        return _guarded_bool(f"{code} is True", guards), _guarded_bool(f"{code} is False", guards)

    def _null_safe_equality(self, node: ast.Compare) -> bool:
        """``fact == constant``: a null fact already compares unequal, so "is true" needs no guard
        (not where the fact is read as a Decimal)."""
        constant = (ast.Literal, ast.EnumValue, ast.ConstRef)
        sides = (node.left, node.right)
        if self._exact_only(node.left) or self._exact_only(node.right):
            return False
        return (node.op == "==" and any(isinstance(s, ast.FactRef) for s in sides)
                and any(isinstance(s, constant) and s.value is not None for s in sides))

    def _float_safe(self, node: ast.Expr) -> bool:
        """An input fact, a literal, or a product or quotient of two of them: floats get within a few ulps
        of the exact value (a derived number is held as a Decimal: never here)."""
        match node:
            case ast.FactRef(name=name):
                return self.types[name].numeric and not (
                    (self.exact or name in self.program.derived) and self.types[name] == NUMBER)
            case ast.Literal(value=v) | ast.ConstRef(value=v):
                return isinstance(v, (int, Decimal)) and not isinstance(v, bool)
            case ast.Arith(op="*", left=a, right=b):
                return all(isinstance(x, (ast.FactRef, ast.Literal, ast.ConstRef)) and self._float_safe(x) for x in (a, b))
            case ast.Arith(op="/", left=a, right=ast.Literal(value=v) | ast.ConstRef(value=v)):
                return self._float_safe(a) and not isinstance(a, ast.Arith) and isinstance(v, (int, Decimal)) and v != 0
        return False

    def _float_code(self, node: ast.Expr) -> str:
        temp = self.float_temps.get(id(node))
        if temp is not None:
            return temp
        match node:
            case ast.FactRef(name=name):
                return self.var(name)
            case ast.Literal(value=v) | ast.ConstRef(value=v):
                return repr(float(v))  # type: ignore[arg-type]  # a number here
            case ast.Arith(op=op, left=a, right=b):
                return f"({self._float_code(a)} {op} {self._float_code(b)})"
        raise TypeError(node)

    def _fast_compare(self, node: ast.Compare) -> tuple[str, str]:
        """Compare in floats when the two sides are clearly apart, exactly in Decimal when they are close.

        Each side is within a few ulps of its exact value, and that within half of 10^-10 of the
        contract's value (rounded to 10 places): so a left side outside the right side's relative
        1e-12 neighbourhood, widened by 10^-9, decides the comparison exactly; only near-ties pay for
        Decimal arithmetic. Each test looks first at the one end of the neighbourhood that can decide
        it (a left side below it makes ``<`` true), then at the other end before going exact; the ends
        are found by multiplying, not by calls to abs().
        """
        (x, xg), (y, yg) = self.value(node.left, True), self.value(node.right, True)
        fx, fy = self._float_code(node.left), self._float_code(node.right)
        low, high = "0.999999999999", "1.000000000001"  # 1 -/+ 1e-12: swapped below zero
        below = f"(_a := {fx}) < (_b * {low} - 1e-09 if (_b := {fy}) >= 0.0 else _b * {high} - 1e-09)"
        above = f"(_a := {fx}) > (_b * {high} + 1e-09 if (_b := {fy}) >= 0.0 else _b * {low} + 1e-09)"
        not_above = f"_a <= (_b * {high} + 1e-09 if _b >= 0.0 else _b * {low} + 1e-09)"
        not_below = f"_a >= (_b * {low} - 1e-09 if _b >= 0.0 else _b * {high} - 1e-09)"
        guards = _merge(xg, yg)
        results = []
        for op in (node.op, _NEGATED[node.op]):
            exact = f"{x} {op} {y}"
            if op in ("<", "<="):
                test = f"({below} or ({not_above} and {exact}))"
            elif op in (">", ">="):
                test = f"({above} or ({not_below} and {exact}))"
            elif op == "==":
                test = f"(not ({below}) and {not_above} and {exact})"
            else:
                test = f"({below} or {not_above.replace('<=', '>', 1)} or {exact})"
            results.append(_guarded_bool(test, guards))
        return results[0], results[1]

    def _guards(self, node: ast.Expr) -> tuple[str, ...]:
        """The null guards of a plain comparison (which ``and`` can hoist and share), else none."""
        if (isinstance(node, ast.Compare) and not (self._exact_only(node.left) or self._exact_only(node.right))
                and not self._null_safe_equality(node)):
            return _merge(self.value(node.left)[1], self.value(node.right)[1])
        return ()

    def _bare(self, node: ast.Compare) -> str:
        (x, _), (y, _) = self._sides(node)
        return f"({x} {node.op} {y})"

    def _sides(self, node: ast.Compare) -> tuple[Code, Code]:
        """The two sides of a comparison. An integer literal against a number (a float) is written as
        the equal float: the comparison is the same, and Python compares two floats much faster."""
        a, b = node.left, node.right
        decimal = self._exact_only(a) or self._exact_only(b)
        sides: list[Code] = []
        for side, other in ((a, b), (b, a)):
            v = side.value if isinstance(side, (ast.Literal, ast.ConstRef)) else None
            if (not decimal and type(v) is int and abs(v) <= 2**53 and self.type_of(other) == NUMBER):
                sides.append((repr(float(v)), ()))
            else:
                sides.append(self.value(side, decimal))
        return sides[0], sides[1]

    def _in(self, node: ast.InList) -> tuple[str, str]:
        container = node.container
        items = container.items if isinstance(container, ast.ListExpr) else None
        constant = container.value if isinstance(container, ast.ConstRef) else None
        listed = constant if isinstance(constant, tuple) else tuple(
            i.value for i in items if isinstance(i, (ast.Literal, ast.ConstRef))) if items is not None else ()
        decimal = self._exact_only(node.operand) or not all(_float_exact(v) for v in listed) or (
            items is not None and any(self._exact_only(i) for i in items))
        operand, guards = self.value(node.operand, decimal)
        literal = items is not None and all(isinstance(i, (ast.Literal, ast.EnumValue, ast.ConstRef)) for i in items)
        if isinstance(container, ast.ConstRef) or literal:
            values: Any = container.value if isinstance(container, ast.ConstRef) else tuple(
                i.value for i in items)  # type: ignore[union-attr]
            has_null = any(v is None for v in values)
            members = self._literal(tuple(v for v in values if v is not None), decimal)
            name = self.constant(frozenset(self.env[members])) if members.startswith("_k") else members
            bare = isinstance(node.operand, ast.FactRef) and not decimal  # a null is in no set of members
            found = _guarded_bool(f"{operand} in {name}", () if bare else guards)
            missing = "False" if has_null else _guarded_bool(f"{operand} not in {name}", guards)
            return (missing, found) if node.negated else (found, missing)
        items_code, item_guards = self.value(container, decimal)
        guards = _merge(guards, item_guards)  # a null list: unknown
        call = f"_in3({operand}, {items_code})"
        true = _guarded_bool(f"{call} is True", guards)
        false = _guarded_bool(f"{call} is False", guards)
        return (false, true) if node.negated else (true, false)


class Truth(NodeCompiler[tuple[str, str]]):
    """The Python backend's conditions: two plain Python booleans per node, "is true" and "is false"
    (so three-valued logic costs nothing), with the null guards in front. One method per node; the
    values, variables and constants are its :class:`PythonCompiler`'s."""

    backend = "Python"

    def __init__(self, values: PythonCompiler):
        self.values = values

    def visit_Checked(self, node: ast.Checked) -> tuple[str, str]:
        return self.compile(node.operand)

    def visit_Literal(self, node: ast.Literal) -> tuple[str, str]:
        return self.values._constant_truth(node.value)

    def visit_ConstRef(self, node: ast.ConstRef) -> tuple[str, str]:
        return self.values._constant_truth(node.value)

    def visit_FactRef(self, node: ast.FactRef) -> tuple[str, str]:
        return self.values._fact_truth(node)

    def visit_Compare(self, node: ast.Compare) -> tuple[str, str]:
        return self.values._compare(node)

    def visit_InList(self, node: ast.InList) -> tuple[str, str]:
        return self.values._in(node)

    def visit_IsNull(self, node: ast.IsNull) -> tuple[str, str]:
        return self.values._is_null(node)

    def visit_And(self, node: ast.And) -> tuple[str, str]:
        return self.values._all_of(node)

    def visit_Or(self, node: ast.Or) -> tuple[str, str]:
        return self.values._any_of(node)

    def visit_Not(self, node: ast.Not) -> tuple[str, str]:
        return self.values._negation(node)

    def _value(self, node: ast.Expr) -> tuple[str, str]:
        return self.values._value_truth(node)

    visit_EnumValue = visit_ListExpr = visit_Neg = visit_Arith = visit_Call = _value


Operation = Callable[[PythonCompiler, Any], Code]
P = PythonCompiler
#: How the generated Python computes each operator of the language (``expressions/operators.py``):
#: a condition's value comes from its two booleans (:class:`Truth`).
PYTHON_OPERATORS: dict[str, Operation] = {
    "+": P._arith, "-": P._arith, "*": P._arith, "/": P._arith, "%": P._arith, "neg": P._negate,
    **dict.fromkeys(["==", "!=", "<", "<=", ">", ">=", "in", "not in", "is null", "is not null", "and", "or", "not"],
                    P._condition_value),
    **dict.fromkeys(["min", "max", "abs", "round", "floor", "ceil", "len", "coalesce"], P._call),
}
PythonCompiler.operators = PYTHON_OPERATORS
del P


def _merge(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(g for group in groups for g in group))


def _indent(lines: list[str]) -> list[str]:
    return ["    " + line for line in lines]


def _all(guards: tuple[str, ...]) -> str:
    return " and ".join(guards)


def _guarded(code: str, guards: tuple[str, ...]) -> str:
    return f"({code} if {_all(guards)} else None)" if guards else code


def _guarded_bool(condition: str, guards: tuple[str, ...]) -> str:
    return f"({_all(guards)} and {condition})" if guards else f"({condition})"


def _join(operator: str, parts: list[str]) -> str:
    return "(" + operator.join(parts) + ")" if len(parts) > 1 else parts[0]


def compile_program(program: Program, make_offer: MakeOffer) -> Decide:
    """The generated ``decide(c, check=False)``; its ``source`` attribute holds the code."""
    return PythonCompiler(program, make_offer).build()
