"""The README's Python example runs, and says what it prints."""

from __future__ import annotations

import contextlib
import io
import os
import re

from tests.conftest import ROOT


def test_readme_python_example_runs():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", text, re.S)
    namespace: dict = {}
    output = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(output):
            exec(compile(block, "README.md", "exec"), namespace)
    finally:
        os.chdir(cwd)
    d = namespace["d"]
    assert d.facts["tier"] == "silver"
    assert [o.id for o in d.offers] == ["prestore-lecture"]
    assert d.access["golf-club"].modes == ("paid", "prestore", "trial")
    assert "arpu_3m 110.0 -> 120.0" in output.getvalue()
