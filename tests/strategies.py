"""Hypothesis strategies for telecom customers, used by the property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from marketing_rules.model.schema import TELECOM_CUSTOMER

MONEY_EDGES = [0, 0.01, 10, 50, 80, 99.99, 100, 119.99, 120, 120.01, 150, 199.99, 200, 499.99, 500, 800]


def money() -> st.SearchStrategy[float | None]:
    return st.one_of(
        st.none(),
        st.sampled_from(MONEY_EDGES),
        st.decimals(min_value=0, max_value=2000, places=2).map(float),
    )


def count(high: int = 400) -> st.SearchStrategy[int | None]:
    return st.one_of(st.none(), st.sampled_from([0, 1, 2, 3, 5, 6, 11, 12, 13, 24, 36, 60, 120]),
                     st.integers(min_value=0, max_value=high))


@st.composite
def customers(draw) -> dict:
    """A valid telecom customer; any fact but id may be missing, and numbers sit on boundaries often."""
    customer: dict = {"id": draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))}
    for spec in TELECOM_CUSTOMER[1:]:
        if draw(st.integers(0, 9)) == 0:
            continue  # absent
        if spec.type == "number":
            value = draw(money()) if spec.ge == 0 else draw(st.one_of(st.none(), st.decimals(-100, 500, places=2).map(float)))
        elif spec.type == "integer":
            value = draw(st.integers(1, 12)) if spec.name == "birthday_month" else draw(count())
        elif spec.type == "enum":
            value = draw(st.one_of(st.none(), st.sampled_from(spec.values)))
        elif spec.type == "boolean":
            value = draw(st.one_of(st.none(), st.booleans()))
        else:
            value = draw(st.one_of(st.none(), st.sampled_from(["basic-38", "gotone-128", "gotone-188", "pop-58"])))
        customer[spec.name] = value
    return customer
