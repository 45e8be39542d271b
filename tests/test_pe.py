"""The purchaser-expectation method (plan 000 step 2) and the `pe` command."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

import marketing_rules as mr
from marketing_rules import pe
from marketing_rules.cli import main
from tests.conftest import ROOT

SURVEY = ROOT / "examples" / "pe-survey" / "survey.csv"
HEADER = "respondent,tier,service,intention\n"


def _answers(tier: str, service: str, counts: dict[str, int]) -> list[dict]:
    said = [i for i, n in counts.items() for _ in range(n)]
    return [{"respondent": f"{tier}{k}", "tier": tier, "service": service, "intention": i} for k, i in enumerate(said)]


def test_the_plans_probabilities() -> None:
    assert [pe.PROBABILITIES[pe.INTENTIONS[w]] for w in ("肯定购买", "可能购买", "未定", "可能不买", "肯定不买")] == [
        Decimal("1"), Decimal("0.8"), Decimal("0.5"), Decimal("0.2"), Decimal("0")]
    for word in ("definitely", "probably", "undecided", "probably_not", "definitely_not"):
        rows = _answers("gold", "magazine", {word: 4})
        assert pe.expectations(pe.validate(rows).answers)["magazine"]["gold"] == pe.PROBABILITIES[word]


def test_hand_computed_expectation() -> None:
    # 3 definitely, 2 probably, 2 undecided, 2 probably not, 1 definitely not:
    # (3*1 + 2*0.8 + 2*0.5 + 2*0.2 + 1*0) / 10 = 6.0 / 10 = 0.60 (the guides' example)
    rows = _answers("silver", "golf-club", {"肯定购买": 3, "可能购买": 2, "未定": 2, "可能不买": 2, "肯定不买": 1})
    assert pe.expectations(pe.validate(rows).answers) == {"golf-club": {"silver": Decimal("0.6000")}}


def _pe(value: str) -> dict:
    return {s: {t: Decimal(value) for t in ("diamond", "silver", "mid_high")} for s in pe.PLAN_CLASSES}


def test_threshold_rule_any_indicator_below_the_critical_value_denies_the_class() -> None:
    values = _pe("0.6")
    assert pe.propose(values, pe.PLAN_CLASSES)["mid_high"] == {
        "restricted": ["paid", "trial"], "semi-open": ["paid", "prestore", "trial"], "open": "free"}
    values["golf-club"]["mid_high"] = Decimal("0.4999")  # one service of the class below 0.5
    assert "semi-open" not in pe.propose(values, pe.PLAN_CLASSES)["mid_high"]
    assert "semi-open" in pe.propose(values, pe.PLAN_CLASSES, critical=Decimal("0.4999"))["mid_high"]
    values["golf-club"]["mid_high"] = Decimal("0.5")  # at the critical value: offered
    assert "semi-open" in pe.propose(values, pe.PLAN_CLASSES)["mid_high"]


def test_free_where_the_plan_entitles_the_tier_and_unsurveyed_tiers_get_nothing() -> None:
    matrix = pe.propose(_pe("0.9"), pe.PLAN_CLASSES)
    assert matrix["diamond"] == {"restricted": "free", "semi-open": "free", "open": "free"}
    assert matrix["silver"]["open"] == "free" and matrix["silver"]["restricted"] == ["paid", "trial"]
    assert set(matrix) == {"diamond", "silver", "mid_high"}


def test_the_shipped_survey_has_100_respondents_per_group_and_the_plans_matrix() -> None:
    report = pe.analyse(SURVEY)
    assert report["respondents"] == {"diamond": 100, "gold": 100, "silver": 100, "mid_high": 100, "ordinary": 0}
    assert report["bad_rows"] == []
    assert report["matrix"]["silver"] == {"restricted": ["paid", "trial"], "semi-open": ["paid", "prestore", "trial"],
                                          "open": "free"}
    assert report["matrix"]["mid_high"] == {"semi-open": ["paid", "prestore", "trial"], "open": "free"}


def test_generator_is_seeded_and_wrote_the_shipped_file(tmp_path: Path) -> None:
    import runpy

    module = runpy.run_path(str(SURVEY.with_name("generate.py")))
    assert module["answers"](2026) == module["answers"](2026) != module["answers"](7)
    rows = module["answers"](2026)
    text = HEADER + "".join(f"{r['respondent']},{r['tier']},{r['service']},{r['intention']}\n" for r in rows)
    assert SURVEY.read_text(encoding="utf-8").replace("\r\n", "\n") == text


def test_bad_rows_are_reported_with_number_and_reason_never_dropped(tmp_path: Path) -> None:
    survey = tmp_path / "survey.csv"
    survey.write_text(HEADER + "a1,gold,magazine,definitely\n"  # row 1 fine
                      "a2,platinum,magazine,definitely\n"       # row 2 unknown tier
                      "a3,gold,magazine,maybe\n"                # row 3 unknown intention
                      "a1,gold,magazine,undecided\n"            # row 4 second answer
                      "a5,gold,,definitely\n"                   # row 5 missing service
                      "a6,gold,spa,definitely\n", encoding="utf-8")  # row 6 unknown service
    result = CliRunner().invoke(main, ["pe", str(survey), "--format", "json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert [b["row"] for b in report["bad_rows"]] == [2, 3, 4, 5, 6]
    reasons = [b["reason"] for b in report["bad_rows"]]
    assert "unknown tier 'platinum'" in reasons[0] and "unknown intention 'maybe'" in reasons[1]
    assert "twice" in reasons[2] and reasons[3] == "missing service" and "unknown service 'spa'" in reasons[4]
    assert report["pe"] == {"magazine": {"gold": 1.0}}
    text = CliRunner().invoke(main, ["pe", str(survey)]).output
    assert "rejected rows: 5" in text and "row 3: unknown intention 'maybe'" in text


def test_parquet_survey_gives_the_same_report(tmp_path: Path) -> None:
    import csv

    rows = list(csv.DictReader(SURVEY.open(encoding="utf-8")))
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "survey.parquet")
    assert pe.analyse(tmp_path / "survey.parquet") == pe.analyse(SURVEY)


def test_against_shows_where_the_rulesets_matrix_differs() -> None:
    report = pe.analyse(SURVEY, against=mr.load_ruleset(ROOT / "rulesets/gotone-vip/1.1.0.yaml"))
    assert report["differences"] == [
        {"tier": "silver", "class": "restricted", "proposed": ["paid", "trial"], "ruleset": None},
        {"tier": "mid_high", "class": "semi-open", "proposed": ["paid", "prestore", "trial"],
         "ruleset": ["paid", "trial"]},
    ]
    same = pe.differences(report["matrix"], report["matrix"], pe.TIERS)
    assert same == []


def test_the_new_gotone_vip_uses_the_matrix_the_survey_proposes() -> None:
    report = pe.analyse(SURVEY, against=mr.load_ruleset(ROOT / "rulesets/gotone-vip/1.2.0.yaml"))
    assert report["differences"] == []


def test_critical_value_is_a_parameter_and_checked() -> None:
    strict = json.loads(CliRunner().invoke(main, ["pe", str(SURVEY), "--format", "json", "--critical", "0.65"]).output)
    assert strict["matrix"]["silver"] == {"semi-open": ["paid", "prestore", "trial"], "open": "free"}
    assert strict["matrix"]["mid_high"] == {"open": "free"}
    assert CliRunner().invoke(main, ["pe", str(SURVEY), "--critical", "1.5"]).exit_code == 2
