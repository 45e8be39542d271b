"""docs/traceability.md against the rule files, so that a claim of the page cannot go stale.

- Every figure the page quotes, written `` `where = value` `` (or `` `where ~ text` ``: the value
  there contains the text), is the rule file's: ``where`` is a path into the version of the section
  it stands in (``constants.high_value``, ``tables.tier-by-arpu.rows.1``, ``rules.X.then.offer.code``,
  ``access.silver.restricted``, ``points.rules.coins-trial.points``; list items by id, else counted
  from 1), ``value`` is YAML.
- The newest version of every shipped ruleset is traced whole: every rule, table, points rule,
  multiplier and trigger has a row that cites a plan file (``plan 000`` .. ``plan 004``), every
  constant is quoted as a figure, and the page never cites DOMAIN.md.
- Every scenario named ``plan ...`` in the newest version's scenario file fails on the version
  before it: it tests a point where the new version follows the plan and the old one did not.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from marketing_rules.engine.ruleset import load_ruleset
from marketing_rules.model.ruleset import SHARED_PARTS
from marketing_rules.testing.scenarios import check, read_scenarios
from marketing_rules.versioning.registry import rule_files, version_key
from tests.conftest import ROOT

PAGE = ROOT / "docs" / "traceability.md"
RULESETS = ROOT / "rulesets"
SECTION = re.compile(r"^## (\S+) (\d+\.\d+\.\d+)\n(.*?)(?=^## |\Z)", re.M | re.S)
PARTS = "effective|inputs|facts|constants|packages|tables|rules|services|access|checks|events|points|triggers"
FIGURE = re.compile(rf"`(?:(?P<ruleset>[a-z][a-z0-9-]*) (?P<version>\d+\.\d+\.\d+): )?"
                    rf"(?P<path>(?:{PARTS})(?:\.[\w-]+)+) (?P<op>[=~]) (?P<value>[^`]+)`")
HEADING = re.compile(r"^## (.*)$", re.M)
PLAN = re.compile(r"plan 00[0-4]")


def sections() -> dict[tuple[str, str], str]:
    return {(m.group(1), m.group(2)): m.group(3) for m in SECTION.finditer(PAGE.read_text(encoding="utf-8"))}


def versions() -> dict[str, list[Path]]:
    """Every shipped ruleset's rule files, oldest first."""
    found: dict[str, list[Path]] = {}
    for path in rule_files(RULESETS):
        found.setdefault(path.parent.name, []).append(path)
    return {k: sorted(v, key=lambda p: version_key(p.stem)) for k, v in sorted(found.items())}


NEWEST = {ruleset: paths[-1] for ruleset, paths in versions().items()}


def figures() -> list[tuple[str | None, str | None, str, str, str]]:
    """(ruleset, version, path, op, value) for every figure the page quotes: the version is the one
    the figure names (`stock-ops 1.3.0: constants.high_value = 120`), else that of its section."""
    page = PAGE.read_text(encoding="utf-8")
    found = []
    heads = list(HEADING.finditer(page))
    for i, head in enumerate(heads):
        text = page[head.end(): heads[i + 1].start() if i + 1 < len(heads) else len(page)]
        here = re.fullmatch(r"(\S+) (\d+\.\d+\.\d+)", head.group(1).strip())
        for m in FIGURE.finditer(text):
            ruleset = m["ruleset"] or (here.group(1) if here else None)
            version = m["version"] or (here.group(2) if here else None)
            found.append((ruleset, version, m["path"], m["op"], m["value"]))
    return found


# -- reading a place in a rule file ---------------------------------------------------------------------
def resolve(data: Any, path: str) -> Any:
    here = data
    for step in path.split("."):
        if isinstance(here, dict):
            if step not in here:
                raise KeyError(f"no '{step}' in {path}")
            here = here[step]
        elif isinstance(here, list):
            by_id = [item for item in here if isinstance(item, dict) and item.get("id") == step]
            if by_id:
                here = by_id[0]
            elif step.isdigit() and 1 <= int(step) <= len(here):
                here = here[int(step) - 1]
            else:
                raise KeyError(f"no item '{step}' in {path}")
        else:
            raise KeyError(f"{path}: '{step}' goes into a {type(here).__name__}")
    return here


def normal(value: Any) -> Any:
    """Numbers as decimals, dates as text, text with its spaces collapsed, containers item by item."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value)).normalize()
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, dict):
        return {str(k): normal(v) for k, v in value.items()}
    return value


def matches(actual: Any, op: str, text: str) -> bool:
    if op == "~":
        return " ".join(text.split()) in " ".join(str(actual).split())
    if isinstance(actual, str) and normal(actual) == normal(text):
        return True
    try:
        quoted = yaml.safe_load(text)
    except yaml.YAMLError:
        return False
    return normal(quoted) == normal(actual)


@functools.cache
def rule_file(ruleset: str, version: str) -> dict:
    path = RULESETS / ruleset / f"{version}.yaml"
    assert path.exists(), f"the page has a section for {ruleset} {version}, which is not shipped"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for name in data.get("include", []):  # the definitions it includes are its own, as when it loads
        shared = yaml.safe_load((path.parent / name).read_text(encoding="utf-8"))
        for part in SHARED_PARTS:
            if part in shared:
                data[part] = shared[part] if part == "codes" else {**shared[part], **data.get(part, {})}
    return data


# -- the tests ---------------------------------------------------------------------------------------------
def test_the_page_quotes_figures():
    assert len(figures()) > 300


@pytest.mark.parametrize("ruleset,version,path,op,value", figures(),
                         ids=lambda v: v if isinstance(v, str) and len(v) < 60 else None)
def test_every_figure_is_the_rule_file_s(ruleset, version, path, op, value):
    assert ruleset and version, f"`{path}` stands outside a version's section and names no version"
    try:
        actual = resolve(rule_file(ruleset, version), path)
    except KeyError as error:
        pytest.fail(f"{ruleset} {version}: the page quotes `{path}`, which the rule file does not have ({error})")
    assert matches(actual, op, value), (
        f"{ruleset} {version}: the page says `{path} {op} {value}`, the rule file has {actual!r}")


def test_every_shipped_version_has_a_section_and_no_other():
    shipped = {(p.parent.name, p.stem) for paths in versions().values() for p in paths}
    assert set(sections()) == shipped


def test_the_page_cites_the_plans_not_the_digest():
    assert "DOMAIN" not in PAGE.read_text(encoding="utf-8")


def _traced_ids(path: Path) -> list[str]:
    rs = load_ruleset(path)
    ids = [unit.id for unit in rs.program.units]
    if rs.file.points is not None:
        ids += [r.id for r in rs.file.points.rules] + [m.id for m in rs.file.points.multipliers]
    return ids + [t.id for t in rs.file.triggers]


@pytest.mark.parametrize("ruleset", sorted(NEWEST))
def test_the_newest_version_is_traced_to_the_plans(ruleset):
    path = NEWEST[ruleset]
    text = sections().get((ruleset, path.stem))
    assert text is not None, f"no section '## {ruleset} {path.stem}'"
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for unit in _traced_ids(path):
        row = [r for r in rows if r.split("|")[1].strip().startswith(f"`{unit}`")
               or f" `{unit}` " in r.split("|")[1]]
        assert row, f"{ruleset} {path.stem}: no row traces `{unit}`"
        assert PLAN.search(row[0]), f"{ruleset} {path.stem}: the row of `{unit}` cites no plan file"
    quoted = {m["path"] for m in FIGURE.finditer(text)}
    constants = yaml.safe_load(path.read_text(encoding="utf-8")).get("constants") or {}
    missing = [name for name in constants if f"constants.{name}" not in quoted]
    assert not missing, f"{ruleset} {path.stem}: constants not quoted on the page: {missing}"


def _plan_scenarios(ruleset: str):
    paths = versions()[ruleset]
    if len(paths) < 2:
        return []
    new, old = paths[-1], paths[-2]
    tests = new.with_name(f"{new.stem}.test.yaml")
    return [(old, s) for s in read_scenarios(tests) if s.name.startswith("plan ")]


@pytest.mark.parametrize("ruleset", sorted(NEWEST))
def test_each_plan_scenario_fails_on_the_previous_version(ruleset):
    cases = _plan_scenarios(ruleset)
    assert cases, f"{ruleset}: the newest version has no scenario named 'plan ...'"
    passing = []
    for old, scenario in cases:
        ruleset_old = load_ruleset(old)
        try:
            result = check(ruleset_old, scenario)
            if result.passed:
                passing.append(scenario.name)
        except Exception:  # noqa: BLE001 - an old version that cannot even run the scenario fails it
            continue
    assert not passing, f"{ruleset}: these plan scenarios also pass on {cases[0][0].stem}: {passing}"
