"""The JSON Schema of the rule file format, for editors (``marketing-rules schema``).

Built from the pydantic models, then made precise where the models keep free-form values for
the resolver to check with positions: conditions, offers, requirements, rewards and grants.
"""

from __future__ import annotations

from typing import Any

from marketing_rules.model.ruleset import RulesetFile
from marketing_rules.model.terms import ACCESS_MODES, OFFER_MODES, OFFER_TYPES, REQUIREMENTS, REWARDS

_EXPRESSION = {"type": ["string", "number", "boolean"], "description": "an expression, e.g. arpu_3m >= 120"}


def _condition() -> dict[str, Any]:
    ref = {"$ref": "#/$defs/Condition"}
    return {
        "title": "Condition",
        "description": "an expression, or a tree of all: / any: / not:",
        "anyOf": [
            _EXPRESSION,
            {"type": "object", "properties": {"all": {"type": "array", "items": ref, "minItems": 1}},
             "required": ["all"], "additionalProperties": False},
            {"type": "object", "properties": {"any": {"type": "array", "items": ref, "minItems": 1}},
             "required": ["any"], "additionalProperties": False},
            {"type": "object", "properties": {"not": ref}, "required": ["not"], "additionalProperties": False},
        ],
    }


def _terms(kinds: dict[str, tuple[str | None, dict[str, str]]], what: str) -> dict[str, Any]:
    options = []
    for kind, (primary, params) in kinds.items():
        properties = {name: _EXPRESSION if sort == "number" else {"type": "string"} for name, sort in params.items()}
        full = {"type": "object", "properties": properties, "additionalProperties": False}
        value = {"anyOf": [properties[primary], full]} if primary else full
        options.append({"type": "object", "properties": {kind: value}, "required": [kind],
                        "additionalProperties": False, "title": f"{what}: {kind}"})
    return {"title": what, "oneOf": options}


def rule_file_schema() -> dict[str, Any]:
    schema = RulesetFile.model_json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    defs["Condition"] = _condition()
    defs["Requirement"] = _terms(REQUIREMENTS, "requirement")
    defs["Reward"] = _terms(REWARDS, "reward")
    defs["Rule"]["properties"]["when"] = {"$ref": "#/$defs/Condition", "description": "when the rule fires"}
    then = defs["Then"]["properties"]
    then["offer"] = {
        "type": "object",
        "additionalProperties": False,
        "description": "an offer the customer becomes eligible for",
        "properties": {
            "title": {"type": "string"},
            "code": {"type": ["string", "integer"], "description": "catalogue code"},
            "mode": {"enum": list(OFFER_MODES)},
            "type": {"enum": list(OFFER_TYPES)},
            "requires": {"type": "array", "items": {"$ref": "#/$defs/Requirement"}},
            "rewards": {"type": "array", "items": {"$ref": "#/$defs/Reward"}},
        },
    }
    grant = {"anyOf": [{"type": "string", "description": "a service id"}, {
        "type": "object", "additionalProperties": False, "required": ["service"],
        "properties": {"service": {"type": "string"}, "mode": {"enum": list(ACCESS_MODES)},
                       "price": {"type": "number"}, "prestore": {"type": "number"}, "trial_days": {"type": "integer"}},
    }]}
    then["grant"] = {"anyOf": [grant, {"type": "array", "items": grant}], "description": "services granted"}
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["description"] = "One version of a marketing_rules ruleset: rulesets/<ruleset>/<version>.yaml"
    return schema
