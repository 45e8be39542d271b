"""The JSON Schema of the TMF679 v5 resources the decision service answers, for tests to validate against.

Taken from the field tables of the TM Forum specification "TMF679 Product Offering Qualification"
v5.0.0 (sections "CheckProductOfferingQualification fields", "CheckProductOfferingQualificationItem
sub-resource fields", "QueryProductOfferingQualification fields", "QueryProductOfferingQualificationItem
sub-resource fields", and the AlternateProductOfferingProposal, EligibilityResultReason,
ProductOfferingRef, CategoryRef, Note and RelatedPartyOrPartyRole sub-resources). Every field is
the specification's name with the type its table gives; a field the specification does not name
is refused (``additionalProperties: false``), so a misspelt or invented field fails validation.
Referenced entities outside the qualification (Product, Party, Channel, Promotion) are accepted as
objects with an ``@type``. The list answers (an array of the resource), the notifications (the
``Event`` envelope of each ``...CreateEvent``, ``...StateChangeEvent``, ``...AttributeValueChangeEvent``
and ``...DeleteEvent``), the ``Hub`` of an event subscription and the ``Error`` body are taken
from the same specification's OpenAPI document (TMF679 v5.0.0, components ``Event``, ``Hub``, ``Error``).

    python tools/tmf679_schema.py > tmf679.schema.json
"""

from __future__ import annotations

import json
from typing import Any

EXTENSIBLE = {"@type": {"type": "string"}, "@baseType": {"type": "string"}, "@schemaLocation": {"type": "string"}}
DATE_TIME = {"type": "string", "format": "date-time"}
TASK_STATE = {"enum": ["acknowledged", "rejected", "inProgress", "cancelled", "done", "terminatedWithError"]}
ANY_ENTITY = {"type": "object", "required": ["@type"], "properties": {"@type": {"type": "string"}}}


def _entity(properties: dict[str, Any], required: tuple[str, ...] = ("@type",)) -> dict[str, Any]:
    return {"type": "object", "properties": {**properties, **EXTENSIBLE}, "required": list(required),
            "additionalProperties": False}


def _ref(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return _entity({"id": {"type": "string"}, "href": {"type": "string"}, "name": {"type": "string"},
                    "@referredType": {"type": "string"}, **(extra or {})}, ("id",))


def _list(item: Any) -> dict[str, Any]:
    return {"type": "array", "items": item}


def schema() -> dict[str, Any]:
    defs: dict[str, Any] = {
        "ProductOfferingRef": _ref({"version": {"type": "string"}}),
        "CategoryRef": _ref({"version": {"type": "string"}}),
        "ChannelRef": _ref(),
        "Note": _entity({"id": {"type": "string"}, "author": {"type": "string"}, "date": DATE_TIME,
                         "text": {"type": "string"}}),
        "EligibilityResultReason": _entity({"code": {"type": "string"}, "label": {"type": "string"}}),
        "AlternateProductOfferingProposal": _entity({
            "id": {"type": "string"}, "alternateActivationDate": DATE_TIME, "alternateProduct": ANY_ENTITY,
            "alternateProductOffering": {"$ref": "#/$defs/ProductOfferingRef"}, "promotion": ANY_ENTITY}),
        "RelatedPartyOrPartyRole": _entity({"role": {"type": "string"}, "partyOrPartyRole": ANY_ENTITY}),
        "ProductOfferingQualificationItemRelationship": _entity({"id": {"type": "string"},
                                                                 "relationshipType": {"type": "string"}}),
    }
    item_common = {
        "id": {"type": "string"}, "category": {"$ref": "#/$defs/CategoryRef"}, "product": ANY_ENTITY,
        "productOffering": {"$ref": "#/$defs/ProductOfferingRef"}, "promotion": ANY_ENTITY,
        "qualificationItemRelationship": _list({"$ref": "#/$defs/ProductOfferingQualificationItemRelationship"}),
    }
    defs["CheckProductOfferingQualificationItem"] = _entity({
        **item_common, "action": {"type": "string"}, "expectedActivationDate": DATE_TIME,
        "note": _list({"$ref": "#/$defs/Note"}), "state": TASK_STATE, "terminationError": ANY_ENTITY,
        "qualificationItemResult": {"enum": ["qualified", "unqualified", "alternate"]},
        "eligibilityResultReason": _list({"$ref": "#/$defs/EligibilityResultReason"}),
        "alternateProductOfferingProposal": _list({"$ref": "#/$defs/AlternateProductOfferingProposal"}),
    }, ("@type", "id"))
    defs["QueryProductOfferingQualificationItem"] = _entity(item_common)
    task = {
        "id": {"type": "string"}, "href": {"type": "string"}, "channel": {"$ref": "#/$defs/ChannelRef"},
        "creationDate": DATE_TIME, "description": {"type": "string"}, "effectiveQualificationDate": DATE_TIME,
        "expectedQualificationCompletionDate": DATE_TIME, "expirationDate": DATE_TIME,
        "instantSyncQualification": {"type": "boolean"}, "note": _list({"$ref": "#/$defs/Note"}),
        "relatedParty": _list({"$ref": "#/$defs/RelatedPartyOrPartyRole"}),
        "requestedQualificationCompletionDate": DATE_TIME, "state": TASK_STATE,
    }
    defs["CheckProductOfferingQualification"] = _entity({
        **task, "provideAlternative": {"type": "boolean"}, "provideOnlyAvailable": {"type": "boolean"},
        "provideResultReason": {"type": "boolean"}, "qualificationResult": {"type": "string"},
        "checkProductOfferingQualificationItem": _list({"$ref": "#/$defs/CheckProductOfferingQualificationItem"}),
    }, ("@type", "id", "href"))
    defs["QueryProductOfferingQualification"] = _entity({
        **task, "searchCriteria": {"$ref": "#/$defs/QueryProductOfferingQualificationItem"},
        "qualifiedProductOfferingItem": _list({"$ref": "#/$defs/QueryProductOfferingQualificationItem"}),
    }, ("@type", "id", "href"))
    defs["Error"] = _entity({"code": {"type": "string"}, "reason": {"type": "string"}, "message": {"type": "string"},
                             "status": {"type": "string"}, "referenceError": {"type": "string"}}, ("code", "reason"))
    defs["Hub"] = _entity({"id": {"type": "string"}, "href": {"type": "string"}, "callback": {"type": "string"},
                           "query": {"type": "string"}}, ("callback",))
    for name in ("CheckProductOfferingQualification", "QueryProductOfferingQualification"):
        key = name[0].lower() + name[1:]
        for change in CHANGES:
            payload = {"type": "object", "properties": {key: {"$ref": f"#/$defs/{name}"}}, "required": [key],
                       "additionalProperties": False}
            defs[f"{name}{change}"] = _entity({**EVENT, "eventType": {"const": f"{name}{change}"}, "event": payload},
                                              ("@type", "eventId", "eventTime", "eventType", "event"))
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs}


CHANGES = ("CreateEvent", "StateChangeEvent", "AttributeValueChangeEvent", "DeleteEvent")
EVENT = {"href": {"type": "string"}, "id": {"type": "string"}, "correlationId": {"type": "string"},
         "domain": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
         "priority": {"type": "string"}, "timeOccurred": DATE_TIME, "source": ANY_ENTITY, "reportingSystem": ANY_ENTITY,
         "relatedParty": _list(ANY_ENTITY), "analyticCharacteristic": _list(ANY_ENTITY), "eventId": {"type": "string"},
         "eventTime": DATE_TIME, "eventType": {"type": "string"}}


def resource(name: str) -> dict[str, Any]:
    """The schema of one resource (CheckProductOfferingQualification, ..., an event, Hub, Error), with every definition."""
    whole = schema()
    return {**whole, "$ref": f"#/$defs/{name}"}


def listing(name: str) -> dict[str, Any]:
    """The schema of a list answer: an array of the resource (attribute selection leaves out what is not asked)."""
    return {**schema(), "type": "array", "items": {"$ref": f"#/$defs/{name}"}}


if __name__ == "__main__":
    print(json.dumps(schema(), indent=2))
