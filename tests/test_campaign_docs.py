"""docs/campaigns.md is tested: its Python examples run in order, each printing what the ``text
output`` block after it shows, and its rule file loads.
``python tests/test_campaign_docs.py --update`` rewrites the shown output when a change is intended."""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_docs import fenced_blocks  # noqa: E402

DOC = ROOT / "docs" / "campaigns.md"


def run_examples() -> list[tuple[object, str, object]]:
    """(python block, what it printed, the output block after it or None)."""
    blocks = fenced_blocks(DOC)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    results = []
    for i, block in enumerate(blocks):
        if block.info != "python":
            continue
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(compile("\n" * (block.line - 1) + block.text, f"<docs/campaigns.md:{block.line}>", "exec"), namespace)
        after = blocks[i + 1] if i + 1 < len(blocks) and blocks[i + 1].info == "text output" else None
        results.append((block, printed.getvalue(), after))
    return results


def test_examples_print_what_the_doc_shows():
    results = run_examples()
    assert len(results) == 3
    for block, printed, shown in results:
        assert shown is not None, f"docs/campaigns.md:{block.line}: no text output block after the example"
        assert printed == shown.text, f"docs/campaigns.md:{block.line}: the output shown is out of date"


def test_the_rule_file_loads(tmp_path):
    import marketing_rules as mr

    (block,) = [b for b in fenced_blocks(DOC) if b.info == "yaml"]
    path = tmp_path / "loop-sim.yaml"
    path.write_text(block.text, encoding="utf-8")
    program = mr.load_ruleset(path).program
    assert program.campaign is not None and program.campaign.holdout == 0.1
    assert program.rules[1].offer.campaign.stacking == "exclusive"


if __name__ == "__main__" and "--update" in sys.argv:
    lines = DOC.read_text(encoding="utf-8").splitlines(keepends=True)
    for _, printed, shown in reversed(run_examples()):
        if shown is not None:
            lines[shown.fence_line + 1:shown.end_line] = [printed]
    DOC.write_text("".join(lines), encoding="utf-8")
    print("updated docs/campaigns.md")
