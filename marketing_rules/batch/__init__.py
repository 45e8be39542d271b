"""Whole customer bases at once (SPEC section 5): ``evaluate_batch`` on DuckDB, Spark or the
per-customer engine, with every input row coming back as one output row.

>>> result = rs.evaluate_batch("customers.parquet", out="decisions.parquet")   # doctest: +SKIP
>>> print(result.summary)                                                      # doctest: +SKIP
6,400,000 customers in, 6,399,120 decided, 880 rejected, in 7.10 s (...)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from marketing_rules.analysis.program import Program
from marketing_rules.batch.native_backend import Decide
from marketing_rules.batch.output import BatchResult, Summary, output_schema, select_columns
from marketing_rules.batch.sources import SourceError

BACKENDS = ("duckdb", "spark", "native")

__all__ = ["BACKENDS", "BatchResult", "SourceError", "Summary", "evaluate_batch", "output_schema"]


def evaluate_batch(program: Program, decide: Decide, source: Any, *, backend: str = "duckdb", out: str | Path | None = None,
                   spark: Any = None, progress: bool = False, threads: int | None = None,
                   memory_limit: str | None = None, columns: Sequence[str] | None = None) -> BatchResult:
    """Decide every customer of ``source``; write Parquet to ``out``, or return the table.

    ``source``: Parquet or CSV paths or globs, or a pandas, polars, Arrow or Spark table.
    ``backend``: ``duckdb`` (embedded, the default), ``spark`` (``spark=`` a SparkSession, or a
    local one), ``native`` (the per-customer engine, for checking). ``threads`` and
    ``memory_limit`` (``"2GB"``) bound DuckDB. ``columns``: the output columns to keep (say
    ``["tier", "offers"]``) besides ``id`` and ``error``, which every output has; the rest are not
    computed (default: every column of SPEC section 5). ``decide`` decides one customer as
    ``Ruleset.evaluate`` does; the native backend calls it, the SQL backends compile ``program``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; the backends are {', '.join(BACKENDS)}")
    target = str(out) if out is not None else None
    schema = select_columns(output_schema(program), columns)
    if backend == "duckdb":
        from marketing_rules.batch import duckdb_backend

        return duckdb_backend.run(program, source, target, progress=progress, threads=threads,
                                  memory_limit=memory_limit, schema=schema)
    if backend == "spark":
        from marketing_rules.batch import spark_backend

        return spark_backend.run(program, source, target, spark=spark, progress=progress, schema=schema)
    from marketing_rules.batch import native_backend

    return native_backend.run(program, decide, source, target, progress=progress, schema=schema)
