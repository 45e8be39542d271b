"""Where the rulesets shipped with marketing_rules live: inside the installed package, or in the
source tree's ``rulesets/`` folder when running from a checkout."""

from __future__ import annotations

from pathlib import Path


def rulesets_dir() -> Path:
    packaged = Path(__file__).parent / "_rulesets"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rulesets"


def shipped_ruleset(ruleset: str, version: str) -> Path:
    return rulesets_dir() / ruleset / f"{version}.yaml"
