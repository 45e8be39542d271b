"""Points accrual (SPEC section 7): rs.accrue(customer, events) -> Statement.

The semantics one by one on small rule files, then the property: the shipped experience club's
coins equal a plain-Python reading of the plan (plan 003 篇章一 section 六) on random event histories."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from tests.conftest import ROOT, ruleset_from

BASE = """\
    ruleset: points-demo
    version: 1.0.0
    constants:
      per_download: 2
    events:
      download:
        attributes:
          service: {type: string}
          size_mb: {type: number, ge: 0}
      joined: {}
      payday: {}
    points:
      unit: coins
      states:
        member: {event: joined}
      rules:
    """


def points_rs(rules: str, multipliers: str = "") -> mr.Ruleset:
    text = BASE + "".join("      " + line + "\n" for line in rules.strip("\n").splitlines())
    if multipliers:
        text += "      multipliers:\n" + "".join("        " + line + "\n" for line in multipliers.strip("\n").splitlines())
    return ruleset_from(text)


def downloads(*services: str, day: int = 1, **attrs) -> list[dict]:
    return [{"type": "download", "at": dt.datetime(2027, 1, day + i, 12), "service": s, **attrs}
            for i, s in enumerate(services)]


def test_each_matching_event_earns_the_base_points_and_the_statement_reads_line_by_line():
    rs = points_rs("- {id: dl, title: per download, event: download, points: per_download}")
    statement = rs.accrue({"id": "1"}, downloads("a", "b"))
    assert statement.total == 4 and statement.pending == 0 and statement.unit == "coins"
    assert [(line.rule, line.base, line.factor, line.points) for line in statement.lines] == [("dl", 2, 1, 2)] * 2
    first = statement.lines[0]
    assert first.event == {"type": "download", "at": "2027-01-01T12:00:00", "service": "a"}
    assert first.credited == first.at == dt.datetime(2027, 1, 1, 12) and not first.pending
    text = str(statement)
    assert "coins for 1 (points-demo 1.0.0)" in text and "service=a" in text and "total 4 coins" in text
    assert statement.as_dict()["lines"][0]["points"] == 2


def test_points_are_expressions_over_the_event_and_the_customer_exact_decimals():
    rs = points_rs("- {id: dl, event: download, when: size_mb > 0, points: size_mb * 0.1 + tenure_months}")
    statement = rs.accrue({"id": "1", "tenure_months": 2}, downloads("a", "b", "c", size_mb=0.3)[:1]
                          + downloads("b", size_mb=None) + downloads("c", size_mb=12.5))
    assert [line.points for line in statement.lines] == [2.03, 3.25]  # 0.3 * 0.1 is 0.03 exactly
    assert statement.total == 5.28


def test_skip_the_first_n_events_per_value():
    rs = points_rs("- {id: dl, event: download, per: service, skip: 1, points: 2}")
    statement = rs.accrue({"id": "1"}, downloads("a", "a", "b", "a", "b"))
    assert [line.event["service"] for line in statement.lines] == ["a", "a", "b"]
    rs = points_rs("- {id: dl, event: download, skip: 2, points: 2}")  # without per: counted together
    assert len(rs.accrue({"id": "1"}, downloads("a", "b", "c", "d")).lines) == 2


def test_once_per_value_and_once_ever():
    rs = points_rs("- {id: dl, event: download, per: service, once: true, points: 5}")
    assert rs.accrue({"id": "1"}, downloads("a", "a", "b")).total == 10
    rs = points_rs("- {id: dl, event: download, once: true, points: 5}")
    assert rs.accrue({"id": "1"}, downloads("a", "a", "b")).total == 5


def test_cap_per_calendar_period_cuts_the_last_line():
    rs = points_rs("- {id: dl, event: download, points: 3, cap: {points: 7, period: month}}")
    events = downloads("a", "b", "c", "d", day=28)  # 28, 29, 30, 31 January, then...
    events += [{"type": "download", "at": "2027-02-01T09:00", "service": "e"}]
    statement = rs.accrue({"id": "1"}, events)
    assert [line.points for line in statement.lines] == [3, 3, 1, 3]  # the fourth January one earns nothing
    assert statement.lines[2].note == "capped: at most 7 a month" and statement.total == 10


@pytest.mark.parametrize("period, expected", [("day", 8), ("week", 5), ("year", 5)])
def test_cap_periods(period, expected):
    rs = points_rs(f"- {{id: dl, event: download, points: 3, cap: {{points: 5, period: {period}}}}}")
    events = [{"type": "download", "at": at, "service": "x"} for at in ("2027-01-04T10:00", "2027-01-04T11:00",
                                                                       "2027-01-05T10:00")]
    assert rs.accrue({"id": "1"}, events).total == expected


def test_state_reached_earlier_in_the_stream_gates_rules_and_multipliers():
    rs = points_rs("- {id: dl, event: download, state: member, points: 2}",
                   "- {id: member-double, state: member, events: [download], factor: 2}")
    events = downloads("a") + [{"type": "joined", "at": "2027-01-01T13:00"}] + downloads("b", day=2)
    statement = rs.accrue({"id": "1"}, events)
    assert [(line.event["service"], line.factor, line.multipliers) for line in statement.lines] == [
        ("b", 2, ("member-double",))]


def test_the_state_counts_for_later_events_only():
    rs = ruleset_from(BASE.replace("member: {event: joined}", "member: {event: download}") +
                      "      - {id: dl, event: download, points: 2}\n"
                      "      multipliers:\n        - {id: m, state: member, factor: 3}\n")
    assert [line.points for line in rs.accrue({"id": "1"}, downloads("a", "b")).lines] == [2, 6]


def test_multipliers_by_customer_facts_compose_by_product():
    rs = points_rs("- {id: dl, event: download, points: 5}",
                   "- {id: diamond, when: club_level == diamond, factor: 2}\n"
                   "- {id: platinum, when: club_level == platinum, factor: 1.5}\n"
                   "- {id: big, events: [download], when: size_mb > 100, factor: 1.5}")
    got = [line.points for line in rs.accrue({"id": "1", "club_level": "platinum"},
                                             downloads("a", size_mb=1000)).lines]
    assert got == [11.25]  # 5 x 1.5 x 1.5
    assert rs.accrue({"id": "1", "club_level": "diamond"}, downloads("a")).total == 10
    assert rs.accrue({"id": "1"}, downloads("a")).total == 5


def test_credit_holds_points_until_the_next_crediting_event():
    rs = points_rs("- {id: dl, event: download, points: 5, credit: payday}")
    events = downloads("a", "b") + [{"type": "payday", "at": "2027-01-10"}] + downloads("c", day=20)
    statement = rs.accrue({"id": "1"}, events)
    assert statement.total == 10 and statement.pending == 5
    assert [line.credited for line in statement.lines] == [dt.datetime(2027, 1, 10)] * 2 + [None]
    assert "(pending)" in str(statement) and "credited 2027-01-10" in str(statement)


def test_events_are_taken_in_time_order_and_unknown_types_are_ignored():
    rs = points_rs("- {id: dl, event: download, once: true, points: 5}")
    events = list(reversed(downloads("a", "b"))) + [{"type": "page_view", "at": "2027-01-01"}]
    (line,) = rs.accrue({"id": "1"}, events).lines
    assert line.event["service"] == "a"


def test_accrue_checks_the_customer_and_the_events():
    rs = points_rs("- {id: dl, event: download, points: 5}")
    with pytest.raises(mr.FactsError):
        rs.accrue({"id": "1", "club_level": "gold-ish"}, [])
    with pytest.raises(mr.EventError) as caught:
        rs.accrue({"id": "1"}, [{"type": "download", "at": "2027-01-01", "size_mb": -1}])
    assert caught.value.errors[0]["field"] == "size_mb"
    with pytest.raises(ValueError, match="has no points"):
        mr.load_ruleset(ROOT / "rulesets" / "experience-club" / "1.0.0.yaml").accrue({"id": "1"}, [])


# -- the property: the shipped coins equal a plain-Python reading of the plan ----------------------------
CLUB = mr.load_ruleset(ROOT / "rulesets" / "experience-club" / "1.1.0.yaml")
TYPES = ["trial_started", "trial_used", "referral", "download", "convert_paid", "incubation_end"]


def reference_coins(club_level: str | None, events: list[dict]) -> tuple[Decimal, Decimal]:
    """The plan's coin rules written out by hand: (credited, pending)."""
    level = {"diamond": Decimal(2), "platinum": Decimal("1.5")}.get(club_level or "", Decimal(1))
    credited, held = Decimal(0), Decimal(0)
    trial_customer = senior = converted = False
    trialled, referred, downloads_seen = set(), set(), {}
    for e in sorted(events, key=lambda e: e["at"]):
        kind = e["type"]
        if kind == "incubation_end":  # the services trialled turn into coins
            credited, held = credited + held, Decimal(0)
        elif kind == "trial_used" and e["service"] not in trialled:  # 5 per service trialled and used
            trialled.add(e["service"])
            held += 5 * level * (2 if senior else 1)
        elif kind == "referral" and e["referred"] not in referred:  # 5 per referred trial customer
            referred.add(e["referred"])
            credited += 5 * level * (2 if senior else 1)
        elif kind == "download" and trial_customer:  # every download but the first after becoming one
            downloads_seen[e["service"]] = downloads_seen.get(e["service"], 0) + 1
            if downloads_seen[e["service"]] > 1:
                credited += 2 * level
        elif kind == "convert_paid":
            if e.get("in_trial") and not converted:  # 20 coins, once, before the trial ends
                converted = True
                credited += 20 * level
        if kind == "trial_started":
            trial_customer = True
        if kind == "convert_paid":
            senior = True  # a senior member from now on
    return credited, held


event = st.builds(
    lambda kind, day, minute, service, referred, in_trial: {
        "type": kind, "at": dt.datetime(2027, 1, 1) + dt.timedelta(days=day, minutes=minute),
        **({"service": service} if kind in ("trial_started", "trial_used", "download", "convert_paid") else {}),
        **({"referred": referred} if kind == "referral" else {}),
        **({"in_trial": in_trial} if kind == "convert_paid" and in_trial is not None else {})},
    st.sampled_from(TYPES), st.integers(0, 90), st.integers(0, 1439), st.sampled_from(["music", "video", "game"]),
    st.sampled_from(["139001", "139002", "139003"]), st.sampled_from([True, False, None]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([None, "none", "ordinary", "platinum", "diamond"]),
       st.lists(event, max_size=30, unique_by=lambda e: e["at"]))
def test_club_coins_equal_the_plain_python_reference(club_level, events):
    statement = CLUB.accrue({"id": "1", "club_level": club_level}, events)
    credited, pending = reference_coins(club_level, events)
    assert (Decimal(str(statement.total)), Decimal(str(statement.pending))) == (credited, pending), str(statement)
