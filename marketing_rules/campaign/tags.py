"""Customer tags from the campaign records (plan 001, section 4.2: the marketing-need tags).

One row per customer the store has chosen in any campaign, with facts a ruleset of the next
campaign can read once it declares them under ``inputs:`` (:data:`INPUTS_YAML`) and the tag file
is joined to the customer base by ``id``:

- ``mr_offers_taken``, ``mr_offers_declined``: uptakes, and contacts without one
- ``mr_answers_sms``: took up an offer through SMS at least once
- ``mr_preferred_channel``: the channel of most uptakes (ties: the latest)
- ``mr_prefers_reward``: the first reward kind of the offers taken most (bill_credit, data_mb, ...)
- ``mr_takes_commitment``: took up a prestore or guarantee offer
- ``mr_spend_uplift``: mean monthly spend after less before, around the latest campaign they took
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from marketing_rules.campaign.run import CHANNELS
from marketing_rules.campaign.store import Store, open_store

REWARD_KINDS = ("bill_credit", "voice_minutes", "data_mb", "goods", "voucher", "points", "handset", "vas", "service")

INPUTS_YAML = f"""\
inputs:                      # facts from marketing-rules campaign tags
  mr_offers_taken: {{type: integer, ge: 0}}
  mr_offers_declined: {{type: integer, ge: 0}}
  mr_answers_sms: {{type: boolean}}
  mr_preferred_channel: {{type: enum, values: [{', '.join(CHANNELS)}]}}
  mr_prefers_reward: {{type: enum, values: [{', '.join(REWARD_KINDS)}]}}
  mr_takes_commitment: {{type: boolean}}
  mr_spend_uplift: {{type: number}}
"""

TAGS_SQL = """
WITH chosen AS (
  SELECT r.*, o.id IS NOT NULL AS took, o.channel AS took_channel, o.handled_at,
         json_extract_string(r.rewards, '$[0].kind') AS reward_kind
  FROM recommendations AS r LEFT JOIN outcomes AS o ON o.campaign = r.campaign AND o.id = r.id AND o.offer = r.offer
  WHERE NOT r.held_out OR o.id IS NOT NULL
), latest AS (
  SELECT id, arg_max(CAST(date_trunc('month', decided_at) AS DATE), handled_at) AS m0 FROM chosen WHERE took GROUP BY id
), spend AS (
  SELECT l.id, avg(b.arpu) FILTER (b.month >= l.m0) - avg(b.arpu) FILTER (b.month < l.m0) AS uplift
  FROM latest AS l JOIN billing AS b ON b.id = l.id AND b.month >= l.m0 - INTERVAL 3 MONTH GROUP BY l.id
), channel AS (
  SELECT id, arg_max(took_channel, (n, last)) AS channel FROM (
    SELECT id, took_channel, count(*) AS n, max(handled_at) AS last FROM chosen WHERE took GROUP BY ALL) GROUP BY id
), reward AS (
  SELECT id, arg_max(reward_kind, (n, last)) AS kind FROM (
    SELECT id, reward_kind, count(*) AS n, max(handled_at) AS last FROM chosen WHERE took GROUP BY ALL) GROUP BY id
)
SELECT c.id,
       count(*) FILTER (c.took) AS mr_offers_taken,
       count(*) FILTER (NOT c.took) AS mr_offers_declined,
       bool_or(c.took AND c.took_channel = 'sms') AS mr_answers_sms,
       any_value(ch.channel) AS mr_preferred_channel,
       any_value(rw.kind) AS mr_prefers_reward,
       bool_or(c.took AND c.commitment) AS mr_takes_commitment,
       round(any_value(s.uplift), 2) AS mr_spend_uplift
FROM chosen AS c
LEFT JOIN channel AS ch ON ch.id = c.id LEFT JOIN reward AS rw ON rw.id = c.id LEFT JOIN spend AS s ON s.id = c.id
GROUP BY c.id
"""


def customer_tags(store: Store | str | Path | None = None, out: str | Path | None = None) -> Any:
    """The tags as an Arrow table, or written to ``out`` (``.parquet`` or ``.csv``); returns the
    number of customers written when ``out`` is given."""
    opened, owned = open_store(store)
    try:
        if out is None:
            return opened.con.sql(TAGS_SQL + " ORDER BY c.id").to_arrow_table()
        kind = "parquet" if str(out).lower().endswith((".parquet", ".pq")) else "csv"
        target = "'" + str(out).replace("'", "''") + "'"
        opened.con.execute(f"COPY ({TAGS_SQL} ORDER BY c.id) TO {target} (FORMAT {kind})")
        return opened.con.execute(f"SELECT count(*) FROM read_{kind}({target})").fetchall()[0][0]
    finally:
        if owned:
            opened.close()
