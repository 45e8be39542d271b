"""marketing_rules.testing: the strategies reach the boundaries, and the properties hold on shipped rulesets."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import InvalidArgument

import marketing_rules as mr
from marketing_rules.testing import customers, properties
from marketing_rules.versioning.registry import rule_files
from tests.conftest import ROOT

SHIPPED = sorted(rule_files(ROOT / "rulesets"))
RULESETS = {p.parent.name + "-" + p.stem: mr.load_ruleset(p) for p in SHIPPED}
GOTONE = RULESETS["gotone-vip-1.0.0"]


@pytest.mark.parametrize("name", sorted(RULESETS))
def test_properties_hold_on_shipped_rulesets(name):
    rs = RULESETS[name]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(customers(rs))
    def run(customer):
        properties.deterministic(rs, customer)
        properties.groups_respected(rs, customer)
        properties.coverage(rs, customer)
        properties.monotonic_access(rs, customer)
        properties.explain_agrees(rs, customer)

    run()


def test_strategy_reaches_every_tier_and_the_exact_boundaries():
    seen_tiers, seen_edges, seen_null = set(), set(), False

    @settings(max_examples=600, deadline=None, database=None, derandomize=True)
    @given(customers(GOTONE))
    def collect(customer):
        nonlocal seen_null
        seen_tiers.add(GOTONE.evaluate(customer).facts["tier"])
        if customer.get("arpu_3m") in (120.0, 119.99, 200.0, 500.0, 499.99):
            seen_edges.add(customer["arpu_3m"])
        seen_null |= customer.get("arpu_3m") is None

    collect()
    assert seen_tiers == set(GOTONE.program.derived["tier"].values)
    assert {120.0, 119.99, 200.0, 500.0} <= seen_edges and seen_null


def test_strategy_hits_relations_exactly():
    hits = 0

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(customers(GOTONE, null_probability=0))
    def collect(customer):
        nonlocal hits
        hits += customer["arpu"] == float(round(customer["arpu_prev"] * 0.8, 2))

    collect()
    assert hits > 10


def test_fixed_facts_and_argument_checks():
    @settings(max_examples=30, deadline=None)
    @given(customers(GOTONE, status="active", card="gold"))
    def fixed(customer):
        assert customer["status"] == "active" and customer["card"] == "gold"

    fixed()
    with pytest.raises(InvalidArgument, match="did you mean 'tenure_months'"):
        customers(GOTONE, tenur_months=3)
    with pytest.raises(InvalidArgument, match="Expected a valid card but got card='platinum'"):
        customers(GOTONE, card="platinum")
    with pytest.raises(InvalidArgument, match="null_probability=2"):
        customers(GOTONE, null_probability=2)


def test_properties_fail_loudly():
    rs = mr.load_ruleset("broken.yaml", text=(
        "ruleset: broken\nversion: 1.0.0\nrules:\n  - id: a\n    when: arpu > 1\n"
        "    then: {offer: {rewards: [{bill_credit: 1}]}}\n"
        "checks:\n  coverage: {offers: true, among: \"status == 'active'\"}\n"))
    with pytest.raises(AssertionError, match="receives no offer"):
        properties.coverage(rs, {"id": "1", "status": "active", "arpu": 0})
    properties.coverage(rs, {"id": "1", "status": "suspended"})
    planted = mr.load_ruleset(ROOT / "tests" / "fixtures" / "check" / "planted.yaml")
    with pytest.raises(AssertionError, match="lacks golf"):
        properties.monotonic_access(planted, {"id": "1", "arpu_3m": 250})
    with pytest.raises(AssertionError, match="several offers of group packs"):
        groups_broken = type("Broken", (), {"evaluate": lambda self, c: _TwoOffers()})()
        properties.groups_respected(groups_broken, {"id": "1"})


class _TwoOffers:
    offers = [type("O", (), {"group": "packs"})(), type("O", (), {"group": "packs"})()]


def test_backends_agree_on_native_and_duckdb():
    from marketing_rules.synthetic import customers as synthetic

    properties.backends_agree(GOTONE, list(synthetic(200)))

    class Disagreeing:
        def evaluate_batch(self, table, backend):
            import pyarrow as pa

            tier = "gold" if backend == "native" else "silver"
            return type("Result", (), {"table": pa.Table.from_pylist([{"id": "1", "tier": tier}])})()

    with pytest.raises(AssertionError, match="duckdb differs from native"):
        properties.backends_agree(Disagreeing(), [{"id": "1"}])
