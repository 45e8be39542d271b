"""``marketing-rules demo``: the shipped rulesets over a synthetic city, summarised for a reader.

The city is seeded (the same every run) and shaped like plan 001 (marketing_rules.synthetic).
First the newest stock-ops version types every customer, and the lifecycle-type shares are shown
beside the plan's table 2.2 with the total variation distance, then the distances of tables
2.3-2.8. Then every shipped ruleset in force on the demo date decides every customer; the summary
shows how customers are layered, which offers each segment receives, who receives none, and one
refusal explained.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections import Counter
from typing import Any

import click

import marketing_rules as mr
from marketing_rules import synthetic
from marketing_rules.i18n import _
from marketing_rules.pe import pad
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
    click.echo(_("a synthetic city of {count:,} customers (seed {seed}); rulesets in force on {date}", count=count,
                 seed=seed, date=day.isoformat()))
    stock_ops = mr.Registry(rulesets_dir()).versions("stock-ops")[-1]
    _print_shape(stock_ops, city)
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
    say("   " + _("decided in {seconds:.2f} s, {each:.1f} µs per customer, fingerprint {fingerprint}", seconds=seconds,
                  each=seconds / max(len(city), 1) * 1e6, fingerprint=rs.fingerprint))
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
        say("   " + pad(_("offer"), 30) + "".join(s.rjust(11) for s in segments) + pad(_("total"), 9, right=True))
        for offer, total in offers.most_common(12):
            say(f"   {offer:<30}" + "".join(f"{by_segment[s][offer]:>11,}" for s in segments) + f"{total:>9,}")
        if len(offers) > 12:
            say("   " + _("... and {count} more offers", count=len(offers) - 12))
    none = [d for d in decisions if not d.offers]
    active = sum(1 for d in none if d.facts.get("status") == "active")
    say("   " + _("customers with no offer: {count:,} ({share:.1%}), of whom {active:,} active", count=len(none),
                  share=len(none) / len(city), active=active))


def _explain_one(rs: mr.Ruleset, city: list[dict[str, Any]]) -> None:
    """One active customer refused an offer whose numbers could grow into it: why, and by how much."""
    for target in (r.id for r in rs.program.rules if r.offer is not None):
        for customer in city[:500]:
            if customer.get("status") != "active" or target in {o.id for o in rs.evaluate(customer).offers}:
                continue
            remedy = rs.what_would_it_take(customer, target)
            if remedy.possible and all(float(c.after) > float(c.before or 0) for c in remedy.changes):
                click.echo("\n== " + _("why not? customer {customer} and {ruleset} offer '{offer}'",
                                        customer=customer["id"], ruleset=rs.id, offer=target))
                click.echo(str(rs.explain(customer, target)))
                click.echo(_("what would it take: {remedy}", remedy=remedy))
                return


BAND_TABLES = (("2.4 spend", "spend_band", 201, synthetic.SPEND), ("2.5 voice", "voice_band", 301, synthetic.VOICE),
               ("2.6 data", "data_band", 401, synthetic.DATA), ("2.7 tenure", "tenure_band", 501, synthetic.TENURE))


def _tvd(a: dict[Any, float], b: dict[Any, float]) -> float:
    """Total variation distance in points between two distributions given as {key: share}."""
    return float(50 * sum(abs(a.get(k, 0) - b.get(k, 0)) for k in set(a) | set(b)))


def _norm(weights: dict[Any, float]) -> dict[Any, float]:
    total = sum(weights.values()) or 1
    return {k: v / total for k, v in weights.items()}


def city_shape(rs: mr.Ruleset, city: list[dict[str, Any]]) -> dict[str, Any]:
    """How the ruleset types the city against plan 001 tables 2.2-2.8 (distances in points).

    Only segmented customers (with a lifecycle type) count. Tables 2.4-2.7: the distance between
    the joint distributions of (type, band), the plan's being share(type) x row(type). Table 2.8:
    the largest distance of a segment's type mix. Table 2.3: the largest gap, in points, of a
    type's comprehensive or hard bundling rate.
    """
    rows = [(person, rs.evaluate(person).facts) for person in city]
    rows = [(p, f) for p, f in rows if f.get("lifecycle") is not None]
    kinds = Counter(str(f["lifecycle"]) for _, f in rows)
    shares = _norm(dict(kinds))
    plan = _norm(synthetic.TYPE_SHARES)
    shape: dict[str, Any] = {"typed": len(rows), "shares": shares, "2.2": _tvd(shares, plan)}
    for name, fact, base, table in BAND_TABLES:
        joint = _norm(dict(Counter((str(f["lifecycle"]), f.get(fact, base) - base) for _, f in rows)))
        expected = {(t, b): plan[t] * w for t in synthetic.TYPES for b, w in _norm(dict(enumerate(table[t]))).items()}
        shape[name.split()[0]] = _tvd(joint, expected)
    mixes = []
    for segment, mix in synthetic.SEGMENT_MIX.items():
        seen = _norm(dict(Counter(str(f["lifecycle"]) for p, f in rows if p.get("segment") == segment)))
        mixes.append(_tvd(seen, _norm(dict(zip(synthetic.TYPES, mix)))))
    shape["2.8"] = max(mixes)
    gaps = []
    for kind, (comprehensive, hard) in synthetic.BUNDLING.items():
        bundles = [p.get("bundle") for p, f in rows if str(f["lifecycle"]) == kind] or ["none"]
        gaps.append(abs(100 * sum(b != "none" for b in bundles) / len(bundles) - comprehensive))
        gaps.append(abs(100 * sum(b == "hard" for b in bundles) / len(bundles) - hard))
    shape["2.3"] = max(gaps)
    return shape


def _print_shape(rs: mr.Ruleset, city: list[dict[str, Any]]) -> None:
    shape = city_shape(rs, city)
    say = click.echo
    say("\n== " + _("the city against plan 001, typed by {ruleset} {version} ({count:,} segmented customers)",
                    ruleset=rs.id, version=rs.version, count=shape["typed"]))
    say("   " + _("lifecycle type      city    plan 2.2"))
    for kind in synthetic.TYPES:
        say(f"   {kind:<14}{shape['shares'].get(kind, 0):>10.2%}{synthetic.TYPE_SHARES[kind]:>10.2f}%")
    say("   " + _("total variation distance from table 2.2: {distance:.2f} points (goal <= 2)", distance=shape["2.2"]))
    distances = ", ".join(f"{t} {shape[t]:.2f}" for t in ("2.3", "2.4", "2.5", "2.6", "2.7", "2.8"))
    say("   " + _("per-type tables: {distances} points (goal <= 5; 2.3 the largest rate gap, 2.8 the largest "
                  "segment's distance)", distances=distances))
