"""Static consistency checks with counterexample customers (SPEC section 6).

Each check asks the solver for a customer who breaks a property. "unsat" is a proof that nobody
does; "sat" gives a witness, which is evaluated by the real engine and reported only if it really
exhibits the finding; "unknown" (non-linear arithmetic, a time-out, a node the encoding cannot
express, a witness that does not hold up) is reported as unknown with its reason, never as a proof.
Every question but a unique table's overlap is about decided customers (no evaluation error).

Findings: ``overlap`` inside a declared exclusive group, ``gap`` against the coverage check,
``dead-rule`` (a rule or row that can never fire), ``shadowed-row`` (a first-hit row that earlier
rows always take over), ``table-gap`` and ``table-overlap`` in unique tables, ``not-monotonic``
access along the declared order.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import z3

from marketing_rules.analysis.access import access_mode, allowed, services_given
from marketing_rules.analysis.incremental import Budget, Incremental, Progress, Question
from marketing_rules.analysis.program import Program, Rule, Table, cond_to_ast
from marketing_rules.analysis.symbolic import Encoder, Encoding, TableTrace
from marketing_rules.errors import EvaluationError
from marketing_rules.expressions import ast
from marketing_rules.expressions.evaluate import truth_of
from marketing_rules.i18n import N_, _, fit, language, messages_in


class Decided(Protocol):
    """What the checker reads of a decision (a :class:`~marketing_rules.engine.decision.Decision`)."""

    @property
    def facts(self) -> Mapping[str, Any]: ...

    @property
    def offers(self) -> Sequence[Any]: ...

    @property
    def fired(self) -> Sequence[str]: ...

    @property
    def access(self) -> Mapping[str, Any]: ...


#: A customer the solver found: input facts and their values.
Witness = dict[str, Any]

#: Decides one customer (validating the facts), as the engine does: ``Ruleset.evaluate``.
Decide = Callable[[Mapping[str, Any]], Decided]

#: The kinds of finding (and the unknown and proved lines) as a report shows them (translated when shown).
KINDS = {
    "overlap": N_("overlap"), "gap": N_("gap"), "dead-rule": N_("dead-rule"), "shadowed-row": N_("shadowed-row"),
    "table-gap": N_("table-gap"), "table-overlap": N_("table-overlap"), "not-monotonic": N_("not-monotonic"),
    "offer-access": N_("offer-access"), "unknown": N_("unknown"), "proved": N_("proved"),
}


def kind_text(kind: str) -> str:
    """A kind of finding (or "unknown", "proved") in the language in force."""
    return _(KINDS[kind]) if kind in KINDS else kind



TIMEOUT_MS = 10_000  # one solver question
BUDGET_S = 60.0  # the whole run


@dataclass(frozen=True)
class Finding:
    kind: str  # overlap, gap, dead-rule, shadowed-row, table-gap, table-overlap, not-monotonic, offer-access
    rules: tuple[str, ...]
    message: str
    witness: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "rules": list(self.rules), "message": self.message, "witness": self.witness}


@dataclass(frozen=True)
class Attempt:
    """What a question means: its rules, how its witness is confirmed, the finding and the proof."""

    rules: tuple[str, ...]
    exhibits: Callable[[Witness], bool]
    finding: Callable[[Witness], Finding]
    proof: str


@dataclass(frozen=True)
class Unknown:
    check: str
    rules: tuple[str, ...]
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"check": self.check, "rules": list(self.rules), "reason": self.reason}


@dataclass
class Report:
    ruleset: str
    version: str
    findings: list[Finding] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)
    proved: list[str] = field(default_factory=list)
    lang: str = field(default_factory=language, repr=False, compare=False)  # the words' language

    @property
    def ok(self) -> bool:
        return not self.findings

    def render(self, verbose: bool = False) -> str:
        with messages_in(self.lang):
            return self._text(verbose)

    def _text(self, verbose: bool) -> str:
        lines = [_("{ruleset} {version}: {findings} findings, {proved} properties proved, {unknown} unknown",
                   ruleset=self.ruleset, version=self.version, findings=len(self.findings),
                   proved=len(self.proved), unknown=len(self.unknown))]
        for finding in self.findings:
            rules = ", ".join(finding.rules) or _("ruleset")
            lines.append(f"  {fit(kind_text(finding.kind), 14)} " + _("{rules}: {message}", rules=rules,
                                                                             message=finding.message))
            if finding.witness is not None:
                facts = ", ".join(f"{k}={v!r}" for k, v in finding.witness.items() if k != "id")
                lines.append(f"  {'':<14} " + _("witness: {facts}", facts=facts or _("(no facts)")))
        for unknown in self.unknown:
            lines.append(f"  {fit(kind_text('unknown'), 14)} " + _("{rules}: {message}", rules=", ".join(
                unknown.rules) or unknown.check, message=unknown.reason))
        for proof in self.proved if verbose else ():
            lines.append(f"  {fit(kind_text('proved'), 14)} {proof}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"ruleset": self.ruleset, "version": self.version,
                "findings": [f.as_dict() for f in self.findings], "unknown": [u.as_dict() for u in self.unknown],
                "proved": self.proved}


class Checker:
    """Runs every check on one ruleset, asking its questions of one incremental solver
    (:mod:`~marketing_rules.analysis.incremental`)."""

    def __init__(self, program: Program, decide: Decide, *, timeout: float = BUDGET_S,
                 question_timeout: float = TIMEOUT_MS / 1000, progress: bool = False):
        self.budget = Budget(timeout, int(question_timeout * 1000))
        self.decide = decide
        self.program = program
        self.encoder = Encoder(self.program)
        self.enc: Encoding = self.encoder.encode()
        self.progress = Progress(_("check {ruleset} {version}", ruleset=program.ruleset, version=program.version),
                                 progress)
        self.solver = Incremental(self.enc, self.budget, self.progress)
        self.report = Report(program.ruleset, program.version)

    def run(self) -> Report:
        self.dead_rules()
        self.tables()
        checks = self.program.checks
        if checks is not None:
            for group in checks.exclusive:
                self.overlaps(group)
            if checks.coverage:
                self.coverage()
            if checks.monotonic_fact:
                self.monotonic()
        if self.program.access is not None:
            self.offer_access()
        self.progress.finish()
        return self.report

    # -- solving ---------------------------------------------------------------------------------
    def ask(self, questions: list[Question], phase: str) -> list[Question]:
        self.solver.ask(questions, phase)
        return questions

    def solve(self, *goal: Any, decided: bool = True) -> tuple[str, dict[str, Any] | None, str]:
        """("sat", witness, "") or ("unsat", None, "") or ("unknown", None, reason).

        ``decided``: only among customers whose evaluation is no error (no unique table matching
        twice); every question but a unique table's overlap is about those."""
        question = Question(goal, decided=decided)
        self.ask([question], "other")
        return question.status, question.witness, question.reason

    def out_of_time(self) -> bool:
        return self.budget.over()

    def out_of_time_reason(self) -> str:
        return self.budget.reason()

    def attempts(self, check: str, asked: list[tuple[Question, Attempt]]) -> None:
        """Ask every question, then report each answer in order: a proof, an unknown, or a finding
        whose witness the engine confirms."""
        self.ask([q for q, _ in asked], check)
        for question, attempt in asked:
            self.record(check, question, attempt)

    def record(self, check: str, question: Question, attempt: Attempt) -> None:
        if question.status == "unsat":
            self.report.proved.append(attempt.proof)
        elif question.status == "unknown":
            self.report.unknown.append(Unknown(check, attempt.rules, question.reason))
        elif question.witness is not None and attempt.exhibits(question.witness):
            self.report.findings.append(attempt.finding(question.witness))
        else:
            self.report.unknown.append(Unknown(check, attempt.rules,
                                               _("the solver's witness does not hold when evaluated")))

    # -- the checks ------------------------------------------------------------------------------
    def dead_rules(self) -> None:
        traces = list(self.enc.rules.values())
        fires = self.ask([Question([t.fires], wants_witness=False) for t in traces], "dead rules")
        grouped = [t for t, q in zip(traces, fires) if q.status == "unsat" and t.rule.group is not None]
        holds = self.ask([Question([t.holds], wants_witness=False) for t in grouped], "dead rules")
        reachable = {t.rule.id for t, q in zip(grouped, holds) if q.status == "sat"}
        for trace, question in zip(traces, fires):
            rule_id = trace.rule.id
            if question.status == "unknown":
                self.report.unknown.append(Unknown("dead-rule", (rule_id,), question.reason))
            if question.status != "unsat":
                continue
            why = _("can never fire: its group '{group}' always gives another rule first", group=trace.rule.group) \
                if rule_id in reachable else _("can never fire: its condition can never be true")
            self.report.findings.append(Finding("dead-rule", (rule_id,), why, None))

    def tables(self) -> None:
        for trace in self.enc.tables.values():
            self._rows(trace)
            if trace.table.hit == "unique":
                self._unique(trace.table, trace)

    def _rows(self, trace: TableTrace) -> None:
        """Dead and shadowed rows, one question per row: a row some customer gets (under first hit,
        ahead of every earlier row) is neither; only the others are asked whether they match at all."""
        table = trace.table
        first = table.hit == "first"
        ids = [table.row_id(row) for row in table.rows]
        taken = self.ask([Question([trace.chosen[i] if first else trace.matches[i]], wants_witness=False)
                          for i in range(len(ids))], f"table {table.id}")
        again = [i for i, q in enumerate(taken) if q.status != "sat" and first and i > 0]
        matched = dict(zip(again, self.ask([Question([trace.matches[i]]) for i in again], f"table {table.id}")))
        for i, question in enumerate(taken):
            match = matched.get(i, question)
            if match.status == "unsat":
                self.report.findings.append(Finding("dead-rule", (ids[i],), _("this row's cells can never all match"),
                                                    None))
            elif question.status == "unsat" and match.witness is not None \
                    and self._row_matches(table, i, match.witness):
                self.report.findings.append(Finding(
                    "shadowed-row", (ids[i],), _("every customer it matches is taken by an earlier row ({rows})",
                                                 rows=", ".join(ids[:i])), match.witness))
            elif question.status == "unknown" and i in matched:
                self.report.unknown.append(Unknown("shadowed-row", (ids[i],), question.reason))

    def _unique(self, table: Table, trace: TableTrace) -> None:
        inputs_present = [self.enc.facts[name].defined for e in table.inputs for name in sorted(ast.facts_read(e.node))]
        self.attempts("table-gap", [(Question([*inputs_present, *[z3.Not(m) for m in trace.matches]]),
                                     Attempt(
            (table.id,), exhibits=lambda w: not any(self._row_matches(table, i, w) for i in range(len(table.rows))),
            finding=partial(Finding, "table-gap", (table.id,), _("no row matches this customer")),
            proof=_("table {table}: every customer with its inputs present matches a row", table=table.id)))])
        # per row, one question: does it match with an earlier row? Only rows that do are asked per pair
        n = len(table.rows)
        later = self.ask([Question([trace.matches[j], trace.before[j]], decided=False)
                          for j in range(n)], "table-overlap")
        pairs = [(i, j) for i, j in itertools.combinations(range(n), 2) if later[j].status != "unsat"]
        asked = {pair: question for pair, question in zip(pairs, self.ask(
            [Question([trace.matches[i], trace.matches[j]], decided=False) for i, j in pairs],
            "table-overlap"))}
        for i, j in itertools.combinations(range(n), 2):
            rows = (table.row_id(table.rows[i]), table.row_id(table.rows[j]))
            self.record("table-overlap", asked.get((i, j)) or Question([], status="unsat"), Attempt(
                rows, exhibits=self._raises_unique,
                finding=partial(Finding, "table-overlap", rows, _("both rows match this customer")),
                proof=_("table {table}: rows {first} and {second} never both match", table=table.id, first=rows[0],
                        second=rows[1])))

    def overlaps(self, group: str) -> None:
        members = [t for t in self.enc.rules.values() if t.rule.group == group]
        pairs = len(members) * (len(members) - 1) // 2
        if self.out_of_time():
            self.report.unknown.append(Unknown("overlap", (), _("group {group}: {pairs} of {pairs} pairs {reason}",
                                                                group=group, pairs=pairs,
                                                                reason=self.out_of_time_reason())))
            return
        asked = []
        for a, b in itertools.combinations(members, 2):
            ids = (a.rule.id, b.rule.id)
            asked.append((Question([a.holds, b.holds]), Attempt(
                ids, exhibits=partial(self._both_hold, ids=ids),
                finding=partial(Finding, "overlap", ids, _("both offers of exclusive group '{group}' apply to this "
                                                           "customer (the group gives only the first that fires)",
                                                           group=group)),
                proof=_("group {group}: {first} and {second} never overlap", group=group, first=ids[0],
                        second=ids[1]))))
        self.attempts("overlap", asked)

    def coverage(self) -> None:
        checks = self.program.checks
        assert checks is not None
        among = [self._truth(checks.coverage_among.node)] if checks.coverage_among is not None else []
        offers = [t.fires for t in self.enc.rules.values() if t.rule.offer is not None]
        if checks.coverage_among is not None:
            scope = checks.coverage_among.text
            message = _("this customer receives no offer among customers with {condition}", condition=scope)
            proof = _("every customer with {condition} receives an offer", condition=scope)
        else:
            message, proof = _("this customer receives no offer"), _("every customer receives an offer")
        self.attempts("gap", [(Question([*among, *[z3.Not(f) for f in offers]]), Attempt(
            (), exhibits=lambda w: self._in_scope(w) and not self.decide(w).offers,
            finding=partial(Finding, "gap", (), message), proof=proof))])

    def monotonic(self) -> None:
        checks = self.program.checks
        access = self.program.access
        assert checks is not None and checks.monotonic_fact is not None
        if access is None or access.by != checks.monotonic_fact:
            self.report.unknown.append(Unknown("not-monotonic", (), _("the access matrix is not keyed by {fact}",
                                                                      fact=checks.monotonic_fact)))
            return
        order = checks.monotonic_order
        codes = self.enc.strings
        for low, high in itertools.combinations(order, 2):
            lost = _lost(access.table.get(low, {}), access.table.get(high, {}))
            if not lost:
                continue
            fact = self.enc.facts[checks.monotonic_fact]
            status, witness, _why = self.solve(fact.defined, fact.term == codes[high])
            lost_text = ", ".join(f"{service} ({mode})" for service, mode in lost[:4]) + (" ..." if len(lost) > 4 else "")
            self.report.findings.append(Finding(
                "not-monotonic", (f"access.{high}", f"access.{low}"),
                _("{high} ranks above {low} but loses {lost}", high=high, low=low, lost=lost_text),
                witness if status == "sat" else None))
        if not any(f.kind == "not-monotonic" for f in self.report.findings):
            self.report.proved.append(_("access never shrinks along {order}", order=" < ".join(order)))

    def offer_access(self) -> None:
        """Every offer giving a service reaches only customers the access matrix (or the offer's own
        grant) lets use it: under the offer's mode when that is an access mode (``trial``), else under any."""
        access = self.program.access
        assert access is not None
        by = self.enc.facts[access.by]
        values = self.program.fact_types[access.by].values or tuple(access.table)
        asked = []
        for trace in self.enc.rules.values():
            rule = trace.rule
            for service in services_given(rule):
                denied = [v for v in values if not allowed(access.table.get(v, {}), rule, service)]
                codes = [by.term == self.enc.strings[v] for v in denied if v in self.enc.strings]
                where = f"{access.by} {', '.join(denied) or 'null'}"
                reached = z3.Or(z3.Not(by.defined), z3.And(by.defined, z3.Or(codes))) if codes else z3.Not(by.defined)
                asked.append((Question([trace.fires, reached]), Attempt(
                    (rule.id,), exhibits=partial(self._denied, rule=rule, service=service),
                    finding=partial(Finding, "offer-access", (rule.id,),
                                    _("gives the service {service} to a customer whose access does not allow it "
                                      "(the matrix denies it for {where})", service=service, where=where)),
                    proof=_("offer {offer}: {service} only where the access matrix allows it", offer=rule.id,
                            service=service))))
        self.attempts("offer-access", asked)

    # -- evaluating witnesses --------------------------------------------------------------------
    def _truth(self, node: ast.Expr) -> Any:
        return self.encoder.truth(node)[0]  # in the final state: after every fact is derived

    def _facts(self, witness: Witness) -> Mapping[str, Any]:
        return self.decide(witness).facts

    def _in_scope(self, witness: Witness) -> bool:
        checks = self.program.checks
        if checks is None or checks.coverage_among is None:
            return True
        return truth_of(checks.coverage_among.node, self._facts(witness)) is True

    def _both_hold(self, witness: Witness, ids: tuple[str, ...]) -> bool:
        """Whether each rule's condition is true for the witness, after every fact is derived."""
        facts = self._facts(witness)
        rules = [self.program.unit(rule_id) for rule_id in ids]
        return all(isinstance(rule, Rule) and (rule.when is None or truth_of(cond_to_ast(rule.when), facts) is True)
                   for rule in rules)

    def _row_matches(self, table: Table, index: int, witness: Witness) -> bool:
        try:
            facts = self._facts(witness)
        except EvaluationError:
            return True
        return truth_of(table.rows[index].condition(), facts) is True

    def _denied(self, witness: Witness, rule: Rule, service: str) -> bool:
        """Whether the witness gets the offer and the decision does not let it use the service so."""
        decision = self.decide(witness)
        if rule.id not in decision.fired:
            return False
        got = decision.access.get(service)
        wanted = access_mode(rule)
        return got is None or (wanted is not None and wanted not in got.modes and "free" not in got.modes)

    def _raises_unique(self, witness: Witness) -> bool:
        try:
            self.decide(witness)
        except EvaluationError:
            return True
        return False


def _lost(lower: Any, higher: Any) -> list[tuple[str, str]]:
    """The (service, mode) pairs the lower value has and the higher one lacks; free covers every mode."""
    lost = []
    for service, access in lower.items():
        above = higher.get(service)
        modes = set(above.modes) if above is not None else set()
        if "free" in modes:
            continue
        lost += [(service, mode) for mode in access.modes if mode not in modes]
    return sorted(lost)


def check(program: Program, decide: Decide, *, timeout: float = BUDGET_S,
          question_timeout: float = TIMEOUT_MS / 1000, progress: bool = False) -> Report:
    """Every static check on one ruleset: findings with witnesses, proofs, and what stayed unknown.

    ``decide`` evaluates a witness as the engine does (``Ruleset.evaluate``), so that only findings
    the engine really exhibits are reported. ``timeout`` bounds the whole run in seconds,
    ``question_timeout`` each solver question; a question not decided in time, or not reached within
    the budget, is reported unknown with the reason. ``progress`` shows the questions answered so far
    on stderr, about once a second, for long runs.
    """
    return Checker(program, decide, timeout=timeout, question_timeout=question_timeout, progress=progress).run()


__all__ = ["Finding", "Report", "Unknown", "check"]
