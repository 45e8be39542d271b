"""TMF679 Product Offering Qualification (TM Forum Open API, v5): the check and query resources.

The ruleset in force plays the product catalogue: each offer is a ProductOffering (``id`` the
offer id, ``name`` its title, ``version`` the ruleset version). The customer is the related party
whose role is ``customer``: a PartyRole whose ``id`` is the customer id and whose ``characteristic``
list holds the facts (``{"name": "arpu_3m", "value": 260.0}``). An offer the customer does not
receive is ``unqualified`` with the failed conditions of ``explain`` as eligibility result reasons,
or ``alternate`` when ``what_would_it_take`` finds a change of numeric facts that qualifies them: the
alternate proposal is the same offering, the change a reason (code ``qualifiesIf``). docs/service.md
has the whole mapping.

Answered resources are kept (:class:`Answered`) for retrieval, TMF630 lists (:func:`bounds`,
:func:`conditions`, :func:`select`), merge patches (:func:`patch`) and deletion; an asynchronous
request is answered :func:`acknowledged` and qualified in the background (:func:`finished`).
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from pydantic import BaseModel, ConfigDict, Field

from marketing_rules.engine.decision import Decision
from marketing_rules.engine.explain import Check
from marketing_rules.engine.ruleset import Ruleset
from marketing_rules.expressions.text import literal_text
from marketing_rules.i18n import N_, _

BASE = "/tmf-api/productOfferingQualification/v5"
#: How many answered qualifications of each resource a server keeps for retrieval and lists (oldest dropped first).
KEPT = 10_000
_IS = {False: N_("{condition} is false"), None: N_("{condition} is unknown"), True: N_("{condition} is true")}
_IS_WITH = {False: N_("{condition} is false ({values})"), None: N_("{condition} is unknown ({values})"),
            True: N_("{condition} is true ({values})")}


class Answered:
    """The newest qualifications a server answered, by id, for retrieval (``GET`` by ``href``), listing
    (newest first), change (``PATCH``, the background work of an asynchronous one) and ``DELETE``."""

    def __init__(self, size: int = KEPT):
        self.size = size
        self._kept: OrderedDict[str, tuple[str, dict[str, Any]]] = OrderedDict()

    def keep(self, ruleset: str, answer: dict[str, Any]) -> dict[str, Any]:
        self._kept[answer["id"]] = (ruleset, answer)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return answer

    def get(self, ruleset: str, resource_id: str) -> dict[str, Any] | None:
        kept = self._kept.get(resource_id)
        return kept[1] if kept is not None and kept[0] == ruleset else None

    def replace(self, ruleset: str, answer: dict[str, Any]) -> bool:
        """Put a changed resource in the place of the kept one; False when it is no longer kept."""
        if self.get(ruleset, answer["id"]) is None:
            return False
        self._kept[answer["id"]] = (ruleset, answer)
        return True

    def delete(self, ruleset: str, resource_id: str) -> dict[str, Any] | None:
        kept = self.get(ruleset, resource_id)
        if kept is not None:
            del self._kept[resource_id]
        return kept

    def newest(self, ruleset: str) -> Iterator[dict[str, Any]]:
        return (answer for rid, answer in reversed(self._kept.values()) if rid == ruleset)


class ErrorBody(BaseModel):
    """TMF630's error body (the OpenAPI schema of TmfError's answers)."""

    model_config = ConfigDict(populate_by_name=True)
    type_: str = Field("Error", alias="@type")
    code: str
    reason: str
    message: str
    status: str


class TmfError(Exception):
    """An error answered with TMF630's error body (``code``, ``reason``, ``message``, ``status``)."""

    REASONS = {400: N_("Bad Request"), 404: N_("Not Found"), 415: N_("Unsupported Media Type"),
               422: N_("Unprocessable Entity")}

    def __init__(self, status: int, code: str, message: str):
        self.status, self.code, self.message = status, code, message
        super().__init__(message)

    def body(self) -> dict[str, Any]:
        return {"@type": "Error", "code": self.code, "reason": _(self.REASONS[self.status]), "message": self.message,
                "status": str(self.status)}


# -- lists and filters (TMF630) --------------------------------------------------------------------
#: ``limit`` when a list request gives none, and the most one page holds (a larger ``limit`` is cut to it).
LIMIT, MAX_LIMIT = 100, 1_000
ALWAYS = ("id", "href", "@type")  # kept by every ``fields`` selection
NOT_FILTERS = frozenset({"offset", "limit", "fields", "lang"})
Conditions = list[tuple[list[str], set[str]]]


def conditions(query: str | list[tuple[str, str]]) -> Conditions:
    """``state=done&qualificationResult=qualified,alternate`` as (path, accepted values) pairs."""
    pairs = query if isinstance(query, list) else _pairs(query)
    return [(name.split("."), set(value.split(","))) for name, value in pairs if name not in NOT_FILTERS]


def _pairs(query: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))
    except ValueError:
        raise TmfError(400, "invalidQuery", _("'{query}' is not a query: write name=value pairs joined by &",
                                              query=query)) from None


def matches(value: dict[str, Any], wanted: Conditions) -> bool:
    """Whether each condition finds one of its values at its path (through lists: any element)."""
    return all(any(_text(found) in accepted for found in _at(value, path)) for path, accepted in wanted)


def _at(value: Any, path: list[str]) -> Iterator[Any]:
    if isinstance(value, list):
        for element in value:
            yield from _at(element, path)
    elif not path:
        yield value
    elif isinstance(value, dict) and path[0] in value:
        yield from _at(value[path[0]], path[1:])


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "null" if value is None else str(value)


def select(value: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """TMF630's attribute selection: the first-level attributes named (comma-separated), with id, href, @type."""
    if fields is None:
        return value
    names = {name.strip() for name in fields.split(",")} | set(ALWAYS)
    return {key: item for key, item in value.items() if key in names}


def bounds(offset: str | None, limit: str | None) -> tuple[int, int]:
    """``offset`` and ``limit`` of a list request, checked; ``limit`` cut to MAX_LIMIT."""
    numbers = []
    for name, given, default in (("offset", offset, 0), ("limit", limit, LIMIT)):
        if given is None:
            numbers.append(default)
        elif given.isdigit():
            numbers.append(int(given))
        else:
            raise TmfError(400, "invalidQuery", _("{name} must be a whole number of 0 or more, not '{value}'",
                                                  name=name, value=given))
    return numbers[0], min(numbers[1], MAX_LIMIT)


# -- change (PATCH, application/merge-patch+json) ---------------------------------------------------
IN_PROGRESS = ("acknowledged", "inProgress")
#: What a client may change: descriptive attributes, whatever the state (null removes one).
DESCRIPTIVE = ("description", "note", "channel", "requestedQualificationCompletionDate")


def patch(current: dict[str, Any], changes: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The resource after a JSON merge patch (RFC 7396), and the attributes it changed. A client may
    change the descriptive attributes, and ``state`` to ``cancelled`` while the task is acknowledged
    or in progress; ``id``, ``href`` and ``@type`` may be repeated unchanged. Anything else is
    refused (400), as is a state change the task's state does not allow (422)."""
    patched, changed = dict(current), []
    for name, value in changes.items():
        if value == current.get(name) and (name in (*ALWAYS, "state", *DESCRIPTIVE)):
            continue
        if name == "state":
            _cancel(current, value)
        elif name not in DESCRIPTIVE:
            raise TmfError(400, "notPatchable", _(
                "'{attribute}' cannot be changed: a client may change {patchable}, and state to cancelled while "
                "the qualification is acknowledged or in progress; its results are the server's",
                attribute=name, patchable=", ".join(DESCRIPTIVE)))
        elif value is not None:
            value = _descriptive(name, value)
        if value is None:
            patched.pop(name, None)
        else:
            patched[name] = value
        changed.append(name)
    return patched, changed


def _cancel(current: dict[str, Any], state: Any) -> None:
    if state != "cancelled":
        raise TmfError(422, "invalidState", _("a client may set state only to cancelled, not to {state}",
                                              state=literal_text(state)))
    if current.get("state") not in IN_PROGRESS:
        raise TmfError(422, "invalidState", _("qualification '{id}' is {state}: only an acknowledged or in progress "
                                              "one can be cancelled", id=current["id"], state=current.get("state")))


_EXTENSIBLE = {"@type", "@baseType", "@schemaLocation"}
_NOTE, _CHANNEL = {"id", "author", "date", "text", *_EXTENSIBLE}, {"id", "href", "name", "@referredType", *_EXTENSIBLE}


def _descriptive(name: str, value: Any) -> Any:
    """A descriptive attribute's new value, checked (notes get their ``@type``); TmfError if it is not one."""
    if name == "description" and isinstance(value, str):
        return value
    if name == "requestedQualificationCompletionDate" and _is_date_time(value):
        return value
    if name == "channel" and isinstance(value, dict) and isinstance(value.get("id"), str) and set(value) <= _CHANNEL:
        return value
    if name == "note" and isinstance(value, list) and all(
            isinstance(n, dict) and isinstance(n.get("text"), str) and set(n) <= _NOTE for n in value):
        return [{"@type": "Note", **n} for n in value]
    shapes = {"description": _("a string"), "note": _("a list of notes (objects with a text, and author, date, id)"),
              "channel": _("a ChannelRef (an object with an id, and href, name)"),
              "requestedQualificationCompletionDate": _("a date-time (2027-01-15T09:00:00Z)")}
    raise TmfError(400, "invalidValue", _("{attribute} must be {shape}, not {value}", attribute=name,
                                          shape=shapes[name], value=literal_text(value)))


def _is_date_time(value: Any) -> bool:
    if not isinstance(value, str) or "T" not in value:
        return False
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


# -- requests ------------------------------------------------------------------------------------
class _Tmf(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    type_: str | None = Field(None, alias="@type")


class Characteristic(_Tmf):
    name: str
    value: Any = None


class PartyOrPartyRole(_Tmf):
    type_: str | None = Field("PartyRole", alias="@type")
    id: str | None = None
    characteristic: list[Characteristic] = []


class RelatedPartyOrPartyRole(_Tmf):
    type_: str | None = Field("RelatedPartyOrPartyRole", alias="@type")
    role: str
    partyOrPartyRole: PartyOrPartyRole


class Ref(_Tmf):
    id: str


class CheckItem(_Tmf):
    id: str | None = None
    productOffering: Ref | None = None


class CheckRequest(_Tmf):
    """A CheckProductOfferingQualification to create: the customer, and the offerings to check (default all)."""

    relatedParty: list[RelatedPartyOrPartyRole] = Field(min_length=1)
    checkProductOfferingQualificationItem: list[CheckItem] = []
    provideAlternative: bool = True
    provideResultReason: bool = True
    provideOnlyAvailable: bool = False
    instantSyncQualification: bool | None = Field(None, description="false: answer 201 acknowledged, qualify in the background")


class QueryItem(_Tmf):
    productOffering: Ref | None = None
    category: Ref | None = None


class QueryRequest(_Tmf):
    """A QueryProductOfferingQualification to create: the customer, and optionally an offering or category."""

    relatedParty: list[RelatedPartyOrPartyRole] = Field(min_length=1)
    searchCriteria: QueryItem | None = None
    instantSyncQualification: bool | None = Field(None, description="false: answer 201 acknowledged, qualify in the background")


class HubRequest(_Tmf):
    """TMF630's event subscription: where to post the events, and which (``eventType=...&event.x.state=done``)."""

    callback: str
    query: str | None = None


def customer_of(parties: list[RelatedPartyOrPartyRole]) -> tuple[dict[str, Any], tuple[Any, ...]] | None:
    """The customer's facts, and the place of the related party in the request; None without a customer."""
    for index, party in enumerate(parties):
        if party.role.lower() == "customer":
            who = party.partyOrPartyRole
            facts = {c.name: c.value for c in who.characteristic}
            if who.id is not None:
                facts.setdefault("id", who.id)
            return facts, ("body", "relatedParty", index, "partyOrPartyRole", "characteristic")
    return None


# -- answers -------------------------------------------------------------------------------------
def offering(rs: Ruleset, offer_id: str) -> dict[str, Any]:
    spec = next((r.offer for r in rs.program.rules if r.offer is not None and r.offer.id == offer_id), None)
    ref = {"id": offer_id, "version": rs.version, "@type": "ProductOfferingRef", "@referredType": "ProductOffering"}
    return {**ref, "name": spec.title} if spec is not None and spec.title else ref


def offers(rs: Ruleset) -> list[tuple[str, str | None]]:
    """Every offer of the ruleset with its group (the TMF679 category), in file order."""
    return [(r.offer.id, r.offer.group) for r in rs.program.rules if r.offer is not None]


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def check(rs: Ruleset, request: CheckRequest, facts: dict[str, Any], decision: Decision, check_id: str,
          href: str) -> dict[str, Any]:
    """The CheckProductOfferingQualification answer for one decided customer."""
    eligible = {o.id for o in decision.offers}
    asked = [(item.id, item.productOffering.id if item.productOffering else None)
             for item in request.checkProductOfferingQualificationItem]
    wanted = [(i, o) for i, o in asked if o is not None] or [(None, o) for o, _group in offers(rs)]
    items: list[dict[str, Any]] = []
    for number, (item_id, offer_id) in enumerate(wanted, 1):
        item = _item(rs, request, facts, offer_id, offer_id in eligible, item_id or f"{number:02d}")
        if not request.provideOnlyAvailable or item["qualificationItemResult"] == "qualified":
            items.append(item)
    results = {i["qualificationItemResult"] for i in items}
    overall = "qualified" if results == {"qualified"} else "unqualified" if results <= {"unqualified"} else "alternate"
    stamp = now()
    return {"id": check_id, "href": href, "@type": "CheckProductOfferingQualification", "state": "done",
            "creationDate": stamp, "effectiveQualificationDate": stamp, "qualificationResult": overall,
            "provideAlternative": request.provideAlternative, "provideResultReason": request.provideResultReason,
            "provideOnlyAvailable": request.provideOnlyAvailable,
            "relatedParty": [p.model_dump(by_alias=True, exclude_none=True) for p in request.relatedParty],
            "checkProductOfferingQualificationItem": items}


def _item(rs: Ruleset, request: CheckRequest, facts: dict[str, Any], offer_id: str, qualified: bool,
          item_id: str) -> dict[str, Any]:
    item: dict[str, Any] = {"id": item_id, "@type": "CheckProductOfferingQualificationItem", "state": "done",
                            "productOffering": offering(rs, offer_id)}
    if qualified:
        item["qualificationItemResult"] = "qualified"
        if request.provideResultReason:
            item["eligibilityResultReason"] = [_reason("eligible", _("every condition of the offer holds"))]
        return item
    if offer_id not in dict(offers(rs)):
        item["qualificationItemResult"] = "unqualified"
        item["eligibilityResultReason"] = [_reason("unknownOffering", _("{ruleset} {version} has no offer '{offer}'",
                                                                        ruleset=rs.id, version=rs.version, offer=offer_id))]
        return item
    reasons = why_not(rs, facts, offer_id) if request.provideResultReason else []
    remedy = rs.what_would_it_take(facts, offer_id) if request.provideAlternative else None
    if remedy is not None and remedy.possible and remedy.changes:
        item["qualificationItemResult"] = "alternate"
        item["alternateProductOfferingProposal"] = [{"id": "1", "@type": "AlternateProductOfferingProposal",
                                                     "alternateProductOffering": offering(rs, offer_id)}]
        reasons.append(_reason("qualifiesIf", str(remedy)))
    else:
        item["qualificationItemResult"] = "unqualified"
    if reasons:
        item["eligibilityResultReason"] = reasons
    return item


def why_not(rs: Ruleset, facts: dict[str, Any], offer_id: str) -> list[dict[str, str]]:
    """The failed conditions of ``explain``, in words, as eligibility result reasons."""
    explanation = rs.explain(facts, offer_id)
    if explanation.blocked_by:
        return [_reason("blockedBy", explanation.verdict)]
    failed = _failed(explanation.condition) if explanation.condition is not None else []
    return [_reason("conditionNotMet", text) for text in failed] or [_reason("notEligible", explanation.verdict)]


def _failed(check: Check) -> list[str]:
    if check.result is True:
        return []
    if check.children:
        return [text for child in check.children for text in _failed(child)]
    values = ", ".join(f"{k} = {literal_text(v)}" for k, v in check.values.items())
    if values:
        return [_(_IS_WITH[check.result], condition=check.text, values=values)]
    return [_(_IS[check.result], condition=check.text)]


def _reason(code: str, label: str) -> dict[str, str]:
    return {"code": code, "label": label, "@type": "EligibilityResultReason"}


def query(rs: Ruleset, request: QueryRequest, decision: Decision, query_id: str, href: str) -> dict[str, Any]:
    """The QueryProductOfferingQualification answer: the offerings the customer qualifies for."""
    criteria = request.searchCriteria
    groups = dict(offers(rs))
    items: list[dict[str, Any]] = []
    for offer in decision.offers:
        if criteria is not None and criteria.productOffering is not None and criteria.productOffering.id != offer.id:
            continue
        if criteria is not None and criteria.category is not None and groups.get(offer.id) != criteria.category.id:
            continue
        item: dict[str, Any] = {"id": f"{len(items) + 1:02d}", "@type": "QueryProductOfferingQualificationItem",
                                "productOffering": offering(rs, offer.id)}
        if groups.get(offer.id):
            item["category"] = {"id": groups[offer.id], "@type": "CategoryRef", "@referredType": "Category"}
        items.append(item)
    stamp = now()
    answer: dict[str, Any] = {"id": query_id, "href": href, "@type": "QueryProductOfferingQualification",
                              "state": "done", "creationDate": stamp, "effectiveQualificationDate": stamp,
                              "relatedParty": [p.model_dump(by_alias=True, exclude_none=True) for p in request.relatedParty],
                              "qualifiedProductOfferingItem": items}
    if criteria is not None:
        answer["searchCriteria"] = {"@type": "QueryProductOfferingQualificationItem",
                                    **criteria.model_dump(by_alias=True, exclude_none=True)}
    return answer


# -- asynchronous qualification ---------------------------------------------------------------------
def acknowledged(kind: str, request: CheckRequest | QueryRequest, resource_id: str, href: str) -> dict[str, Any]:
    """The answer to an asynchronous request: the task, ``acknowledged``, without results yet."""
    answer: dict[str, Any] = {"id": resource_id, "href": href, "@type": kind, "state": "acknowledged",
                              "creationDate": now(),
                              "relatedParty": [p.model_dump(by_alias=True, exclude_none=True) for p in request.relatedParty]}
    if request.instantSyncQualification is not None:
        answer["instantSyncQualification"] = request.instantSyncQualification
    if isinstance(request, CheckRequest):
        answer.update(provideAlternative=request.provideAlternative, provideResultReason=request.provideResultReason,
                      provideOnlyAvailable=request.provideOnlyAvailable)
    elif request.searchCriteria is not None:
        answer["searchCriteria"] = {"@type": "QueryProductOfferingQualificationItem",
                                    **request.searchCriteria.model_dump(by_alias=True, exclude_none=True)}
    return answer


def finished(result: dict[str, Any], task: dict[str, Any]) -> dict[str, Any]:
    """The qualification made in the background, with what the task already had (its creation date,
    the descriptive attributes a client patched meanwhile)."""
    kept = ("creationDate", "instantSyncQualification", *DESCRIPTIVE)
    return {**result, **{name: task[name] for name in kept if name in task}}


def failed(task: dict[str, Any], error: Exception) -> dict[str, Any]:
    """The task when its qualification could not be made: ``terminatedWithError``, the error as a note."""
    note = {"@type": "Note", "author": "marketing_rules", "date": now(), "text": f"{type(error).__name__}: {error}"}
    return {**task, "state": "terminatedWithError", "note": [*task.get("note", []), note]}
