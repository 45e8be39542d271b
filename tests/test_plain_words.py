"""docs/errors.md, "Mistakes in plain words": every mistake is told as the doc shows, and its mended
file loads. Each example is four blocks: ```` ```yaml mistake NAME ````, ```` ```text told NAME ````
(what a user sees for it, loaded as ``rules.yaml``), ```` ```text told-zh NAME ```` (what a Chinese
reader sees, loaded under ``messages_in("zh")``) and ```` ```yaml mended NAME ````. When a message or
its translation changes on purpose, regenerate both told blocks with
``python tests/test_plain_words.py --update``.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.i18n import messages_in

ERRORS_MD = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
BLOCK = re.compile(r"^```(yaml mistake|text told|text told-zh|yaml mended) ([a-z-]+)\n(.*?)^```\n", re.M | re.S)
KINDS = {"yaml mistake", "text told", "text told-zh", "yaml mended"}


def blocks() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for kind, name, text in BLOCK.findall(ERRORS_MD.read_text(encoding="utf-8")):
        assert kind not in found.setdefault(name, {}), f"two '{kind} {name}' blocks"
        found[name][kind] = text
    return found


def told(text: str, lang: str = "en") -> str:
    """What ``validate`` says about ``text`` in ``lang``."""
    with messages_in(lang):
        try:
            mr.load_ruleset("rules.yaml", text=text)
        except mr.RulesetError as error:
            return str(error)
    raise AssertionError("the mistake loads without an error")


EXAMPLES = blocks()


def test_every_mistake_has_its_four_blocks() -> None:
    assert len(EXAMPLES) >= 15
    for name, parts in EXAMPLES.items():
        assert set(parts) == KINDS, name


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_a_mistake_is_told_in_plain_words(name: str) -> None:
    parts = EXAMPLES[name]
    assert told(parts["yaml mistake"]) == parts["text told"].rstrip("\n"), (
        f"the message for '{name}' changed; run `python tests/test_plain_words.py --update` and read it")
    assert "expected <" not in parts["text told"] and "while scanning" not in parts["text told"]
    mr.load_ruleset("rules.yaml", text=parts["yaml mended"])


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_a_mistake_is_told_in_chinese(name: str) -> None:
    parts = EXAMPLES[name]
    assert told(parts["yaml mistake"], "zh") == parts["text told-zh"].rstrip("\n"), (
        f"the Chinese message for '{name}' changed; run `python tests/test_plain_words.py --update` and read it")
    with messages_in("zh"):
        mr.load_ruleset("rules.yaml", text=parts["yaml mended"])


def update() -> int:
    """Rewrite every told block (English) and the Chinese one after it (added where missing)."""
    text = ERRORS_MD.read_text(encoding="utf-8")
    mistakes = {name: parts["yaml mistake"] for name, parts in EXAMPLES.items()}

    def refreshed(match: re.Match[str]) -> str:
        kind, name = match.group(1), match.group(2)
        if kind != "text told":
            return match.group(0)
        return (f"```text told {name}\n{told(mistakes[name])}\n```\n\n"
                f"```text told-zh {name}\n{told(mistakes[name], 'zh')}\n```\n")

    without_zh = re.sub(r"\n```text told-zh [a-z-]+\n.*?^```\n", "", text, flags=re.M | re.S)
    new = BLOCK.sub(refreshed, without_zh)
    ERRORS_MD.write_text(new, encoding="utf-8")
    return int(new != text)


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    print("changed" if update() else "unchanged")


SAMPLE = EXAMPLES["tab"]["yaml mended"]


@settings(max_examples=150, deadline=None)
@given(edits=st.lists(st.tuples(st.integers(0, len(SAMPLE)), st.sampled_from(
    ["\t", ":", "：", "[", "{", "'", '"', "“", " ", "  ", "-", "- ", "\n", "#", "，", "元", "%", "*", "&a", "|"])), min_size=1, max_size=3))
def test_any_slip_is_a_positioned_diagnostic_never_a_crash(edits: list[tuple[int, str]]) -> None:
    text = SAMPLE
    for at, slip in edits:
        text = text[:at] + slip + text[at:]
    try:
        mr.load_ruleset("rules.yaml", text=text)
    except mr.RulesetError as error:
        assert all(d.line is not None and d.column is not None for d in error.diagnostics), str(error)
