"""``campaign run``: decide the base with the version in force, choose whom to contact, record it.

The decision does not change meaning: the ruleset decides every customer as ``evaluate_batch``
does (the same compiled SQL, DuckDB or Spark). The campaign is a layer after it. Three derived
facts are added to the decided program for the layer to read, computed by the same compiled query:
``mr_score`` (the campaign's score), ``mr_locked`` (the facts show a running commitment) and
``mr_segment`` (the customer's segment, for the report), plus one ``mr_cost_<n>`` per reward amount
computed per customer. Then :mod:`marketing_rules.campaign.select` chooses in SQL, and the store
records each chosen customer, contacted or held out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from marketing_rules.analysis.program import MONEY_FACE, Expression, OfferSpec, Program, Rule
from marketing_rules.batch import evaluate_batch
from marketing_rules.campaign.select import CampaignOffer, holdout_threshold, selection_sql
from marketing_rules.campaign.store import Store, open_store
from marketing_rules.engine.ruleset import Ruleset, load_ruleset
from marketing_rules.expressions import ast
from marketing_rules.expressions.checker import Checker, Scope
from marketing_rules.expressions.types import BOOLEAN, NUMBER, Type
from marketing_rules.i18n import _
from marketing_rules.versioning.registry import Registry

CHANNELS = ("outbound_call", "sms", "business_hall", "social")
COMMITMENTS = ("prestore", "guarantee")


class CampaignError(ValueError):
    """A campaign that cannot run or be read as asked (bad ruleset, date, name or store)."""


@dataclasses.dataclass(frozen=True)
class RunSummary:
    """What a run recorded."""

    name: str
    ruleset: str
    version: str
    fingerprint: str
    at: dt.date
    customers: int
    rejected: int
    eligible: int
    contacted: int
    held_out: int
    by_offer: Mapping[str, tuple[int, int]]  # offer -> (contacted, held out)
    seconds: float
    backend: str

    def __str__(self) -> str:
        offers = _("; ").join(_("{offer}: {contacted} contacted, {held_out} held out", offer=o, contacted=c,
                                held_out=h) for o, (c, h) in self.by_offer.items())
        return _("campaign {name}: {ruleset} {version} in force on {date}; {count} customers, {rejected} rejected, "
                 "{chosen} chosen, {contacted} contacted, {held_out} held out ({offers})", name=self.name,
                 ruleset=self.ruleset, version=self.version, date=self.at, count=self.customers,
                 rejected=self.rejected, chosen=self.eligible, contacted=self.contacted, held_out=self.held_out,
                 offers=offers or _("no offer"))


def ruleset_in_force(ruleset: Ruleset | str | Path, at: dt.date, rulesets: str | Path | None = None) -> Ruleset:
    """A Ruleset as given, a rule file, or the version of ruleset id in force at ``at`` (``rulesets``:
    the folder of a Registry, default ``rulesets/``)."""
    if isinstance(ruleset, Ruleset):
        chosen = ruleset
    elif Path(ruleset).is_file():
        chosen = load_ruleset(ruleset)
    else:
        try:
            return Registry(rulesets or "rulesets").get(str(ruleset), at=at)
        except LookupError as error:
            raise CampaignError(str(error).strip("'\"")) from None
    if not chosen.in_force(at):
        raise CampaignError(f"{chosen.id} {chosen.version} is not in force on {at}")
    return chosen


def run_campaign(ruleset: Ruleset | str | Path, customers: Any, *, at: dt.date, store: Store | str | Path | None = None,
                 name: str | None = None, channel: str | None = None, backend: str = "duckdb", spark: Any = None,
                 rulesets: str | Path | None = None, segment: str = "segment", threads: int | None = None,
                 memory_limit: str | None = None) -> RunSummary:
    """Decide ``customers`` with the version in force on ``at``, choose whom to contact and record it.

    A rerun under the same ``name`` replaces that campaign's records (and gives the same split).

    >>> run_campaign("rulesets/x/1.0.0.yaml", "customers.parquet", at=dt.date(2027, 1, 1))  # doctest: +SKIP
    """
    started = time.perf_counter()
    rs = ruleset_in_force(ruleset, at, rulesets)
    spec = rs.program.campaign
    name = name or f"{rs.id}-{at.isoformat()}"
    channel = channel or (spec.channel if spec is not None else "sms")
    if channel not in CHANNELS:
        raise CampaignError(f"unknown channel {channel!r}; the channels are {', '.join(CHANNELS)}")
    program, cost_columns = campaign_program(rs.program, segment)
    offers = campaign_offers(rs.program, name)
    con_store, owned = open_store(store)
    try:
        history = history_rows(con_store, name, at, spec.lock_in_months if spec is not None else 12)
        columns = ["offers", *(n for n in program.derived if n.startswith("mr_"))]
        budget = spec.budget if spec is not None else None
        query_args = dict(takers=budget.takers if budget else None,
                          cost=float(budget.cost) if budget and budget.cost is not None else None,
                          cost_columns=cost_columns, segment="mr_segment" in program.derived)
        if backend == "spark":
            chosen, customers_in, rejected = _select_spark(program, customers, spark, name, offers, history,
                                                           columns, query_args)
        else:
            chosen, customers_in, rejected = _select_duckdb(program, customers, con_store, name, offers, history,
                                                            columns, query_args, backend, threads, memory_limit)
        _record(con_store, chosen, name, rs, at, channel, offers, customers_in, rejected, backend,
                spec.lock_in_months if spec is not None else 12, spec.holdout if spec is not None else 0.0)
        counts = con_store.rows("SELECT offer, count(*) FILTER (NOT held_out) AS c, count(*) FILTER (held_out) AS h "
                                "FROM recommendations WHERE campaign = ? GROUP BY offer ORDER BY offer", [name])
    finally:
        if owned:
            con_store.close()
    by_offer = {r["offer"]: (r["c"], r["h"]) for r in counts}
    return RunSummary(name, rs.id, rs.version, rs.fingerprint, at, customers_in, rejected,
                      sum(c + h for c, h in by_offer.values()), sum(c for c, _ in by_offer.values()),
                      sum(h for _, h in by_offer.values()), by_offer, time.perf_counter() - started, backend)


# -- the program the campaign layer reads ---------------------------------------------------------
def campaign_program(program: Program, segment: str = "segment") -> tuple[Program, dict[str, list[str]]]:
    """``program`` with the campaign's derived facts (score, locked, segment, per-customer reward
    costs) set by one more rule at the end of the agenda; and offer -> its cost columns."""
    taken = [n for n in ("mr_score", "mr_locked", "mr_segment") if n in program.fact_types]
    if taken:
        raise CampaignError(f"the ruleset has a fact named {taken[0]}, a name campaigns use")
    checker = Checker(Scope(dict(program.fact_types), dict(program.constants)))  # type: ignore[arg-type]
    spec = program.campaign
    sets: list[tuple[str, Expression, Type]] = []
    score = spec.score.node if spec is not None and spec.score is not None else ast.Literal((0, 0), 0)
    sets.append(("mr_score", _checked(checker, score, "score"), NUMBER))
    locked = spec.locked.node if spec is not None and spec.locked is not None else ast.Literal((0, 0), False)
    sets.append(("mr_locked", _checked(checker, locked, "locked"), BOOLEAN))
    if segment in program.fact_types:
        sets.append(("mr_segment", _checked(checker, ast.FactRef((0, 0), segment), segment),
                     program.fact_types[segment]))
    cost_columns: dict[str, list[str]] = {}
    for offer in _offers(program):
        for term in offer.rewards:
            face = MONEY_FACE.get(term.kind)
            for param, expression in term.computed:
                if param == face and "cost" not in term.fixed:
                    column = f"mr_cost_{len(sets)}"
                    sets.append((column, expression, NUMBER))
                    cost_columns.setdefault(offer.id, []).append(column)
    rule = Rule("mr-campaign", "campaign facts", len(program.units), 0, None, None,
                tuple((n, e) for n, e, _ in sets), (), None, (), None, ())
    derived = {**program.derived, **{n: t for n, _, t in sets}}
    return dataclasses.replace(program, derived=derived, fact_types={**program.fact_types, **derived},
                               units=(*program.units, rule)), cost_columns


def _checked(checker: Checker, node: ast.Expr, text: str) -> Expression:
    resolved, _ = checker.value(node)
    return Expression(resolved, text, ())


def _offers(program: Program) -> list[OfferSpec]:
    return [rule.offer for rule in program.rules if rule.offer is not None]


def campaign_offers(program: Program, name: str) -> list[CampaignOffer]:
    """The offers of the ruleset as the selection reads them, in agenda order."""
    spec = program.campaign
    default_share = spec.holdout if spec is not None else 0.0
    rows = []
    for pos, offer in enumerate(_offers(program)):
        own = offer.campaign
        share = own.holdout if own is not None and own.holdout is not None else default_share
        budget = own.budget if own is not None else None
        rewards = [{"kind": t.kind, **{k: v for k, v in t.fixed.items()},
                    **{k: e.text for k, e in t.computed}} for t in offer.rewards]
        months = max([int(v) for t in offer.rewards for k, v in t.fixed.items()
                      if k == "months" and isinstance(v, (int, float))] or [1])
        rows.append(CampaignOffer(
            offer.id, pos, offer.code, holdout_threshold(share), budget.takers if budget else None,
            float(budget.cost) if budget and budget.cost is not None else None, _fixed_cost(offer),
            own.stacking if own is not None else "stackable", any(t.kind in COMMITMENTS for t in offer.requires),
            json.dumps(rewards, ensure_ascii=False, default=str), months))
    return rows


def _fixed_cost(offer: OfferSpec) -> float:
    total = 0.0
    for term in offer.rewards:
        face = MONEY_FACE.get(term.kind)
        value = term.fixed.get("cost", term.fixed.get(face) if face else None)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            total += float(value)
    return total


def _offers_table(offers: list[CampaignOffer]) -> Any:
    import pyarrow as pa

    fields = [f.name for f in dataclasses.fields(CampaignOffer)]
    types = {"pos": pa.int64(), "threshold": pa.int64(), "takers": pa.int64(), "cost_budget": pa.float64(),
             "fixed_cost": pa.float64(), "commitment": pa.bool_(), "benefit_months": pa.int64()}
    return pa.table({f: pa.array([getattr(o, f) for o in offers], types.get(f, pa.string())) for f in fields})


# -- what the store already holds ----------------------------------------------------------------
def history_rows(store: Store, name: str, at: dt.date, months: int) -> Any:
    """Per customer, as an Arrow table: a commitment still running, an exclusive offer still
    running, any offer still running (taken up in another campaign within ``months`` before ``at``)."""
    return store.con.sql("""
        SELECT o.id,
               bool_or(r.commitment) AS commitment_running,
               bool_or(r.stacking = 'exclusive') AS exclusive_running,
               TRUE AS any_running
        FROM outcomes AS o JOIN recommendations AS r
          ON r.campaign = o.campaign AND r.id = o.id AND r.offer = o.offer
        WHERE o.campaign <> ? AND o.handled_at < CAST(? AS DATE)
          AND o.handled_at >= CAST(? AS DATE) - to_months(CAST(? AS INTEGER))
        GROUP BY o.id""", params=[name, at, at, months]).to_arrow_table()


# -- the two engines ----------------------------------------------------------------------------
def _select_duckdb(program: Program, customers: Any, store: Store, name: str, offers: list[CampaignOffer],
                   history: Any, columns: list[str], query_args: dict[str, Any], backend: str,
                   threads: int | None, memory_limit: str | None) -> tuple[Any, int, int]:
    with tempfile.TemporaryDirectory(prefix="mr-campaign-") as folder:
        out = Path(folder) / "decisions.parquet"
        result = evaluate_batch(program, _no_native, customers, backend="duckdb" if backend != "native" else backend,
                                out=out, columns=columns, threads=threads, memory_limit=memory_limit)
        con = store.con
        con.execute(f"CREATE OR REPLACE TEMP VIEW decisions AS SELECT * FROM read_parquet('{out}')")
        con.register("campaign_offers", _offers_table(offers))
        con.register("campaign_history", history)
        con.execute("CREATE OR REPLACE TEMP TABLE chosen AS " + selection_sql(name, offers, **query_args))
        con.execute("DROP VIEW decisions")
    return "chosen", result.summary.rows_in, result.summary.rejected


def _no_native(customer: Any) -> Any:
    raise CampaignError("campaigns decide with the SQL backends (duckdb, spark)")


def _select_spark(program: Program, customers: Any, spark: Any, name: str, offers: list[CampaignOffer],
                  history: Any, columns: list[str], query_args: dict[str, Any]) -> tuple[Any, int, int]:
    from marketing_rules.batch.spark_backend import local_session

    spark = spark or local_session()
    result = evaluate_batch(program, _no_native, customers, backend="spark", spark=spark, columns=columns)
    result.table.createOrReplaceTempView("decisions")
    spark.createDataFrame(_offers_table(offers).to_pandas()).createOrReplaceTempView("campaign_offers")
    history_frame = spark.createDataFrame(
        history.to_pandas(), "id string, commitment_running boolean, exclusive_running boolean, any_running boolean")
    history_frame.createOrReplaceTempView("campaign_history")
    chosen = spark.sql(selection_sql(name, offers, dialect="spark", **query_args)).toPandas()
    return chosen, result.summary.rows_in, result.summary.rejected


def _record(store: Store, chosen: Any, name: str, rs: Ruleset, at: dt.date, channel: str,
            offers: list[CampaignOffer], customers: int, rejected: int, backend: str, lock_in: int,
            holdout: float) -> None:
    con = store.con
    if not isinstance(chosen, str):
        con.register("chosen_frame", chosen)
        chosen = "chosen_frame"
    con.register("campaign_offers", _offers_table(offers))
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM recommendations WHERE campaign = ?", [name])
        con.execute("DELETE FROM campaigns WHERE name = ?", [name])
        con.execute(f"""
            INSERT INTO recommendations
            SELECT ?, c.id, c.offer, o.code, ?, o.rewards, c.cost, o.benefit_months, c.held_out, c.score,
                   c.segment, o.commitment, o.stacking, ?, ?, ?, CAST(? AS DATE), current_localtimestamp()
            FROM {chosen} AS c JOIN campaign_offers AS o ON o.offer = c.offer""",
                    [name, channel, rs.id, rs.version, rs.fingerprint, at])
        con.execute("""
            INSERT INTO campaigns SELECT ?, ?, ?, ?, CAST(? AS DATE), ?, ?, ?, ?, ?,
                   count(*), count(*) FILTER (NOT held_out), count(*) FILTER (held_out), ?, current_localtimestamp()
            FROM recommendations WHERE campaign = ?""",
                    [name, rs.id, rs.version, rs.fingerprint, at, channel, holdout, lock_in, customers, rejected,
                     backend, name])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("campaign_offers")
