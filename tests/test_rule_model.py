"""The typed rule format (model/ruleset.py): every kind of requirement and reward, each shorthand,
grants, awards and the access matrix, their shape errors in place, and the JSON Schema built from
the same models."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import marketing_rules as mr
from marketing_rules.model import ruleset as m
from marketing_rules.model.json_schema import rule_file_schema
from marketing_rules.versioning.registry import rule_files
from tests.conftest import ROOT, load_errors, ruleset_from

SHIPPED = sorted(rule_files(ROOT / "rulesets"))

HEAD = """\
ruleset: model-demo
version: 1.0.0
packages:
  gotone-188: {fee: 188}
services:
  lecture-hall: {class: semi-open, price: 30}
  golf-club: {class: semi-open, price: 200, prestore: 500, trial_days: 30}
"""

# kind -> (the value written in full, the value written alone or None, the term in the decision)
REQUIREMENTS: dict[str, tuple[Any, Any, dict[str, Any]]] = {
    "prestore": ({"amount": 300}, 300, {"amount": 300}),
    "guarantee": ({"monthly": 88, "months": 12}, None, {"monthly": 88, "months": 12}),
    "upgrade": ({"to": "gotone-188"}, "gotone-188", {"to": "gotone-188", "fee": 188}),
    "tenure": ({"months": 12}, 12, {"months": 12}),
    "business": ({"name": "VPN"}, "VPN", {"name": "VPN"}),
}
REWARDS: dict[str, tuple[Any, Any, dict[str, Any]]] = {
    "bill_credit": ({"amount": 50, "months": 3}, 50, {"amount": 50}),
    "voice_minutes": ({"amount": 100, "months": 2}, 100, {"amount": 100}),
    "data_mb": ({"amount": 1024, "months": 3}, 1024, {"amount": 1024}),
    "goods": ({"name": "保温杯", "value": 59}, "保温杯", {"name": "保温杯"}),
    "voucher": ({"amount": 20, "merchant": "联盟商家"}, 20, {"amount": 20}),
    "points": ({"amount": 500}, 500, {"amount": 500}),
    "handset": ({"model": "X1", "subsidy": 600}, "X1", {"model": "X1"}),
    "vas": ({"name": "彩铃", "months": 6}, "彩铃", {"name": "彩铃"}),
    "service": ({"service": "lecture-hall", "months": 1}, "lecture-hall", {"service": "lecture-hall"}),
}


def offer_file(requires: list[Any] | None = None, rewards: list[Any] | None = None) -> str:
    offer = {k: v for k, v in (("requires", requires), ("rewards", rewards)) if v is not None}
    rule = {"id": "offer", "when": "status == 'active'", "then": {"offer": offer}}
    return HEAD + yaml.safe_dump({"rules": [rule]}, allow_unicode=True, sort_keys=False)


def decided_terms(text: str, part: str) -> list[dict[str, Any]]:
    (offer,) = mr.load_ruleset("model.yaml", text=text).evaluate({"id": "1", "status": "active",
                                                                  "package_fee": 88}).offers
    return [dict(t) for t in getattr(offer, part)]


def check_schema(document: dict[str, Any]) -> None:
    jsonschema.validate(json.loads(json.dumps(document, default=str)), rule_file_schema())


# -- every member of the requirement and reward unions, in full and alone -------------------------
@pytest.mark.parametrize("kind", REQUIREMENTS)
def test_each_requirement_kind_in_full(kind: str) -> None:
    full, _, _ = REQUIREMENTS[kind]
    text = offer_file(requires=[{kind: full}])
    expected = {**full, "fee": 188} if kind == "upgrade" else full
    assert decided_terms(text, "requires") == [{"kind": kind, **expected}]
    check_schema(yaml.safe_load(text))


@pytest.mark.parametrize("kind", [k for k, (_, alone, _) in REQUIREMENTS.items() if alone is not None])
def test_each_requirement_shorthand_stands_for_the_main_parameter(kind: str) -> None:
    _, alone, decided = REQUIREMENTS[kind]
    text = offer_file(requires=[{kind: alone}])
    assert decided_terms(text, "requires") == [{"kind": kind, **decided}]
    check_schema(yaml.safe_load(text))


@pytest.mark.parametrize("kind", REWARDS)
def test_each_reward_kind_in_full_and_alone(kind: str) -> None:
    full, alone, decided = REWARDS[kind]
    assert decided_terms(offer_file(rewards=[{kind: full}]), "rewards") == [{"kind": kind, **full}]
    text = offer_file(rewards=[{kind: alone}])
    assert decided_terms(text, "rewards") == [{"kind": kind, **decided}]
    check_schema(yaml.safe_load(offer_file(rewards=[{kind: full}, {kind: alone}])))


def test_the_unions_list_every_kind_once() -> None:
    assert [k.kind_name() for k in m.REQUIREMENTS] == list(REQUIREMENTS)
    assert [k.kind_name() for k in m.REWARDS] == list(REWARDS)
    for kind in [*m.REQUIREMENTS, *m.REWARDS]:  # the tag of each member is its kind
        key = kind.kind_name()
        full = (REQUIREMENTS.get(key) or REWARDS[key])[0]
        assert type(m.Offer.model_validate({"requires" if kind in m.REQUIREMENTS else "rewards": [{key: full}]})
                    .model_dump(by_alias=True)) is dict


def test_amounts_may_be_expressions() -> None:
    text = offer_file(requires=[{"prestore": "arpu * 2"}], rewards=[{"bill_credit": {"amount": "round(arpu / 10)",
                                                                                    "months": 3}}])
    rs = mr.load_ruleset("model.yaml", text=text)
    (offer,) = rs.evaluate({"id": "1", "status": "active", "arpu": 123}).offers
    assert dict(offer.requires[0]) == {"kind": "prestore", "amount": 246}
    assert dict(offer.rewards[0]) == {"kind": "bill_credit", "months": 3, "amount": 12}


# -- shape errors of offers, in place ------------------------------------------------------------
def only_error(text: str) -> mr.Diagnostic:
    (diagnostic,) = load_errors(text).diagnostics
    return diagnostic


def place(text: str, snippet: str) -> tuple[int, int]:
    """Line and column (from 1) of ``snippet`` in the rules of ``text``."""
    offset = text.index(snippet, text.index("rules:" if "rules:" in text else "access:"))
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


def test_unknown_requirement_kind_is_placed_at_its_key_with_a_did_you_mean() -> None:
    text = offer_file(requires=[{"prestore": 100}, {"tenur": 12}])
    d = only_error(text)
    assert (d.code, d.message, d.hint) == ("MR011", "unknown requirement kind 'tenur'", "did you mean 'tenure'?")
    assert (d.line, d.column, d.rule) == (*place(text, "tenur:"), "offer")


def test_unknown_reward_kind_without_a_close_one_lists_the_kinds() -> None:
    text = offer_file(rewards=[{"coupon": 5}])
    d = only_error(text)
    assert (d.code, d.message) == ("MR011", "unknown reward kind 'coupon'")
    assert d.hint == "the reward kinds are " + ", ".join(REWARDS)
    assert (d.line, d.column) == place(text, "coupon")


def test_unknown_parameter_is_placed_at_its_key() -> None:
    text = offer_file(rewards=[{"bill_credit": {"amount": 5, "month": 2}}])
    d = only_error(text)
    assert (d.code, d.message, d.hint) == ("MR010", "'bill_credit' has no parameter 'month'", "did you mean 'months'?")
    assert (d.line, d.column) == place(text, "month:")


def test_guarantee_has_no_shorthand_and_needs_both_parameters() -> None:
    text = offer_file(requires=[{"guarantee": 88}])
    d = only_error(text)
    assert (d.code, d.message, d.line, d.column) == ("MR010", "'guarantee' needs monthly, months", *place(text, "88"))
    assert d.hint == "write guarantee: {monthly: ..., months: ...}"
    text = offer_file(requires=[{"guarantee": {"monthly": 88}}])
    d = only_error(text)
    assert (d.code, d.message, d.line, d.column) == ("MR010", "'guarantee' needs 'months'", *place(text, "monthly"))


def test_a_requirement_is_one_pair_and_requires_is_a_list() -> None:
    text = offer_file(requires=[{"prestore": 1, "tenure": 2}])
    d = only_error(text)
    assert (d.code, d.message, d.line, d.column) == ("MR010", "a requirement is one 'kind: value' pair",
                                                     *place(text, "prestore"))
    text = HEAD + "rules:\n  - id: offer\n    then:\n      offer: {requires: {prestore: 1}}\n"
    d = only_error(text)
    assert (d.code, d.message, d.line, d.column) == ("MR010", "requires takes a list of requirements",
                                                     *place(text, "{prestore: 1}"))


def test_a_parameter_of_the_wrong_type_is_a_shape_error() -> None:
    text = offer_file(requires=[{"prestore": [1, 2]}])
    d = only_error(text)
    assert (d.code, d.line, d.column) == ("MR011", *place(text, "- 1"))
    text = offer_file(rewards=[{"goods": {"name": {"a": 1}}}])
    d = only_error(text)
    assert (d.code, d.line, d.column) == ("MR011", *place(text, "a: 1"))


def test_offer_keys_modes_and_types() -> None:
    text = HEAD + textwrap.dedent("""\
        rules:
          - id: offer
            then:
              offer: {mode: gfit, type: care, requirs: []}
        """)
    got = {(d.code, d.message.split(":")[0], d.hint) for d in load_errors(text).diagnostics}
    assert got == {("MR011", "'gfit' is not allowed", "did you mean 'gift'?"),
                   ("MR010", "unknown key 'requirs'", "did you mean 'requires'?")}


# -- grants and awards ---------------------------------------------------------------------------
def test_grant_alone_in_full_and_listed() -> None:
    base = HEAD + "rules:\n  - id: g\n    then:\n      grant: "
    for grant, expected in (
        ("golf-club", {"golf-club": {"modes": ["free"]}}),
        ("{service: golf-club, mode: trial}", {"golf-club": {"modes": ["trial"], "trial_days": 30}}),
        ("{service: golf-club, mode: paid, price: 150}", {"golf-club": {"modes": ["paid"], "price": 150}}),
        ("[lecture-hall, {service: golf-club, mode: prestore}]",
         {"lecture-hall": {"modes": ["free"]}, "golf-club": {"modes": ["prestore"], "prestore": 500}}),
    ):
        d = mr.load_ruleset("g.yaml", text=base + grant + "\n").evaluate({"id": "1"})
        assert {k: v.as_dict() for k, v in d.access.items()} == expected, grant
        check_schema(yaml.safe_load(base + grant + "\n"))


def test_grant_shape_errors() -> None:
    base = HEAD + "rules:\n  - id: g\n    then:\n      grant: "
    text = base + "{service: golf-club, mode: trail}\n"
    d = only_error(text)
    assert (d.code, d.hint, d.line, d.column) == ("MR011", "did you mean 'trial'?", *place(text, "trail"))
    text = base + "[lecture-hall, {service: golf-club, days: 3}]\n"
    d = only_error(text)
    assert (d.code, d.message, d.line, d.column) == ("MR010", "unknown key 'days'", *place(text, "days"))
    assert d.hint == "the keys here are service, mode, price, prestore, trial_days"
    d = only_error(base + "{service: golf-club, prise: 3}\n")
    assert (d.code, d.hint) == ("MR010", "did you mean 'price'?")
    d = only_error(base + "{mode: trial}\n")
    assert (d.code, d.message) == ("MR010", "'service' is required here")
    d = only_error(base + "[golf]\n")
    assert (d.code, d.message, d.hint) == ("MR205", "unknown service 'golf'", "did you mean 'golf-club'?")


def test_award_alone_or_as_points() -> None:
    base = HEAD + "rules:\n  - id: a\n    then:\n      award: "
    for award in ("100", "'arpu / 2'", "{points: 100}"):
        rs = mr.load_ruleset("a.yaml", text=base + award + "\n")
        assert rs.evaluate({"id": "1", "arpu": 200}).points == 100
    got = {(d.code, d.message, d.hint) for d in load_errors(base + "{point: 5}\n").diagnostics}
    assert got == {("MR010", "unknown key 'point'", "did you mean 'points'?"), ("MR010", "'points' is required here", None)}
    text = base + "'status'\n"
    d = only_error(text)
    assert (d.code, d.line, d.column) == ("MR103", *place(text, "'status'"))


# -- the access matrix ---------------------------------------------------------------------------
ACCESS = HEAD + textwrap.dedent("""\
    facts:
      tier: {type: enum, values: [gold, silver]}
    tables:
      - id: tiers
        inputs: [arpu_3m]
        outputs: [tier]
        rows: [[">= 200", gold], ["-", silver]]
    access:
      by: tier
    """)


def test_access_modes_one_or_a_list() -> None:
    rs = mr.load_ruleset("a.yaml", text=ACCESS + "  gold: {semi-open: free}\n  silver: {semi-open: [paid, trial]}\n")
    assert rs.evaluate({"id": "1", "arpu_3m": 300}).access["golf-club"].modes == ("free",)
    silver = rs.evaluate({"id": "2", "arpu_3m": 100}).access["golf-club"]
    assert silver.as_dict() == {"modes": ["paid", "trial"], "price": 200, "trial_days": 30}
    rows = rs.file.access.rows() if rs.file.access else {}
    assert rows["gold"].modes() == {"semi-open": ("free",)}
    assert rs.file.model_dump(by_alias=True, exclude_defaults=True)["access"] == {
        "by": "tier", "gold": {"semi-open": "free"}, "silver": {"semi-open": ["paid", "trial"]}}


def test_access_shape_errors_keep_their_code() -> None:
    text = ACCESS + "  gold: {semi-open: fre, open: free}\n  silver: {open: [free], closed: free}\n"
    got = [(d.code, d.message, d.hint, d.line, d.column) for d in load_errors(text).diagnostics]
    assert got == [("MR207", "unknown mode 'fre'", "did you mean 'free'?", *place(text, "fre,")),
                   ("MR207", "unknown service class 'closed'", "the classes are restricted, semi-open, open",
                    *place(text, "closed"))]


# -- written back as written: fingerprints do not move --------------------------------------------
@pytest.mark.parametrize("path", SHIPPED, ids=[f"{p.parent.name}-{p.stem}" for p in SHIPPED])
def test_offers_grants_awards_and_access_are_written_back_as_written(path: Path) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    dumped = mr.load_ruleset(path).file.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    assert dumped.get("access") == raw.get("access")
    for rule, written in zip(dumped.get("rules", []), raw.get("rules", [])):
        for part in ("grant", "award"):
            assert rule["then"].get(part) == written["then"].get(part)
        offer = written["then"].get("offer")
        if offer is not None:
            for part in ("requires", "rewards"):
                assert rule["then"]["offer"].get(part) == offer.get(part)


def test_a_shorthand_written_in_full_has_another_fingerprint() -> None:
    alone = ruleset_from(offer_file(requires=[{"prestore": 300}]))
    full = ruleset_from(offer_file(requires=[{"prestore": {"amount": 300}}]))
    assert alone.fingerprint != full.fingerprint
    assert alone.fingerprint == ruleset_from(offer_file(requires=[{"prestore": 300}])).fingerprint


# -- the JSON Schema, from the same models -------------------------------------------------------
@pytest.mark.parametrize("path", SHIPPED, ids=[f"{p.parent.name}-{p.stem}" for p in SHIPPED])
def test_schema_accepts_every_shipped_ruleset(path: Path) -> None:
    check_schema(yaml.safe_load(path.read_text(encoding="utf-8")))


BAD_FOR_SCHEMA = {
    "unknown requirement kind": offer_file(requires=[{"tenur": 12}]),
    "two kinds in one requirement": offer_file(requires=[{"prestore": 1, "tenure": 2}]),
    "guarantee alone": offer_file(requires=[{"guarantee": 88}]),
    "guarantee without months": offer_file(requires=[{"guarantee": {"monthly": 88}}]),
    "unknown parameter": offer_file(rewards=[{"bill_credit": {"amount": 5, "month": 2}}]),
    "a list as an amount": offer_file(requires=[{"prestore": [1]}]),
    "unknown offer key": HEAD + "rules:\n  - id: o\n    then: {offer: {requirs: []}}\n",
    "unknown offer mode": HEAD + "rules:\n  - id: o\n    then: {offer: {mode: gfit}}\n",
    "unknown grant mode": HEAD + "rules:\n  - id: g\n    then: {grant: {service: golf-club, mode: trail}}\n",
    "unknown grant term": HEAD + "rules:\n  - id: g\n    then: {grant: {service: golf-club, days: 3}}\n",
    "award with another key": HEAD + "rules:\n  - id: a\n    then: {award: {point: 5}}\n",
    "unknown access mode": ACCESS + "  gold: {semi-open: fre}\n",
    "unknown service class": ACCESS + "  gold: {closed: free}\n",
    "access row not a mapping": ACCESS + "  gold: free\n",
}


@pytest.mark.parametrize("name", BAD_FOR_SCHEMA)
def test_schema_rejects_what_the_loader_rejects_in_shape(name: str) -> None:
    text = BAD_FOR_SCHEMA[name]
    with pytest.raises(jsonschema.ValidationError):
        check_schema(yaml.safe_load(text))
    assert load_errors(text).codes[0] in ("MR010", "MR011", "MR207")


def test_schema_lists_the_kinds_and_their_shorthands() -> None:
    defs = rule_file_schema()["$defs"]
    prestore, guarantee = defs["Requirement"]["oneOf"][:2]
    assert "anyOf" in prestore["properties"]["prestore"]  # a number alone, or {amount}
    assert guarantee["properties"]["guarantee"]["required"] == ["monthly", "months"]
    assert [next(iter(o["properties"])) for o in defs["Reward"]["oneOf"]] == list(REWARDS)
