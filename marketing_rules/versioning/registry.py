"""Every ruleset and version in a folder, and the version in force on a date (SPEC section 5).

The folder holds ``<ruleset-id>/<version>.yaml`` files. Loading the registry validates every
version, checks that file names agree with the headers, and, when the folder has a
``rulesets.lock``, that no released version has changed since it was released.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator
from pathlib import Path

from marketing_rules.engine.ruleset import Ruleset, load_ruleset
from marketing_rules.errors import Diagnostic, RulesetError, did_you_mean
from marketing_rules.i18n import _
from marketing_rules.versioning.lock import CANONICAL_VERSION, LOCK_NAME, Lock


class RegistryError(LookupError):
    """A ruleset or version that the registry does not have."""


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def rule_files(root: Path) -> Iterator[Path]:
    """The rule files under a folder: ``*.yaml`` but not scenarios (``*.test.yaml``) or definitions (``*.defs.yaml``)."""
    return (p for p in sorted(root.rglob("*.yaml")) if not p.name.endswith((".test.yaml", ".defs.yaml")))


class Registry:
    """The rulesets of a folder, every version loaded and checked.

    >>> reg = Registry("rulesets/")                                  # doctest: +SKIP
    >>> reg.get("stock-ops", at=dt.date(2026, 12, 15)).version       # doctest: +SKIP
    """

    def __init__(self, root: str | Path, *, skip: Collection[str] = ()):
        """Load every rule file under ``root`` but those of the ruleset folders named in ``skip``."""
        self.root = Path(root)
        self.lock = Lock.read(self.root / LOCK_NAME)
        self._versions: dict[str, dict[str, Ruleset]] = {}
        problems: list[Diagnostic] = []
        for path in rule_files(self.root):
            if path.relative_to(self.root).parts[0] in skip:
                continue
            try:
                ruleset = load_ruleset(path)
            except RulesetError as error:
                problems += error.diagnostics
                continue
            problems += self._place(ruleset, path)
        problems += self.lock.check(self)
        problems += self.missing()
        if problems:
            raise RulesetError(problems)

    def _place(self, ruleset: Ruleset, path: Path) -> list[Diagnostic]:
        where = str(path)
        misplaced = placement(ruleset, path)
        if misplaced:
            return misplaced
        versions = self._versions.setdefault(ruleset.id, {})
        if ruleset.version in versions:
            return [Diagnostic("MR403", _("{ruleset} {version} is defined twice, also in {file}", ruleset=ruleset.id,
                                          version=ruleset.version, file=versions[ruleset.version].path), file=where,
                               hint=_("give the new one a new version number"))]
        versions[ruleset.version] = ruleset
        return []

    def missing(self) -> list[Diagnostic]:
        """MR405 for every version the lock says was released whose file is gone (deleted or renamed)."""
        return self.lock.missing_files()

    # -- lookups ------------------------------------------------------------------------------
    def ids(self) -> list[str]:
        return sorted(self._versions)

    def versions(self, ruleset: str) -> list[Ruleset]:
        """Every version of a ruleset, oldest first."""
        return sorted(self._known(ruleset).values(), key=lambda r: version_key(r.version))

    def __iter__(self) -> Iterator[Ruleset]:
        for ruleset in self.ids():
            yield from self.versions(ruleset)

    def __len__(self) -> int:
        return sum(len(v) for v in self._versions.values())

    def get(self, ruleset: str, *, at: dt.date | None = None, version: str | None = None) -> Ruleset:
        """One version: by number, or the highest whose effective window holds ``at`` (default today)."""
        versions = self._known(ruleset)
        if version is not None:
            if version not in versions:
                known = ", ".join(r.version for r in self.versions(ruleset))
                raise RegistryError(_("{ruleset} has no version {version}; it has {versions}", ruleset=ruleset,
                                      version=version, versions=known))
            return versions[version]
        day = at or dt.date.today()
        in_force = [r for r in self.versions(ruleset) if r.in_force(day)]
        if not in_force:
            windows = "; ".join(f"{r.version} {_window(r)}" for r in self.versions(ruleset))
            raise RegistryError(_("no version of {ruleset} is in force on {day} ({windows})", ruleset=ruleset,
                                  day=day.isoformat(), windows=windows))
        return in_force[-1]

    def _known(self, ruleset: str) -> dict[str, Ruleset]:
        if ruleset not in self._versions:
            hint = did_you_mean(ruleset, self._versions)
            if hint:
                raise RegistryError(_("no ruleset '{ruleset}' in {folder}; {hint}", ruleset=ruleset, folder=self.root,
                                      hint=hint))
            raise RegistryError(_("no ruleset '{ruleset}' in {folder}", ruleset=ruleset, folder=self.root))
        return self._versions[ruleset]


def placement(ruleset: Ruleset, path: Path) -> list[Diagnostic]:
    """A rule file lives at ``<ruleset-id>/<version>.yaml``: the diagnostics where it does not."""
    where = str(path)
    problem = misnamed(ruleset, path)
    if problem:
        return [problem]
    if path.parent.name != ruleset.id:
        return [Diagnostic("MR402", _("ruleset '{ruleset}' is in folder '{folder}'", ruleset=ruleset.id,
                                      folder=path.parent.name), file=where,
                           hint=_("move it to {ruleset}/ or change its ruleset: header", ruleset=ruleset.id))]
    return []


def misnamed(ruleset: Ruleset, path: Path) -> Diagnostic | None:
    """MR401 when the file name is not the canonical spelling of the header's version."""
    where = str(path)
    if not CANONICAL_VERSION.match(ruleset.version):
        return Diagnostic("MR401", _("version {version} is not written canonically", version=ruleset.version),
                          file=where, hint=_("write versions in ASCII digits without leading zeros, e.g. 1.0.0"))
    if path.stem != ruleset.version:
        return Diagnostic("MR401", _("file {file} holds version {version}", file=path.name, version=ruleset.version),
                          file=where, hint=_("name the file {version}.yaml: one file per version",
                                             version=ruleset.version))
    return None


def _window(ruleset: Ruleset) -> str:
    if ruleset.effective is None:
        return _("always")
    start = ruleset.effective.from_.isoformat()
    if ruleset.effective.until:
        return _("from {start} until {end}", start=start, end=ruleset.effective.until.isoformat())
    return _("from {start} until open", start=start)
