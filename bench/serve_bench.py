"""The decision service under load: decisions per second and latency, with the durable log on and off.

A bounded local load test: ``marketing-rules serve`` in a subprocess on a loopback port, and a load
generator in another process holding N keep-alive connections (asyncio), each sending its next
request when the last answer arrived. The in-process ``rs.evaluate`` rate of the same customers is
measured in the same run for comparison.

    python bench/serve_bench.py                         # 32 connections, 10 s per scenario
    python bench/serve_bench.py --seconds 30 --client httpx
    python bench/serve_bench.py --soak 300              # memory of the server over a 5-minute run

The default client speaks HTTP/1.1 over asyncio streams directly (a few microseconds per request),
because an httpx client on the same 2 cores costs more CPU than the server it measures; ``--client
httpx`` runs the same load with httpx.AsyncClient. Every answer is checked (status 200, the number
of decisions in it); a failed request is counted, never dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RULESET, TODAY = "gotone-vip", "2027-01-15"
MAX_SECONDS = 60


# -- the load generator (runs in its own process) -------------------------------------------------
async def _raw_connection(port: int, bodies: list[bytes], path: str, until: float, latencies: list[float],
                          failures: list[str], want: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Content-Length: {}\r\n\r\n")
    i = 0
    try:
        while time.perf_counter() < until:
            body = bodies[i % len(bodies)]
            i += 1
            started = time.perf_counter()
            writer.write(head.format(len(body)).encode() + body)
            headers = await reader.readuntil(b"\r\n\r\n")
            status = headers[9:12]
            length = int(headers.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            answer = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if status != b"200" or (want > 1 and answer.count(b'"decision_id"') != want):
                failures.append(f"{status!r} {answer[:200]!r}")
    finally:
        writer.close()


async def _httpx_connection(client: Any, bodies: list[bytes], path: str, until: float, latencies: list[float],
                            failures: list[str], want: int) -> None:
    i = 0
    while time.perf_counter() < until:
        body = bodies[i % len(bodies)]
        i += 1
        started = time.perf_counter()
        response = await client.post(path, content=body, headers={"content-type": "application/json"})
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200 or (want > 1 and response.content.count(b'"decision_id"') != want):
            failures.append(f"{response.status_code} {response.text[:200]}")


async def _load(port: int, bodies: list[bytes], path: str, connections: int, seconds: float, client: str,
                want: int) -> tuple[list[float], list[str], float]:
    latencies: list[float] = []
    failures: list[str] = []
    started = time.perf_counter()
    until = started + seconds
    if client == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30) as http:
            await asyncio.gather(*(_httpx_connection(http, bodies[k::connections] or bodies, path, until, latencies,
                                                     failures, want) for k in range(connections)))
    else:
        await asyncio.gather(*(_raw_connection(port, bodies[k::connections] or bodies, path, until, latencies,
                                               failures, want) for k in range(connections)))
    return latencies, failures, time.perf_counter() - started


def _load_process(args: tuple[Any, ...], out: Any) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    out.put(asyncio.run(_load(*args)))


def run_load(port: int, bodies: list[bytes], path: str, connections: int, seconds: float, client: str,
             want: int) -> tuple[list[float], list[str], float]:
    queue: Any = mp.get_context("spawn").Queue()
    process = mp.get_context("spawn").Process(target=_load_process,
                                              args=((port, bodies, path, connections, seconds, client, want), queue))
    process.start()
    result = queue.get(timeout=seconds + 120)
    process.join(30)
    return result  # type: ignore[no-any-return]


# -- the server --------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(log: Path | None) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    args = [sys.executable, "-m", "marketing_rules.cli", "serve", str(ROOT / "rulesets"), "--port", str(port),
            "--now", TODAY, "--no-watch"]
    args += ["--log", str(log)] if log is not None else ["--no-log"]
    process = subprocess.Popen(args, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise TimeoutError("the server did not start")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(2)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()


# -- scenarios ---------------------------------------------------------------------------------------
def customers(n: int) -> list[dict[str, Any]]:
    from marketing_rules.synthetic import customers as synthetic

    return list(synthetic(n, 2026))


def in_process(people: list[dict[str, Any]]) -> dict[str, float]:
    """``rs.evaluate`` alone, and with what the server adds: the answer's dict, an id and its JSON."""
    import uuid

    import marketing_rules as mr
    from marketing_rules.service.answers import dumps

    rs = mr.Registry(ROOT / "rulesets").get(RULESET, version="1.1.0")
    figures = {}
    for name, work in (("rs.evaluate", lambda c: rs.evaluate(c)),
                       ("evaluate + as_dict + id + JSON", lambda c: dumps({"decision_id": str(uuid.uuid4()),
                                                                            **rs.evaluate(c).as_dict()}))):
        started, n = time.perf_counter(), 0
        while time.perf_counter() - started < 2:
            for c in people:
                work(c)
            n += len(people)
        figures[name] = n / (time.perf_counter() - started)
    return figures


def scenario(name: str, log: bool, batch: int, people: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="serve-bench-"))
    process, port = start_server(folder / "decisions.duckdb" if log else None)
    try:
        if batch == 1:
            bodies = [json.dumps({"customer": c}).encode() for c in people]
        else:
            bodies = [json.dumps({"customers": people[i:i + batch]}).encode() for i in range(0, len(people) - batch + 1, batch)]
        path = f"/v1/rulesets/{RULESET}/decisions"
        run_load(port, bodies[:50], path, 4, 1.0, args.client, batch)  # warm up
        rss_before = rss_mb(process.pid)
        latencies, failures, elapsed = run_load(port, bodies, path, args.connections, args.seconds, args.client, batch)
        rss_after = rss_mb(process.pid)
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health") as health:
            log_status = json.loads(health.read()).get("log")
    finally:
        stop(process)
    logged = None
    if log:
        from marketing_rules.service.log import connect

        with connect(folder / "decisions.duckdb") as con:
            row = con.execute("SELECT count(*) FROM decisions").fetchone()
            logged = int(row[0]) if row else 0
    shutil.rmtree(folder, ignore_errors=True)
    latencies.sort()
    requests = len(latencies)
    return {"scenario": name, "log": log, "batch": batch, "requests": requests, "failures": len(failures),
            "decisions_per_s": requests * batch / elapsed, "requests_per_s": requests / elapsed,
            "p50_ms": 1e3 * latencies[requests // 2] if latencies else None,
            "p99_ms": 1e3 * latencies[min(requests - 1, int(requests * 0.99))] if latencies else None,
            "logged": logged, "records_per_commit": log_status["written"] / max(1, log_status["commits"]) if log_status else None,
            "log_status": log_status,
            "rss_mb": (round(rss_before), round(rss_after)),
            "first_failure": failures[0] if failures else None}


def soak(seconds: float, people: list[dict[str, Any]], args: argparse.Namespace) -> list[tuple[float, float]]:
    """The server's RSS every 10 s under steady single-customer load with the log on."""
    folder = Path(tempfile.mkdtemp(prefix="serve-soak-"))
    process, port = start_server(folder / "decisions.duckdb")
    bodies = [json.dumps({"customer": c}).encode() for c in people]
    samples: list[tuple[float, float]] = []
    try:
        started = time.monotonic()
        while (elapsed := time.monotonic() - started) < seconds:
            run_load(port, bodies, f"/v1/rulesets/{RULESET}/decisions", args.connections, min(10, seconds - elapsed),
                     args.client, 1)
            samples.append((time.monotonic() - started, rss_mb(process.pid)))
    finally:
        stop(process)
        shutil.rmtree(folder, ignore_errors=True)
    return samples


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return (f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--client", choices=["raw", "httpx"], default="raw")
    parser.add_argument("--batch", type=int, default=100, help="customers per request in the batch scenarios")
    parser.add_argument("--soak", type=float, default=0, help="seconds of a memory soak (log on), 0 for none")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    args.seconds = min(args.seconds, MAX_SECONDS)
    people = customers(2_000)
    print(f"machine: {machine()}")
    print(f"load: {args.connections} connections, {args.seconds:g} s per scenario, client {args.client}, "
          f"ruleset {RULESET} (1.1.0 in force on {TODAY})\n")
    figures = in_process(people[:500])
    for name, rate in figures.items():
        print(f"in process, {name:<32} {rate:>10,.0f} decisions/s")
    results = []
    print(f"\n{'scenario':<28}{'decisions/s':>12}{'requests/s':>12}{'p50 ms':>9}{'p99 ms':>9}{'failed':>8}"
          f"{'logged':>9}  server RSS MB")
    for name, log, batch in (("single, log off", False, 1), ("single, log on", True, 1),
                             (f"batch of {args.batch}, log off", False, args.batch),
                             (f"batch of {args.batch}, log on", True, args.batch)):
        r = scenario(name, log, batch, people, args)
        results.append(r)
        print(f"{name:<28}{r['decisions_per_s']:>12,.0f}{r['requests_per_s']:>12,.0f}{r['p50_ms']:>9.2f}"
              f"{r['p99_ms']:>9.2f}{r['failures']:>8}{r['logged'] if r['logged'] is not None else '-':>9}  "
              f"{r['rss_mb'][0]} -> {r['rss_mb'][1]}")
        if r["records_per_commit"]:
            status = r["log_status"]
            print(f"    {r['records_per_commit']:.1f} records per log commit, {status['fsync_ms_per_commit']:.1f} ms "
                  f"per write and fsync; {status['loaded']:,} loaded into DuckDB in {status['load_seconds']:.1f} s")
        if r["first_failure"]:
            print(f"    first failure: {r['first_failure']}")
    samples = soak(args.soak, people, args) if args.soak else []
    if samples:
        print("\nsoak, log on: server RSS MB " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in samples))
    print(f"\nafter the run: load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine(), "in_process": figures, "scenarios": results,
                                               "soak": samples}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
