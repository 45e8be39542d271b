"""The decision log: every acknowledged decision is committed in the DuckDB file, even after kill -9."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

import duckdb
import httpx
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from marketing_rules.cli import main
from marketing_rules.service.log import connect, logged_customers
from marketing_rules.synthetic import customers as synthetic
from tests.serving import RULESETS, eventually, serving

pytest.importorskip("fastapi")


def read(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Query the log as any reader opens it: the journal a killed server left is loaded first."""
    with connect(path) as con:
        return con.execute(sql).fetchall()


def test_every_decision_is_logged_with_what_was_decided(tmp_path: Path) -> None:
    log = tmp_path / "decisions.duckdb"
    batch = list(synthetic(50, 3))
    with serving(RULESETS, "--log", str(log), "--no-watch") as server:
        one = server.post("/v1/rulesets/gotone-vip/decisions", {"customer": batch[0]}).json()
        many = server.post("/v1/rulesets/gotone-vip/decisions", {"customers": batch, "at": "2026-12-01"}).json()["decisions"]
        assert server.get("/health").json()["log"]["written"] == 51

        def loaded() -> None:  # a quiet server still moves its journal into the table within seconds
            assert server.get("/health").json()["log"]["loaded"] == 51
        eventually(loaded)
    answered = {d["decision_id"]: d for d in [one, *many]}
    logged = read(log, "SELECT decision_id, ruleset, version, fingerprint, as_of, customer, inputs, offers, fired, latency_us "
                       "FROM decisions")
    assert {row[0] for row in logged} == set(answered)
    for decision_id, ruleset, version, fingerprint, at, customer, inputs, offers, fired, latency in logged:
        d = answered[decision_id]
        assert (ruleset, version, fingerprint, customer) == (d["ruleset"], d["version"], d["fingerprint"], d["facts"]["id"])
        assert offers == [o["id"] for o in d["offers"]] and fired == d["fired"]
        assert str(at) == ("2027-01-15" if decision_id == one["decision_id"] else "2026-12-01")
        assert json.loads(str(inputs))["id"] == customer and isinstance(latency, float)
    assert list(logged_customers(log, ruleset="gotone-vip"))[-50:] == json.loads(json.dumps(batch))


def test_the_log_is_read_through_the_server_while_it_runs(tmp_path: Path) -> None:
    log = tmp_path / "decisions.duckdb"
    batch = list(synthetic(30, 5))
    with serving(RULESETS, "--log", str(log), "--no-watch") as server:
        answered = server.post("/v1/rulesets/gotone-vip/decisions", {"customers": batch}).json()["decisions"]
        server.post("/v1/rulesets/lifecycle/decisions", {"customer": batch[0]})

        def readable() -> None:
            body = server.get("/v1/log?ruleset=gotone-vip&limit=1000").json()
            assert [d["decision_id"] for d in body["decisions"]] == [d["decision_id"] for d in reversed(answered)]
        eventually(readable)
        newest = server.get(f"/v1/log?customer={batch[0]['id']}&limit=1").json()["decisions"]
        assert [d["ruleset"] for d in newest] == ["lifecycle"]
        assert server.get("/v1/log?limit=0").status_code == 422
    with serving(RULESETS, "--no-log", "--no-watch") as server:
        assert server.get("/v1/log").status_code == 503


def test_after_kill_9_every_acknowledged_decision_is_in_the_log(tmp_path: Path) -> None:
    log = tmp_path / "decisions.duckdb"
    acknowledged: list[str] = []
    stop = threading.Event()
    with serving(RULESETS, "--log", str(log), "--no-watch") as server:
        def load(seed: int) -> None:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                for customer in synthetic(100_000, seed):
                    if stop.is_set():
                        return
                    try:
                        response = client.post("/v1/rulesets/stock-ops/decisions", json={"customer": customer})
                    except httpx.TransportError:
                        return
                    if response.status_code == 200:
                        acknowledged.append(response.json()["decision_id"])

        clients = [threading.Thread(target=load, args=(seed,)) for seed in range(8)]
        for client in clients:
            client.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 300 and time.monotonic() < deadline:  # load in flight, however busy the machine
            time.sleep(0.05)
        server.kill()
        stop.set()
        for client in clients:
            client.join()
    assert len(acknowledged) >= 300
    assert list(tmp_path.glob("decisions.duckdb.journal-*")), "killed: the last journal was not loaded"
    logged = {row[0] for row in read(log, "SELECT decision_id FROM decisions")}
    assert set(acknowledged) <= logged
    assert not list(tmp_path.glob("decisions.duckdb.journal-*"))
    with duckdb.connect(str(log), read_only=True) as con:  # loaded for good: plain DuckDB sees them too
        assert {row[0] for row in con.execute("SELECT decision_id FROM decisions").fetchall()} == logged


def test_masked_ids_and_no_inputs(tmp_path: Path) -> None:
    log = tmp_path / "masked.duckdb"
    customer = next(synthetic(1, 5))
    with serving(RULESETS, "--log", str(log), "--mask-ids", "--no-watch") as server:
        for _ in range(2):
            assert server.post("/v1/rulesets/gotone-vip/decisions", {"customer": customer}).status_code == 200
    rows = read(log, "SELECT customer, inputs FROM decisions")
    assert len({row[0] for row in rows}) == 1 and rows[0][0] != customer["id"]
    assert all(json.loads(str(row[1]))["id"] == row[0] and customer["id"] not in str(row[1]) for row in rows)
    bare = tmp_path / "bare.duckdb"
    with serving(RULESETS, "--log", str(bare), "--no-inputs", "--no-watch") as server:
        server.post("/v1/rulesets/gotone-vip/decisions", {"customer": customer})
    assert read(bare, "SELECT customer, inputs FROM decisions") == [(customer["id"], None)]
    assert list(logged_customers(bare)) == []


def test_the_log_command_shows_filters_and_exports(tmp_path: Path) -> None:
    log = tmp_path / "decisions.duckdb"
    batch = list(synthetic(30, 11))
    with serving(RULESETS, "--log", str(log), "--no-watch") as server:
        server.post("/v1/rulesets/lifecycle/decisions", {"customers": batch})
        server.post("/v1/rulesets/gotone-vip/decisions", {"customer": batch[0]})
    shown = CliRunner().invoke(main, ["log", str(log), "--ruleset", "gotone-vip"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("31 decisions in") and "the latest 1:" in shown.output
    assert f"gotone-vip 1.1.0   {batch[0]['id']}" in shown.output
    exported = CliRunner().invoke(main, ["log", str(log), "--export", str(tmp_path / "parquet")])
    assert exported.exit_code == 0, exported.output
    days = list((tmp_path / "parquet").glob("day=*"))
    assert len(days) == 1
    assert pq.read_table(tmp_path / "parquet").num_rows == 31


def test_a_line_cut_short_by_a_kill_is_dropped_the_rest_loaded(tmp_path: Path) -> None:
    import datetime as dt

    import marketing_rules as mr
    from marketing_rules.service.log import DecisionLog, journal_path

    path = tmp_path / "decisions.duckdb"
    log = DecisionLog(path)
    rs = mr.Registry(RULESETS).get("gotone-vip", version="1.1.0")
    people = list(synthetic(3, 1))
    lines = log.entries([rs.evaluate(c) for c in people], ["a", "b", "c"], people, dt.date(2027, 1, 15), 1e-5)
    log.close()
    journal = journal_path(path, 999)  # what a killed server leaves: two whole lines and a cut one
    journal.write_bytes(lines[0] + lines[1] + lines[2][:40])
    assert read(path, "SELECT decision_id, customer, as_of FROM decisions ORDER BY rowid") == [
        ("a", people[0]["id"], dt.date(2027, 1, 15)), ("b", people[1]["id"], dt.date(2027, 1, 15))]
    assert not journal.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread priorities are Linux's")
def test_the_loader_yields_the_cores_to_the_requests(tmp_path: Path) -> None:
    from marketing_rules.service.log import LOADER_NICE, DecisionLog

    log = DecisionLog(tmp_path / "decisions.duckdb")
    try:
        loader = log._loader.native_id
        assert loader is not None
        server = os.getpriority(os.PRIO_PROCESS, 0)

        def lowered() -> None:
            assert os.getpriority(os.PRIO_PROCESS, loader) == min(19, server + LOADER_NICE)

        eventually(lowered)
        assert os.getpriority(os.PRIO_PROCESS, log._thread.native_id or 0) == server  # the commits are not
    finally:
        log.close()
