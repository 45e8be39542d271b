"""The DuckDB batch's indexed strata (analysis/index.py, batch/indexed.py) decide as the per-customer
engine: drawn rulesets of one-fact tests against literals, on customers drawn on and around those
literals; and the index's own definition (a rule holds where each fact's cell lets it through)
agrees with the reference interpreter."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import marketing_rules as mr
from marketing_rules.analysis.index import RuleIndex, TableIndex, rule_index, table_index
from marketing_rules.backends.sql import Indexes
from marketing_rules.batch.indexed import _cells, _decimals
from marketing_rules.batch.query import decisions_sql
from marketing_rules.batch.sources import fact_names
from tests.conformance.harness import every_stratum_indexed
from tests.test_batch_conformance import check_backend, table_of

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("numpy")

MONEY = ["0", "0.01", "9.99", "10", "10.5", "99.99", "100", "120", "120.0000000001"]
COUNTS = ["0", "1", "2", "2.5", "3", "12", "24", "100"]
TESTS = {
    "arpu": [f"arpu {op} {v}" for op in (">=", "<", ">", "<=", "==", "!=") for v in MONEY] + ["arpu in [10, 99.99]"],
    "balance": ["balance < -10", "not (balance >= 0)", "balance > -0.5 and balance < 0.5"],
    "tenure_months": [f"tenure_months {op} {v}" for op in (">=", "<", "==", "!=") for v in COUNTS]
                     + ["tenure_months in [0, 24, 36] or tenure_months >= 100", "tenure_months is null"],
    "card": ["card == gold", "card != none", "card in [silver, gold]", "card not in [none]", "card is not null"],
    "uses_data": ["uses_data", "not uses_data", "uses_data == false"],
    "package": ['package == "gotone-88"', 'package != "basic-38"', 'package in ["gotone-88", "gotone-128"]'],
}
VALUES: dict[str, list[Any]] = {
    # numbers past 64 bits once scaled to 10^-10 (2^63 / 10^10 is about 922,337,203.69) are placed
    # in their cells apart from the others (batch/indexed.py, _cells)
    "arpu": [*MONEY, "0.02", "99.98", "119.9999999999", "500", "900000000.5", "922337203.6854775808"],
    "balance": ["-10", "-10.0000000001", "-9.99", "-0.5", "0", "0.4999999999", "5", "-1000000000000.25"],
    "tenure_months": [0, 1, 2, 3, 4, 12, 13, 24, 36, 99, 100, 101],
    "card": ["none", "silver", "gold", "diamond"],
    "uses_data": [True, False],
    "package": ["gotone-88", "gotone-128", "basic-38", "pop-58"],
}


@st.composite
def rule_files(draw: Any) -> str:
    """A rule file of one-fact tests, some rules in groups, each giving a tag or an offer."""
    lines = ["ruleset: drawn", "version: 1.0.0", "rules:"]
    for i in range(draw(st.integers(1, 12))):
        facts = draw(st.lists(st.sampled_from(sorted(TESTS)), min_size=1 if i == 0 else 0, max_size=3, unique=True))
        tests = [draw(st.sampled_from(TESTS[fact])) for fact in facts]
        lines.append(f"  - id: r{i}")
        if tests:
            lines.append(f"    when: {' and '.join(f'({t})' for t in tests)}")
        group = draw(st.sampled_from([None, None, "a", "b"]))
        if group:
            lines.append(f"    group: {group}")
        lines.append(f"    then: {{tag: t{draw(st.integers(0, 3))}}}" if draw(st.booleans())
                     else f"    then: {{offer: {{rewards: [{{bill_credit: {i + 1}}}]}}}}")
    return "\n".join(lines) + "\n"


@st.composite
def customers(draw: Any) -> list[dict[str, Any]]:
    rows = []
    for n in range(draw(st.integers(1, 20))):
        row: dict[str, Any] = {"id": str(n)}
        for fact, values in VALUES.items():
            value = draw(st.one_of(st.none(), st.sampled_from(values)))
            row[fact] = float(Decimal(value)) if fact in ("arpu", "balance") and value is not None else value
        rows.append(row)
    return rows


def found_indexes(rs: mr.Ruleset) -> list[RuleIndex | TableIndex]:
    """The indexes of the DuckDB batch, every stratum and table indexed that can be."""
    indexes = Indexes(1)
    con = duckdb.connect()
    from marketing_rules.batch.duckdb_backend import label_type

    decisions_sql(rs.program, "duckdb", "customers", {f: "text" for f in fact_names(rs.program)},
                  labels=label_type(con, rs.program), indexes=indexes)
    return list(indexes.found.values())


def indexed_rules(rs: mr.Ruleset) -> int:
    """How many rules the DuckDB batch decides through an index, every stratum indexed that can be."""
    return sum(len(index.rules) for index in found_indexes(rs) if isinstance(index, RuleIndex))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(rule_files(), customers())
def test_an_indexed_stratum_decides_as_the_per_customer_engine(text: str, rows: list[dict[str, Any]]) -> None:
    rs = mr.load_ruleset("drawn.yaml", text=text)
    assert indexed_rules(rs) == len(rs.program.rules)  # every drawn rule goes through the index
    with every_stratum_indexed():
        check_backend(rs, table_of(rs, rows), "duckdb")


@settings(max_examples=60, deadline=None)
@given(rule_files(), customers())
def test_a_rule_holds_where_every_cell_lets_it_through(text: str, rows: list[dict[str, Any]]) -> None:
    rs = mr.load_ruleset("drawn.yaml", text=text)
    index = rule_index(rs.program, rs.program.rules)
    assert index is not None
    for row in rows:
        decision = rs.evaluate(row)
        cells = [facts.cell(decision.facts.get(facts.fact)) for facts in index.facts]
        assert [index.rules[i].id for i in index.fires(cells)] == list(decision.fired)


def test_a_stratum_with_a_test_of_two_facts_is_not_indexed() -> None:
    rs = mr.load_ruleset("two.yaml", text="ruleset: two\nversion: 1.0.0\nrules:\n"
                         "  - id: a\n    when: arpu > arpu_prev\n    then: {tag: up}\n"
                         "  - id: b\n    when: arpu > 10\n    then: {tag: ten}\n")
    assert rule_index(rs.program, rs.program.rules) is None
    assert indexed_rules(rs) == 0


def test_numbers_are_placed_in_their_cells_exactly_within_and_past_64_bits() -> None:
    rs = mr.load_ruleset("n.yaml", text="ruleset: n\nversion: 1.0.0\nrules:\n"
                         "  - id: a\n    when: balance >= -0.0000000001 and balance != 7\n    then: {tag: a}\n"
                         "  - id: b\n    when: balance < 900000000.5\n    then: {tag: b}\n")
    index = rule_index(rs.program, rs.program.rules)
    assert index is not None and index.facts[0].scaled == (-1, 70000000000, 9000000005000000000)
    values = [None, Decimal("-0.0000000002"), Decimal("-0.0000000001"), Decimal(0), Decimal(7), Decimal("7.0000000001"),
              Decimal("900000000.4999999999"), Decimal("900000000.5"), Decimal("922337203.6854775808"),
              Decimal("-922337203.6854775809"), Decimal("999999999999999999.9999999999"), Decimal(-10**18)]
    low, high, present = _decimals(pa.array([Decimal(1), *values], pa.decimal128(38, 10)).slice(1))
    cells = _cells(low, high, present, index.facts[0].scaled).tolist()
    assert cells == [index.facts[0].cell(v) for v in values]
    assert cells == [0, 1, 2, 3, 4, 5, 5, 6, 7, 1, 7, 1]


CELLS = {
    "arpu": ["-", "-", ">= 10", "< 99.99", "[10..120)", "(0.01..100]", "120", "not(100)"],
    "tenure_months": ["-", "-", ">= 3", "<= 12", "0, 24, 36", "[2.5..13)"],
    "card": ["-", "-", "gold", "silver, gold", "not(none)"],
}


@st.composite
def table_files(draw: Any) -> str:
    """A rule file of one first-hit or priority table whose input cells are one-fact tests."""
    rows = draw(st.lists(st.tuples(*(st.sampled_from(cells) for cells in CELLS.values()), st.sampled_from(["hi", "mid", "lo"])),
                         min_size=1, max_size=10))
    lines = ["ruleset: drawn", "version: 1.0.0", "facts:", "  level: {type: enum, values: [hi, mid, lo]}", "tables:",
             "  - id: levels", f"    hit: {draw(st.sampled_from(['first', 'priority']))}",
             f"    inputs: [{', '.join(CELLS)}]", "    outputs: [level]", "    rows:"]
    lines += [f"      - [{', '.join(repr(cell) for cell in row)}]" for row in rows]
    return "\n".join(lines) + "\n"


@settings(max_examples=60, deadline=None)
@given(table_files(), customers())
def test_a_table_hits_the_first_row_every_cell_lets_through(text: str, rows: list[dict[str, Any]]) -> None:
    rs = mr.load_ruleset("drawn.yaml", text=text)
    (table,) = rs.program.units
    order = sorted(table.rows, key=lambda row: (table.ranks[row.number - 1], row.number)) if table.hit == "priority" \
        else list(table.rows)
    index = table_index(rs.program, order)
    assert index is not None
    for row in rows:
        decision = rs.evaluate(row)
        cells = [facts.cell(decision.facts.get(facts.fact)) for facts in index.facts]
        hit = index.hit(cells)
        assert decision.fired == ([] if hit is None else [f"levels#{hit}"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(table_files(), customers())
def test_an_indexed_table_decides_as_the_per_customer_engine(text: str, rows: list[dict[str, Any]]) -> None:
    rs = mr.load_ruleset("drawn.yaml", text=text)
    tested = any(test is not None for row in rs.program.units[0].rows for test in row.tests)  # type: ignore[union-attr]
    assert [type(index) for index in found_indexes(rs)] == ([TableIndex] if tested else [])  # a table of '-' has none
    with every_stratum_indexed():
        check_backend(rs, table_of(rs, rows), "duckdb")
