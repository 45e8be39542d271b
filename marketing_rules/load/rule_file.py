"""A rule file from disk or text to a validated :class:`RulesetFile`, with its source map.

Shape errors found by pydantic are turned into diagnostics at the YAML position of the value
concerned, with a "did you mean" for misspelt keys.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path as FilePath
from typing import Any

from pydantic import BaseModel, RootModel, ValidationError

from marketing_rules.errors import Diagnostic, DiagnosticSink, RulesetError, did_you_mean
from marketing_rules.i18n import N_, _
from marketing_rules.load.yaml_source import Path, Source, load_yaml
from marketing_rules.model.ruleset import RulesetFile


def read_rule_file(text: str, file: str | None, sink: DiagnosticSink) -> tuple[RulesetFile | None, Source]:
    """Parse and validate a rule file's text; problems go to ``sink``."""
    data, source, diagnostics = load_yaml(text, file)
    for diagnostic in diagnostics:
        sink.add(diagnostic)
    if diagnostics:
        return None, source
    if not isinstance(data, dict):
        sink.add(source.diagnostic("MR010", _("a rule file is a mapping with ruleset, version and rules"), (),
                                   hint=_("start the file with 'ruleset: my-ruleset'")))
        return None, source
    try:
        model = RulesetFile.model_validate(data)
    except ValidationError as error:
        placed: dict[tuple[Any, ...], Diagnostic] = {}
        kinds: dict[tuple[Any, ...], list[str]] = {}  # the types pydantic asked for at each place
        for item in error.errors():
            diagnostic = _shape_diagnostic(item, data, source)
            key = (diagnostic.line, diagnostic.column, diagnostic.code)
            found = _KIND.findall(str(item.get("msg", "")))
            if key in placed:  # a union type reports once per alternative: say it once, listing them
                kinds[key] += found
                placed[key] = _merge_alternatives(placed[key], kinds[key])
            else:
                placed[key], kinds[key] = diagnostic, found
        for diagnostic in placed.values():
            sink.add(diagnostic)
        return None, source
    unbounded = [source.diagnostic("MR013", _("the number {value} is not finite or out of range", value=repr(value)),
                                   path, hint=_("integers are 64-bit, other numbers finite and below 10^18"))
                 for path, value in _numbers(model.model_dump(by_alias=True), ()) if not _bounded(value)]
    for diagnostic in unbounded:
        sink.add(diagnostic)
    return (None if unbounded else model), source


def _numbers(value: Any, path: Path) -> Iterator[tuple[Path, float | int]]:
    """Every number in a validated file (text such as 'inf' read into a number field included)."""
    stack = [(value, path)]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            stack.extend((v, (*where, k)) for k, v in node.items())
        elif isinstance(node, (list, tuple)):
            stack.extend((v, (*where, i)) for i, v in enumerate(node))
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            yield where, node


def _bounded(value: float | int) -> bool:
    """Integers are 64-bit, other numbers finite and below 10^18."""
    return abs(value) < 2**63 if isinstance(value, int) else math.isfinite(value) and abs(value) < 10**18


_KIND = re.compile(r"Input should be a valid (\w+)")
#: The types pydantic names, in the reader's words.
_KIND_WORDS = {"integer": N_("integer"), "number": N_("number"), "string": N_("string"),
               "boolean": N_("boolean"), "list": N_("list"), "dictionary": N_("dictionary"), "date": N_("date")}

def _merge_alternatives(first: Diagnostic, kinds: list[str]) -> Diagnostic:
    """One message for a value that fits none of a union's alternatives (``kinds``: the types asked for)."""
    if not kinds:
        return first
    wanted = ", ".join(_(_KIND_WORDS[kind]) if kind in _KIND_WORDS else kind for kind in dict.fromkeys(kinds))
    return replace(first, message=_("this value has the wrong type: expected one of {kinds}", kinds=wanted))


def read_text(path: str | FilePath) -> str:
    """A rule file's text; raises :class:`RulesetError` (MR012, or MR005 at the first byte that is not UTF-8)."""
    name = str(path)
    try:
        data = FilePath(path).read_bytes()
    except OSError as error:
        raise RulesetError([Diagnostic("MR012", _("cannot read the rule file: {reason}", reason=error.strerror),
                                       file=name)]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise RulesetError([_not_utf8(data, error, name)]) from None


def _not_utf8(data: bytes, error: UnicodeDecodeError, name: str) -> Diagnostic:
    start = data.rfind(b"\n", 0, error.start) + 1
    end = data.find(b"\n", error.start)
    line_text = data[start:end if end >= 0 else len(data)].decode("utf-8", "replace")
    column = len(data[start:error.start].decode("utf-8", "replace")) + 1
    byte = f"0x{data[error.start]:02x}"
    return Diagnostic("MR005", _("byte {byte} is not UTF-8 text", byte=byte), file=name,
                      line=data.count(b"\n", 0, error.start) + 1, column=column, hint=_("save the file as UTF-8"),
                      source_line=line_text)


def _shape_diagnostic(error: Any, data: Any, source: Source) -> Diagnostic:
    path, model = _data_path(error["loc"], data)
    kind = error["type"]
    rule = _rule_id(path, data)
    ctx = error.get("ctx") or {}
    if "code" in ctx:  # the model says how to report it (model.ruleset.shape_error)
        return source.diagnostic(ctx["code"], error["msg"], (*path, *ctx.get("at", ())), rule=rule,
                                 hint=ctx.get("hint"), key=bool(ctx.get("key")))
    if kind == "extra_forbidden":
        key = path[-1]
        allowed = _field_names(model) if model else []
        hint = did_you_mean(str(key), allowed) or (
            _("the keys here are {keys}", keys=", ".join(allowed)) if allowed else None)
        return source.diagnostic("MR010", _("unknown key '{key}'", key=key), path, rule=rule, hint=hint, key=True)
    if kind == "missing":
        return source.diagnostic("MR010", _("'{key}' is required here", key=error["loc"][-1]), path, rule=rule)
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if kind == "string_pattern_mismatch":
        message = _("{value} is not a valid {key}", value=repr(value), key=path[-1])
        hint = _("ids use lowercase letters, digits and dashes") if path[-1] != "version" else _("write MAJOR.MINOR.PATCH")
        return source.diagnostic("MR011", message, path, rule=rule, hint=hint)
    if kind.startswith(("date_", "datetime_")):
        return source.diagnostic("MR011", _("{value} is not a date", value=value), path, rule=rule,
                                 hint=_("write dates as 2027-01-01 (year-month-day, with dashes)"))
    if kind == "literal_error":
        expected = ctx.get("expected")
        shown = _("Input should be {expected}", expected=expected) if message == f"Input should be {expected}" else message
        return source.diagnostic("MR011", _("{value} is not allowed: {reason}", value=repr(value), reason=shown), path,
                                 rule=rule, hint=did_you_mean(str(value), _literal_choices(str(expected or message))))
    return source.diagnostic("MR011", message, path, rule=rule)  # pydantic's message, in the reader's language


def _data_path(loc: tuple[int | str, ...], data: Any) -> tuple[Path, type[BaseModel] | None]:
    """The part of pydantic's location that names real keys and indexes, and the model there."""
    path: list[str | int] = []
    node = data
    model: type[BaseModel] | None = RulesetFile
    for part in loc:
        if isinstance(node, dict) and part in node:
            path.append(part)
            model = _child_model(model, part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            path.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and not path_is_type_tag(part):
            path.append(part)  # a missing or extra key: point at its parent mapping
            break
    return tuple(path), model


def path_is_type_tag(part: str) -> bool:
    return any(c in part for c in "[]") or part in ("str", "int", "float", "bool", "dict", "list", "none")


def _child_model(model: type[BaseModel] | None, key: Any) -> type[BaseModel] | None:
    if model is None:
        return None
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            annotation = field.annotation
            for candidate in (annotation, *getattr(annotation, "__args__", ())):
                if isinstance(candidate, type) and issubclass(candidate, RootModel):
                    return _child_model(candidate, "root")  # a value or a list of them: its items' model
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    return candidate
            return model if getattr(annotation, "__origin__", None) in (list, dict) else None
    return model


def _field_names(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _literal_choices(message: str) -> list[str]:
    """The choices of pydantic's ``expected`` ("'first', 'unique' or 'collect'"), or of its message."""
    return [part.strip(" '\"") for part in message.replace(" or ", ",").split("Input should be")[-1].split(",")]


def _rule_id(path: Path, data: Any) -> str | None:
    if len(path) >= 2 and path[0] in ("rules", "tables") and isinstance(path[1], int):
        try:
            return str(data[path[0]][path[1]].get("id"))
        except (AttributeError, IndexError, KeyError):
            return None
    return None
