"""Decision tables as Excel workbooks (openpyxl), for analysts who edit them as grids.

A sheet per table, named after it. The header says what the table is, and the grid starts below it:

    A1  table       B1  tier-by-arpu            (the table's id: the sheet's link to the rule file)
    A2  hit         B2  first                   (and C2 aggregate, D2 sum for a collect table)
    A3  title       B3  客户分层 ...
    A5  input ...   input ...   output ...      (what each column is)
    A6  card        arpu_3m     tier            (the input expressions, then the output facts)
    A7  the first row's cells, one row of the table per line of the sheet

Cells keep their type: text, numbers and true/false as Excel values, an empty cell is null. A cell
holding a list (a list of tags, say) is its YAML text, ``[a, b]``, with the comment "list". A test
that starts with ``=`` (``== 0``) is text, not a formula: type it in Excel as ``'== 0``.
:func:`import_workbook` writes edited rows back into the rule file (``edit/rows.py``: comments and
layout kept, unchanged rows byte for byte), after loading the result: a problem is reported by sheet
and cell (``tier-by-arpu!C7``) and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from marketing_rules.edit.rows import Cell, RowsError, cell_text, table_index, write_rows
from marketing_rules.errors import Diagnostic, RulesetError
from marketing_rules.load.yaml_source import load_yaml

HEADER_ROWS = 6  # the grid's first row of cells is the 7th line of the sheet
LIST_NOTE = "list"


class SheetError(ValueError):
    """Problems of an imported workbook, each named by its sheet and cell (``Sheet1!C7``)."""

    def __init__(self, problems: list[str]):
        self.problems = tuple(problems)
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Imported:
    """What an import changed: the tables whose rows differ, and the new text of the rule file."""

    tables: tuple[str, ...]
    text: str


def _openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - the extra is installed with [test]
        raise ImportError("Excel needs openpyxl: pip install marketing-rules[excel]") from None
    return openpyxl


def _tables(path: Path) -> list[dict[str, Any]]:
    data, _, problems = load_yaml(path.read_text(encoding="utf-8"), str(path))
    if problems:
        raise RulesetError(problems)
    return [t for t in (data.get("tables") or []) if isinstance(t, dict)] if isinstance(data, dict) else []


def export_tables(ruleset: str | Path, out: str | Path, tables: list[str] | None = None) -> list[str]:
    """Write the rule file's tables (or those named) to an .xlsx workbook; the sheets written."""
    openpyxl = _openpyxl()
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill

    found = _tables(Path(ruleset))
    chosen = [t for t in found if tables is None or t.get("id") in tables]
    missing = sorted(set(tables or ()) - {t.get("id") for t in found})
    if missing:
        raise SheetError([f"{ruleset}: no table {name!r}; the tables are {', '.join(str(t.get('id')) for t in found)}"
                          for name in missing])
    book = openpyxl.Workbook()
    book.remove(book.active)
    bold, shaded = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for table in chosen:
        sheet = book.create_sheet(_sheet_name(str(table["id"])))
        sheet.append(["table", table["id"]])
        sheet.append(["hit", table.get("hit", "first"), *(["aggregate", table["aggregate"]] if table.get("aggregate") else [])])
        sheet.append(["title", table.get("title", "")])
        sheet.append([])
        inputs, outputs = list(table.get("inputs") or []), list(table.get("outputs") or [])
        sheet.append(["input"] * len(inputs) + ["output"] * len(outputs))
        sheet.append([str(name) for name in inputs + outputs])
        for row in table.get("rows") or []:
            sheet.append([cell_text(c) if isinstance(c, list) else c for c in row])
            for k, value in enumerate(row, start=1):
                cell = sheet.cell(sheet.max_row, k)
                if isinstance(value, list):
                    cell.comment = Comment(LIST_NOTE, "marketing_rules")
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # the test '== 0', not a formula
        for cell in (*sheet[1], *sheet[2], *sheet[3], *sheet[HEADER_ROWS - 1], *sheet[HEADER_ROWS]):
            cell.font = bold
        for cell in (*sheet[HEADER_ROWS - 1], *sheet[HEADER_ROWS]):
            cell.fill = shaded
        sheet.freeze_panes = sheet.cell(HEADER_ROWS + 1, 1)
        for k in range(1, len(inputs) + len(outputs) + 1):
            sheet.column_dimensions[openpyxl.utils.get_column_letter(k)].width = 24
    book.save(str(out))
    return [str(t["id"]) for t in chosen]


def _sheet_name(table: str) -> str:
    return table[:31]  # Excel's limit on a sheet's name


def read_workbook(path: str | Path) -> dict[str, list[list[Cell]]]:
    """Each table's rows as the workbook holds them: table id -> rows (header checked)."""
    openpyxl = _openpyxl()
    try:
        book = openpyxl.load_workbook(str(path), data_only=False)
    except Exception as error:  # openpyxl raises zipfile, KeyError and its own errors on a bad file
        raise SheetError([f"{path}: not an Excel workbook ({type(error).__name__}: {error})"]) from None
    problems: list[str] = []
    found: dict[str, list[list[Cell]]] = {}
    for sheet in book.worksheets:
        if sheet["A1"].value != "table" or not isinstance(sheet["B1"].value, str):
            problems.append(f"{sheet.title}!A1: not a table sheet (A1 'table' and B1 the table's id expected)")
            continue
        width = sum(1 for c in sheet[HEADER_ROWS] if c.value not in (None, ""))
        rows = []
        for line in sheet.iter_rows(min_row=HEADER_ROWS + 1):
            cells = [_cell(c, problems) for c in line[:width]]
            extra = [c for c in line[width:] if c.value not in (None, "")]
            for c in extra:
                problems.append(f"{sheet.title}!{c.coordinate}: a cell beyond the table's {width} columns")
            if any(v is not None for v in cells):
                rows.append(cells + [None] * (width - len(cells)))
        found[sheet["B1"].value] = rows
    if problems:
        raise SheetError(problems)
    return found


def _cell(cell: Any, problems: list[str]) -> Cell:
    value = cell.value
    where = f"{cell.parent.title}!{cell.coordinate}"
    if cell.data_type == "f":
        problems.append(f"{where}: a formula ({value}); write the value the table should hold")
        return None
    if cell.comment is not None and cell.comment.text.strip().startswith(LIST_NOTE) and isinstance(value, str):
        try:
            items = yaml.safe_load(value)
        except yaml.YAMLError:
            items = None
        if not isinstance(items, list):
            problems.append(f"{where}: a list cell must read as [a, b, ...] (got {value!r})")
        return items if isinstance(items, list) else None
    if value is None or isinstance(value, (str, bool, int, float)):
        return value.strip() if isinstance(value, str) and value.strip() != value else value
    problems.append(f"{where}: a {type(value).__name__} ({value}); write text, a number or true/false")
    return None


def import_workbook(ruleset: str | Path, workbook: str | Path, *, write: bool = True) -> Imported:
    """Write the workbook's rows into the rule file's tables; loads the result first, so that a
    problem (named by sheet and cell) leaves the file as it was. A released version is refused."""
    from marketing_rules.engine.ruleset import load_ruleset
    from marketing_rules.load.lock import refuse_changed

    path = Path(ruleset)
    text = original = path.read_text(encoding="utf-8")
    sheets = read_workbook(workbook)
    data, _, _ = load_yaml(text, str(path))
    changed: list[str] = []
    for table, rows in sheets.items():
        try:
            index = table_index(data, table)
        except RowsError as error:
            raise SheetError([f"{_sheet_name(table)}!B1: {error}"]) from None
        _check_header(Path(workbook), data["tables"][index], table)
        if rows != data["tables"][index].get("rows"):
            text = write_rows(text, table, rows, str(path)).text
            data, _, _ = load_yaml(text, str(path))
            changed.append(table)
    if text != original:
        try:
            loaded = load_ruleset(path, text=text)
        except RulesetError as error:
            raise SheetError([_located(d, text, changed) for d in error.diagnostics]) from None
        refuse_changed(loaded, path)
        if write:
            path.write_text(text, encoding="utf-8")
    return Imported(tuple(changed), text)


def _check_header(workbook: Path, table: dict[str, Any], name: str) -> None:
    openpyxl = _openpyxl()
    sheet = openpyxl.load_workbook(str(workbook), read_only=True)[_sheet_name(name)]
    header = [c.value for c in next(sheet.iter_rows(min_row=HEADER_ROWS, max_row=HEADER_ROWS))]
    expected = [str(n) for n in [*(table.get("inputs") or []), *(table.get("outputs") or [])]]
    problems = [f"{sheet.title}!{openpyxl.utils.get_column_letter(k)}{HEADER_ROWS}: the column is {want!r} in the "
                f"rule file (got {got!r}); change inputs and outputs in the rule file, not in the sheet"
                for k, (want, got) in enumerate(zip(expected, header + [None] * len(expected)), start=1) if want != got]
    if problems:
        raise SheetError(problems)


def _located(diagnostic: Diagnostic, text: str, tables: list[str]) -> str:
    """A diagnostic on an imported row as its sheet and cell; any other as the rule file names it."""
    from openpyxl.utils import get_column_letter

    data, source, _ = load_yaml(text)
    offset = sum(len(t) for t in text.splitlines(True)[:(diagnostic.line or 1) - 1]) + (diagnostic.column or 1) - 1
    for table in tables:
        index = table_index(data, table)
        for r, row in enumerate(data["tables"][index]["rows"]):
            span = source.spans.get(("tables", index, "rows", r))
            if span is None or not span.start <= offset <= span.end:
                continue
            cells = [source.spans.get(("tables", index, "rows", r, k)) for k in range(len(row))]
            column = next((k for k, c in enumerate(cells) if c is not None and c.start <= offset <= c.end), 0)
            hint = f"; {diagnostic.hint}" if diagnostic.hint else ""
            where = f"{_sheet_name(table)}!{get_column_letter(column + 1)}{HEADER_ROWS + 1 + r}"
            return f"{where}: {diagnostic.code} {diagnostic.message}{hint}"
    return diagnostic.render()
