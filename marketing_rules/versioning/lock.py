"""Released versions are immutable: ``rulesets.lock`` keeps each released version's fingerprint.

A version becomes released with ``marketing-rules release``; from then on a change to its
content (not to its comments or formatting: the fingerprint is canonical) is an error, and the
change has to be made as a new version.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from marketing_rules.errors import Diagnostic

if TYPE_CHECKING:
    from marketing_rules.engine.ruleset import Ruleset

LOCK_NAME = "rulesets.lock"
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
        if not path.exists():
            return cls(path)
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(path, {str(k): {str(v): str(f) for v, f in versions.items()} for k, versions in data.items()})

    def write(self) -> None:
        ordered = {k: dict(sorted(v.items())) for k, v in sorted(self.released.items())}
        self.path.write_text(_HEADER + yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True), encoding="utf-8")

    def fingerprint(self, ruleset: str, version: str) -> str | None:
        return self.released.get(ruleset, {}).get(version)

    def check(self, rulesets: Iterable[Ruleset]) -> list[Diagnostic]:
        """A diagnostic for every released version whose content is no longer what was released."""
        problems = []
        for ruleset in rulesets:
            expected = self.fingerprint(ruleset.id, ruleset.version)
            if expected is not None and expected != ruleset.fingerprint:
                problems.append(Diagnostic(
                    "MR404", f"{ruleset.id} {ruleset.version} was released with fingerprint {expected}, "
                    f"but its content now has fingerprint {ruleset.fingerprint}", file=ruleset.path,
                    hint="released versions are immutable: undo the change and make it in a new version"))
        return problems

    def release(self, ruleset: Ruleset) -> bool:
        """Record a version as released; False when it already was, with this very content."""
        expected = self.fingerprint(ruleset.id, ruleset.version)
        if expected == ruleset.fingerprint:
            return False
        if expected is not None:
            raise ValueError(f"{ruleset.id} {ruleset.version} is already released with other content")
        self.released.setdefault(ruleset.id, {})[ruleset.version] = ruleset.fingerprint
        return True


def find_lock(path: Path) -> Lock | None:
    """The lock of the rulesets folder that holds ``path`` (searched upwards), if any."""
    for folder in [path, *path.parents] if path.is_dir() else path.parents:
        if (folder / LOCK_NAME).exists():
            return Lock.read(folder / LOCK_NAME)
    return None
