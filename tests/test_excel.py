"""Decision tables round-tripped through Excel: export, edit the grid, import into the rule file."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.cli import main
from marketing_rules.edit.excel import SheetError, export_tables, import_workbook, read_workbook
from marketing_rules.edit.rows import cell_text, write_rows
from marketing_rules.errors import RulesetError
from marketing_rules.versioning.registry import rule_files

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted(rule_files(ROOT / "rulesets"))
GOTONE = ROOT / "rulesets" / "gotone-vip" / "1.2.0.yaml"

COMMENTED = """\
ruleset: sheet-demo
version: 1.0.0
facts:
  tier: {type: enum, values: [gold, silver, ordinary]}
  perks: {type: list}
tables:
  - id: tier-by-arpu   # the layers
    inputs: [arpu_3m]
    outputs: [tier]
    rows:
      - [">= 200", gold]      # top layer
      # silver starts at 120 (plan 000, section 2)
      - ["[120..200)", silver]
      - ["-", ordinary]
  - id: perks
    hit: collect
    inputs: [tier]
    outputs: [perks]
    rows:
      - [gold, [lounge, golf]]
      - ["-", [hotline]]
rules:
  - id: gold-tag
    when: tier == gold
    then: {tag: gold}
"""


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(COMMENTED, encoding="utf-8")
    return path


def copy_shipped(path: Path, folder: Path) -> Path:
    """A shipped rule file copied with the definitions it includes, in the same layout."""
    shutil.copytree(ROOT / "rulesets" / "shared", folder / "shared", dirs_exist_ok=True)
    (folder / path.parent.name).mkdir(exist_ok=True)
    return Path(shutil.copy(path, folder / path.parent.name / path.name))


def sheet_of(workbook: Path, table: str) -> tuple[Any, Any]:
    book = openpyxl.load_workbook(workbook)
    return book, book[table]


@pytest.mark.parametrize("path", [p for p in SHIPPED if "tables:" in p.read_text(encoding="utf-8")], ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_shipped_file_round_trips_byte_for_byte(path: Path, tmp_path: Path) -> None:
    copy = copy_shipped(path, tmp_path)
    sheets = export_tables(copy, tmp_path / "out.xlsx")
    assert sheets and set(read_workbook(tmp_path / "out.xlsx")) == set(sheets)
    result = import_workbook(copy, tmp_path / "out.xlsx")
    assert result.tables == () and copy.read_bytes() == path.read_bytes()


def test_the_same_rows_write_the_same_text() -> None:
    rows = [[">= 200", "gold"], ["[120..200)", "silver"], ["-", "ordinary"]]
    assert write_rows(COMMENTED, "tier-by-arpu", rows).text == COMMENTED
    assert write_rows(COMMENTED, "tier-by-arpu", rows).lines == (11, 13, 14)


def test_the_sheet_shows_the_table_header_and_typed_cells(demo: Path, tmp_path: Path) -> None:
    export_tables(demo, tmp_path / "t.xlsx")
    _, sheet = sheet_of(tmp_path / "t.xlsx", "perks")
    assert [c.value for c in sheet[1]][:2] == ["table", "perks"]
    assert [c.value for c in sheet[2]][:2] == ["hit", "collect"]
    assert [c.value for c in sheet[5]] == ["input", "output"]
    assert [c.value for c in sheet[6]] == ["tier", "perks"]
    assert sheet["B7"].value == "[lounge, golf]" and sheet["B7"].comment.text == "list"
    assert read_workbook(tmp_path / "t.xlsx")["perks"] == [["gold", ["lounge", "golf"]], ["-", ["hotline"]]]


def test_an_edited_cell_changes_its_row_only_and_keeps_the_comments(demo: Path, tmp_path: Path) -> None:
    export_tables(demo, tmp_path / "t.xlsx")
    book, sheet = sheet_of(tmp_path / "t.xlsx", "tier-by-arpu")
    sheet["A8"] = "[100..200)"
    sheet.append([">= 50", "silver"])  # a new last row before the catch-all is not needed: appended
    book.save(tmp_path / "t.xlsx")
    assert import_workbook(demo, tmp_path / "t.xlsx").tables == ("tier-by-arpu",)
    text = demo.read_text(encoding="utf-8")
    assert '      - [">= 200", gold]      # top layer\n      # silver starts at 120 (plan 000, section 2)\n' in text
    assert '      - ["[100..200)", silver]\n      - ["-", ordinary]\n      - [">= 50", silver]\n' in text
    assert text.replace('[100..200)', '[120..200)').replace('      - [">= 50", silver]\n', '') == COMMENTED
    rs = mr.load_ruleset(demo)
    assert rs.evaluate({"id": "1", "arpu_3m": 110.0}).facts["tier"] == "silver"


def test_a_bad_cell_is_named_by_sheet_and_cell_and_nothing_is_written(tmp_path: Path) -> None:
    copy = copy_shipped(GOTONE, tmp_path)
    export_tables(copy, tmp_path / "t.xlsx")
    book, sheet = sheet_of(tmp_path / "t.xlsx", "tier-by-arpu")
    sheet["B8"] = ">= gold_arpx"
    sheet["C9"] = "platinum"
    book.save(tmp_path / "t.xlsx")
    with pytest.raises(SheetError) as raised:
        import_workbook(copy, tmp_path / "t.xlsx")
    assert raised.value.problems == (
        "tier-by-arpu!B8: MR101 unknown name 'gold_arpx'; did you mean 'gold_arpu'?",
        "tier-by-arpu!C9: MR104 'platinum' is not a value of tier; the values are diamond, gold, silver, mid_high, ordinary",
    )
    assert copy.read_bytes() == GOTONE.read_bytes()


def test_what_a_sheet_cannot_hold_is_named_by_cell(demo: Path, tmp_path: Path) -> None:
    import datetime

    export_tables(demo, tmp_path / "t.xlsx")
    book, sheet = sheet_of(tmp_path / "t.xlsx", "tier-by-arpu")
    sheet["A7"] = "=B2*2"
    sheet["B8"] = datetime.datetime(2027, 1, 1)
    sheet["C9"] = "stray"
    sheet["A6"] = "arpu"
    book.save(tmp_path / "t.xlsx")
    with pytest.raises(SheetError) as raised:
        import_workbook(demo, tmp_path / "t.xlsx")
    assert raised.value.problems == (
        "tier-by-arpu!A7: a formula (=B2*2); write the value the table should hold",
        "tier-by-arpu!B8: a datetime (2027-01-01 00:00:00); write text, a number or true/false",
        "tier-by-arpu!C9: a cell beyond the table's 2 columns",
    )
    sheet["A7"], sheet["B8"], sheet["C9"] = ">= 200", "silver", None
    book.save(tmp_path / "t.xlsx")
    with pytest.raises(SheetError) as raised:
        import_workbook(demo, tmp_path / "t.xlsx")
    assert raised.value.problems[0].startswith("tier-by-arpu!A6: the column is 'arpu_3m' in the rule file (got 'arpu')")
    assert demo.read_text(encoding="utf-8") == COMMENTED


def test_a_released_version_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "rulesets"
    (folder / "gotone-vip").mkdir(parents=True)
    shutil.copy(ROOT / "rulesets" / "rulesets.lock", folder / "rulesets.lock")
    released = folder / "gotone-vip" / "1.0.0.yaml"
    shutil.copy(ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml", released)
    export_tables(released, tmp_path / "t.xlsx")
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    sheet = book.worksheets[0]
    sheet.cell(7, 2).value = ">= 1"
    book.save(tmp_path / "t.xlsx")
    with pytest.raises(RulesetError) as raised:
        import_workbook(released, tmp_path / "t.xlsx")
    assert [d.code for d in raised.value.diagnostics] == ["MR404"]
    assert released.read_bytes() == (ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml").read_bytes()


def test_the_command_line_exports_and_imports(demo: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "t.xlsx"
    result = runner.invoke(main, ["table", "export", str(demo), "all", str(out)])
    assert result.exit_code == 0 and result.output == f"wrote {out}: tier-by-arpu, perks\n"
    assert runner.invoke(main, ["table", "import", str(demo), str(out)]).output == f"{demo}: unchanged\n"
    book, sheet = sheet_of(out, "tier-by-arpu")
    sheet["B9"] = "bronze"
    book.save(out)
    result = runner.invoke(main, ["table", "import", str(demo), str(out)])
    assert result.exit_code == 2
    assert "tier-by-arpu!B9: MR104 'bronze' is not a value of tier" in result.output
    sheet["B9"] = "silver"
    book.save(out)
    result = runner.invoke(main, ["table", "import", str(demo), str(out), "--dry-run"])
    assert result.exit_code == 0 and result.output == f"{demo}: would change tier-by-arpu\n"
    assert demo.read_text(encoding="utf-8") == COMMENTED
    result = runner.invoke(main, ["table", "export", str(demo), "tiers", str(out)])
    assert result.exit_code == 2 and "no table 'tiers'; the tables are tier-by-arpu, perks" in result.output


CELLS = st.one_of(
    st.sampled_from(["-", ">= 200", "[120..200)", "< 50", "gold, silver", "not(gold)", "yes", "null", "a: b",
                     "'quoted'", 'say "hi"', "#x", "银卡", "- item", "120元"]),
    st.integers(-10**6, 10**6), st.floats(-1e9, 1e9, width=32).map(float), st.sampled_from([1e-05, -2.5e-07, 0.1, 1e15]),
    st.booleans(), st.none(),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(CELLS, min_size=2, max_size=2), min_size=1, max_size=6))
def test_written_rows_read_back_as_the_rows(rows: list[list[Any]]) -> None:
    """Whatever the cells, the text written reads back as exactly those cells, the rest unchanged."""
    from marketing_rules.load.yaml_source import load_yaml

    written = write_rows(COMMENTED, "tier-by-arpu", rows)
    data, _, problems = load_yaml(written.text)
    assert not problems and data["tables"][0]["rows"] == rows
    assert data["tables"][1] == load_yaml(COMMENTED)[0]["tables"][1]
    assert written.text.split("    rows:")[0] == COMMENTED.split("    rows:")[0]
    assert all(cell_text(c) for row in rows for c in row)
