"""The marketing loop at scale: campaign run, outcomes and billing imports, report, on DuckDB.

    python bench/campaign_bench.py --customers 6400000 [--folder /tmp/campaign-bench] [--write]

The simulated base (``marketing_rules.campaign.simulate``: offer-x raises takers' ARPU by 20 yuan,
offer-y by nothing) with six billing months (three before the campaign, three from it). Each timed
step runs in its own process, so its peak memory (max RSS, DuckDB's native memory included) is its
own; writing the inputs, uptakes and billing is not timed. The report's intervals are checked
against the planted effects. ``--write`` saves the figures to bench/results/campaign_bench.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketing_rules.campaign import simulate as sim  # noqa: E402
from marketing_rules.campaign.store import Store  # noqa: E402

EFFECT = 20.0


def step(name: str, folder: Path, n: int, memory: str) -> dict[str, object]:
    """One step in this process: its seconds and what it did."""
    from marketing_rules.campaign import campaign_report, import_billing, import_outcomes, render_html, run_campaign

    inputs = sim.Inputs(folder / "loop-sim" / "1.0.0.yaml", folder / "customers.parquet", n, 13)
    started = time.perf_counter()
    out: dict[str, object] = {}
    if name == "inputs":
        sim.write_inputs(folder, n)
    elif name == "generate":
        with Store(folder / "campaigns.duckdb") as store:
            uptakes = sim.write_outcomes(store, "bench", folder / "uptakes.parquet")
        sim.write_billing(inputs, uptakes, folder / "billing.parquet", effect_x=EFFECT)
    else:
        with Store(folder / "campaigns.duckdb", memory_limit=memory) as store:
            if name == "run":
                out["summary"] = str(run_campaign(inputs.ruleset, inputs.customers, at=sim.AT, store=store,
                                                  name="bench", memory_limit=memory))
            elif name == "outcomes":
                out["summary"] = str(import_outcomes(folder / "uptakes.parquet", store=store))
            elif name == "billing":
                out["summary"] = str(import_billing(folder / "billing.parquet", store=store))
            elif name == "report":
                report = campaign_report(store)
                (folder / "report.html").write_text(render_html(report), encoding="utf-8")
                offers = {o["offer"]: o["uplift"]["arpu"] for o in report["campaigns"][0]["offers"]}
                x, y = offers["offer-x"], offers["offer-y"]
                out["offer-x per taker"] = [x["per_taker"], x["per_taker_low"], x["per_taker_high"]]
                out["offer-y per taker"] = [y["per_taker"], y["per_taker_low"], y["per_taker_high"]]
                out["planted effects found"] = (x["per_taker_low"] <= EFFECT <= x["per_taker_high"]
                                                and x["per_taker_low"] > 0
                                                and y["per_taker_low"] <= 0 <= y["per_taker_high"])
    out["seconds"] = round(time.perf_counter() - started, 2)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def in_child(name: str, folder: Path, n: int, memory: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, __file__, "--step", name, "--folder", str(folder), "--customers", str(n),
                           "--memory", memory], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/campaign-bench"))
    parser.add_argument("--memory", default="3GB", help="DuckDB's memory limit")
    parser.add_argument("--step")
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep the inputs, uptakes and billing already written")
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.folder, args.customers, args.memory)))
        return
    args.folder.mkdir(parents=True, exist_ok=True)
    (args.folder / "campaigns.duckdb").unlink(missing_ok=True)
    load = os.getloadavg()
    steps: dict[str, dict[str, object]] = {}
    for name in ("inputs", "run", "generate", "outcomes", "billing", "report"):
        if args.reuse and name in ("inputs", "generate") and (args.folder / "billing.parquet").exists():
            continue
        steps[name] = in_child(name, args.folder, args.customers, args.memory)
        print(f"{name:9} {steps[name]['seconds']:7.2f} s  {steps[name]['peak_rss_mb']:6} MB  "
              + json.dumps({k: v for k, v in steps[name].items() if k not in ("seconds", "peak_rss_mb")},
                           ensure_ascii=False), flush=True)
    timed = ("run", "outcomes", "billing", "report")
    total = sum(float(steps[s]["seconds"]) for s in timed)  # type: ignore[arg-type]
    peak = max(int(steps[s]["peak_rss_mb"]) for s in timed)  # type: ignore[call-overload]
    print(f"loop (run + outcomes + billing + report): {total:.1f} s, peak {peak} MB; "
          f"load before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after {os.getloadavg()[0]:.2f}")
    if args.write:
        result = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="minutes"), "customers": args.customers,
                  "billing_months": 6, "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
                  "python": platform.python_version(), "load_before": load, "steps": steps,
                  "loop_seconds": round(total, 2), "loop_peak_rss_mb": peak}
        path = ROOT / "bench" / "results" / "campaign_bench.json"
        path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
