"""campaign report and tags over the planted-effect simulation: the report finds the planted
uplift, and nothing where nothing was planted."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from marketing_rules.campaign import (
    Store,
    campaign_report,
    customer_tags,
    import_billing,
    import_outcomes,
    render_html,
    run_campaign,
)
from marketing_rules.campaign import simulate as sim
from marketing_rules.campaign.tags import INPUTS_YAML
from marketing_rules.cli import main

EFFECT = 20.0
TREND = 5.0  # everyone's spend rises from the campaign's month: the hold-out must take it out
N = 60_000


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    folder = tmp_path_factory.mktemp("loop")
    inputs = sim.write_inputs(folder, N)
    store_path = folder / "campaigns.duckdb"
    with Store(store_path) as store:
        run_campaign(inputs.ruleset, inputs.customers, at=sim.AT, store=store, name="sim")
        uptakes = sim.write_outcomes(store, "sim", folder / "uptakes.parquet")
        billing = sim.write_billing(inputs, uptakes, folder / "billing.parquet", effect_x=EFFECT, trend=TREND)
        import_outcomes(uptakes, store=store)
        import_billing(billing, store=store)
    return folder, store_path


@pytest.fixture(scope="module")
def report(loop):
    return campaign_report(loop[1])


def offer(report, offer_id):
    return next(o for o in report["campaigns"][0]["offers"] if o["offer"] == offer_id)


def test_the_planted_effect_is_inside_the_interval_and_zero_outside(report):
    x = offer(report, "offer-x")["uplift"]["arpu"]
    assert x["per_taker_low"] <= EFFECT <= x["per_taker_high"]
    assert x["per_taker_low"] > 0 and x["low"] > 0


def test_no_effect_where_none_was_planted(report):
    y = offer(report, "offer-y")["uplift"]
    assert y["arpu"]["per_taker_low"] <= 0 <= y["arpu"]["per_taker_high"]
    for metric in ("voice_min", "data_mb"):  # neither offer moves voice or data
        for o in ("offer-x", "offer-y"):
            u = offer(report, o)["uplift"][metric]
            assert u["low"] - 3 * u["se"] <= 0 <= u["high"] + 3 * u["se"], (o, metric, u)


def test_the_report_holds_the_plan_s_record_items(report):
    c = report["campaigns"][0]
    assert (c["ruleset"], c["version"], c["decided_at"], c["channel"]) == ("loop-sim", "1.0.0", "2027-01-05", "sms")
    x = offer(report, "offer-x")
    assert abs(x["holdout_share"] - 0.10) < 0.005
    assert abs(x["take_up_rate"] - 0.30) < 0.02
    assert {ch["channel"] for ch in x["by_channel"]} == {"outbound_call", "sms", "business_hall", "social"}
    assert sum(ch["taken_up"] for ch in x["by_channel"]) == x["taken_up"]
    assert [m["month"] for m in x["months"]] == ["2026-10", "2026-11", "2026-12", "2027-01", "2027-02", "2027-03"]
    assert [m["offset"] for m in x["lasting"]] == [0, 1, 2]
    assert all(m["low"] > 0 for m in x["lasting"])  # the effect lasts each month
    assert x["reward_cost"] == 60 * x["taken_up"]  # a 60 yuan bill credit per taker
    assert x["benefit_per_taker_month"] == 10  # spread over six months
    assert x["uplift_ratio"] == pytest.approx(x["uplift"]["arpu"]["contact"] / x["before"]["contacted"]["arpu"], rel=1e-3)
    assert {s["segment"] for s in x["segments"]} == {"general", "migrant", "enterprise", "campus"}
    assert x["without_billing"] == 0


def test_html_is_self_contained_with_charts(report):
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and not re.search(r"(src|href)=", page)
    assert page.count("<svg") == 1 + 3 * 2  # the uplift per offer; months, segments, channels per offer
    assert "offer-x (per taker)" in page and "2027-03" in page
    for svg in re.findall(r"<svg.*?</svg>", page, re.S):
        ElementTree.fromstring(svg)  # every chart is well-formed SVG


def test_cli_report_json_and_html(loop, tmp_path):
    folder, store = loop
    html = tmp_path / "report.html"
    result = CliRunner().invoke(main, ["campaign", "report", "--store", str(store), "--json", "--html", str(html)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["campaigns"][0]["offers"][0]["offer"] == "offer-x"
    assert "<svg" in html.read_text(encoding="utf-8")
    text = CliRunner().invoke(main, ["campaign", "report", "--store", str(store)])
    assert "offer-x" in text.output and "per taker" in text.output
    missing = CliRunner().invoke(main, ["campaign", "report", "--store", str(store), "--campaign", "nope"])
    assert missing.exit_code == 2 and "no campaign 'nope'" in missing.output


def test_tags_from_the_records(loop, tmp_path):
    folder, store = loop
    tags = customer_tags(store).to_pylist()
    with Store(store) as opened:
        taken = dict(opened.sql("SELECT id, channel FROM outcomes").fetchall())
        commitments = {r[0] for r in opened.sql("SELECT o.id FROM outcomes o WHERE offer = 'offer-x'").fetchall()}
    by_id = {t["id"]: t for t in tags}
    for customer_id, channel in list(taken.items())[:500]:
        t = by_id[customer_id]
        assert t["mr_offers_taken"] == 1 and t["mr_preferred_channel"] == channel
        assert t["mr_answers_sms"] == (channel == "sms")
        assert t["mr_takes_commitment"] == (customer_id in commitments)
        assert t["mr_prefers_reward"] == ("bill_credit" if customer_id in commitments else "data_mb")
    gains = [by_id[i]["mr_spend_uplift"] for i in list(commitments)[:2000]]
    assert abs(sum(gains) / len(gains) - EFFECT - TREND) < 1.0  # what takers of offer-x gained, with the market
    out = tmp_path / "tags.csv"
    result = CliRunner().invoke(main, ["campaign", "tags", "--store", str(store), "--out", str(out)])
    assert result.exit_code == 0 and "mr_answers_sms: {type: boolean}" in result.output
    assert out.read_text().splitlines()[0].startswith("id,mr_offers_taken")


def test_tags_are_facts_a_ruleset_reads(tmp_path):
    import marketing_rules as mr

    text = ("ruleset: next-round\nversion: 1.0.0\n" + INPUTS_YAML
            + "rules:\n  - id: sms-credit\n    when: mr_answers_sms and mr_prefers_reward == 'bill_credit'\n"
              "    then: {offer: {rewards: [{bill_credit: 20}]}}\n")
    path = tmp_path / "next.yaml"
    path.write_text(text, encoding="utf-8")
    rs = mr.load_ruleset(path)
    assert [o.id for o in rs.evaluate({"id": "1", "mr_answers_sms": True, "mr_prefers_reward": "bill_credit"}).offers] \
        == ["sms-credit"]


def test_cli_run_and_outcomes_exit_codes(tmp_path):
    inputs = sim.write_inputs(tmp_path, 2000)
    store = str(tmp_path / "c.duckdb")
    run = CliRunner().invoke(main, ["campaign", "run", str(inputs.ruleset), "--customers", str(inputs.customers),
                                    "--at", "2027-01-05", "--store", store, "--name", "cli"])
    assert run.exit_code == 0, run.output
    assert run.output.startswith("campaign cli: loop-sim 1.0.0 in force on 2027-01-05; 2000 customers")
    bad = tmp_path / "uptakes.csv"
    bad.write_text("id,offer,handled_at,channel\nnobody,offer-x,2027-01-09,sms\n")
    imported = CliRunner().invoke(main, ["campaign", "outcomes", str(bad), "--store", store])
    assert imported.exit_code == 1 and "1 rows, 0 imported, 1 rejected" in imported.output
    early = CliRunner().invoke(main, ["campaign", "run", str(inputs.ruleset), "--customers", str(inputs.customers),
                                      "--at", "2025-01-05", "--store", store])
    assert early.exit_code == 2 and "not in force on 2025-01-05" in early.output
