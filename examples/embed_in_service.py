"""Embedding marketing_rules in a service: decide one customer per request.

A recommendation service keeps one Registry for the life of the process, picks the ruleset version
in force on the request's date, and answers with the offers, the service access and, when the
customer asked about an offer they did not get, the reason and what would qualify them.

    python examples/embed_in_service.py
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import marketing_rules as mr

RULESETS = Path(__file__).resolve().parent.parent / "rulesets"
REGISTRY = mr.Registry(RULESETS)  # load and check every version once, at start-up


def handle(request: dict) -> dict:
    """One request: {"customer": {...}, "date": "2026-11-22", "asked_about": "prestore-lecture"}."""
    day = dt.date.fromisoformat(request.get("date") or dt.date.today().isoformat())
    rs = REGISTRY.get("gotone-vip", at=day)
    try:
        decision = rs.evaluate(request["customer"])
    except mr.FactsError as error:
        return {"status": 400, "errors": list(error.errors)}
    answer = {
        "status": 200,
        "ruleset": f"{decision.ruleset} {decision.version}",
        "fingerprint": decision.fingerprint,
        "tier": decision.facts.get("tier"),
        "offers": [{"id": o.id, "title": o.title, "requires": [dict(r) for r in o.requires]} for o in decision.offers],
        "access": {service: list(a.modes) for service, a in decision.access.items()},
    }
    asked = request.get("asked_about")
    if asked and asked not in {o.id for o in decision.offers}:
        answer["why_not"] = rs.explain(request["customer"], asked).verdict
        answer["what_would_it_take"] = str(rs.what_would_it_take(request["customer"], asked))
    return answer


if __name__ == "__main__":
    customer = {"id": "13900000042", "card": "none", "arpu_3m": 112.5, "status": "active", "tenure_months": 8}
    print(json.dumps(handle({"customer": customer, "date": "2026-11-22", "asked_about": "prestore-lecture"}),
                     ensure_ascii=False, indent=2))
    print(json.dumps(handle({"customer": {"id": "x", "arpu_3m": -3}, "date": "2026-11-22"}), indent=2))

    rs = REGISTRY.get("gotone-vip", at=dt.date(2026, 11, 22))
    started, n = time.perf_counter(), 20_000
    for _ in range(n):
        rs.evaluate(customer)
    print(f"{(time.perf_counter() - started) / n * 1e6:.1f} µs per decision in process")
