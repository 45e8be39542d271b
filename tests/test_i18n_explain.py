"""Explanations, what-would-it-take answers, checker findings, scenario failures and diff summaries
in Chinese under messages_in("zh"), and in English exactly as before."""

from __future__ import annotations

import json
import shutil

import pytest

import marketing_rules as mr
from marketing_rules.i18n import messages_in
from marketing_rules.testing.scenarios import run
from marketing_rules.versioning.diff import release_gate, structural
from tests.conftest import ROOT

GOTONE = ROOT / "rulesets" / "gotone-vip"
#: A silver card holder already on gotone-188: the golf pack needs an upgrade (gotone-vip 1.0.0.test.yaml).
ON_188 = {"id": "13900000004", "card": "silver", "arpu_3m": 160, "status": "active", "package_fee": 188}
#: A silver card holder spending 160 on a 128 package: golf first, so no lecture hall.
ON_128 = {"id": "13900000003", "card": "silver", "arpu_3m": 160, "status": "active", "package_fee": 128}


@pytest.fixture(scope="module")
def gotone():
    return mr.load_ruleset(GOTONE / "1.0.0.yaml")


def test_why_an_offer_is_not_given(gotone):
    english = (
        "offer prestore-golf (预存话费畅享高尔夫) for customer 13900000004: not eligible: a condition is false\n"
        "  [  false] all of\n"
        "    [   true] tier == silver    (tier = 'silver')\n"
        "    [   true] status == 'active'    (status = 'active')\n"
        "    [   true] arpu_3m >= 150    (arpu_3m = 160.0)\n"
        "    [  false] package_fee < 188  (upgrade to gotone-188)    (package_fee = 188.0)")
    chinese = (
        "客户 13900000004 的活动 prestore-golf（预存话费畅享高尔夫）：不符合条件：有一个条件不成立\n"
        "  [ 不成立] 全部满足\n"
        "    [   成立] tier == silver    (tier = 'silver')\n"
        "    [   成立] status == 'active'    (status = 'active')\n"
        "    [   成立] arpu_3m >= 150    (arpu_3m = 160.0)\n"
        "    [ 不成立] package_fee < 188  (upgrade to gotone-188)    (package_fee = 188.0)")
    assert str(gotone.explain(ON_188, "prestore-golf")) == english
    with messages_in("zh"):
        explanation = gotone.explain(ON_188, "prestore-golf")
        assert str(explanation) == chinese
    data = explanation.as_dict()  # the service's JSON: the same fields, the words in Chinese
    assert set(data) == {"target", "kind", "title", "customer", "fired", "verdict", "blocked_by", "condition", "rows"}
    assert (data["kind"], data["verdict"]) == ("offer", "不符合条件：有一个条件不成立")
    assert data["condition"]["text"] == "全部满足" and data["condition"]["result"] is False
    assert set(data["condition"]) == {"text", "result", "values", "children"}
    json.dumps(data, ensure_ascii=False)


def test_an_offer_its_group_gave_away(gotone):
    assert gotone.explain(ON_128, "prestore-lecture").verdict == \
        "not eligible: group 'service-pack' already gave 'prestore-golf', which fired first"
    with messages_in("zh"):
        assert gotone.explain(ON_128, "prestore-lecture").verdict == \
            "不符合条件：分组 'service-pack' 已经给出了先生效的 'prestore-golf'"


def test_a_table_row_by_row(gotone):
    english = gotone.explain(ON_188, "tier-by-card-and-arpu")
    with messages_in("zh"):
        chinese = gotone.explain(ON_188, "tier-by-card-and-arpu")
        lines = str(chinese).splitlines()
    assert english.verdict == "hit policy first: tier-by-card-and-arpu#3 gave tier = 'silver'"
    assert chinese.verdict == "命中策略 first：tier-by-card-and-arpu#3 给出 tier = 'silver'"
    assert str(english).splitlines()[3] == \
        "  [   true] row 3: not(none) | [120..200) -> tier = silver   <- chosen    (arpu_3m = 160.0, card = 'silver')"
    assert lines[3] == "  [   成立] 第 3 行：not(none) | [120..200) -> tier = silver   <- 选中    (arpu_3m = 160.0, card = 'silver')"


def test_no_such_rule(gotone):
    with pytest.raises(KeyError) as english:
        gotone.explain(ON_188, "prestore-golff")
    with messages_in("zh"), pytest.raises(KeyError) as chinese:
        gotone.explain(ON_188, "prestore-golff")
    assert english.value.args[0] == \
        "no rule, offer or table 'prestore-golff' in gotone-vip 1.0.0; did you mean 'prestore-golf'?"
    assert chinese.value.args[0].startswith("gotone-vip 1.0.0 中没有规则、活动或决策表 'prestore-golff'；")


def test_what_would_it_take(gotone):
    assert str(gotone.what_would_it_take(ON_128, "prestore-golf")) == \
        "customer 13900000003 is already eligible for 'prestore-golf'"
    assert str(gotone.what_would_it_take(ON_188, "prestore-golf")) == (
        "no change of numeric facts makes customer 13900000004 eligible for 'prestore-golf': "
        "it also needs package_fee < 188  (upgrade to gotone-188)")
    with messages_in("zh"):
        assert str(gotone.what_would_it_take(ON_128, "prestore-golf")) == \
            "客户 13900000003 已经符合活动 'prestore-golf' 的条件"
        remedy = gotone.what_would_it_take(ON_188, "prestore-golf")
        assert remedy.reason == "还需要 package_fee < 188  (upgrade to gotone-188)"
        assert str(remedy) == ("改变数字事实无法让客户 13900000004 符合活动 'prestore-golf' 的条件："
                               "还需要 package_fee < 188  (upgrade to gotone-188)")
        # the change itself is data: the same in both languages
        assert str(gotone.what_would_it_take(ON_128, "prestore-lecture")) == "arpu_3m 160.0 -> 149.99"
    assert str(gotone.what_would_it_take(ON_128, "prestore-lecture")) == "arpu_3m 160.0 -> 149.99"


TINY = """\
ruleset: tiny
version: 1.0.0
rules:
  - id: impossible
    when: arpu > 100 and arpu < 50
    then: {tag: never}
  - id: pack-a
    group: packs
    when: arpu >= 100
    then: {offer: {rewards: [{bill_credit: 10}]}}
  - id: pack-b
    group: packs
    when: arpu >= 200
    then: {offer: {rewards: [{bill_credit: 20}]}}
checks:
  exclusive: [packs]
"""


def test_check_findings_and_witness(tmp_path):
    path = tmp_path / "tiny" / "1.0.0.yaml"
    path.parent.mkdir()
    path.write_text(TINY, encoding="utf-8")
    rs = mr.load_ruleset(path)
    english = rs.check()
    with messages_in("zh"):
        chinese = rs.check()
        shown = chinese.render(verbose=True)
    overlap = next(f for f in english.findings if f.kind == "overlap")
    witness = ", ".join(f"{k}={v!r}" for k, v in overlap.witness.items() if k != "id")
    assert english.render(verbose=True).splitlines() == [
        "tiny 1.0.0: 3 findings, 0 properties proved, 0 unknown",
        "  dead-rule      impossible: can never fire: its condition can never be true",
        "  dead-rule      pack-b: can never fire: its group 'packs' always gives another rule first",
        "  overlap        pack-a, pack-b: both offers of exclusive group 'packs' apply to this customer "
        "(the group gives only the first that fires)",
        f"                 witness: {witness}",
    ]
    assert shown.splitlines() == [
        "tiny 1.0.0：3 个发现，0 个性质已证明，0 个未知",
        "  永不生效       impossible：永远不会生效：它的条件永远不可能成立",
        "  永不生效       pack-b：永远不会生效：它所在的分组 'packs' 总是先给出另一条规则",
        "  重叠           pack-a, pack-b：互斥分组 'packs' 的两个活动都适用于这位客户（该分组只给出最先生效的一个）",
        f"                 反例客户：{witness}",
    ]
    # the JSON keeps its fields and kinds; only the message is in Chinese
    data = chinese.as_dict()["findings"][2]
    assert (data["kind"], data["rules"]) == ("overlap", ["pack-a", "pack-b"])
    assert data["message"] == "互斥分组 'packs' 的两个活动都适用于这位客户（该分组只给出最先生效的一个）"


SCENARIOS = """\
scenarios:
  - name: a silver card holder on gotone-188 is offered golf
    given: {id: "13900000004", card: silver, arpu_3m: 160, status: active, package_fee: 188}
    expect:
      facts: {tier: gold}
      offers: [prestore-golf]
  - name: 120 yuan without a card is offered the lecture hall
    given: {id: "13900000005", card: none, arpu_3m: 120, status: active, tenur_months: 3}
    expect:
      offers: [prestore-lecture]
"""


def test_a_failing_scenario(tmp_path):
    shutil.copy(GOTONE / "1.0.0.yaml", tmp_path / "1.0.0.yaml")
    tests = tmp_path / "1.0.0.test.yaml"
    tests.write_text(SCENARIOS, encoding="utf-8")
    english = run([tests]).render().replace(str(tests), "T").splitlines()
    with messages_in("zh"):
        chinese = run([tests]).render().replace(str(tests), "T").splitlines()
    assert english[:5] == [
        "warning T:7: 120 yuan without a card is offered the lecture hall: "
        "fact 'tenur_months' is not a fact of the schema (did you mean tenure_months?)",
        "FAIL T:2: a silver card holder on gotone-188 is offered golf",
        "    fact tier: expected 'gold', got 'silver'",
        "    offers: expected ['prestore-golf'], got ['prestore-lecture']",
        "    why: offer prestore-golf (预存话费畅享高尔夫) for customer 13900000004: not eligible: a condition is false",
    ]
    assert english[-1] == "1 passed, 1 failed"
    assert chinese[:6] == [
        "警告 T:7：120 yuan without a card is offered the lecture hall："
        "事实 'tenur_months' 不是 schema 中的事实（是不是想写 tenure_months？）",
        "失败 T:2：a silver card holder on gotone-188 is offered golf",
        "    事实 tier：预期 'gold'，实际 'silver'",
        "    offers：预期 ['prestore-golf']，实际 ['prestore-lecture']",
        "    原因：客户 13900000004 的活动 prestore-golf（预存话费畅享高尔夫）：不符合条件：有一个条件不成立",
        "      [ 不成立] 全部满足",
    ]
    assert chinese[-2:] == [
        "覆盖：gotone-vip 1.0.0：没有测试场景触发 prestore-golf, spend-warning, trial-pack, birthday-care",
        "1 个通过，1 个失败",
    ]


def test_a_scenario_file_of_the_wrong_shape(tmp_path):
    shutil.copy(GOTONE / "1.0.0.yaml", tmp_path / "1.0.0.yaml")
    tests = tmp_path / "1.0.0.test.yaml"
    tests.write_text("scenarios:\n  - name: x\n    given: {id: '1'}\n    expect: {offer: []}\n", encoding="utf-8")
    with pytest.raises(mr.RulesetError) as english:
        run([tests])
    with messages_in("zh"), pytest.raises(mr.RulesetError) as chinese:
        run([tests])
    assert english.value.diagnostics[0].code == chinese.value.diagnostics[0].code == "MR501"
    assert english.value.diagnostics[0].message == "unknown expectation 'offer'"
    assert chinese.value.diagnostics[0].message == "未知的预期项 'offer'"


def test_diff_summary():
    old, new = mr.load_ruleset(GOTONE / "1.0.0.yaml"), mr.load_ruleset(GOTONE / "1.1.0.yaml")
    customers = [ON_128, ON_188, {"id": "bad", "arpu_3m": "lots"}]
    english = [str(c) for c in structural(old, new)]
    gate = release_gate(old, new, customers, fail_over=10)
    english_gate = gate.render().splitlines()
    with messages_in("zh"):
        chinese = [str(c) for c in structural(old, new)]
        chinese_gate = gate.render().splitlines()
    assert english[:2] == ["changed  header    effective", "changed  offer     birthday-care (then.offer)"]
    assert chinese[:2] == ["修改     文件头    effective", "修改     活动      birthday-care (then.offer)"]
    assert english_gate[0] == "2 customers decided under both versions (1 rejected as invalid)"
    assert chinese_gate[0] == "2 位客户在两个版本下都做了决策（1 位因数据不合法被拒绝）"
    assert english_gate[2] == "offer                          before    after    gain    lose  sample customers"
    assert chinese_gate[2] == "活动                           修改前   修改后    得到    失去  客户示例"
    assert english_gate[-2:] == ["0 of 2 decisions change (0.00%); reward cost 50.00 -> 50.00 yuan (+0.00)",
                                 "pass: 0.00% changed, threshold 10%"]
    assert chinese_gate[-2:] == ["2 个决策中有 0 个改变（0.00%）；奖励成本 50.00 -> 50.00 元（+0.00）",
                                 "通过：0.00% 的决策改变，阈值 10%"]
