"""SPEC section 4 and 5: agenda order, groups, tables, effects, the decision, fingerprints."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

import marketing_rules as mr
from tests.conftest import load_errors, ruleset_from

ORDERING = """\
    ruleset: ordering
    version: 1.0.0
    facts:
      tier: {type: enum, values: [gold, silver, ordinary]}
    tables:
      - id: tiers
        inputs: [arpu_3m]
        outputs: [tier]
        rows:
          - [">= 200", gold]
          - [">= 120", silver]
          - ["-", ordinary]
    rules:
      - id: low
        when: arpu > 0
        then: {tag: low}
      - id: reads-tier
        priority: 100
        when: tier == gold
        then: {tag: gold}
      - id: high
        priority: 5
        when: arpu > 0
        then: {tag: high}
      - id: also-low
        when: arpu > 0
        then: {tag: also-low}
    """


def test_agenda_is_strata_then_priority_then_file_order():
    rs = ruleset_from(ORDERING)
    assert [u.id for u in rs.program.units] == ["high", "tiers", "reads-tier", "low", "also-low"]
    d = rs.evaluate({"id": "1", "arpu": 10, "arpu_3m": 250})
    assert d.fired == ["high", "tiers#1", "reads-tier", "low", "also-low"]
    assert d.facts["tier"] == "gold"


def test_first_hit_table_and_missing_input():
    rs = ruleset_from(ORDERING)
    assert rs.evaluate({"id": "1", "arpu_3m": 120}).facts["tier"] == "silver"
    assert rs.evaluate({"id": "1", "arpu_3m": 119.99}).facts["tier"] == "ordinary"
    # null input: no comparison row matches, the catch-all does
    assert rs.evaluate({"id": "1"}).fired == ["tiers#3"]


GROUPS = """\
    ruleset: groups
    version: 1.0.0
    rules:
      - id: small-pack
        group: prestore
        when: arpu >= 50
        then:
          offer: {requires: [{prestore: 100}], rewards: [{bill_credit: 10}]}
      - id: big-pack
        group: prestore
        priority: 1
        when: arpu >= 150
        then:
          offer: {requires: [{prestore: 300}], rewards: [{bill_credit: arpu * 0.1}]}
      - id: other
        when: arpu >= 50
        then:
          offer: {rewards: [{data_mb: 1024}]}
    """


def test_group_gives_the_first_rule_that_fires_and_blocks_the_rest():
    rs = ruleset_from(GROUPS)
    d = rs.evaluate({"id": "1", "arpu": 200})
    assert [o.id for o in d.offers] == ["big-pack", "other"]
    assert d.offers[0].rewards[0] == {"kind": "bill_credit", "amount": 20}
    d = rs.evaluate({"id": "1", "arpu": 100})
    assert [o.id for o in d.offers] == ["small-pack", "other"]
    explanation = rs.explain({"id": "1", "arpu": 200}, "small-pack")
    assert explanation.blocked_by == "big-pack" and not explanation.fired


def test_offer_amounts_are_exact_and_null_when_a_fact_is_missing():
    rs = ruleset_from(GROUPS)
    d = rs.evaluate({"id": "1", "arpu": 150.1})
    assert d.offers[0].rewards[0]["amount"] == 15.01
    assert d.offers[0].as_dict()["requires"] == [{"kind": "prestore", "amount": 300}]


def test_two_setters_of_one_fact_in_one_group_are_allowed():
    rs = ruleset_from("""\
        ruleset: setters
        version: 1.0.0
        facts:
          segment_code: {type: integer, default: 1}
        rules:
          - id: spend-rising
            group: lifecycle
            when: arpu > arpu_prev * 1.2
            then: {set: {segment_code: 21}}
          - id: voice-rising
            group: lifecycle
            when: voice_min > voice_min_prev * 1.2
            then: {set: {segment_code: 22}}
        """)
    assert rs.evaluate({"id": "1", "arpu": 130, "arpu_prev": 100, "voice_min": 200, "voice_min_prev": 100}) \
        .facts["segment_code"] == 21
    assert rs.evaluate({"id": "1", "voice_min": 200, "voice_min_prev": 100}).facts["segment_code"] == 22
    assert rs.evaluate({"id": "1"}).facts["segment_code"] == 1


def test_cycle_is_a_load_error_naming_the_facts():
    error = load_errors("""\
        ruleset: cycle
        version: 1.0.0
        facts:
          a: {type: boolean}
          b: {type: boolean}
          c: {type: boolean}
        rules:
          - id: set-a
            when: c
            then: {set: {a: true}}
          - id: set-b
            when: a
            then: {set: {b: true}}
          - id: set-c
            when: b
            then: {set: {c: true}}
        """)
    (diagnostic,) = error.diagnostics
    assert diagnostic.code == "MR201"
    assert "a -> b -> c -> a" in diagnostic.message


def test_a_rule_reading_what_it_sets_is_a_cycle():
    error = load_errors("""\
        ruleset: self
        version: 1.0.0
        facts:
          score: {type: number}
        rules:
          - id: grow
            when: score is null
            then: {set: {score: 1}}
        """)
    assert error.codes == ["MR201"]


HIT_POLICIES = """\
    ruleset: hits
    version: 1.0.0
    facts:
      band: {type: enum, values: [high, mid, low]}
      best: {type: enum, values: [platinum, gold, basic]}
      bonus: {type: number}
      perks: {type: list}
    tables:
      - id: bands
        hit: unique
        inputs: [arpu]
        outputs: [band]
        rows:
          - [">= 100", high]
          - ["[50..100)", mid]
          - ["[0..60)", low]
      - id: best-card
        hit: priority
        inputs: [arpu, tenure_months]
        outputs: [best]
        rows:
          - [">= 10", "-", basic]
          - [">= 100", "-", gold]
          - ["-", ">= 120", platinum]
      - id: bonus-points
        hit: collect
        aggregate: sum
        inputs: [segment, tenure_months]
        outputs: [bonus]
        rows:
          - ["campus", "-", 10]
          - ["-", ">= 24", tenure_months * 0.5]
      - id: perk-list
        hit: collect
        inputs: [segment]
        outputs: [perks]
        rows:
          - ["campus, migrant", "'data'"]
          - ["not(enterprise)", "'voice'"]
    """


def test_unique_table_raises_when_two_rows_match():
    rs = ruleset_from(HIT_POLICIES)
    assert rs.evaluate({"id": "1", "arpu": 70}).facts["band"] == "mid"
    with pytest.raises(mr.EvaluationError, match="rows 2, 3"):
        rs.evaluate({"id": "1", "arpu": 55})


def test_priority_table_takes_the_highest_output():
    rs = ruleset_from(HIT_POLICIES)
    d = rs.evaluate({"id": "1", "arpu": 150, "tenure_months": 130})
    assert d.facts["best"] == "platinum" and "best-card#3" in d.fired
    assert rs.evaluate({"id": "1", "arpu": 150, "tenure_months": 1}).facts["best"] == "gold"


def test_collect_tables_aggregate_and_list():
    rs = ruleset_from(HIT_POLICIES)
    d = rs.evaluate({"id": "1", "arpu": 150, "segment": "campus", "tenure_months": 25})
    assert d.facts["bonus"] == 22.5
    assert d.facts["perks"] == ["data", "voice"]
    assert {"bonus-points#1", "bonus-points#2", "perk-list#1", "perk-list#2"} <= set(d.fired)
    d = rs.evaluate({"id": "1", "arpu": 150, "segment": "enterprise", "tenure_months": 2})
    assert d.facts["bonus"] is None and d.facts["perks"] == []


def test_access_matrix_grants_and_terms(gotone_vip):
    silver = {"id": "1", "card": "silver", "arpu_3m": 150, "status": "active", "tenure_months": 30}
    d = gotone_vip.evaluate(silver)
    assert d.facts["tier"] == "silver"
    assert d.access["golf-club"].modes == ("paid", "prestore", "trial")
    assert dict(d.access["golf-club"].terms) == {"price": 200, "prestore": 500}
    assert "airport-lounge" not in d.access
    assert d.access["merchant-alliance"].modes == ("free",)
    gold = gotone_vip.evaluate({**silver, "card": "gold", "arpu_3m": 260})
    assert gold.access["airport-lounge"].modes == ("free",)
    ordinary = gotone_vip.evaluate({"id": "2", "arpu_3m": 50, "status": "active", "tenure_months": 30})
    # the trial pack grants a trial of the fitness club on top of the matrix
    assert "trial-pack" in [o.id for o in ordinary.offers]
    assert ordinary.access["fitness-club"].modes == ("paid", "trial")


def test_upgrade_offer_needs_a_more_expensive_target(gotone_vip):
    customer = {"id": "1", "card": "silver", "arpu_3m": 160, "status": "active", "tenure_months": 3}
    d = gotone_vip.evaluate({**customer, "package_fee": 128})
    assert [o.id for o in d.offers] == ["prestore-golf"]  # priority 20 wins the service-pack group
    assert d.offers[0].requires[1] == {"kind": "upgrade", "to": "gotone-188", "fee": 188}
    d = gotone_vip.evaluate({**customer, "package_fee": 188})
    assert [o.id for o in d.offers] == ["prestore-lecture"]
    e = gotone_vip.explain({**customer, "package_fee": 188}, "prestore-golf")
    assert e.condition is not None and e.condition.children[-1].result is False


def test_award_points_and_tags():
    rs = ruleset_from("""\
        ruleset: points
        version: 1.0.0
        rules:
          - id: welcome
            when: tenure_months < 3
            then: {award: 100, tag: [new, welcome]}
          - id: spend
            then: {award: {points: floor(arpu)}}
        """)
    d = rs.evaluate({"id": "1", "tenure_months": 1, "arpu": 58.9})
    assert d.points == 158 and d.tags == {"new", "welcome"}
    assert rs.evaluate({"id": "1"}).points == 0


def test_facts_are_validated_with_field_and_value():
    rs = ruleset_from(ORDERING)
    with pytest.raises(mr.FactsError) as caught:
        rs.evaluate({"id": "1", "arpu": -5, "card": "platinum"})
    errors = {e["field"]: e for e in caught.value.errors}
    assert errors["arpu"]["value"] == -5 and "greater than or equal to 0" in errors["arpu"]["message"]
    assert errors["card"]["value"] == "platinum"
    with pytest.raises(mr.FactsError) as caught:
        rs.evaluate({"arpu": 5})
    assert caught.value.errors[0]["field"] == "id"


def test_a_pydantic_model_is_accepted_as_input():
    class Customer(BaseModel):
        id: str
        arpu_3m: float

    assert ruleset_from(ORDERING).evaluate(Customer(id="7", arpu_3m=300)).facts["tier"] == "gold"


def test_inputs_added_by_the_ruleset():
    rs = ruleset_from("""\
        ruleset: extra-inputs
        version: 1.0.0
        inputs:
          complaints: {type: integer, ge: 0}
          channel: {type: enum, values: [hall, sms, call]}
        rules:
          - id: unhappy
            when: complaints >= 2 and channel == call
            then: {tag: unhappy}
        """)
    assert rs.evaluate({"id": "1", "complaints": 3, "channel": "call"}).tags == {"unhappy"}
    with pytest.raises(mr.FactsError):
        rs.evaluate({"id": "1", "complaints": -1})


def test_fingerprint_is_canonical():
    a = ruleset_from(GROUPS)
    reformatted = GROUPS.replace("      - id: other", "      # a comment\n      - id: other")
    assert ruleset_from(reformatted).fingerprint == a.fingerprint
    changed = GROUPS.replace("arpu >= 150", "arpu >= 151")
    assert ruleset_from(changed).fingerprint != a.fingerprint
    d = a.evaluate({"id": "1", "arpu": 1})
    assert (d.ruleset, d.version, d.fingerprint) == ("groups", "1.0.0", a.fingerprint)


def test_decision_as_dict_is_json_ready(gotone_vip):
    import json

    d = gotone_vip.evaluate({"id": "1", "card": "gold", "arpu_3m": 300, "birthday_month": 5})
    data = json.loads(json.dumps(d.as_dict()))
    assert data["facts"]["tier"] == "gold" and data["tags"] == ["birthday-care"]
    assert data["access"]["airport-lounge"] == {"modes": ["free"]}


def test_generated_code_never_contains_rule_file_text():
    rs = ruleset_from("""\
        ruleset: injection
        version: 1.0.0
        rules:
          - id: sneaky
            when: package == '__import__("os").system("echo pwned")'
            then: {tag: "'); import os; ('"}
        """)
    assert "import" not in rs.source
    d = rs.evaluate({"id": "1", "package": '__import__("os").system("echo pwned")'})
    assert d.tags == {"'); import os; ('"}


# -- the number contract (expressions/numbers.py) in the generated Python ---------------------------
NUMBERS = """\
    ruleset: numbers
    version: 1.0.0
    facts:
      sms_x10: {type: integer}
      third: {type: number}
      bonus: {type: number, default: 5}
    tables:
      - id: bonus-sum
        hit: collect
        aggregate: sum
        inputs: [arpu]
        outputs: [bonus]
        rows:
          - ["> 1000", 10]
    rules:
      - id: scaled
        priority: 10
        then: {set: {sms_x10: sms * 10}}
      - id: heavy-sms
        when: tenure_months > 100 and sms * sms > 100
        then: {tag: heavy}
      - id: tripled
        when: arpu * 3 > 100
        then: {tag: big}
      - id: above-a-third
        when: arpu / 3 > 33.3333333333
        then: {tag: above}
      - id: share
        then:
          set: {third: arpu / 3}
          award: arpu / 3
      - id: default-bonus
        when: bonus == 5
        then: {tag: default}
    """


def test_integer_overflow_is_the_customers_error_even_behind_a_false_operand():
    rs = ruleset_from(NUMBERS)
    with pytest.raises(mr.EvaluationError) as caught:
        rs.evaluate({"id": "1", "sms": 4_000_000_000, "tenure_months": 0})  # the condition is evaluated whole
    assert str(caught.value) == "integer overflow in 'heavy-sms': sms * sms is beyond 64 bits"
    assert caught.value.rule == "heavy-sms"
    with pytest.raises(mr.EvaluationError, match=r"^integer overflow in 'scaled': sms \* 10 is beyond 64 bits$"):
        rs.evaluate({"id": "2", "sms": 10**18})
    assert rs.evaluate({"id": "3", "sms": 3_000_000_000 // 2, "tenure_months": 200}).tags >= {"heavy"}


def test_number_overflow_is_the_customers_error():
    rs = ruleset_from(NUMBERS)
    with pytest.raises(mr.EvaluationError) as caught:
        rs.evaluate({"id": "1", "arpu": 4e17})
    assert str(caught.value) == "number overflow in 'tripled': arpu * 3 is beyond 18 digits before the point"


def test_number_results_are_rounded_to_ten_places():
    rs = ruleset_from(NUMBERS)
    d = rs.evaluate({"id": "1", "arpu": 100.0})
    assert "above" not in d.tags  # 100 / 3 is 33.3333333333, not more
    assert d.facts["third"] == 33.3333333333
    assert "above" in rs.evaluate({"id": "2", "arpu": 100.0000000002}).tags


def test_collect_sum_of_nothing_is_null_whatever_the_default():
    rs = ruleset_from(NUMBERS)
    d = rs.evaluate({"id": "1", "arpu": 50.0})
    assert d.facts["bonus"] is None and "default" not in d.tags
    assert rs.evaluate({"id": "2", "arpu": 2000.0}).facts["bonus"] == 10


def test_points_are_summed_exactly():
    rs = ruleset_from("""\
        ruleset: points-exact
        version: 1.0.0
        rules:
          - id: spend
            then: {award: arpu}
          - id: last-month
            then: {award: arpu_prev}
          - id: loyalty
            then: {award: {points: tenure_months / 3}}
        """)
    d = rs.evaluate({"id": "1", "arpu": 0.1, "arpu_prev": 0.2, "tenure_months": 1})
    assert d.points == 0.6333333333 and d.awards[2] == ("loyalty", 0.3333333333)
    assert rs.evaluate({"id": "2", "arpu": 0.1, "arpu_prev": 0.2}).points == 0.3
    assert rs.evaluate({"id": "3", "tenure_months": 6}).points == 2


def test_fact_names_that_are_not_ascii_keep_their_own_variables():
    rs = ruleset_from("""\
        ruleset: names
        version: 1.0.0
        facts:
          ｓcore: {type: number}
        rules:
          - id: double
            then: {set: {ｓcore: arpu * 2}}
          - id: kept
            when: arpu == 100
            then: {tag: kept}
        """)
    assert rs.source.isascii()  # Python would read f_ｓcore as f_score
    d = rs.evaluate({"id": "1", "arpu": 100.0})
    assert d.facts["ｓcore"] == 200 and d.facts["arpu"] == 100 and d.tags == {"kept"}
