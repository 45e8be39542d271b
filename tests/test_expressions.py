"""The expression table: every row evaluated by the compiled backend and by the reference interpreter."""

from __future__ import annotations

import csv
import json

import pytest

import marketing_rules as mr
from marketing_rules.expressions.evaluate import truth_of
from tests.conftest import FIXTURES


def _rows():
    with open(FIXTURES / "expressions.csv", encoding="utf-8") as handle:
        lines = [line for line in handle if line.strip() and not line.startswith("#")]
    for row in csv.DictReader(lines, delimiter=";"):
        yield pytest.param(row["expression"], json.loads(row["facts"]), json.loads(row["expected"]),
                           id=row["expression"] + " " + row["facts"])


def _ruleset(expression: str):
    text = (
        "ruleset: expressions\nversion: 1.0.0\nfacts:\n  out: {type: boolean}\nrules:\n"
        "  - id: probe\n    then:\n      set:\n        out: |-\n          " + expression + "\n"
    )
    return mr.load_ruleset("expressions.yaml", text=text)


@pytest.mark.parametrize(("expression", "facts", "expected"), list(_rows()))
def test_compiled_backend(expression, facts, expected):
    decision = _ruleset(expression).evaluate({"id": "c1", **facts})
    assert decision.facts["out"] is expected


@pytest.mark.parametrize(("expression", "facts", "expected"), list(_rows()))
def test_reference_interpreter(expression, facts, expected):
    rs = _ruleset(expression)
    node = rs.program.rules[0].sets[0][1].node
    assert truth_of(node, rs.validate({"id": "c1", **facts})) is expected
