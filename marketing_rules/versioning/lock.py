"""Released versions are immutable: ``rulesets.lock`` (the lock itself lives in ``load.lock``, so that
loading a file can refuse a changed released version)."""

from marketing_rules.load.lock import CANONICAL_VERSION, LOCK_NAME, Lock, Versioned, find_lock, refuse_changed

__all__ = ["CANONICAL_VERSION", "LOCK_NAME", "Lock", "Versioned", "find_lock", "refuse_changed"]
