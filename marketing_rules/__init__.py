"""marketing_rules: declarative rules for telecom marketing, evaluated by a forward-chaining engine.

>>> import marketing_rules as mr
>>> rs = mr.load_ruleset("rulesets/gotone-vip/1.0.0.yaml")        # doctest: +SKIP
>>> d = rs.evaluate({"id": "13900000001", "arpu_3m": 260.0})       # doctest: +SKIP

The names below are imported on first use (PEP 562), so that ``import marketing_rules`` is cheap
for a command or a service that needs only part of the library.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # `import X as X`: the names this package exports, for type checkers
    from marketing_rules.engine.decision import Decision as Decision
    from marketing_rules.engine.decision import Offer as Offer
    from marketing_rules.engine.ruleset import Ruleset as Ruleset
    from marketing_rules.engine.ruleset import load_ruleset as load_ruleset
    from marketing_rules.errors import Diagnostic as Diagnostic
    from marketing_rules.errors import EvaluationError as EvaluationError
    from marketing_rules.errors import EventError as EventError
    from marketing_rules.errors import FactsError as FactsError
    from marketing_rules.errors import LateEventError as LateEventError
    from marketing_rules.errors import RulesetError as RulesetError
    from marketing_rules.events import Line as Line
    from marketing_rules.events import Recommendation as Recommendation
    from marketing_rules.events import Statement as Statement
    from marketing_rules.events import Stream as Stream
    from marketing_rules.versioning.registry import Registry as Registry
    from marketing_rules.versioning.registry import RegistryError as RegistryError

#: Each public name and the module that defines it.
_EXPORTS = {
    "Decision": "marketing_rules.engine.decision",
    "Offer": "marketing_rules.engine.decision",
    "Ruleset": "marketing_rules.engine.ruleset",
    "load_ruleset": "marketing_rules.engine.ruleset",
    "Diagnostic": "marketing_rules.errors",
    "EvaluationError": "marketing_rules.errors",
    "EventError": "marketing_rules.errors",
    "FactsError": "marketing_rules.errors",
    "LateEventError": "marketing_rules.errors",
    "RulesetError": "marketing_rules.errors",
    "Line": "marketing_rules.events",
    "Recommendation": "marketing_rules.events",
    "Statement": "marketing_rules.events",
    "Stream": "marketing_rules.events",
    "Registry": "marketing_rules.versioning.registry",
    "RegistryError": "marketing_rules.versioning.registry",
}

__all__ = sorted(_EXPORTS)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'marketing_rules' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later lookups find it directly
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
