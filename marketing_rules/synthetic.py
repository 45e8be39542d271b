"""Seeded synthetic customers for demos, examples and tests, shaped by the plan's own figures.

Shares follow DOMAIN.md: market segments (migrant workers, enterprise groups, campus, general),
spend bands centred on the city's 40-130 yuan mass with a high-value tail, tenure bands from
under three months to over ten years, and VIP cards that follow spend. The same seed always
gives the same customers, and the first k of n customers are the same for every n >= k.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

SEGMENTS = (("general", 50), ("migrant", 20), ("enterprise", 15), ("campus", 15))
BRANDS = (("gotone", 30), ("mzone", 30), ("easyown", 40))
TERMINALS = (("2g", 5), ("3g", 10), ("4g", 55), ("5g", 30))
BUNDLES = (("none", 60), ("soft", 25), ("hard", 15))
STATUSES = (("active", 92), ("suspended", 5), ("pre_cancel", 3))
PACKAGES = (("basic-38", 38, 30), ("gotone-88", 88, 25), ("gotone-128", 128, 20), ("gotone-188", 188, 15),
            ("gotone-288", 288, 10))
CLUB_LEVELS = (("none", 70), ("ordinary", 20), ("platinum", 8), ("diamond", 2))


def _pick(rng: random.Random, table: tuple[tuple[Any, ...], ...]) -> Any:
    values = [row[0] for row in table]
    weights = [row[-1] for row in table]
    return rng.choices(values, weights=weights)[0]


def customer(rng: random.Random, number: int) -> dict[str, Any]:
    """One customer with every fact of the telecom-customer schema."""
    high = rng.random() < 0.1
    arpu_3m = rng.uniform(120, 900) if high else rng.lognormvariate(math.log(60), 0.6)
    arpu_3m = round(min(arpu_3m, 2000.0), 2)
    trend = rng.random()
    factor = rng.uniform(0.95, 1.05) if trend < 0.7 else rng.uniform(0.5, 0.85) if trend < 0.85 else rng.uniform(1.2, 1.6)
    arpu_prev = round(arpu_3m * rng.uniform(0.9, 1.1), 2)
    arpu = round(arpu_prev * factor, 2)
    voice_prev = int(rng.lognormvariate(math.log(250), 0.9))
    data_prev = round(rng.lognormvariate(math.log(2000), 1.1), 1)
    if arpu_3m >= 300:
        card = _pick(rng, (("diamond", 35), ("gold", 35), ("silver", 20), ("none", 10)))
    elif arpu_3m >= 120:
        card = _pick(rng, (("gold", 20), ("silver", 40), ("none", 40)))
    else:
        card = _pick(rng, (("silver", 5), ("none", 95)))
    package, fee, _ = rng.choices(PACKAGES, weights=[p[2] for p in PACKAGES])[0]
    vas_types = min(12, int(rng.expovariate(0.6)))
    return {
        "id": f"139{number:08d}",
        "arpu": arpu,
        "arpu_prev": arpu_prev,
        "arpu_3m": arpu_3m,
        "voice_min": int(voice_prev * factor),
        "voice_min_prev": voice_prev,
        "data_mb": round(data_prev * rng.uniform(0.6, 1.4), 1),
        "data_mb_prev": data_prev,
        "sms": int(rng.expovariate(1 / 40)),
        "tenure_months": min(300, int(rng.expovariate(1 / 45))),
        "package": package,
        "package_fee": float(fee),
        "card": card,
        "brand": _pick(rng, BRANDS),
        "segment": _pick(rng, SEGMENTS),
        "bundle": _pick(rng, BUNDLES),
        "terminal": _pick(rng, TERMINALS),
        "vas_types": vas_types,
        "vas_subscriptions": min(vas_types, int(rng.expovariate(0.8))),
        "vas_arpu": round(rng.expovariate(1 / 8), 2) if vas_types else 0.0,
        "uses_data": data_prev > 0,
        "uses_mms": rng.random() < 0.3,
        "status": _pick(rng, STATUSES),
        "balance": round(rng.uniform(-20, 300), 2),
        "birthday_month": rng.randint(1, 12),
        "club_level": _pick(rng, CLUB_LEVELS),
    }


def customers(n: int, seed: int = 2026) -> Iterator[dict[str, Any]]:
    """``n`` synthetic customers, always the same for the same seed."""
    rng = random.Random(seed)
    for number in range(n):
        yield customer(rng, number)
