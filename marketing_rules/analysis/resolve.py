"""From a validated rule file to a :class:`Program`: every expression parsed and type-checked,
every reference (facts, packages, services) resolved, the agenda ordered.

All problems are reported as diagnostics placed in the YAML file; nothing stops at the first.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from marketing_rules.analysis import order
from marketing_rules.analysis.access import access_mode, allowed, services_given, targeted
from marketing_rules.analysis.events import EventsResolver
from marketing_rules.analysis.program import (
    MONEY_FACE,
    Access,
    Aggregate,
    AllOf,
    AnyOf,
    Budget,
    CampaignSpec,
    Checks,
    Cond,
    Expression,
    Grant,
    HitPolicy,
    NotOf,
    OfferCampaign,
    OfferSpec,
    Program,
    Row,
    Rule,
    ServiceAccess,
    Table,
    Term,
)
from marketing_rules.errors import DiagnosticSink, did_you_mean
from marketing_rules.expressions import ast
from marketing_rules.expressions.checker import ERROR, Checker, Scope, literal_type
from marketing_rules.expressions.parser import ExpressionSyntaxError, ExprIssue, parse_expression, parse_unary_tests
from marketing_rules.expressions.types import Type, is_subtype
from marketing_rules.i18n import N_, _, n_
from marketing_rules.load.yaml_source import Path, Source
from marketing_rules.model import ruleset as m
from marketing_rules.model.schema import FactSchema, FactSpec, builtin_schema


class Resolver:
    """Builds a Program from a RulesetFile, reporting every problem into ``sink``."""

    def __init__(self, file: m.RulesetFile, source: Source, sink: DiagnosticSink):
        self.file = file
        self.source = source
        self.sink = sink
        self.rule_id: str | None = None
        self.schema = self._schema()
        self.derived = self._derived()
        self.fact_types = {**self.schema.types(), **{n: t for n, t in self.derived.items()}}
        self.constants = {name: _constant(value) for name, value in file.constants.items()}
        self.checker = Checker(Scope(self.fact_types, self.constants))

    # -- the whole file -----------------------------------------------------------------------
    def program(self) -> Program | None:
        units: list[Rule | Table] = []
        self._check_ids()
        self._check_normalised_names()
        index = 0
        for i, table in enumerate(self.file.tables):
            units.append(self._table(table, ("tables", i), index))
            index += 1
        for i, rule in enumerate(self.file.rules):
            units.append(self._rule(rule, ("rules", i), index))
            index += 1
        self.rule_id = None
        access = self._access()
        if access is not None:
            self._offer_access(units, access)
        checks = self._checks(units)
        campaign = self._campaign(units)
        # -- events, points and triggers (SPEC section 7): resolved in analysis/events.py --------
        events = EventsResolver(self).parts()
        for issue in order.check_setters(units):
            self._unit_issue(issue)
        ordered, cycles = order.agenda(units)
        for issue in cycles:
            self._unit_issue(issue)
        if self.sink.diagnostics:
            return None
        return Program(
            ruleset=self.file.ruleset,
            version=self.file.version,
            schema=self.schema,
            derived=self.derived,
            defaults={name: decl.default for name, decl in self.file.facts.items()},
            fact_types=self.fact_types,
            units=tuple(ordered),
            services=MappingProxyType({k: MappingProxyType(_service_terms(v)) for k, v in self.file.services.items()}),
            access=access,
            constants=MappingProxyType(self.constants),
            checks=checks,
            events=events,
            campaign=campaign,
        )

    def _checks(self, units: list[Rule | Table]) -> Checks | None:
        checks = self.file.checks
        if checks is None:
            return None
        path: Path = ("checks",)
        among = None
        if checks.coverage is not None and checks.coverage.among is not None:
            among = self.condition(checks.coverage.among, (*path, "coverage", "among"))
        groups = {u.group for u in units if isinstance(u, Rule) and u.group}
        for i, group in enumerate(checks.exclusive):
            if group not in groups:
                self._error("MR210", _("no rule is in group '{group}'", group=group), (*path, "exclusive", i),
                            did_you_mean(group, groups)
                            or _("the groups are {groups}", groups=", ".join(sorted(groups)) or _("none")))
        fact: str | None = None
        values: tuple[str, ...] = ()
        if checks.monotonic is not None:
            fact = checks.monotonic.fact
            kind = self.fact_types.get(fact)
            mpath = (*path, "monotonic")
            if kind is None or kind.kind != "enum":
                self._error("MR210", _("monotonic needs an enum fact, not '{fact}'", fact=fact), (*mpath, "fact"),
                            did_you_mean(fact, self.fact_types))
            else:
                unknown = [v for v in checks.monotonic.order if v not in kind.values]
                if unknown:
                    self._error("MR104", _("'{value}' is not a value of {fact}", value=unknown[0], fact=fact),
                                (*mpath, "order"),
                                did_you_mean(unknown[0], kind.values))
            values = tuple(checks.monotonic.order)
        coverage = checks.coverage is not None and checks.coverage.offers
        return Checks(among, coverage, tuple(checks.exclusive), fact, values)

    def _schema(self) -> FactSchema:
        schema = builtin_schema(self.file.schema_)
        if schema is None:
            self.sink.add(self.source.diagnostic("MR209", _("unknown schema '{schema}'", schema=self.file.schema_),
                                                 ("schema",),
                                                 hint=_("the built-in schema is '{schema}'",
                                                        schema="telecom-customer")))
            schema = builtin_schema("telecom-customer")
        assert schema is not None
        extra = []
        for name, decl in self.file.inputs.items():
            if not self._fact_name(name, ("inputs", name)):
                continue
            if name in schema:
                self.sink.add(self.source.diagnostic(
                    "MR208", _("input '{name}' is already in schema '{schema}'", name=name, schema=schema.name),
                    ("inputs", name), key=True))
                continue
            self._enum_values(decl, ("inputs", name))
            extra.append(FactSpec(name, decl.type, tuple(decl.values or ()), decl.ge, decl.le, decl.title))
        return FactSchema(schema.name, schema.facts + tuple(extra)) if extra else schema

    def _derived(self) -> dict[str, Type]:
        derived = {}
        for name, decl in self.file.facts.items():
            path = ("facts", name)
            if not self._fact_name(name, path):
                continue
            if name in self.schema:
                self.sink.add(self.source.diagnostic(
                    "MR208", _("derived fact '{name}' has the name of an input fact of '{schema}'", name=name,
                               schema=self.schema.name),
                    path, key=True, hint=_("give the derived fact a name of its own")))
                continue
            self._enum_values(decl, path)
            spec = FactSpec(name, decl.type, tuple(decl.values or ()))
            derived[name] = spec.as_type()
            if decl.default is not None and not is_subtype(_default_type(decl.default, derived[name]), derived[name]):
                self.sink.add(self.source.diagnostic(
                    "MR103", _("default {value} is not {type}", value=repr(decl.default), type=derived[name].article),
                    (*path, "default")))
        return derived

    def _fact_name(self, name: str, path: Path) -> bool:
        if isinstance(name, str) and name.isidentifier() and name == name.lower():
            return True
        self.sink.add(self.source.diagnostic("MR011", _("'{name}' is not a valid fact name", name=name), path,
                                             key=True, hint=_("use lowercase letters, digits and underscores")))
        return False

    def _enum_values(self, decl: m.FactDecl, path: Path) -> None:
        if decl.type == "enum" and not decl.values:
            self.sink.add(self.source.diagnostic("MR011", _("an enum needs its values"), path,
                                                 hint=_("add {example}", example="values: [a, b, c]")))

    def _check_ids(self) -> None:
        seen: dict[str, Path] = {}
        parts = [("tables", i, t.id) for i, t in enumerate(self.file.tables)]
        parts += [("rules", i, r.id) for i, r in enumerate(self.file.rules)]
        for section, i, unit_id in parts:
            if unit_id in seen:
                self.sink.add(self.source.diagnostic(
                    "MR206", _("id '{id}' is used twice", id=unit_id), (section, i, "id"), rule=unit_id,
                    hint=_("it was first used at line {line}", line=self.source.line(seen[unit_id]))))
            else:
                seen[unit_id] = (section, i, "id")

    def _check_normalised_names(self) -> None:
        """Names that differ only until NFKC normalisation (``ａrpu``, ``arpu``) are refused: Python
        identifiers, and some tools, would take them for one name."""
        file = self.file
        names: list[tuple[str, str, Path, str, bool]] = [  # (code, name, path, what it names, at a key)
            *(("MR208", f.name, ("schema",), N_("a fact of the schema"), False) for f in self.schema.facts
              if f.name not in file.inputs),
            *(("MR208", n, ("inputs", n), N_("an input fact"), True) for n in file.inputs),
            *(("MR208", n, ("facts", n), N_("a derived fact"), True) for n in file.facts),
            *(("MR208", n, ("constants", n), N_("a constant"), True) for n in file.constants),
        ]
        units = [*(("tables", i, t.id) for i, t in enumerate(file.tables)),
                 *(("rules", i, r.id) for i, r in enumerate(file.rules))]
        ids = [("MR206", unit_id, (section, i, "id"), N_("a rule or table"), False) for section, i, unit_id in units]
        services = [("MR206", n, ("services", n), N_("a service"), True) for n in file.services]
        for group in (names, ids, services):
            seen: dict[str, str] = {}
            for code, name, path, _what, key in group:
                if not isinstance(name, str):
                    continue
                normal = unicodedata.normalize("NFKC", name)
                first = seen.setdefault(normal, name)
                if first != name:
                    what = _(next(w for _c, n, _p, w, _k in group if n == first))
                    self.sink.add(self.source.diagnostic(
                        code, _("'{name}' is '{first}' once Unicode-normalised (NFKC), the name of {what}",
                                name=name, first=first, what=what), path,
                        key=key, rule=name if group is ids else None,
                        hint=_("rename it: names are compared after NFKC normalisation")))

    # -- expressions ----------------------------------------------------------------------------
    def _parse(self, text: Any, path: Path) -> ast.Expr | None:
        text = _as_text(text)
        try:
            return parse_expression(text)
        except ExpressionSyntaxError as error:
            self._expr_issue(error.issue, path)
            return None

    def condition(self, text: Any, path: Path) -> Expression | None:
        node = self._parse(text, path)
        if node is None:
            return None
        resolved = self._checked(lambda: self.checker.condition(node), path)
        return Expression(resolved, _as_text(text), path) if resolved is not None else None

    def value(self, raw: Any, path: Path, expected: Type | None = None) -> tuple[Expression | None, Type]:
        if isinstance(raw, list):
            node: ast.Expr | None = ast.ListExpr((0, 0), tuple(ast.Literal((0, 0), _constant(v)) for v in raw))
        elif isinstance(raw, str):
            node = self._parse(raw, path)
        else:
            node = ast.Literal((0, 0), _constant(raw))
        if node is None:
            return None, ERROR
        before = len(self.checker.issues)
        resolved, kind = self.checker.value(node, expected)
        if self._flush(before, path):
            return None, ERROR
        return Expression(resolved, _as_text(raw), path), kind

    def _checked(self, check: Callable[[], ast.Expr], path: Path) -> ast.Expr | None:
        before = len(self.checker.issues)
        resolved = check()
        return None if self._flush(before, path) else resolved

    def _flush(self, before: int, path: Path) -> bool:
        issues = self.checker.issues[before:]
        for issue in issues:
            self._expr_issue(issue, path)
        return bool(issues)

    def _expr_issue(self, issue: ExprIssue, path: Path) -> None:
        self.sink.add(self.source.diagnostic(
            issue.code, issue.message, path, rule=self.rule_id, hint=issue.hint,
            offset=issue.start, length=max(1, issue.end - issue.start)))

    def _error(self, code: str, message: str, path: Path, hint: str | None = None, key: bool = False) -> None:
        self.sink.add(self.source.diagnostic(code, message, path, rule=self.rule_id, hint=hint, key=key))

    def _unit_issue(self, issue: order.OrderIssue) -> None:
        section = "tables" if isinstance(issue.unit, Table) else "rules"
        items = self.file.tables if section == "tables" else self.file.rules
        i = next(k for k, u in enumerate(items) if issue.unit.id == getattr(u, "id", None))
        self.sink.add(self.source.diagnostic(issue.code, issue.message, (section, i, "id"), rule=issue.unit.id,
                                             hint=issue.hint))

    # -- rules ------------------------------------------------------------------------------------
    def _rule(self, rule: m.Rule, path: Path, index: int) -> Rule:
        self.rule_id = rule.id
        when = self._cond(rule.when, (*path, "when"))
        then = rule.then
        tpath = (*path, "then")
        if not any(v is not None for v in (then.set, then.tag, then.offer, then.grant, then.award)):
            self._error("MR010", _("'then' has no effect"), tpath, _("add set, tag, offer, grant or award"))
        sets = tuple(self._sets(then.set or {}, (*tpath, "set")))
        tags = (then.tag,) if isinstance(then.tag, str) else tuple(then.tag or ())
        offer: OfferSpec | None = None
        extra: tuple[Cond, ...] = ()
        if then.offer is not None:
            offer, extra = self._offer(rule, then.offer, (*tpath, "offer"))
        if extra:
            head = when.items if isinstance(when, AllOf) else (when,) if when is not None else ()
            when = AllOf(head + extra)
        grants = tuple(self._grants(then.grant, (*tpath, "grant")))
        award = self._award(then.award, (*tpath, "award")) if then.award is not None else None
        return Rule(rule.id, rule.title, index, rule.priority, rule.group, when, sets, tags, offer, grants,
                    award, path)

    def _cond(self, raw: Any, path: Path) -> Cond | None:
        if raw is True:
            return None
        if isinstance(raw, dict):
            if len(raw) != 1 or next(iter(raw)) not in ("all", "any", "not"):
                self._error("MR010", _("a condition tree is one of all:, any:, not:"), path,
                            _("write all: [...] (every one), any: [...] (at least one) or not: ..."))
                return None
            (key, value), = raw.items()
            if key == "not":
                inner = self._cond(value, (*path, "not"))
                return NotOf(inner) if inner is not None else None
            if not isinstance(value, list) or not value:
                self._error("MR010", _("'{key}:' takes a list of conditions", key=key), (*path, key))
                return None
            items = [self._cond(v, (*path, key, i)) for i, v in enumerate(value)]
            kept = tuple(item if item is not None else _TRUE for item in items)
            return AllOf(kept) if key == "all" else AnyOf(kept)
        if isinstance(raw, list):
            self._error("MR010", _("a list of conditions needs all: or any: before it"), path,
                        _("write {example} for conditions that must all hold", example="when: {all: [...]}"))
            return None
        return self.condition(raw, path)

    def _sets(self, sets: dict[str, Any], path: Path) -> Iterator[tuple[str, Expression]]:
        for name, raw in sets.items():
            fact_path = (*path, name)
            if name not in self.derived:
                if name in self.schema:
                    message = _("'{name}' is an input fact; rules cannot change inputs", name=name)
                    hint = _("derive a fact of your own instead, e.g. {name}_adjusted under facts:", name=name)
                else:
                    message = _("'{name}' is not declared", name=name)
                    hint = did_you_mean(name, self.derived) or _declare(name)
                self._error("MR203", message, fact_path, hint, key=True)
                continue
            expected = self.derived[name]
            expression, kind = self.value(raw, fact_path, expected)
            if expression is None:
                continue
            if not is_subtype(kind, expected):
                self._error("MR103", _("'{name}' is {type}, but this value is {actual}", name=name,
                                       type=expected.article, actual=kind.article), fact_path)
                continue
            yield name, expression

    # -- offers ---------------------------------------------------------------------------------
    def _offer(self, rule: m.Rule, offer: m.Offer, path: Path) -> tuple[OfferSpec | None, tuple[Cond, ...]]:
        requires = tuple(self._term(t, (*path, "requires", i, t.kind)) for i, t in enumerate(offer.requires))
        rewards = tuple(self._term(t, (*path, "rewards", i, t.kind)) for i, t in enumerate(offer.rewards))
        extra: list[Cond] = []
        for i, term in enumerate(offer.requires):
            if isinstance(term, m.Upgrade) and term.to in self.file.packages:
                fee = _number(self.file.packages[term.to].fee)
                node, _kind = self.checker.check(
                    ast.Compare((0, 0), "<", ast.FactRef((0, 0), "package_fee"), ast.Literal((0, 0), fee)))
                extra.append(Expression(node, f"package_fee < {fee}  (upgrade to {term.to})", (*path, "requires", i)))
        code = str(offer.code) if offer.code is not None else None
        if code is not None and self.file.codes is not None:
            for problem in code_problems(code, self.file.codes):
                self._error("MR211", _("catalogue code '{code}': {problem}", code=code, problem=problem),
                            (*path, "code"),
                            _("codes are written as the ruleset's code scheme says (codes: in the file or "
                              "a definitions file it includes)"))
        declared = offer.holdout is not None or offer.budget is not None or offer.stacking is not None
        campaign = OfferCampaign(offer.holdout, _budget(offer.budget), offer.stacking or "stackable") \
            if declared else None
        spec = OfferSpec(rule.id, str(offer.title or rule.title), rule.group, code, offer.mode, offer.type,
                         requires, rewards, campaign)
        return spec, tuple(extra)

    def _term(self, term: m.Requirement | m.Reward, path: Path) -> Term:
        fixed: dict[str, object] = {}
        computed = []
        for name, raw in term.written():
            param_path = (*path, name)
            if term.is_number(name):
                expression, kind_type = self.value(raw, param_path)
                if expression is None:
                    continue
                if not (kind_type.numeric or kind_type.kind == "null"):
                    self._error("MR103", _("'{name}' must be a number, but this is {actual}", name=name,
                                           actual=kind_type.article), param_path)
                elif isinstance(expression.node, (ast.Literal, ast.ConstRef)):
                    fixed[name] = _plain(expression.node.value)
                else:
                    computed.append((name, expression))
                continue
            fixed[name] = raw
            if isinstance(term, m.Upgrade):
                if raw not in self.file.packages:
                    self._error("MR204", _("unknown package '{package}'", package=raw), param_path,
                                did_you_mean(str(raw), self.file.packages) or _("declare it under packages:"))
                else:
                    fixed["fee"] = _plain(_number(self.file.packages[raw].fee))
            elif isinstance(term, m.ServiceReward) and raw not in self.file.services:
                self._error("MR205", _("unknown service '{service}'", service=raw), param_path,
                            did_you_mean(str(raw), self.file.services) or _("declare it under services:"))
        return Term(term.kind, MappingProxyType(fixed), tuple(computed))

    def _grants(self, grants: m.Grants | None, path: Path) -> Iterator[Grant]:
        for i, grant in enumerate(grants or ()):
            if grant.service not in self.file.services:
                self._error("MR205", _("unknown service '{service}'", service=grant.service), (*path, i),
                            did_you_mean(grant.service, self.file.services) or _("declare it under services:"))
                continue
            own = _service_terms(self.file.services[grant.service])
            terms = {k: v for k, v in own.items() if k in m.MODE_TERMS[grant.mode]}
            terms.update({k: _plain(_number(v)) if isinstance(v, float) else v for k, v in grant.terms().items()})
            yield Grant(grant.service, grant.mode, MappingProxyType(terms))

    def _award(self, award: m.Award, path: Path) -> Expression | None:
        path = path if award.written_alone else (*path, "points")
        expression, kind = self.value(award.points, path)
        if expression is not None and not kind.numeric:
            self._error("MR103", _("points must be a number, but this is {actual}", actual=kind.article), path)
            return None
        return expression

    # -- tables -----------------------------------------------------------------------------------
    def _table(self, table: m.Table, path: Path, index: int) -> Table:
        self.rule_id = table.id
        inputs = []
        for i, text in enumerate(table.inputs):
            expression, _kind = self.value(text, (*path, "inputs", i))
            inputs.append(expression)
        outputs = []
        for i, name in enumerate(table.outputs):
            if name not in self.derived:
                self._error("MR203", _("table output '{name}' is not a declared fact", name=name),
                            (*path, "outputs", i), did_you_mean(name, self.derived) or _declare(name))
            outputs.append(name)
        self._hit_policy(table, path)
        width = len(inputs) + len(outputs)
        rows = []
        for r, cells in enumerate(table.rows):
            row_path = (*path, "rows", r)
            if len(cells) != width:
                self._error("MR302", _("row {row} has {cells}; the table has {inputs} and {outputs}", row=r + 1,
                                       cells=n_("{count} cell", "{count} cells", len(cells)),
                                       inputs=n_("{count} input", "{count} inputs", len(inputs)),
                                       outputs=n_("{count} output", "{count} outputs", len(outputs))), row_path)
                continue
            rows.append(self._row(r + 1, cells, inputs, outputs, row_path, table.hit == "collect"))
        ranks = self._ranks(table, rows, path)
        aggregate = Aggregate(table.aggregate) if table.aggregate is not None else None
        return Table(table.id, table.title, index, table.priority, HitPolicy(table.hit), aggregate,
                     tuple(i for i in inputs if i is not None), tuple(outputs), tuple(r for r in rows if r),
                     ranks, path)

    def _row(self, number: int, cells: list[Any], inputs: list[Expression | None], outputs: list[str], path: Path,
             collect: bool) -> Row | None:
        tests: list[ast.Expr | None] = []
        ok = True
        for c, (cell, subject) in enumerate(zip(cells, inputs)):
            text = ", ".join(_as_text(x) for x in cell) if isinstance(cell, list) else _as_text(cell)
            if subject is None:
                ok = False
                continue
            try:
                test = parse_unary_tests(text, subject.node)
            except ExpressionSyntaxError as error:
                issue = error.issue
                self._expr_issue(ExprIssue("MR301", _("bad input cell: {problem}", problem=issue.message),
                                           issue.start, issue.end,
                                           issue.hint or _("a cell is -, a value, < 120, [120..200), a, b or "
                                                           "not(a, b)")),
                                 (*path, c))
                ok = False
                continue
            if test is not None:
                before = len(self.checker.issues)
                test = self.checker.condition(test)
                ok = not self._flush(before, (*path, c)) and ok
            tests.append(test)
        values = []
        for o, name in enumerate(outputs):
            target = self.derived.get(name)
            if collect and target is not None and target.kind == "list":
                target = target.item  # a collect table gathers one item per matching row
            expression, kind = self.value(cells[len(inputs) + o], (*path, len(inputs) + o), target)
            if expression is None:
                ok = False
                continue
            if target is not None and not is_subtype(kind, target):
                self._error("MR103", _("'{name}' is {type}, but this cell is {actual}", name=name,
                                       type=target.article, actual=kind.article), (*path, len(inputs) + o))
                ok = False
            values.append(expression)
        if not ok:
            return None
        cells_text = tuple(_as_text(c) if not isinstance(c, list) else ", ".join(map(_as_text, c))
                           for c in cells[: len(inputs)])
        return Row(number, tuple(tests), cells_text, tuple(values))

    def _hit_policy(self, table: m.Table, path: Path) -> None:
        if table.aggregate and table.hit != "collect":
            self._error("MR303", _("aggregate goes with hit: collect"), (*path, "aggregate"))
        if table.hit == "collect":
            for name in table.outputs:
                kind = self.derived.get(name)
                if kind is None:
                    continue
                if table.aggregate is None and kind.kind != "list":
                    self._error("MR303", _("a collect table without aggregate sets a list, but '{name}' is {type}",
                                           name=name, type=kind.article),
                                (*path, "outputs"), _("declare the fact with type: list, or add aggregate: sum"))
                if table.aggregate in ("sum", "min", "max", "count") and not kind.numeric:
                    self._error("MR303", _("aggregate {aggregate} makes a number, but '{name}' is {type}",
                                           aggregate=table.aggregate, name=name, type=kind.article),
                                (*path, "outputs"))
        if table.hit == "priority":
            kind = self.derived.get(table.outputs[0])
            if kind is not None and kind.kind != "enum":
                self._error("MR303", _("hit: priority ranks rows by the first output's enum values"),
                            (*path, "outputs"), _("make the first output an enum, listed highest priority first"))

    def _ranks(self, table: m.Table, rows: list[Row | None], path: Path) -> tuple[int, ...]:
        if table.hit != "priority":
            return ()
        kind = self.derived.get(table.outputs[0])
        values = kind.values if kind is not None else ()
        ranks = []
        for row in rows:
            if row is None:
                continue
            node = row.outputs[0].node
            value = node.value if isinstance(node, (ast.EnumValue, ast.Literal)) else None
            if value not in values:
                self._error("MR303", _("in a priority table the first output of every row must be a fixed enum value"),
                            (*path, "rows", row.number - 1, len(table.inputs)))
                ranks.append(len(values))
            else:
                ranks.append(values.index(value))
        return tuple(ranks)

    # -- services and access --------------------------------------------------------------------
    def _access(self) -> Access | None:
        access = self.file.access
        if access is None:
            return None
        path: Path = ("access",)
        by = access.by
        kind = self.fact_types.get(by) if by is not None else None
        if by is None or kind is None:
            self._error("MR207", _("access needs 'by:', a fact to key the matrix by (got {by})", by=repr(by)),
                        (*path, "by"), did_you_mean(by, self.fact_types) if by else _("write {example}",
                                                                                        example="by: tier"))
            return None
        table: dict[str, Mapping[str, ServiceAccess]] = {}
        for value, row in access.rows().items():
            if kind.kind == "enum" and value not in kind.values:
                self._error("MR207", _("'{value}' is not a value of {fact}", value=value, fact=by), (*path, value),
                            did_you_mean(value, kind.values) or _("the values are {values}",
                                                                  values=", ".join(kind.values)), key=True)
                continue
            modes_by_class = row.modes()
            table[value] = MappingProxyType({
                service_id: ServiceAccess(modes_by_class[service.class_], MappingProxyType(
                    {k: v for k, v in _service_terms(service).items()
                     if any(k in m.MODE_TERMS[mode] for mode in modes_by_class[service.class_])}))
                for service_id, service in self.file.services.items() if service.class_ in modes_by_class
            })
        return Access(by, MappingProxyType(table))

    def _offer_access(self, units: list[Rule | Table], access: Access) -> None:
        """An offer whose condition names only values of the access fact for which the matrix denies
        a service it gives: certain at load (``check`` proves the rest, offer-access)."""
        for unit in units:
            if not isinstance(unit, Rule) or unit.offer is None:
                continue
            tiers = sorted(targeted(unit.when, access.by) or ())
            for service in services_given(unit) if tiers else []:
                if any(allowed(access.table.get(tier, {}), unit, service) for tier in tiers):
                    continue
                i = next(i for i, t in enumerate(unit.offer.rewards) if t.fixed.get("service") == service)
                self.rule_id = unit.id
                fields = {"service": service, "mode": unit.offer.mode, "fact": access.by, "values": ", ".join(tiers)}
                message = _("gives the service {service} as {mode} only to {fact} {values}, which the access matrix "
                            "does not let use it", **fields) if access_mode(unit) else \
                    _("gives the service {service} only to {fact} {values}, which the access matrix does not let "
                      "use it", **fields)
                self._error("MR212", message, (*unit.path, "then", "offer", "rewards", i),
                            _("allow it in access: for those values, add a grant to the rule, or target other "
                              "values of {fact}", fact=access.by))
        self.rule_id = None


    # -- campaigns (docs/campaigns.md) ----------------------------------------------------------
    def _campaign(self, units: list[Rule | Table]) -> CampaignSpec | None:
        decl = self.file.campaign
        self._reward_costs(units, decl is not None and decl.budget is not None and decl.budget.cost is not None)
        if decl is None:
            return None
        path: Path = ("campaign",)
        score = None
        if decl.score is not None:
            score, kind = self.value(decl.score, (*path, "score"))
            if score is not None and not kind.numeric:
                self._error("MR703", _("the campaign score must be a number, but this is {actual}",
                                       actual=kind.article),
                            (*path, "score"), _("write an expression of numbers, e.g. {example}",
                                                example="arpu_3m * 0.1"))
                score = None
        lock_in = decl.lock_in
        locked = None
        if lock_in is not None and lock_in.when is not None:
            locked = self.condition(lock_in.when, (*path, "lock_in", "when"))
        return CampaignSpec(decl.holdout or 0.0, _budget(decl.budget), score,
                            lock_in.months if lock_in is not None else 12, locked, decl.channel)

    def _reward_costs(self, units: list[Rule | Table], campaign_cost: bool) -> None:
        """Under a cost budget every reward needs a cost: its money face value or ``cost:``."""
        for unit in units:
            if not isinstance(unit, Rule) or unit.offer is None:
                continue
            own = unit.offer.campaign
            if not (campaign_cost or (own is not None and own.budget is not None and own.budget.cost is not None)):
                continue
            for i, term in enumerate(unit.offer.rewards):
                face = MONEY_FACE.get(term.kind)
                if "cost" in term.fixed or (face is not None and (face in term.fixed or
                                                                  any(n == face for n, _e in term.computed))):
                    continue
                self.rule_id = unit.id
                self._error("MR702", _("a {kind} reward has no money face value and no cost, and the offer "
                                       "is under a cost budget", kind=term.kind),
                            (*unit.path, "then", "offer", "rewards", i),
                            _("write what it costs: {example}", example=_cost_example(term.kind)))
        self.rule_id = None


def _budget(budget: m.Budget | None) -> Budget | None:
    if budget is None:
        return None
    cost = _number(budget.cost) if budget.cost is not None else None
    return Budget(budget.takers, cost)


_TRUE = Expression(ast.Literal((0, 0), True), "true", ())


def _declare(name: str) -> str:
    example = f"{name}: {{type: ...}}"
    return _("declare it under facts: ({example})", example=example)


def _cost_example(kind: str) -> str:
    return f"{{{kind}: {{..., cost: 5}}}}"


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _number(value: float | int) -> Decimal | int:
    return int(value) if float(value).is_integer() else Decimal(repr(float(value)))


def _constant(value: Any) -> Any:
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, list):
        return tuple(_constant(v) for v in value)
    return value


def _plain(value: Any) -> Any:
    """A literal as it appears in a decision: int when whole, float otherwise."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _default_type(value: Any, target: Type) -> Type:
    if isinstance(value, str) and target.kind == "enum":
        return target if value in target.values else literal_type(value)
    return literal_type(_constant(value))


def _service_terms(service: m.Service) -> dict[str, object]:
    return {k: _plain(_number(v)) if isinstance(v, float) else v
            for k, v in (("price", service.price), ("prestore", service.prestore), ("trial_days", service.trial_days))
            if v is not None}


def code_problems(code: str, scheme: m.CodeScheme) -> list[str]:
    """What is wrong with a catalogue code under ``scheme`` (nothing when it fits)."""
    given = code.split("-")
    parts, rest = given[:len(scheme.parts)], given[len(scheme.parts):]
    if len(parts) < len(scheme.parts) or len(rest) > int(scheme.serial):
        names = "-".join(p.name for p in scheme.parts) + ("[-serial]" if scheme.serial else "")
        return [_("has {count} parts, the scheme has {names}", count=len(given), names=names)]
    problems = [_("{part} is {value}, which is not one of {values}", part=part.name, value=value,
                  values=", ".join(f"{k} {meaning}" for k, meaning in part.values.items()))
                for part, value in zip(scheme.parts, parts) if value not in part.values]
    if rest and not rest[0].isdigit():
        problems.append(_("the serial number {serial} is not digits", serial=repr(rest[0])))
    return problems
