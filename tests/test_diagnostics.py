"""Bad rule files and the diagnostics they must produce: code, line, column and rule id.

Each file under fixtures/bad_rules starts with ``# expect: CODE LINE:COLUMN RULE`` lines (RULE is
``-`` where no rule is concerned); one load must report all of them and nothing else.
"""

from __future__ import annotations

import re

import pytest

import marketing_rules as mr
from tests.conftest import FIXTURES, load_errors

EXPECT = re.compile(r"^# expect: (MR\d{3}) (\d+):(\d+) (\S+)$", re.M)
BAD = sorted((FIXTURES / "bad_rules").glob("*.yaml"))


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_bad_rule_file_reports_every_error_in_place(path):
    text = path.read_bytes().decode("utf-8", "replace")  # some files hold bytes that are not UTF-8 on purpose
    expected = [(code, int(line), int(col), None if rule == "-" else rule)
                for code, line, col, rule in EXPECT.findall(text)]
    assert expected, f"{path.name} has no expect lines"
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset(path)
    got = [(d.code, d.line, d.column, d.rule) for d in caught.value.diagnostics]
    assert sorted(got, key=str) == sorted(expected, key=str)
    assert all(d.file == str(path) for d in caught.value.diagnostics)


def test_caret_underlines_the_unknown_name():
    error = load_errors("""\
        ruleset: caret
        version: 1.0.0
        rules:
          - id: prestore-lecture
            when: tenur_months >= 6
            then: {tag: x}
        """)
    (diagnostic,) = error.diagnostics
    assert diagnostic.hint == "did you mean 'tenure_months'?"
    rendered = diagnostic.render().splitlines()
    assert rendered[0] == ("test.yaml:5:11: MR101 rule 'prestore-lecture': unknown name 'tenur_months'; "
                           "did you mean 'tenure_months'?")
    assert rendered[1] == "        when: tenur_months >= 6"
    assert rendered[2] == "              ^^^^^^^^^^^^"


def test_unknown_enum_value_suggests_the_close_one():
    error = load_errors("""\
        ruleset: enum
        version: 1.0.0
        rules:
          - id: gold-only
            when: card in [gold, dimond]
            then: {tag: x}
        """)
    (diagnostic,) = error.diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("MR104", 5, 26)
    assert diagnostic.hint == "did you mean 'diamond'?"


def test_position_inside_a_quoted_expression():
    error = load_errors("""\
        ruleset: quoted
        version: 1.0.0
        rules:
          - id: q
            when: "status == 'active' and arpuu > 1"
            then: {tag: x}
        """)
    (diagnostic,) = error.diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("MR101", 5, 35)


def test_version_written_as_a_number_gets_a_hint():
    error = load_errors("""\
        ruleset: numeric-version
        version: 1.2
        rules: []
        """)
    (diagnostic,) = error.diagnostics
    assert diagnostic.code == "MR011" and diagnostic.line == 2
    assert "'1.2.0'" in diagnostic.message


def test_missing_file_is_a_diagnostic_not_a_traceback(tmp_path):
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset(tmp_path / "nope.yaml")
    assert caught.value.codes == ["MR012"]


def test_names_equal_after_nfkc_normalisation_are_refused():
    error = load_errors("""\
        ruleset: nfkc
        version: 1.0.0
        facts:
          ａrpu: {type: number}
          ｓcore: {type: number}
          score: {type: number}
        constants:
          rate: 2
          ｒate: 1
        rules:
          - id: a
            then: {set: {score: rate}}
        """)
    got = [(d.code, d.line, d.column, d.rule) for d in error.diagnostics]
    assert got == [("MR208", 4, 3, None), ("MR208", 6, 3, None), ("MR208", 9, 3, None)]
    assert error.diagnostics[0].message == (
        "'ａrpu' is 'arpu' once Unicode-normalised (NFKC), the name of a fact of the schema")
    assert error.diagnostics[2].message.endswith("the name of a constant")
    assert "NFKC" in (error.diagnostics[2].hint or "")
