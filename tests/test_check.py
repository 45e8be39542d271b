"""The static checker: planted problems are found, each witness shows its finding, clean rulesets prove clean."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.cli import main
from marketing_rules.versioning.registry import rule_files
from tests.conftest import FIXTURES, ROOT

CHECK = FIXTURES / "check"


@pytest.fixture(scope="module")
def planted():
    rs = mr.load_ruleset(CHECK / "planted.yaml")
    return rs, rs.check()


def kinds(report) -> set[tuple[str, tuple[str, ...]]]:
    return {(f.kind, f.rules) for f in report.findings}


def test_every_planted_problem_is_found(planted):
    _, report = planted
    assert kinds(report) == {
        ("dead-rule", ("impossible",)),
        ("dead-rule", ("big-spender-pack",)),
        ("dead-rule", ("always-blocked",)),
        ("dead-rule", ("tiers#4",)),
        ("shadowed-row", ("tiers#2",)),
        ("overlap", ("gold-pack", "big-spender-pack")),
        ("overlap", ("gold-pack", "always-blocked")),
        ("overlap", ("big-spender-pack", "always-blocked")),
        ("gap", ()),
        ("not-monotonic", ("access.gold", "access.silver")),
    }
    assert not report.unknown


def test_witnesses_really_exhibit_their_findings(planted):
    rs, report = planted
    for finding in report.findings:
        w = finding.witness
        if finding.kind == "dead-rule":
            assert w is None
        elif finding.kind == "overlap":
            for rule in finding.rules:
                assert rs.explain(w, rule).condition.result is True
            assert len([o for o in rs.evaluate(w).offers if o.group == "packs"]) == 1
        elif finding.kind == "gap":
            d = rs.evaluate(w)
            assert d.facts["status"] == "active" and d.offers == []
        elif finding.kind == "shadowed-row":
            d = rs.evaluate(w)
            assert "tiers#1" in d.fired and rs.explain(w, "tiers").rows[1].result is True
        elif finding.kind == "not-monotonic":
            d = rs.evaluate(w)
            assert d.facts["tier"] == "gold" and "golf" not in d.access


def test_unique_table_gap_and_overlap():
    rs = mr.load_ruleset(CHECK / "unique.yaml")
    report = rs.check()
    assert kinds(report) == {("table-gap", ("bands",)), ("table-overlap", ("bands#1", "bands#2"))}
    gap = next(f for f in report.findings if f.kind == "table-gap")
    assert 40 <= gap.witness["arpu"] < 50 and rs.evaluate(gap.witness).facts["band"] is None
    overlap = next(f for f in report.findings if f.kind == "table-overlap")
    with pytest.raises(mr.EvaluationError):
        rs.evaluate(overlap.witness)


def test_a_clean_ruleset_has_no_finding_and_proves_its_checks():
    report = mr.load_ruleset(CHECK / "clean.yaml").check()
    assert report.findings == [] and report.unknown == []
    assert "group packs: gold-pack and silver-pack never overlap" in report.proved
    assert "every customer with status == 'active' receives an offer" in report.proved
    assert "access never shrinks along ordinary < silver < gold" in report.proved


def test_undecided_is_unknown_never_a_proof():
    rs = mr.load_ruleset("nl.yaml", text=(
        "ruleset: nl\nversion: 1.0.0\nrules:\n  - id: r\n"
        "    when: sms > 0 and voice_min > 0 and sms * sms * sms + voice_min * voice_min * voice_min =="
        " tenure_months * tenure_months * tenure_months\n    then: {tag: x}\n"))
    report = rs.check(timeout=0.5)
    assert report.findings == [] and report.proved == []
    assert [(u.check, u.rules) for u in report.unknown] == [("dead-rule", ("r",))]


def test_the_checker_follows_the_documented_semantics():
    """ceil/floor/round of negatives and halves, quotients rounded to 10 places, count of non-null
    values, priority ties to the row nearer the top, sum/min over no rows null despite a default."""
    rs = mr.load_ruleset(CHECK / "semantics.yaml")
    report = rs.check()
    dead = {r.id for r in rs.program.rules if r.id.startswith("dead-")}
    assert kinds(report) == {("dead-rule", (rule,)) for rule in dead}
    assert not report.unknown


def test_what_the_encoding_cannot_express_is_unknown_with_its_reason():
    rs = mr.load_ruleset("len.yaml", text=(
        "ruleset: len\nversion: 1.0.0\nfacts:\n  labels: {type: list}\n  n: {type: integer}\n"
        "tables:\n  - {id: labels, hit: collect, inputs: [arpu], outputs: [labels], rows: [['> 10', \"'big'\"]]}\n"
        "rules:\n  - {id: counted, when: len(labels) > 3, then: {set: {n: 1}}}\n"
        "  - {id: later, when: n == 1, then: {tag: x}}\n  - {id: plain, when: arpu > 5, then: {tag: y}}\n"))
    report = rs.check()
    assert report.findings == []
    assert {(u.check, u.rules) for u in report.unknown} == {("dead-rule", ("counted",)), ("dead-rule", ("later",))}
    assert all("cannot express the function len()" in u.reason for u in report.unknown)


def test_shipped_rulesets_are_clean():
    for path in rule_files(ROOT / "rulesets"):
        report = mr.load_ruleset(path).check()
        assert report.findings == [], report.render()
        assert not [u for u in report.unknown if u.check == "offer-access"], report.render()


def test_check_command_exit_codes_and_json():
    runner = CliRunner()
    result = runner.invoke(main, ["check", str(CHECK / "planted.yaml")])
    assert result.exit_code == 1 and "shadowed-row" in result.output and "witness: arpu_3m=300.0" in result.output
    data = json.loads(runner.invoke(main, ["check", "--json", str(CHECK / "planted.yaml")]).output)
    assert {f["kind"] for f in data[0]["findings"]} >= {"overlap", "gap", "dead-rule"}
    assert runner.invoke(main, ["check", str(CHECK / "clean.yaml")]).exit_code == 0


# -- cross-check against sampling -----------------------------------------------------------------
band = st.tuples(st.integers(0, 300), st.integers(0, 300)).map(sorted)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(band, st.sampled_from([None, "campus", "migrant"])), min_size=2, max_size=3))
def test_checker_agrees_with_sampling(rules):
    lines = ["ruleset: random", "version: 1.0.0", "rules:"]
    for i, ((low, high), segment) in enumerate(rules):
        condition = f"arpu >= {low} and arpu < {high}" + (f" and segment == {segment}" if segment else "")
        lines += [f"  - id: r{i}", "    group: g", f"    when: {condition}",
                  "    then: {offer: {rewards: [{bill_credit: 1}]}}"]
    lines += ["checks:", "  coverage: {offers: true, among: 'arpu is not null and segment is not null'}",
              "  exclusive: [g]"]
    rs = mr.load_ruleset("random.yaml", text="\n".join(lines) + "\n")
    report = rs.check()
    edges = sorted({v for (lo, hi), _ in rules for v in (lo, hi, lo - 0.01, hi - 0.01, hi + 1)} | {0, 300.5})
    customers = [{"id": "s", "arpu": float(a), "segment": s} for a in edges if a >= 0
                 for s in ("campus", "migrant", "general")]
    sampled_gap = any(not rs.evaluate(c).offers for c in customers)
    sampled_overlaps = set()
    for c in customers:
        holding = [f"r{i}" for i in range(len(rules)) if rs.explain(c, f"r{i}").condition.result is True]
        sampled_overlaps |= {(a, b) for i, a in enumerate(holding) for b in holding[i + 1:]}
    found_overlaps = {f.rules for f in report.findings if f.kind == "overlap"}
    found_gap = any(f.kind == "gap" for f in report.findings)
    assert sampled_overlaps <= found_overlaps          # sampling found it: the checker reports it
    assert not sampled_gap or found_gap
    for a, b in found_overlaps - sampled_overlaps:     # the checker's extra findings carry real witnesses
        witness = next(f.witness for f in report.findings if f.rules == (a, b))
        assert rs.explain(witness, a).condition.result is True and rs.explain(witness, b).condition.result is True
    if "every customer with arpu is not null and segment is not null receives an offer" in report.proved:
        assert not sampled_gap
