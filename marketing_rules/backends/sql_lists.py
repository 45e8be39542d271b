"""Lists and maps in SQL: the few constructs whose spelling differs between dialects beyond what
sqlglot translates, kept in one place.

A decision's lists (tags, offers, fired) are array constructors of CASE items, one per rule or
table row in firing order, with the nulls (the items that did not fire) filtered out (on DuckDB, a
long list in chunks of :data:`CHUNK` items, flattened); for the
DuckDB batch the items are numbers, positions in a constant list of every label (``select``). ``access``
is a map from service to its list of modes, holding only the services with at least one mode: an
array of keys and an array of values filtered alike (DuckDB ``MAP``, Spark ``MAP_FROM_ARRAYS``,
Trino ``MAP``). PostgreSQL has no map type, so there ``access`` is a ``jsonb`` object; Hive has
no map built from arrays, so there every service is a key and a denied one has an empty list. Each
dialect of ``backends/sql_dialects.py`` names its way (``access_map``).
"""

from __future__ import annotations

from sqlglot import exp

TEXT = exp.DataType.build("VARCHAR")
#: DuckDB builds a long list faster as lists of this many items flattened: each array constructor's
#: items for a vector of rows then stay in the CPU's cache (5,000 rules: the lists' operator 2.05 -> 1.20 s
#: on 20,000 customers).
CHUNK = 64


def list_of(item: exp.DataType) -> exp.DataType:
    return exp.DataType(this=exp.DataType.Type.ARRAY, expressions=[item], nested=True)


class SQLLists:
    """Array and map constructors for one dialect."""

    def __init__(self, dialect: str):
        self.dialect = dialect
        self.text_list = list_of(TEXT)

    def array(self, items: list[exp.Expression]) -> exp.Expression:
        return exp.Array(expressions=items)

    def empty(self, kind: exp.DataType) -> exp.Expression:
        return exp.cast(exp.Array(expressions=[]), kind, copy=False)

    def compact(self, items: list[exp.Expression], item: exp.DataType) -> exp.Expression:
        """The items that are not null, in order."""
        if not items:
            return self.empty(list_of(item))
        if self.dialect == "duckdb" and len(items) > 2 * CHUNK:
            chunks = [self.present(self.array(items[i:i + CHUNK])) for i in range(0, len(items), CHUNK)]
            return exp.Flatten(this=self.array(chunks))
        return self.present(self.array(items))

    def present(self, values: exp.Expression) -> exp.Expression:
        """The items of the list ``values`` that are not null, in order."""
        x = exp.to_identifier("x")
        keep = exp.Not(this=exp.Is(this=exp.column("x"), expression=exp.null()))
        return exp.ArrayFilter(this=values, expression=exp.Lambda(this=keep, expressions=[x]))

    def concat(self, first: exp.Expression, second: exp.Expression) -> exp.Expression:
        return exp.ArrayConcat(this=first, expressions=[second])

    def collect(self, values: list[tuple[exp.Expression, exp.Expression]], kind: exp.DataType) -> exp.Expression:
        """The value of every matching row, nulls kept (a collect table's list)."""
        result = self.empty(kind)
        for flag, value in values:
            one = exp.Case().when(flag, self.array([value]), copy=False).else_(self.empty(kind), copy=False)
            result = self.concat(result, one)
        return result

    def constant(self, texts: list[str], kind: exp.DataType) -> exp.Expression:
        """A constant list of ``texts`` as ``kind`` items: one cast of the whole list (DuckDB binds a
        cast to an enum in time growing with the enum, so one cast per item would be quadratic)."""
        return exp.cast(self.array([exp.Literal.string(t) for t in texts]), list_of(kind), copy=False)

    def select(self, values: exp.Expression, positions: exp.Expression) -> exp.Expression:
        """The items of ``values`` at the 1-based ``positions``, in their order."""
        if self.dialect == "duckdb":
            return exp.Anonymous(this="LIST_SELECT", expressions=[values, positions])
        i = exp.to_identifier("i")
        at = exp.Anonymous(this="ELEMENT_AT", expressions=[values, exp.column("i")])
        return exp.Transform(this=positions, expression=exp.Lambda(this=at, expressions=[i]))

    def at(self, values: exp.Expression, position: exp.Expression) -> exp.Expression:
        """The item of ``values`` at the 1-based ``position`` (DuckDB's; the compiler reads a table's
        outputs this way on DuckDB only)."""
        return exp.Anonymous(this="LIST_EXTRACT", expressions=[values, position])

    def size(self, value: exp.Expression) -> exp.Expression:
        return exp.ArraySize(this=value)

    def every_service_map(self, entries: list[tuple[str, exp.Expression]]) -> exp.Expression:
        """Every service a key, a denied one with an empty list (Hive has no map built from arrays)."""
        keys = [exp.Literal.string(service) for service, _ in entries]
        values = [modes for _, modes in entries]
        return exp.Map(keys=exp.Array(expressions=keys), values=exp.Array(expressions=values))

    def granted_map(self, entries: list[tuple[str, exp.Expression]]) -> exp.Expression:
        """Only the services with at least one mode: keys and values filtered alike."""
        keys = [exp.Literal.string(service) for service, _ in entries]
        values = [modes for _, modes in entries]
        if not entries:
            return exp.Map(keys=self.empty(self.text_list), values=self.empty(list_of(self.text_list)))
        granted = [exp.GT(this=self.size(v), expression=exp.Literal.number(0)) for v in values]
        kept_keys = self.compact([exp.Case().when(g, k, copy=False) for g, k in zip(granted, keys, strict=True)], TEXT)
        y = exp.to_identifier("y")
        nonempty = exp.GT(this=self.size(exp.column("y")), expression=exp.Literal.number(0))
        kept_values = exp.ArrayFilter(this=self.array(values), expression=exp.Lambda(this=nonempty, expressions=[y]))
        return exp.Map(keys=kept_keys, values=kept_values)

    def jsonb_object(self, entries: list[tuple[str, exp.Expression]]) -> exp.Expression:
        args: list[exp.Expression] = []
        for service, modes in entries:
            present = exp.GT(this=exp.Anonymous(this="CARDINALITY", expressions=[modes]), expression=exp.Literal.number(0))
            args += [exp.Literal.string(service),
                     exp.Case().when(present, exp.Anonymous(this="TO_JSONB", expressions=[modes]), copy=False)]
        built = exp.Anonymous(this="JSONB_BUILD_OBJECT", expressions=args)
        return exp.Anonymous(this="JSONB_STRIP_NULLS", expressions=[built])
