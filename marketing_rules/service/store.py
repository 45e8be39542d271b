"""The rulesets a server answers with: a folder loaded through the Registry, swapped whole on change.

A changed folder is loaded and fully validated (every diagnostic, the lock) in the background and
replaces the rulesets in service in one assignment, so a request sees either the old folder or the
new one, never a mix and never a broken version. A ruleset with a diagnostic keeps its last good
versions (it is held back) while the others take their changes; a problem that is no one ruleset's
(the lock, a shared definitions file) holds back the whole folder, as does any problem at the first
load. The failure is kept as ``last_error`` for ``/health``.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marketing_rules.engine.ruleset import Ruleset
from marketing_rules.errors import Diagnostic, RulesetError
from marketing_rules.i18n import _
from marketing_rules.versioning.registry import Registry

Clock = Callable[[], dt.date]


class NotFound(LookupError):
    """An unknown ruleset, version, rule or offer: HTTP 404."""


class NotInForce(LookupError):
    """No version of the ruleset is in force on the date asked: HTTP 409."""


class NotReady(RuntimeError):
    """No folder has loaded without errors yet: HTTP 503."""


@dataclass(frozen=True)
class LoadError:
    """A load of the folder that failed: when, and every diagnostic with its file and line."""

    at: dt.datetime
    diagnostics: tuple[Diagnostic, ...]
    message: str | None = None  # a failure that is no rule file's diagnostic (a file vanished mid-load)
    held_back: tuple[str, ...] = ()  # the rulesets kept at their last good versions (empty: the whole folder)

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(timespec="seconds"), "message": self.message,
                "held_back": list(self.held_back),
                "diagnostics": [{**d.as_dict(), "text": d.render()} for d in self.diagnostics]}


@dataclass
class Store:
    """The registry in service, the clock that picks the version in force, and the last failed load."""

    root: Path
    clock: Clock = dt.date.today
    registry: Registry | None = None
    index: dict[str, dict[str, Ruleset]] = field(default_factory=dict)  # ruleset -> version -> Ruleset, oldest first
    loaded_at: dt.datetime | None = None
    last_error: LoadError | None = None
    reloads: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def reload(self) -> bool:
        """Load the folder again and swap in what loads cleanly (see the module's text). Whether
        anything was swapped in; ``last_error`` says what was held back and why."""
        failure: LoadError | None = None
        try:
            registry = Registry(self.root)
        except RulesetError as error:
            broken = self._rulesets_of(error.diagnostics) if self.index else None
            partial = self._without(broken) if broken else None
            if partial is None or not broken:
                self.last_error = LoadError(_now(), error.diagnostics)
                return False
            registry, failure = partial, LoadError(_now(), error.diagnostics, held_back=tuple(sorted(broken)))
        except Exception as error:  # noqa: BLE001 - a file removed mid-load, say: keep serving, and say so
            self.last_error = LoadError(_now(), (), f"{type(error).__name__}: {error}")
            return False
        index = {rid: {r.version: r for r in registry.versions(rid)} for rid in registry.ids()}
        index.update({rid: self.index[rid] for rid in (failure.held_back if failure else ()) if rid in self.index})
        with self._lock:  # readers take index first and registry only for listings: one swap each
            self.index, self.registry, self.loaded_at, self.last_error = dict(sorted(index.items())), registry, \
                _now(), failure
            self.reloads += 1
        return True

    def _rulesets_of(self, diagnostics: tuple[Diagnostic, ...]) -> set[str] | None:
        """The ruleset folders the diagnostics are in, or None when one is in no ruleset's folder."""
        root, found = self.root.resolve(), set()
        for diagnostic in diagnostics:
            try:
                parts = Path(diagnostic.file or "").resolve().relative_to(root).parts
            except ValueError:
                return None
            if len(parts) < 2 or not (root / parts[0]).is_dir():
                return None
            found.add(parts[0])
        return found

    def _without(self, broken: set[str]) -> Registry | None:
        """The folder loaded without the broken rulesets, or None if it still does not load."""
        try:
            return Registry(self.root, skip=broken)
        except Exception:  # noqa: BLE001 - a problem beyond those rulesets: hold back the whole folder
            return None

    def current(self) -> Registry:
        registry = self.registry
        if registry is None:
            raise NotReady(_("no rulesets loaded yet: the folder has errors") if self.last_error
                           else _("no rulesets loaded yet"))
        return registry

    def get(self, ruleset: str, *, at: dt.date | None = None, version: str | None = None) -> Ruleset:
        """The version asked for, or the one in force on ``at`` (default: the clock's today)."""
        self.current()
        index = self.index
        versions = index.get(ruleset)
        if versions is None:
            raise NotFound(_("no ruleset '{ruleset}'; there are {rulesets}", ruleset=ruleset, rulesets=", ".join(index)))
        if version is not None:
            if version not in versions:
                raise NotFound(_("{ruleset} has no version {version}; it has {versions}", ruleset=ruleset,
                                 version=version, versions=", ".join(versions)))
            return versions[version]
        day = at or self.clock()
        in_force = [r for r in versions.values() if r.in_force(day)]
        if not in_force:
            raise NotInForce(_("no version of {ruleset} is in force on {date}", ruleset=ruleset, date=day.isoformat()))
        return in_force[-1]

    def versions(self) -> Iterator[tuple[Ruleset, bool, bool]]:
        """Every version loaded, oldest first per ruleset, with whether it is released and whether it
        is the one in force today."""
        registry, today = self.current(), self.today()
        for rid, versions in self.index.items():
            in_force = [v for v, r in versions.items() if r.in_force(today)]
            for rs in versions.values():
                released = registry.lock.fingerprint(rid, rs.version) is not None
                yield rs, released, bool(in_force) and rs.version == in_force[-1]

    def today(self) -> dt.date:
        return self.clock()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
