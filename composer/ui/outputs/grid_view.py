"""The batch grid: a batch's outputs laid out by the values of its first two batch columns.

::

    grid = BatchGridView(api)
    grid.show_batch(body, states)      # the wire body sent, the runs known so far
    grid.update_run(state)             # as each update arrives: its cell fills in live
    grid.update_runs(states)           # many at once (the header is counted once)

Rows are the first batch column's values, columns the second's; further columns are pages
(:mod:`composer.core.grid`). Each cell shows its run's status and progress while it goes on, its
first picture once it succeeded, or the reason it failed. A click on a picture opens the large
view with every picture of the page; a click on any other cell emits ``run_activated`` so the runs
panel can select that run. Only the cells of the page shown exist as widgets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import Shiboken

from composer.client.files import SavedFile
from composer.core.grid import BatchGrid, GridPlace, batch_summary, grid_for
from composer.core.output_files import OutputFile, batch_prefix, files_of_run
from composer.core.runs import RunState
from composer.ui.outputs.cells import GridCell, first_picture, header_label
from composer.ui.outputs.images import OutputSource
from composer.ui.outputs.panel import OutputPanel
from composer.ui.outputs.saving import SaveBar, choose_folder
from composer.ui.outputs.tile import follow_theme
from composer.ui.outputs.viewer import ImageViewer, ViewItem
from composer.ui.theme import set_role

DEFAULT_SIDE: Final = 160
# Seconds of cell making per turn of the event loop: a page of hundreds of cells fills in over a
# few frames instead of freezing the window while every cell is built (about 0.7 ms a cell, and
# as much again to style, lay out and paint it on the next turn).
BUILD_BUDGET: Final = 0.004
BURY_SLICE: Final = 24  # widgets of a page let go deleted per turn of the loop
MIN_CELLS: Final = 9  # a page of at most this many cells is made at once (a 3 x 3 batch)
SIDES: Final = (96, 128, 160, 200, 256, 320)  # the zoom slider's steps


class BatchGridView(OutputPanel):
    """A batch's runs as an XY grid of pictures, filled in live."""

    message = Signal(str)
    run_activated = Signal(str)  # the run id of a clicked cell that has no picture to open
    page_built = Signal()  # every cell of the page shown exists

    def __init__(self, source: OutputSource | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("batch_grid")
        self.body: dict[str, Any] = {}
        self.grid: BatchGrid | None = None
        self.states: dict[int, RunState] = {}
        self.cells: dict[int, GridCell] = {}  # the cells of the page shown, by batch index
        self.page = 0
        self.side = DEFAULT_SIDE
        self._pending: list[GridPlace] = []  # cells of the page still to be made
        self._headed: tuple[set[int], set[int]] = (set(), set())  # columns, rows with a header
        self._dirty: dict[int, None] = {}  # cells whose run changed, not shown yet (in order)
        self._doomed: list[QWidget] = []  # widgets of a page let go, still to be deleted
        # The header texts of the page's columns and rows: (label, tooltip) each.
        self._header_texts: tuple[list[tuple[str, str]], list[tuple[str, str]]] = ([], [])
        self._builder = QTimer(self)
        self._builder.setInterval(0)
        self._builder.timeout.connect(self._add_chunk)

        self.title = QLabel("Grid")
        set_role(self.title, "section")
        self.summary = QLabel()
        self.summary.setObjectName("batch_grid__summary")
        set_role(self.summary, "muted")
        self.zoom = QSlider(Qt.Orientation.Horizontal)
        self.zoom.setObjectName("batch_grid__zoom")
        self.zoom.setRange(0, len(SIDES) - 1)
        self.zoom.setValue(SIDES.index(DEFAULT_SIDE))
        self.zoom.setFixedWidth(110)
        self.zoom.setToolTip("Cell size")
        self.zoom.setAccessibleName("Cell size")
        self.zoom.valueChanged.connect(lambda step: self.set_side(SIDES[step]))
        self.zoom.actionTriggered.connect(self._zoomed_by_hand)
        self._zoom_chosen = False  # until the user picks a size, a new batch fits the width
        self.save_button = QPushButton("Save all…")
        self.save_button.setObjectName("batch_grid__save_all")
        self.save_button.setToolTip("Save every output of the batch, named by run and batch values")
        self.save_button.clicked.connect(self.ask_save_all)
        self.save_bar = SaveBar()

        self.page_bar = QWidget()
        self.page_bar.setObjectName("batch_grid__pages")
        self.previous_page = QToolButton()
        self.previous_page.setText("‹")
        self.previous_page.setToolTip("Previous page (further batch columns)")
        self.previous_page.clicked.connect(lambda: self.show_page(self.page - 1))
        self.next_page = QToolButton()
        self.next_page.setText("›")
        self.next_page.setToolTip("Next page")
        self.next_page.clicked.connect(lambda: self.show_page(self.page + 1))
        self.page_choice = QComboBox()
        self.page_choice.setObjectName("batch_grid__page")
        self.page_choice.setAccessibleName("Page")
        self.page_choice.currentIndexChanged.connect(self.show_page)
        self.page_count = QLabel()
        set_role(self.page_count, "muted")
        pages = QHBoxLayout(self.page_bar)
        pages.setContentsMargins(0, 0, 0, 0)
        pages.addWidget(QLabel("Page"))
        pages.addWidget(self.previous_page)
        pages.addWidget(self.page_choice, 1)
        pages.addWidget(self.next_page)
        pages.addWidget(self.page_count)

        self.empty = QLabel()
        self.empty.setObjectName("batch_grid__empty")
        self.empty.setWordWrap(True)
        set_role(self.empty, "muted")
        self._table = QWidget()
        self._table.setObjectName("batch_grid__table")
        follow_theme(self._table)
        self._layout = QGridLayout(self._table)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setHorizontalSpacing(8)
        self._layout.setVerticalSpacing(8)
        # The table is as large as its cells, never stretched: each cell added while a page is
        # built then changes its size only, not the window's layout. (A resizable scroll area
        # would pass every change up, through the runs panel's dock to the main window, which
        # was laid out again on every turn of the loop while a page of 200 cells was made.)
        self._layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)
        self.scroller = QScrollArea()
        self.scroller.setObjectName("batch_grid__scroll")
        self.scroller.setWidgetResizable(False)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setWidget(self._table)

        header = QHBoxLayout()
        header.setSpacing(8)
        header.addWidget(self.title)
        header.addWidget(self.summary, 1)
        size_label = QLabel("Size")
        set_role(size_label, "muted")
        header.addWidget(size_label)
        header.addWidget(self.zoom)
        header.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addWidget(self.page_bar)
        layout.addWidget(self.save_bar)
        layout.addWidget(self.empty)
        layout.addWidget(self.scroller, 1)
        self.set_source(source)
        self.show_batch({})

    # --- wiring ---

    def source_changed(self) -> None:
        if self.grid is not None:
            self._build_page()

    # --- showing ---

    def show_batch(self, body: Mapping[str, Any], runs: Iterable[RunState] = ()) -> None:
        """Show the batch of ``body`` (the wire body sent) with the runs known so far."""
        self.body = dict(body)
        self.grid = grid_for(body)
        self.states = {}
        for state in runs:
            if state.batch_index is not None:
                self.states[state.batch_index] = state
        self.page = 0
        grid = self.grid
        self.page_choice.blockSignals(True)
        self.page_choice.clear()
        if grid is not None:
            for page in grid.pages:
                self.page_choice.addItem(page.label or "All")
        self.page_choice.blockSignals(False)
        self.page_bar.setVisible(grid is not None and len(grid.pages) > 1)
        if grid is not None and not self._zoom_chosen:
            self._fit_width(grid)
        self._build_page()

    def update_run(self, state: RunState) -> None:
        """A run of the batch changed: its cell (if on the page shown) follows."""
        self.update_runs([state])

    def update_runs(self, states: Iterable[RunState]) -> None:
        """Runs of the batch changed: their cells follow, the header once for them all."""
        grid = self.grid
        if grid is None:
            return
        for state in states:
            if state.batch_index is None or not 0 <= state.batch_index < grid.size:
                continue
            self.states[state.batch_index] = state
            if state.batch_index in self.cells:
                self._dirty[state.batch_index] = None
        self._update_summary()
        self._show_dirty()

    def _show_dirty(self) -> None:
        """Show the changed runs in their cells, a few milliseconds' worth per turn of the
        loop (every run of a batch of hundreds may change at once)."""
        if not Shiboken.isValid(self):
            return  # the view went meanwhile (a turn later)
        grid = self.grid
        deadline = time.perf_counter() + BUILD_BUDGET
        shown = 0
        while self._dirty and grid is not None:
            index = next(iter(self._dirty))
            del self._dirty[index]
            cell = self.cells.get(index)
            if cell is not None:
                cell.show_state(self.states[index], self.loader, grid.place(index).label)
            shown += 1
            if shown >= MIN_CELLS and time.perf_counter() > deadline:
                break
        if self._dirty:
            QTimer.singleShot(0, self._show_dirty)

    def show_page(self, page: int) -> None:
        """Show page ``page`` (the values of the third and further batch columns)."""
        if self.grid is None or not 0 <= page < len(self.grid.pages) or page == self.page:
            return
        self.page = page
        self._build_page()

    def set_side(self, side: int) -> None:
        """Cell size in pixels (the zoom slider)."""
        if side != self.side:
            self.side = side
            self._build_page()

    def _zoomed_by_hand(self, _action: int) -> None:
        self._zoom_chosen = True

    def _fit_width(self, grid: BatchGrid) -> None:
        """The largest cell size at which every column fits the width there is (no rebuild)."""
        room = self.scroller.viewport().width() - (150 if grid.rows is not None else 0)
        if room <= 0:
            return
        gap = 8 + 12  # layout spacing + the tile's margins
        fitting = [side for side in SIDES if grid.column_count * (side + gap) <= room]
        side = fitting[-1] if fitting else SIDES[0]
        side = min(side, DEFAULT_SIDE * 2)
        self.side = side
        self.zoom.blockSignals(True)
        self.zoom.setValue(SIDES.index(side))
        self.zoom.blockSignals(False)

    def _update_summary(self) -> None:
        grid = self.grid
        self.summary.setText(batch_summary(grid.size, self.states.values()) if grid else "")
        self.save_button.setEnabled(any(files_of_run(s) for s in self.states.values()))

    def _clear(self) -> None:
        self._pending = []
        self._dirty = {}
        self._builder.stop()
        for cell in self.cells.values():
            cell.cancel()
        self.cells = {}
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item is not None and (widget := item.widget()) is not None:
                widget.hide()
                self._doomed.append(widget)
        self._bury()

    def _bury(self) -> None:
        """Delete the widgets of a page let go, a slice per turn of the loop (a page of 200
        cells deleted at once held the window for 50 ms)."""
        if not Shiboken.isValid(self):
            return  # the view went first (with the widgets, its children)
        slice_, self._doomed = self._doomed[:BURY_SLICE], self._doomed[BURY_SLICE:]
        for widget in slice_:
            if Shiboken.isValid(widget):
                widget.deleteLater()  # deleted by Qt at the next turn, with the slice
        if self._doomed:
            QTimer.singleShot(0, self._bury)

    def _build_page(self) -> None:
        self._clear()
        grid = self.grid
        self._update_summary()
        if grid is None:
            self.empty.setText("Not a batch: a grid needs batch_input_params or batch_number > 1.")
            self.empty.show()
            self.scroller.hide()
            return
        if grid.size == 0:
            self.empty.setText("This batch starts no runs: one of its batch columns is empty.")
            self.empty.show()
            self.scroller.hide()
            return
        self.empty.hide()
        self.scroller.show()
        self.page_choice.blockSignals(True)
        self.page_choice.setCurrentIndex(self.page)
        self.page_choice.blockSignals(False)
        self.page_count.setText(f"{self.page + 1} of {len(grid.pages)}")
        self.previous_page.setEnabled(self.page > 0)
        self.next_page.setEnabled(self.page < len(grid.pages) - 1)
        self._headers(grid)
        self._pending = grid.places_on(self.page)
        if len(self._pending) <= MIN_CELLS:
            self._add_chunk()  # a small page appears at once
        else:
            self._builder.start()  # from the next turn: whoever asked gets on at once

    @property
    def building(self) -> bool:
        """True while cells of the page shown are still being made."""
        return bool(self._pending)

    def finish_building(self) -> None:
        """Make the remaining cells of the page now."""
        while self._pending:
            self._add_chunk()

    def _add_chunk(self) -> None:
        # Cells for a few milliseconds, then the loop's turn: what a turn costs is this plus
        # the style, layout and paint of the new cells that follow it (about as much again).
        deadline = time.perf_counter() + BUILD_BUDGET
        # A small page (a 3 x 3 batch) appears at once; a large one is made over several turns.
        least = len(self._pending) if len(self._pending) <= MIN_CELLS and not self.cells else 1
        made = 0
        while self._pending and (made < least or time.perf_counter() < deadline):
            self._add_cell(self._pending.pop(0))
            made += 1
        if self._pending:
            self._builder.start()
        else:
            self._builder.stop()
            self.page_built.emit()

    def _headers(self, grid: BatchGrid) -> None:
        # Two short lines keep the row-label column narrow: the columns' name, then the rows'.
        axes = (
            f"{grid.columns.name} →\n{grid.rows.name} ↓" if grid.rows else f"{grid.columns.name} →"
        )
        corner = QLabel(axes)
        corner.setObjectName("batch_grid__corner")
        corner.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom)
        set_role(corner, "muted")
        self._layout.addWidget(corner, 0, 0)
        # The value headers come with the first cell of their row or column (a batch of 200
        # seeds has 200 of them: made at once they would stall the window).
        self._headed = (set(), set())
        rows = grid.rows
        self._header_texts = (
            list(zip(grid.columns.labels, grid.columns.full_labels, strict=True)),
            list(zip(rows.labels, rows.full_labels, strict=True)) if rows is not None else [],
        )

    def _add_headers(self, place: GridPlace) -> None:
        """The headers of a cell's column and row, if not made yet."""
        columns, rows = self._headed
        column_texts, row_texts = self._header_texts
        if place.column not in columns and place.column < len(column_texts):
            columns.add(place.column)
            label, full = column_texts[place.column]
            header = header_label(label, full, "column", self.side)
            self._layout.addWidget(header, 0, place.column + 1)
        if place.row not in rows and place.row < len(row_texts):
            rows.add(place.row)
            label, full = row_texts[place.row]
            self._layout.addWidget(header_label(label, full, "row", 140), place.row + 1, 0)

    def _add_cell(self, place: GridPlace) -> None:
        self._add_headers(place)
        cell = GridCell(self.side, place.index)
        cell.setToolTip(place.label)
        cell.setAccessibleName(place.label)
        cell.clicked.connect(lambda index=place.index: self.activate(index))
        cell.retry_requested.connect(lambda c=cell: self._retry(c))
        self.cells[place.index] = cell
        self._layout.addWidget(cell, place.row + 1, place.column + 1)
        state = self.states.get(place.index)
        if state is not None:
            cell.show_state(state, self.loader, place.label)

    def _retry(self, cell: GridCell) -> None:
        if self.loader is not None and cell.url:
            cell.load(cell.url, self.loader)

    # --- opening ---

    def activate(self, index: int) -> None:
        """A cell was clicked: open its picture large, else tell which run it is."""
        state = self.states.get(index)
        if state is None:
            self.message.emit("This run has not been found yet")
            return
        if first_picture(state) is None or self.loader is None:
            self.run_activated.emit(state.run_id)
            return
        self.open_large(index)

    def view_items(self) -> list[tuple[int, ViewItem]]:
        """The pictures of the page shown, in grid order, with their batch index."""
        if self.grid is None:
            return []
        items = []
        for place in self.grid.places_on(self.page):
            state = self.states.get(place.index)
            picture = first_picture(state) if state is not None else None
            if picture is not None:
                name = picture.filename or f"run-{place.index + 1}.png"
                items.append((place.index, ViewItem(picture.url, place.label, name)))
        return items

    def open_large(self, index: int) -> ImageViewer | None:
        """Open the large view at the picture of run ``index`` (non-modal)."""
        if self.loader is None:
            return None
        items = self.view_items()
        position = next((n for n, (i, _item) in enumerate(items) if i == index), None)
        if position is None:
            return None
        return self.show_large([item for _i, item in items], position)

    # --- saving ---

    def files(self) -> list[OutputFile]:
        """Every output of the batch, named by run number and batch values."""
        if self.grid is None:
            return []
        files: list[OutputFile] = []
        for index in sorted(self.states):
            prefix = batch_prefix(index, self.grid.place(index).combination, self.grid.size)
            files.extend(files_of_run(self.states[index], prefix))
        return files

    def ask_save_all(self) -> None:
        """Ask for a folder, then save the batch's outputs into it."""
        choose_folder(self, "Save the batch's outputs", lambda folder: self.save_all(folder))

    def save_all(self, folder: Path) -> asyncio.Task[list[SavedFile]] | None:
        """Save every output of the batch so far into ``folder``."""
        if self.source is None:
            return None
        return self.save_bar.save(self.source, self.files(), folder)
