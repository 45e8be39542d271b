"""The decision service, the workbench and the campaign report in Chinese and English.

A request is answered in the language it asks for: ``?lang=zh``, else ``Accept-Language``, else the
server's (``MARKETING_RULES_LANG``, else English). Answers come from real servers in subprocesses
(tests/serving.py); what the library says in the same language, computed here under
``messages_in``, is what the server must say. The service's own words are asserted as written in the
catalogue; words of the library (diagnostics, explanations) must differ from the English and be the
library's Chinese.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import marketing_rules as mr
import tests.test_workbench_browser as browsing
from marketing_rules.i18n import messages_in
from tests.serving import RULESETS, Server, serving

pytest.importorskip("fastapi")

from marketing_rules.service.app import accepted_language, requested_language  # noqa: E402

TODAY = "2027-01-15"
ORDINARY = {"id": "13900000042", "card": "none", "arpu_3m": 90.0, "status": "active", "tenure_months": 30}
TMF = "/v1/rulesets/gotone-vip/tmf-api/productOfferingQualification/v5"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}


def api(version: str = "1.2.0") -> str:
    return f"/workbench/api/rulesets/gotone-vip/{version}"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("i18n") / "rulesets"
    shutil.copytree(RULESETS, target)
    return target


@pytest.fixture(scope="module")
def bench(folder: Path) -> Iterator[Server]:
    """``marketing-rules workbench`` (the page, its API and the service's routes)."""
    with serving(folder, "--no-watch", now=TODAY, command="workbench") as running:
        yield running


@pytest.fixture(scope="module")
def service() -> Iterator[Server]:
    """``marketing-rules serve``: the service as deployed (behind its fast path for decisions)."""
    with serving(RULESETS, "--no-log", "--no-watch", now=TODAY) as running:
        yield running


def misspelt(folder: Path) -> str:
    text = (folder / "gotone-vip" / "1.2.0.yaml").read_text(encoding="utf-8")
    return text.replace("arpu < arpu_prev", "arpu < arpu_prv", 1)


def diagnostics_in(lang: str, folder: Path, text: str) -> list[dict[str, Any]]:
    """The diagnostics the library gives for ``text`` in ``lang``, as the workbench answers them."""
    with messages_in(lang):
        with pytest.raises(mr.RulesetError) as caught:
            mr.load_ruleset(folder / "gotone-vip" / "1.2.0.yaml", text=text)
        return [{"code": d.code, "message": d.message, "line": d.line, "column": d.column, "rule": d.rule,
                 "hint": d.hint, "text": d.render()} for d in caught.value.diagnostics]


def plain(value: Any) -> Any:
    from marketing_rules.service.answers import dumps

    return json.loads(dumps(value))


# -- choosing the language --------------------------------------------------------------------------
def scope(query: str = "", accept: str | None = None) -> dict[str, Any]:
    headers = [(b"accept-language", accept.encode())] if accept is not None else []
    return {"type": "http", "query_string": query.encode(), "headers": headers}


def test_the_language_a_request_asks_for() -> None:
    assert requested_language(scope("lang=zh")) == "zh"
    assert requested_language(scope("version=1&lang=zh-CN")) == "zh"
    assert requested_language(scope("lang=en", "zh-CN")) == "en"  # the parameter first
    assert requested_language(scope("", "zh-CN,zh;q=0.9")) == "zh"
    assert requested_language(scope()) is None  # then the server's language
    assert accepted_language("fr-FR, en-GB;q=0.8, zh;q=0.9") == "zh"  # by preference
    assert accepted_language("fr, de;q=0.5") is None
    assert accepted_language("zh;q=0, en") == "en"
    assert accepted_language("en;q=0.5, zh-Hans;q=0.5") == "en"  # equal preference: the first
    assert accepted_language("*, zh;q=bad") is None


# -- the workbench: diagnostics of the edited text --------------------------------------------------
def test_a_misspelt_fact_is_diagnosed_in_chinese_with_lang_zh_and_in_english_without(bench: Server, folder: Path) -> None:
    text = misspelt(folder)
    english, chinese = diagnostics_in("en", folder, text), diagnostics_in("zh", folder, text)
    assert [d["code"] for d in chinese] == ["MR101"]
    assert chinese[0]["message"] != english[0]["message"] and "arpu_prv" in chinese[0]["message"]
    zh = bench.client.post(f"{api()}/validate", params={"lang": "zh"}, json={"text": text}).json()
    assert zh["ok"] is False and zh["diagnostics"] == chinese
    en = bench.post(f"{api()}/validate", {"text": text}).json()
    assert en["diagnostics"] == english and "arpu_prv" in en["diagnostics"][0]["message"]
    header = bench.client.post(f"{api()}/validate", headers=ZH, json={"text": text}).json()
    assert header["diagnostics"] == chinese
    overridden = bench.client.post(f"{api()}/validate", params={"lang": "en"}, headers=ZH, json={"text": text}).json()
    assert overridden["diagnostics"] == english


def test_a_request_on_text_that_does_not_load_is_refused_in_its_language(bench: Server, folder: Path) -> None:
    text = misspelt(folder)
    customer = {"id": "1", "card": "silver", "arpu_3m": 150, "status": "active"}
    refused = bench.client.post(f"{api()}/evaluate", params={"lang": "zh"}, json={"text": text, "customer": customer})
    assert refused.status_code == 409
    assert refused.json()["detail"] == diagnostics_in("zh", folder, text)


def test_the_workbench_refuses_a_save_in_chinese(bench: Server, folder: Path) -> None:
    released = (folder / "gotone-vip" / "1.1.0.yaml").read_text(encoding="utf-8")
    zh = bench.client.post(f"{api('1.1.0')}/save", params={"lang": "zh"}, json={"text": released + "# 备注\n"})
    assert zh.status_code == 409
    [refusal] = zh.json()["detail"]
    assert (refusal["code"], refusal["message"], refusal["hint"]) == (
        "MR404", "gotone-vip 1.1.0 已发布；已发布的版本永不覆盖", "请在新版本中修改")
    en = bench.post(f"{api('1.1.0')}/save", {"text": released + "# a note\n"}).json()["detail"][0]
    assert (en["message"], en["hint"]) == ("gotone-vip 1.1.0 is released; a released version is never overwritten",
                                           "make the change in a new version")
    taken = bench.client.post(f"{api('1.1.0')}/save-as", headers=ZH, json={"text": released, "version": "1.2.0"})
    assert taken.json()["detail"][0]["message"] == "gotone-vip 1.2.0 已经存在"
    assert (folder / "gotone-vip" / "1.1.0.yaml").read_text(encoding="utf-8") == released


def test_the_workbench_evaluates_and_explains_in_chinese(bench: Server, folder: Path) -> None:
    text = (folder / "gotone-vip" / "1.2.0.yaml").read_text(encoding="utf-8")
    body = bench.client.post(f"{api()}/evaluate", params={"lang": "zh"}, json={"text": text, "customer": ORDINARY}).json()
    rs = mr.load_ruleset(folder / "gotone-vip" / "1.2.0.yaml")
    offers = {o["offer"]: o for o in body["offers"]}
    with messages_in("zh"):  # words are made when the explanation is made and when it is written out
        explained = rs.explain(ORDINARY, "prestore-lecture")
        chinese, as_dict = str(explained), plain(explained.as_dict())
        remedy = str(rs.what_would_it_take(ORDINARY, "prestore-lecture"))
    with messages_in("en"):
        english = str(rs.explain(ORDINARY, "prestore-lecture"))
    lecture = offers["prestore-lecture"]
    assert lecture["text"] == chinese != english
    assert lecture["explanation"] == as_dict
    assert lecture["what_would_it_take"]["text"] == remedy
    impact = bench.client.post(f"{api()}/impact", params={"lang": "zh"}, json={"text": text, "city": 50, "seed": 3})
    assert impact.json()["source"] == "50 位模拟客户（随机种子 3）"
    assert bench.post(f"{api()}/impact", {"text": text, "city": 50, "seed": 3}).json()["source"] == \
        "50 synthetic customers (seed 3)"


def test_the_checker_findings_in_chinese(bench: Server, folder: Path) -> None:
    from marketing_rules.edit.rows import write_rows

    text = (folder / "gotone-vip" / "1.2.0.yaml").read_text(encoding="utf-8")
    rs = mr.load_ruleset(folder / "gotone-vip" / "1.2.0.yaml")
    rows = [list(r) for r in rs.file.tables[0].rows]
    rows[0][1] = ">= gold_arpu"  # row 2 can no longer be reached
    edited = write_rows(text, "tier-by-arpu", rows).text
    found = {lang: mr.load_ruleset(folder / "gotone-vip" / "1.2.0.yaml", text=edited) for lang in ("en", "zh")}
    expected = {}
    for lang, shadowed in found.items():
        with messages_in(lang):
            expected[lang] = plain(shadowed.check().as_dict())["findings"]
    assert expected["zh"] != expected["en"]
    zh = bench.client.post(f"{api()}/check", headers={"Accept-Language": "zh"}, json={"text": edited}).json()
    assert zh["findings"] == expected["zh"]


def test_an_unknown_language_is_a_422(bench: Server) -> None:
    response = bench.client.get("/workbench/api/rulesets", params={"lang": "fr"})
    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["loc"] == ["query", "lang"] and problem["input"] == "fr"
    assert problem["msg"] == "unknown language 'fr': choose one of en, zh"
    chinese = bench.client.get("/workbench/api/rulesets", params={"lang": "fr"}, headers=ZH).json()
    assert chinese["detail"][0]["msg"] == "未知的语言 'fr'：请从 en, zh 中选择"
    assert bench.client.get("/workbench/api/rulesets", headers={"Accept-Language": "fr"}).status_code == 200


def test_concurrent_requests_each_keep_their_own_language(bench: Server, folder: Path) -> None:
    """Sync endpoints run in a thread pool: a request's language never leaks into another's."""
    text = misspelt(folder)
    expected = {lang: diagnostics_in(lang, folder, text) for lang in ("en", "zh")}

    def ask(number: int) -> tuple[str, Any]:
        lang = ("en", "zh")[number % 2]
        answer = bench.client.post(f"{api()}/validate", params={"lang": lang}, json={"text": text}).json()
        return lang, answer["diagnostics"]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(48)))
    assert all(got == expected[lang] for lang, got in answers)


# -- the decision service -----------------------------------------------------------------------------
def test_an_explanation_with_accept_language_zh(service: Server) -> None:
    rs = mr.Registry(RULESETS).get("gotone-vip", at=dt.date.fromisoformat(TODAY))
    path = "/v1/rulesets/gotone-vip/explanations/prestore-lecture"
    zh = service.client.post(path, headers={"Accept-Language": "zh-CN"}, json={"customer": ORDINARY})
    en = service.post(path, {"customer": ORDINARY})
    assert zh.status_code == en.status_code == 200
    with messages_in("zh"):
        chinese = plain(rs.explain(ORDINARY, "prestore-lecture").as_dict())
    with messages_in("en"):
        english = plain(rs.explain(ORDINARY, "prestore-lecture").as_dict())
    assert chinese != english
    identity = {"ruleset": rs.id, "version": rs.version, "fingerprint": rs.fingerprint}
    assert zh.json() == {**identity, **chinese} and en.json() == {**identity, **english}
    wwit = service.client.post("/v1/rulesets/gotone-vip/what-would-it-take/prestore-lecture", params={"lang": "zh"},
                               json={"customer": ORDINARY}).json()
    with messages_in("zh"):
        assert wwit["reason"] == rs.what_would_it_take(ORDINARY, "prestore-lecture").reason


def test_errors_in_the_language_asked(service: Server) -> None:
    missing = service.client.post("/v1/rulesets/nope/explanations/x", params={"lang": "zh"}, json={"customer": ORDINARY})
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("没有规则集 'nope'；现有的规则集：") and "gotone-vip" in missing.json()["detail"]
    assert service.post("/v1/rulesets/nope/explanations/x", {"customer": ORDINARY}).json()["detail"].startswith(
        "no ruleset 'nope'; there are ")
    version = service.client.post("/v1/rulesets/gotone-vip/decisions", headers=ZH,
                                  json={"customer": ORDINARY, "version": "9.9.9"})
    assert version.status_code == 404 and version.json()["detail"].startswith("gotone-vip 没有版本 9.9.9；现有版本：")
    early = service.client.post("/v1/rulesets/gotone-vip/decisions", params={"lang": "zh"},
                                json={"customer": ORDINARY, "at": "2000-01-01"})
    assert early.status_code == 409 and early.json()["detail"] == "2000-01-01 没有生效的 gotone-vip 版本"
    neither = service.client.post("/v1/rulesets/gotone-vip/decisions", params={"lang": "zh"}, json={})
    assert neither.status_code == 422 and "请给出 customer 或 customers，二者选一" in neither.json()["detail"][0]["msg"]
    big = b'{"customer": {"note": "' + b"x" * (9 * 1024 * 1024) + b'"}}'
    for path in ("/v1/rulesets/gotone-vip/decisions", "/v1/rulesets/gotone-vip/explanations/x"):
        too_large = service.client.post(path, params={"lang": "zh"}, content=big,
                                        headers={"content-type": "application/json"})
        assert too_large.status_code == 413 and too_large.json()["detail"] == "请求体超过 8,388,608 字节"
    decided = service.client.post("/v1/rulesets/gotone-vip/decisions", params={"lang": "zh"}, json={"customer": ORDINARY})
    assert decided.status_code == 200 and decided.json()["ruleset"] == "gotone-vip"  # field names never change


def test_a_tmf679_unqualified_reason_in_chinese(service: Server) -> None:
    facts = [{"name": k, "value": v} for k, v in ORDINARY.items() if k != "id"]
    body = {"relatedParty": [{"role": "customer", "partyOrPartyRole": {"id": ORDINARY["id"], "characteristic": facts}}],
            "checkProductOfferingQualificationItem": [{"id": "1", "productOffering": {"id": "prestore-lecture"}},
                                                      {"id": "2", "productOffering": {"id": "no-such-offer"}}],
            "provideAlternative": False}
    path = f"{TMF}/checkProductOfferingQualification"

    def reasons(response: Any) -> dict[str, list[tuple[str, str]]]:
        assert response.status_code == 200, response.text
        return {i["productOffering"]["id"]: [(r["code"], r["label"]) for r in i["eligibilityResultReason"]]
                for i in response.json()["checkProductOfferingQualificationItem"]}

    zh = reasons(service.client.post(path, params={"lang": "zh"}, json=body))
    en = reasons(service.post(path, body))
    assert ("conditionNotMet", "tier in [silver, mid_high] 不成立（tier = 'ordinary'）") in zh["prestore-lecture"]
    assert ("conditionNotMet", "tier in [silver, mid_high] is false (tier = 'ordinary')") in en["prestore-lecture"]
    assert zh["no-such-offer"] == [("unknownOffering", "gotone-vip 1.1.0 中没有活动 'no-such-offer'")]
    assert en["no-such-offer"] == [("unknownOffering", "gotone-vip 1.1.0 has no offer 'no-such-offer'")]
    nobody = service.client.post(path, headers=ZH, json={"relatedParty": [{"role": "seller", "partyOrPartyRole": {}}]})
    assert nobody.status_code == 422
    assert nobody.json()["detail"][0]["msg"] == "没有角色为 'customer' 的相关方（客户的事实写在它的 characteristic 中）"


def test_the_server_default_is_marketing_rules_lang(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETING_RULES_LANG", "zh")
    with serving(RULESETS, "--no-log", "--no-watch", now=TODAY) as chinese:
        missing = chinese.post("/v1/rulesets/nope/decisions", {"customer": ORDINARY})
        assert missing.json()["detail"].startswith("没有规则集 'nope'")
        english = chinese.client.post("/v1/rulesets/nope/decisions", params={"lang": "en"}, json={"customer": ORDINARY})
        assert english.json()["detail"].startswith("no ruleset 'nope'")


# -- the campaign report ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def campaign(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from marketing_rules.campaign import Store, import_billing, import_outcomes, run_campaign
    from marketing_rules.campaign import simulate as sim

    folder = tmp_path_factory.mktemp("campaign")
    inputs = sim.write_inputs(folder, 3_000)
    store_path = folder / "campaigns.duckdb"
    with Store(store_path) as store:
        run_campaign(inputs.ruleset, inputs.customers, at=sim.AT, store=store, name="sim")
        uptakes = sim.write_outcomes(store, "sim", folder / "uptakes.parquet")
        billing = sim.write_billing(inputs, uptakes, folder / "billing.parquet", effect_x=20.0, trend=5.0)
        import_outcomes(uptakes, store=store)
        import_billing(billing, store=store)
    return store_path


def test_the_campaign_report_html_in_chinese(campaign: Path) -> None:
    from marketing_rules.campaign import campaign_report, render_html

    report = campaign_report(campaign)
    with messages_in("zh"):
        page = render_html(report)
    assert page.startswith("<!DOCTYPE html><html lang=zh-CN><head><meta charset=utf-8><title>营销批次报告</title>")
    assert "<h1>营销批次报告</h1>" in page and "<h2>sim</h2>" in page
    assert "<th>活动</th><th>编码</th><th>已触达</th><th>对照组</th><th>对照组占比</th>" in page
    assert "<h3>各活动的 ARPU 提升（95% 置信区间）</h3>" in page
    assert "<h3>offer-x：已触达客户与对照组逐月对比（ARPU）</h3>" in page
    assert "offer-x（每位办理客户）" in page and "<h4>各细分群办理率</h4>" in page and "<h2>导入记录</h2>" in page
    c = report["campaigns"][0]
    assert (f"（指纹 {c['fingerprint']}），决策于 {c['decided_at']}，渠道 {c['channel']}；客户 {c['customers']} 位，"
            f"已触达 {c['contacted']} 位，对照组 {c['held_out']} 位") in page
    with messages_in("en"):
        english = render_html(report)
    assert english.startswith("<!DOCTYPE html><html lang=en><head><meta charset=utf-8><title>Campaign report</title>")
    assert "<th>offer</th><th>code</th><th>contacted</th><th>held out</th>" in english
    assert "offer-x (per taker)" in english and "营销" not in english
    with messages_in("zh"):
        empty = render_html({"store": "x.duckdb", "campaigns": [], "imports": []})
    assert "<p>存储中没有营销批次。</p>" in empty


def test_an_unknown_campaign_in_chinese(campaign: Path) -> None:
    from marketing_rules.campaign import campaign_report
    from marketing_rules.campaign.run import CampaignError

    with messages_in("zh"), pytest.raises(CampaignError) as caught:
        campaign_report(campaign, campaign="nope")
    assert str(caught.value) == f"{campaign} 中没有营销批次 'nope'；现有的营销批次：sim"
    with messages_in("en"), pytest.raises(CampaignError) as english:
        campaign_report(campaign, campaign="nope")
    assert str(english.value) == f"no campaign 'nope' in {campaign}; the campaigns are sim"


# -- the workbench page -------------------------------------------------------------------------------
def test_the_page_passes_its_language_to_every_call(bench: Server) -> None:
    html = bench.get("/workbench/").text
    assert 'const url = "api/" + path + (path.includes("?") ? "&" : "?") + "lang=" + encodeURIComponent(lang);' in html
    assert html.count("fetch(") == 1  # every call goes through api()


@pytest.fixture
def tab() -> Iterator[Any]:
    """A page in headless Chromium (as tests/test_workbench_browser.py opens it), without script errors."""
    if browsing.CHROMIUM is None:
        pytest.skip("no chromium binary (apt-get install chromium)")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=browsing.CHROMIUM, args=["--no-sandbox"])
        context = chromium.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
        opened = context.new_page()
        opened.set_default_timeout(browsing.TIMEOUT)
        errors: list[str] = []
        opened.on("pageerror", lambda error: errors.append(str(error)))
        yield opened
        chromium.close()
    assert errors == [], errors


@pytest.mark.browser
def test_the_page_shows_a_chinese_diagnostic_when_switched_to_chinese(tab: Any, bench: Server, folder: Path) -> None:
    page = tab
    browsing.open_version(page, bench, "1.2.0", lang="en")
    text = browsing.editor_text(page)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "arpu < arpu_prev" in t)
    column = text.splitlines()[line - 1].index("arpu_prev") + 1
    browsing.put_cursor(page, line, column + len("arpu_pre"))
    page.keyboard.press("Backspace")  # arpu_prev -> arpu_prv
    english, chinese = (diagnostics_in(lang, folder, misspelt(folder))[0]["message"] for lang in ("en", "zh"))
    box = browsing.by("diagnostics")
    page.locator(f"{box} .diagnostic[data-code=MR101]").wait_for()
    assert english in page.locator(box).inner_text()
    page.click(browsing.by("lang"))  # 中文: the text is validated again, in Chinese
    page.wait_for_function("(m) => document.querySelector('[data-testid=diagnostics]').innerText.includes(m)",
                           arg=chinese)
    shown = page.locator(f"{box} .diagnostic[data-code=MR101]").inner_text()
    assert f"第 {line} 行" in shown and chinese in shown and english not in shown


def test_a_customer_that_is_not_valid_is_told_in_the_request_s_language(service: Server) -> None:
    body = {"customer": {"id": "1", "arpu_3m": "abc", "card": "platinum"}}
    chinese = service.post("/v1/rulesets/gotone-vip/decisions?lang=zh", body)
    english = service.post("/v1/rulesets/gotone-vip/decisions", body)
    assert chinese.status_code == english.status_code == 422
    assert [d["msg"] for d in chinese.json()["detail"]] == ["不是数字", "必须是 none, silver, gold, diamond 之一"]
    assert [d["msg"] for d in english.json()["detail"]] == ["is not a number", "must be one of none, silver, gold, diamond"]
