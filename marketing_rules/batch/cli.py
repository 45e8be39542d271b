"""``marketing-rules eval RULESET --customers FILE --out FILE [--backend ...]`` for whole files,
and the customers of ``diff --customers``: CSV, JSON lines or Parquet, read as ``evaluate_batch``
reads them. Bad input is one line naming the problem and exit 2, never a traceback."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import click

from marketing_rules.analysis.program import Program
from marketing_rules.batch import MissingDependency, evaluate_batch
from marketing_rules.batch.native_backend import Decide
from marketing_rules.batch.sources import INTERNAL, READ_ERROR, SourceError
from marketing_rules.i18n import _

OK, FINDINGS, BAD_INPUT = 0, 1, 2
JSON_LINES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz")


def default_backend(customers: str) -> str:
    """The per-customer engine for JSON lines (objects of any shape), DuckDB for CSV and Parquet."""
    return "native" if customers.lower().endswith(JSON_LINES) else "duckdb"


def eval_batch(program: Program, decide: Decide, customers: str, out: str | None, backend: str | None,
               columns: list[str] | None = None, *, delimiter: str | None = None, strict: bool = False, unique_ids: bool = False) -> int:
    """Decide a file of customers; Parquet out as it is, anything else as JSON lines; warnings and
    the summary on stderr."""
    parquet = out is not None and out.lower().endswith((".parquet", ".pq"))
    try:
        result = evaluate_batch(program, decide, customers, backend=backend or default_backend(customers),
                                out=out if parquet else None, progress=sys.stderr.isatty() or _forced(),
                                columns=columns, delimiter=delimiter, strict=strict, unique_ids=unique_ids)
        if not parquet:
            _write_json_lines(result.table, out)
    except (SourceError, ValueError, ImportError, OSError) as error:
        click.echo(_("error: {message}", message=_one_line(error)), err=True)
        return BAD_INPUT
    click.echo(str(result.summary), err=True)
    return FINDINGS if result.summary.rejected else OK


def customer_rows(program: Program, path: str, delimiter: str | None = None, strict: bool = False) -> Iterator[dict[str, Any]]:
    """The customers of a CSV, JSON-lines or Parquet file as dicts, in file order (a line that
    could not be read as an empty customer, which is rejected); warnings on stderr."""
    from marketing_rules.batch.sources import duckdb_relation, fact_names, names_checked

    try:
        import duckdb
    except ModuleNotFoundError as error:
        raise MissingDependency(error.name or "duckdb", "duckdb") from None
    con = duckdb.connect()
    facts = fact_names(program)
    kinds = duckdb_relation(con, path, "customers", facts=facts, delimiter=delimiter)
    for warning in names_checked(kinds.names, facts, strict):
        click.echo(_("warning: {warning}", warning=warning), err=True)
    reader = con.sql("SELECT * FROM customers ORDER BY __file, __row").to_arrow_reader(50_000)
    for batch in reader:
        for row in batch.to_pylist():
            yield {} if row[READ_ERROR] is not None else {k: v for k, v in row.items() if k not in INTERNAL}


def _one_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0] if len(text.splitlines()) == 1 else " ".join(line.strip() for line in text.splitlines())


def _forced() -> bool:
    import os

    return os.environ.get("MARKETING_RULES_PROGRESS") == "1"


def _write_json_lines(table: Any, out: str | None) -> None:
    if hasattr(table, "toArrow"):
        table = table.toArrow()
    sink = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
    try:
        for batch in table.to_batches(65_536):
            for row in batch.to_pylist():
                if row.get("access") is not None:
                    row["access"] = dict(row["access"])
                sink.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    finally:
        if out:
            sink.close()
