"""The guides are tested: every example in the analyst guides, the API reference, the
traceability page and the messages page still does what the text says, and prints what the text shows.

Files: docs/guide.en.md, docs/guide.zh.md, docs/api.md, docs/traceability.md, docs/i18n.md. In each file, in
document order:

- a ```` ```python ```` block runs; the blocks of one file share one namespace, from the
  repository root;
- a ```` ```yaml ```` block that starts with ``ruleset:`` is a complete rule file and must load;
- a ```` ```console ```` block holds commands and what they print: each line that starts with
  ``$ `` is a command (a line ending in ``\\`` continues on the next), run through the shell from
  the repository root; it must end with the exit code written at the end of its line as
  ``# exit N`` (0 when not written). The other lines, up to the next command or the end of the
  block, are the output shown to the reader, and must be what the command prints, line by line.

What a command prints is what the reader's terminal shows: stdout and stderr together, in the
order they were written (the commands run with ``PYTHONUNBUFFERED=1``, so that Python writes each
line when it is made, as on a terminal, and ``COLUMNS=80``). Before comparing, both sides go
through the same few steps, and only these:

- spaces at the end of a line are dropped (a terminal does not show them);
- the practice folder (below) is written ``/tmp/my-rulesets`` again in the output;
- the volatile numbers are replaced by ``…``, each by one regular expression of ``VOLATILE``:
  a duration, that is a decimal number followed by ``s`` or ``秒`` (``(0.4 s)`` becomes
  ``(… s)``, ``in 0.21s`` becomes ``in …s``), and a rate per second (``2,381 customers/s``
  becomes ``… customers/s``).

So the text shows a realistic value (``(0.4 s)``), any value passes, and every other character,
fingerprints and counts included, must match. Every line shown is compared; the text may leave
out a part of a long output only where it says so, with a line that is ``…`` alone (it stands for
one line or more, and the text around the block says what was cut). A line that differs fails the
file with its line in the file, the line shown, the line printed and a diff of the command's whole
output; the run goes on to the end and reports every such difference (a wrong exit code, or a
block that fails, stops the file at once, since later steps depend on it).

The Chinese guide shows what a Chinese reader sees: its commands run with
``MARKETING_RULES_LANG=zh`` in the environment (``LANGUAGE`` below); the other files with ``en``.
Its python blocks run as the English guide's do (they are the same blocks).

Blocks inside HTML comments (``<!-- ... -->``) run too, though readers do not see them: the
guides use them for the edits a reader makes in an editor ("add this rule under rules:"). Such a
python block finds the text of every yaml block shown above it in ``shown_yaml`` (a list, in
order), so the edit is made with exactly the text the reader sees.

The examples practise on a copy of the rulesets in ``/tmp/my-rulesets`` and never write into
``rulesets/``. Here, every file gets a fresh, empty folder of its own in place of that path (the
path is replaced in every block), so that runs never share it. The five files run at the same
time, each in a process of its own:

    python tests/test_guides.py docs/guide.en.md            # one file, in a temporary folder
    python tests/test_guides.py --update docs/guide.en.md   # and write what it prints now

``--update`` runs the file the same way and rewrites the output shown under every command of
every console block with what the command prints now; the commands, their ``# exit N`` and the
rest of the file stay as they are. A shown line that still matches (volatile numbers aside) is
kept as written, so a rerun does not churn the timings, and so is a ``…`` (what it cut stays
cut); a line that changed is written as printed (with the practice folder as ``/tmp/my-rulesets``
and the timings of this run). Nothing is written when a command ends with another exit code than
the text says, or a block fails. After a deliberate change of wording, run it on the five files
and read the diff.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import linecache
import os
import re
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from tests.markdown import FENCE, Block, fenced_blocks

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("docs/guide.en.md", "docs/guide.zh.md", "docs/api.md", "docs/traceability.md", "docs/i18n.md")
PRACTICE = "/tmp/my-rulesets"
LOCK = ROOT / "rulesets" / "rulesets.lock"

EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")

# The only parts of an output that may differ between two runs: each match becomes "…", in the
# text shown and in what was printed alike.
VOLATILE = (
    # a duration: a decimal number of seconds, "(0.4 s)", "in 0.21 s", pytest's "in 0.21s", "（0.4 秒）"
    re.compile(r"(?<![\d.,])\d+\.\d+(?= ?(?:s|秒)(?![A-Za-z]))"),
    # a rate: a number of things per second, "2,381 customers/s", "2,381 位客户/秒"
    re.compile(r"(?<![\d.,])\d[\d,]*(?:\.\d+)?(?= ?[^\s\d()（），,]*/(?:s|秒)(?![A-Za-z]))"),
)
# A line of the output shown that is this alone stands for one or more lines the text leaves out.
ELIDED = "…"
# The language the commands of each file print in (the reader of the Chinese guide has set it).
LANGUAGE = {"docs/guide.zh.md": "zh"}


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
    shown: tuple[str, ...] = ()  # the output shown under it, one item a line
    shown_line: int = 0  # 1-based line of the file where that output starts (or would start)


def commands(block: Block) -> list[Command]:
    """The ``$ `` lines of a console block, with the exit code each one must end with and the
    output shown under it."""
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
        i += 1
        output = i
        while i < len(lines) and not lines[i].startswith("$ "):
            i += 1
        text = "\n".join(parts)
        match = EXIT.search(parts[-1])
        found.append(Command(text, int(match.group(1)) if match else 0, block.line + start,
                             tuple(lines[output:i]), block.line + output))
    return found


def python_outputs(blocks: list[Block]) -> dict[int, Command]:
    """The output a ```` ```text ```` block shows right after a python block, by the python block's line."""
    return {block.line: Command(f"the python block at line {block.line}", 0, block.line,
                                tuple(after.text.splitlines()), after.line)
            for block, after in zip(blocks, blocks[1:]) if kind(block) == "python" and after.info == "text"}


def normalised(line: str) -> str:
    """A line of output as it is compared: without trailing spaces, each volatile number "…"."""
    line = line.rstrip()
    for pattern in VOLATILE:
        line = pattern.sub("…", line)
    return line


def printed_lines(output: str, practice: str) -> list[str]:
    """What a command printed, as lines to show: the practice folder written as in the text."""
    for folder in {practice, os.path.realpath(practice)}:
        output = output.replace(folder, PRACTICE)
    return [line.rstrip() for line in output.splitlines()]


def agree(shown: list[str], got: list[str]) -> bool:
    """Whether the lines shown are the lines printed (both normalised), a line ``…`` standing for
    one line or more."""
    @cache
    def match(i: int, j: int) -> bool:
        if i == len(shown):
            return j == len(got)
        if shown[i] == ELIDED:
            return any(match(i + 1, k) for k in range(j + 1, len(got) + 1))
        return j < len(got) and shown[i] == got[j] and match(i + 1, j + 1)

    return match(0, 0)


def opcodes(shown: list[str], got: list[str]) -> list[tuple[str, int, int, int, int]]:
    return list(difflib.SequenceMatcher(None, shown, got, autojunk=False).get_opcodes())


def difference(doc: str, command: Command, printed: list[str]) -> str | None:
    """None when the output shown is what was printed; else where and how they differ."""
    shown = [normalised(line) for line in command.shown]
    got = [normalised(line) for line in printed]
    if agree(shown, got):
        return None
    at, at_got = min(len(shown), len(got)), min(len(shown), len(got))
    for tag, a1, a2, b1, b2 in opcodes(shown, got):
        if tag != "equal" and not (shown[a1:a2] == [ELIDED] and b2 > b1):
            at, at_got = a1, b1
            break
    expected = repr(command.shown[at].rstrip()) if at < len(shown) else "(no more lines)"
    actual = repr(printed[at_got]) if at_got < len(got) else "(no more lines)"
    diff = difflib.unified_diff(shown, got, f"{doc}, shown from line {command.shown_line}", "printed",
                                lineterm="", n=2)
    return (f"{doc}:{command.shown_line + at}: `{command.text}` printed something else than the text shows\n"
            f"  expected: {expected}\n"
            f"  got:      {actual}\n" + "\n".join(diff))


class StepFailed(Exception):
    pass


def environment(doc: str) -> dict[str, str]:
    """The environment of the commands of ``doc``: the reader's, in the file's language."""
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8", COLUMNS="80")
    env["MARKETING_RULES_LANG"] = LANGUAGE.get(doc, "en")
    return env


def run_file(doc: str, practice: Path, printed: dict[int, list[str]] | None = None) -> tuple[int, list[str]]:
    """Run every example of one file in order; stop at the first that fails (StepFailed). Returns
    the steps run and the outputs that differ from the text. ``printed``, when given, receives the
    lines each command printed, by the line of the command in the file."""
    import marketing_rules as mr

    path = ROOT / doc
    os.chdir(ROOT)
    here = str(practice)
    env = environment(doc)
    namespace: dict[str, object] = {"__name__": "__guide__", "shown_yaml": []}
    shown: list[str] = namespace["shown_yaml"]  # type: ignore[assignment]
    steps, differences = 0, []
    blocks = fenced_blocks(path)
    shows = python_outputs(blocks)
    for block in blocks:
        text = block.text.replace(PRACTICE, here)
        if block.info.split()[:1] == ["yaml"]:
            shown.append(text)
        what = kind(block)
        if what == "python":
            name = f"<{doc} python block at line {block.line}>"
            source = "\n" * (block.line - 1) + text
            linecache.cache[name] = (len(source), None, source.splitlines(keepends=True), name)
            said = io.StringIO()  # compared with the text block after it, if any; shown when it fails
            try:
                with contextlib.redirect_stdout(said):
                    exec(compile(source, name, "exec"), namespace)
            except Exception as error:
                raise StepFailed(f"{doc}:{block.line}: the python block fails: {error!r}\n"
                                 f"--- it printed\n{said.getvalue()}") from error
            if block.line in shows:
                lines = printed_lines(said.getvalue(), here)
                if printed is not None:
                    printed[block.line] = lines
                problem = difference(doc, shows[block.line], lines)
                if problem:
                    differences.append(problem)
            steps += 1
        elif what == "ruleset":
            try:
                mr.load_ruleset(f"{doc}:{block.line}", text=text)
            except mr.RulesetError as error:
                raise StepFailed(f"{doc}:{block.line}: the rule file does not load:\n{error}") from None
            steps += 1
        elif what == "console":
            for command, as_written in zip(commands(Block(block.info, text, block.line)), commands(block)):
                result = subprocess.run(command.text, shell=True, cwd=ROOT, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, env=env, timeout=300, executable="/bin/bash")
                output = result.stdout.decode("utf-8", errors="replace")
                if result.returncode != command.exit:
                    raise StepFailed(
                        f"{doc}:{command.line}: `{command.text}` exited with {result.returncode}, "
                        f"the text says {command.exit}\n--- output\n{output}")
                lines = printed_lines(output, here)
                if printed is not None:
                    printed[command.line] = lines
                problem = difference(doc, as_written, lines)
                if problem:
                    differences.append(problem)
                steps += 1
    return steps, differences


def updated(doc: str, printed: dict[int, list[str]]) -> str:
    """The text of ``doc`` with the output under each command replaced by what it printed; a line
    shown that still matches (volatile numbers aside) is kept as written."""
    path = ROOT / doc
    lines = path.read_text(encoding="utf-8").splitlines()
    changes = []
    blocks = fenced_blocks(path)
    outputs = [*python_outputs(blocks).values(), *(c for b in blocks if kind(b) == "console" for c in commands(b))]
    for command in outputs:
        if command.line not in printed:
            continue
        new = printed[command.line]
        shown, got = [normalised(x) for x in command.shown], [normalised(x) for x in new]
        if agree(shown, got):
            continue
        merged: list[str] = []
        for tag, a1, a2, b1, b2 in opcodes(shown, got):
            if tag == "equal":
                merged += command.shown[a1:a2]
            elif ELIDED in shown[a1:a2] and b2 - b1 > a2 - a1 - shown[a1:a2].count(ELIDED):
                # the part the text cuts stays cut, with as many lines shown around it as before
                before = shown[a1:a2].index(ELIDED)
                after = a2 - a1 - 1 - before
                if ELIDED in shown[a1 + before + 1:a2]:
                    merged.append(ELIDED)
                else:
                    merged += [*new[b1:b1 + before], ELIDED, *new[b2 - after:b2]]
            else:
                merged += new[b1:b2]
        for line in merged:
            if line.startswith("$ ") or FENCE.match(line):
                raise StepFailed(f"{doc}:{command.line}: `{command.text}` printed a line the guide "
                                 f"cannot show in a console block: {line!r}")
        first = command.shown_line - 1
        changes.append((first, first + len(command.shown), merged))
    for first, last, merged in sorted(changes, reverse=True):
        lines[first:last] = merged
    return "".join(line + "\n" for line in lines)


# -- the tests: each file in a process of its own, all five at once ----------------------------------
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


def main(arguments: list[str]) -> int:
    update = arguments[:1] == ["--update"]
    if update:
        arguments = arguments[1:]
    if len(arguments) not in (1, 2) or arguments[0] not in DOCS:
        print(textwrap.dedent(__doc__ or ""), file=sys.stderr)
        return 2
    doc = arguments[0]
    printed: dict[int, list[str]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(arguments[1]) if len(arguments) == 2 else Path(scratch) / "my-rulesets"
        try:
            count, differences = run_file(doc, folder, printed)
            text = updated(doc, printed) if update else None
        except StepFailed as failure:
            print(failure)
            return 1
    if text is not None:
        path = ROOT / doc
        changed = text != path.read_text(encoding="utf-8")
        if changed:
            path.write_text(text, encoding="utf-8")
        print(f"{doc}: {count} examples ran; " + ("the output shown is rewritten with what they print now"
                                                    if changed else "the output shown is already what they print"))
        return 0
    for problem in differences:
        print(problem, end="\n\n")
    if differences:
        print(f"{doc}: {len(differences)} of the outputs shown differ from what the commands print "
              f"(after a deliberate change: python tests/test_guides.py --update {doc})")
        return 1
    print(f"{doc}: {count} examples ran as the text says and printed what it shows")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
