"""The synthetic city is shaped like plan 001: the stock-ops ruleset types it in the plan's shares."""

from __future__ import annotations

import pytest

import marketing_rules as mr
from marketing_rules.demo import city_shape
from marketing_rules.shipped import rulesets_dir
from marketing_rules.synthetic import TYPE_SHARES, customers


@pytest.fixture(scope="module")
def shape() -> dict:
    stock_ops = mr.Registry(rulesets_dir()).versions("stock-ops")[-1]
    return city_shape(stock_ops, list(customers(2000, 5)))


def test_every_customer_is_segmented_and_typed(shape: dict) -> None:
    assert shape["typed"] == 2000
    assert set(shape["shares"]) == set(TYPE_SHARES)


def test_lifecycle_shares_within_two_points_of_table_2_2(shape: dict) -> None:
    assert shape["2.2"] <= 2
    assert shape["shares"]["22"] > 0.06 and shape["shares"]["42"] > 0.12 and shape["shares"]["5"] > 0.14


@pytest.mark.parametrize("table", ["2.3", "2.4", "2.5", "2.6", "2.7", "2.8"])
def test_per_type_tables_within_five_points(shape: dict, table: str) -> None:
    assert shape[table] <= 5


def test_reproducible_and_prefix_stable() -> None:
    assert list(customers(50, 9)) == list(customers(50, 9))
    assert list(customers(20, 9)) == list(customers(50, 9))[:20]
    assert list(customers(20, 9)) != list(customers(20, 10))


def test_the_city_has_elite_club_members_under_experience_club_1_2_0() -> None:
    """1.2.0's elite row reads 是否为主动定制 (self_subscribed): the city says it for every customer."""
    club = mr.load_ruleset(rulesets_dir() / "experience-club" / "1.2.0.yaml")
    city = list(customers(2000, 5))
    assert all(isinstance(c["self_subscribed"], bool) for c in city)
    assert not any(c["self_subscribed"] for c in city if c["vas_subscriptions"] == 0)
    levels = [club.evaluate(c).facts["member_level"] for c in city]
    assert levels.count("elite") >= 5, levels.count("elite")
