"""Batch inputs: Parquet and CSV paths and globs, pandas, polars and Arrow tables, Spark DataFrames.

Every backend reads a source the same way, so that they see the same values: DuckDB reads files
(CSV with every column as text, which the validation then parses as the per-customer engine
does) and registers in-memory tables; Spark reads files itself and takes in-memory tables
through Arrow. Each column's kind (integer, float, decimal, string, boolean, other) tells the SQL
validation how to read it (docs/dsl.md, "Input values"): CSV cells are text on every backend.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from marketing_rules.backends.validation_sql import SourceKind

PARQUET = (".parquet", ".pq", ".parq")
CSV = (".csv", ".csv.gz", ".tsv")


class SourceError(ValueError):
    """A batch input that cannot be read: unknown kind of file or object, no file matching."""


def paths_of(source: Any) -> list[str] | None:
    """The file paths or globs of a source given as paths, else None."""
    if isinstance(source, (str, Path)):
        return [str(source)]
    if isinstance(source, Sequence) and source and all(isinstance(s, (str, Path)) for s in source):
        return [str(s) for s in source]
    return None


def file_format(paths: list[str]) -> str:
    lowered = [p.lower() for p in paths]
    if all(p.endswith(PARQUET) for p in lowered):
        return "parquet"
    if all(p.endswith(CSV) for p in lowered):
        return "csv"
    raise SourceError(f"cannot tell the format of {', '.join(paths)}: name files .parquet or .csv")


def is_spark_frame(source: Any) -> bool:
    return type(source).__module__.startswith("pyspark.") and hasattr(source, "schema") and hasattr(source, "rdd")


def to_arrow(source: Any) -> Any:
    """An in-memory table as an Arrow table (pandas, polars, Arrow, Spark)."""
    import pyarrow as pa

    if isinstance(source, (pa.Table, pa.RecordBatchReader)):
        return source
    module = type(source).__module__
    if module.startswith("polars"):
        return (source.collect() if hasattr(source, "collect") else source).to_arrow()
    if module.startswith("pandas"):
        return pa.Table.from_pandas(source, preserve_index=False)
    if is_spark_frame(source):
        return source.toArrow() if hasattr(source, "toArrow") else pa.Table.from_pandas(source.toPandas())
    if isinstance(source, pa.RecordBatch):
        return pa.Table.from_batches([source])
    raise SourceError(f"cannot read customers from a {type(source).__name__}: give Parquet or CSV paths, "
                      "or a pandas, polars, Arrow or Spark table")


def duckdb_kind(type_name: str) -> SourceKind:
    name = type_name.upper()
    if name in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                "UBIGINT", "UHUGEINT"):
        return "integer"
    if name in ("FLOAT", "DOUBLE"):
        return "float"
    if name.startswith("DECIMAL"):
        return "decimal"
    if name == "BOOLEAN":
        return "boolean"
    if name == "VARCHAR":
        return "string"
    return "other"


def spark_kind(data_type: Any) -> SourceKind:
    name = type(data_type).__name__
    if name in ("ByteType", "ShortType", "IntegerType", "LongType"):
        return "integer"
    if name in ("FloatType", "DoubleType"):
        return "float"
    if name == "DecimalType":
        return "decimal"
    if name == "BooleanType":
        return "boolean"
    if name in ("StringType", "VarcharType", "CharType"):
        return "string"
    return "other"


ORDER = ("__file", "__row")  # the input's order: file (or 0) and row within it


def duckdb_relation(con: Any, source: Any, name: str = "customers") -> dict[str, SourceKind]:
    """Registers the source as view ``name`` on a DuckDB connection; returns its columns' kinds.

    The view has two more columns, ``__file`` and ``__row``, that give each row's place in the
    input: DuckDB may hand rows on out of order when it works in parallel.
    """
    paths = paths_of(source)
    if paths is not None:
        files = "[" + ", ".join(_quote(p) for p in paths) + "]"
        if file_format(paths) == "parquet":
            reader = f"read_parquet({files}, filename = '__file', file_row_number = true)"
            select = "* EXCLUDE (file_row_number), file_row_number AS __row"
        else:
            reader = f"read_csv({files}, header = true, all_varchar = true, filename = '__file')"
            select = "*, row_number() OVER () AS __row"
        try:
            con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {select} FROM {reader}")
            relation = con.sql(f"SELECT * FROM {name}")
        except Exception as error:  # duckdb.IOException and friends
            raise SourceError(f"cannot read {', '.join(paths)}: {error}") from None
    else:
        table = to_arrow(source)
        if hasattr(table, "read_all"):
            table = table.read_all()
        import pyarrow as pa

        table = table.append_column("__row", pa.array(range(table.num_rows), pa.int64()))
        con.register(f"{name}_input", table)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT *, 0 AS __file FROM {name}_input")
        relation = con.sql(f"SELECT * FROM {name}")
    return {column: duckdb_kind(str(kind)) for column, kind in zip(relation.columns, relation.types, strict=True)
            if column not in ORDER}


def spark_frame(spark: Any, source: Any) -> Any:
    """The source as a Spark DataFrame (files read by Spark, in-memory tables through Arrow)."""
    if is_spark_frame(source):
        return source
    paths = paths_of(source)
    if paths is not None:
        if file_format(paths) == "parquet":
            return spark.read.parquet(*paths)
        return spark.read.option("header", True).csv(paths)
    table = to_arrow(source)
    if hasattr(table, "read_all"):
        table = table.read_all()
    import pyspark

    if int(pyspark.__version__.split(".")[0]) >= 4:  # from Arrow as it is (through pandas, an int64 column
        return spark.createDataFrame(table)          # with nulls became doubles, and a null float NaN)
    return spark.createDataFrame(table.to_pandas())


def spark_kinds(frame: Any) -> dict[str, SourceKind]:
    return {f.name: spark_kind(f.dataType) for f in frame.schema.fields}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
