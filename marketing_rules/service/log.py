"""The decision log: every decision the service answers, durably in a DuckDB file.

A writer thread takes every record waiting, appends them to a journal file with one write and one
fsync (group commit), and only then lets their requests answer: an acknowledged decision is in the
log, even after ``kill -9``. A loader thread moves the journal into the DuckDB table every second;
opening the log moves whatever a killed server left. The customer as given is kept (``inputs``, JSON) so that a candidate version can
be replayed on real traffic (:func:`logged_customers`, ``marketing-rules diff --log``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import queue
import secrets
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import orjson

from marketing_rules.engine.decision import Decision
from marketing_rules.i18n import _

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

class LogUnavailable(RuntimeError):
    """The log could not commit: the decisions are not answered (HTTP 503), never answered unlogged."""


#: One decision to record: its journal line (JSON), encoded by the request's own thread so that the
#: writer does almost no Python work (it would contend with the event loop for the GIL).
Row = bytes


JOURNAL_SECONDS = 1.0  # how often the journal is loaded into the DuckDB table
JOURNAL_BYTES = 16 << 20  # or sooner, when it holds this much
LOADER_NICE = 10  # how far the loader's priority is below the requests' (see _yield_to_requests)
MEMORY_LIMIT = "128MB"  # DuckDB's buffer pool for the log: the table grows, the server's memory should not
_COLUMNS = {"time": "TIMESTAMPTZ", "decision_id": "VARCHAR", "ruleset": "VARCHAR", "version": "VARCHAR",
            "fingerprint": "VARCHAR", "as_of": "DATE", "customer": "VARCHAR", "inputs": "VARCHAR",
            "offers": "VARCHAR[]", "fired": "VARCHAR[]", "access": "VARCHAR", "latency_us": "DOUBLE"}


class DecisionLog:
    """The decision log of a server: a journal fsynced per group of decisions, loaded into DuckDB.

    A decision is acknowledged once its line is in the journal and the journal is on disk (group
    commit: one write and one fsync for every record waiting). A loader thread moves the journal into
    the DuckDB table every second; whatever a killed server had not moved is moved the next time the
    log is opened (by a server, ``marketing-rules log``, ``diff --log`` or :func:`connect`).
    """

    def __init__(self, path: str | Path, *, mask_ids: bool = False, inputs: bool = True):
        self.path = Path(path)
        self.mask_ids, self.inputs = mask_ids, inputs
        self._con = duckdb.connect(str(self.path), config={"memory_limit": MEMORY_LIMIT, "threads": 1})
        self._con.execute(SCHEMA)
        load_journals(self._con, self.path)  # what a server killed before loading it had acknowledged
        self._salt = self._meta_salt() if mask_ids else b""
        self._queue: queue.SimpleQueue[tuple[list[Row], asyncio.AbstractEventLoop, asyncio.Future[None]] | None] = \
            queue.SimpleQueue()
        self._loads: queue.SimpleQueue[Path | None] = queue.SimpleQueue()
        self._number = 0
        self._journal = self._open_journal()
        self._rotated = time.monotonic()
        self.written = self.commits = self.loaded = 0
        self.fsync_seconds = self.load_seconds = 0.0
        self.last_error: str | None = None
        self._loader = threading.Thread(target=self._load_loop, args=(self._con.cursor(),), name="decision-log-loader",
                                        daemon=True)
        self._thread = threading.Thread(target=self._run, name="decision-log", daemon=True)
        self._loader.start()
        self._thread.start()

    def latest(self, **match: Any) -> list[dict[str, Any]]:
        """What :func:`rows` reads from a stopped server's log, read while this server writes it (the
        decisions of about the last second are still in the journal)."""
        with self._con.cursor() as cursor:
            return latest(cursor, **match)

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
        """The journal lines recording ``decisions`` (the ids answered, the customers as given)."""
        now, micros = dt.datetime.now(dt.UTC), latency * 1e6
        return [self._row(now, i, d, c, at, micros) for d, i, c in zip(decisions, ids, customers)]

    def _row(self, now: dt.datetime, decision_id: str, d: Decision, customer: Any, at: dt.date, micros: float) -> Row:
        who = d.facts.get("id")
        if who is not None:
            who = self._hash(str(who)) if self.mask_ids else str(who)
            if self.mask_ids and isinstance(customer, dict) and "id" in customer:
                customer = {**customer, "id": who}
        access = {s: list(a.modes) for s, a in d.access.items()}
        return orjson.dumps({"time": now, "decision_id": decision_id, "ruleset": d.ruleset, "version": d.version,
                             "fingerprint": d.fingerprint, "as_of": at, "customer": who,
                             "inputs": _json(customer) if self.inputs else None, "offers": [o.id for o in d.offers],
                             "fired": list(d.fired), "access": _json(access), "latency_us": micros},
                            default=str, option=orjson.OPT_APPEND_NEWLINE)

    async def append(self, entries: list[Row]) -> None:
        """Return once ``entries`` are on disk; raise :class:`LogUnavailable` if they cannot be."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put((entries, loop, done))
        await done

    def status(self) -> dict[str, Any]:
        return {"path": str(self.path), "written": self.written, "commits": self.commits, "loaded": self.loaded,
                "fsync_ms_per_commit": round(1e3 * self.fsync_seconds / max(1, self.commits), 3),
                "load_seconds": round(self.load_seconds, 3), "last_error": self.last_error}

    def close(self) -> None:
        """Commit what waits, load the whole journal into the table, close the file."""
        self._queue.put(None)
        self._thread.join(60)
        self._loads.put(None)
        self._loader.join(120)
        self._con.close()

    # -- the writer thread: group commit to the journal --------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=JOURNAL_SECONDS)
            except queue.Empty:  # quiet: hand over what the journal holds
                if self._journal.tell():
                    self._rotate()
                continue
            waiting = [item]
            while True:  # everything that arrived while the last commit ran: one write, one fsync
                try:
                    waiting.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            pending = [w for w in waiting if w is not None]
            if pending:
                self._commit(pending)
            if len(pending) < len(waiting):
                self._rotate(last=True)
                return
            if time.monotonic() - self._rotated > JOURNAL_SECONDS or self._journal.tell() > JOURNAL_BYTES:
                self._rotate()

    def _commit(self, pending: list[tuple[list[Row], asyncio.AbstractEventLoop, asyncio.Future[None]]]) -> None:
        lines = [line for batch, _loop, _done in pending for line in batch]
        error: Exception | None = None
        try:
            started = time.perf_counter()
            self._journal.write(b"".join(lines))
            self._journal.flush()
            os.fsync(self._journal.fileno())
            self.fsync_seconds += time.perf_counter() - started
            self.written += len(lines)
            self.commits += 1
        except Exception as failure:  # noqa: BLE001 - any failure refuses the answers, none is lost silently
            error = LogUnavailable(_("the decision log {path} could not commit: {failure}", path=self.path, failure=failure))
            self.last_error = str(error)
        for _batch, loop, done in pending:
            loop.call_soon_threadsafe(_settle, done, error)

    def _open_journal(self) -> Any:
        self._number += 1
        return open(journal_path(self.path, self._number), "ab")  # noqa: SIM115 - kept open between commits

    def _rotate(self, last: bool = False) -> None:
        """Hand the journal to the loader and start the next one."""
        self._journal.close()
        self._loads.put(Path(self._journal.name))
        if not last:
            self._journal = self._open_journal()
            self._rotated = time.monotonic()

    # -- the loader thread: journal -> DuckDB ------------------------------------------------------
    def _load_loop(self, con: duckdb.DuckDBPyConnection) -> None:
        _yield_to_requests()
        while (journal := self._loads.get()) is not None:
            started = time.perf_counter()
            try:
                self.loaded += load_journal(con, journal)
            except Exception as failure:  # noqa: BLE001 - the journal stays on disk; the next open loads it
                self.last_error = _("could not load {journal} into {path}: {failure}", journal=journal, path=self.path,
                                    failure=failure)
            self.load_seconds += time.perf_counter() - started
        con.close()

    def _hash(self, customer_id: str) -> str:
        return hashlib.sha256(self._salt + customer_id.encode()).hexdigest()[:20]


def _yield_to_requests() -> None:
    """Lower this thread's scheduling priority (Linux: per thread), so that loading a journal into
    DuckDB, which nothing waits for, takes a core only when the requests leave it free."""
    if sys.platform == "linux":
        try:
            me = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, me, min(19, os.getpriority(os.PRIO_PROCESS, me) + LOADER_NICE))
        except OSError:  # not allowed here: the loader runs at the server's priority
            pass


def journal_path(log: Path, number: int) -> Path:
    return log.with_name(f"{log.name}.journal-{os.getpid()}-{number:09d}")


def load_journals(con: duckdb.DuckDBPyConnection, log: Path) -> int:
    """Load every journal a server left beside ``log`` into its table, oldest first; the rows loaded."""
    journals = sorted(log.parent.glob(log.name + ".journal-*"), key=lambda p: (p.stat().st_mtime_ns, p.name))
    return sum(load_journal(con, journal) for journal in journals)


def load_journal(con: duckdb.DuckDBPyConnection, journal: Path) -> int:
    """Insert one journal file into the table (one transaction), then remove it.

    A line cut short at the end (a write that ``kill -9`` interrupted before its fsync returned, so
    never acknowledged) is dropped."""
    with open(journal, "r+b") as file:
        text = file.read()
        whole = text.rfind(b"\n") + 1
        if whole < len(text):
            file.truncate(whole)
    if whole:
        columns = "{" + ", ".join(f"'{name}': '{kind}'" for name, kind in _COLUMNS.items()) + "}"
        con.execute(f"INSERT INTO {TABLE} SELECT {', '.join(_COLUMNS)} FROM read_json(?, format = 'newline_delimited', "
                    f"columns = {columns})", [str(journal)])
        rows = con.execute("SELECT count(*) FROM read_json(?, format = 'newline_delimited', "
                           "columns = {'decision_id': 'VARCHAR'})", [str(journal)]).fetchone()
    else:
        rows = (0,)
    journal.unlink()
    return int(rows[0]) if rows else 0


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
        raise FileNotFoundError(_("no decision log at {path}", path=path))
    if any(Path(path).parent.glob(Path(path).name + ".journal-*")):  # a server stopped before loading them
        with duckdb.connect(str(path)) as con:
            load_journals(con, Path(path))
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
    with connect(path) as con:
        return latest(con, ruleset=ruleset, since=since, customer=customer, limit=limit)


def latest(con: duckdb.DuckDBPyConnection, *, ruleset: str | None = None, since: dt.date | None = None,
           customer: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """The latest decisions in the log ``con`` opens that match, newest first."""
    where, params = _where(ruleset, since, customer)
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
