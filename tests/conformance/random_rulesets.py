"""Random rule files drawn from the rule language's grammar, and random customers for them.

:func:`rulesets` draws a whole rule file (YAML text) that loads: derived facts of every type with
and without a default, constants, decision tables of every hit policy, rules with ``when`` trees,
arithmetic and functions, ``set`` effects that later units read, tags, groups, priorities, offers
with computed amounts, grants over an access matrix and points. It respects the rules the language
imposes by design instead of filtering: a fact has one setter (one rule, one table, or the rules
of one group), a unit reads only facts whose setters come before it (no cycles), and every value
fits its fact's type. A drawn file that does not load is a bug of this module or of the loader.

:func:`customers` draws customers for a drawn file as CSV text cells, like the conformance cases:
nulls, each threshold the file compares an input with and its neighbours, exact ties
(``a == b * k`` for a relation the file states), the largest magnitudes the number contract allows
and, when asked, invalid cells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml
from hypothesis import strategies as st

from marketing_rules.expressions.numbers import LIMIT, quantize
from marketing_rules.model.schema import TELECOM_CUSTOMER, FactSpec

INPUTS: dict[str, FactSpec] = {spec.name: spec for spec in TELECOM_CUSTOMER if spec.name != "id"}
NUMERIC = ("integer", "number")
WORDS = ("alpha", "beta", "gamma", "delta", "omega")
TEXTS = ("gotone-128", "pop-58", "basic-38", "")
SERVICES = {"lounge": "restricted", "golf": "semi-open", "mall": "open"}
MODES = ("free", "paid", "prestore", "trial")
BIGGEST_NUMBER = "999999999999999999.9999999999"


@dataclass
class Fact:
    """A fact an expression can read: its type, and for an enum its values."""

    name: str
    type: str
    values: tuple[str, ...] = ()


@dataclass
class Drawn:
    """A drawn rule file with what its customers should be drawn around."""

    text: str
    data: dict[str, Any]
    thresholds: dict[str, set[Decimal]] = field(default_factory=dict)  # input fact -> compared values
    ties: list[tuple[str, str, str, Decimal]] = field(default_factory=list)  # (a, b, op, k): a vs b op k
    texts: set[str] = field(default_factory=set)  # text literals compared with `package`


def dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=1000)


def literal_text(value: int | Decimal) -> str:
    """A number as the rule language writes it: digits, or digits.digits."""
    if isinstance(value, int):
        return str(value)
    text = format(value, "f")
    return text if "." in text else text + ".0"


class _Builder:
    """Draws one rule file step by step, keeping the setters and readers of every fact in order."""

    def __init__(self, draw: Any):
        self.draw = draw
        self.readable: list[Fact] = [Fact(s.name, s.type, s.values) for s in INPUTS.values()]
        self.facts: dict[str, dict[str, Any]] = {}
        self.constants: dict[str, Any] = {}
        self.tables: list[dict[str, Any]] = []
        self.rules: list[dict[str, Any]] = []
        self.drawn = Drawn("", {})
        self.count = 0

    # -- small draws -------------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.draw(st.integers(0, 999)) < p * 1000

    def pick(self, items: Any) -> Any:
        return self.draw(st.sampled_from(list(items)))

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def of_type(self, *types: str) -> list[Fact]:
        return [f for f in self.readable if f.type in types]

    # -- literals ----------------------------------------------------------------------------
    def integer(self) -> int:
        size = self.pick([3, 3, 3, 4, 6, 9, 18])
        if size == 18:
            return self.pick([LIMIT, 10**17, 999_999_999_999_999_999])
        return self.draw(st.integers(0, 10**size))

    def decimal(self) -> Decimal:
        places = self.pick([1, 2, 2, 2, 3, 10])
        size = self.pick([2, 3, 3, 5, 17])
        value = Decimal(self.draw(st.integers(0, 10 ** (size + places)))).scaleb(-places)
        return value if value else Decimal("0.5")

    def number_literal(self, kind: str) -> int | Decimal:
        return self.integer() if kind == "integer" or self.chance(0.3) else self.decimal()

    def ratio(self) -> Decimal:
        return Decimal(self.pick(["0.8", "3", "1.25", "0.5", "0.3333333333", "1.1", "2", "0.07"]))

    def constant(self, value: Any) -> str:
        name = self.name("k")
        self.constants[name] = value
        return name

    def number_text(self, kind: str, fact: str | None = None) -> str:
        """A literal (sometimes a constant) for an expression of ``kind``; recorded as a threshold of ``fact``."""
        value = self.number_literal(kind)
        negative = self.chance(0.1)
        if fact is not None:
            self.drawn.thresholds.setdefault(fact, set()).add(-Decimal(value) if negative else Decimal(value))
        if isinstance(value, int) and not negative and self.chance(0.15):
            return self.constant(value)
        text = literal_text(value)
        return f"-{text}" if negative else text

    # -- numeric expressions -----------------------------------------------------------------
    def numeric(self, kind: str, depth: int = 2) -> str:
        """An expression of type integer (``kind == 'integer'``) or integer-or-number."""
        leaves = self.of_type("integer") if kind == "integer" else self.of_type(*NUMERIC)
        if depth <= 0 or self.chance(0.35):
            if leaves and self.chance(0.7):
                return self.pick(leaves).name
            return self.number_text(kind)
        choice = self.pick(["arith", "arith", "arith", "function", "neg"] if kind == "integer" else
                           ["arith", "arith", "arith", "divide", "function", "neg"])
        if choice == "neg":
            return f"-({self.numeric(kind, depth - 1)})"
        if choice == "divide":
            return f"({self.numeric('number', depth - 1)} / {self.numeric('number', depth - 1)})"
        if choice == "arith":
            op = self.pick(["+", "-", "*", "%", "+", "*"])
            return f"({self.numeric(kind, depth - 1)} {op} {self.numeric(kind, depth - 1)})"
        return self.function(kind, depth - 1)

    def function(self, kind: str, depth: int) -> str:
        name = self.pick(["min", "max", "abs", "round", "round2", "floor", "ceil", "coalesce", "len"])
        if name in ("min", "max", "coalesce"):
            args = [self.numeric(kind, depth) for _ in range(self.pick([2, 2, 3]))]
            return f"{name}({', '.join(args)})"
        if name == "abs":
            return f"abs({self.numeric(kind, depth)})"
        if name == "round2" and kind != "integer":
            return f"round({self.numeric('number', depth)}, {self.pick([0, 1, 2, 2, 4, 10, -1])})"
        if name == "len":
            sized = self.of_type("string", "list")
            return f"len({self.pick(sized).name})" if sized else "len(package)"
        name = "round" if name == "round2" else name
        return f"{name}({self.numeric('number', depth)})"

    # -- conditions --------------------------------------------------------------------------
    def condition(self, depth: int = 1) -> str:
        if depth > 0 and self.chance(0.3):
            op = self.pick(["and", "or", "not"])
            if op == "not":
                return f"not ({self.condition(depth - 1)})"
            return f"({self.condition(depth - 1)}) {op} ({self.condition(depth - 1)})"
        return self.pick([self.comparison, self.comparison, self.comparison, self.tie, self.membership,
                          self.null_test, self.flag])()

    def comparison(self) -> str:
        op = self.pick(["<", "<=", ">", ">=", "==", "!="])
        fact = self.pick(self.of_type(*NUMERIC))
        if self.chance(0.7):
            threshold = self.number_text(fact.type, fact.name if fact.name in INPUTS else None)
            return f"{fact.name} {op} {threshold}"
        return f"{self.numeric(fact.type, 2)} {op} {self.numeric('number', 1)}"

    def tie(self) -> str:
        """``a op b * k`` (or ``b / k``) between two numeric inputs: customers sit exactly on it."""
        a, b = self.pick(sorted(n for n in INPUTS if INPUTS[n].type in NUMERIC)), self.pick(
            sorted(n for n in INPUTS if INPUTS[n].type in NUMERIC))
        k, how = self.ratio(), self.pick(["*", "/"])
        self.drawn.ties.append((a, b, how, k))
        return f"{a} {self.pick(['<', '<=', '>', '>=', '==', '!='])} {b} {how} {literal_text(k)}"

    def membership(self) -> str:
        facts = self.of_type("enum", "string", "integer") + self.of_type("list")
        fact = self.pick(facts)
        negated = "not in" if self.chance(0.3) else "in"
        if fact.type == "list":
            return f"{self.pick(self.of_type('integer')).name} {negated} {fact.name}"
        if fact.type == "enum":
            items = [self.enum_word(v) for v in self.draw(st.lists(st.sampled_from(fact.values), min_size=1,
                                                                   max_size=3, unique=True))]
            if self.chance(0.2):
                name = self.constant([i.strip("'") for i in items])
                return f"{fact.name} {negated} {name}"
        elif fact.type == "string":
            items = [f"'{self.text()}'" for _ in range(self.pick([1, 2]))]
        else:
            items = [self.number_text("integer", fact.name if fact.name in INPUTS else None)
                     for _ in range(self.pick([1, 2, 3]))]
        if self.chance(0.3):
            items.append("null")
        return f"{fact.name} {negated} [{', '.join(items)}]"

    def text(self) -> str:
        word = self.pick(TEXTS[:-1])
        self.drawn.texts.add(word)
        return word

    def enum_word(self, value: str) -> str:
        return f"'{value}'" if value[0].isdigit() or self.chance(0.2) else value

    def null_test(self) -> str:
        return f"{self.pick(self.readable).name} is {'not ' if self.chance(0.5) else ''}null"

    def flag(self) -> str:
        facts = self.of_type("boolean", "enum", "string")
        fact = self.pick(facts)
        if fact.type == "boolean":
            return self.pick([fact.name, f"{fact.name} == {self.pick(['true', 'false'])}", f"not {fact.name}"])
        if fact.type == "enum":
            return f"{fact.name} {self.pick(['==', '!='])} {self.enum_word(self.pick(fact.values))}"
        return f"{fact.name} {self.pick(['==', '!='])} '{self.text()}'"

    def when(self, depth: int = 2) -> Any:
        if depth > 0 and self.chance(0.4):
            key = self.pick(["all", "any", "not"])
            if key == "not":
                return {"not": self.when(depth - 1)}
            return {key: [self.when(depth - 1) for _ in range(self.pick([1, 2, 3]))]}
        return self.condition()

    # -- values of a fact's type ---------------------------------------------------------------
    def value(self, fact: dict[str, Any]) -> Any:
        kind = fact["type"]
        if kind in NUMERIC:
            return self.numeric(kind)
        if kind == "boolean":
            return self.pick([True, False]) if self.chance(0.4) else self.condition(0)
        if kind == "enum":
            return self.enum_word(self.pick(fact["values"]))
        if kind == "string":
            strings = self.of_type("string")
            return self.pick(strings).name if strings and self.chance(0.4) else f"'{self.text()}'"
        items = [self.number_text("integer") for _ in range(self.pick([0, 1, 2, 3]))]
        return f"[{', '.join(items)}]"

    def default(self, kind: str, values: tuple[str, ...]) -> Any:
        if kind == "integer":
            return self.integer()
        if kind == "number":
            return float(self.pick([Decimal("1.5"), Decimal("5"), Decimal("0.1"), Decimal("12345.67")]))
        if kind == "boolean":
            return self.pick([True, False])
        if kind == "enum":
            return self.pick(values)
        return self.text()

    def declare(self, kind: str | None = None) -> dict[str, Any]:
        kind = kind or self.pick(["integer", "number", "number", "boolean", "enum", "enum", "string", "list"])
        name = self.name("f")
        fact: dict[str, Any] = {"type": kind}
        values: tuple[str, ...] = ()
        if kind == "enum":
            values = tuple(self.draw(st.lists(st.sampled_from(WORDS), min_size=2, max_size=4, unique=True)))
            fact["values"] = list(values)
        if kind != "list" and self.chance(0.4):
            fact["default"] = self.default(kind, values)
        self.facts[name] = fact
        return {"name": name, **fact, "values": values}

    def publish(self, *facts: dict[str, Any]) -> None:
        """Facts whose setters are all written: later units may read them."""
        self.readable += [Fact(f["name"], f["type"], f["values"]) for f in facts]

    # -- tables --------------------------------------------------------------------------------
    def table(self) -> None:
        hit = self.pick(["first", "unique", "priority", "collect", "collect"])
        table: dict[str, Any] = {"id": self.name("t"), "hit": hit}
        aggregate = self.pick([None, "sum", "min", "max", "count"]) if hit == "collect" else None
        if aggregate:
            table["aggregate"] = aggregate
        if self.chance(0.3):
            table["priority"] = self.draw(st.integers(-2, 5))
        inputs = [self.table_input() for _ in range(self.pick([1, 1, 2, 3]))]
        outputs = self.table_outputs(hit, aggregate)
        table["inputs"] = [text for text, _ in inputs]
        table["outputs"] = [o["name"] for o in outputs]
        rows = []
        for _ in range(self.pick([1, 2, 3, 4, 5])):
            cells = [self.cell(kind, fact) for _, (kind, fact) in inputs]
            rows.append(cells + [self.output_cell(o, hit == "collect") for o in outputs])
        table["rows"] = rows
        self.tables.append(table)
        self.publish(*outputs)

    def table_input(self) -> tuple[str, tuple[Fact, str | None]]:
        """An input expression, with the fact whose type its cells test (and whose thresholds they are)."""
        fact = self.pick(self.readable)
        if fact.type in NUMERIC and self.chance(0.25):
            return self.numeric("number", 1), (Fact("", "number"), None)
        if fact.type == "list":
            return f"len({fact.name})", (Fact("", "integer"), None)
        return fact.name, (fact, fact.name if fact.name in INPUTS else None)

    def table_outputs(self, hit: str, aggregate: str | None) -> list[dict[str, Any]]:
        if hit == "collect" and aggregate is None:
            first = self.declare("list")
        elif aggregate == "count":
            first = self.declare("integer")
        elif aggregate:
            first = self.declare(self.pick(NUMERIC))
        elif hit == "priority":
            first = self.declare("enum")
        else:
            first = self.declare()
        outputs = [first]
        if self.chance(0.3):
            outputs.append(self.declare("list" if hit == "collect" and not aggregate else
                                        self.pick(NUMERIC) if aggregate in ("sum", "min", "max") else
                                        "integer" if aggregate else None))
        return outputs

    def output_cell(self, fact: dict[str, Any], collect: bool) -> str:
        if collect and fact["type"] == "list":  # the table gathers the cells' values
            return self.pick([self.numeric("number", 1), f"'{self.text()}'", self.number_text("integer")])
        value = self.value(fact)
        return value if isinstance(value, str) else str(value).lower()

    def cell(self, fact: Fact, threshold_of: str | None) -> str:
        if self.chance(0.25):
            return "-"
        tests = [self.unary(fact, threshold_of) for _ in range(self.pick([1, 1, 1, 2, 3]))]
        text = ", ".join(tests)
        return f"not({text})" if self.chance(0.15) else text

    def unary(self, fact: Fact, threshold_of: str | None) -> str:
        if fact.type == "enum":
            return self.enum_word(self.pick(fact.values))
        if fact.type == "boolean":
            return self.pick(["true", "false"])
        if fact.type == "string":
            return f"'{self.text()}'"
        kind = fact.type
        form = self.pick(["value", "compare", "compare", "range"])
        if form == "value":
            return self.number_text(kind, threshold_of)
        if form == "compare":
            return f"{self.pick(['<', '<=', '>', '>=', '==', '!='])} {self.number_text(kind, threshold_of)}"
        low, high = sorted([self.number_literal(kind), self.number_literal(kind)], key=Decimal)
        for end in (low, high):
            if threshold_of:
                self.drawn.thresholds.setdefault(threshold_of, set()).add(Decimal(end))
        return f"{self.pick('[(')}{literal_text(low)}..{literal_text(high)}{self.pick('])')}"

    # -- rules ---------------------------------------------------------------------------------
    def rule(self, group: str | None = None, sets: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        rule: dict[str, Any] = {"id": self.name("r")}
        if self.chance(0.4):
            rule["priority"] = self.draw(st.integers(-2, 5))
        if group:
            rule["group"] = group
        if self.chance(0.85):
            rule["when"] = self.when()
        then: dict[str, Any] = {}
        if sets:
            then["set"] = {f["name"]: self.value(f) for f in sets}
        if self.chance(0.4):
            then["tag"] = self.pick([self.name("tag-"), [self.name("tag-"), "shared"]])
        if self.chance(0.35):
            then["offer"] = self.offer()
        if self.chance(0.25):
            then["grant"] = {"service": self.pick(SERVICES), "mode": self.pick(MODES)}
        if self.chance(0.3):
            amount = self.numeric(self.pick(NUMERIC), 1)
            then["award"] = {"points": amount} if self.chance(0.5) else amount
        if not then:
            then["tag"] = self.name("tag-")
        rule["then"] = then
        self.rules.append(rule)
        return rule

    def offer(self) -> dict[str, Any]:
        rewards = [{"bill_credit": {"amount": self.numeric("number", 1), "months": self.pick([1, 3, 12])}}]
        if self.chance(0.4):
            rewards.append({"voucher": {"amount": self.numeric("integer", 1), "merchant": "mall"}})
        offer: dict[str, Any] = {"rewards": rewards}
        if self.chance(0.3):
            offer["requires"] = [{"upgrade": {"to": self.pick(["gotone-128", "gotone-188"])}}]
            self.drawn.thresholds.setdefault("package_fee", set()).update({Decimal(128), Decimal(188)})
        return offer

    def rules_block(self) -> None:
        """One rule setting fresh facts, or several rules of one group setting the same facts."""
        facts = [self.declare() for _ in range(self.pick([0, 1, 1, 2]))]
        if self.chance(0.35):
            group = self.name("g")
            for _ in range(self.pick([2, 3])):
                self.rule(group, facts)
        else:
            self.rule(self.pick([None, None, "shared-group"]), facts)
        self.publish(*facts)

    def access(self) -> dict[str, Any] | None:
        by = self.pick(self.of_type("enum"))
        matrix: dict[str, Any] = {"by": by.name}
        for value in by.values:
            if self.chance(0.7):
                matrix[value] = {cls: self.pick([self.pick(MODES), sorted({self.pick(MODES), self.pick(MODES)})])
                                 for cls in set(SERVICES.values()) if self.chance(0.6)}
        return matrix

    def build(self) -> Drawn:
        for _ in range(self.pick([2, 3, 4, 5, 6, 8])):
            self.table() if self.chance(0.4) else self.rules_block()
        data: dict[str, Any] = {"ruleset": "random", "version": "1.0.0"}
        if self.constants:
            data["constants"] = self.constants
        if self.facts:
            data["facts"] = self.facts
        data["packages"] = {"gotone-128": {"fee": 128}, "gotone-188": {"fee": 188}}
        if self.tables:
            data["tables"] = self.tables
        if self.rules:
            data["rules"] = self.rules
        data["services"] = {name: {"class": cls} for name, cls in SERVICES.items()}
        if self.chance(0.6):
            data["access"] = self.access()
        self.drawn.data = data
        self.drawn.text = dump(data)
        return self.drawn


@st.composite
def rulesets(draw: Any) -> Drawn:
    """A whole rule file that loads, with its thresholds and ties."""
    return _Builder(draw).build()


# -- customers --------------------------------------------------------------------------------------
INVALID = {
    "integer": ["abc", "1e1", "1_000", "12.5", " 7", "1000000000000000001", "9223372036854775807", "-1"],
    "number": ["abc", "1e1", "NaN", "inf", "1000000000000000000", "-0.5", "1_0.5", "12,5"],
    "boolean": ["True ", "yes", "2", "maybe"],
    "enum": ["platinum", "GOLD", " gold"],
    "string": [],
}


def _number_cell(value: Decimal, kind: str) -> str:
    if kind == "integer":
        return str(int(value))
    text = format(quantize(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _in_range(spec: FactSpec, value: Decimal) -> bool:
    low = Decimal(str(spec.ge)) if spec.ge is not None else -Decimal(LIMIT)
    high = Decimal(str(spec.le)) if spec.le is not None else Decimal(LIMIT)
    if spec.type == "number":
        high = min(high, Decimal(BIGGEST_NUMBER))
        low = max(low, -Decimal(BIGGEST_NUMBER))
    return low <= value <= high and (spec.type != "integer" or value == value.to_integral_value())


@st.composite
def customers(draw: Any, drawn: Drawn, size: int = 12, invalid: float = 0.0) -> list[dict[str, str]]:
    """``size`` customers for ``drawn``, as text cells (an absent key is an empty cell, null); each
    customer has one invalid cell with probability ``invalid``."""
    people = []
    for n in range(size):
        customer: dict[str, str] = {"id": str(n + 1)}
        for name, spec in INPUTS.items():
            cell = draw(_cell(spec, drawn))
            if cell is not None:
                customer[name] = cell
        for a, b, how, k in drawn.ties:
            if b in customer and draw(st.integers(0, 2)) == 0:
                tied = _tie(customer[b], how, k, INPUTS[a])
                if tied is not None:
                    customer[a] = tied
        if draw(st.integers(0, 999)) >= 1000 - invalid * 1000:  # (hypothesis starts from 0: valid)
            name = draw(st.sampled_from(sorted(n for n in INPUTS if INVALID[INPUTS[n].type])))
            customer[name] = draw(st.sampled_from(INVALID[INPUTS[name].type]))
        people.append(customer)
    return people


def _tie(source: str, how: str, k: Decimal, spec: FactSpec) -> str | None:
    try:
        value = Decimal(source)
    except ArithmeticError:
        return None
    if not value.is_finite():
        return None
    exact = quantize(value * k if how == "*" else value / k)
    if spec.type == "integer" and exact != exact.to_integral_value():
        return None
    return _number_cell(exact, spec.type) if _in_range(spec, exact) else None


def _cell(spec: FactSpec, drawn: Drawn) -> st.SearchStrategy[str | None]:
    @st.composite
    def draw_cell(draw: Any) -> str | None:
        if draw(st.integers(0, 4)) == 4:
            return None
        if spec.type == "boolean":
            return draw(st.sampled_from(["true", "false"]))
        if spec.type == "enum":
            return draw(st.sampled_from(spec.values))
        if spec.type == "string":
            return draw(st.sampled_from(sorted(drawn.texts | {"x"})))
        return draw(_number(spec, drawn.thresholds.get(spec.name, set())))

    return draw_cell()


@st.composite
def _number(draw: Any, spec: FactSpec, thresholds: set[Decimal]) -> str:
    grain = [Decimal(1)] if spec.type == "integer" else [Decimal("0.01"), Decimal("1E-10")]
    near = sorted(v for v in {t + d * g for t in thresholds for g in grain for d in (-1, 0, 1)} if _in_range(spec, v))
    extremes = [v for v in (Decimal(0), Decimal(LIMIT), -Decimal(LIMIT), Decimal(BIGGEST_NUMBER),
                            -Decimal(BIGGEST_NUMBER), Decimal(10**9), Decimal(2**31)) if _in_range(spec, v)]
    low = 1 if spec.name == "birthday_month" else (0 if spec.ge == 0 else -10**6)
    high = 12 if spec.name == "birthday_month" else 10**6
    places = 0 if spec.type == "integer" else draw(st.sampled_from([0, 2, 2, 10]))
    spread = Decimal(draw(st.integers(low * 10**places, high * 10**places))).scaleb(-places)
    roll = draw(st.integers(0, 9))
    if roll == 0 and extremes:
        return _number_cell(draw(st.sampled_from(extremes)), spec.type)
    if roll > 4 and near:
        return _number_cell(draw(st.sampled_from(near)), spec.type)
    return _number_cell(spread, spec.type)
