"""The SQL of large rulesets: shared condition terms computed once per stratum, long lists built in
chunks on DuckDB, the offers list read off the fired codes in the DuckDB batch, and the batch query
planned without DuckDB's projection_placement pass. Each decides exactly as the per-customer engine.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

import marketing_rules as mr

duckdb = pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")
pytest.importorskip("sqlglot")

ROOT = Path(__file__).resolve().parent.parent


def scale() -> ModuleType:
    """bench/scale.py, whose seeded generator writes the synthetic catalogues."""
    spec = importlib.util.spec_from_file_location("scale", ROOT / "bench" / "scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SHARED = """\
ruleset: shared
version: 1.0.0
rules:
  - id: a
    when: status == active and arpu >= 100
    then: {tag: rich}
  - id: b
    when: arpu < 50 and status == active
    then: {offer: {rewards: [{bill_credit: 5}]}}
  - id: c
    when: arpu >= 100 and tenure_months > 12
    then: {tag: loyal}
  - id: d
    when: tenure_months > 24
    then: {tag: old}
"""


def test_a_term_of_several_rules_is_computed_once() -> None:
    sql = mr.load_ruleset("shared.yaml", text=SHARED).to_sql("duckdb", pretty=False)
    shared = re.search(r"stratum_1_shared AS \(SELECT (.*?) FROM validated\)", sql)
    assert shared is not None
    assert "'active' AS __shared_1_0" in shared.group(1) and ">= 100 AS __shared_1_1" in shared.group(1)
    assert "> 24" not in shared.group(1) and "> 12" not in shared.group(1)  # one rule each: left in place
    when = sql[sql.index("stratum_1_when AS"):sql.index("stratum_1_then AS")]
    assert when.count("__shared_1_0") == 2 and when.count("__shared_1_1") == 2
    assert "'active'" not in when


def test_a_ruleset_without_shared_terms_has_no_shared_step() -> None:
    text = SHARED.replace("status == active and ", "").replace(" and status == active", "")
    text = text.replace("arpu >= 100 and tenure_months > 12", "tenure_months > 12")
    assert "_shared" not in mr.load_ruleset("alone.yaml", text=text).to_sql("duckdb")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> tuple[mr.Ruleset, Path]:
    """A 300-rule synthetic catalogue (groups, offers, tags, a 60-row first-hit table every rule
    reads) and 400 customers: lists of hundreds of items, so the chunks are exercised."""
    module = scale()
    folder = tmp_path_factory.mktemp("scale")
    customers = folder / "customers.parquet"
    module.customers_parquet(customers, 400, seed=5)
    return mr.load_ruleset("scale.yaml", text=module.ruleset_text(300, 60, seed=3)), customers


def decided(rs: mr.Ruleset, customers: Path, backend: str) -> list[dict[str, object]]:
    table = rs.evaluate_batch(str(customers), backend=backend).table
    assert table is not None
    return sorted(table.to_pylist(), key=lambda row: int(str(row["id"])))


def test_a_large_catalogue_decides_on_duckdb_as_the_engine(catalogue: tuple[mr.Ruleset, Path]) -> None:
    rs, customers = catalogue
    sql = rs.to_sql("duckdb")
    assert "FLATTEN(" in sql and "stratum_2_shared" in sql
    on_duckdb, native = decided(rs, customers, "duckdb"), decided(rs, customers, "native")
    assert max(len(row["fired"]) for row in on_duckdb) > 20  # type: ignore[arg-type]
    assert any(row["offers"] for row in on_duckdb)
    assert on_duckdb == native


def test_the_batch_reads_the_offers_off_the_fired_codes(catalogue: tuple[mr.Ruleset, Path]) -> None:
    from marketing_rules.batch import duckdb_backend as db
    from marketing_rules.batch.output import output_schema
    from marketing_rules.batch.sources import duckdb_relation, fact_names

    rs, customers = catalogue
    con = db.connect()
    kinds = duckdb_relation(con, str(customers), "customers", facts=fact_names(rs.program))
    query = db.batch_query(con, rs.program, kinds, output_schema(rs.program), ordered=False, unique_ids=False)
    assert "__offers" not in query  # no offers share per stratum: one look-up per fired code at the end


def test_a_callers_connection_keeps_its_optimizer_setting(catalogue: tuple[mr.Ruleset, Path]) -> None:
    from marketing_rules.batch import duckdb_backend as db

    rs, customers = catalogue
    con = duckdb.connect()
    con.execute("SET disabled_optimizers = 'join_order'")
    with db.planned_for_rules(con):
        during = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0]
    assert during == "join_order,projection_placement"
    result = db.run(rs.program, str(customers), None, connection=con)
    assert result.summary.rows_in == 400
    assert con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0] == "join_order"


def test_long_lists_are_written_unordered_and_complete(catalogue: tuple[mr.Ruleset, Path], tmp_path: Path) -> None:
    """A catalogue beyond LONG_LISTS writes Parquet in small row groups as the threads finish them:
    every row is there once, decided as the returned table has it, and ``row`` gives its place; a
    caller's connection keeps its own insertion-order setting."""
    import pyarrow.parquet as pq

    from marketing_rules.batch import duckdb_backend as db

    rs, _ = catalogue
    assert len(rs.program.units) > db.LONG_LISTS
    customers = tmp_path / "customers.parquet"
    scale().customers_parquet(customers, 10_000, seed=8)
    con = duckdb.connect(config={"threads": 2})
    con.execute("SET preserve_insertion_order = true")
    out = tmp_path / "decided.parquet"
    db.run(rs.program, str(customers), str(out), connection=con)
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0] is True
    assert pq.ParquetFile(out).metadata.row_group(0).num_rows == db.LONG_LISTS_ROW_GROUP
    written = sorted(pq.read_table(out).to_pylist(), key=lambda row: int(str(row["row"])))
    assert [row["row"] for row in written] == list(range(1, 10_001))
    assert written == decided(rs, customers, "duckdb")
