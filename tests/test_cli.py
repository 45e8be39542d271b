"""The command line: outputs and exit codes (0 ok, 1 findings, 2 bad input)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from marketing_rules.cli import main
from tests.conftest import FIXTURES, ROOT

GOTONE = str(ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml")
SILVER = json.dumps({"id": "139", "card": "silver", "arpu_3m": 140, "status": "active", "package_fee": 128})


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def test_validate_ok_and_failures():
    result = run("validate", GOTONE)
    assert result.exit_code == 0 and "ok " in result.output and "gotone-vip 1.0.0" in result.output
    bad = str(FIXTURES / "bad_rules" / "many_errors.yaml")
    result = run("validate", bad)
    assert result.exit_code == 1
    assert "MR104" in result.output and "MR105" in result.output and "^" in result.output


def test_validate_missing_path_is_bad_input():
    assert run("validate", "no/such/file.yaml").exit_code == 2


def test_eval_one_customer():
    result = run("eval", GOTONE, SILVER)
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output)
    assert decision["facts"]["tier"] == "silver"
    assert [o["id"] for o in decision["offers"]] == ["prestore-lecture"]


def test_eval_customer_from_stdin_and_bad_json():
    assert run("eval", GOTONE, "-", input=SILVER).exit_code == 0
    result = run("eval", GOTONE, "{not json")
    assert result.exit_code == 2 and "not valid JSON" in result.output


def test_eval_invalid_customer_names_the_field():
    result = run("eval", GOTONE, json.dumps({"id": "1", "arpu": "lots"}))
    assert result.exit_code == 2 and '"field": "arpu"' in result.output


def test_eval_file_reports_every_row(tmp_path):
    rows = [SILVER, json.dumps({"id": "2", "card": "platinum"}), "not json", json.dumps({"arpu": 5}),
            json.dumps({"id": "5", "arpu_3m": 600, "card": "gold"})]
    source = tmp_path / "customers.jsonl"
    source.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "decisions.jsonl"
    result = run("eval", GOTONE, "--customers", str(source), "--out", str(out))
    assert result.exit_code == 1
    assert "5 customers in, 2 decided, 3 rejected" in result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["row"] for r in records] == [1, 2, 3, 4, 5]
    assert records[0]["tier"] == "silver" and records[0]["error"] is None
    assert "card" in records[1]["error"] and records[1]["id"] == "2"
    assert records[3]["error"].startswith("id:")
    assert records[4]["tier"] == "diamond"


def test_explain_prints_conditions_and_what_it_would_take():
    customer = json.dumps({"id": "9", "card": "none", "arpu_3m": 110, "status": "active"})
    result = run("explain", GOTONE, customer, "prestore-lecture")
    assert result.exit_code == 0
    assert "[  false] tier in [silver, mid_high]" in result.output
    assert "what would it take: arpu_3m 110.0 -> 120.0" in result.output
    data = json.loads(run("explain", GOTONE, customer, "prestore-lecture", "--json").output)
    assert data["fired"] is False and data["what_would_it_take"]["changes"][0]["after"] == 120.0
    assert run("explain", GOTONE, customer, "no-such-rule").exit_code == 2


def test_schema_is_json_schema_of_the_rule_format():
    schema = json.loads(run("schema").output)
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"ruleset", "version", "rules", "tables", "access"} <= set(schema["properties"])
    kinds = {next(iter(o["properties"])) for o in schema["$defs"]["Requirement"]["oneOf"]}
    assert kinds == {"prestore", "guarantee", "upgrade", "tenure", "business"}


def test_schema_accepts_the_shipped_ruleset():
    import jsonschema  # noqa: PLC0415
    import yaml

    schema = json.loads(run("schema").output)
    document = yaml.safe_load(open(GOTONE, encoding="utf-8"))
    document["effective"] = {k: str(v) for k, v in document["effective"].items()}
    jsonschema.validate(document, schema)


def test_demo_runs_on_the_shipped_ruleset():
    result = run("demo", "-n", "500")
    assert result.exit_code == 0, result.output
    assert "gotone-vip 1.0.0" in result.output and "customers with no offer" in result.output
