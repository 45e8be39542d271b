"""The command line in Chinese and English: every summary, listing and bad-input line of the
commands in the language chosen by ``--lang`` (before or after the command's name) or
``MARKETING_RULES_LANG``; English unchanged without them; machine-readable output never translated."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from click.testing import CliRunner

import marketing_rules as mr
from marketing_rules.campaign import simulate as sim
from marketing_rules.campaign.cli import text_report
from marketing_rules.cli import main
from marketing_rules.i18n import ENVIRONMENT, messages_in, set_language
from tests.conftest import ROOT

GOTONE = ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml"
SILVER = {"id": "139", "card": "silver", "arpu_3m": 140, "status": "active", "package_fee": 128}


@pytest.fixture(autouse=True)
def english_around(monkeypatch):
    """No language from the environment; the language a command chose does not outlive the test."""
    monkeypatch.delenv(ENVIRONMENT, raising=False)
    yield
    set_language(None)


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


@pytest.fixture
def folder(tmp_path):
    """A rulesets folder of its own holding gotone-vip 1.0.0, not released there."""
    target = tmp_path / "rulesets" / "gotone-vip"
    target.mkdir(parents=True)
    shutil.copy(GOTONE, target / "1.0.0.yaml")
    return tmp_path / "rulesets"


def test_validate_ok_line(folder):
    rs = mr.load_ruleset(GOTONE)
    path = folder / "gotone-vip" / "1.0.0.yaml"
    assert run("validate", path).output == f"ok  {path}: gotone-vip 1.0.0, 6 rules and tables, fingerprint {rs.fingerprint}\n"
    assert run("--lang", "zh", "validate", path).output == \
        f"通过  {path}：gotone-vip 1.0.0，6 条规则和决策表，指纹 {rs.fingerprint}\n"
    run("release", path)
    assert run("validate", path).output.endswith(f"fingerprint {rs.fingerprint} (released)\n")
    assert run("validate", path, "--lang", "zh").output.endswith(f"指纹 {rs.fingerprint}（已发布）\n")


def test_release_line(folder):
    fingerprint = mr.load_ruleset(GOTONE).fingerprint
    path = folder / "gotone-vip" / "1.0.0.yaml"
    result = run("--lang", "zh", "release", path)
    assert result.exit_code == 0 and result.output == f"已发布：gotone-vip 1.0.0 {fingerprint}\n"
    assert run("release", path, "--lang", "zh").output == f"此前已发布：gotone-vip 1.0.0 {fingerprint}\n"
    assert run("release", path).output == f"already released: gotone-vip 1.0.0 {fingerprint}\n"


def test_versions_listing(folder):
    fingerprint = mr.load_ruleset(GOTONE).fingerprint
    title = "全球通VIP俱乐部 分层服务"
    assert run("versions", folder).output == \
        f"gotone-vip         1.0.0    2026-11-01 ..              draft     {fingerprint}  {title}\n"
    assert run("versions", folder, "--lang", "zh").output == \
        f"gotone-vip         1.0.0    2026-11-01 ..              草稿      {fingerprint}  {title}\n"
    run("release", folder / "gotone-vip" / "1.0.0.yaml")
    assert run("--lang", "zh", "versions", folder).output == \
        f"gotone-vip         1.0.0    2026-11-01 ..              已发布    {fingerprint}  {title}\n"
    assert "released  " in run("versions", folder).output


def test_eval_batch_summary(tmp_path):
    rows = [json.dumps(SILVER), json.dumps({"id": "2", "card": "platinum"}), "not json", json.dumps({"arpu": 5}),
            json.dumps({"id": "5", "arpu_3m": 600, "card": "gold"})]
    source = tmp_path / "customers.jsonl"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "decisions.jsonl"
    english = run("eval", GOTONE, "--customers", source, "--out", out)
    english_rows = out.read_text(encoding="utf-8")
    assert english.exit_code == 1
    assert re.fullmatch(r"5 customers in, 2 decided, 3 rejected, in \d+\.\d\d s \([\d,]+ customers/s, native\)\n",
                        english.output), english.output
    chinese = run("eval", GOTONE, "--customers", source, "--out", out, "--lang", "zh")
    assert chinese.exit_code == 1
    assert re.fullmatch(r"输入客户 5 位，已决策 2 位，拒绝 3 位，用时 \d+\.\d\d 秒（每秒 [\d,]+ 位客户，native）\n",
                        chinese.output), chinese.output
    assert out.read_text(encoding="utf-8") == english_rows  # the decisions (and their rejection reasons) stay as they are


def test_eval_csv_warning_and_duplicated_ids(tmp_path):
    source = tmp_path / "customers.csv"
    source.write_text("id,card,arpu_3m,status,Card_Colour\n1,silver,140,active,red\n1,gold,300,active,blue\n",
                      encoding="utf-8")
    out = tmp_path / "decisions.parquet"
    english = run("eval", GOTONE, "--customers", source, "--out", out, "--backend", "duckdb", "--unique-ids")
    assert re.fullmatch(r"warning: column 'Card_Colour' is not a fact of the schema\n"
                        r"2 customers in, 1 decided, 1 rejected, 1 duplicated ids, in \d+\.\d\d s "
                        r"\([\d,]+ customers/s, duckdb\)\n", english.output), english.output
    chinese = run("--lang", "zh", "eval", GOTONE, "--customers", source, "--out", out, "--backend", "duckdb", "--unique-ids")
    assert re.fullmatch(r"警告：列 'Card_Colour' 不是客户数据结构中的事实\n"
                        r"输入客户 2 位，已决策 1 位，拒绝 1 位，重复标识 1 个，用时 \d+\.\d\d 秒"
                        r"（每秒 [\d,]+ 位客户，duckdb）\n", chinese.output), chinese.output
    missing = run("--lang", "zh", "eval", GOTONE, "--customers", source, "--columns", "tier,nope")
    assert missing.exit_code == 2 and missing.output.startswith("错误：没有输出列 'nope'；可用的列有 id, row, ")


def test_eval_one_customer_stays_json():
    english, chinese = run("eval", GOTONE, json.dumps(SILVER)), run("--lang", "zh", "eval", GOTONE, json.dumps(SILVER))
    assert chinese.exit_code == 0 and chinese.output == english.output and json.loads(chinese.output)["facts"]["tier"] == "silver"


def test_bad_input_errors():
    reason = "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"
    english = run("eval", GOTONE, "{not json")
    assert english.exit_code == 2 and english.output == f"error: the customer is not valid JSON: {reason}\n"
    chinese = run("eval", GOTONE, "{not json", "--lang", "zh")
    assert chinese.exit_code == 2 and chinese.output == f"错误：客户数据不是合法的 JSON：{reason}\n"
    chinese = run("--lang", "zh", "eval", GOTONE, "[1, 2]")
    assert chinese.exit_code == 2 and chinese.output == "错误：客户数据必须是一个 JSON 对象\n"
    chinese = run("--lang", "zh", "eval", GOTONE, json.dumps({**SILVER, "colour": "red"}))
    assert chinese.output.startswith("警告：键 'colour' 不是客户数据结构中的事实\n")
    strict = run("--lang", "zh", "eval", GOTONE, json.dumps({**SILVER, "colour": "red"}), "--strict")
    assert strict.exit_code == 2 and strict.output == "错误：键 'colour' 不是客户数据结构中的事实（严格模式）\n"
    assert run("eval", GOTONE, json.dumps({**SILVER, "colour": "red"}), "--strict").output == \
        "error: key 'colour' is not a fact of the schema (strict)\n"


SCENARIOS = """\
scenarios:
  - name: a silver card holder gets the lecture hall
    given: {id: "1", card: silver, arpu_3m: 140, status: active, package_fee: 128}
    expect:
      facts: {tier: silver}
  - name: a silver card holder is diamond
    given: {id: "2", card: silver, arpu_3m: 140, status: active, package_fee: 128}
    expect:
      facts: {tier: diamond}
"""


def test_test_run_totals(folder):
    scenarios = folder / "gotone-vip" / "1.0.0.test.yaml"
    scenarios.write_text(SCENARIOS, encoding="utf-8")
    english = run("test", scenarios).output.splitlines()
    chinese = run("test", scenarios, "--lang", "zh").output.splitlines()
    assert english[0] == f"FAIL {scenarios}:6: a silver card holder is diamond"
    assert chinese[0] == f"未通过 {scenarios}:6：a silver card holder is diamond"
    assert english[1:-2] == chinese[1:-2]  # the failure itself: facts and values as written
    assert english[-2].startswith("coverage: gotone-vip 1.0.0: no scenario fired ")
    assert chinese[-2] == english[-2].replace("coverage: gotone-vip 1.0.0: no scenario fired ",
                                              "覆盖率：gotone-vip 1.0.0：没有测试场景触发 ")
    assert english[-1] == "1 passed, 1 failed"
    assert chinese[-1] == "通过 1 个，未通过 1 个"
    shipped = run("--lang", "zh", "test", ROOT / "rulesets" / "gotone-vip" / "1.0.0.test.yaml")
    assert shipped.exit_code == 0 and shipped.output == "通过 10 个，未通过 0 个\n"


def test_diff_and_pe_summaries():
    old, new = ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml", ROOT / "rulesets" / "gotone-vip" / "1.1.0.yaml"
    assert run("diff", old, new).output.splitlines()[0] == "gotone-vip 1.0.0 -> gotone-vip 1.1.0: 4 changes"
    assert run("diff", old, new, "--lang", "zh").output.splitlines()[0] == "gotone-vip 1.0.0 -> gotone-vip 1.1.0：4 处改动"
    survey, against = ROOT / "examples" / "pe-survey" / "survey.csv", ROOT / "rulesets" / "gotone-vip" / "1.2.0.yaml"
    english = run("pe", survey, "--against", against).output.splitlines()
    chinese = run("pe", survey, "--against", against, "--lang", "zh").output.splitlines()
    assert english[0] == "purchaser expectation per service and tier (critical value 0.5; * below it: not offered)"
    assert chinese[0] == "各服务在各层级的购买者期望（临界值 0.5；* 低于临界值：不提供）"
    assert chinese[1] == "服务" + " " * 24 + english[1][28:]  # two columns a character: the tiers stay aligned
    assert chinese[-1] == "与 gotone-vip 1.2.0 的差异：0 处" and english[-1] == "differences from gotone-vip 1.2.0: 0"
    assert "建议的服务权限矩阵（未列出：不开放）" in chinese
    as_json = run("pe", survey, "--format", "json", "--lang", "zh").output
    assert as_json == run("pe", survey, "--format", "json").output


def test_campaign_run_summary(tmp_path):
    inputs = sim.write_inputs(tmp_path, 500)
    store = tmp_path / "c.duckdb"
    args = ["campaign", "run", inputs.ruleset, "--customers", inputs.customers, "--at", "2027-01-05", "--store", store,
            "--name", "cli"]
    english = run(*args)
    assert english.exit_code == 0, english.output
    found = re.fullmatch(r"campaign cli: loop-sim 1\.0\.0 in force on 2027-01-05; 500 customers, 0 rejected, (\d+) chosen, "
                         r"(\d+) contacted, (\d+) held out \(offer-x: (\d+) contacted, (\d+) held out; "
                         r"offer-y: (\d+) contacted, (\d+) held out\)\n", english.output)
    assert found, english.output
    n = found.groups()
    chinese = run(*args, "--lang", "zh")  # a rerun replaces the campaign's records: the same numbers
    assert chinese.output == (f"营销批次 cli：2027-01-05 生效的 loop-sim 1.0.0；客户 500 位，拒绝 0 位，选中 {n[0]} 位，"
                              f"接触 {n[1]} 位，对照组 {n[2]} 位（offer-x：接触 {n[3]} 位，对照组 {n[4]} 位；"
                              f"offer-y：接触 {n[5]} 位，对照组 {n[6]} 位）\n")
    bad = tmp_path / "uptakes.csv"
    bad.write_text("id,offer,handled_at,channel\nnobody,offer-x,2027-01-09,sms\n")
    imported = run("campaign", "outcomes", bad, "--store", store, "--lang", "zh")
    assert imported.exit_code == 1
    assert imported.output.startswith("办理结果 uptakes.csv：1 行，导入 0 行，拒绝 1 行\n  1 ")
    assert imported.output.endswith(f"1 行被拒绝：在 {store} 中查询 SELECT * FROM rejected\n")
    assert run("campaign", "outcomes", bad, "--store", store).output.startswith(
        "outcomes uptakes.csv: 1 rows, 0 imported, 1 rejected\n  1 ")
    missing = run("--lang", "zh", "campaign", "outcomes", "--store", store)
    assert missing.exit_code == 2 and missing.output == "错误：请给出办理记录文件、--billing 账单文件，或两者都给出\n"


REPORT = {"campaigns": [{
    "name": "sim", "ruleset": "loop-sim", "version": "1.0.0", "decided_at": "2027-01-05", "channel": "sms",
    "contacted": 900, "held_out": 100,
    "offers": [
        {"offer": "offer-x", "contacted": 600, "held_out": 60, "taken_up": 120, "take_up_rate": 0.2, "reward_cost": 1234.5,
         "incremental_revenue": 2400.0,
         "uplift": {"arpu": {"contact": 4.0, "low": 1.5, "high": 6.5, "per_taker": 20.0, "per_taker_low": 7.5,
                             "per_taker_high": 32.5}}},
        {"offer": "offer-y", "contacted": 300, "held_out": 40, "taken_up": 0, "take_up_rate": None, "reward_cost": 0,
         "incremental_revenue": None, "uplift": {"arpu": {"contact": None}}},
    ]}]}


def test_campaign_report_text():
    english = text_report(REPORT).splitlines()
    assert english == [
        "campaign sim (loop-sim 1.0.0, 2027-01-05, sms): 900 contacted, 100 held out",
        "  offer-x: 600 contacted, 60 held out, 120 took it (20.0%)",
        "    arpu uplift per contacted +4.00 [+1.50, +6.50], per taker +20.00 [+7.50, +32.50]",
        "    reward cost 1234.50, incremental revenue 2400.0",
        "  offer-y: 300 contacted, 40 held out, 0 took it (-)",
        "    uplift: not enough billing to measure",
    ]
    with messages_in("zh"):
        chinese = text_report(REPORT).splitlines()
        empty = text_report({"campaigns": []})
    assert chinese == [
        "营销批次 sim（loop-sim 1.0.0，2027-01-05，sms）：接触 900 位，对照组 100 位",
        "  offer-x：接触 600 位，对照组 60 位，办理 120 位（20.0%）",
        "    每位接触客户的 arpu 提升 +4.00 [+1.50, +6.50]，每位办理客户 +20.00 [+7.50, +32.50]",
        "    奖励成本 1234.50，增量收入 2400.0",
        "  offer-y：接触 300 位，对照组 40 位，办理 0 位（-）",
        "    提升：账单数据不足，无法测算",
    ]
    assert empty == "存储中没有营销批次" and text_report({"campaigns": []}) == "no campaign in the store"


def test_lang_before_or_after_the_command_and_from_the_environment():
    fingerprint = mr.load_ruleset(GOTONE).fingerprint
    released = "（已发布）" if "released" in run("validate", GOTONE).output else ""
    wanted = f"通过  {GOTONE}：gotone-vip 1.0.0，6 条规则和决策表，指纹 {fingerprint}{released}\n"
    assert run("--lang", "zh", "validate", GOTONE).output == wanted
    assert run("validate", GOTONE, "--lang", "zh").output == wanted
    assert run("validate", "--lang=zh", GOTONE).output == wanted
    assert run("validate", GOTONE, env={ENVIRONMENT: "zh"}).output == wanted
    assert run("--lang", "en", "validate", GOTONE, env={ENVIRONMENT: "zh"}).output.startswith("ok  ")
    assert run("validate", GOTONE).output.startswith(f"ok  {GOTONE}: gotone-vip 1.0.0, 6 rules and tables, ")


def test_an_unknown_language_is_refused():
    for args in (["--lang", "fr", "validate", GOTONE], ["validate", GOTONE, "--lang", "fr"]):
        result = run(*args)
        assert result.exit_code == 2 and "unknown language 'fr'" in result.output
    assert run("validate", GOTONE, env={ENVIRONMENT: "fr"}).exit_code == 2


def test_check_time_and_json():
    english = run("check", GOTONE, "--timeout", "30")
    chinese = run("check", GOTONE, "--timeout", "30", "--lang", "zh")
    assert re.search(r"   \(\d+\.\d s\)\n$", english.output), english.output
    assert re.search(r"   （\d+\.\d 秒）\n$", chinese.output), chinese.output
    as_json = run("--lang", "zh", "check", GOTONE, "--json", "--timeout", "30")
    assert json.loads(as_json.output) == json.loads(run("check", GOTONE, "--json", "--timeout", "30").output)


def test_demo_narration():
    args = ["demo", "-n", "200", "--ruleset", GOTONE]
    english, chinese = run(*args).output.splitlines(), run(*args, "--lang", "zh").output.splitlines()
    assert english[0] == "a synthetic city of 200 customers (seed 2026); rulesets in force on 2026-11-22"
    assert chinese[0] == "一座有 200 位客户的模拟城市（随机种子 2026）；2026-11-22 生效的规则集"
    assert "   lifecycle type      city    plan 2.2" in english and "   生命周期类型        城市    方案 2.2" in chinese
    quiet = [line for line in english if line.startswith("   customers with no offer: ")]
    said = [line for line in chinese if line.startswith("   没有任何活动的客户：")]
    assert len(quiet) == len(said) == 1
    found = re.fullmatch(r"   customers with no offer: ([\d,]+) \(([\d.]+%)\), of whom ([\d,]+) active", quiet[0])
    assert found and said[0] == f"   没有任何活动的客户：{found[1]} 位（{found[2]}），其中状态正常的 {found[3]} 位"
    header = next(line for line in chinese if line.startswith("   活动"))
    assert columns(header) == columns(next(line for line in english if line.startswith("   offer ")))


def columns(line: str) -> int:
    """How wide ``line`` is on a terminal: a Chinese character takes two columns."""
    from unicodedata import east_asian_width

    return sum(2 if east_asian_width(c) in "WF" else 1 for c in line)
