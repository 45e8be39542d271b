from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import marketing_rules as mr

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def ruleset_from(text: str, name: str = "test.yaml") -> mr.Ruleset:
    """Load a rule file written inline in a test (dedented)."""
    return mr.load_ruleset(name, text=textwrap.dedent(text))


def load_errors(text: str, name: str = "test.yaml") -> mr.RulesetError:
    with pytest.raises(mr.RulesetError) as caught:
        ruleset_from(text, name)
    return caught.value


@pytest.fixture(scope="session")
def gotone_vip() -> mr.Ruleset:
    return mr.load_ruleset(ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml")
