"""The JSON Schema of the rule file format, for editors (``marketing-rules schema``).

Built from the pydantic models of ``model.ruleset``: offers, requirements, rewards, grants, awards
and the access matrix are models there, shorthands included. Conditions stay free-form in the
models (the resolver parses them); their tree of all: / any: / not: is spelled out here.
"""

from __future__ import annotations

from typing import Any

from marketing_rules.model.ruleset import RulesetFile

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


def _inline_members(defs: dict[str, Any], union: str) -> None:
    """Write the members of a union in place (each kind of requirement is used only there)."""
    members = defs[union]["oneOf"]
    for i, member in enumerate(members):
        name = member["$ref"].rsplit("/", 1)[-1]
        members[i] = defs.pop(name)


def rule_file_schema() -> dict[str, Any]:
    schema = RulesetFile.model_json_schema(by_alias=True)
    defs = schema.setdefault("$defs", {})
    defs["Condition"] = _condition()
    defs["Rule"]["properties"]["when"] = {"$ref": "#/$defs/Condition", "description": "when the rule fires"}
    for union, title in (("Requirement", "a requirement: one kind: value pair"), ("Reward", "a reward: one kind: value pair")):
        _inline_members(defs, union)
        defs[union]["title"] = title
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["description"] = "One version of a marketing_rules ruleset: rulesets/<ruleset>/<version>.yaml"
    return schema
