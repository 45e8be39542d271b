#!/usr/bin/env python3
"""How marketing_rules grows with the size of a ruleset: a province's catalogue of thousands of rules.

    python bench/scale.py                                   # sizes 10 100 1000 5000 10000, every step
    python bench/scale.py --sizes 10 100 1000 --steps load to_sql batch --customers 100000
    python bench/scale.py --write                           # also bench/results/scale.json

A synthetic ruleset per size (seeded, reproducible): threshold conditions on 2 to 4 facts of the
telecom-customer schema, about 40% of the rules in exclusive groups of five, half of them offers,
and one first-hit table of up to 1,000 rows. Each step runs in its own subprocess, so its peak
memory (max RSS) is its own; the time is the step's wall time inside that process, excluding
interpreter start and, except for ``load``, loading the ruleset:

- ``load``: ``mr.load_ruleset`` (parse, resolve, type-check, order, generate the Python);
- ``to_sql``: ``rs.to_sql("duckdb")`` (and the length of the text);
- ``check``: ``rs.check()`` (z3), skipped above ``--check-max`` rules;
- ``batch``: ``rs.evaluate_batch(parquet, backend="duckdb", out=...)`` over ``--customers``
  customers drawn once into a Parquet file by DuckDB; beside it ``plan_s``, the query's planning
  alone (``EXPLAIN`` before, not counted in the batch's time), and ``cpu_s``, the batch's
  CPU time (user and system, every DuckDB thread), steadier than wall time on a shared machine.

Between consecutive sizes the script prints the growth exponent log(t2/t1) / log(n2/n1) of each
step (1 is linear). The issue's goals: at most 1.1 between 1,000 and 5,000 rules.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "scale.json"
STEPS = ("load", "to_sql", "check", "batch")
NUMBERS = {"arpu": (0, 600), "arpu_3m": (0, 600), "arpu_prev": (0, 600), "data_mb": (0, 20000),
           "package_fee": (0, 400)}
INTEGERS = {"tenure_months": (0, 240), "voice_min": (0, 3000), "sms": (0, 500), "vas_types": (0, 8)}
ENUMS = {"card": ("none", "silver", "gold", "diamond"), "status": ("active", "suspended", "pre_cancel"),
         "segment": ("general", "migrant", "enterprise", "campus"), "terminal": ("2g", "3g", "4g", "5g")}


# -- the synthetic ruleset -------------------------------------------------------------------------
def condition(rng: random.Random) -> str:
    """A conjunction of 2 to 4 threshold tests on distinct facts."""
    names = rng.sample([*NUMBERS, *INTEGERS, *ENUMS], rng.randint(2, 4))
    tests = []
    for name in names:
        if name in ENUMS:
            values = rng.sample(ENUMS[name], rng.randint(1, 2))
            tests.append(f"{name} in [{', '.join(repr(v) for v in values)}]")
        else:
            low, high = NUMBERS.get(name) or INTEGERS[name]
            bound = rng.randint(low, high)
            tests.append(f"{name} {rng.choice(['>=', '<', '>', '<='])} {bound}")
    return " and ".join(tests)


def ruleset_text(rules: int, rows: int, seed: int = 7) -> str:
    """A rule file of ``rules`` rules and one first-hit table of ``rows`` rows."""
    rng = random.Random(seed)
    lines = ["ruleset: scale", "version: 1.0.0", "facts:",
             "  band: {type: enum, values: [top, high, mid, low], default: low}", "tables:",
             "  - id: bands", "    hit: first", "    inputs: [arpu_3m, tenure_months]", "    outputs: [band]",
             "    rows:"]
    for i in range(rows):
        spend = round(600 - i * 600 / max(rows, 1), 2)
        lines.append(f'      - [">= {spend}", ">= {rng.randint(0, 120)}", {("top", "high", "mid")[i % 3]}]')
    lines.append('      - ["-", "-", low]')
    lines.append("rules:")
    groups = 0
    for i in range(rules):
        lines += [f"  - id: r{i}", f"    when: {condition(rng)} and band != low"]
        if rng.random() < 0.4:
            groups += i % 5 == 0
            lines.append(f"    group: g{groups}")
        if i % 2 == 0:
            lines.append(f"    then: {{offer: {{rewards: [{{bill_credit: {rng.randint(5, 100)}}}]}}}}")
        else:
            lines.append(f"    then: {{tag: t{i % 50}}}")
    if groups:
        lines += ["checks:", f"  exclusive: [{', '.join(f'g{g}' for g in range(1, groups + 1))}]"]
    return "\n".join(lines) + "\n"


# -- the customers ---------------------------------------------------------------------------------
def customers_parquet(path: Path, count: int, seed: int = 11) -> None:
    """``count`` random customers written by DuckDB (fast at millions), every schema range respected."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SELECT setseed({seed / 100})")
    columns = ["CAST(i AS VARCHAR) AS id"]
    columns += [f"ROUND(random() * {high}, 2) AS {name}" for name, (_, high) in NUMBERS.items()]
    columns += [f"CAST(floor(random() * {high}) AS BIGINT) AS {name}" for name, (_, high) in INTEGERS.items()]
    for name, values in ENUMS.items():
        listed = ", ".join(f"'{v}'" for v in values)
        columns.append(f"([{listed}])[1 + CAST(floor(random() * {len(values)}) AS INTEGER)] AS {name}")
    con.execute(f"COPY (SELECT {', '.join(columns)} FROM range({count}) t(i)) TO '{path}' (FORMAT parquet)")


# -- one step in its own process ------------------------------------------------------------------
def run_step(step: str, ruleset: Path, customers: Path | None, out: Path | None) -> dict[str, float]:
    import marketing_rules as mr

    warm = mr.load_ruleset("warm.yaml", text=ruleset_text(1, 1))  # imports and first-use costs, untimed
    if step in ("to_sql", "batch"):
        warm.to_sql("duckdb")
    started = time.perf_counter()
    rs = mr.load_ruleset(ruleset)
    figures: dict[str, float] = {}
    if step != "load":
        started = time.perf_counter()
    cpu = time.process_time()
    if step == "to_sql":
        figures["chars"] = len(rs.to_sql("duckdb"))
    elif step == "check":
        report = rs.check()
        figures["proved"], figures["unknown"] = len(report.proved), len(report.unknown)
    elif step == "batch":
        figures["plan_s"] = plan_seconds(rs, str(customers))
        cpu, started = time.process_time(), time.perf_counter()
        result = rs.evaluate_batch(str(customers), backend="duckdb", out=str(out))
        figures["rows"] = result.summary.rows_in
    figures["seconds"] = time.perf_counter() - started
    figures["cpu_seconds"] = time.process_time() - cpu  # this process only: steadier than wall time under load
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def plan_seconds(rs: object, customers: str) -> float:
    """The DuckDB batch query's planning: ``EXPLAIN`` of it (bound, optimised and planned as the batch
    plans it, no row read; ``LIMIT 0`` would hide most of the optimiser)."""
    from marketing_rules.batch import duckdb_backend as db
    from marketing_rules.batch.output import output_schema
    from marketing_rules.batch.sources import duckdb_relation, fact_names

    program = rs.program  # type: ignore[attr-defined]
    con = db.connect()
    kinds = duckdb_relation(con, customers, "customers", facts=fact_names(program))
    query = db.batch_query(con, program, kinds, output_schema(program), ordered=False, unique_ids=False)
    started = time.perf_counter()
    with db.planned_for_rules(con):
        con.execute(f"EXPLAIN {query}").fetchall()
    return time.perf_counter() - started


def measure(step: str, ruleset: Path, customers: Path, folder: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--one", step, str(ruleset), str(customers), str(folder / "out.parquet")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"{step} failed:\n{done.stderr[-2000:]}", file=sys.stderr)
        return {"error": 1.0, "seconds": math.nan, "peak_mb": math.nan}
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def exponent(n1: int, t1: float, n2: int, t2: float) -> float:
    return math.log(t2 / t1) / math.log(n2 / n1) if t1 > 0 and t2 > 0 else math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000, 5000, 10000])
    parser.add_argument("--steps", nargs="+", choices=STEPS, default=list(STEPS))
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--check-max", type=int, default=1000, help="skip check above this many rules")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--write", action="store_true", help=f"write {RESULTS.relative_to(ROOT)}")
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        step, ruleset, customers, out = args.one
        print(json.dumps(run_step(step, Path(ruleset), Path(customers), Path(out))))
        return
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, load {_load()}, "
          f"{args.customers:,} customers, seed {args.seed}")
    results: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        customers = folder / "customers.parquet"
        if "batch" in args.steps:
            customers_parquet(customers, args.customers)
        print("| rules (+ rows) | step | seconds | peak MB | other |")
        print("| ---: | --- | ---: | ---: | --- |")
        for size in args.sizes:
            ruleset = folder / f"scale-{size}.yaml"
            ruleset.write_text(ruleset_text(size, min(size, 1000), args.seed), encoding="utf-8")
            for step in args.steps:
                if step == "check" and size > args.check_max:
                    continue
                figures = measure(step, ruleset, customers, folder)
                results.append({"rules": size, "rows": min(size, 1000), "step": step, **figures})
                other = ", ".join(f"{k} {v:,.2f}" if k.endswith(("_s", "_seconds")) else f"{k} {v:,.0f}"
                                  for k, v in figures.items()
                                  if k not in ("seconds", "peak_mb") and isinstance(v, (int, float)))
                print(f"| {size:,} (+{min(size, 1000):,}) | {step} | {figures['seconds']:.2f} "
                      f"| {figures['peak_mb']:,.0f} | {other} |", flush=True)
    print(f"load at the end {_load()}")
    print("\ngrowth exponents (1 is linear):")
    for step in args.steps:
        points = [(r["rules"], r["seconds"]) for r in results if r["step"] == step]
        for (n1, t1), (n2, t2) in zip(points, points[1:]):
            print(f"  {step:<7} {n1:>6,} -> {n2:<6,} {exponent(n1, t1, n2, t2):.2f}")  # type: ignore[arg-type]
    if args.write:
        write(results, args)


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def write(results: list[dict[str, object]], args: argparse.Namespace) -> None:
    """Write the figures, keeping those of the steps not measured this time (each with its run)."""
    runs = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load": _load(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}",
            "customers": args.customers}
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    kept = [r for r in old.get("results", []) if r.get("step") not in args.steps]
    steps = {**old.get("steps", {}), **{step: runs for step in args.steps}}
    RESULTS.write_text(json.dumps({**old, "steps": steps, "results": kept + results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
