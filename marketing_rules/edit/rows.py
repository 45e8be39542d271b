"""A decision table's rows written back into its rule file, keeping everything else as it was.

Only the rows that changed are rewritten: a row equal to the one at its place keeps its text, its
trailing comment and the comment lines after it, so that writing back unchanged rows leaves the file
byte for byte as it was. A changed or new row is written as a flow list in the shipped files' style
(``- [">= 200", gold]``): words as they are, anything YAML could read otherwise in double quotes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from marketing_rules.load.yaml_source import Source, load_yaml

Cell = str | int | float | bool | None | list[Any]
#: A word YAML reads back as the same text: letters, digits, CJK, '-' and '_', not starting with a digit or '-'.
_DASH = re.compile(r"[ ]*-[ ]+")
_WORD = re.compile(r"[A-Za-z_\u4e00-\u9fff][\w\-\u4e00-\u9fff]*")


class RowsError(ValueError):
    """The rule file has no such table, or its rows cannot be found in its text."""


@dataclass(frozen=True)
class Written:
    """The new text, and the 1-based line on which each new row starts."""

    text: str
    lines: tuple[int, ...]


def cell_text(value: Cell) -> str:
    """One cell as YAML flow text that reads back as ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):  # PyYAML reads 1e-05 as text: a float needs its point (1.0e-05)
        text = repr(value)
        return text if "." in text or "e" not in text else text.replace("e", ".0e", 1)
    if isinstance(value, list):
        return "[" + ", ".join(cell_text(v) for v in value) + "]"
    if _WORD.fullmatch(value) and yaml.safe_load(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def row_text(cells: list[Cell]) -> str:
    return cell_text(list(cells))


def table_index(data: Any, table: str) -> int:
    tables = data.get("tables") if isinstance(data, dict) else None
    for k, item in enumerate(tables or []):
        if isinstance(item, dict) and item.get("id") == table:
            return k
    raise RowsError(f"the rule file has no table {table!r}")


def write_rows(text: str, table: str, rows: list[list[Cell]], file: str | None = None) -> Written:
    """``text`` with the rows of ``table`` replaced by ``rows``."""
    data, source, problems = load_yaml(text, file)
    if problems:
        raise RowsError(problems[0].render())
    index = table_index(data, table)
    old = data["tables"][index].get("rows") or []
    starts = [_line_start(text, _span(source, (index, k)).start) for k in range(len(old))]
    if not starts:
        raise RowsError(f"table {table!r} has no rows to replace")
    ends = [*starts[1:], _line_end(text, _span(source, (index, len(old) - 1)).end)]
    for k in range(len(old)):
        if not _DASH.fullmatch(text[starts[k]:_span(source, (index, k)).start]):
            raise RowsError(f"row {k + 1} of table {table!r} does not stand on its own line after '- '")
    indent = " " * (text.index("-", starts[0]) - starts[0])
    chunks: list[str] = []
    lines: list[int] = []
    line = text.count("\n", 0, starts[0]) + 1
    for k, row in enumerate(rows):
        if k < len(old) and old[k] == row:
            chunk = text[starts[k]:ends[k]]
        else:  # the comment lines that followed the old row stay
            after = text[_line_end(text, _span(source, (index, k)).end):ends[k]] if k < len(old) else ""
            chunk = f"{indent}- {row_text(row)}\n" + after
        lines.append(line)
        line += chunk.count("\n")
        chunks.append(chunk)
    new = text[:starts[0]] + "".join(chunks) + text[ends[-1]:]
    return Written(new, tuple(lines))


def _span(source: Source, at: tuple[int, int]) -> Any:
    span = source.spans.get(("tables", at[0], "rows", at[1]))
    if span is None:
        raise RowsError(f"row {at[1] + 1} of table {at[0] + 1} has no position in the file")
    return span


def _line_start(text: str, offset: int) -> int:
    return text.rfind("\n", 0, offset) + 1


def _line_end(text: str, offset: int) -> int:
    """Just past the newline ending the line that holds ``offset`` (a trailing comment included)."""
    end = text.find("\n", offset)
    return len(text) if end < 0 else end + 1
