"""Where each run of a batch goes in the outputs grid: the XY plot people build by hand.

A batch runs the Cartesian product of its ``batch_input_params`` columns in key order, the first
key varying slowest (:func:`composer.core.batch.expand_runs`). The grid lays those runs out by
their values:

- the first column's values are the **rows**, the second column's values the **columns**;
- a third and further columns make **pages**, one per combination of their values;
- a batch of one column is a single row (its values are the columns);
- ``batch_number`` copies (no batch params) are a single row of copies ``#1 .. #N``.

Each run is placed by its index in that order (``RunState.batch_index``), so repeated values in a
column still get their own cells. Pure Python: the Qt grid view and the tests share it.

::

    grid = grid_for(body)          # None for a request that is not a batch
    place = grid.place(4)          # GridPlace(index=4, page=0, row=1, column=1, ...)
    grid.index_at(0, 1, 1)         # 4
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from composer.core.batch import batch_params, format_cell, run_count
from composer.core.runs import RunState, is_terminal, summarize

LABEL_LIMIT: Final = 48  # characters of a value shown in a header; the rest goes in a tooltip
COPY_AXIS: Final = "copy"  # the axis name of ``batch_number`` copies


def value_label(value: Any, limit: int = LABEL_LIMIT) -> str:
    """A batch value as header text, written so its type shows (``"42"`` is text, ``42`` a number),
    cut to ``limit`` characters with an ellipsis."""
    text = " ".join(format_cell(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class GridAxis:
    """One direction of the grid: the batch column it shows and its values in order."""

    name: str
    values: tuple[Any, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """Each value as header text (see :func:`value_label`)."""
        return tuple(value_label(value) for value in self.values)

    @property
    def full_labels(self) -> tuple[str, ...]:
        """Each value as ``name = value`` in full (for tooltips)."""
        return tuple(f"{self.name} = {format_cell(value)}" for value in self.values)

    def __len__(self) -> int:
        return len(self.values)


@dataclass(frozen=True, slots=True)
class GridPage:
    """One page: the values of the third and further columns that all its cells share."""

    number: int
    values: Mapping[str, Any]

    @property
    def label(self) -> str:
        """``cfg = 7 · sampler = "euler a"``; empty for the only page of a two-column grid."""
        return " · ".join(f"{name} = {value_label(value)}" for name, value in self.values.items())


@dataclass(frozen=True, slots=True)
class GridPlace:
    """Where run ``index`` (its position in the batch) goes, and the batch values it has."""

    index: int
    page: int
    row: int
    column: int
    combination: Mapping[str, Any] = field(compare=False)

    @property
    def label(self) -> str:
        """The run's batch values as one line: ``seed = 2 · steps = 20``."""
        return " · ".join(f"{name} = {value_label(v)}" for name, v in self.combination.items())


@dataclass(frozen=True, slots=True)
class BatchGrid:
    """The layout of one batch: axes, pages and the place of every run (in batch order)."""

    rows: GridAxis | None
    columns: GridAxis
    pages: tuple[GridPage, ...]
    places: tuple[GridPlace, ...]

    @property
    def size(self) -> int:
        """How many runs (cells) the grid holds."""
        return len(self.places)

    @property
    def row_count(self) -> int:
        """Rows per page (1 when the grid has no row axis)."""
        return len(self.rows) if self.rows is not None else 1

    @property
    def column_count(self) -> int:
        """Columns per page."""
        return len(self.columns)

    def place(self, index: int) -> GridPlace:
        """The place of run ``index``; IndexError outside the batch."""
        if not 0 <= index < len(self.places):
            raise IndexError(f"run {index} is not in this batch of {len(self.places)}")
        return self.places[index]

    def index_at(self, page: int, row: int, column: int) -> int | None:
        """The run shown at ``(page, row, column)``, None outside the grid."""
        rows, columns = self.row_count, self.column_count
        if not (0 <= page < len(self.pages) and 0 <= row < rows and 0 <= column < columns):
            return None
        # Pages vary fastest in batch order (they are the last keys), then columns, then rows.
        index = (row * columns + column) * len(self.pages) + page
        return index if index < len(self.places) else None

    def places_on(self, page: int) -> list[GridPlace]:
        """The places of one page, row by row."""
        return sorted(
            (place for place in self.places if place.page == page),
            key=lambda place: (place.row, place.column),
        )


def grid_for(body: Mapping[str, Any]) -> BatchGrid | None:
    """The grid of a request body; None when it starts a single run."""
    params = batch_params(body)
    if params:
        return _grid_of_params(params)
    if params is None and run_count(body) > 1:
        count = run_count(body)
        copies = GridAxis(COPY_AXIS, tuple(f"#{n}" for n in range(1, count + 1)))
        places = tuple(GridPlace(i, 0, 0, i, {COPY_AXIS: copies.values[i]}) for i in range(count))
        return BatchGrid(None, copies, (GridPage(0, {}),), places)
    return None


def _grid_of_params(params: Mapping[str, Sequence[Any]]) -> BatchGrid:
    names = list(params)
    axes = [GridAxis(name, tuple(params[name])) for name in names]
    if len(axes) == 1:
        rows, columns, further = None, axes[0], []
    else:
        rows, columns, further = axes[0], axes[1], axes[2:]
    page_sizes = [len(axis) for axis in further]
    page_count = math.prod(page_sizes) if further else 1
    pages = tuple(
        GridPage(number, _page_values(further, number, page_sizes)) for number in range(page_count)
    )
    total = math.prod(len(axis) for axis in axes)
    places: list[GridPlace] = []
    for index in range(total):
        # Batch order: the first key varies slowest, so the index is a mixed-radix number whose
        # digits are the value positions of each key (the last key the lowest digit).
        page, rest = index % page_count, index // page_count
        column, row = rest % len(columns), rest // len(columns)
        if rows is None:
            combination: dict[str, Any] = {columns.name: columns.values[column]}
        else:
            combination = {rows.name: rows.values[row], columns.name: columns.values[column]}
        combination.update(pages[page].values)
        places.append(GridPlace(index, page, row if rows else 0, column, combination))
    return BatchGrid(rows, columns, pages, tuple(places))


def _page_values(further: list[GridAxis], number: int, sizes: list[int]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for axis, size in zip(reversed(further), reversed(sizes), strict=True):
        values[axis.name] = axis.values[number % size]
        number //= size
    return dict(reversed(values.items()))


def batch_summary(total: int, states: Iterable[RunState]) -> str:
    """``9 runs · 7 done · 1 running · 1 failed`` for the grid's header."""
    counts = summarize(list(states))
    done = sum(n for status, n in counts.items() if is_terminal(status))
    parts = [f"{total} run{'s' if total != 1 else ''}", f"{done} done"]
    for status in ("running", "queued", "failed", "timeout", "cancelled"):
        if counts.get(status):
            parts.append(f"{counts[status]} {status}")
    return " · ".join(parts)
