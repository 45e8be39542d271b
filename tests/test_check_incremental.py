"""The incremental checker (one shared solver, questions batched) answers as each question solved
alone does, its witnesses exhibit their findings, tables are encoded in linear size, and long runs
show their progress."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
import z3
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings

import marketing_rules as mr
from marketing_rules.analysis import incremental
from marketing_rules.analysis.consistency import Checker, Finding, Report
from marketing_rules.analysis.incremental import Context, Incremental, Question
from marketing_rules.analysis.symbolic import _constants
from marketing_rules.cli import main
from tests.conformance.random_rulesets import rulesets
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from scale import ruleset_text  # noqa: E402


class Alone(Incremental):
    """The checker's questions each asked of a fresh solver holding everything: the reference."""

    def _batch(self, context: Context, questions: list[Question], decided: bool, phase: str) -> None:
        for question in questions:
            result, model, why = self._fresh(question, decided)
            if result == z3.sat and model is not None:
                question.answer("sat", self.enc.customer(model))
            elif result == z3.unsat:
                question.answer("unsat")
            else:
                question.answer("unknown", reason=why)


def answers(report: Report) -> tuple[list[Any], list[str], list[Any]]:
    return (sorted((f.kind, f.rules, f.message) for f in report.findings), sorted(report.proved),
            sorted((u.check, u.rules) for u in report.unknown))


def checked(rs: mr.Ruleset, alone: bool = False) -> Report:
    checker = Checker(rs.program, rs.evaluate, timeout=120)
    if alone:
        checker.solver = Alone(checker.enc, checker.budget, checker.progress)
    return checker.run()


def exhibits(rs: mr.Ruleset, finding: Finding) -> bool:
    """Whether the finding's witness, evaluated by the engine, shows the finding."""
    checker, w = Checker(rs.program, rs.evaluate), finding.witness
    assert w is not None
    if finding.kind == "overlap":
        return checker._both_hold(w, finding.rules)
    if finding.kind == "table-overlap":
        return checker._raises_unique(w)
    if finding.kind == "gap":
        return checker._in_scope(w) and not rs.evaluate(w).offers
    if finding.kind in ("shadowed-row", "table-gap"):
        trace = next(t for t in checker.enc.tables.values()
                     if finding.rules[0] in (t.table.id, *map(t.table.row_id, t.table.rows)))
        table = trace.table
        matching = [i for i in range(len(table.rows)) if checker._row_matches(table, i, w)]
        if finding.kind == "table-gap":
            return not matching
        row = [table.row_id(r) for r in table.rows].index(finding.rules[0])
        return row in matching and matching[0] < row
    if finding.kind == "offer-access":
        service = finding.message.split("gives the service ", 1)[1].split(" ", 1)[0]
        return checker._denied(w, rs.program.unit(finding.rules[0]), service)  # type: ignore[arg-type]
    return finding.kind == "not-monotonic"


def same_as_alone(rs: mr.Ruleset) -> None:
    shared = checked(rs)
    assert answers(shared) == answers(checked(rs, alone=True)), shared.render()
    for finding in shared.findings:
        assert finding.witness is None or exhibits(rs, finding), (finding, rs.program.ruleset)


@settings(max_examples=12, derandomize=True, database=None, deadline=None, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(drawn=rulesets())
def test_random_rulesets_get_the_answers_of_questions_solved_alone(drawn: Any) -> None:
    same_as_alone(mr.load_ruleset("random.yaml", text=drawn.text))


@pytest.mark.parametrize("rules", [12, 40])
def test_synthetic_catalogues_get_the_answers_of_questions_solved_alone(rules: int) -> None:
    same_as_alone(mr.load_ruleset("scale.yaml", text=ruleset_text(rules, rules, seed=rules)))


def test_large_catalogues_keep_their_answers_with_the_shared_solvers_witnesses(monkeypatch: Any) -> None:
    """Above EXACT_WITNESSES the witness is the shared solver's model: still each shows its finding."""
    monkeypatch.setattr(incremental, "EXACT_WITNESSES", 0)
    same_as_alone(mr.load_ruleset("scale.yaml", text=ruleset_text(30, 30, seed=3)))


def size(*terms: Any) -> int:
    """Nodes and edges of the formulas' graph (shared parts once): the size z3 is given."""
    seen: set[int] = set()
    stack, total = list(terms), 0
    while stack:
        term = stack.pop()
        if term.get_id() not in seen:
            seen.add(term.get_id())
            total += 1 + term.num_args()
            stack += term.children()
    return total


def table_size(rows: int, hit: str) -> int:
    cells = "\n".join(f'      - [">= {rows - i}", "{"p" if i % 2 else "q"}"]' for i in range(rows))
    text = (f"ruleset: t\nversion: 1.0.0\nfacts:\n  tier: {{type: enum, values: [p, q]}}\ntables:\n"
            f"  - id: tiers\n    hit: {hit}\n    inputs: [arpu]\n    outputs: [tier]\n    rows:\n{cells}\n")
    enc = Checker(*(lambda rs: (rs.program, rs.evaluate))(mr.load_ruleset("t.yaml", text=text))).enc
    trace = enc.tables["tiers"]
    return size(*enc.background(), *trace.chosen, *enc.undecided, enc.facts["tier"].term)


@pytest.mark.parametrize("hit", ["first", "unique", "priority"])
def test_hit_tables_are_encoded_in_linear_size(hit: str) -> None:
    small, large = table_size(40, hit), table_size(160, hit)
    assert large < 4.5 * small, (small, large)  # quadratic would be about 16 times


def test_units_that_cannot_interact_get_separate_solvers() -> None:
    text = """ruleset: parts
version: 1.0.0
facts:
  spend: {type: enum, values: [high, low]}
  age: {type: enum, values: [old, new]}
tables:
  - {id: spends, hit: first, inputs: [arpu], outputs: [spend], rows: [[">= 100", high], ["-", low]]}
  - {id: ages, hit: first, inputs: [tenure_months], outputs: [age], rows: [[">= 24", old], ["-", new]]}
rules:
  - {id: a, when: spend == high, then: {tag: a}}
  - {id: b, when: age == old, then: {tag: b}}
"""
    rs = mr.load_ruleset("parts.yaml", text=text)
    checker = Checker(rs.program, rs.evaluate)
    report = checker.run()
    assert set(checker.solver.contexts) - {frozenset()} == {frozenset({"spends"}), frozenset({"ages"})}
    a, b = (checker.enc.needs(checker.enc.rules[r].fires) for r in "ab")
    assert (a, b) == (frozenset({"spends"}), frozenset({"ages"}))
    assert not report.findings and not report.unknown
    assert "spends" not in str(checker.solver.contexts[frozenset({"ages"})].solver.assertions())


def test_progress_is_shown_on_stderr(capsys: Any) -> None:
    rs = mr.load_ruleset("scale.yaml", text=ruleset_text(8, 8))
    rs.check(progress=True)
    assert "check scale 1.0.0: done," in capsys.readouterr().err
    rs.check()
    assert capsys.readouterr().err == ""


def test_check_command_shows_progress_when_asked(tmp_path: Any) -> None:
    path = tmp_path / "scale.yaml"
    path.write_text(ruleset_text(8, 8), encoding="utf-8")
    shown = CliRunner().invoke(main, ["check", "--progress", str(path)])
    assert "questions in" in shown.stderr and "questions in" not in shown.stdout
    assert "questions in" not in CliRunner().invoke(main, ["check", str(path)]).stderr


def test_constants_walk_finds_every_name_once() -> None:
    x, flag = z3.Real("x"), z3.Bool("unsupported#1")
    shared = z3.If(flag, x, x + 1) > 3
    assert _constants(z3.And(shared, z3.Or(shared, x < 2))) == {"x", "unsupported#1"}


# the ruleset with a problem of every kind, from docs/api.md section 7
FLAWED = """\
ruleset: check-demo
version: 1.0.0
facts:
  tier: {type: enum, values: [gold, silver, ordinary]}
  band: {type: enum, values: [low, high]}
tables:
  - id: tier
    inputs: [arpu_3m]
    outputs: [tier]
    rows:
      - [">= 200", gold]
      - [">= 300", gold]
      - ["[120..200)", silver]
      - ["-", ordinary]
  - id: band
    hit: unique
    inputs: [arpu]
    outputs: [band]
    rows:
      - ["< 100", low]
      - [">= 90", high]
rules:
  - id: prestore-lecture
    group: prestore
    when: tier == silver and status == 'active'
    then: {offer: {requires: [prestore: 300], rewards: [bill_credit: 50]}}
  - id: prestore-golf
    group: prestore
    when: arpu_3m >= 150 and status == 'active'
    then: {offer: {requires: [prestore: 500], rewards: [bill_credit: 80]}}
  - id: never
    when: arpu > 100 and arpu < 50
    then: {tag: never}
services:
  lounge: {class: restricted}
  golf: {class: semi-open}
access:
  by: tier
  gold: {semi-open: paid}
  silver: {restricted: free, semi-open: [paid, prestore]}
checks:
  coverage: {offers: true, among: "status == 'active'"}
  exclusive: [prestore]
  monotonic: {fact: tier, order: [ordinary, silver, gold], over: access}
"""


def test_witnesses_do_not_depend_on_the_order_of_sets(tmp_path: Any) -> None:
    """The solver's models follow the order of its assertions; the checker asserts in the program's
    order, so two processes with different string hashes find the same witnesses."""
    import os
    import subprocess

    (tmp_path / "flawed.yaml").write_text(FLAWED, encoding="utf-8")
    reports = {re.sub(r"\(\d+\.\d s\)", "", subprocess.run(
        [sys.executable, "-m", "marketing_rules.cli", "check", "flawed.yaml"], cwd=tmp_path,
        env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True).stdout)
        for seed in ("1", "4", "7", "11")}
    assert len(reports) == 1 and "witness:" in reports.pop()
