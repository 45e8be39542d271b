"""Input validation agrees on every backend: the per-customer engine (pydantic, as the native batch
reads a source), DuckDB and Spark accept the same rows with the same values, and reject the others
with the same reason text.

Hypothesis draws a small table whose columns come as CSV text or as typed Arrow columns (int64,
float64, decimals of several scales, strings, booleans), filled with nasty values: spaces, signs,
exponents, underscores, full-width digits, NaN and inf, huge and tiny numbers, more than 10 places,
-0, leading zeros, booleans in every case, enum values with spaces. The rules are
marketing_rules/model/input_rules.py (docs/dsl.md, "Input values").
"""

from __future__ import annotations

import csv
import tempfile
from decimal import ROUND_HALF_UP, Context, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlglot import exp

from marketing_rules.backends.sql_expressions import SQL_DIALECTS
from marketing_rules.backends.validation_sql import validated
from marketing_rules.batch.sources import duckdb_relation, spark_frame, spark_kinds
from marketing_rules.errors import FactsError
from marketing_rules.expressions.numbers import to_number
from marketing_rules.model.schema import builtin_schema

pa = pytest.importorskip("pyarrow")
duckdb = pytest.importorskip("duckdb")

SCHEMA = builtin_schema("telecom-customer")
FACTS = ("id", "tenure_months", "birthday_month", "arpu", "balance", "uses_data", "card", "package")
ORDER = ("__file", "__row")

# -- nasty cells ---------------------------------------------------------------------------------
WORDS = ["NaN", "nan", "-nan", "inf", "-inf", "Infinity", "+inf", "true", "True ", " TRUE", "tRuE", "false", "FALSE",
         "yes", "No", "ON", "off", "t", "F", "y", "N", "1", "0", "2", "-1", "-0", "+0", "00", "007", "1e1", "1E+3",
         "1.5e-3", "1_000", "1,000", "0x10", "１２", "٣", "12.0", "12.", ".5", "5.", "-.5", "+.5", ".", "+", "-",
         "1000000000000000000", "1000000000000000001", "-1000000000000000000", "999999999999999999.99999999995",
         "999999999999999999.9999999999", "9223372036854775808", "1" + "0" * 40, "0." + "0" * 30 + "1",
         "0.00000000005", "-0.00000000005", "0.00000000004999", "431960.59", "254779.624", "0.12345678905",
         "123456789.0123456789", "  12  ", "\t12", "12\u3000", "12\n", "gold", " gold", "GOLD", "gold ", "diamond",
         "none", "", " ", "13", "12.5", "-5", "1.0000000000000000001"]
SPACES = st.sampled_from(["", "", " ", "  ", "\t"])
integers_text = st.builds(lambda sign, zeros, n, tail: f"{sign}{zeros}{n}{tail}",
                          st.sampled_from(["", "", "+", "-"]), st.sampled_from(["", "", "0", "000"]),
                          st.one_of(st.integers(0, 20), st.integers(0, 10**20)),
                          st.sampled_from(["", "", ".0", ".00", ".", ".5", "e1", "_0"]))
decimals_text = st.builds(lambda sign, d: sign + format(d, "f"), st.sampled_from(["", "-", "+"]),
                          st.decimals(min_value=0, max_value=Decimal(10) ** 19, allow_nan=False, places=14))
padded = st.builds(lambda left, text, right: left + text + right, SPACES, st.one_of(integers_text, decimals_text), SPACES)
texts = st.one_of(st.sampled_from(WORDS), integers_text, decimals_text, padded,
                  st.text(alphabet="0123456789+-.eE_ 　１TtRrUuEeFfAaLlSs", max_size=8))

floats = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, 431960.59, 1e18, -1e18, 9.999999999999999e17, 1e-11,
                                                 5e-11, 0.12345678905, 2.0**63, 12.0, 1.0, 0.5]))
ints = st.one_of(st.integers(-5, 15), st.integers(-(2**63), 2**63 - 1),
                 st.sampled_from([10**18, 10**18 + 1, -(10**18), -(10**18) - 1, 2**63 - 1, -(2**63)]))
SCALES = (0, 2, 10, 12, 20)
WIDE = Context(prec=80)


def decimals(scale: int) -> st.SearchStrategy[Decimal]:
    bound = Decimal(10) ** (38 - scale) - Decimal(1).scaleb(-scale)
    drawn = st.one_of(st.decimals(-bound, bound, places=scale),
                      st.decimals(-min(bound, 10**19), min(bound, 10**19), places=scale),
                      st.decimals(-15, 15, places=scale))
    return drawn.map(lambda d: d.quantize(Decimal(1).scaleb(-scale), context=WIDE)).filter(lambda d: len(d.as_tuple().digits) <= 38)


COLUMN_KINDS = ("int64", "float64", "string", "bool", *(f"decimal{s}" for s in SCALES))


@st.composite
def typed_column(draw: Any, kind: str, rows: int) -> Any:
    """An Arrow column of ``kind`` with ``rows`` values (some null)."""
    if kind == "int64":
        values, arrow_type = st.one_of(st.none(), ints), pa.int64()
    elif kind == "float64":
        values, arrow_type = st.one_of(st.none(), floats), pa.float64()
    elif kind == "string":
        values, arrow_type = st.one_of(st.none(), texts), pa.string()
    elif kind == "bool":
        values, arrow_type = st.one_of(st.none(), st.booleans()), pa.bool_()
    else:
        scale = int(kind.removeprefix("decimal"))
        values, arrow_type = st.one_of(st.none(), decimals(scale)), pa.decimal128(38, scale)
    return pa.array(draw(st.lists(values, min_size=rows, max_size=rows)), arrow_type)


def csv_safe(text: str) -> bool:
    return "\n" not in text and "\r" not in text and text.strip() != ""  # an empty or blank cell reads as null


@st.composite
def sources(draw: Any, *, typed: bool = True, text: bool = True) -> tuple[str, Any]:
    """("csv", rows as text) or ("arrow", a table), with an id column and a few facts."""
    rows = draw(st.integers(1, 4))
    names = draw(st.lists(st.sampled_from(FACTS[1:]), min_size=1, max_size=4, unique=True))
    if text and (not typed or draw(st.booleans())):
        cells = st.one_of(st.none(), texts.filter(csv_safe))
        ids = st.one_of(st.none(), st.sampled_from(["1", " 2", "0x", "３"]))
        table = {name: draw(st.lists(cells, min_size=rows, max_size=rows)) for name in names}
        table["id"] = draw(st.lists(ids, min_size=rows, max_size=rows))
        return "csv", table
    columns = {name: draw(typed_column(draw(st.sampled_from(COLUMN_KINDS)), rows)) for name in names}
    id_kind = draw(st.sampled_from(["string", "int64", "float64", "bool"]))
    columns["id"] = draw(typed_column(id_kind, rows)) if id_kind != "string" else pa.array(
        draw(st.lists(st.one_of(st.none(), st.sampled_from(["1", "", " x", "２"])), min_size=rows, max_size=rows)))
    return "arrow", pa.table(columns)


def materialised(source: tuple[str, Any], folder: Path) -> Any:
    kind, data = source
    if kind != "csv":
        return data
    path = folder / "customers.csv"
    names = list(data)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(names)
        for row in zip(*(data[n] for n in names), strict=True):
            writer.writerow(["" if v is None else v for v in row])
    return str(path)


# -- each backend's reading ------------------------------------------------------------------------
def native(source: Any) -> list[tuple[str | None, dict[str, Any]]]:
    """(error, values) per row, as the native batch reads and validates each row."""
    con = duckdb.connect()
    duckdb_relation(con, source)
    reader = con.sql("SELECT * EXCLUDE (__file, __row) FROM customers ORDER BY __file, __row").to_arrow_table()
    found = []
    for row in reader.to_pylist():
        try:
            found.append((None, {k: v for k, v in SCHEMA.validate(row).items()}))
        except FactsError as error:
            found.append((str(error), {}))
    return found


def query(kinds: dict[str, Any], table: str) -> exp.Select:
    facts, error = validated(SCHEMA, set(FACTS), kinds)
    present = [f for f in facts if f.name in kinds]
    columns = [exp.alias_(f.value, f.name, quoted=True) for f in present]
    select = exp.select(*columns, exp.alias_(error, "error")).from_(table)
    return select.order_by(*(exp.column(c, quoted=True) for c in ORDER)) if table == "customers" else select


def in_duckdb(source: Any) -> list[tuple[str | None, dict[str, Any]]]:
    con = duckdb.connect()
    kinds = duckdb_relation(con, source)
    rows = con.sql(query(kinds, "customers").sql(SQL_DIALECTS["duckdb"])).to_arrow_table().to_pylist()
    return [(row.pop("error"), row) for row in rows]


def agree(reference: list[tuple[str | None, dict[str, Any]]], other: list[tuple[str | None, dict[str, Any]]],
          source: Any, name: str) -> None:
    assert len(reference) == len(other)
    for number, ((want_error, want), (error, values)) in enumerate(zip(reference, other, strict=True)):
        assert error == want_error, f"row {number} of {source}: {name} says {error!r}, pydantic {want_error!r}"
        if error is None:
            for fact, value in want.items():
                assert same(value, values[fact]), f"row {number} of {source}: {fact} {values[fact]!r} on {name}, {value!r}"


def same(native_value: Any, sql_value: Any) -> bool:
    """Values equal as the contract reads them: SQL holds the exact decimal, the per-customer engine the
    float nearest to it, which prints as that decimal up to 15 significant digits (a typed float with
    more than 10 places passes the engine's shortcut as it is: compared rounded)."""
    if isinstance(native_value, float):
        if not isinstance(sql_value, Decimal):
            return False
        if len(sql_value.normalize().as_tuple().digits) <= 15:
            return to_number(native_value) == sql_value
        return float(to_number(native_value)) == float(sql_value)
    return native_value == sql_value and type(native_value) is type(sql_value)


def check(source: tuple[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = materialised(source, Path(folder))
        agree(native(data), in_duckdb(data), source, "duckdb")


# -- the tests -------------------------------------------------------------------------------------
REPROS = {"id": ["1", "2", "3", "4", "5"],
          "tenure_months": ["1e1", "1000000000000000001", "1_000", "12.0", " 007 "],
          "uses_data": ["True ", "tRUE", "maybe", "0", " no"],
          "arpu": ["431960.59", "1e3", "NaN", "0.00000000005", "999999999999999999.99999999995"]}
# doubles whose text Spark (Java) writes otherwise: 1.0E7, 4.9E-324, 9.999999999999999E22, ...
DOUBLES = pa.table({"id": pa.array(["1", "2", "3", "4", "5", "6"]),
                    "tenure_months": pa.array([-1e7, 12.5, 5e-324, 1e23, 2.0**-44, -0.0], pa.float64())})
# decimals that Java writes 1E-10 and 1.00E-8
DECIMALS = pa.table({"id": pa.array(["1", "2", "3", "4"]), "tenure_months": pa.array(
    [Decimal("1E-10"), Decimal("1.00E-8"), Decimal("-5E-7"), Decimal("12.5")], pa.decimal128(38, 10))})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@example(("csv", REPROS))
@example(("arrow", DOUBLES))
@example(("arrow", DECIMALS))
@given(sources())
def test_native_and_duckdb_validate_alike(source: tuple[str, Any]) -> None:
    check(source)


def test_the_issue_repros_are_read_by_one_rule() -> None:
    with tempfile.TemporaryDirectory() as folder:
        rows = native(materialised(("csv", REPROS), Path(folder)))
    assert [error for error, _ in rows] == [
        "tenure_months: is not an integer (got 1e1)",
        "arpu: is not a number (got 1e3); tenure_months: is beyond +-10^18 (got 1000000000000000001)",
        "arpu: is not a number (got NaN); tenure_months: is not an integer (got 1_000); "
        "uses_data: is not true or false (got maybe)",
        None,
        "arpu: is not below 10^18 in magnitude (got 999999999999999999.99999999995)",
    ]
    assert rows[3][1] == {"id": "4", "tenure_months": 12, "uses_data": False, "arpu": 1e-10}


def test_money_is_read_exactly_in_sql() -> None:
    """431960.59 as text and as a DOUBLE column is exactly 431960.59 (never via DOUBLE to DECIMAL)."""
    for source in (pa.table({"id": ["1"], "arpu": ["431960.59"]}), pa.table({"id": ["1"], "arpu": [431960.59]})):
        ((error, values),) = in_duckdb(source)
        assert error is None and values["arpu"] == Decimal("431960.59")


@pytest.mark.spark
def test_spark_reads_an_int64_id_column_with_nulls_as_integers(spark: Any) -> None:
    """Through pandas, an int64 column with a null became doubles: Spark rejected id 0 as 0.0."""
    data = pa.table({"id": pa.array([0, None, 7], pa.int64()), "tenure_months": pa.array([None, 1, 2], pa.int64())})
    frame = spark_frame(spark, data)
    frame.createOrReplaceTempView("int64_customers")
    rows = [row.asDict() for row in spark.sql(query(spark_kinds(frame), "int64_customers").sql(SQL_DIALECTS["spark"])).collect()]
    agree(native(data), [(row.pop("error"), row) for row in rows], data, "spark")


@pytest.mark.spark
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@example(source=("csv", REPROS))
@example(source=("arrow", DOUBLES))
@example(source=("arrow", DECIMALS))
@given(source=sources())
def test_native_and_spark_validate_alike(source: tuple[str, Any], spark: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        data = materialised(source, Path(folder))
        frame = spark_frame(spark, data)
        frame.createOrReplaceTempView("agreement_customers")
        text = query(spark_kinds(frame), "agreement_customers").sql(SQL_DIALECTS["spark"])
        rows = [row.asDict() for row in spark.sql(text).collect()]
        agree(native(data), [(row.pop("error"), row) for row in rows], source, "spark")


short_doubles = st.builds(lambda d: float(d), st.decimals(-(10**12), 10**12, places=4, allow_nan=False, allow_infinity=False))
near_bound = st.builds(lambda k, d: float(Decimal(10**11) + Decimal(k).scaleb(-4) * d), st.integers(-3, 3),
                       st.sampled_from([1, -1]))


@settings(max_examples=300, deadline=None)
@example([431960.59, 99999999999.9999, 100000000000.0, 0.12345, 1e-5, 0.0001, -0.0, 5e-11, -5e-11, 1.5e-10, 254779.624, 1e15, 5e-324])
@given(st.lists(st.one_of(st.floats(allow_nan=False, allow_infinity=False), short_doubles, near_bound), min_size=1, max_size=20))
def test_a_double_is_read_as_the_decimal_it_prints_as(values: list[float]) -> None:
    """In SQL a DOUBLE column is read as its shortest text rounded to 10 places, exactly (the cheap
    reading of short values included), as the per-customer engine reads a float."""
    source = pa.table({"id": [str(i) for i in range(len(values))], "balance": pa.array(values, pa.float64())})
    for value, (error, read) in zip(values, in_duckdb(source), strict=True):
        if abs(value) >= 10**18:
            assert error is not None
        else:
            assert error is None
            assert read["balance"] == Decimal(repr(value)).quantize(Decimal("1E-10"), ROUND_HALF_UP, WIDE), value
