"""campaign run: decisions recorded with hold-outs, budgets, lock-in and stacking, in a real
DuckDB store; the same records on Spark."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketing_rules import load_ruleset
from marketing_rules.campaign import Store, holdout_bucket, run_campaign
from marketing_rules.campaign.run import CampaignError
from marketing_rules.campaign.select import bucket_sql, holdout_threshold

AT = dt.date(2027, 1, 5)

RULES = """\
ruleset: loop-test
version: 1.0.0
effective: {{from: 2026-06-01}}
campaign:
  holdout: 10%
  {budget}
  score: arpu_3m * 0.1
  lock_in: {{months: 12, when: "bundle == 'hard'"}}
rules:
  - id: credit-x
    priority: 10
    when: arpu_3m >= 50
    then:
      offer:
        code: 1-1-1-1
        {x_budget}
        requires: [{{guarantee: {{monthly: 88, months: 12}}}}]
        rewards: [{{bill_credit: "round(arpu_3m * 0.5)"}}, {{data_mb: {{amount: 1024, cost: 5}}}}]
  - id: data-y
    when: arpu_3m >= 20
    then:
      offer:
        holdout: 0.2
        stacking: exclusive
        rewards: [{{data_mb: {{amount: 1024, cost: 3}}}}]
"""


def rule_file(tmp_path: Path, budget: str = "", x_budget: str = "") -> Path:
    path = tmp_path / "loop-test" / "1.0.0.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RULES.format(budget=budget, x_budget=x_budget), encoding="utf-8")
    return path


def customers(tmp_path: Path, n: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    path = tmp_path / f"customers-{n}-{seed}.parquet"
    pq.write_table(pa.table({
        "id": [f"c{i:06d}" for i in range(n)],
        "arpu_3m": [round(rng.uniform(5, 150), 2) for _ in range(n)],
        "bundle": [rng.choice(["none", "soft", "hard"]) for _ in range(n)],
        "segment": [rng.choice(["general", "migrant", "campus"]) for _ in range(n)],
    }), path)
    return path


def records(store: Path, campaign: str = "t") -> list[tuple]:
    with Store(store) as opened:
        return opened.sql("SELECT id, offer, held_out, cost, score, segment FROM recommendations "
                          f"WHERE campaign = '{campaign}' ORDER BY id").fetchall()


def test_run_records_each_chosen_customer(tmp_path):
    base = customers(tmp_path, 3000)
    engine = load_ruleset(rule_file(tmp_path))
    summary = run_campaign(rule_file(tmp_path), base, at=AT, store=tmp_path / "s.duckdb", name="t")
    assert summary.customers == 3000 and summary.rejected == 0
    with Store(tmp_path / "s.duckdb") as store:
        rows = store.rows("SELECT * FROM recommendations WHERE campaign = 't'")
        facts = {r[0]: r for r in duckdb.sql(f"SELECT id, arpu_3m, bundle FROM '{base}'").fetchall()}
    assert len(rows) == summary.eligible == summary.contacted + summary.held_out
    for row in rows:
        _, arpu, bundle = facts[row["id"]]
        # the first offer in agenda order that the lock-in allows: credit-x is a commitment
        expected = "credit-x" if arpu >= 50 and bundle != "hard" else "data-y" if arpu >= 20 else None
        assert row["offer"] == expected, row
        assert row["score"] == pytest.approx(arpu * 0.1)
        if row["offer"] == "credit-x":  # the credit computed per customer, as the engine computes it, + the data's cost
            credit = engine.evaluate({"id": row["id"], "arpu_3m": arpu, "bundle": bundle}).offers[0].rewards[0]["amount"]
            assert row["cost"] == credit + 5
        else:
            assert row["cost"] == 3
        assert row["code"] == ("1-1-1-1" if row["offer"] == "credit-x" else None)
        assert (row["ruleset"], row["version"], row["channel"]) == ("loop-test", "1.0.0", "sms")
        assert row["commitment"] == (row["offer"] == "credit-x")
        assert row["held_out"] == (holdout_bucket("t", row["id"]) < holdout_threshold(0.1 if row["offer"] == "credit-x" else 0.2))
    ineligible = [i for i, (_, arpu, _) in facts.items() if arpu < 20]
    assert not {r["id"] for r in rows} & set(ineligible)


def test_rerun_gives_the_same_split_and_replaces_the_records(tmp_path):
    base, rules, store = customers(tmp_path, 2000), rule_file(tmp_path), tmp_path / "s.duckdb"
    run_campaign(rules, base, at=AT, store=store, name="t")
    first = records(store)
    run_campaign(rules, base, at=AT, store=store, name="t")
    assert records(store) == first
    run_campaign(rules, base, at=AT, store=store, name="other")
    assert [r[2] for r in records(store, "other")] != [r[2] for r in first]  # another campaign, another split


def test_holdout_share_is_within_half_a_point(tmp_path):
    run_campaign(rule_file(tmp_path), customers(tmp_path, 60_000), at=AT, store=tmp_path / "s.duckdb", name="t")
    with Store(tmp_path / "s.duckdb") as store:
        shares = dict(store.sql("SELECT offer, avg(CAST(held_out AS INTEGER)) FROM recommendations GROUP BY offer").fetchall())
    assert abs(shares["credit-x"] - 0.10) < 0.005
    assert abs(shares["data-y"] - 0.20) < 0.005


def test_the_hash_is_the_same_in_python_duckdb_and_spark_sql():
    ids = ["c1", "13900000001", "客户-7", "x'y", ""] + [f"c{i}" for i in range(200)]
    hash_ids = pa.table({"id": ids})  # noqa: F841  (DuckDB reads the Arrow table by its name)
    got = duckdb.sql(f"SELECT {bucket_sql('camp-1', 'id')} FROM hash_ids").fetchall()
    assert [g[0] for g in got] == [holdout_bucket("camp-1", i) for i in ids]


@pytest.mark.spark
def test_the_hash_agrees_on_spark(spark):
    import sqlglot

    ids = ["c1", "13900000001", "客户-7", "x'y"] + [f"c{i}" for i in range(100)]
    spark.createDataFrame([(i,) for i in ids], "id string").createOrReplaceTempView("hash_ids")
    query = sqlglot.transpile(f"SELECT id, {bucket_sql('camp-1', 'id')} AS b FROM hash_ids", read="duckdb", write="spark")[0]
    got = {r["id"]: r["b"] for r in spark.sql(query).collect()}
    assert got == {i: holdout_bucket("camp-1", i) for i in ids}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(takers=st.integers(0, 400), x_takers=st.one_of(st.none(), st.integers(0, 300)),
       cost=st.one_of(st.none(), st.integers(0, 20_000)), seed=st.integers(0, 3))
def test_no_budget_is_ever_exceeded(tmp_path_factory, takers, x_takers, cost, seed):
    tmp_path = tmp_path_factory.mktemp("budget")
    budget = f"budget: {{takers: {takers}" + (f", cost: {cost}" if cost is not None else "") + "}"
    x_budget = f"budget: {{takers: {x_takers}}}" if x_takers is not None else ""
    run_campaign(rule_file(tmp_path, budget, x_budget), customers(tmp_path, 1500, seed), at=AT,
                 store=tmp_path / "s.duckdb", name="t")
    rows = records(tmp_path / "s.duckdb")
    contacted = [r for r in rows if not r[2]]
    assert len(contacted) <= takers
    assert cost is None or sum(r[3] for r in contacted) <= cost
    assert x_takers is None or sum(1 for r in contacted if r[1] == "credit-x") <= x_takers
    # under a budget the highest scores come first: no one left out scores above the last one chosen
    chosen = {r[0] for r in rows}
    if contacted and x_takers is None and cost is None and len(contacted) == takers:
        lowest = min(r[4] for r in contacted)
        facts = duckdb.sql(f"SELECT id, arpu_3m FROM '{customers(tmp_path, 1500, seed)}' WHERE arpu_3m >= 20").fetchall()
        assert all(a * 0.1 <= lowest + 1e-9 for i, a in facts if i not in chosen)


def test_held_out_customers_come_from_the_same_scores_as_the_contacted(tmp_path):
    run_campaign(rule_file(tmp_path, "budget: {takers: 2000}"), customers(tmp_path, 20_000), at=AT,
                 store=tmp_path / "s.duckdb", name="t")
    rows = records(tmp_path / "s.duckdb")
    contacted = [r[4] for r in rows if not r[2]]
    held = [r[4] for r in rows if r[2]]
    assert len(contacted) == 2000 and held
    assert min(held) >= min(contacted)  # no held-out customer below the cut-off


def test_commitment_lock_in_and_exclusive_offers_across_campaigns(tmp_path):
    rules, store = rule_file(tmp_path), tmp_path / "s.duckdb"
    base = customers(tmp_path, 4000)
    run_campaign(rules, base, at=AT, store=store, name="first")
    rows = records(store, "first")
    x = next(r[0] for r in rows if r[1] == "credit-x" and not r[2])
    y = next(r[0] for r in rows if r[1] == "data-y" and not r[2])
    uptakes = tmp_path / "uptakes.csv"
    uptakes.write_text(f"id,offer,handled_at,channel\n{x},credit-x,2027-01-10,sms\n{y},data-y,2027-01-11,sms\n")
    from marketing_rules.campaign import import_outcomes

    assert import_outcomes(uptakes, store=store).accepted == 2
    run_campaign(rules, base, at=dt.date(2027, 3, 1), store=store, name="second")
    second = {r[0]: r[1] for r in records(store, "second")}
    assert second.get(x) != "credit-x"  # a running guarantee blocks another commitment...
    assert second.get(x) is None  # ...and data-y is exclusive: not stacked on a running offer
    assert y not in second  # an exclusive offer taken blocks every offer of other campaigns
    run_campaign(rules, base, at=dt.date(2028, 3, 1), store=store, name="a-year-later")
    later = {r[0]: r[1] for r in records(store, "a-year-later")}
    assert later.get(x) == "credit-x" and y in later  # the lock-in is over


def test_a_ruleset_id_is_decided_by_the_version_in_force(tmp_path):
    rules = rule_file(tmp_path)
    newer = rules.parent / "1.1.0.yaml"
    newer.write_text(rules.read_text().replace("version: 1.0.0", "version: 1.1.0")
                     .replace("effective: {from: 2026-06-01}", "effective: {from: 2027-02-01}"), encoding="utf-8")
    (rules.parent / "1.0.0.yaml").write_text(rules.read_text().replace(
        "effective: {from: 2026-06-01}", "effective: {from: 2026-06-01, until: 2027-02-01}"), encoding="utf-8")
    base = customers(tmp_path, 300)
    assert run_campaign("loop-test", base, at=AT, store=tmp_path / "s.duckdb", rulesets=tmp_path).version == "1.0.0"
    assert run_campaign("loop-test", base, at=dt.date(2027, 2, 2), store=tmp_path / "s.duckdb",
                        rulesets=tmp_path).version == "1.1.0"
    with pytest.raises(CampaignError, match="not in force"):
        run_campaign(newer, base, at=AT, store=tmp_path / "s.duckdb")


@pytest.mark.spark
def test_duckdb_and_spark_write_the_same_records(tmp_path, spark):
    rules = rule_file(tmp_path, "budget: {takers: 700, cost: 30000}")
    base = customers(tmp_path, 3000)
    run_campaign(rules, base, at=AT, store=tmp_path / "d.duckdb", name="t")
    run_campaign(rules, base, at=AT, store=tmp_path / "s.duckdb", name="t", backend="spark", spark=spark)
    duck, sparked = records(tmp_path / "d.duckdb"), records(tmp_path / "s.duckdb")
    assert len(duck) > 600 and any(r[2] for r in duck)
    assert duck == sparked


def test_a_campaign_budget_keeps_exactly_the_ranking_s_head(tmp_path):
    """Against an oracle: walk the customers by score (then hash, then id); a contacted one is kept
    while the budget has room, a held-out one only where a contacted one would have fitted."""
    base = customers(tmp_path, 5000)
    run_campaign(rule_file(tmp_path / "all"), base, at=AT, store=tmp_path / "all.duckdb", name="t")
    everyone = records(tmp_path / "all.duckdb")
    order = sorted(everyone, key=lambda r: (-r[4], holdout_bucket("t", r[0]), r[0]))
    # a budget that ends just before a held-out customer: the cut-off case
    cut = next(i for i in range(1500, len(order)) if order[i][2] and not order[i - 1][2])
    takers = sum(1 for r in order[:cut] if not r[2])
    expected, contacted = set(), 0
    for r in order:
        if contacted + 1 <= takers:
            expected.add((r[0], r[2]))
            contacted += not r[2]
    run_campaign(rule_file(tmp_path / "budget", f"budget: {{takers: {takers}}}"), base, at=AT,
                 store=tmp_path / "budget.duckdb", name="t")
    assert {(r[0], r[2]) for r in records(tmp_path / "budget.duckdb")} == expected
    assert (order[cut][0], True) not in expected


NULL_COST = """\
ruleset: null-cost
version: 1.0.0
effective: {{from: 2026-06-01}}
campaign:
  {budget}
  score: arpu_3m
rules:
  - id: tenure-credit
    when: arpu_3m >= 20
    then:
      offer:
        {offer_budget}
        rewards: [{{bill_credit: "tenure_months * 1"}}]
"""


@pytest.mark.parametrize("budget, offer_budget", [("", ""), ("budget: {cost: 1000000000}", ""),
                                                  ("", "budget: {cost: 1000000000}")])
def test_a_reward_cost_that_cannot_be_computed_is_unknown_and_never_fits_a_cost_budget(tmp_path, budget,
                                                                                        offer_budget):
    path = tmp_path / "null-cost" / "1.0.0.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(NULL_COST.format(budget=budget, offer_budget=offer_budget), encoding="utf-8")
    base = tmp_path / "base.parquet"
    pq.write_table(pa.table({"id": ["known", "unknown", "poor"], "arpu_3m": [80.0, 90.0, 5.0],
                             "tenure_months": pa.array([30, None, 40], pa.int64())}), base)
    run_campaign(path, base, at=AT, store=tmp_path / "s.duckdb", name="t")
    costs = {r[0]: r[3] for r in records(tmp_path / "s.duckdb")}
    if budget or offer_budget:  # the budget cannot be kept with a cost unknown: that customer is not chosen
        assert costs == {"known": 30}
    else:  # recorded with the cost unknown, not as a reward that costs nothing
        assert costs == {"known": 30, "unknown": None}
