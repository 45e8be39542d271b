"""``marketing-rules demo``: the shipped rulesets over a synthetic city, summarised for a reader.

The city is seeded (the same every run) and shaped by the plan's own shares (DOMAIN.md): market
segments, spend and tenure bands, VIP cards that follow spend. Every shipped ruleset in force on
the demo date decides every customer; the summary shows how customers are layered, which offers
each segment receives, who receives none, and one refusal explained.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import Counter
from typing import Any

import click

import marketing_rules as mr
from marketing_rules.shipped import rulesets_dir
from marketing_rules.synthetic import customers

DEMO_DATE = dt.date(2026, 11, 22)


def run_demo(count: int, seed: int, path: str | None = None, day: dt.date = DEMO_DATE) -> int:
    if path:
        rulesets = [mr.load_ruleset(path)]
    else:
        registry = mr.Registry(rulesets_dir())
        rulesets = [registry.get(ruleset_id, at=day) for ruleset_id in registry.ids()]
    city = list(customers(count, seed))
    click.echo(f"a synthetic city of {count:,} customers (seed {seed}); rulesets in force on {day.isoformat()}")
    for rs in rulesets:
        _summarise(rs, city)
    explained = next((rs for rs in rulesets if rs.id == "gotone-vip"), rulesets[0])
    _explain_one(explained, city)
    return 0


def _summarise(rs: mr.Ruleset, city: list[dict[str, Any]]) -> None:
    with click.progressbar(city, label=f"{rs.id} {rs.version}", show_pos=True, file=sys.stderr) as bar:
        started = time.perf_counter()
        decisions = [rs.evaluate(c) for c in bar]
        seconds = time.perf_counter() - started
    say = click.echo
    say(f"\n== {rs.id} {rs.version}: {rs.title}")
    say(f"   decided in {seconds:.2f} s, {seconds / max(len(city), 1) * 1e6:.1f} µs per customer, "
        f"fingerprint {rs.fingerprint}")
    layer = next((name for name, kind in rs.program.derived.items() if kind.kind == "enum"), None)
    if layer is not None:
        counts = Counter(d.facts[layer] for d in decisions)
        shares = ", ".join(f"{value} {counts[value] / len(city):.1%}" for value in rs.program.derived[layer].values
                           if counts[value])
        say(f"   {layer}: {shares}")
    offers = Counter(o.id for d in decisions for o in d.offers)
    segments = sorted({c.get("segment") or "unknown" for c in city})
    by_segment: dict[str, Counter[str]] = {s: Counter() for s in segments}
    for person, decision in zip(city, decisions):
        by_segment[person.get("segment") or "unknown"].update(o.id for o in decision.offers)
    if offers:
        say("   " + "offer".ljust(30) + "".join(s.rjust(11) for s in segments) + "total".rjust(9))
        for offer, total in offers.most_common(12):
            say(f"   {offer:<30}" + "".join(f"{by_segment[s][offer]:>11,}" for s in segments) + f"{total:>9,}")
        if len(offers) > 12:
            say(f"   ... and {len(offers) - 12} more offers")
    none = [d for d in decisions if not d.offers]
    active = sum(1 for d in none if d.facts.get("status") == "active")
    say(f"   customers with no offer: {len(none):,} ({len(none) / len(city):.1%}), of whom {active:,} active")


def _explain_one(rs: mr.Ruleset, city: list[dict[str, Any]]) -> None:
    """One active customer refused an offer whose numbers could grow into it: why, and by how much."""
    for target in (r.id for r in rs.program.rules if r.offer is not None):
        for customer in city[:500]:
            if customer.get("status") != "active" or target in {o.id for o in rs.evaluate(customer).offers}:
                continue
            remedy = rs.what_would_it_take(customer, target)
            if remedy.possible and all(float(c.after) > float(c.before or 0) for c in remedy.changes):
                click.echo(f"\n== why not? customer {customer['id']} and {rs.id} offer '{target}'")
                click.echo(str(rs.explain(customer, target)))
                click.echo(f"what would it take: {remedy}")
                return
