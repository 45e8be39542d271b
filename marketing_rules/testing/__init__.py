"""Testing rulesets: scenario files, and (with the consistency checker) strategies and properties."""

from marketing_rules.testing.scenarios import ScenarioReport, ScenarioResult, check, read_scenarios, run

__all__ = ["ScenarioReport", "ScenarioResult", "check", "read_scenarios", "run"]
