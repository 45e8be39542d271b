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
OPTIONAL = ("duckdb", "pyarrow", "sqlglot", "pyspark", "pandas", "polars")  # the batch and spark extras

__all__ = ["BACKENDS", "BatchResult", "MissingDependency", "SourceError", "Summary", "evaluate_batch", "output_schema"]


class MissingDependency(ImportError):
    """A batch backend whose packages are not installed: names the extra that installs them."""

    def __init__(self, module: str, backend: str):
        extra = "spark" if backend == "spark" else "batch"
        super().__init__(f"the {backend} backend needs {module.split('.')[0]}, which is not installed: "
                         f"pip install 'marketing-rules[{extra}]'")


def evaluate_batch(program: Program, decide: Decide, source: Any, *, backend: str = "duckdb",
                   out: str | Path | None = None,
                   spark: Any = None, progress: bool = False, threads: int | None = None,
                   memory_limit: str | None = None, columns: Sequence[str] | None = None,
                   strict: bool = False, unique_ids: bool = False, delimiter: str | None = None) -> BatchResult:
    """Decide every customer of ``source``; write Parquet to ``out``, or return the table.

    ``source``: Parquet, CSV or JSON-lines paths or globs, or a pandas, polars, Arrow or Spark
    table. CSV is read strictly (``delimiter``: one character, default ``,``, tab for ``.tsv``);
    a line that cannot be read comes back as a row with its reason. An input column that is not
    a fact of the schema is a warning in ``summary.warnings`` (a SourceError with ``strict``);
    ``unique_ids`` rejects a row whose id an earlier row has.
    ``backend``: ``duckdb`` (embedded, the default), ``spark`` (``spark=`` a SparkSession, or a
    local one), ``native`` (the per-customer engine, for checking). ``threads`` and
    ``memory_limit`` (``"2GB"``) bound DuckDB. ``columns``: the output columns to keep (say
    ``["tier", "offers"]``) besides ``id`` and ``error``, which every output has; the rest are not
    computed (default: every column of SPEC section 5). Every output row has ``row``, its line
    (CSV, JSON lines) or number (Parquet, tables) in the input. ``decide`` decides one customer as
    ``Ruleset.evaluate`` does; the native backend calls it, the SQL backends compile ``program``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; the backends are {', '.join(BACKENDS)}")
    try:
        return _run(program, decide, source, backend, str(out) if out is not None else None, spark=spark,
                    progress=progress, threads=threads, memory_limit=memory_limit, columns=columns,
                    strict=strict, unique_ids=unique_ids, delimiter=delimiter)
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in OPTIONAL:
            raise
        raise MissingDependency(error.name or "", backend) from None


def _run(program: Program, decide: Decide, source: Any, backend: str, target: str | None, *, spark: Any,
         progress: bool, threads: int | None, memory_limit: str | None, columns: Sequence[str] | None,
         **reading: Any) -> BatchResult:
    reading["schema"] = select_columns(output_schema(program), columns)
    if backend == "duckdb":
        from marketing_rules.batch import duckdb_backend

        return duckdb_backend.run(program, source, target, progress=progress, threads=threads,
                                  memory_limit=memory_limit, **reading)
    if backend == "spark":
        from marketing_rules.batch import spark_backend

        return spark_backend.run(program, source, target, spark=spark, progress=progress, **reading)
    from marketing_rules.batch import native_backend

    return native_backend.run(program, decide, source, target, progress=progress, **reading)
