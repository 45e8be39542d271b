"""The batch output: its columns (SPEC section 5), the summary, and progress on a terminal.

One row per input row, in input order: ``id``, ``row`` (the row's line in a CSV or JSON-lines
file, or its number, from 1, in a Parquet file or a table), every derived fact, ``tags`` (sorted), ``offers``
(offer ids in firing order), ``access`` (service -> modes), ``points``, ``fired`` (rule ids and
``table#row``, in firing order) and ``error`` (null, or why the row was rejected; a rejected row
has nulls in every other column but ``id`` and ``row``). ``columns=`` narrows the output to the
columns a job needs (``id``, ``row`` and ``error`` always stay): the columns left out are not
computed at all.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from marketing_rules.analysis.program import Program, Rule
from marketing_rules.expressions.types import NUMBER, Type
from marketing_rules.i18n import _


@dataclass(frozen=True)
class Summary:
    """What a batch run did: ``rows_in == decided + rejected``; ``duplicated``, the rows whose id
    an earlier row has (rejected under ``unique_ids``); ``warnings``, input columns that are not
    facts of the schema."""

    backend: str
    rows_in: int
    decided: int
    rejected: int
    seconds: float
    duplicated: int = 0
    warnings: tuple[str, ...] = ()

    @property
    def adds_up(self) -> bool:
        return self.rows_in == self.decided + self.rejected

    def __str__(self) -> str:
        rate = self.rows_in / self.seconds if self.seconds > 0 else 0.0
        counts = {"count": self.rows_in, "decided": self.decided, "rejected": self.rejected,
                  "duplicated": self.duplicated, "seconds": self.seconds, "rate": rate, "backend": self.backend}
        if self.duplicated:
            text = _("{count:,} customers in, {decided:,} decided, {rejected:,} rejected, {duplicated:,} duplicated ids, "
                     "in {seconds:.2f} s ({rate:,.0f} customers/s, {backend})", **counts)
        else:
            text = _("{count:,} customers in, {decided:,} decided, {rejected:,} rejected, "
                     "in {seconds:.2f} s ({rate:,.0f} customers/s, {backend})", **counts)
        return "\n".join([*(_("warning: {warning}", warning=w) for w in self.warnings), text])


@dataclass
class BatchResult:
    """``summary``, and the decisions: ``table`` (Arrow, or a Spark DataFrame) when no ``out`` was given."""

    summary: Summary
    table: Any = None
    out: str | None = None


def arrow_type(kind: Type) -> Any:
    import pyarrow as pa

    if kind.kind == "integer":
        return pa.int64()
    if kind.kind == "number":
        return pa.float64()
    if kind.kind == "boolean":
        return pa.bool_()
    if kind.kind == "list":
        return pa.list_(arrow_type(kind.item) if kind.item is not None else pa.string())
    return pa.string()


def points_are_numbers(program: Program) -> bool:
    from sqlglot import exp

    from marketing_rules.backends.sql_expressions import ExpressionCompiler

    types = ExpressionCompiler(program.fact_types, exp.column)
    return any(types.type_of(u.award.node) == NUMBER for u in program.units if isinstance(u, Rule) and u.award)


def output_schema(program: Program) -> Any:
    """The Arrow schema of the decisions, the same for every backend."""
    import pyarrow as pa

    text_list = pa.list_(pa.string())
    fields = [pa.field("id", pa.string()), pa.field("row", pa.int64())]
    fields += [pa.field(name, arrow_type(kind)) for name, kind in program.derived.items()]
    fields += [
        pa.field("tags", text_list), pa.field("offers", text_list),
        pa.field("access", pa.map_(pa.string(), text_list)),
        pa.field("points", pa.float64() if points_are_numbers(program) else pa.int64()),
        pa.field("fired", text_list), pa.field("error", pa.string()),
    ]
    return pa.schema(fields)


def duplicate_reason(first: int | str) -> str:
    """Why a row is rejected under ``unique_ids``: an earlier row has its id."""
    return f"id: appears more than once (first on row {first})"


KEPT = ("id", "row", "error")  # every output has them: which customer, where, and why a row was rejected


def select_columns(schema: Any, columns: Sequence[str] | None) -> Any:
    """The output schema narrowed to ``columns`` (besides ``id``, ``row`` and ``error``), in
    the schema's order; None keeps every column."""
    if columns is None:
        return schema
    unknown = [c for c in columns if c not in schema.names]
    if unknown:
        raise ValueError(_("no output column {names}; the columns are {columns}", names=", ".join(map(repr, unknown)),
                           columns=", ".join(schema.names)))
    import pyarrow as pa

    return pa.schema([field for field in schema if field.name in KEPT or field.name in columns])


def run_with_progress(work: Callable[[], Any], progress: Callable[[], float] | None, show: bool,
                      label: str | None = None) -> Any:
    """Runs ``work`` in a thread; on a terminal, a progress bar fed by ``progress`` (0..100, or -1)."""
    if not show or progress is None:
        return work()
    import click

    result: dict[str, Any] = {}

    def target() -> None:
        try:
            result["value"] = work()
        except BaseException as error:  # re-raised in the caller's thread
            result["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    with click.progressbar(length=100, label=label or _("evaluating"), file=sys.stderr, show_percent=True) as bar:
        done = 0
        while thread.is_alive():
            thread.join(0.25)
            now = progress()
            if now is not None and now > done:
                bar.update(int(now) - done)
                done = int(now)
        bar.update(100 - done)
    if "error" in result:
        raise result["error"]
    return result.get("value")


def clock() -> float:
    return time.perf_counter()
