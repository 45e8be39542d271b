"""Batch inputs: Parquet, CSV and JSON-lines paths and globs, pandas, polars and Arrow tables, Spark
DataFrames.

Every backend reads a source the same way, so that they see the same rows and values:

- CSV and JSON lines are read by :mod:`marketing_rules.batch.readers` (strictly: the header
  matched to the schema, no sniffing; a malformed line is a row with its reason, never dropped)
  into an Arrow table that every backend takes;
- Parquet files are read by DuckDB (for DuckDB and the per-customer engine) or by Spark, with
  each row's number in its file; in-memory tables are taken through Arrow.

Each registered input has three more columns: ``__file`` and ``__row`` (the row's place: file,
and line or row number in it) and ``__read_error`` (why a line could not be read, or null). Each
column's kind (integer, float, decimal, string, boolean, other) tells the SQL validation how to
read it (docs/dsl.md, "Input values"): CSV cells are text on every backend.
"""

from __future__ import annotations

import difflib
import glob
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from marketing_rules.batch import readers
from marketing_rules.batch.readers import FILE, INTERNAL, READ_ERROR, ROW, SourceError
from marketing_rules.i18n import N_, _

if TYPE_CHECKING:
    from marketing_rules.backends.validation_sql import SourceKind

PARQUET = (".parquet", ".pq", ".parq")
CSV = (".csv", ".csv.gz", ".tsv", ".tsv.gz")
JSON_LINES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz")

ORDER = (FILE, ROW)  # the input's order: file (or 0) and row within it

__all__ = ["FILE", "INTERNAL", "ORDER", "READ_ERROR", "ROW", "SourceError", "duckdb_relation", "spark_frame"]

def paths_of(source: Any) -> list[str] | None:
    """The file paths or globs of a source given as paths, else None."""
    if isinstance(source, (str, Path)):
        return [str(source)]
    if isinstance(source, Sequence) and source and all(isinstance(s, (str, Path)) for s in source):
        return [str(s) for s in source]
    return None


def file_format(paths: list[str]) -> str:
    lowered = [p.lower() for p in paths]
    for name, endings in (("parquet", PARQUET), ("csv", CSV), ("json", JSON_LINES)):
        if all(p.endswith(endings) for p in lowered):
            return name
    raise SourceError(_("cannot tell the format of {files}: name files .parquet, .csv or .jsonl", files=", ".join(paths)))


def expand(paths: list[str]) -> list[str]:
    """Paths with their globs expanded (each glob's files in name order); a path that names no
    file is an error."""
    found: list[str] = []
    for path in paths:
        if any(c in path for c in "*?["):
            matches = sorted(glob.glob(path, recursive=True))
            if not matches:
                raise SourceError(_("no file matches {pattern}", pattern=path))
            found += matches
        elif not Path(path).is_file():
            raise SourceError(_("no such file: {file}", file=path))
        else:
            found.append(path)
    return found


def is_spark_frame(source: Any) -> bool:
    return type(source).__module__.startswith("pyspark.") and hasattr(source, "schema") and hasattr(source, "rdd")


def to_arrow(source: Any) -> Any:
    """An in-memory table as an Arrow table (pandas, polars, Arrow, Spark)."""
    import pyarrow as pa

    if isinstance(source, pa.RecordBatchReader):
        return source.read_all()
    if isinstance(source, pa.Table):
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
    raise SourceError(_("cannot read customers from a {kind}: give Parquet, CSV or JSON-lines paths, or a pandas, "
                        "polars, Arrow or Spark table", kind=type(source).__name__))


def numbered(table: Any) -> Any:
    """An in-memory table with its place columns: file 0, rows numbered from 1, no read errors."""
    import pyarrow as pa

    reserved = [name for name in table.column_names if name in INTERNAL]
    if reserved:
        raise SourceError(_("the input has a column {name!r}: names starting with __ are reserved", name=reserved[0]))
    rows = pa.array(range(1, table.num_rows + 1), pa.int64())
    table = table.append_column(FILE, pa.array([0] * table.num_rows, pa.int64()))
    table = table.append_column(ROW, rows)
    return table.append_column(READ_ERROR, pa.nulls(table.num_rows, pa.string()))


def read_text_files(paths: list[str], kind: str, facts: Iterable[str], delimiter: str | None) -> Any:
    """CSV or JSON-lines files as one Arrow table with the place columns."""
    tables = []
    for number, path in enumerate(expand(paths)):
        if kind == "csv":
            tables.append(readers.read_csv(path, number, facts, delimiter))
        else:
            tables.append(readers.read_json_lines(path, number))
    return readers.concat(tables)


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


class Kinds(dict[str, "SourceKind"]):
    """The kinds of an input's columns that are facts (every column when no facts were given), and
    ``names``, every column the input has."""

    names: list[str]


def kept(names: list[str], facts: Iterable[str]) -> list[str]:
    """The columns a backend reads: the facts and the place columns (all of them without facts);
    the others are left out, so that a column differing from a fact only in case cannot stand in
    for it in an engine whose names ignore case."""
    wanted = set(facts)
    return [n for n in names if n in wanted or n in INTERNAL] if wanted else names


def duckdb_relation(con: Any, source: Any, name: str = "customers", *, facts: Iterable[str] = (),
                    delimiter: str | None = None) -> Kinds:
    """Registers the source as view ``name`` on a DuckDB connection; returns its columns' kinds.

    The view has the place columns ``__file``, ``__row`` and ``__read_error``: DuckDB may hand
    rows on out of order when it works in parallel.
    """
    facts = list(facts)
    paths = paths_of(source)
    if paths is not None and file_format(paths) == "parquet":
        names = _duckdb_parquet(con, paths, f"{name}_input")
    else:
        if paths is not None:
            table = read_text_files(paths, file_format(paths), facts, delimiter)
        else:
            table = numbered(to_arrow(source))
        names = table.column_names
        con.register(f"{name}_input", table.select(kept(names, facts)))
    columns = ", ".join(_identifier(n) for n in kept(names, facts))
    con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT {columns} FROM {name}_input")
    relation = con.sql(f"SELECT * FROM {name}")
    kinds = Kinds((column, duckdb_kind(str(kind))) for column, kind in zip(relation.columns, relation.types, strict=True)
                  if column not in INTERNAL)
    kinds.names = [n for n in names if n not in INTERNAL]
    return kinds


def _duckdb_parquet(con: Any, paths: list[str], view: str) -> list[str]:
    """Parquet files as view ``view``, each row numbered in its file and each file by its place
    among ``paths``; returns the view's columns."""
    files = "[" + ", ".join(_quote(p) for p in expand(paths)) + "]"
    reader = f"read_parquet({files}, filename = true, file_row_number = true)"
    select = (f"* EXCLUDE (filename, file_row_number), list_position({files}, filename) - 1 AS {FILE}, "
              f"file_row_number + 1 AS {ROW}, CAST(NULL AS VARCHAR) AS {READ_ERROR}")
    try:
        con.execute(f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {select} FROM {reader}")
        names: list[str] = con.sql(f"SELECT * FROM {view}").columns
    except Exception as error:  # duckdb.IOException and friends
        raise SourceError(_("cannot read {files}: {error}", files=", ".join(paths), error=_first_line(error))) from None
    return [n for n in names if n not in INTERNAL] + list(INTERNAL)


def spark_frame(spark: Any, source: Any, *, facts: Iterable[str] = (), delimiter: str | None = None) -> Any:
    """The source as a Spark DataFrame with the place columns (Parquet read by Spark, CSV and JSON
    lines by the readers every backend uses, in-memory tables through Arrow); ``input_columns``
    gives every column it had, :func:`kept` the ones it keeps."""
    facts = list(facts)
    paths = paths_of(source)
    if is_spark_frame(source) or (paths is not None and file_format(paths) == "parquet"):
        frame = _spark_numbered(source) if paths is None else _spark_parquet(spark, expand(paths))
        names = frame.columns
        keep = set(kept(names, facts))  # renamed by position: Spark's names may clash in case
        frame = frame.toDF(*(n if n in keep else f"__ignored_{k}" for k, n in enumerate(names)))
        frame = frame.select(*(f"`{n}`" for n in names if n in keep))
    else:
        table = read_text_files(paths, file_format(paths), facts, delimiter) if paths is not None else numbered(to_arrow(source))
        names = table.column_names
        frame = spark.createDataFrame(table.select(kept(names, facts)))
    frame.input_columns = [n for n in names if n not in INTERNAL]
    return frame


def _spark_parquet(spark: Any, paths: list[str]) -> Any:
    """Parquet files read by Spark, each row numbered in its file (``_metadata.row_index``) and each
    file by its place among ``paths``."""
    from pyspark.sql import functions as F

    frame = spark.read.parquet(*paths)
    reserved = [c for c in frame.columns if c in INTERNAL]
    if reserved:
        raise SourceError(_("the input has a column {name!r}: names starting with __ are reserved", name=reserved[0]))
    found = sorted(r[0] for r in frame.select("_metadata.file_path").distinct().collect())
    resolved = [str(Path(p).resolve()) for p in paths]
    place = {path: next((k for k, p in enumerate(resolved) if path.endswith(p)), len(resolved) + n)
             for n, path in enumerate(found)}
    index = F.create_map(*[item for path, k in place.items() for item in (F.lit(path), F.lit(k))]) if place else None
    file = index[F.col("_metadata.file_path")] if index is not None else F.lit(0)
    return frame.select("*", file.cast("long").alias(FILE), (F.col("_metadata.row_index") + 1).alias(ROW),
                        F.lit(None).cast("string").alias(READ_ERROR))


def _spark_numbered(frame: Any) -> Any:
    """A Spark DataFrame with its rows numbered from 1 in the frame's order."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    try:
        rdd = frame.rdd
    except Exception:  # Spark Connect has no RDDs: the rows are numbered in one partition
        order = Window.orderBy(F.monotonically_increasing_id())
        return frame.select("*", F.lit(0).cast("long").alias(FILE), F.row_number().over(order).cast("long").alias(ROW),
                            F.lit(None).cast("string").alias(READ_ERROR))
    fields = [*frame.schema.fields, StructField(FILE, LongType()), StructField(ROW, LongType()),
              StructField(READ_ERROR, StringType())]
    rows = rdd.zipWithIndex().map(lambda pair: (*pair[0], 0, pair[1] + 1, None))
    return frame.sparkSession.createDataFrame(rows, StructType(fields))


def spark_kinds(frame: Any) -> dict[str, SourceKind]:
    return {f.name: spark_kind(f.dataType) for f in frame.schema.fields if f.name not in INTERNAL}


# a name that is not a fact: (kind, with a guess) -> the warning
UNKNOWN = {
    ("column", False): N_("column {name!r} is not a fact of the schema"),
    ("column", True): N_("column {name!r} is not a fact of the schema (did you mean {guess}?)"),
    ("key", False): N_("key {name!r} is not a fact of the schema"),
    ("key", True): N_("key {name!r} is not a fact of the schema (did you mean {guess}?)"),
}


def unknown_columns(columns: Iterable[str], facts: Sequence[str], kind: str = "column") -> list[str]:
    """A warning for each input column (``kind="key"``: each key of a customer) that is not a fact
    of the schema, with a did-you-mean."""
    known = set(facts)
    lowered = {f.lower(): f for f in facts}
    warnings = []
    for column in columns:
        if column in known or column in INTERNAL:
            continue
        guess = lowered.get(column.strip().lower()) or next(iter(difflib.get_close_matches(column, facts, 1, 0.75)), None)
        warnings.append(_(UNKNOWN[kind, guess is not None], name=column, guess=guess))
    return warnings


def fact_names(program: Any) -> list[str]:
    return [spec.name for spec in program.schema.facts]


def names_checked(columns: Iterable[str], facts: Sequence[str], strict: bool) -> list[str]:
    """The warnings for input columns that are not facts; under ``strict``, a SourceError instead."""
    warnings = unknown_columns(columns, facts)
    if strict and warnings:
        raise SourceError(_("{warnings} (strict: every input column must be a fact of the schema)",
                            warnings=_("; ").join(warnings)))
    return warnings


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
