"""Batch inputs and outputs: every kind of source, bad values that come back as errors (never
lost: rows in = decided + rejected), Parquet out, and the command line."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import marketing_rules as mr
from marketing_rules.cli import main
from tests.conftest import FIXTURES, ROOT
from tests.test_batch_conformance import differences, error_fields, native, ruleset, table_of

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

GOTONE = ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml"
BAD = FIXTURES / "sql" / "bad_customers.csv"


def expected_fields() -> list[set[str]]:
    with BAD.open(encoding="utf-8") as handle:
        return [set(row["expect"].split()) for row in csv.DictReader(handle)]


def assert_errors_as_expected(table: Any) -> None:
    expected = expected_fields()
    rows = table.to_pylist()
    assert len(rows) == len(expected)
    for number, (row, fields) in enumerate(zip(rows, expected, strict=True), start=2):
        got = error_fields(row["error"]) if row["error"] else set()
        assert got == fields, f"line {number} of {BAD.name}: expected errors in {fields}, got {row['error']!r}"
        if row["error"]:
            assert row["tier"] is None and row["offers"] is None and row["fired"] is None


@pytest.mark.parametrize("backend", ["duckdb", "native"])
def test_every_bad_value_comes_back_with_its_error(backend: str) -> None:
    rs = ruleset(GOTONE)
    result = rs.evaluate_batch(str(BAD), backend=backend)
    assert_errors_as_expected(result.table)
    summary = result.summary
    assert summary.rows_in == 18 and summary.rejected == 15 and summary.decided == 3 and summary.adds_up


def test_sql_errors_name_the_field_the_reason_and_the_value() -> None:
    errors = [row["error"] for row in ruleset(GOTONE).evaluate_batch(str(BAD)).table.to_pylist()]
    assert errors[0] is None
    assert errors[1] == "arpu: is not a number (got abc)"
    assert errors[2] == "arpu: must be greater than or equal to 0 (got -5)"
    assert errors[3] == "voice_min: is not an integer (got 12.5)"
    assert errors[6] == "card: must be one of none, silver, gold, diamond (got platinum)"
    assert errors[12] == "id: is required"
    assert errors[13] == "arpu: must be greater than or equal to 0 (got -1); uses_data: is not true or false (got 2)"


def test_bad_values_in_typed_columns() -> None:
    rs = ruleset(GOTONE)
    table = pa.table({
        "id": pa.array([1, 2, 3, 4, 5, 6], pa.int64()),  # customer numbers stored as integers are read as text
        "arpu": pa.array([10.0, float("nan"), -0.01, 5.0, None, 7.0]),
        "voice_min": pa.array([12.0, 1.0, 2.0, 12.5, None, 3.0]),
        "uses_data": pa.array([1, 0, 1, 1, 2, None], pa.int64()),
        "package": pa.array([None, None, None, None, 38, None], pa.int64()),
    })
    expected = [set(), {"arpu"}, {"arpu"}, {"voice_min"}, {"uses_data", "package"}, set()]
    for backend in ("duckdb", "native"):
        rows = rs.evaluate_batch(table, backend=backend).table.to_pylist()
        assert [error_fields(r["error"]) if r["error"] else set() for r in rows] == expected, backend
        assert rows[0]["id"] == "1"


def test_an_infinite_or_huge_number_is_rejected_by_every_backend() -> None:
    """Exact decimals have 18 digits before the point: inf, NaN and 10^19 are rejected everywhere."""
    rs = ruleset(GOTONE)
    table = pa.table({"id": ["1", "2", "3", "4"], "arpu": [float("inf"), 1e19, float("nan"), 999_999_999_999.5]})
    expected = ["arpu: is not a finite number (got inf)", "arpu: is not below 10^18 in magnitude (got 1e+19)",
                "arpu: is not a finite number (got nan)", None]
    for backend in ("duckdb", "native"):
        assert [r["error"] for r in rs.evaluate_batch(table, backend=backend).table.to_pylist()] == expected, backend
    for value in (float("inf"), -1e19, float("nan")):
        with pytest.raises(mr.FactsError, match="arpu"):
            rs.evaluate({"id": "1", "arpu": value})


def test_a_unique_table_with_two_matching_rows_rejects_the_row() -> None:
    rs = ruleset(FIXTURES / "sql" / "hits.yaml")
    table = table_of(rs, [{"id": "1", "arpu": 55.0}, {"id": "2", "arpu": 70.0}])
    for backend in ("duckdb", "native"):
        rows = rs.evaluate_batch(table, backend=backend).table.to_pylist()
        assert rows[0]["error"] == "table 'bands' has hit policy unique, but rows 2, 3 all match"
        assert rows[1]["error"] is None and rows[1]["band"] == "mid"


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from marketing_rules.synthetic import customers

    folder = tmp_path_factory.mktemp("city")
    rs = ruleset(GOTONE)
    table = table_of(rs, list(customers(2000, 21)))
    pq.write_table(table.slice(0, 1000), folder / "part-1.parquet")
    pq.write_table(table.slice(1000), folder / "part-2.parquet")
    import pyarrow.csv as pcsv

    pcsv.write_csv(table, folder / "city.csv")
    return {"folder": folder, "table": table, "expected": native(rs, table)}


@pytest.mark.parametrize("kind", ["arrow", "pandas", "polars", "parquet-glob", "parquet-list", "csv"])
def test_every_kind_of_source_gives_the_same_decisions(kind: str, city: dict[str, Any]) -> None:
    folder, table = city["folder"], city["table"]
    source: Any = {
        "arrow": lambda: table,
        "pandas": lambda: table.to_pandas(),
        "polars": lambda: pytest.importorskip("polars").from_arrow(table),
        "parquet-glob": lambda: str(folder / "part-*.parquet"),
        "parquet-list": lambda: [folder / "part-1.parquet", folder / "part-2.parquet"],
        "csv": lambda: str(folder / "city.csv"),
    }[kind]()
    result = ruleset(GOTONE).evaluate_batch(source)
    assert result.summary.rows_in == 2000 and result.summary.adds_up
    assert not differences(city["expected"], result.table, places=kind in ("arrow", "pandas", "polars"))


@pytest.mark.parametrize("backend", ["duckdb", "native"])
def test_parquet_out(backend: str, city: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "decisions.parquet"
    result = ruleset(GOTONE).evaluate_batch(str(city["folder"] / "part-*.parquet"), backend=backend, out=out)
    assert result.table is None and result.out == str(out)
    written = pq.read_table(out).sort_by("id")  # a Parquet output is in DuckDB's streaming order
    assert written.num_rows == 2000 and not differences(city["expected"].sort_by("id"), written, places=False)
    assert result.summary.decided == 2000 and result.summary.rejected == 0


def test_unknown_backend_and_source_are_named() -> None:
    rs = ruleset(GOTONE)
    with pytest.raises(ValueError, match="the backends are duckdb, spark, native"):
        rs.evaluate_batch("x.parquet", backend="oracle")
    with pytest.raises(mr.batch.SourceError, match="name files .parquet, .csv or .jsonl"):
        rs.evaluate_batch("customers.xlsx")
    with pytest.raises(mr.batch.SourceError, match="cannot read customers from a dict"):
        rs.evaluate_batch({"id": "1"})


def test_cli_eval_a_file_of_customers_to_parquet(city: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(main, ["eval", str(GOTONE), "--customers", str(city["folder"] / "city.csv"),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2,000 customers in, 2,000 decided, 0 rejected" in result.output
    assert not differences(city["expected"].sort_by("id"), pq.read_table(out).sort_by("id"), places=False)


def test_cli_eval_reports_rejected_rows_and_exits_1(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["eval", str(GOTONE), "--customers", str(BAD), "--out", str(out),
                                       "--backend", "duckdb"])
    assert result.exit_code == 1
    assert "18 customers in, 3 decided, 15 rejected" in result.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 18


def test_cli_eval_json_lines_on_a_backend(tmp_path: Path) -> None:
    lines = tmp_path / "customers.jsonl"
    lines.write_text('{"id": "1", "arpu_3m": 250.0, "card": "gold"}\n{"id": "2", "arpu": -1}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", str(GOTONE), "--customers", str(lines), "--backend", "duckdb"])
    assert result.exit_code == 1
    assert '"tier": "gold"' in result.output and "arpu: must be greater than or equal to 0" in result.output


def test_points_and_numbers_keep_their_types() -> None:
    rs = ruleset(FIXTURES / "sql" / "groups.yaml")
    table = table_of(rs, [{"id": "1", "arpu": 58.9, "arpu_3m": 250.0, "tenure_months": 9, "voice_min": 200}])
    (row,) = rs.evaluate_batch(table).table.to_pylist()
    decision = rs.evaluate({"id": "1", "arpu": 58.9, "arpu_3m": 250.0, "tenure_months": 9, "voice_min": 200})
    assert math.isclose(row["points"], decision.points) and row["budget"] == decision.facts["budget"]
    assert row["offers"] == [o.id for o in decision.offers]
    assert dict(row["access"]) == {s: list(a.modes) for s, a in decision.access.items()}


@pytest.mark.parametrize("backend", ["duckdb", "native"])
def test_columns_keeps_the_chosen_ones_with_id_and_error(backend: str, city: dict[str, Any], tmp_path: Path) -> None:
    source = str(city["folder"] / "part-*.parquet")
    full = city["expected"].sort_by("id")
    narrow = ruleset(GOTONE).evaluate_batch(source, backend=backend, columns=["offers", "tier"]).table.sort_by("id")
    assert narrow.column_names == ["id", "row", "tier", "offers", "error"]  # in the output's own order
    for name in narrow.column_names:
        if name != "row":  # the row in its part file
            assert narrow.column(name).to_pylist() == full.column(name).to_pylist(), name
    out = tmp_path / "narrow.parquet"
    written = ruleset(GOTONE).evaluate_batch(source, backend=backend, out=out, columns=["fired"])
    assert pq.read_table(out).column_names == ["id", "row", "fired", "error"] and written.summary.decided == 2000


def test_columns_keep_the_errors_of_rejected_rows() -> None:
    table = ruleset(GOTONE).evaluate_batch(str(BAD), columns=["offers"]).table
    assert table.column_names == ["id", "row", "offers", "error"]
    assert table.column("error").to_pylist()[2] == "arpu: must be greater than or equal to 0 (got -5)"


def test_an_unknown_column_is_named_with_the_columns_there_are() -> None:
    with pytest.raises(ValueError, match="no output column 'ofers'; the columns are id, row, tier, trend, tags, offers, access"):
        ruleset(GOTONE).evaluate_batch(str(BAD), columns=["ofers"])


def test_cli_eval_columns(city: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    result = CliRunner().invoke(main, ["eval", str(GOTONE), "--customers", str(city["folder"] / "city.csv"),
                                       "--out", str(out), "--columns", "tier,offers"])
    assert result.exit_code == 0, result.output
    assert pq.read_table(out).column_names == ["id", "row", "tier", "offers", "error"]
    bad = CliRunner().invoke(main, ["eval", str(GOTONE), "--customers", str(BAD), "--columns", "tiers"])
    assert bad.exit_code == 2 and "no output column 'tiers'" in bad.output


@pytest.mark.spark
def test_columns_on_spark(city: dict[str, Any], spark: Any) -> None:  # noqa: F811
    frame = ruleset(GOTONE).evaluate_batch(str(city["folder"] / "part-*.parquet"), backend="spark", spark=spark,
                                           columns=["offers"]).table
    assert frame.columns == ["id", "row", "offers", "error"]
    got = {row["id"]: list(row["offers"]) for row in frame.collect()}
    assert got == dict(zip(city["expected"].column("id").to_pylist(), city["expected"].column("offers").to_pylist(), strict=True))
