"""One durable_rules ruleset of a stream's own, driven through durable_rules' C engine.

``durable.engine.Ruleset`` (what durable.lang's global host uses) is a thin Python layer over the
C module ``durable_rules_engine``: it serialises a message, asserts it, then runs the actions the
engine queues, each through a closure object, a JSON round trip of the session state and a state
update. The stream's actions only record which rule matched which messages, so this class makes
the same engine calls in the same order (create, assert, start the queued actions, complete each,
retract, delete) and leaves out the closures and the state updates. The patterns, the matching and
the results are durable_rules' own; only the Python around them is ours.

The ruleset is created under a unique name and never registered in durable's global host: no host
timer threads, nothing shared with other streams.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# durable_rules' result codes (src/rules/rules.h), as durable.engine.Ruleset reads them
_NOT_HANDLED, _OBSERVED, _DEFERRED = 1, 2, 3


class MessageObserved(Exception):
    """durable_rules already holds a message with this id's hash (it knows messages by a 32-bit hash)."""


class DurableRuleset:
    """``assert_fact`` / ``post_event``: the (rule, messages) matches, or None when nothing matched."""

    def __init__(self, name: str, rules: Mapping[str, dict[str, Any]]):
        try:
            import durable_rules_engine
        except ImportError as error:  # pragma: no cover - durable_rules is the `events` extra
            raise ImportError("triggers run on durable_rules: pip install 'marketing-rules[events]'") from error
        self._engine = durable_rules_engine
        self._dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode
        self.handle = durable_rules_engine.create_ruleset(name, self._dumps(dict(rules)))
        self._assert_fact = durable_rules_engine.assert_fact
        self._assert_event = durable_rules_engine.assert_event
        self._retract_fact = durable_rules_engine.retract_fact
        self._start = durable_rules_engine.start_action_for_state
        self._complete = durable_rules_engine.complete_and_start_action

    def assert_fact(self, fact: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]] | None:
        code, state = self._assert_fact(self.handle, self._dumps(fact))
        if code:
            return self._refused(code)
        begun = self._start(self.handle, state)
        return [] if begun is None else self._drain(state, begun[1])  # mostly nothing fired

    def post_event(self, event: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]] | None:
        code, state = self._assert_event(self.handle, self._dumps(event))
        if code:
            return self._refused(code)
        begun = self._start(self.handle, state)
        return [] if begun is None else self._drain(state, begun[1])

    def retract(self, sid: str, serial: int) -> None:
        """Retract the fact ``serial`` of session ``sid`` (a name of digits, so no JSON escaping).

        Nothing can fire on a retraction here (the streams' rules have no negation), so the action
        queue is not asked; it would be drained at the session's next assertion anyway."""
        self._retract_fact(self.handle, f'{{"sid":"{sid}","id":{serial}}}')

    def delete(self) -> None:
        self._engine.delete_ruleset(self.handle)

    def _drain(self, state: int, messages: str | None) -> list[tuple[str, dict[str, Any]]]:
        """Run the queued actions: each is one rule's match; completing it starts the next."""
        matches: list[tuple[str, dict[str, Any]]] = []
        while messages:
            for rule, message in json.loads(messages).items():
                matches.append((rule, message))
            messages = self._complete(self.handle, state)
        return matches

    @staticmethod
    def _refused(code: int) -> list[tuple[str, dict[str, Any]]] | None:
        if code == _NOT_HANDLED:
            return None
        if code == _OBSERVED:
            raise MessageObserved
        return []  # _DEFERRED: only with a queue callback, which is never set
