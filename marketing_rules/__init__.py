"""marketing_rules: declarative rules for telecom marketing, evaluated by a forward-chaining engine.

>>> import marketing_rules as mr
>>> rs = mr.load_ruleset("rulesets/gotone-vip/1.0.0.yaml")        # doctest: +SKIP
>>> d = rs.evaluate({"id": "13900000001", "arpu_3m": 260.0})       # doctest: +SKIP
"""

from marketing_rules.engine.decision import Decision, Offer
from marketing_rules.engine.ruleset import Ruleset, load_ruleset
from marketing_rules.errors import (
    Diagnostic,
    EvaluationError,
    EventError,
    FactsError,
    LateEventError,
    RulesetError,
)
from marketing_rules.events import Line, Recommendation, Statement, Stream
from marketing_rules.versioning.registry import Registry, RegistryError

__all__ = [
    "Decision",
    "Diagnostic",
    "EvaluationError",
    "EventError",
    "FactsError",
    "LateEventError",
    "Line",
    "Offer",
    "Recommendation",
    "Registry",
    "RegistryError",
    "Ruleset",
    "RulesetError",
    "Statement",
    "Stream",
    "load_ruleset",
]
__version__ = "0.1.0"
