"""``marketing-rules demo``: a shipped ruleset over synthetic customers, summarised for a reader."""

from __future__ import annotations

import sys
import time
from collections import Counter

import click

import marketing_rules as mr
from marketing_rules.shipped import shipped_ruleset
from marketing_rules.synthetic import customers

DEFAULT = ("gotone-vip", "1.0.0")


def run_demo(count: int, seed: int, path: str | None = None) -> int:
    rs = mr.load_ruleset(path or shipped_ruleset(*DEFAULT))
    people = list(customers(count, seed))
    started = time.perf_counter()
    with click.progressbar(people, label="evaluating", show_pos=True, file=sys.stderr) as bar:
        decisions = [rs.evaluate(c) for c in bar]
    seconds = time.perf_counter() - started

    say = click.echo
    say(f"\n{rs.id} {rs.version} ({rs.title}), fingerprint {rs.fingerprint}")
    say(f"{count:,} synthetic customers (seed {seed}) decided in {seconds:.2f} s, "
        f"{seconds / max(count, 1) * 1e6:.1f} µs per customer\n")

    if "tier" in rs.program.derived:
        tiers = Counter(d.facts["tier"] for d in decisions)
        say("tier            customers    share")
        for tier in rs.program.derived["tier"].values:
            say(f"  {tier:<12} {tiers[tier]:>10,}  {tiers[tier] / count:>6.1%}")
        say("")

    offers = Counter(o.id for d in decisions for o in d.offers)
    by_segment: dict[str, Counter] = {}
    for person, decision in zip(people, decisions):
        by_segment.setdefault(person.get("segment") or "unknown", Counter()).update(o.id for o in decision.offers)
    segments = sorted(by_segment)
    say("offer".ljust(22) + "".join(s.rjust(12) for s in segments) + "total".rjust(10))
    for offer in sorted(offers, key=lambda o: -offers[o]):
        row = "".join(f"{by_segment[s][offer]:>12,}" for s in segments)
        say(f"  {offer:<20}{row}{offers[offer]:>10,}")
    none = [d for d in decisions if not d.offers]
    active_none = sum(1 for d in none if d.facts.get("status") == "active")
    say(f"\ncustomers with no offer: {len(none):,} ({len(none) / count:.1%}), of whom {active_none:,} active\n")

    sample = next((p for p, d in zip(people, decisions) if not d.offers and p.get("status") == "active"), people[0])
    offer_ids = [r.id for r in rs.program.rules if r.offer is not None]
    if offer_ids:
        target = offer_ids[0]
        say("why not? " + "-" * 60)
        say(str(rs.explain(sample, target)))
        say(f"what would it take: {rs.what_would_it_take(sample, target)}")
    return 0
