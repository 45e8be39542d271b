"""Customer facts: the shortcut for values that are already valid agrees with pydantic exactly."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.expressions.numbers import to_number
from marketing_rules.model.schema import TELECOM_CUSTOMER, builtin_schema
from marketing_rules.versioning.registry import rule_files
from tests.strategies import customers

SCHEMA = builtin_schema("telecom-customer")
NAMES = [f.name for f in TELECOM_CUSTOMER]
anything = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 2000), st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["", "gold", "none", "active", "4g", "12", "12.5", "yes", "gotone-128"]),
    st.lists(st.integers(), max_size=2),
)


@settings(max_examples=2000, deadline=None)
@given(st.dictionaries(st.sampled_from([*NAMES, "unknown_key"]), anything, max_size=12),
       st.one_of(st.just("1390001"), anything))
def test_shortcut_agrees_with_pydantic(values, customer_id):
    customer = {**values, "id": customer_id}
    shortcut = SCHEMA._already_valid(customer)
    try:
        validated = SCHEMA._validate(customer)
    except Exception:  # noqa: BLE001 - pydantic rejects: the shortcut must not have accepted
        assert shortcut is None, customer
        return
    if shortcut is not None:
        # a float with more than 10 places passes the shortcut as it is; pydantic rounds it
        assert {k: rounded(v) for k, v in shortcut.items()} == validated and shortcut is not customer
        assert [type(v) for v in shortcut.values()] == [type(validated[k]) for k in shortcut], customer


def rounded(value):
    return float(to_number(value)) if value.__class__ is float else value


def test_shortcut_takes_the_common_case_and_leaves_the_rest():
    assert SCHEMA._already_valid({"id": "1", "arpu": 12.5, "tenure_months": 3, "card": "gold", "uses_data": True})
    for other in ({"id": "1", "arpu": 12}, {"id": "1", "arpu": "12.5"}, {"id": "1", "arpu": math.inf},
                  {"id": "1", "tenure_months": True}, {"id": 1}):
        assert SCHEMA._already_valid(other) is None, other
    # a key that is not a fact is dropped, as pydantic drops it, without leaving the shortcut
    assert SCHEMA._already_valid({"id": "1", "arpu": 12.5, "extra": 1}) == {"id": "1", "arpu": 12.5}


def test_keys_that_are_not_facts_change_nothing_in_a_decision():
    rs = mr.load_ruleset(ROOT / "rulesets/gotone-vip/1.2.0.yaml")
    customer = {"id": "1", "card": "gold", "arpu_3m": 260.0, "status": "active", "package_fee": 128.0}
    plain, extra = rs.evaluate(customer), rs.evaluate({**customer, "self_subscribed": True, "crm_note": "x"})
    assert extra.as_dict() == plain.as_dict() and "crm_note" not in extra.facts


def test_every_fact_and_keys_that_are_not_facts_decide_inline_as_without_them():
    """A customer record carrying every fact and more (a CRM row): decided inline on the facts only,
    as without the other keys; a fact that is not valid is still refused."""
    from marketing_rules.synthetic import customers

    rs = mr.load_ruleset(ROOT / "rulesets/gotone-vip/1.0.0.yaml")
    for customer in customers(300, 7):
        assert "self_subscribed" in customer and "self_subscribed" not in {f.name for f in rs.program.schema.facts}
        facts_only = {k: v for k, v in customer.items() if k != "self_subscribed"}
        assert rs.evaluate(customer).as_dict() == rs.evaluate(facts_only).as_dict()
        assert "self_subscribed" not in rs.evaluate(customer).facts
    with pytest.raises(mr.FactsError, match="sms"):
        rs.evaluate({**customer, "sms": -1})


def test_conversions_still_happen_through_pydantic():
    facts = SCHEMA.validate({"id": "1", "arpu": 12, "tenure_months": "24", "uses_data": "yes", "extra": 5})
    assert facts == {"id": "1", "arpu": 12.0, "tenure_months": 24, "uses_data": True}
    assert type(facts["arpu"]) is float
    with pytest.raises(mr.FactsError):
        SCHEMA.validate({"id": "1", "arpu": -0.01})


# -- validation folded into the generated evaluate ---------------------------------------------------
ROOT = Path(__file__).resolve().parent.parent
RULESETS = [mr.load_ruleset(path) for path in rule_files(ROOT / "rulesets")]


def exact(spec) -> st.SearchStrategy:
    """Values the schema takes as they are (within a million: decimal arithmetic has 28 digits)."""
    low, high = -1e6 if spec.ge is None else spec.ge, 1e6 if spec.le is None else spec.le
    if spec.type == "number":
        return st.floats(low, high)
    if spec.type == "integer":
        return st.integers(int(low), int(high))
    if spec.type == "enum":
        return st.sampled_from(spec.values)
    return st.booleans() if spec.type == "boolean" else st.text(min_size=1, max_size=3)


@st.composite
def ruleset_and_customer(draw):
    """A ruleset, and a customer of its schema: valid (tests.strategies), or with every fact the
    rules read and a few more keys, or with every fact of the schema (the generated evaluate's
    inline cases, and their edges), or anything."""
    rs = draw(st.sampled_from(RULESETS))
    schema = rs.program.schema
    names = [f.name for f in schema.facts]
    read = sorted({"id", *(n for u in rs.program.units for n in u.reads if n not in rs.program.derived)})
    others = st.dictionaries(st.sampled_from([*names, "unknown_key"]), anything, max_size=3)
    complete = st.fixed_dictionaries({n: exact(schema[n]) for n in read}).flatmap(lambda c: others.map(lambda o: {**c, **o}))
    # every fact of the schema, one or two of them perhaps replaced by anything
    full = st.fixed_dictionaries({n: exact(schema[n]) for n in names}).flatmap(
        lambda c: st.dictionaries(st.sampled_from(names), anything, max_size=2).map(lambda o: {**c, **o}))
    values = draw(st.one_of(customers(), complete, full,
                            st.dictionaries(st.sampled_from([*names, "unknown_key"]), anything)))
    customer = {**values, "id": draw(st.one_of(st.just("1390001"), anything))} if "id" not in values else values
    return rs, customer


def outcome(decide, *args):
    """A decision as data (with the type of each fact), or the error it raised."""
    try:
        d = decide(*args)
    except (mr.FactsError, mr.EvaluationError) as error:
        return type(error).__name__, str(error)
    return d.as_dict(), [type(v) for v in d.facts.values()], d.inputs


@settings(max_examples=1500, deadline=None)
@given(ruleset_and_customer())
def test_evaluate_decides_as_validating_first_then_deciding(case):
    rs, customer = case
    try:
        facts = rs.validate(customer)
    except mr.FactsError as error:
        # pydantic rejects: so does evaluate, with the same reasons
        assert outcome(rs.evaluate, customer) == ("FactsError", str(error)), customer
        return
    # the same facts (and types), the same decision, whichever path evaluate takes
    assert outcome(rs.evaluate, customer) == outcome(rs.decide_facts, facts), customer


def test_bad_values_still_raise_through_pydantic_and_nulls_are_still_guarded():
    rs = next(r for r in RULESETS if r.id == "gotone-vip")
    with pytest.raises(mr.FactsError) as caught:
        rs.evaluate({"id": "1", "arpu_3m": -1.0, "card": "gold"})
    assert [e["field"] for e in caught.value.errors] == ["arpu_3m"]
    d = rs.evaluate({"id": "1", "arpu_3m": None, "card": "gold", "status": "active"})
    assert d.facts["arpu_3m"] is None and d.inputs == {"id": "1", "arpu_3m": None, "card": "gold", "status": "active"}
