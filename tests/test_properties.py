"""Properties of the engine over large input spaces, checked with hypothesis."""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.expressions.evaluate import truth_of
from tests.conftest import ROOT
from tests.strategies import customers

GOTONE = mr.load_ruleset(ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _probe(expression: str, kind: str = "boolean") -> mr.Ruleset:
    text = ("ruleset: probe\nversion: 1.0.0\nfacts:\n  out: {type: " + kind + "}\nrules:\n"
            "  - id: probe\n    then:\n      set:\n        out: |-\n          " + expression + "\n")
    return mr.load_ruleset("probe.yaml", text=text)


# -- three-valued logic ------------------------------------------------------------------------
ATOMS = {  # expression text -> how a truth value is planted in the customer
    "uses_data": lambda v: {"uses_data": v},
    "uses_mms": lambda v: {"uses_mms": v},
    "arpu > 100": lambda v: {"arpu": None if v is None else (150.0 if v else 50.0)},
}


def _kleene_and(a, b):
    return False if False in (a, b) else (None if None in (a, b) else True)


def _kleene_or(a, b):
    return True if True in (a, b) else (None if None in (a, b) else False)


def _kleene_not(a):
    return None if a is None else not a


logic_trees = st.recursive(
    st.sampled_from(sorted(ATOMS)).map(lambda atom: (atom, lambda env, atom=atom: env[atom])),
    lambda inner: st.one_of(
        st.tuples(inner, inner).map(lambda p: (f"({p[0][0]}) and ({p[1][0]})",
                                               lambda env, p=p: _kleene_and(p[0][1](env), p[1][1](env)))),
        st.tuples(inner, inner).map(lambda p: (f"({p[0][0]}) or ({p[1][0]})",
                                               lambda env, p=p: _kleene_or(p[0][1](env), p[1][1](env)))),
        inner.map(lambda x: (f"not ({x[0]})", lambda env, x=x: _kleene_not(x[1](env)))),
    ),
    max_leaves=6,
)


@SETTINGS
@given(logic_trees)
def test_three_valued_logic_agrees_with_the_truth_table(tree):
    text, reference = tree
    rs = _probe(text)
    node = rs.program.rules[0].sets[0][1].node
    for values in itertools.product([True, False, None], repeat=len(ATOMS)):
        env = dict(zip(sorted(ATOMS), values))
        customer = {"id": "1"}
        for atom, value in env.items():
            customer.update(ATOMS[atom](value))
        expected = reference(env)
        assert rs.evaluate(customer).facts["out"] is expected, (text, env)
        assert truth_of(node, rs.validate(customer)) is expected


# -- compiled code against the reference interpreter ------------------------------------------
numbers = st.one_of(
    st.sampled_from(["arpu", "arpu_prev", "tenure_months", "balance", "voice_min"]),
    st.integers(0, 300).map(str),
    st.sampled_from(["0.1", "0.2", "0.3", "0.8", "1.2", "100", "125"]),
    st.decimals(0, 300, places=2).map(lambda d: format(d, "f")),
)
arithmetic = st.recursive(
    numbers,
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from("+-*/%"), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        st.tuples(st.sampled_from(["abs", "round", "floor", "ceil"]), inner).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, inner).map(lambda t: f"coalesce({t[0]}, {t[1]})"),
    ),
    max_leaves=4,
)
comparisons = st.tuples(arithmetic, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), arithmetic).map(
    lambda t: f"{t[0]} {t[1]} {t[2]}")
money_values = st.one_of(st.none(), st.sampled_from([0.0, 0.1, 0.2, 0.3, 99.99, 100.0, 125.0]),
                         st.decimals(0, 500, places=2).map(float))


@SETTINGS
@given(comparisons, st.fixed_dictionaries({
    "arpu": money_values, "arpu_prev": money_values, "tenure_months": st.one_of(st.none(), st.integers(0, 240)),
    "balance": st.one_of(st.none(), st.decimals(-50, 50, places=2).map(float)),
    "voice_min": st.one_of(st.none(), st.integers(0, 2000)),
}))
def test_compiled_conditions_agree_with_the_interpreter(condition, facts):
    rs = _probe(condition)
    customer = rs.validate({"id": "1", **facts})
    node = rs.program.rules[0].sets[0][1].node
    assert rs.evaluate(customer).facts["out"] is truth_of(node, customer), rs.source


@SETTINGS
@given(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), st.sampled_from(["0.8", "1.2", "0.1", "3", "0.3"]),
       st.one_of(st.decimals(-3, 3, places=1), st.decimals(-1000, 1000, places=2)), st.sampled_from([0, 0, 1, -1]),
       st.booleans())
@example("==", "3", Decimal("0.3"), 0, False)  # 0.3 * 3 is 0.8999999999999999 in floats
@example("==", "3", Decimal("-0.3"), 0, True)
def test_float_comparisons_decide_near_ties_exactly(op, factor, y, nudge, flip):
    """Facts against a product are compared in floats only when clearly apart, on both sides of zero."""
    rs = mr.load_ruleset("ties.yaml", text=(
        "ruleset: ties\nversion: 1.0.0\ninputs:\n  x: {type: number}\n  y: {type: number}\nfacts:\n"
        "  out: {type: boolean}\nrules:\n  - id: probe\n    then:\n      set:\n        out: "
        + (f"y * {factor} {op} x" if flip else f"x {op} y * {factor}") + "\n"))
    assert "_a :=" in rs.source  # the float comparison with its exact fallback
    x = (y * Decimal(factor)).quantize(Decimal("0.01")) + Decimal(nudge) / 100
    customer = rs.validate({"id": "1", "x": float(x), "y": float(y)})
    assert rs.evaluate(customer).facts["out"] is truth_of(rs.program.rules[0].sets[0][1].node, customer)


# -- tables, groups, determinism, explanations -------------------------------------------------
@SETTINGS
@given(st.lists(st.integers(0, 50), min_size=1, max_size=6), st.integers(-5, 60))
def test_first_hit_table_picks_the_first_matching_row(thresholds, value):
    rows = "\n".join(f'      - [">= {t}", {i}]' for i, t in enumerate(thresholds))
    rs = mr.load_ruleset("first.yaml", text=(
        "ruleset: first\nversion: 1.0.0\nfacts:\n  row: {type: integer}\ntables:\n  - id: t\n    hit: first\n"
        f"    inputs: [balance]\n    outputs: [row]\n    rows:\n{rows}\n"))
    expected = next((i for i, t in enumerate(thresholds) if value >= t), None)
    d = rs.evaluate({"id": "1", "balance": value})
    assert d.facts["row"] == expected
    assert [f for f in d.fired if f.startswith("t#")] == ([] if expected is None else [f"t#{expected + 1}"])


@SETTINGS
@given(customers())
def test_a_group_never_yields_two_offers(customer):
    d = GOTONE.evaluate(customer)
    groups = [o.group for o in d.offers if o.group]
    assert len(groups) == len(set(groups))


@SETTINGS
@given(customers())
def test_evaluation_is_deterministic(customer):
    again = mr.load_ruleset(ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml")
    assert GOTONE.evaluate(customer).as_dict() == again.evaluate(dict(customer)).as_dict()


@SETTINGS
@given(customers())
def test_explain_says_eligible_exactly_when_evaluate_offers(customer):
    offered = {o.id for o in GOTONE.evaluate(customer).offers}
    for rule in GOTONE.program.rules:
        if rule.offer is None:
            continue
        explanation = GOTONE.explain(customer, rule.id)
        assert explanation.eligible == (rule.id in offered)
        if not explanation.eligible and explanation.blocked_by is None:
            assert explanation.condition is not None and explanation.condition.result is not True
