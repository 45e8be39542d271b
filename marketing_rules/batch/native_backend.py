"""The per-customer engine over a batch, for checking the SQL backends: each row validated and
decided by ``rs.evaluate``, written in the same columns as the SQL backends write."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, Protocol

from marketing_rules.analysis.program import Program, ServiceAccess
from marketing_rules.batch.output import BatchResult, Summary, clock, duplicate_reason, output_schema
from marketing_rules.batch.sources import FILE, READ_ERROR, ROW, duckdb_relation, fact_names, names_checked
from marketing_rules.errors import EvaluationError, FactsError


class Decided(Protocol):
    """What a batch writes of a decision (a :class:`~marketing_rules.engine.decision.Decision`)."""

    @property
    def inputs(self) -> Mapping[str, Any]: ...

    @property
    def facts(self) -> Mapping[str, Any]: ...

    @property
    def tags(self) -> Collection[str]: ...

    @property
    def offers(self) -> Sequence[Any]: ...

    @property
    def access(self) -> Mapping[str, ServiceAccess]: ...

    @property
    def points(self) -> int | float: ...

    @property
    def fired(self) -> Sequence[str]: ...


#: Decides one customer, validating its facts, as ``Ruleset.evaluate`` does.
Decide = Callable[[dict[str, Any]], Decided]

BATCH_ROWS = 50_000


def decide_row(decide: Decide, row: dict[str, Any], derived: tuple[str, ...]) -> dict[str, Any]:
    """One output row for one input row: the decision, or the reason the row was rejected."""
    try:
        decision = decide(row)
    except FactsError as error:
        return {"id": _text(row.get("id")), "error": rejection_reason(error)}
    except EvaluationError as error:
        return {"id": _text(row.get("id")), "error": str(error)}
    facts = decision.facts
    return {
        "id": decision.inputs["id"],
        **{name: facts[name] for name in derived},
        "tags": sorted(decision.tags),
        "offers": [o.id for o in decision.offers],
        "access": [(s, list(a.modes)) for s, a in decision.access.items()],
        "points": decision.points,
        "fired": list(decision.fired),
        "error": None,
    }


def rejection_reason(error: FactsError) -> str:
    """Why a row was rejected, in the words of every backend: the error's text (``field: reason (got
    value)``, model/input_rules.py)."""
    return str(error)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def decide_rows(program: Program, decide: Decide, rows: list[dict[str, Any]], schema: Any = None) -> Any:
    import pyarrow as pa

    schema = schema if schema is not None else output_schema(program)
    derived = tuple(program.derived)
    decided = [decide_row(decide, row, derived) for row in rows]
    return pa.Table.from_pylist(decided, schema=schema)  # the columns not in the schema are left out


class Places:
    """Each input row decided with its place: its row number, its read error, and under
    ``unique_ids`` the row that first had its id."""

    def __init__(self, program: Program, decide: Decide, unique_ids: bool):
        self.decide_one = decide
        self.derived = tuple(program.derived)
        self.unique_ids = unique_ids
        self.first: dict[str, int] = {}
        self.duplicated = 0

    def decide(self, row: dict[str, Any]) -> dict[str, Any]:
        place, error = row.pop(ROW), row.pop(READ_ERROR)
        row.pop(FILE)
        if error is not None:
            decided = {"id": _text(row.get("id")), "error": error}
        else:
            decided = decide_row(self.decide_one, row, self.derived)
        decided["row"] = place
        return self._checked(decided, place)

    def _checked(self, decided: dict[str, Any], place: int) -> dict[str, Any]:
        key = decided["id"]
        if key is None:
            return decided
        if key not in self.first:
            self.first[key] = place
            return decided
        self.duplicated += 1
        if self.unique_ids and decided["error"] is None:
            return {"id": key, "row": place, "error": duplicate_reason(self.first[key])}
        return decided

    def table(self, rows: list[dict[str, Any]], schema: Any) -> Any:
        import pyarrow as pa

        return pa.Table.from_pylist([self.decide(row) for row in rows], schema=schema)


def run(program: Program, decide: Decide, source: Any, out: str | None, *, progress: bool = False,
        schema: Any = None, strict: bool = False, unique_ids: bool = False, delimiter: str | None = None) -> BatchResult:
    import duckdb
    import pyarrow.parquet as pq

    started = clock()
    con = duckdb.connect()
    facts = fact_names(program)
    kinds = duckdb_relation(con, source, "customers", facts=facts, delimiter=delimiter)
    warnings = names_checked(kinds.names, facts, strict)
    places = Places(program, decide, unique_ids)
    rows_in = con.sql("SELECT count(*) FROM customers").fetchall()[0][0]
    reader = con.sql(f"SELECT * FROM customers ORDER BY {FILE}, {ROW}").to_arrow_reader(BATCH_ROWS)
    schema = schema if schema is not None else output_schema(program)
    writer = pq.ParquetWriter(str(out), schema) if out is not None else None
    parts = []
    decided = rejected = 0
    bar = _bar(rows_in) if progress else None
    for batch in reader:
        table = places.table(batch.to_pylist(), schema)
        errors = table.column("error").null_count
        decided += errors
        rejected += table.num_rows - errors
        if writer is not None:
            writer.write_table(table)
        else:
            parts.append(table)
        if bar is not None:
            bar.update(batch.num_rows)
    if bar is not None:
        bar.render_finish()
    if writer is not None:
        writer.close()
    import pyarrow as pa

    result = pa.concat_tables(parts) if parts else (schema.empty_table() if writer is None else None)
    summary = Summary("native", rows_in, decided, rejected, clock() - started, places.duplicated, tuple(warnings))
    return BatchResult(summary, result, str(out) if out is not None else None)


def _bar(total: int) -> Any:
    import sys

    import click

    bar = click.progressbar(length=total, label="evaluating", file=sys.stderr, show_pos=True)
    bar.__enter__()
    return bar
