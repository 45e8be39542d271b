"""``marketing-rules eval RULESET --customers FILE --out FILE [--backend ...]`` for whole files."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from marketing_rules.analysis.program import Program
from marketing_rules.batch import evaluate_batch
from marketing_rules.batch.native_backend import Decide
from marketing_rules.batch.sources import SourceError

OK, FINDINGS, BAD_INPUT = 0, 1, 2


def eval_batch(program: Program, decide: Decide, customers: str, out: str | None, backend: str,
               columns: list[str] | None = None) -> int:
    """Decide a file of customers; Parquet out as it is, anything else as JSON lines; summary on stderr."""
    parquet = out is not None and out.lower().endswith((".parquet", ".pq"))
    source: Any = customers
    if customers.lower().endswith((".jsonl", ".ndjson", ".json")):
        source = _json_lines(customers)
    try:
        result = evaluate_batch(program, decide, source, backend=backend, out=out if parquet else None,
                                progress=sys.stderr.isatty() or _forced(), columns=columns)
    except (SourceError, ValueError) as error:
        click.echo(str(error), err=True)
        return BAD_INPUT
    if not parquet:
        _write_json_lines(result.table, out)
    click.echo(str(result.summary), err=True)
    return FINDINGS if result.summary.rejected else OK


def _forced() -> bool:
    import os

    return os.environ.get("MARKETING_RULES_PROGRESS") == "1"


def _json_lines(path: str) -> Any:
    """A JSON-lines file as an Arrow table: each column's values as they are, or as text if mixed."""
    import pyarrow as pa

    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    names = list(dict.fromkeys(k for row in rows if isinstance(row, dict) for k in row))
    columns = {}
    for name in names:
        values = [row.get(name) if isinstance(row, dict) else None for row in rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns[name] = pa.array([None if v is None else json.dumps(v) if not isinstance(v, str) else v
                                      for v in values], pa.string())
    return pa.table(columns) if columns else pa.table({"id": pa.array([None] * len(rows), pa.string())})


def _write_json_lines(table: Any, out: str | None) -> None:
    if hasattr(table, "toArrow"):
        table = table.toArrow()
    sink = open(out, "w", encoding="utf-8") if out else sys.stdout  # noqa: SIM115
    try:
        for batch in table.to_batches(65_536):
            for row in batch.to_pylist():
                if row.get("access") is not None:
                    row["access"] = dict(row["access"])
                sink.write(json.dumps(row, ensure_ascii=False) + "\n")
    finally:
        if out:
            sink.close()
