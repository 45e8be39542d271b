"""Seeded synthetic customers for demos, examples and tests: a city shaped like plan 001.

The city reproduces the stock-operations plan (plans/001-quanzhou-stock-operations-2021.txt):
table 2.2's shares of lifecycle types, and per type the distributions of tables 2.3-2.8
(bundling, spend, voice, data and tenure bands, market segment). The generator does not label
customers with a type: it writes the facts (this month against last month, status) from which
the stock-ops ruleset derives the type, so the ruleset types them in the plan's shares. Trend
factors keep clear of every shipped version's thresholds (rising > +20%, declining -10% to -25%
or -30%, warning beyond), and every customer meets the segmentation rule (two months in network,
billed this month).

Types and bands are drawn with low-discrepancy sequences (one per table), so that a city of a
few thousand customers already has the plan's shares; the same seed always gives the same
customers, and the first k of n customers are the same for every n >= k.

Where the plan is silent the generator chooses: the segment sizes (general 50%, migrant workers
20%, enterprise groups 15%, campus 15%; table 2.8 gives the type mix within each segment, and
the general segment takes the rest so that table 2.2 holds); the value within a band; cards,
packages and the other facts (half of the customers with a subscription took it on their own
initiative, experience-club's self_subscribed, drawn from a stream of its own). Two cells of the plan cannot be met by facts the ruleset reads: a
voice-rising customer with no voice (table 2.5, 22) and a data-rising customer with no data
(table 2.6, 23) go to the lowest band with usage.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

TYPES = ("1", "21", "22", "23", "3", "41", "42", "43", "5")
# table 2.2: share of each lifecycle type (%)
TYPE_SHARES = dict(zip(TYPES, (7.55, 16.82, 7.13, 7.70, 8.00, 9.10, 13.94, 14.40, 15.35)))
# table 2.3: comprehensive and hard bundling rates (%) per type
BUNDLING = {"1": (61.33, 26.99), "21": (67.53, 27.21), "22": (63.60, 25.15), "23": (79.48, 37.26),
            "3": (78.53, 34.62), "41": (48.74, 21.84), "42": (55.86, 23.91), "43": (71.51, 31.03),
            "5": (12.81, 2.75)}
# table 2.4: spend bands (yuan, arpu_3m), lower edge included
SPEND_EDGES = (1, 10, 20, 30, 40, 50, 60, 80, 100, 130, 180, 400)
SPEND = {
    "1": (8.58, 10.60, 16.45, 13.05, 9.52, 7.53, 9.39, 6.28, 7.31, 5.87, 5.43),
    "21": (4.31, 6.39, 16.44, 17.77, 14.22, 10.13, 11.91, 6.59, 6.06, 3.93, 2.24),
    "22": (2.16, 11.85, 20.08, 15.33, 10.79, 7.67, 9.38, 6.62, 8.58, 4.60, 2.92),
    "23": (0.71, 2.60, 8.40, 12.04, 10.95, 9.46, 13.52, 10.18, 13.28, 10.15, 8.72),
    "3": (1.29, 4.44, 7.47, 10.19, 10.78, 9.54, 13.97, 9.59, 13.10, 9.94, 9.68),
    "41": (5.84, 3.71, 6.03, 7.88, 7.12, 7.18, 12.93, 10.38, 16.12, 10.52, 12.29),
    "42": (1.61, 10.85, 16.54, 15.62, 11.95, 8.85, 11.02, 6.67, 7.09, 5.57, 4.23),
    "43": (1.20, 5.01, 11.97, 15.26, 12.51, 9.85, 12.69, 8.35, 9.94, 7.30, 5.92),
    "5": (7.67, 16.19, 18.63, 14.62, 9.87, 7.20, 9.50, 5.32, 6.79, 2.64, 1.57),
}
# table 2.5: voice bands (minutes this month); the first band is no voice at all
VOICE_EDGES = (0, 1, 30, 90, 160, 240, 340, 450, 600, 800, 1200, 2400)
VOICE = {
    "1": (20.59, 2.86, 5.09, 7.87, 9.18, 10.15, 9.02, 9.16, 8.27, 9.05, 8.77),
    "21": (5.04, 5.34, 10.01, 13.34, 13.78, 13.25, 10.35, 9.31, 7.50, 7.13, 4.95),
    "22": (6.59, 12.79, 14.78, 13.88, 12.40, 11.20, 8.38, 7.33, 5.49, 4.69, 2.48),
    "23": (2.91, 1.07, 3.94, 6.54, 8.75, 11.10, 10.96, 12.41, 12.47, 14.77, 15.09),
    "3": (2.94, 2.04, 4.12, 5.91, 8.01, 10.64, 10.89, 12.49, 12.44, 14.71, 15.82),
    "41": (5.39, 11.70, 7.78, 5.90, 7.37, 9.39, 9.49, 10.47, 9.86, 11.02, 11.63),
    "42": (0.00, 12.44, 12.53, 10.89, 10.82, 10.82, 8.90, 8.69, 7.79, 8.67, 8.46),
    "43": (3.85, 3.72, 7.76, 10.59, 11.61, 12.44, 10.68, 10.65, 9.58, 10.16, 8.97),
    "5": (19.67, 24.06, 15.16, 10.79, 8.61, 7.03, 4.79, 3.78, 2.65, 2.18, 1.29),
}
# table 2.6: data bands, the plan's KB bands scaled by 100 into MB as stock-ops reads them
DATA_EDGES = (0, 0.001, 1, 10, 100, 1000, 3000, 5000, 10000, 15000, 30000)
DATA = {
    "1": (54.07, 1.53, 1.89, 2.08, 4.60, 6.54, 6.92, 10.59, 5.58, 6.20),
    "21": (26.70, 7.48, 8.15, 7.27, 9.33, 11.38, 9.17, 11.75, 4.96, 3.81),
    "22": (37.75, 7.15, 6.57, 5.84, 7.42, 8.59, 6.87, 9.87, 4.84, 5.10),
    "23": (13.89, 13.05, 11.84, 9.48, 13.65, 13.32, 7.83, 9.58, 3.70, 3.66),
    "3": (23.38, 6.36, 6.39, 5.59, 9.67, 10.29, 9.18, 13.75, 7.16, 8.22),
    "41": (24.40, 7.00, 8.49, 9.31, 10.15, 8.98, 7.34, 10.66, 5.60, 8.08),
    "42": (24.90, 8.73, 9.27, 10.17, 9.53, 9.50, 7.46, 10.21, 4.89, 5.34),
    "43": (0.00, 12.99, 15.56, 14.21, 14.43, 11.18, 8.15, 10.47, 5.25, 7.76),
    "5": (43.46, 5.22, 5.98, 6.99, 9.91, 9.47, 5.97, 7.25, 2.83, 2.92),
}
# table 2.7: tenure bands (months); under 3 months starts at 2, the segmentation rule's floor
TENURE_EDGES = (2, 3, 6, 12, 24, 36, 60, 120, 300)
TENURE = {
    "1": (4.34, 4.25, 10.27, 16.15, 14.79, 18.19, 25.69, 6.31),
    "21": (7.54, 5.60, 12.38, 16.39, 14.25, 19.58, 20.50, 3.76),
    "22": (6.52, 5.28, 13.43, 17.12, 14.55, 17.36, 21.16, 4.59),
    "23": (4.83, 3.61, 6.84, 12.14, 12.42, 19.57, 31.63, 8.97),
    "3": (4.69, 3.77, 7.29, 13.26, 13.15, 20.51, 29.62, 7.71),
    "41": (13.79, 9.47, 13.73, 14.54, 11.84, 16.37, 16.78, 3.48),
    "42": (10.59, 8.58, 15.46, 17.46, 13.00, 15.36, 16.37, 3.17),
    "43": (6.76, 4.88, 9.08, 14.07, 13.42, 19.09, 26.27, 6.43),
    "5": (31.28, 15.14, 20.13, 16.42, 8.00, 5.82, 2.97, 0.24),
}
# table 2.8: the type mix (%) within migrant workers, enterprise groups and campus
SEGMENT_MIX = {
    "migrant": (3.96, 20.11, 5.31, 4.60, 4.44, 8.14, 14.50, 12.73, 26.22),
    "enterprise": (8.37, 18.28, 6.60, 10.45, 10.69, 9.87, 12.42, 17.15, 6.16),
    "campus": (5.52, 17.34, 5.71, 5.33, 7.95, 8.09, 23.72, 9.42, 16.90),
}
SEGMENTS = (("general", 50), ("migrant", 20), ("enterprise", 15), ("campus", 15))
BRANDS = (("gotone", 30), ("mzone", 30), ("easyown", 40))
TERMINALS = (("2g", 5), ("3g", 10), ("4g", 55), ("5g", 30))
PACKAGES = (("basic-38", 38, 30), ("gotone-88", 88, 25), ("gotone-128", 128, 20), ("gotone-188", 188, 15),
            ("gotone-288", 288, 10))
CLUB_LEVELS = (("none", 70), ("ordinary", 20), ("platinum", 8), ("diamond", 2))

# the trends each type needs, (spend, voice, data): s stable, r rising, d declining, w warning,
# n any but a warning, a anything; each type has one or more ways, taken in turn
TYPE_TRENDS = {
    "1": ("sss",), "21": ("rnn", "rss"), "22": ("srn", "srs"), "23": ("ssr",),
    "3": ("dnn", "sdn", "ssd"), "41": ("waa", "wss"), "42": ("swa", "sws"), "43": ("ssw", "nnw"),
    "5": ("aaa", "sss"),
}
FACTORS = {"s": (0.97, 1.03), "r": (1.3, 1.8), "d": (0.78, 0.87), "w": (0.3, 0.65)}
# irrational steps of the low-discrepancy sequences, one per table
STEPS = {"type": (math.sqrt(5) - 1) / 2, "spend": math.sqrt(2) % 1, "voice": math.sqrt(3) % 1,
         "data": math.sqrt(7) % 1, "tenure": math.sqrt(11) % 1, "segment": math.sqrt(13) % 1,
         "bundle": math.sqrt(17) % 1, "way": math.sqrt(19) % 1}


def segment_weights() -> dict[str, dict[str, float]]:
    """P(segment | type) from table 2.8 and the chosen segment sizes; general takes the rest."""
    size = {name: weight / 100 for name, weight in SEGMENTS}
    joint = {s: {t: size[s] * SEGMENT_MIX[s][i] / 100 for i, t in enumerate(TYPES)} for s in SEGMENT_MIX}
    joint["general"] = {t: TYPE_SHARES[t] / 100 - sum(joint[s][t] for s in SEGMENT_MIX) for t in TYPES}
    assert all(v >= 0 for v in joint["general"].values()), "segment sizes contradict table 2.8"
    return {t: {s: joint[s][t] / (TYPE_SHARES[t] / 100) for s in joint} for t in TYPES}


def _pick(rng: random.Random, table: tuple[tuple[Any, ...], ...]) -> Any:
    values = [row[0] for row in table]
    weights = [row[-1] for row in table]
    return rng.choices(values, weights=weights)[0]


def _quantile(u: float, weights: dict[Any, float] | tuple[float, ...]) -> Any:
    """The category at cumulative share u of the weights (a dict, or a tuple indexed by position)."""
    items = list(weights.items()) if isinstance(weights, dict) else list(enumerate(weights))
    total = sum(w for _, w in items)
    running = 0.0
    for key, weight in items:
        running += weight / total
        if u < running:
            return key
    return items[-1][0]


def _trend_of(now: Decimal, before: Decimal, warning: Decimal) -> str:
    if now > before * Decimal("1.2"):
        return "r"
    if now < before * warning:
        return "w"
    if now < before * Decimal("0.9"):
        return "d"
    return "s"


def _holds(now: float, before: float, trend: str) -> bool:
    """The trend as every shipped stock-ops version reads it (warning below 0.7 or 0.75)."""
    a, b = Decimal(str(now)), Decimal(str(before))
    return _trend_of(a, b, Decimal("0.75")) == trend and _trend_of(a, b, Decimal("0.7")) == trend


def _previous(rng: random.Random, now: float, trend: str, digits: int) -> float | None:
    """Last month's value so that now against it has the trend; None when no value can."""
    if now == 0:
        return 0.0 if trend == "s" else round(rng.uniform(5, 50), digits) if trend == "w" else None
    for _ in range(40):
        before = round(now / rng.uniform(*FACTORS[trend]), digits)
        if trend == "s" and rng.random() < 0.5:
            before = now
        if _holds(now, before, trend):
            return before
    return None


def _in_band(rng: random.Random, edges: tuple[float, ...], band: int, digits: int) -> float:
    low, high = edges[band], edges[band + 1]
    if low == 0 and edges[1] <= 1:
        return 0.0 if band == 0 else low
    value = round(rng.uniform(low, high), digits)
    return float(min(max(value, low), high - 10 ** -digits) if digits else min(max(int(value), low), high - 1))


class _City:
    """The sequence of customers: counters per type drive the per-type band sequences."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.offset = random.Random(f"city-{seed}").random()
        self.own = random.Random(f"own-{seed}")  # its own stream: the other facts stay as they were
        self.seen = dict.fromkeys(TYPES, 0)
        self.segments = segment_weights()

    def _u(self, table: str, index: int) -> float:
        return (self.offset + (index + 1) * STEPS[table]) % 1

    def customer(self, number: int) -> dict[str, Any]:
        kind = _quantile(self._u("type", number), TYPE_SHARES)
        j = self.seen[kind]
        self.seen[kind] += 1
        spend_band = _quantile(self._u("spend", j), SPEND[kind])
        voice_band = _quantile(self._u("voice", j), VOICE[kind])
        data_band = _quantile(self._u("data", j), DATA[kind])
        trends = self._trends(kind, j, (False, voice_band == 0, data_band == 0))
        tenure_band = _quantile(self._u("tenure", j), TENURE[kind])
        comprehensive, hard = BUNDLING[kind]
        u = self._u("bundle", j) * 100
        bundle = "hard" if u < hard else "soft" if u < comprehensive else "none"
        facts = self._usage(spend_band, voice_band, data_band, trends)
        facts["tenure_months"] = int(_in_band(self.rng, TENURE_EDGES, tenure_band, 0))
        facts["segment"] = _quantile(self._u("segment", j), self.segments[kind])
        facts["bundle"] = bundle
        facts["status"] = "pre_cancel" if kind == "5" else "suspended" if self.rng.random() < 0.03 else "active"
        return {"id": f"139{number:08d}", **facts, **self._profile(facts["arpu_3m"])}

    def _trends(self, kind: str, j: int, zero: tuple[bool, bool, bool]) -> list[str]:
        """One of the type's ways, preferring one a dimension with no usage can follow."""
        ways = TYPE_TRENDS[kind]
        fits = [w for w in ways if not any(z and c in "rd" for z, c in zip(zero, w))] or ways
        way = fits[int(self._u("way", j) * len(fits))]
        return [self._trend(code, z) for code, z in zip(way, zero)]

    def _trend(self, code: str, zero: bool) -> str:
        if code == "n":
            return "s" if zero else self.rng.choice("ssrd")
        if code == "a":
            return self.rng.choice("sw" if zero else "ssrdw")
        return code

    def _usage(self, spend_band: int, voice_band: int, data_band: int, trends: list[str]) -> dict[str, Any]:
        rng = self.rng
        arpu_3m = _in_band(rng, SPEND_EDGES, spend_band, 2)
        arpu = round(max(arpu_3m * rng.uniform(0.95, 1.05), 1.0), 2)
        arpu_prev = _previous(rng, arpu, trends[0], 2)
        voice_band = max(voice_band, 1) if trends[1] in "rd" else voice_band
        voice = int(_in_band(rng, VOICE_EDGES, voice_band, 0))
        voice_prev = _previous(rng, voice, trends[1], 0)
        while voice_prev is None:  # a few minutes cannot decline by 10-25%: more minutes, same band
            voice += 3
            voice_prev = _previous(rng, voice, trends[1], 0)
        data_band = max(data_band, 1) if trends[2] in "rd" else data_band
        data = _in_band(rng, DATA_EDGES, data_band, 3)
        data_prev = _previous(rng, data, trends[2], 3)
        return {"arpu": arpu, "arpu_prev": arpu_prev, "arpu_3m": arpu_3m, "voice_min": voice,
                "voice_min_prev": int(voice_prev), "data_mb": data, "data_mb_prev": data_prev}

    def _profile(self, arpu_3m: float) -> dict[str, Any]:
        rng = self.rng
        if arpu_3m >= 300:
            card = _pick(rng, (("diamond", 35), ("gold", 35), ("silver", 20), ("none", 10)))
        elif arpu_3m >= 120:
            card = _pick(rng, (("gold", 20), ("silver", 40), ("none", 40)))
        else:
            card = _pick(rng, (("silver", 5), ("none", 95)))
        package, fee, _ = rng.choices(PACKAGES, weights=[p[2] for p in PACKAGES])[0]
        vas_types = min(12, int(rng.expovariate(0.6)))
        profile = {
            "sms": int(rng.expovariate(1 / 40)),
            "package": package,
            "package_fee": float(fee),
            "card": card,
            "brand": _pick(rng, BRANDS),
            "terminal": _pick(rng, TERMINALS),
            "vas_types": vas_types,
            "vas_subscriptions": min(vas_types, int(rng.expovariate(0.8))),
            "vas_arpu": round(rng.expovariate(1 / 8), 2) if vas_types else 0.0,
            "uses_data": True,
            "uses_mms": rng.random() < 0.3,
            "balance": round(rng.uniform(-20, 300), 2),
            "birthday_month": rng.randint(1, 12),
            "club_level": _pick(rng, CLUB_LEVELS),
        }
        # 是否为主动定制 (plan 003 section 七): half of those with a subscription took it themselves
        profile["self_subscribed"] = profile["vas_subscriptions"] > 0 and self.own.random() < 0.5
        return profile


def customers(n: int, seed: int = 2026) -> Iterator[dict[str, Any]]:
    """``n`` synthetic customers, always the same for the same seed."""
    city = _City(seed)
    for number in range(n):
        customer = city.customer(number)
        customer["uses_data"] = customer["data_mb_prev"] is not None and customer["data_mb_prev"] > 0
        yield customer
