"""Hot reload: watch the rulesets folder (watchfiles) and reload the store when a file changes."""

from __future__ import annotations

import threading
from pathlib import Path

from watchfiles import watch

from marketing_rules.service.store import Store


def _relevant(change: object, path: str) -> bool:
    name = Path(path).name
    return name.endswith((".yaml", ".yml")) or name == "rulesets.lock"


class Watcher:
    """A background thread: each batch of changed rule files, definitions or lock is one reload."""

    def __init__(self, store: Store, *, debounce_ms: int = 300):
        self.store = store
        self.debounce_ms = debounce_ms
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rulesets-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        for _changes in watch(self.store.root, watch_filter=_relevant, debounce=self.debounce_ms,
                              stop_event=self._stop, raise_interrupt=False):
            self.store.reload()
