"""Scenario files: analysts' tests of a ruleset version, given facts and expected decisions.

``rulesets/<id>/<version>.test.yaml`` sits beside the version it tests::

    scenarios:
      - name: a silver card holder is offered the lecture-hall pack
        given: {id: "1", card: silver, arpu_3m: 150, status: active, package_fee: 128}
        expect:
          facts: {tier: silver}            # these facts have these values (others are not checked)
          offers: [prestore-lecture]       # exactly these offers
          not_offers: [prestore-golf]      # none of these (when the full list is not the point)
          tags: [retention-target]         # exactly these tags
          access: {golf-club: [paid, prestore, trial], airport-lounge: denied}
          fired: [spend-warning]           # these rules fired (others may too)
          points: 0

A scenario may also give the customer's events (SPEC section 7) and expect what they earn and
what they trigger::

      - name: a platinum member's trial earns 7.5 coins, credited when the incubation period ends
        given: {id: "1", club_level: platinum}
        events:
          - {type: trial_used, at: 2027-01-03T10:00:00, service: music}
          - {type: incubation_end, at: 2027-01-31T00:00:00}
        advance_to: 2027-03-01             # move the stream's clock after the events (absences)
        expect:
          statement:                       # rs.accrue(given, events)
            total: 7.5
            pending: 0
            lines: [{rule: coins-trial, points: 7.5, factor: 1.5}]   # exactly these lines, in order
          recommendations:                 # mr.Stream(rs): the events posted in order
            - {trigger: spend-drop, offer: care-birthday-gift, channel: outbound_call}

A failure reads as an analyst would want it: what was expected, what came out, and the
explanation of the offer or rule concerned. Coverage lists the rules that no scenario fired.

A name the ruleset does not know is never passed over: a fact in ``given`` that is not a fact of
the schema, or an offer id, tag, service, fact or rule in ``expect`` that the ruleset does not
have, is a warning with a did-you-mean (``tenur_months`` -> ``tenure_months``), and a failure
with ``strict`` (``marketing-rules test --strict``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marketing_rules.engine.ruleset import Ruleset, load_ruleset
from marketing_rules.errors import Diagnostic, EventError, FactsError, RulesetError
from marketing_rules.i18n import N_, _
from marketing_rules.load.yaml_source import load_yaml

EXPECT_KEYS = ("facts", "offers", "not_offers", "tags", "access", "fired", "points", "statement", "recommendations")
STATEMENT_KEYS = ("total", "pending", "lines")


@dataclass(frozen=True)
class Scenario:
    name: str
    given: dict[str, Any]
    expect: dict[str, Any]
    file: str
    line: int
    events: tuple[Any, ...] = ()
    advance_to: Any = None


@dataclass
class ScenarioResult:
    scenario: Scenario
    failures: list[str]
    fired: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class ScenarioReport:
    """Every scenario's result, and per ruleset version the rules no scenario fired."""

    results: list[ScenarioResult] = field(default_factory=list)
    uncovered: dict[str, list[str]] = field(default_factory=dict)  # "id version" -> rule ids

    @property
    def failed(self) -> list[ScenarioResult]:
        return [r for r in self.results if not r.passed]

    def render(self) -> str:
        lines = []
        for result in self.results:
            s = result.scenario
            lines += [_("warning {file}:{line}: {name}: {warning}", file=s.file, line=s.line, name=s.name, warning=w)
                      for w in result.warnings if result.passed]
        for result in self.failed:
            s = result.scenario
            lines.append(_("FAIL {file}:{line}: {name}", file=s.file, line=s.line, name=s.name))
            lines += [f"    {line}" for failure in result.failures for line in failure.splitlines()]
        for version, rules in self.uncovered.items():
            if rules:
                lines.append(_("coverage: {version}: no scenario fired {rules}", version=version, rules=", ".join(rules)))
        passed = len(self.results) - len(self.failed)
        lines.append(_("{passed} passed, {failed} failed", passed=passed, failed=len(self.failed)))
        return "\n".join(lines)


def scenario_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Scenario files under folders; a rule file stands for the scenario file beside it."""
    for path in map(Path, paths):
        if path.is_dir():
            yield from sorted(path.rglob("*.test.yaml"))
        elif path.name.endswith(".test.yaml"):
            yield path
        elif path.with_name(path.stem + ".test.yaml").exists():
            yield path.with_name(path.stem + ".test.yaml")


def ruleset_for(test_file: Path) -> Path:
    """``1.0.0.test.yaml`` tests ``1.0.0.yaml`` beside it."""
    return test_file.with_name(test_file.name.removesuffix(".test.yaml") + ".yaml")


def read_scenarios(path: Path) -> list[Scenario]:
    data, source, problems = load_yaml(path.read_text(encoding="utf-8"), str(path))
    if problems:
        raise RulesetError(problems)
    items = data.get("scenarios") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise RulesetError([Diagnostic("MR501", _("a scenario file holds 'scenarios:', a list"), file=str(path), line=1)])
    scenarios = []
    problems = []
    for i, item in enumerate(items):
        span = source.span(("scenarios", i))
        line = span.line + 1 if span else 1
        if not isinstance(item, dict) or not isinstance(item.get("given"), dict) or not isinstance(item.get("expect"), dict):
            problems.append(source.diagnostic("MR501", _("a scenario has name, given: {facts} and expect: {...}"),
                                              ("scenarios", i)))
            continue
        unknown = [k for k in item["expect"] if k not in EXPECT_KEYS]
        if unknown:
            problems.append(source.diagnostic("MR501", _("unknown expectation '{name}'", name=unknown[0]),
                                              ("scenarios", i, "expect", unknown[0]), key=True,
                                              hint=_("expect takes {keys}", keys=", ".join(EXPECT_KEYS))))
            continue
        events = item.get("events") or []
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            problems.append(source.diagnostic("MR501", _("events: is a list of events, each {type, at, ...}"),
                                              ("scenarios", i, "events")))
            continue
        statement = item["expect"].get("statement")
        if statement is not None and (not isinstance(statement, dict) or set(statement) - set(STATEMENT_KEYS)):
            problems.append(source.diagnostic("MR501", _("statement: expects total, pending and lines"),
                                              ("scenarios", i, "expect", "statement"),
                                              hint=_("for example statement: {total: 10, lines: [{rule: r, points: 10}]}")))
            continue
        name = str(item.get("name") or _("scenario {number}", number=i + 1))
        scenarios.append(Scenario(name, item["given"], item["expect"], str(path), line, tuple(events),
                                  item.get("advance_to")))
    if problems:
        raise RulesetError(problems)
    return scenarios


def _known(ruleset: Ruleset) -> dict[str, set[str]]:
    """The names a scenario may use, by what they name."""
    from marketing_rules.analysis.program import Rule

    program = ruleset.program
    rules = [u for u in program.units if isinstance(u, Rule)]
    services = set(program.services) | {g.service for r in rules for g in r.grants}
    if program.access is not None:
        services |= {s for modes in program.access.table.values() for s in modes}
    rows = {u.row_id(row) for u in program.units if not isinstance(u, Rule) for row in u.rows}
    return {
        "given fact": {spec.name for spec in program.schema.facts},
        "fact": set(program.fact_types),
        "offer": {r.offer.id for r in rules if r.offer},
        "tag": {t for r in rules for t in r.tags},
        "service": services,
        "rule": {u.id for u in program.units} | rows,
    }


def unknown_names(ruleset: Ruleset, scenario: Scenario) -> list[str]:
    """Each name in the scenario that the ruleset does not have, with a did-you-mean."""
    known = _known(ruleset)
    expect = scenario.expect
    named = [("given fact", name) for name in scenario.given]
    named += [("fact", name) for name in (expect.get("facts") or {})]
    named += [("offer", o) for key in ("offers", "not_offers") for o in _listed(expect.get(key))]
    named += [("tag", t) for t in _listed(expect.get("tags"))]
    named += [("service", s) for s in (expect.get("access") or {})]
    named += [("rule", r) for r in _listed(expect.get("fired"))]
    return [_unknown(kind, str(name), known[kind]) for kind, name in named if str(name) not in known[kind]]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


#: What a name the ruleset does not know is, by what it names (translated when made).
_UNKNOWN = {
    "given fact": N_("fact {name} is not a fact of the schema"),
    "fact": N_("fact {name} is no fact of the ruleset"),
    "offer": N_("offer {name} is no offer of the ruleset"),
    "tag": N_("tag {name} is no tag of the ruleset"),
    "service": N_("service {name} is no service of the ruleset"),
    "rule": N_("rule {name} is no rule of the ruleset"),
}


def _unknown(kind: str, name: str, known: set[str]) -> str:
    lowered = {k.lower(): k for k in known}
    guess = lowered.get(name.lower()) or next(iter(difflib.get_close_matches(name, sorted(known), 1, 0.7)), None)
    problem = _(_UNKNOWN[kind], name=repr(name))
    return _("{problem} (did you mean {guess}?)", problem=problem, guess=guess) if guess else problem


def check(ruleset: Ruleset, scenario: Scenario, strict: bool = False) -> ScenarioResult:
    """Run one scenario; each failure says expected, got, and why. Names the ruleset does not
    know are warnings, or failures with ``strict``."""
    unknown = unknown_names(ruleset, scenario)
    result = _check(ruleset, scenario)
    if strict:
        result.failures[:0] = unknown
    else:
        result.warnings = unknown
    return result


def _check(ruleset: Ruleset, scenario: Scenario) -> ScenarioResult:
    try:
        decision = ruleset.evaluate(scenario.given)
    except FactsError as error:
        return ScenarioResult(scenario, [_("the given facts are not valid: {error}", error=error)])
    failures: list[str] = []
    expect = scenario.expect
    offers = [o.id for o in decision.offers]
    for name, value in (expect.get("facts") or {}).items():
        got = decision.facts.get(name)
        if got != value:
            failures.append(_("fact {name}: expected {expected}, got {got}", name=name, expected=repr(value), got=repr(got)))
    if "offers" in expect and sorted(expect["offers"] or []) != sorted(offers):
        failures.append(_("offers: expected {expected}, got {got}", expected=sorted(expect["offers"] or []),
                          got=sorted(offers)))
        for missing in sorted(set(expect["offers"] or []) - set(offers)):
            failures.append(_why(ruleset, scenario, missing))
    for unwanted in expect.get("not_offers") or []:
        if unwanted in offers:
            failures.append(_("offer {offer} was not expected, but the customer is eligible", offer=unwanted))
            failures.append(_why(ruleset, scenario, unwanted))
    if "tags" in expect and sorted(expect["tags"] or []) != sorted(decision.tags):
        failures.append(_("tags: expected {expected}, got {got}", expected=sorted(expect["tags"] or []),
                          got=sorted(decision.tags)))
    for service, modes in (expect.get("access") or {}).items():
        wanted = [] if modes in ("denied", None, []) else ([modes] if isinstance(modes, str) else list(modes))
        got_access = decision.access.get(service)
        got = list(got_access.modes) if got_access else []
        if sorted(wanted) != sorted(got):
            failures.append(_("access to {service}: expected {expected}, got {got}", service=service,
                              expected=wanted or "denied", got=got or "denied"))
    for rule in expect.get("fired") or []:
        if rule not in decision.fired:
            failures.append(_("rule {rule} did not fire", rule=rule))
            failures.append(_why(ruleset, scenario, rule.split("#")[0]))
    if "points" in expect and decision.points != expect["points"]:
        failures.append(_("points: expected {expected}, got {got}", expected=expect["points"], got=decision.points))
    if "statement" in expect:
        failures += _statement_failures(ruleset, scenario, expect["statement"] or {})
    if "recommendations" in expect:
        failures += _recommendation_failures(ruleset, scenario, expect["recommendations"] or [])
    return ScenarioResult(scenario, failures, list(decision.fired))


def _statement_failures(ruleset: Ruleset, scenario: Scenario, expected: dict[str, Any]) -> list[str]:
    try:
        statement = ruleset.accrue(scenario.given, scenario.events)
    except (EventError, ValueError) as error:
        return [_("the events cannot be accrued: {error}", error=error)]
    failures = []
    for key in ("total", "pending"):
        if key in expected and getattr(statement, key) != expected[key]:
            failures.append(_("statement {key}: expected {expected}, got {got}", key=key, expected=expected[key],
                              got=getattr(statement, key)))
    if "lines" in expected:
        wanted = expected["lines"] or []
        got = [line.as_dict() | {"pending": line.pending} for line in statement.lines]
        if len(wanted) != len(got) or any(_differs(w, g) for w, g in zip(wanted, got)):
            shown = [{k: g[k] for k in ("rule", "points", "base", "factor") if k in g} for g in got]
            failures.append(_("statement lines: expected {expected}, got {got}", expected=wanted, got=shown))
    if failures:
        failures.append(_("statement:\n{statement}", statement=statement))
    return failures


def _recommendation_failures(ruleset: Ruleset, scenario: Scenario, expected: list[Any]) -> list[str]:
    from marketing_rules.events.stream import Stream

    customer = str(scenario.given.get("id"))
    try:
        with Stream(ruleset) as stream:
            stream.set_customer(customer, scenario.given)
            got = [r for event in scenario.events for r in stream.post(customer, event)]
            if scenario.advance_to is not None:
                got += stream.advance(scenario.advance_to)
    except (EventError, ValueError) as error:
        return [_("the events cannot be posted: {error}", error=error)]
    shown = [{"trigger": r.trigger, "offer": r.offer, "channel": r.channel, "at": r.at.isoformat()} for r in got]
    if len(expected) != len(got) or any(_differs(w, g.as_dict()) for w, g in zip(expected, got)):
        return [_("recommendations: expected {expected}, got {got}", expected=expected, got=shown)]
    return []


def _differs(wanted: Any, got: dict[str, Any]) -> bool:
    """Whether a line or recommendation differs from what the scenario wants (only the keys it gives)."""
    if not isinstance(wanted, dict):
        return True
    for key, value in wanted.items():
        actual = got.get(key)
        if key in ("at", "credited") and value is not None:
            value = _iso(value)
        if actual != value:
            return True
    return False


def _iso(value: Any) -> str:
    from marketing_rules.events.clock import timestamp

    return timestamp(value)[0].isoformat()


def _why(ruleset: Ruleset, scenario: Scenario, target: str) -> str:
    try:
        return _("why: {explanation}", explanation=ruleset.explain(scenario.given, target))
    except KeyError as error:
        return _("why: {explanation}", explanation=error.args[0])


def run(paths: Iterable[str | Path], strict: bool = False) -> ScenarioReport:
    """Run every scenario file found under ``paths``; rule coverage per ruleset version. With
    ``strict``, a name the ruleset does not know fails its scenario."""
    report = ScenarioReport()
    fired_by_version: dict[str, set[str]] = {}
    rules_by_version: dict[str, list[str]] = {}
    for test_file in scenario_files(paths):
        ruleset = load_ruleset(ruleset_for(test_file))
        key = f"{ruleset.id} {ruleset.version}"
        rules_by_version[key] = [u.id for u in ruleset.program.units]
        seen = fired_by_version.setdefault(key, set())
        for scenario in read_scenarios(test_file):
            result = check(ruleset, scenario, strict)
            report.results.append(result)
            seen.update(f.split("#")[0] for f in result.fired)
    for key, rules in rules_by_version.items():
        report.uncovered[key] = [r for r in rules if r not in fired_by_version[key]]
    return report
