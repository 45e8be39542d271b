"""The embedded backend: the compiled query run by DuckDB, streaming from the input to the output.

With ``out``, DuckDB reads the input files in row groups and writes Parquet as it goes (``COPY
(query) TO out``), so memory stays bounded however large the input; ``memory_limit`` caps it
(DuckDB spills what it must buffer). Without ``out`` the decisions come back as an Arrow table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlglot import exp

from marketing_rules.analysis.program import Program
from marketing_rules.backends.sql import Indexes, label_values
from marketing_rules.batch.indexed import function_of, register
from marketing_rules.batch.output import BatchResult, Summary, clock, output_schema, run_with_progress
from marketing_rules.batch.query import checked_sql, decisions_sql
from marketing_rules.batch.sources import _quote, duckdb_relation, fact_names, names_checked


def connect(threads: int | None = None, memory_limit: str | None = None) -> Any:
    import duckdb

    config: dict[str, Any] = {}
    if threads:
        config["threads"] = threads
    if memory_limit:
        config["memory_limit"] = memory_limit
    return duckdb.connect(config=config)


#: DuckDB optimiser passes the batch query runs without: ``projection_placement`` grows faster than
#: linearly with the query's columns (6.8 of the 8 s of optimising a 5,000-rule query) and the
#: query's projections are already placed where they belong.
SKIPPED_OPTIMIZERS = ("projection_placement",)


#: Rules and tables beyond which a row's lists are long (hundreds of ids): the Parquet output is then
#: written in row groups of LONG_LISTS_ROW_GROUP rows, each as a thread finishes it. In input order,
#: DuckDB holds finished batches back for the writer: 4.7 GB at 5,000 rules on 1M customers, 1.5 GB
#: unordered. Each row's ``row`` gives its place in the input.
LONG_LISTS = 256
LONG_LISTS_ROW_GROUP = 8192

#: Rules in a stratum (rows in a first-hit or priority table) from which the batch decides it through
#: its per-fact index (``analysis/index.py``, ``batch/indexed.py``) when it can: below it, testing
#: each rule is as fast.
INDEX_FROM = 256


@contextmanager
def setting(con: Any, name: str, value: str) -> Iterator[None]:
    """The connection with DuckDB's setting ``name`` at ``value``, its own given back afterwards."""
    before = con.execute(f"SELECT current_setting({_quote(name)})").fetchall()[0][0]
    con.execute(f"SET {name} = {value}")
    try:
        yield
    finally:
        con.execute(f"SET {name} = {_quote(str(before))}")


@contextmanager
def planned_for_rules(con: Any) -> Iterator[None]:
    """The connection with :data:`SKIPPED_OPTIMIZERS` disabled (those this DuckDB has), its own
    setting given back afterwards (a caller's connection is left as it was)."""
    known = {row[0] for row in con.execute("SELECT name FROM duckdb_optimizers()").fetchall()}
    before = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0][0] or ""
    names = [n.strip() for n in before.split(",") if n.strip()]
    wanted = names + [n for n in SKIPPED_OPTIMIZERS if n in known and n not in names]
    con.execute(f"SET disabled_optimizers = {_quote(','.join(wanted))}")
    try:
        yield
    finally:
        con.execute(f"SET disabled_optimizers = {_quote(','.join(names))}")


def label_type(con: Any, program: Program) -> str | None:
    """An enum of every id the lists can hold: DuckDB builds and writes lists of enum values far faster
    than lists of text, and Parquet stores them as text all the same."""
    values = label_values(program)
    if not values:
        return None
    name = f"marketing_rules_labels_{hashlib.sha256(json.dumps(values).encode()).hexdigest()[:16]}"
    if not con.execute("SELECT 1 FROM duckdb_types() WHERE type_name = ?", [name]).fetchall():
        con.execute(f"CREATE TYPE {name} AS ENUM ({', '.join(_quote(v) for v in values)})")
    return name


def output_columns(schema: Any) -> str:
    """The output columns (the ones left out are never computed); a number, a DECIMAL(28, 10) in
    the query, becomes the DOUBLE nearest to it (through its text: DuckDB's own decimal to double
    cast, like Arrow's, can miss the nearest double by an ulp)."""
    import pyarrow as pa

    columns = []
    for field in schema:
        name = exp.to_identifier(field.name, quoted=True).sql("duckdb")
        if pa.types.is_floating(field.type):
            columns.append(f"CAST(CAST({name} AS VARCHAR) AS DOUBLE) AS {name}")
        elif pa.types.is_list(field.type) and pa.types.is_floating(field.type.value_type):
            columns.append(f"LIST_TRANSFORM({name}, x -> CAST(CAST(x AS VARCHAR) AS DOUBLE)) AS {name}")
        else:
            columns.append(name)
    return ", ".join(columns)


def batch_query(con: Any, program: Program, kinds: Any, schema: Any, *, ordered: bool, unique_ids: bool) -> str:
    """The query over the registered ``customers``: a returned table keeps the input's order; a Parquet
    file is written as DuckDB streams it (in parallel, not always in input order: ordering would hold
    the whole output in memory)."""
    labels = label_type(con, program)
    indexes = Indexes(INDEX_FROM)
    decisions = decisions_sql(program, "duckdb", "customers", kinds, labels=labels, indexes=indexes)
    if indexes.found:
        register(con, {name: function_of(index, indexes.codes, indexes.tag_names) for name, index in indexes.found.items()})
    checked = checked_sql(schema, f"({decisions})", "duckdb", ordered=ordered, unique_ids=unique_ids)
    return f"SELECT {output_columns(schema)} FROM ({checked}) AS decisions"


def run(program: Program, source: Any, out: str | None, *, progress: bool = False, threads: int | None = None,
        memory_limit: str | None = None, connection: Any = None, schema: Any = None, strict: bool = False,
        unique_ids: bool = False, delimiter: str | None = None) -> BatchResult:
    con = connection or connect(threads, memory_limit)
    started = clock()
    facts = fact_names(program)
    kinds = duckdb_relation(con, source, "customers", facts=facts, delimiter=delimiter)
    warnings = names_checked(kinds.names, facts, strict)
    schema = schema if schema is not None else output_schema(program)
    query = batch_query(con, program, kinds, schema, ordered=out is None, unique_ids=unique_ids)
    rows_in = con.sql("SELECT count(*) FROM customers").fetchall()[0][0]
    counts = "count(*) FILTER (error IS NULL), count(error), count(id) - count(DISTINCT id)"
    if out is not None:
        long = len(program.units) > LONG_LISTS
        groups = f", ROW_GROUP_SIZE {LONG_LISTS_ROW_GROUP}" if long else ""
        copy = f"COPY ({query}) TO {_quote(str(out))} (FORMAT parquet, COMPRESSION zstd{groups})"
        with planned_for_rules(con), setting(con, "preserve_insertion_order", "false") if long else nullcontext():
            run_with_progress(lambda: con.execute(copy), con.query_progress, progress)
        decided, rejected, duplicated = con.execute(f"SELECT {counts} FROM read_parquet({_quote(str(out))})").fetchall()[0]
        table = None
    else:
        with planned_for_rules(con):
            table = run_with_progress(lambda: con.sql(query).to_arrow_table(), con.query_progress, progress)
        table = table.cast(schema)
        con.register("decided_rows", table)
        decided, rejected, duplicated = con.execute(f"SELECT {counts} FROM decided_rows").fetchall()[0]
        con.unregister("decided_rows")
    summary = Summary("duckdb", rows_in, decided, rejected, clock() - started, duplicated, tuple(warnings))
    if connection is None and out is not None:
        con.close()
    return BatchResult(summary, table, str(out) if out is not None else None)
