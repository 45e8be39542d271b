#!/usr/bin/env python3
"""The whole decision per customer, beside zen-engine in the same run, and the cost of the import.

    python bench/decision_bench.py                       # 20,000 customers, best of 9, every part
    python bench/decision_bench.py --n 5000 --repeat 5 --no-zen

In one process, on the peer workload (bench/workload.py, the rule file of bench/peers.py) and on
gotone-vip (customers of ``marketing_rules.synthetic``, 12 services of access), it times per customer:

- ``tier + offer ids``: ``rs.evaluate(dict)``, then ``d.facts["tier"]`` and each offer's id (what
  bench/peer_bench.py times, without its mapping of our rule ids to the workload's offer ids);
- ``every field``: ``rs.evaluate(dict)``, then ``ruleset``, ``version``, ``fingerprint``, ``facts``,
  ``inputs``, ``tags``, each offer's fields, each service's modes and terms, ``points``, ``awards``
  and ``fired``;
- ``as_dict``: ``rs.evaluate(dict).as_dict()``;
- zen-engine deciding the same peer customers (tier and offer ids), when it is installed.

The parts run in turn, ``--repeat`` rounds; each figure is the best round in CPU time of this thread
(a shared machine's other processes inflate wall time, not this), so the ratios against zen-engine
compare the same minutes. Then ``import marketing_rules``: ``python -X importtime`` (the package's
cumulative figure) and the wall time of 10 fresh processes (median). Results go to
bench/results/decision_bench.json, with the machine and its load.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(REPO_ROOT))
DEFAULT_OUT = BENCH_DIR / "results" / "decision_bench.json"


def every_field(d: Any) -> None:
    """Read every field of a decision, as a service answering with all of it would."""
    d.ruleset, d.version, d.fingerprint, d.facts, d.inputs, d.tags
    for o in d.offers:
        o.id, o.title, o.group, o.code, o.mode, o.type
        for term in (*o.requires, *o.rewards):
            dict(term)
    for service, access in d.access.items():
        access.modes, dict(access.terms)
    d.points, d.awards, d.fired


def parts(rs: Any, customers: list[dict[str, Any]]) -> dict[str, Callable[[], None]]:
    evaluate = rs.evaluate

    def ids() -> None:
        for c in customers:
            d = evaluate(c)
            d.facts["tier"], [o.id for o in d.offers]

    def fields() -> None:
        for c in customers:
            every_field(evaluate(c))

    def as_dict() -> None:
        for c in customers:
            evaluate(c).as_dict()

    return {"tier + offer ids": ids, "every field": fields, "as_dict": as_dict}


def zen_part(customers: list[dict[str, Any]]) -> Callable[[], None] | None:
    import peers

    engine = peers.Zen()
    if not engine.available()[0]:
        return None
    engine.setup()
    inputs = engine.prepare(customers)
    return lambda: engine.evaluate(inputs) and None


def best_times(named: dict[str, Callable[[], None]], repeat: int) -> dict[str, float]:
    """Best CPU seconds of each part over ``repeat`` rounds, the parts in turn in each round."""
    best = {name: float("inf") for name in named}
    for _ in range(repeat):
        for name, run in named.items():
            gc.collect()
            start = time.thread_time()
            run()
            best[name] = min(best[name], time.thread_time() - start)
    return best


def import_time() -> dict[str, float]:
    """``import marketing_rules``: -X importtime's cumulative µs, and the median wall ms of 10 processes."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-X", "importtime", "-c", "import marketing_rules"]
    err = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stderr
    cumulative = max(int(m.group(1)) for m in re.finditer(r"\|\s*(\d+) \| marketing_rules$", err, re.M))
    walls = []
    for _ in range(10):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import marketing_rules"], env=env, check=True)
        walls.append(time.perf_counter() - start)
    bare = []
    for _ in range(10):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], env=env, check=True)
        bare.append(time.perf_counter() - start)
    return {"importtime_ms": cumulative / 1000, "process_ms": statistics.median(walls) * 1000,
            "bare_python_ms": statistics.median(bare) * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000, help="customers per workload")
    parser.add_argument("--repeat", type=int, default=9, help="rounds; the best of each part is kept")
    parser.add_argument("--no-zen", action="store_true", help="leave zen-engine out")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    import marketing_rules as mr
    import peers
    from workload import W

    from marketing_rules.synthetic import customers as synthetic

    peer_customers = [dict(c, id=str(c["id"])) for c in W.make_customers(args.n)]
    gotone = mr.load_ruleset(str(REPO_ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml"))
    named = {f"peer {k}": f for k, f in parts(mr.load_ruleset(str(peers.RULESET_PATH)), peer_customers).items()}
    named |= {f"gotone-vip {k}": f for k, f in parts(gotone, list(synthetic(args.n))).items()}
    zen = None if args.no_zen else zen_part(W.make_customers(args.n))
    if zen is not None:
        named["zen-engine tier + offer ids"] = zen
    load_before = os.getloadavg()
    best = best_times(named, args.repeat)
    us = {name: best[name] / args.n * 1e6 for name in named}
    imports = import_time()

    print(f"{args.n:,} customers per workload, best of {args.repeat} rounds (CPU time of this thread)")
    print("| workload | part | µs per customer | zen-engine / this |")
    print("| --- | --- | ---: | ---: |")
    for name, value in us.items():
        if name.startswith("zen"):
            continue
        workload, part = name.split(" ", 1)
        ratio = f"{us['zen-engine tier + offer ids'] / value:.1f}x" if zen is not None and workload == "peer" else ""
        print(f"| {workload} | {part} | {value:.2f} | {ratio} |")
    if zen is not None:
        print(f"| peer | zen-engine: tier + offer ids | {us['zen-engine tier + offer ids']:.2f} | 1.0x |")
    print(f"import marketing_rules: {imports['importtime_ms']:.1f} ms (-X importtime), "
          f"{imports['process_ms']:.0f} ms a fresh process (median of 10; `python -c pass`: "
          f"{imports['bare_python_ms']:.0f} ms)")
    load_after = os.getloadavg()
    machine = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
               "load_before": load_before, "load_after": load_after}
    print(f"Python {machine['python']}, {machine['cpus']} CPUs, load {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"date": datetime.now(UTC).isoformat(timespec="seconds"), "n": args.n,
                                    "repeat": args.repeat, "us_per_customer": us, "import": imports,
                                    "machine": machine}, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
