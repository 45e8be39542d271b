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
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

import z3

from marketing_rules.analysis.access import access_mode, allowed, services_given
from marketing_rules.analysis.program import Program, Rule, Table, cond_to_ast
from marketing_rules.analysis.symbolic import Encoder, Encoding, TableTrace
from marketing_rules.errors import EvaluationError
from marketing_rules.expressions import ast
from marketing_rules.expressions.evaluate import truth_of


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

    @property
    def ok(self) -> bool:
        return not self.findings

    def render(self, verbose: bool = False) -> str:
        lines = [f"{self.ruleset} {self.version}: {len(self.findings)} findings, {len(self.proved)} properties proved, "
                 f"{len(self.unknown)} unknown"]
        for finding in self.findings:
            lines.append(f"  {finding.kind:<14} {', '.join(finding.rules) or 'ruleset'}: {finding.message}")
            if finding.witness is not None:
                facts = ", ".join(f"{k}={v!r}" for k, v in finding.witness.items() if k != "id")
                lines.append(f"  {'':<14} witness: {facts or '(no facts)'}")
        for unknown in self.unknown:
            lines.append(f"  {'unknown':<14} {', '.join(unknown.rules) or unknown.check}: {unknown.reason}")
        for proof in self.proved if verbose else ():
            lines.append(f"  {'proved':<14} {proof}")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {"ruleset": self.ruleset, "version": self.version,
                "findings": [f.as_dict() for f in self.findings], "unknown": [u.as_dict() for u in self.unknown],
                "proved": self.proved}


class Checker:
    """Runs every check on one ruleset."""

    def __init__(self, program: Program, decide: Decide, *, timeout: float = BUDGET_S,
                 question_timeout: float = TIMEOUT_MS / 1000):
        self.budget = timeout
        self.deadline = time.monotonic() + timeout
        self.timeout_ms = int(question_timeout * 1000)
        self.decide = decide
        self.program = program
        self.encoder = Encoder(self.program)
        self.enc: Encoding = self.encoder.encode()
        self.decided = z3.Not(z3.Or(self.enc.undecided)) if self.enc.undecided else z3.BoolVal(True)
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
        return self.report

    # -- solving ---------------------------------------------------------------------------------
    def solve(self, *goal: Any, decided: bool = True) -> tuple[str, dict[str, Any] | None, str]:
        """("sat", witness, "") or ("unsat", None, "") or ("unknown", None, reason).

        ``decided``: only among customers whose evaluation is no error (no unique table matching
        twice); every question but a unique table's overlap is about those."""
        unsupported = self.enc.unsupported_in(*goal)
        if unsupported:
            return "unknown", None, f"the checker cannot express {'; '.join(unsupported)}"
        left_ms = int((self.deadline - time.monotonic()) * 1000)
        if left_ms <= 0:
            return "unknown", None, self.out_of_time_reason()
        solver = z3.Solver()
        solver.set("timeout", min(self.timeout_ms, left_ms))
        solver.add(*self.enc.constraints, *goal)
        if decided:
            solver.add(self.decided)
        result = solver.check()
        if result == z3.sat:
            return "sat", self.enc.customer(solver.model()), ""
        if result == z3.unsat:
            return "unsat", None, ""
        if time.monotonic() >= self.deadline:
            return "unknown", None, self.out_of_time_reason()
        return "unknown", None, f"the solver could not decide ({solver.reason_unknown()})"

    def out_of_time(self) -> bool:
        return time.monotonic() >= self.deadline

    def out_of_time_reason(self) -> str:
        return f"not decided within the check's budget of {self.budget:g} s (raise it with --timeout)"

    def attempt(self, check: str, rules: tuple[str, ...], goal: list[Any], exhibits: Callable[[Witness], bool],
                finding: Callable[[Witness], Finding], proof: str, decided: bool = True) -> None:
        status, witness, reason = self.solve(*goal, decided=decided)
        if status == "unsat":
            self.report.proved.append(proof)
        elif status == "unknown":
            self.report.unknown.append(Unknown(check, rules, reason))
        elif witness is not None and exhibits(witness):
            self.report.findings.append(finding(witness))
        else:
            self.report.unknown.append(Unknown(check, rules, "the solver's witness does not hold when evaluated"))

    # -- the checks ------------------------------------------------------------------------------
    def dead_rules(self) -> None:
        for rule_id, trace in self.enc.rules.items():
            status, _, reason = self.solve(trace.fires)
            if status == "unknown":
                self.report.unknown.append(Unknown("dead-rule", (rule_id,), reason))
            if status != "unsat":
                continue
            group = trace.rule.group
            reachable = group is not None and self.solve(trace.holds)[0] == "sat"
            why = f"its group '{group}' always gives another rule first" if reachable else \
                "its condition can never be true"
            self.report.findings.append(Finding("dead-rule", (rule_id,), f"can never fire: {why}", None))

    def tables(self) -> None:
        for trace in self.enc.tables.values():
            table = trace.table
            for i, row in enumerate(table.rows):
                row_id = table.row_id(row)
                status, witness, reason = self.solve(trace.matches[i])
                if status == "unsat":
                    self.report.findings.append(Finding("dead-rule", (row_id,), "this row's cells can never all match",
                                                        None))
                    continue
                if table.hit != "first" or i == 0:
                    continue
                status, witness, reason = self.solve(trace.chosen[i])
                if status == "unsat":
                    status, witness, _ = self.solve(trace.matches[i])
                    earlier = ", ".join(table.row_id(r) for r in table.rows[:i])
                    if witness is not None and self._row_matches(table, i, witness):
                        self.report.findings.append(Finding(
                            "shadowed-row", (row_id,), f"every customer it matches is taken by an earlier row "
                            f"({earlier})", witness))
                elif status == "unknown":
                    self.report.unknown.append(Unknown("shadowed-row", (row_id,), reason))
            if table.hit == "unique":
                self._unique(table, trace)

    def _unique(self, table: Table, trace: TableTrace) -> None:
        inputs_present = [self.enc.facts[name].defined for e in table.inputs for name in sorted(ast.facts_read(e.node))]
        self.attempt(
            "table-gap", (table.id,), [*inputs_present, *[z3.Not(m) for m in trace.matches]],
            exhibits=lambda w: not any(self._row_matches(table, i, w) for i in range(len(table.rows))),
            finding=lambda w: Finding("table-gap", (table.id,), "no row matches this customer", w),
            proof=f"table {table.id}: every customer with its inputs present matches a row")
        for i, j in itertools.combinations(range(len(table.rows)), 2):
            rows = (table.row_id(table.rows[i]), table.row_id(table.rows[j]))
            self.attempt(
                "table-overlap", rows, [trace.matches[i], trace.matches[j]],
                exhibits=self._raises_unique,
                finding=partial(Finding, "table-overlap", rows, "both rows match this customer"),
                proof=f"table {table.id}: rows {rows[0]} and {rows[1]} never both match", decided=False)

    def overlaps(self, group: str) -> None:
        members = [t for t in self.enc.rules.values() if t.rule.group == group]
        pairs = len(members) * (len(members) - 1) // 2
        for done, (a, b) in enumerate(itertools.combinations(members, 2)):
            if self.out_of_time():
                self.report.unknown.append(Unknown("overlap", (), f"group {group}: {pairs - done} of {pairs} pairs "
                                                   f"{self.out_of_time_reason()}"))
                return
            ids = (a.rule.id, b.rule.id)
            self.attempt(
                "overlap", ids, [a.holds, b.holds],
                exhibits=partial(self._both_hold, ids=ids),
                finding=partial(Finding, "overlap", ids, f"both offers of exclusive group '{group}' apply "
                                f"to this customer (the group gives only the first that fires)"),
                proof=f"group {group}: {ids[0]} and {ids[1]} never overlap")

    def coverage(self) -> None:
        checks = self.program.checks
        assert checks is not None
        among = [self._truth(checks.coverage_among.node)] if checks.coverage_among is not None else []
        offers = [t.fires for t in self.enc.rules.values() if t.rule.offer is not None]
        where = f" among customers with {checks.coverage_among.text}" if checks.coverage_among is not None else ""
        self.attempt(
            "gap", (), [*among, *[z3.Not(f) for f in offers]],
            exhibits=lambda w: self._in_scope(w) and not self.decide(w).offers,
            finding=lambda w: Finding("gap", (), f"this customer receives no offer{where}", w),
            proof=f"every customer{where.replace(' among customers with', ' with')} receives an offer")

    def monotonic(self) -> None:
        checks = self.program.checks
        access = self.program.access
        assert checks is not None and checks.monotonic_fact is not None
        if access is None or access.by != checks.monotonic_fact:
            self.report.unknown.append(Unknown("not-monotonic", (), f"the access matrix is not keyed by "
                                                                    f"{checks.monotonic_fact}"))
            return
        order = checks.monotonic_order
        codes = self.enc.strings
        for low, high in itertools.combinations(order, 2):
            lost = _lost(access.table.get(low, {}), access.table.get(high, {}))
            if not lost:
                continue
            fact = self.enc.facts[checks.monotonic_fact]
            status, witness, _ = self.solve(fact.defined, fact.term == codes[high])
            lost_text = ", ".join(f"{service} ({mode})" for service, mode in lost[:4])
            self.report.findings.append(Finding(
                "not-monotonic", (f"access.{high}", f"access.{low}"),
                f"{high} ranks above {low} but loses {lost_text}" + (" ..." if len(lost) > 4 else ""),
                witness if status == "sat" else None))
        if not any(f.kind == "not-monotonic" for f in self.report.findings):
            self.report.proved.append(f"access never shrinks along {' < '.join(order)}")

    def offer_access(self) -> None:
        """Every offer giving a service reaches only customers the access matrix (or the offer's own
        grant) lets use it: under the offer's mode when that is an access mode (``trial``), else under any."""
        access = self.program.access
        assert access is not None
        by = self.enc.facts[access.by]
        values = self.program.fact_types[access.by].values or tuple(access.table)
        for trace in self.enc.rules.values():
            rule = trace.rule
            for service in services_given(rule):
                denied = [v for v in values if not allowed(access.table.get(v, {}), rule, service)]
                codes = [by.term == self.enc.strings[v] for v in denied if v in self.enc.strings]
                where = f"{access.by} {', '.join(denied) or 'null'}"
                reached = z3.Or(z3.Not(by.defined), z3.And(by.defined, z3.Or(codes))) if codes else z3.Not(by.defined)
                self.attempt(
                    "offer-access", (rule.id,), [trace.fires, reached],
                    exhibits=partial(self._denied, rule=rule, service=service),
                    finding=partial(Finding, "offer-access", (rule.id,),
                                    f"gives the service {service} to a customer whose access does not allow it "
                                    f"(the matrix denies it for {where})"),
                    proof=f"offer {rule.id}: {service} only where the access matrix allows it")

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
          question_timeout: float = TIMEOUT_MS / 1000) -> Report:
    """Every static check on one ruleset: findings with witnesses, proofs, and what stayed unknown.

    ``decide`` evaluates a witness as the engine does (``Ruleset.evaluate``), so that only findings
    the engine really exhibits are reported. ``timeout`` bounds the whole run in seconds,
    ``question_timeout`` each solver question; a question not decided in time, or not reached within
    the budget, is reported unknown with the reason.
    """
    return Checker(program, decide, timeout=timeout, question_timeout=question_timeout).run()


__all__ = ["Finding", "Report", "Unknown", "check"]
