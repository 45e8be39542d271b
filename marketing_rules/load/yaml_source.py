"""Rule files read safely, with the position of every value kept.

PyYAML's composer gives a node tree with marks; we build plain Python values from it ourselves so
that (a) only the standard tags are accepted (a ``!!python/object`` tag is a diagnostic, never an
object), (b) a key given twice is reported instead of silently overwritten, and (c) every value's
line and column is recorded under its path, for diagnostics raised much later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from marketing_rules.errors import Diagnostic

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
        if span is None:
            return Diagnostic(code, message, file=self.file, rule=rule, hint=hint)
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
                    f"YAML tag '{node.tag}' is not allowed in a rule file",
                    path,
                    hint="remove the tag; rule files hold only plain YAML values",
                )
            )
            return None
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, yaml.constructor.ConstructorError) as error:  # e.g. a date like 2026-13-01
            self.diagnostics.append(self.source.diagnostic(
                "MR011", f"'{node.value}' is not a valid {node.tag.rsplit(':', 1)[-1]}: {error}", path,
                hint="dates are written YYYY-MM-DD"))
            return None

    def _mapping(self, node: MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag not in _SAFE_TAGS:
                self.diagnostics.append(
                    Diagnostic("MR010", "mapping keys must be plain scalars", file=self.source.file,
                               line=key_node.start_mark.line + 1, column=key_node.start_mark.column + 1)
                )
                continue
            key = self.loader.construct_object(key_node)
            key = key if isinstance(key, (str, int)) else str(key)
            child = (*path, key)
            if key in result:
                self.source.key_spans[child] = _span(key_node)
                self.diagnostics.append(
                    self.source.diagnostic(
                        "MR003", f"key '{key}' appears twice", child, key=True,
                        hint="keep one of them; YAML would silently drop the first",
                    )
                )
                continue
            self.source.key_spans[child] = _span(key_node)
            result[key] = self.build(value_node, child)
        return result


def _span(node: Node) -> Span:
    style = getattr(node, "style", None)
    return Span(node.start_mark.line, node.start_mark.column, node.start_mark.index, node.end_mark.index, style)


def load_yaml(text: str, file: str | None = None) -> tuple[Any, Source, list[Diagnostic]]:
    """Parse one YAML document: its value, the source map, and any diagnostics."""
    source = Source(text=text, file=file)
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        lines = text.splitlines()
        line = mark.line if mark else 0
        return None, source, [
            Diagnostic(
                "MR001",
                f"{error.problem or 'malformed YAML'}" + (f" {error.context}" if error.context else ""),
                file=file,
                line=line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
                hint=_yaml_hint(error),
                source_line=lines[line] if mark and line < len(lines) else None,
            )
        ]
    finally:
        loader.dispose()
    if node is None:
        return None, source, []
    builder = _Builder(source, loader)
    return builder.build(node, ()), source, builder.diagnostics


def _yaml_hint(error: yaml.MarkedYAMLError) -> str:
    context = error.context_mark
    if context is not None and error.problem_mark is not None and context.line != error.problem_mark.line:
        return f"it started at line {context.line + 1}, column {context.column + 1}; check the brackets and quotes there"
    return "check the indentation and the quoting around this place"
