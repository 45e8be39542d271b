"""Whom a campaign contacts: SQL over the decisions, the same query on DuckDB and Spark.

The query is written once (DuckDB's dialect) and translated by sqlglot for Spark. From the decided
base it takes, per customer, the first offer in agenda (firing) order that the customer's
commitments and the store allow; assigns the hold-out by a stable hash of campaign and customer id;
then applies each offer's budget and the campaign's budget by window functions over the declared
score (highest first; ties broken by the hash, then the id). A held-out customer consumes no
budget but is kept only where a contacted customer would have fitted, so the control group comes
from the same part of the score ranking as the contacted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import sqlglot

#: The hash is read from the first eight hex digits of md5: a number in [0, 2**32).
BUCKETS = 2**32


def holdout_bucket(campaign: str, customer_id: str) -> int:
    """The customer's bucket in [0, 2**32) for ``campaign``; held out when below the threshold."""
    return int(hashlib.md5(f"{campaign}/{customer_id}".encode()).hexdigest()[:8], 16)


def holdout_threshold(share: float) -> int:
    """Buckets below this number are held out: ``share`` of them."""
    return int(share * BUCKETS)


def bucket_sql(campaign: str, id_column: str) -> str:
    """:func:`holdout_bucket` in SQL (DuckDB's dialect; translated for Spark): the hex digits summed
    by position, with functions both engines have, so that both give the same number."""
    return bucket_of(f"md5({_text(campaign + '/')} || {id_column})")


def bucket_of(digest: str) -> str:
    """The bucket from an md5 hex digest (a column, so that md5 runs once per customer)."""
    # each digit as BIGINT before it is multiplied: Spark's INT would wrap above 2**31
    digits = [f"CAST(instr('0123456789abcdef', substr({digest}, {i + 1}, 1)) - 1 AS BIGINT) * {16 ** (7 - i)}"
              for i in range(8)]
    return "(" + " + ".join(digits) + ")"


@dataclass(frozen=True)
class CampaignOffer:
    """One offer as the selection sees it (a row of the ``campaign_offers`` table)."""

    offer: str
    pos: int  # agenda order
    code: str | None
    threshold: int  # hold-out buckets
    takers: int | None
    cost_budget: float | None
    fixed_cost: float
    stacking: str
    commitment: bool
    rewards: str  # JSON
    benefit_months: int


def selection_sql(campaign: str, offers: Sequence[CampaignOffer], *, takers: int | None, cost: float | None,
                  cost_columns: dict[str, list[str]], segment: bool, dialect: str = "duckdb") -> str:
    """The selection over ``decisions``, ``campaign_offers`` and ``campaign_history``: one row per
    customer chosen (id, offer, held_out, score, cost, segment)."""
    order = "score DESC, bucket, id"
    frame = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    per_offer = any(o.takers is not None or o.cost_budget is not None for o in offers)
    query = f"""
WITH facts AS (
  SELECT d.id, d.offers, CAST(COALESCE(d.mr_score, 0) AS DOUBLE) AS score,
         {"CAST(d.mr_segment AS VARCHAR)" if segment else "CAST(NULL AS VARCHAR)"} AS segment,
         COALESCE(d.mr_locked, FALSE) OR COALESCE(h.commitment_running, FALSE) AS committed,
         COALESCE(h.any_running, FALSE) AS running, COALESCE(h.exclusive_running, FALSE) AS excluded,
         {_columns("d.", cost_columns)}md5({_text(campaign + '/')} || d.id) AS digest
  FROM decisions AS d LEFT JOIN campaign_history AS h ON h.id = d.id
  WHERE d.error IS NULL
), firsts AS (
  SELECT id, score, segment, {_first_offer(offers)} AS offer, {_columns("", cost_columns)}{bucket_of("digest")} AS bucket
  FROM facts
), assigned AS (
  SELECT f.id, f.offer, f.score, f.segment, f.bucket, o.takers, o.cost_budget,
         CAST(o.fixed_cost + {_computed_cost(cost_columns)} AS DOUBLE) AS cost,
         f.bucket < o.threshold AS held_out
  FROM firsts AS f JOIN campaign_offers AS o ON o.offer = f.offer
), by_offer AS (
  SELECT *,
    SUM(CASE WHEN held_out THEN 0 ELSE 1 END) OVER (PARTITION BY offer ORDER BY {order} {frame})
      + CASE WHEN held_out THEN 1 ELSE 0 END AS n_if_contacted,
    SUM(CASE WHEN held_out THEN 0 ELSE cost END) OVER (PARTITION BY offer ORDER BY {order} {frame})
      + CASE WHEN held_out THEN cost ELSE 0 END AS cost_if_contacted
  FROM assigned
), offer_fit AS (
  SELECT id, offer, held_out, score, cost, segment, bucket FROM {"by_offer" if per_offer else "assigned"}
  {"WHERE (takers IS NULL OR n_if_contacted <= takers) AND (cost_budget IS NULL OR " + _within("cost_budget") + ")"
   if per_offer else ""}
), by_campaign AS (
  SELECT *,
    SUM(CASE WHEN held_out THEN 0 ELSE 1 END) OVER (ORDER BY {order} {frame})
      + CASE WHEN held_out THEN 1 ELSE 0 END AS n_if_contacted,
    SUM(CASE WHEN held_out THEN 0 ELSE cost END) OVER (ORDER BY {order} {frame})
      + CASE WHEN held_out THEN cost ELSE 0 END AS cost_if_contacted
  FROM offer_fit
)
"""
    if takers is None and cost is None:  # no campaign budget: no window over the whole base
        query += "SELECT id, offer, held_out, score, cost, segment FROM offer_fit"
    else:
        query += (f"SELECT id, offer, held_out, score, cost, segment FROM by_campaign "
                  f"WHERE {_limit('n_if_contacted', takers)} AND {'TRUE' if cost is None else _within(repr(cost))}")
    return query if dialect == "duckdb" else sqlglot.transpile(query, read="duckdb", write=dialect)[0]


def _first_offer(offers: Sequence[CampaignOffer]) -> str:
    """Each customer's first offer in agenda order that the caps allow: a commitment offer not while
    one runs, an exclusive offer not on top of a running one, nothing beside a running exclusive."""
    whens = []
    for offer in sorted(offers, key=lambda o: o.pos):
        blocked = [*(["committed"] if offer.commitment else []), *(["running"] if offer.stacking == "exclusive" else [])]
        allowed = f" AND NOT ({' OR '.join(blocked)})" if blocked else ""
        whens.append(f"WHEN array_contains(offers, {_text(offer.offer)}){allowed} THEN {_text(offer.offer)}")
    return f"CASE WHEN excluded THEN NULL {' '.join(whens)} END" if whens else "CAST(NULL AS VARCHAR)"


def _columns(prefix: str, cost_columns: dict[str, list[str]]) -> str:
    return "".join(f"{prefix}{c}, " for columns in cost_columns.values() for c in columns)


def _computed_cost(cost_columns: dict[str, list[str]]) -> str:
    """The reward cost computed per customer (amounts that are expressions) of the chosen offer; null
    when an amount is null for the customer (the cost is unknown, never taken as 0)."""
    parts = [f"WHEN {_text(offer)} THEN {' + '.join(f'f.{c}' for c in columns)}"
             for offer, columns in cost_columns.items() if columns]
    return f"CASE f.offer {' '.join(parts)} ELSE 0 END" if parts else "0"


def _within(budget: str) -> str:
    """A customer fits a cost budget with a known cost only: an unknown one could break it."""
    return f"cost IS NOT NULL AND cost_if_contacted <= {budget}"


def _limit(column: str, limit: float | None) -> str:
    return "TRUE" if limit is None else f"{column} <= {limit!r}"


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
