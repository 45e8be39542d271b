"""pytest collects scenario files (``*.test.yaml``): one test per scenario, plus one for rule coverage.

Registered as a pytest plugin by the package's entry point, so ``pytest rulesets/`` runs an
operator's scenarios with no conftest of their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from marketing_rules.engine.ruleset import Ruleset, load_ruleset
from marketing_rules.testing import scenarios as sc

if TYPE_CHECKING:
    from _pytest._code.code import TerminalRepr, TracebackStyle


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> ScenarioFile | None:
    if file_path.name.endswith(".test.yaml"):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        ruleset = load_ruleset(sc.ruleset_for(self.path))
        scenarios = sc.read_scenarios(self.path)
        for scenario in scenarios:
            yield ScenarioItem.from_parent(self, name=scenario.name, ruleset=ruleset, scenario=scenario)
        yield CoverageItem.from_parent(self, name="every rule fired by some scenario", ruleset=ruleset,
                                       scenarios=scenarios)


class ScenarioFailure(Exception):
    pass


class ScenarioItem(pytest.Item):
    def __init__(self, *, ruleset: Ruleset, scenario: sc.Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ruleset = ruleset
        self.scenario = scenario

    def runtest(self) -> None:
        result = sc.check(self.ruleset, self.scenario)
        if not result.passed:
            raise ScenarioFailure("\n".join(result.failures))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: TracebackStyle | None = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, ScenarioFailure):
            return f"{self.scenario.file}:{self.scenario.line}: {self.scenario.name}\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.scenario.line - 1, f"scenario: {self.scenario.name}"


class CoverageItem(pytest.Item):
    def __init__(self, *, ruleset: Ruleset, scenarios: list[sc.Scenario], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.ruleset = ruleset
        self.scenarios = scenarios

    def runtest(self) -> None:
        fired: set[str] = set()
        for scenario in self.scenarios:
            fired.update(f.split("#")[0] for f in sc.check(self.ruleset, scenario).fired)
        missing = [u.id for u in self.ruleset.program.units if u.id not in fired]
        if missing:
            raise ScenarioFailure(f"no scenario fires {', '.join(missing)}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: TracebackStyle | None = None) -> str | TerminalRepr:
        if isinstance(excinfo.value, ScenarioFailure):
            return f"{self.path}: {excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, "rule coverage"
