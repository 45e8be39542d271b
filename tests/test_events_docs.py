"""docs/events.md is tested: every python block runs (in order, in one namespace, from the
repository root), every rule file loads, and the statement shown is the one printed."""

from __future__ import annotations

import contextlib
import io
import linecache

import pytest

import marketing_rules as mr
from tests.test_docs import ROOT, fenced_blocks

EVENTS_MD = ROOT / "docs" / "events.md"
BLOCKS = fenced_blocks(EVENTS_MD)
RULE_FILES = [b for b in BLOCKS if b.info == "yaml" and b.text.startswith("ruleset:")]


def test_python_examples_run_and_print_what_the_page_shows(monkeypatch):
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    printed = io.StringIO()
    blocks = [b for b in BLOCKS if b.info == "python"]
    assert len(blocks) >= 5
    for block in blocks:
        name = f"<docs/events.md python block at line {block.line}>"
        source = "\n" * (block.line - 1) + block.text
        linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
        with contextlib.redirect_stdout(printed):
            exec(compile(source, name, "exec"), namespace)
    (shown,) = [b for b in BLOCKS if b.info == "text"]
    assert printed.getvalue() == shown.text


@pytest.mark.parametrize("block", RULE_FILES, ids=[f"line{b.line}" for b in RULE_FILES])
def test_rule_files_load(block):
    rs = mr.load_ruleset(f"docs/events.md:{block.line}", text=block.text)
    assert rs.program.events is not None


def test_the_page_has_rule_files_of_every_kind():
    kinds = {t.kind for b in RULE_FILES for t in mr.load_ruleset("x.yaml", text=b.text).program.events.triggers}
    assert kinds == {"single", "sequence", "absence"}
