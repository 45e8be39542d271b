"""Messages in Chinese and English from one catalogue (marketing_rules.i18n): the catalogue holds a
translation for every message the code marks, with the same fields, and the language is chosen by
``lang=``, ``messages_in``, or ``MARKETING_RULES_LANG``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

import marketing_rules as mr
from marketing_rules.i18n import _, language, messages_in, n_, normalise, set_language
from marketing_rules.i18n.catalogue import extracted, fields, po_path, problems, read

MISSING_FILE = "no-such-rules.yaml"


@pytest.fixture(autouse=True)
def _english_by_default(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("MARKETING_RULES_LANG", raising=False)
    yield
    set_language(None)  # what a command's --lang chose does not outlive the test


def test_every_marked_message_has_a_chinese_translation_with_the_same_fields() -> None:
    catalogue = read(po_path("zh"), "zh")
    code = extracted()
    assert len(code) > 50
    missing = [m.id for m in code if m.id and m.id not in catalogue]
    assert missing == [], "run python -m marketing_rules.i18n.catalogue and translate"
    assert problems(catalogue) == []


def test_problems_names_a_missing_translation_and_a_lost_field() -> None:
    catalogue = read(po_path("zh"), "zh")
    catalogue.add("only {name} here", string="这里只有")
    catalogue.add("not translated yet")
    assert problems(catalogue) == ["fields differ: 'only {name} here' -> '这里只有'",
                                   "untranslated: 'not translated yet'"]
    assert fields("{a} and {b:>3} but not {{c}}") == {"a", "b"}


def test_the_language_comes_from_lang_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert language() == "en"
    monkeypatch.setenv("MARKETING_RULES_LANG", "zh_CN.UTF-8")
    assert language() == "zh"
    with messages_in("en"):
        assert language() == "en"
        with messages_in(None):
            assert language() == "en"
    assert language() == "zh"
    monkeypatch.setenv("MARKETING_RULES_LANG", "klingon")
    assert language() == "en"


@pytest.mark.parametrize("written, lang", [("zh", "zh"), ("ZH-Hans", "zh"), ("zh_TW", "zh"), ("en_US", "en")])
def test_language_names_are_normalised(written: str, lang: str) -> None:
    assert normalise(written) == lang


def test_an_unknown_language_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="unknown language 'fr': choose one of en, zh"):
        with messages_in("fr"):
            pass


def test_messages_and_plurals_follow_the_language() -> None:
    assert _("did you mean '{name}'?", name="arpu") == "did you mean 'arpu'?"
    assert n_("{count} error in ruleset", "{count} errors in ruleset", 2) == "2 errors in ruleset"
    with messages_in("zh"):
        assert _("did you mean '{name}'?", name="arpu") == "是不是要写 'arpu'？"
        assert n_("{count} error in ruleset", "{count} errors in ruleset", 2) == "规则集中有 2 个错误"


def test_load_ruleset_words_its_diagnostics_in_lang() -> None:
    with pytest.raises(mr.RulesetError) as english:
        mr.load_ruleset(MISSING_FILE)
    with pytest.raises(mr.RulesetError) as chinese:
        mr.load_ruleset(MISSING_FILE, lang="zh")
    assert str(english.value).splitlines()[0] == "1 error in ruleset"
    assert str(chinese.value).splitlines()[0] == "规则集中有 1 个错误"
    assert language() == "en"  # lang= does not outlive the call


def test_a_thread_keeps_its_own_language() -> None:
    seen: dict[str, str] = {}

    def other() -> None:
        seen["other"] = language()

    with messages_in("zh"):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert language() == "zh"
    assert seen["other"] == "en"


GOLF_CUSTOMER = {"id": "13900000004", "card": "silver", "arpu_3m": 160, "status": "active", "package_fee": 188}


def test_an_answer_keeps_the_language_it_was_asked_in() -> None:
    rs = mr.load_ruleset("rulesets/gotone-vip/1.0.0.yaml")
    asked_in_chinese = rs.explain(GOLF_CUSTOMER, "prestore-golf", lang="zh")
    with messages_in("zh"):
        shown_in_chinese = str(rs.explain(GOLF_CUSTOMER, "prestore-golf"))
    assert str(asked_in_chinese) == shown_in_chinese != str(rs.explain(GOLF_CUSTOMER, "prestore-golf"))
    assert str(asked_in_chinese).splitlines()[1] == "  [ 不成立] 全部满足"
    taken = rs.what_would_it_take({**GOLF_CUSTOMER, "card": "gold"}, "prestore-golf", lang="zh")
    with messages_in("zh"):
        assert str(taken) == str(rs.what_would_it_take({**GOLF_CUSTOMER, "card": "gold"}, "prestore-golf"))
    report = rs.check(lang="zh")
    with messages_in("zh"):
        shown_in_chinese = rs.check().render()
    assert report.render() == shown_in_chinese != rs.check().render()


def test_every_message_is_written_out_where_it_is_marked() -> None:
    """A message is a string literal (Babel cannot extract an f-string or a variable); its fields are
    filled by keyword."""
    import ast
    from pathlib import Path

    package = Path(mr.__file__).parent
    wrong = []
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "N_", "n_"):
                literal = node.args[:2 if node.func.id == "n_" else 1]
                if not literal or not all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in literal):
                    if not (node.func.id == "_" and node.args and isinstance(node.args[0], (ast.Name, ast.Subscript,
                                                                                             ast.Call, ast.Attribute))):
                        wrong.append(f"{path.relative_to(package)}:{node.lineno}")
    assert wrong == []


def test_a_misspelt_choice_gets_its_hint_in_either_language(tmp_path: Any) -> None:
    text = "ruleset: t\nversion: 1.0.0\ntables:\n  - id: x\n    hit: frist\n    inputs: [arpu]\n" \
           "    outputs: [band]\n    rows:\n      - [\"< 1\", a]\n"
    told = {}
    for lang in ("en", "zh"):
        with pytest.raises(mr.RulesetError) as error:
            mr.load_ruleset("rules.yaml", text=text, lang=lang)
        told[lang] = next(d.render().splitlines()[0] for d in error.value.diagnostics if "frist" in d.message)
    assert told["en"].endswith("'frist' is not allowed: Input should be 'first', 'unique', 'priority' or 'collect'; "
                               "did you mean 'first'?")
    assert told["zh"].endswith("不允许 'frist'：应为 'first', 'unique', 'priority' 或 'collect'；是不是要写 'first'？")


def test_a_customer_that_is_not_valid_is_told_in_the_reader_s_language() -> None:
    from click.testing import CliRunner

    from marketing_rules.cli import main

    customer = '{"id": "1", "arpu_3m": "abc", "card": "platinum"}'
    args = ["explain", "rulesets/gotone-vip/1.0.0.yaml", customer, "prestore-golf"]
    chinese, english = CliRunner().invoke(main, [*args, "--lang", "zh"]), CliRunner().invoke(main, args)
    assert chinese.exit_code == english.exit_code == 2
    assert chinese.output == "客户数据无效：arpu_3m：不是数字（实际为 abc）；card：必须是 none, silver, gold, diamond 之一（实际为 platinum）\n"
    assert english.output == ("the customer is not valid: arpu_3m: is not a number (got abc); "
                              "card: must be one of none, silver, gold, diamond (got platinum)\n")
