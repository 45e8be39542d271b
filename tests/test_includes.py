"""Definitions shared by several rulesets: included by reference, defined once, covered by the lock and diff."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import marketing_rules as mr
from marketing_rules.cli import main
from marketing_rules.versioning.diff import structural
from marketing_rules.versioning.registry import rule_files

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT / "rulesets" / "shared" / "telecom-1.defs.yaml"

DEFS = """\
definitions: city
constants:
  high_value: 120
tags:
  retention-target: high value and high risk
codes:
  parts:
    - {name: type, values: {1: uplift, 2: retention}}
    - {name: mode, values: {1: gift, 4: trial}}
  serial: true
"""

RULES = """\
ruleset: pack
version: {version}
include: [../shared/city.defs.yaml]
rules:
  - id: keep
    when: arpu >= high_value
    then:
      tag: retention-target
      offer: {{code: {code}, rewards: [{{bill_credit: 10}}]}}
"""


def folder(tmp_path: Path, defs: str = DEFS, version: str = "1.0.0", code: str = "2-1-07",
           rules: str = RULES) -> Path:
    (tmp_path / "shared").mkdir(exist_ok=True)
    (tmp_path / "shared" / "city.defs.yaml").write_text(defs, encoding="utf-8")
    (tmp_path / "pack").mkdir(exist_ok=True)
    path = tmp_path / "pack" / f"{version}.yaml"
    path.write_text(rules.format(version=version, code=code), encoding="utf-8")
    return path


def diagnostics(path: Path) -> list[mr.Diagnostic]:
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset(path)
    return caught.value.diagnostics


def test_including_is_writing_the_definitions_in_the_file(tmp_path):
    included = mr.load_ruleset(folder(tmp_path))
    inline = RULES.format(version="1.0.0", code="2-1-07").replace(
        "include: [../shared/city.defs.yaml]\n", DEFS.removeprefix("definitions: city\n"))
    written = mr.load_ruleset(tmp_path / "inline.yaml", text=inline)
    assert included.fingerprint == written.fingerprint
    assert included.evaluate({"id": "1", "arpu": 120.0}).tags == {"retention-target"}
    assert included.evaluate({"id": "1", "arpu": 119.99}).tags == set()


def test_a_name_defined_here_and_in_an_included_file_is_refused_at_its_key(tmp_path):
    rules = RULES.replace("rules:\n", "constants:\n  high_value: 100\nrules:\n")
    [problem] = diagnostics(folder(tmp_path, rules=rules))
    assert (problem.code, problem.line, problem.column) == ("MR015", 5, 3)
    assert "constant 'high_value' is defined here and in ../shared/city.defs.yaml" in problem.message


def test_two_included_files_defining_one_name_are_refused(tmp_path):
    path = folder(tmp_path, rules=RULES.replace("[../shared/city.defs.yaml]",
                                                "[../shared/city.defs.yaml, ../shared/again.defs.yaml]"))
    (tmp_path / "shared" / "again.defs.yaml").write_text("definitions: again\ntags: {retention-target: x}\n",
                                                          encoding="utf-8")
    [problem] = diagnostics(path)
    assert problem.code == "MR015" and (problem.line, problem.column) == (3, 37)
    assert "tag 'retention-target' is defined in both ../shared/city.defs.yaml and ../shared/again.defs.yaml" \
        in problem.message


def test_a_missing_or_misnamed_include_is_named_at_its_entry(tmp_path):
    path = folder(tmp_path, rules=RULES.replace("city.defs.yaml", "town.defs.yaml"))
    [problem] = diagnostics(path)
    assert (problem.code, problem.line, problem.column) == ("MR014", 3, 11)
    assert "cannot include ../shared/town.defs.yaml" in problem.message
    assert str(tmp_path / "shared" / "town.defs.yaml") in (problem.hint or "")
    [problem] = diagnostics(folder(tmp_path, rules=RULES.replace("city.defs.yaml", "city.yaml")))
    assert problem.code == "MR014" and "not a definitions file" in problem.message


def test_a_mistake_inside_the_definitions_file_is_placed_in_that_file(tmp_path):
    path = folder(tmp_path, defs=DEFS.replace("tags:", "tagz:"))
    [problem] = diagnostics(path)
    assert problem.code == "MR010" and problem.file == str(tmp_path / "shared" / "city.defs.yaml")
    assert (problem.line, problem.column) == (4, 1) and "'tagz'" in problem.message


@pytest.mark.parametrize("code, words", [
    ("3-1-07", "type is 3, which is not one of 1 uplift, 2 retention"),
    ("2-1", None),  # no serial: allowed
    ("2-1-07-9", "has 4 parts"),
    ("2-1-x7", "the serial number 'x7' is not digits"),
])
def test_catalogue_codes_follow_the_scheme(tmp_path, code, words):
    path = folder(tmp_path, code=code)
    if words is None:
        assert mr.load_ruleset(path).evaluate({"id": "1", "arpu": 500.0}).offers[0].code == code
        return
    [problem] = diagnostics(path)
    assert problem.code == "MR211" and words in problem.message and problem.line == 9


def test_the_lock_covers_the_included_definitions(tmp_path):
    path = folder(tmp_path)
    runner = CliRunner()
    assert runner.invoke(main, ["release", str(path)]).exit_code == 0
    mr.Registry(tmp_path)  # the definitions file itself is not a ruleset
    (tmp_path / "shared" / "city.defs.yaml").write_text(DEFS.replace("120", "100"), encoding="utf-8")
    [problem] = diagnostics(path)
    assert problem.code == "MR404" and "pack 1.0.0 was released with fingerprint" in problem.message
    assert runner.invoke(main, ["validate", str(path)]).exit_code == 1


def test_diff_shows_a_changed_shared_definition_for_every_ruleset_that_uses_it(tmp_path):
    old = mr.load_ruleset(folder(tmp_path))
    (tmp_path / "shared" / "city-2.defs.yaml").write_text(DEFS.replace("120", "100"), encoding="utf-8")
    new = mr.load_ruleset(folder(tmp_path, version="1.1.0",
                                 rules=RULES.replace("city.defs.yaml", "city-2.defs.yaml")))
    changes = {(c.part, c.id, c.change): c.fields for c in structural(old, new)}
    assert changes == {("header", "include", "changed"): (), ("constant", "high_value", "changed"): ()}
    result = CliRunner().invoke(main, ["diff", str(tmp_path / "pack" / "1.0.0.yaml"), str(tmp_path / "pack" / "1.1.0.yaml")])
    assert "high_value" in result.output


def test_the_shipped_rulesets_share_their_definitions():
    users = [rs for rs in map(mr.load_ruleset, rule_files(ROOT / "rulesets")) if rs.file.include]
    assert {(rs.id, rs.version) for rs in users} == {
        ("gotone-vip", "1.2.0"), ("experience-club", "1.2.0"), ("lifecycle", "1.2.0"), ("stock-ops", "1.3.0")}
    for rs in users:
        assert rs.program.constants["warning_ratio"] == rs.program.constants["warning_ratio"]
        assert float(rs.program.constants["high_value"]) == 120 and float(rs.program.constants["warning_ratio"]) == 0.75
        assert rs.file.codes is not None and "retention-target" in rs.file.tags
    assert SHARED not in set(rule_files(ROOT / "rulesets"))
