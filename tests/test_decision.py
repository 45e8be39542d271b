"""A decision's data: ``as_dict()`` shares the parts that do not vary per customer, read-only."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

import marketing_rules as mr

GOTONE = mr.load_ruleset("rulesets/gotone-vip/1.0.0.yaml")


def test_access_and_offers_are_built_once_and_shared_read_only() -> None:
    first = GOTONE.evaluate({"id": "1", "arpu_3m": 260.0, "card": "gold"}).as_dict()
    second = GOTONE.evaluate({"id": "2", "arpu_3m": 300.0, "card": "gold"}).as_dict()
    assert first["access"] is second["access"]  # one gold row for every gold customer
    with pytest.raises(TypeError, match="shared between decisions"):
        first["access"]["magazine"]["modes"].append("paid")
    with pytest.raises(TypeError, match="shared between decisions"):
        first["access"]["magazine"] = {}
    plain = copy.deepcopy(first)
    plain["access"]["magazine"]["modes"].append("paid")  # a deep copy is plain data
    assert type(plain["access"]) is dict and first["access"]["magazine"]["modes"] == ["free"]
    assert pickle.loads(pickle.dumps(first)) == first
    assert json.loads(json.dumps(first)) == first


def test_a_grant_builds_the_access_of_that_decision() -> None:
    rs = mr.load_ruleset("rulesets/gotone-vip/1.2.0.yaml")
    customers = [{"id": str(n), "arpu_3m": float(a), "card": card} for n, (a, card) in
                 enumerate([(80, "none"), (130, "none"), (260, "silver"), (600, "diamond")])]
    for customer in customers:
        d = rs.evaluate(customer)
        assert customer["arpu_3m"] >= 120 or "open-services-graded" in d.fired  # a grant to ordinary
        assert d.as_dict()["access"] == {service: a.as_dict() for service, a in d.access.items()}


def test_offers_and_inputs_as_data() -> None:
    customer = {"id": "1", "arpu_3m": 130.0, "card": "none", "status": "active", "tenure_months": 30}
    d = GOTONE.evaluate(customer)
    data = d.as_dict()
    assert [o["id"] for o in data["offers"]] == ["prestore-lecture"]
    assert data["offers"] == [o.as_dict() for o in d.offers]
    assert data["offers"][0] is GOTONE.evaluate(dict(customer, id="2")).as_dict()["offers"][0]
    assert d.inputs == customer
    assert set(d.facts) - set(d.inputs) == set(GOTONE.program.derived)
