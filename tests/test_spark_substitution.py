"""Spark runs exactly what the rule file says: ``${...}`` in values, ids and enum words is never
replaced by Spark's variable substitution (environment, JVM properties, session settings), in the
library's own runs and in the ``to_sql`` text a warehouse runs with substitution on."""

from __future__ import annotations

from typing import Any

import pytest

import marketing_rules as mr

pa = pytest.importorskip("pyarrow")

RULES = """\
ruleset: substitution
version: 1.0.0
facts:
  plan: {type: enum, values: ["v14${x}", "${spark.master}", plain]}
  home: {type: string}
  label: {type: string}
rules:
  - id: plan-v14
    group: plans
    when: package == "v14${x}"
    then:
      set: {plan: "'v14${x}'", home: "'${env:HOME}'", label: "'${spark.master}/${x}${x}'"}
      tag: "tag-${x}"
  - id: plan-master
    group: plans
    when: package == "${spark.master}"
    then:
      set: {plan: "'${spark.master}'", label: "'${system:java.version}'"}
      offer: {code: "code-${x}", title: "${x}"}
"""
CUSTOMERS = {"id": ["${x}", "${env:HOME}", "plain"], "package": ["v14${x}", "${spark.master}", "other"]}
COLUMNS = ["id", "plan", "home", "label", "tags", "offers", "error"]


@pytest.fixture(scope="module")
def rs() -> mr.Ruleset:
    return mr.load_ruleset("substitution.yaml", text=RULES)


def expected(rs: mr.Ruleset) -> list[dict[str, Any]]:
    rows = rs.evaluate_batch(pa.table(CUSTOMERS), backend="native").table.select(COLUMNS).to_pylist()
    assert rows[0]["plan"] == "v14${x}" and rows[0]["home"] == "${env:HOME}" and rows[0]["tags"] == ["tag-${x}"]
    assert rows[1]["plan"] == "${spark.master}" and rows[1]["label"] == "${system:java.version}"
    return rows


@pytest.mark.parametrize("dialect", ["spark", "hive"])
def test_the_spark_and_hive_text_holds_no_substitutable_variable(rs: mr.Ruleset, dialect: str) -> None:
    text = rs.to_sql(dialect)
    assert "${" not in text
    assert "'v14$' '{x}'" in text and "'$' '{env:HOME}'" in text and "'$' '{spark.master}/$' '{x}$' '{x}'" in text


def test_other_dialects_write_the_literals_as_they_are(rs: mr.Ruleset) -> None:
    assert "'${env:HOME}'" in rs.to_sql("duckdb") and "'v14${x}'" in rs.to_sql("trino")


@pytest.mark.spark
def test_spark_decides_the_rule_file_verbatim_with_substitution_on(rs: mr.Ruleset, spark: Any) -> None:  # noqa: F811
    want = expected(rs)
    spark.conf.set("spark.sql.variable.substitute", "true")
    spark.conf.set("x", "SUBSTITUTED")
    try:
        result = rs.evaluate_batch(pa.table(CUSTOMERS), backend="spark", spark=spark)
        got = result.table.toArrow().select(COLUMNS).to_pylist()
        assert spark.conf.get("spark.sql.variable.substitute") == "true"  # the session's own setting, restored
        assert got == want
        frame = spark.createDataFrame(pa.table(CUSTOMERS))
        frame.createOrReplaceTempView("substitution_customers")
        warehouse = spark.sql(rs.to_sql("spark", table="substitution_customers")).toArrow()
        assert warehouse.select(COLUMNS).to_pylist() == want
    finally:
        spark.conf.unset("x")
        spark.conf.set("spark.sql.variable.substitute", "true")
