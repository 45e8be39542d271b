#!/usr/bin/env python3
"""Peer comparison: marketing_rules against other rule engines on the shared peer workload.

    python bench/peer_bench.py                                   # 100,000 customers, 3 repeats, all engines
    python bench/peer_bench.py --n 20000 --repeat 1 --engines zen,durable,python

Engines (bench/peers.py): zen (zen-engine, GoRules), durable (durable-rules), python (the whole
workload as one generated function: the floor), mr (marketing_rules). Install the peers with
`pip install -r bench/requirements.txt`.

Each engine runs in its own subprocess, so its peak RSS (getrusage ru_maxrss) is its own: the
subprocess builds the same seeded customers, sets the engine up (not timed), then times only the
per-customer evaluation, `--repeat` times (a fresh setup before each run), and checks the decisions
of the first run against the workload's plain-Python reference with `W.compare` (and that later
runs decide the same). Reported per engine: median µs per customer, customers/s, peak RSS MB,
mismatches. The script prints a Markdown table, each engine's time relative to marketing_rules,
and the machine; it writes everything to bench/results/peer_bench.json.

Exit status: 0 when every engine that ran agreed with the reference, 1 on any mismatch or engine
error (an engine whose package is not installed is reported as skipped, not as a failure).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

DEFAULT_ENGINES = "mr,zen,durable,python"
DEFAULT_OUT = BENCH_DIR / "results" / "peer_bench.json"
BASELINE = "mr"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB


# ------------------------------------------------------------------------------- worker ---


def worker(key: str, n: int, repeat: int) -> dict:
    """Run one engine in this process; return its figures (printed as JSON by main)."""
    import peers
    from workload import PATH, W

    eng_cls = peers.ENGINES[key]
    probe = eng_cls()
    res = {"engine": key, "label": probe.label, "how": probe.how, "n": n, "repeat": repeat, "workload": str(PATH)}
    ok, why = probe.available()
    if not ok:
        res.update(status="skipped", reason=why)
        return res
    res["version"] = probe.version()

    customers = W.make_customers(n)
    res["rss_after_customers_mb"] = round(_rss_mb(), 1)

    times, first, same = [], None, True
    setup_s = []
    for _ in range(repeat):
        eng = eng_cls()
        t0 = time.perf_counter()
        eng.setup()
        inputs = eng.prepare(customers)
        setup_s.append(time.perf_counter() - t0)
        gc.collect()
        gc.freeze()  # the workload's own objects are not the engine's garbage: keep the collector off them
        t0 = time.perf_counter()
        out = eng.evaluate(inputs)  # the only timed part
        times.append(time.perf_counter() - t0)
        gc.unfreeze()
        eng.teardown()
        del inputs
        if first is None:
            first = out
        else:
            same = same and out == first
        del out, eng
    res["peak_rss_mb"] = round(_rss_mb(), 1)  # before the reference check allocates

    cmp = W.compare(customers, first)
    med = statistics.median(times)
    res.update(
        status="ok",
        seconds=[round(t, 4) for t in times],
        setup_seconds=[round(t, 4) for t in setup_s],
        median_s=round(med, 4),
        us_per_customer=round(med / n * 1e6, 3),
        customers_per_s=round(n / med),
        checked=cmp["checked"],
        mismatches=cmp["mismatches"] + (0 if len(first) == n else abs(n - len(first))),
        examples=cmp["examples"],
        repeats_agree=same,
    )
    return res


# --------------------------------------------------------------------------- the machine ---


def machine_info(engine_keys) -> dict:
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem_gb = None
    from importlib.metadata import PackageNotFoundError, version

    pkgs = {}
    for dist in ("marketing-rules", "zen-engine", "durable-rules", "pyyaml", "pydantic"):
        try:
            pkgs[dist] = version(dist)
        except PackageNotFoundError:
            pkgs[dist] = None
    return {
        "cpu": cpu or platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gb": round(mem_gb, 1) if mem_gb else None,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": pkgs,
    }


# ------------------------------------------------------------------------------ report ---


def _fmt_int(x):
    return f"{x:,}"


def markdown(results: list[dict]) -> str:
    lines = [
        "| engine | version | how it was called | µs per customer | customers/s | peak RSS MB | mismatches |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if r.get("status") != "ok":
            why = r.get("reason") or r.get("error", "").strip().splitlines()[-1:] or [""]
            why = why if isinstance(why, str) else why[0]
            lines.append(f"| {r['label']} | {r.get('version') or ''} | {r['status']}: {why} | | | | |")
            continue
        mm = str(r["mismatches"]) + ("" if r["repeats_agree"] else " (repeats differ!)")
        lines.append(
            f"| {r['label']} | {r.get('version') or ''} | {r['how']} | {r['us_per_customer']:.2f} | "
            f"{_fmt_int(r['customers_per_s'])} | {r['peak_rss_mb']:.0f} | {mm} |"
        )
    return "\n".join(lines)


def ratios(results: list[dict]) -> tuple[str | None, list[str]]:
    ok = {r["engine"]: r for r in results if r.get("status") == "ok"}
    base = BASELINE if BASELINE in ok else ("python" if "python" in ok else None)
    if base is None:
        return None, []
    b = ok[base]
    out = []
    for key, r in ok.items():
        if key == base:
            continue
        x = r["us_per_customer"] / b["us_per_customer"]
        out.append(f"{r['label']} / {b['label']} = {x:.1f}x" if x >= 1 else f"{r['label']} / {b['label']} = {x:.2f}x")
    return base, out


def run_engine_subprocess(key: str, n: int, repeat: int, timeout: float) -> dict:
    import peers

    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", key, "--n", str(n), "--repeat", str(repeat)]
    label = peers.ENGINES[key].label
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"engine": key, "label": label, "status": "error", "error": f"timed out after {timeout:.0f} s"}
    last = p.stdout.strip().splitlines()[-1:] if p.stdout.strip() else []
    try:
        return json.loads(last[0])
    except (IndexError, json.JSONDecodeError):
        return {
            "engine": key,
            "label": label,
            "status": "error",
            "error": f"worker exited {p.returncode}: {(p.stderr or p.stdout)[-2000:]}",
        }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="customers (default 100000)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per engine (default 3)")
    ap.add_argument(
        "--engines",
        default=DEFAULT_ENGINES,
        help=f"comma list of engines (default {DEFAULT_ENGINES}); names: mr, zen, durable, python",
    )
    ap.add_argument("--out", default=str(DEFAULT_OUT), help="JSON results file (default bench/results/peer_bench.json)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per engine subprocess")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.n < 1 or a.repeat < 1:
        ap.error("--n and --repeat must be at least 1")

    if a.worker:
        try:
            res = worker(a.worker, a.n, a.repeat)
        except Exception:
            import peers

            res = {
                "engine": a.worker,
                "label": peers.ENGINES[a.worker].label,
                "status": "error",
                "error": traceback.format_exc(),
            }
        print(json.dumps(res, default=str))
        return 0

    import peers

    try:
        keys = list(dict.fromkeys(peers.resolve(e) for e in a.engines.split(",") if e.strip()))
    except KeyError as e:
        ap.error(str(e.args[0]))

    from workload import PATH

    mach = machine_info(keys)
    print(
        f"machine: {mach['cpu']}, {mach['cores']} cores ({mach['usable_cores']} usable), "
        f"{mach['memory_gb']} GB; Python {mach['python']} on {mach['platform']}"
    )
    print("packages: " + ", ".join(f"{k} {v or 'not installed'}" for k, v in mach["packages"].items()))
    print(
        f"workload: {PATH}; {a.n:,} customers, ruleset A (tiers, first hit) + B (20 offers, collect); "
        f"median of {a.repeat} run(s)\n"
    )

    results = []
    for key in keys:
        print(f"  running {peers.ENGINES[key].label} ...", file=sys.stderr, flush=True)
        r = run_engine_subprocess(key, a.n, a.repeat, a.timeout)
        results.append(r)
        if r.get("status") == "ok":
            print(
                f"    {r['us_per_customer']:.2f} µs/customer, {r['mismatches']} mismatches", file=sys.stderr, flush=True
            )
        else:
            print(f"    {r['status']}: {(r.get('reason') or r.get('error', ''))[-500:]}", file=sys.stderr, flush=True)

    print(markdown(results))
    base, rs = ratios(results)
    if base:
        print()
        if base != BASELINE:
            print("(marketing_rules did not run: times relative to the plain-Python floor instead)")
        print(
            f"time per customer relative to {peers.ENGINES[base].label} (>1x: {peers.ENGINES[base].label} is faster):"
        )
        for line in rs:
            print("  " + line)
    for r in results:
        if r.get("status") == "ok" and r["mismatches"]:
            print(f"\n{r['label']}: {r['mismatches']} mismatches; first examples:")
            for ex in r["examples"][:3]:
                print("  ", json.dumps(ex, default=str))

    doc = {
        "benchmark": "peer_bench",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "args": {"n": a.n, "repeat": a.repeat, "engines": keys},
        "workload": str(PATH),
        "machine": mach,
        "results": results,
        "ratios_vs": base,
        "ratios": rs,
    }
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"\nresults written to {out}")

    bad = [
        r
        for r in results
        if r.get("status") == "error" or (r.get("status") == "ok" and (r["mismatches"] or not r["repeats_agree"]))
    ]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
