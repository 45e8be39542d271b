"""A stratum, or a first-hit table, decided through its per-fact index (``analysis/index.py``), as a
DuckDB function.

The query calls the stratum's function a batch of rows at a time, with each row's numbers (as
DECIMAL(38, 10): the function places them in their cells itself, exactly) and the cells of its
other facts (``backends/sql.py``, DuckDB's own comparisons). The function holds, per fact, a table
of the rules each cell lets through, one bit per rule; a row's rules are the ``&`` of its facts'
rows of those tables. Within a group only the first rule that holds fires. It returns each row's
fired rules and their offers as label codes, in agenda order, and the indexes of the tags they
give. With thousands of rules this costs a few microseconds per customer instead of a test per
rule. A first-hit or priority table's function holds one bit per row, in the order the table tries
them, and returns the number of the first row that holds.

The bits are packed 8 to a byte, least significant first (Arrow's order), so that Arrow's
filter reads them as they are. The groups and the tags work on one line of bits per rule (a
rule's rows side by side), the lists on one line per row; the function turns one into the other
with a bit-matrix transpose, 8 by 8 bits inside a 64-bit word.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from marketing_rules.analysis.index import FactCells, RuleIndex, TableIndex

PARAMETERS = ["INTEGER[]", "DECIMAL(38, 10)[]"]  # the cells computed in SQL, the numbers read here
_BLOCK = 256  # rows filtered at a time: the codes repeated for a block stay a few megabytes
_POPCOUNT = np.array([bin(byte).count("1") for byte in range(256)], dtype=np.int32)
# the lowest set bit of each byte: the first row that holds among eight
_LOWEST = np.array([(byte & -byte).bit_length() - 1 if byte else 0 for byte in range(256)], dtype=np.int64)


class _Index:
    """Per fact, the table of the lines (rules, or a table's rows) each cell lets through, one bit
    per line; a row's lines are the ``&`` of its facts' rows of those tables."""

    result = ""  # the function's DuckDB type

    def __init__(self, facts: Sequence[FactCells], count: int):
        self.tables = [_table(cells, count) for cells in facts]
        # per fact, where its cell comes from: a number's points (its value is passed), or None (its
        # cell is computed in SQL and passed)
        self.points = [cells.scaled for cells in facts]
        self.width = self.tables[0].shape[1]  # bytes per row: the lines' bits, padded to a byte

    def _holding(self, cells: Any, numbers: Any) -> np.ndarray:
        """Each row's lines that hold, one bit per line (rows padded to whole bytes of rows)."""
        rows = len(cells)
        columns = np.zeros((rows + -rows % 8, len(self.tables)), dtype=np.int64)
        numeric = sum(points is not None for points in self.points)
        computed = _ints(_flat(cells)).reshape(rows, len(self.points) - numeric)
        low, high, valid = (part.reshape(rows, numeric) for part in _decimals(_flat(numbers)))
        c = n = 0
        for j, points in enumerate(self.points):
            if points is None:
                columns[:rows, j] = computed[:, c]
                c += 1
            else:
                columns[:rows, j] = _cells(low[:, n], high[:, n], valid[:, n], points)
                n += 1
        by_row = self.tables[0][columns[:, 0]]
        for j, table in enumerate(self.tables[1:], 1):
            np.bitwise_and(by_row, table[columns[:, j]], out=by_row)
        return by_row


class IndexedStratum(_Index):
    """The function of one stratum's index: a row's computed cells and numbers -> fired, offers, tags."""

    result = "STRUCT(fired INTEGER[], offers INTEGER[], tags INTEGER[])"

    def __init__(self, index: RuleIndex, codes: Mapping[str, int], tag_names: Sequence[str]):
        super().__init__(index.facts, len(index.rules))
        self.fired_codes = _block_codes([codes[rule.id] for rule in index.rules], self.width)
        offer_codes = [codes[rule.offer.id] if rule.offer is not None else 0 for rule in index.rules]
        self.offer_codes = _block_codes(offer_codes, self.width)
        self.offer_rules = np.packbits(np.array(offer_codes) > 0, bitorder="little")
        # the k-th rule of every group that has one, the largest groups first: the groups that
        # have a k-th rule are the first ones
        groups = sorted(index.groups, key=len, reverse=True)
        self.ranks = [np.array([g[k] for g in groups if len(g) > k], dtype=np.int64)
                      for k in range(len(groups[0]) if groups else 0)]
        # per tag of the compiler's list, the rules that give it
        self.tag_rules = [np.array([i for i, rule in enumerate(index.rules) if tag in rule.tags], dtype=np.int64)
                          for tag in tag_names]

    def __call__(self, cells: Any, numbers: Any) -> pa.Array:
        rows = len(cells)
        by_rule = _transpose(self._holding(cells, numbers))
        self._first_of_each_group(by_rule)
        tags = self._tags(by_rule, rows)
        by_row = _transpose(by_rule)[:rows]
        fired = _lists_of(by_row, self.fired_codes)
        offers = _lists_of(by_row & self.offer_rules, self.offer_codes)
        return pa.StructArray.from_arrays([fired, offers, tags], names=["fired", "offers", "tags"])

    def _first_of_each_group(self, by_rule: np.ndarray) -> None:
        """Clears every rule of a group after the first of the group that holds, rank by rank: a
        rule stays when no rule before it in its group holds."""
        if not self.ranks:
            return
        seen = np.zeros((len(self.ranks[0]), by_rule.shape[1]), dtype=np.uint8)
        for members in self.ranks:
            holds = by_rule[members]
            before = seen[:len(members)]
            by_rule[members] = holds & ~before
            before |= holds

    def _tags(self, by_rule: np.ndarray, rows: int) -> pa.Array:
        """Each row's tags (indexes into the compiler's tag names), in order, each once."""
        marks = np.zeros((len(self.tag_rules), by_rule.shape[1]), dtype=np.uint8)
        for tag, rules in enumerate(self.tag_rules):
            if len(rules):
                np.bitwise_or.reduce(by_rule[rules], axis=0, out=marks[tag])
        row_of, tag_of = np.nonzero(np.unpackbits(marks, axis=1, bitorder="little")[:, :rows].T)
        return _lists(np.bincount(row_of, minlength=rows), _array(tag_of.astype(np.int32)))


class IndexedTable(_Index):
    """The function of a first-hit or priority table's index: a row's computed cells and numbers ->
    the number of the first row, in the order they are tried, that holds (null when none does)."""

    result = "INTEGER"

    def __init__(self, index: TableIndex):
        super().__init__(index.facts, len(index.rows))
        self.numbers = np.array([*index.rows, 0], dtype=np.int32)  # past the last: no row holds

    def __call__(self, cells: Any, numbers: Any) -> pa.Array:
        rows = len(cells)
        by_row = self._holding(cells, numbers)[:rows]
        first = np.argmax(by_row != 0, axis=1)  # the first byte with a row that holds (0 if none)
        lowest = by_row[np.arange(rows), first]
        position = np.where(lowest != 0, 8 * first + _LOWEST[lowest], len(self.numbers) - 1)
        hit = self.numbers[position]
        valid = pa.py_buffer(np.packbits(lowest != 0, bitorder="little"))
        return pa.Array.from_buffers(pa.int32(), rows, [valid, pa.py_buffer(np.ascontiguousarray(hit))])


def function_of(index: RuleIndex | TableIndex, codes: Mapping[str, int], tag_names: Sequence[str]) -> _Index:
    """The DuckDB function deciding by ``index``."""
    return IndexedTable(index) if isinstance(index, TableIndex) else IndexedStratum(index, codes, tag_names)


def _block_codes(codes: Sequence[int], width: int) -> pa.Array:
    """The codes of the rules (one per bit of a row, 0 past the last rule), repeated for a block of rows."""
    line = np.zeros(8 * width, dtype=np.int32)
    line[:len(codes)] = codes
    return _array(np.tile(line, _BLOCK))


def _lists_of(by_row: np.ndarray, block_codes: pa.Array) -> pa.Array:
    """Each row's list of the codes of its set bits, in agenda order: the codes filtered by the bits."""
    items = []
    for start in range(0, len(by_row), _BLOCK):
        block = np.ascontiguousarray(by_row[start:start + _BLOCK])
        bits = pa.Array.from_buffers(pa.bool_(), block.size * 8, [None, pa.py_buffer(block)])
        items.append(pc.filter(block_codes[:block.size * 8], bits))
    counts = _POPCOUNT[by_row].sum(axis=1)
    return _lists(counts, pa.concat_arrays(items) if items else _array(np.zeros(0, np.int32)))


def _flat(lists: Any) -> pa.Array:
    """The items of a batch's lists, one after the other."""
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    return lists.flatten()


def _ints(values: pa.Array) -> np.ndarray:
    """INTEGER values that are never null, as a NumPy array read from Arrow's buffer (pyarrow's
    ``to_numpy`` imports pandas on its first call: a few tenths of a second)."""
    data = values.buffers()[1]
    if data is None or not len(values):
        return np.zeros(0, dtype=np.int32)
    return np.frombuffer(data, dtype=np.int32)[values.offset:values.offset + len(values)]


def _decimals(values: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DECIMAL(38, 10) values as whole numbers of 10^-10: their low and high 64 bits (two's
    complement, as Arrow stores them) and whether each is present."""
    if not len(values):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=bool)
    validity, data = values.buffers()[:2]
    words = np.frombuffer(data, dtype="<i8")[2 * values.offset:2 * (values.offset + len(values))]
    if validity is None:
        present = np.ones(len(values), dtype=bool)
    else:  # the validity bits read directly, as in _ints
        bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
        present = bits[values.offset:values.offset + len(values)].astype(bool)
    return words[0::2], words[1::2], present


def _cells(low: np.ndarray, high: np.ndarray, present: np.ndarray, points: tuple[int, ...]) -> np.ndarray:
    """Each number's cell among the points (``analysis/index.py``): 0 when missing, else
    1 + 2 * (the points below it) + (1 when it is one of them); exact, the few numbers past 64 bits
    compared in Python."""
    line = np.array(points, dtype=np.int64)
    below = np.searchsorted(line, low, side="left")
    cells = 1 + 2 * below
    if len(points):
        cells += (below < len(points)) & (line[np.minimum(below, len(points) - 1)] == low)
    for i in np.flatnonzero(present & (high != low >> 63)):
        value = int(high[i]) << 64 | int(low[i]) & (2**64 - 1)
        k = bisect.bisect_left(points, value)
        cells[i] = 1 + 2 * k + (k < len(points) and points[k] == value)
    cells[~present] = 0
    return cells


def _lists(counts: np.ndarray, items: pa.Array) -> pa.Array:
    offsets = np.zeros(len(counts) + 1, dtype=np.int32)
    np.cumsum(counts, out=offsets[1:])
    return pa.ListArray.from_arrays(_array(offsets), items)


def _array(values: np.ndarray) -> pa.Array:
    """NumPy numbers as an Arrow array, sharing their memory. (``pa.array`` looks for pandas
    objects first, and its first call imports pandas: a few tenths of a second.)"""
    values = np.ascontiguousarray(values)
    return pa.Array.from_buffers(pa.from_numpy_dtype(values.dtype), len(values), [None, pa.py_buffer(values)])


def _table(facts: FactCells, count: int) -> np.ndarray:
    """Per cell of the fact, the rules it lets through, packed 8 to a byte."""
    through = np.ones((facts.cells, count), dtype=bool)
    for i, runs in facts.runs:
        through[:, i] = False
        for start, stop in runs:
            through[start:stop, i] = True
    return np.packbits(through, axis=1, bitorder="little")


_MASKS = [(np.uint64(7), np.uint64(0x00AA00AA00AA00AA)), (np.uint64(14), np.uint64(0x0000CCCC0000CCCC)),
          (np.uint64(28), np.uint64(0x00000000F0F0F0F0))]


def _transpose(bits: np.ndarray) -> np.ndarray:
    """The bit matrix ``bits`` (lines x bytes, both lines and bytes of 8 bits) transposed: bit c of
    byte b of line r becomes bit r % 8 of byte r // 8 of line 8b + c. Each 8 x 8 block of bits is
    gathered into one 64-bit word, transposed there (three exchanges of bit groups), and put back."""
    lines, width = bits.shape
    words = np.ascontiguousarray(bits.reshape(lines // 8, 8, width).transpose(2, 0, 1)).view(np.uint64)
    for shift, mask in _MASKS:
        swap = (words ^ (words >> shift)) & mask
        words ^= swap ^ (swap << shift)
    blocks = words.view(np.uint8).reshape(width, lines // 8, 8)
    return np.ascontiguousarray(blocks.transpose(0, 2, 1)).reshape(8 * width, lines // 8)


def register(con: Any, indexes: Mapping[str, _Index]) -> None:
    """Each index's function on the connection (once per name: the name changes with the index)."""
    known = {row[0] for row in con.execute("SELECT function_name FROM duckdb_functions()").fetchall()}
    for name, function in indexes.items():
        if name in known:
            continue
        # "special": a table's function returns null when no row holds (its arguments are never null)
        con.create_function(name, function, PARAMETERS, function.result, type="arrow", side_effects=False,
                            null_handling="special")
