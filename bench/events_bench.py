"""Events per second and memory of mr.Stream (triggers on durable_rules) and rs.accrue, beside
durable_rules driven directly on the same patterns.

    python bench/events_bench.py                                    # 1,000,000 events per workload
    python bench/events_bench.py --events 200000 --repeat 3 --workloads spend-drop
    python bench/events_bench.py --json bench/results/events_bench.json

Workloads (each a synthetic city, events in time order, generated in chunks outside the timing):

- spend-drop: stock-ops 1.2.0, a monthly bill per customer; three bill-then-bill triggers (a bill
  more than 25% below the last within 45 days starts the first care step);
- complaint-usage: lifecycle 1.1.0, a monthly usage summary per customer and complaints from
  about one customer in ten a month; two complaint-then-usage-fall triggers;
- birthday: gotone-vip 1.1.0, a month_start per customer a month; one single-event trigger;
- accrue: experience-club 1.1.0 coins, a 50-event history per customer through rs.accrue (Python
  only), beside a hand-written Python function of the same coin rules (the floor).

Engines, each in a fresh subprocess (so peak RSS is its own):

- wrapper: ``mr.Stream(rs).post(customer, event)``: validation, event time, customer snapshots,
  the exact Python residual, retraction, recommendations;
- raw: durable_rules' engine (``durable.engine.Ruleset``, what durable.lang's host calls) with
  hand-written patterns of the same triggers, facts spread over the same 64 sessions (durable
  holds at most 1024), retracted when their window has passed, the least loop that gets the
  same recommendations; the customer's facts are merged into each fact as the wrapper does;
- raw-host: the same, through durable's global host (``get_host().assert_fact(name, fact)``), as
  a durable.lang program calls it (the host runs its two timer threads).

Timed: posting the events (CPU time of the process, ``time.process_time``, so that other work on
the machine disturbs the figure less). Not timed: generating events, compiling, setting the
customers' facts. Memory: resident set size sampled every 10% of the events (from /proc), and the
peak (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
import zlib
from collections import deque
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

CHUNK = 10_000
SHARDS = 64
START = dt.datetime(2027, 2, 1)
EPOCH = dt.datetime(1970, 1, 1)
MICRO = dt.timedelta(microseconds=1)
DAY = 86_400_000_000


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- workloads: customers and events, generated in time order ----------------------------------------
def customers(workload: str, count: int) -> dict[str, dict]:
    rng = random.Random(7)
    out = {}
    for i in range(count):
        cid = f"1380{i:07d}"
        if workload == "spend-drop":
            facts = {"status": rng.choice(["active"] * 9 + ["suspended"]),
                     "birthday_month": rng.choice([None, None, rng.randint(1, 12)]),
                     "tenure_months": rng.randint(0, 90), "care_done": rng.choice([None, 0, 0, 1])}
        elif workload == "complaint-usage":
            facts = {"arpu_3m": rng.choice([40.0, 90.0, 130.0, 260.0]), "bundle": rng.choice(["none", "soft", "hard"]),
                     "status": "active"}
        else:
            facts = {"card": rng.choice(["none", "silver", "gold", "diamond"]), "arpu_3m": rng.choice([90.0, 150.0, 300.0, 600.0]),
                     "birthday_month": rng.randint(1, 12), "status": "active"}
        out[cid] = facts
    return out


def events(workload: str, ids: list[str], total: int) -> Iterator[list[tuple[str, dict]]]:
    """Chunks of (customer, event), in time order: rounds a month over every customer."""
    rng = random.Random(11)
    amount = {c: rng.choice([48.0, 88.0, 128.0, 188.0]) for c in ids}
    minutes = {c: rng.randint(50, 900) for c in ids}
    step = (15 * DAY) // max(1, len(ids))
    made, month, chunk = 0, 0, []

    def rounds(base: dt.datetime):
        """(customer, event) of one month, in time order: two half-month rounds."""
        for half in (0, 1):
            start = base + dt.timedelta(days=15 * half)
            for n, c in enumerate(ids):
                at = (start + dt.timedelta(microseconds=n * step)).isoformat()
                if workload == "spend-drop" and half == 0:
                    drop = rng.random() < 0.04
                    a = amount[c] * (rng.uniform(0.4, 0.74) if drop else rng.uniform(0.9, 1.12))
                    amount[c] = a = round(max(a, 5.0), 2)
                    yield c, {"type": "bill", "at": at, "amount": a}
                elif workload == "complaint-usage" and half == 0:
                    if rng.random() < 0.1:
                        yield c, {"type": "complaint", "at": at, "category": "network"}
                elif workload == "complaint-usage":
                    fall = rng.random() < 0.05
                    m = int(minutes[c] * (rng.uniform(0.3, 0.69) if fall else rng.uniform(0.85, 1.15)))
                    yield c, {"type": "usage", "at": at, "minutes": m, "minutes_prev": minutes[c]}
                    minutes[c] = max(m, 30)
                elif workload == "birthday" and half == 0:
                    yield c, {"type": "month_start", "at": at, "month": base.month}

    while True:
        for item in rounds(START + dt.timedelta(days=30 * month)):
            chunk.append(item)
            made += 1
            if len(chunk) >= CHUNK or made >= total:
                yield chunk
                chunk = []
                if made >= total:
                    return
        month += 1


# -- the engines -----------------------------------------------------------------------------------------
RULESETS = {"spend-drop": "stock-ops/1.2.0.yaml", "complaint-usage": "lifecycle/1.1.0.yaml",
            "birthday": "gotone-vip/1.1.0.yaml"}


def raw_rules(workload: str) -> tuple[dict, dict[str, int], set[str]]:
    """Hand-written durable_rules patterns of the same triggers: (rules, retention by type, fact types)."""
    def pair(first_type, second_type, window_days, tests):
        # the comparisons with the first event, an always-true one, then groups: durable_rules 2.0.28
        # needs this order (see marketing_rules.events.patterns.join)
        flat = [t for t in tests if list(t)[0] not in ("$and", "$or")]
        groups = [t for t in tests if list(t)[0] in ("$and", "$or")]
        return {"all": [{"first": {"t": first_type}},
                        {"second": {"$and": [{"c": {"first": "c"}}, {"t": second_type},
                                             {"$gt": {"at": {"first": "at"}}},
                                             {"$lte": {"at": {"$add": {"$l": {"first": "at"}, "$r": window_days * DAY}}}},
                                             *flat, {"$lte": {"k": {"first": "k"}}}, *groups]}}]}
    if workload == "spend-drop":
        drop = [{"$lt": {"amount": {"$mul": {"$l": {"first": "amount"}, "$r": 0.75}}}}, {"status": "active"}]
        fresh = {"$or": [{"$nex": {"care_done": 1}}, {"care_done": 0}]}
        rules = {
            "birthday": pair("bill", "bill", 45, drop + [{"$ex": {"birthday_month": 1}}, fresh]),
            "anniversary": pair("bill", "bill", 45, drop + [{"$nex": {"birthday_month": 1}}, {"$gte": {"tenure_months": 12}}, fresh]),
            "lucky": pair("bill", "bill", 45, drop + [{"$nex": {"birthday_month": 1}}, {"$or": [
                {"$nex": {"tenure_months": 1}}, {"$lt": {"tenure_months": 12}}]}, fresh]),
        }
        return rules, {"bill": 45 * DAY}, {"bill"}
    if workload == "complaint-usage":
        fall = {"$or": [{"$lt": {"minutes": {"$mul": {"$l": {"$m": "minutes_prev"}, "$r": 0.7}}}},
                        {"$lt": {"traffic_mb": {"$mul": {"$l": {"$m": "traffic_mb_prev"}, "$r": 0.7}}}}]}
        rules = {
            "care": pair("complaint", "usage", 30, [{"$gte": {"arpu_3m": 120}}, {"$or": [{"$nex": {"bundle": 1}}, {"$neq": {"bundle": "none"}}]}, fall]),
            "bundle": pair("complaint", "usage", 30, [{"$gte": {"arpu_3m": 120}}, {"bundle": "none"}, fall]),
        }
        return rules, {"complaint": 30 * DAY, "usage": 0}, {"complaint", "usage"}
    rules = {"birthday": {"all": [{"m": {"$and": [{"t": "month_start"}, {"$ex": {"birthday_month": 1}},
                                                  {"month": {"$m": "birthday_month"}},
                                                  {"$neq": {"card": "none"}}, {"$gte": {"arpu_3m": 200}}]}}]}}
    return rules, {}, set()


def run_raw(workload: str, total: int, customer_count: int, via_host: bool) -> dict:
    from durable import engine

    people = customers(workload, customer_count)
    if workload == "spend-drop":  # the facts the hand-written patterns read
        facts = {c: {k: v for k, v in f.items() if v is not None and k != "id"} for c, f in people.items()}
    else:
        facts = {c: {k: v for k, v in f.items() if v is not None} for c, f in people.items()}
    rules, retention, fact_types = raw_rules(workload)
    hits: list = []
    definition = {name: {**rule, "run": (lambda c: hits.append(c._m))} for name, rule in rules.items()}
    name = f"raw-{workload}-{os.getpid()}"
    if via_host:
        from durable.lang import get_host

        host = get_host()
        host.register_rulesets({name: definition})
        durable = host.get_ruleset(name)

        def assert_fact(fact):
            return host.assert_fact(name, fact)

        def post_event(fact):
            return host.post(name, fact)

        def retract(fact):
            return host.retract_fact(name, fact)
    else:
        durable = engine.Ruleset(name, None, definition)

        def callback(error, state):
            if error:
                raise error

        def assert_fact(fact):
            durable.do_actions(durable.assert_fact(fact), callback)

        def post_event(fact):
            durable.do_actions(durable.assert_event(fact), callback)

        def retract(fact):
            durable.do_actions(durable.retract_fact(fact), callback)
    not_handled = engine.MessageNotHandledException
    sids = [str(i) for i in range(SHARDS)]
    queue: deque = deque()
    serial = 0
    timed = 0.0
    samples = []
    done = 0
    recommended = 0
    for chunk in events(workload, list(people), total):
        begin = time.process_time()
        for customer, event in chunk:
            at = (dt.datetime.fromisoformat(event["at"]) - EPOCH) // MICRO
            while queue and queue[0][0] < at:
                _, sid, fid = queue.popleft()
                retract({"sid": sid, "id": fid})
            serial += 1
            sid = sids[zlib.crc32(customer.encode()) % SHARDS]
            kind = event["type"]
            fact = {"sid": sid, "id": serial, "c": customer, "t": kind, "at": at, "k": 1, **facts[customer], **event}
            fact["t"], fact["at"] = kind, at
            try:
                if kind in fact_types:
                    assert_fact(fact)
                    queue.append((at + retention[kind], sid, serial))
                else:
                    post_event(fact)
            except not_handled:
                pass
            recommended += len(hits)
            hits.clear()
        timed += time.process_time() - begin
        done += len(chunk)
        if done % max(total // 10, 1) < len(chunk):
            samples.append((done, round(rss_mb(), 1)))
    return {"events": done, "seconds": timed, "recommendations": recommended, "rss_samples": samples,
            "peak_rss_mb": round(peak_mb(), 1), "live_facts": len(queue), "durable_sessions": SHARDS}


def run_wrapper(workload: str, total: int, customer_count: int) -> dict:
    import marketing_rules as mr

    rs = mr.load_ruleset(ROOT / "rulesets" / RULESETS[workload])
    people = customers(workload, customer_count)
    stream = mr.Stream(rs, shards=SHARDS)
    for customer, facts in people.items():
        stream.set_customer(customer, facts)
    timed = 0.0
    samples = []
    done = 0
    recommended = 0
    post = stream.post
    for chunk in events(workload, list(people), total):
        begin = time.process_time()
        for customer, event in chunk:
            recommended += len(post(customer, event))
        timed += time.process_time() - begin
        done += len(chunk)
        if done % max(total // 10, 1) < len(chunk):
            samples.append((done, round(rss_mb(), 1)))
    stats = stream.stats()
    return {"events": done, "seconds": timed, "recommendations": recommended, "rss_samples": samples,
            "peak_rss_mb": round(peak_mb(), 1), "live_facts": stats["facts"], "durable_sessions": SHARDS}


# -- accrual ------------------------------------------------------------------------------------------------
CLUB_TYPES = ["trial_started", "trial_used", "referral", "download", "download", "download", "convert_paid",
              "incubation_end"]


def club_histories(customer_count: int, per_customer: int) -> Iterator[tuple[dict, list[dict]]]:
    rng = random.Random(5)
    for i in range(customer_count):
        customer = {"id": f"1390{i:07d}", "club_level": rng.choice(["none", "ordinary", "platinum", "diamond"])}
        history = []
        for n in range(per_customer):
            kind = rng.choice(CLUB_TYPES)
            event = {"type": kind, "at": START + dt.timedelta(hours=7 * n + rng.randrange(5))}
            if kind in ("trial_started", "trial_used", "download", "convert_paid"):
                event["service"] = rng.choice(["music", "video", "game", "news"])
            if kind == "referral":
                event["referred"] = f"1370{rng.randrange(10**6):07d}"
            if kind == "convert_paid":
                event["in_trial"] = rng.random() < 0.7
            history.append(event)
        yield customer, history


def plain_coins(club_level, events) -> Decimal:
    """The coin rules written out by hand (the floor): credited plus pending."""
    level = {"diamond": Decimal(2), "platinum": Decimal("1.5")}.get(club_level or "", Decimal(1))
    total = Decimal(0)
    trial_customer = senior = converted = False
    trialled, referred, seen = set(), set(), {}
    for e in sorted(events, key=lambda e: e["at"]):
        kind = e["type"]
        if kind == "trial_used" and e["service"] not in trialled:
            trialled.add(e["service"])
            total += 5 * level * (2 if senior else 1)
        elif kind == "referral" and e["referred"] not in referred:
            referred.add(e["referred"])
            total += 5 * level * (2 if senior else 1)
        elif kind == "download" and trial_customer:
            seen[e["service"]] = seen.get(e["service"], 0) + 1
            if seen[e["service"]] > 1:
                total += 2 * level
        elif kind == "convert_paid" and e.get("in_trial") and not converted:
            converted = True
            total += 20 * level
        trial_customer |= kind == "trial_started"
        senior |= kind == "convert_paid"
    return total


def run_accrue(total: int, plain: bool) -> dict:
    import marketing_rules as mr

    rs = mr.load_ruleset(ROOT / "rulesets" / "experience-club" / "1.1.0.yaml")
    per_customer = 50
    timed, done, coins = 0.0, 0, Decimal(0)
    samples = []
    batch = []
    for customer, history in club_histories(total // per_customer, per_customer):
        batch.append((customer, history))
        if len(batch) * per_customer < CHUNK:
            continue
        begin = time.process_time()
        for c, h in batch:
            if plain:
                coins += plain_coins(c["club_level"], h)
            else:
                s = rs.accrue(c, h)
                coins += Decimal(str(s.total)) + Decimal(str(s.pending))
        timed += time.process_time() - begin
        done += len(batch) * per_customer
        batch = []
        if done % max(total // 10, 1) < CHUNK:
            samples.append((done, round(rss_mb(), 1)))
    return {"events": done, "seconds": timed, "coins": str(coins), "rss_samples": samples,
            "peak_rss_mb": round(peak_mb(), 1)}


# -- the harness --------------------------------------------------------------------------------------------
def child(args: argparse.Namespace) -> None:
    if args.engine == "wrapper":
        result = run_wrapper(args.workload, args.events, args.customers)
    elif args.engine in ("raw", "raw-host"):
        result = run_raw(args.workload, args.events, args.customers, via_host=args.engine == "raw-host")
    else:
        result = run_accrue(args.events, plain=args.engine == "plain")
    print(json.dumps(result))
    sys.stdout.flush()
    os._exit(0)  # durable's host threads would keep a raw-host child alive


def spawn(workload: str, engine: str, events_count: int, customer_count: int) -> dict:
    command = [sys.executable, __file__, "--child", "--workload", workload, "--engine", engine,
               "--events", str(events_count), "--customers", str(customer_count)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{workload} {engine} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per engine, alternated; the best and the median are reported")
    parser.add_argument("--workloads", default="spend-drop,complaint-usage,birthday,accrue")
    parser.add_argument("--engines", default="wrapper,raw,raw-host")
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    results = []
    for workload in args.workloads.split(","):
        engines = ["accrue", "plain"] if workload == "accrue" else args.engines.split(",")
        runs: dict[str, list[dict]] = {e: [] for e in engines}
        for _ in range(args.repeat):
            for engine_name in engines:
                runs[engine_name].append(spawn(workload, engine_name, args.events, args.customers))
        for engine_name, attempts in runs.items():
            best = max(attempts, key=lambda r: r["events"] / r["seconds"])
            rate = best["events"] / best["seconds"]  # noise only slows a run down: the best is the figure
            row = {"workload": workload, "engine": engine_name, "events": best["events"],
                   "events_per_s": round(rate), "us_per_event": round(1e6 / rate, 1),
                   "median_events_per_s": round(statistics.median(r["events"] / r["seconds"] for r in attempts)),
                   "runs": [round(r["events"] / r["seconds"]) for r in attempts],
                   "peak_rss_mb": max(r["peak_rss_mb"] for r in attempts), "rss_samples": best["rss_samples"]}
            for key in ("recommendations", "coins", "live_facts"):
                if key in best:
                    row[key] = best[key]
            results.append(row)
            print(f"{workload:<16} {engine_name:<9} {row['events']:>9,} events  {row['events_per_s']:>8,} ev/s "
                  f"({row['us_per_event']} us)  peak {row['peak_rss_mb']} MB  rss {[s[1] for s in row['rss_samples']]}"
                  + (f"  recommended {row['recommendations']:,}" if "recommendations" in row else ""), flush=True)
    for workload in args.workloads.split(","):
        rows = {r["engine"]: r for r in results if r["workload"] == workload}
        base = rows.get("plain") if workload == "accrue" else rows.get("raw")
        subject = rows.get("accrue") if workload == "accrue" else rows.get("wrapper")
        if base and subject:
            ratio = base["events_per_s"] / subject["events_per_s"]
            median = base["median_events_per_s"] / subject["median_events_per_s"]
            print(f"{workload}: {'accrue' if workload == 'accrue' else 'wrapper'} costs {ratio - 1:+.0%} over "
                  f"{'plain Python' if workload == 'accrue' else 'raw durable_rules'} "
                  f"(best runs; medians {median - 1:+.0%})")
            subject["cost_over_baseline"] = round(ratio - 1, 3)
            subject["cost_over_baseline_medians"] = round(median - 1, 3)
    if args.json:
        meta = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count(),
                "processor": _cpu(), "date": time.strftime("%Y-%m-%d"), "events": args.events,
                "customers": args.customers, "repeat": args.repeat}
        Path(args.json).write_text(json.dumps({"meta": meta, "results": results}, indent=2), encoding="utf-8")


def _cpu() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


if __name__ == "__main__":
    main()
