"""The Spark backend: the same compiled query, run by Spark SQL.

Without a session, a local one is started (``local[*]``, no UI) and kept for the process; pass
``spark=`` to run on a cluster. The query reads the input through a temporary view, so a province's
base is read, decided and written in parallel by the executors. With ``out``, Spark writes a folder
of Parquet files (Spark's way); without it, the decisions come back as a Spark DataFrame.

Division by zero is null and bad text is null under ``TRY_CAST``. The query runs with the settings
of :data:`SETTINGS`, restored after: ``spark.sql.ansi.enabled`` off (a decimal overflow is null,
and the query turns it into the row's overflow error) and
``spark.sql.decimalOperations.allowPrecisionLoss`` off (the product of two numbers is an exact
``DECIMAL(38, 20)``, rounded to ten places by the query, not cut to six places by Spark), and
``spark.sql.variable.substitute`` off (Spark would otherwise replace ``${...}`` inside the rule
file's strings with its settings and the driver's environment), and ``spark.sql.caseSensitive``
on (a column ``ARPU_3M`` is not the fact ``arpu_3m``, as on the other backends).
"""

from __future__ import annotations

import itertools
from typing import Any

from marketing_rules.analysis.program import Program
from marketing_rules.batch.output import BatchResult, Summary, clock, output_schema
from marketing_rules.batch.query import checked_sql, decisions_sql
from marketing_rules.batch.sources import fact_names, names_checked, spark_frame, spark_kinds

_views = itertools.count()

#: What the compiled query needs of the session (the number contract, ``backends/sql_expressions``).
SETTINGS = {"spark.sql.ansi.enabled": "false", "spark.sql.decimalOperations.allowPrecisionLoss": "false",
            "spark.sql.variable.substitute": "false", "spark.sql.caseSensitive": "true"}


def local_session(memory: str = "2g") -> Any:
    """A local SparkSession for this process (created once, then reused)."""
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master("local[*]").appName("marketing-rules")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.driver.memory", memory)
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
            .config("spark.sql.variable.substitute", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate())


def decisions(program: Program, source: Any, spark: Any, *, schema: Any = None, ordered: bool = True,
              unique_ids: bool = False, strict: bool = False, delimiter: str | None = None) -> tuple[Any, Any, list[str]]:
    """The decisions as a (lazy) DataFrame, the input DataFrame, and the warnings about its columns.
    Run it under :data:`SETTINGS` (``run`` does)."""
    facts = fact_names(program)
    frame = spark_frame(spark, source, facts=facts, delimiter=delimiter)
    kinds = spark_kinds(frame)
    warnings = names_checked(frame.input_columns, facts, strict)
    number = next(_views)
    view = f"marketing_rules_customers_{number}"
    frame.createOrReplaceTempView(view)
    spark.sql(decisions_sql(program, "spark", view, kinds)).createOrReplaceTempView(f"{view}_decided")
    schema = schema if schema is not None else output_schema(program)
    query = checked_sql(schema, f"{view}_decided", "spark", ordered=ordered, unique_ids=unique_ids)
    return spark.sql(query), frame, warnings


def run(program: Program, source: Any, out: str | None, *, spark: Any = None, progress: bool = False,
        schema: Any = None, strict: bool = False, unique_ids: bool = False, delimiter: str | None = None) -> BatchResult:
    from pyspark.sql import functions as F

    spark = spark or local_session()
    started = clock()
    previous = {key: spark.conf.get(key, None) for key in SETTINGS}
    for key, value in SETTINGS.items():
        spark.conf.set(key, value)
    try:
        result, frame, warnings = decisions(program, source, spark, schema=schema, ordered=out is None,
                                            unique_ids=unique_ids, strict=strict, delimiter=delimiter)
        rows_in = frame.count()
        if out is not None:
            result.write.mode("overwrite").parquet(str(out))
            written = spark.read.parquet(str(out))
        else:
            written = result.cache()
        counts = written.agg(F.count(F.lit(1)).alias("n"), F.count("error").alias("rejected"),
                             (F.count("id") - F.countDistinct("id")).alias("duplicated")).first()
    finally:
        for key, value in previous.items():
            if value is not None:
                spark.conf.set(key, value)
    summary = Summary("spark", rows_in, counts["n"] - counts["rejected"], counts["rejected"], clock() - started,
                      counts["duplicated"], tuple(warnings))
    return BatchResult(summary, None if out is not None else written, str(out) if out is not None else None)
