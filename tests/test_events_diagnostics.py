"""Mistakes in events:, points: and triggers: are diagnostics placed in the file (MR6xx), all at once."""

from __future__ import annotations

import textwrap

import pytest

from tests.conftest import load_errors

HEAD = """\
    ruleset: bad-events
    version: 1.0.0
    events:
      bill:
        attributes:
          amount: {type: number, ge: 0}
      trial_started:
        attributes: {service: {type: string}}
    rules:
      - {id: care, then: {offer: {rewards: [{bill_credit: 1}]}}}
      - {id: tagger, then: {tag: x}}
""".replace("\n    ", "\n").removeprefix("    ")


def errors_of(text: str):
    return load_errors(HEAD + textwrap.dedent(text))


def only(text: str):
    (diagnostic,) = errors_of(text).diagnostics
    return diagnostic


def test_mr601_unknown_event_type_with_a_hint():
    d = only("""\
    points:
      rules:
        - {id: p1, event: bil, points: 5}
    """)
    assert (d.code, d.rule, d.line, d.column, d.hint) == ("MR601", "p1", 14, 23, "did you mean 'bill'?")


@pytest.mark.parametrize("attribute, message", [
    ("arpu", "event attribute 'arpu' has the name of the input fact 'arpu'"),
    ("at", "event attribute 'at' is a key every event has"),
])
def test_mr602_attribute_clashes(attribute, message):
    errors = load_errors(HEAD.replace("amount: {type: number, ge: 0}", f"{attribute}: {{type: number}}"))
    (d,) = errors.diagnostics
    assert d.code == "MR602" and d.message == message and d.line == 6 and d.column == 7


def test_mr602_bound_name_clashes_with_the_second_events_attribute():
    d = only("""\
    triggers:
      - id: t
        event: bill
        bind: {amount: amount}
        followed_by: {event: bill, within: 2 weeks}
        recommend: {offer: care, channel: sms}
    """)
    assert (d.code, d.rule, d.line) == ("MR602", "t", 15) and d.hint == "choose another name, e.g. first_amount"


@pytest.mark.parametrize("window, message", [("45 dayz", "'45 dayz' is not a time window"),
                                             ("0 days", "the window '0 days' is empty")])
def test_mr603_bad_windows(window, message):
    d = only(f"""\
    triggers:
      - id: t
        event: bill
        followed_by: {{event: bill, within: {window}}}
        recommend: {{offer: care, channel: sms}}
    """)
    assert (d.code, d.message, d.line, d.column) == ("MR603", message, 15, 40)


@pytest.mark.parametrize("offer, message, hint", [
    ("tagger", "rule 'tagger' makes no offer", "the offers of this file are care"),
    ("car", "no rule 'car' makes an offer", "did you mean 'care'?"),
])
def test_mr604_recommend_an_offer(offer, message, hint):
    d = only(f"""\
    triggers:
      - id: t
        event: bill
        recommend: {{offer: {offer}, channel: sms}}
    """)
    assert (d.code, d.message, d.hint, d.line) == ("MR604", message, hint, 15)


def test_mr605_unknown_state():
    d = only("""\
    points:
      states:
        senior: {event: trial_started}
      rules:
        - {id: p, event: bill, points: 5, state: senoir}
    """)
    assert (d.code, d.rule, d.hint) == ("MR605", "p", "did you mean 'senior'?")


def test_mr606_unknown_attribute_in_per_and_bind():
    errors = errors_of("""\
    points:
      rules:
        - {id: p, event: bill, per: amout, points: 5}
    triggers:
      - id: t
        event: bill
        bind: {last: amont}
        followed_by: {event: bill, within: 2 weeks, when: amount < last}
        recommend: {offer: care, channel: sms}
    """)
    assert [(d.code, d.rule, d.hint) for d in errors.diagnostics] == [
        ("MR606", "p", "did you mean 'amount'?"), ("MR606", "t", "did you mean 'amount'?"),
        ("MR101", "t", None)]  # and so 'last' is unknown in the second condition


def test_conditions_are_type_checked_in_their_own_scope():
    errors = errors_of("""\
    points:
      rules:
        - {id: p, event: trial_started, when: amount > 1, points: "'five'"}
    triggers:
      - id: t
        event: bill
        when: sevice == 'x'
        recommend: {offer: care, channel: sms}
    """)
    # 'amount' is an attribute of bill, not of trial_started; 'sevice' is no attribute of bill
    assert [(d.code, d.rule) for d in errors.diagnostics] == [("MR101", "p"), ("MR103", "p"), ("MR101", "t")]


def test_an_unknown_channel_is_a_shape_error():
    d = only("""\
    triggers:
      - {id: t, event: bill, recommend: {offer: care, channel: fax}}
    """)
    assert d.code == "MR011" and "'outbound_call', 'sms', 'business_hall' or 'social'" in d.message


def test_bind_needs_a_second_event_and_followed_by_excludes_not_followed_by():
    errors = errors_of("""\
    triggers:
      - id: t1
        event: bill
        bind: {last: amount}
        recommend: {offer: care, channel: sms}
      - id: t2
        event: bill
        followed_by: {event: bill, within: 1 day}
        not_followed_by: {event: bill, within: 1 day}
        recommend: {offer: care, channel: sms}
    """)
    assert [(d.code, d.rule) for d in errors.diagnostics] == [("MR010", "t1"), ("MR010", "t2")]


def test_duplicate_ids_in_points_rules_and_triggers():
    errors = errors_of("""\
    points:
      rules:
        - {id: p, event: bill, points: 1}
        - {id: p, event: bill, points: 2}
    triggers:
      - {id: t, event: bill, recommend: {offer: care, channel: sms}}
      - {id: t, event: bill, recommend: {offer: care, channel: sms}}
    """)
    assert [d.code for d in errors.diagnostics] == ["MR206", "MR206"]
