"""The guides are tested: every example in the analyst guides, the API reference and the
traceability page still does what the text says.

Files: docs/guide.en.md, docs/guide.zh.md, docs/api.md, docs/traceability.md. In each file, in
document order:

- a ```` ```python ```` block runs; the blocks of one file share one namespace, from the
  repository root;
- a ```` ```yaml ```` block that starts with ``ruleset:`` is a complete rule file and must load;
- a ```` ```console ```` block holds commands and what they print: each line that starts with
  ``$ `` is a command (a line ending in ``\\`` continues on the next), run through the shell from
  the repository root; it must end with the exit code written at the end of its line as
  ``# exit N`` (0 when not written). The other lines are the output shown to the reader; they
  are not compared, since they hold timings.

Blocks inside HTML comments (``<!-- ... -->``) run too, though readers do not see them: the
guides use them for the edits a reader makes in an editor ("add this rule under rules:"). Such a
python block finds the text of every yaml block shown above it in ``shown_yaml`` (a list, in
order), so the edit is made with exactly the text the reader sees.

The examples practise on a copy of the rulesets in ``/tmp/my-rulesets`` and never write into
``rulesets/``. Here, every file gets a fresh, empty folder of its own in place of that path (the
path is replaced in every block), so that runs never share it. The four files run at the same
time, each in a process of its own:

    python tests/test_guides.py docs/guide.en.md       # one file, in a temporary folder
"""

from __future__ import annotations

import linecache
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("docs/guide.en.md", "docs/guide.zh.md", "docs/api.md", "docs/traceability.md")
PRACTICE = "/tmp/my-rulesets"
LOCK = ROOT / "rulesets" / "rulesets.lock"

FENCE = re.compile(r"^(`{3,})(.*)$")
EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")


@dataclass(frozen=True)
class Block:
    info: str  # the info string after the opening fence, stripped
    text: str  # the content, ending with a newline unless empty
    line: int  # 1-based line of the first content line


def fenced_blocks(path: Path) -> list[Block]:
    """Every fenced code block of a Markdown file, in order (those in HTML comments too)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks, i = [], 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, info = opening.group(1), opening.group(2).strip()
        j = i + 1
        while j < len(lines) and lines[j].rstrip() != fence:
            j += 1
        assert j < len(lines), f"{path.name}:{i + 1}: the code block is never closed"
        blocks.append(Block(info, "".join(line + "\n" for line in lines[i + 1 : j]), i + 2))
        i = j + 1
    return blocks


def kind(block: Block) -> str | None:
    """'python', 'ruleset' (a complete rule file), 'console', or None for blocks that do not run."""
    word = block.info.split()[0] if block.info else ""
    if word == "python":
        return "python"
    if word == "yaml" and block.text.startswith("ruleset:"):
        return "ruleset"
    if word == "console":
        return "console"
    return None


@dataclass(frozen=True)
class Command:
    text: str  # what runs, continuation lines joined
    exit: int
    line: int


def commands(block: Block) -> list[Command]:
    """The ``$ `` lines of a console block, with the exit code each one must end with."""
    found, lines = [], block.text.splitlines()
    i = 0
    while i < len(lines):
        if not lines[i].startswith("$ "):
            i += 1
            continue
        start, parts = i, [lines[i][2:]]
        while parts[-1].rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            parts.append(lines[i])
        text = "\n".join(parts)
        match = EXIT.search(parts[-1])
        found.append(Command(text, int(match.group(1)) if match else 0, block.line + start))
        i += 1
    return found


class StepFailed(Exception):
    pass


def run_file(doc: str, practice: Path) -> int:
    """Run every example of one file in order; stop at the first that fails. Returns the steps run."""
    import marketing_rules as mr

    path = ROOT / doc
    os.chdir(ROOT)
    here = str(practice)
    namespace: dict[str, object] = {"__name__": "__guide__", "shown_yaml": []}
    shown: list[str] = namespace["shown_yaml"]  # type: ignore[assignment]
    steps = 0
    for block in fenced_blocks(path):
        text = block.text.replace(PRACTICE, here)
        if block.info.split()[:1] == ["yaml"]:
            shown.append(text)
        what = kind(block)
        if what == "python":
            name = f"<{doc} python block at line {block.line}>"
            source = "\n" * (block.line - 1) + text
            linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
            try:
                exec(compile(source, name, "exec"), namespace)
            except Exception as error:
                raise StepFailed(f"{doc}:{block.line}: the python block fails: {error!r}") from error
            steps += 1
        elif what == "ruleset":
            try:
                mr.load_ruleset(f"{doc}:{block.line}", text=text)
            except mr.RulesetError as error:
                raise StepFailed(f"{doc}:{block.line}: the rule file does not load:\n{error}") from None
            steps += 1
        elif what == "console":
            for command in commands(Block(block.info, text, block.line)):
                result = subprocess.run(command.text, shell=True, cwd=ROOT, capture_output=True, text=True,
                                        timeout=300, executable="/bin/bash")
                if result.returncode != command.exit:
                    raise StepFailed(
                        f"{doc}:{command.line}: `{command.text}` exited with {result.returncode}, "
                        f"the text says {command.exit}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}")
                steps += 1
    return steps


# -- the tests: each file in a process of its own, all four at once ----------------------------------
@dataclass
class Runs:
    processes: dict[str, subprocess.Popen]
    lock_before: str | None


def _lock() -> str | None:
    return LOCK.read_text(encoding="utf-8") if LOCK.exists() else None


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Start every file's examples at once; each test then waits for its own."""
    lock_before = _lock()
    started = {}
    for doc in DOCS:
        practice = tmp_path_factory.mktemp(Path(doc).stem.replace(".", "-")) / "my-rulesets"
        started[doc] = subprocess.Popen([sys.executable, __file__, doc, str(practice)], cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    yield Runs(started, lock_before)
    for process in started.values():
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("doc", DOCS)
def test_examples_run(runs, doc):
    process = runs.processes[doc]
    output, _ = process.communicate(timeout=600)
    assert process.returncode == 0, output


@pytest.mark.parametrize("doc", DOCS)
def test_every_file_has_examples(doc):
    kinds = [kind(b) for b in fenced_blocks(ROOT / doc)]
    assert any(kinds), f"{doc} has no example that runs"
    if doc.startswith("docs/guide"):
        assert kinds.count("console") >= 5, f"{doc}: an analyst guide shows the commands it teaches"


def test_the_guides_run_the_same_commands():
    """The Chinese guide is the English one translated: the same examples, in the same order."""
    def examples(doc):
        return [(kind(b), b.text) for b in fenced_blocks(ROOT / doc) if kind(b) in ("console", "ruleset", "python")]

    def runnable(items):
        return [(k, [c.text for c in commands(Block("console", t, 0))] if k == "console" else t) for k, t in items]

    assert runnable(examples("docs/guide.en.md")) == runnable(examples("docs/guide.zh.md"))


def test_examples_never_write_into_rulesets():
    """Commands that write (cp, mv, release, --out) only ever write into the practice copy or /tmp."""
    for doc in DOCS:
        for block in fenced_blocks(ROOT / doc):
            if kind(block) != "console":
                continue
            for command in commands(block):
                words = command.text.split("#")[0].split()
                targets = []
                if words[0] in ("cp", "mv"):
                    targets = words[-1:]
                elif "release" in words:
                    targets = words[words.index("release") + 1:]
                if "--out" in words:
                    targets.append(words[words.index("--out") + 1])
                for target in targets:
                    assert target.startswith("/tmp/"), f"{doc}:{command.line}: `{command.text}` writes into {target}"


def test_rulesets_lock_untouched(runs):
    """No example released a version in the real rulesets/ folder."""
    for process in runs.processes.values():
        process.wait(timeout=600)
    assert _lock() == runs.lock_before


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in DOCS:
        sys.exit(textwrap.dedent(__doc__ or ""))
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(sys.argv[2]) if len(sys.argv) == 3 else Path(scratch) / "my-rulesets"
        try:
            count = run_file(sys.argv[1], folder)
        except StepFailed as failure:
            print(failure)
            sys.exit(1)
    print(f"{sys.argv[1]}: {count} examples ran as the text says")
