"""Random rule files and customers (random_rulesets.py) decide the same on every backend as on the
reference interpreter. A fixed, derandomized budget for CI; ``python -m tests.conformance.run_random``
draws more and shrinks what it finds into cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.conformance.random_rulesets import Drawn
from tests.conformance.run_random import as_case, compare, drawn_cases
from tests.conformance.test_cases import KNOWN_DISAGREEMENTS

EXAMPLES = {"python": 30, "duckdb": 30, "duckdb-indexed": 30, "spark": 4}


def _check(backend: str, case: tuple[Drawn, list[dict[str, str]]], folder: Path, spark: Any = None) -> None:
    drawn, people = case
    _, found = compare(as_case("random", drawn.text, people), folder, (backend,), spark)
    shown = "\n".join(f"  customer {d.customer}: {d.cause} {d.columns}" for d in found[:5])
    assert not found, f"{len(found)} disagreements on {backend}:\n{shown}\nrule file:\n{drawn.text}\ncustomers: {people}"


def _backend(backend: str) -> Any:
    marks = [pytest.mark.spark] if backend == "spark" else []
    known = KNOWN_DISAGREEMENTS.get(("random", backend))
    if known:
        marks.append(pytest.mark.xfail(reason=known, strict=True))
    return pytest.param(backend, id=backend, marks=marks)


@pytest.mark.parametrize("backend", [_backend(b) for b in EXAMPLES])
def test_random_rulesets_decide_as_the_reference(backend: str, tmp_path_factory: Any, request: Any) -> None:
    spark = request.getfixturevalue("spark") if backend == "spark" else None
    folder = tmp_path_factory.mktemp(f"random-{backend}")

    @settings(max_examples=EXAMPLES[backend], derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=drawn_cases(size=8, invalid=0.1))
    def decide_alike(case: tuple[Drawn, list[dict[str, str]]]) -> None:
        _check(backend, case, folder, spark)

    decide_alike()
