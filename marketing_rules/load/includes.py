"""Definitions shared by several rulesets, included by reference (``include: [../shared/x.defs.yaml]``).

A definitions file holds constants, packages, services, tag meanings and the catalogue code scheme
that several rulesets use, so that they are written once and cannot drift. Including it is the
same as writing its definitions in the rule file: the loaded ruleset, its fingerprint (so the lock
covers the included text) and ``diff`` see the merged content. A name defined both in the rule
file and in a file it includes, or in two included files, is an error (MR015): a definition has
one place. Paths are relative to the including file and resolved lexically (``..`` removes the
folder before it), so a ruleset folder moved as a whole keeps its includes.
"""

from __future__ import annotations

import os
from pathlib import Path as FilePath
from typing import Any

from pydantic import ValidationError

from marketing_rules.errors import Diagnostic, DiagnosticSink, RulesetError
from marketing_rules.i18n import N_, _
from marketing_rules.load.rule_file import read_text
from marketing_rules.load.yaml_source import Source, load_yaml
from marketing_rules.model.ruleset import SHARED_PARTS, Definitions, DefinitionsFile, RulesetFile

SUFFIX = ".defs.yaml"


def include_definitions(file: RulesetFile, source: Source, sink: DiagnosticSink) -> RulesetFile | None:
    """``file`` with the definitions of every file it includes merged in; problems go to ``sink``."""
    if not file.include:
        return file
    base = FilePath(source.file).parent if source.file else FilePath.cwd()
    merged: dict[str, dict[str, Any]] = {part: {} for part in SHARED_PARTS}
    where: dict[tuple[str, str], str] = {}  # (part, name) -> the file that defines it
    problems = len(sink.diagnostics)
    for index, name in enumerate(file.include):
        definitions = _read(name, base, source, ("include", index), sink)
        if definitions is None:
            continue
        for part, items in _items(definitions):
            for key, value in items.items():
                if (part, key) in where:
                    sink.add(source.diagnostic(
                        "MR015", _("{name} is defined in both {file} and {other}", name=_named(part, key),
                                   file=where[part, key], other=name),
                        ("include", index), hint=_("a shared definition has one place: remove one of them")))
                merged[part][key] = value
                where[part, key] = name
    for part, items in _items(file):
        for key in items:
            if (part, key) in where:
                sink.add(source.diagnostic(
                    "MR015", _("{name} is defined here and in {file}, which this file includes",
                               name=_named(part, key), file=where[part, key]),
                    _path(part, key), key=part != "codes",
                    hint=_("a shared definition has one place: remove it here (to change it, include another "
                           "definitions file in a new version)")))
    if len(sink.diagnostics) > problems:
        return None
    update: dict[str, Any] = {}
    for part, items in merged.items():
        own = dict(_items_of(file, part))
        if part == "codes":
            update[part] = items.get("codes", file.codes)
        elif items:
            update[part] = {**items, **own}
    return file.model_copy(update=update)


def _read(name: str, base: FilePath, source: Source, at: tuple[str, int], sink: DiagnosticSink) -> Definitions | None:
    if not name.endswith(SUFFIX):
        sink.add(source.diagnostic("MR014", _("'{file}' is not a definitions file", file=name), at,
                                   hint=_("definitions files are named *{suffix}", suffix=SUFFIX)))
        return None
    path = FilePath(os.path.normpath(base / name))
    try:
        text = read_text(path)
    except RulesetError as error:
        reason = error.diagnostics[0].message.removeprefix(_("cannot read the rule file: {reason}", reason=""))
        sink.add(source.diagnostic("MR014", _("cannot include {file}: {reason}", file=name, reason=reason), at,
                                   hint=_("the path is relative to this file's folder: {path}", path=path)))
        return None
    data, included, diagnostics = load_yaml(text, str(path))
    for diagnostic in diagnostics:
        sink.add(diagnostic)
    if diagnostics:
        return None
    try:
        return DefinitionsFile.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            sink.add(_shape(item, included))
        return None


def _shape(item: Any, source: Source) -> Diagnostic:
    path = tuple(part for part in item["loc"] if isinstance(part, (str, int)))
    known = tuple(p for p in path if not (isinstance(p, str) and p in ("str", "int", "float", "bool", "none")))
    if item["type"] == "extra_forbidden":
        return source.diagnostic("MR010", _("a definitions file has no '{key}'", key=known[-1]), known, key=True,
                                 hint=_("it holds {parts}, a title and a description", parts=", ".join(SHARED_PARTS)))
    if item["type"] == "missing":
        return source.diagnostic("MR010", _("'{key}' is required here", key=known[-1]), known[:-1],
                                 hint=_("start the file with 'definitions: my-definitions'"))
    return source.diagnostic("MR011", item["msg"].removeprefix("Value error, "), known)


def _items(definitions: Definitions | RulesetFile) -> list[tuple[str, dict[str, Any]]]:
    return [(part, dict(_items_of(definitions, part))) for part in SHARED_PARTS]


def _items_of(definitions: Definitions | RulesetFile, part: str) -> dict[str, Any]:
    if part == "codes":
        return {"codes": definitions.codes} if definitions.codes is not None else {}
    items: dict[str, Any] = getattr(definitions, part)
    return items


def _path(part: str, key: str) -> tuple[str, ...]:
    return (part,) if part == "codes" else (part, key)


#: A shared definition as a message names it, by the part that holds it.
_NAMED = {"constants": N_("constant '{name}'"), "packages": N_("package '{name}'"),
          "services": N_("service '{name}'"), "tags": N_("tag '{name}'")}


def _named(part: str, key: str) -> str:
    if part == "codes":
        return _("the code scheme")
    if part in _NAMED:
        return _(_NAMED[part], name=key)
    return f"{part.removesuffix('s')} '{key}'"
