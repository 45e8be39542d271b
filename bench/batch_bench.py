#!/usr/bin/env python3
"""Batch benchmark: a synthetic city of 6.4 million customers, decided in one run per engine.

    python bench/batch_bench.py                 # 6,400,000 customers (Parquet cached in bench/.cache)
    python bench/batch_bench.py --n 1000000 --skip largest-spark
    python bench/batch_bench.py --only peer-duckdb,peer-sql,peer-sql-full --repeat 3

Measured, each in its own subprocess (wall time, and peak RSS from wait4, children included):
  peer-duckdb   the peer workload (bench/rulesets/peer-workload) through rs.evaluate_batch on DuckDB,
                Parquet in, Parquet out
  peer-duckdb-columns  the same with columns=["tier", "offers"]: the hand-written query's columns
                (and id and error, which every output has)
  peer-sql      the same logic hand-written as one DuckDB query (DOUBLE, offers as a list)
  peer-sql-full the hand-written query writing every column of SPEC's output (id as text, tier, tags,
                offers, access, points, fired, error), still without validation
  peer-polars   the same logic as polars Boolean columns (lazy scan, tier and offers list)
  largest-duckdb  the largest shipped ruleset (most rules and tables) on the telecom city, DuckDB
  largest-spark   the same on Spark in local mode (local[*]), Parquet in, a Parquet folder out
Results go to bench/results/batch_bench.json; durable_rules' throughput for the ratio comes from
bench/results/peer_bench.json (or 8,098 customers/s, the shared README's figure).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from marketing_rules.versioning.registry import rule_files

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = BENCH / ".cache"
PEER_RULESET = BENCH / "rulesets" / "peer-workload" / "1.0.0.yaml"
sys.path.insert(0, str(BENCH))

HAND_SQL = """
COPY (
  SELECT id,
    CASE WHEN arpu >= 500 THEN 'diamond' WHEN arpu >= 200 THEN 'gold' WHEN arpu >= 120 THEN 'silver'
         WHEN arpu >= 80 THEN 'mid_high' ELSE 'ordinary' END AS tier,
    list_filter([{items}], lambda x: x IS NOT NULL) AS offers
  FROM read_parquet('{src}')
) TO '{out}' (FORMAT parquet)
"""


def _value(v: object) -> str:
    if isinstance(v, tuple):
        return "(" + ", ".join(_value(x) for x in v) + ")"
    return f"'{v}'" if isinstance(v, str) else repr(v)


def _condition(cond: tuple, polars: bool = False) -> str:
    field, op, value = cond
    from workload import W

    if isinstance(value, W.Ref):
        value_text = f"{value.field} * {value.factor}"
    else:
        value_text = _value(value)
    op = {"==": "=", "!=": "<>"}.get(op, op)
    return f"{field} {op.upper()} {value_text}"


HAND_SQL_FULL = """
COPY (
  SELECT CAST(id AS VARCHAR) AS id, tier, CAST([] AS VARCHAR[]) AS tags, offers,
    MAP(CAST([] AS VARCHAR[]), CAST([] AS VARCHAR[][])) AS access, CAST(0 AS BIGINT) AS points,
    list_concat([tier_row], offers) AS fired, CAST(NULL AS VARCHAR) AS error
  FROM (
    SELECT id,
      CASE WHEN arpu >= 500 THEN 'diamond' WHEN arpu >= 200 THEN 'gold' WHEN arpu >= 120 THEN 'silver'
           WHEN arpu >= 80 THEN 'mid_high' ELSE 'ordinary' END AS tier,
      CASE WHEN arpu >= 500 THEN 'tier#1' WHEN arpu >= 200 THEN 'tier#2' WHEN arpu >= 120 THEN 'tier#3'
           WHEN arpu >= 80 THEN 'tier#4' ELSE 'tier#5' END AS tier_row,
      list_filter([{items}], lambda x: x IS NOT NULL) AS offers
    FROM read_parquet('{src}'))
) TO '{out}' (FORMAT parquet)
"""


def hand_sql(src: str, out: str, template: str = HAND_SQL) -> str:
    from workload import W

    items = []
    for offer, conds in W.OFFERS:
        items.append(f"CASE WHEN {' AND '.join(_condition(c) for c in conds)} THEN '{offer}' END")
    return template.format(items=", ".join(items), src=src, out=out)


# -- the jobs (run in a child process each) -----------------------------------------------------
def job_peer_duckdb(src: str, out: str) -> dict:
    import marketing_rules as mr

    result = mr.load_ruleset(PEER_RULESET).evaluate_batch(src, out=out)
    return {"rows": result.summary.rows_in, "decided": result.summary.decided, "rejected": result.summary.rejected}


def job_peer_duckdb_columns(src: str, out: str) -> dict:
    import marketing_rules as mr

    result = mr.load_ruleset(PEER_RULESET).evaluate_batch(src, out=out, columns=["tier", "offers"])
    return {"rows": result.summary.rows_in, "decided": result.summary.decided, "rejected": result.summary.rejected}


def job_peer_sql(src: str, out: str) -> dict:
    import duckdb

    duckdb.connect().execute(hand_sql(src, out))
    return {}


def job_peer_sql_full(src: str, out: str) -> dict:
    import duckdb

    duckdb.connect().execute(hand_sql(src, out, HAND_SQL_FULL))
    return {}


def job_peer_polars(src: str, out: str) -> dict:
    import polars as pl
    from workload import W

    def expr(cond: tuple) -> pl.Expr:
        field, op, value = cond
        col = pl.col(field)
        rhs = pl.col(value.field) * value.factor if isinstance(value, W.Ref) else value
        if op == "in":
            return col.is_in(list(value))
        if op == "not in":
            return ~col.is_in(list(value))
        return {">=": col >= rhs, ">": col > rhs, "<": col < rhs, "<=": col <= rhs, "==": col == rhs,
                "!=": col != rhs}[op]

    tier = pl.when(pl.col("arpu") >= 500).then(pl.lit("diamond"))
    for threshold, name in ((200, "gold"), (120, "silver"), (80, "mid_high")):
        tier = tier.when(pl.col("arpu") >= threshold).then(pl.lit(name))
    flags = []
    for offer, conds in W.OFFERS:
        all_of = conds[0] and expr(conds[0])
        for c in conds[1:]:
            all_of = all_of & expr(c)
        flags.append(pl.when(all_of).then(pl.lit(offer)))
    offers = pl.concat_list(flags).list.drop_nulls()
    (pl.scan_parquet(src).select(pl.col("id"), tier.otherwise(pl.lit("ordinary")).alias("tier"), offers.alias("offers"))
     .sink_parquet(out))
    return {}


def job_largest(src: str, out: str, backend: str) -> dict:
    import marketing_rules as mr

    path = largest_ruleset()  # finding it loads every shipped ruleset: not part of the time
    started = time.perf_counter()
    rs = mr.load_ruleset(path)
    result = rs.evaluate_batch(src, out=out, backend=backend)
    return {"seconds": time.perf_counter() - started, "ruleset": f"{rs.id} {rs.version}", "units": len(rs.program.units),
            "rows": result.summary.rows_in, "decided": result.summary.decided, "rejected": result.summary.rejected}


def largest_ruleset() -> Path:
    import marketing_rules as mr

    paths = sorted(rule_files(ROOT / "rulesets"))
    return max(paths, key=lambda p: (len(mr.load_ruleset(p).program.units), str(p)))


JOBS = {
    "peer-duckdb": ("peer", job_peer_duckdb),
    "peer-duckdb-columns": ("peer", job_peer_duckdb_columns),
    "peer-sql": ("peer", job_peer_sql),
    "peer-sql-full": ("peer", job_peer_sql_full),
    "peer-polars": ("peer", job_peer_polars),
    "largest-duckdb": ("city", lambda s, o: job_largest(s, o, "duckdb")),
    "largest-spark": ("city", lambda s, o: job_largest(s, o, "spark")),
}


def child(name: str, src: str, out: str) -> None:
    started = time.perf_counter()
    extra = JOBS[name][1](src, out)
    print(json.dumps({"seconds": time.perf_counter() - started, **extra}))


def run(name: str, src: str, out: str) -> dict:
    """One job in a child process: its wall time and peak RSS (the child and its own children)."""
    process = subprocess.Popen([sys.executable, __file__, "--child", name, src, out], stdout=subprocess.PIPE,
                               text=True, cwd=ROOT)
    assert process.stdout is not None
    text = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        return {"job": name, "error": f"exit {process.returncode}"}
    figures = json.loads(text.strip().splitlines()[-1])
    figures["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    if name == "largest-spark":  # the JVM is a child of the Python driver
        figures["note"] = "peak RSS of the Python driver only: the JVM it starts is not measured (spark.driver.memory 2g)"
    return {"job": name, **figures}


def median_run(runs: list[dict]) -> dict:
    """The run with the median wall time, with every run's seconds and the highest peak RSS."""
    timed = sorted((r for r in runs if "seconds" in r), key=lambda r: r["seconds"])
    if len(timed) < len(runs):
        return next(r for r in runs if "seconds" not in r)
    figures = dict(timed[len(timed) // 2])
    if len(runs) > 1:
        figures["runs_s"] = [round(r["seconds"], 2) for r in runs]
        figures["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    return figures


def inputs(n: int) -> dict[str, str]:
    import city
    from workload import W

    peer = CACHE / f"peer-{n}-seed{W.SEED}.parquet"
    if not peer.exists():  # W.cached_parquet imports 'workload' beside the shared file, which is not there
        CACHE.mkdir(parents=True, exist_ok=True)
        code = f"import sys; sys.path.insert(0, {str(BENCH)!r}); from workload import W; W._write_parquet({n}, {str(peer)!r}, W.SEED)"
        subprocess.run([sys.executable, "-c", code], check=True)
    city_path = CACHE / f"city-{n}.parquet"
    if not city_path.exists():
        city.write_city(n, city_path)
    return {"peer": str(peer), "city": str(city_path)}


def machine() -> dict:
    import duckdb

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = {"duckdb": duckdb.__version__, "python": platform.python_version()}
    for name in ("polars", "pyspark", "sqlglot"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            pass
    return {"cores": os.cpu_count(), "memory_gb": round(memory, 1), "platform": platform.platform(), **versions}


def durable_rate() -> float:
    try:
        results = json.loads((BENCH / "results" / "peer_bench.json").read_text())["results"]
        return next(r["customers_per_s"] for r in results if r["engine"] == "durable")
    except (OSError, KeyError, StopIteration, ValueError):
        return 8098.0


def merged(path: Path, n: int, results: list[dict]) -> list[dict]:
    """This run's results, and the earlier ones (same n) of the jobs it did not run, in job order."""
    by_job = {}
    try:
        earlier = json.loads(path.read_text())
        if earlier.get("n") == n:
            by_job = {r["job"]: r for r in earlier["results"]}
    except (OSError, ValueError, KeyError):
        pass
    by_job.update({r["job"]: r for r in results})
    return [by_job[name] for name in JOBS if name in by_job]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=6_400_000)
    parser.add_argument("--skip", default="", help="comma-separated jobs to skip")
    parser.add_argument("--only", default="", help="comma-separated jobs to run (default: all)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per job; the median wall time is reported")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return 0
    paths = inputs(args.n)
    results = []
    for name, (data, _) in JOBS.items():
        if name in args.skip.split(",") or (args.only and name not in args.only.split(",")):
            continue
        out = str(CACHE / f"out-{name}.parquet")
        runs = [run(name, paths[data], out) for _ in range(args.repeat)]
        figures = median_run(runs)
        if "seconds" in figures:
            figures["customers_per_s"] = round(args.n / figures["seconds"])
        results.append(figures)
        print(json.dumps(figures), flush=True)
    path = BENCH / "results" / "batch_bench.json"
    report = {"n": args.n, "machine": machine(), "durable_rules_customers_per_s": durable_rate(),
              "results": merged(path, args.n, results)}
    path.write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
