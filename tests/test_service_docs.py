"""docs/service.md is tested: its ```python http``` blocks run in order, in one namespace, against a
real server (``marketing-rules serve rulesets --now 2027-01-15``), and each ```text``` block that
follows one is what it prints. Regenerate the outputs on purpose with

    python tests/test_service_docs.py --update
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.serving import RULESETS, serving  # noqa: E402

pytest.importorskip("fastapi")

DOC = ROOT / "docs" / "service.md"
DOCUMENTED_URL = "http://127.0.0.1:8000"
BLOCK = re.compile(r"```python http\n(?P<code>.*?)```\n(?:\n```text\n(?P<output>.*?)```\n)?", re.S)


def run_examples(url: str) -> list[tuple[re.Match[str], str]]:
    """Every example with what it prints against the server at ``url``."""
    namespace: dict[str, object] = {}
    results = []
    for match in BLOCK.finditer(DOC.read_text(encoding="utf-8")):
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile(match["code"].replace(DOCUMENTED_URL, url), str(DOC), "exec"), namespace)
        results.append((match, printed.getvalue()))
    return results


def test_service_examples_print_what_the_doc_shows() -> None:
    with serving(RULESETS, "--no-log", "--no-watch") as server:
        results = run_examples(server.url)
    assert len(results) >= 6
    for match, printed in results:
        assert match["output"] is not None, f"no output block after:\n{match['code']}"
        assert printed == match["output"], match["code"]


def update() -> None:
    text = DOC.read_text(encoding="utf-8")
    with serving(RULESETS, "--no-log", "--no-watch") as server:
        results = run_examples(server.url)
    for match, printed in reversed(results):
        block = f"```python http\n{match['code']}```\n\n```text\n{printed}```\n"
        text = text[:match.start()] + block + text[match.end():]
    DOC.write_text(text, encoding="utf-8")


if __name__ == "__main__" and "--update" in sys.argv:
    update()
