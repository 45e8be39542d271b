"""Messages of loading in Chinese and English: YAML mistakes in plain words, shape errors, the lock
(MR404), the registry (MR401 and its lookups), input cells, and the CLI's ``--lang`` /
``MARKETING_RULES_LANG``. English stays exactly as it was; Chinese comes from the catalogue."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

import marketing_rules as mr
from marketing_rules.cli import main
from marketing_rules.errors import Diagnostic, FactsError
from marketing_rules.expressions import parser
from marketing_rules.i18n import messages_in, set_language
from marketing_rules.load.lock import Lock
from marketing_rules.model.input_rules import in_language
from marketing_rules.model.schema import builtin_schema
from marketing_rules.versioning.registry import Registry, RegistryError


@pytest.fixture(autouse=True)
def _back_to_the_environment() -> Iterator[None]:
    """The CLI chooses the language for the whole thread: choose none again after each test."""
    yield
    set_language(None)


GOOD = """\
ruleset: demo
version: 1.0.0
effective: {from: 2027-01-01}
rules:
  - id: gold
    when: arpu_3m >= 200
    then:
      tag: gold
"""


def diagnostics(text: str, lang: str) -> list[Diagnostic]:
    with messages_in(lang):
        with pytest.raises(mr.RulesetError) as error:
            mr.load_ruleset("rules.yaml", text=text)
    return error.value.diagnostics


def told(text: str, lang: str) -> tuple[str, str | None]:
    (diagnostic,) = diagnostics(text, lang)
    return diagnostic.message, diagnostic.hint


# -- YAML mistakes in plain words ------------------------------------------------------------------

TAB = GOOD.replace("      tag: gold", "\ttag: gold")
MISSING_COLON = GOOD.replace("when: arpu_3m", "when arpu_3m")
FULL_WIDTH_COLON = GOOD.replace("when: arpu_3m", "when： arpu_3m")
ITEM_INDENTED = GOOD + "   - id: silver\n    when: arpu_3m >= 120\n    then:\n      tag: silver\n"


@pytest.mark.parametrize(("text", "english", "chinese"), [
    (TAB,
     ("a tab in the indentation", "indent with spaces, not a tab: YAML counts spaces, and a tab is not one"),
     ("缩进中有 Tab", "请用空格缩进，不要用 Tab：YAML 只数空格，Tab 不算空格")),
    (MISSING_COLON,
     ("the key 'when' has no ':' after it", "write 'when: ' and then its value"),
     ("键 'when' 后面缺少 ':'", "请写成 'when: '，后面接它的值")),
    (FULL_WIDTH_COLON,
     ("a full-width '：' after the key 'when'", "type the half-width ':' and a space"),
     ("键 'when' 后面是全角的 '：'", "请输入半角的 ':' 和一个空格")),
    (ITEM_INDENTED,
     ("this item is indented by 3 spaces, the item before it on line 5 by 2",
      "items of one list start in the same column: start it in column 3"),
     ("这一项缩进了 3 个空格，而第 5 行的上一项缩进了 2 个", "同一列表的各项要从同一列开始：请从第 3 列开始")),
], ids=["tab", "missing-colon", "full-width-colon", "item-indented"])
def test_a_yaml_mistake_in_both_languages(text: str, english: tuple[str, str], chinese: tuple[str, str]) -> None:
    assert told(text, "en") == english
    assert told(text, "zh") == chinese
    assert told(text, "en") == english  # the language is the load's, not left behind


def test_the_rendered_diagnostic_keeps_codes_places_and_names() -> None:
    with messages_in("zh"):
        with pytest.raises(mr.RulesetError) as error:
            mr.load_ruleset("rules.yaml", text=MISSING_COLON)
    (diagnostic,) = error.value.diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.column) == ("MR001", 6, 9)
    assert "rules.yaml:6:9: MR001 键 'when' 后面缺少 ':'" in error.value.render()


def test_shape_errors_in_both_languages() -> None:
    typo = GOOD.replace("rules:", "titel: demo\nrules:")
    assert told(typo, "en") == ("unknown key 'titel'", "did you mean 'title'?")
    assert told(typo, "zh")[0] == "未知的键 'titel'"
    date = GOOD.replace("2027-01-01", "2027/01/01")
    assert told(date, "en") == ("2027/01/01 is not a date", "write dates as 2027-01-01 (year-month-day, with dashes)")
    assert told(date, "zh") == ("2027/01/01 不是日期", "日期请写成 2027-01-01（年-月-日，用短横线）")
    twice = GOOD.replace("version: 1.0.0\n", "version: 1.0.0\nversion: 1.0.1\n")
    assert told(twice, "en") == ("key 'version' appears twice", "keep one of them; YAML would silently drop the first")
    assert told(twice, "zh") == ("键 'version' 出现了两次", "请只保留一个；否则 YAML 会悄悄丢掉第一个")


# -- full-width punctuation and units in an expression (the expression parser's messages) -----------

_EXPRESSIONS_TRANSLATED = '_("a full-width {char} in the expression"' in inspect.getsource(parser)


@pytest.mark.skipif(not _EXPRESSIONS_TRANSLATED, reason="the expression parser's messages are not marked yet")
@pytest.mark.parametrize(("when", "english", "chinese"), [
    ("max(arpu，arpu_prev) >= 120",
     ("a full-width '，' in the expression", "type the half-width ',' (switch the input method to English)"),
     ("表达式中有全角字符 '，'", "请输入半角的 ','（把输入法切换到英文）")),
    ("arpu_3m >= 120元",
     ("a unit after the number 120", "write 120, not 120元: numbers carry no unit"),
     ("数字 120 后面带了单位", "请写 120，不要写 120元：数字不带单位")),
], ids=["full-width-comma", "unit"])
def test_an_expression_slip_in_both_languages(when: str, english: tuple[str, str], chinese: tuple[str, str]) -> None:
    text = GOOD.replace("arpu_3m >= 200", when)
    assert told(text, "en") == english
    assert told(text, "zh") == chinese


# -- input cells: a full-width comma or a unit in a number --------------------------------------------
# A rejected cell's reason is data (a batch row's ``error``, alike on every backend): it stays as written in
# every language, and in_language shows it to a reader in the language in force.

@pytest.mark.parametrize(("facts", "english", "chinese"), [
    ({"id": "1", "arpu": "1，200"}, "is not a number", "不是数字"),
    ({"id": "1", "arpu": "120元"}, "is not a number", "不是数字"),
    ({"id": "1", "voice_min": "12.5"}, "is not an integer", "不是整数"),
    ({"id": "1", "arpu": -1}, "must be greater than or equal to 0", "必须大于或等于 0"),
    ({"id": "1", "birthday_month": 13}, "must be less than or equal to 12", "必须小于或等于 12"),
    ({"id": "1", "card": "platinum"}, "must be one of none, silver, gold, diamond", "必须是 none, silver, gold, diamond 之一"),
    ({"id": "1", "uses_data": "maybe"}, "is not true or false", "不是 true 或 false"),
    ({"arpu": 1}, "is required", "必须填写"),
], ids=["full-width-comma", "unit", "integer", "below", "above", "enum", "boolean", "required"])
def test_an_input_cell_in_both_languages(facts: dict[str, object], english: str, chinese: str) -> None:
    schema = builtin_schema("telecom-customer")
    assert schema is not None
    for lang, shown in (("en", english), ("zh", chinese), ("en", english)):
        with messages_in(lang):
            with pytest.raises(FactsError) as error:
                schema.validate(facts)
            reason = str(error.value.errors[0]["message"])
            assert reason == english, lang  # the data as written
            assert in_language(reason) == shown, lang
    assert in_language("is not a number, really") == "is not a number, really"


# -- the lock and the registry -----------------------------------------------------------------------

@dataclass
class Version:
    id: str
    version: str
    fingerprint: str
    path: str | None


def test_a_changed_released_version_mr404(tmp_path: Path) -> None:
    lock = Lock(tmp_path / "rulesets.lock", {"demo": {"1.0.0": "aaaa1111bbbb2222"}})
    changed = [Version("demo", "1.0.0", "cccc3333dddd4444", "demo/1.0.0.yaml")]
    with messages_in("en"):
        (english,) = lock.check(changed)
    with messages_in("zh"):
        (chinese,) = lock.check(changed)
    assert english.code == chinese.code == "MR404"
    assert english.message == ("demo 1.0.0 was released with fingerprint aaaa1111bbbb2222, "
                               "but its content now has fingerprint cccc3333dddd4444")
    assert english.hint == "released versions are immutable: undo the change and make it in a new version"
    assert chinese.message == "demo 1.0.0 发布时的指纹是 aaaa1111bbbb2222，但现在内容的指纹是 cccc3333dddd4444"
    assert chinese.hint == "已发布的版本不能修改：请撤销这次修改，在新版本中修改"


def test_a_released_file_edited_in_place_is_refused_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "demo" / "1.0.0.yaml"
    path.parent.mkdir()
    path.write_text(GOOD, encoding="utf-8")
    Lock(tmp_path / "rulesets.lock", {"demo": {"1.0.0": "aaaa1111bbbb2222"}}).write()
    with messages_in("zh"), pytest.raises(mr.RulesetError) as error:
        mr.load_ruleset(path)
    (diagnostic,) = error.value.diagnostics
    assert diagnostic.code == "MR404"
    assert diagnostic.message.startswith("demo 1.0.0 发布时的指纹是 aaaa1111bbbb2222，但现在内容的指纹是 ")


def test_a_file_named_unlike_its_version_mr401(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "1.0.0.yaml").write_text(GOOD.replace("version: 1.0.0", "version: 1.0.1"), encoding="utf-8")
    found = {}
    for lang in ("en", "zh"):
        with messages_in(lang), pytest.raises(mr.RulesetError) as error:
            Registry(tmp_path)
        (found[lang],) = error.value.diagnostics
    assert found["en"].code == found["zh"].code == "MR401"
    assert (found["en"].message, found["en"].hint) == (
        "file 1.0.0.yaml holds version 1.0.1", "name the file 1.0.1.yaml: one file per version")
    assert (found["zh"].message, found["zh"].hint) == ("文件 1.0.0.yaml 中是版本 1.0.1", "请把文件命名为 1.0.1.yaml：每个版本一个文件")


def test_registry_lookups_in_both_languages(tmp_path: Path) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "1.0.0.yaml").write_text(GOOD, encoding="utf-8")
    registry = Registry(tmp_path)
    cases = [
        (lambda: registry.get("demo", version="2.0.0"),
         "demo has no version 2.0.0; it has 1.0.0", "demo 没有版本 2.0.0；现有版本：1.0.0"),
        (lambda: registry.get("demo", at=dt.date(2026, 1, 1)),
         "no version of demo is in force on 2026-01-01 (1.0.0 from 2027-01-01 until open)",
         "demo 在 2026-01-01 没有生效的版本（1.0.0 自 2027-01-01 起，不设截止）"),
        (lambda: registry.get("other"), f"no ruleset 'other' in {tmp_path}", f"{tmp_path} 中没有规则集 'other'"),
    ]
    for lookup, english, chinese in cases:
        for lang, text in (("en", english), ("zh", chinese)):
            with messages_in(lang), pytest.raises(RegistryError) as error:
                lookup()
            assert str(error.value) == text


# -- the command line ------------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "env"), [
    (["--lang", "zh", "validate", "{bad}"], {}),
    (["validate", "{bad}", "--lang", "zh"], {}),
    (["validate", "{bad}", "--lang=zh"], {}),
    (["validate", "{bad}"], {"MARKETING_RULES_LANG": "zh"}),
], ids=["before", "after", "after-equals", "environment"])
def test_validate_tells_the_mistake_in_chinese(tmp_path: Path, args: list[str], env: dict[str, str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MISSING_COLON, encoding="utf-8")
    result = CliRunner().invoke(main, [a.format(bad=bad) for a in args], env=env)
    assert result.exit_code != 0
    assert f"{bad}:6:9: MR001 键 'when' 后面缺少 ':'" in result.output
    assert "请写成 'when: '，后面接它的值" in result.output
    assert "has no ':'" not in result.output


def test_validate_stays_english_by_default(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MISSING_COLON, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(bad)], env={"MARKETING_RULES_LANG": ""})
    assert f"{bad}:6:9: MR001 the key 'when' has no ':' after it; write 'when: ' and then its value" in result.output


def test_an_include_that_cannot_be_read_and_a_constant_defined_twice(tmp_path: Path) -> None:
    path = tmp_path / "demo" / "1.0.0.yaml"
    path.parent.mkdir()
    path.write_text(GOOD.replace("rules:", "include: [../shared/gone.defs.yaml]\nrules:"), encoding="utf-8")
    found = {}
    for lang in ("en", "zh"):
        with messages_in(lang), pytest.raises(mr.RulesetError) as error:
            mr.load_ruleset(path)
        (found[lang],) = error.value.diagnostics
    assert found["en"].message.startswith("cannot include ../shared/gone.defs.yaml: ")
    assert found["zh"].message.startswith("无法引用 ../shared/gone.defs.yaml：")
    assert "cannot read" not in found["en"].message and "无法读取" not in found["zh"].message
    assert found["zh"].hint == f"路径相对于本文件所在的文件夹：{tmp_path / 'shared' / 'gone.defs.yaml'}"

    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "gone.defs.yaml").write_text("definitions: shared\nconstants:\n  high: 120\n", encoding="utf-8")
    path.write_text(GOOD.replace("rules:", "include: [../shared/gone.defs.yaml]\nconstants:\n  high: 100\nrules:"),
                    encoding="utf-8")
    for lang, text in (("en", "constant 'high' is defined here and in ../shared/gone.defs.yaml, which this file includes"),
                       ("zh", "常量 'high' 在这里和本文件引用的 ../shared/gone.defs.yaml 中都有定义")):
        with messages_in(lang), pytest.raises(mr.RulesetError) as error:
            mr.load_ruleset(path)
        assert [d.message for d in error.value.diagnostics] == [text]
