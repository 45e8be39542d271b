"""``campaign report``: what the campaigns did, from the store's records.

Per campaign and offer (and per segment): contacted, held out, taken up, take-up by handling
channel; spend, voice and data over the three months before the campaign's month and in each month
from it; and the uplift against the hold-out as a difference in differences, with a 95% interval.

The estimate. For each customer chosen for an offer, the change is the mean of the months from the
campaign's month on, less the mean of the three months before. The difference between the mean
change of the contacted and of the held out is the effect of contacting (intention to treat); the
hold-out is a random draw by hash, so the two groups differ only by chance and by the contact. Its
standard error is sqrt(var_c/n_c + var_h/n_h), the interval +-1.96 of it. Dividing by the
difference in take-up (contacted less held out who took it anyway) gives the effect per taker, the
figure a planted effect "takers gain X yuan" is measured by; its interval comes by the delta method.
Customers without a billed month before or after are left out of the estimate (counted as
``without_billing``), never silently.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from marketing_rules.campaign.store import Store, open_store
from marketing_rules.i18n import _

Z95 = 1.959963984540054
METRICS = ("arpu", "voice_min", "data_mb")


def campaign_report(store: Store | str | Path | None = None, *, campaign: str | None = None) -> dict[str, Any]:
    """The report as plain data (what ``--json`` prints), every campaign or one."""
    opened, owned = open_store(store)
    try:
        campaigns = opened.rows("SELECT * FROM campaigns" + (" WHERE name = ?" if campaign else "")
                                + " ORDER BY decided_at, name", [campaign] if campaign else [])
        if campaign and not campaigns:
            from marketing_rules.campaign.run import CampaignError

            known = [r["name"] for r in opened.rows("SELECT name FROM campaigns ORDER BY name")]
            raise CampaignError(_("no campaign {campaign} in {store}; the campaigns are {campaigns}",
                                  campaign=repr(campaign), store=opened.path, campaigns=", ".join(known))
                                if known else _("no campaign {campaign} in {store}; the campaigns are none",
                                                campaign=repr(campaign), store=opened.path))
        _customers(opened, [c["name"] for c in campaigns])
        imports = opened.rows("SELECT kind, source, rows, accepted, rejected FROM imports ORDER BY imported_at")
        return {"store": opened.path, "campaigns": [_campaign(opened, c) for c in campaigns], "imports": imports}
    finally:
        if owned:
            opened.close()


def _customers(store: Store, names: list[str]) -> None:
    """One row per chosen customer: taken up or not, and the means before and after."""
    store.con.execute("CREATE OR REPLACE TEMP TABLE report_names AS SELECT unnest(?::VARCHAR[]) AS name", [names])
    before = ", ".join(f"avg(b.{m}) FILTER (b.month < k.m0) AS pre_{m}" for m in METRICS)
    after = ", ".join(f"avg(b.{m}) FILTER (b.month >= k.m0) AS post_{m}" for m in METRICS)
    # the billing is summed per customer and campaign month first (two keys), then joined
    store.con.execute(f"""
        CREATE OR REPLACE TEMP TABLE report_customers AS
        WITH r AS (
          SELECT *, CAST(date_trunc('month', decided_at) AS DATE) AS m0 FROM recommendations
          WHERE campaign IN (SELECT name FROM report_names)
        ), keys AS (SELECT DISTINCT id, m0 FROM r
        ), spend AS (
          SELECT k.id, k.m0, {before}, {after},
                 count(*) FILTER (b.month < k.m0) AS pre_months, count(*) FILTER (b.month >= k.m0) AS post_months
          FROM keys AS k JOIN billing AS b ON b.id = k.id AND b.month >= k.m0 - INTERVAL 3 MONTH
          GROUP BY k.id, k.m0
        )
        SELECT r.campaign, r.offer, r.id, r.held_out, COALESCE(r.segment, '-') AS segment, r.cost,
               r.benefit_months, r.m0, o.id IS NOT NULL AS took, o.channel AS took_channel,
               {", ".join(f"s.pre_{m}, s.post_{m}" for m in METRICS)},
               COALESCE(s.pre_months, 0) AS pre_months, COALESCE(s.post_months, 0) AS post_months
        FROM r
        LEFT JOIN outcomes AS o ON o.campaign = r.campaign AND o.id = r.id AND o.offer = r.offer
        LEFT JOIN spend AS s ON s.id = r.id AND s.m0 = r.m0""")
    # month by month, every offer at once: one pass over the billing
    store.con.execute("""
        CREATE OR REPLACE TEMP TABLE report_months AS
        SELECT c.campaign, c.offer, datediff('month', c.m0, b.month) AS month_offset,
               strftime(b.month, '%Y-%m') AS month, c.held_out,
               count(*) AS n, avg(b.arpu) AS arpu, avg(b.voice_min) AS voice_min, avg(b.data_mb) AS data_mb,
               avg(b.arpu - c.pre_arpu) AS d_arpu, var_samp(b.arpu - c.pre_arpu) AS v_arpu
        FROM report_customers AS c JOIN billing AS b ON b.id = c.id AND b.month >= c.m0 - INTERVAL 3 MONTH
        WHERE c.pre_months > 0
        GROUP BY ALL""")


def _campaign(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    name = row["name"]
    offers = store.rows("""
        SELECT offer, any_value(code) AS code, count(*) FILTER (NOT held_out) AS contacted,
               count(*) FILTER (held_out) AS held_out, any_value(rewards) AS rewards
        FROM recommendations WHERE campaign = ? GROUP BY offer ORDER BY offer""", [name])
    return {
        "name": name, "ruleset": row["ruleset"], "version": row["version"], "fingerprint": row["fingerprint"],
        "decided_at": str(row["decided_at"]), "channel": row["channel"], "customers": row["customers"],
        "rejected": row["rejected"], "contacted": row["contacted"], "held_out": row["held_out"],
        "holdout_declared": row["holdout"],
        "offers": [_offer(store, name, o) for o in offers],
    }


def _offer(store: Store, campaign: str, offer: dict[str, Any]) -> dict[str, Any]:
    where = [campaign, offer["offer"]]
    groups = {r["held_out"]: r for r in store.rows(_GROUP_SQL + " GROUP BY held_out", where)}
    contacted, held = groups.get(False, _EMPTY), groups.get(True, _EMPTY)
    channels = store.rows("""
        SELECT took_channel AS channel, count(*) AS taken_up FROM report_customers
        WHERE campaign = ? AND offer = ? AND took AND NOT held_out GROUP BY 1 ORDER BY 2 DESC, 1""", where)
    chosen = offer["contacted"] + offer["held_out"]
    result: dict[str, Any] = {
        "offer": offer["offer"], "code": offer["code"], "rewards": offer["rewards"],
        "contacted": offer["contacted"], "held_out": offer["held_out"],
        "holdout_share": _round(offer["held_out"] / chosen if chosen else None),
        "taken_up": contacted["takers"], "held_out_taken_up": held["takers"],
        "take_up_rate": _round(_ratio(contacted["takers"], contacted["n"])),
        "by_channel": [{**c, "rate": _round(_ratio(c["taken_up"], offer["contacted"]))} for c in channels],
        "before": {g: {m: _round(r[f"pre_{m}"]) for m in METRICS} for g, r in (("contacted", contacted), ("held_out", held))},
        "after": {g: {m: _round(r[f"post_{m}"]) for m in METRICS} for g, r in (("contacted", contacted), ("held_out", held))},
        "without_billing": contacted["n"] + held["n"] - contacted["m"] - held["m"],
        "uplift": {m: uplift(contacted, held, m) for m in METRICS},
    }
    arpu = result["uplift"]["arpu"]
    pre = contacted["pre_arpu"]
    result["uplift_ratio"] = _round(arpu["contact"] / pre if arpu["contact"] is not None and pre else None)
    result["uplift_from"] = [m for m in ("voice_min", "data_mb") if _significant_rise(result["uplift"][m])]
    months = _months(store, where)
    result["months"] = months
    result["lasting"] = [{"offset": m["offset"], "month": m["month"], **m["uplift"]} for m in months if m["offset"] >= 0]
    cost = contacted["cost_taken"] or 0.0
    after_months = max((m["offset"] + 1 for m in months if m["offset"] >= 0), default=0)
    revenue = arpu["contact"] * offer["contacted"] * after_months if arpu["contact"] is not None else None
    result["reward_cost"] = _round(cost)
    result["benefit_per_taker_month"] = _round(contacted["benefit_month"])
    result["incremental_revenue"] = _round(revenue)
    result["revenue_per_cost"] = _round(revenue / cost if revenue is not None and cost else None)
    result["segments"] = _segments(store, where)
    return result


_GROUP_SQL = """
    SELECT held_out, count(*) AS n, count(*) FILTER (pre_months > 0 AND post_months > 0) AS m,
           count(*) FILTER (took) AS takers,
           count(*) FILTER (took AND pre_months > 0 AND post_months > 0) AS m_takers,
           sum(cost) FILTER (took) AS cost_taken,
           avg(cost / GREATEST(benefit_months, 1)) FILTER (took) AS benefit_month,
           """ + ", ".join(
    f"avg(pre_{m}) AS pre_{m}, avg(post_{m}) AS post_{m}, "
    f"avg(post_{m} - pre_{m}) AS d_{m}, var_samp(post_{m} - pre_{m}) AS v_{m}" for m in METRICS) + """
    FROM report_customers WHERE campaign = ? AND offer = ?"""

_EMPTY: dict[str, Any] = {"n": 0, "m": 0, "takers": 0, "m_takers": 0, "cost_taken": None, "benefit_month": None,
                          **{f"{p}_{m}": None for p in ("pre", "post", "d", "v") for m in METRICS}}


def uplift(contacted: dict[str, Any], held: dict[str, Any], metric: str) -> dict[str, Any]:
    """Difference in differences (contacted less held out) with its 95% interval, and per taker."""
    n_c, n_h = contacted["m"], held["m"]
    out: dict[str, Any] = {"n_contacted": n_c, "n_held_out": n_h, "contact": None, "low": None, "high": None,
                           "per_taker": None, "per_taker_low": None, "per_taker_high": None}
    d_c, d_h, v_c, v_h = contacted[f"d_{metric}"], held[f"d_{metric}"], contacted[f"v_{metric}"], held[f"v_{metric}"]
    if n_c < 2 or n_h < 2 or None in (d_c, d_h, v_c, v_h):
        return out
    did = d_c - d_h
    se = math.sqrt(v_c / n_c + v_h / n_h)
    out.update(contact=_round(did), low=_round(did - Z95 * se), high=_round(did + Z95 * se), se=_round(se))
    p_c, p_h = contacted["m_takers"] / n_c, held["m_takers"] / n_h
    dp = p_c - p_h
    if dp > 0:
        se_p = math.sqrt(p_c * (1 - p_c) / n_c + p_h * (1 - p_h) / n_h)
        per = did / dp
        se_per = math.sqrt(se**2 / dp**2 + did**2 * se_p**2 / dp**4)
        out.update(per_taker=_round(per), per_taker_low=_round(per - Z95 * se_per),
                   per_taker_high=_round(per + Z95 * se_per))
    return out


def _significant_rise(u: dict[str, Any]) -> bool:
    return u["low"] is not None and u["low"] > 0


def _months(store: Store, where: list[str]) -> list[dict[str, Any]]:
    """Month by month: the means of the contacted and the held out, and the month's uplift."""
    rows = store.rows("SELECT * FROM report_months WHERE campaign = ? AND offer = ? ORDER BY month_offset, held_out",
                      where)
    by_month: dict[int, dict[str, Any]] = {}
    for r in rows:
        entry = by_month.setdefault(r["month_offset"], {"offset": r["month_offset"], "month": r["month"]})
        group = "held_out" if r["held_out"] else "contacted"
        entry[group] = {"n": r["n"], **{m: _round(r[m]) for m in METRICS}}
        entry[f"_{group}"] = {"m": r["n"], "m_takers": 0, "d_arpu": r["d_arpu"], "v_arpu": r["v_arpu"]}
    months = []
    for entry in by_month.values():
        c, h = entry.pop("_contacted", None), entry.pop("_held_out", None)
        u = uplift(c, h, "arpu") if c and h else uplift(_EMPTY, _EMPTY, "arpu")
        entry["uplift"] = {k: u[k] for k in ("contact", "low", "high")}
        months.append(entry)
    return months


def _segments(store: Store, where: list[str]) -> list[dict[str, Any]]:
    rows = store.rows(_GROUP_SQL.replace("SELECT held_out,", "SELECT segment, held_out,")
                      + " GROUP BY segment, held_out ORDER BY segment", where)
    segments: dict[str, dict[bool, dict[str, Any]]] = {}
    for r in rows:
        segments.setdefault(r["segment"], {})[r["held_out"]] = r
    out = []
    for segment, groups in segments.items():
        contacted, held = groups.get(False, _EMPTY), groups.get(True, _EMPTY)
        u = uplift(contacted, held, "arpu")
        out.append({"segment": segment, "contacted": contacted["n"], "held_out": held["n"],
                    "taken_up": contacted["takers"], "take_up_rate": _round(_ratio(contacted["takers"], contacted["n"])),
                    "uplift_arpu": {k: u[k] for k in ("contact", "low", "high", "per_taker")}})
    return out


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(float(value), digits)
