"""Imports into the campaign store: uptakes (``outcomes``) and monthly billing, CSV or Parquet.

Every row is checked; a row that fails is kept in ``rejected`` with its file, line and reason, and
nothing is dropped: the summary's ``rows`` is always ``accepted + rejected``. A CSV line that cannot
be read as a record (too many or too few fields) is rejected with DuckDB's words for it. Lines count
from 1 with the header as line 1; in Parquet the line is the row's number (1-based).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from marketing_rules.batch.sources import duckdb_kind
from marketing_rules.campaign.run import CHANNELS, CampaignError
from marketing_rules.campaign.store import Store, open_store
from marketing_rules.i18n import N_, _

OUTCOME_COLUMNS = ("id", "handled_at", "channel")  # and offer or code
BILLING_COLUMNS = ("id", "month", "arpu", "voice_min", "data_mb")


IMPORTED = {
    "outcomes": N_("outcomes {file}: {count} rows, {imported} imported, {rejected} rejected"),
    "billing": N_("billing {file}: {count} rows, {imported} imported, {rejected} rejected"),
}


@dataclasses.dataclass(frozen=True)
class ImportSummary:
    """What one import did: ``rows == accepted + rejected``; ``reasons``: reason -> rows."""

    kind: str
    source: str
    rows: int
    accepted: int
    rejected: int
    reasons: dict[str, int]

    def __str__(self) -> str:
        """What the import did, and its rows rejected per reason (the reasons as recorded, in English)."""
        head = _(IMPORTED.get(self.kind, IMPORTED["outcomes"]), file=Path(self.source).name, count=self.rows,
                 imported=self.accepted, rejected=self.rejected)
        return head + "".join(f"\n  {n} {reason}" for reason, n in self.reasons.items())


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _read(store: Store, source: str | Path, required: tuple[str, ...], optional: tuple[str, ...]) -> list[str]:
    """The file as table ``import_raw`` (every column text, plus ``line``), and its unreadable CSV
    lines as ``import_unreadable`` (line, reason, record); returns the columns found."""
    path = str(source)
    if not Path(path).exists():
        raise CampaignError(f"{path}: no such file")
    con = store.con
    for name in ("import_checked", "import_typed", "import_repeated", "import_raw", "import_read"):
        _drop(store, name)
    con.execute("CREATE OR REPLACE TEMP TABLE import_unreadable (line BIGINT, reason VARCHAR, record VARCHAR)")
    if path.lower().endswith((".parquet", ".pq")):
        con.execute(f"CREATE OR REPLACE TEMP VIEW import_read AS SELECT * FROM read_parquet({_text(path)}, "
                    "file_row_number = true)")
        names = [r[0] for r in con.execute("DESCRIBE import_read").fetchall() if r[0] != "file_row_number"]
        line, join = "file_row_number + 1", ""
    else:
        con.execute("DROP TABLE IF EXISTS import_rejects; DROP TABLE IF EXISTS import_rejects_scan")
        con.execute(f"CREATE OR REPLACE TEMP TABLE import_read AS SELECT * FROM read_csv({_text(path)}, "
                    "all_varchar = true, header = true, delim = ',', quote = '\"', escape = '\"', "
                    "store_rejects = true, "
                    "rejects_table = 'import_rejects', rejects_scan = 'import_rejects_scan')")
        con.execute("INSERT INTO import_unreadable SELECT line, error_message, csv_line FROM import_rejects")
        names = [r[0] for r in con.execute("DESCRIBE import_read").fetchall()]
        line, join = _csv_lines(store)
    missing = [c for c in required if c not in names]
    if missing:
        raise CampaignError(f"{path}: no column {', '.join(missing)}; the columns are {', '.join(names)}")
    columns = [c for c in (*required, *optional) if c in names]
    types = {r[0]: r[1] for r in con.execute("DESCRIBE import_read").fetchall()}
    # text is trimmed and empty text is missing; typed Parquet columns stay typed (cheaper to check)
    selected = ", ".join(f"NULLIF(TRIM({c}), '') AS {c}" if types[c] == "VARCHAR" else c for c in columns)
    # Parquet is read where it lies (a view); CSV was read once, for its rejected lines and rowids
    kind = "VIEW" if join == "" and line.startswith("file_row_number") else "TABLE"
    con.execute(f"CREATE OR REPLACE TEMP {kind} import_raw AS SELECT {line} AS line, {selected} FROM import_read{join}")
    if kind == "TABLE":
        con.execute("DROP TABLE import_read")
    return columns


def _drop(store: Store, name: str) -> None:
    """Drop a temporary table or view of an earlier import, whichever it is."""
    found = store.con.execute("SELECT table_type FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()
    if found:
        store.con.execute(f"DROP {'VIEW' if found[0][0] == 'VIEW' else 'TABLE'} {name}")


def _csv_lines(store: Store) -> tuple[str, str]:
    """Each kept record's line (and the join that gives it): the rowid counts kept records only,
    so the rejected lines are skipped."""
    unreadable = store.con.execute("SELECT count(*) FROM import_unreadable").fetchall()[0][0]
    if not unreadable:
        return "import_read.rowid + 2", ""
    store.con.execute("""
        CREATE OR REPLACE TEMP TABLE import_lines AS
        SELECT row_number() OVER (ORDER BY l) - 1 AS k, l FROM range(2, (SELECT count(*) FROM import_read)
          + (SELECT count(*) FROM import_unreadable) + 2) AS t(l)
        WHERE l NOT IN (SELECT line FROM import_unreadable)""")
    return "import_lines.l", " JOIN import_lines ON import_lines.k = import_read.rowid"


def _finish(store: Store, kind: str, source: str, accepted_sql: str, target: str, record: str) -> ImportSummary:
    """Move the checked rows (``import_checked`` with ``reason``, a table or a view) into ``target``
    and ``rejected`` (with ``record``, the row as read, built for the rejected rows only). The
    checked rows are read twice: once for the accepted, once for the few rejected."""
    con = store.con
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE import_rejected AS SELECT line, reason, {record} AS record "
                    "FROM import_checked WHERE reason IS NOT NULL")
        con.execute(f"INSERT INTO {target} {accepted_sql}")
        con.execute("INSERT INTO rejected SELECT ?, ?, line, reason, record FROM import_rejected", [kind, source])
        con.execute("INSERT INTO rejected SELECT ?, ?, line, 'unreadable line: ' || reason, record "
                    "FROM import_unreadable", [kind, source])
        counts = con.execute("""
            SELECT (SELECT count(*) FROM import_raw), (SELECT count(*) FROM import_rejected),
                   (SELECT count(*) FROM import_unreadable)""").fetchall()[0]
        rows, rejected = int(counts[0]) + int(counts[2]), int(counts[1]) + int(counts[2])
        con.execute("INSERT INTO imports VALUES (?, ?, ?, ?, ?, current_localtimestamp())",
                    [kind, source, rows, rows - rejected, rejected])
        reasons = con.execute("""
            SELECT reason, count(*) FROM (
              SELECT regexp_replace(reason, ' \\(.*', '') AS reason FROM import_rejected
              UNION ALL SELECT 'unreadable line' FROM import_unreadable)
            GROUP BY reason ORDER BY count(*) DESC, reason""").fetchall()
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return ImportSummary(kind, source, rows, rows - rejected, rejected, {r: int(n) for r, n in reasons})


def import_outcomes(source: str | Path, *, store: Store | str | Path | None = None) -> ImportSummary:
    """Import uptake records: ``id``, ``offer`` (or catalogue ``code``), ``handled_at``, ``channel``,
    optionally ``campaign``. An uptake is matched to the latest campaign at or before ``handled_at``
    that chose the customer for that offer (contacted or held out: a held-out customer who takes the
    offer anyway is recorded, and shown in the report)."""
    opened, owned = open_store(store)
    try:
        columns = _read(opened, source, OUTCOME_COLUMNS, ("offer", "code", "campaign"))
        if "offer" not in columns and "code" not in columns:
            raise CampaignError(f"{source}: no column offer or code (an uptake names its offer)")
        offer = "r.offer = u.offer" if "offer" in columns else "FALSE"
        code = "(u.offer IS NULL AND r.code = u.code)" if "code" in columns else "FALSE"
        campaign = "AND (u.campaign IS NULL OR r.campaign = u.campaign)" if "campaign" in columns else ""
        named = {c: f"u.{c}" if c in columns else "CAST(NULL AS VARCHAR)" for c in ("offer", "code", "campaign")}
        channels = ", ".join(_text(c) for c in CHANNELS)
        opened.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE import_checked AS
            WITH typed AS (
              SELECT u.*, TRY_CAST(u.handled_at AS TIMESTAMP) AS ts FROM import_raw AS u
            ), matched AS (
              SELECT u.line, u.id, u.handled_at, u.channel, u.ts, {named['offer']} AS offer_in,
                     {named['code']} AS code_in, {named['campaign']} AS campaign_in,
                     r.campaign, r.offer, r.decided_at,
                     row_number() OVER (PARTITION BY u.line ORDER BY (r.decided_at <= CAST(u.ts AS DATE)) DESC,
                                        r.decided_at DESC) AS pick
              FROM typed AS u LEFT JOIN recommendations AS r
                ON r.id = u.id AND ({offer} OR {code}) {campaign}
            ), one AS (
              SELECT *, row_number() OVER (PARTITION BY campaign, id, offer ORDER BY line) AS nth
              FROM matched WHERE pick = 1
            )
            SELECT line, id, campaign, offer, ts AS handled_at, channel,
              CASE
                WHEN id IS NULL THEN 'no customer id'
                WHEN offer_in IS NULL AND code_in IS NULL THEN 'no offer id or catalogue code'
                WHEN handled_at IS NULL THEN 'no handled_at'
                WHEN ts IS NULL THEN 'handled_at is not a date or time (' || handled_at || ')'
                WHEN channel IS NULL THEN 'no channel'
                WHEN channel NOT IN ({channels}) THEN 'unknown channel (' || channel || ')'
                WHEN offer IS NULL THEN 'no campaign chose this customer for this offer ('
                  || id || ', ' || COALESCE(offer_in, code_in) || ')'
                WHEN CAST(ts AS DATE) < decided_at THEN 'handled before the campaign (' || campaign || ', '
                  || CAST(decided_at AS VARCHAR) || ')'
                WHEN nth > 1 OR EXISTS (SELECT 1 FROM outcomes AS o WHERE o.campaign = one.campaign
                  AND o.id = one.id AND o.offer = one.offer) THEN 'uptake already recorded (' || campaign || ', '
                  || id || ', ' || offer || ')'
              END AS reason, offer_in, code_in, campaign_in, handled_at AS handled_at_in
            FROM one""")
        return _finish(opened, "outcomes", str(source),
                       "SELECT campaign, id, offer, handled_at, channel, ?, line FROM import_checked "
                       "WHERE reason IS NULL".replace("?", _text(str(source))), "outcomes",
                       "to_json({'id': id, 'offer': offer_in, 'code': code_in, 'campaign': campaign_in, "
                       "'handled_at': handled_at_in, 'channel': channel})")
    finally:
        if owned:
            opened.close()


def import_billing(source: str | Path, *, store: Store | str | Path | None = None) -> ImportSummary:
    """Import monthly billing records: ``id``, ``month`` (YYYY-MM), ``arpu`` (yuan, >= 0),
    ``voice_min`` (whole minutes, >= 0) and ``data_mb`` (>= 0); the last two may be empty.
    A customer's month already in the store, or twice in the file, is rejected."""
    opened, owned = open_store(store)
    try:
        _read(opened, source, ("id", "month", "arpu"), ("voice_min", "data_mb"))
        types = dict(opened.con.execute("SELECT column_name, column_type FROM (DESCRIBE import_raw)").fetchall())
        voice = "voice_min" if "voice_min" in types else "CAST(NULL AS VARCHAR)"
        data = "data_mb" if "data_mb" in types else "CAST(NULL AS VARCHAR)"
        whole = ("TRUE" if duckdb_kind(types.get("voice_min", "")) == "integer"  # typed Parquet: whole already
                 else f"regexp_full_match(CAST({voice} AS VARCHAR), '[0-9]+')")
        in_store = opened.con.execute("SELECT count(*) > 0 FROM billing").fetchall()[0][0]
        stored = ("LEFT JOIN billing AS b ON b.id = c.id AND b.month = c.m" if in_store
                  else "LEFT JOIN (SELECT NULL AS id) AS b ON FALSE")
        opened.con.execute(f"""
            CREATE OR REPLACE TEMP VIEW import_typed AS
              SELECT line, id, CAST(month AS VARCHAR) AS month_in, arpu AS arpu_in, {voice} AS voice_in,
                     {data} AS data_in,
                     regexp_full_match(CAST(month AS VARCHAR), '[0-9]{{4}}-(0[1-9]|1[0-2])') AS month_ok,
                     TRY_CAST(CAST(month AS VARCHAR) || '-01' AS DATE) AS m,
                     TRY_CAST(arpu AS DOUBLE) AS a,
                     {whole} AS voice_ok, TRY_CAST({voice} AS BIGINT) AS v,
                     TRY_CAST({data} AS DOUBLE) AS d
              FROM import_raw""")
        # the checks (month_ok, voice_ok) are read only where the reasons are: the accepted rows are
        # read again without them
        # the few customer months given twice, held apart: not a window over every row, and the checked
        # rows a view (tens of millions of billing rows are not copied before they are stored). A valid
        # month is one text per month, so the repeats are found on the text, without parsing it.
        opened.con.execute("""CREATE OR REPLACE TEMP TABLE import_repeated AS
            SELECT id, month_in, min(line) AS first_line FROM import_typed GROUP BY id, month_in HAVING count(*) > 1""")
        opened.con.execute(f"""
            CREATE OR REPLACE TEMP VIEW import_checked AS
            WITH checked AS (
            SELECT c.line, c.id, c.m, c.a, c.v, c.d, c.month_in, c.arpu_in, c.voice_in, c.data_in,
              CASE
                WHEN c.id IS NULL THEN 'no customer id'
                WHEN c.month_in IS NULL THEN 'no month'
                WHEN NOT c.month_ok OR c.m IS NULL THEN 'month is not YYYY-MM (' || c.month_in || ')'
                WHEN c.arpu_in IS NULL THEN 'no arpu'
                WHEN c.a IS NULL OR NOT isfinite(c.a) OR c.a < 0 THEN 'arpu is not a number >= 0 (' || CAST(c.arpu_in AS VARCHAR) || ')'
                WHEN c.voice_in IS NOT NULL AND (NOT c.voice_ok OR c.v IS NULL OR c.v < 0)
                  THEN 'voice_min is not a whole number >= 0 (' || CAST(c.voice_in AS VARCHAR) || ')'
                WHEN c.data_in IS NOT NULL AND (c.d IS NULL OR NOT isfinite(c.d) OR c.d < 0)
                  THEN 'data_mb is not a number >= 0 (' || CAST(c.data_in AS VARCHAR) || ')'
                WHEN c.line > r.first_line THEN 'month repeated for this customer (' || c.id || ', ' || c.month_in || ')'
                WHEN b.id IS NOT NULL THEN 'month already in the store (' || c.id || ', ' || c.month_in || ')'
              END AS reason
            FROM import_typed AS c LEFT JOIN import_repeated AS r ON r.id = c.id AND r.month_in = c.month_in {stored})
            SELECT line, id, m, a, v, d, reason, CASE WHEN reason IS NOT NULL THEN to_json({{
              'id': id, 'month': month_in, 'arpu': CAST(arpu_in AS VARCHAR), 'voice_min': CAST(voice_in AS VARCHAR),
              'data_mb': CAST(data_in AS VARCHAR)}}) END AS record
            FROM checked""")
        return _finish(opened, "billing", str(source),
                       f"SELECT id, m, a, v, d, {_text(str(source))}, line FROM import_typed "
                       "WHERE line NOT IN (SELECT line FROM import_rejected)",
                       "billing", "record")
    finally:
        if owned:
            opened.close()


def rejected_rows(store: Store, kind: str | None = None) -> list[dict[str, Any]]:
    """The rejected import rows (all, or of one kind), by file and line."""
    where = "WHERE kind = ?" if kind else ""
    return store.rows(f"SELECT * FROM rejected {where} ORDER BY source, line", [kind] if kind else [])
