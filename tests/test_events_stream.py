"""mr.Stream: triggers on durable_rules, wrapped (SPEC section 7).

Single events, sequences, absences; event time and lateness; replay equals live posting; isolated
state per stream and version; nothing raises for an event that matches nothing; memory stays flat
(facts retracted); threads."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.events.stream import _fnv1, _shard_names
from tests.conftest import ROOT, ruleset_from

DEMO = """\
    ruleset: stream-demo
    version: 1.0.0
    constants:
      drop: 0.7
    events:
      bill:
        attributes:
          amount: {type: number, ge: 0, required: true}
      trial_started:
        attributes: {service: {type: string, required: true}}
      convert_paid:
        attributes: {service: {type: string, required: true}}
      month_start:
        attributes: {month: {type: integer, ge: 1, le: 12}}
    rules:
      - {id: care, when: "status == 'active'", then: {offer: {rewards: [{voice_minutes: 100}]}}}
      - {id: keep, when: "status == 'active'", then: {offer: {rewards: [{bill_credit: 10}]}}}
      - {id: gift, when: birthday_month is not null, then: {offer: {rewards: [{goods: cake}]}}}
    triggers:
      - id: spend-drop
        title: a bill more than 30% below the last one
        event: bill
        bind: {last_bill: amount}
        followed_by:
          event: bill
          within: 45 days
          when: amount < last_bill * drop and status == 'active'
        recommend: {offer: care, channel: outbound_call}
      - id: trial-not-converted
        event: trial_started
        bind: {trial_service: service}
        not_followed_by:
          event: convert_paid
          within: 30 days
          when: service == trial_service
        recommend: {offer: keep, channel: outbound_call}
      - id: birthday
        event: month_start
        when: month == birthday_month
        recommend: {offer: gift, channel: sms}
    """
RS = ruleset_from(DEMO)
ACTIVE = {"status": "active", "birthday_month": 3}


def bill(at: str, amount: float) -> dict:
    return {"type": "bill", "at": at, "amount": amount}


def posted(stream: mr.Stream, customer: str, events: list[dict]) -> list[tuple[str, str, str]]:
    return [(r.customer, r.trigger, r.at.isoformat()) for e in events for r in stream.post(customer, e)]


# -- the three kinds of trigger ------------------------------------------------------------------------
def test_single_event_trigger_reads_the_event_and_the_customer():
    with mr.Stream(RS) as stream:
        stream.set_customer("1", ACTIVE)
        assert stream.post("1", {"type": "month_start", "at": "2027-02-01", "month": 2}) == []
        (rec,) = stream.post("1", {"type": "month_start", "at": "2027-03-01", "month": 3})
    assert (rec.customer, rec.trigger, rec.offer, rec.channel) == ("1", "birthday", "gift", "sms")
    assert rec.at == dt.datetime(2027, 3, 1) and rec.events == ({"type": "month_start", "at": "2027-03-01T00:00:00",
                                                                  "month": 3},)
    assert rec.as_dict()["offer_title"] == "gift"


def test_sequence_pairs_each_bill_with_the_last_within_the_window():
    with mr.Stream(RS) as stream:
        stream.set_customer("1", ACTIVE)
        got = posted(stream, "1", [bill("2027-01-01", 100), bill("2027-02-01", 70), bill("2027-03-01", 48.99),
                                   bill("2027-05-01", 10)])
    # 70 is exactly 70% of 100 (no drop), 48.99 < 49, and May is more than 45 days after March
    assert got == [("1", "spend-drop", "2027-03-01T00:00:00")]


def test_a_completed_pair_uses_up_its_partners():
    with mr.Stream(RS) as stream:
        stream.set_customer("1", ACTIVE)
        got = posted(stream, "1", [bill("2027-01-01", 100), bill("2027-01-10", 90), bill("2027-01-20", 10),
                                   bill("2027-01-30", 5)])
    # the 10 completes with both earlier bills (one recommendation); the 5 pairs with the 10 only
    assert got == [("1", "spend-drop", "2027-01-20T00:00:00"), ("1", "spend-drop", "2027-01-30T00:00:00")]


def test_the_closest_partner_is_reported():
    with mr.Stream(RS) as stream:
        stream.set_customer("1", ACTIVE)
        stream.post("1", bill("2027-01-01", 100))
        stream.post("1", bill("2027-01-10", 90))
        (rec,) = stream.post("1", bill("2027-01-20", 10))
    assert [e["at"] for e in rec.events] == ["2027-01-10T00:00:00", "2027-01-20T00:00:00"]


def test_sequences_never_join_two_customers():
    with mr.Stream(RS, shards=1) as stream:  # one durable_rules session: the join on the customer decides
        for customer in ("1", "2"):
            stream.set_customer(customer, ACTIVE)
        assert stream.post("1", bill("2027-01-01", 100)) == []
        assert stream.post("2", bill("2027-01-02", 10)) == []
        assert [r.customer for r in stream.post("1", bill("2027-01-03", 10))] == ["1"]


def test_absence_fires_when_the_window_closes_without_the_expected_event():
    with mr.Stream(RS) as stream:
        assert posted(stream, "1", [{"type": "trial_started", "at": "2027-03-01", "service": "music"},
                                    {"type": "trial_started", "at": "2027-03-02", "service": "video"},
                                    {"type": "convert_paid", "at": "2027-03-20", "service": "music"}]) == []
        assert stream.stats()["open_absences"] == 1
        # exactly at the deadline the window is still open; a microsecond later it has closed
        assert stream.advance("2027-04-01T00:00:00") == []
        (rec,) = stream.advance("2027-04-01T00:00:00.000001")
        assert (rec.trigger, rec.offer, rec.at) == ("trial-not-converted", "keep", dt.datetime(2027, 4, 1))
        assert rec.events[0]["service"] == "video"
        assert stream.advance("2028-01-01") == [] and stream.stats() == {"facts": 0, "open_absences": 0,
                                                                         "customers": 0}


def test_an_expected_event_at_the_deadline_still_counts_and_after_it_does_not():
    with mr.Stream(RS) as stream:
        stream.post("1", {"type": "trial_started", "at": "2027-03-01", "service": "music"})
        assert stream.post("1", {"type": "convert_paid", "at": "2027-03-31", "service": "music"}) == []
        assert stream.advance("2028-01-01") == []
    with mr.Stream(RS) as stream:
        stream.post("2", {"type": "trial_started", "at": "2027-03-01", "service": "music"})
        got = stream.post("2", {"type": "convert_paid", "at": "2027-03-31T00:00:01", "service": "music"})
    assert [(r.customer, r.trigger) for r in got] == [("2", "trial-not-converted")]


def test_another_customers_event_moves_the_clock():
    with mr.Stream(RS) as stream:
        stream.post("1", {"type": "trial_started", "at": "2027-03-01", "service": "music"})
        got = stream.post("2", {"type": "page_view", "at": "2027-04-02"})  # a type no trigger reads
    assert [(r.customer, r.trigger) for r in got] == [("1", "trial-not-converted")]


# -- event time ------------------------------------------------------------------------------------------
def test_late_events_raise_and_lateness_accepts_them():
    with mr.Stream(RS) as stream:
        stream.post("1", bill("2027-03-01", 100))
        with pytest.raises(mr.LateEventError) as caught:
            stream.post("1", bill("2027-02-01", 100))
        assert caught.value.errors[0]["field"] == "at" and "lateness" in str(caught.value)
        assert stream.advance("2027-01-01") == []  # the clock never goes back
    with mr.Stream(RS, lateness=dt.timedelta(days=40)) as stream:
        stream.set_customer("1", ACTIVE)
        stream.post("1", bill("2027-03-01", 10))
        got = stream.post("1", bill("2027-02-01", 100))  # late, but within the lateness: pairs by time
    assert [(r.trigger, r.at) for r in got] == [("spend-drop", dt.datetime(2027, 3, 1))]


def test_invalid_events_raise_event_error_with_fields():
    with mr.Stream(RS) as stream:
        with pytest.raises(mr.EventError) as caught:
            stream.post("1", {"type": "bill", "at": "2027-03-01", "amount": "lots"})
        assert caught.value.errors[0]["field"] == "amount"
        with pytest.raises(mr.EventError, match="amount: is required"):
            stream.post("1", {"type": "bill", "at": "2027-03-01"})
        with pytest.raises(mr.EventError, match="at: is not an ISO timestamp"):
            stream.post("1", {"type": "bill", "at": "yesterday", "amount": 1})
        with pytest.raises(mr.EventError, match="type: is required"):
            stream.post("1", {"at": "2027-03-01"})


def test_timestamps_with_a_zone_are_taken_in_utc():
    with mr.Stream(RS) as stream:
        stream.set_customer("1", ACTIVE)
        stream.post("1", bill("2027-01-01T08:00:00+08:00", 100))
        (rec,) = stream.post("1", bill(dt.datetime(2027, 1, 5, tzinfo=dt.UTC).isoformat(), 1))
    assert rec.events[0]["at"] == "2027-01-01T00:00:00"


# -- wrapped: nothing raises for nothing, isolation, memory --------------------------------------------------
def test_events_that_match_nothing_raise_nothing():
    with mr.Stream(RS) as stream:
        assert stream.post("1", {"type": "unknown_type", "at": "2027-01-01"}) == []
        assert stream.post("1", {"type": "month_start", "at": "2027-01-02", "month": 5}) == []  # no customer
        assert stream.post("1", {"type": "month_start", "at": "2027-01-03"}) == []  # no month
        assert stream.stats()["facts"] == 0


def test_a_ruleset_without_triggers_streams_nothing():
    rs = mr.load_ruleset(ROOT / "rulesets" / "experience-club" / "1.1.0.yaml")
    with mr.Stream(rs) as stream:
        assert stream.post("1", {"type": "trial_used", "at": "2027-01-01", "service": "x"}) == []


def test_each_stream_and_each_version_has_its_own_state():
    v2 = ruleset_from(DEMO.replace("version: 1.0.0", "version: 1.1.0").replace("drop: 0.7", "drop: 0.5"))
    a, b, c = mr.Stream(RS), mr.Stream(RS), mr.Stream(v2)
    assert len({a.name, b.name, c.name}) == 3
    for stream in (a, b, c):
        stream.set_customer("1", ACTIVE)
    a.post("1", bill("2027-01-01", 100))
    c.post("1", bill("2027-01-01", 100))
    assert b.post("1", bill("2027-01-10", 60)) == []  # b never saw the first bill
    assert [r.trigger for r in a.post("1", bill("2027-01-10", 60))] == ["spend-drop"]
    assert c.post("1", bill("2027-01-10", 60)) == []  # version 1.1.0 needs a 50% drop
    for stream in (a, b, c):
        stream.close()
    with pytest.raises(RuntimeError, match="closed"):
        a.post("1", bill("2027-02-01", 1))


def test_shard_sessions_have_distinct_durable_hashes():
    names = _shard_names(1000)
    assert len({_fnv1(n) for n in names}) == 1000
    with pytest.raises(ValueError, match="shards"):
        mr.Stream(RS, shards=2000)


def _history(seed: int, customers: int, events: int) -> list[tuple[str, dict]]:
    rng = random.Random(seed)
    start = dt.datetime(2027, 1, 1)
    out = []
    for i in range(events):
        customer = str(rng.randrange(customers))
        at = (start + dt.timedelta(hours=6 * i, minutes=rng.randrange(300))).isoformat()
        kind = rng.choice(["bill", "bill", "trial_started", "convert_paid", "month_start", "noise"])
        event = {"type": kind, "at": at}
        if kind == "bill":
            event["amount"] = rng.choice([100.0, 70.0, 69.99, 10.0, round(rng.uniform(0, 150), 2)])
        elif kind in ("trial_started", "convert_paid"):
            event["service"] = rng.choice(["music", "video"])
        elif kind == "month_start":
            event["month"] = rng.randint(1, 12)
        out.append((customer, event))
    return out


def test_memory_stays_flat_facts_are_retracted():
    history = _history(1, customers=50, events=4000)
    with mr.Stream(RS) as stream:
        for customer in range(50):
            stream.set_customer(str(customer), ACTIVE)
        peak = 0
        for i, (customer, event) in enumerate(history):
            stream.post(customer, event)
            if i > 1000:
                peak = max(peak, stream.stats()["facts"])
        stream.advance("2040-01-01")
        assert stream.stats()["facts"] == 0 and stream.stats()["open_absences"] == 0
    # at most about one bill per customer in a 45-day window, and the open trials of 30 days
    assert peak < 150


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(1, 8))
def test_replaying_a_history_gives_what_live_posting_gave(seed, customers):
    history = _history(seed, customers, 120)
    runs = []
    for _ in range(2):
        with mr.Stream(RS, shards=3) as stream:
            for customer in range(customers):
                stream.set_customer(str(customer), ACTIVE)
            got = [r.as_dict() for customer, event in history for r in stream.post(customer, event)]
            runs.append(got + [r.as_dict() for r in stream.advance("2030-01-01")])
    assert runs[0] == runs[1]


# -- threads ----------------------------------------------------------------------------------------------
def _per_customer(history: list[tuple[str, dict]]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for customer, event in history:
        out.setdefault(customer, []).append(event)
    return out


def test_one_stream_shared_by_threads_gives_the_sequential_recommendations():
    # four threads post four customers' histories at once; a generous lateness absorbs the interleaving
    events = _per_customer(_history(7, customers=4, events=800))
    lateness = dt.timedelta(days=400)

    def run(parallel: bool) -> set[tuple]:
        stream = mr.Stream(RS, lateness=lateness)
        for customer in events:
            stream.set_customer(customer, ACTIVE)
        found: list = []

        def post_all(customer: str) -> None:
            for event in events[customer]:
                found.extend(stream.post(customer, event))

        if parallel:
            threads = [threading.Thread(target=post_all, args=(c,)) for c in events]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for customer in events:
                post_all(customer)
        found.extend(stream.advance("2040-01-01"))
        stream.close()
        return {(r.customer, r.trigger, r.at) for r in found}

    assert run(parallel=True) == run(parallel=False) != set()


def test_one_stream_per_thread():
    history = _history(3, customers=5, events=300)
    results: dict[int, list] = {}

    def worker(n: int) -> None:
        with mr.Stream(RS) as stream:
            for customer in range(5):
                stream.set_customer(str(customer), ACTIVE)
            results[n] = [r.as_dict() for customer, event in history for r in stream.post(customer, event)]

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(r == results[0] for r in results.values())


# -- customers ---------------------------------------------------------------------------------------------
def test_customer_facts_come_from_set_customer_or_a_lookup_and_are_decided():
    rs = mr.load_ruleset(ROOT / "rulesets" / "gotone-vip" / "1.1.0.yaml")
    lookup = {"9": {"id": "9", "card": "gold", "arpu_3m": 300, "birthday_month": 6}}
    with mr.Stream(rs, customers=lookup.get) as stream:  # tier is derived by the ruleset
        event = {"type": "month_start", "at": "2027-06-01", "month": 6}
        assert [r.offer for r in stream.post("9", event)] == ["birthday-care"]
        assert stream.post("10", {**event, "at": "2027-06-02"}) == []  # unknown customer: facts are null
        stream.set_customer("9", {"card": "silver", "arpu_3m": 150, "birthday_month": 6})
        assert stream.post("9", {**event, "at": "2027-06-03"}) == []  # a silver tier has no birthday care
        stream.set_customer("9", None)  # forget: the lookup answers again
        assert len(stream.post("9", {**event, "at": "2027-06-04"})) == 1
    with mr.Stream(rs, customers=lookup) as stream:  # a mapping works too
        assert len(stream.post("9", {**event, "at": "2027-06-05"})) == 1


def _rss_mb() -> float:
    import os

    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.slow
def test_memory_stays_flat_over_100k_events():
    """bench/events_bench.py measures a million; here 100,000 bills of 2,000 customers (50 months)."""
    import gc

    rs = mr.load_ruleset(ROOT / "rulesets" / "stock-ops" / "1.2.0.yaml")
    rng = random.Random(5)
    amount = {str(c): 100.0 for c in range(2000)}
    with mr.Stream(rs) as stream:
        for customer in amount:
            stream.set_customer(customer, {"status": "active", "birthday_month": rng.choice([None, 4])})
        sizes, recommended = [], 0
        for month in range(50):
            base = dt.datetime(2027, 2, 1) + dt.timedelta(days=30 * month)
            for n, customer in enumerate(amount):
                a = amount[customer] * (0.5 if rng.random() < 0.03 else rng.uniform(0.95, 1.05))
                amount[customer] = a = round(max(a, 5.0), 2)
                event = {"type": "bill", "at": base + dt.timedelta(seconds=n), "amount": a}
                recommended += len(stream.post(customer, event))
            if month in (10, 49):
                gc.collect()
                sizes.append((_rss_mb(), stream.stats()["facts"]))
    (early_rss, early_facts), (late_rss, late_facts) = sizes
    assert recommended > 1000
    assert early_facts == late_facts <= 4000  # the last two bills of each customer, at most
    assert late_rss - early_rss < 8, sizes  # megabytes, from month 10 to month 50
