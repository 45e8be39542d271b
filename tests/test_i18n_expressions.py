"""Expression and event messages in Chinese under messages_in("zh"), and in English as before.

Fact names, function names, operators and values stay as written; the words around them, and the
names of types (数字, 文本, 整数, ...), are translated.
"""

from __future__ import annotations

import pytest

import marketing_rules as mr
from marketing_rules.errors import EventError
from marketing_rules.events.reader import EventReader
from marketing_rules.expressions.types import NUMBER, STRING, enum, list_of
from marketing_rules.i18n import messages_in

HEAD = """\
ruleset: words
version: 1.0.0
schema: telecom-customer
effective: {from: 2027-01-01}
rules:
  - id: r
    when: "WHEN"
    then: {tag: x}
"""


def diagnostic(when: str, lang: str) -> tuple[str, str, str | None]:
    with messages_in(lang), pytest.raises(mr.RulesetError) as raised:
        mr.load_ruleset("rules.yaml", text=HEAD.replace("WHEN", when))
    (found,) = raised.value.diagnostics
    return found.code, found.message, found.hint


CASES = [
    pytest.param(
        "arpu_3m >= ", "MR105",
        ("the expression ends too early",
         "expected a value here: a name, a number, a 'string', a [list] or a (parenthesised expression)"),
        ("表达式提前结束了", "这里应是一个值：名称、数字、'文本'、[列表] 或 (带括号的表达式)"),
        id="ends-too-early"),
    pytest.param(
        "(arpu_3m >= 1", "MR105",
        ("the expression ends too early", "expected ')'"),
        ("表达式提前结束了", "这里应是 ')'"),
        id="expected-paren"),
    pytest.param(
        "arpu_3m >= 1 1", "MR105",
        ("unexpected '1'", "expected ')', '*', '/' or '%', '+' or '-', ',', ']', a comparison"),
        ("这里不应出现 '1'", "这里应是 ')'、'*'、'/' 或 '%'、'+' 或 '-'、','、']'、比较运算符"),
        id="unexpected-token"),
    pytest.param(
        "1 < arpu_3m < 3", "MR105",
        ("unexpected '<'", "compare one pair at a time: write '1 < x and x < 3', not '1 < x < 3'"),
        ("这里不应出现 '<'", "每次只比较一对：写成 '1 < x and x < 3'，不要写 '1 < x < 3'"),
        id="chained-comparison"),
    pytest.param(
        "max(arpu_3m，1) > 2", "MR105",
        ("a full-width '，' in the expression", "type the half-width ',' (switch the input method to English)"),
        ("表达式中有全角字符 '，'", "请输入半角的 ','（把输入法切换到英文）"),
        id="full-width-comma"),
    pytest.param(
        "arpu_3m >= 120元", "MR105",
        ("a unit after the number 120", "write 120, not 120元: numbers carry no unit"),
        ("数字 120 后面带了单位", "请写 120，不要写 120元：数字不带单位"),
        id="unit"),
    pytest.param(
        "arpu_3m >= 1.5万", "MR105",
        ("a unit after the number 1.5", "write 15000, not 1.5万: numbers carry no unit"),
        ("数字 1.5 后面带了单位", "请写 15000，不要写 1.5万：数字不带单位"),
        id="unit-wan"),
    pytest.param(
        "arpu_3m < tenure_months * 80%", "MR105",
        ("a percentage 80%", "write 0.8, not 80%: numbers carry no unit"),
        ("百分数 80%", "请写 0.8，不要写 80%：数字不带单位"),
        id="percentage"),
    pytest.param(
        "sqrt(arpu_3m) > 1", "MR102",
        ("unknown function 'sqrt'", "the functions are min, max, abs, round, floor, ceil, len, coalesce"),
        ("未知的函数 'sqrt'", "可用的函数有 min, max, abs, round, floor, ceil, len, coalesce"),
        id="unknown-function"),
    pytest.param(
        "arpu_3m * 2 == 'high'", "MR103",
        ("cannot compare a number with a string", None),
        ("无法比较数字和文本", None),
        id="text-with-number"),
    pytest.param(
        "arpu_3m == 'high'", "MR103",
        ("cannot compare a number with a string", "`arpu_3m` here is the fact arpu_3m; write 'arpu_3m' for the text"),
        ("无法比较数字和文本", "这里的 `arpu_3m` 是事实 arpu_3m；如果指的是文本，请写成 'arpu_3m'"),
        id="bare-fact"),
    pytest.param(
        "status > 3", "MR103",
        ("'>' compares numbers, but this is an enum status(active, suspended, pre_cancel)",
         "enum values and strings can only be compared with ==, != or in"),
        ("'>' 比较的是数字，而这里是枚举 status(active, suspended, pre_cancel)", "枚举值和文本只能用 ==、!= 或 in 比较"),
        id="order-an-enum"),
    pytest.param(
        "arpu_3m", "MR103",
        ("a condition must be true or false, but this is a number", "compare it with something, for example 'x > 0'"),
        ("条件必须为真或假，而这里是数字", "把它与某个值比较，例如 'x > 0'"),
        id="not-a-condition"),
    pytest.param(
        "abs(arpu_3m, 2) > 1", "MR106",
        ("abs() takes 1 argument, not 2", None),
        ("abs() 需要 1 个参数，而这里有 2 个", None),
        id="argument-count"),
    pytest.param(
        "max(arpu_3m) > 1", "MR106",
        ("max() takes at least 2 arguments, not 1", None),
        ("max() 至少需要 2 个参数，而这里有 1 个", None),
        id="at-least"),
    pytest.param(
        "arpu_3m == null", "MR107",
        ("a comparison with null is never true", "write '... is null' to test for a missing value"),
        ("与 null 比较永远不会为真", "判断值是否缺失请写 '... is null'"),
        id="null"),
    pytest.param(
        "round(arpu_3m, 20) > 1", "MR110",
        ("round() takes its digits as a whole number from -10 to 10",
         "write e.g. round(arpu, 2); numbers keep 10 decimal places"),
        ("round() 的位数必须是 -10 到 10 之间的整数", "例如写成 round(arpu, 2)；数字保留 10 位小数"),
        id="round-digits"),
]


@pytest.mark.parametrize("when, code, english, chinese", CASES)
def test_an_expression_mistake_in_chinese_and_in_english(when, code, english, chinese):
    assert diagnostic(when, "zh") == (code, *chinese)
    assert diagnostic(when, "en") == (code, *english)


EVENTS = """\
ruleset: words-events
version: 1.0.0
schema: telecom-customer
effective: {from: 2027-01-01}
events:
  bill:
    attributes:
      amount: {type: number, ge: 0, required: true}
rules:
  - {id: care, then: {offer: {rewards: [{bill_credit: 1}]}}}
  - {id: tagger, then: {tag: x}}
points:
  rules:
    - {id: p, event: bill, points: 1, per: kind}
triggers:
  - id: t
    event: bill
    bind: {arpu: amount}
    followed_by: {event: bill, within: 2 months}
    recommend: {offer: tagger, channel: sms}
"""


def event_diagnostics(lang: str) -> list[tuple[str, str, str | None]]:
    with messages_in(lang), pytest.raises(mr.RulesetError) as raised:
        mr.load_ruleset("rules.yaml", text=EVENTS)
    return [(d.code, d.message, d.hint) for d in raised.value.diagnostics]


def test_event_pattern_diagnostics_in_chinese_and_in_english():
    assert event_diagnostics("zh") == [
        ("MR606", "事件类型 'bill' 没有属性 'kind'（per）", "它的属性有 amount"),
        ("MR602", "绑定名 'arpu' 与已有的名称重复：输入事实 'arpu'", "换一个名称，例如 first_amount"),
        ("MR603", "'2 months' 不是时间窗口", "各月天数不同：请写 30 days 或 31 days"),
        ("MR604", "规则 'tagger' 不给出活动", "本文件中的活动有 care"),
    ]
    assert event_diagnostics("en") == [
        ("MR606", "event type 'bill' has no attribute 'kind' (per)", "its attributes are amount"),
        ("MR602", "bound name 'arpu' has the name of the input fact 'arpu'", "choose another name, e.g. first_amount"),
        ("MR603", "'2 months' is not a time window", "months differ in length: write 30 days or 31 days"),
        ("MR604", "rule 'tagger' makes no offer", "the offers of this file are care"),
    ]


def test_an_invalid_event_in_chinese_and_in_english():
    program = mr.load_ruleset("rules.yaml", text=EVENTS.split("points:")[0]).program
    assert program.events is not None
    reader = EventReader(program.events.events)

    def messages(lang: str) -> list[str]:
        found = []
        with messages_in(lang):
            for raw in ({"type": "bill", "at": "yesterday", "amount": 1}, {"type": "bill", "at": "2027-01-01"},
                        {"at": "2027-01-01"}, {"type": "bill"}):
                with pytest.raises(EventError) as raised:
                    reader.read(raw)
                found.extend(str(error["message"]) for error in raised.value.errors)
        return found

    assert messages("zh") == ["不是 ISO 格式的时间", "在 bill 事件中必须填写", "必须填写（文本）", "必须填写"]
    assert messages("en") == ["is not an ISO timestamp", "is required in a bill event", "is required (a text)",
                              "is required"]


def test_type_names_in_chinese_and_in_english():
    types = [NUMBER, STRING, list_of(STRING), enum(["sms", "call"], "channel"), list_of(None)]
    with messages_in("zh"):
        assert [t.article for t in types] == ["数字", "文本", "文本列表", "枚举 channel(sms, call)", "列表"]
    with messages_in("en"):
        assert [t.article for t in types] == ["a number", "a string", "a list of string", "an enum channel(sms, call)",
                                              "a list"]
