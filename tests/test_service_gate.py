"""The release gate: logged traffic replayed under a candidate version (diff --log, release_gate)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import marketing_rules as mr
from marketing_rules.cli import main
from marketing_rules.service.log import logged_customers
from marketing_rules.synthetic import customers as synthetic
from marketing_rules.versioning.diff import release_gate, reward_cost
from tests.serving import RULESETS, serving

pytest.importorskip("fastapi")

OLD, NEW = RULESETS / "gotone-vip" / "1.0.0.yaml", RULESETS / "gotone-vip" / "1.1.0.yaml"


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 decisions of gotone-vip logged by a real server in December 2026 (1.0.0 in force)."""
    path = tmp_path_factory.mktemp("gate") / "decisions.duckdb"
    batch = [{**c, "birthday_month": 12 if i % 3 == 0 else c["birthday_month"]} for i, c in enumerate(synthetic(300, 21))]
    with serving(RULESETS, "--log", str(path), "--no-watch", now="2026-12-10") as server:
        assert server.post("/v1/rulesets/gotone-vip/decisions", {"customers": batch}).status_code == 200
        assert server.post("/v1/rulesets/stock-ops/decisions", {"customers": batch[:10]}).status_code == 200
    return path


def expected_changes(old: mr.Ruleset, new: mr.Ruleset, customers: list[dict[str, object]]) -> int:
    changed = 0
    for customer in customers:
        a, b = old.evaluate(customer), new.evaluate(customer)
        derived = [n for n in new.program.derived if n in old.program.derived]
        changed += ({o.id for o in a.offers} != {o.id for o in b.offers}
                    or any(a.facts[n] != b.facts[n] for n in derived)
                    or {s: x.modes for s, x in a.access.items()} != {s: x.modes for s, x in b.access.items()})
    return changed


def test_release_gate_in_python(log: Path) -> None:
    old, new = mr.load_ruleset(OLD), mr.load_ruleset(NEW)
    sample = list(logged_customers(log, ruleset="gotone-vip"))
    assert len(sample) == 300  # the stock-ops decisions are not gotone-vip's traffic
    gate = release_gate(old, new, sample, fail_over=1.0)
    assert gate.impact.customers == 300
    assert gate.impact.changed == expected_changes(old, new, sample) > 0
    gained = sum("birthday-care" in {o.id for o in new.evaluate(c).offers} - {o.id for o in old.evaluate(c).offers}
                 for c in sample)
    assert gate.impact.gained["birthday-care"].count == gained > 0
    cost = sum(reward_cost(o) for c in sample for o in new.evaluate(c).offers)
    assert gate.impact.cost_after == cost
    assert not gate.passed and release_gate(old, new, sample, fail_over=100).passed
    assert release_gate(old, old, sample, fail_over=0).impact.changed == 0


def test_diff_log_exit_codes(log: Path) -> None:
    failing = CliRunner().invoke(main, ["diff", str(OLD), str(NEW), "--log", str(log), "--fail-over", "0.5"])
    assert failing.exit_code == 1, failing.output
    assert "replaying 300 logged decisions of gotone-vip" in failing.output
    share = float(re.search(r"\(([\d.]+)%\); reward cost", failing.output).group(1))  # type: ignore[union-attr]
    assert "FAIL" in failing.output and share > 0.5
    passing = CliRunner().invoke(main, ["diff", str(OLD), str(NEW), "--log", str(log), "--fail-over", str(share + 0.01)])
    assert passing.exit_code == 0, passing.output
    assert "pass:" in passing.output
    later = CliRunner().invoke(main, ["diff", str(OLD), str(NEW), "--log", str(log), "--since", "2099-01-01"])
    assert "replaying 0 logged decisions" in later.output and later.exit_code == 0


def test_reward_cost() -> None:
    offer = mr.Offer("o", "t", None, None, None, None, (), (
        {"kind": "bill_credit", "amount": 12, "months": 3}, {"kind": "voucher", "amount": 20, "merchant": "m"},
        {"kind": "data_mb", "amount": 1024}, {"kind": "handset", "model": "X1", "subsidy": 300}))
    assert reward_cost(offer) == 36 + 20 + 300
