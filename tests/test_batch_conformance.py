"""One conformance suite for every batch backend: the SQL backends decide exactly as the
per-customer engine, row by row, on customers drawn by hypothesis, against the fixture rulesets
of tests/fixtures/sql and every ruleset shipped under rulesets/ (found afresh on every run).

Numbers drawn sit on the rulesets' boundaries often: money edges, and pairs of facts in exact
ratios (arpu exactly 0.8 of arpu_prev), where float arithmetic would decide differently.
"""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.batch.output import output_schema
from marketing_rules.expressions.numbers import to_number
from marketing_rules.model.schema import FactSchema, FactSpec
from marketing_rules.versioning.registry import rule_files
from tests.conftest import FIXTURES, ROOT, spark  # noqa: F401  (spark: for the modules that import it from here)

pa = pytest.importorskip("pyarrow")
pytest.importorskip("duckdb")
pytest.importorskip("sqlglot")

SHIPPED = sorted(rule_files(ROOT / "rulesets"))
FIXTURE_RULESETS = sorted((FIXTURES / "sql").glob("*.yaml"))
ALL_RULESETS = FIXTURE_RULESETS + SHIPPED + [ROOT / "bench" / "rulesets" / "peer-workload" / "1.0.0.yaml"]
IDS = [f"{p.parent.name}/{p.stem}" for p in ALL_RULESETS]
_LOADED: dict[Path, mr.Ruleset] = {}


def ruleset(path: Path) -> mr.Ruleset:
    if path not in _LOADED:
        _LOADED[path] = mr.load_ruleset(path)
    return _LOADED[path]


# -- customers ---------------------------------------------------------------------------------
MONEY = [0, 0.01, 10, 40, 49.99, 50, 60, 80, 88, 99.99, 100, 119.99, 120, 120.01, 128, 150, 188, 199.99, 200,
         288, 499.99, 500, 800]
COUNTS = [0, 1, 2, 3, 5, 6, 11, 12, 13, 23, 24, 36, 59, 60, 90, 100, 120, 160, 300, 340, 1000, 1200]
PACKAGES = ["basic-38", "gotone-88", "gotone-128", "gotone-188", "gotone-288", "pop-58", "business-88"]
RATIOS = [Decimal("0.5"), Decimal("0.7"), Decimal("0.8"), Decimal("0.9"), Decimal("1.2"), Decimal("1.25")]
PAIRS = [("arpu", "arpu_prev"), ("voice_min", "voice_min_prev"), ("data_mb", "data_mb_prev")]


def fact_value(spec: FactSpec) -> st.SearchStrategy[Any]:
    if spec.type == "number":
        low = -100 if spec.ge is None else spec.ge
        numbers = st.one_of(st.sampled_from(MONEY), st.decimals(low, 2000, places=2).map(float))
        return st.one_of(st.none(), numbers.filter(lambda v: v >= low))
    if spec.type == "integer":
        low = int(spec.ge) if spec.ge is not None else -50
        high = int(spec.le) if spec.le is not None else 2000
        return st.one_of(st.none(), st.sampled_from([c for c in COUNTS if low <= c <= high] or [low]),
                         st.integers(low, high))
    if spec.type == "enum":
        return st.one_of(st.none(), st.sampled_from(spec.values))
    if spec.type == "boolean":
        return st.one_of(st.none(), st.booleans())
    return st.one_of(st.none(), st.sampled_from(PACKAGES))


@st.composite
def customer(draw: Any, schema: FactSchema) -> dict[str, Any]:
    facts: dict[str, Any] = {"id": draw(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))}
    for spec in schema.facts[1:]:
        if spec.type != "list" and draw(st.integers(0, 7)):
            facts[spec.name] = draw(fact_value(spec))
    for now, before in PAIRS:  # exact ratios: the boundaries of trend and warning rules
        if now in schema and before in schema and facts.get(before) is not None and draw(st.booleans()):
            exact = Decimal(str(facts[before])) * draw(st.sampled_from(RATIOS))
            if schema[now].type == "integer":
                if exact == exact.to_integral_value():
                    facts[now] = int(exact)
            elif exact >= 0:
                facts[now] = float(exact)
    if "arpu_3m" in schema and facts.get("arpu") is not None and draw(st.integers(0, 5)) == 0:
        facts["arpu_3m"] = float(Decimal(str(facts["arpu"])) * 6)
    return facts


def batches(rs: mr.Ruleset, max_size: int = 25) -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(customer(rs.program.schema), min_size=1, max_size=max_size)


def arrow_type(spec: FactSpec) -> Any:
    return {"integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}.get(spec.type, pa.string())


def table_of(rs: mr.Ruleset, rows: list[dict[str, Any]]) -> Any:
    """Customers as an Arrow table with each fact's natural column type."""
    specs = [s for s in rs.program.schema.facts if s.type != "list"]
    schema = pa.schema([pa.field(s.name, arrow_type(s)) for s in specs])
    return pa.Table.from_pylist([{s.name: row.get(s.name) for s in specs} for row in rows], schema=schema)


# -- comparing decisions -------------------------------------------------------------------------
def error_fields(error: str) -> set[str]:
    """The fields an error names (``field: reason; ...``), or the table of a unique violation."""
    if error.startswith("table '"):
        return {error.split("'")[1]}
    return {part.split(":", 1)[0].strip() for part in error.split("; ") if ":" in part}


def _same(a: Any, b: Any) -> bool:
    """Equal, numbers as the contract's decimals (ten places, half away from zero)."""
    if isinstance(a, (float, Decimal)) and isinstance(b, (float, Decimal)):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            return True
        return to_number(a) == to_number(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def differences(expected: Any, got: Any, limit: int = 5, places: bool = True) -> list[str]:
    """Rows where ``got`` decides differently from ``expected`` (the per-customer engine); without
    ``places``, the row numbers are not compared (the same rows read from files split otherwise)."""
    if hasattr(got, "toArrow"):
        got = got.toArrow()
    assert got.num_rows == expected.num_rows, f"{got.num_rows} rows out for {expected.num_rows} in"
    found = []
    for number, (want, have) in enumerate(zip(expected.to_pylist(), got.to_pylist(), strict=True)):
        if want["error"] is not None:
            if have["error"] is None or error_fields(want["error"]) != error_fields(have["error"]):
                found.append(f"row {number}: error {want['error']!r}, got {have['error']!r}")
            continue
        for column, value in want.items():
            if column == "row" and not places:
                continue
            other = have[column]
            if column == "access" and value is not None and other is not None:
                value, other = dict(value), dict(other)
            if not _same(value, other):
                found.append(f"row {number} ({want['id']}): {column} {value!r}, got {other!r}")
        if len(found) >= limit:
            break
    return found


def native(rs: mr.Ruleset, table: Any) -> Any:
    return rs.evaluate_batch(table, backend="native").table


def check_backend(rs: mr.Ruleset, table: Any, backend: str, **options: Any) -> None:
    result = rs.evaluate_batch(table, backend=backend, **options)
    assert result.summary.adds_up and result.summary.rows_in == table.num_rows
    expected = native(rs, table)
    problems = differences(expected, result.table)
    assert not problems, "\n".join(problems)
    assert result.summary.rejected == expected.num_rows - expected.column("error").null_count


# -- DuckDB --------------------------------------------------------------------------------------
DUCKDB = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                       HealthCheck.data_too_large])


@pytest.mark.parametrize("path", ALL_RULESETS, ids=IDS)
def test_duckdb_decides_as_the_per_customer_engine(path: Path) -> None:
    rs = ruleset(path)

    @DUCKDB
    @given(batches(rs))
    def check(rows: list[dict[str, Any]]) -> None:
        check_backend(rs, table_of(rs, rows), "duckdb")

    check()


@pytest.mark.parametrize("path", ALL_RULESETS, ids=IDS)
def test_duckdb_on_a_synthetic_city_block(path: Path) -> None:
    from marketing_rules.synthetic import customers

    rs = ruleset(path)
    check_backend(rs, table_of(rs, list(customers(3000, 11))), "duckdb")


def test_every_shipped_ruleset_is_in_the_suite() -> None:
    shipped = {p.parent.name for p in rule_files(ROOT / "rulesets")}
    assert shipped <= {p.parent.name for p in ALL_RULESETS}
    assert len(SHIPPED) >= 1


def test_output_columns_follow_the_spec() -> None:
    rs = ruleset(ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml")
    result = rs.evaluate_batch(table_of(rs, [{"id": "1", "arpu_3m": 250.0, "card": "gold"}]))
    assert result.table.schema.names == ["id", "row", "tier", "trend", "tags", "offers", "access", "points", "fired", "error"]
    assert result.table.schema == output_schema(rs.program)
    (row,) = result.table.to_pylist()
    assert row["tier"] == "gold" and row["fired"] == ["tier-by-card-and-arpu#2"] and row["error"] is None
    assert dict(row["access"])["airport-lounge"] == ["free"]


# -- Spark ---------------------------------------------------------------------------------------
def drawn(rs: mr.Ruleset, examples: int) -> list[dict[str, Any]]:
    """Customers drawn by hypothesis (derandomized: the same on every run), gathered into one batch:
    a Spark job costs seconds, so the drawn batches are decided by one job."""
    gathered: list[dict[str, Any]] = []

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(batches(rs, 40))
    def gather(rows: list[dict[str, Any]]) -> None:
        gathered.extend(rows)

    gather()
    return gathered


@pytest.mark.spark
@pytest.mark.parametrize("path", ALL_RULESETS, ids=IDS)
def test_spark_decides_as_the_per_customer_engine(path: Path, spark: Any) -> None:  # noqa: F811
    from marketing_rules.synthetic import customers

    rs = ruleset(path)
    rows = drawn(rs, 12) + list(customers(300, 5))
    check_backend(rs, table_of(rs, rows), "spark", spark=spark)


def test_a_stored_quotient_keeps_an_exact_tie() -> None:
    """40.6125 / 32.49 is 1.25 exactly (1.2499999999999998 in a DOUBLE division): the quotient is an
    exact decimal, so ``ratio >= 1.25`` holds in SQL as in the per-customer engine."""
    rs = ruleset(FIXTURES / "sql" / "arith.yaml")
    row = {"id": "13000000000", "arpu_prev": 32.49, "voice_min": 0, "sms": 0, "arpu": 40.6125, "arpu_3m": 243.675}
    assert "ratio-high" in rs.evaluate(row).fired
    check_backend(rs, table_of(rs, [row]), "duckdb")
