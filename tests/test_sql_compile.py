"""The SQL compiler: the generated query per dialect (snapshots, reviewed), that every dialect's text
parses back, the strata and groups it is built from, and what it cannot compile, by name.

Regenerate the snapshots after a deliberate change with ``MR_UPDATE_SNAPSHOTS=1 pytest
tests/test_sql_compile.py`` and review the diff like code.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.cli import main
from tests.conftest import ROOT, ruleset_from

sqlglot = pytest.importorskip("sqlglot")

from sqlglot import exp  # noqa: E402

from marketing_rules.backends.sql import DIALECTS, SQLCompiler, UnsupportedInSQL, to_sql  # noqa: E402
from marketing_rules.backends.sql_expressions import NUM, SQL_DIALECTS, ExpressionCompiler, literal  # noqa: E402
from marketing_rules.expressions import ast  # noqa: E402
from marketing_rules.expressions.numbers import NumberOverflow, number_result, quotient  # noqa: E402
from marketing_rules.expressions.types import NUMBER  # noqa: E402
from marketing_rules.versioning.registry import rule_files  # noqa: E402

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
GOTONE = ROOT / "rulesets" / "gotone-vip" / "1.0.0.yaml"
SHIPPED = sorted(rule_files(ROOT / "rulesets"))


@pytest.mark.parametrize("dialect", DIALECTS)
def test_generated_sql_matches_the_reviewed_snapshot(dialect: str) -> None:
    text = mr.load_ruleset(GOTONE).to_sql(dialect) + "\n"
    snapshot = SNAPSHOTS / f"gotone-vip-1.0.0.{dialect}.sql"
    if os.environ.get("MR_UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(text, encoding="utf-8")
    if not snapshot.exists():
        snapshot.write_text(text, encoding="utf-8")
        pytest.fail(f"wrote the missing snapshot {snapshot.name}: review it and run again")
    assert text == snapshot.read_text(encoding="utf-8"), f"regenerate {snapshot.name} and review the diff"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("path", SHIPPED, ids=[f"{p.parent.name}/{p.stem}" for p in SHIPPED])
def test_every_shipped_ruleset_compiles_to_sql_that_parses_back(path: Path, dialect: str) -> None:
    text = mr.load_ruleset(path).to_sql(dialect)
    assert sqlglot.parse_one(text, read=dialect) is not None


def test_strata_follow_the_facts_and_groups_keep_agenda_order() -> None:
    """Strata are runs of the agenda (risk reads no derived fact, but comes after budget-gold), so the
    strata's lists, concatenated, are in firing order."""
    rs = mr.load_ruleset(ROOT / "tests" / "fixtures" / "sql" / "groups.yaml")
    compiler = SQLCompiler(rs.program)
    strata = {unit.id: stratum.number for stratum in compiler._strata() for unit in stratum.units}
    order = [unit.id for stratum in compiler._strata() for unit in stratum.units]
    assert order == [unit.id for unit in rs.program.units]
    assert strata["tiers"] == 1 and strata["risk"] == 2
    assert strata["budget-gold"] == 2  # reads tier
    assert strata["budget-any"] == 2  # after budget-gold, in its group
    assert strata["pack-level"] == 3  # reads level, set by the budget group
    text = rs.to_sql("duckdb")
    assert "stratum_3_then" in text and "stratum_4" not in text


def test_the_query_reads_the_table_named() -> None:
    text = mr.load_ruleset(GOTONE).to_sql("spark", table="dw.customers_2026_11")
    assert "FROM dw.customers_2026_11" in text


def test_decimal_arithmetic_is_exact_at_the_boundary() -> None:
    """SPEC section 3: with arpu 100 and arpu_prev 125, arpu < arpu_prev * 0.8 is false."""
    duckdb = pytest.importorskip("duckdb")
    rs = ruleset_from("""\
        ruleset: boundary
        version: 1.0.0
        rules:
          - id: falling
            when: arpu < arpu_prev * 0.8
            then: {tag: falling}
        """)
    con = duckdb.connect()
    con.execute("CREATE TABLE customers AS SELECT '1' AS id, 100.0::DOUBLE AS arpu, 125.0::DOUBLE AS arpu_prev "
                "UNION ALL SELECT '2', 99.99, 125.0")
    rows = con.sql(rs.to_sql("duckdb") + " ORDER BY id").fetchall()
    assert [row[1] for row in rows] == [[], ["falling"]]


CONTRACT_NUMBERS = st.one_of(
    st.decimals(min_value=-1000, max_value=1000, places=10),
    st.decimals(min_value=Decimal("-1E18") + Decimal("1E-10"), max_value=Decimal("1E18") - Decimal("1E-10"), places=10),
    st.sampled_from([Decimal(0), Decimal("1E-10"), Decimal("-1E-10"), Decimal("3"), Decimal("1000000000.0000070710")]),
)
OPERATIONS = {"*": lambda a, b: number_result(a * b), "/": quotient, "+": lambda a, b: number_result(a + b)}


@settings(max_examples=200, deadline=None)
@given(a=CONTRACT_NUMBERS, b=CONTRACT_NUMBERS, op=st.sampled_from(sorted(OPERATIONS)))
def test_number_arithmetic_in_duckdb_is_the_contract_s(a: Decimal, b: Decimal, op: str) -> None:
    """A product, quotient or sum of two numbers: the exact result rounded to ten places half away
    from zero, or an overflow (null, and its check holds), as expressions/numbers.py computes it."""
    duckdb = pytest.importorskip("duckdb")
    values = {"a": a, "b": b}
    compiler = ExpressionCompiler({"a": NUMBER, "b": NUMBER},
                                  lambda name: exp.cast(exp.Literal.number(format(values[name], "f")), NUM))
    node = ast.Arith((0, 0), op, ast.FactRef((0, 0), "a"), ast.FactRef((0, 0), "b"))
    (check, reason), = compiler.overflows("unit", [node]) or [(exp.false(), "")]
    select = exp.select(compiler.value(node), exp.Coalesce(this=check, expressions=[exp.false()]))
    ((value, overflow),) = duckdb.sql(select.sql(dialect=SQL_DIALECTS["duckdb"])).fetchall()
    try:
        expected = OPERATIONS[op](a, b)
    except NumberOverflow:
        assert value is None and overflow is True
        assert reason == f"number overflow in 'unit': a {op} b is beyond 18 digits before the point"
        return
    assert value == expected and overflow is False


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_writes_the_number_operations(dialect: str) -> None:
    rs = ruleset_from("""\
        ruleset: numbers
        version: 1.0.0
        facts:
          share: {type: number}
        rules:
          - id: share
            when: arpu * 2 > arpu_prev / 3 and sms * sms > 1
            then:
              set: {share: arpu / arpu_prev}
        """)
    text = rs.to_sql(dialect)
    assert "NUMBER_PRODUCT" not in text.upper() and "NUMBER_QUOTIENT" not in text.upper()
    assert "share" in text and "sms * sms is beyond 64 bits" in text
    sqlglot.parse_one(text, read=dialect)


def test_what_sql_cannot_express_is_a_named_error() -> None:
    rs = ruleset_from("""\
        ruleset: lists
        version: 1.0.0
        facts:
          perks: {type: list}
        tables:
          - id: perk-list
            hit: collect
            inputs: [segment]
            outputs: [perks]
            rows:
              - ["-", "'data'"]
        rules:
          - id: has-data
            when: "'data' in perks"
            then: {tag: data}
        """)
    assert "ARRAY_CONTAINS" in rs.to_sql("spark")  # 'in' over a list-valued fact compiles (conformance: random-in-list-fact)
    with pytest.raises(UnsupportedInSQL, match="the SQL backend cannot compile the constant"):
        literal(object())
    result = CliRunner().invoke(main, ["sql", str(GOTONE), "--dialect", "oracle"])
    assert result.exit_code == 2


def test_unknown_dialect_is_named() -> None:
    with pytest.raises(ValueError, match="the dialects are duckdb, spark, hive, trino, postgres"):
        to_sql(mr.load_ruleset(GOTONE).program, "oracle")


def test_cli_sql_prints_or_writes_the_query(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["sql", str(GOTONE), "--dialect", "trino"])
    assert result.exit_code == 0 and result.output.startswith("WITH validated AS (")
    out = tmp_path / "q.sql"
    result = CliRunner().invoke(main, ["sql", str(GOTONE), "--out", str(out)])
    assert result.exit_code == 0 and "stratum_1_when" in out.read_text(encoding="utf-8")


def _scale_ruleset(rules: int) -> mr.Ruleset:
    """The scaling benchmark's synthetic catalogue (bench/scale.py): thresholds, exclusive groups,
    offers and tags, and a first-hit table read by every rule."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("scale", ROOT / "bench" / "scale.py")
    assert spec is not None and spec.loader is not None
    scale = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(scale)
    return mr.load_ruleset(f"scale-{rules}.yaml", text=scale.ruleset_text(rules, 20))


def _shape(rules: int) -> tuple[list[int], int, int, int]:
    """The widths of the CTEs a stratum passes on, the columns the decisions read, the casts to the
    labels enum, and the length of the DuckDB batch query."""
    from marketing_rules.backends.sql import compile_sql, sql_text

    tree = compile_sql(_scale_ruleset(rules).program, labels="labels")
    ctes = {cte.alias: cte.this for cte in tree.args["with_"].expressions}
    passed = [len(select.expressions) for name, select in ctes.items() if name.startswith("stratum_")
              and not name.endswith(("_shared", "_when", "_then"))]  # _shared: read by _when only
    read = {column.name for projection in tree.expressions for column in projection.find_all(exp.Column)}
    casts = sum(1 for cast in tree.find_all(exp.Cast) if "labels" in cast.to.sql())
    return passed, len(read), casts, len(sql_text(tree, "duckdb"))


def test_the_query_passes_on_no_column_per_rule() -> None:
    """Issue 16: a stratum passes on its facts and its share of the lists, never a column per rule, and
    the batch's lists are cast to the labels enum once each, not once per item (DuckDB binds each
    such cast in time growing with the enum: quadratic). So four times the rules is the same width
    everywhere after a stratum, and about four times the text."""
    few, many = _shape(100), _shape(400)  # the same 25 tags
    assert few[0] == many[0] and few[1] == many[1], (few, many)
    assert few[2] == many[2] <= 3
    assert many[3] < 4.5 * few[3]
