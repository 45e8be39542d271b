"""The YAML mistakes analysts make most, told in plain words at the place of the real mistake.

PyYAML reports where its reader gave up ("expected <block end>, but found '<block sequence start>'"),
often a line after the mistake and in the reader's own terms. :func:`plain_words` looks at the text
around that place and names what the author did: a tab, a key without its colon, a full-width colon,
a line indented unlike its neighbours, a quote or bracket left open, a value that starts with a
quote, a ': ' inside a value. Where it recognises nothing, the reader's message stands.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from marketing_rules.i18n import _

_KEY = re.compile(r"[ ]*(?:-[ ]+)?([^\s:#'\"\[\]{},]+)")
_CLOSING = {"[": "]", "{": "}"}


@dataclass(frozen=True)
class Mistake:
    message: str
    line: int  # 0-based, as PyYAML's marks
    column: int
    hint: str


def plain_words(text: str, error: yaml.MarkedYAMLError) -> Mistake | None:
    """The mistake behind a YAML reader's error, or None when it is none of the common ones."""
    lines = text.splitlines() or [""]
    for find in _FINDERS:
        mistake = find(lines, error)
        if mistake is not None:
            return mistake
    return None


def _indentation(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _tab(lines: list[str], error: yaml.MarkedYAMLError) -> Mistake | None:
    last = error.problem_mark.line if error.problem_mark else len(lines) - 1
    for k, line in enumerate(lines[: last + 1]):
        lead = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in lead:
            return Mistake(_("a tab in the indentation"), k, lead.index("\t"),
                           _("indent with spaces, not a tab: YAML counts spaces, and a tab is not one"))
    if "'\\t'" in (error.problem or "") and error.problem_mark:
        mark = error.problem_mark
        return Mistake(_("a tab here"), mark.line, mark.column, _("use spaces, not a tab"))
    return None


def _full_width_colon(lines: list[str], error: yaml.MarkedYAMLError) -> Mistake | None:
    first = error.context_mark.line if error.context_mark else error.problem_mark.line if error.problem_mark else 0
    last = error.problem_mark.line if error.problem_mark else first
    for k in range(first, min(last, len(lines) - 1) + 1):
        key = _KEY.match(lines[k])
        if key and lines[k][key.end():key.end() + 1] == "：":
            return Mistake(_("a full-width '：' after the key '{key}'", key=key.group(1).rstrip("：")), k, key.end(),
                           _("type the half-width ':' and a space"))
        if key and "：" in key.group(1):
            name = key.group(1).partition("：")[0]
            return Mistake(_("a full-width '：' after the key '{key}'", key=name), k, key.start(1) + len(name),
                           _("type the half-width ':' and a space"))
    return None


def _missing_colon(lines: list[str], error: yaml.MarkedYAMLError) -> Mistake | None:
    if error.problem != "could not find expected ':'" or error.context_mark is None:
        return None
    mark = error.context_mark
    key = _KEY.match(lines[mark.line][mark.column:] if mark.line < len(lines) else "")
    if key is None:
        return None
    word = key.group(1)
    return Mistake(_("the key '{key}' has no ':' after it", key=word), mark.line, mark.column + key.end(1),
                   _("write '{key}: ' and then its value", key=word))


def _unclosed(lines: list[str], error: yaml.MarkedYAMLError) -> Mistake | None:
    mark = error.context_mark
    if mark is None or mark.line >= len(lines) or mark.column >= len(lines[mark.line]):
        return None
    opened = lines[mark.line][mark.column]
    if error.context == "while scanning a quoted scalar" and "end of stream" in (error.problem or ""):
        return Mistake(_("the quote {quote} opened here is never closed", quote=opened), mark.line, mark.column,
                       _("end the value with {quote}, or remove this one", quote=opened))
    if error.context in ("while parsing a flow sequence", "while parsing a flow mapping") and opened in _CLOSING:
        return Mistake(_("the bracket '{bracket}' opened here is never closed", bracket=opened), mark.line, mark.column,
                       _("close it with '{bracket}'; a table cell or list that holds brackets goes in quotes",
                         bracket=_CLOSING[opened]))
    return None


def _quoted_start(lines: list[str], error: yaml.MarkedYAMLError) -> Mistake | None:
    mark = error.problem_mark
    if mark is None or not (error.problem or "").endswith("but found '<scalar>'") or mark.line >= len(lines):
        return None
    line = lines[mark.line]
    value = re.match(r"[ ]*(?:-[ ]+)?[^\s:#]+:[ ]+(['\"])", line)
    if value is None or mark.column <= value.end():
        return None
    quote = value.group(1)
    other = "\"" if quote == "'" else "'"
    return Mistake(_("the value starts with a quote, so it ends at the closing {quote}", quote=quote), mark.line,
                   mark.column, _("put the quoted part last (card == {quote}gold{quote}), or quote the whole value "
                                  "with {other}", quote=quote, other=other))


def _misaligned(lines: list[str], error: yaml.MarkedYAMLError) -> Mistake | None:
    mark = error.problem_mark
    if mark is None or mark.line >= len(lines):
        return None
    problem = error.problem or ""
    line = lines[mark.line]
    here = _indentation(line)
    above = next((k for k in range(mark.line - 1, -1, -1) if lines[k].strip() and not lines[k].lstrip().startswith("#")), None)
    if problem == "mapping values are not allowed here" and above is not None:
        key = _KEY.match(lines[above])
        column = key.start(1) if key else _indentation(lines[above])
        if here > column and ":" in lines[above][column:] and not line[:mark.column].strip().count(":"):
            return Mistake(_("this line is indented by {spaces} spaces, more than the key above it on line {line}",
                             spaces=here, line=above + 1),
                           mark.line, here, _("YAML reads it as the rest of that value; start it in column {column}, "
                                              "as the other keys", column=column + 1))
        return Mistake(_("a ': ' inside a value"), mark.line, mark.column,
                       _("put the whole value in quotes, as title: \"会员: 金卡\""))
    if not problem.startswith("expected <block end>, but found '<block"):
        return None
    kind = "item" if re.match(r"[ ]*-[ ]", line) else "key"
    beside = [(abs(c - here), -k, c) for k in range(mark.line) for c, what in _starts(lines[k]) if what == kind and c != here]
    if not beside:
        return None
    k, column = min(beside)[1:]
    if kind == "item":
        return Mistake(_("this item is indented by {spaces} spaces, the item before it on line {line} by {before}",
                         spaces=here, line=1 - k, before=column), mark.line, here,
                       _("items of one list start in the same column: start it in column {column}", column=column + 1))
    return Mistake(_("this key is indented by {spaces} spaces, the key before it on line {line} by {before}",
                     spaces=here, line=1 - k, before=column), mark.line, here,
                   _("keys of one mapping start in the same column: start it in column {column}", column=column + 1))


def _starts(line: str) -> list[tuple[int, str]]:
    """Where the items and keys of a line start: a dash is an item, what follows a dash a key."""
    if not line.strip() or line.lstrip().startswith("#"):
        return []
    dash = re.match(r"[ ]*-[ ]+", line)
    return [(_indentation(line), "item"), (dash.end(), "key")] if dash else [(_indentation(line), "key")]


_FINDERS: tuple[Callable[[list[str], yaml.MarkedYAMLError], Mistake | None], ...] = (
    _tab, _full_width_colon, _missing_colon, _unclosed, _quoted_start, _misaligned,
)
