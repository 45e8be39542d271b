"""Generate the synthetic purchaser-expectation survey shaped like plan 000's.

Plan 000 step 2 surveys 100 customers each of the diamond, gold, silver and mid-high groups by
telephone, asking for each club service how likely they are to buy it. This script writes such a
survey for the services of rulesets/gotone-vip (one row per respondent and service): diamond and
gold want every class, silver wants the semi-open and restricted services less but above the
critical value, mid-high wants the semi-open services and not the restricted ones. Each group and
class has a target count per intention (below); each service moves up to two respondents to a
neighbouring intention, so that services differ. Seeded: the same seed writes the same file.

    python examples/pe-survey/generate.py [--seed 2026] [--out examples/pe-survey/survey.csv]
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

from marketing_rules.pe import PLAN_CLASSES, PROBABILITIES

INTENTIONS = tuple(PROBABILITIES)  # definitely .. definitely_not
# respondents (of 100) per intention, by class and group
TARGETS = {
    "restricted": {"diamond": (45, 30, 15, 7, 3), "gold": (40, 32, 15, 9, 4), "silver": (20, 30, 30, 12, 8),
                   "mid_high": (5, 12, 30, 28, 25)},
    "semi-open": {"diamond": (35, 35, 18, 8, 4), "gold": (33, 35, 20, 8, 4), "silver": (25, 35, 25, 10, 5),
                  "mid_high": (20, 32, 28, 12, 8)},
    "open": {tier: (30, 35, 22, 9, 4) for tier in ("diamond", "gold", "silver", "mid_high")},
}
GROUP = 100


def answers(seed: int) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows = []
    for number, tier in enumerate(("diamond", "gold", "silver", "mid_high")):
        respondents = [f"{tier[0].upper()}{number}{i:03d}" for i in range(GROUP)]
        for service, kind in PLAN_CLASSES.items():
            counts = list(TARGETS[kind][tier])
            for _ in range(rng.randint(0, 2)):
                source = rng.choice([i for i, c in enumerate(counts) if c])
                target = min(max(source + rng.choice((-1, 1)), 0), len(counts) - 1)
                counts[source], counts[target] = counts[source] - 1, counts[target] + 1
            said = [INTENTIONS[i] for i, c in enumerate(counts) for _ in range(c)]
            rng.shuffle(said)
            rows.extend({"respondent": r, "tier": tier, "service": service, "intention": i}
                        for r, i in zip(respondents, said))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", default=str(Path(__file__).with_name("survey.csv")))
    args = parser.parse_args()
    with open(args.out, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["respondent", "tier", "service", "intention"])
        writer.writeheader()
        writer.writerows(answers(args.seed))


if __name__ == "__main__":
    main()
