"""The rule file's shape errors and the resolver's diagnostics in Chinese and English: one rule file
for each kind of message, its diagnostic's exact text under lang="zh" and, unchanged, under English.
pydantic's own texts ("Input should be a valid integer") never reach a Chinese reader."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

import marketing_rules as mr
from marketing_rules.errors import did_you_mean
from marketing_rules.i18n import messages_in
from marketing_rules.model.ruleset import pydantic_message

HEAD = "ruleset: demo\nversion: 1.0.0\n"


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MARKETING_RULES_LANG", raising=False)


def diagnostics(text: str, lang: str | None = None) -> list[tuple[str, int | None, str, str | None]]:
    """(code, line, message, hint) of every diagnostic of a rule file that fails to load."""
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset("demo.yaml", text=HEAD + text, lang=lang)
    return [(d.code, d.line, d.message, d.hint) for d in caught.value.diagnostics]


def both(text: str) -> tuple[list[tuple[str, int | None, str, str | None]], ...]:
    return diagnostics(text), diagnostics(text, "zh")


def test_a_wrong_type_is_worded_from_pydantic_error_type() -> None:
    english, chinese = both("rules:\n  - id: a\n    priority: high\n    then: {tag: x}\n")
    assert english == [("MR011", 5, "Input should be a valid integer, unable to parse string as an integer", None)]
    assert chinese == [("MR011", 5, "应为整数，无法把这段文本读成整数", None)]


def test_a_mapping_a_boolean_and_a_list_in_chinese() -> None:
    text = ("effective: 2027\nchecks:\n  coverage: {offers: perhaps}\n"
            "tables:\n  - id: t\n    inputs: []\n    outputs: x\n    rows: [[1]]\n")
    english, chinese = both(text)
    assert [m for _, _, m, _ in english] == [
        "Input should be a valid dictionary or instance of Effective",
        "Input should be a valid boolean, unable to interpret input",
        "List should have at least 1 item after validation, not 0",
        "Input should be a valid list"]
    assert [m for _, _, m, _ in chinese] == [
        "应为映射（键: 值）（Effective）",
        "应为布尔值（true 或 false），无法识别所写的内容",
        "列表应至少有 1 项，实际有 0 项",
        "应为列表"]


def test_a_bound_keeps_its_number_as_pydantic_shows_it() -> None:
    english, chinese = both("packages:\n  p: {fee: -5}\nservices:\n  s: {class: open, trial_days: 0}\n")
    assert [m for _, _, m, _ in english] == ["Input should be greater than or equal to 0",
                                             "Input should be greater than or equal to 1"]
    assert [m for _, _, m, _ in chinese] == ["应大于或等于 0", "应大于或等于 1"]


def test_our_own_value_errors_in_chinese() -> None:
    text = "effective: {from: 2027-02-01, until: 2027-01-01}\n"
    english, chinese = both(text)
    assert english == [("MR011", 3, "the window ends (2027-01-01) before it starts (2027-02-01)", None)]
    assert chinese == [("MR011", 3, "生效期的结束日期（2027-01-01）早于开始日期（2027-02-01）", None)]
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset("demo.yaml", text="ruleset: demo\nversion: 1.0\n", lang="zh")
    assert caught.value.diagnostics[0].message == "版本 1.0 被读成了数字；请写成 MAJOR.MINOR.PATCH，例如 '1.0.0'"


def test_an_unknown_reward_kind_with_did_you_mean() -> None:
    text = "rules:\n  - id: a\n    then:\n      offer:\n        rewards: [{bil_credit: 5}]\n"
    english, chinese = both(text)
    assert english == [("MR011", 7, "unknown reward kind 'bil_credit'", "did you mean 'bill_credit'?")]
    with messages_in("zh"):
        hint = did_you_mean("bil_credit", ["bill_credit"])
    assert chinese == [("MR011", 7, "未知的奖励种类 'bil_credit'", hint)]


def test_a_term_without_its_parameters() -> None:
    text = "rules:\n  - id: a\n    then:\n      offer:\n        requires: [{guarantee: 50}]\n"
    english, chinese = both(text)
    assert english == [("MR010", 7, "'guarantee' needs monthly, months", "write guarantee: {monthly: ..., months: ...}")]
    assert chinese == [("MR010", 7, "'guarantee' 需要写 monthly, months", "请写 guarantee: {monthly: ..., months: ...}")]


def test_an_undeclared_fact_with_did_you_mean() -> None:
    text = "facts:\n  score: {type: integer}\nrules:\n  - id: a\n    then: {set: {scroe: 1}}\n"
    english, chinese = both(text)
    assert english == [("MR203", 7, "'scroe' is not declared", "did you mean 'score'?")]
    with messages_in("zh"):
        hint = did_you_mean("scroe", ["score"])
    assert chinese == [("MR203", 7, "'scroe' 没有声明", hint)]
    english, chinese = both("rules:\n  - id: a\n    then: {set: {arpu: 1}}\n")
    assert english[0][2:] == ("'arpu' is an input fact; rules cannot change inputs",
                              "derive a fact of your own instead, e.g. arpu_adjusted under facts:")
    assert chinese[0][2:] == ("'arpu' 是输入事实；规则不能修改输入", "请改为在 facts: 下派生一个自己的事实，例如 arpu_adjusted")


def test_an_unknown_package_service_and_schema() -> None:
    text = ("schema: telco\nrules:\n  - id: a\n    then:\n      grant: lounge\n      offer:\n"
            "        requires: [{upgrade: gold}]\n")
    english, chinese = both(text)
    assert english == [
        ("MR209", 3, "unknown schema 'telco'", "the built-in schema is 'telecom-customer'"),
        ("MR205", 7, "unknown service 'lounge'", "declare it under services:"),
        ("MR204", 9, "unknown package 'gold'", "declare it under packages:")]
    assert chinese == [
        ("MR209", 3, "未知的 schema 'telco'", "内置的 schema 是 'telecom-customer'"),
        ("MR205", 7, "未知的服务 'lounge'", "请在 services: 下声明它"),
        ("MR204", 9, "未知的套餐 'gold'", "请在 packages: 下声明它")]


CYCLE = """\
facts:
  a: {type: integer}
  b: {type: integer}
rules:
  - id: r
    when: b > 1
    then: {set: {a: 1}}
  - id: r
    when: a > 1
    then: {set: {b: 1}}
"""


def test_a_duplicate_id_and_a_cycle() -> None:
    english, chinese = both(CYCLE)
    assert english == [
        ("MR201", 7, "facts depend on each other in a cycle: a -> b -> a (through 'r', 'r')",
         "a fact may not depend, directly or through other facts, on itself; split it into two facts"),
        ("MR206", 10, "id 'r' is used twice", "it was first used at line 7")]
    assert chinese == [
        ("MR201", 7, "事实之间循环依赖：a -> b -> a（经由 'r', 'r'）", "事实不能直接或经由其他事实依赖自身；请把它拆成两个事实"),
        ("MR206", 10, "id 'r' 用了两次", "第一次使用在第 7 行")]


def test_facts_set_outside_one_group() -> None:
    text = ("facts:\n  x: {type: integer}\nrules:\n  - id: a\n    then: {set: {x: 1}}\n"
            "  - id: b\n    then: {set: {x: 2}}\n")
    english, chinese = both(text)
    assert english == [("MR202", 8, "fact 'x' is set by 'a', 'b', which are not in one group",
                        "put the rules in one group (group: ...) so that only one of them can set 'x'")]
    assert chinese == [("MR202", 8, "事实 'x' 由 'a', 'b' 设置，但它们不在同一个分组中",
                        "请把这些规则放进同一个分组（group: ...），使只有其中一条能设置 'x'")]


def test_a_bad_access_matrix() -> None:
    text = ("services:\n  lounge: {class: restricted}\naccess:\n  by: tier\n  gold: {restricted: free, opne: free}\n"
            "  silver: {restricted: fre}\n")
    english, chinese = both(text)
    with messages_in("zh"):
        hints = [did_you_mean("opne", ["open"]), did_you_mean("fre", ["free"])]
    assert english == [("MR207", 7, "unknown service class 'opne'", "did you mean 'open'?"),
                       ("MR207", 8, "unknown mode 'fre'", "did you mean 'free'?")]
    assert chinese == [("MR207", 7, "未知的服务类别 'opne'", hints[0]), ("MR207", 8, "未知的方式 'fre'", hints[1])]
    english, chinese = both("access:\n  gold: {restricted: free}\n")
    assert english == [("MR207", 4, "access needs 'by:', a fact to key the matrix by (got None)", "write by: tier")]
    assert chinese == [("MR207", 4, "access 需要写 'by:'，即服务权限矩阵按哪个事实划分（现在是 None）", "请写 by: tier")]


ACCESS = """\
facts:
  tier: {type: enum, values: [gold, silver]}
rules:
  - id: lounge-gift
    when: tier == 'silver'
    then:
      offer:
        mode: MODE
        rewards:
          - service: airport-lounge
services:
  airport-lounge: {class: restricted}
access:
  by: tier
  gold: {restricted: free}
  silver: {restricted: [paid]}
"""


def test_an_offer_only_to_tiers_the_matrix_denies_mr212() -> None:
    english, chinese = both(ACCESS.replace("MODE", "trial"))
    assert english == [("MR212", 12, "gives the service airport-lounge as trial only to tier silver, which the "
                        "access matrix does not let use it", "allow it in access: for those values, add a grant "
                        "to the rule, or target other values of tier")]
    assert chinese == [("MR212", 12, "以 trial 方式给出服务 airport-lounge，却只面向 tier 为 silver 的客户，"
                        "而服务权限矩阵不允许他们使用该服务",
                        "请在 access: 中为这些取值开放该服务，或在规则中加一个 grant，或改为面向 tier 的其他取值")]
    gift = ACCESS.replace("MODE", "gift").replace("silver: {restricted: [paid]}", "silver: {open: free}")
    assert diagnostics(gift)[0][2] == ("gives the service airport-lounge only to tier silver, which the access "
                                       "matrix does not let use it")
    assert diagnostics(gift, "zh")[0][2] == ("给出服务 airport-lounge，却只面向 tier 为 silver 的客户，"
                                             "而服务权限矩阵不允许他们使用该服务")


def test_a_table_row_of_the_wrong_width_counts_in_each_language() -> None:
    text = "facts:\n  x: {type: integer}\ntables:\n  - id: t\n    inputs: [arpu]\n    outputs: [x]\n    rows: [[1, 2, 3]]\n"
    english, chinese = both(text)
    assert english[0][2] == "row 1 has 3 cells; the table has 1 input and 1 output"
    assert chinese[0][2] == "第 1 行有 3 个单元格；该表有 1 个输入和 1 个输出"


def test_the_whole_error_renders_in_chinese() -> None:
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset("demo.yaml", text=HEAD + CYCLE, lang="zh")
    lines = str(caught.value).splitlines()
    assert lines[1] == ("demo.yaml:7:9: MR201 规则 'r'：事实之间循环依赖：a -> b -> a（经由 'r', 'r'）；"
                        "事实不能直接或经由其他事实依赖自身；请把它拆成两个事实")
    assert lines[4] == "demo.yaml:10:9: MR206 规则 'r'：id 'r' 用了两次；第一次使用在第 7 行"
    with pytest.raises(mr.RulesetError) as caught:
        mr.load_ruleset("demo.yaml", text=HEAD + CYCLE)
    assert str(caught.value).splitlines()[4] == "demo.yaml:10:9: MR206 rule 'r': id 'r' is used twice; it was first used at line 7"


# -- pydantic's own messages: English exactly pydantic's, Chinese never pydantic's ---------------------
class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")

    count: int
    share: float = Field(0, gt=0, le=1)
    flag: bool = False
    name: str = ""
    items: list[int] = Field(default_factory=list, min_length=1)
    table: dict[str, int] = Field(default_factory=dict, max_length=1)
    kind: Any = None


SAMPLES: list[dict[str, Any]] = [
    {"count": "x"}, {"count": 1.5}, {"count": []}, {"count": 1, "share": "a"}, {"count": 1, "share": 0},
    {"count": 1, "share": 2}, {"count": 1, "flag": "maybe"}, {"count": 1, "flag": []}, {"count": 1, "name": 3},
    {"count": 1, "items": 3}, {"count": 1, "items": []}, {"count": 1, "table": 3}, {"count": 1, "table": {"a": 1, "b": 2}},
    {"count": 1, "other": 1}, {},
]


def pydantic_errors() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for sample in SAMPLES:
        try:
            Sample.model_validate(sample)
        except ValidationError as error:
            found.extend(dict(e) for e in error.errors())
    return found


def test_pydantic_messages_keep_pydantic_english_and_are_translated() -> None:
    errors = pydantic_errors()
    kinds = {e["type"] for e in errors}
    assert {"int_parsing", "int_from_float", "int_type", "float_parsing", "greater_than", "less_than_equal",
            "bool_parsing", "bool_type", "string_type", "list_type", "too_short", "too_long", "dict_type",
            "extra_forbidden", "missing"} <= kinds
    for error in errors:
        assert pydantic_message(error) == error["msg"]
        with messages_in("zh"):
            chinese = pydantic_message(error)
        assert not {"Input", "should", "valid", "required", "permitted"} & set(chinese.replace(",", " ").split()), chinese


def test_a_literal_keeps_its_choices_and_says_or_in_chinese() -> None:
    error = {"type": "literal_error", "msg": "Input should be 'first', 'unique' or 'collect'",
             "ctx": {"expected": "'first', 'unique' or 'collect'"}}
    assert pydantic_message(error) == error["msg"]
    with messages_in("zh"):
        assert pydantic_message(error) == "应为 'first', 'unique' 或 'collect'"
    date = {"type": "date_parsing", "msg": "Input should be a valid date in the format YYYY-MM-DD, input is too short",
            "ctx": {"error": "input is too short"}}
    assert pydantic_message(date) == date["msg"]
    with messages_in("zh"):
        assert pydantic_message(date) == "应为 YYYY-MM-DD 格式的日期，内容太短"


def test_a_value_that_fits_none_of_a_unions_types_names_them_in_chinese() -> None:
    english, chinese = both("campaign:\n  score: {a: 1}\nrules:\n  - id: a\n    then: {tag: 3}\n")
    assert [m for _, _, m, _ in english] == ["this value has the wrong type: expected one of string, integer, number",
                                             "this value has the wrong type: expected one of string, list"]
    assert [m for _, _, m, _ in chinese] == ["这个值的类型不对：应为以下之一：文本, 整数, 数字",
                                             "这个值的类型不对：应为以下之一：文本, 列表"]
