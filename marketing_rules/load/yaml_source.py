"""Rule files read safely, with the position of every value kept.

PyYAML's composer gives a node tree with marks; we build plain Python values from it ourselves so
that (a) only the standard tags are accepted (a ``!!python/object`` tag is a diagnostic, never an
object), (b) a key given twice is reported instead of silently overwritten, and (c) every value's
line and column is recorded under its path, for diagnostics raised much later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from marketing_rules.errors import Diagnostic
from marketing_rules.i18n import _
from marketing_rules.load.yaml_mistakes import plain_words

Path = tuple[str | int, ...]

_SAFE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


@dataclass(frozen=True, slots=True)
class Span:
    """Where a YAML value stands in the file (0-based line and column, character offsets)."""

    line: int
    column: int
    start: int
    end: int
    style: str | None  # None for a plain scalar, a quote character, '|' or '>'


@dataclass
class Source:
    """A rule file's text and the span of every value in it, keyed by path."""

    text: str
    file: str | None
    spans: dict[Path, Span] = field(default_factory=dict)
    key_spans: dict[Path, Span] = field(default_factory=dict)

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    def span(self, path: Path) -> Span | None:
        """The span of the value at ``path``, or of its nearest ancestor."""
        while path:
            if path in self.spans:
                return self.spans[path]
            path = path[:-1]
        return self.spans.get(())

    def line(self, path: Path) -> int | str:
        """The line (from 1) where the value at ``path`` stands, for hints; "?" where unknown."""
        span = self.span(path)
        return span.line + 1 if span is not None else "?"

    def diagnostic(
        self,
        code: str,
        message: str,
        path: Path = (),
        *,
        rule: str | None = None,
        hint: str | None = None,
        key: bool = False,
        offset: int | None = None,
        length: int | None = None,
    ) -> Diagnostic:
        """A diagnostic placed at the value (or key) at ``path``; ``offset`` moves into the scalar."""
        span = (self.key_spans.get(path) if key else None) or self.span(path)
        if span is None:  # an empty document: the start of the file
            source_line = self.lines[0] if self.lines else None
            return Diagnostic(code, message, file=self.file, line=1, column=1, rule=rule, hint=hint,
                              source_line=source_line)
        line, column = span.line, span.column
        if offset is not None:
            line, column = self._inside(span, offset)
        source_line = self.lines[line] if line < len(self.lines) else None
        if length is None:
            length = max(1, min(span.end, span.start + 200) - span.start) if span.end > span.start else 1
            if source_line is not None:
                length = min(length, max(1, len(source_line) - column))
        return Diagnostic(
            code,
            message,
            file=self.file,
            line=line + 1,
            column=column + 1,
            rule=rule,
            hint=hint,
            length=length,
            source_line=source_line,
        )

    def _inside(self, span: Span, offset: int) -> tuple[int, int]:
        """Line and column of character ``offset`` of a scalar's value, found in its raw text."""
        if span.style in (None, "'", '"'):
            skip = 0 if span.style is None else 1
            raw = self.text[span.start + skip : span.end]
            if "\n" not in raw[:offset]:
                return span.line, span.column + skip + offset
        # Block or multi-line scalars: find the value's line in the raw text and keep its column.
        value_line = self.text[span.start : span.end]
        return _locate_in_block(self.text, span, value_line, offset)


def _locate_in_block(text: str, span: Span, raw: str, offset: int) -> tuple[int, int]:
    lines = raw.splitlines()
    remaining = offset
    for index, line in enumerate(lines[1:] if span.style in ("|", ">") else lines, start=1 if span.style in ("|", ">") else 0):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if remaining <= len(stripped):
            column = (span.column if index == 0 else 0) + indent + remaining
            return span.line + index, column
        remaining -= len(stripped) + 1
    return span.line, span.column


#: Bounds on what one rule file may ask the reader to build.
MAX_DEPTH = 100  # nested mappings and lists
MAX_ALIAS_NODES = 10_000  # values added by expanding aliases (&anchor / *alias)
NUMBER_BOUND = 10**18  # a number at or beyond this overflows every computation


class _Reader(yaml.SafeLoader):
    """PyYAML's safe loader, composing without recursion past MAX_DEPTH and noting every alias."""

    def __init__(self, text: str):
        super().__init__(text)
        self.depth = 0
        self.aliases: list[tuple[Node, yaml.Mark]] = []

    def fetch_flow_collection_start(self, token_class: type) -> None:  # [ and {: refused before scanning on
        if self.flow_level >= MAX_DEPTH:
            raise _too_deep(self.get_mark())
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        if self.check_event(AliasEvent):
            event: Any = self.peek_event()  # type: ignore[no-untyped-call]
            node = super().compose_node(parent, index)
            if node is not None:
                self.aliases.append((node, event.start_mark))
            return node
        self.depth += 1
        if self.depth > MAX_DEPTH:
            mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
            raise _too_deep(mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Refused(Exception):
    def __init__(self, code: str, message: str, mark: yaml.Mark, hint: str):
        super().__init__(message)
        self.code, self.message, self.mark, self.hint = code, message, mark, hint


def _too_deep(mark: yaml.Mark) -> _Refused:
    return _Refused("MR004", _("the YAML nests more than {count} levels deep", count=MAX_DEPTH), mark,
                    _("a rule file needs far fewer levels; flatten the structure"))


def _check_aliases(root: Node, aliases: list[tuple[Node, yaml.Mark]]) -> None:
    """Refuse an alias inside its own anchor, and aliases that expand to more than MAX_ALIAS_NODES values."""
    sizes: dict[int, int] = {}
    for node, mark in aliases:
        if _size(node, sizes, mark) is None:
            raise _Refused("MR004", _("this alias refers to a value that contains it"), mark,
                           _("an alias (*name) can only repeat a value defined before and outside it"))
    added = 0
    for node, mark in aliases:
        added += sizes[id(node)]
        if added > MAX_ALIAS_NODES:
            raise _Refused("MR004", _("aliases expand to more than {count} values", count=MAX_ALIAS_NODES), mark,
                           _("write the values out, or repeat fewer of them"))


def _size(root: Node, sizes: dict[int, int], mark: yaml.Mark) -> int | None:
    """How many values ``root`` stands for once every alias is expanded (None: it contains itself)."""
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            sizes[key] = min(1 + sum(sizes[id(child)] for child in _child_nodes(node)), 10 * MAX_ALIAS_NODES)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            return None
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _child_nodes(node) if id(child) not in sizes)
    return sizes[id(root)]


def _child_nodes(node: Node) -> list[Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


class _Builder:
    def __init__(self, source: Source, loader: yaml.SafeLoader):
        self.source = source
        self.loader = loader
        self.diagnostics: list[Diagnostic] = []

    def build(self, node: Node, path: Path) -> Any:
        self.source.spans[path] = _span(node)
        if node.tag not in _SAFE_TAGS:
            self.diagnostics.append(
                self.source.diagnostic(
                    "MR002",
                    _("YAML tag '{tag}' is not allowed in a rule file", tag=node.tag),
                    path,
                    hint=_("remove the tag; rule files hold only plain YAML values"),
                )
            )
            return None
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        try:
            value = self.loader.construct_object(node, deep=True)
        except (ValueError, yaml.constructor.ConstructorError) as error:  # e.g. a date like 2026-13-01
            self.diagnostics.append(self.source.diagnostic(
                "MR011", _("'{value}' is not a valid {kind}: {reason}", value=_short(node.value),
                           kind=node.tag.rsplit(":", 1)[-1], reason=error), path,
                hint=_("dates are written YYYY-MM-DD")))
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not _in_range(value):
            self.diagnostics.append(self.source.diagnostic(
                "MR013", _("the number {value} is not finite or out of range", value=_short(node.value)), path,
                hint=_("integers are 64-bit, other numbers finite and below 10^18; .inf and .nan are not numbers")))
            return None
        return value

    def _mapping(self, node: MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _SAFE_TAGS:
                self.diagnostics.append(
                    Diagnostic("MR010", _("mapping keys must be plain scalars"), file=self.source.file,
                               line=key_node.start_mark.line + 1, column=key_node.start_mark.column + 1)
                )
                continue
            try:
                key = self.loader.construct_object(key_node)
            except (ValueError, yaml.constructor.ConstructorError):
                key = key_node.value  # a key that reads as a bad date or a huge number: keep its text
            key = key if isinstance(key, (str, int)) else str(key)
            child = (*path, key)
            if key in result:
                self.source.key_spans[child] = _span(key_node)
                self.diagnostics.append(
                    self.source.diagnostic(
                        "MR003", _("key '{key}' appears twice", key=key), child, key=True,
                        hint=_("keep one of them; YAML would silently drop the first"),
                    )
                )
                continue
            self.source.key_spans[child] = _span(key_node)
            result[key] = self.build(value_node, child)
        return result


def _in_range(value: int | float) -> bool:
    """Integers are 64-bit, other numbers finite and below 10^18 (docs/dsl.md, the number rules)."""
    if isinstance(value, int):
        return abs(value) < 2**63
    return math.isfinite(value) and abs(value) < NUMBER_BOUND


def _short(text: str) -> str:
    if len(text) <= 40:
        return text
    return _("{start}...{end} ({count} characters)", start=text[:16], end=text[-16:], count=len(text))


def _span(node: Node) -> Span:
    style = getattr(node, "style", None)
    return Span(node.start_mark.line, node.start_mark.column, node.start_mark.index, node.end_mark.index, style)


def load_yaml(text: str, file: str | None = None) -> tuple[Any, Source, list[Diagnostic]]:
    """Parse one YAML document: its value, the source map, and any diagnostics."""
    source = Source(text=text, file=file)
    loader = _Reader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_aliases(node, loader.aliases)
    except yaml.MarkedYAMLError as error:
        return None, source, [_yaml_error(source, error)]
    except _Refused as refused:
        return None, source, [_at_mark(source, refused.code, refused.message, refused.mark, refused.hint)]
    finally:
        loader.dispose()
    if node is None:
        return None, source, []
    builder = _Builder(source, loader)
    return builder.build(node, ()), source, builder.diagnostics


def _at_mark(source: Source, code: str, message: str, mark: yaml.Mark | None, hint: str | None) -> Diagnostic:
    lines = source.lines
    line = mark.line if mark else 0
    return Diagnostic(code, message, file=source.file, line=line + 1 if mark else None,
                      column=mark.column + 1 if mark else None, hint=hint,
                      source_line=lines[line] if mark and line < len(lines) else None)


def _yaml_error(source: Source, error: yaml.MarkedYAMLError) -> Diagnostic:
    """MR001 in plain words where the mistake is a common one, else in the YAML reader's words."""
    mistake = plain_words(source.text, error)
    if mistake is not None:
        lines = source.lines
        return Diagnostic("MR001", mistake.message, file=source.file, line=mistake.line + 1, column=mistake.column + 1,
                          hint=mistake.hint, source_line=lines[mistake.line] if mistake.line < len(lines) else None)
    mark = error.problem_mark or error.context_mark
    problem = error.problem or _("malformed YAML")  # the YAML reader's own words otherwise
    message = f"{problem} {error.context}" if error.context else problem
    return _at_mark(source, "MR001", message, mark, _yaml_hint(error))


def _yaml_hint(error: yaml.MarkedYAMLError) -> str:
    context = error.context_mark
    if context is not None and error.problem_mark is not None and context.line != error.problem_mark.line:
        return _("it started at line {line}, column {column}; check the brackets and quotes there",
                 line=context.line + 1, column=context.column + 1)
    return _("check the indentation and the quoting around this place")
