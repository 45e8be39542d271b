"""The workbench page in a real headless Chromium (Debian's ``chromium``), driven by Playwright,
against a real ``marketing-rules workbench`` server.

With ``WORKBENCH_SCREENSHOTS=1`` the screenshots of the run are written to docs/images/ (the guides'
workbench chapter shows them); otherwise to a temporary folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import marketing_rules as mr
from tests.serving import ROOT, Server
from tests.test_workbench import copy_with_scenarios, workbench

pytest.importorskip("fastapi")

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"), "/usr/bin/chromium")
                 if p and Path(p).exists()), None)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary: install Debian's chromium and chromium-driver "
                       "(apt-get install chromium chromium-driver; .ci/run does)"),
]
SILVER = {"id": "13900000001", "card": "silver", "arpu_3m": 150, "status": "active"}
TIMEOUT = 30_000  # ms: the machine may be loaded


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_with_scenarios(tmp_path_factory.mktemp("browser") / "rulesets")


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[Server]:
    with workbench(folder) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        args = ["--no-sandbox"]  # the sandbox refuses root and many containers; the page is our own
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], errors  # no script error on the page


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("WORKBENCH_SCREENSHOTS") == "1":
        return ROOT / "docs" / "images"
    return tmp_path_factory.mktemp("screenshots")


def by(testid: str) -> str:
    return f"[data-testid={testid}]"


def open_version(page: Any, server: Server, version: str, lang: str = "en") -> None:
    page.goto(f"{server.url}/workbench/?lang={lang}")
    page.click(f'{by("ruleset-list")} button[data-ruleset=gotone-vip][data-version="{version}"]')
    page.wait_for_selector(f'{by("diagnostics")}[data-state=ok]')


def editor_text(page: Any) -> str:
    return str(page.evaluate("WorkbenchEditor.getText(state.view)"))


def put_cursor(page: Any, line: int, column: int) -> None:
    """The cursor before ``column`` of ``line`` (then the test types with the keyboard)."""
    page.evaluate("([line, column]) => WorkbenchEditor.goTo(state.view, line, column)", [line, column])


def fill_customer(page: Any, customer: dict[str, Any]) -> None:
    form = by("customer-form")
    for name, value in customer.items():
        field = page.locator(f"{form} [name={name}]")
        if field.evaluate("node => node.tagName") == "SELECT":
            field.select_option(str(value))
        else:
            field.fill(str(value))


def test_a_misspelt_fact_then_a_customer_decided_and_explained(page: Any, server: Server, folder: Path, shots: Path) -> None:
    open_version(page, server, "1.2.0")
    assert page.locator(by("editor") + " .cm-content").is_visible()
    text = editor_text(page)
    assert text == (folder / "gotone-vip" / "1.2.0.yaml").read_text(encoding="utf-8")
    line = next(n for n, t in enumerate(text.splitlines(), 1) if "arpu < arpu_prev" in t)
    column = text.splitlines()[line - 1].index("arpu_prev") + 1
    put_cursor(page, line, column + len("arpu_pre"))
    page.keyboard.press("Backspace")  # arpu_prev -> arpu_prv, typed
    problem = page.locator(f"{by('diagnostics')} .diagnostic[data-code=MR101]")
    problem.wait_for()
    assert problem.get_attribute("data-line") == str(line)
    assert f"line {line}:{column}" in problem.inner_text() and "arpu_prv" in problem.inner_text()
    assert page.locator(".cm-lintRange-error").count() >= 1  # marked in the text too
    page.screenshot(path=str(shots / "workbench-diagnostics.png"))
    page.keyboard.type("e")  # fixed
    page.wait_for_selector(f'{by("diagnostics")}[data-state=ok]')
    assert page.locator(f"{by('diagnostics')} .diagnostic").count() == 0

    fill_customer(page, SILVER)
    page.click(by("evaluate"))
    page.locator(f"{by('decision')} .card").wait_for()
    decision = mr.load_ruleset(folder / "gotone-vip" / "1.2.0.yaml").evaluate(SILVER)
    shown = page.locator(f"{by('decision')} code[data-offer]").evaluate_all("nodes => nodes.map(n => n.dataset.offer)")
    assert shown == [o.id for o in decision.offers] and "prestore-lecture" in shown
    lecture = page.locator(f"{by('explanation')} details[data-offer=prestore-lecture]")
    assert "eligible" in lecture.inner_text() and "tier in [silver, mid_high]" in lecture.inner_text()
    golf = page.locator(f"{by('explanation')} details[data-offer=prestore-golf]")
    golf.locator("summary").click()
    assert "not eligible" in golf.inner_text()
    assert golf.locator("[data-testid=what-would-it-take]").is_visible()
    page.screenshot(path=str(shots / "workbench-decision.png"))


def test_impact_then_a_table_edit_and_its_finding_whose_witness_fills_the_form(
        page: Any, server: Server, folder: Path, shots: Path) -> None:
    from marketing_rules.synthetic import customers
    from marketing_rules.versioning.diff import impact

    open_version(page, server, "1.2.0")
    page.click(by("tab-impact"))
    page.fill("#city", "500")
    page.click(by("run-impact"))
    page.locator(f"{by('impact-chart')} g[data-offer]").first.wait_for()
    measured = impact(mr.load_ruleset(folder / "gotone-vip" / "1.1.0.yaml"),
                      mr.load_ruleset(folder / "gotone-vip" / "1.2.0.yaml"), customers(500, 2026))
    bars = page.locator(f"{by('impact-chart')} g[data-offer]").evaluate_all("nodes => nodes.map(n => n.dataset.offer)")
    assert bars == sorted(set(measured.offers_before) | set(measured.offers_after))
    assert page.locator(f"{by('impact-summary')} [data-changed]").get_attribute("data-changed") == str(measured.changed)
    page.screenshot(path=str(shots / "workbench-impact.png"))

    page.click(by("tab-tables"))
    cell = page.locator('[data-table=tier-by-arpu] tbody tr').first.locator("input").nth(1)
    assert cell.input_value() == ">= diamond_arpu"
    cell.fill(">= gold_arpu")
    page.click("[data-apply=tier-by-arpu]")
    page.wait_for_function("WorkbenchEditor.getText(state.view).includes('\">= gold_arpu\", diamond]')")
    page.wait_for_selector(f'{by("diagnostics")}[data-state=ok]')

    page.click(by("tab-findings"))
    page.click(by("run-check"))
    finding = page.locator(f"{by('findings')} [data-kind=shadowed-row]")
    finding.wait_for()
    assert "tier-by-arpu#2" in finding.inner_text() and "arpu_3m=200" in finding.inner_text()
    page.screenshot(path=str(shots / "workbench-findings.png"))
    finding.locator("[data-witness]").click()
    assert page.locator(by("customer-form")).is_visible()
    assert page.locator(f"{by('customer-form')} [name=arpu_3m]").input_value() == "200"
    page.locator(f"{by('decision')} .card").wait_for()
    assert "tier = diamond" in page.locator(by("decision")).inner_text()  # row 1 now takes ARPU 200


def test_the_scenarios_run_with_coverage(page: Any, server: Server, folder: Path) -> None:
    from marketing_rules.testing.scenarios import run

    report = run([folder / "gotone-vip" / "1.2.0.test.yaml"])
    open_version(page, server, "1.2.0")
    page.click(by("tab-scenarios"))
    page.click(by("run-scenarios"))
    summary = page.locator(f"{by('scenarios')} [data-summary]")
    summary.wait_for()
    assert summary.inner_text() == f"{len(report.results)} passed, 0 failed"
    uncovered = page.locator(f"{by('scenarios')} [data-uncovered]").evaluate_all("n => n.map(x => x.dataset.uncovered)")
    assert uncovered == report.uncovered["gotone-vip 1.2.0"]


def test_save_is_refused_on_a_released_version_which_is_saved_as_a_new_one(page: Any, server: Server, folder: Path) -> None:
    released = (folder / "gotone-vip" / "1.1.0.yaml").read_text(encoding="utf-8")
    open_version(page, server, "1.1.0")
    page.locator(by("editor") + " .cm-content").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("# a note\n")
    page.click(by("save"))
    status = page.locator(by("save-status"))
    page.wait_for_function("document.querySelector('[data-testid=save-status]').textContent.includes('MR404')")
    assert "released" in status.inner_text()
    assert (folder / "gotone-vip" / "1.1.0.yaml").read_text(encoding="utf-8") == released
    assert page.locator(by("new-version")).input_value() == "1.3.0"  # the next version number
    page.click(by("save-as"))
    page.wait_for_function("document.querySelector('[data-testid=save-status]').textContent.includes('gotone-vip/1.3.0.yaml')")
    assert page.locator(f'{by("ruleset-list")} button.current[data-version="1.3.0"]').is_visible()
    written = (folder / "gotone-vip" / "1.3.0.yaml").read_text(encoding="utf-8")
    assert written == released.replace("version: 1.1.0", "version: 1.3.0", 1) + "# a note\n"
    assert editor_text(page) == written
    (folder / "gotone-vip" / "1.3.0.yaml").unlink()


def test_save_writes_a_draft(page: Any, server: Server, folder: Path) -> None:
    path = folder / "gotone-vip" / "1.2.0.yaml"
    before = path.read_text(encoding="utf-8")
    open_version(page, server, "1.2.0")
    page.locator(by("editor") + " .cm-content").click()
    page.keyboard.press("Control+End")
    assert page.locator(by("modified")).is_hidden()
    page.keyboard.type("# reviewed in the workbench\n")
    assert page.locator(by("modified")).is_visible()
    page.wait_for_selector(f'{by("diagnostics")}[data-state=ok]')
    page.keyboard.press("Control+s")
    page.wait_for_function("document.querySelector('[data-testid=save-status]').className === 'ok'")
    assert page.locator(by("modified")).is_hidden()
    assert path.read_text(encoding="utf-8") == before + "# reviewed in the workbench\n"
    path.write_text(before, encoding="utf-8")


def test_chinese_labels_and_the_toggle(page: Any, server: Server, shots: Path) -> None:
    open_version(page, server, "1.2.0", lang="zh")
    assert page.locator(by("evaluate")).inner_text() == "试算"
    assert page.locator(by("save")).inner_text() == "保存"
    fill_customer(page, SILVER)
    page.click(by("evaluate"))
    page.locator(f"{by('explanation')} details[data-offer=prestore-lecture]").wait_for()
    assert "可办理" in page.locator(by("explanation")).inner_text()
    assert "prestore-lecture" in page.locator(by("decision")).inner_text()  # ids as written
    page.screenshot(path=str(shots / "workbench-zh.png"))
    page.click(by("tab-impact"))
    page.fill("#city", "2000")
    page.click(by("run-impact"))
    page.locator(f"{by('impact-chart')} g[data-offer]").first.wait_for()
    assert "生效版本" in page.locator(by("impact-chart")).inner_html()
    page.screenshot(path=str(shots / "workbench-impact-zh.png"))
    page.click(by("lang"))
    assert page.locator(by("evaluate")).inner_text() == "Evaluate"
    assert "lang=en" in page.url
