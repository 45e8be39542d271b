"""Customer facts: the shortcut for values that are already valid agrees with pydantic exactly."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.model.schema import TELECOM_CUSTOMER, builtin_schema

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
        assert shortcut == validated and shortcut is not customer
        assert [type(v) for v in shortcut.values()] == [type(validated[k]) for k in shortcut], customer


def test_shortcut_takes_the_common_case_and_leaves_the_rest():
    assert SCHEMA._already_valid({"id": "1", "arpu": 12.5, "tenure_months": 3, "card": "gold", "uses_data": True})
    for other in ({"id": "1", "arpu": 12}, {"id": "1", "arpu": "12.5"}, {"id": "1", "arpu": math.inf},
                  {"id": "1", "tenure_months": True}, {"id": "1", "extra": 1}, {"id": 1}):
        assert SCHEMA._already_valid(other) is None, other


def test_conversions_still_happen_through_pydantic():
    facts = SCHEMA.validate({"id": "1", "arpu": 12, "tenure_months": "24", "uses_data": "yes", "extra": 5})
    assert facts == {"id": "1", "arpu": 12.0, "tenure_months": 24, "uses_data": True}
    assert type(facts["arpu"]) is float
    with pytest.raises(mr.FactsError):
        SCHEMA.validate({"id": "1", "arpu": -0.01})
