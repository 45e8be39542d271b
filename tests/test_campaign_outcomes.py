"""campaign outcomes: uptake and billing imports, row by row; nothing dropped."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketing_rules.campaign import Store, import_billing, import_outcomes, run_campaign
from marketing_rules.campaign.run import CampaignError
from tests.test_campaign_run import AT, customers, rule_file


@pytest.fixture()
def store(tmp_path):
    path = tmp_path / "s.duckdb"
    run_campaign(rule_file(tmp_path), customers(tmp_path, 400), at=AT, store=path, name="t")
    with Store(path) as opened:
        yield opened


def chosen(store: Store, offer: str, held_out: bool = False) -> list[str]:
    return [r[0] for r in store.sql(f"SELECT id FROM recommendations WHERE offer = '{offer}' AND held_out = {held_out} "
                                    "ORDER BY id").fetchall()]


def test_uptakes_are_matched_and_every_bad_row_is_kept(store, tmp_path):
    x, y, held = chosen(store, "credit-x"), chosen(store, "data-y"), chosen(store, "credit-x", True)
    path = tmp_path / "uptakes.csv"
    path.write_text("\n".join([
        "id,offer,code,handled_at,channel",
        f"{x[0]},credit-x,,2027-01-07,sms",                 # 2 ok
        f"{x[1]},,1-1-1-1,2027-01-08 09:30,outbound_call",  # 3 ok, by catalogue code
        f"{x[2]},credit-x,,2027-01-0x,sms",                 # 4 bad time
        f"{x[3]},credit-x,,2027-01-09,fax",                 # 5 unknown channel
        f"{y[0]},credit-x,,2027-01-09,sms",                 # 6 not chosen for that offer
        f"{x[0]},credit-x,,2027-01-12,sms",                 # 7 twice
        f"{x[4]},credit-x,,2026-12-01,sms",                 # 8 before the campaign
        ",credit-x,,2027-01-09,sms",                       # 9 no id
        f"{x[5]},credit-x,,2027-01-09",                     # 10 unreadable: a field missing
        f"{held[0]},credit-x,,2027-01-09,business_hall",    # 11 ok: a held-out customer took it anyway
    ]) + "\n", encoding="utf-8")
    summary = import_outcomes(path, store=store)
    assert (summary.rows, summary.accepted, summary.rejected) == (10, 3, 7)
    assert sum(summary.reasons.values()) == summary.rejected
    rejected = {r["line"]: r["reason"] for r in store.rows("SELECT line, reason FROM rejected")}
    assert sorted(rejected) == [4, 5, 6, 7, 8, 9, 10]
    assert rejected[4].startswith("handled_at is not a date or time")
    assert rejected[5] == "unknown channel (fax)"
    assert rejected[6].startswith("no campaign chose this customer for this offer")
    assert rejected[7].startswith("uptake already recorded")
    assert rejected[8].startswith("handled before the campaign")
    assert rejected[9] == "no customer id"
    assert rejected[10].startswith("unreadable line")
    kept = store.rows("SELECT id, offer, channel, line FROM outcomes ORDER BY line")
    assert [(r["id"], r["offer"], r["line"]) for r in kept] == [(x[0], "credit-x", 2), (x[1], "credit-x", 3),
                                                                (held[0], "credit-x", 11)]
    again = import_outcomes(path, store=store)  # importing twice adds nothing
    assert again.accepted == 0 and again.rejected == 10


def test_billing_rows_are_checked(store, tmp_path):
    path = tmp_path / "billing.parquet"
    pq.write_table(pa.table({
        "id": ["a", "a", "b", "c", "d", "e", None, "f"],
        "month": ["2026-12", "2026-12", "2026-13", "2027-01", "2027-01", "2027-01", "2027-01", "2027-1"],
        "arpu": ["88.5", "88.5", "10", "-1", "12", "x", "3", "4"],
        "voice_min": ["100", "100", "1", "1", "1.5", "2", "3", ""],
        "data_mb": ["1024", "1", "1", "1", "1", "1", "1", ""],
    }), path)
    summary = import_billing(path, store=store)
    assert (summary.rows, summary.accepted, summary.rejected) == (8, 1, 7)
    reasons = [r["reason"] for r in store.rows("SELECT reason FROM rejected ORDER BY line")]
    assert reasons == ["month repeated for this customer (a, 2026-12)", "month is not YYYY-MM (2026-13)",
                       "arpu is not a number >= 0 (-1)", "voice_min is not a whole number >= 0 (1.5)",
                       "arpu is not a number >= 0 (x)", "no customer id", "month is not YYYY-MM (2027-1)"]
    assert store.rows("SELECT id, month, arpu, voice_min, data_mb FROM billing") == [
        {"id": "a", "month": dt.date(2026, 12, 1), "arpu": 88.5, "voice_min": 100, "data_mb": 1024.0}]
    assert import_billing(path, store=store).reasons["month already in the store"] == 1
    imports = store.rows("SELECT rows, accepted, rejected FROM imports")
    assert all(i["rows"] == i["accepted"] + i["rejected"] for i in imports)


def test_a_file_without_the_columns_is_bad_input(store, tmp_path):
    path = tmp_path / "b.csv"
    path.write_text("id,arpu\n1,2\n")
    with pytest.raises(CampaignError, match="no column month"):
        import_billing(path, store=store)
    with pytest.raises(CampaignError, match="no such file"):
        import_outcomes(tmp_path / "missing.csv", store=store)


def test_csv_and_parquet_imports_in_one_session(store, tmp_path):
    csv = tmp_path / "b.csv"
    csv.write_text("id,month,arpu,voice_min,data_mb\nz,2026-11,1,1,1\n")
    parquet = tmp_path / "b.parquet"
    pq.write_table(pa.table({"id": ["z"], "month": ["2026-12"], "arpu": [2.0], "voice_min": [3], "data_mb": [4.0]}),
                   parquet)
    for path in (csv, parquet, csv, parquet):
        import_billing(path, store=store)
    assert store.sql("SELECT count(*), sum(arpu) FROM billing").fetchall() == [(2, 3.0)]
    assert store.sql("SELECT count(*) FROM rejected WHERE reason LIKE 'month already%'").fetchall() == [(2,)]
