"""Every script in examples/ runs, and prints what its docstring promises."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT

EXPECTED = {
    "embed_in_service.py": ['"what_would_it_take": "arpu_3m 112.5 -> 120.0"', '"status": 400', "µs per decision"],
    "why_not.py": ["already gave 'prestore-golf'", "[unknown] status == 'active'", "<- chosen"],
    "analyst_loop.py": ["did you mean 'tenure_months'?", "11 passed, 0 failed", "denied -> trial"],
}


def test_every_example_is_listed():
    assert sorted(p.name for p in (ROOT / "examples").glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("script", sorted(EXPECTED))
def test_example_runs(script):
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script)], capture_output=True, text=True,
                            cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    for text in EXPECTED[script]:
        assert text in result.stdout, text
