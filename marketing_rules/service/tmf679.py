"""TMF679 Product Offering Qualification (TM Forum Open API, v5): the check and query resources.

The ruleset in force plays the product catalogue: each offer is a ProductOffering (``id`` the
offer id, ``name`` its title, ``version`` the ruleset version). The customer is the related party
whose role is ``customer``: a PartyRole whose ``id`` is the customer id and whose ``characteristic``
list holds the facts (``{"name": "arpu_3m", "value": 260.0}``). An offer the customer does not
receive is ``unqualified`` with the failed conditions of ``explain`` as eligibility result reasons,
or ``alternate`` when ``what_would_it_take`` finds a change of numeric facts that qualifies them: the
alternate proposal is the same offering, the change a reason (code ``qualifiesIf``). docs/service.md
has the whole mapping.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from marketing_rules.engine.decision import Decision
from marketing_rules.engine.explain import Check
from marketing_rules.engine.ruleset import Ruleset
from marketing_rules.expressions.text import literal_text
from marketing_rules.i18n import N_, _

BASE = "/tmf-api/productOfferingQualification/v5"
#: How many answered qualifications of each resource a server keeps for ``GET .../{id}`` (newest first out).
KEPT = 10_000
_IS = {False: N_("{condition} is false"), None: N_("{condition} is unknown"), True: N_("{condition} is true")}
_IS_WITH = {False: N_("{condition} is false ({values})"), None: N_("{condition} is unknown ({values})"),
            True: N_("{condition} is true ({values})")}


class Answered:
    """The newest qualifications a server answered, by id, for retrieval (``GET`` by ``href``)."""

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


class QueryItem(_Tmf):
    productOffering: Ref | None = None
    category: Ref | None = None


class QueryRequest(_Tmf):
    """A QueryProductOfferingQualification to create: the customer, and optionally an offering or category."""

    relatedParty: list[RelatedPartyOrPartyRole] = Field(min_length=1)
    searchCriteria: QueryItem | None = None


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
