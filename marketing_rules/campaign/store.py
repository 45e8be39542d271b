"""The campaign store: an embedded DuckDB file that remembers what was recommended, to whom, and
what came of it (plan 001, section 4.2: the records of the marketing loop).

Tables: ``campaigns`` (one row per run), ``recommendations`` (one per customer and offer chosen,
contacted or held out), ``outcomes`` (uptakes), ``billing`` (monthly spend), ``rejected`` (every
import row that was refused, with its file, line and reason) and ``imports`` (one row per import,
whose counts add up: rows = accepted + rejected).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULT_STORE = "campaigns.duckdb"

TABLES: dict[str, str] = {
    "campaigns": """name VARCHAR PRIMARY KEY, ruleset VARCHAR, version VARCHAR, fingerprint VARCHAR,
        decided_at DATE, channel VARCHAR, holdout DOUBLE, lock_in_months INTEGER, customers BIGINT,
        rejected BIGINT, eligible BIGINT, contacted BIGINT, held_out BIGINT, backend VARCHAR,
        recorded_at TIMESTAMP""",
    "recommendations": """campaign VARCHAR, id VARCHAR, offer VARCHAR, code VARCHAR, channel VARCHAR,
        rewards VARCHAR, cost DOUBLE, benefit_months INTEGER, held_out BOOLEAN, score DOUBLE,
        segment VARCHAR, commitment BOOLEAN, stacking VARCHAR, ruleset VARCHAR, version VARCHAR,
        fingerprint VARCHAR, decided_at DATE, recorded_at TIMESTAMP""",
    "outcomes": """campaign VARCHAR, id VARCHAR, offer VARCHAR, handled_at TIMESTAMP, channel VARCHAR,
        source VARCHAR, line BIGINT""",
    "billing": """id VARCHAR, month DATE, arpu DOUBLE, voice_min BIGINT, data_mb DOUBLE, source VARCHAR,
        line BIGINT""",
    "rejected": "kind VARCHAR, source VARCHAR, line BIGINT, reason VARCHAR, record VARCHAR",
    "imports": """kind VARCHAR, source VARCHAR, rows BIGINT, accepted BIGINT, rejected BIGINT,
        imported_at TIMESTAMP""",
}


class Store:
    """A campaign store in a DuckDB file (created with its tables on first use).

    >>> store = Store("campaigns.duckdb")          # doctest: +SKIP
    >>> store.sql("SELECT count(*) FROM recommendations").fetchall()   # doctest: +SKIP
    """

    def __init__(self, path: str | Path = DEFAULT_STORE, *, threads: int | None = None,
                 memory_limit: str | None = None):
        import duckdb

        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        self.path = str(path)
        self.con = duckdb.connect(self.path, config=config)
        for name, columns in TABLES.items():
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")

    def sql(self, query: str, params: list[Any] | None = None) -> Any:
        """Run a query on the store (a DuckDB relation or cursor)."""
        return self.con.execute(query, params) if params is not None else self.con.sql(query)

    def rows(self, query: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        """The rows of a query as dicts."""
        cursor = self.con.execute(query, params or [])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(store: Store | str | Path | None) -> tuple[Store, bool]:
    """The store, and whether the caller opened it (and so closes it)."""
    if isinstance(store, Store):
        return store, False
    return Store(store or DEFAULT_STORE), True
