"""The workbench's JSON endpoints, on a real ``marketing-rules workbench`` server in a subprocess.

Each answer is compared with what the library computes in process on the same edited text.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from tests.serving import ROOT, RULESETS, Server, free_port, serving

pytest.importorskip("fastapi")

TODAY = "2027-01-15"
SILVER = {"id": "13900000001", "card": "silver", "arpu_3m": 150, "status": "active"}
TESTIDS = ("ruleset-list", "editor", "diagnostics", "customer-form", "evaluate", "decision", "explanation",
           "scenarios", "impact-chart", "findings", "save")


def workbench(rulesets: Path) -> AbstractContextManager[Server]:
    """``marketing-rules workbench rulesets`` on a free port until the block ends, today fixed."""
    return serving(rulesets, "--no-watch", now=TODAY, command="workbench")


def copy_with_scenarios(target: Path) -> Path:
    """A copy of ``rulesets/`` (scenario files included) that saves may change."""
    shutil.copytree(RULESETS, target)
    return target


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_with_scenarios(tmp_path_factory.mktemp("workbench") / "rulesets")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[Server]:
    with workbench(folder) as running:
        yield running


def api(version: str = "1.2.0", ruleset: str = "gotone-vip") -> str:
    return f"/workbench/api/rulesets/{ruleset}/{version}"


def text_of(folder: Path, version: str = "1.2.0", ruleset: str = "gotone-vip") -> str:
    return (folder / ruleset / f"{version}.yaml").read_text(encoding="utf-8")


def loaded(folder: Path, text: str, version: str = "1.2.0") -> mr.Ruleset:
    return mr.load_ruleset(folder / "gotone-vip" / f"{version}.yaml", text=text)


def plain(value: Any) -> Any:
    from marketing_rules.service.answers import dumps

    return json.loads(dumps(value))


def test_the_page_is_served_with_its_editor_and_fetches_nothing_else(server: Server) -> None:
    page = server.get("/workbench/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for testid in TESTIDS:
        assert f'data-testid="{testid}"' in page.text, testid
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)  # nothing from the network
    assert re.findall(r'src="([^"]+)"', page.text) == ["editor.js"]
    editor = server.get("/workbench/editor.js")
    assert editor.status_code == 200 and "cm-editor" in editor.text


def test_rulesets_and_versions_say_released_and_in_force(server: Server, folder: Path) -> None:
    found = {r["ruleset"]: r for r in server.get("/workbench/api/rulesets").json()["rulesets"]}
    lock = mr.Registry(folder).lock
    versions = {v["version"]: v for v in found["gotone-vip"]["versions"]}
    assert list(versions) == ["1.0.0", "1.1.0", "1.2.0"]
    for version, row in versions.items():
        assert row["released"] == (lock.fingerprint("gotone-vip", version) is not None)
        assert row["file"] == f"gotone-vip/{version}.yaml"
    assert [v for v, row in versions.items() if row["in_force"]] == ["1.1.0"]


def test_a_version_reads_as_its_file_with_the_facts_of_its_form(server: Server, folder: Path) -> None:
    body = server.get(api()).json()
    assert body["text"] == text_of(folder) and body["released"] is False and body["tables"] == ["tier-by-arpu"]
    facts = {f["name"]: f for f in body["facts"]}
    assert facts["card"]["type"] == "enum" and facts["card"]["values"] == ["none", "silver", "gold", "diamond"]
    assert facts["birthday_month"]["ge"] == 1 and facts["birthday_month"]["le"] == 12
    assert facts["arpu_3m"]["used"] and not facts["sms"]["used"]
    assert server.get(api("9.9.9")).status_code == 404


def test_validate_gives_each_diagnostic_with_its_line_and_clears_when_fixed(server: Server, folder: Path) -> None:
    text = text_of(folder)
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "arpu < arpu_prev" in t)
    column = text.splitlines()[line - 1].index("arpu_prev") + 1
    wrong = text.replace("arpu < arpu_prev", "arpu < arpu_prv", 1)
    body = server.post(f"{api()}/validate", {"text": wrong}).json()
    assert body["ok"] is False
    [diagnostic] = body["diagnostics"]
    assert (diagnostic["code"], diagnostic["line"], diagnostic["column"]) == ("MR101", line, column)
    assert "arpu_prv" in diagnostic["message"] and "arpu_prev" in diagnostic["hint"]
    fixed = server.post(f"{api()}/validate", {"text": text}).json()
    assert fixed["ok"] is True and fixed["diagnostics"] == [] and fixed["fingerprint"] == loaded(folder, text).fingerprint


def test_a_yaml_mistake_is_a_diagnostic_not_an_error(server: Server, folder: Path) -> None:
    text = text_of(folder).replace("ruleset: gotone-vip", "ruleset gotone-vip", 1)
    body = server.post(f"{api()}/validate", {"text": text}).json()
    assert body["ok"] is False and body["diagnostics"][0]["line"] is not None


def test_evaluate_decides_the_edited_text_and_explains_every_offer(server: Server, folder: Path) -> None:
    text = text_of(folder).replace("lecture_prestore: 300", "lecture_prestore: 250", 1)
    assert text != text_of(folder)
    body = server.post(f"{api()}/evaluate", {"text": text, "customer": SILVER}).json()
    rs = loaded(folder, text)
    assert body["decision"] == plain(rs.evaluate(SILVER).as_dict())
    assert {"kind": "prestore", "amount": 250} in next(o for o in body["decision"]["offers"]
                                                     if o["id"] == "prestore-lecture")["requires"]
    offers = {o["offer"]: o for o in body["offers"]}
    for offer, entry in offers.items():
        explained = rs.explain(SILVER, offer)
        assert entry["eligible"] == explained.fired and entry["text"] == str(explained)
        assert ("what_would_it_take" in entry) == (not explained.fired)
    golf = offers["prestore-golf"]["what_would_it_take"]
    assert golf["text"] == str(rs.what_would_it_take(SILVER, "prestore-golf"))


def test_a_bad_customer_is_a_422_naming_the_fact(server: Server, folder: Path) -> None:
    response = server.post(f"{api()}/evaluate", {"text": text_of(folder), "customer": {**SILVER, "card": "platinum"}})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "customer", "card"]


def test_a_request_on_text_that_does_not_load_is_a_409_with_the_diagnostics(server: Server, folder: Path) -> None:
    wrong = text_of(folder).replace("arpu < arpu_prev", "arpu < arpu_prv", 1)
    response = server.post(f"{api()}/evaluate", {"text": wrong, "customer": SILVER})
    assert response.status_code == 409 and response.json()["detail"][0]["code"] == "MR101"


def test_scenarios_run_against_the_edited_text_with_coverage(server: Server, folder: Path) -> None:
    from marketing_rules.testing.scenarios import run

    text = text_of(folder)
    body = server.post(f"{api()}/scenarios", {"text": text}).json()
    expected = run([folder / "gotone-vip" / "1.2.0.test.yaml"])
    assert body["file"] == "1.2.0.test.yaml"
    assert (body["passed"], body["failed"]) == (len(expected.results), 0)
    assert body["uncovered"] == expected.uncovered["gotone-vip 1.2.0"]
    units = [u.id for u in loaded(folder, text).program.units]
    assert sorted(body["covered"] + body["uncovered"]) == sorted(units)
    probed = text.replace("\nrules:\n", "\nrules:\n  - id: probe-rule\n    when: arpu_3m > 100000\n"
                          "    then:\n      tag: retention-target\n\n", 1)
    assert server.post(f"{api()}/scenarios", {"text": probed}).json()["uncovered"] == [
        *expected.uncovered["gotone-vip 1.2.0"], "probe-rule"]
    broken = text.replace("silver_arpu: 120", "silver_arpu: 140", 1)
    assert broken != text
    failing = server.post(f"{api()}/scenarios", {"text": broken}).json()
    assert failing["failed"] > 0
    assert all(r["failures"] for r in failing["results"] if not r["passed"])


def test_impact_is_the_diff_against_the_version_in_force(server: Server, folder: Path) -> None:
    from marketing_rules.synthetic import customers
    from marketing_rules.versioning.diff import impact

    text = text_of(folder)
    body = server.post(f"{api()}/impact", {"text": text, "city": 400, "seed": 7}).json()
    old = mr.load_ruleset(folder / "gotone-vip" / "1.1.0.yaml")
    measured = impact(old, loaded(folder, text), customers(400, 7))
    assert (body["from"], body["to"]) == ("gotone-vip 1.1.0", "gotone-vip 1.2.0")
    assert (body["customers"], body["changed"]) == (measured.customers, measured.changed) and body["changed"] > 0
    assert {o["offer"]: (o["before"], o["after"]) for o in body["offers"]} == {
        o: (measured.offers_before[o], measured.offers_after[o])
        for o in set(measured.offers_before) | set(measured.offers_after)}
    assert body["cost_after"] == float(measured.cost_after)


def test_impact_over_an_uploaded_customer_file(server: Server, folder: Path) -> None:
    rows = "id,card,arpu_3m,status\n1,silver,150,active\n2,none,700,active\n3,gold,90,suspended\n"
    body = server.post(f"{api()}/impact", {"text": text_of(folder), "file_name": "few.csv", "file_text": rows}).json()
    assert body["customers"] == 3 and body["source"] == "few.csv"
    bad = server.post(f"{api()}/impact", {"text": text_of(folder), "file_name": "few.xlsx", "file_text": rows})
    assert bad.status_code == 422


def test_check_gives_the_findings_of_the_edited_text_with_witnesses(server: Server, folder: Path) -> None:
    from marketing_rules.edit.rows import write_rows

    text = text_of(folder)
    assert server.post(f"{api()}/check", {"text": text}).json()["findings"] == []
    rows = [list(r) for r in loaded(folder, text).file.tables[0].rows]
    rows[0][1] = ">= gold_arpu"
    edited = write_rows(text, "tier-by-arpu", rows).text
    body = server.post(f"{api()}/check", {"text": edited}).json()
    assert body["findings"] == plain(loaded(folder, edited).check().as_dict())["findings"]
    [finding] = body["findings"]
    assert finding["kind"] == "shadowed-row" and finding["witness"]["arpu_3m"] == 200


def test_tables_as_grids_and_rows_written_back_in_place(server: Server, folder: Path) -> None:
    text = text_of(folder)
    [table] = server.post(f"{api()}/tables", {"text": text}).json()["tables"]
    assert (table["id"], table["hit"], table["inputs"], table["outputs"]) == ("tier-by-arpu", "first", ["card", "arpu_3m"], ["tier"])
    same = server.post(f"{api()}/tables/tier-by-arpu", {"text": text, "rows": table["rows"]}).json()
    assert same["text"] == text  # unchanged rows: byte for byte
    rows = [*table["rows"][:-1], ["none", "-", "ordinary"], table["rows"][-1]]
    written = server.post(f"{api()}/tables/tier-by-arpu", {"text": text, "rows": rows}).json()
    assert written["text"].count("\n") == text.count("\n") + 1
    assert [list(r) for r in loaded(folder, written["text"]).file.tables[0].rows] == rows
    assert server.post(f"{api()}/tables/no-such", {"text": text, "rows": rows}).status_code == 422


def test_save_refuses_a_released_version_and_text_that_does_not_load(server: Server, folder: Path) -> None:
    released = text_of(folder, "1.1.0")
    response = server.post(f"{api('1.1.0')}/save", {"text": released + "# a comment\n"})
    assert response.status_code == 409 and response.json()["detail"][0]["code"] == "MR404"
    assert text_of(folder, "1.1.0") == released
    draft = text_of(folder)
    wrong = draft.replace("arpu < arpu_prev", "arpu < arpu_prv", 1)
    refused = server.post(f"{api()}/save", {"text": wrong})
    assert refused.status_code == 409 and refused.json()["detail"][0]["code"] == "MR101"
    other = server.post(f"{api()}/save", {"text": draft.replace("version: 1.2.0", "version: 1.3.0", 1)})
    assert other.status_code == 409 and other.json()["detail"][0]["code"] == "MR401"
    assert text_of(folder) == draft


def test_save_writes_a_draft_that_loads_and_the_service_answers_with_it(server: Server, folder: Path) -> None:
    draft = text_of(folder)
    edited = draft.replace("lecture_prestore: 300", "lecture_prestore: 280", 1)
    try:
        body = server.post(f"{api()}/save", {"text": edited}).json()
        assert body["saved"] == "gotone-vip/1.2.0.yaml"
        assert text_of(folder) == edited and body["fingerprint"] == loaded(folder, edited).fingerprint
        listed = server.get("/workbench/api/rulesets").json()["rulesets"]
        assert body["fingerprint"] in {v["fingerprint"] for r in listed for v in r["versions"]}
        decided = server.post("/v1/rulesets/gotone-vip/decisions", {"customer": SILVER, "version": "1.2.0"}).json()
        assert decided["fingerprint"] == body["fingerprint"]
    finally:
        server.post(f"{api()}/save", {"text": draft})
    assert text_of(folder) == draft


def test_save_as_writes_a_new_version_beside_the_released_one(server: Server, folder: Path) -> None:
    released = text_of(folder, "1.1.0")
    edited = released.replace("lecture_prestore: 300", "lecture_prestore: 260", 1)
    assert edited != released
    assert server.post(f"{api('1.1.0')}/save-as", {"text": edited, "version": "1.2.0"}).json()["detail"][0]["code"] == "MR403"
    assert server.post(f"{api('1.1.0')}/save-as", {"text": edited, "version": "1.03"}).json()["detail"][0]["code"] == "MR401"
    elsewhere = edited.replace("ruleset: gotone-vip", "ruleset: gotone-elsewhere", 1)
    refused = server.post(f"{api('1.1.0')}/save-as", {"text": elsewhere, "version": "1.4.0"})
    assert refused.status_code == 409 and refused.json()["detail"][0]["code"] == "MR402"  # the folder would not load
    assert not (folder / "gotone-vip" / "1.4.0.yaml").exists()  # so the file is taken back
    body = server.post(f"{api('1.1.0')}/save-as", {"text": edited, "version": "1.3.0"}).json()
    assert body["saved"] == "gotone-vip/1.3.0.yaml"
    written = text_of(folder, "1.3.0")
    assert written == edited.replace("version: 1.1.0", "version: 1.3.0", 1) and text_of(folder, "1.1.0") == released
    assert body["fingerprint"] == mr.load_ruleset(folder / "gotone-vip" / "1.3.0.yaml").fingerprint
    listed = next(r for r in server.get("/workbench/api/rulesets").json()["rulesets"] if r["ruleset"] == "gotone-vip")
    assert {"version": "1.3.0", "released": False} in [{k: v[k] for k in ("version", "released")} for v in listed["versions"]]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_validate_says_what_loading_the_text_says(server: Server, folder: Path, data: st.DataObject) -> None:
    """Any text a slip of the keyboard makes: the live diagnostics are those of load_ruleset, line for line."""
    text = text_of(folder)
    at = data.draw(st.integers(0, len(text) - 1), label="at")
    typed = data.draw(st.sampled_from(["", " ", "\t", ":", "-", "'", "[", "x", "：", "\n"]), label="typed")
    edited = text[:at] + typed + text[at + 1:]
    body = server.post(f"{api()}/validate", {"text": edited}).json()
    try:
        loaded(folder, edited)
        expected: list[tuple[Any, ...]] = []
    except mr.RulesetError as error:
        expected = [(d.code, d.line, d.column, d.message) for d in error.diagnostics]
    assert body["ok"] == (not expected)
    assert [(d["code"], d["line"], d["column"], d["message"]) for d in body["diagnostics"]] == expected


def test_a_folder_that_does_not_load_is_named_at_start(tmp_path: Path) -> None:
    folder = copy_with_scenarios(tmp_path / "rulesets")
    path = folder / "gotone-vip" / "1.2.0.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("arpu < arpu_prev", "arpu < arpu_prv", 1), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "marketing_rules.cli", "workbench", str(folder), "--port",
                           str(free_port())], env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2
    assert "MR101" in done.stderr and "1.2.0.yaml" in done.stderr and "arpu_prv" in done.stderr
