"""TMF679 notifications: listeners registered with ``POST .../hub`` (TMF630's event subscription),
and each event posted to every listener of the ruleset whose ``query`` it matches.

Delivery is off the request path: an event is put on the listener's queue (nothing is done when a
ruleset has no listener) and one asyncio task per listener posts it with httpx, in order. A delivery
that fails (no answer, or a status of 300 or more) is retried after each pause of ``RETRIES``; when
the last retry fails too, the listener is dropped with a warning that ``/health`` shows.

A ``query`` is what a list request filters with: ``name=value`` pairs joined by ``&``, the name a
dotted path into the event (``eventType``, ``event.checkProductOfferingQualification.state``), the
value one or several separated by commas; every pair must hold. No query: every event.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from marketing_rules.i18n import _
from marketing_rules.service.answers import dumps
from marketing_rules.service.tmf679 import Conditions, TmfError, conditions, matches, now

RETRIES = (0.5, 1.5, 3.0)  # seconds before each new attempt of a failed delivery
TIMEOUT = 5.0  # seconds for one attempt
QUEUE = 10_000  # events waiting for one listener; more are lost (counted in /health)
WARNINGS = 20  # the newest warnings /health shows


@dataclass
class Listener:
    id: str
    ruleset: str
    callback: str
    query: str | None
    href: str
    wanted: Conditions
    queue: asyncio.Queue[dict[str, Any]] = field(default_factory=lambda: asyncio.Queue(QUEUE))
    worker: asyncio.Task[None] | None = None

    def as_dict(self) -> dict[str, Any]:
        hub = {"id": self.id, "href": self.href, "callback": self.callback, "@type": "Hub"}
        return {**hub, "query": self.query} if self.query is not None else hub


class Hub:
    """The listeners of every ruleset, their delivery tasks, and what went wrong."""

    def __init__(self, retries: tuple[float, ...] = RETRIES, timeout: float = TIMEOUT):
        self.retries, self.timeout = retries, timeout
        self._listeners: dict[str, Listener] = {}
        self._client: httpx.AsyncClient | None = None
        self.delivered = self.lost = 0
        self.warnings: deque[dict[str, Any]] = deque(maxlen=WARNINGS)

    def register(self, ruleset: str, callback: str, query: str | None, base: str) -> dict[str, Any]:
        """A new listener (in a running event loop: its delivery task starts now)."""
        where = urlsplit(callback)
        if where.scheme not in ("http", "https") or not where.netloc:
            raise TmfError(400, "invalidCallback", _("the callback must be an http or https URL, not '{callback}'",
                                                     callback=callback))
        listener_id = str(uuid.uuid4())
        listener = Listener(listener_id, ruleset, callback, query, f"{base}/{listener_id}", conditions(query or ""))
        listener.worker = asyncio.get_running_loop().create_task(self._deliver(listener))
        self._listeners[listener_id] = listener
        return listener.as_dict()

    def get(self, ruleset: str, listener_id: str) -> dict[str, Any] | None:
        listener = self._listeners.get(listener_id)
        return listener.as_dict() if listener is not None and listener.ruleset == ruleset else None

    def remove(self, ruleset: str, listener_id: str) -> bool:
        listener = self._listeners.get(listener_id)
        if listener is None or listener.ruleset != ruleset:
            return False
        self._drop(listener)
        return True

    def publish(self, ruleset: str, resource: str, change: str, value: dict[str, Any]) -> None:
        """Queue the event ``{Resource}{change}`` (``CreateEvent``, ``StateChangeEvent``, ...) about
        ``value``, a ``resource`` (``checkProductOfferingQualification``), for each matching listener."""
        listeners = [listener for listener in self._listeners.values() if listener.ruleset == ruleset]
        if not listeners:
            return
        kind = f"{resource[0].upper()}{resource[1:]}{change}"
        event = {"eventId": str(uuid.uuid4()), "eventTime": now(), "eventType": kind, "@type": kind,
                 "@baseType": "Event", "correlationId": value["id"], "event": {resource: copy.deepcopy(value)}}
        for listener in listeners:
            if matches(event, listener.wanted):
                try:
                    listener.queue.put_nowait(event)
                except asyncio.QueueFull:
                    self.lost += 1

    async def _deliver(self, listener: Listener) -> None:
        while True:
            event = await listener.queue.get()
            error = await self._post(listener.callback, event)
            for pause in self.retries:
                if error is None:
                    break
                await asyncio.sleep(pause)
                error = await self._post(listener.callback, event)
            if error is None:
                self.delivered += 1
                continue
            lost = 1 + listener.queue.qsize()
            self.lost += lost
            self.warnings.append({"at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "listener": listener.id,
                                  "ruleset": listener.ruleset, "callback": listener.callback, "events_lost": lost,
                                  "message": _("listener {callback} dropped after {attempts} failed attempts: {error}",
                                               callback=listener.callback, attempts=1 + len(self.retries),
                                               error=error)})
            self._listeners.pop(listener.id, None)
            return

    async def _post(self, callback: str, event: dict[str, Any]) -> str | None:
        """None when the listener took the event, else what went wrong."""
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        try:
            response = await self._client.post(callback, content=dumps(event),
                                                headers={"content-type": "application/json"})
        except httpx.HTTPError as error:
            return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        return None if response.status_code < 300 else f"HTTP {response.status_code}"

    def _drop(self, listener: Listener) -> None:
        self._listeners.pop(listener.id, None)
        if listener.worker is not None:
            listener.worker.cancel()

    async def close(self) -> None:
        for listener in list(self._listeners.values()):
            self._drop(listener)
        if self._client is not None:
            await self._client.aclose()

    def status(self) -> dict[str, Any]:
        return {"listeners": len(self._listeners), "delivered": self.delivered, "lost": self.lost,
                "waiting": sum(listener.queue.qsize() for listener in self._listeners.values()),
                "warnings": list(self.warnings)}
