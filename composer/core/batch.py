"""Batch maths: how many runs a request starts, each run's inputs, and batch tables as CSV/TSV.

The server runs the Cartesian product of ``batch_input_params`` lists in key order (the first key
varies slowest), each run getting a copy of ``inputs`` with those keys overridden; an empty list
means zero runs. Without batch params, ``batch_number > 1`` starts that many identical runs.
"""

from __future__ import annotations

import io
import itertools
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

JsonScalar = str | int | float | bool | None


def batch_params(body: Mapping[str, Any]) -> dict[str, list[Any]] | None:
    """The body's ``batch_input_params`` when it is a mapping of lists, else None."""
    params = body.get("batch_input_params")
    if not isinstance(params, Mapping):
        return None
    return {str(k): list(v) if isinstance(v, list) else [v] for k, v in params.items()}


def run_count(body: Mapping[str, Any]) -> int:
    """How many runs the server starts for this body."""
    params = batch_params(body)
    if params is not None:
        return math.prod(len(values) for values in params.values()) if params else 1
    number = body.get("batch_number")
    if isinstance(number, int) and not isinstance(number, bool) and number > 1:
        return number
    return 1


def run_count_label(body: Mapping[str, Any]) -> str:
    """``"3 x 3 = 9 runs"`` for a grid, ``"5 runs"`` for copies, ``"1 run"`` otherwise."""
    params = batch_params(body)
    total = run_count(body)
    noun = "run" if total == 1 else "runs"
    if params and len(params) > 1:
        sizes = " x ".join(str(len(values)) for values in params.values())
        return f"{sizes} = {total} {noun}"
    return f"{total} {noun}"


def iter_combinations(params: Mapping[str, Sequence[Any]]) -> Iterator[dict[str, Any]]:
    """Each run's overrides, in the server's order (the first key varies slowest)."""
    names = list(params)
    for values in itertools.product(*(params[name] for name in names)):
        yield dict(zip(names, values, strict=True))


def expand_runs(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The ``inputs`` each run of this body receives, in the order the server creates them."""
    base = dict(body.get("inputs") or {})
    params = batch_params(body)
    if params is not None:
        if not params:
            return [base]
        return [{**base, **combo} for combo in iter_combinations(params)]
    return [dict(base) for _ in range(run_count(body))]


# --- cells as text ---


def parse_cell(text: str) -> Any:
    """Read a table cell: JSON numbers, booleans, null, arrays and objects as such; a JSON string
    in quotes as that string (so ``"42"`` stays text); anything else as plain text."""
    stripped = text.strip()
    if not stripped:
        return text
    if stripped[0] in '-0123456789tfn"[{':
        try:
            return json.loads(stripped)
        except ValueError:
            pass
    return text


def format_cell(value: Any) -> str:
    """Write a value so that :func:`parse_cell` reads it back as the same value and type."""
    if isinstance(value, str):
        return value if _is_plain(value) else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False)


def _is_plain(value: str) -> bool:
    # Empty text, edge blanks, and text parse_cell would read as JSON must be written quoted.
    return bool(value) and value.strip() == value and parse_cell(value) is value


# --- tables ---


class BatchTable:
    """A batch-parameter table: named columns of values, each column its own length.

    Columns may differ in length (the server takes the product of the lists), so a column is a
    list of values, not a slice of fixed rows.
    """

    # A plain class: defined before the window's first frame, where a dataclass (and the
    # dataclasses module) would cost ten times as much.
    __slots__ = ("columns",)

    def __init__(self, columns: list[tuple[str, list[Any]]] | None = None) -> None:
        self.columns: list[tuple[str, list[Any]]] = columns if columns is not None else []

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BatchTable) and self.columns == other.columns

    def __repr__(self) -> str:
        return f"BatchTable({self.columns!r})"

    @classmethod
    def from_params(cls, params: Mapping[str, Sequence[Any]] | None) -> BatchTable:
        """A table holding ``batch_input_params``."""
        return cls([(str(name), list(values)) for name, values in (params or {}).items()])

    def to_params(self) -> dict[str, list[Any]]:
        """The table as ``batch_input_params`` (column order kept)."""
        return {name: list(values) for name, values in self.columns}

    @property
    def names(self) -> list[str]:
        """Column names, left to right."""
        return [name for name, _ in self.columns]

    @property
    def row_count(self) -> int:
        """The length of the longest column."""
        return max((len(values) for _, values in self.columns), default=0)

    @property
    def run_count(self) -> int:
        """Runs the server starts for this table (product of the column lengths)."""
        return math.prod(len(values) for _, values in self.columns) if self.columns else 1


class BatchImportError(ValueError):
    """A CSV/TSV block that cannot be read as a batch table."""


def sniff_delimiter(text: str) -> str:
    """Tab when the first line has a tab (a spreadsheet paste), else comma."""
    first_line = text.split("\n", 1)[0]
    return "\t" if "\t" in first_line else ","


def read_rows(text: str, delimiter: str | None = None) -> list[list[str]]:
    """Split a CSV or TSV block into rows of cell texts (quoting as spreadsheets write it)."""
    if not text.strip("\r\n"):
        return []
    # The csv module handles \n, \r\n and quoted line breaks inside cells itself.
    import csv  # only for CSV text (start-up skips it)

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or sniff_delimiter(text))
    return [list(row) for row in reader]


def table_from_csv(text: str, delimiter: str | None = None) -> BatchTable:
    """Read a CSV/TSV block whose first row names the columns; empty cells end a column."""
    rows = read_rows(text, delimiter)
    if not rows:
        raise BatchImportError("The file is empty: expected a header row of input names")
    header = [name.strip() for name in rows[0]]
    if any(not name for name in header):
        raise BatchImportError("Every column needs a name in the first row")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise BatchImportError(f"Column names must be unique: {', '.join(duplicates)}")
    columns: list[tuple[str, list[Any]]] = [(name, []) for name in header]
    for line_number, row in enumerate(rows[1:], start=2):
        if len(row) > len(header):
            raise BatchImportError(
                f"Line {line_number} has {len(row)} cells but the header names {len(header)}"
            )
        for index, cell in enumerate(row):
            if cell == "":
                continue
            values = columns[index][1]
            if len(values) != line_number - 2:
                raise BatchImportError(
                    f"Line {line_number}, column {header[index]!r}: a value follows an empty cell"
                )
            values.append(parse_cell(cell))
    return BatchTable(columns)


def table_to_csv(table: BatchTable, delimiter: str = ",") -> str:
    """Write a table as CSV/TSV with a header row; shorter columns leave empty cells."""
    buffer = io.StringIO()
    import csv

    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(table.names)
    for row in range(table.row_count):
        writer.writerow(
            format_cell(values[row]) if row < len(values) else "" for _, values in table.columns
        )
    return buffer.getvalue()


# --- pasting blocks of cells (the window's batch table) ---


class _EmptyCell:
    def __repr__(self) -> str:
        return "EMPTY_CELL"


EMPTY_CELL: Any = _EmptyCell()  # a pasted cell with no text: skipped, never a value


def parse_block(rows: Sequence[Sequence[str]]) -> list[list[Any]]:
    """Cell texts to values (:func:`parse_cell`); blank cells become :data:`EMPTY_CELL`."""
    return [[parse_cell(text) if text.strip() else EMPTY_CELL for text in row] for row in rows]


def is_header_row(texts: Sequence[str], table: BatchTable, column: int) -> bool:
    """True when pasted texts repeat the names of the columns they land on (a copied header)."""
    names = table.names[column : column + len(texts)]
    return bool(texts) and [text.strip() for text in texts] == names


def paste_block(
    table: BatchTable, block: Sequence[Sequence[Any]], row: int, column: int
) -> BatchTable:
    """A new table with ``block`` (rows of parsed values) written from cell (row, column).

    Columns are lists, so there are no holes: values land from ``row`` on, or right after a
    column's last value when the column is shorter; blank cells are skipped. Columns past the
    right edge are added as ``column_N``.
    """
    columns = [(name, list(values)) for name, values in table.columns]
    width = max((len(line) for line in block), default=0)
    taken = {name for name, _ in columns}
    while len(columns) < column + width:
        number = len(columns) + 1
        while f"column_{number}" in taken:
            number += 1
        taken.add(f"column_{number}")
        columns.append((f"column_{number}", []))
    for offset in range(width):
        values = columns[column + offset][1]
        position = min(row, len(values))
        for line in block:
            if offset >= len(line) or line[offset] is EMPTY_CELL:
                continue
            if position < len(values):
                values[position] = line[offset]
            else:
                values.append(line[offset])
            position += 1
    return BatchTable(columns)
