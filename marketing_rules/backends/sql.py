"""The SQL backend: a whole ruleset compiled into one query over a customers table.

The query is built as sqlglot expression trees, so every dialect sqlglot writes comes from the
same tree (``duckdb``, ``spark``, ``hive``, ``trino``, ``postgres``). Its shape, as common table
expressions one after the other:

``validated``
    each input column checked against the fact schema and cast to its fact's type; ``__error``
    holds every reason a row is rejected (``validation_sql``).
``stratum_<n>_shared`` (when needed), ``stratum_<n>_when``, ``stratum_<n>_then``, ``stratum_<n>``
    the agenda cut into strata, runs of it: a unit goes in the first stratum after every setter of
    what it reads, and not before the unit ahead of it in agenda order. ``_shared`` computes once
    each test that several of the stratum's rules have among their conditions' terms (``_shared``
    below). ``_when`` computes each
    rule's condition (``__when_<k>``, never null: a rule fires only when its condition is true) and
    each table's hit (``__hit_<k>``, the row number); ``_then`` decides which rules fire
    (``__fired_<k>``: within a group, only when no rule of the group before it in agenda order
    fired) and sets the derived facts (CASE over the setters). ``stratum_<n>`` passes on only what
    later strata read: the facts, the error columns, the fired columns read later (a group's rule
    before one of its group in a later stratum, a setter of a fact set again later, a grant), and
    the stratum's share of the decision: its fired and offers lists (``__s<n>_fired``,
    ``__s<n>_offers``), a flag per tag its rules give and its points. So no CTE carries a column
    per rule beyond its stratum, and the query grows linearly with the rules.
``access_modes`` (when needed)
    each service's modes.
``row_error`` (when a unit can fail)
    the row's error: invalid input, else the first error of a unit in agenda order. Each unit that
    can fail has error columns in its stratum (``__err0_<k>``: an overflow of its condition, tested
    whenever the unit is reached; ``__unique_<k>``; ``__err2_<k>``: an overflow of its effects,
    tested when it fires), holding the reason of the first overflow (``expressions/numbers.py``).
``decisions`` (the final SELECT)
    the decision of each row: derived facts, ``tags``, ``offers`` and ``fired`` as lists (the
    strata's lists concatenated, in firing order; within a stratum, array constructors with the
    nulls filtered out, and a run of one group's rules is one item, since at most one of them
    fires), ``access`` as a map of service to modes, ``points``, and ``error``. For the DuckDB
    batch (``labels``) the items are codes, positions in one constant list of every label cast
    to the labels enum once per list (a cast per item binds in time growing with the enum).

Because a unit only runs once every setter of what it reads has been decided, a derived fact has
its final value wherever it is read, and effects (offers, tags, points, access) are computed once,
at the end. What the SQL cannot express raises :class:`UnsupportedInSQL`.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar, cast

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from marketing_rules.analysis.index import FactCells, RuleIndex, TableIndex, rule_index, table_index
from marketing_rules.analysis.program import Expression, Grant, Program, Row, Rule, Table, Unit, cond_to_ast
from marketing_rules.backends.python import item_text
from marketing_rules.backends.sql_dialects import SQL_DIALECTS, exact
from marketing_rules.backends.sql_expressions import (
    BIGINT,
    NUM,
    TEXT,
    ExpressionCompiler,
    UnsupportedInSQL,
    paren,
    shape,
    sql_type,
    typed_null,
)
from marketing_rules.backends.sql_lists import SQLLists, list_of
from marketing_rules.backends.validation_sql import SourceKind, validated
from marketing_rules.expressions import ast
from marketing_rules.expressions.deep import deeply
from marketing_rules.expressions.numbers import INT_MAX, INT_MIN, LIMIT, overflow_reason
from marketing_rules.expressions.text import to_text
from marketing_rules.expressions.types import BOOLEAN, INTEGER, NUMBER, Type

_NOWHERE = (0, 0)  # where a node the compiler builds stands in the rule file: nowhere

DIALECTS = ("duckdb", "spark", "hive", "trino", "postgres")
ERROR = "__error"
ROW_ERROR = "__row_error"

__all__ = ["DIALECTS", "SQLCompiler", "UnsupportedInSQL", "compile_sql", "gc_paused", "label_values", "sql_text",
           "to_sql"]


E = TypeVar("E", bound=exp.Expression)


def dialect_of(name: str) -> type[Dialect]:
    if name not in DIALECTS:
        raise ValueError(f"unknown SQL dialect {name!r}; the dialects are {', '.join(DIALECTS)}")
    return SQL_DIALECTS[name]


@dataclass
class Stratum:
    number: int
    units: list[Unit] = field(default_factory=list)


@dataclass
class Indexes:
    """The strata and tables a DuckDB batch decides through their per-fact index (``analysis/index.py``,
    ``batch/indexed.py``): strata of at least ``from_rules`` rules, all indexable, that give only
    offers and tags; first-hit and priority tables of at least ``from_rules`` indexable rows. The
    compiler puts each one's index in ``found`` under its function's name."""

    from_rules: int
    found: dict[str, RuleIndex | TableIndex] = field(default_factory=dict)
    codes: dict[str, int] = field(default_factory=dict)  # the compiler's label codes, for the functions
    tag_names: list[str] = field(default_factory=list)  # the compiler's tags: a function gives their indexes


class SQLCompiler:
    """Compiles a Program to one SELECT (a sqlglot tree) over ``table``."""

    def __init__(self, program: Program, *, table: str = "customers",
                 source: Mapping[str, SourceKind] | None = None, dialect: str = "duckdb",
                 order_by: tuple[str, ...] = (), labels: str | None = None, indexes: Indexes | None = None):
        self.program = program
        self.indexes = indexes if labels is not None and dialect == "duckdb" else None
        self.labels = exp.DataType.build(labels, udt=True) if labels else None
        # with labels, a list item is the 1-based code of its text in label_values (one cast per list)
        self.label_texts = label_values(program) if labels else []
        self.codes = {text: n for n, text in enumerate(self.label_texts, 1)}
        self.item = _CODE if labels else TEXT
        self.table = table
        self.order_by = order_by
        self.source = source
        self.lists = SQLLists(dialect)
        dialect_of(dialect)  # an unknown dialect is named
        self.dialect = exact(dialect)
        self.facts = ExpressionCompiler(program.fact_types, lambda name: exp.column(name, quoted=True), dialect)
        self.index = {id(unit): k for k, unit in enumerate(program.units)}
        self.level: dict[int, int] = {}
        self.fired: dict[int, exp.Expression] = {}  # rule index -> its fired column
        self.hits: dict[int, exp.Expression] = {}  # table index -> hit row column (first/unique/priority)
        self.row_hits: dict[tuple[int, int], exp.Expression] = {}  # (collect table, row) -> condition column
        self.errors: list[tuple[int, int, str]] = []  # (unit, order within it, column): overflows, unique
        self.groups: dict[str, list[Rule]] = {}  # group -> its rules, in agenda order
        self.setters: dict[str, list[tuple[int, Expression]]] = {}  # fact -> (rule index, value), agenda order
        for k, unit in enumerate(program.units):
            if isinstance(unit, Rule):
                if unit.group is not None:
                    self.groups.setdefault(unit.group, []).append(unit)
                for name, expression in unit.sets:
                    self.setters.setdefault(name, []).append((k, expression))
        self.late: set[int] = set()  # rules whose fired column is read after their stratum
        self.carried: list[exp.Identifier] = []  # the columns a stratum passes on to the next
        self.parts: dict[str, list[str]] = {"fired": [], "offers": [], "points": []}  # per-stratum columns
        # an indexed stratum's fired column -> its own offers column (None: it gives no offers)
        self.own_offers: dict[str, str | None] = {}
        self.tag_flags: dict[str, list[str]] = {}  # tag -> its per-stratum flag columns
        self.tag_names = sorted({tag for unit in program.rules for tag in unit.tags})
        if self.indexes is not None:  # the functions of the indexed strata list what the compiler lists
            self.indexes.codes, self.indexes.tag_names = self.codes, self.tag_names
        self.point_numbers = any(self.facts.type_of(u.award.node) == NUMBER for u in program.rules if u.award)
        self.offer_codes = self._offer_codes()
        self.atoms: dict[Hashable, str] = {}  # the stratum's shared tests -> their column (_shared)

    # -- the query -------------------------------------------------------------------------------
    def compile(self) -> exp.Select:
        validated = self._validated()
        ctes: list[tuple[str, exp.Select]] = [("validated", validated)]
        self.carried = [e.args["alias"] if isinstance(e, exp.Alias) else e.this for e in validated.expressions]
        strata = self._strata()
        self._find_late()
        for stratum in strata:
            n = stratum.number
            index = self._index(stratum)
            if index is not None:
                ctes += self._indexed(stratum, index, ctes[-1][0])
                continue
            shared = self._shared(stratum, ctes[-1][0])
            if shared is not None:
                ctes.append((f"stratum_{n}_shared", shared))
            when, then, passed = self._stratum(stratum, ctes[-1][0])
            ctes += [(f"stratum_{n}_when", when), (f"stratum_{n}_then", then.from_(f"stratum_{n}_when", copy=False)),
                     (f"stratum_{n}", passed.from_(f"stratum_{n}_then", copy=False))]
        star = exp.Column(this=exp.Star())
        modes = self._modes_columns()
        if modes:
            ctes.append(("access_modes", exp.select(star, *modes, copy=False).from_(ctes[-1][0], copy=False)))
        if self.errors:  # the row's error, once: the first of the units' errors
            error = exp.alias_(self._first_error(), ROW_ERROR, copy=False)
            ctes.append(("row_error", exp.select(star, error, copy=False).from_(ctes[-1][0], copy=False)))
        query = self._decisions().from_(ctes[-1][0], copy=False)
        if self.order_by:  # the input's own order, where the engine may not keep it
            query = query.order_by(*(exp.column(c, quoted=True) for c in self.order_by), copy=False)
        for name, select in ctes:
            query = query.with_(name, as_=select, copy=False)
        return unshare(query)

    def _validated(self) -> exp.Select:
        program = self.program
        wanted = set().union(*(u.reads for u in program.units)) if program.units else set()
        if program.access is not None:
            wanted.add(program.access.by)
        facts, error = validated(program.schema, wanted - set(program.derived), self.source)
        columns = [exp.alias_(self._stored(f.name, f.value), f.name, quoted=True, copy=False) for f in facts]
        set_facts = set().union(*(u.writes for u in program.units)) if program.units else set()
        for name, kind in program.derived.items():
            if name not in set_facts:
                columns.append(exp.alias_(self._default(name, kind), name, quoted=True, copy=False))
        columns += [exp.column(c, quoted=True) for c in self.order_by]
        return exp.select(*columns, exp.alias_(error, ERROR, copy=False), copy=False).from_(exp.to_table(self.table), copy=False)

    def _stored(self, name: str, value: exp.Expression) -> exp.Expression:
        """A validated input fact as the query holds it (numbers as DECIMAL(28, 10))."""
        if self.program.fact_types.get(name) == NUMBER:
            return exp.TryCast(this=value, to=NUM)
        return value

    def _default(self, name: str, kind: Type) -> exp.Expression:
        from marketing_rules.backends.sql_expressions import literal

        value = self.program.defaults.get(name)
        if value is None:
            return typed_null(kind)
        return exp.cast(literal(value), sql_type(kind), copy=False)

    def _strata(self) -> list[Stratum]:
        """Runs of the agenda: each unit in the first stratum after every setter of what it reads, and
        not before the unit ahead of it (so a group's rules keep agenda order, and the strata's lists,
        concatenated, are in firing order)."""
        known: dict[str, int] = {}
        strata: dict[int, Stratum] = {}
        floor = 0
        for unit in self.program.units:
            level = max([known.get(fact, 0) for fact in unit.reads] + [floor])
            floor = self.level[id(unit)] = level
            strata.setdefault(level, Stratum(level + 1)).units.append(unit)
            for fact in unit.writes:
                known[fact] = max(known.get(fact, 0), level + 1)
        return [strata[k] for k in sorted(strata)]

    def _find_late(self) -> None:
        """The rules whose fired column a later stratum reads: a group's rule before a rule of the group
        in a later stratum, a setter of a fact whose last setter is later, a grant (read by access)."""
        for members in self.groups.values():
            last = self.level[id(members[-1])]
            self.late.update(self.index[id(r)] for r in members if self.level[id(r)] < last)
        for setters in self.setters.values():
            last = max(self.level[id(self.program.units[k])] for k, _ in setters)
            self.late.update(k for k, _ in setters if self.level[id(self.program.units[k])] < last)
        self.late.update(self.index[id(unit)] for unit in self.program.rules if unit.grants)

    # -- one stratum ---------------------------------------------------------------------------
    def _stratum(self, stratum: Stratum, previous: str) -> tuple[exp.Select, exp.Select, exp.Select]:
        """The stratum's conditions (``_when``), what fires and the facts set (``_then``), and what it
        passes on: the facts, error columns, the fired columns read later, and its share of the lists."""
        when: list[exp.Expr] = []
        then: list[exp.Expr] = []
        for unit in stratum.units:
            k = self.index[id(unit)]
            if isinstance(unit, Rule):
                when.append(self._alias(self._condition(unit), f"__when_{k}"))
                then.append(self._alias(self._fired(unit, stratum), f"__fired_{k}"))
                self.fired[k] = exp.column(f"__fired_{k}")
                then.extend(self._rule_errors(unit, k, stratum))
            else:
                when.extend(self._table_when(unit, k))
                then.extend(self._table_then(unit, k))
                then.extend(self._table_errors(unit, k))
        for name in self._set_in(stratum):
            then.append(exp.alias_(self._fact_value(name, stratum), name, quoted=True, copy=False))
        kept = {f"__fired_{k}" for k in self.late} | {column for _, _, column in self.errors}
        new = [item.args["alias"] for item in then
               if item.alias in self.program.derived or item.alias in kept]
        when_select = exp.select(*self._carry(), *when, copy=False).from_(previous, copy=False)
        shares = self._shares(stratum)
        self.carried += new
        passed = exp.select(*self._carry(), *shares, copy=False)
        self.carried += [item.args["alias"] for item in shares]
        return when_select, exp.select(exp.Column(this=exp.Star()), *then, copy=False), passed

    def _index(self, stratum: Stratum) -> RuleIndex | None:
        """The stratum's per-fact index, when the batch asked for indexes and the stratum can have one:
        enough rules, only rules, none setting a fact, granting a service, awarding points or
        computing an offer's terms, none read by a later stratum, each group whole within it, every
        condition a conjunction of one-fact tests against literals (``analysis/index.py``)."""
        if self.indexes is None or len(stratum.units) < self.indexes.from_rules:
            return None
        rules = [u for u in stratum.units if isinstance(u, Rule)]
        if len(rules) < len(stratum.units) or any(
                r.sets or r.grants or r.award is not None or (r.offer is not None and (r.offer.computed or not self.offer_codes))
                or self.index[id(r)] in self.late for r in rules):
            return None
        if any(self.level[id(m)] != self.level[id(r)] for r in rules if r.group is not None for m in self.groups[r.group]):
            return None
        index = rule_index(self.program, rules)
        return index if index is not None and index.facts else None

    def _indexed(self, stratum: Stratum, index: RuleIndex, previous: str) -> list[tuple[str, exp.Select]]:
        """The stratum decided by its index's function over each row's cells: ``_cells`` (one per
        fact, but for the numbers the function places itself, exactly, from their values:
        ``FactCells.scaled``), ``_index`` (the function's fired codes, offers and tags) and the
        stratum's share."""
        assert self.indexes is not None
        n, name = stratum.number, index.name
        self.indexes.found[name] = index
        computed = [j for j, facts in enumerate(index.facts) if facts.scaled is None]
        cells = [self._alias(self._cell(index.facts[j]), f"__cell_{n}_{j}") for j in computed]
        call = self._index_call(name, index.facts, [exp.column(f"__cell_{n}_{j}") for j in computed])
        result = exp.column(f"__index_{n}")
        shares = [self._alias(_field(result, "fired"), f"__s{n}_fired")]
        self.parts["fired"].append(f"__s{n}_fired")
        offers = any(rule.offer is not None for rule in index.rules)
        if offers:
            shares.append(self._alias(_field(result, "offers"), f"__s{n}_offers"))
        self.own_offers[f"__s{n}_fired"] = f"__s{n}_offers" if offers else None
        for tag in sorted({tag for rule in index.rules for tag in rule.tags}):
            code = self.tag_names.index(tag)
            found = exp.Anonymous(this="LIST_CONTAINS", expressions=[
                _field(result, "tags"), exp.Literal.number(code)])
            shares.append(self._alias(found, f"__s{n}_tag_{code}"))
            self.tag_flags.setdefault(tag, []).append(f"__s{n}_tag_{code}")
        star = exp.Column(this=exp.Star())
        ctes = [(f"stratum_{n}_cells", exp.select(*self._carry(), *cells, copy=False).from_(previous, copy=False)),
                (f"stratum_{n}_index", exp.select(star, self._alias(call, f"__index_{n}"), copy=False)
                 .from_(f"stratum_{n}_cells", copy=False)),
                (f"stratum_{n}", exp.select(*self._carry(), *shares, copy=False).from_(f"stratum_{n}_index", copy=False))]
        self.carried += [item.args["alias"] for item in shares]
        return ctes

    def _index_call(self, name: str, facts: Sequence[FactCells], cells: list[exp.Expression]) -> exp.Expression:
        """The call of an index's function: the cells computed in SQL (``cells``, those of the facts
        without ``scaled`` points), and the numbers, which the function places itself."""
        numbers = [exp.cast(self.facts.value(ast.FactRef(_NOWHERE, f.fact)), _DECIMAL.copy())
                   for f in facts if f.scaled is not None]
        return exp.Anonymous(this=name, expressions=[_typed_list(cells, "INTEGER[]"), _typed_list(numbers, "DECIMAL(38, 10)[]")])

    def _cell(self, facts: FactCells) -> exp.Expression:
        """A row's cell of the fact (``analysis/index.py``), by the fact's own comparisons: a search
        over the sorted points when the fact is ordered, else the point it equals."""
        fact = ast.FactRef(_NOWHERE, facts.fact)
        case = exp.Case().when(self.facts.truth(ast.IsNull(_NOWHERE, fact, False)), exp.Literal.number(0), copy=False)
        if facts.ordered:
            return case.else_(self._search(fact, facts.points, 0, len(facts.points)), copy=False)
        for j, point in enumerate(facts.points):
            case = case.when(self.facts.truth(ast.Compare(_NOWHERE, "==", fact, point)), exp.Literal.number(2 + j), copy=False)
        return case.else_(exp.Literal.number(1), copy=False)

    def _search(self, fact: ast.FactRef, points: Sequence[ast.Expr], low: int, high: int) -> exp.Expression:
        """The cell of a value known to lie above ``points[low - 1]`` and below ``points[high]``."""
        if low == high:
            return exp.Literal.number(1 + 2 * low)
        mid = (low + high) // 2
        return (exp.Case()
                .when(self.facts.truth(ast.Compare(_NOWHERE, "<", fact, points[mid])), self._search(fact, points, low, mid), copy=False)
                .when(self.facts.truth(ast.Compare(_NOWHERE, "==", fact, points[mid])), exp.Literal.number(2 + 2 * mid), copy=False)
                .else_(self._search(fact, points, mid + 1, high), copy=False))

    def _shared(self, stratum: Stratum, previous: str) -> exp.Select | None:
        """The tests that two or more of the stratum's rules have among the terms of their conditions
        (``status == active`` in most rules), each computed once per row into ``__shared_<n>_<i>``,
        which the conditions then read (``_condition``). None when no test is shared."""
        rules: dict[Hashable, tuple[ast.Expr, set[int]]] = {}
        for unit in stratum.units:
            if isinstance(unit, Rule) and unit.when is not None:
                for term in ast.conjuncts(cond_to_ast(unit.when)):
                    if not isinstance(term, (ast.Literal, ast.ConstRef, ast.FactRef)):
                        rules.setdefault(shape(term), (term, set()))[1].add(id(unit))
        self.atoms = {}
        columns: list[exp.Expr] = []
        for key, (term, users) in rules.items():
            if len(users) > 1:
                name = f"__shared_{stratum.number}_{len(columns)}"
                columns.append(self._alias(self.facts.truth(term), name))
                self.atoms[key] = name
        if not columns:
            return None
        return exp.select(*self._carry(), *columns, copy=False).from_(previous, copy=False)

    def _carry(self) -> list[exp.Column]:
        return [exp.column(ident.copy()) for ident in self.carried]

    def _shares(self, stratum: Stratum) -> list[exp.Expr]:
        """The stratum's share of the decision: its fired and offers lists (in firing order), a flag per
        tag its rules give, and its points."""
        n = stratum.number
        rules = [(self.index[id(u)], u) for u in stratum.units if isinstance(u, Rule)]
        columns: list[exp.Expr] = []
        fired = self._fired_items(stratum.units)
        offers = [] if self.offer_codes else self._rule_items([(k, u, u.offer.id) for k, u in rules if u.offer is not None])
        for part, items in (("fired", fired), ("offers", offers)):
            if items:
                columns.append(self._alias(self.lists.compact(items, self.item), f"__s{n}_{part}"))
                self.parts[part].append(f"__s{n}_{part}")
        by_tag: dict[str, list[exp.Expression]] = {}
        for k, unit in rules:
            for tag in unit.tags:
                by_tag.setdefault(tag, []).append(self.fired[k])
        for tag, flags in sorted(by_tag.items()):
            name = f"__s{n}_tag_{self.tag_names.index(tag)}"
            columns.append(self._alias(exp.or_(*flags, copy=False) if len(flags) > 1 else flags[0], name))
            self.tag_flags.setdefault(tag, []).append(name)
        terms = self._point_terms([(k, u) for k, u in rules if u.award is not None])
        if terms:
            columns.append(self._alias(_sum(terms), f"__s{n}_points"))
            self.parts["points"].append(f"__s{n}_points")
        return columns

    @staticmethod
    def _alias(value: exp.Expr, name: str) -> exp.Expr:
        return exp.alias_(value, name, copy=False)

    def _condition(self, rule: Rule) -> exp.Expression:
        if rule.when is None:
            return exp.true()
        self.facts.shared = self.atoms
        try:
            return _is_true(self.facts.truth(cond_to_ast(rule.when)))
        finally:
            self.facts.shared = {}

    def _fired(self, rule: Rule, stratum: Stratum) -> exp.Expr:
        """The rule fires when its condition holds and no earlier rule of its group fired."""
        own = exp.column(f"__when_{self.index[id(rule)]}")
        if rule.group is None:
            return own
        blockers: list[exp.Expression] = []
        for other in self.groups[rule.group]:
            if other is rule:
                break
            k = self.index[id(other)]
            same = self.level[id(other)] == self.level[id(rule)]
            blockers.append(exp.column(f"__when_{k}" if same else f"__fired_{k}"))
        if not blockers:
            return own
        return exp.and_(own, exp.Not(this=paren(_or(blockers))), copy=False)

    def _set_in(self, stratum: Stratum) -> list[str]:
        """The facts set by rules whose last setter is in this stratum (their value is final there)."""
        units = self.program.units
        return [name for name, setters in self.setters.items()
                if max(self.level[id(units[k])] for k, _ in setters) + 1 == stratum.number]

    def _fact_value(self, name: str, stratum: Stratum) -> exp.Expression:
        """A fact set by rules (one group): the value of the rule that fired, else the default."""
        case = exp.Case()
        for k, expression in self.setters[name]:
            case = case.when(self.fired[k], self._typed(name, expression), copy=False)
        return case.else_(self._default(name, self.program.derived[name]), copy=False)

    def _typed(self, name: str, expression: Expression) -> exp.Expression:
        """A value for fact ``name``, stored as input facts are (numbers as DECIMAL(28, 10))."""
        kind = self.program.derived[name]
        node = expression.node
        if kind == BOOLEAN or isinstance(node, ast.BOOLEAN_NODES):
            return self.facts.truth(node)
        if kind.kind == "list" and isinstance(node, ast.ListExpr) and not node.items:
            return exp.cast(exp.Array(expressions=[]), sql_type(kind), copy=False)
        if kind.kind == "list" and kind.item is None and isinstance(node, ast.ListExpr):
            return exp.Array(expressions=[self.facts.as_text(item) for item in node.items])
        if kind.kind == "list" and kind.item is None and isinstance(node, (ast.Literal, ast.ConstRef)) \
                and isinstance(node.value, tuple):
            return exp.Array(expressions=[exp.null() if v is None else exp.Literal.string(item_text(v)) for v in node.value])
        value = self.facts.value(node)
        if kind == NUMBER and self.facts.type_of(node) == INTEGER:  # beyond 10^18: an overflow (checked)
            return exp.TryCast(this=exp.cast(value, exp.DataType.build("DECIMAL(19, 0)"), copy=False), to=NUM)
        return value

    # -- overflows -------------------------------------------------------------------------------
    def _effects(self, unit: str, outputs: list[tuple[str, Expression]]) -> list[tuple[exp.Expression, str]]:
        """The overflow tests of values set into facts, in order: each value, then its fit in the fact."""
        checks: list[tuple[exp.Expression, str]] = []
        for name, expression in outputs:
            checks += self.facts.overflows(unit, [expression.node])
            node = expression.node
            if name and self.program.derived[name] == NUMBER and self.facts.type_of(node) == INTEGER and not _small(node):
                value = self.facts.value(expression.node)
                beyond = exp.GTE(this=exp.Abs(this=value), expression=exp.Literal.number(LIMIT))
                checks.append((beyond, overflow_reason("number", to_text(expression.node), unit)))
        return checks

    def _error_column(self, k: int, order: int, checks: Sequence[tuple[exp.Expr, str]]) -> list[exp.Expr]:
        """``__<order>err_<k>``: the reason of the first check that holds (none: no column)."""
        if not checks:
            return []
        case = exp.Case()
        for test, reason in checks:
            case = case.when(test, exp.Literal.string(reason), copy=False)
        column = f"__err{order}_{k}"
        self.errors.append((k, order, column))
        return [exp.alias_(case, column, copy=False)]

    def _rule_errors(self, rule: Rule, k: int, stratum: Stratum) -> list[exp.Expr]:
        checks: list[tuple[exp.Expr, str]] = []
        checks += self.facts.overflows(rule.id, [cond_to_ast(rule.when)] if rule.when is not None else [])
        effects = [*rule.sets, *(("", e) for e in (rule.offer.computed if rule.offer else ())),
                   *([("", rule.award)] if rule.award is not None else [])]
        fired = self._fired(rule, stratum)
        checks += [(exp.and_(fired, paren(test), copy=False), reason) for test, reason in self._effects(rule.id, effects)]
        return self._error_column(k, 0, checks)

    def _table_errors(self, table: Table, k: int) -> list[exp.Expr]:
        """Overflows of the row tests (every row, whenever the table is reached), then of the outputs
        of the rows that apply and of the aggregates."""
        columns = self._error_column(k, 0, self.facts.overflows(table.id, [row.condition() for row in table.rows]))
        checks: list[tuple[exp.Expr, str]] = []
        hit = None if table.hit == "collect" else self._hit_expression(table, k)
        for row in table.rows:
            applies = (self.row_hits[(k, row.number)] if hit is None
                       else exp.EQ(this=hit, expression=exp.Literal.number(row.number)))
            outputs = list(zip(table.outputs if hit is not None else [""] * len(table.outputs), row.outputs, strict=True))
            checks += [(exp.and_(applies, paren(test), copy=False), reason) for test, reason in self._effects(table.id, outputs)]
        if table.hit == "collect" and table.aggregate == "sum" and table.rows:
            for o, name in enumerate(table.outputs):
                checks += self._sum_check(table, k, o, name)
        if table.hit == "collect" and table.aggregate in ("min", "max") and table.rows:
            for o, name in enumerate(table.outputs):
                checks += self._pick_check(table, k, o, name)
        return columns + self._error_column(k, 2, checks)

    def _sum_check(self, table: Table, k: int, o: int, name: str) -> list[tuple[exp.Expression, str]]:
        kind = self.program.derived[name]
        total = self._collect_total(table, k, o, name)
        if kind == INTEGER:
            beyond: exp.Expression = exp.Not(this=exp.Between(this=total, low=exp.Literal.number(INT_MIN),
                                                             high=exp.Literal.number(INT_MAX)))
        else:
            beyond = exp.GTE(this=exp.Abs(this=total), expression=exp.Literal.number(LIMIT))
        return [(beyond, overflow_reason(kind.kind, to_text(table.rows[0].outputs[o].node), table.id))]

    def _pick_check(self, table: Table, k: int, o: int, name: str) -> list[tuple[exp.Expression, str]]:
        """The min or max of a number fact is an overflow when it is an integer of 10^18 or more in
        magnitude (a number value never is), named by the first row's cell as the sum's."""
        nodes = [row.outputs[o].node for row in table.rows]
        if self.program.derived[name] != NUMBER or not any(
                self.facts.type_of(n) == INTEGER and not _small(n) for n in nodes):
            return []
        wide = exp.DataType.build("DECIMAL(38, 10)")
        chosen = [exp.Case().when(self.row_hits[(k, row.number)], exp.cast(self.facts.value(n), wide, copy=False), copy=False)
                  for row, n in zip(table.rows, nodes, strict=True)]
        pick = exp.Least if table.aggregate == "min" else exp.Greatest
        picked = pick(this=chosen[0], expressions=chosen[1:], ignore_nulls=True) if len(chosen) > 1 else chosen[0]
        beyond = exp.GTE(this=exp.Abs(this=picked), expression=exp.Literal.number(LIMIT))
        return [(beyond, overflow_reason("number", to_text(nodes[0]), table.id))]

    # -- tables ----------------------------------------------------------------------------------
    def _row_condition(self, row: Row) -> exp.Expression:
        return _is_true(self.facts.truth(row.condition()))

    def _table_when(self, table: Table, k: int) -> list[exp.Expr]:
        if table.hit in ("collect", "unique"):
            columns: list[exp.Expr] = []
            for row in table.rows:
                columns.append(exp.alias_(self._row_condition(row), f"__row_{k}_{row.number}", copy=False))
                self.row_hits[(k, row.number)] = exp.column(f"__row_{k}_{row.number}")
            return columns
        rows = list(table.rows)
        if table.hit == "priority":  # the best-ranked matching row, earlier rows first among equals
            rows.sort(key=lambda row: (table.ranks[row.number - 1], row.number))
        self.hits[k] = exp.column(f"__hit_{k}")
        index = self._table_index(rows)
        if index is not None:  # the first row that holds, by the table's index
            call = self._index_call(index.name, index.facts, [self._cell(f) for f in index.facts if f.scaled is None])
            return [exp.alias_(call, f"__hit_{k}", copy=False)]
        case = exp.Case()
        for row in rows:
            case = case.when(self.facts.truth(row.condition()), exp.Literal.number(row.number), copy=False)
        return [exp.alias_(case if rows else exp.cast(exp.null(), BIGINT, copy=False), f"__hit_{k}", copy=False)]

    def _table_index(self, rows: list[Row]) -> TableIndex | None:
        """The index of a first-hit or priority table's rows (in the order they are tried), when the batch
        asked for indexes and the table has enough rows, each a conjunction of one-fact tests
        against literals (``analysis/index.py``)."""
        if self.indexes is None or len(rows) < self.indexes.from_rules:
            return None
        index = table_index(self.program, rows)
        if index is None or not index.facts:
            return None
        self.indexes.found[index.name] = index
        return index

    def _table_then(self, table: Table, k: int) -> list[exp.Expr]:
        if table.hit == "collect":
            return [exp.alias_(self._collect(table, k, o, name), name, quoted=True, copy=False)
                    for o, name in enumerate(table.outputs)]
        columns: list[exp.Expr] = []
        if table.hit == "unique":
            flags = [self.row_hits[(k, row.number)] for row in table.rows]
            hit = exp.Case()
            for row, flag in zip(table.rows, flags, strict=True):
                hit = hit.when(flag, exp.Literal.number(row.number), copy=False)
            columns.append(exp.alias_(hit if flags else exp.cast(exp.null(), BIGINT, copy=False), f"__hit_{k}", copy=False))
            columns.append(exp.alias_(self._unique_error(table, flags), f"__unique_{k}", copy=False))
            self.hits[k] = exp.column(f"__hit_{k}")
            self.errors.append((k, 1, f"__unique_{k}"))
        hit_now = self._hit_expression(table, k)
        for o, name in enumerate(table.outputs):
            values = [self._typed(name, row.outputs[o]) for row in table.rows]
            default = self._default(name, self.program.derived[name])
            if self.lists.dialect == "duckdb" and table.hit != "unique" and _texts(values) \
                    and [row.number for row in table.rows] == list(range(1, len(values) + 1)):
                none = exp.Is(this=hit_now.copy(), expression=exp.null())
                value = exp.Case().when(none, default, copy=False).else_(self.lists.at(self.lists.array(values), hit_now.copy()), copy=False)
            else:
                case = exp.Case(this=hit_now)
                for row, typed in zip(table.rows, values, strict=True):
                    case = case.when(exp.Literal.number(row.number), typed, copy=False)
                value = case.else_(default, copy=False)
            columns.append(exp.alias_(value, name, quoted=True, copy=False))
        return columns

    def _hit_expression(self, table: Table, k: int) -> exp.Expression:
        if table.hit != "unique":
            return exp.column(f"__hit_{k}")
        hit = exp.Case()
        for row in table.rows:
            hit = hit.when(self.row_hits[(k, row.number)], exp.Literal.number(row.number), copy=False)
        return hit

    def _unique_error(self, table: Table, flags: list[exp.Expression]) -> exp.Expression:
        if len(flags) < 2:
            return exp.cast(exp.null(), TEXT, copy=False)
        count = _sum([exp.Case().when(f, exp.Literal.number(1), copy=False).else_(exp.Literal.number(0), copy=False) for f in flags])
        rows = exp.ConcatWs(expressions=[exp.Literal.string(", "), *(
            exp.Case().when(f, exp.Literal.string(str(row.number)), copy=False) for row, f in zip(table.rows, flags, strict=True))], coalesce=True)
        message = exp.Concat(expressions=[
            exp.Literal.string(f"table '{table.id}' has hit policy unique, but rows "), rows,
            exp.Literal.string(" all match")], safe=True, coalesce=True)
        return exp.Case().when(exp.GT(this=paren(count), expression=exp.Literal.number(1)), message, copy=False)

    def _collect(self, table: Table, k: int, o: int, name: str) -> exp.Expression:
        kind = self.program.derived[name]
        flags = [(row, self.row_hits[(k, row.number)]) for row in table.rows]
        values = [(flag, self._typed_item(name, row.outputs[o], kind)) for row, flag in flags]
        if table.aggregate is None:
            return self.lists.collect(values, sql_type(kind))
        present = [exp.and_(flag, exp.Not(this=exp.Is(this=paren(v), expression=exp.null())), copy=False) for flag, v in values]
        count = _sum([exp.Case().when(p, exp.Literal.number(1), copy=False).else_(exp.Literal.number(0), copy=False) for p in present])
        if table.aggregate == "count":
            return count if present else exp.Literal.number(0)
        if not values:
            return typed_null(kind)
        if table.aggregate == "sum":  # null over no values, whatever the default
            total = self._collect_total(table, k, o, name)
            result: exp.Expression = exp.Case().when(exp.GT(this=paren(count), expression=exp.Literal.number(0)), total, copy=False)
            return exp.TryCast(this=result, to=sql_type(kind))  # beyond the type: an overflow (checked)
        pick = exp.Least if table.aggregate == "min" else exp.Greatest
        chosen = [exp.Case().when(f, v, copy=False) for f, v in values]
        # Spark refuses least/greatest of one argument: one row's value is its own minimum
        picked = pick(this=chosen[0], expressions=chosen[1:], ignore_nulls=True) if len(chosen) > 1 else chosen[0]
        return exp.cast(picked, sql_type(kind), copy=False)

    def _collect_total(self, table: Table, k: int, o: int, name: str) -> exp.Expression:
        """The exact sum of a collect table's matching values (DECIMAL(38, ...), no overflow)."""
        kind = self.program.derived[name]
        wide = exp.DataType.build("DECIMAL(38, 0)" if kind == INTEGER else "DECIMAL(38, 10)")
        terms = [exp.cast(exp.Coalesce(this=exp.Case().when(self.row_hits[(k, row.number)],
                                                             self._wide_item(name, row.outputs[o], kind), copy=False),
                                       expressions=[exp.Literal.number(0)]), wide, copy=False) for row in table.rows]
        return _sum(terms)

    def _wide_item(self, name: str, expression: Expression, kind: Type) -> exp.Expression:
        """A value summed: an integer of 10^18 into a number fact as it is (the sum is the overflow)."""
        if kind == NUMBER and self.facts.type_of(expression.node) == INTEGER:
            return exp.cast(self.facts.value(expression.node), exp.DataType.build("DECIMAL(38, 10)"), copy=False)
        return self._typed_item(name, expression, kind)

    def _typed_item(self, name: str, expression: Expression, kind: Type) -> exp.Expression:
        node = expression.node
        if kind.kind == "list" and kind.item is None:
            return self.facts.as_text(node)
        if isinstance(node, ast.BOOLEAN_NODES):
            return self.facts.truth(node)
        item = kind.item if kind.kind == "list" else kind
        value = self.facts.value(node)
        if item is not None and item == NUMBER:
            return exp.TryCast(this=value, to=NUM)
        return value

    # -- the decisions -------------------------------------------------------------------------
    def _decisions(self) -> exp.Select:
        program = self.program
        error = self._error()
        columns: list[exp.Expr] = [exp.alias_(exp.cast(exp.column("id", quoted=True), TEXT, copy=False), "id", quoted=True, copy=False)]
        for name in program.derived:
            value: exp.Expression = exp.column(name, quoted=True)
            columns.append(exp.alias_(exp.Case().when(exp.Is(this=paren(error), expression=exp.null()), value, copy=False),
                                      name, quoted=True, copy=False))
        parts = {"tags": self._tags(), "offers": self._offers(), "access": self._access(),
                 "points": self._points(), "fired": self._list("fired")}
        for name, value in parts.items():
            columns.append(exp.alias_(exp.Case().when(exp.Is(this=paren(error), expression=exp.null()), value, copy=False),
                                      name, quoted=True, copy=False))
        columns.append(exp.alias_(error, "error", quoted=True, copy=False))
        return exp.select(*columns, copy=False)

    def _error(self) -> exp.Expression:
        return exp.column(ROW_ERROR if self.errors else ERROR)

    def _first_error(self) -> exp.Expression:
        """The row's error: invalid input, else the first error of a unit in agenda order."""
        errors = [exp.column(ERROR)] + [exp.column(c) for _, _, c in sorted(self.errors)]
        return exp.Coalesce(this=errors[0], expressions=errors[1:])

    def _label(self, text: str) -> exp.Expression:
        """An item of a list: its text, or with labels its code (the lists become the batch backend's
        enum of every id at the end, one cast per list: DuckDB builds lists of numbers faster)."""
        return exp.Literal.number(self.codes[text]) if self.labels is not None else exp.Literal.string(text)

    def _labelled(self, items: exp.Expression) -> exp.Expression:
        if self.labels is None:
            return items
        return self.lists.select(self.lists.constant(self.label_texts, self.labels), items)

    def _offer_codes(self) -> list[int | None]:
        """With labels, for each code the code of the offer of the rule with that id (else none): the
        offers list is then read off the fired list, a look-up per fired item instead of an item per
        offer rule in every row. Empty when no rule has an offer, or when an id names two things."""
        if self.labels is None or not any(u.offer is not None for u in self.program.rules):
            return []
        rule_ids = {u.id for u in self.program.rules}
        row_ids = {t.row_id(r) for t in self.program.units if isinstance(t, Table) for r in t.rows}
        if rule_ids & row_ids:
            return []
        codes: list[int | None] = [None] * len(self.label_texts)
        for unit in self.program.rules:
            if unit.offer is not None:
                codes[self.codes[unit.id] - 1] = self.codes[unit.offer.id]
        return codes

    def _offers(self) -> exp.Expression:
        """The offers list: with :attr:`offer_codes`, the offers of the fired rules, in firing order,
        looked up for each run of strata that has no offers list of its own (an indexed one has)."""
        if not self.offer_codes:
            return self._list("offers")
        pieces: list[exp.Expression] = []
        run: list[str] = []
        for name in self.parts["fired"]:
            if name not in self.own_offers:
                run.append(name)
                continue
            if run:
                pieces.append(self._offers_of(run))
                run = []
            own = self.own_offers[name]
            if own is not None:
                pieces.append(exp.column(own))
        if run or not pieces:
            pieces.append(self._offers_of(run))
        return self._labelled(self._concat_all(pieces))

    def _offers_of(self, fired: Sequence[str]) -> exp.Expression:
        """The offers of the rules in the fired lists, each looked up by its code."""
        lookup = self.lists.array([exp.null() if c is None else exp.Literal.number(c) for c in self.offer_codes])
        return self.lists.present(self.lists.select(lookup, self._concat(fired)))

    def _tags(self) -> exp.Expression:
        items: list[exp.Expression] = [
            exp.Case().when(exp.or_(*map(exp.column, self.tag_flags[tag]), copy=False), self._label(tag), copy=False)
                 for tag in self.tag_names]
        return self._labelled(self.lists.compact(items, self.item))

    def _list(self, part: str) -> exp.Expression:
        """A list made of the strata's shares, in stratum order (firing order)."""
        return self._labelled(self._codes(part))

    def _codes(self, part: str) -> exp.Expression:
        return self._concat(self.parts[part])

    def _concat(self, names: Sequence[str]) -> exp.Expression:
        return self._concat_all([exp.column(name) for name in names])

    def _concat_all(self, lists: Sequence[exp.Expression]) -> exp.Expression:
        """The lists one after the other (an empty list when there are none)."""
        if not lists:
            return self.lists.empty(list_of(self.item))
        whole = lists[0]
        for piece in lists[1:]:
            whole = self.lists.concat(whole, piece)
        return whole

    def _rule_items(self, entries: list[tuple[int, Rule, str]]) -> list[exp.Expression]:
        """One list item per rule, in firing order: the text when the rule fired. A run of rules of one
        group is one CASE, since at most one rule of a group fires (fewer items, faster lists)."""
        items: list[exp.Case] = []
        previous = None
        for k, rule, text in entries:
            if rule.group is not None and rule.group == previous:
                items[-1] = items[-1].when(self.fired[k], self._label(text), copy=False)
            else:
                items.append(exp.Case().when(self.fired[k], self._label(text), copy=False))
            previous = rule.group
        return list(items)

    def _fired_items(self, units: list[Unit]) -> list[exp.Expression]:
        """Rules and table rows that fired, in order."""
        items: list[exp.Expression] = []
        rules: list[tuple[int, Rule, str]] = []
        for unit in units:
            k = self.index[id(unit)]
            if isinstance(unit, Rule):
                rules.append((k, unit, unit.id))
                continue
            items += self._rule_items(rules)
            rules = []
            if unit.hit == "collect":
                items += [exp.Case().when(self.row_hits[(k, row.number)], self._label(unit.row_id(row)), copy=False)
                          for row in unit.rows]
            elif unit.rows and self._consecutive(unit):
                first = self.codes[unit.row_id(unit.rows[0])]
                items.append(exp.Add(this=self.hits[k], expression=exp.Literal.number(first - 1)))  # no CASE per row
            elif unit.rows:
                case = exp.Case(this=self.hits[k])
                for row in unit.rows:
                    case = case.when(exp.Literal.number(row.number), self._label(unit.row_id(row)), copy=False)
                items.append(case)
        return items + self._rule_items(rules)

    def _consecutive(self, table: Table) -> bool:
        """Rows numbered 1, 2, ... whose codes follow each other: a row's code is its number plus a constant."""
        if self.labels is None:
            return False
        codes = [self.codes[table.row_id(row)] - row.number for row in table.rows]
        return [row.number for row in table.rows] == list(range(1, len(table.rows) + 1)) and len(set(codes)) == 1

    def _point_terms(self, awards: list[tuple[int, Rule]]) -> list[exp.Expression]:
        terms: list[exp.Expression] = []
        wide = exp.DataType.build("DECIMAL(38, 10)" if self.point_numbers else "DECIMAL(38, 0)")
        for k, unit in awards:
            value = exp.cast(self.facts.value(unit.award.node), wide, copy=False)  # type: ignore[union-attr]
            terms.append(exp.Case().when(self.fired[k], exp.Coalesce(this=value, expressions=[exp.Literal.number(0)]), copy=False)
                         .else_(exp.Literal.number(0), copy=False))
        return terms

    def _points(self) -> exp.Expression:
        """The strata's points summed, exactly: number points of 10^18 or more too (the column is a double)."""
        if not self.parts["points"]:
            return exp.cast(exp.Literal.number(0), BIGINT, copy=False)
        total = _sum([exp.column(name) for name in self.parts["points"]])
        return exp.TryCast(this=total, to=exp.DataType.build("DECIMAL(38, 10)") if self.point_numbers else BIGINT)

    def _services(self) -> list[str]:
        """Every service the access matrix or a grant can give, in the order the file lists them."""
        access = self.program.access
        named = [s for table in (access.table.values() if access else ()) for s in table]
        named += [g.service for unit in self.program.rules for g in unit.grants]
        return [s for s in self.program.services if s in named] + [s for s in dict.fromkeys(named)
                                                                    if s not in self.program.services]

    def _modes_columns(self) -> list[exp.Expr]:
        """Each service's list of modes, as a column ``__modes_<n>`` (the map is built from them)."""
        access = self.program.access
        grants = [(k, grant) for k, unit in enumerate(self.program.units) if isinstance(unit, Rule)
                  for grant in unit.grants]
        by = exp.column(access.by, quoted=True) if access is not None else None
        return [exp.alias_(self._modes(service, by, grants), f"__modes_{n}", copy=False)
                for n, service in enumerate(self._services())]

    def _access(self) -> exp.Expression:
        entries = [(service, exp.column(f"__modes_{n}")) for n, service in enumerate(self._services())]
        return self.dialect.access_map(self.lists, entries)

    def _modes(self, service: str, by: exp.Expression | None, grants: list[tuple[int, Grant]]) -> exp.Expression:
        """The modes of one service: the access matrix's for the ``by`` value, then granted modes."""
        access = self.program.access
        lists: dict[tuple[str, ...], list[str]] = {}
        for value, table in (access.table.items() if access else ()):
            if service in table:
                lists.setdefault(tuple(table[service].modes), []).append(value)
        base: exp.Expression = exp.cast(exp.Array(expressions=[]), self.lists.text_list, copy=False)
        if lists and by is not None:
            case = exp.Case()
            for modes, values in lists.items():
                key = exp.cast(by, TEXT, copy=False)
                case = case.when(exp.In(this=key, expressions=[exp.Literal.string(v) for v in values]),
                                 self.lists.array([exp.Literal.string(m) for m in modes]), copy=False)
            base = case.else_(base, copy=False)
        granted: list[exp.Expression] = []
        seen: list[tuple[str, exp.Expression]] = []
        for k, grant in grants:
            if grant.service != service:
                continue
            holders = [v for modes, values in lists.items() if grant.mode in modes for v in values]
            condition: exp.Expr = self.fired[k]
            if holders and by is not None:
                has = exp.In(this=exp.cast(by, TEXT, copy=False), expressions=[exp.Literal.string(v) for v in holders])
                condition = exp.and_(condition, exp.Not(this=exp.Coalesce(this=has, expressions=[exp.false()])), copy=False)
            earlier = [flag for mode, flag in seen if mode == grant.mode]
            if earlier:
                condition = exp.and_(condition, exp.Not(this=paren(_or(earlier))), copy=False)
            seen.append((grant.mode, self.fired[k]))
            granted.append(exp.Case().when(condition, exp.Literal.string(grant.mode), copy=False))
        if not granted:
            return base
        return self.lists.concat(base, self.lists.compact(granted, TEXT))


def unshare(tree: E) -> E:
    """The tree with every node in one place: the compiler builds without copying (sqlglot copies
    a subtree at every builder call otherwise, which is quadratic) and reuses small nodes, such as a
    rule's fired column, in many places; each later use becomes a copy, and parents are set right."""
    seen: set[int] = set()
    stack: list[exp.Expression] = [tree]
    while stack:
        node = stack.pop()
        for key, value in list(node.args.items()):
            if isinstance(value, exp.Expression):
                if id(value) in seen:
                    value = value.copy()
                node.set(key, value)
                seen.add(id(value))
                stack.append(value)
            elif isinstance(value, list) and value and isinstance(value[0], exp.Expression):
                items = [v.copy() if id(v) in seen else v for v in value]
                node.set(key, items)
                for item in items:
                    seen.add(id(item))
                    stack.append(item)
    return tree


_DECIMAL = exp.DataType.build("DECIMAL(38, 10)")  # the numbers an index's function reads itself
_CODE = exp.DataType.build("INTEGER")  # a label's code: 32 bits move through the lists faster than 64


def _typed_list(items: Sequence[exp.Expression], kind: str) -> exp.Expression:
    return exp.cast(exp.Array(expressions=list(items)), exp.DataType.build(kind, dialect="duckdb"))


def _texts(values: Sequence[exp.Expression]) -> bool:
    """Whether the values are text literals or nulls, at least one a text: a table's output then
    becomes a constant list indexed by the hit row, one look-up instead of a CASE over every row
    (1,000 rows: 1.1 s of CPU per million customers)."""
    return any(v.is_string for v in values) and all(v.is_string or isinstance(v, exp.Null) for v in values)


def _field(struct: exp.Expression, name: str) -> exp.Expression:
    return exp.Anonymous(this="STRUCT_EXTRACT", expressions=[struct, exp.Literal.string(name)])


def _is_true(condition: exp.Expression) -> exp.Expression:
    """A condition as a two-valued flag: unknown counts as false (a rule fires only when true)."""
    if isinstance(condition, exp.Boolean):
        return condition
    return exp.Coalesce(this=paren(condition), expressions=[exp.false()])


def _small(node: ast.Expr) -> bool:
    """A constant integer below 10^18 in magnitude: a valid number, no check needed."""
    return isinstance(node, (ast.Literal, ast.ConstRef)) and isinstance(node.value, int) and abs(node.value) < LIMIT


def _or(conditions: Sequence[exp.Expr]) -> exp.Expression:
    """``a OR b OR ...``: an Or node (the one operand alone). sqlglot annotates ``or_`` as returning a
    Condition, a mixin, though the node it builds is always an Expression (``paren`` takes one)."""
    return cast(exp.Expression, exp.or_(*conditions, copy=False))


def _sum(terms: Sequence[exp.Expression]) -> exp.Expression:
    if not terms:
        return exp.Literal.number(0)
    total = terms[0]
    for term in terms[1:]:
        total = exp.Add(this=total, expression=term)
    return paren(total)


def compile_sql(program: Program, *, table: str = "customers", source: Mapping[str, SourceKind] | None = None,
                dialect: str = "duckdb", order_by: tuple[str, ...] = (), labels: str | None = None,
                indexes: Indexes | None = None) -> exp.Select:
    """The ruleset as one sqlglot SELECT over ``table`` (one output row per input row).

    ``order_by`` names columns of the input that give its order (the batch backends add them);
    ``labels`` names an enum type holding every id of :func:`label_values`, for the lists' items;
    with it, ``indexes`` asks for the strata a DuckDB batch decides through their index.
    """
    return SQLCompiler(program, table=table, source=source, dialect=dialect, order_by=order_by,
                       labels=labels, indexes=indexes).compile()


def label_values(program: Program) -> list[str]:
    """Every text a decision's lists can hold: rule, table row and offer ids, and tags."""
    values: dict[str, None] = {}
    for unit in program.units:
        if isinstance(unit, Rule):
            values.update(dict.fromkeys([unit.id, *unit.tags, *([unit.offer.id] if unit.offer else [])]))
        else:
            values.update(dict.fromkeys(unit.row_id(row) for row in unit.rows))
    return list(values)


_TextKey = tuple[int, str, str, tuple[tuple[str, SourceKind], ...] | None, bool, tuple[str, ...], str | None]
_TEXTS: dict[_TextKey, tuple[weakref.ref[Program], str]] = {}

def sql_text(query: exp.Expression, dialect: str, pretty: bool = False) -> str:
    """A compiled query as text in ``dialect``. For Spark and Hive, a string literal holding ``${``
    is written as adjacent literals split between ``$`` and ``{`` (``'a$' '{b}'``), which the
    parser joins into the one literal: an engine with variable substitution on, which replaces
    ``${...}`` even inside literals, still sees the rule file's text verbatim."""
    target = dialect_of(dialect)
    if exact(dialect).substitutes_variables:
        for literal in list(query.find_all(exp.Literal)):
            if literal.is_string and "${" in literal.this:
                pieces = literal.this.split("${")
                parts = [pieces[0] + "$", *("{" + p + "$" for p in pieces[1:-1]), "{" + pieces[-1]]
                literal.replace(exp.Var(this=" ".join(exp.Literal.string(p).sql(dialect=target) for p in parts)))
    return query.sql(dialect=target, pretty=pretty)


@contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector paused: compiling a large ruleset allocates millions of sqlglot
    nodes that live until the text is written, and each full collection walks them all (half the
    time of compiling 5,000 rules). Reference counting still frees what is dropped."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def to_sql(program: Program, dialect: str = "duckdb", *, table: str = "customers",
           source: Mapping[str, SourceKind] | None = None, pretty: bool = True, order_by: tuple[str, ...] = (),
           labels: str | None = None) -> str:
    """The ruleset as SQL text in ``dialect`` (duckdb, spark, hive, trino, postgres).

    The text is kept per program, input columns and dialect, so batches of one ruleset compile once.
    """
    dialect_of(dialect)  # an unknown dialect is named before compiling
    key: _TextKey = (id(program), dialect, table, tuple(sorted(source.items())) if source is not None else None, pretty,
           order_by, labels)
    cached = _TEXTS.get(key)
    if cached is not None and cached[0]() is program:
        return cached[1]
    try:  # the compilers and sqlglot recurse several frames per level: a large stack, a clear error beyond it
        with gc_paused():
            query = deeply(compile_sql, program, table=table, source=source, dialect=dialect, order_by=order_by,
                           labels=labels)
            text = deeply(sql_text, query, dialect, pretty)
    except RecursionError:
        raise UnsupportedInSQL("a query nested this deep (a collect table of thousands of rows)") from None
    if len(_TEXTS) > 256:
        _TEXTS.clear()
    _TEXTS[key] = (weakref.ref(program), text)
    return text

