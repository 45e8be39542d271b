#!/usr/bin/env python3
"""How long the static checker takes on every shipped ruleset (the largest one is the figure to watch).

    python bench/check_bench.py [--repeat 3]

Prints, per ruleset version: rules and tables, properties proved, findings, unknowns, and the median
wall time of `rs.check()` (z3 included; the ruleset is loaded once, outside the timing).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

import z3

import marketing_rules as mr
from marketing_rules.versioning.registry import rule_files

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, z3 {z3.get_version_string()}, {platform.processor() or platform.machine()}")
    print("| ruleset | rules and tables | proved | findings | unknown | check, median s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for path in rule_files(ROOT / "rulesets"):
        rs = mr.load_ruleset(path)
        times, report = [], None
        for _ in range(args.repeat):
            started = time.perf_counter()
            report = rs.check()
            times.append(time.perf_counter() - started)
        assert report is not None
        print(f"| {rs.id} {rs.version} | {len(rs.program.units)} | {len(report.proved)} | {len(report.findings)} "
              f"| {len(report.unknown)} | {statistics.median(times):.2f} |")


if __name__ == "__main__":
    main()
