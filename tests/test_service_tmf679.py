"""TMF679 v5 Product Offering Qualification: answers valid against the specification's resource schema,
reasons from explain, alternates from what_would_it_take."""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.synthetic import customers as synthetic
from tests.serving import ROOT, RULESETS, Server, serving

pytest.importorskip("fastapi")

_spec = importlib.util.spec_from_file_location("tmf679_schema", ROOT / "tools" / "tmf679_schema.py")
assert _spec is not None and _spec.loader is not None
tmf679_schema = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(tmf679_schema)

BASE = "/v1/rulesets/gotone-vip/tmf-api/productOfferingQualification/v5"
TODAY = dt.date(2027, 1, 15)
ORDINARY = {"id": "13900000042", "card": "none", "arpu_3m": 90.0, "status": "active", "tenure_months": 30}


def party(customer: dict[str, Any]) -> list[dict[str, Any]]:
    facts = [{"name": k, "value": v, "@type": "Characteristic"} for k, v in customer.items() if k != "id"]
    return [{"role": "customer", "@type": "RelatedPartyOrPartyRole",
             "partyOrPartyRole": {"id": customer["id"], "@type": "PartyRole", "characteristic": facts}}]


def valid(body: dict[str, Any], resource: str) -> None:
    jsonschema.validate(body, tmf679_schema.resource(resource), format_checker=jsonschema.FormatChecker())


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serving(RULESETS, "--no-log", "--no-watch") as running:
        yield running


@pytest.fixture(scope="module")
def rs() -> mr.Ruleset:
    return mr.Registry(RULESETS).get("gotone-vip", at=TODAY)


def test_check_every_offer(server: Server, rs: mr.Ruleset) -> None:
    response = server.post(f"{BASE}/checkProductOfferingQualification",
                           {"@type": "CheckProductOfferingQualification", "relatedParty": party(ORDINARY)})
    assert response.status_code == 200, response.text
    body = response.json()
    valid(body, "CheckProductOfferingQualification")
    assert body["state"] == "done" and body["href"].endswith(body["id"])
    items = {i["productOffering"]["id"]: i for i in body["checkProductOfferingQualificationItem"]}
    assert list(items) == [r.offer.id for r in rs.program.rules if r.offer is not None]
    lecture = items["prestore-lecture"]
    assert lecture["qualificationItemResult"] == "alternate"
    assert lecture["productOffering"] == {"id": "prestore-lecture", "name": "预存话费聆听大讲堂", "version": rs.version,
                                          "@type": "ProductOfferingRef", "@referredType": "ProductOffering"}
    reasons = [(r["code"], r["label"]) for r in lecture["eligibilityResultReason"]]
    assert ("conditionNotMet", "tier in [silver, mid_high] is false (tier = 'ordinary')") in reasons
    assert ("qualifiesIf", str(rs.what_would_it_take(ORDINARY, "prestore-lecture"))) in reasons
    assert lecture["alternateProductOfferingProposal"][0]["alternateProductOffering"]["id"] == "prestore-lecture"
    assert body["qualificationResult"] in ("alternate", "unqualified")


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 5_000))
def test_qualified_items_are_the_decided_offers(server: Server, rs: mr.Ruleset, seed: int) -> None:
    customer = next(synthetic(1, seed))
    body = server.post(f"{BASE}/checkProductOfferingQualification",
                       {"relatedParty": party(customer), "provideAlternative": False}).json()
    valid(body, "CheckProductOfferingQualification")
    qualified = {i["productOffering"]["id"] for i in body["checkProductOfferingQualificationItem"]
                 if i["qualificationItemResult"] == "qualified"}
    assert qualified == {o.id for o in rs.evaluate(customer).offers}
    assert "alternate" not in {i["qualificationItemResult"] for i in body["checkProductOfferingQualificationItem"]}
    query = server.post(f"{BASE}/queryProductOfferingQualification", {"relatedParty": party(customer)}).json()
    valid(query, "QueryProductOfferingQualification")
    assert {i["productOffering"]["id"] for i in query["qualifiedProductOfferingItem"]} == qualified


def test_check_named_items_and_only_available(server: Server) -> None:
    gold = {**ORDINARY, "card": "gold", "arpu_3m": 260.0}
    items = [{"id": "7", "@type": "CheckProductOfferingQualificationItem", "productOffering": {"id": o, "@type": "ProductOfferingRef"}}
             for o in ("prestore-golf", "prestore-lecture", "no-such-offer")]
    body = server.post(f"{BASE}/checkProductOfferingQualification",
                       {"relatedParty": party(gold), "checkProductOfferingQualificationItem": items}).json()
    valid(body, "CheckProductOfferingQualification")
    results = [(i["id"], i["productOffering"]["id"], i["qualificationItemResult"]) for i in body["checkProductOfferingQualificationItem"]]
    assert [r[1] for r in results] == ["prestore-golf", "prestore-lecture", "no-such-offer"]
    assert results[2][2] == "unqualified"
    only = server.post(f"{BASE}/checkProductOfferingQualification",
                       {"relatedParty": party(gold), "checkProductOfferingQualificationItem": items, "provideOnlyAvailable": True}).json()
    assert {i["qualificationItemResult"] for i in only["checkProductOfferingQualificationItem"]} <= {"qualified"}


def test_query_by_category(server: Server, rs: mr.Ruleset) -> None:
    customer = {**ORDINARY, "arpu_3m": 150.0}  # mid-high: the lecture pack
    body = server.post(f"{BASE}/queryProductOfferingQualification",
                       {"relatedParty": party(customer), "searchCriteria": {"category": {"id": "service-pack", "@type": "CategoryRef"}}}).json()
    valid(body, "QueryProductOfferingQualification")
    groups = {r.offer.id: r.offer.group for r in rs.program.rules if r.offer is not None}
    found = [i["productOffering"]["id"] for i in body["qualifiedProductOfferingItem"]]
    assert found and all(groups[o] == "service-pack" for o in found)
    assert set(found) == {o.id for o in rs.evaluate(customer).offers if groups[o.id] == "service-pack"}
    other = server.post(f"{BASE}/queryProductOfferingQualification",
                        {"relatedParty": party(customer), "searchCriteria": {"category": {"id": "care"}}}).json()
    assert other["qualifiedProductOfferingItem"] == [] and other["searchCriteria"]["category"]["id"] == "care"


def test_the_schema_refuses_a_field_the_specification_does_not_name() -> None:
    bad = {"id": "1", "href": "/x/1", "@type": "CheckProductOfferingQualification", "qualificationResults": "qualified"}
    with pytest.raises(jsonschema.ValidationError):
        valid(bad, "CheckProductOfferingQualification")
    with pytest.raises(jsonschema.ValidationError):
        valid({"id": "1", "href": "/x/1", "@type": "CheckProductOfferingQualification",
               "checkProductOfferingQualificationItem": [{"id": "01", "@type": "CheckProductOfferingQualificationItem",
                                                          "qualificationItemResult": "eligible"}]},
              "CheckProductOfferingQualification")


@pytest.mark.parametrize("body, where", [
    ({"relatedParty": [{"role": "seller", "partyOrPartyRole": {"id": "x"}}]}, ["body", "relatedParty"]),
    ({"relatedParty": party({"id": "1", "arpu_3m": "lots"})}, ["body", "relatedParty", 0, "partyOrPartyRole", "characteristic", "arpu_3m"]),
    ({"relatedParty": []}, ["body", "relatedParty"]),
])
def test_bad_qualification_requests(server: Server, body: dict[str, Any], where: list[Any]) -> None:
    response = server.post(f"{BASE}/checkProductOfferingQualification", body)
    assert response.status_code == 422, response.text
    assert where in [d["loc"] for d in response.json()["detail"]]


def test_a_qualification_is_retrieved_by_its_href(server: Server) -> None:
    check = server.post(f"{BASE}/checkProductOfferingQualification", {"relatedParty": party(ORDINARY)}).json()
    query = server.post(f"{BASE}/queryProductOfferingQualification", {"relatedParty": party(ORDINARY)}).json()
    for answered in (check, query):
        retrieved = server.get(answered["href"])
        assert retrieved.status_code == 200 and retrieved.json() == answered
    missing = server.get(f"{BASE}/checkProductOfferingQualification/no-such-id")
    assert missing.status_code == 404 and "no-such-id" in missing.json()["detail"]
    assert server.get(check["href"].replace("gotone-vip", "lifecycle")).status_code == 404  # another ruleset's
    assert server.get(check["href"].replace("checkProduct", "queryProduct")).status_code == 404  # another resource


def test_the_newest_answers_are_kept() -> None:
    from marketing_rules.service.tmf679 import Answered

    kept = Answered(size=2)
    for n in range(3):
        kept.keep("r", {"id": str(n)})
    assert [kept.get("r", str(n)) for n in range(3)] == [None, {"id": "1"}, {"id": "2"}]
