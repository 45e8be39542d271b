"""Attacks on released versions (tests/fixtures/lock_attacks/*.yaml): each is refused by the command
line with its code and exit status, and by the Registry."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import marketing_rules as mr
from marketing_rules.cli import main
from marketing_rules.versioning.lock import Lock, find_lock
from marketing_rules.versioning.registry import Registry
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
ATTACKS = sorted((FIXTURES / "lock_attacks").glob("*.yaml"))


def _attacked(tmp_path: Path, steps: list[dict]) -> Path:
    root = tmp_path / "rulesets"
    shutil.copytree(ROOT / "rulesets", root)
    for step in steps:
        (kind, spec), = step.items()
        if kind == "edit":
            path = root / spec["file"]
            text = path.read_text(encoding="utf-8")
            assert spec["old"] in text, f"{spec['file']} no longer holds {spec['old']!r}"
            path.write_text(text.replace(spec["old"], spec["new"]), encoding="utf-8")
        elif kind == "delete":
            (root / spec).unlink()
        elif kind == "rename":
            (root / spec["file"]).rename(root / spec["to"])
        elif kind == "copy":
            shutil.copy(root / spec["file"], root / spec["to"])
        elif kind == "write":
            (root / spec["file"]).write_text(spec["text"], encoding="utf-8")
    return root


def test_there_are_ten_attacks_or_more():
    assert len(ATTACKS) >= 10


@pytest.mark.parametrize("path", ATTACKS, ids=[p.stem for p in ATTACKS])
def test_the_command_line_refuses_the_attack(path, tmp_path, monkeypatch):
    attack = yaml.safe_load(path.read_text(encoding="utf-8"))
    root = _attacked(tmp_path, attack["do"])
    monkeypatch.chdir(root / attack.get("cwd", "."))
    result = CliRunner().invoke(main, attack["run"])
    output = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code == attack["expect"]["exit"], output
    assert attack["expect"]["code"] in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), output


@pytest.mark.parametrize("path", [p for p in ATTACKS if "registry" in yaml.safe_load(p.read_text("utf-8"))],
                         ids=lambda p: p.stem)
def test_the_registry_refuses_the_attack(path, tmp_path):
    attack = yaml.safe_load(path.read_text(encoding="utf-8"))
    root = _attacked(tmp_path, attack["do"])
    with pytest.raises(mr.RulesetError) as caught:
        Registry(root)
    assert attack["registry"] in caught.value.codes, caught.value.render()


def test_the_shipped_folder_stays_valid():
    registry = Registry(ROOT / "rulesets")
    assert len(registry) >= 10 and not registry.missing()


def test_a_corrupt_lock_is_positioned(tmp_path):
    lock = tmp_path / "rulesets.lock"
    lock.write_text("gotone-vip:\n  1.0.0: 83cd03440eed7fea\n  1.1.0: [5]\n", encoding="utf-8")
    with pytest.raises(mr.RulesetError) as caught:
        Lock.read(lock)
    (diagnostic,) = caught.value.diagnostics
    assert (diagnostic.code, diagnostic.file, diagnostic.line, diagnostic.column) == ("MR406", str(lock), 3, 10)


def test_the_lock_is_found_from_a_relative_path(tmp_path, monkeypatch):
    root = _attacked(tmp_path, [])
    monkeypatch.chdir(root / "gotone-vip")
    lock = find_lock(Path("1.0.0.yaml"))
    assert lock is not None and lock.fingerprint("gotone-vip", "1.0.0")


def test_an_edited_released_version_is_refused_by_load_ruleset(tmp_path):
    root = _attacked(tmp_path, [{"edit": {"file": "gotone-vip/1.0.0.yaml", "old": "lecture_prestore: 300",
                                          "new": "lecture_prestore: 301"}}])
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset(root / "gotone-vip" / "1.0.0.yaml")
    assert caught.value.codes == ["MR404"]


def test_a_draft_version_may_change(tmp_path):
    root = _attacked(tmp_path, [{"edit": {"file": "gotone-vip/1.2.0.yaml", "old": "ruleset: gotone-vip",
                                          "new": "ruleset: gotone-vip\n# a comment"}}])
    assert mr.load_ruleset(root / "gotone-vip" / "1.2.0.yaml").version == "1.2.0"
