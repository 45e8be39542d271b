"""The batch query: the compiled ruleset over the registered input, with each row's place.

The compiled query (``backends/sql.py``) decides each row; around it, the batch adds ``row`` (the
input line or row number), turns a line that could not be read into that row's error (its other
columns null), and under ``unique_ids`` rejects a row whose id an earlier row has. The same
wrapping on DuckDB and Spark, so that they reject the same rows with the same words as the
per-customer engine does (``native_backend``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlglot
from sqlglot import exp

from marketing_rules.analysis.program import Program
from marketing_rules.backends.sql import Indexes, compile_sql, dialect_of, gc_paused, sql_text
from marketing_rules.backends.sql_expressions import UnsupportedInSQL
from marketing_rules.backends.validation_sql import SourceKind
from marketing_rules.batch.output import duplicate_reason
from marketing_rules.batch.sources import INTERNAL, ORDER, READ_ERROR, ROW
from marketing_rules.expressions.deep import deeply

DUPLICATE = "__duplicate"


def decisions_sql(program: Program, dialect: str, table: str, kinds: Mapping[str, SourceKind],
                  labels: str | None = None, indexes: Indexes | None = None) -> str:
    """The compiled query over ``table``, carrying the place columns through to its output (on the
    deep stack, as ``to_sql``: the largest expressions the rule files allow compile here too)."""
    try:
        with gc_paused():
            return deeply(_decisions_sql, program, dialect, table, kinds, labels, indexes)
    except RecursionError:
        raise UnsupportedInSQL("a query nested this deep (a collect table of thousands of rows)") from None


def _decisions_sql(program: Program, dialect: str, table: str, kinds: Mapping[str, SourceKind],
                   labels: str | None, indexes: Indexes | None) -> str:
    tree = compile_sql(program, table=table, source=kinds, dialect=dialect, order_by=INTERNAL, labels=labels,
                       indexes=indexes)
    tree.set("order", None)
    tree.select(*(exp.column(c, quoted=True) for c in INTERNAL), copy=False)
    return sql_text(tree, dialect)


def checked_sql(schema: Any, decisions: str, dialect: str, *, ordered: bool, unique_ids: bool) -> str:
    """The output columns of ``schema`` over ``decisions`` (a parenthesised query or a view name):
    ``row``, read errors and duplicates folded into ``error``, in input order if ``ordered``."""
    place = ", ".join(f'"{c}"' for c in ORDER)
    if unique_ids:
        window = f'OVER (PARTITION BY "id" ORDER BY {place})'
        duplicate = (f'CASE WHEN "id" IS NOT NULL AND row_number() {window} > 1 THEN '
                     f"'{duplicate_reason('')[:-1]}' || CAST(first_value(\"{ROW}\") {window} AS VARCHAR) || ')' END")
    else:
        duplicate = "CAST(NULL AS VARCHAR)"
    kept = f'"{READ_ERROR}" IS NULL AND "{DUPLICATE}" IS NULL'
    columns = []
    for name in schema.names:
        quoted = f'"{name}"'
        if name == "id":
            columns.append(quoted)
        elif name == "row":
            columns.append(f'"{ROW}" AS "row"')
        elif name == "error":
            columns.append(f'COALESCE("{READ_ERROR}", "error", "{DUPLICATE}") AS "error"')
        else:
            columns.append(f"CASE WHEN {kept} THEN {quoted} END AS {quoted}")
    text = (f"SELECT {', '.join(columns)} FROM (SELECT *, {duplicate} AS \"{DUPLICATE}\" FROM __decisions) AS checked"
            + (f" ORDER BY {place}" if ordered else ""))
    tree = sqlglot.parse_one(text, read="duckdb")
    out = tree.sql(dialect=dialect_of(dialect))
    return out.replace(exp.to_table("__decisions").sql(dialect=dialect_of(dialect)), decisions, 1)

