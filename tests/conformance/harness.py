"""The conformance suite's machinery: a case file, its customers as CSV, and each backend's rows.

A case (``cases/NAME.yaml``) is a rule file, customers and the expected outputs of some of them.
The customers are written to one CSV file, every value as text exactly as the case writes it, and
every backend decides that same file: the reference interpreter, the generated Python (through the
native batch backend), DuckDB and Spark. Rows are compared as the batch output of SPEC section 5,
numbers as the decimals they print as.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

import marketing_rules as mr
from marketing_rules.backends import reference
from marketing_rules.batch import duckdb_backend
from marketing_rules.batch.native_backend import rejection_reason
from marketing_rules.batch.sources import duckdb_relation
from marketing_rules.errors import FactsError
from marketing_rules.expressions.numbers import to_number

CASES = Path(__file__).parent / "cases"
#: duckdb-indexed: the DuckDB batch deciding every stratum and table it can through its per-fact
#: index (``batch/indexed.py``), which it otherwise does only from ``INDEX_FROM`` rules or rows.
BACKENDS = ("reference", "python", "duckdb", "duckdb-indexed", "spark")


@dataclass(frozen=True)
class Case:
    name: str
    about: str
    ruleset: str
    customers: list[dict[str, Any]]
    expect: dict[str, dict[str, Any]]

    def load(self) -> mr.Ruleset:
        return mr.load_ruleset(f"{self.name}.yaml", text=self.ruleset)

    def write_csv(self, folder: Path) -> Path:
        columns = list(dict.fromkeys(key for customer in self.customers for key in customer))
        path = folder / f"{self.name}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            for customer in self.customers:
                writer.writerow(["" if customer.get(c) is None else _cell(customer[c]) for c in columns])
        return path


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def cases() -> list[Case]:
    found = []
    for path in sorted(CASES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        expect = {str(k): v for k, v in (data.get("expect") or {}).items()}
        found.append(Case(path.stem, data.get("about", ""), data["ruleset"], data["customers"], expect))
    return found


def decide(backend: str, rs: mr.Ruleset, source: Path, spark: Any = None) -> list[dict[str, Any]]:
    """Every output row of ``source`` on ``backend``, normalised for comparison, in input order."""
    if backend == "reference":
        rows = reference_rows(rs, source)
    elif backend == "spark":
        frame = rs.evaluate_batch(str(source), backend="spark", spark=spark).table
        rows = [row.asDict(recursive=True) for row in frame.collect()]
        order = {row["id"]: n for n, row in enumerate(reference_rows(rs, source))}
        rows.sort(key=lambda row: order.get(row["id"], -1))
    elif backend == "duckdb-indexed":
        with every_stratum_indexed():
            rows = rs.evaluate_batch(str(source), backend="duckdb").table.to_pylist()
    else:
        rows = rs.evaluate_batch(str(source), backend="native" if backend == "python" else backend).table.to_pylist()
    return [normalise(row) for row in rows]


@contextmanager
def every_stratum_indexed() -> Iterator[None]:
    """The DuckDB batch indexing every stratum and table that can be (from one rule or row), for the
    time being."""
    before = duckdb_backend.INDEX_FROM
    duckdb_backend.INDEX_FROM = 1
    try:
        yield
    finally:
        duckdb_backend.INDEX_FROM = before


def reference_rows(rs: mr.Ruleset, source: Path) -> list[dict[str, Any]]:
    """The reference interpreter over the CSV, read as every batch backend reads it."""
    import duckdb

    con = duckdb.connect()
    duckdb_relation(con, str(source), "customers")
    table = con.sql("SELECT * EXCLUDE (__file, __row) FROM customers ORDER BY __file, __row").to_arrow_table()
    program = rs.program
    rows = []
    for customer in table.to_pylist():
        try:
            facts = program.schema.validate(customer)
        except FactsError as error:
            rows.append(reference.error_row(program, customer.get("id"), rejection_reason(error)))
            continue
        rows.append(reference.output_row(program, reference.decide(program, exact_numbers(program, customer, facts))))
    return rows


def exact_numbers(program: Any, customer: dict[str, Any], facts: dict[str, Any]) -> dict[str, Any]:
    """The validated facts with each number read digit for digit from its text, as the contract reads
    it (the validator hands the per-customer engine a float where one holds the number exactly)."""
    exact = dict(facts)
    for spec in program.schema.facts:
        raw = customer.get(spec.name)
        if spec.type == "number" and isinstance(raw, str) and facts.get(spec.name) is not None:
            exact[spec.name] = to_number(raw.strip())
    return exact


def normalise(row: dict[str, Any]) -> dict[str, Any]:
    """A row with numbers as decimals of their printed float, access as a dict, lists as lists."""
    out = {}
    for key, value in row.items():
        if key == "access" and value is not None and not isinstance(value, dict):
            value = dict(value)
        out[key] = _value(value)
    return out


def _value(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(repr(float(value))) if not isinstance(value, int) or abs(value) > 2**53 else Decimal(value)
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    return value


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Columns of ``expected`` whose value ``actual`` does not have: column -> (expected, actual)."""
    want = normalise(expected)
    return {k: (v, actual.get(k)) for k, v in want.items() if actual.get(k, "(no such column)") != v}
