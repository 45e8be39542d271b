"""The documentation is tested: every example in docs/errors.md and docs/dsl.md must still do what
the text says.

docs/errors.md has one section per diagnostic code (``## MR101: ...``). In a section, a block
fenced as ```` ```yaml bad MR101 ```` is a complete rule file that must fail to load with MR101
among its codes, ```` ```yaml fixed MR101 ```` is the corrected file, which must load, and
```` ```text output MR101 ```` is what the user sees for the bad file (``str(error)`` when it is
loaded as ``rules.yaml``). When a message changes on purpose, regenerate those output blocks with

    python tests/test_docs.py --update

docs/dsl.md: every ```` ```python ```` block runs, in order, in one namespace, from the repository
root; every ```` ```yaml ```` block that starts with ``ruleset:`` must load.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
from pathlib import Path

import pytest

import marketing_rules as mr
from marketing_rules.errors import CODES
from tests.markdown import Block, fenced_blocks

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
ERRORS_MD = DOCS / "errors.md"
DSL_MD = DOCS / "dsl.md"

#: Codes that no rule file's text can trigger: they concern reading the file, where it is stored
#: among the other versions, the lock of released versions, or scenario files. Their sections in
#: errors.md explain them without bad and fixed examples.
NOT_FROM_A_RULE_FILE = {"MR005", "MR012", "MR401", "MR402", "MR403", "MR404", "MR405", "MR406", "MR501"}
#: The file name bad examples are loaded under when their output is shown.
SHOWN_AS = "rules.yaml"

EXAMPLE_INFO = re.compile(r"^(yaml bad|yaml fixed|text output) (MR\d{3})$")
SECTION = re.compile(r"^## (MR\d{3})\b", re.M)


def examples(kind: str) -> list[tuple[str, Block]]:
    """(code, block) for the errors.md blocks of one kind: 'yaml bad', 'yaml fixed', 'text output'."""
    found = []
    for block in fenced_blocks(ERRORS_MD):
        match = EXAMPLE_INFO.match(block.info)
        if match and match.group(1) == kind:
            found.append((match.group(2), block))
    return found


def _ids(items: list[tuple[str, Block]]) -> list[str]:
    return [f"{code}-line{block.line}" for code, block in items]


def rendered_error(text: str) -> str:
    """What a user sees for a bad rule file: the RulesetError text."""
    try:
        mr.load_ruleset(SHOWN_AS, text=text)
    except mr.RulesetError as error:
        return str(error)
    raise AssertionError("the rule file loaded without errors")


# -- docs/errors.md ---------------------------------------------------------------------------------
BAD = examples("yaml bad")
FIXED = examples("yaml fixed")
OUTPUTS = examples("text output")


def test_errors_md_has_examples():
    assert BAD and FIXED and OUTPUTS


@pytest.mark.parametrize(("code", "block"), BAD, ids=_ids(BAD))
def test_bad_example_raises_its_code(code, block):
    assert code in CODES, f"docs/errors.md:{block.line}: {code} is not a diagnostic code"
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset("x.yaml", text=block.text)
    assert code in caught.value.codes, (
        f"docs/errors.md:{block.line}: expected {code}, got {caught.value.codes}\n{caught.value}")


@pytest.mark.parametrize(("code", "block"), FIXED, ids=_ids(FIXED))
def test_fixed_example_loads(code, block):
    assert code in CODES, f"docs/errors.md:{block.line}: {code} is not a diagnostic code"
    try:
        mr.load_ruleset("x.yaml", text=block.text)
    except mr.RulesetError as error:
        pytest.fail(f"docs/errors.md:{block.line}: the fixed example for {code} does not load:\n{error}")


def test_every_code_has_a_section():
    text = ERRORS_MD.read_text(encoding="utf-8")
    sections = SECTION.findall(text)
    missing = [code for code in CODES if code not in sections]
    assert not missing, f"docs/errors.md has no section for {', '.join(missing)}"
    unknown = [code for code in sections if code not in CODES]
    assert not unknown, f"docs/errors.md has sections for codes that do not exist: {', '.join(unknown)}"
    assert len(sections) == len(set(sections)), "docs/errors.md has a code with two sections"


def _section_of(line: int) -> str | None:
    """The code of the section a (1-based) line of errors.md is in."""
    lines = ERRORS_MD.read_text(encoding="utf-8").splitlines()[:line]
    for text in reversed(lines):
        match = SECTION.match(text)
        if match:
            return match.group(1)
    return None


def test_every_example_stands_in_its_own_section():
    for code, block in BAD + FIXED + OUTPUTS:
        assert _section_of(block.line) == code, f"docs/errors.md:{block.line}: a {code} example outside ## {code}"


def test_every_triggerable_code_has_a_bad_a_fixed_example_and_its_output():
    for code in CODES:
        counts = [sum(1 for c, _ in items if c == code) for items in (BAD, FIXED, OUTPUTS)]
        if code in NOT_FROM_A_RULE_FILE:
            assert counts == [0, 0, 0], f"{code} cannot come from a rule file, yet has examples"
        else:
            assert counts == [1, 1, 1], f"{code} needs one bad, one fixed and one output block; has {counts}"


@pytest.mark.parametrize(("code", "block"), OUTPUTS, ids=_ids(OUTPUTS))
def test_shown_output_is_what_users_see(code, block):
    (bad,) = [b for c, b in BAD if c == code]
    assert block.text.rstrip("\n") == rendered_error(bad.text), (
        f"docs/errors.md:{block.line}: the output shown for {code} is out of date; "
        "run `python tests/test_docs.py --update` and read the new message")


def test_reading_a_diagnostic_shows_a_real_one():
    """The annotated example at the top of errors.md is part of the MR101 output."""
    shown = next(b for b in fenced_blocks(ERRORS_MD) if b.info == "text")
    (output,) = [b for c, b in OUTPUTS if c == "MR101"]
    assert shown.text in output.text


def test_unreadable_file_is_mr012(tmp_path):
    missing = tmp_path / "no-such" / "1.0.0.yaml"
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset(missing)
    assert caught.value.codes == ["MR012"]
    (diagnostic,) = caught.value.diagnostics
    shown = diagnostic.render().replace(str(missing), "rulesets/gotone-vip/9.9.9.yaml")
    assert shown in ERRORS_MD.read_text(encoding="utf-8")
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset(tmp_path)  # a folder
    assert caught.value.codes == ["MR012"]


# -- docs/dsl.md ------------------------------------------------------------------------------------
def test_dsl_md_python_examples_run(monkeypatch):
    blocks = [b for b in fenced_blocks(DSL_MD) if b.info == "python"]
    assert blocks, "docs/dsl.md has no python examples"
    monkeypatch.chdir(ROOT)
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for block in blocks:
        # the name of a (fake) file whose line numbers are those of dsl.md, so that a failing
        # example's traceback shows its lines
        name = f"<docs/dsl.md python block at line {block.line}>"
        source = "\n" * (block.line - 1) + block.text
        linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
        exec(compile(source, name, "exec"), namespace)


RULE_FILES = [b for b in fenced_blocks(DSL_MD) if b.info.split()[:1] == ["yaml"] and b.text.startswith("ruleset:")]


@pytest.mark.parametrize("block", RULE_FILES, ids=[f"line{b.line}" for b in RULE_FILES])
def test_dsl_md_rule_files_load(block):
    try:
        mr.load_ruleset(f"docs/dsl.md:{block.line}", text=block.text)
    except mr.RulesetError as error:
        pytest.fail(f"docs/dsl.md:{block.line}: the rule file does not load:\n{error}")


def test_dsl_md_has_rule_files():
    assert RULE_FILES


# -- regenerating the shown outputs --------------------------------------------------------------------
def update_outputs() -> int:
    """Rewrite every ``text output`` block of errors.md with the current message; returns how many changed."""
    lines = ERRORS_MD.read_text(encoding="utf-8").splitlines()
    bad = {code: block for code, block in examples("yaml bad")}
    changed = 0
    for code, block in sorted(examples("text output"), key=lambda item: -item[1].fence_line):
        new = rendered_error(bad[code].text).splitlines()
        if lines[block.fence_line + 1 : block.end_line] != new:
            lines[block.fence_line + 1 : block.end_line] = new
            changed += 1
    ERRORS_MD.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changed


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    os.chdir(ROOT)
    print(f"{update_outputs()} output blocks updated in {ERRORS_MD.relative_to(ROOT)}")
