"""docs/conformance.md runs as written: its Python prints the output shown, and its case example
is a case the reference decides as the example expects."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import yaml

from tests.conformance.harness import Case, decide, differences
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "conformance.md").read_text(encoding="utf-8")


def block(info: str) -> str:
    found = re.findall(rf"^```{re.escape(info)}\n(.*?)^```$", DOC, re.M | re.S)
    assert len(found) == 1, f"one ```{info} block in docs/conformance.md"
    return found[0]


def test_the_python_example_prints_what_the_doc_shows() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block("python"), "docs/conformance.md", "exec"), {})
    assert out.getvalue() == block("text output")


def test_the_case_example_is_a_case_the_reference_passes(tmp_path: Path) -> None:
    data = yaml.safe_load(block("yaml case"))
    case = Case("doc-example", data["about"], data["ruleset"], data["customers"], data["expect"])
    rows = {row["id"]: row for row in decide("reference", case.load(), case.write_csv(tmp_path))}
    for customer, expected in case.expect.items():
        assert differences(expected, rows[customer]) == {}
