"""The CSV and JSON-lines readers every backend uses: nothing sniffed, nothing dropped.

A CSV file is read strictly: its first line is the header, matched by name to the schema's facts;
every later line is a row whose cells are text (an empty cell is null). A line that cannot be
read (more or fewer fields than the header, bad quoting, bytes that are not UTF-8) becomes a row
of nulls with ``__read_error`` naming the line and the problem; a quoted field may span lines (the
row is numbered by its first line). A UTF-8 byte order mark is accepted. A JSON-lines file has
one object per line; a line that is not a JSON object is such an error row. Blank lines are not
rows. Every row carries ``__row``, its line number.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import gzip
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

FILE, ROW, READ_ERROR = "__file", "__row", "__read_error"  # the place columns every read input has
INTERNAL = (FILE, ROW, READ_ERROR)
DELIMITERS = ",;\t|"
_SURROGATE = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, as surrogateescape reads it
UNCLOSED = "unexpected end of data"


class SourceError(ValueError):
    """A batch input that cannot be read: unknown kind of file or object, no file matching, a
    header that does not fit, an unknown column under ``strict``."""


class _Rows:
    """The columns of a file being read, filled one row at a time."""

    def __init__(self, names: list[str], file: int):
        self.names = names
        self.file = file
        self.cells: dict[str, list[Any]] = {name: [] for name in names}
        self.rows: list[int] = []
        self.errors: list[str | None] = []

    def add(self, line: int, values: dict[str, Any], error: str | None = None) -> None:
        for name in self.names:
            self.cells[name].append(values.get(name))
        self.rows.append(line)
        self.errors.append(error)

    def add_column(self, name: str) -> None:
        self.names.append(name)
        self.cells[name] = [None] * len(self.rows)

    def table(self, arrays: dict[str, Any]) -> Any:
        import pyarrow as pa

        count = len(self.rows)  # 0 or 1 per row: a batch of rows in one go for CSV
        columns = {**arrays, FILE: pa.array([self.file] * count, pa.int64()), ROW: pa.array(self.rows, pa.int64()),
                   READ_ERROR: pa.array(self.errors, pa.string())}
        return pa.table(columns)


def _open(path: str) -> IO[bytes]:
    if path.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]  # a GzipFile reads bytes as a file does
    return open(path, "rb")  # noqa: SIM115


def default_delimiter(path: str) -> str:
    return "\t" if path.lower().removesuffix(".gz").endswith(".tsv") else ","


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """The cycle collector paused while a file's rows pile up: it would walk them again and again
    (the rows hold no cycles)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _utf8(path: str) -> bool:
    """Whether a whole file is UTF-8 (then its cells need no look for bad bytes)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with _open(path) as raw:
            while chunk := raw.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _check_delimiter(delimiter: str) -> None:
    if len(delimiter) != 1 or delimiter in "\"\r\n":
        raise SourceError(f"the delimiter must be one character other than a quote or a line break, not {delimiter!r}")


def read_csv(path: str, file: int = 0, facts: Iterable[str] = (), delimiter: str | None = None) -> Any:
    """A CSV file as an Arrow table of text columns, with the place columns."""

    delimiter = delimiter or default_delimiter(path)
    _check_delimiter(delimiter)
    with _open(path) as raw, _no_collection():
        text = io.TextIOWrapper(raw, encoding="utf-8", errors="surrogateescape", newline="")
        records = _records(csv.reader(text, delimiter=delimiter, strict=True))
        header = _header(path, records, delimiter, list(facts))
        rows = _CsvRows(header, file, bytes_checked=_utf8(path))
        for line, fields, problem in records:
            rows.add_record(line, fields, problem)
    return rows.table()


def _records(reader: Any) -> Iterator[tuple[int, list[str], str | None]]:
    """Each record's first line, its fields, and the quoting problem that stopped it (if any)."""
    last = 0
    while True:
        try:
            fields = next(reader)
            problem = None
        except StopIteration:
            return
        except csv.Error as error:
            fields, problem = [], str(error)
        if fields or problem:
            yield last + 1, fields, problem
        last = reader.line_num


def _header(path: str, records: Iterator[tuple[int, list[str], str | None]], delimiter: str,
            facts: list[str]) -> list[str]:
    first = next(records, None)
    if first is None:
        return []
    _, names, problem = first
    if problem:
        raise SourceError(f"{path}, line 1: the header cannot be read ({problem})")
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0][1:]
    for k, name in enumerate(names, start=1):
        if _bad_bytes(name):
            raise SourceError(f"{path}, line 1: column {k} of the header is not UTF-8")
        if not name:
            raise SourceError(f"{path}, line 1: column {k} of the header has no name")
        if name in INTERNAL:
            raise SourceError(f"{path}, line 1: the column name {name!r} is reserved")
    twice = [n for k, n in enumerate(names) if n in names[:k]]
    if twice:
        raise SourceError(f"{path}, line 1: the header names {twice[0]!r} twice")
    if len(names) == 1 and names[0] not in facts:
        others = [c for c in DELIMITERS if c != delimiter and c in names[0]]
        if others:
            raise SourceError(f"{path}, line 1: the header is one column {names[0]!r}; are the fields separated by "
                              f"{others[0]!r} rather than {delimiter!r}? give the delimiter (--delimiter {others[0]!r})")
    return names


class _CsvRows(_Rows):
    """The rows of a CSV file, kept as records (a bad line as nulls but its id) and turned into
    columns at the end: empty cells are null."""

    def __init__(self, names: list[str], file: int, bytes_checked: bool = False):
        super().__init__(names, file)
        self.bytes_checked = bytes_checked  # the whole file is UTF-8: no cell to look at
        self.records: list[list[str | None]] = []
        self.key = names.index("id") if "id" in names else None

    def add_record(self, line: int, fields: list[str], problem: str | None) -> None:
        error = self._problem(line, fields, problem)
        if error is None:
            self.records.append(fields)  # type: ignore[arg-type]
        else:
            nulls: list[str | None] = [None] * len(self.names)
            if self.key is not None and problem is None and self.key < len(fields) and fields[self.key].strip():
                nulls[self.key] = None if _SURROGATE.search(fields[self.key]) else fields[self.key]
            self.records.append(nulls)
        self.rows.append(line)
        self.errors.append(error)

    def _problem(self, line: int, fields: list[str], problem: str | None) -> str | None:
        width = len(self.names)
        if problem is not None:
            return f"line {line}: {_csv_problem(problem)}"
        if len(fields) != width:
            return f"line {line}: {len(fields)} field{'s' if len(fields) != 1 else ''} where the header has {width}"
        if not self.bytes_checked and _SURROGATE.search("".join(fields)):
            bad = next(k for k, cell in enumerate(fields) if _SURROGATE.search(cell))
            byte = ord(_SURROGATE.search(fields[bad]).group()) - 0xDC00  # type: ignore[union-attr]
            return f"line {line}: {self.names[bad]} is not UTF-8 (byte 0x{byte:02x})"
        return None

    def table(self, arrays: dict[str, Any] | None = None) -> Any:
        import pyarrow as pa
        import pyarrow.compute as pc

        flat = pa.array(itertools.chain.from_iterable(self.records), pa.string(), size=len(self.records) * len(self.names))
        records = pa.FixedSizeListArray.from_arrays(flat, max(len(self.names), 1))
        arrays = {}
        for k, name in enumerate(self.names):
            text = pc.list_element(records, k)
            arrays[name] = pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)
        return super().table(arrays)


def _csv_problem(problem: str) -> str:
    if UNCLOSED in problem:
        return "a quoted field is never closed"
    if "field limit" in problem:
        return f"a field is longer than {csv.field_size_limit():,} characters"
    return f"bad quoting: {problem}"


def _bad_bytes(text: str) -> bool:
    return _SURROGATE.search(text) is not None


# -- JSON lines ------------------------------------------------------------------------------------


class _Duplicate(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _Duplicate(f"the key {twice!r} appears twice")
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_line(text: str) -> dict[str, Any]:
    """One JSON-lines line as an object (numbers with a point or exponent read as exact decimals);
    ValueError naming the problem otherwise."""
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_no_constant, object_pairs_hook=_object)
    except _Duplicate as error:
        raise ValueError(str(error)) from None
    except json.JSONDecodeError as error:
        raise ValueError(f"not JSON ({error.msg}, column {error.colno})") from None
    if not isinstance(value, dict):
        raise ValueError(f"not a JSON object (a {type(value).__name__})")
    return value


def read_json_lines(path: str, file: int = 0) -> Any:
    """A JSON-lines file as an Arrow table, with the place columns."""
    rows = _Rows([], file)
    with _open(path) as raw, _no_collection():
        for line, data in enumerate(raw, start=1):
            if line == 1 and data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            if not data.strip():
                continue
            try:
                value = parse_line(data.decode("utf-8"))
            except UnicodeDecodeError as error:
                rows.add(line, {}, f"line {line}: not UTF-8 (byte 0x{data[error.start]:02x})")
                continue
            except ValueError as error:
                rows.add(line, {}, f"line {line}: {error}")
                continue
            for name in value:
                if name not in rows.cells:
                    if name in INTERNAL:
                        raise SourceError(f"{path}, line {line}: the key {name!r} is reserved")
                    rows.add_column(name)
            rows.add(line, value)
    return rows.table({name: column_array(rows.cells[name]) for name in rows.names})


def column_array(values: list[Any]) -> Any:
    """A column of JSON values: of their own type when they share one, else as text (a string as
    it is, a number as written, anything else as JSON)."""
    import pyarrow as pa

    kinds = {type(v) for v in values if v is not None}
    if len(kinds) <= 1 and not kinds & {str, Decimal}:  # decimals as text: read exactly, as CSV cells are
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
            pass
    return pa.array([None if v is None else _as_text(v) for v in values], pa.string())


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):  # digits as written, the exponent worked out (when it is small)
        exponent = value.as_tuple().exponent
        return format(value, "f") if isinstance(exponent, int) and abs(exponent) <= 64 else str(value)
    return json.dumps(value, ensure_ascii=False, default=str)


def concat(tables: list[Any]) -> Any:
    """The tables of several files as one (a column a file lacks is null there)."""
    import pyarrow as pa

    if len(tables) == 1:
        return tables[0]
    try:
        return pa.concat_tables(tables, promote_options="default")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise SourceError(f"the files have a column of different types: {error}") from None


