"""Fenced code blocks of the Markdown docs, for the tests that run or compare them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FENCE = re.compile(r"^(`{3,})(.*)$")


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
