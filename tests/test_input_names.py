"""Names are never silently ignored: an input column or key that is not a fact of the schema is a
warning with a did-you-mean (an error with strict), on the command line, in the batch summary
and in scenario files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import marketing_rules as mr
from marketing_rules.batch import SourceError
from marketing_rules.batch.sources import unknown_columns
from marketing_rules.cli import main
from marketing_rules.testing.scenarios import check, read_scenarios, run
from tests.conftest import ROOT

pa = pytest.importorskip("pyarrow")

GOTONE = ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml"
GOLD = {"id": "1", "card": "gold", "ARPU_3M": 300}


@pytest.fixture(scope="module")
def rs() -> mr.Ruleset:
    return mr.load_ruleset(GOTONE)


def invoke(*args: Any) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args])


def test_did_you_mean_by_case_and_by_spelling() -> None:
    facts = ["id", "arpu_3m", "tenure_months", "card"]
    assert unknown_columns(["id", "ARPU_3M", "tenur_months", "zzz"], facts) == [
        "column 'ARPU_3M' is not a fact of the schema (did you mean arpu_3m?)",
        "column 'tenur_months' is not a fact of the schema (did you mean tenure_months?)",
        "column 'zzz' is not a fact of the schema",
    ]


@pytest.mark.parametrize("backend", ["native", "duckdb"])
def test_the_batch_summary_warns_of_an_unknown_column(rs: mr.Ruleset, backend: str) -> None:
    table = pa.table({"id": ["1"], "card": ["gold"], "ARPU_3M": [300]})
    result = rs.evaluate_batch(table, backend=backend)
    assert result.summary.warnings == ("column 'ARPU_3M' is not a fact of the schema (did you mean arpu_3m?)",)
    assert str(result.summary).startswith("warning: column 'ARPU_3M'")
    with pytest.raises(SourceError, match="did you mean arpu_3m"):
        rs.evaluate_batch(table, backend=backend, strict=True)


def test_a_column_in_another_case_does_not_stand_in_for_the_fact(rs: mr.Ruleset) -> None:
    table = pa.table({"id": ["1"], "card": ["gold"], "arpu_3m": ["10"], "ARPU_3M": ["300"]})
    tier = rs.evaluate({"id": "1", "card": "gold", "arpu_3m": "10"}).facts["tier"]
    assert tier != rs.evaluate({"id": "1", "card": "gold", "arpu_3m": "300"}).facts["tier"]
    for backend in ("native", "duckdb"):
        assert rs.evaluate_batch(table, backend=backend).table.column("tier").to_pylist() == [tier], backend


def test_the_command_line_warns_of_an_unknown_key(tmp_path: Path) -> None:
    result = invoke("eval", GOTONE, json.dumps(GOLD))
    assert result.exit_code == 0
    assert "warning: key 'ARPU_3M' is not a fact of the schema (did you mean arpu_3m?)" in result.output
    strict = invoke("eval", GOTONE, json.dumps(GOLD), "--strict")
    assert strict.exit_code == 2 and "did you mean arpu_3m" in strict.output and "Traceback" not in strict.output
    source = tmp_path / "customers.csv"
    source.write_text("id,card,ARPU_3M\n1,gold,300\n", encoding="utf-8")
    batch = invoke("eval", GOTONE, "--customers", source)
    assert batch.exit_code == 0 and "warning: column 'ARPU_3M' is not a fact of the schema" in batch.output
    assert invoke("eval", GOTONE, "--customers", source, "--strict").exit_code == 2


def scenario_file(tmp_path: Path, body: str) -> Path:
    folder = tmp_path / "gotone-vip"
    folder.mkdir()
    (folder / "1.0.0.yaml").write_text(GOTONE.read_text(encoding="utf-8"), encoding="utf-8")
    path = folder / "1.0.0.test.yaml"
    path.write_text(body, encoding="utf-8")
    return path


TYPOS = """\
scenarios:
  - name: a long-standing customer
    given: {id: "1", card: gold, arpu_3m: 300, tenur_months: 30}
    expect:
      facts: {teir: gold}
      not_offers: [prestore-golff]
      tags: [retention-targte]
      access: {golf-clubb: denied}
      fired: [no-such-rule]
"""


TYPO_ONLY = """\
scenarios:
  - name: a long-standing customer
    given: {id: "1", card: gold, arpu_3m: 300, tenur_months: 30}
    expect: {points: 0}
"""


def test_a_scenario_names_every_unknown_name(rs: mr.Ruleset, tmp_path: Path) -> None:
    [scenario] = read_scenarios(scenario_file(tmp_path, TYPOS))
    result = check(rs, scenario)
    warnings = result.warnings
    assert "fact 'tenur_months' is not a fact of the schema (did you mean tenure_months?)" in warnings
    assert "fact 'teir' is no fact of the ruleset (did you mean tier?)" in warnings
    assert any(w.startswith("offer 'prestore-golff' is no offer of the ruleset (did you mean prestore-golf") for w in warnings)
    assert any(w.startswith("service 'golf-clubb' is no service of the ruleset (did you mean golf-club") for w in warnings)
    assert any(w.startswith("tag 'retention-targte'") for w in warnings)
    assert any(w.startswith("rule 'no-such-rule'") for w in warnings)
    strict = check(rs, scenario, strict=True)
    assert not strict.passed and set(warnings) <= set(strict.failures)


def test_the_test_command_warns_and_fails_under_strict(tmp_path: Path) -> None:
    path = scenario_file(tmp_path, TYPO_ONLY)
    report = run([path])
    assert not report.failed and "did you mean tenure_months" in report.render()
    result = invoke("test", path.parent)
    assert "warning" in result.output and "did you mean tenure_months" in result.output
    strict = invoke("test", path.parent, "--strict")
    assert strict.exit_code == 1 and "FAIL" in strict.output and "did you mean tenure_months" in strict.output
