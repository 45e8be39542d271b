"""The decision log: every decision the service answers, durably in a DuckDB file.

A writer thread takes every record waiting, inserts them in one transaction through Arrow (group
commit), and only then lets their requests answer: an acknowledged decision is in the log, even
after ``kill -9``. The customer as given is kept (``inputs``, JSON) so that a candidate version can
be replayed on real traffic (:func:`logged_customers`, ``marketing-rules diff --log``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import queue
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from marketing_rules.engine.decision import Decision

TABLE = "decisions"
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    time TIMESTAMPTZ NOT NULL,      -- when the decision was answered (UTC)
    decision_id VARCHAR NOT NULL,   -- as answered to the caller
    ruleset VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    fingerprint VARCHAR NOT NULL,
    as_of DATE NOT NULL,            -- the date the version in force was chosen for
    customer VARCHAR,               -- the customer's id, or its salted hash with --mask-ids
    inputs JSON,                    -- the customer as given (NULL with --no-inputs)
    offers VARCHAR[] NOT NULL,
    fired VARCHAR[] NOT NULL,
    access JSON NOT NULL,           -- service -> modes
    latency_us DOUBLE NOT NULL      -- time to decide, per customer
);
CREATE TABLE IF NOT EXISTS log_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
"""
_ARROW = pa.schema([("time", pa.timestamp("us", tz="UTC")), ("decision_id", pa.string()), ("ruleset", pa.string()),
                    ("version", pa.string()), ("fingerprint", pa.string()), ("as_of", pa.date32()),
                    ("customer", pa.string()), ("inputs", pa.string()), ("offers", pa.list_(pa.string())),
                    ("fired", pa.list_(pa.string())), ("access", pa.string()), ("latency_us", pa.float64())])


class LogUnavailable(RuntimeError):
    """The log could not commit: the decisions are not answered (HTTP 503), never answered unlogged."""


#: One decision to record: the values of the table's columns, in order, encoded by the request's own
#: thread (the writer only transposes them into Arrow and commits, without contending for the GIL).
Row = tuple[Any, ...]


class DecisionLog:
    """An append-only DuckDB table of decisions, written by one thread with group commit."""

    def __init__(self, path: str | Path, *, mask_ids: bool = False, inputs: bool = True):
        self.path = Path(path)
        self.mask_ids, self.inputs = mask_ids, inputs
        self._con = duckdb.connect(str(self.path))
        self._con.execute(SCHEMA)
        self._salt = self._meta_salt() if mask_ids else b""
        self._queue: queue.SimpleQueue[tuple[list[Row], asyncio.AbstractEventLoop, asyncio.Future[None]] | None] = \
            queue.SimpleQueue()
        self.written = self.commits = 0
        self.encode_seconds = self.commit_seconds = 0.0  # the writer's time: building the Arrow batch, inserting
        self.last_error: str | None = None
        self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
        self._thread.start()

    def _meta_salt(self) -> bytes:
        row = self._con.execute("SELECT value FROM log_meta WHERE key = 'salt'").fetchone()
        if row is None:
            salt = secrets.token_hex(16)
            self._con.execute("INSERT INTO log_meta VALUES ('salt', ?)", [salt])
            return salt.encode()
        return str(row[0]).encode()

    # -- the request side ------------------------------------------------------------------------
    def entries(self, decisions: Sequence[Decision], ids: Sequence[str], customers: Sequence[Any], at: dt.date,
                latency: float) -> list[Row]:
        """The rows recording ``decisions`` (the ids answered, the customers as given)."""
        now, micros = dt.datetime.now(dt.UTC), latency * 1e6
        return [self._row(now, i, d, c, at, micros) for d, i, c in zip(decisions, ids, customers)]

    def _row(self, now: dt.datetime, decision_id: str, d: Decision, customer: Any, at: dt.date, micros: float) -> Row:
        who = d.facts.get("id")
        if who is not None:
            who = self._hash(str(who)) if self.mask_ids else str(who)
            if self.mask_ids and isinstance(customer, dict) and "id" in customer:
                customer = {**customer, "id": who}
        access = {s: list(a.modes) for s, a in d.access.items()}
        return (now, decision_id, d.ruleset, d.version, d.fingerprint, at, who,
                _json(customer) if self.inputs else None, [o.id for o in d.offers], list(d.fired), _json(access), micros)

    async def append(self, entries: list[Row]) -> None:
        """Return once ``entries`` are committed; raise :class:`LogUnavailable` if they cannot be."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put((entries, loop, done))
        await done

    def status(self) -> dict[str, Any]:
        per = 1e3 / max(1, self.commits)
        return {"path": str(self.path), "written": self.written, "commits": self.commits,
                "encode_ms_per_commit": round(self.encode_seconds * per, 3),
                "insert_ms_per_commit": round(self.commit_seconds * per, 3), "last_error": self.last_error}

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(30)
        self._con.close()

    # -- the writer thread -----------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            item = self._queue.get()
            waiting = [item]
            while True:  # everything that arrived while the last commit ran: one transaction
                try:
                    waiting.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            pending = [w for w in waiting if w is not None]
            if pending:
                self._commit(pending)
            if len(pending) < len(waiting):
                return

    def _commit(self, pending: list[tuple[list[Row], asyncio.AbstractEventLoop, asyncio.Future[None]]]) -> None:
        entries = [e for batch, _, _ in pending for e in batch]
        error: Exception | None = None
        try:
            started = time.perf_counter()
            table = self._table(entries)
            encoded = time.perf_counter()
            self._con.from_arrow(table).insert_into(TABLE)  # one transaction
            self.encode_seconds += encoded - started
            self.commit_seconds += time.perf_counter() - encoded
            self.written += len(entries)
            self.commits += 1
        except Exception as failure:  # noqa: BLE001 - any failure refuses the answers, none is lost silently
            error = LogUnavailable(f"the decision log {self.path} could not commit: {failure}")
            self.last_error = str(error)
        for _, loop, done in pending:
            loop.call_soon_threadsafe(_settle, done, error)

    @staticmethod
    def _table(rows: list[Row]) -> Any:
        columns = zip(*rows) if rows else ([] for _ in _ARROW.names)
        return pa.table(dict(zip(_ARROW.names, map(list, columns))), schema=_ARROW)

    def _hash(self, customer_id: str) -> str:
        return hashlib.sha256(self._salt + customer_id.encode()).hexdigest()[:20]


def _settle(done: asyncio.Future[None], error: Exception | None) -> None:
    if done.cancelled():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


# -- reading the log back ----------------------------------------------------------------------------
def connect(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to a log (the server must not be running on it: DuckDB has one writer)."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no decision log at {path}")
    return duckdb.connect(str(path), read_only=True)


def _where(ruleset: str | None, since: dt.date | None, customer: str | None) -> tuple[str, list[Any]]:
    clauses, params = [], []
    for column, value in (("ruleset", ruleset), ("CAST(time AS DATE)", since), ("customer", customer)):
        if value is not None:
            clauses.append(f"{column} {'>=' if column.startswith('CAST') else '='} ?")
            params.append(value)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def logged_customers(path: str | Path, *, ruleset: str | None = None, since: dt.date | None = None) -> Iterator[dict[str, Any]]:
    """The customers as given to the logged decisions, oldest first (those logged with --no-inputs are skipped)."""
    where, params = _where(ruleset, since, None)
    where += (" AND " if where else " WHERE ") + "inputs IS NOT NULL"
    with connect(path) as con:
        cursor = con.execute(f"SELECT inputs FROM {TABLE}{where} ORDER BY rowid", params)
        while rows := cursor.fetchmany(10_000):
            for (inputs,) in rows:
                yield orjson.loads(inputs)


def rows(path: str | Path, *, ruleset: str | None = None, since: dt.date | None = None, customer: str | None = None,
         limit: int = 20) -> list[dict[str, Any]]:
    """The latest logged decisions that match, newest first."""
    where, params = _where(ruleset, since, customer)
    with connect(path) as con:
        cursor = con.execute(f"SELECT time, decision_id, ruleset, version, customer, offers, latency_us FROM {TABLE}"
                             f"{where} ORDER BY rowid DESC LIMIT {int(limit)}", params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def count(path: str | Path) -> int:
    with connect(path) as con:
        row = con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
        return int(row[0]) if row else 0


def export(path: str | Path, folder: str | Path) -> int:
    """Write the log as Parquet partitioned by day (``day=2027-01-15/…``), for Spark; the rows written."""
    with connect(path) as con:
        con.execute(f"COPY (SELECT *, CAST(time AS DATE) AS day FROM {TABLE}) TO '{Path(folder)}' "
                    "(FORMAT parquet, PARTITION_BY (day), OVERWRITE_OR_IGNORE)")
        row = con.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
        return int(row[0]) if row else 0
