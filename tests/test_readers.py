"""Readers that lose nothing: the corpus of bad customer files (tests/fixtures/bad_customers/,
expected.json) decided on every backend. Every row in is a row out, in input order, with its line
or row number; the rows that cannot be read or decided come back with the same reason on each
backend; the summary adds up and counts duplicated ids; unknown columns are warnings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import marketing_rules as mr
from marketing_rules.batch import SourceError
from marketing_rules.cli import main
from tests.conftest import FIXTURES, ROOT

pytest.importorskip("pyarrow")

CORPUS = FIXTURES / "bad_customers"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
GOTONE = ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml"


@pytest.fixture(scope="module")
def rs() -> mr.Ruleset:
    return mr.load_ruleset(GOTONE)


def outcome(rs: mr.Ruleset, name: str, backend: str, spark: Any = None) -> tuple[list[list[Any]], Any]:
    options = EXPECTED[name].get("options", {})
    result = rs.evaluate_batch(str(CORPUS / name), backend=backend, spark=spark, **options)
    table = result.table.toArrow() if hasattr(result.table, "toArrow") else result.table
    rows = [[r["row"], r["id"], r["error"]] for r in table.to_pylist()]
    return rows, result.summary


def check_file(rs: mr.Ruleset, name: str, backend: str, spark: Any = None) -> None:
    want = EXPECTED[name]
    if "source_error" in want:
        with pytest.raises(SourceError) as raised:
            outcome(rs, name, backend, spark)
        assert want["source_error"] in str(raised.value)
        return
    rows, summary = outcome(rs, name, backend, spark)
    assert rows == want["rows"], name
    rejected = sum(1 for _, _, error in want["rows"] if error is not None)
    assert (summary.rows_in, summary.decided, summary.rejected) == (len(rows), len(rows) - rejected, rejected)
    assert summary.adds_up
    assert summary.duplicated == want.get("duplicated", 0)
    assert list(summary.warnings) == want.get("warnings", [])


def test_the_corpus_has_forty_files_or_more() -> None:
    assert len(EXPECTED) >= 40
    assert all((CORPUS / name).is_file() for name in EXPECTED)
    kinds = {Path(name).suffix for name in EXPECTED}
    assert {".csv", ".jsonl", ".parquet"} <= kinds


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("backend", ["native", "duckdb"])
def test_every_bad_file_comes_back_row_for_row(rs: mr.Ruleset, backend: str, name: str) -> None:
    check_file(rs, name, backend)


@pytest.mark.spark
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_spark_reads_the_corpus_as_the_others_do(rs: mr.Ruleset, name: str, spark: Any) -> None:  # noqa: F811
    check_file(rs, name, "spark", spark)


def test_a_parquet_output_keeps_every_row_and_its_number(rs: mr.Ruleset, tmp_path: Path) -> None:
    out = tmp_path / "decisions.parquet"
    result = rs.evaluate_batch(str(CORPUS / "extra-field.csv"), out=out)
    import pyarrow.parquet as pq

    table = pq.read_table(out).sort_by("row")
    assert table.column("row").to_pylist() == [2, 3, 4] and result.summary.rejected == 1


def test_rows_of_several_files_are_numbered_in_their_file(rs: mr.Ruleset) -> None:
    files = [str(CORPUS / "extra-field.csv"), str(CORPUS / "missing-field.csv")]
    for backend in ("native", "duckdb"):
        rows = rs.evaluate_batch(files, backend=backend).table.to_pylist()
        assert [r["row"] for r in rows] == [2, 3, 4, 2, 3, 4], backend


def parts(folder: Path) -> list[Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for k, ids in ((1, ["a", "b"]), (2, ["c", "a", "d"])):
        pq.write_table(pa.table({"id": ids}), folder / f"part-{k}.parquet")
    return [folder / "part-2.parquet", folder / "part-1.parquet"]


@pytest.mark.parametrize("backend", ["native", "duckdb"])
def test_parquet_files_are_taken_in_the_order_given(rs: mr.Ruleset, backend: str, tmp_path: Path) -> None:
    table = rs.evaluate_batch(parts(tmp_path), backend=backend, unique_ids=True).table
    assert [(r["id"], r["row"], r["error"]) for r in table.to_pylist()] == [
        ("c", 1, None), ("a", 2, None), ("d", 3, None), ("a", 1, "id: appears more than once (first on row 2)"),
        ("b", 2, None)]


@pytest.mark.spark
def test_spark_takes_parquet_files_in_the_order_given(rs: mr.Ruleset, tmp_path: Path, spark: Any) -> None:  # noqa: F811
    table = rs.evaluate_batch(parts(tmp_path), backend="spark", spark=spark, unique_ids=True).table.toArrow()
    assert [(r["id"], r["row"], r["error"]) for r in table.to_pylist()] == [
        ("c", 1, None), ("a", 2, None), ("d", 3, None), ("a", 1, "id: appears more than once (first on row 2)"),
        ("b", 2, None)]


def test_a_table_in_memory_is_numbered_from_one(rs: mr.Ruleset) -> None:
    import pyarrow as pa

    table = pa.table({"id": ["a", "b", "a"], "arpu_3m": ["1", "x", "2"]})
    for backend in ("native", "duckdb"):
        result = rs.evaluate_batch(table, backend=backend)
        assert [r["row"] for r in result.table.to_pylist()] == [1, 2, 3]
        assert result.summary.duplicated == 1 and "1 duplicated ids" in str(result.summary)


def test_a_missing_file_is_named(rs: mr.Ruleset, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        rs.evaluate_batch(str(tmp_path / "nothing.csv"))
    with pytest.raises(SourceError, match="no file matches"):
        rs.evaluate_batch(str(tmp_path / "part-*.parquet"))


def run(*args: Any) -> Any:
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("name", ["semicolons.csv", "header-twice.csv", "header-not-utf8.csv"])
def test_the_command_line_names_an_unreadable_file_in_one_line(name: str) -> None:
    result = run("eval", GOTONE, "--customers", CORPUS / name)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.startswith("error: ") and result.output.count("\n") == 1
    assert EXPECTED[name]["source_error"] in result.output


def test_the_command_line_decides_a_bad_json_lines_file(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = run("eval", GOTONE, "--customers", CORPUS / "bad-line.jsonl", "--out", out)
    assert result.exit_code == 1 and "3 customers in, 2 decided, 1 rejected" in result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["row"] for r in rows] == [1, 2, 3] and rows[1]["error"].startswith("line 2: not JSON")


def test_the_command_line_takes_the_delimiter_and_unique_ids(tmp_path: Path) -> None:
    result = run("eval", GOTONE, "--customers", CORPUS / "semicolons-option.csv", "--delimiter", ";")
    assert result.exit_code == 1 and "2 customers in, 1 decided, 1 rejected" in result.output
    result = run("eval", GOTONE, "--customers", CORPUS / "duplicate-ids.csv", "--unique-ids")
    assert result.exit_code == 1 and "4 customers in, 2 decided, 2 rejected, 2 duplicated ids" in result.output


@pytest.mark.parametrize("name", ["extra-field.csv", "bad-line.jsonl", "int-for-string.parquet"])
def test_diff_measures_csv_json_lines_and_parquet(name: str) -> None:
    result = run("diff", GOTONE, GOTONE, "--customers", CORPUS / name)
    assert result.exit_code == 0, result.output
    rows = EXPECTED[name]["rows"]
    decided = sum(1 for *_, error in rows if error is None)
    assert f"{decided} customers decided under both versions ({len(rows) - decided} rejected as invalid)" in result.output


def test_diff_names_an_unreadable_file_in_one_line() -> None:
    result = run("diff", GOTONE, GOTONE, "--customers", CORPUS / "semicolons.csv")
    assert result.exit_code == 2 and "Traceback" not in result.output and "--delimiter ';'" in result.output


def test_a_missing_extra_names_the_package_to_install(rs: mr.Ruleset, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real = builtins.__import__

    def without_duckdb(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "duckdb" or name.startswith("duckdb."):
            raise ModuleNotFoundError("No module named 'duckdb'", name="duckdb")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_duckdb)
    with pytest.raises(mr.batch.MissingDependency, match=r"pip install 'marketing-rules\[batch\]'"):
        rs.evaluate_batch(str(CORPUS / "bom.csv"))
    result = run("eval", GOTONE, "--customers", CORPUS / "bom.csv")
    assert result.exit_code == 2 and "pip install 'marketing-rules[batch]'" in result.output
