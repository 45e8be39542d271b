"""The Spark backend: the same compiled query, run by Spark SQL.

Without a session, a local one is started (``local[*]``, no UI) and kept for the process; pass
``spark=`` to run on a cluster. The query reads the input through a temporary view, so a province's
base is read, decided and written in parallel by the executors. With ``out``, Spark writes a folder
of Parquet files (Spark's way); without it, the decisions come back as a Spark DataFrame.

Division by zero is null and bad text is null under ``TRY_CAST``. The query runs with the settings
of :data:`SETTINGS`, restored after: ``spark.sql.ansi.enabled`` off (a decimal overflow is null,
and the query turns it into the row's overflow error) and
``spark.sql.decimalOperations.allowPrecisionLoss`` off (the product of two numbers is an exact
``DECIMAL(38, 20)``, rounded to ten places by the query, not cut to six places by Spark).
"""

from __future__ import annotations

import itertools
from typing import Any

from marketing_rules.analysis.program import Program
from marketing_rules.backends.sql import to_sql
from marketing_rules.batch.output import BatchResult, Summary, clock
from marketing_rules.batch.sources import spark_frame, spark_kinds

_views = itertools.count()

#: What the compiled query needs of the session (the number contract, ``backends/sql_expressions``).
SETTINGS = {"spark.sql.ansi.enabled": "false", "spark.sql.decimalOperations.allowPrecisionLoss": "false"}


def local_session(memory: str = "2g") -> Any:
    """A local SparkSession for this process (created once, then reused)."""
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master("local[*]").appName("marketing-rules")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.driver.memory", memory)
            .config("spark.sql.ansi.enabled", "false")
            .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate())


def decisions(program: Program, source: Any, spark: Any) -> tuple[Any, Any]:
    """The decisions as a (lazy) DataFrame, and the input DataFrame."""
    frame = spark_frame(spark, source)
    view = f"marketing_rules_customers_{next(_views)}"
    frame.createOrReplaceTempView(view)
    query = to_sql(program, "spark", table=view, source=spark_kinds(frame), pretty=False)
    return spark.sql(query), frame


def run(program: Program, source: Any, out: str | None, *, spark: Any = None, progress: bool = False,
        schema: Any = None) -> BatchResult:
    from pyspark.sql import functions as F

    spark = spark or local_session()
    started = clock()
    previous = {key: spark.conf.get(key, None) for key in SETTINGS}
    for key, value in SETTINGS.items():
        spark.conf.set(key, value)
    try:
        result, frame = decisions(program, source, spark)
        if schema is not None:
            result = result.select(*(f"`{name}`" for name in schema.names))
        rows_in = frame.count()
        if out is not None:
            result.write.mode("overwrite").parquet(str(out))
            written = spark.read.parquet(str(out))
        else:
            written = result.cache()
        counts = written.agg(F.count(F.lit(1)).alias("n"), F.count("error").alias("rejected")).first()
    finally:
        for key, value in previous.items():
            if value is not None:
                spark.conf.set(key, value)
    summary = Summary("spark", rows_in, counts["n"] - counts["rejected"], counts["rejected"], clock() - started)
    return BatchResult(summary, None if out is not None else written, str(out) if out is not None else None)
