"""Released versions are immutable: ``rulesets.lock`` keeps each released version's fingerprint.

A version becomes released with ``marketing-rules release``; from then on a change to its
content (not to its comments or formatting: the fingerprint is canonical) is an error, and the
change has to be made as a new version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from marketing_rules.errors import Diagnostic, RulesetError
from marketing_rules.i18n import _
from marketing_rules.load.yaml_source import Source, load_yaml


class Versioned(Protocol):
    """What the lock reads of a loaded version (a :class:`~marketing_rules.engine.ruleset.Ruleset`)."""

    id: str
    version: str
    fingerprint: str
    path: str | None

LOCK_NAME = "rulesets.lock"
#: A version as its file is named: ASCII digits, no leading zeros.
CANONICAL_VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$", re.ASCII)
_HEADER = (
    "# Released ruleset versions and their fingerprints, written by `marketing-rules release`.\n"
    "# A released version never changes: change a rule by releasing a new version.\n"
)


@dataclass
class Lock:
    path: Path
    released: dict[str, dict[str, str]] = field(default_factory=dict)  # ruleset -> version -> fingerprint

    @classmethod
    def read(cls, path: Path) -> Lock:
        """The lock at ``path`` (empty when there is none); raises :class:`RulesetError` (MR406) when malformed."""
        if not path.exists():
            return cls(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise RulesetError([Diagnostic("MR406", _("cannot read the lock: {reason}", reason=error), file=str(path))]) from None
        data, source, problems = load_yaml(text, str(path))
        problems = [replace(d, code="MR406") for d in problems]
        if not problems:
            problems = _shape_problems(data, source)
        if problems:
            raise RulesetError(problems)
        return cls(path, {k: dict(versions) for k, versions in (data or {}).items()})

    def write(self) -> None:
        ordered = {k: dict(sorted(v.items())) for k, v in sorted(self.released.items())}
        self.path.write_text(_HEADER + yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True), encoding="utf-8")

    def fingerprint(self, ruleset: str, version: str) -> str | None:
        return self.released.get(ruleset, {}).get(version)

    def check(self, rulesets: Iterable[Versioned]) -> list[Diagnostic]:
        """A diagnostic for every released version whose content is no longer what was released."""
        problems = []
        for ruleset in rulesets:
            expected = self.fingerprint(ruleset.id, ruleset.version)
            if expected is not None and expected != ruleset.fingerprint:
                problems.append(Diagnostic(
                    "MR404", _("{ruleset} {version} was released with fingerprint {expected}, "
                               "but its content now has fingerprint {fingerprint}", ruleset=ruleset.id,
                               version=ruleset.version, expected=expected, fingerprint=ruleset.fingerprint),
                    file=ruleset.path,
                    hint=_("released versions are immutable: undo the change and make it in a new version")))
        return problems

    def missing_files(self) -> list[Diagnostic]:
        """MR405 for every released version whose file ``<ruleset>/<version>.yaml`` is gone."""
        return [Diagnostic("MR405", _("{ruleset} {version} was released but {ruleset}/{version}.yaml is missing",
                                      ruleset=ruleset, version=version),
                           file=str(self.path), hint=_("restore the file: a released version stays available"))
                for ruleset, versions in sorted(self.released.items()) for version in sorted(versions)
                if not (self.path.parent / ruleset / f"{version}.yaml").is_file()]

    def release(self, ruleset: Versioned) -> bool:
        """Record a version as released; False when it already was, with this very content."""
        expected = self.fingerprint(ruleset.id, ruleset.version)
        if expected == ruleset.fingerprint:
            return False
        if expected is not None:
            raise ValueError(_("{ruleset} {version} is already released with other content",
                               ruleset=ruleset.id, version=ruleset.version))
        self.released.setdefault(ruleset.id, {})[ruleset.version] = ruleset.fingerprint
        return True


def find_lock(path: Path) -> Lock | None:
    """The lock of the rulesets folder that holds ``path`` (searched upwards from its resolved path), if any."""
    path = Path(path).resolve()
    for folder in [path, *path.parents] if path.is_dir() else path.parents:
        if (folder / LOCK_NAME).exists():
            return Lock.read(folder / LOCK_NAME)
    return None


def refuse_changed(ruleset: Versioned, path: Path) -> None:
    """Raise MR404 when ``ruleset``, read from ``path``, is a released version whose content changed."""
    lock = find_lock(path)
    changed = lock.check([ruleset]) if lock is not None else []
    if changed:
        raise RulesetError(changed)


def _shape_problems(data: Any, source: Source) -> list[Diagnostic]:
    """The lock is ``ruleset: {version: fingerprint}``: a diagnostic for every entry that is not."""
    hint = _("the lock is written by `marketing-rules release`; take it back from version control")
    if data is None:
        return []
    if not isinstance(data, dict):
        return [source.diagnostic("MR406", _("the lock must map ruleset ids to their released versions"), (),
                                  hint=hint)]
    problems = []
    for ruleset, versions in data.items():
        if not isinstance(ruleset, str) or not isinstance(versions, dict):
            problems.append(source.diagnostic(
                "MR406", _("'{ruleset}' must map versions to fingerprints", ruleset=ruleset), (ruleset,), hint=hint))
            continue
        for version, fingerprint in versions.items():
            if not (isinstance(version, str) and CANONICAL_VERSION.match(version)) or not isinstance(fingerprint, str):
                problems.append(source.diagnostic(
                    "MR406", _("'{ruleset}' {version}: {fingerprint} is not a version and its fingerprint",
                               ruleset=ruleset, version=repr(version), fingerprint=repr(fingerprint)),
                    (ruleset, version), hint=hint))
    return problems
