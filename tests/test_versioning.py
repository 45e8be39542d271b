"""Registry, released-version lock, diff and impact, scenario files."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import marketing_rules as mr
from marketing_rules.cli import main
from marketing_rules.testing import scenarios
from marketing_rules.versioning.diff import impact, structural
from tests.conftest import ROOT

V1 = """\
    ruleset: pack
    version: 1.0.0
    effective: {from: 2026-11-01, until: 2027-01-01}
    rules:
      - id: big-spender
        when: arpu >= 100
        then:
          offer: {rewards: [{bill_credit: 10}]}
      - id: old-timer
        when: tenure_months >= 60
        then:
          offer: {rewards: [{data_mb: 500}]}
    """
V2 = V1.replace("1.0.0", "1.1.0").replace("{from: 2026-11-01, until: 2027-01-01}", "{from: 2027-01-01}") \
    .replace("arpu >= 100", "arpu >= 80").replace("""      - id: old-timer
        when: tenure_months >= 60
        then:
          offer: {rewards: [{data_mb: 500}]}
""", """      - id: newcomer
        when: tenure_months < 3
        then:
          offer: {rewards: [{voice_minutes: 100}]}
""")


def write(folder: Path, text: str, name: str | None = None) -> Path:
    version = next(line.split(":")[1].strip() for line in textwrap.dedent(text).splitlines() if line.startswith("version"))
    path = folder / "pack" / (name or f"{version}.yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_registry_picks_the_version_in_force(tmp_path):
    write(tmp_path, V1)
    write(tmp_path, V2)
    reg = mr.Registry(tmp_path)
    assert reg.ids() == ["pack"] and len(reg) == 2
    assert reg.get("pack", at=dt.date(2026, 12, 31)).version == "1.0.0"
    assert reg.get("pack", at=dt.date(2027, 1, 1)).version == "1.1.0"
    assert reg.get("pack", version="1.0.0").version == "1.0.0"
    with pytest.raises(mr.RegistryError, match="no version of pack is in force on 2026-10-31"):
        reg.get("pack", at=dt.date(2026, 10, 31))
    with pytest.raises(mr.RegistryError, match="did you mean 'pack'"):
        reg.get("packs", at=dt.date(2027, 1, 1))
    with pytest.raises(mr.RegistryError, match="has no version 2.0.0"):
        reg.get("pack", version="2.0.0")


def test_registry_rejects_misnamed_and_duplicate_versions(tmp_path):
    write(tmp_path, V1)
    write(tmp_path, V1, name="1.0.1.yaml")
    with pytest.raises(mr.RulesetError) as caught:
        mr.Registry(tmp_path)
    assert caught.value.codes == ["MR401"]
    (tmp_path / "pack" / "1.0.1.yaml").unlink()
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "1.0.0.yaml").write_text(textwrap.dedent(V1), encoding="utf-8")
    with pytest.raises(mr.RulesetError) as caught:
        mr.Registry(tmp_path)
    assert caught.value.codes == ["MR402"]


def test_registry_reports_every_broken_file_at_once(tmp_path):
    write(tmp_path, V1.replace("arpu >= 100", "arpuu >= 100"))
    write(tmp_path, V2.replace("tenure_months < 3", "tenure_month < 3"))
    with pytest.raises(mr.RulesetError) as caught:
        mr.Registry(tmp_path)
    assert caught.value.codes == ["MR101", "MR101"]


def test_released_versions_cannot_change(tmp_path):
    path = write(tmp_path, V1)
    runner = CliRunner()
    result = runner.invoke(main, ["release", str(path)])
    assert result.exit_code == 0 and "released: pack 1.0.0" in result.output
    assert "pack:" in (tmp_path / "rulesets.lock").read_text(encoding="utf-8")
    # a comment is not a change: the fingerprint is canonical
    path.write_text(path.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    assert runner.invoke(main, ["validate", str(path)]).exit_code == 0
    mr.Registry(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("arpu >= 100", "arpu >= 90"), encoding="utf-8")
    result = runner.invoke(main, ["validate", str(path)])
    assert result.exit_code == 1 and "MR404" in result.output
    with pytest.raises(mr.RulesetError) as caught:
        mr.Registry(tmp_path)
    assert caught.value.codes == ["MR404"]
    refused = runner.invoke(main, ["release", str(path)])  # the changed file does not load: bad input
    assert refused.exit_code == 2 and "MR404" in refused.output


def test_structural_diff_names_what_changed(tmp_path):
    old, new = mr.load_ruleset(write(tmp_path, V1)), mr.load_ruleset(write(tmp_path, V2))
    changes = {(c.part, c.id, c.change): c.fields for c in structural(old, new)}
    assert changes == {
        ("header", "effective", "changed"): (),
        ("offer", "big-spender", "changed"): ("when",),
        ("offer", "old-timer", "removed"): (),
        ("offer", "newcomer", "added"): (),
    }


def test_impact_counts_who_gains_and_loses(tmp_path):
    old, new = mr.load_ruleset(write(tmp_path, V1)), mr.load_ruleset(write(tmp_path, V2))
    customers = [
        {"id": "a", "arpu": 90, "tenure_months": 70},   # gains big-spender, loses old-timer
        {"id": "b", "arpu": 120, "tenure_months": 1},   # keeps big-spender, gains newcomer
        {"id": "c", "arpu": 50, "tenure_months": 10},   # nothing either way
        {"id": "d", "arpu": -1},                        # invalid: counted, not dropped
    ]
    result = impact(old, new, customers)
    assert (result.customers, result.rejected) == (3, 1)
    assert (result.gained["big-spender"].count, result.gained["big-spender"].samples) == (1, ["a"])
    assert result.lost["old-timer"].samples == ["a"]
    assert result.gained["newcomer"].samples == ["b"]
    assert result.offers_before["big-spender"] == 1 and result.offers_after["big-spender"] == 2
    assert "big-spender" in result.render()


def test_diff_command_with_customers(tmp_path):
    a, b = write(tmp_path, V1), write(tmp_path, V2)
    source = tmp_path / "customers.jsonl"
    source.write_text(json.dumps({"id": "a", "arpu": 90, "tenure_months": 70}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["diff", str(a), str(b), "--customers", str(source)])
    assert result.exit_code == 0
    assert "changed  offer     big-spender (when)" in result.output
    assert "1 customers decided under both versions" in result.output


def test_scenarios_report_failures_with_explanations(tmp_path):
    path = write(tmp_path, V1)
    (path.parent / "1.0.0.test.yaml").write_text(textwrap.dedent("""\
        scenarios:
          - name: a big spender gets the credit
            given: {id: "1", arpu: 100, tenure_months: 1}
            expect: {offers: [big-spender]}
          - name: wrongly expects the data gift
            given: {id: "2", arpu: 10, tenure_months: 59}
            expect: {offers: [old-timer], tags: [x]}
        """), encoding="utf-8")
    report = scenarios.run([tmp_path])
    assert [r.passed for r in report.results] == [True, False]
    failure = "\n".join(report.failed[0].failures)
    assert "offers: expected ['old-timer'], got []" in failure
    assert "tenure_months >= 60" in failure and "tenure_months = 59" in failure
    assert "tags: expected ['x'], got []" in failure
    assert report.uncovered == {"pack 1.0.0": ["old-timer"]}
    result = CliRunner().invoke(main, ["test", str(tmp_path)])
    assert result.exit_code == 1 and "1 passed, 1 failed" in result.output
    assert "no scenario fired old-timer" in result.output


def test_scenario_file_shape_is_checked(tmp_path):
    path = write(tmp_path, V1)
    (path.parent / "1.0.0.test.yaml").write_text("scenarios:\n  - given: {id: '1'}\n    expect: {ofers: []}\n",
                                                  encoding="utf-8")
    with pytest.raises(mr.RulesetError) as caught:
        scenarios.run([tmp_path])
    assert caught.value.codes == ["MR501"] and caught.value.diagnostics[0].hint.startswith("expect takes")


def test_pytest_collects_scenario_files(tmp_path, pytester=None):
    folder = tmp_path / "rs"
    shutil.copytree(ROOT / "rulesets" / "gotone-vip", folder / "gotone-vip",  # version 1.0.0 only: 10 scenarios
                    ignore=lambda _, names: [n for n in names if not n.startswith("1.0.0.")])
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "11 passed" in result.stdout
