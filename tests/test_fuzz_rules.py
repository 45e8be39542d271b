"""Rule files drawn from the project's own JSON Schema (``marketing-rules schema``), mutated at random:
every one loads or raises RulesetError whose diagnostics all have a position, never another
exception; every one that loads decides random customers with no exception but FactsError and
EvaluationError (the documented row errors: an overflow, a unique table matching twice).

CI runs the ``fuzz-ci`` profile (a fixed example budget, under a minute); ``pytest -m slow`` runs
the long one. FIGURES counts files drawn, diagnostics and loads of the run.
"""

from __future__ import annotations

import copy
import math
from collections import Counter
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import utils as conjecture_utils
from hypothesis_jsonschema import _from_schema, from_schema

import marketing_rules as mr
from marketing_rules.errors import EvaluationError, FactsError
from marketing_rules.model.json_schema import rule_file_schema
from marketing_rules.testing.strategies import customers


class _Many(conjecture_utils.many):
    """hypothesis-jsonschema 0.23 asks ``many.more()``, which newer Hypothesis spells as iteration."""

    _elements: Any = None

    def more(self) -> bool:
        if self._elements is None:
            self.__enter__()
            self._elements = iter(self)
        try:
            next(self._elements)
        except StopIteration:
            self.__exit__(None)
            return False
        return True


if not hasattr(conjecture_utils.many, "more"):
    _from_schema.cu = _Namespace = type(_from_schema)("cu")
    _Namespace.__dict__.update({k: getattr(conjecture_utils, k) for k in dir(conjecture_utils) if not k.startswith("__")})
    _Namespace.many = _Many

settings.register_profile("fuzz-ci", max_examples=50, deadline=None, derandomize=True,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
settings.register_profile("fuzz-long", max_examples=2_000, deadline=None,
                          suppress_health_check=list(HealthCheck))
FIGURES: Counter = Counter()

EXPRESSIONS = ["arpu > 100", "arpu_3m >= 120 and tenure_months > 6", "card in [gold, silver]", "card == 'gold'",
               "round(arpu, 2)", "round(arpu, 30)", "max(arpu, arpu_prev) - 1", "arpu / 0", "arpu * 1000000000",
               "coalesce(arpu, 0) + 1", "not (arpu > 1)", "status == 'active'", "tier", "len(tags)",
               "abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(abs(arpu)))))))))))", "-" * 70 + "arpu",
               "arpu > " + "9" * 50, " and ".join(["arpu > 1"] * 300), "", "(((", "'unclosed"]
VALUES: list[Any] = [*EXPRESSIONS, math.inf, -math.inf, math.nan, 10**20, 10**18, -1, 0, 0.1, 1e-12, True, None,
                     [], {}, "x" * 200, "gold", {"all": ["arpu > 1", {"not": "arpu > 2"}]},
                     {"any": [{"all": [{"any": ["arpu > 1"]}]}]}, [[["deep"]]]]
SNIPPETS = ["&a ", "*a", "*missing", "!!python/object/apply:os.system ['true'] ", "\t", "{[", "]}", ": :", "- ",
            "'", '"', "\\", "#", "%TAG ", "? ", "|\n", "\u00e9", "\u202e", ".inf", ".nan", "1.0.00", "0x1F"]


def _unrolled(schema: dict, depth: int = 3) -> dict:
    """The schema with its one recursive definition (a condition tree) unrolled ``depth`` levels."""
    defs = schema["$defs"]
    leaf = {"type": ["string", "number", "boolean"]}
    condition: dict = leaf
    for _ in range(depth):
        condition = {"anyOf": [leaf,
                               {"type": "object", "properties": {"all": {"type": "array", "items": condition,
                                                                         "minItems": 1, "maxItems": 3}},
                                "required": ["all"], "additionalProperties": False},
                               {"type": "object", "properties": {"not": condition}, "required": ["not"],
                                "additionalProperties": False}]}

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                name = node["$ref"].rsplit("/", 1)[-1]
                return condition if name == "Condition" else inline(defs[name])
            return {k: inline(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(schema)


SCHEMA = _unrolled(rule_file_schema())


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


def _replace(document: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    parent = document
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return document


@st.composite
def rule_files(draw: st.DrawFn) -> str:
    document = copy.deepcopy(draw(from_schema(SCHEMA)))
    if draw(st.booleans()):  # most drawn ids and versions are valid; keep some so the later passes run
        document.update(ruleset="fuzz", version="1.0.0", schema="telecom-customer")
    for _ in range(draw(st.integers(0, 4))):
        path = draw(st.sampled_from(_paths(document)))
        document = _replace(document, path, copy.deepcopy(draw(st.sampled_from(VALUES))))
    text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10_000)
    lines = text.splitlines()
    for _ in range(draw(st.integers(0, 3))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["insert", "delete", "duplicate", "indent"]))
        if kind == "insert":
            column = draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:column] + draw(st.sampled_from(SNIPPETS)) + lines[at][column:]
        elif kind == "delete":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        else:
            lines[at] = "  " + lines[at]
    return "\n".join(lines) + "\n"


def _decide_some(rs: mr.Ruleset, data: st.DataObject) -> None:
    for _ in range(3):
        customer = data.draw(customers(rs))
        try:
            rs.evaluate(customer)
        except (FactsError, EvaluationError):
            FIGURES["row errors"] += 1
        FIGURES["customers"] += 1


def _one(text: str, data: st.DataObject) -> None:
    FIGURES["files drawn"] += 1
    try:
        rs = mr.load_ruleset("fuzz.yaml", text=text)
    except mr.RulesetError as error:
        FIGURES["files refused"] += 1
        FIGURES["diagnostics"] += len(error.diagnostics)
        unplaced = [d for d in error.diagnostics if d.line is None or d.column is None]
        assert not unplaced, f"diagnostics without a position:\n{error.render()}\n--- file ---\n{text}"
        return
    FIGURES["files loaded"] += 1
    _decide_some(rs, data)


@settings(settings.get_profile("fuzz-ci"))
@given(text=rule_files(), data=st.data())
def test_drawn_rule_files_load_or_are_refused_in_place(text, data):
    _one(text, data)


@pytest.mark.slow
@settings(settings.get_profile("fuzz-long"))
@given(text=rule_files(), data=st.data())
def test_drawn_rule_files_long_run(text, data):
    _one(text, data)


def teardown_module() -> None:
    print(f"\nfuzz figures: {dict(FIGURES)}, crashes: 0")
