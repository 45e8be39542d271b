"""Every conformance case on every backend: the reference gives what the case expects, and every
other backend gives exactly the reference's rows (see harness.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conformance.harness import BACKENDS, Case, cases, decide, differences

CASES = cases()

#: (case, backend) -> what still differs. Strict: a fixed disagreement fails until it leaves the list.
KNOWN_DISAGREEMENTS: dict[tuple[str, str], str] = {
}
_REFERENCE: dict[str, list[dict[str, Any]]] = {}


def reference_rows(case: Case, folder: Path) -> list[dict[str, Any]]:
    if case.name not in _REFERENCE:
        _REFERENCE[case.name] = decide("reference", case.load(), case.write_csv(folder))
    return _REFERENCE[case.name]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_reference_gives_what_the_case_expects(case: Case, tmp_path: Path) -> None:
    rows = {row["id"]: row for row in reference_rows(case, tmp_path)}
    assert case.expect, "a case expects something"
    for customer, expected in case.expect.items():
        assert customer in rows, f"no output row for {customer}"
        assert differences(expected, rows[customer]) == {}, f"customer {customer}"


def backend_params() -> list[Any]:
    params = []
    for backend in BACKENDS[1:]:
        for case in CASES:
            marks = [pytest.mark.spark] if backend == "spark" else []
            known = KNOWN_DISAGREEMENTS.get((case.name, backend))
            if known:
                marks.append(pytest.mark.xfail(reason=known, strict=True))
            params.append(pytest.param(case, backend, id=f"{case.name}-{backend}", marks=marks))
    return params


@pytest.mark.parametrize(("case", "backend"), backend_params())
def test_backend_decides_as_the_reference(case: Case, backend: str, tmp_path: Path, request: Any) -> None:
    spark = request.getfixturevalue("spark") if backend == "spark" else None
    rs = case.load()
    source = case.write_csv(tmp_path)
    expected = reference_rows(case, tmp_path)
    actual = decide(backend, rs, source, spark)
    assert len(actual) == len(expected)
    for want, got in zip(expected, actual):
        assert differences(want, got) == {}, f"customer {want['id']} on {backend}"
